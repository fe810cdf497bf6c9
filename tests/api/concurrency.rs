//! Races on one account: every allocation is one atomic step (SPEC §2), so
//! concurrent requests never over-allocate and never half-apply.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Barrier;
use uipath_license_mock::licensing::BundleCode;

use crate::helpers::{TestApp, group_path, spawn_app_with};

/// `race` holds `seats` of IDU and of RPADEVPRONU, with groups `left` and
/// `right` of 4 members each.
async fn spawn_race_account(seats: u32) -> TestApp {
    spawn_app_with(json!({
        "accounts": [{
            "accountId": "race",
            "licenses": {"IDU": seats, "RPADEVPRONU": seats},
            "groups": [
                {"groupId": "left", "members": 4},
                {"groupId": "right", "members": 4}
            ]
        }]
    }))
    .await
}

fn used_in_store(app: &TestApp, code: &str) -> u64 {
    let account = app
        .server
        .store()
        .account("race")
        .expect("the account exists");
    let code = BundleCode::parse(code).expect("a valid code");
    account
        .seats(&code)
        .expect("the account holds the code")
        .used
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn of_forty_groups_racing_for_seven_seats_exactly_seven_win() {
    const RACERS: usize = 40;
    const SEATS: u32 = 7;
    let app = spawn_race_account(SEATS).await;
    let start = Arc::new(Barrier::new(RACERS));

    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            let api = app.api.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                // Undeclared groups: one seat each.
                api.allocate("race", &format!("racer-{i}"), &["IDU"]).await
            })
        })
        .collect();
    let mut won = 0;
    let mut lost = 0;
    for racer in racers {
        let answer = racer.await.expect("the task finished");
        match answer.status {
            StatusCode::OK => won += 1,
            StatusCode::CONFLICT => {
                let conflicts = &answer.problem(StatusCode::CONFLICT)["conflicts"];
                assert_eq!(
                    *conflicts,
                    json!([{"code": "IDU", "requested": 1, "used": SEATS, "total": SEATS}])
                );
                lost += 1;
            }
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }

    assert_eq!(won, SEATS);
    assert_eq!(lost, RACERS as u32 - SEATS);
    assert_eq!(app.api.allocated("race", "IDU").await, u64::from(SEATS));
    assert_eq!(used_in_store(&app, "IDU"), u64::from(SEATS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn racing_replacements_of_two_rules_never_over_allocate() {
    const WRITERS: usize = 64;
    // 7 seats: `left` and `right` (4 members each) cannot both hold a code.
    let app = spawn_race_account(7).await;
    let start = Arc::new(Barrier::new(WRITERS + 1));
    let done = Arc::new(AtomicBool::new(false));

    // A reader checks the invariant while the writers race.
    let reader = {
        let api = app.api.clone();
        let start = Arc::clone(&start);
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            start.wait().await;
            let mut reads = 0;
            while !done.load(Ordering::Acquire) || reads == 0 {
                let rule = api.rule("race", "left").await;
                for bundle in rule["availableUserBundles"].as_array().expect("a list") {
                    assert!(
                        bundle["allocated"].as_u64() <= bundle["total"].as_u64(),
                        "over-allocated mid-race: {bundle}"
                    );
                }
                reads += 1;
            }
        })
    };
    let rules: [&[&str]; 4] = [&["IDU"], &["RPADEVPRONU"], &["IDU", "RPADEVPRONU"], &[]];
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let api = app.api.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                let group = if i % 2 == 0 { "left" } else { "right" };
                if i % 7 == 6 {
                    api.delete(&group_path("race", group)).await
                } else {
                    api.allocate("race", group, rules[(i / 2) % rules.len()])
                        .await
                }
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for writer in writers {
        statuses.push(writer.await.expect("the task finished").status);
    }
    done.store(true, Ordering::Release);
    reader.await.expect("the invariant held throughout");

    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::OK));
    // The counters equal a recount of the rules that won.
    let left = app.api.rule("race", "left").await;
    let right = app.api.rule("race", "right").await;
    for code in ["IDU", "RPADEVPRONU"] {
        let holds = |rule: &serde_json::Value| {
            rule["allocatedUserBundles"]
                .as_array()
                .expect("a list")
                .iter()
                .any(|c| c == code)
        };
        let expected = 4 * (u64::from(holds(&left)) + u64::from(holds(&right)));
        assert!(expected <= 7, "{code} is held by both groups");
        assert_eq!(app.api.allocated("race", code).await, expected, "{code}");
        assert_eq!(used_in_store(&app, code), expected, "{code}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_resends_of_a_rule_that_fills_a_code_all_succeed() {
    const SENDERS: usize = 30;
    let app = spawn_race_account(4).await;
    app.api.allocate("race", "left", &["IDU"]).await.ok_json();
    let start = Arc::new(Barrier::new(SENDERS));

    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let api = app.api.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                api.allocate("race", "left", &["IDU"]).await
            })
        })
        .collect();

    for sender in senders {
        let answer = sender.await.expect("the task finished");
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    assert_eq!(used_in_store(&app, "IDU"), 4);
}
