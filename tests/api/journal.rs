//! The request journal (SPEC §7): what the emulated API was asked and
//! answered, filtered and counted, bounded, and never holding a secret.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uipath_license_mock::MockServer;

use crate::admin::{add_fault, admin, admin_json, count, journal};
use crate::helpers::{
    Answer, acme_fixtures, fixtures_from, group_path, send, spawn_acme, spawn_app, spawn_app_from,
};

/// The group-rule route template, as the journal names it.
const GROUP_ROUTE: &str = "/lease_/api/account/{account_id}/user-license/group/{group_id}";

/// An entry without the fields that change from run to run, after checking them.
fn stable(entry: &Value) -> Value {
    let mut entry = entry.clone();
    let object = entry.as_object_mut().expect("an entry is an object");
    let time = object.remove("time").expect("a time");
    let time = time.as_str().expect("time is text");
    assert!(
        time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{time} is not RFC 3339 in UTC with milliseconds"
    );
    let duration = object.remove("durationMs").expect("a durationMs");
    assert!(duration.as_f64().is_some_and(|d| d >= 0.0), "{duration}");
    assert!(object.remove("id").expect("an id").is_u64());
    entry
}

fn now_millis() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    u64::try_from(since_epoch.as_millis()).expect("fits")
}

fn paths(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["path"].as_str().expect("a path"))
        .collect()
}

#[tokio::test]
async fn the_journal_records_method_path_route_account_status_id_and_bodies() {
    let app = spawn_acme().await;
    let body = r#"{"userBundleCodes":["IDU"],"useExternalLicense":false}"#;

    let answer = send(
        app.api
            .request(Method::PUT, &group_path("acme", "team"))
            .header("content-type", "application/json")
            .body(body),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK);
    let entries = journal(&app.api, "").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["requestId"], answer.request_id());
    assert_eq!(
        stable(&entries[0]),
        json!({
            "method": "PUT",
            "path": "/lease_/api/account/acme/user-license/group/team",
            "query": null,
            "route": GROUP_ROUTE,
            "accountId": "acme",
            "status": 200,
            "requestId": answer.request_id(),
            "contentType": "application/json",
            "requestBody": body,
            "responseBody": answer.body,
            "faulted": false
        })
    );
}

