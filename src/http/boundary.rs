//! The request boundary: the one middleware every request passes through.
//!
//! In order, it gives the request its id; applies fault rules (never to
//! `/__admin`); runs the router; renders a problem body with the id; records
//! the exchange in the journal (never `/__admin`, never a token or secret);
//! and logs one line. Logging and rendering happen here, once, so handlers
//! only return values.

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::Problem;
use super::license;
use super::request_id;
use crate::control::faults::{Outcome, Respond};
use crate::control::journal;
use crate::control::{self, Interned};

/// The bodies handlers leave for the journal: the request body a body
/// extractor read (so the boundary need not buffer bodies itself; the
/// extractor enforces the limit), and the answer `json_ok` wrote (a
/// reference count, so the journal need not drain and rebuild the response).
#[derive(Default)]
struct Bodies {
    request: Option<Bytes>,
    answer: Option<Bytes>,
}

tokio::task_local! {
    /// Set only while the boundary runs a journaled request: nothing is
    /// kept for requests the journal skips.
    static BODIES: RefCell<Bodies>;
}

/// Leaves the request body for the journal, if this request is journaled;
/// `body` (which redacts secrets) is called only then.
pub(crate) fn keep_request_body(body: impl FnOnce() -> Bytes) {
    let _ = BODIES.try_with(|bodies| bodies.borrow_mut().request = Some(body()));
}

/// Leaves an answer's body for the journal, if this request is journaled.
pub(crate) fn keep_answer_body(body: &Bytes) {
    let _ = BODIES.try_with(|bodies| bodies.borrow_mut().answer = Some(body.clone()));
}

/// Answers from identity routes carry tokens: the journal never keeps them.
fn carries_secrets(path: &str) -> bool {
    path.contains("/identity_/") || path.ends_with("/api/account/authenticate")
}

pub(crate) async fn boundary(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let trace_id = request_id::for_request(request.headers());
    let method = control::interned(Interned::Method, request.method().as_str());
    // A route has matched by the time this layer runs (it wraps each
    // route's handlers): the license router leaves its template, axum's
    // router its matched path; requests no route matched carry neither.
    let extensions = request.extensions();
    let route = match extensions.get::<license::Template>() {
        Some(license::Template(template)) => Some(*template),
        None => extensions
            .get::<MatchedPath>()
            .map(|matched| control::interned(Interned::Route, matched.as_str())),
    };
    let uri = request.uri().clone();
    let path = uri.path();
    let admin = path == "/__admin" || path.starts_with("/__admin/");
    let journaling = !admin && state.control.journal.enabled();
    let arrived = journaling.then(control::unix_millis);
    // A clone of a parsed header is a reference count, not a copy.
    let content_type = journaling
        .then(|| request.headers().get(header::CONTENT_TYPE).cloned())
        .flatten();

    let mut faulted = false;
    let mut dropped = false;
    let (mut response, bodies) = 'answer: {
        if !admin {
            let decision = state.control.faults.decide(method, path);
            if !decision.delay.is_zero() {
                tokio::time::sleep(decision.delay).await;
            }
            match decision.outcome {
                Outcome::Pass => {}
                Outcome::Respond(respond) => {
                    faulted = true;
                    break 'answer (fault_response(respond), Bodies::default());
                }
                Outcome::Drop => {
                    (faulted, dropped) = (true, true);
                    break 'answer (
                        Response::new(Body::new(DroppedConnection)),
                        Bodies::default(),
                    );
                }
            }
        }
        if journaling {
            let answer = async {
                let response = next.run(request).await;
                (response, BODIES.with(RefCell::take))
            };
            BODIES.scope(RefCell::default(), answer).await
        } else {
            (next.run(request).await, Bodies::default())
        }
    };

    let rendered = response
        .extensions_mut()
        .remove::<Problem>()
        .map(|problem| problem.render(&trace_id, &mut response));
    if let Ok(value) = HeaderValue::from_str(&trace_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    // A dropped connection has no status: journal and metrics record 0.
    let status = if dropped {
        0
    } else {
        response.status().as_u16()
    };

    if !admin {
        state.control.metrics.record(route, method, status);
    }
    if let Some(unix_millis) = arrived {
        let mut response_body = None;
        if !dropped && !carries_secrets(path) {
            // A rendered problem replaced whatever body the handler wrote;
            // an answer the handler then dropped is not the one sent.
            let sent = response.body().size_hint().exact();
            let answer = bodies
                .answer
                .filter(|answer| Some(answer.len() as u64) == sent);
            response_body = match rendered.or(answer) {
                Some(bytes) => Some(bytes),
                None => {
                    // Fault answers: small, already-buffered values.
                    let (parts, body) = response.into_parts();
                    let bytes = axum::body::to_bytes(body, usize::MAX)
                        .await
                        .unwrap_or_default();
                    response = Response::from_parts(parts, Body::from(bytes.clone()));
                    Some(bytes)
                }
            };
        }
        state.control.journal.record(&journal::Record {
            unix_millis,
            method,
            path,
            query: uri.query(),
            route,
            status,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            request_id: &trace_id,
            content_type: content_type.as_ref().and_then(|v| v.to_str().ok()),
            request_body: bodies.request.as_deref(),
            response_body: response_body.as_deref(),
            faulted,
        });
    }

    // Method and route as plain text: they need no quoting or escaping.
    tracing::info!(
        target: "uipath_license_mock::request",
        method = %method,
        route = %route.unwrap_or("-"),
        status,
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        request_id = %trace_id,
        "request"
    );
    response
}

/// The answer a fault rule forces; a 429 always carries `Retry-After`.
fn fault_response(respond: Respond) -> Response {
    let status = StatusCode::from_u16(respond.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match respond.body {
        None => (None, Vec::new()),
        Some(serde_json::Value::String(text)) => {
            (Some("text/plain; charset=utf-8"), text.into_bytes())
        }
        Some(value) => (
            Some("application/json; charset=utf-8"),
            serde_json::to_vec(&value).unwrap_or_default(),
        ),
    };
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in respond.headers {
        // Validated when the rule was added.
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    if status == StatusCode::TOO_MANY_REQUESTS && !headers.contains_key(header::RETRY_AFTER) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// A body that fails at once: hyper then closes the connection without a
/// complete answer, which the client sees as a dropped connection.
struct DroppedConnection;

impl HttpBody for DroppedConnection {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by a fault rule",
        ))))
    }
}
