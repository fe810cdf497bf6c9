//! The identity routes a license client calls first (SPEC §5): the OAuth
//! token endpoint, the OIDC discovery document and JWKS, and the legacy ROPC
//! call. Errors here follow RFC 6749 §5.2 and ABP, not problem+json, because
//! that is what clients of those services parse.

use axum::body::Bytes;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::boundary;
use super::error::{ApiError, Problem};
use super::extract::{AspNetJson, Fields, FromJson, Path};
use super::openapi::{
    AbpAuthenticateResponse, AuthenticateModel, JsonWebKeySet, OAuthErrorResponse,
    OpenIdConfiguration, TokenForm, TokenResponse,
};
use super::{AppState, json_ok};
use crate::identity::{LICENSE_SCOPES, OAuthError, TokenRequest};

/// The optional organization segment of the identity routes.
#[derive(Deserialize)]
pub(crate) struct OrganizationPath {
    #[serde(default)]
    organization: Option<String>,
}

/// `{scheme}://{host}/identity_`, the issuer of tokens requested on this host.
fn issuer(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    format!(
        "{}://{host}/identity_",
        if https { "https" } else { "http" }
    )
}

/// `POST /identity_/connect/token`: client credentials, password and refresh grants.
///
/// Client credentials come from the form or from HTTP Basic; empty form
/// fields are ignored. Also served under `/{organizationName}`.
#[utoipa::path(
    post,
    path = "/identity_/connect/token",
    operation_id = "RequestToken",
    tag = "Identity",
    request_body(
        content = TokenForm,
        content_type = "application/x-www-form-urlencoded",
        example = json!({
            "grant_type": "client_credentials",
            "client_id": "demo-app",
            "client_secret": "demo-secret",
            "scope": "PM.License.Read PM.License.Write"
        }),
    ),
    responses(
        (status = 200, description = "A bearer token (`Cache-Control: no-store`).", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `invalid_scope` or \
            `unsupported_grant_type` (RFC 6749 §5.2).", body = OAuthErrorResponse),
        (status = 401, description = "`invalid_client`: a wrong secret, malformed Basic credentials, or \
            (in strict mode) an unknown client.",
            body = OAuthErrorResponse),
    ),
)]
pub(crate) async fn token(
    State(state): State<AppState>,
    Path(path): Path<OrganizationPath>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    boundary::keep_request_body(|| redact_form(&body));
    let request = match token_request(&headers, &body, path.organization) {
        Ok(request) => request,
        Err(error) => return oauth_error(&error, used_basic(&headers)),
    };
    match state.identity.token(&request, &issuer(&headers)) {
        Ok(issued) => no_store(json_ok(&issued)),
        Err(error) => oauth_error(&error, used_basic(&headers)),
    }
}

/// The form with its secrets replaced by `***`, for the journal.
fn redact_form(body: &[u8]) -> Bytes {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return Bytes::from_static(b"<redacted>");
    };
    let redacted: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(name, value)| {
            let secret = [
                "client_secret",
                "password",
                "refresh_token",
                "client_assertion",
            ]
            .contains(&name.as_str());
            let value = if secret && !value.is_empty() {
                "***".to_owned()
            } else {
                value
            };
            (name, value)
        })
        .collect();
    serde_urlencoded::to_string(redacted).map_or_else(|_| Bytes::new(), Bytes::from)
}

/// Reads the form, ignoring empty fields (some clients post every field),
/// with client credentials from HTTP Basic or the form.
fn token_request(
    headers: &HeaderMap,
    body: &[u8],
    organization: Option<String>,
) -> Result<TokenRequest, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(OAuthError::InvalidRequest(
            "the token request must be form-encoded (application/x-www-form-urlencoded)".to_owned(),
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|error| {
        OAuthError::InvalidRequest(format!("the form could not be read: {error}"))
    })?;
    let mut request = TokenRequest {
        organization,
        ..TokenRequest::default()
    };
    for (name, value) in pairs.into_iter().filter(|(_, value)| !value.is_empty()) {
        let field = match name.as_str() {
            "grant_type" => &mut request.grant_type,
            "client_id" => &mut request.client_id,
            "client_secret" => &mut request.client_secret,
            "scope" => &mut request.scope,
            "username" => &mut request.username,
            "password" => &mut request.password,
            "refresh_token" => &mut request.refresh_token,
            _ => continue,
        };
        *field = Some(value);
    }
    if let Some((id, secret)) = basic_credentials(headers)? {
        request.client_id = Some(id);
        request.client_secret = Some(secret);
    }
    Ok(request)
}

/// `Authorization: Basic base64(urlencoded id ":" urlencoded secret)`, RFC 6749 §2.3.1.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let malformed = || OAuthError::InvalidClient("the Basic credentials are malformed".to_owned());
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| -> Result<String, OAuthError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(&format!("v={part}")).map_err(|_| malformed())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// Whether the client authenticated with HTTP Basic.
fn used_basic(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
}

