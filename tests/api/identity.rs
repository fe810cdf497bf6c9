//! Identity (SPEC §5): the token endpoint and its OAuth errors, the tokens it
//! signs and the JWKS that verifies them, the legacy ROPC call, and how the
//! license routes check tokens in each auth mode.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use uipath_license_mock::MockServer;
use uipath_license_mock::identity::{AuthMode, Clock, SigningKey};

use crate::helpers::{Answer, TestApp, group_path, send, spawn_app, spawn_app_from};

const TOKEN_PATH: &str = "/identity_/connect/token";
const DISCOVERY_PATH: &str = "/identity_/.well-known/openid-configuration";
const JWKS_PATH: &str = "/identity_/.well-known/openid-configuration/jwks";
const FORM: &str = "application/x-www-form-urlencoded";
const ALL_SCOPES: &str = "PM.License PM.License.Read PM.License.Write";
/// `demo-app` / `demo-secret` of the default fixtures, for account `1234`.
const CLIENT_CREDENTIALS: [(&str, &str); 3] = [
    ("grant_type", "client_credentials"),
    ("client_id", "demo-app"),
    ("client_secret", "demo-secret"),
];

/// An RSA key other than the emulator's embedded one, for tokens the
/// emulator did not sign. A throwaway test key: it protects nothing.
const FOREIGN_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDGOpBZOv5qByRR
cSvv7s/Tv/0pD/dvL/CRPus18G0O+K6vp3l82W2s84mwHnMdRPAaPExA1ylpsPPh
pUWAXXdR3rKm9bYXQDCpB5Jc/jy4grBAc3dXvT7EHFfEaTJJw1R2HV38mng/jIJ0
QaVrhnzEtWRAT1uMiAyBzoGsEYaNH4xBmFUYm31laAwhxT3xOmMCw1ef7Cq3ImTA
WhMvWFMH/tzpI/fyCruZXS64RaxqQX79nvPuzgGeCckrkU4fmyVIoZM33Va2Vmiw
+GWor1Gc61R/FAphfCbcCjW2Wr9GJ94RMi4yFzgmccz3hqJpysyqJ2+bcKUxp7wt
oEsFfZ8VAgMBAAECggEAUsOy7z6daOGQfVyWLrh0F4IqjlF3SvomJE6z4DKBJmYY
cYioRcN2cmbAj0M3ZvoYkaupXs03IkTantTlfuIHZqxnxSQEIhMP/hMGPkN8UMFo
G5DaPEzsfu8iigQuFfQzOJmsW0KXgFkHQskB6zIct/jQYbWAkN1g83WoWJJ8rkDI
dwhdiufROeI15zDc7/J/hnf+kaAzHXyTM+HlJCnVU6aBXt6WfNa5+6xI2r+FEEm8
9la5FO/tT12KA06y6qs2qV97r4KkLv7bKEKNzXm6i0B5Dr9NgzOAQ7gO4QAznBho
wd9m20gRZW5hkzFcQ6TyxJWI+uZFeWNTas7fk/c5ZQKBgQDsZXfLQHZPz3cxhHRm
d1vtuY/7z+fIBl8ED4T8GyZt4iuXd7p4d0wnGppTSdkPzYQTe5aQikm0srbhEuxu
vgbBQC9v+RRlPR2bYnjSKLCBknpsBGyN2MDzlqRhVtdgmz7H5FazhV+g6k4FqOZH
d875SVjfhmTkllEzgnifQB6fcwKBgQDWqtL70oAYdDgD8bmf1IMkYM8+MiuBDXsn
lEvtD9hA6cz5hJxCNuBPHAvyw5+ElEsoDXkaDnaGzNqPi8covFtWK/VvXQAzbNzV
gq/oOZRTbrJR/ZpDsYpqUWXq5Ed1pHbYdl940NvicNLjnLNHDhOtypRf297xxjBi
FZxaBbsVVwKBgQCBJb4YkJMSbymTJ+XfxP24FlSPIbpjEPf/4+qnQL3x8koWaha5
kZNNGb+OGR44//JUIoTTWnmB+tDmjcwVhEN0eHhyGAYIeScfqOCRECG96CRxtskH
hY+EhJwxgZwQ7z+RPTIQyaDA7MDLXsbP7KhqkKO5GlcseuLJ3VHAzurr+QKBgBbr
NA1owv5ZYiWhqDTVRo8auuWkC5sCqnRmU9jiiS8dByJYsyoqm7Y2g1wO4LgR8Rg8
oAJVKvhnZKpQvRmvSn0fwlt6bWwQIl+1TTyY8SobNnSkg9TYXrPNLvluF+cKgRnJ
QZYvjlpVu15Lu6RJb3Ztm3vEiL/9ber67a96zyePAoGAGjCLpqucVG+080mV9ZTq
w/NG34bqLhmUK02NtrKnVi172TpKMZSqBnFJrxZZrUlIW7vLhvuU4D4KtjicKLw4
YkGCNv5uK00VHNGgdrfdNjkgT1TVx+SxNGAiL5Ihg7+BKKCNVLNhqHZyDxB6xLQz
E5jNWGeRhm9n3oNalJ42ic8=
-----END PRIVATE KEY-----
";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The group rule of the default account `1234`.
fn rule_1234() -> String {
    group_path("1234", "group-01")
}

