//! The HTTP face of the emulator: the route table, the request boundary and
//! one module per emulated resource.

mod admin;
mod boundary;
mod error;
mod extract;
mod groups;
mod identity;
mod json;
mod license;
mod openapi;
mod request_id;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::control::ControlPlane;
use crate::identity::Authority;
use crate::licensing::Store;
use error::ApiError;
pub use license::{App, AppFuture};

/// Settings the HTTP layer reads on every request.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest accepted request body, in bytes (413 above it).
    pub body_limit: usize,
    /// Entries the request journal keeps (0: none).
    pub journal_limit: usize,
    /// When set, admin routes other than health need it as a bearer token.
    pub admin_token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            journal_limit: 10_000,
            admin_token: None,
        }
    }
}

/// What every handler can reach, shared by all requests. Cloned by every
/// extractor, so it is one `Arc`: a clone is one atomic increment.
#[derive(Debug, Clone)]
pub struct AppState(std::sync::Arc<AppParts>);

/// The parts of [`AppState`], reached through `Deref` (`state.store`).
#[derive(Debug)]
pub struct AppParts {
    /// The accounts.
    pub store: Store,
    /// Tokens: issuing them and checking them.
    pub identity: Authority,
    /// Request-independent settings.
    pub settings: Settings,
    /// Reset baseline, journal and faults.
    pub control: ControlPlane,
}

impl AppState {
    /// Shares `parts` among all requests.
    pub fn new(parts: AppParts) -> Self {
        Self(std::sync::Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The identity routes (SPEC §5).
fn identity_routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/identity_/connect/token", post(identity::token))
        .route(
            "/{organization}/identity_/connect/token",
            post(identity::token),
        )
        .route(
            "/identity_/.well-known/openid-configuration",
            get(identity::discovery),
        )
        .route(
            "/identity_/.well-known/openid-configuration/jwks",
            get(identity::jwks),
        )
        .route(
            "/api/account/authenticate",
            post(identity::legacy_authenticate),
        )
        .route(
            "/{organization}/{tenant}/api/account/authenticate",
            post(identity::legacy_authenticate),
        )
}

/// The whole application, ready to serve: the License Accountant routes,
/// matched by `license`, in front of axum's router for everything else.
pub fn router(state: AppState) -> App {
    let router = identity_routes(Router::new()).merge(admin::routes(&state));
    let body_limit = state.settings.body_limit;
    let others = router
        // Registered after every route: axum applies it to the routes so far.
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(route_not_found)
        .with_state(state.clone())
        // Each layer wraps the ones before it, so the boundary is outermost:
        // it sees every request and every answer, including panics turned
        // into 500s by the catch layer and 413s from the body limit.
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            boundary::boundary,
        ));
    App::new(&state, others)
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::RouteNotFound {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

/// 405 for a served path; the router adds the `Allow` header.
async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    let segments: Vec<&str> = uri
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .take(3)
        .collect();
    let group_rule = matches!(segments.as_slice(), [_, "group", "user-license"]);
    let detail = if group_rule && method == Method::POST {
        "POST is not served on a group rule: the documented method is PUT; the documentation's cURL example \
         uses POST by mistake (POST .../user-license/group, without a group id, retrieves the rules of a list of groups)"
            .to_owned()
    } else {
        format!("{method} is not served on this path; the Allow header lists the methods that are")
    };
    ApiError::MethodNotAllowed { detail }
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let cause = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned());
    ApiError::Internal(cause).into_response()
}

/// A 200 with a JSON body, typed as ASP.NET Core types it.
pub(crate) fn json_ok(body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let bytes = axum::body::Bytes::from(bytes);
            // The journal reads the answer from there instead of draining the body.
            boundary::keep_answer_body(&bytes);
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                )],
                bytes,
            )
                .into_response()
        }
        Err(error) => {
            ApiError::Internal(format!("cannot serialize an answer: {error}")).into_response()
        }
    }
}
