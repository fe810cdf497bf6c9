//! `.../user-license/group/{groupId}`: the documented example and every
//! outcome of the seat arithmetic (SPEC §2, §3).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{group_path, send, spawn_acme, spawn_app, spawn_app_with};

/// The documentation's example, sent byte for byte as its cURL does.
const EXAMPLE_URL: &str = "/song-one/lease_/api/account/1234/user-license/group/group-01";
const EXAMPLE_BODY: &str =
    r#"{"userBundleCodes": ["RPADEVPRONU", "IDU", "CTZDEVCU"], "useExternalLicense": false}"#;

#[tokio::test]
async fn the_documentation_example_answers_exactly_as_documented() {
    let app = spawn_app().await;

    let answer = send(
        app.api
            .request(Method::PUT, EXAMPLE_URL)
            .header("Content-Type", "application/json")
            .body(EXAMPLE_BODY),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        answer.body,
        r#"{"groupId":"group-01","organizationId":"1234","useExternalLicense":false,"userBundleCodes":["RPADEVPRONU","IDU","CTZDEVCU"]}"#
    );
}

#[tokio::test]
async fn the_documentation_example_reserves_one_seat_per_member_of_group_01() {
    let app = spawn_app().await;
    let path = group_path("1234", "group-01");
    app.api
        .put_json(
            EXAMPLE_URL,
            &json!({"userBundleCodes": ["RPADEVPRONU", "IDU", "CTZDEVCU"], "useExternalLicense": false}),
        )
        .await
        .ok_json();

    let rule = app.api.get(&path).await.ok_json();

    // group-01 has three members; every code the account holds, sorted by code.
    assert_eq!(
        rule,
        json!({
            "availableUserBundles": [
                {"code": "ACNU", "allocated": 0, "total": 10},
                {"code": "AKIT", "allocated": 0, "total": 5},
                {"code": "ATTUCU", "allocated": 0, "total": 5},
                {"code": "ATTUNU", "allocated": 0, "total": 20},
                {"code": "AXPNU", "allocated": 0, "total": 5},
                {"code": "CTZDEVCU", "allocated": 3, "total": 10},
                {"code": "CTZDEVNU", "allocated": 0, "total": 10},
                {"code": "IDU", "allocated": 3, "total": 5},
                {"code": "PMBU", "allocated": 0, "total": 5},
                {"code": "PMD", "allocated": 0, "total": 5},
                {"code": "RPADEVCU", "allocated": 0, "total": 5},
                {"code": "RPADEVNU", "allocated": 0, "total": 5},
                {"code": "RPADEVPROCU", "allocated": 0, "total": 5},
                {"code": "RPADEVPRONU", "allocated": 3, "total": 10},
                {"code": "TSTDEVPRONU", "allocated": 0, "total": 5},
                {"code": "TSTNU", "allocated": 0, "total": 5}
            ],
            "allocatedUserBundles": ["RPADEVPRONU", "IDU", "CTZDEVCU"],
            "useExternalLicense": false
        })
    );
}

