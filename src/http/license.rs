//! The License Accountant routes (SPEC §3), matched by hand in front of
//! axum's router.
//!
//! axum's router copies every path parameter of every request into two
//! reference-counted strings and a vector, and walks its route tree: for an
//! allocation call that was the largest single cost after HTTP parsing.
//! These routes have a fixed shape (four prefixes, six suffixes), so one
//! pass over the path's segments finds the route and its parameters here,
//! percent-decoded as axum decodes them. Each route's handlers run behind
//! the same layers as axum's routes (the request boundary and the panic
//! catcher); every other path goes to axum's router, unchanged.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use tower::util::{BoxCloneSyncService, Oneshot};
use tower::{Service, ServiceBuilder, ServiceExt};

use super::extract::LicensePath;
use super::{AppState, boundary, groups, method_not_allowed, panic_response, users};

/// The four prefixes every License Accountant route is served under.
pub(crate) const PREFIXES: [&str; 4] = [
    "/{organization}/lease_",
    "/lease_",
    "/{organization}/la",
    "/la",
];

/// The route template that served a request, for the boundary (axum's
/// `MatchedPath` is set only by axum's router).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template(pub(crate) &'static str);

/// The path parameters of a license route; a parameter that is not UTF-8
/// once percent-decoded is named instead, as axum reports it.
#[derive(Debug, Clone)]
pub(crate) struct Params(pub(crate) Result<LicensePath, &'static str>);

/// What follows `/api/account/{account_id}/user-license`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    /// (nothing): totals, direct allocations.
    Users,
    /// `/user/{user_id}/allocation`.
    UserAllocation,
    /// `/group`: the rules of a list of groups.
    Groups,
    /// `/group/{group_id}`: one group's rule.
    Group,
    /// `/group/{group_id}/with-quota`.
    GroupWithQuota,
    /// `/groups/with-quota`.
    GroupsWithQuota,
}

const SUFFIXES: [(Suffix, &str); 6] = [
    (Suffix::Users, ""),
    (Suffix::UserAllocation, "/user/{user_id}/allocation"),
    (Suffix::Groups, "/group"),
    (Suffix::Group, "/group/{group_id}"),
    (Suffix::GroupWithQuota, "/group/{group_id}/with-quota"),
    (Suffix::GroupsWithQuota, "/groups/with-quota"),
];

type Endpoint = BoxCloneSyncService<Request, Response, Infallible>;

/// One suffix's handlers by method, and the 405 for every other method.
struct Methods {
    handlers: Vec<(Method, Endpoint)>,
    not_allowed: Endpoint,
}

