//! The arguments of `frontend write`: browser tracing for the React frontend.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum FrontendCommand {
    /// Trace the React frontend in the browser: the OpenTelemetry packages in
    /// package.json, src/tracing.js and its import in src/index.js, and the
    /// backend's CORS allowing the trace headers
    ///
    /// Shows a diff and writes only on agreement; everything else stays byte for
    /// byte. Nothing secret is written into the frontend: the browser sends its
    /// spans to the collector (REACT_APP_OTEL_COLLECTOR_URL), which holds the key.
    /// npm is not run: the report says to run `npm install`.
    /// Example: cruddur-obs frontend write --dry-run
    Write(FrontendArgs),
}

#[derive(Debug, Args, Clone)]
pub(crate) struct FrontendArgs {
    /// The React app's directory, holding package.json
    /// [default: frontend-react-js, else the compose service that builds a React app]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
    /// The compose file (to find the two apps' directories)
    /// [default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, as docker compose looks]
    #[arg(long, value_name = "PATH")]
    pub file: Option<std::path::PathBuf>,
    /// The Flask service whose app.py's CORS must allow the trace headers
    /// [default: backend-flask, else the service whose build context holds app.py]
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// The backend directory holding app.py [default: the service's build: context,
    /// else backend-flask]
    #[arg(long, value_name = "DIR")]
    pub backend_dir: Option<std::path::PathBuf>,
    /// Replace a src/tracing.js (or .ts) that differs from this version's
    #[arg(long)]
    pub force: bool,
}