/// An RFC 6749 §5.2 error body.
fn oauth_error(error: &OAuthError, used_basic: bool) -> Response {
    let status = match error {
        OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = json!({"error": error.code(), "error_description": error.to_string()});
    let mut response = no_store((status, json_ok(&body)).into_response());
    if status == StatusCode::UNAUTHORIZED && used_basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"identity_\""),
        );
    }
    response
}

/// Token answers must not be cached (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /identity_/.well-known/openid-configuration`, so OIDC libraries can find the keys.
#[utoipa::path(
    get,
    path = "/identity_/.well-known/openid-configuration",
    operation_id = "GetOpenIdConfiguration",
    tag = "Identity",
    responses(
        (status = 200, description = "The OpenID Connect discovery document; URLs use the request's host.",
            body = OpenIdConfiguration),
    ),
)]
pub(crate) async fn discovery(headers: HeaderMap) -> Response {
    let issuer = issuer(&headers);
    let mut scopes: Vec<&str> = LICENSE_SCOPES.to_vec();
    scopes.extend(["openid", "profile", "email", "offline_access"]);
    json_ok(&json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/openid-configuration/jwks"),
        "token_endpoint": format!("{issuer}/connect/token"),
        "grant_types_supported": ["client_credentials", "password", "refresh_token"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
        "claims_supported": ["sub", "client_id", "prt_id", "scope", "iss", "aud", "iat", "nbf", "exp", "jti"],
    }))
}

/// `GET /identity_/.well-known/openid-configuration/jwks`: the key tokens are signed with.
#[utoipa::path(
    get,
    path = "/identity_/.well-known/openid-configuration/jwks",
    operation_id = "GetJsonWebKeySet",
    tag = "Identity",
    responses((status = 200, description = "The public signing key.", body = JsonWebKeySet)),
)]
pub(crate) async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let jwks = state
        .identity
        .key()
        .jwks()
        .ok_or_else(|| ApiError::Internal("the signing key has no JWK".to_owned()))?;
    Ok(json_ok(jwks))
}

/// The legacy ROPC body: `{tenancyName, usernameOrEmailAddress, password}`.
pub(crate) struct LegacyAuthenticate {
    tenancy_name: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

impl FromJson for LegacyAuthenticate {
    const TYPE_NAME: &'static str = "UiPath.Web.Models.Account.AuthenticateModel";
    const SECRETS: &'static [&'static str] = &["password"];

    fn from_fields(fields: &mut Fields<'_>) -> Self {
        Self {
            tenancy_name: fields.string("tenancyName"),
            username: fields.string("usernameOrEmailAddress"),
            password: fields.string("password"),
        }
    }
}

/// Path of `/{organizationName}/{tenantName}/api/account/authenticate`.
#[derive(Deserialize)]
pub(crate) struct TenantPath {
    #[serde(default)]
    tenant: Option<String>,
}

/// `POST /api/account/authenticate`: the ROPC method the allocation pages name.
///
/// Property names are case-insensitive. Also served under
/// `/{organizationName}/{tenantName}`, whose tenant stands in for a missing
/// `tenancyName`.
#[utoipa::path(
    post,
    path = "/api/account/authenticate",
    operation_id = "Account_Authenticate",
    tag = "Identity",
    request_body(
        content = AuthenticateModel,
        description = "A fixture login.",
        example = json!({"tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "admin"}),
    ),
    responses(
        (status = 200, description = "The bearer token in `result`.", body = AbpAuthenticateResponse),
        (status = 400, description = "Bad credentials (`success: false`, ABP error), or a body that does not decode \
            (problem+json).", content(
            (AbpAuthenticateResponse = "application/json"),
            (Problem = "application/problem+json"),
        )),
    ),
)]
pub(crate) async fn legacy_authenticate(
    State(state): State<AppState>,
    Path(path): Path<TenantPath>,
    headers: HeaderMap,
    AspNetJson(body): AspNetJson<LegacyAuthenticate>,
) -> Response {
    let tenancy = body.tenancy_name.or(path.tenant);
    let token = match (body.username, body.password) {
        (Some(username), Some(password)) => state.identity.legacy_authenticate(
            tenancy.as_deref(),
            &username,
            &password,
            &issuer(&headers),
        ),
        _ => None,
    };
    match token {
        Some(token) => json_ok(&json!({
            "result": token, "targetUrl": null, "success": true, "error": null,
            "unAuthorizedRequest": false, "__abp": true,
        })),
        None => (
            StatusCode::BAD_REQUEST,
            json_ok(&json!({
                "result": null, "targetUrl": null, "success": false,
                "error": {"code": 0, "message": "Login failed!", "details": "Invalid user name or password",
                          "validationErrors": null},
                "unAuthorizedRequest": false, "__abp": true,
            })),
        )
            .into_response(),
    }
}