/// The same group of the other default account, `song-one`.
fn rule_song_one() -> String {
    group_path("song-one", "group-01")
}

async fn spawn_with_auth(mode: AuthMode) -> TestApp {
    spawn_app_from(MockServer::builder().auth(mode)).await
}

/// A form-encoded POST without any `Authorization` header.
fn form_request(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> RequestBuilder {
    let body = serde_urlencoded::to_string(fields).expect("a form encodes");
    app.api
        .anonymous(Method::POST, path)
        .header(CONTENT_TYPE, FORM)
        .body(body)
}

/// Posts a form to the token endpoint.
async fn token_call(app: &TestApp, fields: &[(&str, &str)]) -> Answer {
    send(form_request(app, TOKEN_PATH, fields)).await
}

/// A successful token answer's body, checked not to be cacheable.
fn issued(answer: &Answer) -> Value {
    let body = answer.ok_json();
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    body
}

/// The access token of a successful token answer.
fn access_token(answer: &Answer) -> String {
    issued(answer)["access_token"]
        .as_str()
        .expect("access_token is a string")
        .to_owned()
}

/// A `demo-app` token by client credentials in the form.
async fn demo_app_token(app: &TestApp) -> String {
    access_token(&token_call(app, &CLIENT_CREDENTIALS).await)
}

/// An RFC 6749 §5.2 error: status, exactly `{error, error_description}`, not cacheable.
fn assert_oauth_error(answer: &Answer, status: StatusCode, error: &str) {
    assert_eq!(answer.status, status, "body: {}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let body = answer.json();
    assert_eq!(body["error"], error, "body: {body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "a description: {body}"
    );
    let mut keys: Vec<&String> = body.as_object().expect("an object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["error", "error_description"]);
}

/// `AllocateGroupRule` with `token` as the bearer token, or with no `Authorization` at all.
async fn put_rule(app: &TestApp, path: &str, token: Option<&str>) -> Answer {
    let request = app
        .api
        .anonymous(Method::PUT, path)
        .json(&json!({"userBundleCodes": ["CTZDEVCU"], "useExternalLicense": false}));
    send(with_token(request, token)).await
}

/// `GetGroupRule` with `token` as the bearer token, or with no `Authorization` at all.
async fn get_rule(app: &TestApp, path: &str, token: Option<&str>) -> Answer {
    send(with_token(app.api.anonymous(Method::GET, path), token)).await
}

/// A GET without any `Authorization` header.
async fn get(app: &TestApp, path: &str) -> Answer {
    send(app.api.anonymous(Method::GET, path)).await
}

fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// A 401 of the license routes: empty body, `invalid_token` challenge with a description.
fn assert_invalid_token(answer: &Answer) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "body: {}",
        answer.body
    );
    assert_eq!(answer.body, "");
    let challenge = answer
        .header("www-authenticate")
        .expect("a WWW-Authenticate challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    assert!(challenge.contains("error_description=\""), "{challenge}");
}

/// The claims of a JWT, read without verifying it.
fn claims(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .expect("the token is a JWT")
        .claims
}

/// The three dot-separated segments of a JWT.
fn segments(token: &str) -> [String; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [header, payload, signature] => [
            (*header).to_owned(),
            (*payload).to_owned(),
            (*signature).to_owned(),
        ],
        _ => panic!("not a compact JWS: {token}"),
    }
}

fn seconds_since_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

// ---------------------------------------------------------------------------
// The client path: token, call, verification
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_client_gets_a_token_by_client_credentials_and_allocates_with_it() {
    let app = spawn_app_from(MockServer::builder().auth(AuthMode::Strict).token_ttl(600)).await;

    let answer = token_call(&app, &CLIENT_CREDENTIALS).await;

    let mut body = issued(&answer);
    let token = body
        .as_object_mut()
        .expect("an object")
        .remove("access_token")
        .expect("an access_token");
    assert_eq!(
        body,
        json!({"expires_in": 600, "token_type": "Bearer", "scope": ALL_SCOPES})
    );
    let token = token.as_str().expect("a string");
    let allocated = put_rule(&app, &rule_1234(), Some(token)).await;
    assert_eq!(allocated.ok_json()["groupId"], "group-01");
}

