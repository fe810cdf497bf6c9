//! Hostile input over the wire (SPEC §4: "no input, however malformed, may
//! crash the server, lose or corrupt state, or leave a request hanging").
//!
//! A proptest throws batches of requests at one running server through a raw
//! TCP connection, so that it can send what an HTTP client library would
//! refuse to: arbitrary bytes as bodies and header values, unusual methods,
//! paths mixing the real route shapes under every prefix with random
//! segments, percent-escapes and very long segments. Every request must get
//! an answer, and the answer must be a 2xx or a 4xx: never a 5xx, never a
//! closed connection (no fault rule is ever created here, so nothing asks
//! for one). After every batch, the seats are recounted from `GET
//! /__admin/state`: `used <= total` for every code of every account, and the
//! recount equals what `GET {acc}/user-license` reports.
//!
//! Admin routes are fuzzed too, and may reset or replace the state: the
//! invariant must hold whatever they did. Each batch starts with a reset, so
//! batches are independent and a failure shrinks to the requests that cause
//! it. Only `POST /__admin/faults` is left out, because a valid fault rule
//! makes the server answer 5xx or drop connections on purpose.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app};

/// Batches per run: each is a few requests and a recount, so the whole test
/// takes seconds.
const CASES: u32 = 128;
/// A request that gets no answer within this long is a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn hostile_requests_get_a_2xx_or_4xx_and_leave_every_account_within_its_seats() {
    // One thread for the server and the client: the batches are sequential
    // anyway, and the test leaves the other core to the tests running
    // beside it (some of which wait on real processes and files).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let app = runtime.block_on(spawn_app());
    let address = app.server.address();

    let mut runner = TestRunner::new(Config {
        cases: CASES,
        // Integration tests have no source file for proptest to persist
        // failing seeds beside; the failure message carries the request.
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&vec(request(), 1..10), |requests| {
        runtime.block_on(async {
            // Each batch starts from the fixtures, so that a failing batch
            // replays (and shrinks) the same way whatever ran before it.
            let reset = app.api.request(Method::POST, "/__admin/reset").send().await;
            prop_assert!(reset.is_ok_and(|answer| answer.status().is_success()));
            for request in &requests {
                let bytes = request.to_bytes();
                let answer = exchange(address, &bytes).await;
                let status = status_of(&answer).ok_or_else(|| {
                    TestCaseError::fail(format!(
                        "no HTTP answer ({} bytes back) to {}",
                        answer.len(),
                        request.describe()
                    ))
                })?;
                prop_assert!(
                    (200..300).contains(&status) || (400..500).contains(&status),
                    "{status} for {}:\n{}",
                    request.describe(),
                    String::from_utf8_lossy(&answer)
                );
            }
            check_seats(&app).await.map_err(TestCaseError::fail)
        })
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

// ---- What is sent. --------------------------------------------------------

/// One request, as parts that are assembled into bytes by hand.
#[derive(Debug, Clone)]
struct Fuzzed {
    method: String,
    target: String,
    content_type: Option<Vec<u8>>,
    authorization: Option<Vec<u8>>,
    body: Vec<u8>,
    chunked: bool,
}

impl Fuzzed {
    /// The request on the wire, `Connection: close` so that the answer ends
    /// with the connection.
    fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: localhost\r\n",
            self.method, self.target
        )
        .into_bytes();
        if let Some(content_type) = &self.content_type {
            head.extend_from_slice(b"Content-Type: ");
            head.extend_from_slice(content_type);
            head.extend_from_slice(b"\r\n");
        }
        if let Some(authorization) = &self.authorization {
            head.extend_from_slice(b"Authorization: ");
            head.extend_from_slice(authorization);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"Connection: close\r\n");
        if self.chunked {
            head.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            // Two chunks, split anywhere, even inside a UTF-8 sequence.
            let (first, second) = self.body.split_at(self.body.len() / 2);
            for chunk in [first, second] {
                if !chunk.is_empty() {
                    head.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    head.extend_from_slice(chunk);
                    head.extend_from_slice(b"\r\n");
                }
            }
            head.extend_from_slice(b"0\r\n\r\n");
        } else {
            head.extend_from_slice(
                format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes(),
            );
            head.extend_from_slice(&self.body);
        }
        head
    }

    /// The request for a failure message, with long parts cut.
    fn describe(&self) -> String {
        let cut = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            if text.chars().count() > 200 {
                format!(
                    "{}… ({} bytes)",
                    text.chars().take(200).collect::<String>(),
                    bytes.len()
                )
            } else {
                text.into_owned()
            }
        };
        format!(
            "{} {} (content-type {:?}, authorization {:?}, {}body {:?})",
            self.method,
            cut(self.target.as_bytes()),
            self.content_type.as_deref().map(cut),
            self.authorization.as_deref().map(cut),
            if self.chunked { "chunked " } else { "" },
            cut(&self.body),
        )
    }
}

