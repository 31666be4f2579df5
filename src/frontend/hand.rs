//! A browser tracing setup written by hand, and whether it runs: in the modules
//! the entry point runs (a setup inside a function only if something calls it),
//! or in a `src/tracing.*` nothing imports. One that runs is left as it is (a
//! second provider would double every span); one that does not is work left.

use super::{js, tracing_file};

/// Where a hand setup is looked for when nothing the entry point runs has one.
pub(crate) const TRACING_FILES: [&str; 4] = [
    "src/tracing.js",
    "src/tracing.ts",
    "src/tracing.jsx",
    "src/tracing.tsx",
];

/// The first hand setup that runs in `running` (the entry point and the modules
/// it imports, `(path, text)`, in order), else the first that does not: in
/// `running` inside a function nothing calls, or in `unimported` (the
/// [`TRACING_FILES`] not in `running`). Our own module is not a hand setup.
pub(crate) fn find(running: &[(String, String)], unimported: &[(String, String)]) -> Option<Hand> {
    let code: Vec<String> = running.iter().map(|(_, t)| js::code_only(t)).collect();
    let setup =
        |text: &str| tracing_file::setup_line(text).filter(|_| !tracing_file::is_ours(text));
    let mut dormant = None;
    for (rel, text) in running {
        let Some((line, call)) = setup(text) else {
            continue;
        };
        let uncalled = js::enclosing_function(text, line).filter(|name| {
            // Under its own name, or the names it is imported as.
            let stem = std::path::Path::new(rel)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let default_export = text.contains(&format!("export default function {name}"))
                || text.contains(&format!("export default {name}"))
                || text.contains(&format!("{name} as default"));
            let mut names = vec![name.clone()];
            for c in &code {
                names.extend(js::import_aliases(name, &stem, default_export, c));
            }
            !names.iter().any(|n| code.iter().any(|c| js::is_used(n, c)))
        });
        let found = Hand {
            rel: rel.clone(),
            line,
            call,
            off: uncalled.map_or(Off::No, Off::Uncalled),
        };
        if found.off == Off::No {
            return Some(found);
        }
        dormant = dormant.or(Some(found));
    }
    dormant.or_else(|| {
        unimported.iter().find_map(|(rel, text)| {
            let (line, call) = setup(text)?;
            Some(Hand {
                rel: rel.clone(),
                line,
                call,
                off: Off::NotImported,
            })
        })
    })
}

/// A tracing setup written by hand.
pub(crate) struct Hand {
    pub rel: String,
    pub line: usize,
    pub call: &'static str,
    pub off: Off,
}

/// Whether a hand setup runs, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Off {
    No,
    /// A file nothing the entry point runs imports (its import commented out).
    NotImported,
    /// Inside this function, which nothing the entry point runs calls.
    Uncalled(String),
}

impl Hand {
    pub(crate) fn note(&self, file: &str, entry: &str, ours_rel: &str) -> String {
        let (line, call) = (self.line, self.call);
        let instead = format!(
            "or run again with --force to write cruddur-obs's {ours_rel} (imported) instead"
        );
        match &self.off {
            Off::No => format!(
                "{file}:{line}: browser tracing is set up by hand (`{call}...)`): left as it is \
                 rather than set up twice — no packages, no {ours_rel}, no import were added{}",
                if self.rel == ours_rel {
                    " (--force replaces it with cruddur-obs's)"
                } else {
                    ""
                }
            ),
            Off::NotImported => {
                let module = self.rel.trim_start_matches("src/");
                let module = module.rsplit_once('.').map_or(module, |(m, _)| m);
                format!(
                    "{file}:{line}: sets browser tracing up by hand (`{call}...)`), but nothing \
                     {entry} runs imports it, so the browser sends no spans: left as it is — \
                     import it first in {entry} (`import './{module}';`), {instead}"
                )
            }
            Off::Uncalled(name) => format!(
                "{file}:{line}: sets browser tracing up by hand (`{call}...)`) in {name}(), but \
                 nothing {entry} runs calls {name}, so the browser sends no spans: left as it is \
                 — call it in {entry}, {instead}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str, text: &str) -> (String, String) {
        (rel.to_string(), text.to_string())
    }

    #[test]
    fn a_running_setup_wins_over_one_that_does_not_run() {
        let index = file(
            "src/index.js",
            "import './otel';\nimport { init } from './lazy';\n",
        );
        let lazy = file(
            "src/lazy.js",
            "export function init() {\n  new WebTracerProvider();\n}\n",
        );
        let otel = file("src/otel.js", "const p = new WebTracerProvider();\n");
        let found = find(&[index.clone(), lazy.clone(), otel], &[]).unwrap();
        assert_eq!(
            (found.rel.as_str(), found.line, found.off),
            ("src/otel.js", 1, Off::No)
        );
        let found = find(&[index, lazy], &[]).unwrap();
        assert_eq!(found.off, Off::Uncalled("init".into()));
        assert!(found
            .note("src/lazy.js", "src/index.js", "src/tracing.js")
            .contains("in init(), but nothing src/index.js runs calls init"));
    }

    #[test]
    fn a_call_under_an_imported_alias_or_a_default_binding_counts() {
        let lazy = file(
            "src/instrumentation.js",
            "export default function setup() {\n  new WebTracerProvider();\n}\nexport const init = () => {\n  setup();\n};\n",
        );
        for index in [
            "import setupTracing from './instrumentation';\nsetupTracing();\n",
            "import { init as start } from './instrumentation';\nstart();\n",
        ] {
            let found = find(&[file("src/index.js", index), lazy.clone()], &[]).unwrap();
            assert_eq!(found.off, Off::No, "{index}");
        }
        let found = find(
            &[
                file(
                    "src/index.js",
                    "import setupTracing from './instrumentation';\n// setupTracing();\n",
                ),
                file(
                    "src/instrumentation.js",
                    "export default function setup() {\n  new WebTracerProvider();\n}\n",
                ),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(found.off, Off::Uncalled("setup".into()));
    }

    #[test]
    fn an_unimported_tracing_file_is_off_and_ours_is_never_a_hand_setup() {
        let index = file("src/index.js", "// import './tracing';\n");
        let hand = file("src/tracing.js", "new WebTracerProvider();\n");
        let found = find(std::slice::from_ref(&index), &[hand]).unwrap();
        assert_eq!(found.off, Off::NotImported);
        let ours = file("src/tracing.js", tracing_file::TEMPLATE_JS);
        assert!(find(&[index, ours.clone()], &[]).is_none());
        assert!(find(&[], &[ours]).is_none());
    }
}