#[tokio::test]
async fn client_credentials_may_come_by_http_basic() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    let answer = send(
        form_request(&app, TOKEN_PATH, &[("grant_type", "client_credentials")])
            .basic_auth("demo-app", Some("demo-secret")),
    )
    .await;

    let token = access_token(&answer);
    assert_eq!(claims(&token)["client_id"], "demo-app");
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn http_basic_credentials_are_form_urlencoded_before_base64_as_rfc_6749_says() {
    let secret = "a:b+c d%";
    let mut fixtures: Value =
        serde_json::from_str(uipath_license_mock::fixtures::DEFAULT_FIXTURES).expect("JSON");
    fixtures["clients"] = json!([{
        "clientId": "odd app", "clientSecret": secret,
        "accountId": "1234", "scopes": ["PM.License"],
    }]);
    let app = spawn_app_from(
        MockServer::builder()
            .auth(AuthMode::Strict)
            .fixtures(crate::helpers::fixtures_from(fixtures)),
    )
    .await;
    let encode = |text: &str| {
        let pair = serde_urlencoded::to_string([("v", text)]).expect("encodes");
        pair["v=".len()..].to_owned()
    };
    let credentials = format!("{}:{}", encode("odd app"), encode(secret));
    assert_eq!(credentials, "odd+app:a%3Ab%2Bc+d%25");

    let answer = send(
        form_request(&app, TOKEN_PATH, &[("grant_type", "client_credentials")]).header(
            "Authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            ),
        ),
    )
    .await;

    assert_eq!(claims(&access_token(&answer))["client_id"], "odd app");
}

#[tokio::test]
async fn the_token_endpoint_is_also_served_under_an_organization() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    let answer = send(form_request(
        &app,
        "/song-one/identity_/connect/token",
        &CLIENT_CREDENTIALS,
    ))
    .await;

    let token = access_token(&answer);
    assert_eq!(claims(&token)["prt_id"], "1234", "the client's account");
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_access_token_carries_the_documented_claims() {
    let app = spawn_app_from(MockServer::builder().token_ttl(900)).await;
    let before = seconds_since_epoch();

    let token = demo_app_token(&app).await;
    let other = demo_app_token(&app).await;

    let header = jsonwebtoken::decode_header(&token).expect("a JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert!(header.kid.as_deref().is_some_and(|kid| !kid.is_empty()));
    let claims = claims(&token);
    assert_eq!(claims["iss"], format!("{}/identity_", app.server.uri()));
    assert_eq!(claims["aud"], "UiPath.Platform");
    assert_eq!(claims["sub"], "demo-app");
    assert_eq!(claims["client_id"], "demo-app");
    assert_eq!(claims["prt_id"], "1234");
    assert_eq!(
        claims["scope"],
        json!(["PM.License", "PM.License.Read", "PM.License.Write"])
    );
    let time = |name: &str| {
        claims[name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} is a number"))
    };
    assert!(
        (before..=seconds_since_epoch()).contains(&time("iat")),
        "iat is now: {claims}"
    );
    assert_eq!(time("nbf"), time("iat"));
    assert_eq!(time("exp") - time("iat"), 900, "exp - iat is the TTL");
    let jti = claims["jti"].as_str().expect("jti is a string");
    assert!(!jti.is_empty());
    assert_ne!(
        self::claims(&other)["jti"],
        jti,
        "every token has its own jti"
    );
}

#[tokio::test]
async fn the_access_token_verifies_against_the_jwks_the_discovery_document_names() {
    let app = spawn_app().await;
    let token = demo_app_token(&app).await;

    // As an OIDC library does it: discovery, then the JWKS it points at.
    let discovery = get(&app, DISCOVERY_PATH).await.ok_json();
    let jwks_uri = discovery["jwks_uri"].as_str().expect("a jwks_uri");
    let jwks = reqwest::Client::new()
        .get(jwks_uri)
        .send()
        .await
        .expect("the JWKS answers")
        .text()
        .await
        .expect("a body");
    let jwks: JwkSet = serde_json::from_str(&jwks).expect("a JWK set");
    let kid = jsonwebtoken::decode_header(&token)
        .expect("a JWT header")
        .kid
        .expect("a kid");
    let jwk = jwks.find(&kid).expect("the JWKS holds the token's key");
    let key = DecodingKey::from_jwk(jwk).expect("an RSA public key");
    let issuer = discovery["issuer"].as_str().expect("an issuer");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["UiPath.Platform"]);
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
    validation.validate_nbf = true;

    let verified =
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("the signature verifies");

    assert_eq!(verified.claims["prt_id"], "1234");
    assert_eq!(verified.header.kid.as_deref(), Some(kid.as_str()));
    // The same key refuses a token whose signature was changed.
    let [header, payload, signature] = segments(&token);
    let tampered = format!("{header}.{payload}.{}", flip_first(&signature));
    let refused = jsonwebtoken::decode::<Value>(&tampered, &key, &validation)
        .expect_err("a changed signature does not verify");
    assert_eq!(
        *refused.kind(),
        jsonwebtoken::errors::ErrorKind::InvalidSignature
    );
}

#[tokio::test]
async fn the_discovery_document_points_at_this_server() {
    let app = spawn_app().await;
    let base = app.server.uri();

    let discovery = get(&app, DISCOVERY_PATH).await.ok_json();

    assert_eq!(discovery["issuer"], format!("{base}/identity_"));
    assert_eq!(
        discovery["jwks_uri"],
        format!("{base}/identity_/.well-known/openid-configuration/jwks")
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{base}/identity_/connect/token")
    );
    let grants = discovery["grant_types_supported"]
        .as_array()
        .expect("a list of grants");
    for grant in ["client_credentials", "password", "refresh_token"] {
        assert!(grants.contains(&json!(grant)), "{grant} in {grants:?}");
    }
    // The token endpoint it names is the one that answers.
    let token_endpoint = discovery["token_endpoint"].as_str().expect("a URL");
    let answer = send(
        reqwest::Client::new()
            .post(token_endpoint)
            .header(CONTENT_TYPE, FORM)
            .body(serde_urlencoded::to_string(CLIENT_CREDENTIALS).expect("a form")),
    )
    .await;
    assert_eq!(claims(&access_token(&answer))["iss"], discovery["issuer"]);
}

