"""Observability for backend-flask (written by cruddur-obs; safe to edit).

``init_observability(app)`` switches on each part below only when its settings
are present in the environment. A part whose settings are missing or broken, or
whose package is not installed, logs ONE warning and stays off: the app always
starts.

========================  =====================================================
part                      switched on by
========================  =====================================================
OpenTelemetry/Honeycomb   OTEL_EXPORTER_OTLP_ENDPOINT (+ OTEL_EXPORTER_OTLP_HEADERS,
                          OTEL_SERVICE_NAME)
AWS X-Ray                 AWS_XRAY_DAEMON_ADDRESS and/or AWS_XRAY_URL
CloudWatch Logs           CLOUDWATCH_LOG_GROUP (+ AWS_DEFAULT_REGION, credentials);
                          one line per request: method, path, status, duration
                          and trace_id (the id Honeycomb and X-Ray show)
Rollbar                   ROLLBAR_ACCESS_TOKEN (+ ROLLBAR_ENVIRONMENT, ROLLBAR_ENDPOINT)
========================  =====================================================

Database queries (psycopg 3, psycopg2) and AWS calls (boto3) become child spans
of the request in Honeycomb and subsegments in X-Ray. They are patched when this
module is IMPORTED, before app.py's own modules connect (a psycopg_pool pool made
in lib/db.py at import): keep its import above the others in app.py.

Adding your own span (the week-2 homework) — e.g. in services/home_activities.py::

    from opentelemetry import trace
    tracer = trace.get_tracer("home.activities")

    def run(user_id=None):
        with tracer.start_as_current_span("home-activities-mock-data") as span:
            span.set_attribute("app.user_id", user_id)
            ...

or, without importing OpenTelemetry (works even when it is not installed)::

    from lib.observability import span
    with span("home-activities-mock-data", {"app.user_id": user_id}):
        ...
"""

import contextlib
import logging
import os
import signal
import sys
import threading

log = logging.getLogger("cruddur_obs")

_EXTENSION_KEY = "cruddur_obs"
_lock = threading.RLock()
_flushers = []  # callables run (with a deadline) on SIGTERM
_state = {"tracer_provider": None, "log_handler": None, "rollbar": False,
          "sigterm": False, "requests": False, "libraries": []}


def init_observability(app, skip=()):
    """Switch on every part whose settings are present. Safe to call twice.

    ``skip`` names parts that app.py instruments by hand (cruddur-obs writes it
    when it finds them), so that nothing is instrumented twice.
    """
    with _lock:
        done = app.extensions.setdefault(_EXTENSION_KEY, {})  # part -> on (True) / off (False)
        parts = (
            ("cloudwatch-logs", _enabled_logs, _init_logs),  # first: later warnings reach the group
            ("honeycomb", _enabled_otel, _init_otel),
            ("xray", _enabled_xray, _init_xray),
            ("rollbar", _enabled_rollbar, _init_rollbar),
        )
        for name, enabled, init in parts:
            if name in done or name in skip or not enabled():
                continue
            done[name] = False  # tried: a second call neither retries nor warns again
            try:
                init(app)
            except ImportError as e:
                log.warning("cruddur-obs: %s is off: package missing (%s); "
                            "run pip install -r requirements.txt", name, e)
            except Exception as e:  # a broken setting must never stop the app
                log.warning("cruddur-obs: %s is off: %s: %s", name, type(e).__name__, e)
            else:
                done[name] = True
        if done.get("cloudwatch-logs") and "request-log" not in done:
            # Installed last, so that it runs first after each request: the
            # X-Ray segment and the OpenTelemetry span are still open.
            done["request-log"] = True
            _install_request_log(app)
        if any(done.values()):
            _install_sigterm_handler()
    return app


@contextlib.contextmanager
def span(name, attributes=None):
    """A custom OpenTelemetry span with attributes, e.g. ``{"app.user_id": "andrewbrown"}``.

    Does nothing (but still runs the block) when OpenTelemetry is not installed.
    """
    try:
        from opentelemetry import trace
    except ImportError:
        yield None
        return
    with trace.get_tracer("cruddur").start_as_current_span(name) as current:
        for key, value in (attributes or {}).items():
            current.set_attribute(key, value)
        yield current


# --- OpenTelemetry -> Honeycomb -------------------------------------------------