/// Two hostile requests for one plausible one: the plausible ones change
/// seats (200s and 409s), so the recount has something to check.
fn request() -> BoxedStrategy<Fuzzed> {
    prop_oneof![2 => hostile(), 1 => plausible()].boxed()
}

/// Anything: every part drawn on its own.
fn hostile() -> BoxedStrategy<Fuzzed> {
    (
        method(),
        target(),
        proptest::option::weighted(0.8, content_type()),
        proptest::option::weighted(0.9, authorization()),
        body(),
        proptest::bool::weighted(0.15),
    )
        .prop_filter(
            "a valid fault rule answers 5xx or drops connections on purpose",
            |(method, target, ..)| !(method == "POST" && target.starts_with("/__admin/faults")),
        )
        .prop_map(
            |(method, target, content_type, authorization, body, chunked)| Fuzzed {
                method,
                target,
                content_type,
                authorization,
                body,
                chunked,
            },
        )
        .boxed()
}

/// A well-formed allocation request on a real route: JSON, the
/// documentation's token, a known account, a declared group (one of 25
/// members, more than any code has seats) or an undeclared one.
fn plausible() -> BoxedStrategy<Fuzzed> {
    (
        prop::sample::select(vec!["PUT", "PUT", "PUT", "DELETE", "POST", "GET"]),
        license_prefix(),
        known_account(),
        prop::sample::select(vec!["group-01", "all-staff", "g1", "g2", "g3"]),
        prop::sample::select(vec!["group/{g}", "group/{g}/with-quota", "", "group"]),
        well_formed_body(),
    )
        .prop_map(|(method, prefix, account, group, route, body)| {
            let route = route.replace("{g}", group);
            let target = format!("{prefix}/api/account/{account}/user-license/{route}");
            Fuzzed {
                method: method.to_owned(),
                target: target.trim_end_matches('/').to_owned(),
                content_type: Some(b"application/json".to_vec()),
                authorization: Some(b"Bearer 1234".to_vec()),
                body: body.to_string().into_bytes(),
                chunked: false,
            }
        })
        .boxed()
}

fn method() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(vec!["GET", "PUT", "POST", "DELETE"]).prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "HEAD", "OPTIONS", "PATCH", "TRACE", "PROPFIND", "MKCOL", "get", "Put", "M-SEARCH",
            "PURGE", "X",
        ])
        .prop_map(str::to_owned),
        1 => "[A-Z!#$%&'*+.^_`|~-]{1,40}",
    ]
    .boxed()
}

/// The four license prefixes, with random organization segments.
fn license_prefix() -> BoxedStrategy<String> {
    prop_oneof![
        segment().prop_map(|org| format!("/{org}/lease_")),
        Just("/lease_".to_owned()),
        segment().prop_map(|org| format!("/{org}/la")),
        Just("/la".to_owned()),
    ]
    .boxed()
}

/// The license prefixes, the identity and admin prefixes, none, and random
/// ones.
fn any_prefix() -> BoxedStrategy<String> {
    prop_oneof![
        4 => license_prefix(),
        1 => Just("/__admin".to_owned()),
        1 => Just("/identity_".to_owned()),
        1 => segment().prop_map(|org| format!("/{org}/identity_")),
        1 => Just(String::new()),
        1 => vec(segment(), 1..3).prop_map(|segments| format!("/{}", segments.join("/"))),
    ]
    .boxed()
}

