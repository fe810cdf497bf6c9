//! The binary: configuration, logging, then the library's `run`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use uipath_license_mock::config::{Cli, Command, LogFormat, ServeArgs};
use uipath_license_mock::fixtures::{self, Loaded};
use uipath_license_mock::http::Settings;
use uipath_license_mock::identity::{Clock, IdentitySettings, SigningKey};
use uipath_license_mock::{healthcheck as probe, state_file};

/// mimalloc instead of the system allocator: each request makes and frees
/// many small allocations, which glibc's malloc served at about a sixth of
/// the allocation route's time (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse_or_exit();
    match cli.command {
        None | Some(Command::Serve) => serve(cli.serve),
        Some(Command::Check { paths }) => check(&paths),
        Some(Command::Healthcheck { url }) => healthcheck(url.as_deref(), &cli.serve),
        Some(Command::DefaultFixtures) => {
            print!("{}", fixtures::DEFAULT_FIXTURES);
            ExitCode::SUCCESS
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    // Held until `serve` returns: dropping it flushes the last log lines.
    let _log_writer = init_tracing(args.log_format);
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
    let saved = match args.state_file.as_deref().map(state_file::load) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(saved))) => Some(saved),
        Some(Err(errors)) => {
            eprintln!(
                "error: the state file cannot be loaded; fix or remove it (it is never replaced silently):\n{errors}"
            );
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve_until_signal(args, loaded, saved, key)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// How long requests in flight may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

async fn serve_until_signal(
    args: ServeArgs,
    loaded: Loaded,
    saved: Option<Loaded>,
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
    let mut loaded_from = loaded.sources.join(", ");
    let state = uipath_license_mock::app_state(loaded, settings, identity, key);
    if let (Some(saved), Some(path)) = (&saved, &args.state_file) {
        state_file::restore(&state, saved);
        loaded_from = format!("state file {} (baseline: {loaded_from})", path.display());
    }
    let saver = args
        .state_file
        .clone()
        .map(|path| state_file::Saver::spawn(path, state.clone()));
    let signal =
        shutdown_signal().map_err(|error| format!("cannot install signal handlers: {error}"))?;
    let (signalled, watch) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        signal.await;
        let _ = signalled.send(true);
    });
    tracing::info!(
        "uipath-license-mock {} listening on http://{bound} (auth: {}; state from {}; {} accounts)",
        env!("CARGO_PKG_VERSION"),
        args.auth,
        loaded_from,
        state.store.len()
    );

    let stop = wait_for_signal(watch.clone());
    let served = uipath_license_mock::run(listener, state, stop);
    let result = tokio::select! {
        result = served => result.map_err(|error| format!("the server failed: {error}")),
        () = async {
            wait_for_signal(watch).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("requests still running {SHUTDOWN_GRACE:?} after the signal; stopping anyway");
            Ok(())
        }
    };
    if let Some(saver) = saver {
        saver.finish().await;
    }
    tracing::info!("shut down");
    result
}

async fn wait_for_signal(mut watch: tokio::sync::watch::Receiver<bool>) {
    let _ = watch.wait_for(|signalled| *signalled).await;
}

/// Installs the SIGINT and SIGTERM handlers now (SIGTERM is how containers
/// stop PID 1), and returns a future that completes on either. Installed
/// before the start-up line, so a supervisor that signals as soon as it sees
/// the line never meets the default action (death with status 143).
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Ctrl-C where there are no Unix signals.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
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

/// Logs go to stdout through a writer thread, so a request never waits on
/// a `write` system call; the thread drains every pending line into one
/// buffered write. Not lossy: under a flood the request waits rather than
/// losing its log line.
fn init_tracing(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a terminal: escape codes cost time and clutter files.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::new(std::io::stdout()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    guard
}

/// `healthcheck`: probes the health route; the exit code is the verdict.
fn healthcheck(url: Option<&str>, args: &ServeArgs) -> ExitCode {
    let url = url.map_or_else(|| probe::default_url(args.host, args.port), str::to_owned);
    match probe::probe(&url, Duration::from_secs(3)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("unhealthy: {url}: {error}");
            ExitCode::FAILURE
        }
    }
}
