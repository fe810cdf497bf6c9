//! The control plane under `/__admin` (SPEC §7): health, reset, state and
//! fixtures, accounts, metrics and the admin token. The journal and faults
//! have their own modules; the admin calls they share live here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;
use uipath_license_mock::MockServer;

use crate::helpers::{
    Answer, ApiClient, TestApp, acme_fixtures, group_path, send, spawn_acme, spawn_app,
    spawn_app_from, spawn_app_with,
};

// ---------------------------------------------------------------------------
// Admin calls shared by the control-plane modules.

/// A call to `/__admin{path}` with a JSON body.
pub(crate) async fn admin_json(
    api: &ApiClient,
    method: Method,
    path: &str,
    body: &Value,
) -> Answer {
    send(api.request(method, &format!("/__admin{path}")).json(body)).await
}

/// A call to `/__admin{path}` without a body.
pub(crate) async fn admin(api: &ApiClient, method: Method, path: &str) -> Answer {
    send(api.request(method, &format!("/__admin{path}"))).await
}

/// `GET /__admin/state`, as its exact text.
pub(crate) async fn state_text(api: &ApiClient) -> String {
    let answer = admin(api, Method::GET, "/state").await;
    answer.ok_json();
    answer.body
}

/// `GET /__admin/state`.
pub(crate) async fn state(api: &ApiClient) -> Value {
    admin(api, Method::GET, "/state").await.ok_json()
}

/// `POST /__admin/reset{query}`, asserting it succeeds.
pub(crate) async fn reset(api: &ApiClient, query: &str) -> Value {
    admin(api, Method::POST, &format!("/reset{query}"))
        .await
        .ok_json()
}

/// `POST /__admin/faults`, asserting `201 {id}`; returns the id.
pub(crate) async fn add_fault(api: &ApiClient, rule: &Value) -> String {
    let answer = admin_json(api, Method::POST, "/faults", rule).await;
    assert_eq!(answer.status, StatusCode::CREATED, "body: {}", answer.body);
    let body = answer.json();
    let id = body["id"].as_str().expect("the id is a string").to_owned();
    assert_eq!(body, json!({ "id": id }));
    id
}

/// `GET /__admin/faults`.
pub(crate) async fn faults(api: &ApiClient) -> Value {
    admin(api, Method::GET, "/faults").await.ok_json()
}

/// `GET /__admin/requests{query}`: journal entries, newest first.
pub(crate) async fn journal(api: &ApiClient, query: &str) -> Vec<Value> {
    let body = admin(api, Method::GET, &format!("/requests{query}"))
        .await
        .ok_json();
    body.as_array().expect("the journal is a list").clone()
}

/// `POST /__admin/requests/count` with `filter`.
pub(crate) async fn count(api: &ApiClient, filter: &Value) -> u64 {
    let body = admin_json(api, Method::POST, "/requests/count", filter)
        .await
        .ok_json();
    body["count"].as_u64().expect("count is a number")
}

/// `GET {acc}/user-license`: `{code: (allocated, total)}`.
pub(crate) async fn seats(api: &ApiClient, account: &str) -> BTreeMap<String, (u64, u64)> {
    let body = api
        .get(&format!("/lease_/api/account/{account}/user-license"))
        .await
        .ok_json();
    body.as_array()
        .expect("a list of codes")
        .iter()
        .map(|line| {
            let number = |key: &str| line[key].as_u64().expect("a count");
            let code = line["code"].as_str().expect("a code").to_owned();
            (code, (number("allocated"), number("total")))
        })
        .collect()
}

/// `PUT {acc}/user-license` for some users.
async fn allocate_users(api: &ApiClient, account: &str, users: &[&str], codes: &[&str]) -> Answer {
    let body = json!({"userIds": users, "userBundleCodes": codes, "useExternalLicense": false});
    api.put_json(
        &format!("/lease_/api/account/{account}/user-license"),
        &body,
    )
    .await
}

/// A 409 of the admin API: the problem body with its `conflicts`.
fn admin_conflict(answer: &Answer, conflicts: Value) {
    assert_eq!(
        answer.problem(StatusCode::CONFLICT),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "title": "Conflict",
            "status": 409,
            "detail": "The change would leave more seats in use than the account has.",
            "conflicts": conflicts
        })
    );
}

/// The 400 body of a validation error.
fn validation(answer: &Answer, errors: Value) {
    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": errors
        })
    );
}

// ---------------------------------------------------------------------------
// Health

#[tokio::test]
async fn health_answers_ok_with_the_version_and_the_uptime() {
    let app = spawn_app().await;

    let mut body = admin(&app.api, Method::GET, "/health").await.ok_json();

    let uptime = body
        .as_object_mut()
        .expect("an object")
        .remove("uptimeSeconds")
        .expect("an uptimeSeconds");
    // A server started by this test has been up for less than a minute.
    assert!(uptime.as_u64().is_some_and(|s| s < 60), "{uptime}");
    assert_eq!(
        body,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
    );
}

// ---------------------------------------------------------------------------
// Reset

#[tokio::test]
async fn reset_puts_every_account_back_and_clears_the_journal_and_the_faults() {
    let app = spawn_app().await;
    let baseline = state_text(&app.api).await;
    app.api
        .allocate("1234", "group-01", &["IDU"])
        .await
        .ok_json();
    app.api
        .allocate("song-one", "new-group", &["AKIT"])
        .await
        .ok_json();
    add_fault(
        &app.api,
        &json!({"match": {"path": "/nowhere"}, "respond": {"status": 500}}),
    )
    .await;
    assert_ne!(state_text(&app.api).await, baseline);

    let answer = reset(&app.api, "").await;

    assert_eq!(answer, json!({"reset": "all", "kept": []}));
    assert_eq!(state_text(&app.api).await, baseline);
    assert_eq!(journal(&app.api, "").await, Vec::<Value>::new());
    assert_eq!(faults(&app.api).await, json!([]));
    assert_eq!(seats(&app.api, "1234").await["IDU"], (0, 5));
}

