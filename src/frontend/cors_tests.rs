use super::*;

const WEEK1: &str = include_str!("../../examples/cruddur-like/backend-flask/app.py");
const WEEK6_CORS: &str = include_str!("../../tests/fixtures/backends/week6-refactor/lib/cors.py");

fn plan(text: &str) -> CorsPlan {
    let p = plan_cors(text, "backend-flask/app.py", &[]);
    // A second plan changes nothing.
    let again = plan_cors(&p.new_text, "backend-flask/app.py", &[]);
    assert_eq!(again.new_text, p.new_text);
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    p
}

#[test]
fn the_course_string_becomes_a_list_and_nothing_else_changes() {
    let p = plan(WEEK1);
    assert_eq!(p.calls, 1);
    let expected = WEEK1.replace(
        "allow_headers=\"content-type,if-modified-since\",",
        "allow_headers=[\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\"],",
    );
    assert_ne!(expected, WEEK1);
    assert_eq!(p.new_text, expected);
    assert_eq!(
        p.changes,
        ["~ allow_headers=\"content-type,if-modified-since\" → [\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\"] (line 24; flask-cors reads a string as one regular expression, which matches none of these headers)"]
    );
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn spaces_single_quotes_crlf_and_a_name_already_there() {
    let text = "from flask_cors import CORS\r\ncors = CORS(app, allow_headers=' Content-Type , TraceParent ', methods='GET')\r\n";
    let p = plan(text);
    assert_eq!(
        p.new_text,
        "from flask_cors import CORS\r\ncors = CORS(app, allow_headers=['Content-Type', 'TraceParent', 'tracestate'], methods='GET')\r\n"
    );
}

#[test]
fn lists_and_tuples_get_the_missing_names_after_their_last_item() {
    let p = plan("CORS(app, allow_headers=['content-type', 'traceparent'])\n");
    assert_eq!(
        p.new_text,
        "CORS(app, allow_headers=['content-type', 'traceparent', 'tracestate'])\n"
    );
    assert_eq!(p.changes, ["+ allow_headers 'tracestate' (line 1)"]);
    let p = plan(
        "flask_cors.CORS(\n    app,\n    allow_headers=(\n        \"content-type\",\n    ),\n)\n",
    );
    assert_eq!(
        p.new_text,
        "flask_cors.CORS(\n    app,\n    allow_headers=(\n        \"content-type\", \"traceparent\", \"tracestate\",\n    ),\n)\n"
    );
    let p = plan("CORS(app, allow_headers=[])\n");
    assert_eq!(
        p.new_text,
        "CORS(app, allow_headers=[\"traceparent\", \"tracestate\"])\n"
    );
}

#[test]
fn everything_allowed_already_is_left_alone() {
    for text in [
        "CORS(app, resources={r\"/api/*\": {\"origins\": origins}})\n",
        "CORS(app, allow_headers=\"*\")\n",
        "CORS(app, allow_headers=[\"*\"])\n",
        "CORS(app, allow_headers=[\"content-type\", \"traceparent\", \"tracestate\"])\n",
    ] {
        let p = plan(text);
        assert_eq!(p.new_text, text);
        assert!(
            p.changes.is_empty() && p.notes.is_empty(),
            "{text}: {:?}",
            p.notes
        );
        assert_eq!(p.calls, 1);
    }
    // The week-6 refactor: CORS in lib/cors.py, no allow_headers.
    let p = plan(WEEK6_CORS);
    assert_eq!(p.calls, 1);
    assert!(p.notes.is_empty());
}

#[test]
fn per_resource_options_are_edited_too() {
    let text = "CORS(app, resources={r\"/api/*\": {\"origins\": o, \"allow_headers\": \"content-type\"}})\n";
    let p = plan(text);
    assert_eq!(
        p.new_text,
        "CORS(app, resources={r\"/api/*\": {\"origins\": o, \"allow_headers\": [\"content-type\", \"traceparent\", \"tracestate\"]}})\n"
    );
}

#[test]
fn what_cannot_be_edited_safely_gets_the_exact_fix() {
    for (text, written) in [
        ("CORS(app, allow_headers=HEADERS)\n", "HEADERS"),
        ("CORS(app, allow_headers=f\"{a},b\")\n", "f\"{a},b\""),
        (
            "CORS(app, allow_headers=\"content-.*\")\n",
            "\"content-.*\"",
        ),
        ("CORS(app, allow_headers=[\"a\", h])\n", "[\"a\", h]"),
    ] {
        let p = plan(text);
        assert_eq!(p.new_text, text);
        assert!(p.changes.is_empty());
        assert_eq!(
            p.notes,
            [format!(
                "backend-flask/app.py:1: allow_headers={written} cannot be edited safely: make \
                 sure it allows traceparent and tracestate too (e.g. allow_headers=[\"content-type\", \
                 \"traceparent\", \"tracestate\"]), or the browser's traced requests to the backend \
                 fail CORS"
            )]
        );
    }
}

#[test]
fn no_call_or_no_parse_is_a_note() {
    let p = plan("from flask import Flask\napp = Flask(__name__)\n");
    assert_eq!(p.calls, 0);
    assert!(p.notes[0].starts_with("backend-flask/app.py: no CORS(...) call"));
    let p = plan("def f(:\n");
    assert!(
        p.notes[0].starts_with("backend-flask/app.py:1: Python cannot parse this file"),
        "{:?}",
        p.notes
    );
    // A BOM is kept.
    let p = plan("\u{feff}CORS(app, allow_headers=\"a\")\n");
    assert!(p
        .new_text
        .starts_with("\u{feff}CORS(app, allow_headers=[\"a\", "));
}

#[test]
fn the_headers_the_frontend_sends_join_the_list_with_where_they_are_sent() {
    let sent = [Sent {
        name: "authorization".into(),
        at: "src/pages/HomeFeedPage.js:34".into(),
    }];
    let p = plan_cors(WEEK1, "backend-flask/app.py", &sent);
    assert!(p.new_text.contains(
        "allow_headers=[\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\", \"authorization\"],"
    ));
    assert_eq!(
        p.changes,
        ["~ allow_headers=\"content-type,if-modified-since\" → [\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\", \"authorization\"] (line 24; flask-cors reads a string as one regular expression, which matches none of these headers; authorization: sent by src/pages/HomeFeedPage.js:34)"]
    );
    // A list with the trace headers but not the frontend's: appended, in its quotes.
    let text = "cors = CORS(app, allow_headers=['Content-Type', 'traceparent', 'tracestate'])\n";
    let p = plan_cors(text, "backend-flask/app.py", &sent);
    assert_eq!(
        p.new_text,
        "cors = CORS(app, allow_headers=['Content-Type', 'traceparent', 'tracestate', 'authorization'])\n"
    );
    assert_eq!(
        p.changes,
        ["+ allow_headers 'authorization' (line 1; authorization: sent by src/pages/HomeFeedPage.js:34)"]
    );
    // Already there, in any case: nothing; a second plan of the result: nothing.
    let again = plan_cors(&p.new_text, "backend-flask/app.py", &sent);
    assert!(again.changes.is_empty() && again.notes.is_empty());
    let upper = text.replace("'tracestate'", "'tracestate', 'Authorization'");
    assert!(plan_cors(&upper, "backend-flask/app.py", &sent)
        .changes
        .is_empty());
}