/// The license routes and the router for everything else.
struct Routes {
    /// `templates[prefix][suffix]`, as axum would name them.
    templates: [[&'static str; SUFFIXES.len()]; PREFIXES.len()],
    methods: [Methods; SUFFIXES.len()],
    others: Router,
}

/// The whole application: license routes matched here, the rest by axum.
/// Cloned for every request by the server, so it is one `Arc`.
#[derive(Clone)]
pub struct App(Arc<Routes>);

impl App {
    /// Puts the license routes of `state` in front of `others`.
    pub(crate) fn new(state: &AppState, others: Router) -> Self {
        let templates = PREFIXES.map(|prefix| {
            SUFFIXES.map(|(_, suffix)| {
                let template = format!("{prefix}/api/account/{{account_id}}/user-license{suffix}");
                crate::control::interned(crate::control::Interned::Route, &template)
            })
        });
        let methods = SUFFIXES.map(|(suffix, _)| methods(suffix, state));
        Self(Arc::new(Routes {
            templates,
            methods,
            others,
        }))
    }
}

/// Each suffix's handlers; each handler's doc names the real operation.
fn methods(suffix: Suffix, state: &AppState) -> Methods {
    let handlers = match suffix {
        Suffix::Users => vec![
            (Method::GET, endpoint(users::totals, state)),
            (Method::PUT, endpoint(users::allocate, state)),
            (Method::POST, endpoint(users::retrieve, state)),
            (Method::DELETE, endpoint(users::deallocate, state)),
        ],
        Suffix::UserAllocation => vec![(Method::GET, endpoint(users::user_allocation, state))],
        Suffix::Groups => vec![(Method::POST, endpoint(groups::retrieve, state))],
        Suffix::Group => vec![
            (Method::GET, endpoint(groups::get_rule, state)),
            (Method::PUT, endpoint(groups::allocate, state)),
            (Method::DELETE, endpoint(groups::deallocate, state)),
        ],
        Suffix::GroupWithQuota => vec![
            (Method::GET, endpoint(groups::get_with_quota, state)),
            (Method::PUT, endpoint(groups::allocate_with_quota, state)),
        ],
        Suffix::GroupsWithQuota => vec![(Method::GET, endpoint(groups::list_with_quota, state))],
    };
    // As axum lists them: in order, with HEAD after GET.
    let mut allowed: Vec<&str> = Vec::new();
    for (method, _) in &handlers {
        allowed.push(method.as_str());
        if method == Method::GET {
            allowed.push("HEAD");
        }
    }
    let allow = HeaderValue::from_str(&allowed.join(",")).unwrap_or(HeaderValue::from_static(""));
    let not_allowed = move |method: Method, uri: axum::http::Uri| {
        let allow = allow.clone();
        async move {
            (
                [(header::ALLOW, allow)],
                method_not_allowed(method, uri).await,
            )
        }
    };
    Methods {
        handlers,
        not_allowed: endpoint(not_allowed, state),
    }
}

/// A handler behind the layers axum's routes have (see `super::router`),
/// but for `DefaultBodyLimit`: license handlers read bodies only through
/// `AspNetJson`, which enforces the same `body_limit` itself.
fn endpoint<H, T>(handler: H, state: &AppState) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let service = ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(
            state.clone(),
            boundary::boundary,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .service(handler.with_state(state.clone()))
        .map_response(IntoResponse::into_response);
    BoxCloneSyncService::new(service)
}

impl Routes {
    /// The template, parameters and handler of a license route, if `path`
    /// is one; `None` sends the request to axum's router (which answers 404
    /// for a near miss, such as a trailing slash).
    fn find(&self, method: &Method, path: &str) -> Option<(&'static str, Params, &Endpoint)> {
        let mut segments = [""; 10];
        let mut count = 0;
        for segment in path.strip_prefix('/')?.split('/') {
            *segments.get_mut(count)? = segment;
            count += 1;
        }
        let segments = &segments[..count];
        let is_prefix = |s: &str| s == "lease_" || s == "la";
        // `/lease_/api/...` or `/{organization}/lease_/api/...`: at most one
        // fits, since `api` is not a prefix (`/la/lease_/api/...` is the
        // organization `la`).
        let (organization, last, rest) = match segments {
            [p, rest @ ..] if is_prefix(p) && rest.first() == Some(&"api") => (None, *p, rest),
            [org, p, rest @ ..] if is_prefix(p) => (Some(*org), *p, rest),
            _ => return None,
        };
        let prefix = PREFIXES.iter().position(|template| {
            template.starts_with("/{organization}/") == organization.is_some()
                && template.rsplit('/').next() == Some(last)
        })?;
        let ["api", "account", account, "user-license", tail @ ..] = rest else {
            return None;
        };
        let (suffix, id) = match tail {
            [] => (Suffix::Users, None),
            ["user", user, "allocation"] => (Suffix::UserAllocation, Some(("user_id", *user))),
            ["group"] => (Suffix::Groups, None),
            // As in axum, a parameter may be empty, except one ending the path.
            ["group", group] if !group.is_empty() => (Suffix::Group, Some(("group_id", *group))),
            ["group", group, "with-quota"] => (Suffix::GroupWithQuota, Some(("group_id", *group))),
            ["groups", "with-quota"] => (Suffix::GroupsWithQuota, None),
            _ => return None,
        };
        let index = SUFFIXES.iter().position(|(s, _)| *s == suffix)?;
        let methods = &self.methods[index];
        // HEAD is served by GET, as axum does.
        let wanted = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let endpoint = methods
            .handlers
            .iter()
            .find(|(m, _)| m == wanted)
            .map_or(&methods.not_allowed, |(_, endpoint)| endpoint);
        let params = Params(decode_params(organization, account, id));
        Some((self.templates[prefix][index], params, endpoint))
    }
}

/// Percent-decodes the parameters; the first one that is not UTF-8 is named.
fn decode_params(
    organization: Option<&str>,
    account: &str,
    id: Option<(&'static str, &str)>,
) -> Result<LicensePath, &'static str> {
    let decode = |name: &'static str, raw: &str| {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| name)
    };
    let mut path = LicensePath {
        organization: organization
            .map(|org| decode("organization", org))
            .transpose()?,
        account_id: decode("account_id", account)?,
        group_id: None,
        user_id: None,
    };
    match id {
        Some((name @ "user_id", raw)) => path.user_id = Some(decode(name, raw)?),
        Some((name, raw)) => path.group_id = Some(decode(name, raw)?),
        None => {}
    }
    Ok(path)
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = AppFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> AppFuture {
        let found = self.0.find(request.method(), request.uri().path());
        let Some((template, params, endpoint)) = found else {
            return AppFuture::Others(self.0.others.clone().call(request));
        };
        let head = request.method() == Method::HEAD;
        let extensions = request.extensions_mut();
        extensions.insert(Template(template));
        extensions.insert(params);
        AppFuture::License {
            answer: endpoint.clone().oneshot(request),
            head,
        }
    }
}

/// The answer of [`App`]: from a license route or from axum's router.
pub enum AppFuture {
    /// A license route; a HEAD answer keeps its length but not its body.
    License {
        /// The handler behind its layers.
        answer: Oneshot<Endpoint, Request>,
        /// Whether the request was a HEAD.
        head: bool,
    },
    /// Anything else.
    Others(RouteFuture<Infallible>),
}

impl Future for AppFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            AppFuture::Others(future) => Pin::new(future).poll(cx),
            AppFuture::License { answer, head } => {
                let Poll::Ready(result) = Pin::new(answer).poll(cx) else {
                    return Poll::Pending;
                };
                let Ok(mut response) = result;
                if *head {
                    if let Some(length) = http_body::Body::size_hint(response.body()).exact() {
                        response
                            .headers_mut()
                            .entry(header::CONTENT_LENGTH)
                            .or_insert_with(|| HeaderValue::from(length));
                    }
                    *response.body_mut() = Body::empty();
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}
