use super::migrate::MigrateError;
use super::*;

/// Detection over `app.py` and the given local files.
fn run(app: &str, files: &[(&str, &str)]) -> Detection {
    let files: HashMap<String, String> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    detect(app, &|rel| files.get(rel).cloned())
}

fn live(d: &Detection) -> Vec<(Marker, &str, usize)> {
    d.live
        .iter()
        .map(|f| (f.marker, f.file.as_str(), f.line))
        .collect()
}

#[test]
fn module_level_setup_in_app_py_runs() {
    let d = run(
        "from flask import Flask\n\
         from aws_xray_sdk.ext.flask.middleware import XRayMiddleware\n\
         app = Flask(__name__)\n\
         XRayMiddleware(app, xray_recorder)\n\
         FlaskInstrumentor().instrument_app(app)\n",
        &[],
    );
    assert_eq!(
        live(&d),
        [
            (Marker::XRayMiddleware, "app.py", 4),
            (Marker::FlaskInstrumentor, "app.py", 5)
        ]
    );
    assert!(d.dead.is_empty() && d.syntax.is_empty());
}

#[test]
fn refactored_lib_modules_are_followed_through_imports_and_calls() {
    let app = "from flask import Flask, g\n\
               from lib.xray import init_xray\n\
               from lib import honeycomb\n\
               import lib.rollbar as rb\n\
               app = Flask(__name__)\n\
               init_xray(app)\n\
               honeycomb.init_honeycomb(app)\n\
               with app.app_context():\n    g.rollbar = rb.init_rollbar(app)\n";
    let xray = "from aws_xray_sdk.core import xray_recorder\n\
                def init_xray(app):\n    xray_recorder.configure(service='backend-flask')\n    XRayMiddleware(app, xray_recorder)\n";
    let honeycomb = "provider = TracerProvider()\n\
                     trace.set_tracer_provider(provider)\n\
                     def init_honeycomb(app):\n    FlaskInstrumentor().instrument_app(app)\n";
    let rollbar = "import rollbar\ndef init_rollbar(app):\n    rollbar.init('t', 'production')\n    return rollbar\n";
    let d = run(
        app,
        &[
            ("lib/xray.py", xray),
            ("lib/honeycomb.py", honeycomb),
            ("lib/rollbar.py", rollbar),
        ],
    );
    assert_eq!(
        live(&d),
        [
            (Marker::SetTracerProvider, "lib/honeycomb.py", 2),
            (Marker::FlaskInstrumentor, "lib/honeycomb.py", 4),
            (Marker::RollbarInit, "lib/rollbar.py", 3),
            (Marker::XRayMiddleware, "lib/xray.py", 4),
        ]
    );
    let via: Vec<_> = d.live.iter().map(|f| f.via.clone().unwrap()).collect();
    assert_eq!(via[0], (3, "import lib.honeycomb".to_string()));
    assert_eq!(via[1], (7, "init_honeycomb(...)".to_string()));
    assert_eq!(via[2], (9, "init_rollbar(...)".to_string()));
    assert_eq!(via[3], (6, "init_xray(...)".to_string()));
    assert_eq!(
        d.followed,
        ["lib/xray.py", "lib/honeycomb.py", "lib/rollbar.py"]
    );
}

#[test]
fn a_definition_nobody_calls_does_not_count() {
    // The Rollbar snippet defined inside `with app.app_context():` and never called.
    let d = run(
        "import rollbar\napp = Flask(__name__)\nwith app.app_context():\n    def init_rollbar():\n        rollbar.init('t', 'production')\n",
        &[],
    );
    assert!(d.live.is_empty());
    assert_eq!(d.dead.len(), 1);
    assert_eq!(
        d.dead[0].1,
        Dead::NeverCalled {
            function: "init_rollbar".into(),
            def_line: 4
        }
    );
    assert_eq!(d.dead[0].0.line, 5);
}

#[test]
fn an_imported_function_that_is_never_called_does_not_count() {
    let d = run(
        "from lib.cloudwatch import init_cloudwatch\napp = Flask(__name__)\n",
        &[(
            "lib/cloudwatch.py",
            "import watchtower\n# cw = watchtower.CloudWatchLogHandler(log_group='cruddur')\n\
             def init_cloudwatch():\n    return watchtower.CloudWatchLogHandler(log_group_name='cruddur')\n",
        )],
    );
    assert!(d.live.is_empty());
    let dead: Vec<_> = d
        .dead
        .iter()
        .map(|(f, why)| (f.line, why.clone()))
        .collect();
    assert_eq!(
        dead,
        [
            (2, Dead::Commented),
            (
                4,
                Dead::NeverCalled {
                    function: "init_cloudwatch".into(),
                    def_line: 3
                }
            )
        ]
    );
}

