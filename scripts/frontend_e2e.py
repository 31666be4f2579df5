#!/usr/bin/env python3
"""Frontend tracing end to end, in a real headless Chromium (issue 28): one trace
from the browser to Flask, the Honeycomb key never in the browser.

    python frontend_e2e.py --frontend DIR --backend DIR --cors CORS_JSON --venv VENV \
        --cache DIR --chromium PATH [--npm npm] [--keep]

Stdlib only (plus node/npm for the build). DIR are copies already written by
`cruddur-obs frontend write --yes` and `app write --yes`; CORS_JSON is the
`receivers.otlp.protocols.http.cors` section of the collector config cruddur-obs
wrote (otel-collector-config.yaml), as JSON. Then, all on the loopback:

  1. build: `npm install` in CACHE/app (skipped while CACHE/app's stamp equals
     package.json's hash) and `npm run build` (react-scripts, CI=false) with
     REACT_APP_BACKEND_URL and REACT_APP_OTEL_COLLECTOR_URL set to the local URLs and
     HONEYCOMB_API_KEY set as in a developer's shell (skipped while the build's stamp
     equals the hash of its inputs). The bundle must hold the tracing module and
     neither the key nor `x-honeycomb-team`.
  2. A stand-in for the collector's OTLP/HTTP receiver that answers CORS as the
     collector does (rs/cors under confighttp) with the config's allowed_origins
     and allowed_headers: the browser enforces them. The frontend is served
     (python http.server) on the config's `http://localhost:PORT` origin, since
     that is the origin the collector and the backend allow.
  3. The backend (flask run, in VENV, FRONTEND_URL = that origin) with its
     OpenTelemetry exporter to the same receiver.
  4. Chromium (--headless=new, driven over --remote-debugging-pipe) opens the page:
     the home feed shows what the backend serves, no console error, no CORS
     failure; the receiver gets the browser's documentLoad and fetch spans
     (service.name frontend-react-js) and Flask's span (backend-flask) in the
     fetch span's trace, the fetch span its parent. The page is left as soon as the
     feed has shown for a second (before the 5 s batch export): its spans are sent
     on leaving.
  5. Control: the same build against the backend with its original
     `allow_headers="content-type,if-modified-since"` (the edit of frontend write
     left out): the preflight is refused, the GET never reaches Flask, no feed.
     When the page sends its own `Authorization` header (the Cognito weeks) and the
     written list holds it, the same again with the list without it.
  6. Control: the receiver without the config's cors section: the feed shows, but
     Chromium refuses to post the spans and none arrive.

Prints `ok: ...` / `FAIL: ...` per assertion and `N passed, M failed`; exit 0 only if
nothing failed.
"""
import argparse
import base64
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

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "app_e2e"))
import app_e2e as e2e  # noqa: E402  (the venv, the app runner, check(), decode_spans())

HOST = e2e.HOST
check, info = e2e.check, e2e.info
# Set in the build's environment as a developer's shell has it: it must not reach
# the bundle. (Not a real key; the pattern of an ingest key, so a leak is findable.)
HONEYCOMB_KEY = "hcaik_01e2ebrowsere2ebrowsere2ebrowsere2ebrowsere2ebrowsere2eb7q2"
RUN_BUDGET = 240  # seconds for everything after the install and the build
FEED_TIMEOUT = 25
LEAVE_AFTER = 1.0  # seconds between the feed showing and the visitor leaving
ORIGINAL_ALLOW_HEADERS = 'allow_headers="content-type,if-modified-since"'


# --- the build ----------------------------------------------------------------

def tree_digest(root, parts, extra):
    h = hashlib.sha256()
    for part in parts:
        base = root / part
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for p in files:
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(json.dumps(extra, sort_keys=True).encode())
    return h.hexdigest()


