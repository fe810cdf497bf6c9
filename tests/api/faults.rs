//! Fault rules (SPEC §7): forced answers, delays and dropped connections,
//! on exactly the requests a test asks for, and never on `/__admin`.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin::{add_fault, admin, admin_json, faults, journal, reset};
use crate::helpers::{ApiClient, group_path, send, spawn_app};

/// `GET {acc}/user-license`: the cheapest license request, for counting.
async fn totals_status(api: &ApiClient, account: &str) -> StatusCode {
    api.get(&format!("/lease_/api/account/{account}/user-license"))
        .await
        .status
}

#[tokio::test]
async fn a_fault_answers_with_its_status_body_and_headers_on_matching_requests() {
    let app = spawn_app().await;
    let id = add_fault(
        &app.api,
        &json!({
            "match": {"method": "put", "path": "*/user-license/group/*", "accountId": "1234"},
            "respond": {
                "status": 503,
                "body": {"message": "down for maintenance"},
                "headers": {"x-fault": "planned"}
            }
        }),
    )
    .await;
    assert_eq!(id, "fault-1");

    let faulted = app.api.allocate("1234", "group-01", &["IDU"]).await;

    assert_eq!(faulted.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(faulted.json(), json!({"message": "down for maintenance"}));
    assert_eq!(faulted.header("x-fault"), Some("planned"));
    assert_eq!(
        faulted.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    // The answer still carries a request id, like every answer.
    faulted.request_id();
    // Nothing was allocated.
    let totals = app.api.get("/lease_/api/account/1234/user-license").await;
    assert!(
        totals
            .body
            .contains(r#"{"code":"IDU","allocated":0,"total":5}"#)
    );
}

#[tokio::test]
async fn a_fault_leaves_requests_of_another_method_path_or_account_alone() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({
            "match": {"method": "PUT", "path": "*/user-license/group/*", "accountId": "1234"},
            "respond": {"status": 503}
        }),
    )
    .await;

    let other_method = app.api.get(&group_path("1234", "group-01")).await;
    let other_account = app.api.allocate("song-one", "group-01", &["IDU"]).await;
    let other_path = app
        .api
        .put_json(
            "/lease_/api/account/1234/user-license",
            &json!({"userIds": ["u"], "userBundleCodes": ["IDU"]}),
        )
        .await;
    let matching = app.api.allocate("1234", "group-01", &["IDU"]).await;

    assert_eq!(other_method.status, StatusCode::OK);
    assert_eq!(other_account.status, StatusCode::OK);
    assert_eq!(other_path.status, StatusCode::OK, "{}", other_path.body);
    assert_eq!(matching.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(matching.body, "");
    let listed = faults(&app.api).await;
    assert_eq!(listed[0]["matched"], 1);
    assert_eq!(listed[0]["fired"], 1);
}

#[tokio::test]
async fn a_faulted_request_is_journaled_as_faulted() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"accountId": "1234"}, "respond": {"status": 500, "body": "boom"}}),
    )
    .await;

    let faulted = app.api.allocate("1234", "group-01", &["IDU"]).await;
    app.api.allocate("song-one", "group-01", &["IDU"]).await;

    assert_eq!(faulted.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(faulted.body, "boom");
    assert_eq!(
        faulted.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let entries = journal(&app.api, "").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["faulted"], false);
    assert_eq!(entries[1]["faulted"], true);
    assert_eq!(entries[1]["status"], 500);
    assert_eq!(entries[1]["responseBody"], "boom");
    assert_eq!(entries[1]["requestId"], faulted.request_id());
}