#[test]
fn before_first_request_and_before_request_hooks_run() {
    let d = run(
        "app = Flask(__name__)\n@app.before_first_request\ndef init_rollbar():\n    rollbar.init('t')\n\
         def setup():\n    XRayMiddleware(app, r)\napp.before_request(setup)\n",
        &[],
    );
    assert_eq!(
        live(&d),
        [
            (Marker::RollbarInit, "app.py", 4),
            (Marker::XRayMiddleware, "app.py", 6)
        ]
    );
}

#[test]
fn if_false_and_comments_do_not_count_but_env_gates_do() {
    let d = run(
        "app = Flask(__name__)\nif False:\n    XRayMiddleware(app, r)\n\
         if os.getenv('ROLLBAR_ACCESS_TOKEN'):\n    rollbar.init('t')\n\
         # FlaskInstrumentor().instrument_app(app)\n",
        &[],
    );
    assert_eq!(live(&d), [(Marker::RollbarInit, "app.py", 5)]);
    let dead: Vec<_> = d
        .dead
        .iter()
        .map(|(f, why)| (f.marker, f.line, why.clone()))
        .collect();
    assert_eq!(
        dead,
        [
            (Marker::XRayMiddleware, 3, Dead::NeverTrue { line: 2 }),
            (Marker::FlaskInstrumentor, 6, Dead::Commented)
        ]
    );
}

#[test]
fn relative_and_package_imports_and_depth() {
    // app → utils/__init__ (runs) → utils/logger.setup_logging → CloudWatchLogHandler.
    let d = run(
        "from utils import logger\napp = Flask(__name__)\nlogger.setup_logging(app)\n",
        &[
            ("utils/__init__.py", "from .obs import wire\n"),
            (
                "utils/obs.py",
                "def wire(app):\n    XRayMiddleware(app, r)\n",
            ),
            (
                "utils/logger.py",
                "from .handlers import make\ndef setup_logging(app):\n    make()\n",
            ),
            (
                "utils/handlers.py",
                "def make():\n    return watchtower.CloudWatchLogHandler(log_group_name='g')\n",
            ),
        ],
    );
    assert_eq!(
        live(&d),
        [(Marker::CloudWatchLogHandler, "utils/handlers.py", 2)]
    );
    assert!(matches!(d.dead[0].1, Dead::NeverCalled { ref function, .. } if function == "wire"));
}

#[test]
fn syntax_errors_name_their_line() {
    let d = run("app = Flask(__name__)\ndef f(:\n    pass\n", &[]);
    assert_eq!(d.syntax.len(), 1);
    assert_eq!(d.syntax[0].0, "app.py");
    assert_eq!(d.syntax[0].1.line, 2);
    let d = run(
        "x = 1\n",
        &[("lib/x.py", "rollbar.init(a, root=1,\n  root=2)\n")],
    );
    assert!(d.syntax.is_empty(), "lib/x.py is not imported");
    let d = run(
        "\u{feff}import lib.x\n",
        &[("lib/x.py", "rollbar.init(a, root=1,\n  root=2)\n")],
    );
    assert_eq!(d.syntax.len(), 1);
    assert_eq!(d.syntax[0].0, "lib/x.py");
    assert_eq!(d.syntax[0].1.line, 2);
    assert_eq!(d.syntax[0].1.message, "keyword argument repeated: root");
}

#[test]
fn cycles_and_missing_modules_end() {
    let d = run(
        "import a\nfrom missing import thing\nthing()\napp = Flask(__name__)\n",
        &[
            ("a.py", "import b\ndef f():\n    b.g()\nf()\n"),
            ("b.py", "import a\ndef g():\n    a.f()\n"),
        ],
    );
    assert!(d.live.is_empty());
    assert_eq!(d.followed, ["a.py", "b.py"]);
}

