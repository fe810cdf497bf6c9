//! Starting an emulator per test and talking to it the way a client does.

use std::sync::Once;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;
use uipath_license_mock::MockServer;
use uipath_license_mock::fixtures::Fixtures;

/// The token of the documentation's example; lenient mode accepts any bearer token.
pub(crate) const TOKEN: &str = "1234";

/// Logs stay quiet unless `TEST_LOG` is set (then `RUST_LOG` picks the levels).
fn init_test_log() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

/// A running emulator and a client pointed at it.
pub(crate) struct TestApp {
    /// Kept so the server lives as long as the test; also reachable for store assertions.
    pub(crate) server: MockServer,
    /// Sends `Authorization: Bearer 1234` and JSON.
    pub(crate) api: ApiClient,
}

/// Starts an emulator on the embedded default fixtures.
pub(crate) async fn spawn_app() -> TestApp {
    init_test_log();
    with_client(MockServer::start().await)
}

/// Starts an emulator on `fixtures`, given as the JSON a fixture file would hold.
pub(crate) async fn spawn_app_with(fixtures: Value) -> TestApp {
    spawn_app_from(MockServer::builder().fixtures(fixtures_from(fixtures))).await
}

/// Starts a configured emulator.
pub(crate) async fn spawn_app_from(builder: uipath_license_mock::MockServerBuilder) -> TestApp {
    init_test_log();
    let server = builder
        .start()
        .await
        .unwrap_or_else(|error| panic!("the test server did not start: {error}"));
    with_client(server)
}

fn with_client(server: MockServer) -> TestApp {
    let api = ApiClient {
        base: server.uri(),
        http: reqwest::Client::new(),
    };
    TestApp { server, api }
}

/// Typed fixtures from their JSON form.
pub(crate) fn fixtures_from(json: Value) -> Fixtures {
    serde_json::from_value(json).expect("the test's fixtures have the fixture shape")
}

/// One small account, for tests that count seats by hand: `acme`
/// (organization `Acme`) holds IDU 5 and RPADEVPRONU 10, and declares the
/// groups `team` (3 named members), `five` (5 members), `big` (8 members,
/// more than IDU has seats) and `empty` (no members).
pub(crate) fn acme_fixtures() -> Value {
    serde_json::json!({
        "accounts": [{
            "accountId": "acme",
            "organizationName": "Acme",
            "licenses": {"IDU": 5, "RPADEVPRONU": 10},
            "groups": [
                {"groupId": "team", "name": "Team", "members": ["ann", "bob", "cy"]},
                {"groupId": "five", "members": 5},
                {"groupId": "big", "members": 8},
                {"groupId": "empty", "members": []}
            ]
        }]
    })
}

/// Starts an emulator holding only [`acme_fixtures`].
pub(crate) async fn spawn_acme() -> TestApp {
    spawn_app_with(acme_fixtures()).await
}

/// Starts an emulator holding only [`acme_fixtures`], with a body limit in bytes.
pub(crate) async fn spawn_acme_with_body_limit(bytes: usize) -> TestApp {
    spawn_app_from(
        MockServer::builder()
            .fixtures(fixtures_from(acme_fixtures()))
            .body_limit(bytes),
    )
    .await
}

/// The path of a group rule under the `/lease_` prefix.
pub(crate) fn group_path(account: &str, group: &str) -> String {
    format!("/lease_/api/account/{account}/user-license/group/{group}")
}

/// A thin client: every call carries the bearer token, bodies are JSON, and
/// every answer is read whole so tests assert on plain values.
#[derive(Clone)]
pub(crate) struct ApiClient {
    base: String,
    http: reqwest::Client,
}

impl ApiClient {
    /// A request with the bearer token and nothing else.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path).bearer_auth(TOKEN)
    }

    /// A request without any `Authorization` header.
    pub(crate) fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// PUT of a JSON body.
    pub(crate) async fn put_json(&self, path: &str, body: &Value) -> Answer {
        send(self.request(Method::PUT, path).json(body)).await
    }

    /// GET.
    pub(crate) async fn get(&self, path: &str) -> Answer {
        send(self.request(Method::GET, path)).await
    }

    /// DELETE.
    pub(crate) async fn delete(&self, path: &str) -> Answer {
        send(self.request(Method::DELETE, path)).await
    }

    /// `AllocateGroupRule` under `/lease_`.
    pub(crate) async fn allocate(&self, account: &str, group: &str, codes: &[&str]) -> Answer {
        let body = serde_json::json!({"userBundleCodes": codes, "useExternalLicense": false});
        self.put_json(&group_path(account, group), &body).await
    }

    /// The group's rule and the account's seats, asserting the GET succeeds.
    pub(crate) async fn rule(&self, account: &str, group: &str) -> Value {
        self.get(&group_path(account, group)).await.ok_json()
    }

    /// `allocated` of one code, read through the API.
    pub(crate) async fn allocated(&self, account: &str, code: &str) -> u64 {
        let rule = self.rule(account, "any-group").await;
        rule["availableUserBundles"]
            .as_array()
            .expect("availableUserBundles is a list")
            .iter()
            .find(|bundle| bundle["code"] == code)
            .unwrap_or_else(|| panic!("the account holds no {code}"))["allocated"]
            .as_u64()
            .expect("allocated is a number")
    }
}

/// Sends a request and reads the whole answer.
pub(crate) async fn send(request: RequestBuilder) -> Answer {
    let response = request.send().await.expect("the server answered");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("the body was readable");
    Answer {
        status,
        headers,
        body,
    }
}

/// A whole HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// A header as text, if present.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    /// The JSON body of a 200, typed `application/json`.
    pub(crate) fn ok_json(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        self.json()
    }

    /// Checks the problem body of an error answer with `status` and returns it
    /// without its `traceId`, once that was checked against the `x-request-id`
    /// header and the W3C form.
    pub(crate) fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json; charset=utf-8")
        );
        let mut body = self.json();
        let trace_id = body
            .as_object_mut()
            .expect("a problem is an object")
            .remove("traceId")
            .expect("a problem has a traceId");
        let request_id = self.request_id();
        assert_eq!(trace_id, request_id.as_str(), "traceId == x-request-id");
        body
    }

    /// The `x-request-id` header, checked to be in the W3C `traceparent` form.
    pub(crate) fn request_id(&self) -> String {
        let id = self.header("x-request-id").expect("an x-request-id header");
        assert!(is_w3c_trace_id(id), "{id:?} is not 00-<32 hex>-<16 hex>-00");
        id.to_owned()
    }
}

/// `^00-[0-9a-f]{32}-[0-9a-f]{16}-00$`, checked by hand.
pub(crate) fn is_w3c_trace_id(id: &str) -> bool {
    let lower_hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    let parts: Vec<&str> = id.split('-').collect();
    matches!(
        parts.as_slice(),
        ["00", trace, span, "00"] if lower_hex(trace, 32) && lower_hex(span, 16)
    )
}
