//! The `redeemdesk` binary: parse the command line, run, and turn failures into
//! one line on stderr and the contract's exit status.

use clap::Parser;
use redeemdesk::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    // Before anything opens a TLS connection: object_store's S3 support puts
    // a second crypto backend into rustls, which then has no default of its own.
    redeemdesk::blobs::install_crypto_provider();
    let cli = redeemdesk::cli::Cli::parse();
    init_logging(&cli);
    if let Err(e) = redeemdesk::cli::run(cli).await {
        eprintln!("redeemdesk: {e}");
        std::process::exit(e.exit_code());
    }
}

/// Log lines go to stderr, filtered by `REDEEMDESK_LOG`, as text or as one JSON
/// object per line (`log.format`). The configuration is read here only for
/// that; when it is broken, logs stay text and `run` reports the error.
fn init_logging(cli: &redeemdesk::cli::Cli) {
    let format = Config::load(cli.config.as_deref())
        .map(|c| c.log.format)
        .unwrap_or_default();
    let filter = EnvFilter::try_from_env("REDEEMDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // Fields at the top level of each object, so collectors index them directly.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
    }
}
