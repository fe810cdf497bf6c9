//! Serving: the accept loop with its shutdown, and [`MockServer`] for tests.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::control::ControlPlane;
use crate::fixtures::{self, FixtureErrors, Fixtures, Loaded};
use crate::http::{self, AppParts, AppState, Settings};
use crate::identity::{AuthMode, Authority, Clock, IdentitySettings, SigningKey};
use crate::licensing::Store;

/// Builds the shared state from validated fixtures, HTTP settings and the
/// identity settings with the key tokens are signed with.
pub fn app_state(
    loaded: Loaded,
    settings: Settings,
    identity: IdentitySettings,
    key: SigningKey,
) -> AppState {
    let control = ControlPlane::new(loaded, settings.journal_limit, settings.admin_token.clone());
    let baseline = control.baseline();
    AppState::new(AppParts {
        store: Store::new(baseline.accounts.iter().cloned()),
        identity: Authority::new(identity, key, &baseline.fixtures),
        settings,
        control,
    })
}

/// Serves `state` on `listener` until `shutdown` completes, then stops
/// accepting and lets requests in flight finish.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service(http::router(state)),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Why a [`MockServer`] could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The fixtures were refused.
    #[error("invalid fixtures:\n{0}")]
    Fixtures(#[from] FixtureErrors),
    /// No port could be bound on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
}

/// An emulator running inside the test process, on its own random port.
///
/// Each instance is isolated: start one per test. It stops when dropped.
///
/// ```no_run
/// # async fn example() {
/// use uipath_license_mock::MockServer;
///
/// let server = MockServer::start().await; // the embedded default fixtures
/// let url = format!("{}/lease_/api/account/1234/user-license/group/group-01", server.uri());
/// // ... point the client under test at `url` ...
/// # }
/// ```
#[derive(Debug)]
pub struct MockServer {
    address: SocketAddr,
    state: AppState,
    /// Dropping the sender (with the server) tells the accept loop to stop.
    _shutdown: oneshot::Sender<()>,
}

impl MockServer {
    /// Starts a server on the embedded default fixtures.
    ///
    /// # Panics
    ///
    /// If no port can be bound on 127.0.0.1: there is no test to run then.
    pub async fn start() -> Self {
        Self::builder()
            .start()
            .await
            .unwrap_or_else(|error| panic!("cannot start the mock server: {error}"))
    }

    /// Configures a server before starting it.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The base URL, such as `http://127.0.0.1:41234`, without a trailing slash.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The accounts, for assertions made without HTTP.
    pub fn store(&self) -> &Store {
        &self.state.store
    }
}

/// Options for a [`MockServer`]; see [`MockServer::builder`].
#[derive(Debug, Default)]
pub struct MockServerBuilder {
    fixtures: Option<Fixtures>,
    settings: Settings,
    identity: IdentitySettings,
    signing_key: Option<SigningKey>,
}

impl MockServerBuilder {
    /// Serves these fixtures instead of the embedded default; they are
    /// validated by [`start`](Self::start) exactly as a fixture file is.
    pub fn fixtures(mut self, fixtures: Fixtures) -> Self {
        self.fixtures = Some(fixtures);
        self
    }

    /// The request body limit in bytes.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.settings.body_limit = bytes;
        self
    }

    /// How license routes check tokens (default: lenient).
    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.identity.mode = mode;
        self
    }

    /// Lifetime of issued access tokens, in seconds (default 3600).
    pub fn token_ttl(mut self, seconds: u64) -> Self {
        self.identity.token_ttl = seconds;
        self
    }

    /// The clock tokens are issued and checked at; pass [`Clock::manual`]
    /// and keep a clone to test expiry without sleeping.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.identity.clock = clock;
        self
    }

    /// Signs tokens with this key instead of the embedded test key.
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// Entries the request journal keeps (default 10,000; 0 keeps none).
    pub fn journal_limit(mut self, entries: usize) -> Self {
        self.settings.journal_limit = entries;
        self
    }

    /// Requires this bearer token on admin routes other than health.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.settings.admin_token = Some(token.into());
        self
    }

    /// Validates the fixtures, binds `127.0.0.1:0` and starts serving.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let loaded = match self.fixtures {
            None => fixtures::load_default()?,
            Some(fixtures) => {
                // Through the same validator as files: serialize, then load.
                let text = serde_json::to_string(&fixtures)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                fixtures::load_sources(vec![("<MockServer fixtures>".to_owned(), text)])?
            }
        };
        let key = self.signing_key.unwrap_or_else(SigningKey::embedded);
        let state = app_state(loaded, self.settings, self.identity, key);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.await;
            };
            if let Err(error) = run(listener, served, stop).await {
                tracing::error!(%error, "mock server stopped");
            }
        });
        Ok(MockServer {
            address,
            state,
            _shutdown: shutdown,
        })
    }
}
