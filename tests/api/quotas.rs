//! Group quotas and the listings of rules: `.../group/{groupId}/with-quota`,
//! `.../groups/with-quota`, `POST .../group`; and the seat arithmetic across
//! every source of usage at once (SPEC §2, §3).

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::helpers::{Answer, TestApp, group_path, send, spawn_acme, spawn_app_with};

/// The with-quota route of a group under `/lease_`.
fn quota_path(account: &str, group: &str) -> String {
    format!("/lease_/api/account/{account}/user-license/group/{group}/with-quota")
}

/// The listing of rules with quotas under `/lease_`, with a query.
fn listing_path(account: &str, query: &str) -> String {
    format!("/lease_/api/account/{account}/user-license/groups/with-quota{query}")
}

/// `RetrieveGroupAllocations` under `/lease_`.
fn retrieve_path(account: &str) -> String {
    format!("/lease_/api/account/{account}/user-license/group")
}

/// The users route under `/lease_`.
fn users_path(account: &str) -> String {
    format!("/lease_/api/account/{account}/user-license")
}

/// POST of a JSON body.
async fn post_json(app: &TestApp, path: &str, body: &Value) -> Answer {
    send(app.api.request(Method::POST, path).json(body)).await
}

/// `AllocateGroupRuleWithQuota` of `codes` with `quotas` (code, limit).
async fn allocate_with_quota(
    app: &TestApp,
    account: &str,
    group: &str,
    codes: &[&str],
    quotas: &[(&str, i64)],
) -> Answer {
    let quotas: Vec<Value> = quotas
        .iter()
        .map(|(code, limit)| json!({"userBundleCode": code, "limit": limit}))
        .collect();
    let body = json!({"userBundleCodes": codes, "useExternalLicense": false, "quotas": quotas});
    app.api.put_json(&quota_path(account, group), &body).await
}

/// `AllocateUserLicensesForAccount`.
async fn allocate_users(app: &TestApp, account: &str, users: &[&str], codes: &[&str]) -> Answer {
    let body = json!({"userIds": users, "userBundleCodes": codes, "useExternalLicense": false});
    app.api.put_json(&users_path(account), &body).await
}

/// The account's totals as `code -> (allocated, total)`.
async fn seats(app: &TestApp, account: &str) -> BTreeMap<String, (u64, u64)> {
    let totals = app.api.get(&users_path(account)).await.ok_json();
    totals
        .as_array()
        .expect("the totals are a list")
        .iter()
        .map(|bundle| {
            let number = |key: &str| bundle[key].as_u64().expect("a count");
            (
                bundle["code"].as_str().expect("a code").to_owned(),
                (number("allocated"), number("total")),
            )
        })
        .collect()
}

fn validation_problem(errors: Value) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": errors
    })
}

fn not_found(detail: &str) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        "title": "Not Found",
        "status": 404,
        "detail": detail
    })
}

// --- PUT and GET .../group/{groupId}/with-quota ----------------------------

#[tokio::test]
async fn a_put_with_quota_answers_the_rule_and_each_quota_with_its_current_usage() {
    let app = spawn_acme().await;

    // big has 8 members: the quota caps IDU at 3, RPADEVPRONU is uncapped.
    let answer =
        allocate_with_quota(&app, "acme", "big", &["RPADEVPRONU", "IDU"], &[("IDU", 3)]).await;

    assert_eq!(
        answer.ok_json(),
        json!({
            "groupRule": {
                "groupId": "big",
                "organizationId": "acme",
                "useExternalLicense": false,
                "userBundleCodes": ["RPADEVPRONU", "IDU"]
            },
            "quotas": [{"userBundleCode": "IDU", "limit": 3, "currentUsage": 3}]
        })
    );
    assert_eq!(
        seats(&app, "acme").await,
        BTreeMap::from([
            ("IDU".to_owned(), (3, 5)),
            ("RPADEVPRONU".to_owned(), (8, 10))
        ])
    );
}

#[tokio::test]
async fn a_get_with_quota_answers_what_the_put_set() {
    let app = spawn_acme().await;
    let put = allocate_with_quota(
        &app,
        "acme",
        "five",
        &["IDU", "RPADEVPRONU"],
        &[("IDU", 2), ("RPADEVPRONU", 4)],
    )
    .await
    .ok_json();

    let get = app.api.get(&quota_path("acme", "five")).await.ok_json();

    assert_eq!(get, put);
    assert_eq!(
        get,
        json!({
            "groupRule": {
                "groupId": "five",
                "organizationId": "acme",
                "useExternalLicense": false,
                "userBundleCodes": ["IDU", "RPADEVPRONU"]
            },
            "quotas": [
                {"userBundleCode": "IDU", "limit": 2, "currentUsage": 2},
                {"userBundleCode": "RPADEVPRONU", "limit": 4, "currentUsage": 4}
            ]
        })
    );
}

#[tokio::test]
async fn a_quota_above_the_group_size_reserves_one_seat_per_member() {
    let app = spawn_acme().await;

    let answer = allocate_with_quota(&app, "acme", "team", &["IDU"], &[("IDU", 4)]).await;

    assert_eq!(
        answer.ok_json()["quotas"],
        json!([{"userBundleCode": "IDU", "limit": 4, "currentUsage": 3}])
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 3);
}

