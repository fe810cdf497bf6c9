//! `.../user-license` and `.../user-license/user/{userId}/allocation`: direct
//! (explicit) user allocations and the account's totals (SPEC §2, §3).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, send, spawn_acme, spawn_app, spawn_app_with};

/// The users route of `account` under `/lease_`.
fn users_path(account: &str) -> String {
    format!("/lease_/api/account/{account}/user-license")
}

/// One user's allocation route of `account` under `/lease_`.
fn allocation_path(account: &str, user: &str) -> String {
    format!("/lease_/api/account/{account}/user-license/user/{user}/allocation")
}

/// POST of a JSON body.
async fn post_json(app: &TestApp, path: &str, body: &Value) -> Answer {
    send(app.api.request(Method::POST, path).json(body)).await
}

/// DELETE with a JSON body, as `DeleteMultipleUserLicenses` takes its users.
async fn delete_json(app: &TestApp, path: &str, body: &Value) -> Answer {
    send(app.api.request(Method::DELETE, path).json(body)).await
}

/// `AllocateUserLicensesForAccount` of `codes` to `users` in `acme`.
async fn allocate_users(app: &TestApp, users: &[&str], codes: &[&str]) -> Answer {
    let body = json!({"userIds": users, "userBundleCodes": codes, "useExternalLicense": false});
    app.api.put_json(&users_path("acme"), &body).await
}

/// The account's totals, asserting the GET succeeds.
async fn totals(app: &TestApp, account: &str) -> Value {
    app.api.get(&users_path(account)).await.ok_json()
}

/// The explicit allocations of `users`, asserting the POST succeeds.
async fn explicit(app: &TestApp, users: &[&str]) -> Value {
    post_json(app, &users_path("acme"), &json!({"userIds": users}))
        .await
        .ok_json()
}

/// The problem of a 400 whose only errors are `errors`.
fn validation_problem(errors: Value) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": errors
    })
}

/// The conversion message System.Text.Json gives a value of the wrong type.
fn conversion(type_name: &str, path: &str) -> String {
    format!("The JSON value could not be converted to {type_name}. Path: {path}.")
}

const LIST_OF_STRINGS: &str = "System.Collections.Generic.List`1[System.String]";

/// `shop`: IDU 3, PMD 2, RPADEVPRONU 5; group `team` (ann, bob) without a
/// rule; direct allocations for `zoe` (RPADEVPRONU, IDU) and `yan` (PMD,
/// external); plus `no-license`, whose `licenses` is `null`.
async fn spawn_shop() -> TestApp {
    spawn_app_with(json!({
        "accounts": [
            {
                "accountId": "shop",
                "organizationName": "Shop",
                "licenses": {"RPADEVPRONU": 5, "IDU": 3, "PMD": 2},
                "groups": [{"groupId": "team", "name": "Team", "members": ["ann", "bob"]}],
                "users": [
                    {"userId": "zoe", "userBundleCodes": ["RPADEVPRONU", "IDU"]},
                    {"userId": "yan", "userBundleCodes": ["PMD"], "useExternalLicense": true}
                ]
            },
            {"accountId": "no-license", "licenses": null}
        ]
    }))
    .await
}

// --- PUT: AllocateUserLicensesForAccount ----------------------------------

#[tokio::test]
async fn a_put_answers_one_entry_per_user_in_request_order_naming_each_user_once() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({
                "userIds": ["zoe", "ann", "zoe", "bob"],
                "userBundleCodes": ["RPADEVPRONU", "IDU", "RPADEVPRONU"],
                "useExternalLicense": false
            }),
        )
        .await;

    assert_eq!(
        answer.ok_json(),
        json!([
            {"userId": "zoe", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["RPADEVPRONU", "IDU"]},
            {"userId": "ann", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["RPADEVPRONU", "IDU"]},
            {"userId": "bob", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["RPADEVPRONU", "IDU"]}
        ])
    );
}