#[tokio::test]
async fn reset_of_one_account_leaves_the_other_accounts_as_they_are() {
    let app = spawn_app().await;
    app.api
        .allocate("1234", "group-01", &["IDU"])
        .await
        .ok_json();
    app.api
        .allocate("song-one", "group-01", &["IDU"])
        .await
        .ok_json();

    let answer = reset(&app.api, "?accountId=1234").await;

    assert_eq!(answer, json!({"reset": "1234", "kept": []}));
    assert_eq!(seats(&app.api, "1234").await["IDU"], (0, 5));
    assert_eq!(seats(&app.api, "song-one").await["IDU"], (3, 5));
    let song_one = admin(&app.api, Method::GET, "/accounts/song-one")
        .await
        .ok_json();
    assert_eq!(
        song_one["groups"][1],
        json!({
            "groupId": "group-01",
            "name": "Developers",
            "members": ["singer-77", "singer-88", "singer-99"],
            "rule": {"userBundleCodes": ["IDU"], "useExternalLicense": false}
        })
    );
}

#[tokio::test]
async fn reset_of_an_unknown_account_is_a_404() {
    let app = spawn_app().await;

    let answer = admin(&app.api, Method::POST, "/reset?accountId=nobody").await;

    assert_eq!(
        answer.problem(StatusCode::NOT_FOUND)["detail"],
        "Account 'nobody' does not exist."
    );
}

