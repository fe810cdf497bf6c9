//! Identity: the tokens a client must get before it calls the license API,
//! and the checks the license routes make with them (SPEC §5).
//!
//! [`Authority`] plays the identity service: it issues RS256 JWTs for the
//! OAuth grants and the legacy ROPC call, and authorizes license requests by
//! mode ([`AuthMode`]), expiry, scope and organization. Nothing here knows
//! about HTTP; `crate::http::identity` maps requests and outcomes.

mod keys;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

pub use keys::{KeyError, SigningKey};

use crate::fixtures::{ClientFixture, Fixtures, TokenFixture};

/// Every license scope: read and write.
pub const SCOPE_ALL: &str = "PM.License";
/// Read-only license scope (GET).
pub const SCOPE_READ: &str = "PM.License.Read";
/// Write license scope (POST, PUT, DELETE).
pub const SCOPE_WRITE: &str = "PM.License.Write";
/// The license scopes, granted when a request names none.
pub const LICENSE_SCOPES: [&str; 3] = [SCOPE_ALL, SCOPE_READ, SCOPE_WRITE];
/// OpenID Connect scopes any client may ask for; `offline_access` adds a refresh token.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
/// The audience of every token, as the real identity service sets it.
pub const AUDIENCE: &str = "UiPath.Platform";
/// How long legacy ROPC tokens last at most: the documentation says 30 minutes.
const LEGACY_TOKEN_TTL: u64 = 30 * 60;

/// How strictly license routes check tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthMode {
    /// A bearer token is required; tokens the emulator can verify (its own
    /// JWTs, fixture tokens) are checked for expiry and scope, any other token
    /// is accepted with every scope, so `Bearer 1234` works.
    #[default]
    Lenient,
    /// Only tokens the emulator issued or fixtures declare, for their own organization.
    Strict,
    /// Nothing is checked; not even the header is required.
    Off,
}

impl std::fmt::Display for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Lenient => "lenient",
            Self::Strict => "strict",
            Self::Off => "off",
        })
    }
}

/// What a request does, which decides the scope it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// GET: `PM.License` or `PM.License.Read`.
    Read,
    /// POST, PUT, DELETE: `PM.License` or `PM.License.Write`.
    Write,
}

impl Access {
    /// The narrow scope that grants this access.
    pub fn scope(self) -> &'static str {
        match self {
            Self::Read => SCOPE_READ,
            Self::Write => SCOPE_WRITE,
        }
    }

    fn granted_by(self, scopes: &[String]) -> bool {
        scopes.iter().any(|s| s == SCOPE_ALL || s == self.scope())
    }
}

/// Whether a valid token of organization `prt_id` with `scopes` may do
/// `access` on `account_id`: the scope must grant it and, in strict mode,
/// the account must be the token's own.
fn grant(
    mode: AuthMode,
    access: Access,
    prt_id: &str,
    scopes: &[String],
    account_id: &str,
) -> Result<(), Denied> {
    if !access.granted_by(scopes) {
        return Err(Denied::Forbidden(access.scope().to_owned()));
    }
    if mode == AuthMode::Strict && prt_id != account_id {
        return Err(Denied::Forbidden(format!(
            "access to account {account_id} (it belongs to organization {prt_id})"
        )));
    }
    Ok(())
}

/// The time tokens are issued and checked at: the system clock, or a manual
/// one that tests move forward instead of sleeping.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicU64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands at `unix_seconds` until [`advance`](Self::advance)d.
    pub fn manual(unix_seconds: u64) -> Self {
        Self(Some(Arc::new(AtomicU64::new(unix_seconds))))
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> u64 {
        match &self.0 {
            Some(manual) => manual.load(Ordering::SeqCst),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, seconds: u64) {
        if let Some(manual) = &self.0 {
            manual.fetch_add(seconds, Ordering::SeqCst);
        }
    }
}

/// The claims of every token the emulator issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// `{base}/identity_`.
    pub iss: String,
    /// [`AUDIENCE`].
    pub aud: String,
    /// The user (password grants) or the client (client credentials).
    pub sub: String,
    /// The application that asked for the token.
    pub client_id: String,
    /// The organization (account) id.
    pub prt_id: String,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Not before, Unix seconds.
    pub nbf: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
    /// Unique token id.
    pub jti: String,
}