#[tokio::test]
async fn a_put_uses_one_seat_per_distinct_user_and_code() {
    let app = spawn_acme().await;

    allocate_users(&app, &["zoe", "ann", "zoe"], &["IDU", "IDU", "RPADEVPRONU"])
        .await
        .ok_json();

    assert_eq!(
        totals(&app, "acme").await,
        json!([
            {"code": "IDU", "allocated": 2, "total": 5},
            {"code": "RPADEVPRONU", "allocated": 2, "total": 10}
        ])
    );
}

#[tokio::test]
async fn a_put_with_no_users_allocates_nothing_and_answers_an_empty_list() {
    let app = spawn_acme().await;

    let answer = allocate_users(&app, &[], &["IDU"]).await;

    assert_eq!(answer.ok_json(), json!([]));
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn the_deprecated_license_codes_alias_is_used_when_user_bundle_codes_is_absent_or_null() {
    let app = spawn_acme().await;

    let absent = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["ann"], "licenseCodes": ["IDU"]}),
        )
        .await;
    let null = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["bob"], "userBundleCodes": null, "licenseCodes": ["RPADEVPRONU"]}),
        )
        .await;

    assert_eq!(
        absent.ok_json(),
        json!([{"userId": "ann", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["IDU"]}])
    );
    assert_eq!(
        null.ok_json(),
        json!([{"userId": "bob", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["RPADEVPRONU"]}])
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 1);
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 1);
}

#[tokio::test]
async fn the_deprecated_license_codes_alias_is_ignored_when_user_bundle_codes_is_given() {
    let app = spawn_acme().await;

    let listed = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["ann"], "licenseCodes": ["IDU"], "userBundleCodes": ["RPADEVPRONU"]}),
        )
        .await;
    // An empty list is given, not absent: the alias does not fill it.
    let empty = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["bob"], "userBundleCodes": [], "licenseCodes": ["IDU"]}),
        )
        .await;

    assert_eq!(
        listed.ok_json()[0]["userBundleCodes"],
        json!(["RPADEVPRONU"])
    );
    assert_eq!(empty.ok_json()[0]["userBundleCodes"], json!([]));
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 1);
}

#[tokio::test]
async fn a_put_replaces_each_named_users_whole_allocation_and_frees_the_old_codes() {
    let app = spawn_acme().await;
    allocate_users(&app, &["ann", "bob"], &["IDU", "RPADEVPRONU"])
        .await
        .ok_json();

    allocate_users(&app, &["ann"], &["RPADEVPRONU"])
        .await
        .ok_json();

    // bob, not named, keeps both codes; ann holds RPADEVPRONU only.
    assert_eq!(
        totals(&app, "acme").await,
        json!([
            {"code": "IDU", "allocated": 1, "total": 5},
            {"code": "RPADEVPRONU", "allocated": 2, "total": 10}
        ])
    );
    assert_eq!(
        app.api.get(&allocation_path("acme", "ann")).await.ok_json()["userBundleLicenses"],
        json!(["RPADEVPRONU"])
    );
}