#[tokio::test]
async fn the_journal_lists_entries_newest_first_each_with_its_own_answer() {
    let app = spawn_acme().await;
    let answers: Vec<Answer> = vec![
        app.api.allocate("acme", "team", &["IDU"]).await,
        app.api.allocate("acme", "big", &["IDU"]).await,
        app.api.get("/la/api/account/acme/user-license?x=1").await,
        app.api.get("/lease_/api/account/acme/nowhere").await,
    ];

    let entries = journal(&app.api, "").await;

    let statuses: Vec<&Value> = entries.iter().map(|e| &e["status"]).collect();
    assert_eq!(
        statuses,
        [&json!(404), &json!(200), &json!(409), &json!(200)]
    );
    for (entry, answer) in entries.iter().zip(answers.iter().rev()) {
        assert_eq!(entry["requestId"], answer.request_id());
        assert_eq!(entry["responseBody"], answer.body.as_str());
    }
    let ids: Vec<u64> = entries
        .iter()
        .map(|e| e["id"].as_u64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert_eq!(entries[1]["query"], "x=1");
    assert_eq!(
        entries[1]["route"],
        "/la/api/account/{account_id}/user-license"
    );
    // A path no route serves has no route, but still its account.
    assert_eq!(entries[0]["route"], Value::Null);
    assert_eq!(entries[0]["accountId"], "acme");
    assert_eq!(
        entries[2]["requestBody"],
        r#"{"userBundleCodes":["IDU"],"useExternalLicense":false}"#
    );
    let conflicts =
        serde_json::from_str::<Value>(entries[2]["responseBody"].as_str().expect("a body"))
            .expect("a JSON problem");
    assert_eq!(conflicts["status"], 409);
}

/// A journal with a known mix: acme allocations (one refused), reads on two
/// prefixes, and a request for another account.
async fn spawn_with_mixed_journal() -> crate::helpers::TestApp {
    let app = crate::helpers::spawn_app_with(json!({"accounts": [
        acme_fixtures()["accounts"][0].clone(),
        {"accountId": "other", "licenses": {"IDU": 1}}
    ]}))
    .await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json(); // PUT 200
    app.api
        .allocate("acme", "big", &["IDU"])
        .await
        .problem(StatusCode::CONFLICT); // PUT 409
    app.api.get(&group_path("acme", "team")).await.ok_json(); // GET 200 /lease_
    app.api
        .get("/la/api/account/acme/user-license")
        .await
        .ok_json(); // GET 200 /la
    app.api
        .get("/la/api/account/ghost/user-license")
        .await
        .problem(StatusCode::NOT_FOUND); // GET 404
    app.api.allocate("other", "g", &["IDU"]).await.ok_json(); // PUT 200 other
    app
}

#[tokio::test]
async fn the_journal_filters_by_method_path_status_and_account() {
    let app = spawn_with_mixed_journal().await;
    let api = &app.api;

    assert_eq!(journal(api, "").await.len(), 6);
    let puts = journal(api, "?method=put").await;
    assert_eq!(
        paths(&puts),
        [
            "/lease_/api/account/other/user-license/group/g",
            "/lease_/api/account/acme/user-license/group/big",
            "/lease_/api/account/acme/user-license/group/team",
        ]
    );
    assert_eq!(
        paths(&journal(api, "?path=/la/*").await),
        [
            "/la/api/account/ghost/user-license",
            "/la/api/account/acme/user-license"
        ]
    );
    assert_eq!(
        paths(&journal(api, "?path=*/group/t?am").await),
        [
            "/lease_/api/account/acme/user-license/group/team",
            "/lease_/api/account/acme/user-license/group/team",
        ]
    );
    let conflicts = journal(api, "?status=409").await;
    assert_eq!(
        paths(&conflicts),
        ["/lease_/api/account/acme/user-license/group/big"]
    );
    let client_errors = journal(api, "?status=4xx").await;
    assert_eq!(
        client_errors
            .iter()
            .map(|e| &e["status"])
            .collect::<Vec<_>>(),
        [&json!(404), &json!(409)]
    );
    assert_eq!(journal(api, "?status=2xx").await.len(), 4);
    assert_eq!(journal(api, "?accountId=acme").await.len(), 4);
    assert_eq!(journal(api, "?accountId=ghost").await.len(), 1);
    assert_eq!(
        journal(api, "?accountId=acme&method=GET&status=200")
            .await
            .len(),
        2
    );
    assert_eq!(journal(api, "?accountId=nobody").await, Vec::<Value>::new());
}

#[tokio::test]
async fn limit_keeps_the_newest_matching_entries() {
    let app = spawn_with_mixed_journal().await;

    let two = journal(&app.api, "?limit=2").await;
    let puts = journal(&app.api, "?method=PUT&limit=2").await;
    let none = journal(&app.api, "?limit=0").await;

    assert_eq!(
        paths(&two),
        [
            "/lease_/api/account/other/user-license/group/g",
            "/la/api/account/ghost/user-license"
        ]
    );
    assert_eq!(
        paths(&puts),
        [
            "/lease_/api/account/other/user-license/group/g",
            "/lease_/api/account/acme/user-license/group/big"
        ]
    );
    assert_eq!(none, Vec::<Value>::new());
}

#[tokio::test]
async fn since_selects_requests_from_a_time_given_in_rfc_3339_or_unix_milliseconds() {
    let app = spawn_acme().await;
    // A slow first request: whatever the clock's resolution, the next one
    // arrives at a later millisecond than it did.
    add_fault(
        &app.api,
        &json!({"match": {"path": "*/group/slow"}, "delayMs": 5}),
    )
    .await;
    app.api.get(&group_path("acme", "slow")).await.ok_json();
    let cut = now_millis();
    app.api.get(&group_path("acme", "b")).await.ok_json();
    app.api.get(&group_path("acme", "c")).await.ok_json();

    let from_millis = journal(&app.api, &format!("?since={cut}")).await;

    let group = |g: &str| group_path("acme", g);
    assert_eq!(paths(&from_millis), [group("c"), group("b")]);
    let b_time = from_millis[1]["time"].as_str().expect("a time").to_owned();
    let from_rfc_3339 = journal(&app.api, &format!("?since={b_time}")).await;
    assert_eq!(paths(&from_rfc_3339), [group("c"), group("b")]);
    let from_the_start = journal(&app.api, "?since=1970-01-01T00:00:00Z").await;
    assert_eq!(from_the_start.len(), 3);
    let in_the_future = journal(&app.api, &format!("?since={}", cut + 3_600_000)).await;
    assert_eq!(in_the_future, Vec::<Value>::new());
    let counted = count(&app.api, &json!({"since": b_time})).await;
    assert_eq!(counted, 2);
}

#[tokio::test]
async fn since_accepts_rfc_3339_times_with_an_offset() {
    let app = spawn_acme().await;
    app.api.get(&group_path("acme", "a")).await.ok_json();

    // `+` must be percent-encoded in a query string.
    let utc_offset = journal(&app.api, "?since=1970-01-01T00:00:00%2B00:00").await;
    let east = journal(&app.api, "?since=1970-01-01T02:00:00.000%2B02:00").await;
    let far_future = journal(&app.api, "?since=2999-01-01T00:00:00-05:00").await;

    assert_eq!(utc_offset.len(), 1);
    assert_eq!(east.len(), 1);
    assert_eq!(far_future, Vec::<Value>::new());
}

#[tokio::test]
async fn bad_filters_are_a_400_naming_the_filter() {
    let app = spawn_acme().await;

    let since = admin(&app.api, Method::GET, "/requests?since=yesterday").await;
    let status = admin(&app.api, Method::GET, "/requests?status=40").await;
    let limit = admin(&app.api, Method::GET, "/requests?limit=-1").await;
    let unknown = admin(&app.api, Method::GET, "/requests?colour=red").await;
    let count_body = admin_json(
        &app.api,
        Method::POST,
        "/requests/count",
        &json!({"bodyContain": "x"}),
    )
    .await;

    let errors = |answer: &Answer| answer.problem(StatusCode::BAD_REQUEST)["errors"].clone();
    assert_eq!(
        errors(&since),
        json!({"since": ["Use an RFC 3339 UTC time or Unix milliseconds."]})
    );
    assert_eq!(
        errors(&status),
        json!({"status": ["Use a status such as 409 or a class such as 4xx."]})
    );
    assert_eq!(
        errors(&limit),
        json!({"limit": ["Use a non-negative whole number."]})
    );
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);
    assert!(
        errors(&count_body).get("$").is_some()
            || errors(&count_body).get("$.bodyContain").is_some(),
        "{}",
        count_body.body
    );
}

