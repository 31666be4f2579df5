//! Talking to the user: results on stdout (text or JSON), and on stderr the plan,
//! prompts and spinners. Prompts only happen on a terminal; elsewhere `--yes` is
//! required, so the tool never hangs waiting on stdin.

use std::future::Future;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use std::process::ExitCode;

use crate::error::Error;
use crate::secret::Secret;
use crate::secret::{sanitize, scrub, scrub_value};

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    Text,
    Json,
}

/// How the run talks to the user.
#[derive(Debug, Clone)]
pub(crate) struct Ui {
    pub output: Output,
    pub yes: bool,
    pub dry_run: bool,
    /// Whether we may prompt (stdin and stderr are terminals).
    pub interactive: bool,
    /// `-v` count: with one or more, a new file's diff is shown whole.
    pub verbose: u8,
}

impl Ui {
    /// Asks the user to agree to `what`. `--yes` agrees in advance; without a terminal
    /// and without `--yes` this is [`Error::NeedsConfirmation`] (exit 5).
    pub(crate) fn agree(&self, what: &str, question: &str) -> Result<bool, Error> {
        if self.yes {
            return Ok(true);
        }
        if !self.interactive {
            return Err(Error::NeedsConfirmation {
                what: what.to_string(),
            });
        }
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact_on(&dialoguer::console::Term::stderr())
            .map_err(|e| Error::Prompt(e.to_string()))
    }

    /// Asks for a secret with hidden input on a terminal; `None` without a terminal.
    pub(crate) fn ask_secret(&self, prompt: &str) -> Result<Option<Secret>, Error> {
        if !self.interactive {
            return Ok(None);
        }
        let value = dialoguer::Password::new()
            .with_prompt(prompt)
            .interact_on(&dialoguer::console::Term::stderr())
            .map_err(|e| Error::Prompt(e.to_string()))?;
        let value = value.trim();
        Ok((!value.is_empty()).then(|| Secret::new(value)))
    }

    /// Runs `fut` with a spinner on stderr (drawn only when stderr is a terminal).
    pub(crate) async fn spin<F: Future>(&self, message: &str, fut: F) -> F::Output {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(80));
        let out = fut.await;
        bar.finish_and_clear();
        out
    }

    /// A spinner whose message changes as work arrives (as [`Ui::spin`], hidden
    /// when stderr is not a terminal); cleared when dropped.
    pub(crate) fn progress(&self, message: &str) -> Progress {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(80));
        Progress(bar)
    }

    /// A line for the user on stderr while the command runs: the plan, a diff,
    /// a step done (results go in the command's [`Done`]).
    pub(crate) fn say(&self, text: &str) {
        err(text);
    }

    /// A diff as the user reads it on a terminal: a new file in one line
    /// (`-v` shows it whole; JSON reports always hold it whole).
    pub(crate) fn diff_text(&self, diff: &str) -> String {
        if self.verbose > 0 {
            return diff.to_string();
        }
        crate::files::brief_diff(diff)
    }

    /// A `warning:` line on stderr, with a `help:` line when the user can act.
    pub(crate) fn warn(&self, message: &str, help: Option<&str>) {
        warn(message, help);
    }
}

/// A spinner of [`Ui::progress`].
pub(crate) struct Progress(ProgressBar);

impl Progress {
    pub(crate) fn set(&self, message: String) {
        self.0.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// What a command did: its report (shown as text or as JSON) and the exit code.
/// Commands return it; [`crate::run::run`] hands it to [`render`].
#[derive(Debug)]
pub(crate) struct Done {
    text: String,
    json: serde_json::Value,
    pub(crate) code: u8,
    /// Why the code is not 0, and what to do: the `error` and `help` of the
    /// JSON document (the text report says it in its own words).
    reason: Option<(String, Option<String>)>,
}

impl Done {
    pub(crate) fn new<T: Serialize + std::fmt::Display>(report: &T, code: u8) -> Done {
        Done {
            text: report.to_string(),
            json: serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
            code,
            reason: None,
        }
    }

    /// A report whose work is not all done (exit 3): `reason` says what is left.
    pub(crate) fn pending<T: Serialize + std::fmt::Display>(
        report: &T,
        reason: impl Into<String>,
        help: Option<&str>,
    ) -> Done {
        Done {
            reason: Some((reason.into(), help.map(str::to_string))),
            ..Done::new(report, crate::error::exit::PENDING)
        }
    }

    /// The same report with another exit code and its reason.
    pub(crate) fn with_code(self, code: u8, reason: impl Into<String>, help: Option<&str>) -> Done {
        Done {
            code,
            reason: Some((reason.into(), help.map(str::to_string))),
            ..self
        }
    }

    /// `error` after this report's work (a follow-up step that failed): the
    /// report goes out as the `report` of the one JSON error document.
    pub(crate) fn then_failed(self, error: Error) -> Error {
        Error::Partial(Box::new(crate::error::Partial {
            text: String::new(),
            json: self.json,
            error,
        }))
    }

    /// Output that is neither text nor a report (a completion script, a policy
    /// document): printed as it is in both formats.
    pub(crate) fn raw(text: String, code: u8) -> Done {
        Done {
            json: serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text.clone())),
            text,
            code,
            reason: None,
        }
    }
}