#[tokio::test]
async fn empty_form_fields_are_ignored_as_if_absent() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    // What the Go CLI posts: every field, unused ones empty.
    let answer = token_call(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-app"),
            ("client_secret", "demo-secret"),
            ("username", ""),
            ("password", ""),
            ("refresh_token", ""),
            ("scope", ""),
        ],
    )
    .await;

    let body = issued(&answer);
    assert_eq!(
        body["scope"], ALL_SCOPES,
        "an empty scope asks for none in particular"
    );
    let token = body["access_token"].as_str().expect("an access_token");
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_asked_for_with_the_read_scope_may_read_but_not_write() {
    let app = spawn_with_auth(AuthMode::Strict).await;
    let mut fields = CLIENT_CREDENTIALS.to_vec();
    fields.push(("scope", "PM.License.Read"));

    let body = issued(&token_call(&app, &fields).await);

    assert_eq!(body["scope"], "PM.License.Read");
    let token = body["access_token"].as_str().expect("an access_token");
    assert_eq!(claims(token)["scope"], json!(["PM.License.Read"]));
    assert_eq!(
        get_rule(&app, &rule_1234(), Some(token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(token)).await.status,
        StatusCode::FORBIDDEN
    );
}

// ---------------------------------------------------------------------------
// OAuth errors
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client_with_401() {
    let app = spawn_app().await;

    let answer = token_call(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-app"),
            ("client_secret", "not-the-secret"),
        ],
    )
    .await;

    assert_oauth_error(&answer, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn a_wrong_basic_secret_is_invalid_client_with_a_basic_challenge() {
    let app = spawn_app().await;

    let answer = send(
        form_request(&app, TOKEN_PATH, &[("grant_type", "client_credentials")])
            .basic_auth("demo-app", Some("not-the-secret")),
    )
    .await;

    assert_oauth_error(&answer, StatusCode::UNAUTHORIZED, "invalid_client");
    // RFC 6749 §5.2: a client that authenticated by Basic gets a Basic challenge.
    let challenge = answer.header("www-authenticate").expect("a challenge");
    assert!(challenge.starts_with("Basic"), "{challenge}");
}

#[tokio::test]
async fn an_unknown_client_is_invalid_client_in_strict_mode() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    let answer = token_call(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody-knows-me"),
            ("client_secret", "whatever"),
        ],
    )
    .await;

    assert_oauth_error(&answer, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn an_unknown_client_gets_a_token_in_lenient_mode() {
    let app = spawn_app().await;

    let answer = token_call(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody-knows-me"),
            ("client_secret", "whatever"),
        ],
    )
    .await;

    let body = issued(&answer);
    assert_eq!(body["scope"], ALL_SCOPES);
    let token = body["access_token"].as_str().expect("an access_token");
    assert_eq!(claims(token)["client_id"], "nobody-knows-me");
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_scope_the_client_was_not_granted_is_invalid_scope() {
    let app = spawn_app().await;
    let mut fields = CLIENT_CREDENTIALS.to_vec();
    fields.push(("scope", "PM.License OR.Jobs"));

    let answer = token_call(&app, &fields).await;

    assert_oauth_error(&answer, StatusCode::BAD_REQUEST, "invalid_scope");
}

#[tokio::test]
async fn a_wrong_password_is_invalid_grant() {
    let app = spawn_app().await;

    let answer = token_call(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "not-the-password"),
        ],
    )
    .await;

    assert_oauth_error(&answer, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_grant() {
    let app = spawn_app().await;

    let answer = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "never-issued"),
            ("client_id", "demo-app"),
            ("client_secret", "demo-secret"),
        ],
    )
    .await;

    assert_oauth_error(&answer, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn a_grant_the_emulator_does_not_serve_is_unsupported_grant_type() {
    let app = spawn_app().await;

    let answer = token_call(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", "abc"),
            ("client_id", "demo-app"),
            ("client_secret", "demo-secret"),
        ],
    )
    .await;

    assert_oauth_error(&answer, StatusCode::BAD_REQUEST, "unsupported_grant_type");
}