#[tokio::test]
async fn delete_clears_the_journal() {
    let app = spawn_with_mixed_journal().await;

    let cleared = admin(&app.api, Method::DELETE, "/requests").await;

    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(journal(&app.api, "").await, Vec::<Value>::new());
    assert_eq!(count(&app.api, &json!({})).await, 0);
    // Recording goes on afterwards.
    app.api.allocate("acme", "team", &["AKIT"]).await;
    assert_eq!(count(&app.api, &json!({})).await, 1);
}

#[tokio::test]
async fn count_takes_the_same_filters_plus_body_contains() {
    let app = spawn_with_mixed_journal().await;
    app.api
        .allocate("acme", "five", &["RPADEVPRONU"])
        .await
        .ok_json();

    let api = &app.api;
    assert_eq!(count(api, &json!({})).await, 7);
    assert_eq!(count(api, &json!({"bodyContains": "RPADEVPRONU"})).await, 1);
    assert_eq!(count(api, &json!({"bodyContains": "\"IDU\""})).await, 3);
    assert_eq!(
        count(api, &json!({"bodyContains": "IDU", "accountId": "acme"})).await,
        2
    );
    assert_eq!(count(api, &json!({"status": 409})).await, 1);
    assert_eq!(count(api, &json!({"status": "4xx"})).await, 2);
    assert_eq!(
        count(api, &json!({"method": "GET", "path": "/la/*"})).await,
        2
    );
    assert_eq!(
        count(api, &json!({"bodyContains": "nothing like this"})).await,
        0
    );
    // An empty body counts everything.
    let answer = send(api.request(Method::POST, "/__admin/requests/count")).await;
    assert_eq!(answer.ok_json(), json!({"count": 7}));
}

#[tokio::test]
async fn admin_requests_are_never_journaled() {
    let app = spawn_acme().await;
    let api = &app.api;
    admin(api, Method::GET, "/health").await.ok_json();
    admin(api, Method::GET, "/state").await.ok_json();
    admin(api, Method::GET, "/accounts/acme").await.ok_json();
    admin(api, Method::GET, "/accounts/nobody").await;
    admin(api, Method::GET, "/metrics").await;
    admin(api, Method::GET, "/no-such-admin-route").await;
    let account = json!({"accountId": "new", "licenses": {"IDU": 1}});
    admin_json(api, Method::POST, "/accounts", &account).await;
    admin(api, Method::GET, "/requests").await.ok_json();

    assert_eq!(journal(api, "").await, Vec::<Value>::new());
    assert_eq!(count(api, &json!({})).await, 0);
    // A license request right after is the only entry.
    api.get(&group_path("acme", "team")).await.ok_json();
    assert_eq!(count(api, &json!({})).await, 1);
}

