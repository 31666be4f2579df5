use super::*;

/// The week-1 `backend-flask/app.py` of the bootcamp, abridged (fewer routes),
/// before any instrumentation.
const WEEK1: &str = include_str!("../../examples/cruddur-like/backend-flask/app.py");

fn plan(text: &str) -> AppPyPlan {
    plan_app_py(text, "backend-flask/app.py").unwrap()
}

fn err(text: &str) -> AppError {
    plan_app_py(text, "backend-flask/app.py").unwrap_err()
}

/// A unified diff with `\r`, tabs and the BOM made visible.
fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header("a/app.py", "b/app.py")
        .to_string()
        .replace('\r', "␍")
        .replace('\t', "→")
        .replace('\u{feff}', "⟨BOM⟩")
}

/// Plan, check it is idempotent, snapshot the diff and what was found.
fn snap(name: &str, old: &str) -> AppPyPlan {
    let p = plan(old);
    let again = plan(&p.new_text);
    assert!(!again.inserted, "{name}: second plan inserted again");
    assert_eq!(
        again.new_text, p.new_text,
        "{name}: second plan changed the text"
    );
    let mut shown = diff(old, &p.new_text);
    shown.push_str(&format!(
        "---\ninserted: {}\nours_present: {}\n",
        p.inserted, p.ours_present
    ));
    for note in &p.notes {
        shown.push_str(&format!("note: {note}\n"));
    }
    insta::with_settings!({prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!(format!("app_{name}"), shown);
    });
    p
}

#[test]
fn week1_shaped_sample_app() {
    let p = snap("week1", WEEK1);
    assert!(p.inserted);
    assert!(!p.ours_present);
    assert!(p.notes.is_empty());
    assert!(p
        .new_text
        .contains("app = Flask(__name__)\nfrom lib.observability import init_observability\ninit_observability(app)\n\nallowed = "));
}

#[test]
fn week1_crlf_and_tabs() {
    let text = WEEK1.replace("\n  ", "\n\t").replace('\n', "\r\n");
    let p = snap("week1_crlf_tabs", &text);
    assert!(p.new_text.contains(
        "app = Flask(__name__)\r\nfrom lib.observability import init_observability\r\ninit_observability(app)\r\n\r\nallowed"
    ));
    assert!(!p.new_text.replace("\r\n", "").contains('\n'));
    assert_eq!(
        p.new_text.len(),
        text.len() + IMPORT_LINE.len() + CALL_LINE.len() + 4
    );
}

#[test]
fn imports_around_the_assignment() {
    snap(
        "imports_around",
        "import os\nfrom flask import Flask\napp = Flask(__name__)\nfrom flask_cors import CORS\ncors = CORS(app)\n",
    );
}

#[test]
fn one_line_with_arguments() {
    let p = snap(
        "static_folder",
        "from flask import Flask\napp  =  Flask( __name__ , static_folder='public')  # the app\nx = 1\n",
    );
    assert!(p.inserted);
}

#[test]
fn multi_line_assignment() {
    let p = snap(
        "multi_line",
        "import flask\n\napp = flask.Flask(\n    __name__,\n    static_folder=\"static\",  # ) not closing\n)\n\nfoo = 1\n",
    );
    assert!(p.new_text.contains(
        ")\nfrom lib.observability import init_observability\ninit_observability(app)\n\nfoo"
    ));
}

#[test]
fn backslash_continuation() {
    let p = plan("app = \\\n    Flask(__name__)\nx = 1\n");
    assert_eq!(
        p.new_text,
        "app = \\\n    Flask(__name__)\nfrom lib.observability import init_observability\ninit_observability(app)\nx = 1\n"
    );
}

#[test]
fn annotated_assignment() {
    assert!(plan("app: Flask = Flask(__name__)\n").inserted);
}

#[test]
fn open_telemetry_by_hand() {
    let p = snap(
        "hand_otel",
        "\
from flask import Flask
from opentelemetry.instrumentation.flask import FlaskInstrumentor
app = Flask(__name__)
FlaskInstrumentor().instrument_app(app)
",
    );
    assert!(p.inserted && !p.ours_present);
    assert!(p.notes.is_empty());
}