#[tokio::test]
async fn an_external_allocation_uses_no_seats_and_frees_those_it_replaces() {
    let app = spawn_acme().await;
    allocate_users(&app, &["ann"], &["IDU"]).await.ok_json();

    let answer = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["ann", "bob"], "userBundleCodes": ["IDU"], "useExternalLicense": true}),
        )
        .await;

    assert_eq!(
        answer.ok_json(),
        json!([
            {"userId": "ann", "organizationId": "acme", "useExternalLicense": true, "userBundleCodes": ["IDU"]},
            {"userId": "bob", "organizationId": "acme", "useExternalLicense": true, "userBundleCodes": ["IDU"]}
        ])
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn reallocating_the_codes_users_hold_fits_in_a_full_account() {
    let app = spawn_acme().await;
    let five = ["u1", "u2", "u3", "u4", "u5"];
    allocate_users(&app, &five, &["IDU"]).await.ok_json();

    // Releases five and reserves five: usage does not grow, so no 409.
    let again = allocate_users(&app, &five, &["IDU"]).await;

    assert_eq!(again.status, StatusCode::OK, "body: {}", again.body);
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
}

#[tokio::test]
async fn a_put_that_only_lowers_the_usage_of_a_full_code_never_conflicts() {
    let app = spawn_acme().await;
    let five = ["u1", "u2", "u3", "u4", "u5"];
    allocate_users(&app, &five, &["IDU"]).await.ok_json();

    let fewer = allocate_users(&app, &["u1", "u2"], &["RPADEVPRONU"]).await;

    assert_eq!(fewer.status, StatusCode::OK, "body: {}", fewer.body);
    assert_eq!(
        totals(&app, "acme").await,
        json!([
            {"code": "IDU", "allocated": 3, "total": 5},
            {"code": "RPADEVPRONU", "allocated": 2, "total": 10}
        ])
    );
}

// --- GET: GetAvailableUserLicensesForAccount -------------------------------

#[tokio::test]
async fn the_totals_list_every_code_the_account_holds_sorted_by_code_with_its_seats() {
    let app = spawn_shop().await;

    // zoe holds RPADEVPRONU and IDU; yan's PMD is external.
    assert_eq!(
        totals(&app, "shop").await,
        json!([
            {"code": "IDU", "allocated": 1, "total": 3},
            {"code": "PMD", "allocated": 0, "total": 2},
            {"code": "RPADEVPRONU", "allocated": 1, "total": 5}
        ])
    );
}

#[tokio::test]
async fn the_totals_of_the_default_account_list_every_documented_code_unallocated() {
    let app = spawn_app().await;

    assert_eq!(
        totals(&app, "1234").await,
        json!([
            {"code": "ACNU", "allocated": 0, "total": 10},
            {"code": "AKIT", "allocated": 0, "total": 5},
            {"code": "ATTUCU", "allocated": 0, "total": 5},
            {"code": "ATTUNU", "allocated": 0, "total": 20},
            {"code": "AXPNU", "allocated": 0, "total": 5},
            {"code": "CTZDEVCU", "allocated": 0, "total": 10},
            {"code": "CTZDEVNU", "allocated": 0, "total": 10},
            {"code": "IDU", "allocated": 0, "total": 5},
            {"code": "PMBU", "allocated": 0, "total": 5},
            {"code": "PMD", "allocated": 0, "total": 5},
            {"code": "RPADEVCU", "allocated": 0, "total": 5},
            {"code": "RPADEVNU", "allocated": 0, "total": 5},
            {"code": "RPADEVPROCU", "allocated": 0, "total": 5},
            {"code": "RPADEVPRONU", "allocated": 0, "total": 10},
            {"code": "TSTDEVPRONU", "allocated": 0, "total": 5},
            {"code": "TSTNU", "allocated": 0, "total": 5}
        ])
    );
}

#[tokio::test]
async fn the_totals_count_group_rules_and_direct_allocations_alike() {
    let app = spawn_shop().await;
    app.api.allocate("shop", "team", &["IDU"]).await.ok_json();

    // team's two members plus zoe.
    assert_eq!(
        totals(&app, "shop").await[0],
        json!({"code": "IDU", "allocated": 3, "total": 3})
    );
}

// --- POST: RetrieveExplicitAllocations -------------------------------------

#[tokio::test]
async fn a_post_answers_the_explicit_allocations_of_the_named_users_that_have_one_in_request_order()
{
    let app = spawn_shop().await;
    app.api.allocate("shop", "team", &["IDU"]).await.ok_json();

    // `nobody` has nothing; `ann` is covered by a group rule only.
    let answer = post_json(
        &app,
        &users_path("shop"),
        &json!({"userIds": ["nobody", "yan", "ann", "zoe", "yan"]}),
    )
    .await;

    assert_eq!(
        answer.ok_json(),
        json!([
            {
                "id": "yan", "email": null, "name": null, "surname": null, "lastInUse": null,
                "userBundleLicenses": ["PMD"], "useExternalLicense": true, "orphan": false
            },
            {
                "id": "zoe", "email": null, "name": null, "surname": null, "lastInUse": null,
                "userBundleLicenses": ["RPADEVPRONU", "IDU"], "useExternalLicense": false, "orphan": false
            }
        ])
    );
}

#[tokio::test]
async fn a_post_for_users_without_direct_allocations_answers_an_empty_list() {
    let app = spawn_acme().await;

    assert_eq!(explicit(&app, &["ann", "bob"]).await, json!([]));
    assert_eq!(explicit(&app, &[]).await, json!([]));
    let no_list = post_json(&app, &users_path("acme"), &json!({})).await;
    assert_eq!(no_list.ok_json(), json!([]));
}

#[tokio::test]
async fn a_post_changes_nothing() {
    let app = spawn_shop().await;
    let before = totals(&app, "shop").await;

    post_json(
        &app,
        &users_path("shop"),
        &json!({"userIds": ["zoe"], "userBundleCodes": ["PMD"]}),
    )
    .await
    .ok_json();

    assert_eq!(totals(&app, "shop").await, before);
}

// --- DELETE: DeleteMultipleUserLicenses ------------------------------------

#[tokio::test]
async fn a_delete_removes_the_named_allocations_and_reports_users_without_one_as_failed() {
    let app = spawn_shop().await;

    let answer = delete_json(
        &app,
        &users_path("shop"),
        &json!({"userIds": ["yan", "nobody", "yan", "ann", "zoe"]}),
    )
    .await;

    assert_eq!(
        answer.ok_json(),
        json!({"successfulUserIds": ["yan", "zoe"], "failedUserIds": ["nobody", "ann"]})
    );
    assert_eq!(
        post_json(
            &app,
            &users_path("shop"),
            &json!({"userIds": ["yan", "zoe"]})
        )
        .await
        .ok_json(),
        json!([])
    );
}

#[tokio::test]
async fn a_delete_frees_the_seats_for_others() {
    let app = spawn_acme().await;
    allocate_users(&app, &["u1", "u2", "u3", "u4", "u5"], &["IDU"])
        .await
        .ok_json();
    let full = allocate_users(&app, &["u6"], &["IDU"]).await;
    assert_eq!(full.status, StatusCode::CONFLICT, "body: {}", full.body);

    delete_json(&app, &users_path("acme"), &json!({"userIds": ["u1", "u2"]}))
        .await
        .ok_json();
    let after = allocate_users(&app, &["u6", "u7"], &["IDU"]).await;

    assert_eq!(after.status, StatusCode::OK, "body: {}", after.body);
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
}

#[tokio::test]
async fn a_delete_of_nobody_answers_two_empty_lists() {
    let app = spawn_acme().await;

    let answer = delete_json(&app, &users_path("acme"), &json!({"userIds": []})).await;

    assert_eq!(
        answer.ok_json(),
        json!({"successfulUserIds": [], "failedUserIds": []})
    );
}

// --- GET .../user/{userId}/allocation: RetrieveUserAllocation ---------------

#[tokio::test]
async fn the_allocation_of_a_user_is_their_explicit_allocation() {
    let app = spawn_shop().await;

    let zoe = app.api.get(&allocation_path("shop", "zoe")).await;
    let yan = app.api.get(&allocation_path("shop", "yan")).await;

    assert_eq!(
        zoe.ok_json(),
        json!({
            "id": "zoe", "email": null, "name": null, "surname": null, "lastInUse": null,
            "userBundleLicenses": ["RPADEVPRONU", "IDU"], "useExternalLicense": false, "orphan": false
        })
    );
    assert_eq!(
        yan.ok_json(),
        json!({
            "id": "yan", "email": null, "name": null, "surname": null, "lastInUse": null,
            "userBundleLicenses": ["PMD"], "useExternalLicense": true, "orphan": false
        })
    );
}

#[tokio::test]
async fn a_user_without_a_direct_allocation_is_404_even_when_a_group_rule_covers_them() {
    let app = spawn_shop().await;
    app.api.allocate("shop", "team", &["IDU"]).await.ok_json();

    let answer = app.api.get(&allocation_path("shop", "ann")).await;

    assert_eq!(
        answer.problem(StatusCode::NOT_FOUND),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "title": "Not Found",
            "status": 404,
            "detail": "User 'ann' has no direct allocation in account 'shop'."
        })
    );
}