#[tokio::test]
async fn a_429_fault_carries_retry_after() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"accountId": "1234"}, "respond": {"status": 429}}),
    )
    .await;
    add_fault(
        &app.api,
        &json!({
            "match": {"accountId": "song-one"},
            "respond": {"status": 429, "headers": {"Retry-After": "30"}}
        }),
    )
    .await;

    let default = app.api.allocate("1234", "group-01", &["IDU"]).await;
    let chosen = app.api.allocate("song-one", "group-01", &["IDU"]).await;

    assert_eq!(default.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(default.header("retry-after"), Some("1"));
    assert_eq!(chosen.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(chosen.header("retry-after"), Some("30"));
}

#[tokio::test]
async fn a_delay_fault_answers_no_sooner_than_its_delay() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"path": "*/group/group-01"}, "delayMs": 300}),
    )
    .await;

    let started = Instant::now();
    let slow = app.api.allocate("1234", "group-01", &["IDU"]).await;
    let elapsed = started.elapsed();

    // A delay alone lets the API answer.
    assert_eq!(slow.ok_json()["groupId"], "group-01");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    let entry = &journal(&app.api, "").await[0];
    assert!(entry["durationMs"].as_f64().is_some_and(|d| d >= 300.0));
    assert_eq!(entry["faulted"], false);
}

#[tokio::test]
async fn a_delay_with_jitter_answers_no_sooner_than_the_delay() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {}, "delayMs": 150, "jitterMs": 50, "seed": 3}),
    )
    .await;

    let started = Instant::now();
    let answer = app.api.get(&group_path("1234", "group-01")).await;
    let elapsed = started.elapsed();

    assert_eq!(answer.status, StatusCode::OK);
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
}

#[tokio::test]
async fn a_delay_then_an_answer_both_apply() {
    let app = spawn_app().await;
    add_fault(&app.api, &json!({"match": {}, "delayMs": 200})).await;
    add_fault(&app.api, &json!({"match": {}, "respond": {"status": 503}})).await;

    let started = Instant::now();
    let status = totals_status(&app.api, "1234").await;
    let elapsed = started.elapsed();

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
}

#[tokio::test]
async fn a_drop_fault_is_a_request_error_for_the_client() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"accountId": "1234"}, "drop": true, "times": 1}),
    )
    .await;

    let request = app
        .api
        .request(Method::GET, "/lease_/api/account/1234/user-license");
    let outcome = async {
        let response = request.send().await?;
        response.text().await
    }
    .await;

    assert!(
        outcome.is_err(),
        "the client read a whole answer: {outcome:?}"
    );
    // The server is unharmed, and the rule spent itself.
    assert_eq!(totals_status(&app.api, "1234").await, StatusCode::OK);
    let listed = faults(&app.api).await;
    assert_eq!(listed[0]["fired"], 1);
    assert_eq!(listed[0]["matched"], 2);
    let entries = journal(&app.api, "").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["faulted"], true);
    assert_eq!(entries[1]["responseBody"], Value::Null);
}

#[tokio::test]
async fn a_dropped_connection_is_not_journaled_or_counted_as_a_200() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"accountId": "1234"}, "drop": true}),
    )
    .await;
    let request = app
        .api
        .request(Method::GET, "/lease_/api/account/1234/user-license");
    let outcome = async { request.send().await?.text().await }.await;
    assert!(outcome.is_err());

    let entries = journal(&app.api, "").await;

    // The client got no answer at all, so no status, least of all a success:
    // a test verifying "one successful call" must not count this request.
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["faulted"], true);
    assert_ne!(entries[0]["status"], 200, "{}", entries[0]);
    assert_eq!(
        crate::admin::count(&app.api, &json!({"status": "2xx"})).await,
        0
    );
}

#[tokio::test]
async fn skip_and_times_fire_on_exactly_the_requests_they_name() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"accountId": "1234"}, "respond": {"status": 503}, "skip": 2, "times": 3}),
    )
    .await;

    let mut seen = Vec::new();
    for _ in 0..8 {
        seen.push(totals_status(&app.api, "1234").await.as_u16());
        // Requests the rule does not match do not count towards skip or times.
        assert_eq!(totals_status(&app.api, "song-one").await, StatusCode::OK);
    }

    assert_eq!(seen, [200, 200, 503, 503, 503, 200, 200, 200]);
    let listed = faults(&app.api).await;
    assert_eq!(listed[0]["matched"], 8);
    assert_eq!(listed[0]["fired"], 3);
}

#[tokio::test]
async fn times_alone_fires_on_the_first_requests_then_stops() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {}, "respond": {"status": 503}, "times": 2}),
    )
    .await;

    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(totals_status(&app.api, "1234").await.as_u16());
    }

    // Rehearses "a 503 twice, then success".
    assert_eq!(seen, [503, 503, 200, 200]);
}