def build_frontend(args, env_vars):
    """CACHE/app holds node_modules; the frontend's package.json, src/ and public/
    are copied in. Returns CACHE/app/build or None."""
    app = args.cache / "app"
    app.mkdir(parents=True, exist_ok=True)
    package = (args.frontend / "package.json").read_bytes()
    (app / "package.json").write_bytes(package)
    stamp = app / ".npm-install.stamp"
    digest = hashlib.sha256(package).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == digest and (app / "node_modules").is_dir():
        info("npm install skipped (stamp matches package.json)")
    else:
        t0 = time.monotonic()
        stamp.unlink(missing_ok=True)
        (app / "package-lock.json").unlink(missing_ok=True)
        proc = subprocess.run([args.npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=str(app), capture_output=True, text=True, timeout=900)
        if not check(proc.returncode == 0, "npm install (package.json as frontend write left it)",
                     (proc.stderr or proc.stdout)[-3000:]):
            return None
        stamp.write_text(digest + "\n")
        info("npm install took %.1f s" % (time.monotonic() - t0))
    for part in ("src", "public"):
        shutil.rmtree(app / part, ignore_errors=True)
        shutil.copytree(args.frontend / part, app / part)

    env = {k: v for k, v in os.environ.items() if not k.startswith("REACT_APP_")}
    env.update(env_vars)
    # CI=true turns lint warnings into errors; sourcemaps are not needed here.
    env.update({"CI": "false", "GENERATE_SOURCEMAP": "false", "BROWSER": "none",
                "HONEYCOMB_API_KEY": HONEYCOMB_KEY})
    build_stamp = app / ".build.stamp"
    digest = tree_digest(app, ["package.json", "src", "public"], env_vars)
    build = app / "build"
    if build_stamp.exists() and build_stamp.read_text().strip() == digest and (build / "index.html").exists():
        info("npm run build skipped (stamp matches its inputs)")
    else:
        build_stamp.unlink(missing_ok=True)
        t0 = time.monotonic()
        proc = subprocess.run([args.npm, "run", "build"], cwd=str(app), env=env,
                              capture_output=True, text=True, timeout=900)
        if not check(proc.returncode == 0, "npm run build (react-scripts, CI=false)",
                     (proc.stdout + proc.stderr)[-3000:]):
            return None
        build_stamp.write_text(digest + "\n")
        info("npm run build took %.1f s" % (time.monotonic() - t0))
    return build


def check_bundle(build):
    js = sorted((build / "static" / "js").glob("*.js"))
    text = "\n".join(p.read_text("utf-8", "replace") for p in js)
    check(js and "frontend-react-js" in text and "/v1/traces" in text,
          "bundle: build/static/js holds the tracing module (service frontend-react-js, /v1/traces)",
          "%d files" % len(js))
    check(HONEYCOMB_KEY not in text and HONEYCOMB_KEY[:16] not in text,
          "bundle: the Honeycomb key of the build's environment is not in build/static/js/*.js")
    check("x-honeycomb-team" not in text.lower(), "bundle: no x-honeycomb-team header in build/static/js/*.js")
    keys = re.findall(r"hcaik_[0-9a-z]{20,}", text)
    check(not keys, "bundle: no Honeycomb ingest key (hcaik_...) in build/static/js/*.js",
          "%d found" % len(keys))


# --- the collector's receiver, with its CORS ----------------------------------

class Cors:
    """CORS as the collector answers it: confighttp wraps the receiver in rs/cors
    with AllowedOrigins and AllowedHeaders from the config, AllowCredentials true and
    the methods GET HEAD POST PUT PATCH DELETE OPTIONS. An origin may hold one `*`.
    rs/cors always allows `Origin` besides the listed headers; a preflight it refuses
    is answered 204 without CORS headers; an actual request from an origin it refuses
    is still served, without CORS headers (the browser then withholds the answer)."""

    METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

    def __init__(self, section):
        self.origins = [o.lower() for o in section.get("allowed_origins") or []]
        headers = [h.lower() for h in section.get("allowed_headers") or []]
        self.all_headers = "*" in headers
        self.headers = set(headers) | {"origin"}
        self.max_age = section.get("max_age")

    def origin_allowed(self, origin):
        origin = origin.lower()
        for pat in self.origins:
            if pat == "*" or pat == origin:
                return True
            if "*" in pat:
                pre, _, suf = pat.partition("*")
                if len(origin) >= len(pre) + len(suf) and origin.startswith(pre) and origin.endswith(suf):
                    return True
        return False

    def headers_allowed(self, requested):
        names = [h.strip().lower() for h in requested.split(",") if h.strip()]
        return self.all_headers or all(h in self.headers for h in names)


class CollectorHandler(e2e._Handler):
    def _cors(self, preflight):
        origin = self.headers.get("Origin")
        cors = self.server.cors
        if not origin or not cors.origin_allowed(origin):
            return origin, False
        if preflight:
            method = (self.headers.get("Access-Control-Request-Method") or "").upper()
            requested = self.headers.get("Access-Control-Request-Headers") or ""
            if method not in cors.METHODS or not cors.headers_allowed(requested):
                return origin, False
            self.send_header("Access-Control-Allow-Methods", method)
            if requested:
                self.send_header("Access-Control-Allow-Headers", requested)
            if cors.max_age:
                self.send_header("Access-Control-Max-Age", str(cors.max_age))
        self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Access-Control-Allow-Credentials", "true")
        return origin, True

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        origin, allowed = self._cors(True)
        with self.server.lock:
            self.server.preflights.append(
                (origin, self.headers.get("Access-Control-Request-Headers") or "", allowed))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        self._body()
        self.send_response(200 if self.path == "/v1/traces" else 404)
        self.send_header("Vary", "Origin")
        self._cors(False)
        ctype = self.headers.get("Content-Type", "")
        answer = b"{}" if "json" in ctype else b""
        self.send_header("Content-Type", "application/json" if "json" in ctype else "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def collector(cors, port):
    server = e2e.Recorder((HOST, port), CollectorHandler)
    server.cors, server.preflights = cors, []
    return server.start()


def json_spans(body):
    """Spans of an OTLP/JSON export (the browser's), trace and span ids as hex."""
    spans = []
    for rs in json.loads(body).get("resourceSpans", []):
        res = {a["key"]: next(iter(a["value"].values()), None)
               for a in rs.get("resource", {}).get("attributes", [])}
        for ss in rs.get("scopeSpans", []):
            for sp in ss.get("spans", []):
                attrs = {a["key"]: next(iter(a["value"].values()), None) for a in sp.get("attributes", [])}
                spans.append({"name": sp.get("name"), "resource": res, "attributes": attrs,
                              "trace": sp.get("traceId"), "id": sp.get("spanId"),
                              "parent": sp.get("parentSpanId") or None})
    return spans


def b64_hex(value):
    return base64.b64decode(value).hex() if value else None


def received_spans(server, py, work):
    """(browser spans, backend spans) posted so far: JSON from the browser,
    protobuf from the Python SDK."""
    with server.lock:
        posts = [r for r in server.requests if r[0] == "POST" and r[1] == "/v1/traces"]
    browser, proto = [], []
    for _, _, headers, body in posts:
        if "json" in headers.get("content-type", ""):
            browser += json_spans(body)
        else:
            proto.append(body)
    backend = e2e.decode_spans(py, proto, work) if proto else []
    for s in backend:
        s["trace"], s["id"], s["parent"] = b64_hex(s["trace"]), b64_hex(s["id"]), b64_hex(s["parent"])
    return browser, backend


# --- the frontend's server ----------------------------------------------------

class Static(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve_build(build, port):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(build), **kw)

        def log_message(self, *a):
            pass
    end = time.monotonic() + 20
    while True:
        try:
            server = Static((HOST, port), Handler)
            break
        except OSError as e:
            if time.monotonic() > end:
                raise RuntimeError("port %d (the collector's allowed origin) stays busy: %s" % (port, e))
            time.sleep(0.5)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def port_or_free(preferred):
    try:
        with socket.socket() as s:
            s.bind((HOST, preferred))
        return preferred
    except OSError:
        return e2e.free_port()


# --- the backend --------------------------------------------------------------

class Backend(e2e.App):
    """app_e2e's App on a given port, its flask-cors allowing the frontend's origin."""

    def __init__(self, name, venv, cwd, env, work, port, origin):
        self.name, self.port = name, port
        self.log = work / ("backend-%s.log" % name)
        env = dict(env, FRONTEND_URL=origin, BACKEND_URL="http://%s:%d" % (HOST, port))
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [str(e2e.venv_python(venv)), "-m", "flask", "--app", "app", "run",
             "--host", HOST, "--port", str(port)],
            cwd=str(cwd), env=env, stdout=self._out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)


# --- Chromium over the DevTools pipe ------------------------------------------

class Chromium:
    """Headless Chromium driven over --remote-debugging-pipe (JSON messages ending
    in NUL on fds 3 and 4): no websocket needed. Every event is kept."""

    def __init__(self, path, work, name):
        self.profile = pathlib.Path(tempfile.mkdtemp(prefix="chromium-", dir=str(work)))
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        self.log = work / ("chromium-%s.log" % name)
        self._err = open(self.log, "wb")
        flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                 "--user-data-dir=" + str(self.profile), "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-proxy-server", "--mute-audio", "about:blank"]
        # fds 3 and 4 in the child: a shell puts the pipe's ends there.
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$0" "$@" 3<&%d 4>&%d' % (to_child_r, from_child_w), path, *flags],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
            stdout=self._err, stderr=subprocess.STDOUT, start_new_session=True)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next, self._replies, self.events = 0, {}, []
        self._cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cv:
                    self._replies[None] = "closed"
                    self._cv.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cv:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cv.notify_all()

    def send(self, method, params=None, session=None, timeout=15):
        with self._cv:
            self._next += 1
            mid = self._next
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        with self._cv:
            self._cv.wait_for(lambda: mid in self._replies or None in self._replies, e2e.remaining(timeout))
            reply = self._replies.pop(mid, None)
        if reply is None:
            raise RuntimeError("Chromium did not answer %s (see %s)" % (method, self.log))
        if "error" in reply:
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply.get("result", {})

    def open(self, url):
        """A new tab with the console, log and network domains on; returns its session."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(domain + ".enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        return session

    def evaluate(self, session, expression):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
        return res.get("result", {}).get("value")

    def problems(self):
        """Console errors, uncaught exceptions, log errors and failed requests (with
        their CORS error, when that is why)."""
        out = []
        with self._cv:
            events = list(self.events)
        for ev in events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.error: " + " ".join(str(a.get("value", a.get("description")))
                                                        for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                if e.get("url", "").endswith("/favicon.ico"):
                    continue  # asked for by the browser itself; the sample app has none
                out.append("log (%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))
            elif m == "Network.loadingFailed" and not p.get("canceled"):
                out.append("request failed: %s %s" % (p.get("errorText"), p.get("corsErrorStatus") or ""))
        return out

    def cors_failures(self, url_prefix):
        with self._cv:
            events = list(self.events)
        urls = {ev["params"]["requestId"]: ev["params"]["request"]["url"]
                for ev in events if ev.get("method") == "Network.requestWillBeSent"}
        return [(urls.get(ev["params"]["requestId"], "?"), ev["params"]["corsErrorStatus"])
                for ev in events if ev.get("method") == "Network.loadingFailed"
                and ev["params"].get("corsErrorStatus")
                and urls.get(ev["params"]["requestId"], "").startswith(url_prefix)]

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait(5)
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._err.close()
        shutil.rmtree(self.profile, ignore_errors=True)


FEED_JS = """JSON.stringify({
  items: Array.from(document.querySelectorAll('#activities li')).map(li => li.textContent),
  error: (document.querySelector('.error') || {}).textContent || null,
  heading: (document.querySelector('h1') || {}).textContent || null})"""


def span_url(span):
    """The URL a fetch span names (url.full in the current semantic conventions,
    http.url before)."""
    return span["attributes"].get("url.full") or span["attributes"].get("http.url") or ""


def page_state(browser, session):
    try:
        return json.loads(browser.evaluate(session, FEED_JS) or "{}")
    except (RuntimeError, ValueError):
        return {}


def load_page(args, work, name, url):
    """Opens url in a fresh Chromium; returns (browser, state once the feed or an
    error shows, or at the timeout)."""
    browser = Chromium(args.chromium, work, name)
    browser.opened = time.monotonic()
    session = browser.session = browser.open(url)
    state = {}

    def settled():
        state.update(page_state(browser, session))
        return bool(state.get("items") or state.get("error"))
    e2e.wait_for(settled, FEED_TIMEOUT, 0.25)
    return browser, state


# --- the scenarios ------------------------------------------------------------

def expected_feed(backend):
    status, body = backend.request("GET", "/api/activities/home")
    if status != 200:
        return None
    return [a["handle"] + " " + a["message"] for a in json.loads(body)]


def scenario_traced(args, work, ports, origin, server, py):
    print("== 1: the page in Chromium, traced to Flask", flush=True)
    env = e2e.base_env(args.venv, work)
    env.update({"OTEL_SERVICE_NAME": "backend-flask",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://%s:%d" % (HOST, ports["collector"])})
    backend = Backend("traced", args.venv, args.backend, env, work, ports["backend"], origin)
    browser = None
    try:
        if not check(backend.wait_ready(), "backend started (flask run)", backend.output()[-3000:]):
            return
        want = expected_feed(backend)
        check(want, "the backend serves the home feed (%d activities)" % len(want or []))
        browser, state = load_page(args, work, "traced", origin + "/")
        check(want and state.get("items") == want and not state.get("error"),
              "page: the home feed shows the %d activities the backend serves" % len(want or []),
              "page shows %r" % state)
        # The BatchSpanProcessor exports 5 s after its first span, or when the page is
        # hidden or left: the visitor leaves 1 s after the feed shows. (The fetch span
        # ends 300 ms after the answer, when instrumentation-fetch has the resource
        # timing: a page left sooner loses it.)
        time.sleep(LEAVE_AFTER)
        def browser_posts():
            with server.lock:
                return [r for r in server.requests if r[0] == "POST" and "json" in r[2].get("content-type", "")]
        before = len(browser_posts())
        shown_after = time.monotonic() - browser.opened
        browser.send("Page.navigate", {"url": "about:blank"}, session=browser.session)
        seen = {}

        def browser_spans():
            seen["b"], seen["f"] = received_spans(server, py, work)
            names = {s["name"] for s in seen["b"]}
            return "documentLoad" in names and any(span_url(s).startswith(args.backend_url)
                                                 for s in seen["b"])
        e2e.wait_for(browser_spans, 15, 0.5)
        if before == 0:
            check(browser_posts(), "page: left %.1f s after it opened, before the 5 s export: its spans "
                  "were sent on leaving" % shown_after)
        else:
            info("the spans were exported before the page was left (%.1f s): leaving not checked"
                 % shown_after)
        problems = browser.problems()
        check(not problems, "page: no console error, exception or failed request (CORS included)",
              " | ".join(problems)[:3000])
        browser.close()
        browser = None
        code, took = backend.terminate(20)  # flushes the backend's spans
        check(code is not None, "backend exited after SIGTERM (%.1f s)" % took)
        spans, flask_spans = received_spans(server, py, work)
        (work / "traced-spans.json").write_text(json.dumps({"browser": spans, "backend": flask_spans}, indent=1))
        front = [s for s in spans if s["resource"].get("service.name") == "frontend-react-js"]
        check(front and len(front) == len(spans),
              "collector: the browser's spans arrived, service.name frontend-react-js (%d spans)" % len(front),
              json.dumps(spans)[:1500])
        loads = [s for s in front if s["name"] == "documentLoad"]
        check(loads, "collector: a documentLoad span from the browser",
              repr(sorted({s["name"] for s in front})))
        fetches = [s for s in front if span_url(s) == args.backend_url + "/api/activities/home"]
        check(len(fetches) == 1, "collector: one fetch span for GET %s/api/activities/home" % args.backend_url,
              json.dumps(front)[:1500])
        home = [s for s in flask_spans if s["attributes"].get("http.route") == "/api/activities/home"]
        check(home and all(s["resource"].get("service.name") == "backend-flask" for s in home),
              "collector: Flask's span for /api/activities/home, service.name backend-flask",
              json.dumps(flask_spans)[:1500])
        if fetches and home:
            fetch = fetches[0]
            check(any(s["trace"] == fetch["trace"] for s in home),
                  "trace: Flask's span has the browser fetch span's trace id %s" % fetch["trace"],
                  "fetch %s, flask %r" % (fetch["trace"], [s["trace"] for s in home]))
            check(any(s["parent"] == fetch["id"] for s in home),
                  "trace: Flask's span is the child of the browser's fetch span",
                  "fetch span %s, flask parents %r" % (fetch["id"], [s["parent"] for s in home]))
        granted = [p for p in server.preflights if p[2]]
        check(granted and all(p[0] == origin for p in granted),
              "collector: its CORS (from the written config) let the page's origin %s post" % origin,
              repr(server.preflights))
        out = backend.output()
        check("GET /api/activities/home" in out and "OPTIONS /api/activities/home" in out,
              "backend: the browser's preflight and GET reached Flask")
    finally:
        if browser:
            browser.close()
        backend.kill()


def restore_course_string(app_py):
    """The edit of frontend write left out: the course's allow_headers string."""
    restored = re.sub(r"allow_headers=\[[^\]]*\"traceparent\"[^\]]*\]", ORIGINAL_ALLOW_HEADERS, app_py)
    return restored if ORIGINAL_ALLOW_HEADERS in restored else app_py