#[tokio::test]
async fn a_deleted_allocation_is_404_afterwards() {
    let app = spawn_shop().await;
    delete_json(&app, &users_path("shop"), &json!({"userIds": ["zoe"]}))
        .await
        .ok_json();

    let answer = app.api.get(&allocation_path("shop", "zoe")).await;

    assert_eq!(
        answer.status,
        StatusCode::NOT_FOUND,
        "body: {}",
        answer.body
    );
}

// --- 400 --------------------------------------------------------------------

#[tokio::test]
async fn user_ids_that_are_not_a_list_are_400_keyed_by_their_json_path_on_every_route() {
    let app = spawn_shop().await;
    let path = users_path("shop");
    let body = json!({"userIds": "zoe", "userBundleCodes": ["IDU"]});
    let expected = validation_problem(json!({
        "$.userIds": [conversion(LIST_OF_STRINGS, "$.userIds")]
    }));

    let put = app.api.put_json(&path, &body).await;
    let post = post_json(&app, &path, &body).await;
    let delete = delete_json(&app, &path, &body).await;

    assert_eq!(put.problem(StatusCode::BAD_REQUEST), expected, "PUT");
    assert_eq!(post.problem(StatusCode::BAD_REQUEST), expected, "POST");
    assert_eq!(delete.problem(StatusCode::BAD_REQUEST), expected, "DELETE");
    assert_eq!(
        app.api.get(&allocation_path("shop", "zoe")).await.status,
        StatusCode::OK,
        "the DELETE removed nothing"
    );
}