#[tokio::test]
async fn reset_keeps_the_journal_and_the_faults_when_asked_to() {
    let app = spawn_app().await;
    app.api
        .allocate("1234", "group-01", &["IDU"])
        .await
        .ok_json();
    let fault = json!({"match": {"path": "/nowhere"}, "respond": {"status": 500}});
    add_fault(&app.api, &fault).await;

    let answer = reset(&app.api, "?keep=journal,faults").await;

    assert_eq!(
        answer,
        json!({"reset": "all", "kept": ["journal", "faults"]})
    );
    assert_eq!(seats(&app.api, "1234").await["IDU"], (0, 5));
    // The allocation is still in the journal, behind the GET just made.
    let entries = journal(&app.api, "?method=PUT").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["path"], group_path("1234", "group-01"));
    assert_eq!(faults(&app.api).await.as_array().map(Vec::len), Some(1));

    // Keeping one of them clears the other.
    let answer = reset(&app.api, "?keep=faults").await;
    assert_eq!(answer, json!({"reset": "all", "kept": ["faults"]}));
    assert_eq!(journal(&app.api, "").await, Vec::<Value>::new());
    assert_eq!(faults(&app.api).await.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn reset_refuses_an_unknown_keep_value_and_changes_nothing() {
    let app = spawn_app().await;
    app.api
        .allocate("1234", "group-01", &["IDU"])
        .await
        .ok_json();
    add_fault(
        &app.api,
        &json!({"match": {"path": "/nowhere"}, "respond": {"status": 500}}),
    )
    .await;
    let before = state_text(&app.api).await;

    let answer = admin(&app.api, Method::POST, "/reset?keep=journal,state").await;

    validation(
        &answer,
        json!({"keep": ["'state' cannot be kept; use journal, faults or both"]}),
    );
    assert_eq!(state_text(&app.api).await, before);
    assert_eq!(journal(&app.api, "").await.len(), 1);
    assert_eq!(faults(&app.api).await.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_account_created_at_runtime_disappears_on_reset() {
    let app = spawn_app().await;
    let account = json!({"accountId": "runtime", "licenses": {"IDU": 1}});
    let created = admin_json(&app.api, Method::POST, "/accounts", &account).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(seats(&app.api, "runtime").await["IDU"], (0, 1));

    reset(&app.api, "").await;

    let gone = admin(&app.api, Method::GET, "/accounts/runtime").await;
    assert_eq!(
        gone.problem(StatusCode::NOT_FOUND)["detail"],
        "Account 'runtime' does not exist."
    );
    let license = app
        .api
        .get("/lease_/api/account/runtime/user-license")
        .await;
    license.problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reset_of_one_account_created_at_runtime_removes_it() {
    let app = spawn_app().await;
    let account = json!({"accountId": "runtime", "licenses": {"IDU": 1}});
    admin_json(&app.api, Method::POST, "/accounts", &account).await;

    let answer = reset(&app.api, "?accountId=runtime").await;

    assert_eq!(answer, json!({"reset": "runtime", "kept": []}));
    let ids: Vec<Value> = admin(&app.api, Method::GET, "/accounts")
        .await
        .ok_json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["accountId"].clone())
        .collect();
    assert_eq!(ids, [json!("1234"), json!("no-license"), json!("song-one")]);
}

#[tokio::test]
async fn reset_of_one_deleted_account_brings_it_back_from_the_baseline() {
    let app = spawn_app().await;
    let baseline = state_text(&app.api).await;
    let deleted = admin(&app.api, Method::DELETE, "/accounts/song-one").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    reset(&app.api, "?accountId=song-one").await;

    assert_eq!(state_text(&app.api).await, baseline);
    assert_eq!(seats(&app.api, "song-one").await["IDU"], (0, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn resets_during_traffic_never_fail_a_request_and_end_at_the_baseline() {
    const WORKERS: usize = 12;
    const RESETS: usize = 40;
    // Every worker makes at least this many rounds, resets or not.
    const MIN_ROUNDS: usize = 20;
    let app = spawn_app().await;
    let baseline = state_text(&app.api).await;
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(WORKERS + 1));

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let api = app.api.clone();
            let (done, start) = (Arc::clone(&done), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                let account = ["1234", "song-one"][w % 2];
                let mut seen = Vec::new();
                let mut round = 0;
                while round < MIN_ROUNDS || !done.load(Ordering::Acquire) {
                    // An undeclared group (one seat), a declared one (three),
                    // a read of the totals and a read of a rule.
                    let group = format!("worker-{w}-{}", round % 3);
                    let answers = [
                        api.allocate(account, &group, &["IDU"]).await,
                        api.allocate(account, "group-01", &["RPADEVPRONU"]).await,
                        api.get(&format!("/lease_/api/account/{account}/user-license"))
                            .await,
                        api.get(&group_path(account, "all-staff")).await,
                    ];
                    for answer in answers {
                        if answer.status == StatusCode::OK && answer.body.starts_with('[') {
                            for line in answer.json().as_array().into_iter().flatten() {
                                assert!(line["allocated"].as_u64() <= line["total"].as_u64());
                            }
                        }
                        seen.push((answer.status, answer.body));
                    }
                    round += 1;
                }
                seen
            })
        })
        .collect();

    start.wait().await;
    for _ in 0..RESETS {
        reset(&app.api, "?keep=journal").await;
    }
    done.store(true, Ordering::Release);
    let mut answers = 0;
    for worker in workers {
        for (status, body) in worker.await.expect("the worker finished") {
            // 409 is the seat arithmetic at work; 404 or 5xx would be a reset
            // letting a request see a missing or half-built account.
            assert!(
                status == StatusCode::OK || status == StatusCode::CONFLICT,
                "{status}: {body}"
            );
            answers += 1;
        }
    }
    assert!(answers >= WORKERS * MIN_ROUNDS * 4);
    // Every allocation was journaled with a 200 or a 409, none with another status.
    let others = count(&app.api, &json!({"method": "PUT"})).await
        - count(&app.api, &json!({"method": "PUT", "status": 200})).await
        - count(&app.api, &json!({"method": "PUT", "status": 409})).await;
    assert_eq!(others, 0);

    reset(&app.api, "").await;

    assert_eq!(state_text(&app.api).await, baseline);
}

// ---------------------------------------------------------------------------
// State and fixtures

/// Changes of every kind the fixture format must carry: quotas, external
/// rules, undeclared groups, anonymous and named members, direct allocations
/// (external too), an organization name and an account without a license.
async fn change_everything(api: &ApiClient) {
    let quota = json!({
        "userBundleCodes": ["ATTUNU", "ACNU"],
        "useExternalLicense": false,
        "quotas": [{"userBundleCode": "ATTUNU", "limit": 10}, {"userBundleCode": "ACNU", "limit": 4}]
    });
    api.put_json(
        &format!("{}/with-quota", group_path("1234", "all-staff")),
        &quota,
    )
    .await
    .ok_json();
    let external = json!({"userBundleCodes": ["RPADEVPRONU", "IDU"], "useExternalLicense": true});
    api.put_json(&group_path("1234", "contractors"), &external)
        .await
        .ok_json();
    api.allocate("1234", "undeclared", &["AKIT", "PMD"])
        .await
        .ok_json();
    let anonymous = json!({"name": "Anonymous five", "members": 5});
    let answer = admin_json(api, Method::PUT, "/accounts/1234/groups/anon", &anonymous).await;
    answer.ok_json();
    api.allocate("1234", "anon", &["CTZDEVNU"]).await.ok_json();
    let named = json!({"name": "Two", "members": ["x-1", "x-2"]});
    admin_json(api, Method::PUT, "/accounts/song-one/groups/two", &named)
        .await
        .ok_json();
    allocate_users(api, "1234", &["u-1", "u-2"], &["IDU", "TSTNU"])
        .await
        .ok_json();
    let external_user =
        json!({"userIds": ["u-3"], "userBundleCodes": ["PMBU"], "useExternalLicense": true});
    api.put_json("/lease_/api/account/song-one/user-license", &external_user)
        .await
        .ok_json();
    let organization = json!({
        "accountId": "org-acc",
        "organizationName": "Org",
        "licenses": {"IDU": 3},
        "groups": [{"groupId": "empty", "members": []}]
    });
    let created = admin_json(api, Method::POST, "/accounts", &organization).await;
    assert_eq!(created.status, StatusCode::CREATED);
    admin_json(
        api,
        Method::PUT,
        "/accounts/no-license/licenses",
        &json!({"AKIT": 2}),
    )
    .await
    .ok_json();
}

#[tokio::test]
async fn state_round_trips_exactly_through_put_fixtures() {
    let app = spawn_app().await;
    change_everything(&app.api).await;
    let before = state_text(&app.api).await;
    let seats_before = seats(&app.api, "1234").await;

    let answer = send(
        app.api
            .request(Method::PUT, "/__admin/fixtures")
            .header("content-type", "application/json")
            .body(before.clone()),
    )
    .await;

    assert_eq!(answer.ok_json(), json!({"accounts": 4}));
    assert_eq!(state_text(&app.api).await, before);
    assert_eq!(seats(&app.api, "1234").await, seats_before);
    // The seat counts a round trip must preserve.
    assert_eq!(seats_before["ATTUNU"], (10, 20));
    assert_eq!(seats_before["ACNU"], (4, 10));
    assert_eq!(seats_before["RPADEVPRONU"], (0, 10));
    assert_eq!(seats_before["IDU"], (2, 5));
    assert_eq!(seats_before["AKIT"], (1, 5));
    assert_eq!(seats_before["CTZDEVNU"], (5, 10));
}

#[tokio::test]
async fn the_state_is_the_fixture_format_with_every_kind_of_change() {
    let app = spawn_app().await;
    change_everything(&app.api).await;

    let state = state(&app.api).await;

    let accounts = state["accounts"].as_array().expect("accounts");
    assert_eq!(
        accounts[0],
        json!({
            "accountId": "1234",
            "licenses": {
                "ACNU": 10, "AKIT": 5, "ATTUCU": 5, "ATTUNU": 20, "AXPNU": 5, "CTZDEVCU": 10,
                "CTZDEVNU": 10, "IDU": 5, "PMBU": 5, "PMD": 5, "RPADEVCU": 5, "RPADEVNU": 5,
                "RPADEVPROCU": 5, "RPADEVPRONU": 10, "TSTDEVPRONU": 5, "TSTNU": 5
            },
            "groups": [
                {
                    "groupId": "all-staff",
                    "name": "All staff",
                    "members": 25,
                    "rule": {
                        "userBundleCodes": ["ATTUNU", "ACNU"],
                        "useExternalLicense": false,
                        "quotas": {"ACNU": 4, "ATTUNU": 10}
                    }
                },
                {
                    "groupId": "anon",
                    "name": "Anonymous five",
                    "members": 5,
                    "rule": {"userBundleCodes": ["CTZDEVNU"], "useExternalLicense": false}
                },
                {
                    "groupId": "contractors",
                    "rule": {"userBundleCodes": ["RPADEVPRONU", "IDU"], "useExternalLicense": true}
                },
                {
                    "groupId": "group-01",
                    "name": "Developers",
                    "members": ["singer-77", "singer-88", "singer-99"]
                },
                {
                    "groupId": "undeclared",
                    "rule": {"userBundleCodes": ["AKIT", "PMD"], "useExternalLicense": false}
                }
            ],
            "users": [
                {"userId": "u-1", "userBundleCodes": ["IDU", "TSTNU"], "useExternalLicense": false},
                {"userId": "u-2", "userBundleCodes": ["IDU", "TSTNU"], "useExternalLicense": false}
            ]
        })
    );
    assert_eq!(
        accounts[1],
        json!({"accountId": "no-license", "licenses": {"AKIT": 2}})
    );
    assert_eq!(
        accounts[2],
        json!({
            "accountId": "org-acc",
            "organizationName": "Org",
            "licenses": {"IDU": 3},
            "groups": [{"groupId": "empty", "members": []}]
        })
    );
    assert_eq!(accounts[3]["accountId"], "song-one");
    assert_eq!(
        accounts[3]["users"],
        json!([{"userId": "u-3", "userBundleCodes": ["PMBU"], "useExternalLicense": true}])
    );
    // Credentials are part of the state too, so that it loads on its own.
    assert_eq!(state["clients"][0]["clientId"], "demo-app");
    assert_eq!(state["logins"][0]["username"], "admin");
    assert_eq!(state["tokens"][0]["token"], "read-only");
}

#[tokio::test]
async fn put_fixtures_refuses_an_invalid_document_with_400_and_changes_nothing() {
    let app = spawn_app().await;
    app.api
        .allocate("1234", "group-01", &["IDU"])
        .await
        .ok_json();
    let before = state_text(&app.api).await;
    let over_allocated = json!({"accounts": [{
        "accountId": "x",
        "licenses": {"IDU": 1},
        "groups": [{"groupId": "g", "members": 2, "rule": {"userBundleCodes": ["IDU"]}}]
    }]});

    let answer = admin_json(&app.api, Method::PUT, "/fixtures", &over_allocated).await;

    validation(
        &answer,
        json!({"$.accounts[0].groups[0].rule": [
            "group 'g' (2 members) needs 2 seats of IDU, but only 1 of 1 are left"
        ]}),
    );
    let unknown = admin_json(&app.api, Method::PUT, "/fixtures", &json!({"accountz": []})).await;
    validation(
        &unknown,
        json!({"$.accountz": [
            "unknown field `accountz`, expected one of `accounts`, `clients`, `logins`, `tokens` at line 1 column 11"
        ]}),
    );
    let syntax = send(
        app.api
            .request(Method::PUT, "/__admin/fixtures")
            .header("content-type", "application/json")
            .body("{\"accounts\": ["),
    )
    .await;
    syntax.problem(StatusCode::BAD_REQUEST);
    assert_eq!(state_text(&app.api).await, before);
    // The baseline did not change either: a reset goes back to the default.
    reset(&app.api, "").await;
    assert_eq!(seats(&app.api, "1234").await["IDU"], (0, 5));
    assert_eq!(
        state(&app.api).await["accounts"].as_array().map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn put_fixtures_makes_the_new_document_the_reset_baseline() {
    let app = spawn_app().await;
    let answer = admin_json(&app.api, Method::PUT, "/fixtures", &acme_fixtures()).await;
    assert_eq!(answer.ok_json(), json!({"accounts": 1}));
    let loaded = state_text(&app.api).await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    let account = json!({"accountId": "later", "licenses": {"IDU": 1}});
    admin_json(&app.api, Method::POST, "/accounts", &account).await;

    reset(&app.api, "").await;

    assert_eq!(state_text(&app.api).await, loaded);
    assert_eq!(seats(&app.api, "acme").await["IDU"], (0, 5));
    // The old default is gone: it is no longer the baseline.
    app.api
        .get("/lease_/api/account/1234/user-license")
        .await
        .problem(StatusCode::NOT_FOUND);
    // Resetting one account goes back to the new baseline too.
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    reset(&app.api, "?accountId=acme").await;
    assert_eq!(state_text(&app.api).await, loaded);
}

// ---------------------------------------------------------------------------
// Accounts

/// An account using every part of the account fixture format.
fn fresh_account() -> Value {
    json!({
        "accountId": "fresh",
        "organizationName": "Fresh",
        "licenses": {"AKIT": 1, "IDU": 2},
        "groups": [{
            "groupId": "g",
            "name": "G",
            "members": ["a", "b"],
            "rule": {"userBundleCodes": ["IDU"], "useExternalLicense": false}
        }],
        "users": [{"userId": "u", "userBundleCodes": ["AKIT"], "useExternalLicense": false}]
    })
}

#[tokio::test]
async fn posting_an_account_creates_it_with_201_in_fixture_form() {
    let app = spawn_app().await;

    let answer = admin_json(&app.api, Method::POST, "/accounts", &fresh_account()).await;

    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.json(), fresh_account());
    let read = admin(&app.api, Method::GET, "/accounts/fresh").await;
    assert_eq!(read.ok_json(), fresh_account());
    let seats = seats(&app.api, "fresh").await;
    assert_eq!(
        seats,
        BTreeMap::from([("AKIT".to_owned(), (1, 1)), ("IDU".to_owned(), (2, 2))])
    );
    // The organization name is enforced like a fixture's.
    app.api
        .get("/Other/lease_/api/account/fresh/user-license")
        .await
        .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn posting_an_existing_account_id_is_a_409_that_changes_nothing() {
    let app = spawn_app().await;
    let before = admin(&app.api, Method::GET, "/accounts/1234")
        .await
        .ok_json();

    let answer = admin_json(
        &app.api,
        Method::POST,
        "/accounts",
        &json!({"accountId": "1234", "licenses": {"IDU": 1}}),
    )
    .await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "title": "Conflict",
            "status": 409,
            "detail": "Account '1234' exists already."
        })
    );
    let after = admin(&app.api, Method::GET, "/accounts/1234")
        .await
        .ok_json();
    assert_eq!(after, before);
}

#[tokio::test]
async fn posting_an_invalid_account_is_a_400_naming_the_problem() {
    let app = spawn_app().await;
    let account = json!({
        "accountId": "bad",
        "licenses": {"IDU": 1},
        "users": [{"userId": "u", "userBundleCodes": ["AKIT"]}]
    });

    let answer = admin_json(&app.api, Method::POST, "/accounts", &account).await;

    validation(
        &answer,
        json!({"$.users[0].userBundleCodes[0]": ["code 'AKIT' is not in the account's licenses"]}),
    );
    admin(&app.api, Method::GET, "/accounts/bad")
        .await
        .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listing_accounts_gives_every_account_sorted_by_id() {
    let app = spawn_app().await;
    admin_json(&app.api, Method::POST, "/accounts", &fresh_account()).await;

    let accounts = admin(&app.api, Method::GET, "/accounts").await.ok_json();

    let ids: Vec<&str> = accounts
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["accountId"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, ["1234", "fresh", "no-license", "song-one"]);
    assert_eq!(accounts[1], fresh_account());
    assert_eq!(
        accounts[2],
        json!({"accountId": "no-license", "licenses": null})
    );
}

#[tokio::test]
async fn put_account_creates_with_201_then_replaces_with_200() {
    let app = spawn_app().await;

    let created = admin_json(&app.api, Method::PUT, "/accounts/fresh", &fresh_account()).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json(), fresh_account());

    let replacement = json!({"accountId": "fresh", "licenses": {"IDU": 9}});
    let replaced = admin_json(&app.api, Method::PUT, "/accounts/fresh", &replacement).await;

    assert_eq!(replaced.ok_json(), replacement);
    assert_eq!(
        seats(&app.api, "fresh").await,
        BTreeMap::from([("IDU".to_owned(), (0, 9))])
    );
    // The organization name went with the old account.
    app.api
        .get("/Other/lease_/api/account/fresh/user-license")
        .await
        .ok_json();
}

#[tokio::test]
async fn put_account_with_another_account_id_in_the_body_is_a_400() {
    let app = spawn_app().await;
    let before = admin(&app.api, Method::GET, "/accounts/1234")
        .await
        .ok_json();

    let body = json!({"accountId": "other", "licenses": {"IDU": 1}});
    let answer = admin_json(&app.api, Method::PUT, "/accounts/1234", &body).await;

    validation(
        &answer,
        json!({"$.accountId": ["'other' is not the account id in the URL"]}),
    );
    let after = admin(&app.api, Method::GET, "/accounts/1234")
        .await
        .ok_json();
    assert_eq!(after, before);
    admin(&app.api, Method::GET, "/accounts/other")
        .await
        .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_account_answers_204_then_the_account_is_a_404() {
    let app = spawn_app().await;

    let deleted = admin(&app.api, Method::DELETE, "/accounts/song-one").await;

    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, "");
    admin(&app.api, Method::GET, "/accounts/song-one")
        .await
        .problem(StatusCode::NOT_FOUND);
    app.api
        .get("/lease_/api/account/song-one/user-license")
        .await
        .problem(StatusCode::NOT_FOUND);
    let again = admin(&app.api, Method::DELETE, "/accounts/song-one").await;
    assert_eq!(
        again.problem(StatusCode::NOT_FOUND)["detail"],
        "Account 'song-one' does not exist."
    );
    // The other accounts are untouched.
    assert_eq!(seats(&app.api, "1234").await["IDU"], (0, 5));
}

#[tokio::test]
async fn put_group_declares_a_group_and_its_members_count_for_its_rule() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "new", &["IDU"]).await.ok_json();
    assert_eq!(seats(&app.api, "acme").await["IDU"], (1, 5));

    let body = json!({"name": "New", "members": ["p", "q", "r"]});
    let answer = admin_json(&app.api, Method::PUT, "/accounts/acme/groups/new", &body).await;

    let account = answer.ok_json();
    let new = account["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["groupId"] == "new")
        .cloned();
    assert_eq!(
        new,
        Some(json!({
            "groupId": "new",
            "name": "New",
            "members": ["p", "q", "r"],
            "rule": {"userBundleCodes": ["IDU"], "useExternalLicense": false}
        }))
    );
    assert_eq!(seats(&app.api, "acme").await["IDU"], (3, 5));
    // Fewer members release seats.
    let fewer = json!({"name": "New", "members": 1});
    admin_json(&app.api, Method::PUT, "/accounts/acme/groups/new", &fewer)
        .await
        .ok_json();
    assert_eq!(seats(&app.api, "acme").await["IDU"], (1, 5));
}