#[tokio::test]
async fn the_default_fixtures_reach_the_documented_404_and_409_in_one_call_each() {
    let app = spawn_app().await;

    let no_license = app.api.allocate("no-license", "group-01", &["IDU"]).await;
    let too_many = app.api.allocate("1234", "all-staff", &["IDU"]).await;

    assert_eq!(no_license.status, StatusCode::NOT_FOUND);
    assert_eq!(too_many.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn every_route_is_served_under_all_four_prefixes_on_one_shared_state() {
    let app = spawn_app().await;
    let prefixes = [
        ("/song-one/lease_", "via-org-lease"),
        ("/lease_", "via-lease"),
        ("/song-one/la", "via-org-la"),
        ("/la", "via-la"),
    ];

    for (count, (prefix, group)) in (1..).zip(prefixes) {
        let path = format!("{prefix}/api/account/1234/user-license/group/{group}");
        let put = app
            .api
            .put_json(&path, &json!({"userBundleCodes": ["IDU"]}))
            .await;
        assert_eq!(
            put.ok_json(),
            json!({"groupId": group, "organizationId": "1234", "useExternalLicense": false, "userBundleCodes": ["IDU"]}),
            "PUT under {prefix}"
        );
        let rule = app.api.get(&path).await.ok_json();
        assert_eq!(
            rule["allocatedUserBundles"],
            json!(["IDU"]),
            "GET under {prefix}"
        );
        // Each undeclared group holds one seat, whichever prefix reserved it.
        assert_eq!(app.api.allocated("1234", "IDU").await, count);
    }
    for (prefix, group) in prefixes {
        let path = format!("{prefix}/api/account/1234/user-license/group/{group}");
        let deleted = app.api.delete(&path).await;
        assert_eq!(deleted.status, StatusCode::OK, "DELETE under {prefix}");
    }
    assert_eq!(app.api.allocated("1234", "IDU").await, 0);
}

#[tokio::test]
async fn a_group_without_a_rule_lists_the_account_codes_and_nothing_allocated() {
    let app = spawn_acme().await;

    let rule = app.api.rule("acme", "team").await;

    assert_eq!(
        rule,
        json!({
            "availableUserBundles": [
                {"code": "IDU", "allocated": 0, "total": 5},
                {"code": "RPADEVPRONU", "allocated": 0, "total": 10}
            ],
            "allocatedUserBundles": [],
            "useExternalLicense": false
        })
    );
}

#[tokio::test]
async fn a_rule_from_the_fixtures_is_served_and_holds_its_seats() {
    let app = spawn_app_with(json!({
        "accounts": [{
            "accountId": "acme",
            "licenses": {"IDU": 5, "RPADEVPRONU": 10},
            "groups": [{
                "groupId": "team",
                "members": ["ann", "bob"],
                "rule": {"userBundleCodes": ["RPADEVPRONU", "IDU"], "useExternalLicense": false}
            }]
        }]
    }))
    .await;

    let rule = app.api.rule("acme", "team").await;

    assert_eq!(
        rule,
        json!({
            "availableUserBundles": [
                {"code": "IDU", "allocated": 2, "total": 5},
                {"code": "RPADEVPRONU", "allocated": 2, "total": 10}
            ],
            "allocatedUserBundles": ["RPADEVPRONU", "IDU"],
            "useExternalLicense": false
        })
    );
}

#[tokio::test]
async fn a_fixture_quota_caps_the_seats_a_large_group_holds() {
    let app = spawn_app_with(json!({
        "accounts": [{
            "accountId": "acme",
            "licenses": {"IDU": 5},
            "groups": [{
                "groupId": "everyone",
                "members": 25,
                "rule": {"userBundleCodes": ["IDU"], "quotas": {"IDU": 4}}
            }]
        }]
    }))
    .await;

    assert_eq!(app.api.allocated("acme", "IDU").await, 4);
}

#[tokio::test]
async fn a_put_replaces_the_whole_rule_and_frees_the_seats_it_no_longer_names() {
    let app = spawn_acme().await;
    app.api
        .allocate("acme", "team", &["IDU", "RPADEVPRONU"])
        .await
        .ok_json();
    assert_eq!(app.api.allocated("acme", "IDU").await, 3);

    let answer = app.api.allocate("acme", "team", &["RPADEVPRONU"]).await;

    assert_eq!(
        answer.ok_json(),
        json!({"groupId": "team", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": ["RPADEVPRONU"]})
    );
    assert_eq!(
        app.api.rule("acme", "team").await,
        json!({
            "availableUserBundles": [
                {"code": "IDU", "allocated": 0, "total": 5},
                {"code": "RPADEVPRONU", "allocated": 3, "total": 10}
            ],
            "allocatedUserBundles": ["RPADEVPRONU"],
            "useExternalLicense": false
        })
    );
}

#[tokio::test]
async fn seats_freed_by_a_replacement_can_be_taken_by_another_group() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    // 3 of 5 used: `five` does not fit.
    let refused = app.api.allocate("acme", "five", &["IDU"]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    app.api
        .allocate("acme", "team", &["RPADEVPRONU"])
        .await
        .ok_json();
    let accepted = app.api.allocate("acme", "five", &["IDU"]).await;

    assert_eq!(accepted.status, StatusCode::OK, "body: {}", accepted.body);
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
}

#[tokio::test]
async fn an_external_allocation_uses_no_seats_however_large_the_group() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            &group_path("acme", "big"),
            &json!({"userBundleCodes": ["IDU"], "useExternalLicense": true}),
        )
        .await;

    assert_eq!(
        answer.body,
        r#"{"groupId":"big","organizationId":"acme","useExternalLicense":true,"userBundleCodes":["IDU"]}"#
    );
    assert_eq!(
        app.api.rule("acme", "big").await,
        json!({
            "availableUserBundles": [
                {"code": "IDU", "allocated": 0, "total": 5},
                {"code": "RPADEVPRONU", "allocated": 0, "total": 10}
            ],
            "allocatedUserBundles": ["IDU"],
            "useExternalLicense": true
        })
    );
}

#[tokio::test]
async fn switching_a_rule_to_external_licenses_frees_its_seats() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();

    app.api
        .put_json(
            &group_path("acme", "team"),
            &json!({"userBundleCodes": ["IDU"], "useExternalLicense": true}),
        )
        .await
        .ok_json();

    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn a_group_nobody_declared_counts_as_one_member() {
    let app = spawn_acme().await;

    app.api
        .allocate("acme", "newcomers", &["IDU"])
        .await
        .ok_json();

    assert_eq!(app.api.allocated("acme", "IDU").await, 1);
}

#[tokio::test]
async fn replacing_the_rule_of_an_undeclared_group_keeps_it_at_one_seat_per_code() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "stray", &["IDU"]).await.ok_json();

    app.api
        .allocate("acme", "stray", &["IDU", "RPADEVPRONU"])
        .await
        .ok_json();

    assert_eq!(app.api.allocated("acme", "IDU").await, 1);
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 1);
}