#[tokio::test]
async fn a_quota_on_a_group_nobody_declared_reserves_its_one_seat() {
    let app = spawn_acme().await;

    let answer = allocate_with_quota(&app, "acme", "stray", &["IDU"], &[("IDU", 3)]).await;

    assert_eq!(
        answer.ok_json()["quotas"],
        json!([{"userBundleCode": "IDU", "limit": 3, "currentUsage": 1}])
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 1);
}

#[tokio::test]
async fn an_external_rule_with_a_quota_uses_no_seats() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &quota_path("acme", "big"),
            &json!({
                "userBundleCodes": ["IDU"],
                "useExternalLicense": true,
                "quotas": [{"userBundleCode": "IDU", "limit": 2}]
            }),
        )
        .await;

    assert_eq!(
        answer.ok_json(),
        json!({
            "groupRule": {"groupId": "big", "organizationId": "acme", "useExternalLicense": true, "userBundleCodes": ["IDU"]},
            "quotas": [{"userBundleCode": "IDU", "limit": 2, "currentUsage": 0}]
        })
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn a_quota_lets_a_group_larger_than_the_seats_hold_a_rule() {
    let app = spawn_acme().await;
    // big (8 members) does not fit in IDU's 5 seats without a quota.
    let uncapped = allocate_with_quota(&app, "acme", "big", &["IDU"], &[]).await;
    assert_eq!(
        uncapped.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "IDU", "requested": 8, "used": 0, "total": 5}])
    );

    let capped = allocate_with_quota(&app, "acme", "big", &["IDU"], &[("IDU", 5)]).await;

    assert_eq!(capped.status, StatusCode::OK, "body: {}", capped.body);
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
}

#[tokio::test]
async fn a_put_without_quotas_answers_an_empty_list_of_quotas() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &quota_path("acme", "team"),
            &json!({"userBundleCodes": ["IDU"]}),
        )
        .await;

    assert_eq!(
        answer.ok_json(),
        json!({
            "groupRule": {"groupId": "team", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["IDU"]},
            "quotas": []
        })
    );
}

#[tokio::test]
async fn a_plain_put_replaces_the_whole_rule_and_drops_its_quotas() {
    let app = spawn_acme().await;
    allocate_with_quota(&app, "acme", "big", &["IDU"], &[("IDU", 2)])
        .await
        .ok_json();

    // The plain route ignores `quotas`: the new rule is uncapped.
    let answer = app
        .api
        .put_json(
            &group_path("acme", "big"),
            &json!({"userBundleCodes": ["RPADEVPRONU"], "quotas": [{"userBundleCode": "RPADEVPRONU", "limit": 1}]}),
        )
        .await;

    assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
    assert_eq!(
        app.api.get(&quota_path("acme", "big")).await.ok_json(),
        json!({
            "groupRule": {"groupId": "big", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["RPADEVPRONU"]},
            "quotas": []
        })
    );
    assert_eq!(
        seats(&app, "acme").await,
        BTreeMap::from([
            ("IDU".to_owned(), (0, 5)),
            ("RPADEVPRONU".to_owned(), (8, 10))
        ])
    );
}

#[tokio::test]
async fn a_declared_group_without_a_rule_answers_empty_codes_and_no_quotas() {
    let app = spawn_acme().await;

    let answer = app.api.get(&quota_path("acme", "team")).await;

    assert_eq!(
        answer.ok_json(),
        json!({
            "groupRule": {"groupId": "team", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": []},
            "quotas": []
        })
    );
}

#[tokio::test]
async fn a_group_never_declared_and_without_a_rule_is_404() {
    let app = spawn_acme().await;

    let answer = app.api.get(&quota_path("acme", "nobody")).await;

    assert_eq!(
        answer.problem(StatusCode::NOT_FOUND),
        not_found("Group 'nobody' has no rule in account 'acme'.")
    );
}

#[tokio::test]
async fn an_undeclared_group_whose_rule_was_removed_is_404_again() {
    let app = spawn_acme().await;
    allocate_with_quota(&app, "acme", "stray", &["IDU"], &[("IDU", 1)])
        .await
        .ok_json();
    assert_eq!(
        app.api.get(&quota_path("acme", "stray")).await.status,
        StatusCode::OK
    );

    app.api.delete(&group_path("acme", "stray")).await;

    assert_eq!(
        app.api.get(&quota_path("acme", "stray")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn the_current_usage_follows_the_group_size_when_its_members_change() {
    let app = spawn_acme().await;
    allocate_with_quota(&app, "acme", "five", &["IDU"], &[("IDU", 3)])
        .await
        .ok_json();

    let shrunk = app
        .api
        .put_json("/__admin/accounts/acme/groups/five", &json!({"members": 2}))
        .await;

    assert_eq!(shrunk.status, StatusCode::OK, "body: {}", shrunk.body);
    assert_eq!(
        app.api.get(&quota_path("acme", "five")).await.ok_json()["quotas"],
        json!([{"userBundleCode": "IDU", "limit": 3, "currentUsage": 2}])
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 2);
}

// --- 400 of the with-quota PUT ---------------------------------------------

#[tokio::test]
async fn a_quota_naming_a_code_outside_the_rule_is_400_keyed_by_the_quota() {
    let app = spawn_acme().await;

    let answer = allocate_with_quota(&app, "acme", "team", &["IDU"], &[("RPADEVPRONU", 2)]).await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[0].userBundleCode": ["The quota's code 'RPADEVPRONU' is not in userBundleCodes."]
        }))
    );
}