#[tokio::test]
async fn put_group_refuses_with_409_members_whose_rule_would_exceed_the_seats() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    let before = state_text(&app.api).await;

    let body = json!({"name": "Team", "members": 6});
    let answer = admin_json(&app.api, Method::PUT, "/accounts/acme/groups/team", &body).await;

    admin_conflict(
        &answer,
        json!([{"code": "IDU", "requested": 6, "used": 3, "total": 5}]),
    );
    assert_eq!(state_text(&app.api).await, before);
    assert_eq!(seats(&app.api, "acme").await["IDU"], (3, 5));
}

#[tokio::test]
async fn put_group_of_an_unknown_account_is_a_404_and_a_bad_body_a_400() {
    let app = spawn_acme().await;

    let missing = admin_json(
        &app.api,
        Method::PUT,
        "/accounts/nobody/groups/g",
        &json!({"members": 1}),
    )
    .await;
    let duplicate = admin_json(
        &app.api,
        Method::PUT,
        "/accounts/acme/groups/g",
        &json!({"members": ["a", "a"]}),
    )
    .await;

    assert_eq!(
        missing.problem(StatusCode::NOT_FOUND)["detail"],
        "Account 'nobody' does not exist."
    );
    validation(
        &duplicate,
        json!({"$.members[1]": ["duplicate member 'a'"]}),
    );
}

