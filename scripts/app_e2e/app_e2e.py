#!/usr/bin/env python3
"""End-to-end check of the backend written by `cruddur-obs app write`.

    python app_e2e.py --backend DIR --venv VENV_DIR --moto-server PATH_TO_moto_server [--keep]

Stdlib only. Installs DIR/requirements.txt (+ opentelemetry-proto, used to decode the
spans) into VENV_DIR (skipped when VENV_DIR's stamp equals the requirements' hash),
then runs, all on 127.0.0.1:

  A. everything on: the app (python -m flask run) with OTLP/HTTP, X-Ray daemon
     (UDP segments + TCP sampling API), moto (CloudWatch Logs) and Rollbar stand-ins;
     GET /api/activities/home twice, POST /api/activities {} (KeyError -> 500),
     SIGTERM; then checks what each stand-in received.
  B. nothing set: the same app serves 200 and logs no traceback / warning.
  C. one broken setting (CLOUDWATCH_LOG_GROUP without region/credentials): one
     warning, the app still serves 200.
  D. fixture: a week-2-style app.py (before_first_request) crashes on import.
  E. tests/test_observability.py in the venv: idempotency, missing packages, endpoint
     normalisation, the custom-span helper, SIGTERM chaining.
  F. --week6-backend: a backend in the course's week-6 shape (X-Ray, Honeycomb and
     Rollbar set up by hand in lib/), written by `app write` (which leaves those three
     out): with every setting present, two GETs give exactly two X-Ray segments, two
     Flask spans and two request lines in CloudWatch, and one error one Rollbar item
     (environment as the hand code sets it). Then the control: the same backend with
     a plain `init_observability(app)` (nothing skipped) does not.
  G. --week2-migrated: the week-2 app.py (D) after `app write --migrate`: it starts on
     today's Flask and sends what the module-only backend sends (the same counts as F,
     the Rollbar item from the module).

  H. --round-trip: `cruddur-obs verify --app` against the running app (A's settings):
     a UDP stand-in for the X-Ray daemon forwards each segment to the X-Ray emulator
     (PutTraceSegments), as the real daemon does; moto holds the log group; the
     Honeycomb stand-in records OTLP and serves /1/auth and the Datasets API. The
     request is found in all three. Then three mistakes injected at once (the
     daemon address misspelt, the OTLP endpoint ending in /v1/traces, no
     CLOUDWATCH_LOG_GROUP), in the compose file and in the app's environment alike:
     exit 1, and each part's line names its mistake.

  I. --week4-backend: a week-4/5 backend (a psycopg_pool pool and a boto3 DynamoDB
     client made at import) written by `app write`, in its own venv, against a real
     PostgreSQL (Debian's, a throw-away cluster on a free port) and moto's DynamoDB:
     the SQL query is a child span of the request's Flask span (same trace) and a
     subsegment of its X-Ray segment; the same for the DynamoDB call; watchtower's
     own calls stay out of both.

Prints `ok: ...` / `FAIL: ...` per assertion and `N passed, M failed`; exit 0 only
if nothing failed. DIR/app.py is never modified (scenario D runs in a copy).
"""
import argparse
import gzip
import hashlib
import http.server
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
HOST = "127.0.0.1"
EXTRA_PACKAGES = ["opentelemetry-proto"]
RULE_NAME = "cruddur-obs-e2e"
HONEYCOMB_KEY = "test-key-e2e-0123456789"
HONEYCOMB_CONFIG_KEY = "config-key-e2e-9876543210"
ROLLBAR_TOKEN = "e2e-rollbar-token-0123456789abcdef"
RUN_BUDGET = 330  # seconds for everything after the install

_results = []
_deadline = [0.0]


def check(cond, what, detail=""):
    _results.append(bool(cond))
    line = ("ok: " if cond else "FAIL: ") + what
    if detail and not cond:
        line += " -- " + detail
    print(line, flush=True)
    return bool(cond)


def info(msg):
    print("info: " + msg, flush=True)


def remaining(cap):
    return max(0.5, min(cap, _deadline[0] - time.monotonic()))


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + remaining(timeout)
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return bool(pred())


# --- venv ---------------------------------------------------------------------

def venv_python(venv):
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv, requirements):
    digest = hashlib.sha256(requirements.read_bytes() + "\n".join(EXTRA_PACKAGES).encode()).hexdigest()
    stamp = venv / ".cruddur-obs-e2e.stamp"
    py = venv_python(venv)
    if py.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        info("venv up to date (stamp matches), install skipped")
        return True
    t0 = time.monotonic()
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    proc = subprocess.run(
        [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q",
         "-r", str(requirements), *EXTRA_PACKAGES],
        capture_output=True, text=True, timeout=900)
    if not check(proc.returncode == 0, "pip install -r requirements.txt",
                 (proc.stderr or proc.stdout)[-2000:]):
        return False
    stamp.write_text(digest + "\n")
    info("install took %.1f s" % (time.monotonic() - t0))
    return True


def installed_versions(py):
    out = subprocess.run([str(py), "-m", "pip", "freeze", "--disable-pip-version-check"],
                         capture_output=True, text=True, timeout=60).stdout
    keep = ("flask=", "flask-cors", "opentelemetry-", "aws-xray-sdk", "watchtower", "rollbar",
            "blinker", "boto3", "botocore", "werkzeug", "protobuf")
    return " ".join(l for l in out.split() if l.lower().startswith(keep))


# --- stand-ins ----------------------------------------------------------------