#[tokio::test]
async fn a_quota_limit_below_one_is_400_keyed_by_the_limit() {
    let app = spawn_acme().await;

    let zero = allocate_with_quota(&app, "acme", "team", &["IDU"], &[("IDU", 0)]).await;
    let negative = allocate_with_quota(
        &app,
        "acme",
        "team",
        &["IDU", "RPADEVPRONU"],
        &[("IDU", 2), ("RPADEVPRONU", -1)],
    )
    .await;

    assert_eq!(
        zero.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[0].limit": ["The quota's limit must be at least 1."]
        }))
    );
    assert_eq!(
        negative.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[1].limit": ["The quota's limit must be at least 1."]
        }))
    );
}

#[tokio::test]
async fn a_quota_without_a_limit_is_400_as_a_limit_of_zero() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &quota_path("acme", "team"),
            &json!({"userBundleCodes": ["IDU"], "quotas": [{"userBundleCode": "IDU"}]}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[0].limit": ["The quota's limit must be at least 1."]
        }))
    );
}

#[tokio::test]
async fn a_quota_without_a_code_is_400_keyed_by_its_code() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &quota_path("acme", "team"),
            &json!({"userBundleCodes": ["IDU"], "quotas": [{"limit": 2}, {"userBundleCode": "", "limit": 2}]}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[0].userBundleCode": ["A quota must name a user bundle code."],
            "$.quotas[1].userBundleCode": ["A quota must name a user bundle code."]
        }))
    );
}

#[tokio::test]
async fn two_quotas_for_one_code_are_400_keyed_by_the_second() {
    let app = spawn_acme().await;

    let answer =
        allocate_with_quota(&app, "acme", "team", &["IDU"], &[("IDU", 2), ("IDU", 3)]).await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[1].userBundleCode": ["'IDU' has two quotas."]
        }))
    );
}