#[tokio::test]
async fn put_licenses_replaces_the_purchased_quantities() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();

    let body = json!({"IDU": 3, "AKIT": 4});
    let answer = admin_json(&app.api, Method::PUT, "/accounts/acme/licenses", &body).await;

    assert_eq!(answer.ok_json()["licenses"], json!({"AKIT": 4, "IDU": 3}));
    assert_eq!(
        seats(&app.api, "acme").await,
        BTreeMap::from([("AKIT".to_owned(), (0, 4)), ("IDU".to_owned(), (3, 3))])
    );
}

#[tokio::test]
async fn put_licenses_refuses_with_409_fewer_seats_than_are_in_use() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    let before = state_text(&app.api).await;

    let body = json!({"IDU": 2, "RPADEVPRONU": 10});
    let answer = admin_json(&app.api, Method::PUT, "/accounts/acme/licenses", &body).await;

    admin_conflict(
        &answer,
        json!([{"code": "IDU", "requested": 3, "used": 3, "total": 2}]),
    );
    assert_eq!(state_text(&app.api).await, before);
}

#[tokio::test]
async fn put_licenses_refuses_with_409_dropping_a_code_a_rule_names() {
    let app = spawn_acme().await;
    let external = json!({"userBundleCodes": ["RPADEVPRONU"], "useExternalLicense": true});
    app.api
        .put_json(&group_path("acme", "team"), &external)
        .await
        .ok_json();
    let before = state_text(&app.api).await;

    let answer = admin_json(
        &app.api,
        Method::PUT,
        "/accounts/acme/licenses",
        &json!({"IDU": 5}),
    )
    .await;

    admin_conflict(
        &answer,
        json!([{"code": "RPADEVPRONU", "requested": 0, "used": 0, "total": 0}]),
    );
    assert_eq!(state_text(&app.api).await, before);
}

