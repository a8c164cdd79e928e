//! The `redeemdesk` binary: parse the command line, run, and turn failures into
//! one line on stderr and the contract's exit status.

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("REDEEMDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = redeemdesk::cli::Cli::parse();
    if let Err(e) = redeemdesk::cli::run(cli).await {
        eprintln!("redeemdesk: {e}");
        std::process::exit(e.exit_code());
    }
}
