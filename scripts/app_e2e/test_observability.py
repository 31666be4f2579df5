"""In-process checks of lib/observability.py (run by app_e2e.py inside the app's venv).

    CRUDDUR_OBS_BACKEND=DIR python -m unittest discover -s tests

Each test runs in a fresh interpreter (the module keeps process-wide state). Nothing
is sent anywhere: every endpoint points at 127.0.0.1:9 (discard port, refused).
"""
import json
import os
import subprocess
import sys
import textwrap
import unittest

BACKEND = os.environ.get("CRUDDUR_OBS_BACKEND", "")

DEAD = "http://127.0.0.1:9"
ALL_ON = {
    "OTEL_SERVICE_NAME": "backend-flask",
    "OTEL_EXPORTER_OTLP_ENDPOINT": DEAD,
    "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=unit",
    "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:9",
    "AWS_XRAY_URL": "*127.0.0.1*",
    "CLOUDWATCH_LOG_GROUP": "cruddur",
    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": DEAD,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIAUNIT", "AWS_SECRET_ACCESS_KEY": "unit",
    "AWS_MAX_ATTEMPTS": "1", "AWS_EC2_METADATA_DISABLED": "true",
    "ROLLBAR_ACCESS_TOKEN": "unit-token",
    "ROLLBAR_ENDPOINT": DEAD + "/api/1",
}
SETTINGS = [k for k in ALL_ON] + ["OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "AWS_REGION",
                                  "ROLLBAR_ENVIRONMENT", "AWS_ENDPOINT_URL", "OTEL_SDK_DISABLED"]


def run(code, env_extra, timeout=60):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(env_extra)
    env["PYTHONPATH"] = BACKEND
    prelude = "import json, logging, sys\nfrom flask import Flask\nfrom lib.observability import init_observability\n"
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=BACKEND)
    if proc.returncode != 0:
        raise AssertionError("exit %s\n%s" % (proc.returncode, proc.stderr[-3000:]))
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None, proc.stderr


