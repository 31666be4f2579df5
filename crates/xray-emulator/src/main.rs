//! Runs the X-Ray emulator (control plane and the data-plane calls) as a process (for awscli, the demo and
//! the benchmarks). Prints its endpoint URL on the first line of stdout.

use clap::Parser;

/// Local emulator of the AWS X-Ray control plane (groups, sampling rules, tags) and
/// data plane (trace segments, summaries, traces, sampling targets, telemetry).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (loopback only unless you mean it)
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Items per page of the list operations
    #[arg(long, default_value_t = 10)]
    page_size: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    use std::io::Write;
    use xray_emulator::{serve, Options, Shared};
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
    // The one line a test reads: where to send requests.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "http://{}", listener.local_addr()?)?;
    stdout.flush()?;
    drop(stdout);
    let shared = Shared::new(Options {
        page_size: args.page_size,
    });
    serve(listener, shared, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