#[tokio::test]
async fn a_user_id_that_is_not_a_non_empty_string_is_400_keyed_by_its_index() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["ann", 7, "", null], "userBundleCodes": ["IDU"]}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.userIds[1]": [conversion("System.String", "$.userIds[1]")],
            "$.userIds[2]": ["The value must be a non-empty string."],
            "$.userIds[3]": ["The value must be a non-empty string."]
        }))
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn codes_of_the_wrong_type_and_a_null_external_flag_are_400_all_at_once() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["ann"], "userBundleCodes": "IDU", "useExternalLicense": null}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.useExternalLicense": [conversion("System.Boolean", "$.useExternalLicense")],
            "$.userBundleCodes": [conversion(LIST_OF_STRINGS, "$.userBundleCodes")]
        }))
    );
}

#[tokio::test]
async fn a_deprecated_license_codes_of_the_wrong_type_is_400_even_when_unused() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &users_path("acme"),
            &json!({"userIds": ["ann"], "userBundleCodes": ["IDU"], "licenseCodes": 5}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::BAD_REQUEST),
        validation_problem(json!({
            "$.licenseCodes": [conversion(LIST_OF_STRINGS, "$.licenseCodes")]
        }))
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_400_on_the_post_and_the_delete() {
    let app = spawn_acme().await;
    let path = users_path("acme");
    let expected = validation_problem(json!({
        "$": [conversion("UiPath.LicenseAccountant.UserIdsRequestDto", "$")]
    }));

    let post = post_json(&app, &path, &json!(["ann"])).await;
    let delete = delete_json(&app, &path, &json!(["ann"])).await;

    assert_eq!(post.problem(StatusCode::BAD_REQUEST), expected);
    assert_eq!(delete.problem(StatusCode::BAD_REQUEST), expected);
}

#[tokio::test]
async fn a_refused_put_changes_nothing() {
    let app = spawn_shop().await;
    let before = totals(&app, "shop").await;

    let answer = app
        .api
        .put_json(
            &users_path("shop"),
            &json!({"userIds": ["zoe", "ann"], "userBundleCodes": ["PMD"], "useExternalLicense": "no"}),
        )
        .await;

    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "body: {}",
        answer.body
    );
    assert_eq!(totals(&app, "shop").await, before);
    assert_eq!(
        app.api.get(&allocation_path("shop", "zoe")).await.ok_json()["userBundleLicenses"],
        json!(["RPADEVPRONU", "IDU"])
    );
}

// --- 404 --------------------------------------------------------------------