@unittest.skipUnless(BACKEND, "set CRUDDUR_OBS_BACKEND to the backend directory")
class ObservabilityModule(unittest.TestCase):
    def test_twice_does_not_double_instrument(self):
        out, err = run("""
            import flask, rollbar, watchtower
            from opentelemetry import trace
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
            app = Flask("app")
            @app.route("/x")
            def x():
                return "x"
            init_observability(app)
            counts = lambda: [len(app.before_request_funcs.get(None, [])),
                              len(app.after_request_funcs.get(None, [])),
                              len(list(flask.got_request_exception.receivers_for(app))),
                              sum(isinstance(h, watchtower.CloudWatchLogHandler) for h in logging.getLogger().handlers),
                              len(logging.getLogger().handlers), len(logging.getLogger("werkzeug").handlers)]
            first = counts()
            provider = trace.get_tracer_provider()
            init_observability(app)
            memory = InMemorySpanExporter()
            trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(memory))
            app.test_client().get("/x")
            app2 = Flask("app2")
            init_observability(app2)
            print(json.dumps({"first": first, "second": counts(),
                              "same_provider": provider is trace.get_tracer_provider(),
                              "server_spans": [s.name for s in memory.get_finished_spans()],
                              "app2_instrumented": getattr(app2, "_is_instrumented_by_opentelemetry", False),
                              "app2_rollbar": len(list(flask.got_request_exception.receivers_for(app2))),
                              "root_handlers_after_app2": len(logging.getLogger().handlers),
                              "endpoint": rollbar.SETTINGS["endpoint"],
                              "environment": rollbar.SETTINGS["environment"]}))
            sys.stdout.flush()
            for h in logging.getLogger().handlers:
                if isinstance(h, watchtower.CloudWatchLogHandler):
                    h.queues.clear()  # nothing to deliver to the dead endpoint at exit
        """, ALL_ON)
        self.assertEqual(out["first"], out["second"])
        self.assertEqual(out["first"][2:4], [1, 1])  # one Rollbar receiver, one CloudWatch handler
        self.assertTrue(out["same_provider"])
        self.assertEqual(out["server_spans"], ["GET /x"])
        self.assertTrue(out["app2_instrumented"])
        self.assertEqual(out["app2_rollbar"], 1)
        self.assertEqual(out["root_handlers_after_app2"], out["first"][4])
        self.assertEqual(out["endpoint"], DEAD + "/api/1/")
        self.assertEqual(out["environment"], "development")
        self.assertNotIn("cruddur-obs:", err)

    def test_endpoint_with_slash_kept_and_environment(self):
        out, _ = run("""
            import rollbar
            init_observability(Flask("app"))
            print(json.dumps([rollbar.SETTINGS["endpoint"], rollbar.SETTINGS["environment"]]))
        """, {"ROLLBAR_ACCESS_TOKEN": "t", "ROLLBAR_ENDPOINT": DEAD + "/api/1/",
              "ROLLBAR_ENVIRONMENT": "production"})
        self.assertEqual(out, [DEAD + "/api/1/", "production"])

    def test_custom_span_helper(self):
        out, _ = run("""
            from opentelemetry import trace
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
            from lib.observability import span
            memory = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(memory))
            trace.set_tracer_provider(provider)
            with span("home-activities-mock-data", {"app.user_id": "andrewbrown"}):
                pass
            s = memory.get_finished_spans()[0]
            print(json.dumps([s.name, dict(s.attributes)]))
        """, {})
        self.assertEqual(out, ["home-activities-mock-data", {"app.user_id": "andrewbrown"}])

    def test_missing_packages_warn_once_each_and_app_serves(self):
        out, err = run("""
            for name in ("opentelemetry", "aws_xray_sdk", "watchtower", "boto3", "rollbar"):
                sys.modules[name] = None  # import fails as if not installed
            from lib.observability import span
            app = Flask("app")
            @app.route("/x")
            def x():
                with span("inner", {"app.user_id": "u"}):
                    return "x"
            init_observability(app)
            init_observability(app)
            print(json.dumps(app.test_client().get("/x").status_code))
        """, ALL_ON)
        self.assertEqual(out, 200)
        warnings = [l for l in err.splitlines() if l.startswith("cruddur-obs:")]
        self.assertEqual(sorted(w.split()[1] for w in warnings),
                         ["cloudwatch-logs", "honeycomb", "rollbar", "xray"], err)
        self.assertTrue(all("package missing" in w for w in warnings), warnings)
        self.assertNotIn("Traceback", err)

    def test_cloudwatch_logs_calls_stay_out_of_xray_even_from_a_client_made_by_hand(self):
        # Patched at import (X-Ray's daemon address is set): a logs client made
        # afterwards, as a hand-made watchtower handler does, outside any request.
        out, err = run("""
            import boto3
            logging.basicConfig(level=logging.INFO)
            for service in ("logs", "sts"):
                print("--- " + service, file=sys.stderr, flush=True)
                client = boto3.client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
                try:
                    client.describe_log_groups() if service == "logs" else client.get_caller_identity()
                except Exception:
                    pass
            print(json.dumps(True))
        """, dict(ALL_ON))
        logs_part, sts_part = err.split("--- logs", 1)[1].split("--- sts", 1)
        self.assertNotIn("cannot find the current segment", logs_part, err[-2000:])
        self.assertNotIn("No segment found", logs_part, err[-2000:])
        # The control: another service's call outside a request is still patched.
        self.assertIn("cannot find the current segment", sts_part, err[-2000:])

    def test_nothing_set_changes_nothing(self):
        out, err = run("""
            import signal
            app = Flask("app")
            init_observability(app)
            print(json.dumps([app.extensions.get("cruddur_obs"),
                              len(logging.getLogger().handlers),
                              signal.getsignal(signal.SIGTERM) == signal.SIG_DFL]))
        """, {})
        self.assertEqual(out, [{}, 0, True])
        self.assertEqual(err, "")

    def test_otlp_endpoint_with_v1_traces_warns_once(self):
        out, err = run("""
            app = Flask("app")
            init_observability(app)
            print(json.dumps(app.extensions["cruddur_obs"]))
        """, {"OTEL_EXPORTER_OTLP_ENDPOINT": DEAD + "/v1/traces"})
        self.assertEqual(out, {"honeycomb": True})
        self.assertEqual(len([l for l in err.splitlines() if "cruddur-obs:" in l]), 1, err)
        self.assertIn("/v1/traces", err)

    def test_sigterm_chains_previous_python_handler(self):
        out, _ = run("""
            import os, signal
            calls = []
            signal.signal(signal.SIGTERM, lambda s, f: calls.append(s))
            init_observability(Flask("app"))
            os.kill(os.getpid(), signal.SIGTERM)
            print(json.dumps(calls))  # the previous handler ran and decided not to exit
        """, {"ROLLBAR_ACCESS_TOKEN": "t", "ROLLBAR_ENDPOINT": DEAD + "/api/1"})
        self.assertEqual(out, [15])


if __name__ == "__main__":
    unittest.main()
