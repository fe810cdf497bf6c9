//! Request ids: every answer carries `x-request-id` in the W3C form, every
//! problem body repeats it as `traceId`, and an incoming `traceparent` is
//! followed (SPEC §4).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    Answer, TestApp, is_w3c_trace_id, send, spawn_acme, spawn_acme_with_body_limit,
};

const TEAM: &str = "/lease_/api/account/acme/user-license/group/team";

/// One answer of each problem status the group routes produce.
async fn one_of_each_problem(app: &TestApp) -> Vec<(StatusCode, Answer)> {
    let api = &app.api;
    vec![
        (
            StatusCode::BAD_REQUEST,
            api.put_json(TEAM, &json!({"userBundleCodes": 1})).await,
        ),
        (
            StatusCode::NOT_FOUND,
            api.get("/lease_/api/account/nobody/user-license/group/team")
                .await,
        ),
        (StatusCode::NOT_FOUND, api.get("/no/such/route").await),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            send(api.request(Method::POST, TEAM).json(&json!({}))).await,
        ),
        (
            StatusCode::CONFLICT,
            api.put_json(
                "/lease_/api/account/acme/user-license/group/big",
                &json!({"userBundleCodes": ["IDU"]}),
            )
            .await,
        ),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            send(
                api.request(Method::PUT, TEAM)
                    .header("Content-Type", "application/json")
                    .body(format!(r#"{{"pad": "{}"}}"#, "x".repeat(200))),
            )
            .await,
        ),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            send(api.request(Method::PUT, TEAM).body("{}")).await,
        ),
    ]
}

#[tokio::test]
async fn every_problem_body_carries_the_request_id_as_its_trace_id() {
    let app = spawn_acme_with_body_limit(128).await;

    for (status, answer) in one_of_each_problem(&app).await {
        // `problem` checks the content type, traceId == x-request-id and the W3C form.
        let problem = answer.problem(status);
        assert_eq!(problem["status"], status.as_u16(), "{status}");
        assert!(problem["type"].is_string() && problem["title"].is_string());
    }
}

#[tokio::test]
async fn successful_and_401_answers_carry_a_request_id_too() {
    let app = spawn_acme().await;

    let ok = app.api.get(TEAM).await;
    let unauthorized = send(app.api.anonymous(Method::GET, TEAM)).await;

    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    ok.request_id();
    unauthorized.request_id();
}

#[tokio::test]
async fn each_request_gets_its_own_id() {
    let app = spawn_acme().await;

    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(app.api.get(TEAM).await.request_id());
    }

    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[tokio::test]
async fn an_incoming_traceparent_keeps_its_trace_id() {
    let app = spawn_acme().await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";

    let answer = send(
        app.api
            .request(
                Method::GET,
                "/lease_/api/account/nobody/user-license/group/team",
            )
            .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01")),
    )
    .await;

    let problem_trace_id = answer.json()["traceId"].clone();
    answer.problem(StatusCode::NOT_FOUND);
    let id = answer.request_id();
    assert!(id.starts_with(&format!("00-{trace}-")), "{id}");
    assert_eq!(problem_trace_id, id.as_str());
}

#[tokio::test]
async fn a_malformed_traceparent_is_not_copied() {
    let app = spawn_acme().await;

    for traceparent in [
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736zz-00f067aa0ba902b7-01",
        "garbage",
    ] {
        let answer = send(
            app.api
                .request(Method::GET, TEAM)
                .header("traceparent", traceparent),
        )
        .await;

        let id = answer.request_id();
        assert!(is_w3c_trace_id(&id), "{traceparent}: {id}");
        let trace = &id[3..35];
        assert!(
            !traceparent.to_ascii_lowercase().contains(trace),
            "{traceparent} was copied into {id}"
        );
    }
}

#[tokio::test]
async fn a_traceparent_malformed_outside_its_trace_id_is_not_followed() {
    let app = spawn_acme().await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";

    for traceparent in [
        format!("00-{trace}"),
        format!("zz-{trace}-00f067aa0ba902b7-01"),
        format!("00-{trace}-00f067aa0ba902b7"),
        format!("00-{trace}-0000000000000000-01"),
        format!("00-{trace}-00f067aa0ba902b7-01-extra"),
    ] {
        let answer = send(
            app.api
                .request(Method::GET, TEAM)
                .header("traceparent", &traceparent),
        )
        .await;

        let id = answer.request_id();
        assert!(!id.contains(trace), "{traceparent} was followed: {id}");
    }
}

#[test]
fn the_trace_id_check_itself_accepts_only_the_w3c_form() {
    assert!(is_w3c_trace_id(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    ));
    for bad in [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-00",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-00",
        "00-4bf92f3577b34da6a3ce929d0e0e47g6-00f067aa0ba902b7-00",
    ] {
        assert!(!is_w3c_trace_id(bad), "{bad:?}");
    }
}