#[test]
fn xray_by_hand() {
    let p = snap(
        "hand_xray",
        "\
from flask import Flask
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware
xray_url = os.getenv(\"AWS_XRAY_URL\")
xray_recorder.configure(service='backend-flask', dynamic_naming=xray_url)
app = Flask(__name__)
XRayMiddleware(app, xray_recorder)
",
    );
    assert!(p.inserted && !p.ours_present);
}

#[test]
fn rollbar_by_hand() {
    let p = snap(
        "hand_rollbar",
        "\
import os
import rollbar
import rollbar.contrib.flask
from flask import Flask, got_request_exception
app = Flask(__name__)
rollbar_access_token = os.getenv('ROLLBAR_ACCESS_TOKEN')

with app.app_context():
    rollbar.init(
        rollbar_access_token,
        'production',
        root=os.path.dirname(os.path.realpath(__file__)),
        allow_logging_basic_config=False)
    got_request_exception.connect(rollbar.contrib.flask.report_exception, app)
",
    );
    assert!(p.inserted && !p.ours_present);
}

#[test]
fn watchtower_by_hand() {
    let p = snap(
        "hand_watchtower",
        "\
import logging
import watchtower
from flask import Flask
LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.DEBUG)
cw_handler = watchtower.CloudWatchLogHandler(log_group_name='cruddur')
LOGGER.addHandler(cw_handler)
app = Flask(__name__)
",
    );
    assert!(p.inserted && !p.ours_present);
}

#[test]
fn commented_and_imported_only_instrumentation_does_not_count() {
    let p = plan(
        "\
from flask import Flask
from opentelemetry.instrumentation.flask import FlaskInstrumentor
# from aws_xray_sdk.ext.flask.middleware import XRayMiddleware
app = Flask(__name__)
# XRayMiddleware(app, xray_recorder)
# FlaskInstrumentor().instrument_app(app)
#     rollbar.init(
s = \"watchtower.CloudWatchLogHandler(log_group='x')\"
",
    );
    assert!(p.inserted);
    assert!(p.notes.is_empty());
}

#[test]
fn already_ours_is_left_alone() {
    let text = "from flask import Flask\nfrom lib.observability import init_observability\n\napp = Flask(__name__)\ninit_observability(app)\n";
    let p = plan(text);
    assert!(!p.inserted);
    assert_eq!(p.new_text, text);
    assert!(p.ours_present);
    assert!(p.notes.is_empty());
    // Even with no `app = Flask(...)` left to find (e.g. wired by hand).
    let text = "from lib.observability import init_observability\ninit_observability(app)\n";
    assert!(!plan(text).inserted);
}

#[test]
fn import_present_call_missing() {
    let p = snap(
        "import_only",
        "from flask import Flask\nfrom lib.observability import init_observability\n\napp = Flask(__name__)\ncors = CORS(app)\n",
    );
    assert_eq!(
        p.new_text,
        "from flask import Flask\nfrom lib.observability import init_observability\n\napp = Flask(__name__)\ninit_observability(app)\ncors = CORS(app)\n"
    );
}

#[test]
fn import_after_the_assignment_call_goes_after_the_import() {
    let p = plan("app = Flask(__name__)\nx = 1\nfrom lib.observability import (\n    init_observability,\n)\ny = 2\n");
    assert_eq!(
        p.new_text,
        "app = Flask(__name__)\nx = 1\nfrom lib.observability import (\n    init_observability,\n)\ninit_observability(app)\ny = 2\n"
    );
}

#[test]
fn call_present_import_missing() {
    let p = snap(
        "call_only",
        "from flask import Flask\napp = Flask(__name__)\ncors = CORS(app)\ninit_observability(app)\n",
    );
    assert!(p.ours_present);
    assert_eq!(
        p.new_text,
        "from flask import Flask\napp = Flask(__name__)\ncors = CORS(app)\nfrom lib.observability import init_observability\ninit_observability(app)\n"
    );
}

#[test]
fn odd_orders_are_noted() {
    let p = plan("init_observability(app)\nfrom lib.observability import init_observability\napp = Flask(__name__)\n");
    assert!(!p.inserted);
    assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
    assert!(p.notes[0].contains(":1: `init_observability(app)` comes before its import on line 2"));
    assert!(
        p.notes[1].contains(":1: `init_observability(app)` runs before `app` is created on line 3")
    );
    let p = plan("from lib.observability import init_observability\napp = Flask(__name__)\ninit_observability(app)\ninit_observability(app)\n");
    assert_eq!(p.notes, ["backend-flask/app.py: `init_observability(app)` is called on lines 3, 4; once is enough"]);
}

#[test]
fn assignment_missing() {
    assert_eq!(
        err("from flask import Flask\napplication = Flask(__name__)\n"),
        AppError::NoAppAssignment {
            file: "backend-flask/app.py".into()
        }
    );
    // In a factory (indented): not module level.
    assert!(matches!(
        err("def create_app():\n    app = Flask(__name__)\n    return app\n"),
        AppError::NoAppAssignment { .. }
    ));
    assert!(matches!(err(""), AppError::NoAppAssignment { .. }));
    // `app == Flask(...)` is not an assignment.
    assert!(matches!(
        err("app == Flask(__name__)\n"),
        AppError::NoAppAssignment { .. }
    ));
}