#[tokio::test]
async fn put_licenses_null_removes_the_account_license_when_nothing_is_allocated() {
    let app = spawn_acme().await;

    let answer = admin_json(
        &app.api,
        Method::PUT,
        "/accounts/acme/licenses",
        &Value::Null,
    )
    .await;

    assert_eq!(answer.ok_json()["licenses"], Value::Null);
    let detail = app
        .api
        .get("/lease_/api/account/acme/user-license")
        .await
        .problem(StatusCode::NOT_FOUND)["detail"]
        .clone();
    assert_eq!(
        detail,
        "No account license is allocated for the indicated organization. (account 'acme': the account has no account license)"
    );
}

/// The seats the state says are used, computed by hand from the fixture form.
fn used_by_state(account: &Value) -> BTreeMap<String, u64> {
    let mut used = BTreeMap::new();
    for group in account["groups"].as_array().into_iter().flatten() {
        let members = match &group["members"] {
            Value::Null => 1,
            Value::Number(n) => n.as_u64().expect("a count"),
            Value::Array(list) => list.len() as u64,
            other => panic!("members: {other}"),
        };
        let Some(rule) = group.get("rule") else {
            continue;
        };
        if rule["useExternalLicense"] == true {
            continue;
        }
        for code in rule["userBundleCodes"].as_array().expect("codes") {
            let code = code.as_str().expect("a code");
            let cap = rule["quotas"][code].as_u64().unwrap_or(u64::MAX);
            *used.entry(code.to_owned()).or_default() += members.min(cap);
        }
    }
    for user in account["users"].as_array().into_iter().flatten() {
        if user["useExternalLicense"] == true {
            continue;
        }
        for code in user["userBundleCodes"].as_array().expect("codes") {
            *used
                .entry(code.as_str().expect("a code").to_owned())
                .or_default() += 1;
        }
    }
    used
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn admin_changes_racing_with_license_traffic_never_break_the_invariant() {
    const ROUNDS: usize = 30;
    let app = spawn_app_with(json!({"accounts": [{
        "accountId": "race",
        "licenses": {"IDU": 8, "AKIT": 8},
        "groups": [
            {"groupId": "a", "members": 2},
            {"groupId": "b", "members": ["m1", "m2", "m3"]}
        ]
    }]}))
    .await;
    let start = Arc::new(Barrier::new(7));
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let api = app.api.clone();
        let start = Arc::clone(&start);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut statuses = Vec::new();
            for round in 0..ROUNDS {
                let group = ["a", "b", "c", "d"][(worker + round) % 4];
                let answer = match round % 3 {
                    0 => api.allocate("race", group, &["IDU", "AKIT"]).await,
                    1 => allocate_users(&api, "race", &[&format!("u{worker}")], &["IDU"]).await,
                    _ => api.delete(&group_path("race", group)).await,
                };
                statuses.push((answer.status, answer.body));
            }
            statuses
        }));
    }
    for admin_task in 0..2 {
        let api = app.api.clone();
        let start = Arc::clone(&start);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut statuses = Vec::new();
            for round in 0..ROUNDS {
                let answer = if admin_task == 0 {
                    let quantity = 3 + (round % 6);
                    let body = json!({"IDU": quantity, "AKIT": quantity});
                    admin_json(&api, Method::PUT, "/accounts/race/licenses", &body).await
                } else {
                    let group = ["a", "b"][round % 2];
                    let body = json!({"members": 1 + (round % 5)});
                    let path = format!("/accounts/race/groups/{group}");
                    admin_json(&api, Method::PUT, &path, &body).await
                };
                statuses.push((answer.status, answer.body));
            }
            statuses
        }));
    }

    start.wait().await;
    let mut refused = 0;
    for task in tasks {
        for (status, body) in task.await.expect("the task finished") {
            match status {
                StatusCode::OK => {}
                StatusCode::CONFLICT => refused += 1,
                other => panic!("unexpected {other}: {body}"),
            }
        }
    }

    let seats = seats(&app.api, "race").await;
    for (code, (allocated, total)) in &seats {
        assert!(allocated <= total, "{code}: {allocated} of {total}");
    }
    // The counters agree with what the state says is allocated.
    let account = admin(&app.api, Method::GET, "/accounts/race")
        .await
        .ok_json();
    let expected = used_by_state(&account);
    for (code, (allocated, _)) in &seats {
        assert_eq!(
            *allocated,
            expected.get(code).copied().unwrap_or(0),
            "{code} in {account}"
        );
    }
    // With as few as 3 seats at times, some changes must have been refused.
    assert!(refused > 0);
}