/// Identity settings from the command line.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// How license routes check tokens.
    pub mode: AuthMode,
    /// Lifetime of issued access tokens, in seconds.
    pub token_ttl: u64,
    /// The clock tokens are issued and checked at.
    pub clock: Clock,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            mode: AuthMode::Lenient,
            token_ttl: 3600,
            clock: Clock::system(),
        }
    }
}

/// An OAuth error of the token endpoint, shaped by RFC 6749 §5.2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// A parameter is missing or malformed.
    #[error("{0}")]
    InvalidRequest(String),
    /// Client authentication failed (401).
    #[error("{0}")]
    InvalidClient(String),
    /// The credentials or refresh token are wrong.
    #[error("{0}")]
    InvalidGrant(String),
    /// A scope the client was not granted.
    #[error("{0}")]
    InvalidScope(String),
    /// Not one of the grants the emulator serves.
    #[error("{0}")]
    UnsupportedGrantType(String),
}

impl OAuthError {
    /// The RFC 6749 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::InvalidScope(_) => "invalid_scope",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
        }
    }
}

/// A token request, as the form (or HTTP Basic) gave it; empty fields are absent.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: Option<String>,
    /// `client_id`, from the form or Basic.
    pub client_id: Option<String>,
    /// `client_secret`, from the form or Basic.
    pub client_secret: Option<String>,
    /// `scope`, space-separated.
    pub scope: Option<String>,
    /// `username` (password grant).
    pub username: Option<String>,
    /// `password` (password grant).
    pub password: Option<String>,
    /// `refresh_token` (refresh grant).
    pub refresh_token: Option<String>,
    /// The organization segment of the token URL, if any.
    pub organization: Option<String>,
}

/// A successful token answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    /// The JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Present when `offline_access` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Why a license request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No bearer token: 401 with `WWW-Authenticate: Bearer`.
    Missing,
    /// Expired, badly signed or unknown token: 401 `invalid_token` with this description.
    Invalid(String),
    /// The token lacks the scope, or names another organization: 403.
    Forbidden(String),
}

/// What one refresh token may be exchanged for.
#[derive(Debug, Clone)]
struct Grant {
    subject: String,
    client_id: String,
    account_id: String,
    scopes: Vec<String>,
}

/// Credentials from the fixtures, replaced whole when fixtures are.
#[derive(Debug, Default)]
struct Registry {
    /// The credentials as given, in their order, for the state document.
    given: Fixtures,
    /// Lookups by id and by token value.
    clients: HashMap<String, ClientFixture>,
    tokens: HashMap<String, TokenFixture>,
    /// The length of the longest declared token: a longer one (a JWT) is
    /// not looked up, which would hash all of its 800 bytes.
    longest_token: usize,
}

impl Registry {
    fn from_fixtures(fixtures: &Fixtures) -> Self {
        Self {
            clients: fixtures
                .clients
                .iter()
                .map(|c| (c.client_id.clone(), c.clone()))
                .collect(),
            tokens: fixtures
                .tokens
                .iter()
                .map(|t| (t.token.clone(), t.clone()))
                .collect(),
            longest_token: fixtures
                .tokens
                .iter()
                .map(|t| t.token.len())
                .max()
                .unwrap_or(0),
            given: Fixtures {
                accounts: Vec::new(),
                clients: fixtures.clients.clone(),
                logins: fixtures.logins.clone(),
                tokens: fixtures.tokens.clone(),
            },
        }
    }

    /// The account of the login with these credentials; user names are case-insensitive.
    fn login(&self, tenancy: Option<&str>, username: &str, password: &str) -> Option<String> {
        self.given
            .logins
            .iter()
            .find(|login| {
                login.username.eq_ignore_ascii_case(username)
                    && login.password == password
                    && tenancy.is_none_or(|t| t.eq_ignore_ascii_case(&login.tenancy_name))
            })
            .map(|login| login.account_id.clone())
    }
}