/// Prints what a command did, in the chosen format; returns its exit code.
pub(crate) fn render(ui: &Ui, done: Done) -> ExitCode {
    match ui.output {
        Output::Text if !done.text.is_empty() => out(&done.text),
        Output::Text => {}
        Output::Json if done.code == crate::error::exit::OK => out_json(done.json),
        Output::Json => {
            let (error, help) = done
                .reason
                .unwrap_or_else(|| (format!("exit code {}", done.code), None));
            out_json(serde_json::json!({
                "error": error,
                "help": help,
                "exit_code": done.code,
                "report": done.json,
            }));
        }
    }
    ExitCode::from(done.code)
}

/// A `warning:` line (and a `help:` line) on stderr.
pub(crate) fn warn(message: &str, help: Option<&str>) {
    err(&format!("warning: {message}"));
    if let Some(help) = help {
        err(&format!("help: {help}"));
    }
}

/// Sends log lines to stderr through the scrubber at every `-v` level; our own
/// warnings (`tracing::warn!` anywhere in the crate, with an optional `help`
/// field) read as `warning:`/`help:` lines. `-v` shows other crates' warnings,
/// `-vv` our debug lines, `-vvv` everyone's.
pub(crate) fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let (others, ours) = match verbose {
        0 => (LevelFilter::ERROR, LevelFilter::WARN),
        1 => (LevelFilter::WARN, LevelFilter::WARN),
        2 => (LevelFilter::INFO, LevelFilter::DEBUG),
        _ => (LevelFilter::DEBUG, LevelFilter::DEBUG),
    };
    let filter = Targets::new()
        .with_default(others)
        .with_target("cruddur_obs", ours);
    let _ = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(|| ScrubbedStderr)
        .without_time()
        .event_format(LogFormat(
            tracing_subscriber::fmt::format()
                .without_time()
                .with_ansi(false),
        ))
        .finish()
        .with(filter)
        .try_init();
}

/// Stderr for log lines: each formatted event is scrubbed of secrets and
/// control characters before it is written.
struct ScrubbedStderr;

impl std::io::Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr()
            .lock()
            .write_all(sanitize(&scrub(&text)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Our warnings as `warning:` lines; every other event as tracing formats it.
struct LogFormat<F>(F);

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for LogFormat<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        if *meta.level() != tracing::Level::WARN || !meta.target().starts_with("cruddur_obs") {
            return self.0.format_event(ctx, writer, event);
        }
        let mut fields = WarningFields::default();
        event.record(&mut fields);
        writeln!(writer, "warning: {}", fields.message)?;
        if let Some(help) = fields.help {
            writeln!(writer, "help: {help}")?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct WarningFields {
    message: String,
    help: Option<String>,
}

impl tracing::field::Visit for WarningFields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            "help" => self.help = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "help" => self.help = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

/// Prints one JSON document on stdout, every string in it (keys too) scrubbed
/// of secrets and control characters first.
pub(crate) fn out_json(mut value: serde_json::Value) {
    scrub_value(&mut value);
    let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "null".into());
    out_bytes(format!("{text}\n").as_bytes());
}

/// Writes to stderr, scrubbed of secrets (diffs, the plan, warnings).
pub(crate) fn err(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{}", sanitize(&scrub(text)));
}

/// A `note:` line on stderr: something found rather than given (the compose
/// file, the service), for the user to check.
pub(crate) fn note(text: &str) {
    err(&format!("note: {text}"));
}

/// Writes one line (or block) to stdout. The only place that writes stdout. A
/// closed stdout (`cruddur-obs ... | head -1`) ends the program quietly with exit 0,
/// as ripgrep does: nobody is left to read the rest.
pub(crate) fn out(text: &str) {
    out_bytes(format!("{}\n", sanitize(&scrub(text))).as_bytes());
}

/// Writes bytes to stdout; see [`out`].
pub(crate) fn out_bytes(bytes: &[u8]) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let result = stdout.write_all(bytes).and_then(|()| stdout.flush());
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            err(&format!("error: cannot write to stdout: {e}"));
            std::process::exit(i32::from(crate::error::exit::FAILURE));
        }
    }
}

/// Prints the error as one line (plus a `help:` line) on stderr and returns its exit code.
/// With `--output json` the same is also printed on stdout as one `{"error": ...}`
/// document (with the `report` of what was done before it, if any): stdout holds
/// exactly one JSON document whatever happened.
pub(crate) fn render_error(error: &Error, verbose: u8, output: Output) -> ExitCode {
    let partial = match error {
        Error::Partial(p) => Some(p),
        _ => None,
    };
    match output {
        Output::Json => {
            let mut doc = serde_json::json!({
                "error": error.to_string(),
                "help": error.help(),
                "exit_code": error.exit_code(),
            });
            if let Some(p) = partial {
                doc["report"] = p.json.clone();
            }
            out_json(doc);
        }
        Output::Text => {
            if let Some(p) = partial.filter(|p| !p.text.is_empty()) {
                out(&p.text);
            }
        }
    }
    let error = partial.map_or(error, |p| &p.error);
    err(&format!("error: {error}"));
    if let Some(help) = error.help() {
        err(&format!("help: {help}"));
    }
    if verbose > 0 {
        if let Error::Aws(e) = error {
            if let Some(detail) = e.detail() {
                err(&format!("detail: {detail}"));
            }
        }
    }
    ExitCode::from(error.exit_code())
}