#[tokio::test]
async fn undeclared_groups_fill_a_code_one_seat_each_until_it_is_full() {
    let app = spawn_acme().await;
    for i in 0..5 {
        let answer = app
            .api
            .allocate("acme", &format!("undeclared-{i}"), &["IDU"])
            .await;
        assert_eq!(answer.status, StatusCode::OK, "group {i}: {}", answer.body);
    }

    let sixth = app.api.allocate("acme", "undeclared-5", &["IDU"]).await;

    assert_eq!(
        sixth.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "IDU", "requested": 1, "used": 5, "total": 5}])
    );
}

#[tokio::test]
async fn a_declared_group_without_members_uses_no_seats_but_needs_held_codes() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "five", &["IDU"]).await.ok_json();

    let full_code = app.api.allocate("acme", "empty", &["IDU"]).await;
    let unknown_code = app.api.allocate("acme", "empty", &["NOPE"]).await;

    assert_eq!(full_code.status, StatusCode::OK, "body: {}", full_code.body);
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
    assert_eq!(
        unknown_code.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "NOPE", "requested": 0, "used": 0, "total": 0}])
    );
}

#[tokio::test]
async fn duplicate_codes_count_once_and_are_answered_in_the_order_first_given() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .allocate(
            "acme",
            "team",
            &["RPADEVPRONU", "IDU", "RPADEVPRONU", "IDU"],
        )
        .await;

    assert_eq!(
        answer.body,
        r#"{"groupId":"team","organizationId":"acme","useExternalLicense":false,"userBundleCodes":["RPADEVPRONU","IDU"]}"#
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 3);
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 3);
    assert_eq!(
        app.api.rule("acme", "team").await["allocatedUserBundles"],
        json!(["RPADEVPRONU", "IDU"])
    );
}

#[tokio::test]
async fn a_duplicated_code_fits_when_the_group_fills_the_code_exactly() {
    let app = spawn_acme().await;

    // Counted twice, five members would need ten of IDU's five seats.
    let answer = app.api.allocate("acme", "five", &["IDU", "IDU"]).await;

    assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
}

#[tokio::test]
async fn codes_are_case_sensitive() {
    let app = spawn_acme().await;

    let answer = app.api.allocate("acme", "team", &["idu"]).await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "idu", "requested": 3, "used": 0, "total": 0}])
    );
}

#[tokio::test]
async fn resending_the_rule_that_filled_a_code_succeeds() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "five", &["IDU"]).await.ok_json();

    // Releases 5 and reserves 5: usage does not grow, so no 409.
    let again = app.api.allocate("acme", "five", &["IDU"]).await;

    assert_eq!(again.status, StatusCode::OK, "body: {}", again.body);
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
}

#[tokio::test]
async fn a_request_that_only_lowers_usage_of_a_full_code_never_conflicts() {
    let app = spawn_acme().await;
    app.api
        .allocate("acme", "five", &["IDU", "RPADEVPRONU"])
        .await
        .ok_json();
    app.api
        .allocate("acme", "team", &["RPADEVPRONU"])
        .await
        .ok_json();
    // IDU 5/5 full; RPADEVPRONU 8/10.

    let keep_idu_drop_rpa = app.api.allocate("acme", "five", &["IDU"]).await;
    let empty_rule = app.api.allocate("acme", "five", &[]).await;

    assert_eq!(keep_idu_drop_rpa.status, StatusCode::OK);
    assert_eq!(
        empty_rule.ok_json(),
        json!({"groupId": "five", "organizationId": "acme", "useExternalLicense": false, "userBundleCodes": []})
    );
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 3);
}