/// The emulated identity service.
#[derive(Debug)]
pub struct Authority {
    settings: IdentitySettings,
    key: SigningKey,
    registry: RwLock<Registry>,
    /// Refresh tokens issued and not yet used (they rotate on use).
    refresh_tokens: DashMap<String, Grant>,
    /// What checking each recent JWT against the key found (see [`Verifications`]).
    verified: Verifications,
}

/// The client a token request authenticated as.
struct ClientGrant {
    id: String,
    account_id: String,
    scopes: Vec<String>,
}

impl Authority {
    /// An authority over the fixtures' clients, logins and tokens.
    pub fn new(settings: IdentitySettings, key: SigningKey, fixtures: &Fixtures) -> Self {
        Self {
            settings,
            key,
            registry: RwLock::new(Registry::from_fixtures(fixtures)),
            refresh_tokens: DashMap::new(),
            verified: Verifications::default(),
        }
    }

    /// Replaces the fixture credentials (when fixtures are replaced).
    pub fn replace_credentials(&self, fixtures: &Fixtures) {
        let registry = Registry::from_fixtures(fixtures);
        *self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = registry;
    }

    /// The current credentials in fixture form (no accounts).
    pub fn credentials(&self) -> Fixtures {
        self.registry().given.clone()
    }

    fn registry(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The auth mode.
    pub fn mode(&self) -> AuthMode {
        self.settings.mode
    }

    /// The signing key, for the JWKS.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.settings.clock
    }

    /// `POST /identity_/connect/token`.
    pub fn token(&self, request: &TokenRequest, issuer: &str) -> Result<IssuedToken, OAuthError> {
        let grant_type = request
            .grant_type
            .as_deref()
            .ok_or_else(|| OAuthError::InvalidRequest("grant_type is required".to_owned()))?;
        match grant_type {
            "client_credentials" => {
                let client_id = request
                    .client_id
                    .as_deref()
                    .ok_or_else(|| OAuthError::InvalidClient("client_id is required".to_owned()))?;
                let client = self.client(client_id, request.client_secret.as_deref(), request)?;
                let scopes = resolve_scopes(request.scope.as_deref(), &client.scopes, false)?;
                self.issue(
                    issuer,
                    client.id.clone(),
                    &client.id,
                    &client.account_id,
                    scopes,
                    self.settings.token_ttl,
                )
            }
            "password" => {
                let username = request
                    .username
                    .as_deref()
                    .ok_or_else(|| OAuthError::InvalidRequest("username is required".to_owned()))?;
                let password = request
                    .password
                    .as_deref()
                    .ok_or_else(|| OAuthError::InvalidRequest("password is required".to_owned()))?;
                let account_id =
                    self.registry()
                        .login(None, username, password)
                        .ok_or_else(|| {
                            OAuthError::InvalidGrant("invalid username or password".to_owned())
                        })?;
                let client = match request.client_id.as_deref() {
                    Some(id) => self.client(id, request.client_secret.as_deref(), request)?,
                    None => ClientGrant {
                        id: "uipath-license-mock".to_owned(),
                        account_id: account_id.clone(),
                        scopes: LICENSE_SCOPES.map(str::to_owned).to_vec(),
                    },
                };
                let scopes = resolve_scopes(request.scope.as_deref(), &client.scopes, true)?;
                self.issue(
                    issuer,
                    username.to_owned(),
                    &client.id,
                    &account_id,
                    scopes,
                    self.settings.token_ttl,
                )
            }
            "refresh_token" => {
                let token = request.refresh_token.as_deref().ok_or_else(|| {
                    OAuthError::InvalidRequest("refresh_token is required".to_owned())
                })?;
                let invalid = || {
                    OAuthError::InvalidGrant(
                        "the refresh token is unknown or was already used".to_owned(),
                    )
                };
                let grant = self
                    .refresh_tokens
                    .get(token)
                    .map(|g| g.clone())
                    .ok_or_else(invalid)?;
                // A client that names itself must authenticate (RFC 6749 §6).
                if let Some(id) = request.client_id.as_deref() {
                    self.client(id, request.client_secret.as_deref(), request)?;
                    if id != grant.client_id {
                        return Err(OAuthError::InvalidGrant(
                            "the refresh token was issued to another client".to_owned(),
                        ));
                    }
                }
                let scopes = match request.scope.as_deref() {
                    None => grant.scopes.clone(),
                    Some(_) => resolve_scopes(request.scope.as_deref(), &grant.scopes, true)?,
                };
                // Rotation: a refresh token is good for one use, as the real service configures it.
                self.refresh_tokens.remove(token).ok_or_else(invalid)?;
                let ttl = self.settings.token_ttl;
                self.issue(
                    issuer,
                    grant.subject,
                    &grant.client_id,
                    &grant.account_id,
                    scopes,
                    ttl,
                )
            }
            other => Err(OAuthError::UnsupportedGrantType(format!(
                "grant_type '{other}' is not supported; use client_credentials, password or refresh_token"
            ))),
        }
    }