/// The License Accountant route shapes, relative to a prefix, with fuzzed
/// ids, and now and then more segments after them.
fn license_route() -> BoxedStrategy<String> {
    let account = || prop_oneof![3 => known_account(), 1 => segment()];
    let group = || prop_oneof![3 => known_group(), 1 => segment()];
    let license = account().prop_map(|a| format!("/api/account/{a}/user-license"));
    prop_oneof![
        3 => license.clone(),
        4 => (account(), group()).prop_map(|(a, g)| format!("/api/account/{a}/user-license/group/{g}")),
        2 => (account(), group())
            .prop_map(|(a, g)| format!("/api/account/{a}/user-license/group/{g}/with-quota")),
        1 => account().prop_map(|a| format!("/api/account/{a}/user-license/groups/with-quota")),
        2 => account().prop_map(|a| format!("/api/account/{a}/user-license/group")),
        1 => (account(), segment())
            .prop_map(|(a, u)| format!("/api/account/{a}/user-license/user/{u}/allocation")),
        1 => (license, vec(segment(), 1..3))
            .prop_map(|(base, more)| format!("{base}/{}", more.join("/"))),
    ].boxed()
}

/// The identity routes, with or without an organization (and tenant).
fn identity_path() -> BoxedStrategy<String> {
    prop_oneof![
        Just("/identity_/connect/token".to_owned()),
        segment().prop_map(|org| format!("/{org}/identity_/connect/token")),
        Just("/identity_/.well-known/openid-configuration".to_owned()),
        Just("/identity_/.well-known/openid-configuration/jwks".to_owned()),
        Just("/api/account/authenticate".to_owned()),
        (segment(), segment())
            .prop_map(|(org, tenant)| format!("/{org}/{tenant}/api/account/authenticate")),
    ]
    .boxed()
}

/// Any route shape after any prefix, or random segments.
fn mixed_path() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (any_prefix(), prop_oneof![license_route(), admin_route(), identity_path()])
            .prop_map(|(prefix, route)| format!("{prefix}{route}")),
        1 => vec(segment(), 0..4).prop_map(|segments| {
            segments.iter().fold(String::new(), |mut path, s| {
                let _ = write!(path, "/{s}");
                path
            })
        }),
    ]
    .boxed()
}

/// Routes under `/__admin`, relative to it.
fn admin_route() -> BoxedStrategy<String> {
    let account = || prop_oneof![3 => known_account(), 1 => segment()];
    prop_oneof![
        Just("/health".to_owned()),
        Just("/state".to_owned()),
        Just("/fixtures".to_owned()),
        Just("/reset".to_owned()),
        account().prop_map(|a| format!("/reset?accountId={a}")),
        Just("/accounts".to_owned()),
        account().prop_map(|a| format!("/accounts/{a}")),
        (account(), known_group()).prop_map(|(a, g)| format!("/accounts/{a}/groups/{g}")),
        account().prop_map(|a| format!("/accounts/{a}/licenses")),
        Just("/requests".to_owned()),
        Just("/requests/count".to_owned()),
        Just("/faults".to_owned()),
        segment().prop_map(|id| format!("/faults/{id}")),
        Just("/metrics".to_owned()),
        Just("/openapi.json".to_owned()),
    ]
    .boxed()
}