/// Which of 40 requests a seeded rule fires on, on a fresh server.
async fn seeded_run(seed: u64) -> (Vec<bool>, Value) {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {}, "respond": {"status": 503}, "probability": 0.5, "seed": seed}),
    )
    .await;
    let mut fired = Vec::new();
    for _ in 0..40 {
        let status = totals_status(&app.api, "1234").await;
        assert!(status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE);
        fired.push(status == StatusCode::SERVICE_UNAVAILABLE);
    }
    (fired, faults(&app.api).await)
}

#[tokio::test]
async fn a_seeded_probability_repeats_exactly_on_a_fresh_server() {
    let (first, listed) = seeded_run(42).await;
    let (second, _) = seeded_run(42).await;

    assert_eq!(first, second);
    // Half the time is neither never nor always.
    let fired = first.iter().filter(|f| **f).count();
    assert!((5..=35).contains(&fired), "fired {fired} of 40: {first:?}");
    assert_eq!(listed[0]["matched"], 40);
    assert_eq!(listed[0]["fired"], fired);
}

#[tokio::test]
async fn probability_zero_never_fires_and_one_always_fires() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"accountId": "1234"}, "respond": {"status": 503}, "probability": 0.0}),
    )
    .await;
    add_fault(
        &app.api,
        &json!({"match": {"accountId": "song-one"}, "respond": {"status": 503}, "probability": 1.0}),
    )
    .await;

    for _ in 0..10 {
        assert_eq!(totals_status(&app.api, "1234").await, StatusCode::OK);
        assert_eq!(
            totals_status(&app.api, "song-one").await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}

#[tokio::test]
async fn rules_apply_in_creation_order() {
    let app = spawn_app().await;
    let first = add_fault(
        &app.api,
        &json!({"match": {"path": "*/group/*"}, "respond": {"status": 503}}),
    )
    .await;
    add_fault(&app.api, &json!({"match": {}, "respond": {"status": 429}})).await;

    let both_match = app.api.get(&group_path("1234", "group-01")).await;
    let second_only = totals_status(&app.api, "1234").await;
    let deleted = admin(&app.api, Method::DELETE, &format!("/faults/{first}")).await;
    let after_delete = app.api.get(&group_path("1234", "group-01")).await;

    assert_eq!(both_match.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second_only, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(after_delete.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn admin_routes_are_never_faulted() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"path": "/__admin/*"}, "drop": true}),
    )
    .await;
    add_fault(&app.api, &json!({"match": {}, "respond": {"status": 500}})).await;

    let api = &app.api;
    assert_eq!(
        admin(api, Method::GET, "/health").await.status,
        StatusCode::OK
    );
    admin(api, Method::GET, "/state").await.ok_json();
    admin(api, Method::GET, "/accounts").await.ok_json();
    admin(api, Method::GET, "/requests").await.ok_json();
    let counted = admin_json(api, Method::POST, "/requests/count", &json!({})).await;
    assert_eq!(counted.ok_json(), json!({"count": 0}));
    assert_eq!(
        admin(api, Method::GET, "/metrics").await.status,
        StatusCode::OK
    );
    let listed = faults(api).await;
    // No admin request was even counted as matching.
    assert_eq!(listed[0]["matched"], 0);
    assert_eq!(listed[1]["matched"], 0);
    reset(api, "?keep=faults").await;
    // License routes are faulted.
    assert_eq!(
        totals_status(api, "1234").await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(faults(api).await[1]["matched"], 1);
}