def drop_authorization(app_py):
    """The list as it would be with the trace headers only: without the
    `authorization` the page itself sends (the Cognito weeks' home page)."""
    return app_py.replace(', "authorization"]', "]")


def scenario_control(args, work, ports, origin, server, py, name, what, rewrite):
    print("== %s: control: %s" % (name, what), flush=True)
    control = work / ("backend-control-" + name)
    shutil.copytree(args.backend, control, ignore=shutil.ignore_patterns("__pycache__"))
    app_py = (control / "app.py").read_text()
    restored = rewrite(app_py)
    if not check(restored != app_py, "control: app.py with %s" % what):
        return
    (control / "app.py").write_text(restored)
    with server.lock:
        server.requests.clear()
    env = e2e.base_env(args.venv, work)
    env.update({"OTEL_SERVICE_NAME": "backend-flask",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://%s:%d" % (HOST, ports["collector"])})
    backend = Backend("control-" + name, args.venv, control, env, work, ports["backend"], origin)
    browser = None
    try:
        if not check(backend.wait_ready(), "control: backend started", backend.output()[-3000:]):
            return
        browser, state = load_page(args, work, "control-" + name, origin + "/")
        check(not state.get("items") and state.get("error"),
              "control: the page shows no feed, an error instead (%s)" % (state.get("error") or "?"),
              "page shows %r" % state)
        failures = browser.cors_failures(args.backend_url)
        check(failures, "control: Chromium refused the backend by CORS (%s)"
              % ", ".join(sorted({str(f[1].get("corsError")) for f in failures})),
              " | ".join(browser.problems())[:2000])
        browser.close()
        browser = None
        backend.terminate(20)
        out = backend.output()
        check("OPTIONS /api/activities/home" in out and "GET /api/activities/home" not in out,
              "control: only the preflight reached Flask, never the GET", out[-2000:])
        _, flask_spans = received_spans(server, py, work)
        gets = [s for s in flask_spans if s["attributes"].get("http.route") == "/api/activities/home"
                and s["attributes"].get("http.method", s["attributes"].get("http.request.method")) == "GET"]
        check(not gets, "control: no Flask span for GET /api/activities/home", json.dumps(gets)[:1000])
    finally:
        if browser:
            browser.close()
        backend.kill()


def scenario_collector_control(args, work, ports, origin, py):
    """The stand-in's CORS is what the browser obeys: without the config's cors
    section (as before frontend write), the page still works but no span arrives."""
    print("== 3: control: the collector without the config's cors section", flush=True)
    server = collector(Cors({}), ports["collector"])
    backend = Backend("collector-control", args.venv, args.backend, e2e.base_env(args.venv, work), work,
                      ports["backend"], origin)
    browser = None
    try:
        if not check(backend.wait_ready(), "collector control: backend started", backend.output()[-3000:]):
            return
        browser, state = load_page(args, work, "collector-control", origin + "/")
        check(state.get("items") and not state.get("error"), "collector control: the feed still shows",
              "page shows %r" % state)
        collector_url = "http://%s:%d" % (HOST, ports["collector"])
        e2e.wait_for(lambda: browser.cors_failures(collector_url), 12, 0.5)
        failures = browser.cors_failures(collector_url)
        spans, _ = received_spans(server, py, work)
        check(failures and not spans,
              "collector control: Chromium refused to post the spans (%s), none arrived"
              % ", ".join(sorted({str(f[1].get("corsError")) for f in failures})),
              "%d spans, %r" % (len(spans), browser.problems()))
    finally:
        if browser:
            browser.close()
        backend.kill()
        server.shutdown()
        server.server_close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frontend", required=True, type=pathlib.Path, help="written by frontend write")
    p.add_argument("--backend", required=True, type=pathlib.Path, help="written by app write and frontend write")
    p.add_argument("--cors", required=True, type=pathlib.Path,
                   help="JSON: receivers.otlp.protocols.http.cors of the written collector config")
    p.add_argument("--venv", required=True, type=pathlib.Path)
    p.add_argument("--cache", required=True, type=pathlib.Path, help="node_modules and the build stay here")
    p.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    p.add_argument("--npm", default=shutil.which("npm") or "npm")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, spans)")
    args = p.parse_args()
    for name in ("frontend", "backend", "venv", "cache"):
        setattr(args, name, getattr(args, name).resolve())
    t_start = time.monotonic()
    e2e._deadline[0] = time.monotonic() + 1200

    def done():
        passed, failed = e2e._results.count(True), e2e._results.count(False)
        info("run took %.1f s" % (time.monotonic() - t_start))
        print("%d passed, %d failed" % (passed, failed), flush=True)
        return 0 if failed == 0 and passed > 0 else 1

    for tool, what in ((args.npm, "npm (node 18 or later) builds the frontend"),
                       (args.chromium, "Chromium runs the page (scripts/tools.sh installs it)")):
        if not check(shutil.which(tool), what + ": found " + str(tool), "not found: " + str(tool)):
            return done()
    cors = Cors(json.loads(args.cors.read_text()))
    local = [o for o in cors.origins if re.fullmatch(r"http://localhost:\d+", o)]
    if not check(local, "the collector config allows a local origin (http://localhost:PORT)",
                 repr(cors.origins)):
        return done()
    origin = local[0]
    ports = {"frontend": int(origin.rsplit(":", 1)[1]),
             "backend": port_or_free(4567), "collector": port_or_free(4318)}
    args.backend_url = "http://%s:%d" % (HOST, ports["backend"])
    collector_url = "http://%s:%d" % (HOST, ports["collector"])
    info("origin %s, backend %s, collector %s" % (origin, args.backend_url, collector_url))

    if not e2e.ensure_venv(args.venv, args.backend / "requirements.txt"):
        return done()
    build = build_frontend(args, {"REACT_APP_BACKEND_URL": args.backend_url,
                                  "REACT_APP_OTEL_COLLECTOR_URL": collector_url})
    if build is None:
        return done()
    check_bundle(build)

    e2e._deadline[0] = time.monotonic() + RUN_BUDGET
    work = pathlib.Path(tempfile.mkdtemp(prefix="cruddur-obs-frontend-e2e-"))
    server = static = None
    try:
        py = e2e.venv_python(args.venv)
        server = collector(cors, ports["collector"])
        static = serve_build(build, ports["frontend"])
        scenario_traced(args, work, ports, origin, server, py)
        scenario_control(args, work, ports, origin, server, py, "2",
                         "the backend's allow_headers edit left out", restore_course_string)
        if '"authorization"]' in (args.backend / "app.py").read_text():
            scenario_control(args, work, ports, origin, server, py, "2b",
                             "the page's own Authorization header left out of allow_headers",
                             drop_authorization)
        server.shutdown()
        server.server_close()
        server = None
        scenario_collector_control(args, work, ports, origin, py)
    except Exception as e:  # a harness bug is a failure, not a crash
        check(False, "harness error", "%s: %s" % (type(e).__name__, e))
    finally:
        for s in (server, static):
            if s:
                s.shutdown()
                s.server_close()
        if args.keep:
            info("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