/// The request target: mostly real routes with an optional query, then
/// route shapes under the wrong prefixes and random paths, and now and then
/// the odd forms HTTP/1.1 allows.
fn target() -> BoxedStrategy<String> {
    let path = prop_oneof![
        10 => (license_prefix(), license_route()).prop_map(|(prefix, route)| format!("{prefix}{route}")),
        3 => admin_route().prop_map(|route| format!("/__admin{route}")),
        2 => identity_path(),
        4 => mixed_path(),
    ];
    prop_oneof![
        30 => (path, proptest::option::weighted(0.3, query())).prop_map(|(path, query)| {
            match query {
                Some(query) if path.contains('?') => format!("{path}&{query}"),
                Some(query) => format!("{path}?{query}"),
                None => path,
            }
        }),
        1 => Just("*".to_owned()),
        1 => (license_prefix(), license_route()).prop_map(|(p, r)| format!("http://localhost{p}{r}")),
        1 => Just("/".to_owned()),
    ].boxed()
}

fn query() -> BoxedStrategy<String> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "skip",
            "top",
            "sortOrder",
            "accountId",
            "keep",
            "method",
            "path",
            "status",
            "limit",
            "since",
        ])
        .prop_map(str::to_owned),
        segment(),
    ];
    vec((key, query_value()), 1..4)
        .prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        })
        .boxed()
}

fn query_value() -> BoxedStrategy<String> {
    prop_oneof![
        segment(),
        prop::sample::select(vec![
            "0",
            "-1",
            "50",
            "51",
            "18446744073709551616",
            "asc",
            "desc",
            "journal,faults",
            "4xx",
            "2026-01-01T00:00:00Z",
            "2026-13-45T99:99:99+25:00",
            "1e3",
            "",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

fn known_account() -> BoxedStrategy<String> {
    prop::sample::select(vec!["1234", "song-one", "no-license"])
        .prop_map(str::to_owned)
        .boxed()
}

fn known_group() -> BoxedStrategy<String> {
    prop::sample::select(vec!["group-01", "all-staff"])
        .prop_map(str::to_owned)
        .boxed()
}

/// One path segment: a plain word, percent-escapes (valid, invalid,
/// truncated, encoded slashes and NULs, multi-byte characters), dots, or a
/// very long run.
fn segment() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9._~-]{1,12}",
        3 => vec(
            prop_oneof![
                "[a-zA-Z0-9._~!$&'()*+,;=:@-]{1,4}",
                prop::sample::select(vec![
                    "%00", "%2F", "%2f", "%25", "%FF", "%C3%A9", "%E2%82", "%F0%9F%92%A9", "%", "%z",
                    "%%", "%C0%AF", "%0D%0A", "%20", "+", "%3F", "%23",
                ])
                .prop_map(str::to_owned),
            ],
            1..6,
        )
        .prop_map(|parts| parts.concat()),
        1 => prop::sample::select(vec![".", "..", "...", "~", "%2E%2E"]).prop_map(str::to_owned),
        1 => (prop::sample::select(vec!["a", "%41", "é"]), 1000_usize..20_000).prop_map(
            |(unit, count)| {
                // A raw `é` is not allowed in a request target; its escape is.
                let unit = if unit == "é" { "%C3%A9" } else { unit };
                unit.repeat(count / unit.len())
            }
        ),
    ].boxed()
}

fn content_type() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        12 => prop::sample::select(vec![
            "application/json",
            "application/json",
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=utf-16",
            "text/json",
            "application/problem+json",
            "application/vnd.api+json; x=\"y\"",
            "APPLICATION/JSON",
            "application/json;;;",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "*/*",
            "",
            "json",
        ])
        .prop_map(|t| t.as_bytes().to_vec()),
        1 => header_bytes(),
    ]
    .boxed()
}

fn authorization() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        12 => Just(b"Bearer 1234".to_vec()),
        1 => Just(b"Bearer read-only".to_vec()),
        1 => Just(b"Bearer".to_vec()),
        1 => Just(b"Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ=".to_vec()),
        1 => "Bearer [A-Za-z0-9._~+/=-]{0,300}".prop_map(String::into_bytes),
        1 => header_bytes(),
    ]
    .boxed()
}

/// Bytes a header value may carry on the wire (anything but CR, LF and NUL),
/// UTF-8 or not.
fn header_bytes() -> BoxedStrategy<Vec<u8>> {
    vec(
        any::<u8>().prop_filter("no line breaks or NUL", |b| !matches!(b, b'\r' | b'\n' | 0)),
        0..64,
    )
    .boxed()
}

