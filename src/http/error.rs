//! The one error type of the HTTP layer and the one place that renders
//! problem bodies (SPEC §4).
//!
//! Handlers return [`ApiError`]; its `IntoResponse` sets the status and
//! attaches a [`Problem`] to the response's extensions. The request boundary
//! (see `super::boundary`) then renders that problem as
//! `application/problem+json` with the request's `traceId`, because only the
//! boundary knows the request id.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::identity::Denied;
use crate::licensing::{Conflict, LicenseError, NotFoundReason};

/// Validation errors keyed by JSON path, as ASP.NET Core reports them.
pub(crate) type ValidationErrors = BTreeMap<String, Vec<String>>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// 401: no usable bearer token. `challenge` is the `WWW-Authenticate` value.
    #[error("unauthorized")]
    Unauthorized { challenge: String },
    /// 403: the token lacks the scope or names another organization.
    #[error("forbidden")]
    Forbidden { challenge: String },
    /// 400 with ASP.NET Core's validation shape.
    #[error("one or more validation errors occurred")]
    Validation(ValidationErrors),
    /// 404 of the license routes: the account has no license here.
    #[error("{0}")]
    License(#[from] LicenseError),
    /// 404 for a group or user the account has nothing for.
    #[error("{0}")]
    NotFound(String),
    /// 409 of the admin API: the change would break the invariant, or the id is taken.
    #[error("{detail}")]
    StateConflict {
        detail: String,
        conflicts: Vec<Conflict>,
    },
    /// 404 for a path no route serves.
    #[error("no route for {method} {path}")]
    RouteNotFound { method: String, path: String },
    /// 405; axum adds the `Allow` header.
    #[error("{detail}")]
    MethodNotAllowed { detail: String },
    /// 413.
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 415.
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    /// 500: a bug; the cause is logged once, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 with one message under one JSON path.
    pub(crate) fn validation(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(path.into(), vec![message.into()])]))
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::License(LicenseError::NotFound { .. })
            | Self::NotFound(_)
            | Self::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            Self::License(LicenseError::Conflict(_)) | Self::StateConflict { .. } => {
                StatusCode::CONFLICT
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(self, status: StatusCode) -> Problem {
        let mut problem = Problem::new(status);
        match self {
            Self::Validation(errors) => {
                problem.title = "One or more validation errors occurred.";
                problem.errors = Some(errors);
            }
            Self::License(LicenseError::NotFound { account_id, reason }) => {
                let why = match reason {
                    NotFoundReason::UnknownAccount => "no such account exists",
                    NotFoundReason::NoAccountLicense => "the account has no account license",
                    NotFoundReason::OrganizationMismatch => {
                        "the organization in the URL is not the account's organization"
                    }
                };
                problem.detail = Some(format!(
                    "No account license is allocated for the indicated organization. (account '{account_id}': {why})"
                ));
            }
            Self::License(LicenseError::Conflict(conflicts)) => {
                let codes: Vec<&str> = conflicts.iter().map(|c| c.code.as_str()).collect();
                problem.detail = Some(format!(
                    "The allocation exceeds the account license quantities for: {}.",
                    codes.join(", ")
                ));
                problem.conflicts = Some(conflicts.iter().map(ConflictDto::from).collect());
            }
            Self::StateConflict { detail, conflicts } => {
                problem.detail = Some(sentence(&detail));
                if !conflicts.is_empty() {
                    problem.conflicts = Some(conflicts.iter().map(ConflictDto::from).collect());
                }
            }
            Self::Internal(_) => {
                problem.detail =
                    Some("An unexpected error occurred; the emulator logged the cause.".to_owned());
            }
            Self::Unauthorized { .. } | Self::Forbidden { .. } => {}
            other => problem.detail = Some(sentence(&other.to_string())),
        }
        problem
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        // Header values cannot hold arbitrary text; descriptions are ours, but be safe.
        let quoted = |text: &str| {
            text.replace(['"', '\\'], "'")
                .replace(|c: char| !(' '..='~').contains(&c), "")
        };
        match denied {
            Denied::Missing => Self::Unauthorized {
                challenge: "Bearer".to_owned(),
            },
            Denied::Invalid(description) => Self::Unauthorized {
                challenge: format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    quoted(&description)
                ),
            },
            Denied::Forbidden(description) => Self::Forbidden {
                challenge: format!(
                    "Bearer error=\"insufficient_scope\", error_description=\"the token does not grant {}\"",
                    quoted(&description)
                ),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            // 401 and 403 have empty bodies, as the real service sends them;
            // the challenge says why (RFC 6750 §3).
            Self::Unauthorized { challenge } | Self::Forbidden { challenge } => {
                let mut response = status.into_response();
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            other => {
                if let Self::Internal(cause) = &other {
                    tracing::error!(%cause, "request failed");
                }
                let mut response = status.into_response();
                response.extensions_mut().insert(other.problem(status));
                response
            }
        }
    }
}

/// A problem body waiting for its `traceId`; rendered by [`Problem::render`].
/// Its schema is the OpenAPI document's `ProblemDetails`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(
    as = ProblemDetails,
    description = "An error as ASP.NET Core renders it (RFC 9457), with the request's `traceId`."
)]
pub(crate) struct Problem {
    /// A link to the RFC 9110 section of the status.
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// 400 only: messages by JSON path (`$.userBundleCodes`) or parameter name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, Vec<String>>>)]
    errors: Option<ValidationErrors>,
    /// `00-<32 hex>-<16 hex>-00`, the same value as the `x-request-id` header.
    #[serde(rename = "traceId")]
    trace_id: String,
    /// 409 only: the codes that did not fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    conflicts: Option<Vec<ConflictDto>>,
}