def _enabled_otel():
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def _init_otel(app):
    """Traces over OTLP/HTTP (protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces.

    OTLPSpanExporter() is built without arguments on purpose: it reads
    OTEL_EXPORTER_OTLP_ENDPOINT (appending /v1/traces) and OTEL_EXPORTER_OTLP_HEADERS
    (``x-honeycomb-team=<key>``). The resource reads OTEL_SERVICE_NAME, which becomes
    the Honeycomb dataset. Spans are batched and flushed at exit.
    """
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    headers = os.environ.get("OTEL_EXPORTER_OTLP_HEADERS", "")
    if endpoint.rstrip("/").endswith("/v1/traces"):
        log.warning("cruddur-obs: OTEL_EXPORTER_OTLP_ENDPOINT should not end in /v1/traces "
                    "(the exporter appends it): spans will go to %s/v1/traces",
                    endpoint.rstrip("/"))
    elif "honeycomb.io" in endpoint and "x-honeycomb-team" not in headers.lower():
        log.warning("cruddur-obs: OTEL_EXPORTER_OTLP_HEADERS has no x-honeycomb-team=<key>: "
                    "Honeycomb will refuse the spans")

    if _state["tracer_provider"] is None:
        attributes = {}
        if not os.environ.get("OTEL_SERVICE_NAME") and \
                "service.name" not in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", ""):
            attributes["service.name"] = "backend-flask"
        provider = TracerProvider(resource=Resource.create(attributes))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _state["tracer_provider"] = provider
        _flushers.append(lambda: provider.force_flush(5000))
    if not getattr(app, "_is_instrumented_by_opentelemetry", False):
        FlaskInstrumentor().instrument_app(app)
    if not _state["requests"]:
        RequestsInstrumentor().instrument()  # outgoing calls made with `requests`
        _state["requests"] = True


# --- AWS X-Ray ----------------------------------------------------------------

def _enabled_xray():
    return bool(os.environ.get("AWS_XRAY_DAEMON_ADDRESS") or os.environ.get("AWS_XRAY_URL"))


def _init_xray(app):
    """Segments over UDP to the X-Ray daemon at AWS_XRAY_DAEMON_ADDRESS.

    Sampling rules come from the daemon (the rules you created with
    ``cruddur-obs xray create-sampling-rule``); until they arrive the SDK samples
    1 request/s + 5 %. With AWS_XRAY_URL (e.g. ``*4567-...gitpod.io*``) a request
    whose Host matches is named after the host, otherwise after OTEL_SERVICE_NAME.
    """
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

    address = os.environ.get("AWS_XRAY_DAEMON_ADDRESS")
    if not address:
        address = "127.0.0.1:2000"
        log.warning("cruddur-obs: AWS_XRAY_DAEMON_ADDRESS is not set: "
                    "sending X-Ray segments to %s", address)
    xray_recorder.configure(
        service=os.environ.get("OTEL_SERVICE_NAME") or "backend-flask",
        dynamic_naming=os.environ.get("AWS_XRAY_URL") or None,
        daemon_address=address,
        # no segment outside a request (start-up code, threads): log, never raise
        context_missing="LOG_ERROR",
    )
    XRayMiddleware(app, xray_recorder)


# --- CloudWatch Logs ------------------------------------------------------------

def _enabled_logs():
    return bool(os.environ.get("CLOUDWATCH_LOG_GROUP"))


def _init_logs(app):
    """Python logging -> CloudWatch Logs group CLOUDWATCH_LOG_GROUP (never created here).

    One watchtower handler on the root logger: ``app.logger`` (INFO and above),
    the request lines of werkzeug and request errors propagate to it, each
    once. The group must exist (``cruddur-obs logs create-group``); the client
    uses the standard AWS settings (AWS_DEFAULT_REGION, credentials,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS). Streams are named
    ``<service>/<host>/<pid>/<logger>``. Batches are sent every 10 s and at exit,
    including on SIGTERM (``docker stop``).
    """
    import boto3
    import watchtower

    group = os.environ["CLOUDWATCH_LOG_GROUP"]
    root = logging.getLogger()
    app.logger  # noqa: B018 - Flask attaches its console handler now, before root has one
    if _state["log_handler"] is None:
        session = boto3.session.Session()
        region = session.region_name or os.environ.get("AWS_REGION")
        if not region:
            raise RuntimeError("no AWS region: set AWS_DEFAULT_REGION")
        if session.get_credentials() is None:
            raise RuntimeError("no AWS credentials: set AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY")
        service = os.environ.get("OTEL_SERVICE_NAME") or "backend-flask"
        service = "".join(c for c in service if c not in ":*{}")
        handler = watchtower.CloudWatchLogHandler(
            log_group_name=group,
            log_stream_name=service + "/{machine_name}/{process_id}/{logger_name}",
            create_log_group=False,
            send_interval=10,
            boto3_client=session.client("logs", region_name=region),
        )
        # Keep the console as it was: werkzeug and Flask add their console
        # handlers only when no handler is found up to the root logger.
        werkzeug_logger = logging.getLogger("werkzeug")
        if werkzeug_logger.level == logging.NOTSET:
            werkzeug_logger.setLevel(logging.INFO)
        if not werkzeug_logger.handlers:
            werkzeug_logger.addHandler(logging.StreamHandler())
        if not root.handlers:
            root.addHandler(_ConsoleForTheRest())
        root.addHandler(handler)
        _state["log_handler"] = handler
        _flushers.append(handler.flush)
    if app.logger.level == logging.NOTSET and not app.debug:
        app.logger.setLevel(logging.INFO)