/// Arbitrary bytes, or JSON of the right and the wrong shapes.
fn body() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        2 => Just(Vec::new()),
        3 => vec(any::<u8>(), 0..512),
        6 => well_formed_body().prop_map(|value| value.to_string().into_bytes()),
        4 => json_body().prop_map(|value| value.to_string().into_bytes()),
        2 => json_body().prop_map(|value| {
            // Valid JSON cut short, or with bytes that are not UTF-8 inside.
            let mut bytes = value.to_string().into_bytes();
            let cut = bytes.len() * 2 / 3;
            bytes.truncate(cut);
            bytes.extend_from_slice(b"\xff\xfe\"");
            bytes
        }),
        1 => vec((json_key(), "[a-zA-Z0-9._%+=&-]{0,20}"), 0..5).prop_map(|pairs| {
            // A form, as the token endpoint reads.
            let fields: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            fields.join("&").into_bytes()
        }),
        1 => (1_usize..5_000).prop_map(|depth| {
            let mut nested = "[".repeat(depth);
            nested.push_str(&"]".repeat(depth));
            nested.into_bytes()
        }),
    ]
    .boxed()
}

/// Bodies the license routes accept, so that batches change seats (200s and
/// 409s) and the recount has something to check.
fn well_formed_body() -> BoxedStrategy<Value> {
    let codes = || {
        vec(
            prop::sample::select(vec!["IDU", "RPADEVPRONU", "CTZDEVCU", "ACNU", "NOT-HELD"]),
            0..4,
        )
    };
    let users = || {
        vec(
            prop::sample::select(vec!["singer-77", "singer-111", "ann"]),
            0..4,
        )
    };
    prop_oneof![
        (codes(), any::<bool>()).prop_map(|(codes, external)| {
            serde_json::json!({"userBundleCodes": codes, "useExternalLicense": external})
        }),
        (codes(), any::<bool>(), 0_u32..6).prop_map(|(codes, external, limit)| {
            let quotas: Vec<Value> = codes
                .iter()
                .map(|code| serde_json::json!({"userBundleCode": code, "limit": limit}))
                .collect();
            serde_json::json!({"userBundleCodes": codes, "useExternalLicense": external, "quotas": quotas})
        }),
        (users(), codes(), any::<bool>()).prop_map(|(users, codes, external)| {
            serde_json::json!({"userIds": users, "userBundleCodes": codes, "useExternalLicense": external})
        }),
        users().prop_map(|users| serde_json::json!({"userIds": users})),
        vec(known_group(), 0..3).prop_map(|groups| serde_json::json!({"groupIds": groups})),
    ].boxed()
}

/// JSON objects with the properties the routes read, holding values of the
/// right type or not, plus some they do not read.
fn json_body() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "IDU",
            "RPADEVPRONU",
            "CTZDEVCU",
            "NOT-HELD",
            "idu",
            "",
            "group-01",
            "singer-77",
            "client_credentials",
            "demo-app",
            "demo-secret",
            "PM.License",
            "asc",
        ])
        .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "18446744073709551616|1e400|-0|0.5"
            .prop_map(|n| { serde_json::from_str(&n).unwrap_or(Value::Null) }),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((json_key(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    });
    vec((json_key(), value), 0..6)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
        .boxed()
}

fn json_key() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "userBundleCodes", "useExternalLicense", "userBundleLicenses", "licenseCodes",
            "userIds", "groupIds", "quotas", "userBundleCode", "limit", "USERBUNDLECODES",
            "accountId", "licenses", "groups", "users", "members", "name", "groupId",
            "tenancyName", "usernameOrEmailAddress", "password", "method", "path", "status",
            "bodyContains", "since", "grant_type", "client_id", "client_secret", "scope",
            "username", "refresh_token",
        ])
        .prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
    .boxed()
}

// ---- How it is sent. ------------------------------------------------------