#[tokio::test]
async fn delete_removes_the_rule_frees_its_seats_and_answers_an_empty_200() {
    let app = spawn_acme().await;
    let path = group_path("acme", "team");
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();

    let deleted = app.api.delete(&path).await;

    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body, "");
    assert_eq!(
        app.api.rule("acme", "team").await,
        json!({
            "availableUserBundles": [
                {"code": "IDU", "allocated": 0, "total": 5},
                {"code": "RPADEVPRONU", "allocated": 0, "total": 10}
            ],
            "allocatedUserBundles": [],
            "useExternalLicense": false
        })
    );
}

#[tokio::test]
async fn delete_is_idempotent_and_accepts_groups_that_never_had_a_rule() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    app.api.allocate("acme", "stray", &["IDU"]).await.ok_json();

    let first = app.api.delete(&group_path("acme", "team")).await;
    let second = app.api.delete(&group_path("acme", "team")).await;
    let never = app.api.delete(&group_path("acme", "never-ruled")).await;

    for answer in [&first, &second, &never] {
        assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.body);
        assert_eq!(answer.body, "");
    }
    // Only team's three seats were freed, once; stray keeps its one.
    assert_eq!(app.api.allocated("acme", "IDU").await, 1);
}

#[tokio::test]
async fn an_undeclared_group_counts_one_member_again_after_its_rule_was_deleted() {
    let app = spawn_acme().await;
    app.api
        .allocate("acme", "drifter", &["IDU"])
        .await
        .ok_json();
    app.api.delete(&group_path("acme", "drifter")).await;

    app.api
        .allocate("acme", "drifter", &["IDU"])
        .await
        .ok_json();

    assert_eq!(app.api.allocated("acme", "IDU").await, 1);
}

#[tokio::test]
async fn group_ids_are_taken_from_the_url_percent_decoded() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .put_json(
            "/lease_/api/account/acme/user-license/group/gr%C3%BCppe%20eins",
            &json!({"userBundleCodes": ["IDU"]}),
        )
        .await;

    assert_eq!(answer.ok_json()["groupId"], "grüppe eins");
    let rule = app
        .api
        .get("/lease_/api/account/acme/user-license/group/gr%C3%BCppe%20eins")
        .await;
    assert_eq!(rule.ok_json()["allocatedUserBundles"], json!(["IDU"]));
}

// --- 404: the three ways an account has no license here -------------------

#[tokio::test]
async fn an_unknown_account_is_404_on_every_method() {
    let app = spawn_app().await;
    let path = group_path("nobody", "group-01");

    let answers = [
        app.api
            .put_json(&path, &json!({"userBundleCodes": ["IDU"]}))
            .await,
        app.api.get(&path).await,
        app.api.delete(&path).await,
    ];

    for answer in answers {
        assert_eq!(
            answer.problem(StatusCode::NOT_FOUND),
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
                "title": "Not Found",
                "status": 404,
                "detail": "No account license is allocated for the indicated organization. (account 'nobody': no such account exists)"
            })
        );
    }
}