#[tokio::test]
async fn quotas_of_the_wrong_types_are_400_keyed_by_their_json_paths() {
    let app = spawn_acme().await;
    let path = quota_path("acme", "team");

    let not_a_list = app
        .api
        .put_json(
            &path,
            &json!({"userBundleCodes": ["IDU"], "quotas": {"IDU": 2}}),
        )
        .await;
    let not_an_object = app
        .api
        .put_json(
            &path,
            &json!({"userBundleCodes": ["IDU"], "quotas": ["IDU"]}),
        )
        .await;
    let code_not_a_string = app
        .api
        .put_json(
            &path,
            &json!({"userBundleCodes": ["IDU"], "quotas": [{"userBundleCode": 1, "limit": 2}]}),
        )
        .await;

    assert_eq!(
        not_a_list.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas": ["The JSON value could not be converted to System.Collections.Generic.List`1[UiPath.LicenseAccountant.QuotaDto]. Path: $.quotas."]
        }))
    );
    assert_eq!(
        not_an_object.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[0]": ["The JSON value could not be converted to UiPath.LicenseAccountant.QuotaDto. Path: $.quotas[0]."]
        }))
    );
    assert_eq!(
        code_not_a_string.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.quotas[0].userBundleCode": ["The JSON value could not be converted to System.String. Path: $.quotas[0].userBundleCode."]
        }))
    );
}

#[tokio::test]
async fn a_limit_of_the_wrong_type_is_400_keyed_by_the_limit() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &quota_path("acme", "team"),
            &json!({"userBundleCodes": ["IDU"], "quotas": [{"userBundleCode": "IDU", "limit": "3"}]}),
        )
        .await;

    let problem = answer.problem(StatusCode::BAD_REQUEST);
    assert_eq!(
        problem["errors"]["$.quotas[0].limit"][0],
        "The JSON value could not be converted to System.Int32. Path: $.quotas[0].limit."
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn a_limit_of_the_wrong_type_is_400_with_the_conversion_message_only() {
    let app = spawn_acme().await;
    let path = quota_path("acme", "team");

    let text = app
        .api
        .put_json(
            &path,
            &json!({"userBundleCodes": ["IDU"], "quotas": [{"userBundleCode": "IDU", "limit": "3"}]}),
        )
        .await;
    let too_large = app
        .api
        .put_json(
            &path,
            &json!({"userBundleCodes": ["IDU"], "quotas": [{"userBundleCode": "IDU", "limit": 2_147_483_648_i64}]}),
        )
        .await;

    let expected = validation_problem(json!({
        "$.quotas[0].limit": ["The JSON value could not be converted to System.Int32. Path: $.quotas[0].limit."]
    }));
    assert_eq!(text.problem(StatusCode::BAD_REQUEST), expected);
    assert_eq!(too_large.problem(StatusCode::BAD_REQUEST), expected);
}

#[tokio::test]
async fn a_refused_with_quota_put_changes_nothing() {
    let app = spawn_acme().await;
    allocate_with_quota(&app, "acme", "team", &["IDU"], &[("IDU", 2)])
        .await
        .ok_json();
    let before = app.api.get(&quota_path("acme", "team")).await.ok_json();

    let answer = allocate_with_quota(
        &app,
        "acme",
        "team",
        &["RPADEVPRONU"],
        &[("RPADEVPRONU", 0)],
    )
    .await;

    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "body: {}",
        answer.body
    );
    assert_eq!(
        app.api.get(&quota_path("acme", "team")).await.ok_json(),
        before
    );
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 0);
}

// --- 404 and 409 ------------------------------------------------------------

/// One request to each quota and listing route of `account`.
async fn every_quota_route(
    app: &TestApp,
    prefix: &str,
    account: &str,
) -> Vec<(&'static str, Answer)> {
    let base = format!("{prefix}/api/account/{account}/user-license");
    let rule =
        json!({"userBundleCodes": ["IDU"], "quotas": [{"userBundleCode": "IDU", "limit": 1}]});
    vec![
        (
            "PUT with-quota",
            app.api
                .put_json(&format!("{base}/group/team/with-quota"), &rule)
                .await,
        ),
        (
            "GET with-quota",
            app.api.get(&format!("{base}/group/team/with-quota")).await,
        ),
        (
            "GET groups/with-quota",
            app.api.get(&format!("{base}/groups/with-quota")).await,
        ),
        (
            "POST group",
            post_json(
                app,
                &format!("{base}/group"),
                &json!({"groupIds": ["team"]}),
            )
            .await,
        ),
    ]
}

#[tokio::test]
async fn every_quota_route_is_404_for_an_unknown_account_or_one_without_a_license() {
    let app = spawn_app_with(json!({
        "accounts": [
            {"accountId": "acme", "licenses": {"IDU": 5}, "groups": [{"groupId": "team", "members": 2}]},
            {"accountId": "no-license", "licenses": null, "groups": [{"groupId": "team", "members": 2}]}
        ]
    }))
    .await;

    for (route, answer) in every_quota_route(&app, "/lease_", "nobody").await {
        assert_eq!(
            answer.problem(StatusCode::NOT_FOUND),
            not_found(
                "No account license is allocated for the indicated organization. (account 'nobody': no such account exists)"
            ),
            "{route}"
        );
    }
    for (route, answer) in every_quota_route(&app, "/lease_", "no-license").await {
        assert_eq!(
            answer.problem(StatusCode::NOT_FOUND),
            not_found(
                "No account license is allocated for the indicated organization. (account 'no-license': the account has no account license)"
            ),
            "{route}"
        );
    }
}

#[tokio::test]
async fn a_quota_rule_lacking_seats_is_409_and_keeps_the_previous_rule() {
    let app = spawn_acme().await;
    allocate_users(&app, "acme", &["u1", "u2"], &["IDU"])
        .await
        .ok_json();
    allocate_with_quota(&app, "acme", "big", &["IDU"], &[("IDU", 1)])
        .await
        .ok_json();
    // IDU: 2 users + 1 (big capped at 1) = 3 of 5.

    let answer =
        allocate_with_quota(&app, "acme", "big", &["RPADEVPRONU", "IDU"], &[("IDU", 4)]).await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "title": "Conflict",
            "status": 409,
            "detail": "The allocation exceeds the account license quantities for: IDU.",
            "conflicts": [{"code": "IDU", "requested": 4, "used": 3, "total": 5}]
        })
    );
    assert_eq!(
        app.api.get(&quota_path("acme", "big")).await.ok_json(),
        json!({
            "groupRule": {"groupId": "big", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["IDU"]},
            "quotas": [{"userBundleCode": "IDU", "limit": 1, "currentUsage": 1}]
        })
    );
    assert_eq!(
        seats(&app, "acme").await,
        BTreeMap::from([
            ("IDU".to_owned(), (3, 5)),
            ("RPADEVPRONU".to_owned(), (0, 10))
        ])
    );
}

#[tokio::test]
async fn a_quota_rule_naming_a_code_not_held_is_409() {
    let app = spawn_acme().await;

    let answer = allocate_with_quota(&app, "acme", "team", &["NOPE"], &[("NOPE", 1)]).await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "NOPE", "requested": 1, "used": 0, "total": 0}])
    );
    assert_eq!(
        app.api.get(&quota_path("acme", "team")).await.ok_json()["groupRule"]["userBundleCodes"],
        json!([])
    );
}

// --- GET .../groups/with-quota ----------------------------------------------

/// `lib`: IDU 20, PMD 20; named groups in no order of their ids, two of them
/// sharing a name, and one group without a rule.
async fn spawn_library() -> TestApp {
    spawn_app_with(json!({
        "accounts": [{
            "accountId": "lib",
            "licenses": {"IDU": 20, "PMD": 20},
            "groups": [
                {"groupId": "g-ops", "name": "Operations", "members": 4,
                 "rule": {"userBundleCodes": ["IDU", "PMD"], "quotas": {"IDU": 2}}},
                {"groupId": "g-dev-2", "name": "Developers", "members": ["ann", "bob"],
                 "rule": {"userBundleCodes": ["PMD"]}},
                {"groupId": "g-dev-1", "name": "Developers", "members": 3,
                 "rule": {"userBundleCodes": ["IDU"], "useExternalLicense": true, "quotas": {"IDU": 1}}},
                {"groupId": "g-idle", "name": "Archivists", "members": 9}
            ]
        }]
    }))
    .await
}

#[tokio::test]
async fn the_listing_answers_every_ruled_group_sorted_by_name_then_id_with_its_quotas() {
    let app = spawn_library().await;

    let page = app.api.get(&listing_path("lib", "")).await;

    assert_eq!(
        page.ok_json(),
        json!({
            "results": [
                {
                    "groupRule": {
                        "id": "g-dev-1", "name": "Developers",
                        "userBundleLicenses": ["IDU"], "userBundleLeases": {"IDU": 0},
                        "useExternalLicense": true, "orphan": false,
                        "userLicenseBundlesUnavailable": []
                    },
                    "quotas": [{"userBundleCode": "IDU", "limit": 1, "currentUsage": 0}]
                },
                {
                    "groupRule": {
                        "id": "g-dev-2", "name": "Developers",
                        "userBundleLicenses": ["PMD"], "userBundleLeases": {"PMD": 2},
                        "useExternalLicense": false, "orphan": false,
                        "userLicenseBundlesUnavailable": []
                    },
                    "quotas": []
                },
                {
                    "groupRule": {
                        "id": "g-ops", "name": "Operations",
                        "userBundleLicenses": ["IDU", "PMD"], "userBundleLeases": {"IDU": 2, "PMD": 4},
                        "useExternalLicense": false, "orphan": false,
                        "userLicenseBundlesUnavailable": []
                    },
                    "quotas": [{"userBundleCode": "IDU", "limit": 2, "currentUsage": 2}]
                }
            ],
            "totalCount": 3
        })
    );
}

/// The ids of a listing page, in order, and its `totalCount`.
async fn page_ids(app: &TestApp, account: &str, query: &str) -> (Vec<String>, u64) {
    let page = app.api.get(&listing_path(account, query)).await.ok_json();
    let ids = page["results"]
        .as_array()
        .expect("results is a list")
        .iter()
        .map(|r| r["groupRule"]["id"].as_str().expect("an id").to_owned())
        .collect();
    (ids, page["totalCount"].as_u64().expect("a count"))
}

#[tokio::test]
async fn sort_order_desc_reverses_the_listing() {
    let app = spawn_library().await;

    let descending = page_ids(&app, "lib", "?sortOrder=desc").await;
    let ascending = page_ids(&app, "lib", "?sortOrder=asc").await;

    assert_eq!(
        descending,
        (vec!["g-ops".into(), "g-dev-2".into(), "g-dev-1".into()], 3)
    );
    assert_eq!(
        ascending,
        (vec!["g-dev-1".into(), "g-dev-2".into(), "g-ops".into()], 3)
    );
}

#[tokio::test]
async fn query_names_and_the_sort_order_are_read_case_insensitively() {
    let app = spawn_library().await;

    let page = page_ids(&app, "lib", "?SortOrder=DESC&TOP=1&Skip=1").await;

    assert_eq!(page, (vec!["g-dev-2".into()], 3));
}

#[tokio::test]
async fn the_listing_of_an_account_without_rules_is_empty() {
    let app = spawn_acme().await;

    let page = app.api.get(&listing_path("acme", "")).await;

    assert_eq!(page.ok_json(), json!({"results": [], "totalCount": 0}));
}

/// `acme` (IDU 20) with rules on twelve undeclared groups `r00`..`r11`.
async fn spawn_twelve_rules() -> TestApp {
    let app =
        spawn_app_with(json!({"accounts": [{"accountId": "acme", "licenses": {"IDU": 20}}]})).await;
    for i in 0..12 {
        allocate_with_quota(&app, "acme", &format!("r{i:02}"), &["IDU"], &[("IDU", 1)])
            .await
            .ok_json();
    }
    app
}

fn rule_ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("r{i:02}")).collect()
}

#[tokio::test]
async fn the_listing_pages_ten_rules_by_default() {
    let app = spawn_twelve_rules().await;

    assert_eq!(page_ids(&app, "acme", "").await, (rule_ids(0..10), 12));
    assert_eq!(
        page_ids(&app, "acme", "?skip=10").await,
        (rule_ids(10..12), 12)
    );
}

#[tokio::test]
async fn top_and_skip_select_a_page_and_total_count_counts_every_rule() {
    let app = spawn_twelve_rules().await;

    assert_eq!(
        page_ids(&app, "acme", "?top=3&skip=4").await,
        (rule_ids(4..7), 12)
    );
    assert_eq!(
        page_ids(&app, "acme", "?top=50").await,
        (rule_ids(0..12), 12)
    );
    assert_eq!(page_ids(&app, "acme", "?top=1").await, (rule_ids(0..1), 12));
}

#[tokio::test]
async fn skip_past_the_end_answers_no_results_and_the_total_count() {
    let app = spawn_twelve_rules().await;

    let at_end = app.api.get(&listing_path("acme", "?skip=12")).await;
    let far = app
        .api
        .get(&listing_path("acme", "?skip=2147483647&top=50"))
        .await;

    assert_eq!(at_end.ok_json(), json!({"results": [], "totalCount": 12}));
    assert_eq!(far.ok_json(), json!({"results": [], "totalCount": 12}));
}

#[tokio::test]
async fn top_outside_one_to_fifty_is_400_keyed_top() {
    let app = spawn_acme().await;
    let expected = validation_problem(json!({"top": ["The field top must be between 1 and 50."]}));

    for query in ["?top=0", "?top=51", "?top=-1"] {
        let answer = app.api.get(&listing_path("acme", query)).await;
        assert_eq!(answer.problem(StatusCode::BAD_REQUEST), expected, "{query}");
    }
}

#[tokio::test]
async fn a_negative_skip_is_400_keyed_skip() {
    let app = spawn_acme().await;

    let answer = app.api.get(&listing_path("acme", "?skip=-1")).await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({"skip": ["The field skip must be between 0 and 2147483647."]}))
    );
}

#[tokio::test]
async fn paging_values_that_are_not_numbers_are_400_keyed_by_their_names() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .get(&listing_path(
            "acme",
            "?top=abc&skip=1.5&sortOrder=sideways",
        ))
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "skip": ["The value '1.5' is not valid for skip."],
            "sortOrder": ["The value 'sideways' is not valid for sortOrder; use asc or desc."],
            "top": ["The value 'abc' is not valid for top."]
        }))
    );
}

#[tokio::test]
async fn a_numeric_sort_order_is_bound_as_asp_net_core_binds_the_sort_order_enum() {
    let app = spawn_library().await;

    let ascending = page_ids(&app, "lib", "?sortOrder=0").await;
    let descending = page_ids(&app, "lib", "?sortOrder=1").await;

    assert_eq!(
        ascending,
        (vec!["g-dev-1".into(), "g-dev-2".into(), "g-ops".into()], 3)
    );
    assert_eq!(
        descending,
        (vec!["g-ops".into(), "g-dev-2".into(), "g-dev-1".into()], 3)
    );
}

// --- POST .../group: RetrieveGroupAllocations -------------------------------

#[tokio::test]
async fn a_post_answers_the_rules_of_the_named_groups_that_have_one_in_request_order() {
    let app = spawn_library().await;

    // g-idle has no rule and nobody is unknown; g-ops is named twice.
    let answer = post_json(
        &app,
        &retrieve_path("lib"),
        &json!({"groupIds": ["g-ops", "nobody", "g-idle", "g-dev-1", "g-ops"]}),
    )
    .await;

    assert_eq!(
        answer.ok_json(),
        json!([
            {
                "id": "g-ops", "name": "Operations",
                "userBundleLicenses": ["IDU", "PMD"], "userBundleLeases": {"IDU": 2, "PMD": 4},
                "useExternalLicense": false, "orphan": false
            },
            {
                "id": "g-dev-1", "name": "Developers",
                "userBundleLicenses": ["IDU"], "userBundleLeases": {"IDU": 0},
                "useExternalLicense": true, "orphan": false
            }
        ])
    );
}

#[tokio::test]
async fn a_post_shows_an_undeclared_group_without_a_name_holding_one_seat() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "stray", &["IDU"]).await.ok_json();

    let answer = post_json(
        &app,
        &retrieve_path("acme"),
        &json!({"groupIds": ["stray"]}),
    )
    .await;

    assert_eq!(
        answer.ok_json(),
        json!([{
            "id": "stray", "name": null,
            "userBundleLicenses": ["IDU"], "userBundleLeases": {"IDU": 1},
            "useExternalLicense": false, "orphan": false
        }])
    );
}

#[tokio::test]
async fn a_post_without_group_ids_answers_an_empty_list() {
    let app = spawn_library().await;

    let empty = post_json(&app, &retrieve_path("lib"), &json!({"groupIds": []})).await;
    let null = post_json(&app, &retrieve_path("lib"), &json!({"groupIds": null})).await;

    assert_eq!(empty.ok_json(), json!([]));
    assert_eq!(null.ok_json(), json!([]));
}

#[tokio::test]
async fn group_ids_that_are_not_a_list_of_strings_are_400() {
    let app = spawn_library().await;

    let not_a_list = post_json(&app, &retrieve_path("lib"), &json!({"groupIds": "g-ops"})).await;
    let not_strings = post_json(
        &app,
        &retrieve_path("lib"),
        &json!({"groupIds": ["g-ops", 3]}),
    )
    .await;

    assert_eq!(
        not_a_list.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.groupIds": ["The JSON value could not be converted to System.Collections.Generic.List`1[System.String]. Path: $.groupIds."]
        }))
    );
    assert_eq!(
        not_strings.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.groupIds[1]": ["The JSON value could not be converted to System.String. Path: $.groupIds[1]."]
        }))
    );
}