#[test]
fn risks_of_code_that_runs() {
    let d = run(
        "app = Flask(__name__)\n\
         # @app.before_first_request\n\
         s = '@app.before_first_request'\n\
         @app.before_first_request\n\
         def init_rollbar():\n    rollbar.init('t')\n\
         cw = watchtower.CloudWatchLogHandler(log_group='cruddur')\n\
         ok = watchtower.CloudWatchLogHandler(log_group_name='cruddur', create_log_group=False)\n\
         multi = CloudWatchLogHandler(\n    boto3_client=client(log_group='not this one'),\n    log_group = \"cruddur\",\n    create_log_group=False,\n)\n\
         if False:\n    CloudWatchLogHandler(log_group='dead')\n",
        &[],
    );
    let risks: Vec<(usize, Risk)> = d.risks.iter().map(|r| (r.line, r.risk)).collect();
    assert_eq!(
        risks,
        [
            (4, Risk::BeforeFirstRequest),
            (7, Risk::LogGroupKeyword),
            (7, Risk::CreatesLogGroup),
            (11, Risk::LogGroupKeyword),
        ]
    );
    // A BOM does not move lines; a hook given as a call counts too.
    let d = run(
        "\u{feff}app = Flask(__name__)\r\ndef f(): pass\r\napp.before_first_request(f)\r\n",
        &[],
    );
    assert_eq!(d.risks.len(), 1);
    assert_eq!(d.risks[0].line, 3);
}

#[test]
fn migrate_removes_the_course_setup_and_keeps_the_rest() {
    let text = "\
import os
import logging
from flask import Flask, got_request_exception
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer('app')  # used by the routes: kept
LOGGER = logging.getLogger(__name__)
cw_handler = watchtower.CloudWatchLogHandler(log_group='cruddur')
LOGGER.addHandler(cw_handler)
app = Flask(__name__)
FlaskInstrumentor().instrument_app(app)
RequestsInstrumentor().instrument()
xray_recorder.configure(service='backend-flask')
XRayMiddleware(app, xray_recorder)

@app.before_first_request
def init_rollbar():
    \"\"\"init rollbar module\"\"\"
    token = os.getenv('ROLLBAR_ACCESS_TOKEN')
    rollbar.init(
        token,
        'production')
    got_request_exception.connect(rollbar.contrib.flask.report_exception, app)

@app.route('/')
def home():
    LOGGER.info('home')
    with tracer.start_as_current_span('x'):
        return 'ok'
";
    let m = migrate(text, &Part::INSTRUMENTED).unwrap();
    assert_eq!(
        m.new_text,
        "\
import os
import logging
from flask import Flask, got_request_exception
tracer = trace.get_tracer('app')  # used by the routes: kept
LOGGER = logging.getLogger(__name__)
app = Flask(__name__)


@app.route('/')
def home():
    LOGGER.info('home')
    with tracer.start_as_current_span('x'):
        return 'ok'
"
    );
    let firsts: Vec<usize> = m.removed.iter().map(|r| r.0).collect();
    assert_eq!(firsts, [4, 9, 12, 17]);
    assert_eq!(m.removed[3], (17, 24, "@app.before_first_request".into()));
    // Nothing that runs is left, and a second migration removes nothing.
    assert!(run(&m.new_text, &[]).live.is_empty());
    assert!(migrate(&m.new_text, &Part::INSTRUMENTED)
        .unwrap()
        .removed
        .is_empty());
    // Parts left out stay by hand.
    let only_rollbar = migrate(text, &[Part::Rollbar]).unwrap();
    assert_eq!(only_rollbar.removed.len(), 1);
    assert!(only_rollbar
        .new_text
        .contains("XRayMiddleware(app, xray_recorder)"));
}

#[test]
fn migrate_refuses_what_it_cannot_remove_cleanly() {
    assert_eq!(
        migrate(
            "provider = TracerProvider()\ntrace.set_tracer_provider(provider)\nx = provider.get_tracer('a')\n",
            &Part::INSTRUMENTED
        ),
        Err(MigrateError::StillUsed {
            line: 1,
            name: "provider".into(),
            used: 3
        })
    );
    assert_eq!(
        migrate(
            "app = Flask(__name__); XRayMiddleware(app, r)\n",
            &Part::INSTRUMENTED
        ),
        Err(MigrateError::SharedLine { line: 1 })
    );
    // A `with` whose body all goes, goes with it; CRLF and the BOM are kept.
    let m = migrate(
        "\u{feff}app = Flask(__name__)\r\nwith app.app_context():\r\n    rollbar.init('t')\r\nx = 1\r\n",
        &Part::INSTRUMENTED,
    )
    .unwrap();
    assert_eq!(m.new_text, "\u{feff}app = Flask(__name__)\r\nx = 1\r\n");
}