#[tokio::test]
async fn no_journal_entry_holds_the_authorization_header_or_a_secret() {
    let app = spawn_app().await;
    let license_token = "tok-SECRET-0451-never-store-me";
    let form = "grant_type=client_credentials&client_id=demo-app&client_secret=demo-secret&scope=PM.License";
    let issued = send(
        app.api
            .anonymous(Method::POST, "/identity_/connect/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form),
    )
    .await;
    let issued = issued.ok_json();
    let access_token = issued["access_token"].as_str().expect("a token").to_owned();
    send(
        app.api
            .anonymous(Method::PUT, &group_path("1234", "group-01"))
            .bearer_auth(license_token)
            .json(&json!({"userBundleCodes": ["IDU"], "useExternalLicense": false})),
    )
    .await;
    send(
        app.api
            .anonymous(Method::GET, "/lease_/api/account/1234/user-license")
            .bearer_auth(&access_token),
    )
    .await;
    send(
        app.api
            .anonymous(Method::GET, "/lease_/api/account/1234/user-license")
            .basic_auth("demo-app", Some("basic-pass-never-store")),
    )
    .await;

    let text = admin(&app.api, Method::GET, "/requests").await.body;

    assert_eq!(journal(&app.api, "").await.len(), 4);
    for secret in [
        license_token,
        access_token.as_str(),
        "demo-secret",
        "basic-pass-never-store",
        "Bearer",
        "Basic",
    ] {
        assert!(!text.contains(secret), "{secret} is in the journal: {text}");
    }
    let token_request = journal(&app.api, "?path=/identity_/*").await;
    assert_eq!(
        token_request[0]["requestBody"],
        "grant_type=client_credentials&client_id=demo-app&client_secret=***&scope=PM.License"
    );
    assert_eq!(token_request[0]["responseBody"], Value::Null);
}

#[tokio::test]
async fn the_legacy_sign_in_is_journaled_without_its_password_or_token() {
    let app = spawn_app().await;
    let body =
        json!({"tenancyName": "Default", "usernameOrEmailAddress": "admin", "password": "admin"});
    let answer = send(
        app.api
            .anonymous(Method::POST, "/api/account/authenticate")
            .json(&body),
    )
    .await;
    let token = answer.ok_json()["result"]
        .as_str()
        .expect("a token in result")
        .to_owned();

    let entries = journal(&app.api, "").await;

    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["requestBody"],
        r#"{"tenancyName":"Default","usernameOrEmailAddress":"admin","password":"***"}"#
    );
    assert_eq!(entries[0]["responseBody"], Value::Null);
    assert_eq!(entries[0]["accountId"], Value::Null);
    let text = admin(&app.api, Method::GET, "/requests").await.body;
    assert!(!text.contains(&token));
}

#[tokio::test]
async fn long_bodies_are_kept_truncated() {
    let app = spawn_acme().await;
    let codes: Vec<String> = (0..2000).map(|i| format!("CODE{i}")).collect();
    let body = json!({"userBundleCodes": codes, "useExternalLicense": false});
    app.api
        .put_json(&group_path("acme", "team"), &body)
        .await
        .problem(StatusCode::CONFLICT);

    let entry = journal(&app.api, "").await.remove(0);

    let kept = entry["requestBody"].as_str().expect("a body");
    assert!(serde_json::to_string(&body).expect("json").len() > 10_000);
    assert!(kept.len() <= 4096 + '…'.len_utf8(), "{}", kept.len());
    assert!(kept.starts_with(r#"{"userBundleCodes":["CODE0","CODE1""#));
    assert!(kept.ends_with('…'));
}

#[tokio::test]
async fn the_journal_keeps_exactly_its_limit_of_the_newest_entries() {
    const LIMIT: usize = 50;
    let app = spawn_app_from(
        MockServer::builder()
            .fixtures(fixtures_from(acme_fixtures()))
            .journal_limit(LIMIT),
    )
    .await;

    for round in 0..2 {
        for i in 0..500 {
            let group = format!("g-{round}-{i}");
            app.api.get(&group_path("acme", &group)).await.ok_json();
        }

        let entries = journal(&app.api, "").await;

        // As many entries after 1,000 requests as after 500: memory stays flat.
        assert_eq!(entries.len(), LIMIT);
        assert_eq!(count(&app.api, &json!({})).await, LIMIT as u64);
        let expected: Vec<String> = (500 - LIMIT..500)
            .rev()
            .map(|i| group_path("acme", &format!("g-{round}-{i}")))
            .collect();
        assert_eq!(paths(&entries), expected);
    }
}

#[tokio::test]
async fn a_journal_limit_of_zero_keeps_nothing() {
    let app = spawn_app_from(
        MockServer::builder()
            .fixtures(fixtures_from(acme_fixtures()))
            .journal_limit(0),
    )
    .await;

    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();

    assert_eq!(journal(&app.api, "").await, Vec::<Value>::new());
    assert_eq!(count(&app.api, &json!({})).await, 0);
}
