//! Scale benchmark: one allocation on a small account and on a large one.
//!
//! SPEC §2 and §9 ask that seat accounting cost time proportional to the
//! request, not to the account. Each benchmark group below repeats one
//! request on accounts of 10, 1,000 and 100,000 users with direct
//! allocations (plus one group with a rule per ten users); if the cost is
//! flat, the times per operation match across sizes.
//!
//! Accounts are built once per size, outside the measured closures. Every
//! measured step alternates between two different allocations so each
//! iteration really releases and reserves seats (replacing a rule by an
//! identical one would still do the work, but alternating also changes which
//! codes are touched). Run with `cargo bench --bench allocation`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_main};
use uipath_license_mock::Store;
use uipath_license_mock::licensing::{
    Account, AccountId, AccountRef, Allocation, BundleCode, GroupId, LicenseSource, Members, Rule,
    UserId,
};

/// Users with a direct allocation in each benchmarked account.
const SIZES: [usize; 3] = [10, 1_000, 100_000];
/// Members of each group: a rule on a group reserves this many seats per code.
const GROUP_MEMBERS: u64 = 5;
/// Seats left free on every code so the alternating requests always succeed.
const HEADROOM: u64 = 100;

fn code(name: &str) -> BundleCode {
    BundleCode::parse(name).expect("a bundle code")
}

fn user_id(i: usize) -> UserId {
    UserId::parse(format!("user-{i:06}")).expect("a user id")
}

fn group_id(i: usize) -> GroupId {
    GroupId::parse(format!("group-{i:05}")).expect("a group id")
}

/// Groups in an account of `users` users: one per ten users, at least one.
fn group_count(users: usize) -> usize {
    (users / 10).max(1)
}

/// The two rules a benchmarked group alternates between: both hold seats
/// of `GROUP`, the second also of `EXTRA`.
fn rules() -> [Rule; 2] {
    [
        Rule::new(vec![code("GROUP")], LicenseSource::Account),
        Rule::new(vec![code("GROUP"), code("EXTRA")], LicenseSource::Account),
    ]
}

/// The two direct allocations a benchmarked user alternates between.
fn allocations() -> [Allocation; 2] {
    [
        Allocation::new(vec![code("USER")], LicenseSource::Account),
        Allocation::new(vec![code("USER"), code("EXTRA")], LicenseSource::Account),
    ]
}

/// An account of `users` users each with a direct allocation of `USER`, and
/// `users / 10` groups of `GROUP_MEMBERS` anonymous members each with a rule
/// on `GROUP`; every code has `HEADROOM` seats to spare.
fn build_account(id: &str, users: usize) -> Account {
    let groups = group_count(users);
    let licenses = BTreeMap::from([
        (code("USER"), users as u64 + HEADROOM),
        (code("GROUP"), groups as u64 * GROUP_MEMBERS + HEADROOM),
        (code("EXTRA"), HEADROOM),
    ]);
    let mut account = Account::new(
        AccountId::parse(id).expect("an account id"),
        None,
        Some(licenses),
    );
    let [rule, _] = rules();
    for g in 0..groups {
        let gid = group_id(g);
        account
            .declare_group(gid.clone(), None, Members::Anonymous(GROUP_MEMBERS))
            .expect("the group fits");
        account
            .set_group_rule(&gid, Some(rule.clone()))
            .expect("the rule fits");
    }
    let [allocation, _] = allocations();
    for u in 0..users {
        account
            .set_user_allocations(&[user_id(u)], Some(&allocation))
            .expect("the allocation fits");
    }
    assert_eq!(account.users().len(), users);
    assert_eq!(account.groups().len(), groups);
    account
}

/// Replaces one group's rule on an account held directly (no lock).
fn group_rule(c: &mut Criterion) {
    let mut bench = c.benchmark_group("group_rule");
    for &users in &SIZES {
        let mut account = build_account("bench", users);
        let target = group_id(group_count(users) / 2);
        let rules = rules();
        let mut turn = 0usize;
        bench.bench_with_input(BenchmarkId::from_parameter(users), &users, |b, _| {
            b.iter(|| {
                turn ^= 1;
                // The clone is the request's own rule, built per request by the server too.
                let rule = rules[turn].clone();
                black_box(account.set_group_rule(black_box(&target), Some(rule)))
                    .expect("the rule fits");
            });
        });
    }
    bench.finish();
}

/// Replaces one user's direct allocation on an account held directly (no lock).
fn user_allocation(c: &mut Criterion) {
    let mut bench = c.benchmark_group("user_allocation");
    for &users in &SIZES {
        let mut account = build_account("bench", users);
        let target = [user_id(users / 2)];
        let allocations = allocations();
        let mut turn = 0usize;
        bench.bench_with_input(BenchmarkId::from_parameter(users), &users, |b, _| {
            b.iter(|| {
                turn ^= 1;
                black_box(
                    account.set_user_allocations(black_box(&target), Some(&allocations[turn])),
                )
                .expect("the allocation fits");
            });
        });
    }
    bench.finish();
}

/// Both requests through `Store::update`, so the per-account lock and the
/// store's lookup are included, as on the server's allocation route.
fn store_update(c: &mut Criterion) {
    let mut bench = c.benchmark_group("store_group_rule");
    let stores: Vec<(usize, Store)> = SIZES
        .iter()
        .map(|&users| (users, Store::new([build_account("bench", users)])))
        .collect();
    let at = AccountRef {
        organization: None,
        account_id: "bench",
    };
    for (users, store) in &stores {
        let target = group_id(group_count(*users) / 2);
        let rules = rules();
        let mut turn = 0usize;
        bench.bench_with_input(BenchmarkId::from_parameter(users), users, |b, _| {
            b.iter(|| {
                turn ^= 1;
                let rule = rules[turn].clone();
                black_box(store.update(black_box(at), |account| {
                    account.set_group_rule(&target, Some(rule))
                }))
                .expect("the rule fits");
            });
        });
    }
    bench.finish();

    let mut bench = c.benchmark_group("store_user_allocation");
    for (users, store) in &stores {
        let target = [user_id(users / 2)];
        let allocations = allocations();
        let mut turn = 0usize;
        bench.bench_with_input(BenchmarkId::from_parameter(users), users, |b, _| {
            b.iter(|| {
                turn ^= 1;
                black_box(store.update(black_box(at), |account| {
                    account.set_user_allocations(&target, Some(&allocations[turn]))
                }))
                .expect("the allocation fits");
            });
        });
    }
    bench.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

// `criterion_group!` defines a `pub fn` it gives no doc comment; inside a
// private module it is not exported, so `missing_docs` does not apply.
mod harness {
    use criterion::criterion_group;

    criterion_group! {
        name = benches;
        config = super::config();
        targets = super::group_rule, super::user_allocation, super::store_update
    }
}
criterion_main!(harness::benches);