#[test]
fn assignment_twice() {
    assert_eq!(
        err("from flask import Flask\napp = Flask(__name__)\n\nif True:\n    pass\napp = Flask(\n  'other')\n"),
        AppError::AmbiguousAppAssignment {
            file: "backend-flask/app.py".into(),
            lines: vec![2, 6]
        }
    );
}

#[test]
fn assignment_never_closed() {
    assert_eq!(
        err("from flask import Flask\napp = Flask(\n    __name__,\n"),
        AppError::UnclosedStatement {
            file: "backend-flask/app.py".into(),
            line: 2
        }
    );
    for text in [
        "app = Flask(__name__) \\",
        "app = Flask(__name__) '\\",
        "app = Flask(__name__) ''' x\n",
        "app = Flask(__name__)\nfrom lib.observability import init_observability, [\n",
    ] {
        assert!(
            matches!(err(text), AppError::UnclosedStatement { .. }),
            "{text:?}"
        );
    }
}

#[test]
fn inside_a_docstring() {
    snap(
        "docstring",
        "\"\"\"Cruddur backend.\n\napp = Flask(__name__)\n\"\"\"\nfrom flask import Flask\n\nHELP = '''\napp = Flask(__name__)\n'''\napp = Flask(__name__)\n",
    );
    assert!(matches!(
        err("'''\napp = Flask(__name__)\n'''\n"),
        AppError::NoAppAssignment { .. }
    ));
}

#[test]
fn commented_out() {
    snap(
        "commented",
        "from flask import Flask\n# app = Flask(__name__)\n#app = Flask(__name__)\napp = Flask(__name__)\n",
    );
    assert!(matches!(
        err("# app = Flask(__name__)\n"),
        AppError::NoAppAssignment { .. }
    ));
}

#[test]
fn strings_with_quotes_and_hashes() {
    let text = "x = \"it's # not a comment\"\ny = 'don\\'t ( open'\nz = \"\"\"a \"b\" (\"\"\"\nw = f\"{x}(\"\napp = Flask(__name__)\n";
    let p = plan(text);
    assert!(p.new_text.ends_with("app = Flask(__name__)\nfrom lib.observability import init_observability\ninit_observability(app)\n"));
}

#[test]
fn bom_is_kept() {
    let text = "\u{feff}from flask import Flask\napp = Flask(__name__)\n";
    let p = snap("bom", text);
    assert!(p.new_text.starts_with('\u{feff}'));
    assert_eq!(p.new_text.matches('\u{feff}').count(), 1);
    // The BOM does not push the first line off column 0.
    assert!(plan("\u{feff}app = Flask(__name__)\n").inserted);
}

#[test]
fn no_final_newline() {
    let p = snap(
        "no_final_newline",
        "from flask import Flask\napp = Flask(__name__)",
    );
    assert_eq!(
        p.new_text,
        "from flask import Flask\napp = Flask(__name__)\nfrom lib.observability import init_observability\ninit_observability(app)"
    );
    let p = plan("from flask import Flask\r\napp = Flask(__name__)");
    assert_eq!(
        p.new_text,
        "from flask import Flask\r\napp = Flask(__name__)\r\nfrom lib.observability import init_observability\r\ninit_observability(app)"
    );
    // Call present, import missing, call on the last line without a newline.
    let p = plan("app = Flask(__name__)\ninit_observability(app)");
    assert_eq!(
        p.new_text,
        "app = Flask(__name__)\nfrom lib.observability import init_observability\ninit_observability(app)"
    );
}

#[test]
fn week1_with_the_week2_style_additions() {
    // The week-2 changes in the course's shape, with the X-Ray, CloudWatch
    // and Rollbar blocks commented out: only OpenTelemetry counts.
    let text = WEEK1.replace(
        "app = Flask(__name__)\n",
        "\
# tracing, initialised before the app
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(tracer_provider)

app = Flask(__name__)

# X-Ray ----------
# XRayMiddleware(app, xray_recorder)
# HoneyComb -- instrument
FlaskInstrumentor().instrument_app(app)
RequestsInstrumentor().instrument()
# cw_handler = watchtower.CloudWatchLogHandler(log_group='cruddur')
# @app.before_first_request
# def init_rollbar():
#     rollbar.init(
",
    );
    let p = plan(&text);
    assert!(p.inserted && p.notes.is_empty());
    let d = crate::app::python::detect(&text, &|_| None);
    let parts: Vec<_> = d.live.iter().map(|f| f.marker.part()).collect();
    assert_eq!(parts, [crate::parts::Part::Honeycomb; 2]);
    let dead: Vec<_> = d.dead.iter().map(|(f, _)| f.marker.part()).collect();
    assert_eq!(
        dead,
        [
            crate::parts::Part::Xray,
            crate::parts::Part::Logs,
            crate::parts::Part::Rollbar
        ]
    );
}