_request_log = logging.getLogger("cruddur_obs.request")


def _install_request_log(app):
    """One log line per request, ``GET /api/activities/home 200 12.3ms trace_id=<32 hex>``:
    the trace id is the one Honeycomb shows (X-Ray shows it as 1-xxxxxxxx-yyyy...),
    so a log line leads to its trace and back. werkzeug's own request lines stay on
    the console and no longer reach CloudWatch: one event per request.
    """
    import time

    from flask import g, request

    _request_log.setLevel(logging.INFO)
    handler = _state["log_handler"]
    if handler is not None and not any(isinstance(f, _NotWerkzeug) for f in handler.filters):
        handler.addFilter(_NotWerkzeug())

    @app.before_request
    def _cruddur_obs_started():
        g._cruddur_obs_started = time.monotonic()

    @app.after_request
    def _cruddur_obs_request_line(response):
        started = g.get("_cruddur_obs_started")
        took = (time.monotonic() - started) * 1000 if started is not None else 0.0
        _request_log.info("%s %s %s %.1fms trace_id=%s", request.method, request.path,
                          response.status_code, took, _trace_id(app) or "-")
        return response


class _NotWerkzeug(logging.Filter):
    def filter(self, record):
        return record.name != "werkzeug"


def _trace_id(app):
    """The current request's trace id as 32 hex digits, or None."""
    from flask import request

    done = app.extensions.get(_EXTENSION_KEY, {})
    if done.get("honeycomb"):
        from opentelemetry import trace
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            return format(context.trace_id, "032x")
    if done.get("xray"):
        from aws_xray_sdk.core import xray_recorder
        entity = xray_recorder.get_trace_entity()  # XRayMiddleware's segment, still open
        trace_id = getattr(entity, "trace_id", None)
        if trace_id and trace_id.startswith("1-"):
            return trace_id[2:].replace("-", "")
    parent = request.headers.get("traceparent", "").split("-")
    if len(parent) == 4 and len(parent[1]) == 32:
        return parent[1]
    for field in request.headers.get("X-Amzn-Trace-Id", "").split(";"):
        key, _, value = field.strip().partition("=")
        if key == "Root" and value.startswith("1-"):
            return value[2:].replace("-", "")
    return None


class _ConsoleForTheRest(logging.StreamHandler):
    """stderr, WARNING+, for records no other console handler printed (the role
    logging.lastResort had before the root logger got a handler)."""

    def __init__(self):
        super().__init__()
        self.setLevel(logging.WARNING)

    def filter(self, record):
        logger = logging.getLogger(record.name)
        while logger is not None and logger is not logging.root:
            if logger.handlers:
                return False
            if not logger.propagate:
                break
            logger = logger.parent
        return super().filter(record)


# --- Rollbar --------------------------------------------------------------------

def _enabled_rollbar():
    return bool(os.environ.get("ROLLBAR_ACCESS_TOKEN"))


def _init_rollbar(app):
    """Unhandled request exceptions -> Rollbar (ROLLBAR_ACCESS_TOKEN).

    Initialised at start-up (the course's ``@app.before_first_request`` no longer
    exists in Flask >= 2.3). ROLLBAR_ENVIRONMENT defaults to ``development``;
    ROLLBAR_ENDPOINT (e.g. ``https://api.rollbar.com/api/1``) gets its trailing
    slash added, since pyrollbar posts to urljoin(endpoint, "item/").
    """
    import rollbar
    import rollbar.contrib.flask
    from flask import got_request_exception

    if not _state["rollbar"]:
        options = {
            "environment": os.environ.get("ROLLBAR_ENVIRONMENT") or "development",
            "root": app.root_path,
            "allow_logging_basic_config": False,
        }
        endpoint = os.environ.get("ROLLBAR_ENDPOINT", "").strip()
        if endpoint:
            options["endpoint"] = endpoint.rstrip("/") + "/"
        rollbar.init(os.environ["ROLLBAR_ACCESS_TOKEN"], **options)
        _state["rollbar"] = True
        _flushers.append(rollbar.wait)  # reports are sent by (non-daemon) threads
    got_request_exception.connect(rollbar.contrib.flask.report_exception, app)


# --- database and AWS clients -------------------------------------------------

