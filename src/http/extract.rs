//! Extractors that turn bad input into [`ApiError`]s in the app's own shapes.
//!
//! Handlers take them in the order ASP.NET Core decides (SPEC §2): the
//! caller's token first, then the path, then the body.

use std::borrow::Cow;
use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, Method, header, request::Parts};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::AppState;
use super::boundary;
use super::error::{ApiError, ValidationErrors};
use super::json::Json;
use super::license;
use crate::identity::Access;
use crate::licensing::{AccountRef, GroupId, UserId};

/// `axum::extract::Path` whose rejection is a 400 in the app's shape.
pub(crate) struct Path<T>(pub(crate) T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection| ApiError::validation("$", rejection.body_text()))
    }
}

/// `axum::extract::Query` whose rejection is a 400 in the app's shape.
pub(crate) struct Query<T>(pub(crate) T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| ApiError::validation("query", rejection.body_text()))
    }
}

/// Path parameters of every license route, under any of the four prefixes
/// (found by `super::license`, which matches those routes).
#[derive(Debug, Clone)]
pub(crate) struct LicensePath {
    pub(crate) organization: Option<String>,
    pub(crate) account_id: String,
    pub(crate) group_id: Option<String>,
    pub(crate) user_id: Option<String>,
}

/// Taken from the request, where the license router left it: a 400 in the
/// app's shape when a parameter is not UTF-8 once percent-decoded.
impl FromRequestParts<AppState> for LicensePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        match parts.extensions.remove::<license::Params>() {
            Some(license::Params(Ok(path))) => Ok(path),
            Some(license::Params(Err(name))) => Err(ApiError::validation(
                "$",
                format!("Invalid URL: Invalid UTF-8 in `{name}`"),
            )),
            None => Err(ApiError::Internal(
                "a license handler ran without the license router".to_owned(),
            )),
        }
    }
}

impl LicensePath {
    /// The account the URL addresses.
    pub(crate) fn account(&self) -> AccountRef<'_> {
        AccountRef {
            organization: self.organization.as_deref(),
            account_id: &self.account_id,
        }
    }

    /// The `{groupId}` segment.
    pub(crate) fn group(&self) -> Result<GroupId, ApiError> {
        GroupId::parse(self.group_id.clone().unwrap_or_default())
            .map_err(|e| ApiError::validation("groupId", e.to_string()))
    }

    /// The `{userId}` segment.
    pub(crate) fn user(&self) -> Result<UserId, ApiError> {
        UserId::parse(self.user_id.clone().unwrap_or_default())
            .map_err(|e| ApiError::validation("userId", e.to_string()))
    }
}

/// The caller of a license route, authorized by its bearer token for what
/// the request does (GET reads, anything else writes) on the account in its
/// URL, by the rules of the auth mode (SPEC §5).
pub(crate) struct Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let access = if parts.method == Method::GET || parts.method == Method::HEAD {
            Access::Read
        } else {
            Access::Write
        };
        let account_id = match parts.extensions.get::<license::Params>() {
            Some(license::Params(Ok(path))) => path.account_id.as_str(),
            _ => "",
        };
        let token = bearer_token(&parts.headers);
        state.identity.authorize(token, access, account_id)?;
        Ok(Caller)
    }
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    // Visible ASCII, spaces and tabs: the only whitespace left to trim is
    // spaces and tabs, found byte by byte.
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let space = value.bytes().position(|b| b == b' ')?;
    let token = value[space + 1..].trim_matches([' ', '\t']);
    (value[..space].eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A request body decoded the way ASP.NET Core with System.Text.Json does:
/// size limit (413), content type (415), then syntax and types (400).
pub(crate) struct AspNetJson<T>(pub(crate) T);

/// A request DTO that can be read from a JSON value by ASP.NET Core's rules.
pub(crate) trait FromJson: Sized {
    /// The .NET type name used in conversion messages.
    const TYPE_NAME: &'static str;
    /// Properties holding secrets: the journal keeps them as `***`.
    const SECRETS: &'static [&'static str] = &[];
    /// Reads the DTO from the object's properties, collecting errors.
    fn from_fields(fields: &mut Fields<'_>) -> Self;
}

impl<T: FromJson> FromRequest<AppState> for AspNetJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
        let limit = state.settings.body_limit;
        let body = read_body(request.into_body(), limit)
            .await
            .map_err(|error| match error {
                BodyError::TooLarge => ApiError::PayloadTooLarge { limit },
                BodyError::Unreadable => {
                    ApiError::validation("$", "The request body could not be read.")
                }
            })?;
        boundary::keep_request_body(|| redact_json(&body, T::SECRETS));
        check_content_type(content_type.as_ref().and_then(|v| v.to_str().ok()))?;
        decode(&body).map(Self)
    }
}

