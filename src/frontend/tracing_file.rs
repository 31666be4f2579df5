//! `src/tracing.js` (`src/tracing.ts` in a TypeScript app): the module from
//! `templates/`, and what a tracing setup written by hand looks like.
//!
//! A hand setup (a `WebTracerProvider` made anywhere the entry point runs) is
//! kept and reported: a second provider would double every span (the keys in
//! it: [`super::keys`]).

use super::js::code_only;

/// The module for a JavaScript app, compiled into the binary.
pub(crate) const TEMPLATE_JS: &str = include_str!("../../templates/tracing.js");
/// The same for a TypeScript app (typed parameters, nothing else differs).
pub(crate) const TEMPLATE_TS: &str = include_str!("../../templates/tracing.ts");

/// The template for the app.
pub(crate) fn template(typescript: bool) -> &'static str {
    if typescript {
        TEMPLATE_TS
    } else {
        TEMPLATE_JS
    }
}

/// What sets tracing up by hand, as code says it.
const SETUP_CALLS: [&str; 3] = [
    "WebTracerProvider(",
    "registerInstrumentations(",
    "HoneycombWebSDK(",
];

/// The 1-based line of the first tracing setup in `text` (outside comments), if
/// any: `new WebTracerProvider(`, `registerInstrumentations(`, Honeycomb's
/// `new HoneycombWebSDK(`.
pub(crate) fn setup_line(text: &str) -> Option<(usize, &'static str)> {
    code_only(text).lines().enumerate().find_map(|(i, code)| {
        SETUP_CALLS
            .iter()
            .find(|call| code.contains(*call))
            .map(|call| (i + 1, *call))
    })
}

/// Whether `text` is one of our templates (any version's: it says it was
/// written by cruddur-obs on its first line).
pub(crate) fn is_ours(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|l| l.contains("(written by cruddur-obs"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::keys::leaks;

    #[test]
    fn the_templates_are_ours_and_set_tracing_up_without_a_secret() {
        for t in [TEMPLATE_JS, TEMPLATE_TS] {
            assert!(is_ours(t));
            assert!(setup_line(t).is_some());
            assert!(leaks(t).is_empty());
            assert!(!t.contains("x-honeycomb-team"));
            assert!(!t.contains(":443"));
            for needle in [
                "resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'frontend-react-js' })",
                "spanProcessors: [",
                "new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` }))",
                "provider.register({ contextManager: new ZoneContextManager() });",
                "new DocumentLoadInstrumentation()",
                "propagateTraceHeaderCorsUrls: backendUrl ? [urlsUnder(backendUrl)] : []",
                "ignoreUrls: [urlsUnder(collectorUrl)]",
                "process.env.REACT_APP_OTEL_COLLECTOR_URL",
                "process.env.REACT_APP_BACKEND_URL",
                "if (collectorUrl) {",
            ] {
                assert!(t.contains(needle), "{needle}");
            }
            // Every package imported is one package.json gets.
            for line in t.lines().filter(|l| l.starts_with("import ")) {
                let from = line.split('\'').nth(1).unwrap_or_default();
                assert!(
                    crate::frontend::PACKAGES.iter().any(|(n, _)| *n == from),
                    "{from}"
                );
            }
        }
        assert_eq!(
            TEMPLATE_TS
                .replace(": string | undefined): string", ")")
                .replace("(base: string): RegExp", "(base)"),
            TEMPLATE_JS
        );
        assert_eq!(template(true), TEMPLATE_TS);
    }

    #[test]
    fn setups_in_comments_do_not_count() {
        assert_eq!(
            setup_line("// new WebTracerProvider()\nconst a = 1;\n"),
            None
        );
        assert_eq!(
            setup_line("const sdk = new HoneycombWebSDK({});\n"),
            Some((1, "HoneycombWebSDK("))
        );
    }
}