// ---------------------------------------------------------------------------
// A suite of tests sharing one server

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn parallel_tests_on_one_server_each_see_only_their_own_account() {
    const TESTS: usize = 16;
    let app = spawn_app().await;
    let start = Arc::new(Barrier::new(TESTS));

    let tests: Vec<_> = (0..TESTS)
        .map(|t| {
            let api = app.api.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                // Each test owns an account with its own number of seats.
                let id = format!("suite-{t}");
                let seats_owned = t as u64 + 2;
                let account = json!({
                    "accountId": id,
                    "licenses": {"IDU": seats_owned},
                    "groups": [{"groupId": "team", "members": 2}]
                });
                let created = admin_json(&api, Method::POST, "/accounts", &account).await;
                assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

                api.allocate(&id, "team", &["IDU"]).await.ok_json();
                let mut requests = 1;
                // Undeclared groups take one seat each until the account is full.
                for extra in 0..t {
                    api.allocate(&id, &format!("extra-{extra}"), &["IDU"])
                        .await
                        .ok_json();
                    requests += 1;
                }
                let over = api.allocate(&id, "one-too-many", &["IDU"]).await;
                requests += 1;
                assert_eq!(
                    over.problem(StatusCode::CONFLICT)["conflicts"],
                    json!([{"code": "IDU", "requested": 1, "used": seats_owned, "total": seats_owned}])
                );
                assert_eq!(
                    seats(&api, &id).await,
                    BTreeMap::from([("IDU".to_owned(), (seats_owned, seats_owned))])
                );
                requests += 1;

                let counted = count(&api, &json!({"accountId": id})).await;
                assert_eq!(counted, requests);
                let entries = journal(&api, &format!("?accountId={id}")).await;
                assert_eq!(entries.len() as u64, requests);
                assert!(entries.iter().all(|e| e["accountId"] == id.as_str()));
                let conflicts = count(&api, &json!({"accountId": id, "status": 409})).await;
                assert_eq!(conflicts, 1);
                t
            })
        })
        .collect();

    let mut finished = Vec::new();
    for test in tests {
        finished.push(test.await.expect("the test passed"));
    }
    assert_eq!(finished, (0..TESTS).collect::<Vec<_>>());
    // The shared accounts were never touched.
    assert_eq!(seats(&app.api, "1234").await["IDU"], (0, 5));
}

// ---------------------------------------------------------------------------
// Metrics