#[tokio::test]
async fn an_account_whose_licenses_are_null_is_404() {
    let app = spawn_app().await;

    let answer = app
        .api
        .allocate("no-license", "group-01", &["RPADEVPRONU"])
        .await;

    assert_eq!(
        answer.problem(StatusCode::NOT_FOUND),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "title": "Not Found",
            "status": 404,
            "detail": "No account license is allocated for the indicated organization. (account 'no-license': the account has no account license)"
        })
    );
    assert_eq!(
        app.api
            .get(&group_path("no-license", "group-01"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_organization_segment_other_than_the_declared_name_is_404_and_changes_nothing() {
    let app = spawn_acme().await;
    let path = "/globex/lease_/api/account/acme/user-license/group/team";

    let put = app
        .api
        .put_json(path, &json!({"userBundleCodes": ["IDU"]}))
        .await;
    let get = app.api.get(path).await;

    assert_eq!(
        put.problem(StatusCode::NOT_FOUND),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "title": "Not Found",
            "status": 404,
            "detail": "No account license is allocated for the indicated organization. (account 'acme': the organization in the URL is not the account's organization)"
        })
    );
    assert_eq!(get.status, StatusCode::NOT_FOUND);
    assert_eq!(app.api.allocated("acme", "IDU").await, 0);
}

#[tokio::test]
async fn the_organization_segment_matches_the_declared_name_case_insensitively() {
    let app = spawn_acme().await;

    for (prefix, group) in [
        ("/Acme/lease_", "a"),
        ("/acme/lease_", "b"),
        ("/ACME/la", "c"),
        ("/lease_", "d"),
        ("/la", "e"),
    ] {
        let path = format!("{prefix}/api/account/acme/user-license/group/{group}");
        let answer = app
            .api
            .put_json(&path, &json!({"userBundleCodes": ["IDU"]}))
            .await;
        assert_eq!(answer.ok_json()["organizationId"], "acme", "under {prefix}");
    }
    assert_eq!(app.api.allocated("acme", "IDU").await, 5);
}

#[tokio::test]
async fn an_account_without_an_organization_name_answers_to_any_organization_segment() {
    let app = spawn_app().await;

    let answer = app
        .api
        .put_json(
            "/whatever-you-type/lease_/api/account/1234/user-license/group/group-01",
            &json!({"userBundleCodes": ["IDU"]}),
        )
        .await;

    assert_eq!(answer.ok_json()["organizationId"], "1234");
}

// --- 409: codes not held and too few seats --------------------------------

#[tokio::test]
async fn too_few_seats_is_409_with_the_conflicting_codes_and_changes_nothing() {
    let app = spawn_acme().await;
    app.api.allocate("acme", "team", &["IDU"]).await.ok_json();
    let before = app.api.rule("acme", "big").await;

    // RPADEVPRONU would fit (8 of 10); IDU would not (3 used + 8 > 5).
    let answer = app
        .api
        .allocate("acme", "big", &["RPADEVPRONU", "IDU"])
        .await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "title": "Conflict",
            "status": 409,
            "detail": "The allocation exceeds the account license quantities for: IDU.",
            "conflicts": [{"code": "IDU", "requested": 8, "used": 3, "total": 5}]
        })
    );
    assert_eq!(app.api.rule("acme", "big").await, before);
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 0);
    assert_eq!(app.api.allocated("acme", "IDU").await, 3);
}

#[tokio::test]
async fn a_code_the_account_does_not_hold_is_409_even_with_external_licenses() {
    let app = spawn_acme().await;

    let internal = app.api.allocate("acme", "team", &["NOPE"]).await;
    let external = app
        .api
        .put_json(
            &group_path("acme", "team"),
            &json!({"userBundleCodes": ["NOPE"], "useExternalLicense": true}),
        )
        .await;

    assert_eq!(
        internal.problem(StatusCode::CONFLICT),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
            "title": "Conflict",
            "status": 409,
            "detail": "The allocation exceeds the account license quantities for: NOPE.",
            "conflicts": [{"code": "NOPE", "requested": 3, "used": 0, "total": 0}]
        })
    );
    assert_eq!(
        external.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "NOPE", "requested": 0, "used": 0, "total": 0}])
    );
    assert_eq!(
        app.api.rule("acme", "team").await["allocatedUserBundles"],
        json!([])
    );
}

#[tokio::test]
async fn every_failing_code_is_listed_in_the_order_requested() {
    let app = spawn_acme().await;

    let answer = app
        .api
        .allocate("acme", "big", &["NOPE", "RPADEVPRONU", "IDU"])
        .await;

    let problem = answer.problem(StatusCode::CONFLICT);
    assert_eq!(
        problem["detail"],
        "The allocation exceeds the account license quantities for: NOPE, IDU."
    );
    assert_eq!(
        problem["conflicts"],
        json!([
            {"code": "NOPE", "requested": 8, "used": 0, "total": 0},
            {"code": "IDU", "requested": 8, "used": 0, "total": 5}
        ])
    );
}

#[tokio::test]
async fn a_refused_replacement_keeps_the_previous_rule_and_its_seats() {
    let app = spawn_acme().await;
    app.api
        .allocate("acme", "big", &["RPADEVPRONU"])
        .await
        .ok_json();
    let before = app.api.rule("acme", "big").await;

    // Would release RPADEVPRONU and take IDU, which has too few seats.
    let answer = app.api.allocate("acme", "big", &["IDU"]).await;

    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(app.api.rule("acme", "big").await, before);
    assert_eq!(before["allocatedUserBundles"], json!(["RPADEVPRONU"]));
    assert_eq!(app.api.allocated("acme", "RPADEVPRONU").await, 8);
}

#[tokio::test]
async fn the_default_large_group_gets_409_on_a_code_with_fewer_seats_than_members() {
    let app = spawn_app().await;

    let answer = app.api.allocate("1234", "all-staff", &["IDU"]).await;

    assert_eq!(
        answer.problem(StatusCode::CONFLICT)["conflicts"],
        json!([{"code": "IDU", "requested": 25, "used": 0, "total": 5}])
    );
}
