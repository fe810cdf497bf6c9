//! Bad input of every kind (SPEC §3, §4): the token, the content type, the
//! body limit, the body's syntax and types, methods and routes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, group_path, send, spawn_acme, spawn_acme_with_body_limit};

const TEAM: &str = "/lease_/api/account/acme/user-license/group/team";

/// PUTs `body` as `application/json` without touching it.
async fn put_raw(app: &TestApp, body: impl Into<reqwest::Body>) -> Answer {
    send(
        app.api
            .request(Method::PUT, TEAM)
            .header("Content-Type", "application/json")
            .body(body),
    )
    .await
}

/// The body of a 400 for one path with one message.
fn validation(path: &str, message: &str) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {path: [message]}
    })
}

// --- 401 -------------------------------------------------------------------

#[tokio::test]
async fn a_request_without_authorization_is_401_with_a_bearer_challenge_and_no_body() {
    let app = spawn_acme().await;

    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let answer = send(
            app.api
                .anonymous(method.clone(), TEAM)
                .json(&json!({"userBundleCodes": ["IDU"]})),
        )
        .await;

        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method}");
        assert_eq!(
            answer.header("www-authenticate"),
            Some("Bearer"),
            "{method}"
        );
        assert_eq!(answer.body, "", "{method}");
    }
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn an_authorization_header_that_is_not_a_bearer_token_is_401() {
    let app = spawn_acme().await;

    for value in [
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        "Bearer    ",
        "1234",
        "Token 1234",
    ] {
        let answer = send(
            app.api
                .anonymous(Method::GET, TEAM)
                .header("Authorization", value),
        )
        .await;

        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{value:?}");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    }
}

#[tokio::test]
async fn any_bearer_token_is_accepted_in_lenient_mode() {
    let app = spawn_acme().await;

    for value in ["Bearer 1234", "Bearer not-a-jwt-at-all", "bearer 1234"] {
        let answer = send(
            app.api
                .anonymous(Method::GET, TEAM)
                .header("Authorization", value),
        )
        .await;

        assert_eq!(answer.status, StatusCode::OK, "{value:?}");
    }
}

#[tokio::test]
async fn the_token_is_checked_before_the_account_and_the_body() {
    let app = spawn_acme().await;

    let answer = send(
        app.api
            .anonymous(Method::PUT, &group_path("nobody", "team"))
            .header("Content-Type", "text/plain")
            .body("{not json"),
    )
    .await;

    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body, "");
}

// --- 415 -------------------------------------------------------------------

#[tokio::test]
async fn a_body_that_is_not_json_typed_is_415() {
    let app = spawn_acme().await;

    let answer = send(
        app.api
            .request(Method::PUT, TEAM)
            .header("Content-Type", "text/plain")
            .body(r#"{"userBundleCodes": ["IDU"]}"#),
    )
    .await;

    assert_eq!(
        answer.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.16",
            "title": "Unsupported Media Type",
            "status": 415,
            "detail": "Content type 'text/plain' is not supported; use application/json, text/json or application/*+json."
        })
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn a_body_without_a_content_type_is_415() {
    let app = spawn_acme().await;

    let answer = send(
        app.api
            .request(Method::PUT, TEAM)
            .body(r#"{"userBundleCodes": ["IDU"]}"#),
    )
    .await;

    assert_eq!(
        answer.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.16",
            "title": "Unsupported Media Type",
            "status": 415,
            "detail": "The request has no Content-Type; send application/json."
        })
    );
}

#[tokio::test]
async fn other_media_types_are_415() {
    let app = spawn_acme().await;

    for content_type in [
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "text/plain; charset=utf-8",
        "text/merge+json",
    ] {
        let answer = send(
            app.api
                .request(Method::PUT, TEAM)
                .header("Content-Type", content_type)
                .body(r#"{"userBundleCodes": ["IDU"]}"#),
        )
        .await;

        assert_eq!(
            answer.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE)["status"],
            415,
            "{content_type}"
        );
    }
}