/// The value of the metric line that starts with `series `.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().expect("a number"))
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    app.api.allocate("acme", "big", &["IDU"]).await;
    app.api.get(&group_path("acme", "team")).await.ok_json();
    app.api.get(&group_path("acme", "five")).await.ok_json();

    let answer = admin(&app.api, Method::GET, "/metrics").await;

    assert_eq!(answer.status, StatusCode::OK);
    let text = answer.body;
    let route = "/lease_/api/account/{account_id}/user-license/group/{group_id}";
    assert_eq!(
        metric(
            &text,
            &format!(r#"license_mock_requests_total{{route="{route}",method="PUT",status="200"}}"#)
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            &format!(r#"license_mock_requests_total{{route="{route}",method="PUT",status="409"}}"#)
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            &format!(r#"license_mock_requests_total{{route="{route}",method="GET",status="200"}}"#)
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"license_mock_allocations_total{operation="group_rule",outcome="conflict"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"license_mock_allocations_total{operation="group_rule",outcome="allocated"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // Admin requests are not counted.
    assert!(!text.contains("__admin"), "{text}");
}

#[tokio::test]
async fn metrics_report_seats_used_and_total_as_the_api_does() {
    let app = spawn_acme().await;
    app.api
        .allocate("acme", "team", &["IDU", "RPADEVPRONU"])
        .await
        .ok_json();
    allocate_users(&app.api, "acme", &["solo"], &["RPADEVPRONU"])
        .await
        .ok_json();

    let text = admin(&app.api, Method::GET, "/metrics").await.body;

    let seats = seats(&app.api, "acme").await;
    assert_eq!(seats["IDU"], (3, 5));
    assert_eq!(seats["RPADEVPRONU"], (4, 10));
    for (code, (allocated, total)) in seats {
        let labels = format!(r#"{{account="acme",code="{code}"}}"#);
        assert_eq!(
            metric(&text, &format!("license_mock_seats_used{labels}")),
            Some(allocated as f64),
            "{text}"
        );
        assert_eq!(
            metric(&text, &format!("license_mock_seats_total{labels}")),
            Some(total as f64),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------------------
// The admin token

/// Every guarded admin route, with a harmless request.
const GUARDED: [(&str, &str); 8] = [
    ("GET", "/__admin/state"),
    ("GET", "/__admin/accounts"),
    ("GET", "/__admin/accounts/acme"),
    ("GET", "/__admin/requests"),
    ("POST", "/__admin/requests/count"),
    ("GET", "/__admin/faults"),
    ("GET", "/__admin/metrics"),
    ("POST", "/__admin/reset?keep=journal,faults"),
];

async fn spawn_with_admin_token() -> TestApp {
    spawn_app_from(
        MockServer::builder()
            .fixtures(crate::helpers::fixtures_from(acme_fixtures()))
            .admin_token("s3cret"),
    )
    .await
}

#[tokio::test]
async fn with_an_admin_token_admin_routes_refuse_requests_without_it() {
    let app = spawn_with_admin_token().await;

    for (method, path) in GUARDED {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let anonymous = send(app.api.anonymous(method.clone(), path)).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            anonymous.header("www-authenticate"),
            Some(r#"Bearer realm="__admin""#)
        );
        assert_eq!(anonymous.body, "");
        // A license token, valid for the license routes, does not open them.
        let license = send(app.api.request(method.clone(), path)).await;
        assert_eq!(license.status, StatusCode::UNAUTHORIZED, "{path}");
        let wrong = send(app.api.anonymous(method.clone(), path).bearer_auth("s3cre")).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn with_an_admin_token_admin_routes_answer_to_it() {
    let app = spawn_with_admin_token().await;

    for (method, path) in GUARDED {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let answer = send(app.api.anonymous(method, path).bearer_auth("s3cret")).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
    }
    let account = json!({"accountId": "mine", "licenses": {"IDU": 1}});
    let created = send(
        app.api
            .anonymous(Method::POST, "/__admin/accounts")
            .bearer_auth("s3cret")
            .json(&account),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
}

#[tokio::test]
async fn with_an_admin_token_a_refused_admin_request_changes_nothing() {
    let app = spawn_with_admin_token().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();

    let reset = send(app.api.request(Method::POST, "/__admin/reset")).await;
    let deleted = send(app.api.request(Method::DELETE, "/__admin/accounts/acme")).await;

    assert_eq!(reset.status, StatusCode::UNAUTHORIZED);
    assert_eq!(deleted.status, StatusCode::UNAUTHORIZED);
    assert_eq!(seats(&app.api, "acme").await["IDU"], (3, 5));
}

#[tokio::test]
async fn with_an_admin_token_health_and_the_license_routes_stay_open() {
    let app = spawn_with_admin_token().await;

    let health = send(app.api.anonymous(Method::GET, "/__admin/health")).await;
    let license = app.api.get("/lease_/api/account/acme/user-license").await;

    assert_eq!(health.ok_json()["status"], "ok");
    license.ok_json();
}

#[tokio::test]
async fn without_an_admin_token_admin_routes_are_open() {
    let app = spawn_acme().await;

    for (method, path) in GUARDED {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let answer = send(app.api.anonymous(method, path)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_fixture_replacements_and_resets_leave_state_and_baseline_together() {
    let app = spawn_acme().await;
    let fixtures = |id: &str| {
        json!({
            "accounts": [{"accountId": id, "licenses": {"IDU": 1}}],
            "tokens": [{"token": format!("token-of-{id}"), "accountId": id, "scopes": ["LA"]}]
        })
    };
    let (first, second) = (fixtures("first"), fixtures("second"));

    for round in 0..40 {
        let (a, b, c) = tokio::join!(
            admin_json(&app.api, Method::PUT, "/fixtures", &first),
            admin_json(&app.api, Method::PUT, "/fixtures", &second),
            admin(&app.api, Method::POST, "/reset"),
        );
        for answer in [a, b, c] {
            answer.ok_json();
        }
        // Whatever the order, the state is one whole document and is its
        // own reset baseline: a reset changes nothing.
        let settled = state_text(&app.api).await;
        reset(&app.api, "").await;
        assert_eq!(state_text(&app.api).await, settled, "round {round}");
        let state: Value = serde_json::from_str(&settled).expect("JSON");
        let account = state["accounts"][0]["accountId"].clone();
        assert_eq!(
            state["tokens"][0]["token"],
            format!("token-of-{}", account.as_str().unwrap_or_default()),
            "round {round}: accounts and credentials from different documents"
        );
    }
}