/// Sends `request` on a new connection and reads until the server closes it.
/// The body is written while the answer is read, so a server that answers
/// before reading the whole body is not mistaken for one that hangs.
async fn exchange(address: SocketAddr, request: &[u8]) -> Vec<u8> {
    let stream = TcpStream::connect(address)
        .await
        .expect("the server accepts connections");
    let (mut reader, mut writer) = stream.into_split();
    let request = request.to_vec();
    let writing = tokio::spawn(async move {
        // The server may answer and close before reading everything: a
        // failed write is fine, a missing answer is not.
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(ANSWER_TIMEOUT, reader.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "no end of answer within {ANSWER_TIMEOUT:?}; so far: {}",
        String::from_utf8_lossy(&answer)
    );
    let _ = writing.await;
    answer
}

/// The status code of an HTTP/1.1 answer.
fn status_of(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

// ---- The invariant. -------------------------------------------------------

/// Recounts every account's seats from the state (SPEC §2) and compares the
/// recount with the totals and with what the API reports.
async fn check_seats(app: &TestApp) -> Result<(), String> {
    let state = app.api.get("/__admin/state").await;
    if !state.status.is_success() {
        return Err(format!(
            "GET /__admin/state: {} {}",
            state.status, state.body
        ));
    }
    let state = state.json();
    let accounts = state["accounts"].as_array().ok_or("no accounts list")?;
    for account in accounts {
        let id = account["accountId"]
            .as_str()
            .ok_or("an account without id")?;
        let Some(licenses) = account["licenses"].as_object() else {
            continue;
        };
        let used = recount(account);
        for (code, seats) in &used {
            let total = licenses.get(code).and_then(Value::as_u64).unwrap_or(0);
            if *seats > total {
                return Err(format!(
                    "account {id:?}: {code} uses {seats} of {total} seats"
                ));
            }
        }
        let path = format!("/lease_/api/account/{}/user-license", escape(id));
        let answer = app.api.get(&path).await;
        if !answer.status.is_success() {
            return Err(format!("GET {path}: {} {}", answer.status, answer.body));
        }
        for bundle in answer.json().as_array().ok_or("totals are a list")? {
            let code = bundle["code"].as_str().ok_or("a bundle without code")?;
            let expected = (
                used.get(code).copied().unwrap_or(0),
                licenses.get(code).and_then(Value::as_u64),
            );
            let reported = (
                bundle["allocated"].as_u64().unwrap_or(u64::MAX),
                bundle["total"].as_u64(),
            );
            if reported != expected {
                return Err(format!(
                    "account {id:?}: the API reports (allocated, total) = {reported:?} for {code}, \
                     the state recounts to {expected:?}"
                ));
            }
        }
    }
    Ok(())
}

/// Seats used per code in an account of the fixture format, from scratch.
fn recount(account: &Value) -> std::collections::BTreeMap<String, u64> {
    let mut used = std::collections::BTreeMap::new();
    let codes = |list: &Value| -> Vec<String> {
        let mut seen = Vec::new();
        for code in list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !seen.iter().any(|s| s == code) {
                seen.push(code.to_owned());
            }
        }
        seen
    };
    for group in account["groups"].as_array().into_iter().flatten() {
        let rule = &group["rule"];
        if rule.is_null() || rule["useExternalLicense"] == true {
            continue;
        }
        // An undeclared group counts one member.
        let members = match &group["members"] {
            Value::Null => 1,
            Value::Array(list) => list.len() as u64,
            count => count.as_u64().unwrap_or(0),
        };
        for code in codes(&rule["userBundleCodes"]) {
            let quota = rule["quotas"][&code].as_u64().unwrap_or(u64::MAX);
            *used.entry(code).or_insert(0) += members.min(quota);
        }
    }
    for user in account["users"].as_array().into_iter().flatten() {
        if user["useExternalLicense"] == true {
            continue;
        }
        for code in codes(&user["userBundleCodes"]) {
            *used.entry(code).or_insert(0) += 1;
        }
    }
    used
}

/// Percent-escapes everything but unreserved characters, for an id in a path.
fn escape(id: &str) -> String {
    id.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}