    /// Authenticates a client; unknown clients pass only outside strict mode.
    fn client(
        &self,
        id: &str,
        secret: Option<&str>,
        request: &TokenRequest,
    ) -> Result<ClientGrant, OAuthError> {
        let registry = self.registry();
        match registry.clients.get(id) {
            Some(client) => {
                if secret != Some(client.client_secret.as_str()) {
                    return Err(OAuthError::InvalidClient(
                        "client authentication failed".to_owned(),
                    ));
                }
                Ok(ClientGrant {
                    id: id.to_owned(),
                    account_id: client.account_id.clone(),
                    scopes: client.scopes.clone(),
                })
            }
            None if self.settings.mode == AuthMode::Strict => {
                Err(OAuthError::InvalidClient(format!("unknown client '{id}'")))
            }
            None => Ok(ClientGrant {
                id: id.to_owned(),
                account_id: request.organization.clone().unwrap_or_default(),
                scopes: LICENSE_SCOPES.map(str::to_owned).to_vec(),
            }),
        }
    }

    /// Signs a token; adds a refresh token when `offline_access` was granted.
    fn issue(
        &self,
        issuer: &str,
        subject: String,
        client_id: &str,
        account_id: &str,
        scopes: Vec<String>,
        ttl: u64,
    ) -> Result<IssuedToken, OAuthError> {
        let access_token = self.sign(
            issuer,
            subject.clone(),
            client_id,
            account_id,
            scopes.clone(),
            ttl,
        )?;
        let refresh_token = scopes.iter().any(|s| s == "offline_access").then(|| {
            let token = crate::unique::hex128();
            let grant = Grant {
                subject,
                client_id: client_id.to_owned(),
                account_id: account_id.to_owned(),
                scopes: scopes.clone(),
            };
            self.refresh_tokens.insert(token.clone(), grant);
            token
        });
        Ok(IssuedToken {
            access_token,
            expires_in: ttl,
            token_type: "Bearer",
            scope: scopes.join(" "),
            refresh_token,
        })
    }

