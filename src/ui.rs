//! Talking to the user: results on stdout (text or JSON), and on stderr the plan,
//! prompts and spinners. Prompts only happen on a terminal; elsewhere `--yes` is
//! required, so the tool never hangs waiting on stdin.

use std::future::Future;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::config::Ui;
use crate::error::Error;
use crate::secret::Secret;

/// Asks the user to agree to `what`. `--yes` agrees in advance; without a terminal
/// and without `--yes` this is [`Error::NeedsConfirmation`] (exit 5).
pub(crate) fn agree(ui: &Ui, what: &str, question: &str) -> Result<bool, Error> {
    if ui.yes {
        return Ok(true);
    }
    if !ui.interactive {
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
pub(crate) fn ask_secret(ui: &Ui, prompt: &str) -> Result<Option<Secret>, Error> {
    if !ui.interactive {
        return Ok(None);
    }
    let value = dialoguer::Password::new()
        .with_prompt(prompt)
        .interact_on(&dialoguer::console::Term::stderr())
        .map_err(|e| Error::Prompt(e.to_string()))?;
    let value = value.trim();
    register_secret(value);
    Ok((!value.is_empty()).then(|| Secret::new(value)))
}

/// Runs `fut` with a spinner on stderr (drawn only when stderr is a terminal).
pub(crate) async fn spin<F: Future>(message: &str, fut: F) -> F::Output {
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

/// Prints a result on stdout in the chosen format.
pub(crate) fn emit<T: Serialize + std::fmt::Display>(ui: &Ui, result: &T) {
    match ui.output {
        OutputFormat::Text => {
            let text = result.to_string();
            if !text.is_empty() {
                out(&text);
            }
        }
        OutputFormat::Json => match serde_json::to_string_pretty(result) {
            Ok(json) => out(&json),
            Err(e) => err(&format!("error: cannot render the result as JSON: {e}")),
        },
    }
}

/// The secrets of this run (keys, tokens, the AWS secret, literal secrets found
/// in files): nothing this program shows contains them or any 8-character piece
/// of them. Registered once, as soon as they are known.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Adds a secret to those masked in every output (shorter than 8: ignored).
pub(crate) fn register_secret(value: &str) {
    let value = value.trim();
    if value.chars().count() < 8 {
        return;
    }
    if let Ok(mut secrets) = SECRETS.lock() {
        if !secrets.iter().any(|s| s == value) {
            secrets.push(value.to_string());
        }
    }
}

/// `text` with every registered secret, and every 8-character piece of one,
/// replaced by its masked form.
pub(crate) fn scrub(text: &str) -> String {
    let Ok(secrets) = SECRETS.lock() else {
        return text.to_string();
    };
    let mut out = text.to_string();
    for secret in secrets.iter() {
        let masked = crate::secret::mask(secret);
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), &masked);
        }
        let chars: Vec<char> = secret.chars().collect();
        for start in 0..chars.len().saturating_sub(7) {
            let piece: String = chars[start..start + 8].iter().collect();
            // Pieces of the masked form itself are fine (the prefix and last 4).
            if out.contains(&piece) && !masked.contains(&piece) {
                out = out.replace(&piece, "****");
            }
        }
    }
    out
}

/// Writes to stderr, scrubbed of secrets (diffs, the plan, warnings).
pub(crate) fn err(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{}", scrub(text));
}

/// Writes one line (or block) to stdout. The only place that writes stdout. A
/// closed stdout (`cruddur-obs ... | head -1`) ends the program quietly with exit 0,
/// as ripgrep does: nobody is left to read the rest.
pub(crate) fn out(text: &str) {
    out_bytes(format!("{}\n", scrub(text)).as_bytes());
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