/// One request to each user route of `account` under `/{prefix}`.
async fn every_user_route(
    app: &TestApp,
    prefix: &str,
    account: &str,
) -> Vec<(&'static str, Answer)> {
    let path = format!("{prefix}/api/account/{account}/user-license");
    let allocation = format!("{path}/user/zoe/allocation");
    let users = json!({"userIds": ["zoe"], "userBundleCodes": ["IDU"]});
    vec![
        ("PUT", app.api.put_json(&path, &users).await),
        ("GET", app.api.get(&path).await),
        ("POST", post_json(app, &path, &users).await),
        ("DELETE", delete_json(app, &path, &users).await),
        ("GET allocation", app.api.get(&allocation).await),
    ]
}

fn not_found(detail: &str) -> Value {
    json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        "title": "Not Found",
        "status": 404,
        "detail": detail
    })
}

#[tokio::test]
async fn every_user_route_is_404_for_an_unknown_account() {
    let app = spawn_shop().await;

    for (route, answer) in every_user_route(&app, "/lease_", "nobody").await {
        assert_eq!(
            answer.problem(StatusCode::NOT_FOUND),
            not_found(
                "No account license is allocated for the indicated organization. (account 'nobody': no such account exists)"
            ),
            "{route}"
        );
    }
}

#[tokio::test]
async fn every_user_route_is_404_for_an_account_without_a_license() {
    let app = spawn_shop().await;

    for (route, answer) in every_user_route(&app, "/lease_", "no-license").await {
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
async fn every_user_route_is_404_under_another_organization_and_changes_nothing() {
    let app = spawn_shop().await;
    let before = totals(&app, "shop").await;

    for (route, answer) in every_user_route(&app, "/other/lease_", "shop").await {
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{route}: {}",
            answer.body
        );
    }

    assert_eq!(totals(&app, "shop").await, before);
    assert_eq!(
        app.api.get(&allocation_path("shop", "zoe")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_default_no_license_account_is_one_call_from_a_404() {
    let app = spawn_app().await;

    let answer = app
        .api
        .put_json(
            &users_path("no-license"),
            &json!({"userIds": ["ann"], "userBundleCodes": ["IDU"]}),
        )
        .await;

    assert_eq!(
        answer.status,
        StatusCode::NOT_FOUND,
        "body: {}",
        answer.body
    );
}

// --- 409 --------------------------------------------------------------------

#[tokio::test]
async fn one_code_lacking_seats_means_no_user_gets_anything() {
    let app = spawn_shop().await;
    // IDU: 1 of 3 used (zoe); three more users need three.
    let before = totals(&app, "shop").await;

    let answer = app
        .api
        .put_json(
            &users_path("shop"),
            &json!({"userIds": ["ann", "bob", "cy"], "userBundleCodes": ["RPADEVPRONU", "IDU"]}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "title": "Conflict",
            "status": 409,
            "detail": "The allocation exceeds the account license quantities for: IDU.",
            "conflicts": [{"code": "IDU", "requested": 3, "used": 1, "total": 3}]
        })
    );
    assert_eq!(totals(&app, "shop").await, before);
    assert_eq!(
        explicit_in(&app, "shop", &["ann", "bob", "cy"]).await,
        json!([])
    );
}

/// The explicit allocations of `users` in `account`.
async fn explicit_in(app: &TestApp, account: &str, users: &[&str]) -> Value {
    post_json(app, &users_path(account), &json!({"userIds": users}))
        .await
        .ok_json()
}

#[tokio::test]
async fn a_refused_put_keeps_the_previous_allocation_of_every_named_user() {
    let app = spawn_shop().await;

    // zoe would move to PMD (2 seats) along with ann and bob: 3 > 2.
    let answer = app
        .api
        .put_json(
            &users_path("shop"),
            &json!({"userIds": ["zoe", "ann", "bob"], "userBundleCodes": ["PMD"]}),
        )
        .await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "PMD", "requested": 3, "used": 0, "total": 2}])
    );
    assert_eq!(
        explicit_in(&app, "shop", &["zoe", "ann", "bob"]).await,
        json!([{
            "id": "zoe", "email": null, "name": null, "surname": null, "lastInUse": null,
            "userBundleLicenses": ["RPADEVPRONU", "IDU"], "useExternalLicense": false, "orphan": false
        }])
    );
}