// --- the arithmetic across sources (SPEC §2) --------------------------------

/// `used(C)` recounted from the state in fixture format: one seat per direct
/// non-external user, and `min(members, quota)` per non-external rule.
fn recount(state: &Value, account: &str) -> BTreeMap<String, u64> {
    let account = state["accounts"]
        .as_array()
        .expect("accounts is a list")
        .iter()
        .find(|a| a["accountId"] == account)
        .expect("the account is in the state");
    let mut used: BTreeMap<String, u64> = account["licenses"]
        .as_object()
        .expect("the account holds licenses")
        .keys()
        .map(|code| (code.clone(), 0))
        .collect();
    for group in account["groups"].as_array().into_iter().flatten() {
        let Some(rule) = group.get("rule") else {
            continue;
        };
        if rule["useExternalLicense"] == true {
            continue;
        }
        let members = match group.get("members") {
            None => 1,
            Some(Value::Array(ids)) => ids.len() as u64,
            Some(count) => count.as_u64().expect("a member count"),
        };
        for code in rule["userBundleCodes"].as_array().expect("codes") {
            let code = code.as_str().expect("a code");
            let quota = rule.get("quotas").and_then(|q| q[code].as_u64());
            *used.entry(code.to_owned()).or_default() += quota.map_or(members, |q| members.min(q));
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

/// Asserts `allocated <= total` for every code and that `allocated` equals a
/// recount from `GET /__admin/state`.
async fn assert_seats_match_a_recount(app: &TestApp, account: &str) {
    let seats = seats(app, account).await;
    let state = app.api.get("/__admin/state").await.ok_json();
    let recounted = recount(&state, account);
    for (code, (allocated, total)) in &seats {
        assert!(
            allocated <= total,
            "{code}: {allocated} of {total} allocated"
        );
        assert_eq!(
            Some(allocated),
            recounted.get(code),
            "{code}: allocated differs from the recount of {state}"
        );
    }
    assert_eq!(seats.len(), recounted.len(), "{state}");
}

#[tokio::test]
async fn direct_allocations_and_group_rules_with_quotas_are_all_counted() {
    let app = spawn_app_with(json!({
        "accounts": [{
            "accountId": "mix",
            "licenses": {"IDU": 10, "PMD": 3, "RPADEVPRONU": 10},
            "groups": [
                {"groupId": "team", "name": "Team", "members": ["ann", "bob", "cy"]},
                {"groupId": "big", "name": "Big", "members": 8}
            ]
        }]
    }))
    .await;

    // ann and dan directly: IDU 2.
    allocate_users(&app, "mix", &["ann", "dan"], &["IDU", "RPADEVPRONU"])
        .await
        .ok_json();
    // big capped at 4: IDU 6.
    allocate_with_quota(&app, "mix", "big", &["IDU"], &[("IDU", 4)])
        .await
        .ok_json();
    // team, ann included again (a rule and a direct allocation both count): IDU 9.
    app.api.allocate("mix", "team", &["IDU"]).await.ok_json();
    // External allocations count nothing.
    app.api
        .put_json(
            &users_path("mix"),
            &json!({"userIds": ["eve", "fay"], "userBundleCodes": ["IDU", "PMD"], "useExternalLicense": true}),
        )
        .await
        .ok_json();

    assert_eq!(
        seats(&app, "mix").await,
        BTreeMap::from([
            ("IDU".to_owned(), (9, 10)),
            ("PMD".to_owned(), (0, 3)),
            ("RPADEVPRONU".to_owned(), (2, 10))
        ])
    );
    assert_seats_match_a_recount(&app, "mix").await;

    // One seat left: raising big's quota by two does not fit; by one does.
    let too_much = allocate_with_quota(&app, "mix", "big", &["IDU"], &[("IDU", 6)]).await;
    assert_eq!(
        too_much.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "IDU", "requested": 6, "used": 9, "total": 10}])
    );
    allocate_with_quota(&app, "mix", "big", &["IDU"], &[("IDU", 5)])
        .await
        .ok_json();
    assert_eq!(app.api.allocated("mix", "IDU").await, 10);

    // Replacing ann's allocation frees her IDU and RPADEVPRONU seats.
    allocate_users(&app, "mix", &["ann"], &["PMD"])
        .await
        .ok_json();
    assert_eq!(
        seats(&app, "mix").await,
        BTreeMap::from([
            ("IDU".to_owned(), (9, 10)),
            ("PMD".to_owned(), (1, 3)),
            ("RPADEVPRONU".to_owned(), (1, 10))
        ])
    );
    assert_seats_match_a_recount(&app, "mix").await;

    // A direct user fits in the freed seat; the next one does not.
    allocate_users(&app, "mix", &["gus"], &["IDU"])
        .await
        .ok_json();
    let full = allocate_users(&app, "mix", &["hal"], &["IDU"]).await;
    assert_eq!(
        full.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "IDU", "requested": 1, "used": 10, "total": 10}])
    );
    assert_seats_match_a_recount(&app, "mix").await;
}