enum BodyError {
    TooLarge,
    Unreadable,
}

/// Reads a whole request body of at most `limit` bytes. A body that arrives
/// in one piece, as small ones do, is handed on as it is: no copy, and none
/// of the buffering `Bytes::from_request` sets up for the general case.
async fn read_body(mut body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    // A declared length over the limit is refused before reading any of it.
    if http_body::Body::size_hint(&body).lower() > limit {
        return Err(BodyError::TooLarge);
    }
    let mut whole = Bytes::new();
    let mut joined: Option<Vec<u8>> = None;
    while let Some(frame) = poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx)).await
    {
        let Ok(data) = frame.map_err(|_| BodyError::Unreadable)?.into_data() else {
            continue; // trailers
        };
        let read = joined.as_ref().map_or(whole.len(), Vec::len) + data.len();
        if u64::try_from(read).unwrap_or(u64::MAX) > limit {
            return Err(BodyError::TooLarge);
        }
        match &mut joined {
            None if whole.is_empty() => whole = data,
            None => {
                let mut buffer = Vec::with_capacity(read);
                buffer.extend_from_slice(&whole);
                buffer.extend_from_slice(&data);
                joined = Some(buffer);
            }
            Some(buffer) => buffer.extend_from_slice(&data),
        }
    }
    Ok(joined.map_or(whole, Bytes::from))
}

/// The body with the values of `secrets` (top-level properties, any case)
/// replaced by `***`; unreadable bodies that should hold secrets are not kept.
fn redact_json(body: &Bytes, secrets: &[&str]) -> Bytes {
    if secrets.is_empty() {
        return body.clone();
    }
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return Bytes::from_static(b"<redacted>");
    };
    for (key, value) in &mut object {
        if secrets.iter().any(|s| key.eq_ignore_ascii_case(s)) {
            *value = Value::String("***".to_owned());
        }
    }
    serde_json::to_vec(&object).map_or_else(|_| Bytes::new(), Bytes::from)
}

/// Accepts what ASP.NET Core's JSON input formatter accepts.
fn check_content_type(content_type: Option<&str>) -> Result<(), ApiError> {
    let Some(content_type) = content_type else {
        return Err(ApiError::UnsupportedMediaType {
            detail: "the request has no Content-Type; send application/json".to_owned(),
        });
    };
    // A parsed header value is visible ASCII, spaces and tabs.
    let end = content_type.bytes().position(|b| b == b';');
    let media_type = content_type[..end.unwrap_or(content_type.len())].trim_matches([' ', '\t']);
    let is = |expected: &str| media_type.eq_ignore_ascii_case(expected);
    // `application/*+json`, compared as bytes: no case folding into a new string.
    let (bytes, prefix, suffix) = (media_type.as_bytes(), b"application/", b"+json");
    let structured_json = bytes.len() > prefix.len() + suffix.len()
        && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
        && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix);
    let accepted = is("application/json") || is("text/json") || structured_json;
    if accepted {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            detail: format!(
                "content type '{content_type}' is not supported; use application/json, text/json or application/*+json"
            ),
        })
    }
}

fn decode<T: FromJson>(body: &[u8]) -> Result<T, ApiError> {
    // System.Text.Json skips a UTF-8 byte-order mark.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation(
            "",
            "A non-empty request body is required.",
        ));
    }
    let value = Json::parse(body).map_err(|error| {
        // System.Text.Json counts lines from 0 and bytes in the line from 0.
        let message = format!(
            "The request body is not valid JSON: {error}. Path: $ | LineNumber: {} | BytePositionInLine: {}.",
            error.line().saturating_sub(1),
            error.column().saturating_sub(1)
        );
        ApiError::validation("$", message)
    })?;
    let Json::Object(object) = &value else {
        return Err(ApiError::validation(
            "$",
            conversion_message(T::TYPE_NAME, "$"),
        ));
    };
    let mut errors = ValidationErrors::new();
    let dto = T::from_fields(&mut Fields::new(object, Cow::Borrowed("$"), &mut errors));
    if errors.is_empty() {
        Ok(dto)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn conversion_message(type_name: &str, path: &str) -> String {
    format!("The JSON value could not be converted to {type_name}. Path: {path}.")
}

/// The properties of a request object, read case-insensitively as ASP.NET
/// Core's web defaults do; unknown properties are ignored. Errors are keyed
/// by JSON path and collected, so one answer lists every problem.
pub(crate) struct Fields<'a> {
    object: &'a [(Cow<'a, str>, Json<'a>)],
    /// The object's own JSON path, such as `$` or `$.quotas[1]`.
    prefix: Cow<'static, str>,
    errors: &'a mut ValidationErrors,
}

