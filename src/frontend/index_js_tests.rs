use super::*;

const WEEK1: &str = include_str!("../../tests/fixtures/frontends/week1/src/index.js");
const RENDER: &str = include_str!("../../tests/fixtures/frontends/render/src/index.js");
const TS: &str = include_str!("../../tests/fixtures/frontends/typescript/src/index.tsx");
const HAND: &str = include_str!("../../tests/fixtures/frontends/hand-tracing/src/index.js");

/// Plans, checks a second plan changes nothing, and returns the new text.
fn planned(text: &str) -> (String, Option<(String, usize)>) {
    let p = plan_index(text, "src/index.js");
    let again = plan_index(&p.new_text, "src/index.js");
    assert_eq!(again.new_text, p.new_text, "a second plan changed the text");
    assert!(again.inserted.is_none());
    // Exactly one line gained (and the missing final line break, if it goes last).
    if let Some((line, _)) = &p.inserted {
        let eol = line_ending(text);
        let without = p.new_text.replacen(&format!("{line}{eol}"), "", 1);
        assert!(
            without == text || without == format!("{text}{eol}"),
            "{without:?}"
        );
    } else {
        assert_eq!(p.new_text, text);
    }
    (p.new_text, p.inserted)
}

#[test]
fn create_root_week1_gets_the_import_first() {
    let (new, inserted) = planned(WEEK1);
    assert_eq!(inserted, Some(("import './tracing';".to_string(), 1)));
    assert!(new.starts_with("import './tracing';\nimport React from 'react';\n"));
    assert!(plan_index(WEEK1, "src/index.js").notes.is_empty());
}

#[test]
fn react_dom_render_without_semicolons_after_a_doc_header_and_use_strict() {
    let (new, inserted) = planned(RENDER);
    assert_eq!(inserted, Some(("import './tracing'".to_string(), 6)));
    assert!(
        new.contains("'use strict'\n\nimport './tracing'\nimport React from 'react'\n"),
        "{new}"
    );
}

#[test]
fn crlf_and_double_quotes_are_followed() {
    let text = TS.replace('\n', "\r\n");
    let (new, inserted) = planned(&text);
    assert_eq!(inserted, Some(("import \"./tracing\";".to_string(), 1)));
    assert!(new.starts_with("import \"./tracing\";\r\nimport React from \"react\";\r\n"));
    assert!(!new.replace("\r\n", "").contains('\n'));
}

#[test]
fn already_imported_in_any_spelling_is_left_alone() {
    assert!(planned(HAND).1.is_none());
    for line in [
        "import './tracing'",
        "import \"./tracing.js\";",
        "import './tracing.ts';",
        "require('./tracing');",
        "  import './tracing/index.js'",
    ] {
        let text = format!("import React from 'react';\n{line}\nroot.render(<App />);\n");
        let p = plan_index(&text, "src/index.js");
        assert!(p.inserted.is_none(), "{line}");
        assert_eq!(p.new_text, text);
    }
    // Commented out, or another module of that name: not the tracing import.
    for text in [
        "// import './tracing';\nimport React from 'react';\ncreateRoot(x);\n",
        "/* import './tracing'; */\nimport React from 'react';\ncreateRoot(x);\n",
        "import tracing from './tracing-helpers';\ncreateRoot(x);\n",
        "import { x } from './tracing';\ncreateRoot(x);\n",
    ] {
        assert!(
            plan_index(text, "src/index.js").inserted.is_some(),
            "{text}"
        );
    }
}

#[test]
fn comments_about_the_next_line_stay_with_it() {
    let text = "// Entry point\n\n// eslint-disable-next-line no-unused-vars\nimport React from 'react';\ncreateRoot(x);\n";
    let (new, inserted) = planned(text);
    assert_eq!(inserted.map(|(_, n)| n), Some(3));
    assert!(new.contains(
        "\nimport './tracing';\n// eslint-disable-next-line no-unused-vars\nimport React"
    ));
    let text = "/* a\n   licence */\n\"use strict\";\nconst React = require(\"react\");\nReactDOM.render(x);\n";
    let (new, _) = planned(text);
    assert!(
        new.contains("\"use strict\";\nrequire(\"./tracing\");\nconst React"),
        "{new}"
    );
}

#[test]
fn shebang_bom_empty_and_comment_only_files() {
    let (new, _) = planned("#!/usr/bin/env node\nimport a from 'a';\nrender(a);\n");
    assert!(new.starts_with("#!/usr/bin/env node\nimport './tracing';\nimport a"));
    let (new, _) = planned("\u{feff}import a from 'a';\nrender(a);\n");
    assert!(
        new.starts_with("\u{feff}import './tracing';\nimport a"),
        "{new:?}"
    );
    let (new, _) = planned("");
    assert_eq!(new, "import './tracing';\n");
    let (new, _) = planned("/* eslint-disable */ import a from 'a';\nrender(a);\n");
    assert!(new.starts_with("import './tracing';\n/* eslint"));
    let (new, _) = planned("// nothing yet");
    assert_eq!(new, "// nothing yet\nimport './tracing';\n");
}

#[test]
fn a_file_that_starts_nothing_gets_a_note() {
    let p = plan_index("import a from 'a';\nexport default a;\n", "src/index.js");
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].starts_with("src/index.js: neither `createRoot(` nor `render(`"));
}