#[tokio::test]
async fn the_listing_and_the_totals_agree_on_the_seats_each_rule_holds() {
    let app = spawn_library().await;
    allocate_users(&app, "lib", &["ann"], &["IDU"])
        .await
        .ok_json();

    let page = app.api.get(&listing_path("lib", "?top=50")).await.ok_json();
    let mut from_rules: BTreeMap<String, u64> = BTreeMap::new();
    for result in page["results"].as_array().expect("a list") {
        for (code, seats) in result["groupRule"]["userBundleLeases"]
            .as_object()
            .expect("leases by code")
        {
            *from_rules.entry(code.clone()).or_default() += seats.as_u64().expect("a count");
        }
    }

    // Rules: IDU 0 + 2, PMD 2 + 4; plus ann's direct IDU seat.
    assert_eq!(
        from_rules,
        BTreeMap::from([("IDU".to_owned(), 2), ("PMD".to_owned(), 6)])
    );
    assert_eq!(
        seats(&app, "lib").await,
        BTreeMap::from([("IDU".to_owned(), (3, 20)), ("PMD".to_owned(), (6, 20))])
    );
    assert_seats_match_a_recount(&app, "lib").await;
}

// --- the invariant under concurrent mixed requests --------------------------

/// A small deterministic generator, so a failure replays the same requests.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One request of the mix, chosen by `seed`.
fn mixed_request(seed: u64) -> (Method, String, Value) {
    const CODES: [&str; 3] = ["IDU", "PMD", "RPADEVPRONU"];
    const GROUPS: [&str; 4] = ["g2", "g3", "g5", "stray"];
    let mut rng = Lcg(seed);
    let pick_codes = |rng: &mut Lcg| -> Vec<&str> {
        (0..=rng.below(3))
            .map(|_| CODES[rng.below(3) as usize])
            .collect()
    };
    let users: Vec<String> = (0..=rng.below(4))
        .map(|_| format!("u{}", rng.below(8)))
        .collect();
    let group = GROUPS[rng.below(4) as usize];
    let external = rng.below(5) == 0;
    match rng.below(5) {
        0 | 1 => (
            Method::PUT,
            users_path("race"),
            json!({"userIds": users, "userBundleCodes": pick_codes(&mut rng), "useExternalLicense": external}),
        ),
        2 => (
            Method::DELETE,
            users_path("race"),
            json!({"userIds": users}),
        ),
        3 => (
            Method::PUT,
            group_path("race", group),
            json!({"userBundleCodes": pick_codes(&mut rng), "useExternalLicense": external}),
        ),
        _ => {
            let codes = pick_codes(&mut rng);
            let quota_code = codes[0];
            (
                Method::PUT,
                quota_path("race", group),
                json!({
                    "userBundleCodes": codes,
                    "useExternalLicense": external,
                    "quotas": [{"userBundleCode": quota_code, "limit": 1 + rng.below(3)}]
                }),
            )
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_user_and_group_requests_on_one_account_keep_every_count_exact() {
    const TASKS: u64 = 120;
    let app = spawn_app_with(json!({
        "accounts": [{
            "accountId": "race",
            "licenses": {"IDU": 6, "PMD": 4, "RPADEVPRONU": 7},
            "groups": [
                {"groupId": "g2", "members": ["u0", "u1"]},
                {"groupId": "g3", "members": 3},
                {"groupId": "g5", "members": 5}
            ]
        }]
    }))
    .await;
    let start = Arc::new(Barrier::new(TASKS as usize));

    let tasks: Vec<_> = (0..TASKS)
        .map(|seed| {
            let api = app.api.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let (method, path, body) = mixed_request(seed);
                start.wait().await;
                let answer = send(api.request(method.clone(), &path).json(&body)).await;
                (method, path, body, answer)
            })
        })
        .collect();
    let mut statuses = BTreeMap::new();
    for task in tasks {
        let (method, path, body, answer) = task.await.expect("the task finished");
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::CONFLICT,
            "{method} {path} {body}: {} {}",
            answer.status,
            answer.body
        );
        *statuses.entry(answer.status.as_u16()).or_insert(0) += 1;
    }

    assert!(statuses.contains_key(&200), "{statuses:?}");
    assert!(
        statuses.contains_key(&409),
        "seats were not scarce: {statuses:?}"
    );
    assert_seats_match_a_recount(&app, "race").await;
}