class Recorder(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, handler):
        super().__init__(addr, handler)
        self.requests = []  # (method, path, headers dict lower-case, body bytes)
        self.lock = threading.Lock()

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        with self.server.lock:
            self.server.requests.append(
                (self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        return body

    def _reply(self, code, body=b"", ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class OtlpHandler(_Handler):
    def do_POST(self):
        self._body()
        if self.path == "/v1/traces":
            self._reply(200, b"", "application/x-protobuf")  # empty ExportTraceServiceResponse
        else:
            self._reply(404, b"{}")


class RollbarHandler(_Handler):
    def do_POST(self):
        self._body()
        if self.path == "/api/1/item/":
            self._reply(200, json.dumps({"err": 0, "result": {
                "id": None, "uuid": "0b4bd7c4-5c8f-4d4b-9d7c-e2e000000001"}}).encode())
        else:
            self._reply(404, json.dumps({"err": 1, "message": "not found"}).encode())


class XrayApiHandler(_Handler):
    """The daemon's TCP side: the SDK's centralized sampling calls (restJson1)."""

    def do_POST(self):
        self._body()
        now = time.time()
        if self.path == "/GetSamplingRules":
            rule = {"RuleName": RULE_NAME, "RuleARN": "arn:aws:xray:us-east-1:000000000000:sampling-rule/" + RULE_NAME,
                    "ResourceARN": "*", "Priority": 1, "FixedRate": 1.0, "ReservoirSize": 1,
                    "ServiceName": "*", "ServiceType": "*", "Host": "*", "HTTPMethod": "*",
                    "URLPath": "*", "Version": 1, "Attributes": {}}
            self._reply(200, json.dumps({"SamplingRuleRecords": [
                {"SamplingRule": rule, "CreatedAt": now - 60, "ModifiedAt": now - 60}]}).encode())
        elif self.path == "/SamplingTargets":
            body = json.loads(self.server.requests[-1][3] or b"{}")
            docs = [{"RuleName": d["RuleName"], "FixedRate": 1.0, "ReservoirQuota": 10,
                     "ReservoirQuotaTTL": now + 60, "Interval": 10}
                    for d in body.get("SamplingStatisticsDocuments", [])]
            self._reply(200, json.dumps({"SamplingTargetDocuments": docs,
                                         "LastRuleModification": now - 60,
                                         "UnprocessedStatistics": []}).encode())
        else:
            self._reply(404, b"{}")


class XrayUdp:
    def __init__(self, sock):
        self.sock, self.segments, self.raw = sock, [], []

    def start(self):
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self):
        while True:
            try:
                data, _ = self.sock.recvfrom(65535)
            except OSError:
                return
            self.raw.append(data)
            header, _, doc = data.decode("utf-8", "replace").partition("\n")
            try:
                if json.loads(header) == {"format": "json", "version": 1}:
                    self.segments.append(json.loads(doc))
            except ValueError:
                pass


class XrayForwarder(XrayUdp):
    """The daemon's UDP side, forwarding each segment to X-Ray (the emulator) with
    PutTraceSegments, as the real daemon does (signed for us-east-1)."""

    def __init__(self, sock, endpoint):
        super().__init__(sock)
        self.endpoint, self.forwarded = endpoint.rstrip("/"), []

    def _run(self):
        while True:
            try:
                data, _ = self.sock.recvfrom(65535)
            except OSError:
                return
            header, _, doc = data.decode("utf-8", "replace").partition("\n")
            try:
                if json.loads(header) != {"format": "json", "version": 1}:
                    continue
            except ValueError:
                continue
            req = urllib.request.Request(
                self.endpoint + "/TraceSegments", method="POST",
                data=json.dumps({"TraceSegmentDocuments": [doc]}).encode(),
                headers={"Content-Type": "application/json",
                         "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAE2ETEST/20260101/"
                                          "us-east-1/xray/aws4_request, SignedHeaders=host, Signature=0"})
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as r:
                    self.forwarded.append((r.status, json.loads(r.read() or b"{}")))
            except (OSError, ValueError) as e:
                self.forwarded.append((None, str(e)))


class HoneycombHandler(OtlpHandler):
    """OTLP in, plus /1/auth and the Datasets API: a dataset is written when a
    /v1/traces body names it (its service.name)."""

    def do_POST(self):
        body = self._body()
        if self.path == "/v1/traces":
            for name in self.server.datasets:
                if name.encode() in body:
                    self.server.datasets[name] = time.time()
            self._reply(200, b"", "application/x-protobuf")
        else:
            self._reply(404, b"{}")

    def do_GET(self):
        self._body()
        key = self.headers.get("x-honeycomb-team", "")
        if key not in (HONEYCOMB_KEY, HONEYCOMB_CONFIG_KEY):
            self._reply(401, json.dumps({"error": "unknown API key - check your credentials"}).encode())
        elif self.path == "/1/auth":
            config = key == HONEYCOMB_CONFIG_KEY
            self._reply(200, json.dumps({
                "id": "k", "type": "configuration" if config else "ingest",
                "api_key_access": {"events": not config, "createDatasets": True},
                "environment": {"name": "dev", "slug": "dev"},
                "team": {"name": "E2E", "slug": "e2e"}}).encode())
        elif self.path.startswith("/1/datasets/") and key == HONEYCOMB_CONFIG_KEY:
            slug = self.path[len("/1/datasets/"):]
            written = self.server.datasets.get(slug)
            if written is None:
                self._reply(404, json.dumps({"error": "dataset not found"}).encode())
            else:
                at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(written)) if written else ""
                self._reply(200, json.dumps({"name": slug, "slug": slug,
                                             "last_written_at": at}).encode())
        else:
            self._reply(404, b"{}")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def xray_daemon():
    """UDP listener and TCP sampling API on the same port number."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((HOST, 0))
        port = udp.getsockname()[1]
        try:
            api = Recorder((HOST, port), XrayApiHandler).start()
        except OSError:
            udp.close()
            continue
        return port, XrayUdp(udp).start(), api, udp
    raise RuntimeError("no port free for both UDP and TCP")


# --- moto ---------------------------------------------------------------------

def logs_call(port, target, body):
    req = urllib.request.Request(
        "http://%s:%d/" % (HOST, port), data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "Logs_20140328." + target,
                 "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAE2ETEST/20260101/us-east-1/logs/"
                                  "aws4_request, SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def log_events(port, group):
    events, token = [], None
    for _ in range(50):
        body = {"logGroupName": group}
        if token:
            body["nextToken"] = token
        page = logs_call(port, "FilterLogEvents", body)
        events += page.get("events", [])
        token = page.get("nextToken")
        if not token:
            break
    return events


# --- the app ------------------------------------------------------------------

def base_env(venv, work):
    env = {k: os.environ[k] for k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT") if k in os.environ}
    env.update({
        "PATH": str(venv_python(venv).parent) + os.pathsep + os.environ.get("PATH", ""),
        "VIRTUAL_ENV": str(venv),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "FLASK_APP": "app",
        # nothing may leave 127.0.0.1: a dead proxy for everything else
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(work / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "no-aws-credentials"),
    })
    return env


class App:
    def __init__(self, name, venv, cwd, env, work, app_module="app"):
        self.name, self.port = name, free_port()
        self.log = work / ("app-%s.log" % name)
        env = dict(env, FRONTEND_URL="http://127.0.0.1:3000",
                   BACKEND_URL="http://127.0.0.1:%d" % self.port)
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [str(venv_python(venv)), "-m", "flask", "--app", app_module, "run",
             "--host", HOST, "--port", str(self.port)],
            cwd=str(cwd), env=env, stdout=self._out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)

    def url(self, path):
        return "http://%s:%d%s" % (HOST, self.port, path)

    def wait_ready(self, timeout=30):
        def up():
            if self.proc.poll() is not None:
                return True
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return True
            except OSError:
                return False
        return wait_for(up, timeout, 0.1) and self.proc.poll() is None

    def request(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=remaining(timeout)) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except OSError as e:
            return None, str(e).encode()

    def terminate(self, timeout=20):
        """SIGTERM, wait; returns (exit code or None, seconds)."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(remaining(timeout))
        except subprocess.TimeoutExpired:
            pass
        return self.proc.poll(), time.monotonic() - t0

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._out.close()

    def output(self):
        self._out.flush()
        return self.log.read_text("utf-8", "replace")


DECODE = r"""
import json, sys
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
out = []
for path in sys.argv[1:]:
    req = ExportTraceServiceRequest()
    req.ParseFromString(open(path, "rb").read())
    out.append(MessageToDict(req))
print(json.dumps(out))
"""


def decode_spans(py, bodies, work):
    paths = []
    for i, body in enumerate(bodies):
        p = work / ("otlp-%d.bin" % i)
        p.write_bytes(body)
        paths.append(str(p))
    if not paths:
        return []
    proc = subprocess.run([str(py), "-c", DECODE, *paths], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    spans = []
    for req in json.loads(proc.stdout):
        for rs in req.get("resourceSpans", []):
            res = {a["key"]: next(iter(a["value"].values()), None)
                   for a in rs.get("resource", {}).get("attributes", [])}
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    attrs = {a["key"]: next(iter(a["value"].values()), None)
                             for a in sp.get("attributes", [])}
                    spans.append({"name": sp.get("name"), "resource": res, "attributes": attrs,
                                  "trace": sp.get("traceId"), "id": sp.get("spanId"),
                                  "parent": sp.get("parentSpanId")})
    return spans


# --- scenarios ----------------------------------------------------------------

def scenario_all_on(args, work, moto_port):
    print("== A: everything on", flush=True)
    py = venv_python(args.venv)
    otlp = Recorder((HOST, 0), OtlpHandler).start()
    rollbar = Recorder((HOST, 0), RollbarHandler).start()
    xport, xudp, xapi, udp_sock = xray_daemon()
    app = None
    try:
        logs_call(moto_port, "CreateLogGroup", {"logGroupName": "cruddur"})
        env = base_env(args.venv, work)
        env.update({
            "OTEL_SERVICE_NAME": "backend-flask",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://%s:%d" % (HOST, otlp.server_port),
            "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=" + HONEYCOMB_KEY,
            "AWS_XRAY_DAEMON_ADDRESS": "%s:%d" % (HOST, xport),
            "AWS_XRAY_URL": "*127.0.0.1*",
            "CLOUDWATCH_LOG_GROUP": "cruddur",
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://%s:%d" % (HOST, moto_port),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIAE2ETEST", "AWS_SECRET_ACCESS_KEY": "e2e-secret",
            "ROLLBAR_ACCESS_TOKEN": ROLLBAR_TOKEN,
            "ROLLBAR_ENDPOINT": "http://%s:%d/api/1" % (HOST, rollbar.server_port),
        })
        app = App("all-on", args.venv, args.backend, env, work)
        if not check(app.wait_ready(), "A: app started (flask run)", app.output()[-3000:]):
            return
        status, body = app.request("GET", "/api/activities/home")
        check(status == 200, "A: GET /api/activities/home -> 200", "got %s %r" % (status, body[:300]))
        # the SDK fetches the daemon's rules after its first decision; the next request uses them
        polled = wait_for(lambda: any(r[1] == "/GetSamplingRules" for r in xapi.requests), 10)
        check(polled, "A: X-Ray SDK fetched sampling rules from the daemon address (POST /GetSamplingRules)")
        time.sleep(1.0)
        status2, _ = app.request("GET", "/api/activities/home")
        check(status2 == 200, "A: second GET /api/activities/home -> 200", "got %s" % status2)
        status3, _ = app.request("POST", "/api/activities", {})
        check(status3 == 500, "A: POST /api/activities {} raises (KeyError) -> 500", "got %s" % status3)
        code, took = app.terminate(20)
        check(code is not None, "A: app exited after SIGTERM (%.1f s, exit code %s)" % (took, code),
              "still running after %.1f s" % took)
        out = app.output()
        warnings = [l for l in out.splitlines() if "cruddur-obs:" in l]
        check(not warnings, "A: no cruddur-obs warnings with every setting present", " | ".join(warnings))

        # Honeycomb / OTLP
        traces = [r for r in otlp.requests if r[0] == "POST"]
        check(traces and all(r[1] == "/v1/traces" for r in traces),
              "A: OTLP export went to POST /v1/traces", repr([r[1] for r in traces]))
        check(traces and all(r[2].get("x-honeycomb-team") == HONEYCOMB_KEY for r in traces),
              "A: OTLP export carried header x-honeycomb-team",
              repr([r[2].get("x-honeycomb-team") for r in traces]))
        try:
            spans = decode_spans(py, [r[3] for r in traces if r[1] == "/v1/traces"], work)
        except Exception as e:
            spans = []
            info("decode failed: %s" % e)
        home = [s for s in spans if s["attributes"].get("http.route") == "/api/activities/home"]
        check(any(s["resource"].get("service.name") == "backend-flask" for s in home),
              "A: span with service.name=backend-flask and http.route=/api/activities/home",
              json.dumps(spans)[:1500])

        # X-Ray
        segs = [s for s in xudp.segments
                if "/api/activities/home" in s.get("http", {}).get("request", {}).get("url", "")]
        host = "%s:%d" % (HOST, app.port)
        check(segs and all(s.get("name") in ("backend-flask", host) for s in segs),
              "A: X-Ray segment for /api/activities/home arrived over UDP (name %s)"
              % (segs[0].get("name") if segs else "?"),
              "%d datagrams: %r" % (len(xudp.raw), [s.get("name") for s in xudp.segments]))
        by_rule = [s for s in segs if s.get("aws", {}).get("xray", {}).get("sampling_rule_name") == RULE_NAME]
        check(by_rule, "A: a later segment was sampled by the daemon's rule %s" % RULE_NAME,
              repr([s.get("aws") for s in segs]))

        # CloudWatch Logs (moto), read after the app stopped
        events = log_events(moto_port, "cruddur")
        (work / "a-received.json").write_text(json.dumps({
            "log_events": events, "xray_segments": xudp.segments, "spans": spans,
            "xray_api": [[r[1], r[3].decode("utf-8", "replace")] for r in xapi.requests],
            "rollbar": [[r[1], r[2], r[3].decode("utf-8", "replace")] for r in rollbar.requests],
        }, indent=1, default=str))
        messages = [e["message"] for e in events]
        lines = [m for m in messages if "GET /api/activities/home 200 " in m and " trace_id=" in m]
        check(events, "A: %d log events reached group cruddur in moto" % len(events))
        check(len(lines) == 2, "A: each request line reached the group exactly once (2 GETs -> 2 events)",
              "%d: %r" % (len(lines), lines))
        errors = [m for m in messages if "Exception on /api/activities [POST]" in m]
        check(len(errors) == 1 and "KeyError" in errors[0],
              "A: the request error (app.logger, with the KeyError traceback) reached the group once",
              repr(messages)[:1500])

        # Rollbar
        def rb_items():
            return [r for r in rollbar.requests if r[1] == "/api/1/item/"]
        wait_for(lambda: rb_items(), 3)
        items = rb_items()
        check(items, "A: Rollbar item posted to /api/1/item/ (ROLLBAR_ENDPOINT without trailing /)",
              "requests: %r" % [r[1] for r in rollbar.requests])
        check(items and all(r[2].get("x-rollbar-access-token") == ROLLBAR_TOKEN for r in items),
              "A: Rollbar item carried X-Rollbar-Access-Token")
        check(any(b"KeyError" in r[3] for r in items), "A: Rollbar item names the exception class KeyError")
        if items:
            data = json.loads(items[0][3]).get("data", {})
            check(data.get("environment") == "development",
                  "A: Rollbar environment defaults to development", repr(data.get("environment")))
    finally:
        if app:
            app.kill()
        for s in (otlp, rollbar, xapi):
            s.shutdown()
            s.server_close()
        udp_sock.close()


def scenario_counts(args, work, moto_port, backend, label, control=False, rollbar_env="production"):
    py = venv_python(args.venv)
    otlp = Recorder((HOST, 0), OtlpHandler).start()
    rollbar = Recorder((HOST, 0), RollbarHandler).start()
    xport, xudp, xapi, udp_sock = xray_daemon()
    group = "cruddur-" + label
    app = None
    try:
        logs_call(moto_port, "CreateLogGroup", {"logGroupName": group})
        env = base_env(args.venv, work)
        env.update({
            "OTEL_SERVICE_NAME": "backend-flask",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://%s:%d" % (HOST, otlp.server_port),
            "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=" + HONEYCOMB_KEY,
            "AWS_XRAY_DAEMON_ADDRESS": "%s:%d" % (HOST, xport),
            "AWS_XRAY_URL": "*127.0.0.1*",
            "CLOUDWATCH_LOG_GROUP": group,
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://%s:%d" % (HOST, moto_port),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIAE2ETEST", "AWS_SECRET_ACCESS_KEY": "e2e-secret",
            "ROLLBAR_ACCESS_TOKEN": ROLLBAR_TOKEN,
            # with the final /: the hand code hands it to pyrollbar as is
            "ROLLBAR_ENDPOINT": "http://%s:%d/api/1/" % (HOST, rollbar.server_port),
        })
        app = App(label, args.venv, backend, env, work)
        if not check(app.wait_ready(), "%s: app started" % label, app.output()[-3000:]):
            return None
        gets = []
        for _ in range(2):
            gets.append(app.request("GET", "/api/activities/home")[0])
            time.sleep(1.1)  # one sampled request per second by the SDK's default rule
        post, _ = app.request("POST", "/api/activities", {})
        # pyrollbar posts from a thread: let it finish before the app stops
        wait_for(lambda: [r for r in rollbar.requests if r[1] == "/api/1/item/"], 5)
        time.sleep(0.5)
        app.terminate(20)
        out = app.output()
        home_segs = [s for s in xudp.segments
                     if "/api/activities/home" in s.get("http", {}).get("request", {}).get("url", "")]
        traces = [r[3] for r in otlp.requests if r[0] == "POST" and r[1] == "/v1/traces"]
        try:
            spans = decode_spans(py, traces, work)
        except Exception as e:
            spans = []
            info("decode failed: %s" % e)
        home_spans = [s for s in spans if s["attributes"].get("http.route") == "/api/activities/home"]
        messages = [e["message"] for e in log_events(moto_port, group)]
        lines = [m for m in messages if "GET /api/activities/home 200 " in m and " trace_id=" in m]
        wait_for(lambda: [r for r in rollbar.requests if r[1] == "/api/1/item/"], 3)
        items = [r for r in rollbar.requests if r[1] == "/api/1/item/"]
        envs = [json.loads(r[3]).get("data", {}).get("environment") for r in items]
        counts = {"gets": gets, "post": post, "segments": len(home_segs), "spans": len(home_spans),
                  "log_lines": len(lines), "rollbar_items": len(items), "rollbar_envs": envs,
                  "double_warnings": [l for l in out.splitlines()
                                      if "Overriding of current TracerProvider" in l
                                      or "cannot find the current segment" in l.lower()][:3]}
        info("%s: %s" % (label, json.dumps(counts)))
        if control:
            return counts
        check(gets == [200, 200] and post == 500, "%s: GET, GET -> 200, POST {} -> 500" % label, repr(counts))
        check(len(home_segs) == 2, "%s: exactly one X-Ray segment per request (2 for 2 GETs)" % label,
              repr(counts))
        check(len(home_spans) == 2, "%s: exactly one Flask span per request (2 for 2 GETs)" % label,
              repr(counts))
        check(len(lines) == 2, "%s: exactly one CloudWatch event per request line (2 for 2 GETs)" % label,
              repr(counts))
        check(len(items) == 1 and envs == [rollbar_env],
              "%s: exactly one Rollbar item for the error (environment %s)" % (label, rollbar_env),
              repr(counts))
        check(not counts["double_warnings"], "%s: no double-instrumentation warnings" % label,
              repr(counts["double_warnings"]))
        return counts
    finally:
        if app:
            app.kill()
        for s in (otlp, rollbar, xapi):
            s.shutdown()
            s.server_close()
        udp_sock.close()


def scenario_week6_refactor(args, work, moto_port):
    print("== F: the course's week-6 refactor (lib/), written by app write", flush=True)
    backend = pathlib.Path(args.week6_backend)
    written = backend / "app.py"
    if "init_observability(app, skip=" not in written.read_text():
        check(False, "F: app write left the hand-set parts out (skip=...)", written.read_text()[-800:])
        return
    scenario_counts(args, work, moto_port, backend, "F-written")
    # The control: the same code with nothing skipped instruments three parts twice.
    control = work / "week6-control"
    shutil.copytree(backend, control, ignore=shutil.ignore_patterns("__pycache__"))
    text = (control / "app.py").read_text()
    (control / "app.py").write_text(re.sub(r"init_observability\(app, skip=\([^)]*\)\)",
                                           "init_observability(app)", text))
    counts = scenario_counts(args, work, moto_port, control, "F-control", control=True)
    if counts is not None:
        check(counts["segments"] != 2 or counts["spans"] != 2 or counts["rollbar_envs"] != ["production"],
              "F-control: without skip the same backend is instrumented twice "
              "(segments %s, spans %s, Rollbar environments %s)"
              % (counts["segments"], counts["spans"], counts["rollbar_envs"]), repr(counts))


def scenario_week2_migrated(args, work, moto_port):
    print("== G: the week-2 app.py after app write --migrate", flush=True)
    backend = pathlib.Path(args.week2_migrated)
    text = (backend / "app.py").read_text()
    check("\n@app.before_first_request" not in text and "init_observability(app)" in text,
          "G: --migrate removed the hand setup and added init_observability(app)", text[-1500:])
    scenario_counts(args, work, moto_port, backend, "G-migrated", rollbar_env="development")


def verify_app(args, work, compose, app, env_extra, wait):
    """Runs `cruddur-obs verify --app` for `app` with `compose`; (exit code, stdout+stderr)."""
    env = {k: os.environ[k] for k in ("HOME", "LANG", "PATH", "TMPDIR") if k in os.environ}
    env.update({"NO_COLOR": "1", "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": str(work / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(work / "no-aws-credentials")})
    env.update(env_extra)
    t0 = time.monotonic()
    proc = subprocess.run(
        [args.cruddur_obs, "verify", "--app", app.url(""), "--file", str(compose),
         "--service", "backend-flask", "--wait", str(wait)],
        cwd=str(compose.parent), env=env, capture_output=True, text=True, timeout=remaining(90))
    out = proc.stdout + proc.stderr
    info("verify --app (exit %d, %.1f s):\n%s" % (proc.returncode, time.monotonic() - t0, out.rstrip()))
    return proc.returncode, out


def scenario_round_trip(args, work, moto_port):
    print("== H: verify --app follows one request through every backend", flush=True)
    honeycomb = Recorder((HOST, 0), HoneycombHandler)
    honeycomb.datasets = {"backend-flask": None}
    honeycomb.start()
    xport = None
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((HOST, 0))
        try:
            xapi = Recorder((HOST, udp.getsockname()[1]), XrayApiHandler).start()
        except OSError:
            udp.close()
            continue
        xport = udp.getsockname()[1]
        break
    forwarder = XrayForwarder(udp, args.xray_endpoint).start()
    compose_text = pathlib.Path(args.compose).read_text()
    apps = []
    try:
        try:
            logs_call(moto_port, "CreateLogGroup", {"logGroupName": "cruddur"})
        except urllib.error.HTTPError as e:  # A made it already
            check(e.code == 400, "H: log group cruddur exists", str(e))
        secrets = {"AWS_ACCESS_KEY_ID": "AKIAE2ETEST", "AWS_SECRET_ACCESS_KEY": "e2e-secret-key-0123456789",
                   "AWS_DEFAULT_REGION": "us-east-1", "HONEYCOMB_API_KEY": HONEYCOMB_KEY}
        app_env = dict(base_env(args.venv, work), **secrets)
        app_env.update({
            "OTEL_SERVICE_NAME": "backend-flask",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://%s:%d" % (HOST, honeycomb.server_port),
            "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=" + HONEYCOMB_KEY,
            "AWS_XRAY_DAEMON_ADDRESS": "%s:%d" % (HOST, xport),
            "CLOUDWATCH_LOG_GROUP": "cruddur",
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://%s:%d" % (HOST, moto_port),
        })
        verify_env = dict(secrets, **{
            "AWS_ENDPOINT_URL_XRAY": args.xray_endpoint,
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://%s:%d" % (HOST, moto_port),
            "HONEYCOMB_API_ENDPOINT": "http://%s:%d" % (HOST, honeycomb.server_port),
            "HONEYCOMB_CONFIG_KEY": HONEYCOMB_CONFIG_KEY,
        })
        compose = work / "round-trip" / "docker-compose.yml"
        compose.parent.mkdir()
        compose.write_text(compose_text)

        app = App("round-trip", args.venv, args.backend, app_env, work)
        apps.append(app)
        if not check(app.wait_ready(), "H: app started", app.output()[-3000:]):
            return
        code, out = verify_app(args, work, compose, app, verify_env, 30)
        check(code == 0, "H: verify --app exits 0 when the request reached every backend", out[-3000:])
        for part, seen in (("X-Ray", "the request's trace 1-"),
                           ("CloudWatch Logs", "the request's line arrived in cruddur: GET /api/activities/home 200 "),
                           ("Honeycomb", "dataset backend-flask written at ")):
            line = next((l for l in out.splitlines() if l.startswith("✓ %s: " % part)), "")
            check(seen in line, "H: %s line: %s" % (part, line.strip() or "-"), out[-3000:])
        m = re.search(r"\(trace ([0-9a-f]{32})\)", out)
        trace = m.group(1) if m else "?"
        check(m and ("1-%s-%s" % (trace[:8], trace[8:])) in out,
              "H: the X-Ray trace id is the request's id in X-Ray's form", out[-2000:])
        check(any(trace in l and "trace_id=" + trace in l for l in out.splitlines()),
              "H: the CloudWatch line carries the same trace id", out[-2000:])
        check(forwarded_ok(forwarder), "H: the daemon stand-in forwarded segments and X-Ray took them",
              repr(forwarder.forwarded[-3:]))
        for secret in (HONEYCOMB_KEY, HONEYCOMB_CONFIG_KEY, secrets["AWS_SECRET_ACCESS_KEY"]):
            check(secret not in out and secret[4:14] not in out, "H: no secret in verify's output", out)
        app.terminate(10)

        # Three mistakes at once, as compose and the app both have them.
        broken = compose_text.replace('AWS_XRAY_DAEMON_ADDRESS: "xray-daemon:2000"',
                                      'AWS_XRAY_DAEMON_ADDRESS: "xray-deamon:2000"')
        broken = broken.replace('OTEL_EXPORTER_OTLP_ENDPOINT: "https://api.honeycomb.io"',
                                'OTEL_EXPORTER_OTLP_ENDPOINT: "https://api.honeycomb.io/v1/traces"')
        broken = "\n".join(l for l in broken.splitlines() if "CLOUDWATCH_LOG_GROUP" not in l) + "\n"
        check(broken.count("xray-deamon") == 1 and "/v1/traces" in broken and "CLOUDWATCH_LOG_GROUP" not in broken,
              "H: the three mistakes were injected into the compose file")
        compose.write_text(broken)
        bad_env = dict(app_env)
        bad_env["AWS_XRAY_DAEMON_ADDRESS"] = "%s:%d" % (HOST, free_port())  # nothing listens
        bad_env["OTEL_EXPORTER_OTLP_ENDPOINT"] += "/v1/traces"
        del bad_env["CLOUDWATCH_LOG_GROUP"]
        app = App("round-trip-broken", args.venv, args.backend, bad_env, work)
        apps.append(app)
        if not check(app.wait_ready(), "H: broken app started", app.output()[-3000:]):
            return
        code, out = verify_app(args, work, compose, app, verify_env, 8)
        check(code == 1, "H: with the mistakes verify --app exits 1 (got %s)" % code, out[-3000:])
        for part, seen in (("X-Ray", "AWS_XRAY_DAEMON_ADDRESS is xray-deamon:2000, but"),
                           ("CloudWatch Logs", "has no CLOUDWATCH_LOG_GROUP"),
                           ("Honeycomb", "the exporter appends /v1/traces itself")):
            line = next((l for l in out.splitlines() if l.startswith("✗ %s: " % part)), "")
            check(seen in line, "H: broken %s line: %s" % (part, line.strip() or "-"), out[-3000:])
        posted = [r[1] for r in honeycomb.requests if r[0] == "POST"]
        check("/v1/traces/v1/traces" in posted,
              "H: the broken app did post to /v1/traces/v1/traces, as the line says", repr(posted))
        app.terminate(10)
    finally:
        for app in apps:
            app.kill()
        for server in (honeycomb, xapi):
            server.shutdown()
            server.server_close()
        udp.close()


def find_initdb():
    found = shutil.which("initdb")
    if found:
        return pathlib.Path(found).resolve().parent
    versions = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


class Postgres:
    """A throw-away cluster on 127.0.0.1 (trust auth), as the postgres user when root."""

    def __init__(self, work):
        self.bin, self.port = find_initdb(), free_port()
        # Outside the (private) work directory: the postgres user must reach it.
        self.base = pathlib.Path(tempfile.mkdtemp(prefix="cruddur-obs-pg-"))
        self.base.chmod(0o755)
        self.dir = self.base / "data"
        self.log = open(work / "postgres.log", "wb")
        self.proc = None

    def _as_owner(self, argv):
        if os.getuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def start(self):
        self.dir.mkdir(mode=0o700)
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(self._as_owner([str(self.bin / "initdb"), "-D", str(self.dir), "-U", "postgres",
                                       "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       stdout=self.log, stderr=subprocess.STDOUT, check=True, timeout=120)
        self.proc = subprocess.Popen(
            self._as_owner([str(self.bin / "postgres"), "-D", str(self.dir), "-p", str(self.port),
                            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + str(self.dir),
                            "-c", "fsync=off"]),
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

        def up():
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return True
            except OSError:
                return self.proc.poll() is not None
        return wait_for(up, 30, 0.2) and self.proc.poll() is None

    def url(self, db="postgres"):
        return "postgresql://postgres@%s:%d/%s" % (HOST, self.port, db)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()
        shutil.rmtree(self.base, ignore_errors=True)


SEED_SQL = r"""
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute("CREATE DATABASE cruddur")
with psycopg.connect(sys.argv[2], autocommit=True) as conn:
    conn.execute("CREATE TABLE activities (uuid text, handle text, message text, created_at timestamp default now())")
    conn.execute("INSERT INTO activities (uuid, handle, message) VALUES ('u-1', 'andrewbrown', 'Cloud is fun!')")
"""


def ddb_call(port, target, body):
    req = urllib.request.Request(
        "http://%s:%d/" % (HOST, port), data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": "DynamoDB_20120810." + target,
                 "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAE2ETEST/20260101/us-east-1/dynamodb/"
                                  "aws4_request, SignedHeaders=host, Signature=0"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def scenario_databases(args, work, moto_port):
    print("== I: a week-4 backend: SQL and DynamoDB calls in the request's trace", flush=True)
    backend = pathlib.Path(args.week4_backend)
    text = (backend / "app.py").read_text()
    lines = text.splitlines()
    ours = lines.index("from lib.observability import init_observability") \
        if "from lib.observability import init_observability" in lines else -1
    check(0 <= ours < lines.index("import os"),
          "I: app write put the import above the other imports", text[:800])
    if not ensure_venv(args.week4_venv, backend / "requirements.txt"):
        return
    py = venv_python(args.week4_venv)
    info("I: versions: " + installed_versions(py))
    if not check(find_initdb() is not None, "I: PostgreSQL's initdb found (Debian's postgresql)"):
        return
    pg = Postgres(work)
    otlp = Recorder((HOST, 0), OtlpHandler).start()
    xport, xudp, xapi, udp_sock = xray_daemon()
    app = None
    try:
        if not check(pg.start(), "I: PostgreSQL started on 127.0.0.1:%d" % pg.port,
                     (work / "postgres.log").read_text("utf-8", "replace")[-2000:]):
            return
        seeded = subprocess.run([str(py), "-c", SEED_SQL, pg.url(), pg.url("cruddur")],
                                capture_output=True, text=True, timeout=60)
        if not check(seeded.returncode == 0, "I: database cruddur seeded", seeded.stderr[-1500:]):
            return
        ddb_call(moto_port, "CreateTable", {
            "TableName": "cruddur-messages", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}]})
        ddb_call(moto_port, "PutItem", {"TableName": "cruddur-messages", "Item": {
            "pk": {"S": "GRP#user-andrewbrown"}, "sk": {"S": "2026-12-06T00:00:00"},
            "message_group_uuid": {"S": "g-1"}, "user_handle": {"S": "bayko"}}})
        try:
            logs_call(moto_port, "CreateLogGroup", {"logGroupName": "cruddur-week4"})
        except urllib.error.HTTPError:
            pass
        env = base_env(args.week4_venv, work)
        env.update({
            "OTEL_SERVICE_NAME": "backend-flask",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://%s:%d" % (HOST, otlp.server_port),
            "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=" + HONEYCOMB_KEY,
            "AWS_XRAY_DAEMON_ADDRESS": "%s:%d" % (HOST, xport),
            "CLOUDWATCH_LOG_GROUP": "cruddur-week4",
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://%s:%d" % (HOST, moto_port),
            "AWS_ENDPOINT_URL_DYNAMODB": "http://%s:%d" % (HOST, moto_port),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIAE2ETEST", "AWS_SECRET_ACCESS_KEY": "e2e-secret",
            "CONNECTION_URL": pg.url("cruddur"),
        })
        app = App("week4", args.week4_venv, backend, env, work)
        if not check(app.wait_ready(), "I: app started", app.output()[-3000:]):
            return
        answers = {}
        for route in ("/api/activities/home", "/api/message_groups"):
            trace = "%08x%s" % (int(time.time()), os.urandom(12).hex())
            req = urllib.request.Request(app.url(route), headers={
                "traceparent": "00-%s-%s-01" % (trace, os.urandom(8).hex()),
                "X-Amzn-Trace-Id": "Root=1-%s-%s;Sampled=1" % (trace[:8], trace[8:])})
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=15) as r:
                    answers[route] = (r.status, r.read().decode(), trace)
            except urllib.error.HTTPError as e:
                answers[route] = (e.code, e.read().decode(), trace)
            except OSError as e:
                answers[route] = (None, str(e), trace)
        home, groups = answers["/api/activities/home"], answers["/api/message_groups"]
        check(home[0] == 200 and "Cloud is fun!" in home[1],
              "I: GET /api/activities/home -> 200 with the row from PostgreSQL", repr(home)[:1500])
        check(groups[0] == 200 and "g-1" in groups[1],
              "I: GET /api/message_groups -> 200 with the item from DynamoDB", repr(groups)[:1500])
        time.sleep(1.0)
        app.terminate(20)
        out = app.output()
        spans = decode_spans(py, [r[3] for r in otlp.requests if r[0] == "POST" and r[1] == "/v1/traces"], work)

        def children(trace_hex, pred):
            ids = {s["id"] for s in spans if s["trace"] and base64_hex(s["trace"]) == trace_hex}
            return [s for s in spans if s["trace"] and base64_hex(s["trace"]) == trace_hex
                    and s["parent"] in ids and pred(s)]
        sql = children(home[2], lambda s: s["attributes"].get("db.system") == "postgresql"
                       or s["attributes"].get("db.system.name") == "postgresql")
        check(sql, "I: the SQL query is a child span in the request's trace (%s)"
              % (sql[0]["name"] if sql else "-"), json.dumps(spans)[:2500])
        ddb = children(groups[2], lambda s: s["attributes"].get("rpc.service") == "DynamoDB")
        check(ddb, "I: the DynamoDB call is a child span in the request's trace (%s)"
              % (ddb[0]["name"] if ddb else "-"), json.dumps(spans)[:2500])
        lines = [e["message"] for e in log_events(moto_port, "cruddur-week4")
                 if "trace_id=" + home[2] in e["message"]]
        check(len(lines) == 1, "I: watchtower still ships the request line (untraced client): %s"
              % (lines[0] if lines else "-"), repr(lines))
        logs_spans = [s for s in spans if s["attributes"].get("rpc.method") == "PutLogEvents"]
        check(not logs_spans, "I: watchtower's PutLogEvents made no span", json.dumps(logs_spans)[:1000])

        def subsegments(trace_hex):
            root = "1-%s-%s" % (trace_hex[:8], trace_hex[8:])
            found = []
            for seg in xudp.segments:
                if seg.get("trace_id") != root:
                    continue
                stack = list(seg.get("subsegments", []))
                while stack:
                    sub = stack.pop()
                    found.append(sub)
                    stack.extend(sub.get("subsegments", []))
            return found
        sql_subs = [s for s in subsegments(home[2]) if "sql" in s]
        check(sql_subs, "I: the SQL query is a subsegment of the request's X-Ray segment (%s)"
              % (sql_subs[0].get("name") if sql_subs else "-"),
              json.dumps(xudp.segments)[:2500])
        aws_subs = [s for s in subsegments(groups[2]) if s.get("namespace") == "aws"
                    and s.get("aws", {}).get("operation") == "Query"]
        check(aws_subs, "I: the DynamoDB Query is a subsegment of the request's X-Ray segment",
              json.dumps(xudp.segments)[:2500])
        bad = [l for l in out.splitlines() if "cannot find the current segment" in l.lower()
               or "Traceback" in l or "cruddur-obs:" in l]
        check(not bad, "I: no missing-segment errors, tracebacks or warnings in the app's output",
              " | ".join(bad[:5]) + "\n" + out[-2000:])
    finally:
        if app:
            app.kill()
        otlp.shutdown()
        otlp.server_close()
        xapi.shutdown()
        xapi.server_close()
        udp_sock.close()
        pg.stop()


def base64_hex(value):
    """OTLP JSON ids are base64 (MessageToDict of bytes)."""
    import base64
    try:
        return base64.b64decode(value).hex()
    except ValueError:
        return value


def forwarded_ok(forwarder):
    return forwarder.forwarded and all(
        status == 200 and not body.get("UnprocessedTraceSegments")
        for status, body in forwarder.forwarded if isinstance(body, dict))


def scenario_nothing_set(args, work):
    print("== B: no observability settings", flush=True)
    app = App("none", args.venv, args.backend, base_env(args.venv, work), work)
    try:
        if not check(app.wait_ready(), "B: app started with no settings", app.output()[-3000:]):
            return
        status, _ = app.request("GET", "/api/activities/home")
        check(status == 200, "B: GET /api/activities/home -> 200", "got %s" % status)
        app.terminate(10)
        out = app.output()
        check("Traceback" not in out, "B: no traceback in the app's output", out[-2000:])
        check("cruddur-obs:" not in out, "B: no cruddur-obs warning when nothing is configured", out[-2000:])
    finally:
        app.kill()


def scenario_broken_setting(args, work):
    print("== C: CLOUDWATCH_LOG_GROUP set, no region/credentials", flush=True)
    env = base_env(args.venv, work)
    env["CLOUDWATCH_LOG_GROUP"] = "cruddur"
    app = App("broken", args.venv, args.backend, env, work)
    try:
        if not check(app.wait_ready(), "C: app started despite the broken setting", app.output()[-3000:]):
            return
        status, _ = app.request("GET", "/api/activities/home")
        check(status == 200, "C: GET /api/activities/home -> 200", "got %s" % status)
        app.terminate(10)
        out = app.output()
        warnings = [l for l in out.splitlines() if "cruddur-obs:" in l]
        check(len(warnings) == 1 and "cloudwatch-logs" in warnings[0],
              "C: exactly one warning: %s" % (warnings[0] if warnings else "-"), repr(warnings))
        check("Traceback" not in out, "C: no traceback", out[-2000:])
    finally:
        app.kill()


def scenario_week2_fixture(args, work, moto_port):
    print("== D: fixture: a week-2-style app.py on today's Flask", flush=True)
    fixture = pathlib.Path(args.week2_fixture)
    if not fixture.exists():
        info("skip: fixture %s not found" % fixture)
        return
    copy = work / "week2-backend"
    shutil.copytree(args.backend, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(fixture, copy / "app.py")
    env = base_env(args.venv, work)
    env.update({"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://%s:%d" % (HOST, moto_port),
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "AKIAE2ETEST", "AWS_SECRET_ACCESS_KEY": "e2e-secret"})
    app = App("week2", args.venv, copy, env, work)
    try:
        wait_for(lambda: app.proc.poll() is not None, 30)
        out = app.output()
        last = [l for l in out.splitlines() if "before_first_request" in l]
        check(app.proc.poll() not in (None, 0) and last,
              "D: week-2 app.py fails to start on this Flask: %s" % (last[-1].strip() if last else "?"),
              "exit %s: %s" % (app.proc.poll(), out[-2000:]))
    finally:
        app.kill()


def scenario_unit_tests(args, work):
    print("== E: in-process checks of lib/observability.py (tests/test_observability.py)", flush=True)
    tests = pathlib.Path(args.unit_tests)
    if not (tests / "test_observability.py").exists():
        info("skip: %s/test_observability.py not found" % tests)
        return
    env = dict(base_env(args.venv, work), CRUDDUR_OBS_BACKEND=str(args.backend))
    try:
        proc = subprocess.run([str(venv_python(args.venv)), "-m", "unittest", "discover", "-v",
                               "-s", str(tests), "-p", "test_observability.py"],
                              cwd=str(work), env=env, capture_output=True, text=True,
                              timeout=remaining(90))
    except subprocess.TimeoutExpired:
        check(False, "E: unit checks finished in time")
        return
    seen = 0
    for m in re.finditer(r"^(test_\w+) \(.*?\) \.\.\. (ok|FAIL|ERROR|skipped.*)$", proc.stderr, re.M):
        seen += 1
        check(m.group(2) == "ok", "E: " + m.group(1), m.group(2))
    check(proc.returncode == 0 and seen > 0, "E: unit checks passed (%d)" % seen, proc.stderr[-3000:])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", required=True, type=pathlib.Path)
    p.add_argument("--venv", required=True, type=pathlib.Path)
    p.add_argument("--moto-server", required=True)
    p.add_argument("--week2-fixture", default=str(HERE / "fixtures" / "week2-app.py"))
    p.add_argument("--unit-tests", default=str(HERE / "tests"),
                   help="directory holding test_observability.py (skipped if absent)")
    p.add_argument("--week6-backend", default=None,
                   help="a week-6-shaped backend already written by app write (scenario F)")
    p.add_argument("--week2-migrated", default=None,
                   help="the week-2 app.py after app write --migrate, in a backend (scenario G)")
    p.add_argument("--week4-backend", default=None,
                   help="a week-4-shaped backend (psycopg_pool, boto3) written by app write (scenario I)")
    p.add_argument("--week4-venv", default=None, type=pathlib.Path,
                   help="the venv for --week4-backend's requirements")
    p.add_argument("--cruddur-obs", default=None, help="the cruddur-obs binary (scenario H)")
    p.add_argument("--xray-endpoint", default=None, help="the X-Ray emulator's URL (scenario H)")
    p.add_argument("--compose", default=None,
                   help="the compose file cruddur-obs wrote for the backend (scenario H)")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, raw bodies)")
    args = p.parse_args()
    args.backend = args.backend.resolve()
    args.venv = args.venv.resolve()
    if args.week4_venv:
        args.week4_venv = args.week4_venv.resolve()
    if args.cruddur_obs:
        args.cruddur_obs = str(pathlib.Path(args.cruddur_obs).resolve())

    if not ensure_venv(args.venv, args.backend / "requirements.txt"):
        print("%d passed, %d failed" % (_results.count(True), _results.count(False)))
        return 1
    info("versions: " + installed_versions(venv_python(args.venv)))
    _deadline[0] = time.monotonic() + RUN_BUDGET
    t0 = time.monotonic()
    work = pathlib.Path(tempfile.mkdtemp(prefix="cruddur-obs-e2e-"))
    moto = None
    moto_log = open(work / "moto.log", "wb")
    try:
        moto_port = free_port()
        moto = subprocess.Popen([args.moto_server, "-H", HOST, "-p", str(moto_port)],
                                stdout=moto_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=dict(base_env(args.venv, work), PATH=os.environ.get("PATH", "")),
                                start_new_session=True)

        def moto_up():
            try:
                urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    "http://%s:%d/moto-api/" % (HOST, moto_port), timeout=1).close()
                return True
            except (OSError, urllib.error.HTTPError):
                return moto.poll() is not None
        if check(wait_for(moto_up, 20, 0.2) and moto.poll() is None, "moto_server is up"):
            scenario_all_on(args, work, moto_port)
        scenario_nothing_set(args, work)
        scenario_broken_setting(args, work)
        if moto.poll() is None:
            scenario_week2_fixture(args, work, moto_port)
        if moto.poll() is None and args.week6_backend:
            scenario_week6_refactor(args, work, moto_port)
        if moto.poll() is None and args.week2_migrated:
            scenario_week2_migrated(args, work, moto_port)
        if moto.poll() is None and args.cruddur_obs and args.xray_endpoint and args.compose:
            scenario_round_trip(args, work, moto_port)
        if moto.poll() is None and args.week4_backend and args.week4_venv:
            scenario_databases(args, work, moto_port)
        scenario_unit_tests(args, work)
    except Exception as e:  # a harness bug is a failure, not a crash
        check(False, "harness error", "%s: %s" % (type(e).__name__, e))
    finally:
        if moto and moto.poll() is None:
            try:
                os.killpg(moto.pid, signal.SIGKILL)
            except OSError:
                pass
            moto.wait(5)
        moto_log.close()
        if args.keep:
            info("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    info("run took %.1f s" % (time.monotonic() - t0))
    passed, failed = _results.count(True), _results.count(False)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