impl<'a> Fields<'a> {
    fn new(
        object: &'a [(Cow<'a, str>, Json<'a>)],
        prefix: Cow<'static, str>,
        errors: &'a mut ValidationErrors,
    ) -> Self {
        Self {
            object,
            prefix,
            errors,
        }
    }

    /// The property's value; of several spellings, the last one wins, as in System.Text.Json.
    fn get(&self, name: &str) -> Option<&'a Json<'a>> {
        self.object
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    /// Records a problem with a property.
    pub(crate) fn error(&mut self, name: &str, message: impl Into<String>) {
        let path = self.path(name);
        self.errors.entry(path).or_default().push(message.into());
    }

    /// Whether a problem was already recorded for a property.
    pub(crate) fn has_error(&self, name: &str) -> bool {
        self.errors.contains_key(&self.path(name))
    }

    fn type_error(&mut self, name: &str, type_name: &str) {
        let message = conversion_message(type_name, &self.path(name));
        self.error(name, message);
    }

    /// A nullable `List<string>` of non-empty strings: absent or `null` is `None`.
    pub(crate) fn string_list(&mut self, name: &str) -> Option<Vec<String>> {
        match self.get(name)? {
            Json::Null => None,
            Json::Array(items) => {
                let mut strings = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let element = || format!("{name}[{i}]");
                    match item {
                        Json::String(s) if !s.is_empty() => strings.push(s.as_ref().to_owned()),
                        // The real service would take null or "" as an id or code it
                        // does not know; the emulator says so plainly (see the README).
                        Json::String(_) | Json::Null => {
                            self.error(&element(), "The value must be a non-empty string.");
                        }
                        _ => self.type_error(&element(), "System.String"),
                    }
                }
                Some(strings)
            }
            _ => {
                self.type_error(name, "System.Collections.Generic.List`1[System.String]");
                None
            }
        }
    }

    /// A nullable `string`: absent or `null` is `None`.
    pub(crate) fn string(&mut self, name: &str) -> Option<String> {
        match self.get(name)? {
            Json::Null => None,
            Json::String(value) => Some(value.as_ref().to_owned()),
            _ => {
                self.type_error(name, "System.String");
                None
            }
        }
    }

    /// A non-nullable `bool`: absent is `false`, `null` or another type is an error.
    pub(crate) fn boolean(&mut self, name: &str) -> bool {
        match self.get(name) {
            None => false,
            Some(Json::Bool(value)) => *value,
            Some(_) => {
                self.type_error(name, "System.Boolean");
                false
            }
        }
    }

    /// A non-nullable `int`: absent is 0, `null`, a fraction or a value out of range is an error.
    pub(crate) fn int32(&mut self, name: &str) -> i32 {
        match self.get(name) {
            None => 0,
            Some(Json::Number(n)) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or_default(),
            Some(_) => {
                self.type_error(name, "System.Int32");
                0
            }
        }
    }

    /// A nullable list of objects, each read by `read`: absent or `null` is `None`.
    pub(crate) fn objects<T>(
        &mut self,
        name: &str,
        type_name: &str,
        mut read: impl FnMut(&mut Fields<'_>) -> T,
    ) -> Option<Vec<T>> {
        match self.get(name)? {
            Json::Null => None,
            Json::Array(items) => {
                let mut read_items = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let element = format!("{name}[{i}]");
                    match item {
                        Json::Object(object) => {
                            let prefix = Cow::Owned(self.path(&element));
                            read_items.push(read(&mut Fields::new(object, prefix, self.errors)));
                        }
                        _ => self.type_error(&element, type_name),
                    }
                }
                Some(read_items)
            }
            _ => {
                self.type_error(
                    name,
                    &format!("System.Collections.Generic.List`1[{type_name}]"),
                );
                None
            }
        }
    }
}