// --- prefixes -----------------------------------------------------------------

#[tokio::test]
async fn every_quota_route_works_under_all_four_prefixes_on_one_shared_state() {
    let app = spawn_acme().await;
    let prefixes = ["/acme/lease_", "/lease_", "/Acme/la", "/la"];

    for (count, prefix) in (1..).zip(prefixes) {
        let base = format!("{prefix}/api/account/acme/user-license");
        let group = format!("via{count}");
        let rule =
            json!({"userBundleCodes": ["IDU"], "quotas": [{"userBundleCode": "IDU", "limit": 1}]});
        let put = app
            .api
            .put_json(&format!("{base}/group/{group}/with-quota"), &rule)
            .await;
        assert_eq!(
            put.ok_json()["quotas"],
            json!([{"userBundleCode": "IDU", "limit": 1, "currentUsage": 1}]),
            "PUT with-quota under {prefix}"
        );
        let get = app
            .api
            .get(&format!("{base}/group/{group}/with-quota"))
            .await;
        assert_eq!(
            get.ok_json()["groupRule"]["groupId"],
            json!(group),
            "GET with-quota under {prefix}"
        );
        let listing = app.api.get(&format!("{base}/groups/with-quota")).await;
        assert_eq!(
            listing.ok_json()["totalCount"],
            json!(count),
            "GET groups/with-quota under {prefix}"
        );
        let retrieved = post_json(
            &app,
            &format!("{base}/group"),
            &json!({"groupIds": [group]}),
        )
        .await;
        assert_eq!(
            retrieved.ok_json()[0]["userBundleLeases"],
            json!({"IDU": 1}),
            "POST group under {prefix}"
        );
    }
    assert_eq!(app.api.allocated("acme", "IDU").await, 4);
}

#[tokio::test]
async fn every_quota_route_is_404_under_another_organization() {
    let app = spawn_acme().await;

    for (route, answer) in every_quota_route(&app, "/other/lease_", "acme").await {
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{route}: {}",
            answer.body
        );
    }
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}