    fn sign(
        &self,
        issuer: &str,
        sub: String,
        client_id: &str,
        account_id: &str,
        scope: Vec<String>,
        ttl: u64,
    ) -> Result<String, OAuthError> {
        let now = self.settings.clock.now();
        let claims = Claims {
            iss: issuer.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub,
            client_id: client_id.to_owned(),
            prt_id: account_id.to_owned(),
            scope,
            iat: now,
            nbf: now,
            exp: now.saturating_add(ttl),
            jti: crate::unique::hex128(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key.kid().to_owned());
        header.typ = Some("JWT".to_owned());
        jsonwebtoken::encode(&header, &claims, self.key.encoding()).map_err(|error| {
            OAuthError::InvalidRequest(format!("the token could not be signed: {error}"))
        })
    }

    /// The legacy ROPC call: a token for a fixture login, or `None`.
    pub fn legacy_authenticate(
        &self,
        tenancy: Option<&str>,
        username: &str,
        password: &str,
        issuer: &str,
    ) -> Option<String> {
        let account_id = self.registry().login(tenancy, username, password)?;
        let scopes = LICENSE_SCOPES.map(str::to_owned).to_vec();
        let ttl = self.settings.token_ttl.min(LEGACY_TOKEN_TTL);
        self.sign(
            issuer,
            username.to_owned(),
            "uipath-license-mock",
            &account_id,
            scopes,
            ttl,
        )
        .ok()
    }

    /// Decides whether a license request may go on.
    ///
    /// `token` is the bearer token, `access` what the request does, and
    /// `account_id` the account in its URL (checked in strict mode).
    pub fn authorize(
        &self,
        token: Option<&str>,
        access: Access,
        account_id: &str,
    ) -> Result<(), Denied> {
        let mode = self.settings.mode;
        if mode == AuthMode::Off {
            return Ok(());
        }
        let token = token.ok_or(Denied::Missing)?;
        // A declared token is checked in place, under the read lock: the
        // usual request clones nothing and reads the clock only for an expiry.
        let registry = self.registry();
        let declared = (token.len() <= registry.longest_token)
            .then(|| registry.tokens.get(token))
            .flatten();
        if let Some(declared) = declared {
            if let Some(expiry) = declared.expires_at {
                let now = self.settings.clock.now();
                if expiry <= now {
                    return Err(Denied::Invalid(format!(
                        "The token expired at {expiry} (now {now})."
                    )));
                }
            }
            return grant(
                mode,
                access,
                &declared.account_id,
                &declared.scopes,
                account_id,
            );
        }
        // Not held through a signature check, which a credentials
        // replacement would otherwise wait for.
        drop(registry);
        match self.verify(token) {
            Verified::Ours(claims) => {
                let now = self.settings.clock.now();
                if claims.exp <= now {
                    return Err(Denied::Invalid(format!(
                        "The token expired at {} (now {now}).",
                        claims.exp
                    )));
                }
                if claims.nbf > now {
                    return Err(Denied::Invalid(format!(
                        "The token is not valid before {}.",
                        claims.nbf
                    )));
                }
                grant(mode, access, &claims.prt_id, &claims.scope, account_id)
            }
            Verified::Rejected(reason) => Err(Denied::Invalid(reason)),
            Verified::Foreign if mode == AuthMode::Strict => Err(Denied::Invalid(
                "The token was not issued by this emulator.".to_owned(),
            )),
            Verified::Foreign => Ok(()),
        }
    }

    /// Checks a token against the signing key.
    fn verify(&self, token: &str) -> Verified {
        // Not three dot-separated parts: not a JWT at all, so nobody's.
        // (Found dot by dot with `memchr`, not by counting every byte.)
        let mut parts = token.split('.');
        if parts.nth(2).is_none() || parts.next().is_some() {
            return Verified::Foreign;
        }
        if let Some(known) = self.verified.get(token) {
            return known;
        }
        let found = self.check_signature(token);
        self.verified.insert(token, found.clone());
        found
    }

    /// What the key says of a JWT: a pure function of the two (times are
    /// checked by the caller against the clock), so its answer can be kept.
    fn check_signature(&self, token: &str) -> Verified {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Verified::Foreign;
        };
        let Some(decoding) = self.key.decoding() else {
            return Verified::Foreign;
        };
        let ours = header.kid.as_deref() == Some(self.key.kid());
        if header.alg != Algorithm::RS256 || !(ours || header.kid.is_none()) {
            return if ours {
                Verified::Rejected("The token is not signed with RS256.".to_owned())
            } else {
                Verified::Foreign
            };
        }
        let mut validation = Validation::new(Algorithm::RS256);
        // Expiry is checked against the injected clock, not jsonwebtoken's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        validation.set_audience(&[AUDIENCE]);
        match jsonwebtoken::decode::<Claims>(token, decoding, &validation) {
            Ok(data) => Verified::Ours(Arc::new(data.claims)),
            Err(_) if !ours => Verified::Foreign,
            Err(error) => Verified::Rejected(match error.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    "The token's signature is invalid.".to_owned()
                }
                jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                    format!("The token's audience is not {AUDIENCE}.")
                }
                _ => format!(
                    "The token is malformed: {}.",
                    error.to_string().trim_end_matches('.')
                ),
            }),
        }
    }
}

