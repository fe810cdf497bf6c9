//! The command line (SPEC §8): one clap struct; every option has an
//! environment variable, and the flag wins over it.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::identity::AuthMode;

/// A local emulator of UiPath's license allocation API, for tests and demos.
#[derive(Debug, Parser)]
#[command(name = "uipath-license-mock", version, about, long_about = None)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the emulated API (the default).
    Serve,
    /// Validate fixture files or folders and report every problem; exit 1 on any.
    Check {
        /// Fixture files, or folders of *.json files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the embedded default fixtures, as a starting point for your own.
    DefaultFixtures,
    /// Probe a running emulator's health route; exit 0 when healthy, 1 otherwise
    /// (for container health checks in images without a shell or curl).
    Healthcheck {
        /// Health URL; by default /__admin/health on 127.0.0.1 and --port.
        #[arg(long)]
        url: Option<String>,
    },
}

/// How to serve.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (the container image sets 0.0.0.0).
    #[arg(
        long,
        env = "LICENSE_MOCK_HOST",
        default_value = "127.0.0.1",
        global = true
    )]
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free port, printed at start.
    #[arg(long, env = "LICENSE_MOCK_PORT", default_value_t = 8080, global = true)]
    pub port: u16,
    /// Fixture file, or folder of *.json files merged; the embedded default when absent.
    #[arg(long, env = "LICENSE_MOCK_FIXTURES", global = true)]
    pub fixtures: Option<PathBuf>,
    /// Largest accepted request body in bytes; larger bodies get 413.
    #[arg(long, env = "LICENSE_MOCK_BODY_LIMIT", default_value_t = 1_048_576, global = true,
          value_parser = clap::value_parser!(u64).range(1..=(1u64 << 32)))]
    pub body_limit: u64,
    /// How license routes check bearer tokens.
    #[arg(long, env = "LICENSE_MOCK_AUTH", value_enum, default_value_t = AuthMode::Lenient, global = true)]
    pub auth: AuthMode,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, env = "LICENSE_MOCK_TOKEN_TTL", default_value_t = 3600, global = true,
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub token_ttl: u64,
    /// RSA private key (PEM) to sign tokens with, instead of the embedded test key.
    #[arg(long, env = "LICENSE_MOCK_SIGNING_KEY", global = true)]
    pub signing_key: Option<PathBuf>,
    /// File that keeps the state across restarts: loaded at start when present
    /// (the fixtures stay the reset baseline), written within 100 ms of every change.
    #[arg(long, env = "LICENSE_MOCK_STATE_FILE", global = true)]
    pub state_file: Option<PathBuf>,
    /// Requests the journal keeps (oldest dropped first); 0 turns it off.
    #[arg(
        long,
        env = "LICENSE_MOCK_JOURNAL_LIMIT",
        default_value_t = 10_000,
        global = true
    )]
    pub journal_limit: usize,
    /// Bearer token required by admin routes other than /__admin/health.
    #[arg(
        long,
        env = "LICENSE_MOCK_ADMIN_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Log format: human-readable lines, or one JSON object a line.
    #[arg(long, env = "LICENSE_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

/// The log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object a line, for log collectors.
    Json,
}

impl Cli {
    /// Parses the command line and environment; on a bad value prints a
    /// message naming both the flag and its variable, then exits.
    pub fn parse_or_exit() -> Self {
        Self::try_parse().unwrap_or_else(|error| {
            use clap::error::{ContextKind, ContextValue, ErrorKind};
            if matches!(
                error.kind(),
                ErrorKind::InvalidValue | ErrorKind::ValueValidation
            ) {
                if let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) {
                    if let Some(variable) = env_of(arg) {
                        let _ = error.print();
                        eprintln!(
                            "note: {arg} can also be set by the environment variable {variable}"
                        );
                        std::process::exit(2);
                    }
                }
            }
            error.exit()
        })
    }
}

/// The environment variable behind a flag as clap names it (`--port <PORT>`).
fn env_of(arg: &str) -> Option<String> {
    let long = arg.split_whitespace().next()?.strip_prefix("--")?;
    use clap::CommandFactory;
    let command = Cli::command();
    let found = command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))?;
    found.get_env().map(|v| v.to_string_lossy().into_owned())
}