impl Problem {
    /// The type and title ASP.NET Core gives a status.
    pub(crate) fn new(status: StatusCode) -> Self {
        let (kind, title) = match status.as_u16() {
            400 => (
                "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "Bad Request",
            ),
            404 => (
                "https://tools.ietf.org/html/rfc9110#section-15.5.5",
                "Not Found",
            ),
            405 => (
                "https://tools.ietf.org/html/rfc9110#section-15.5.6",
                "Method Not Allowed",
            ),
            409 => (
                "https://tools.ietf.org/html/rfc9110#section-15.5.10",
                "Conflict",
            ),
            413 => (
                "https://tools.ietf.org/html/rfc9110#section-15.5.14",
                "Content Too Large",
            ),
            415 => (
                "https://tools.ietf.org/html/rfc9110#section-15.5.16",
                "Unsupported Media Type",
            ),
            _ => (
                "https://tools.ietf.org/html/rfc9110#section-15.6.1",
                "An error occurred while processing your request.",
            ),
        };
        Self {
            kind,
            title,
            status: status.as_u16(),
            detail: None,
            errors: None,
            trace_id: String::new(),
            conflicts: None,
        }
    }

    /// Writes the problem into `response` as its body, stamped with
    /// `trace_id`; returns the body (a reference count) for the journal.
    pub(crate) fn render(mut self, trace_id: &str, response: &mut Response) -> Bytes {
        self.trace_id = trace_id.to_owned();
        // Serializing plain strings and numbers cannot fail.
        let body = Bytes::from(serde_json::to_vec(&self).unwrap_or_default());
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json; charset=utf-8"),
        );
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = body.clone().into();
        body
    }
}

/// One entry of a 409's `conflicts`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
struct ConflictDto {
    code: String,
    /// Seats of the code the request would hold after the change.
    requested: u64,
    /// Seats of the code in use before the change.
    used: u64,
    /// Seats purchased; 0 for a code the account does not hold.
    total: u64,
}

impl From<&Conflict> for ConflictDto {
    fn from(conflict: &Conflict) -> Self {
        Self {
            code: conflict.code.to_string(),
            requested: conflict.requested,
            used: conflict.used,
            total: conflict.total,
        }
    }
}

/// Problem `detail`s are sentences, unlike our lowercase log messages.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