#[tokio::test]
async fn a_token_request_without_grant_type_is_invalid_request() {
    let app = spawn_app().await;

    let answer = token_call(
        &app,
        &[("client_id", "demo-app"), ("client_secret", "demo-secret")],
    )
    .await;

    assert_oauth_error(&answer, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn a_token_request_that_is_not_form_encoded_is_invalid_request() {
    let app = spawn_app().await;

    let answer = send(app.api.anonymous(Method::POST, TOKEN_PATH).json(&json!({
        "grant_type": "client_credentials",
        "client_id": "demo-app",
        "client_secret": "demo-secret",
    })))
    .await;

    assert_oauth_error(&answer, StatusCode::BAD_REQUEST, "invalid_request");
}

// ---------------------------------------------------------------------------
// Password grant and refresh tokens
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_password_grant_without_offline_access_has_no_refresh_token() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    let answer = token_call(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin"),
            ("client_id", "demo-app"),
            ("client_secret", "demo-secret"),
        ],
    )
    .await;

    let body = issued(&answer);
    assert!(body.get("refresh_token").is_none(), "{body}");
    let token = body["access_token"].as_str().expect("an access_token");
    assert_eq!(claims(token)["sub"], "admin");
    assert_eq!(claims(token)["prt_id"], "1234");
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_refresh_token_works_once_and_is_then_refused() {
    let app = spawn_with_auth(AuthMode::Strict).await;
    let first = issued(
        &token_call(
            &app,
            &[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin"),
                ("client_id", "demo-app"),
                ("client_secret", "demo-secret"),
                ("scope", "PM.License offline_access"),
            ],
        )
        .await,
    );
    assert_eq!(first["scope"], "PM.License offline_access");
    let old = first["refresh_token"].as_str().expect("a refresh_token");

    let renewed = issued(&refresh(&app, old).await);

    let new = renewed["refresh_token"]
        .as_str()
        .expect("a new refresh_token");
    assert_ne!(new, old, "refresh tokens rotate");
    let token = renewed["access_token"].as_str().expect("an access_token");
    assert_eq!(claims(token)["sub"], "admin");
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(token)).await.status,
        StatusCode::OK
    );
    assert_oauth_error(
        &refresh(&app, old).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        refresh(&app, new).await.status,
        StatusCode::OK,
        "the new one still works"
    );
}

#[tokio::test]
async fn a_client_refreshing_with_the_wrong_secret_is_invalid_client_and_keeps_its_token() {
    let app = spawn_with_auth(AuthMode::Lenient).await;
    let first = issued(
        &token_call(
            &app,
            &[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin"),
                ("client_id", "demo-app"),
                ("client_secret", "demo-secret"),
                ("scope", "PM.License offline_access"),
            ],
        )
        .await,
    );
    let old = first["refresh_token"].as_str().expect("a refresh_token");
    let wrong = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old),
            ("client_id", "demo-app"),
            ("client_secret", "not-the-secret"),
        ],
    )
    .await;
    assert_oauth_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(
        refresh(&app, old).await.status,
        StatusCode::OK,
        "a refused attempt does not use the refresh token up"
    );
}

/// `demo-app` exchanges a refresh token.
async fn refresh(app: &TestApp, refresh_token: &str) -> Answer {
    token_call(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "demo-app"),
            ("client_secret", "demo-secret"),
        ],
    )
    .await
}

// ---------------------------------------------------------------------------
// Expiry and signatures
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_issued_token_is_refused_with_invalid_token_once_its_ttl_has_passed() {
    let clock = Clock::manual(1_700_000_000);
    let app = spawn_app_from(MockServer::builder().token_ttl(60).clock(clock.clone())).await;
    let token = demo_app_token(&app).await;
    assert_eq!(claims(&token)["iat"], 1_700_000_000_u64);
    assert_eq!(claims(&token)["exp"], 1_700_000_060_u64);
    assert_eq!(
        get_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );

    clock.advance(59);
    assert_eq!(
        get_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK,
        "one second before exp"
    );
    clock.advance(1);

    assert_invalid_token(&get_rule(&app, &rule_1234(), Some(&token)).await);
    assert_invalid_token(&put_rule(&app, &rule_1234(), Some(&token)).await);
}

#[tokio::test]
async fn a_fixture_token_is_refused_once_its_expiry_has_passed() {
    let clock = Clock::manual(1_700_000_000);
    let mut fixtures: Value =
        serde_json::from_str(uipath_license_mock::fixtures::DEFAULT_FIXTURES).expect("JSON");
    fixtures["tokens"] = json!([{
        "token": "short-lived", "accountId": "1234",
        "scopes": ["PM.License"], "expiresAt": 1_700_000_100_u64,
    }]);
    let app = spawn_app_from(
        MockServer::builder()
            .fixtures(crate::helpers::fixtures_from(fixtures))
            .clock(clock.clone()),
    )
    .await;
    assert_eq!(
        put_rule(&app, &rule_1234(), Some("short-lived"))
            .await
            .status,
        StatusCode::OK
    );

    clock.advance(100);

    assert_invalid_token(&put_rule(&app, &rule_1234(), Some("short-lived")).await);
}

/// The same base64url text with its first character changed.
fn flip_first(segment: &str) -> String {
    let replacement = if segment.starts_with('A') { "B" } else { "A" };
    format!("{replacement}{}", &segment[1..])
}