#[tokio::test]
async fn a_code_the_account_does_not_hold_is_409_even_for_an_external_allocation() {
    let app = spawn_shop().await;
    let before = totals(&app, "shop").await;

    let internal = app
        .api
        .put_json(
            &users_path("shop"),
            &json!({"userIds": ["ann", "bob"], "userBundleCodes": ["IDU", "NOPE"]}),
        )
        .await;
    let external = app
        .api
        .put_json(
            &users_path("shop"),
            &json!({"userIds": ["ann"], "userBundleCodes": ["NOPE"], "useExternalLicense": true}),
        )
        .await;

    assert_eq!(
        internal.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "NOPE", "requested": 2, "used": 0, "total": 0}])
    );
    assert_eq!(
        external.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "NOPE", "requested": 0, "used": 0, "total": 0}])
    );
    assert_eq!(totals(&app, "shop").await, before);
}

#[tokio::test]
async fn user_codes_are_case_sensitive() {
    let app = spawn_acme().await;

    let answer = allocate_users(&app, &["ann"], &["idu"]).await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "idu", "requested": 1, "used": 0, "total": 0}])
    );
}

#[tokio::test]
async fn every_code_lacking_seats_is_named_in_the_order_first_given() {
    let app = spawn_shop().await;
    allocate_users_in(&app, "shop", &["u1", "u2"], &["PMD", "IDU"])
        .await
        .ok_json();
    // IDU 3 of 3, PMD 2 of 2.

    let answer = allocate_users_in(&app, "shop", &["u3"], &["PMD", "RPADEVPRONU", "IDU"]).await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "title": "Conflict",
            "status": 409,
            "detail": "The allocation exceeds the account license quantities for: PMD, IDU.",
            "conflicts": [
                {"code": "PMD", "requested": 1, "used": 2, "total": 2},
                {"code": "IDU", "requested": 1, "used": 3, "total": 3}
            ]
        })
    );
}

/// `AllocateUserLicensesForAccount` of `codes` to `users` in `account`.
async fn allocate_users_in(app: &TestApp, account: &str, users: &[&str], codes: &[&str]) -> Answer {
    let body = json!({"userIds": users, "userBundleCodes": codes, "useExternalLicense": false});
    app.api.put_json(&users_path(account), &body).await
}

// --- prefixes -----------------------------------------------------------------

#[tokio::test]
async fn every_user_route_works_under_all_four_prefixes_on_one_shared_state() {
    let app = spawn_acme().await;
    // acme declares organization `Acme`; the segment matches case-insensitively.
    let prefixes = [
        ("/acme/lease_", "via-org-lease"),
        ("/lease_", "via-lease"),
        ("/ACME/la", "via-org-la"),
        ("/la", "via-la"),
    ];

    for (count, (prefix, user)) in (1..).zip(prefixes) {
        let path = format!("{prefix}/api/account/acme/user-license");
        let put = app
            .api
            .put_json(
                &path,
                &json!({"userIds": [user], "userBundleCodes": ["IDU"]}),
            )
            .await;
        assert_eq!(
            put.ok_json(),
            json!([{"userId": user, "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["IDU"]}]),
            "PUT under {prefix}"
        );
        let seats = app.api.get(&path).await.ok_json();
        assert_eq!(
            seats[0],
            json!({"code": "IDU", "allocated": count, "total": 5}),
            "GET under {prefix}"
        );
        let explicit = post_json(&app, &path, &json!({"userIds": [user]})).await;
        assert_eq!(
            explicit.ok_json()[0]["id"],
            json!(user),
            "POST under {prefix}"
        );
        let allocation = app.api.get(&format!("{path}/user/{user}/allocation")).await;
        assert_eq!(
            allocation.ok_json()["userBundleLicenses"],
            json!(["IDU"]),
            "GET allocation under {prefix}"
        );
    }
    for (prefix, user) in prefixes {
        let path = format!("{prefix}/api/account/acme/user-license");
        let deleted = delete_json(&app, &path, &json!({"userIds": [user]})).await;
        assert_eq!(
            deleted.ok_json(),
            json!({"successfulUserIds": [user], "failedUserIds": []}),
            "DELETE under {prefix}"
        );
    }
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}