# (library, its OpenTelemetry instrumentor, its name for the X-Ray SDK's patch)
_LIBRARIES = (
    ("psycopg", "opentelemetry.instrumentation.psycopg:PsycopgInstrumentor", "psycopg"),
    ("psycopg2", "opentelemetry.instrumentation.psycopg2:Psycopg2Instrumentor", "psycopg2"),
    ("botocore", "opentelemetry.instrumentation.botocore:BotocoreInstrumentor", "botocore"),
)


def _instrument_libraries():
    """Queries and AWS calls as children of the request's span and segment.

    Runs once, when this module is imported, for the libraries that are
    installed: OpenTelemetry's instrumentor when its package is installed (it
    takes the tracer provider set later), the X-Ray SDK's patch. Never raises.
    """
    import importlib
    import importlib.util

    if _state["libraries"]:
        return
    present = [lib for lib, _, _ in _LIBRARIES if importlib.util.find_spec(lib) is not None]
    if not present:
        return
    if _enabled_otel():
        for lib, target, _ in _LIBRARIES:
            if lib not in present:
                continue
            module, _, name = target.partition(":")
            try:
                instrumentor = getattr(importlib.import_module(module), name)
            except ImportError:
                continue  # not in requirements.txt: its calls stay out of the trace
            try:
                instrumentor().instrument()
                _state["libraries"].append("opentelemetry:" + lib)
            except Exception as e:
                log.warning("cruddur-obs: no spans for %s: %s: %s", lib, type(e).__name__, e)
    if _enabled_xray():
        try:
            from aws_xray_sdk.core import patch
        except ImportError:
            patch = None
    else:
        patch = None
    if patch is not None:
        names = [xray for lib, _, xray in _LIBRARIES if lib in present]
        try:
            patch(names, raise_errors=False)
            _state["libraries"].extend("xray:" + n for n in names)
        except Exception as e:
            log.warning("cruddur-obs: no X-Ray subsegments for %s: %s: %s",
                        ", ".join(names), type(e).__name__, e)
    if any(lib.endswith(":botocore") for lib in _state["libraries"]):
        try:
            _logs_calls_untraced()
        except Exception as e:
            log.warning("cruddur-obs: CloudWatch Logs calls may be traced: %s: %s",
                        type(e).__name__, e)


def _logs_calls_untraced():
    """Keeps CloudWatch Logs calls out of the traces: watchtower's (ours or a
    handler made by hand) are made from its own thread outside any request, so
    X-Ray would log "cannot find the current segment" for each and OpenTelemetry
    make a trace of each. One outermost wrapper sends them past the patches."""
    try:
        import inspect

        import botocore.client
        import botocore.endpoint
        import wrapt
    except ImportError:
        return
    wrappers = (wrapt.FunctionWrapper, wrapt.BoundFunctionWrapper)

    def unwrapped(func):
        while isinstance(func, wrappers):
            func = func.__wrapped__
        return func

    def past_the_patches(cls, name, is_logs):
        current = inspect.getattr_static(cls, name)
        if not isinstance(current, wrappers):
            return  # not patched: nothing to go past
        raw = unwrapped(current)

        def call(wrapped, instance, args, kwargs):
            if is_logs(instance):
                return raw(instance, *args, **kwargs)
            return wrapped(*args, **kwargs)
        wrapt.wrap_function_wrapper(cls, name, call)

    past_the_patches(botocore.client.BaseClient, "_make_api_call",
                     lambda c: c.meta.service_model.endpoint_prefix == "logs")
    past_the_patches(botocore.endpoint.Endpoint, "prepare_request",
                     lambda e: getattr(e, "_endpoint_prefix", None) == "logs")


_instrument_libraries()


# --- exit -----------------------------------------------------------------------

def _flush_all(deadline=5.0):
    """Run every flusher in its own daemon thread; wait at most `deadline` s."""
    threads = [threading.Thread(target=_quietly, args=(f,), daemon=True) for f in _flushers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline)


def _quietly(flush):
    try:
        flush()
    except Exception:
        pass


def _install_sigterm_handler():
    """On SIGTERM (docker stop) flush, then exit so atexit handlers run.

    Python's default SIGTERM action kills the process without running atexit,
    losing queued log lines and spans. A previous Python handler is chained
    (and then decides about exiting itself).
    """
    if _state["sigterm"] or threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum, frame):
            _flush_all()
            if callable(previous):
                previous(signum, frame)
            elif previous != signal.SIG_IGN:
                sys.exit(128 + signum)

        signal.signal(signal.SIGTERM, on_sigterm)
        _state["sigterm"] = True
    except (ValueError, OSError) as e:  # not the main thread / not allowed here
        log.warning("cruddur-obs: no SIGTERM flush: %s", e)