#[tokio::test]
async fn faults_are_listed_in_creation_order_with_their_counters() {
    let app = spawn_app().await;
    add_fault(
        &app.api,
        &json!({"match": {"method": "PUT"}, "respond": {"status": 503}}),
    )
    .await;
    add_fault(
        &app.api,
        &json!({
            "match": {"path": "/la/*", "accountId": "1234"},
            "delayMs": 1,
            "jitterMs": 2,
            "skip": 1,
            "times": 4,
            "probability": 0.25,
            "seed": 9
        }),
    )
    .await;
    add_fault(&app.api, &json!({"drop": true})).await;

    let listed = faults(&app.api).await;

    assert_eq!(
        listed,
        json!([
            {
                "id": "fault-1",
                "match": {"method": "PUT"},
                "respond": {"status": 503},
                "skip": 0,
                "matched": 0,
                "fired": 0
            },
            {
                "id": "fault-2",
                "match": {"path": "/la/*", "accountId": "1234"},
                "delayMs": 1,
                "jitterMs": 2,
                "skip": 1,
                "times": 4,
                "probability": 0.25,
                "seed": 9,
                "matched": 0,
                "fired": 0
            },
            {
                "id": "fault-3",
                "match": {},
                "drop": true,
                "skip": 0,
                "matched": 0,
                "fired": 0
            }
        ])
    );
}

#[tokio::test]
async fn faults_can_be_deleted_one_by_one_or_all_at_once() {
    let app = spawn_app().await;
    for status in [500, 502, 503] {
        add_fault(
            &app.api,
            &json!({"match": {"path": "/nowhere"}, "respond": {"status": status}}),
        )
        .await;
    }

    let one = admin(&app.api, Method::DELETE, "/faults/fault-2").await;
    let ids: Vec<Value> = faults(&app.api)
        .await
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| f["id"].clone())
        .collect();
    let unknown = admin(&app.api, Method::DELETE, "/faults/fault-2").await;
    let all = admin(&app.api, Method::DELETE, "/faults").await;

    assert_eq!(one.status, StatusCode::NO_CONTENT);
    assert_eq!(ids, [json!("fault-1"), json!("fault-3")]);
    assert_eq!(
        unknown.problem(StatusCode::NOT_FOUND)["detail"],
        "No fault has the id 'fault-2'."
    );
    assert_eq!(all.status, StatusCode::NO_CONTENT);
    assert_eq!(faults(&app.api).await, json!([]));
    // Ids are never reused.
    let next = add_fault(&app.api, &json!({"drop": true, "match": {"path": "/x"}})).await;
    assert_eq!(next, "fault-4");
}

#[tokio::test]
async fn invalid_fault_rules_are_refused_with_400() {
    let app = spawn_app().await;
    let refused = [
        (
            json!({"respond": {"status": 99}}),
            "respond.status must be between 100 and 599",
        ),
        (
            json!({"respond": {"status": 500}, "drop": true}),
            "a fault either responds or drops the connection, not both",
        ),
        (
            json!({"match": {"method": "GET"}}),
            "a fault needs respond, delayMs or drop",
        ),
        (
            json!({"drop": true, "jitterMs": 5}),
            "jitterMs needs delayMs",
        ),
        (
            json!({"delayMs": 599_999, "jitterMs": 2}),
            "delayMs plus jitterMs must be at most 600000",
        ),
        (
            json!({"delayMs": 1, "probability": 1.5}),
            "probability must be between 0 and 1",
        ),
        (
            json!({"drop": true, "times": 0}),
            "times must be at least 1",
        ),
        (
            json!({"respond": {"status": 500, "headers": {"bad header": "x"}}}),
            "respond.headers must be valid HTTP header names and values",
        ),
    ];

    for (rule, message) in refused {
        let answer = admin_json(&app.api, Method::POST, "/faults", &rule).await;
        assert_eq!(
            answer.problem(StatusCode::BAD_REQUEST)["errors"],
            json!({"$": [message]}),
            "{rule}"
        );
    }
    for rule in [
        json!({"drop": true, "colour": "red"}),
        json!({"drop": true, "match": {"verb": "GET"}}),
        json!({"respond": {"status": "500"}}),
        json!({"drop": "yes"}),
    ] {
        let answer = admin_json(&app.api, Method::POST, "/faults", &rule).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{rule}: {}",
            answer.body
        );
    }
    let not_json = send(
        app.api
            .request(Method::POST, "/__admin/faults")
            .header("content-type", "application/json")
            .body("{drop: true"),
    )
    .await;
    not_json.problem(StatusCode::BAD_REQUEST);
    assert_eq!(faults(&app.api).await, json!([]));
    // With no rule in place, requests pass.
    assert_eq!(totals_status(&app.api, "1234").await, StatusCode::OK);
}