#[test]
fn scanner_lines() {
    let s = Scan::new("a = (1,\r\n2)\r\n\"\"\"x\n\"\"\"\nb = 1 \\\n  + 2\nc");
    let starts: Vec<bool> = s.lines.iter().map(|l| l.logical_start).collect();
    assert_eq!(starts, [true, false, true, false, true, false, true]);
    assert_eq!(s.module_statements(), [(0, 1), (2, 3), (4, 5), (6, 6)]);
    assert!(!s.open_at_eof);
    assert!(Scan::new("x = '''open\n").open_at_eof);
}

// ---- robustness ------------------------------------------------------------------

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Python-ish text built from the pieces the scanner cares about.
    fn pythonish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("app = Flask(__name__)"),
            Just("app = Flask("),
            Just("init_observability(app)"),
            Just("from lib.observability import init_observability"),
            Just("FlaskInstrumentor().instrument_app(app)"),
            Just("CloudWatchLogHandler(log_group='x')"),
            Just("@app.before_first_request"),
            Just("rollbar.init("),
            Just("\n"),
            Just("\r\n"),
            Just("\n\n"),
            Just("    "),
            Just("\t"),
            Just("#"),
            Just("'"),
            Just("\""),
            Just("\"\"\""),
            Just("'''"),
            Just("\\"),
            Just("("),
            Just(")"),
            Just("["),
            Just("}"),
            Just("x = 1"),
            Just("é"),
            Just("\u{feff}"),
        ];
        (any::<bool>(), prop::collection::vec(piece, 0..40)).prop_map(|(bom, pieces)| {
            let mut s = String::from(if bom { "\u{feff}" } else { "" });
            s.extend(pieces);
            s
        })
    }

    proptest! {
        #[test]
        fn never_panics_only_inserts_and_is_idempotent(text in pythonish()) {
            let _ = crate::app::python::detect(&text, &|_| None);
            if let Ok(p) = plan_app_py(&text, "app.py") {
                let ops = similar::TextDiff::from_chars(text.as_str(), p.new_text.as_str());
                for op in ops.ops() {
                    let deletes = matches!(op.tag(), similar::DiffTag::Delete | similar::DiffTag::Replace);
                    prop_assert!(!deletes, "{:?} -> {:?}", text, p.new_text);
                }
                prop_assert_eq!(p.inserted, p.new_text != text);
                if p.inserted {
                    let again = plan_app_py(&p.new_text, "app.py");
                    prop_assert!(again.is_ok());
                    if let Ok(again) = again {
                        prop_assert!(!again.inserted);
                        prop_assert_eq!(again.new_text, p.new_text);
                    }
                }
            }
        }
    }
}

fn first(text: &str) -> AppPyPlan {
    plan_app_py_at(text, "app.py", ImportAt::First).unwrap()
}

#[test]
fn with_a_database_the_import_goes_above_the_first_import() {
    let text = "# week 4\n\"\"\"The API.\"\"\"\nfrom __future__ import annotations\nimport os\n\nfrom services.home import Home\n\napp = Flask(__name__)\nx = 1\n";
    let p = first(text);
    assert_eq!(
        p.new_text,
        "# week 4\n\"\"\"The API.\"\"\"\nfrom __future__ import annotations\nfrom lib.observability import init_observability\nimport os\n\nfrom services.home import Home\n\napp = Flask(__name__)\ninit_observability(app)\nx = 1\n"
    );
    assert!(p.inserted && p.notes.is_empty(), "{p:?}");
    // Twice: nothing more.
    let again = first(&p.new_text);
    assert_eq!(again.new_text, p.new_text);
    assert!(again.notes.is_empty(), "{again:?}");
}

#[test]
fn with_a_database_crlf_and_no_import_before_the_app_are_kept_simple() {
    let p = first("import os\r\napp = Flask(__name__)\r\n");
    assert_eq!(
        p.new_text,
        "from lib.observability import init_observability\r\nimport os\r\napp = Flask(__name__)\r\ninit_observability(app)\r\n"
    );
    // Nothing imported before the app: the import goes with the call.
    let p = first("app = Flask(__name__)\nimport os\n");
    assert_eq!(
        p.new_text,
        "app = Flask(__name__)\nfrom lib.observability import init_observability\ninit_observability(app)\nimport os\n"
    );
}

#[test]
fn with_a_database_an_import_below_the_others_is_named() {
    let text = "import os\nfrom services.home import Home\napp = Flask(__name__)\nfrom lib.observability import init_observability\ninit_observability(app)\n";
    let p = first(text);
    assert_eq!(p.new_text, text);
    assert_eq!(
        p.notes,
        ["app.py:4: move `from lib.observability import init_observability` above the other imports: database and AWS clients made when they are imported are traced only when it comes first"]
    );
    // Without a database, where it is does not matter.
    assert!(plan_app_py(text, "app.py").unwrap().notes.is_empty());
}