#[derive(Debug, Clone)]
enum Verified {
    Ours(Arc<Claims>),
    Rejected(String),
    Foreign,
}

/// Tokens already checked against the signing key, with what was found.
///
/// Checking an RS256 signature costs far more than the rest of a request,
/// and clients send the same token again and again. The key never changes
/// while the emulator runs, so the finding holds for good; expiry and
/// not-before are still checked on every request. At most
/// [`Verifications::LIMIT`] tokens are kept: when full, the store starts
/// afresh (the tokens in use come back on their next request).
///
/// Tokens are found by their last [`Verifications::TAIL`] bytes (the end of
/// the signature, which differs from token to token), then compared whole:
/// hashing all 800 bytes of a JWT cost more than the rest of the check.
#[derive(Debug, Default)]
struct Verifications(RwLock<HashMap<Box<str>, Checked>>);

/// A whole token and what the key said of it.
type Checked = (Box<str>, Verified);

impl Verifications {
    const LIMIT: usize = 1024;
    const TAIL: usize = 48;

    fn tail(token: &str) -> &str {
        let mut start = token.len().saturating_sub(Self::TAIL);
        while !token.is_char_boundary(start) {
            start += 1;
        }
        &token[start..]
    }

    fn get(&self, token: &str) -> Option<Verified> {
        let known = self.0.read().unwrap_or_else(PoisonError::into_inner);
        match known.get(Self::tail(token)) {
            Some((whole, found)) if **whole == *token => Some(found.clone()),
            _ => None,
        }
    }

    /// Keeps `found` for `token`, in place of any token with the same tail.
    fn insert(&self, token: &str, found: Verified) {
        let mut known = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= Self::LIMIT {
            known.clear();
        }
        known.insert(Self::tail(token).into(), (token.into(), found));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// The scopes a request gets: those it asks for, all of which the client must
/// hold (OIDC scopes only where user tokens allow them), or by default the
/// client's license scopes.
fn resolve_scopes(
    requested: Option<&str>,
    allowed: &[String],
    user_token: bool,
) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed
            .iter()
            .filter(|s| !OIDC_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect());
    };
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested.split_whitespace() {
        let permitted =
            allowed.iter().any(|s| s == scope) || (user_token && OIDC_SCOPES.contains(&scope));
        if !permitted {
            return Err(OAuthError::InvalidScope(format!(
                "the client is not allowed the scope '{scope}'"
            )));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verification_store_keeps_what_it_found_and_stays_bounded() {
        let store = Verifications::default();
        store.insert("a.b.c", Verified::Rejected("bad".to_owned()));
        assert!(matches!(store.get("a.b.c"), Some(Verified::Rejected(r)) if r == "bad"));
        assert!(store.get("a.b.d").is_none());

        for i in 0..Verifications::LIMIT + 10 {
            store.insert(&format!("x.y.{i}"), Verified::Foreign);
            assert!(store.len() <= Verifications::LIMIT);
        }
        let last = format!("x.y.{}", Verifications::LIMIT + 9);
        assert!(matches!(store.get(&last), Some(Verified::Foreign)));
    }

    #[test]
    fn a_token_sharing_another_tokens_signature_is_not_taken_for_it() {
        let store = Verifications::default();
        let signature = "s".repeat(342);
        let genuine = format!("header.payload.{signature}");
        let tampered = format!("header.forged.{signature}");
        store.insert(&genuine, Verified::Foreign);

        // Same tail, so the same slot, but compared whole.
        assert!(store.get(&tampered).is_none());
        assert!(store.get(&genuine).is_some());
        // Cut on a character boundary, whatever the text.
        assert_eq!(Verifications::tail(&"é".repeat(40)), "é".repeat(24));
        assert_eq!(Verifications::tail("short"), "short");
    }
}