#[tokio::test]
async fn json_text_json_and_structured_json_types_are_accepted_with_or_without_charset() {
    let app = spawn_acme().await;

    for content_type in [
        "application/json",
        "text/json",
        "application/merge-patch+json",
        "application/vnd.uipath.license+json",
        "application/json; charset=utf-8",
        "text/json;charset=UTF-8",
        "application/problem+json; charset=utf-8",
        "Application/JSON",
    ] {
        let answer = send(
            app.api
                .request(Method::PUT, TEAM)
                .header("Content-Type", content_type)
                .body(r#"{"userBundleCodes": ["IDU"]}"#),
        )
        .await;

        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{content_type}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn the_content_type_is_checked_before_the_account() {
    let app = spawn_acme().await;

    let answer = send(
        app.api
            .request(Method::PUT, &group_path("nobody", "team"))
            .header("Content-Type", "text/plain")
            .body("{}"),
    )
    .await;

    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

// --- 413 -------------------------------------------------------------------

/// `{"userBundleCodes": ["IDU"], "pad": "…"}` padded to exactly `len` bytes.
fn padded_body(len: usize) -> String {
    let bare = r#"{"userBundleCodes": ["IDU"], "pad": ""}"#;
    let padding = "x".repeat(len - bare.len());
    let body = format!(r#"{{"userBundleCodes": ["IDU"], "pad": "{padding}"}}"#);
    assert_eq!(body.len(), len);
    body
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_changes_nothing() {
    let app = spawn_acme_with_body_limit(64).await;

    let answer = put_raw(&app, padded_body(65)).await;

    assert_eq!(
        answer.problem(StatusCode::PAYLOAD_TOO_LARGE),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            "title": "Content Too Large",
            "status": 413,
            "detail": "The request body is larger than the limit of 64 bytes."
        })
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_accepted() {
    let app = spawn_acme_with_body_limit(64).await;

    let answer = put_raw(&app, padded_body(64)).await;

    assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
}

#[tokio::test]
async fn the_body_limit_is_checked_before_the_content_type_and_the_syntax() {
    let app = spawn_acme_with_body_limit(16).await;

    let wrong_type = send(
        app.api
            .request(Method::PUT, TEAM)
            .header("Content-Type", "text/plain")
            .body("x".repeat(17)),
    )
    .await;
    let not_json = put_raw(&app, "x".repeat(17)).await;

    assert_eq!(wrong_type.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(not_json.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// Sends `chunks` as a chunked body over a raw connection (no Content-Length)
/// and returns the status code of the answer.
async fn put_chunked(app: &TestApp, chunks: &[&str]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut request = format!(
        "PUT {TEAM} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer 1234\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    for chunk in chunks {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(app.server.address())
        .await
        .expect("connected");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    // The server may answer 413 before reading the rest; a reset after the
    // answer is fine, the status line has arrived by then.
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    status_line.split(' ').nth(1).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_chunked_body_is_held_to_the_same_limit() {
    let app = spawn_acme_with_body_limit(64).await;

    let within = put_chunked(&app, &[r#"{"userBundleCodes": "#, r#"["IDU"]}"#]).await;
    let over = put_chunked(&app, &[&padded_body(40), &" ".repeat(40)]).await;

    assert_eq!(within, "200");
    assert_eq!(over, "413");
    assert_eq!(app.api.allocated("acme", "IDU").await, 3);
}

#[tokio::test]
async fn the_default_body_limit_is_one_mebibyte() {
    let app = spawn_acme().await;

    let at_limit = put_raw(&app, padded_body(1024 * 1024)).await;
    let over = put_raw(&app, padded_body(1024 * 1024 + 1)).await;

    assert_eq!(at_limit.status, StatusCode::OK);
    assert_eq!(
        over.problem(StatusCode::PAYLOAD_TOO_LARGE)["detail"],
        "The request body is larger than the limit of 1048576 bytes."
    );
}

// --- 400 -------------------------------------------------------------------

#[tokio::test]
async fn malformed_json_is_400_naming_the_line_and_column() {
    let app = spawn_acme().await;

    let answer = put_raw(&app, r#"{"userBundleCodes": [}"#).await;

    // System.Text.Json counts both from 0; `}` is byte 21 of line 0.
    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation(
            "$",
            "The request body is not valid JSON: expected value at line 1 column 22. Path: $ | LineNumber: 0 | BytePositionInLine: 21."
        )
    );
}

#[tokio::test]
async fn malformed_json_on_a_later_line_names_that_line() {
    let app = spawn_acme().await;

    let answer = put_raw(&app, "{\n  \"userBundleCodes\": [\"IDU\",]\n}").await;

    let problem = answer.problem(StatusCode::BAD_REQUEST);
    let message = problem["errors"]["$"][0].as_str().expect("one message");
    assert!(
        message.ends_with("Path: $ | LineNumber: 1 | BytePositionInLine: 28."),
        "{message}"
    );
}

#[tokio::test]
async fn a_list_of_codes_that_is_not_a_list_is_400_keyed_by_its_json_path() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            TEAM,
            &json!({"userBundleCodes": "IDU", "useExternalLicense": false}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation(
            "$.userBundleCodes",
            "The JSON value could not be converted to System.Collections.Generic.List`1[System.String]. Path: $.userBundleCodes."
        )
    );
}

#[tokio::test]
async fn a_code_that_is_not_a_string_is_400_keyed_by_its_index() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(TEAM, &json!({"userBundleCodes": ["IDU", 7]}))
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation(
            "$.userBundleCodes[1]",
            "The JSON value could not be converted to System.String. Path: $.userBundleCodes[1]."
        )
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn an_empty_code_is_400() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(TEAM, &json!({"userBundleCodes": ["IDU", ""]}))
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation(
            "$.userBundleCodes[1]",
            "The value must be a non-empty string."
        )
    );
}

#[tokio::test]
async fn a_null_or_non_boolean_use_external_license_is_400() {
    let app = spawn_acme().await;

    for flag in [Value::Null, json!("false"), json!(0)] {
        let answer = app
            .api
            .put_json(
                TEAM,
                &json!({"userBundleCodes": ["IDU"], "useExternalLicense": flag}),
            )
            .await;

        assert_eq!(
            answer.problem(StatusCode::BAD_REQUEST),
            validation(
                "$.useExternalLicense",
                "The JSON value could not be converted to System.Boolean. Path: $.useExternalLicense."
            ),
            "useExternalLicense: {flag}"
        );
    }
}

#[tokio::test]
async fn every_bad_property_is_reported_at_once() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            TEAM,
            &json!({"userBundleCodes": {}, "useExternalLicense": "yes"}),
        )
        .await;

    let errors = &answer.problem(StatusCode::BAD_REQUEST)["errors"];
    let mut keys: Vec<&str> = errors
        .as_object()
        .expect("errors is an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["$.useExternalLicense", "$.userBundleCodes"]);
}

#[tokio::test]
async fn an_empty_body_is_400() {
    let app = spawn_acme().await;

    for body in ["", "   \r\n\t"] {
        let answer = put_raw(&app, body).await;

        assert_eq!(
            answer.problem(StatusCode::BAD_REQUEST),
            validation("", "A non-empty request body is required."),
            "body {body:?}"
        );
    }
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_400() {
    let app = spawn_acme().await;

    for body in ["[]", r#"["IDU"]"#, r#""IDU""#, "42", "true", "null"] {
        let answer = put_raw(&app, body).await;

        assert_eq!(
            answer.problem(StatusCode::BAD_REQUEST),
            validation(
                "$",
                "The JSON value could not be converted to UiPath.LicenseAccountant.GroupRuleAllocationRequestDto. Path: $."
            ),
            "body {body}"
        );
    }
}

#[tokio::test]
async fn trailing_content_after_the_object_is_400() {
    let app = spawn_acme().await;

    let answer = put_raw(&app, r#"{"userBundleCodes": ["IDU"]} {}"#).await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST)["errors"]
            .as_object()
            .map(|errors| errors.contains_key("$")),
        Some(true)
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn the_body_is_decoded_before_the_account_is_looked_up() {
    let app = spawn_acme().await;

    let answer = send(
        app.api
            .request(Method::PUT, &group_path("nobody", "team"))
            .header("Content-Type", "application/json")
            .body("{"),
    )
    .await;

    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn no_malformed_body_crashes_the_server_or_corrupts_its_state() {
    let app = spawn_acme().await;
    let deep = "[".repeat(100_000);
    let bodies: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        b"{\"userBundleCodes\": [\"\xff\xfe\"]}".to_vec(),
        b"\x00\x01\x02".to_vec(),
        br#"{"userBundleCodes": ["IDU"], "useExternalLicense": fals"#.to_vec(),
        br#"{"userBundleCodes": ["\ud800"]}"#.to_vec(),
        br#"{"userBundleCodes": [1e999]}"#.to_vec(),
    ];

    for body in bodies {
        let answer = put_raw(&app, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    }

    let after = app.api.allocate("acme", "team", &["IDU"]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(app.api.allocated("acme", "IDU").await, 3);
}

#[tokio::test]
async fn an_undecodable_path_segment_is_400_not_a_crash() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .get("/lease_/api/account/acme/user-license/group/%FF%FE")
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST)["errors"]["$"],
        json!(["Invalid URL: Invalid UTF-8 in `group_id`"])
    );
}

#[tokio::test]
async fn near_misses_of_a_license_route_are_route_404s() {
    let app = spawn_acme().await;

    for path in [
        "/lease_/api/account/acme/user-license/",
        // As with axum's router, a parameter ending the path is never
        // empty (an empty one inside it is, and the handler refuses it).
        "/lease_/api/account/acme/user-license/group/",
        "/lease_/api/account/acme/user-license/group/team/",
        "/lease_/api/account/acme/user-license/group/team/extra",
        "/Lease_/api/account/acme/user-license",
        "/a/b/lease_/api/account/acme/user-license",
        "/lease_/api/accounts/acme/user-license",
        "/la/api/account/acme/user-license/group/team/with-quota/x/y/z/w",
    ] {
        let answer = app.api.get(path).await;
        let problem = answer.problem(StatusCode::NOT_FOUND);
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("No route for GET"), "{path}: {detail}");
    }
}

#[tokio::test]
async fn an_organization_may_be_named_like_a_prefix() {
    let app = spawn_acme().await;

    // `la` and `lease_` are prefixes, but also valid organization names.
    for (path, template) in [
        (
            "/la/lease_/api/account/acme/user-license",
            "/{organization}/lease_/api/account/{account_id}/user-license",
        ),
        (
            "/lease_/la/api/account/acme/user-license",
            "/{organization}/la/api/account/{account_id}/user-license",
        ),
    ] {
        let answer = app.api.get(path).await;
        // Served, and refused only because acme's organization is Acme.
        let detail = answer.problem(StatusCode::NOT_FOUND)["detail"].clone();
        assert!(
            detail
                .as_str()
                .is_some_and(|d| d.contains("not the account's organization")),
            "{path}: {detail}"
        );
        let entries = crate::admin::journal(&app.api, "?limit=1").await;
        assert_eq!(entries[0]["route"], template, "{path}");
    }
    let answer = app.api.get("/Acme/la/api/account/acme/user-license").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn head_on_a_license_route_answers_the_get_headers_without_a_body() {
    let app = spawn_acme().await;
    let path = "/la/api/account/acme/user-license";
    let get = app.api.get(path).await;

    let head = send(app.api.request(Method::HEAD, path)).await;

    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.body, "");
    assert_eq!(
        head.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    assert_eq!(
        head.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn a_utf8_byte_order_mark_before_the_body_is_accepted() {
    let app = spawn_acme().await;

    // System.Text.Json skips a leading UTF-8 BOM, as some Windows clients send one.
    let answer = put_raw(&app, "\u{feff}{\"userBundleCodes\": [\"IDU\"]}").await;

    assert_eq!(answer.ok_json()["userBundleCodes"], json!(["IDU"]));
}

// --- lenient decoding ------------------------------------------------------

#[tokio::test]
async fn unknown_properties_are_ignored() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            TEAM,
            &json!({"userBundleCodes": ["IDU"], "useExternalLicense": false, "colour": "red", "quotas": [1]}),
        )
        .await;

    assert_eq!(
        answer.ok_json(),
        json!({"groupId": "team", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["IDU"]})
    );
}

#[tokio::test]
async fn a_null_or_absent_list_of_codes_is_an_empty_rule() {
    let app = spawn_acme().await;

    for body in [json!({"userBundleCodes": null}), json!({})] {
        let answer = app.api.put_json(TEAM, &body).await;

        assert_eq!(
            answer.ok_json(),
            json!({"groupId": "team", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": []}),
            "body {body}"
        );
    }
}

#[tokio::test]
async fn the_deprecated_alias_is_used_when_user_bundle_codes_is_absent_or_null() {
    let app = spawn_acme().await;

    for body in [
        json!({"userBundleLicenses": ["IDU"]}),
        json!({"userBundleCodes": null, "userBundleLicenses": ["IDU"]}),
    ] {
        let answer = app.api.put_json(TEAM, &body).await;

        assert_eq!(
            answer.ok_json()["userBundleCodes"],
            json!(["IDU"]),
            "body {body}"
        );
    }
    assert_eq!(app.api.allocated("acme", "IDU").await, 3);
}

#[tokio::test]
async fn the_deprecated_alias_is_ignored_when_user_bundle_codes_is_given() {
    let app = spawn_acme().await;

    let given = app
        .api
        .put_json(
            TEAM,
            &json!({"userBundleCodes": ["RPADEVPRONU"], "userBundleLicenses": ["IDU"]}),
        )
        .await;
    let empty = app
        .api
        .put_json(
            TEAM,
            &json!({"userBundleLicenses": ["IDU"], "userBundleCodes": []}),
        )
        .await;

    assert_eq!(given.ok_json()["userBundleCodes"], json!(["RPADEVPRONU"]));
    assert_eq!(empty.ok_json()["userBundleCodes"], json!([]));
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn a_deprecated_alias_of_the_wrong_type_is_still_400() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            TEAM,
            &json!({"userBundleCodes": ["IDU"], "userBundleLicenses": 5}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation(
            "$.userBundleLicenses",
            "The JSON value could not be converted to System.Collections.Generic.List`1[System.String]. Path: $.userBundleLicenses."
        )
    );
}

#[tokio::test]
async fn property_names_are_case_insensitive() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            TEAM,
            &json!({"UserBundleCodes": ["IDU"], "USEEXTERNALLICENSE": true}),
        )
        .await;

    assert_eq!(
        answer.ok_json(),
        json!({"groupId": "team", "organizationId": "acme", "useExternalLicense": true, "userBundleCodes": ["IDU"]})
    );
}

#[tokio::test]
async fn of_several_spellings_of_a_property_the_last_one_wins() {
    let app = spawn_acme().await;

    // Raw text: a JSON object literal cannot hold the same key twice.
    let answer = put_raw(
        &app,
        r#"{"userBundleCodes": ["IDU"], "UserBundleCodes": ["ACNU"], "userBundleCodes": ["RPADEVPRONU"]}"#,
    )
    .await;

    assert_eq!(answer.ok_json()["userBundleCodes"], json!(["RPADEVPRONU"]));
}

#[tokio::test]
async fn escaped_property_names_and_values_are_decoded() {
    let app = spawn_acme().await;

    let answer = put_raw(
        &app,
        r#"{"user\u0042undleCodes": ["\u0049DU"], "useExternalLicense": false}"#,
    )
    .await;

    assert_eq!(answer.ok_json()["userBundleCodes"], json!(["IDU"]));
}

// --- 405 and 404 for routes ------------------------------------------------

/// The methods of an `Allow` header, sorted.
fn allowed(answer: &Answer) -> Vec<String> {
    let mut methods: Vec<String> = answer
        .header("allow")
        .expect("an Allow header")
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    methods.sort();
    methods
}

#[tokio::test]
async fn post_on_a_group_rule_is_405_pointing_to_put() {
    let app = spawn_acme().await;

    let answer = send(
        app.api
            .request(Method::POST, TEAM)
            .json(&json!({"userBundleCodes": ["IDU"], "useExternalLicense": false})),
    )
    .await;

    let problem = answer.problem(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        problem,
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.6",
            "title": "Method Not Allowed",
            "status": 405,
            "detail": "POST is not served on a group rule: the documented method is PUT; the documentation's cURL example uses POST by mistake (POST .../user-license/group, without a group id, retrieves the rules of a list of groups)."
        })
    );
    assert_eq!(allowed(&answer), ["DELETE", "GET", "HEAD", "PUT"]);
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn post_is_405_with_the_hint_under_every_prefix() {
    let app = spawn_acme().await;

    for prefix in ["/acme/lease_", "/lease_", "/acme/la", "/la"] {
        let path = format!("{prefix}/api/account/acme/user-license/group/team");
        let answer = send(app.api.request(Method::POST, &path).json(&json!({}))).await;

        let detail = answer.problem(StatusCode::METHOD_NOT_ALLOWED)["detail"].clone();
        assert!(
            detail
                .as_str()
                .is_some_and(|d| d.contains("the documented method is PUT")),
            "{prefix}: {detail}"
        );
    }
}

#[tokio::test]
async fn another_unserved_method_is_a_generic_405_with_allow() {
    let app = spawn_acme().await;

    let answer = send(app.api.request(Method::PATCH, TEAM).json(&json!({}))).await;

    assert_eq!(
        answer.problem(StatusCode::METHOD_NOT_ALLOWED),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.6",
            "title": "Method Not Allowed",
            "status": 405,
            "detail": "PATCH is not served on this path; the Allow header lists the methods that are."
        })
    );
    assert_eq!(allowed(&answer), ["DELETE", "GET", "HEAD", "PUT"]);
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_acme().await;

    let answer = app.api.get("/lease_/api/account/acme/nothing-here").await;

    assert_eq!(
        answer.problem(StatusCode::NOT_FOUND),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "title": "Not Found",
            "status": 404,
            "detail": "No route for GET /lease_/api/account/acme/nothing-here."
        })
    );
}