#[tokio::test]
async fn a_token_whose_signature_was_changed_is_refused_even_in_lenient_mode() {
    let app = spawn_app().await;
    let [header, payload, signature] = segments(&demo_app_token(&app).await);

    let tampered = format!("{header}.{payload}.{}", flip_first(&signature));

    assert_invalid_token(&put_rule(&app, &rule_1234(), Some(&tampered)).await);
    assert_invalid_token(&get_rule(&app, &rule_1234(), Some(&tampered)).await);
}

#[tokio::test]
async fn a_token_whose_claims_were_changed_is_refused_even_in_lenient_mode() {
    let app = spawn_app().await;
    let mut fields = CLIENT_CREDENTIALS.to_vec();
    fields.push(("scope", "PM.License.Read"));
    let [header, payload, signature] = segments(&access_token(&token_call(&app, &fields).await));
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&payload).expect("base64url"))
            .expect("JSON claims");
    claims["scope"] = json!(["PM.License"]);

    let forged = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );

    assert_invalid_token(&put_rule(&app, &rule_1234(), Some(&forged)).await);
}

/// A `demo-app` token signed by [`FOREIGN_KEY_PEM`], from an emulator started with that key.
async fn foreign_token() -> String {
    let key = SigningKey::from_pem(FOREIGN_KEY_PEM.as_bytes()).expect("a usable RSA key");
    let other = spawn_app_from(MockServer::builder().signing_key(key)).await;
    demo_app_token(&other).await
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_accepted_in_lenient_mode() {
    let app = spawn_app().await;
    let ours = demo_app_token(&app).await;
    let foreign = foreign_token().await;
    assert_ne!(
        jsonwebtoken::decode_header(&foreign).expect("a header").kid,
        jsonwebtoken::decode_header(&ours).expect("a header").kid,
        "the other key has another kid"
    );

    let answer = put_rule(&app, &rule_1234(), Some(&foreign)).await;

    assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_refused_in_strict_mode() {
    let app = spawn_with_auth(AuthMode::Strict).await;
    let foreign = foreign_token().await;

    assert_invalid_token(&put_rule(&app, &rule_1234(), Some(&foreign)).await);
    assert_invalid_token(&get_rule(&app, &rule_1234(), Some(&foreign)).await);
}

#[tokio::test]
async fn a_token_naming_the_emulators_key_but_signed_by_another_is_refused_in_lenient_mode() {
    let app = spawn_app().await;
    let [our_header, _, _] = segments(&demo_app_token(&app).await);
    let [_, payload, signature] = segments(&foreign_token().await);

    let forged = format!("{our_header}.{payload}.{signature}");

    assert_invalid_token(&put_rule(&app, &rule_1234(), Some(&forged)).await);
}

#[tokio::test]
async fn an_emulator_started_with_another_key_publishes_and_verifies_that_key() {
    let key = SigningKey::from_pem(FOREIGN_KEY_PEM.as_bytes()).expect("a usable RSA key");
    let app = spawn_app_from(
        MockServer::builder()
            .signing_key(key)
            .auth(AuthMode::Strict),
    )
    .await;
    let token = demo_app_token(&app).await;

    let jwks = get(&app, JWKS_PATH).await.ok_json();

    let jwks: JwkSet = serde_json::from_value(jwks).expect("a JWK set");
    let kid = jsonwebtoken::decode_header(&token)
        .expect("a header")
        .kid
        .expect("a kid");
    let key =
        DecodingKey::from_jwk(jwks.find(&kid).expect("the key is published")).expect("an RSA key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["UiPath.Platform"]);
    assert!(jsonwebtoken::decode::<Value>(&token, &key, &validation).is_ok());
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------
// Auth modes and scopes on the license routes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_read_only_fixture_token_may_get_but_gets_an_empty_403_on_put() {
    let app = spawn_app().await;

    let put = put_rule(&app, &rule_1234(), Some("read-only")).await;
    let get = get_rule(&app, &rule_1234(), Some("read-only")).await;

    assert_eq!(put.status, StatusCode::FORBIDDEN);
    assert_eq!(put.body, "");
    let challenge = put.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(get.ok_json()["availableUserBundles"].is_array());
}

#[tokio::test]
async fn lenient_mode_accepts_the_documentations_bearer_1234() {
    let app = spawn_app().await;

    let answer = put_rule(&app, &rule_1234(), Some("1234")).await;

    assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
}

#[tokio::test]
async fn lenient_mode_without_an_authorization_header_is_401_with_a_bare_bearer_challenge() {
    let app = spawn_app().await;

    for answer in [
        get_rule(&app, &rule_1234(), None).await,
        put_rule(&app, &rule_1234(), None).await,
    ] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        assert_eq!(answer.body, "");
    }
}

#[tokio::test]
async fn lenient_mode_does_not_check_the_tokens_organization() {
    let app = spawn_app().await;
    let token = demo_app_token(&app).await;

    let answer = put_rule(&app, &rule_song_one(), Some(&token)).await;

    assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
}

#[tokio::test]
async fn strict_mode_refuses_bearer_1234_and_accepts_a_client_credentials_token() {
    let app = spawn_with_auth(AuthMode::Strict).await;
    let token = demo_app_token(&app).await;

    assert_invalid_token(&put_rule(&app, &rule_1234(), Some("1234")).await);
    assert_invalid_token(&get_rule(&app, &rule_1234(), Some("1234")).await);
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn strict_mode_forbids_a_token_of_another_organization() {
    let app = spawn_with_auth(AuthMode::Strict).await;
    let token = demo_app_token(&app).await;
    assert_eq!(claims(&token)["prt_id"], "1234");

    let put = put_rule(&app, &rule_song_one(), Some(&token)).await;
    let get = get_rule(&app, &rule_song_one(), Some(&token)).await;

    for answer in [put, get] {
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.body, "");
    }
}

#[tokio::test]
async fn strict_mode_still_honours_fixture_tokens() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    assert_eq!(
        get_rule(&app, &rule_1234(), Some("read-only")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        put_rule(&app, &rule_1234(), Some("read-only")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn off_mode_needs_no_authorization_header_at_all() {
    let app = spawn_with_auth(AuthMode::Off).await;

    let put = put_rule(&app, &rule_1234(), None).await;
    let get = get_rule(&app, &rule_1234(), None).await;
    let read_only_put = put_rule(&app, &rule_song_one(), Some("read-only")).await;

    assert_eq!(put.status, StatusCode::OK, "body: {}", put.body);
    assert_eq!(get.ok_json()["allocatedUserBundles"], json!(["CTZDEVCU"]));
    assert_eq!(
        read_only_put.status,
        StatusCode::OK,
        "scopes are not checked either"
    );
}

// ---------------------------------------------------------------------------
// Legacy ROPC
// ---------------------------------------------------------------------------

/// Checks the ABP success envelope and returns its token.
fn legacy_token(answer: &Answer) -> String {
    let mut body = answer.ok_json();
    let token = body
        .as_object_mut()
        .expect("an object")
        .remove("result")
        .expect("a result");
    assert_eq!(
        body,
        json!({
            "targetUrl": null, "success": true, "error": null,
            "unAuthorizedRequest": false, "__abp": true,
        })
    );
    token.as_str().expect("the token is a string").to_owned()
}

#[tokio::test]
async fn legacy_ropc_answers_the_abp_envelope_with_a_token_that_works() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    let answer = send(app.api.anonymous(Method::POST, "/api/account/authenticate").json(
        &json!({"tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "admin"}),
    ))
    .await;

    let token = legacy_token(&answer);
    assert_eq!(claims(&token)["prt_id"], "1234");
    assert_eq!(claims(&token)["sub"], "admin");
    assert_eq!(
        put_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn legacy_ropc_under_an_organization_and_tenant_reads_property_names_in_any_case() {
    let app = spawn_with_auth(AuthMode::Strict).await;

    let answer = send(
        app.api
            .anonymous(Method::POST, "/song-one/Default/api/account/authenticate")
            .json(&json!({
                "TenancyName": "Default",
                "USERNAMEOREMAILADDRESS": "admin",
                "Password": "admin",
            })),
    )
    .await;

    let token = legacy_token(&answer);
    assert_eq!(
        get_rule(&app, &rule_1234(), Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn legacy_ropc_tokens_last_thirty_minutes() {
    let clock = Clock::manual(1_700_000_000);
    let app = spawn_app_from(MockServer::builder().clock(clock.clone())).await;

    let answer = send(app.api.anonymous(Method::POST, "/api/account/authenticate").json(
        &json!({"tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "admin"}),
    ))
    .await;

    let token = legacy_token(&answer);
    assert_eq!(claims(&token)["exp"], 1_700_000_000_u64 + 30 * 60);
    clock.advance(30 * 60);
    assert_invalid_token(&get_rule(&app, &rule_1234(), Some(&token)).await);
}

#[tokio::test]
async fn legacy_ropc_with_a_wrong_password_is_400_with_success_false() {
    let app = spawn_app().await;

    for credentials in [
        json!({"tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "wrong"}),
        json!({"tenancyName": "Elsewhere", "usernameOrEmailAddress": "admin", "password": "admin"}),
    ] {
        let answer = send(
            app.api
                .anonymous(Method::POST, "/api/account/authenticate")
                .json(&credentials),
        )
        .await;

        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{credentials}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            answer.json(),
            json!({
                "result": null, "targetUrl": null, "success": false,
                "error": {
                    "code": 0, "message": "Login failed!",
                    "details": "Invalid user name or password", "validationErrors": null,
                },
                "unAuthorizedRequest": false, "__abp": true,
            })
        );
    }
}

// ---------------------------------------------------------------------------
// Secrets stay out of the journal and the logs
// ---------------------------------------------------------------------------

const CLIENT_SECRET: &str = "client-secret-Zq8wX1";
const PASSWORD: &str = "user-password-Kp4vN7";

/// One account with a client and a login whose secrets appear nowhere else.
fn secret_fixtures() -> Value {
    json!({
        "accounts": [{
            "accountId": "acme",
            "licenses": {"IDU": 5},
            "groups": [{"groupId": "team", "members": ["ann"]}],
        }],
        "clients": [{
            "clientId": "acme-app", "clientSecret": CLIENT_SECRET,
            "accountId": "acme", "scopes": ["PM.License"],
        }],
        "logins": [{
            "tenancyName": "Default", "username": "ann",
            "password": PASSWORD, "accountId": "acme",
        }],
    })
}

/// Every credential path once, then a licensed call with each token:
/// returns the tokens and secrets that must not be repeated anywhere.
async fn use_every_credential(app: &TestApp) -> Vec<String> {
    let path = group_path("acme", "team");
    let by_form = access_token(
        &token_call(
            app,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "acme-app"),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .await,
    );
    let by_basic = access_token(
        &send(
            form_request(app, TOKEN_PATH, &[("grant_type", "client_credentials")])
                .basic_auth("acme-app", Some(CLIENT_SECRET)),
        )
        .await,
    );
    let password_grant = issued(
        &token_call(
            app,
            &[
                ("grant_type", "password"),
                ("username", "ann"),
                ("password", PASSWORD),
                ("client_id", "acme-app"),
                ("client_secret", CLIENT_SECRET),
                ("scope", "PM.License offline_access"),
            ],
        )
        .await,
    );
    let refresh_token = password_grant["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let refreshed = issued(
        &token_call(
            app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token),
                ("client_id", "acme-app"),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .await,
    );
    let legacy = legacy_token(
        &send(
            app.api
                .anonymous(Method::POST, "/api/account/authenticate")
                .json(&json!({
                    "tenancyName": "Default", "usernameOrEmailAddress": "ann", "password": PASSWORD,
                })),
        )
        .await,
    );
    let mut secrets = vec![
        CLIENT_SECRET.to_owned(),
        PASSWORD.to_owned(),
        refresh_token,
        refreshed["refresh_token"]
            .as_str()
            .expect("a new refresh token")
            .to_owned(),
    ];
    for token in [
        by_form,
        by_basic,
        password_grant["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned(),
        refreshed["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned(),
        legacy,
    ] {
        let answer = put_rule_with_codes(app, &path, &token).await;
        assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
        // Neither the whole token nor its signature, which alone would let it be rebuilt.
        let [_, _, signature] = segments(&token);
        secrets.push(signature);
        secrets.push(token);
    }
    secrets
}

async fn put_rule_with_codes(app: &TestApp, path: &str, token: &str) -> Answer {
    send(
        app.api
            .anonymous(Method::PUT, path)
            .bearer_auth(token)
            .json(&json!({"userBundleCodes": ["IDU"], "useExternalLicense": false})),
    )
    .await
}

#[tokio::test]
async fn tokens_and_secrets_never_reach_the_request_journal() {
    let app = spawn_app_from(
        MockServer::builder()
            .auth(AuthMode::Strict)
            .fixtures(crate::helpers::fixtures_from(secret_fixtures())),
    )
    .await;

    let secrets = use_every_credential(&app).await;

    let journal = get(&app, "/__admin/requests").await;
    let entries = journal.ok_json();
    let entries = entries.as_array().expect("a list of entries");
    assert_eq!(entries.len(), 10, "every call was journaled: {entries:#?}");
    for secret in &secrets {
        assert!(
            !journal.body.contains(secret.as_str()),
            "the journal holds {secret:?}: {}",
            journal.body
        );
    }
    // The bodies are kept, with the secrets masked, so the check above is not vacuous.
    let bodies: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry["requestBody"].as_str())
        .collect();
    assert!(
        bodies
            .iter()
            .any(|body| body.contains("client_id=acme-app") && body.contains("client_secret=***")),
        "{bodies:#?}"
    );
    assert!(
        bodies
            .iter()
            .any(|body| body.contains("\"password\":\"***\"")),
        "{bodies:#?}"
    );
    for entry in entries {
        let path = entry["path"].as_str().expect("a path");
        if path.contains("identity_") || path.ends_with("/authenticate") {
            assert_eq!(entry["responseBody"], Value::Null, "{entry}");
        }
    }
}

/// Log output captured in memory.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// The default test runtime runs on one thread, so the server's tasks log
// through the subscriber set for this thread.
#[tokio::test(flavor = "current_thread")]
async fn tokens_and_secrets_never_reach_the_logs_at_any_level() {
    let log = CapturedLog::default();
    // tracing caches each callsite's interest process-wide, and while only one
    // dispatcher is registered it computes that interest from the default of
    // whichever thread reaches the callsite first: a sibling test with no
    // subscriber would cache "never" for the request line and this capture
    // would see nothing. A second registered dispatcher, alive for the whole
    // test and registered first, makes tracing consult every dispatcher.
    let _pinned = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = spawn_app_from(
        MockServer::builder()
            .auth(AuthMode::Strict)
            .fixtures(crate::helpers::fixtures_from(secret_fixtures())),
    )
    .await;

    let secrets = use_every_credential(&app).await;

    let text = log.text();
    assert!(
        text.contains(r#"route=/identity_/connect/token status=200"#),
        "the request lines were captured: {text}"
    );
    assert_eq!(
        text.matches("uipath_license_mock::request: request ")
            .count(),
        10,
        "one line per request: {text}"
    );
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "the log holds {secret:?}");
    }
}
