//! The binary: configuration, logging, then the library's `run`.

use std::net::SocketAddr;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use uipath_license_mock::config::{Cli, Command, LogFormat, ServeArgs};
use uipath_license_mock::fixtures::{self, Loaded};
use uipath_license_mock::http::Settings;
use uipath_license_mock::identity::{Clock, IdentitySettings, SigningKey};

fn main() -> ExitCode {
    let cli = Cli::parse_or_exit();
    match cli.command {
        None | Some(Command::Serve) => serve(cli.serve),
        Some(Command::Check { paths }) => check(&paths),
        Some(Command::DefaultFixtures) => {
            print!("{}", fixtures::DEFAULT_FIXTURES);
            ExitCode::SUCCESS
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    init_tracing(args.log_format);
    let loaded = match &args.fixtures {
        Some(path) => fixtures::load_path(path),
        None => fixtures::load_default(),
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("error: the fixtures were refused:\n{errors}");
            return ExitCode::FAILURE;
        }
    };
    let key = match &args.signing_key {
        None => SigningKey::embedded(),
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| SigningKey::from_pem(&pem).map_err(|e| e.to_string()))
        {
            Ok(key) => key,
            Err(error) => {
                eprintln!("error: --signing-key {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        },
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve_until_signal(args, loaded, key)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_until_signal(
    args: ServeArgs,
    loaded: Loaded,
    key: SigningKey,
) -> Result<(), String> {
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))?;
    let bound = listener.local_addr().map_err(|error| error.to_string())?;
    let settings = Settings {
        body_limit: usize::try_from(args.body_limit).unwrap_or(usize::MAX),
        journal_limit: args.journal_limit,
        admin_token: args.admin_token.filter(|token| !token.is_empty()),
    };
    let identity = IdentitySettings {
        mode: args.auth,
        token_ttl: args.token_ttl,
        clock: Clock::system(),
    };
    let accounts = loaded.accounts.len();
    let sources = loaded.sources.join(", ");
    let state = uipath_license_mock::app_state(loaded, settings, identity, key);
    tracing::info!(
        "uipath-license-mock {} listening on http://{bound} (auth: {}; fixtures: {}; {} accounts)",
        env!("CARGO_PKG_VERSION"),
        args.auth,
        sources,
        accounts
    );
    uipath_license_mock::run(listener, state, shutdown_signal())
        .await
        .map_err(|error| format!("the server failed: {error}"))?;
    tracing::info!("shut down");
    Ok(())
}

/// Completes on SIGINT or SIGTERM (the latter is how containers stop PID 1).
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

fn check(paths: &[std::path::PathBuf]) -> ExitCode {
    let mut failed = false;
    for path in paths {
        match fixtures::load_path(path) {
            Ok(loaded) => println!(
                "ok: {} ({} accounts, {} clients, {} logins, {} tokens)",
                path.display(),
                loaded.accounts.len(),
                loaded.fixtures.clients.len(),
                loaded.fixtures.logins.len(),
                loaded.fixtures.tokens.len()
            ),
            Err(errors) => {
                failed = true;
                eprintln!("{errors}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
