//! Unit tests of the seat arithmetic.
//!
//! The property test drives an [`Account`] with random sequences of
//! operations and checks it against a reference model that keeps no
//! counters: it recounts every seat from the rules and allocations after each
//! step, so the account's incremental bookkeeping is compared with the plain
//! definition of SPEC §2.

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use super::*;

fn code(s: &str) -> BundleCode {
    BundleCode::parse(s).expect("a valid code")
}

fn group(s: &str) -> GroupId {
    GroupId::parse(s).expect("a valid group id")
}

fn user(s: &str) -> UserId {
    UserId::parse(s).expect("a valid user id")
}

fn codes(list: &[&str]) -> Vec<BundleCode> {
    list.iter().map(|c| code(c)).collect()
}

/// An account `acme` holding `totals`.
fn account(totals: &[(&str, u64)]) -> Account {
    let totals = totals.iter().map(|(c, n)| (code(c), *n)).collect();
    Account::new(
        AccountId::parse("acme").expect("a valid id"),
        None,
        Some(totals),
    )
}

fn used(account: &Account, c: &str) -> u64 {
    account
        .seats(&code(c))
        .expect("the account holds the code")
        .used
}

fn rule(list: &[&str]) -> Rule {
    Rule::new(codes(list), LicenseSource::Account)
}

// --- plain unit tests ------------------------------------------------------

#[test]
fn a_rule_reserves_one_seat_per_member_of_each_code() {
    let mut acme = account(&[("IDU", 5), ("PMD", 5)]);
    acme.declare_group(group("team"), None, Members::Anonymous(3))
        .expect("declaring an empty group never conflicts");

    acme.set_group_rule(&group("team"), Some(rule(&["IDU", "PMD"])))
        .expect("3 of 5 fits");

    assert_eq!(used(&acme, "IDU"), 3);
    assert_eq!(used(&acme, "PMD"), 3);
}

#[test]
fn members_are_counted_by_list_length_number_or_one_when_undeclared() {
    assert_eq!(Members::Named(vec![user("a"), user("b")]).count(), 2);
    assert_eq!(Members::Anonymous(25).count(), 25);
    assert_eq!(Members::Undeclared.count(), 1);
    assert_eq!(account(&[]).members_of(&group("nobody-declared-it")), 1);
}

#[test]
fn a_quota_caps_the_seats_of_its_code_only() {
    let mut acme = account(&[("IDU", 5), ("PMD", 50)]);
    acme.declare_group(group("all"), None, Members::Anonymous(25))
        .expect("no rule yet");
    let mut capped = rule(&["IDU", "PMD"]);
    capped
        .set_quota(code("IDU"), 2)
        .expect("IDU is in the rule");

    acme.set_group_rule(&group("all"), Some(capped))
        .expect("2 of IDU and 25 of PMD fit");

    assert_eq!(used(&acme, "IDU"), 2);
    assert_eq!(used(&acme, "PMD"), 25);

    // A quota above the group's size changes nothing.
    acme.declare_group(group("pair"), None, Members::Anonymous(2))
        .expect("no rule yet");
    let mut generous = rule(&["PMD"]);
    generous
        .set_quota(code("PMD"), 10)
        .expect("PMD is in the rule");
    acme.set_group_rule(&group("pair"), Some(generous))
        .expect("2 more of PMD fit");
    assert_eq!(used(&acme, "PMD"), 27);
}

#[test]
fn a_quota_must_name_one_of_the_rule_codes_and_be_at_least_one() {
    let mut only_idu = rule(&["IDU"]);

    assert_eq!(
        only_idu.set_quota(code("PMD"), 1),
        Err(QuotaError::NotInRule(code("PMD")))
    );
    assert_eq!(
        only_idu.set_quota(code("IDU"), 0),
        Err(QuotaError::BelowOne(code("IDU")))
    );
    assert!(only_idu.quotas().is_empty());
}

#[test]
fn an_external_rule_uses_no_seats_but_needs_held_codes() {
    let mut acme = account(&[("IDU", 0)]);
    acme.declare_group(group("all"), None, Members::Anonymous(25))
        .expect("no rule yet");

    let held = acme.set_group_rule(
        &group("all"),
        Some(Rule::new(codes(&["IDU"]), LicenseSource::External)),
    );
    let not_held = acme.set_group_rule(
        &group("all"),
        Some(Rule::new(codes(&["PMD"]), LicenseSource::External)),
    );

    assert_eq!(held, Ok(()));
    assert_eq!(used(&acme, "IDU"), 0);
    assert_eq!(
        not_held,
        Err(vec![Conflict {
            code: code("PMD"),
            requested: 0,
            used: 0,
            total: 0
        }])
    );
}

#[test]
fn a_conflicting_rule_changes_nothing_and_names_every_failing_code() {
    let mut acme = account(&[("IDU", 5), ("PMD", 10)]);
    acme.declare_group(group("big"), None, Members::Anonymous(8))
        .expect("no rule yet");
    acme.set_group_rule(&group("big"), Some(rule(&["PMD"])))
        .expect("8 of 10 fits");
    let before = acme.clone();

    let result = acme.set_group_rule(&group("big"), Some(rule(&["NOPE", "PMD", "IDU"])));

    assert_eq!(
        result,
        Err(vec![
            Conflict {
                code: code("NOPE"),
                requested: 8,
                used: 0,
                total: 0
            },
            Conflict {
                code: code("IDU"),
                requested: 8,
                used: 0,
                total: 5
            },
        ])
    );
    assert_eq!(acme, before);
}

#[test]
fn replacing_a_rule_releases_the_old_seats_before_reserving_the_new() {
    let mut acme = account(&[("IDU", 5)]);
    acme.declare_group(group("five"), None, Members::Anonymous(5))
        .expect("no rule yet");
    acme.set_group_rule(&group("five"), Some(rule(&["IDU"])))
        .expect("5 of 5 fits");

    let again = acme.set_group_rule(&group("five"), Some(rule(&["IDU", "IDU"])));

    assert_eq!(again, Ok(()));
    assert_eq!(used(&acme, "IDU"), 5);
    let group = &acme.groups()[&group("five")];
    assert_eq!(
        group.rule.as_ref().map(Rule::codes),
        Some(&codes(&["IDU"])[..])
    );
}

#[test]
fn removing_a_rule_frees_its_seats_and_forgets_a_group_only_the_rule_created() {
    let mut acme = account(&[("IDU", 5)]);
    acme.set_group_rule(&group("stray"), Some(rule(&["IDU"])))
        .expect("1 of 5 fits");
    assert_eq!(used(&acme, "IDU"), 1);

    acme.set_group_rule(&group("stray"), None)
        .expect("removal never conflicts");
    acme.set_group_rule(&group("never-ruled"), None)
        .expect("removing nothing is fine");

    assert_eq!(used(&acme, "IDU"), 0);
    assert!(acme.groups().is_empty());
}

#[test]
fn growing_a_ruled_group_past_the_seats_is_refused_and_shrinking_it_is_not() {
    let mut acme = account(&[("IDU", 5)]);
    acme.declare_group(group("team"), None, Members::Anonymous(4))
        .expect("no rule yet");
    acme.set_group_rule(&group("team"), Some(rule(&["IDU"])))
        .expect("4 of 5 fits");
    let before = acme.clone();

    let grow = acme.declare_group(group("team"), None, Members::Anonymous(6));
    assert_eq!(
        grow,
        Err(vec![Conflict {
            code: code("IDU"),
            requested: 6,
            used: 4,
            total: 5
        }])
    );
    assert_eq!(acme, before);

    acme.declare_group(group("team"), Some("Team".into()), Members::Anonymous(2))
        .expect("shrinking never conflicts");
    assert_eq!(used(&acme, "IDU"), 2);
    assert!(acme.groups()[&group("team")].rule.is_some());
}

#[test]
fn direct_allocations_use_one_seat_per_distinct_user_all_or_nothing() {
    let mut acme = account(&[("IDU", 3), ("PMD", 10)]);
    let alloc = Allocation::new(codes(&["PMD", "IDU", "PMD"]), LicenseSource::Account);

    acme.set_user_allocations(&[user("a"), user("b"), user("a")], Some(&alloc))
        .expect("2 users fit");
    assert_eq!(used(&acme, "IDU"), 2);
    assert_eq!(used(&acme, "PMD"), 2);
    assert_eq!(
        acme.users()[&user("a")].codes(),
        &codes(&["PMD", "IDU"])[..]
    );

    let before = acme.clone();
    let too_many = acme.set_user_allocations(&[user("c"), user("d")], Some(&alloc));
    assert_eq!(
        too_many,
        Err(vec![Conflict {
            code: code("IDU"),
            requested: 2,
            used: 2,
            total: 3
        }])
    );
    assert_eq!(acme, before);

    // Re-allocating users who already hold a seat is not growth.
    acme.set_user_allocations(&[user("a"), user("b"), user("c")], Some(&alloc))
        .expect("3 of 3 fits");
    assert_eq!(used(&acme, "IDU"), 3);
    acme.set_user_allocations(&[user("a")], None)
        .expect("removal never conflicts");
    assert_eq!(used(&acme, "IDU"), 2);
}

#[test]
fn licenses_cannot_drop_below_what_is_used_or_lose_a_named_code() {
    let mut acme = account(&[("IDU", 5), ("PMD", 5)]);
    acme.set_user_allocations(
        &[user("a"), user("b")],
        Some(&Allocation::new(codes(&["IDU"]), LicenseSource::Account)),
    )
    .expect("fits");
    acme.set_group_rule(
        &group("g"),
        Some(Rule::new(codes(&["PMD"]), LicenseSource::External)),
    )
    .expect("fits");
    let before = acme.clone();

    let shrink = acme.set_licenses(Some(BTreeMap::from([(code("IDU"), 1), (code("PMD"), 5)])));
    let drop_named = acme.set_licenses(Some(BTreeMap::from([(code("IDU"), 5)])));
    let no_license = acme.set_licenses(None);

    assert_eq!(
        shrink,
        Err(vec![Conflict {
            code: code("IDU"),
            requested: 2,
            used: 2,
            total: 1
        }])
    );
    assert_eq!(
        drop_named,
        Err(vec![Conflict {
            code: code("PMD"),
            requested: 0,
            used: 0,
            total: 0
        }])
    );
    assert!(no_license.is_err());
    assert_eq!(acme, before);

    acme.set_licenses(Some(BTreeMap::from([
        (code("IDU"), 2),
        (code("PMD"), 1),
        (code("NEW"), 3),
    ])))
    .expect("exactly what is used, and a new code");
    assert_eq!(acme.seats(&code("IDU")), Some(Seats { total: 2, used: 2 }));
    assert_eq!(acme.seats(&code("NEW")), Some(Seats { total: 3, used: 0 }));
}

#[test]
fn an_account_without_a_license_refuses_every_code() {
    let mut acme = Account::new(AccountId::parse("acme").expect("valid"), None, None);

    let result = acme.set_group_rule(&group("g"), Some(rule(&["IDU"])));

    assert_eq!(
        result,
        Err(vec![Conflict {
            code: code("IDU"),
            requested: 1,
            used: 0,
            total: 0
        }])
    );
}

#[test]
fn the_organization_segment_matches_case_insensitively_or_when_none_is_declared() {
    let id = AccountId::parse("acme").expect("valid");
    let named = Account::new(id.clone(), Some("Acme".into()), None);
    let unnamed = Account::new(id, None, None);

    assert!(named.answers_to(Some("ACME")));
    assert!(named.answers_to(None));
    assert!(!named.answers_to(Some("globex")));
    assert!(unnamed.answers_to(Some("anything")));
}

// --- the property test -----------------------------------------------------

/// Codes the operations draw from; the account holds a random subset.
const CODES: [&str; 5] = ["A", "B", "C", "D", "E"];
const GROUPS: usize = 4;
const USERS: usize = 5;

#[derive(Debug, Clone)]
enum MembersSpec {
    Named(usize),
    Anonymous(u64),
    Undeclared,
}

#[derive(Debug, Clone)]
enum Op {
    SetRule {
        group: usize,
        codes: Vec<usize>,
        external: bool,
        quotas: Vec<(usize, u64)>,
    },
    RemoveRule {
        group: usize,
    },
    SetUsers {
        users: Vec<usize>,
        codes: Vec<usize>,
        external: bool,
    },
    RemoveUsers {
        users: Vec<usize>,
    },
    Declare {
        group: usize,
        members: MembersSpec,
    },
    SetLicenses {
        totals: Option<BTreeMap<usize, u64>>,
    },
}

fn members_spec() -> impl Strategy<Value = MembersSpec> {
    prop_oneof![
        (0..6usize).prop_map(MembersSpec::Named),
        (0..9u64).prop_map(MembersSpec::Anonymous),
        Just(MembersSpec::Undeclared),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let code = || 0..CODES.len();
    prop_oneof![
        5 => (0..GROUPS, vec(code(), 0..4), any::<bool>(), vec((code(), 1..5u64), 0..2))
            .prop_map(|(group, codes, external, quotas)| Op::SetRule { group, codes, external, quotas }),
        1 => (0..GROUPS).prop_map(|group| Op::RemoveRule { group }),
        3 => (vec(0..USERS, 0..4), vec(code(), 0..3), any::<bool>())
            .prop_map(|(users, codes, external)| Op::SetUsers { users, codes, external }),
        1 => vec(0..USERS, 0..3).prop_map(|users| Op::RemoveUsers { users }),
        2 => (0..GROUPS, members_spec()).prop_map(|(group, members)| Op::Declare { group, members }),
        1 => proptest::option::weighted(0.9, btree_map(code(), 0..8u64, 0..=4))
            .prop_map(|totals| Op::SetLicenses { totals }),
    ]
}

fn group_name(i: usize) -> GroupId {
    group(&format!("g{i}"))
}

fn user_name(i: usize) -> UserId {
    user(&format!("u{i}"))
}

/// A rule as the model sees it: codes deduplicated in order, quotas by code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModelRule {
    codes: Vec<BundleCode>,
    external: bool,
    quotas: BTreeMap<BundleCode, u64>,
}

impl ModelRule {
    fn seats(&self, c: &BundleCode, members: u64) -> u64 {
        if self.external || !self.codes.contains(c) {
            0
        } else {
            self.quotas.get(c).map_or(members, |&q| members.min(q))
        }
    }

    fn from_domain(rule: &Rule) -> Self {
        Self {
            codes: rule.codes().to_vec(),
            external: rule.source.is_external(),
            quotas: rule.quotas().clone(),
        }
    }
}

/// The reference: plain data, no counters; every question is answered by
/// recounting from scratch.
#[derive(Debug, Clone)]
struct Model {
    totals: Option<BTreeMap<BundleCode, u64>>,
    /// Member count and rule of each group someone declared or ruled.
    groups: BTreeMap<GroupId, (u64, Option<ModelRule>)>,
    users: BTreeMap<UserId, (Vec<BundleCode>, bool)>,
}

impl Model {
    fn members(&self, g: &GroupId) -> u64 {
        self.groups.get(g).map_or(1, |(members, _)| *members)
    }

    fn used(&self, c: &BundleCode) -> u64 {
        let groups: u64 = self
            .groups
            .values()
            .filter_map(|(members, rule)| rule.as_ref().map(|r| r.seats(c, *members)))
            .sum();
        let users = self
            .users
            .values()
            .filter(|(codes, external)| !external && codes.contains(c))
            .count() as u64;
        groups + users
    }

    fn total(&self, c: &BundleCode) -> Option<u64> {
        self.totals.as_ref().and_then(|t| t.get(c)).copied()
    }

    /// The conflicts of moving from `self` to `after`, where `named` are the
    /// codes the request names (in order) and `requested(c)` the seats of `c`
    /// the request itself holds afterwards.
    fn conflicts(
        &self,
        after: &Model,
        named: &[BundleCode],
        requested: impl Fn(&BundleCode) -> u64,
    ) -> Vec<Conflict> {
        named
            .iter()
            .filter_map(|c| match self.total(c) {
                None => Some(Conflict {
                    code: c.clone(),
                    requested: requested(c),
                    used: 0,
                    total: 0,
                }),
                Some(total) => {
                    let (before, now) = (self.used(c), after.used(c));
                    (now > total && now > before).then(|| Conflict {
                        code: c.clone(),
                        requested: requested(c),
                        used: before,
                        total,
                    })
                }
            })
            .collect()
    }

    /// Applies `op`: `Ok(())` and the new model, or the expected conflicts and
    /// an unchanged model.
    fn apply(&mut self, op: &Op) -> Result<(), Vec<Conflict>> {
        let mut after = self.clone();
        let conflicts = match op {
            Op::SetRule {
                group,
                codes,
                external,
                quotas,
            } => {
                let g = group_name(*group);
                let rule = model_rule(codes, *external, quotas);
                let members = self.members(&g);
                after.groups.entry(g).or_insert((1, None)).1 = Some(rule.clone());
                self.conflicts(&after, &rule.codes, |c| rule.seats(c, members))
            }
            Op::RemoveRule { group } => {
                if let Some((_, rule)) = after.groups.get_mut(&group_name(*group)) {
                    *rule = None;
                }
                Vec::new()
            }
            Op::SetUsers {
                users,
                codes,
                external,
            } => {
                let named = dedup_codes(codes);
                let distinct: BTreeSet<UserId> = users.iter().map(|u| user_name(*u)).collect();
                for u in &distinct {
                    after.users.insert(u.clone(), (named.clone(), *external));
                }
                let per_user = u64::from(!external);
                let requested = distinct.len() as u64 * per_user;
                self.conflicts(&after, &named, |_| requested)
            }
            Op::RemoveUsers { users } => {
                for u in users {
                    after.users.remove(&user_name(*u));
                }
                Vec::new()
            }
            Op::Declare { group, members } => {
                let g = group_name(*group);
                let count = match members {
                    MembersSpec::Named(n) => *n as u64,
                    MembersSpec::Anonymous(n) => *n,
                    MembersSpec::Undeclared => 1,
                };
                let entry = after.groups.entry(g.clone()).or_insert((1, None));
                entry.0 = count;
                match self.groups.get(&g).and_then(|(_, r)| r.clone()) {
                    Some(rule) => self.conflicts(&after, &rule.codes, |c| rule.seats(c, count)),
                    None => Vec::new(),
                }
            }
            Op::SetLicenses { totals } => {
                let totals = totals.as_ref().map(|t| {
                    t.iter()
                        .map(|(c, n)| (code(CODES[*c]), *n))
                        .collect::<BTreeMap<_, _>>()
                });
                let new_total = |c: &BundleCode| totals.as_ref().and_then(|t| t.get(c)).copied();
                let mut conflicts: Vec<Conflict> = Vec::new();
                for c in self.all_codes() {
                    let used = self.used(&c);
                    let referenced = self.referenced(&c);
                    let short = used > 0 && new_total(&c).is_none_or(|t| t < used);
                    if short || (referenced && new_total(&c).is_none()) {
                        conflicts.push(Conflict {
                            code: c.clone(),
                            requested: used,
                            used,
                            total: new_total(&c).unwrap_or(0),
                        });
                    }
                }
                after.totals = totals;
                conflicts
            }
        };
        if conflicts.is_empty() {
            *self = after;
            Ok(())
        } else {
            Err(conflicts)
        }
    }

    /// Whether some rule or direct allocation names `c`.
    fn referenced(&self, c: &BundleCode) -> bool {
        self.groups
            .values()
            .any(|(_, r)| r.as_ref().is_some_and(|r| r.codes.contains(c)))
            || self.users.values().any(|(codes, _)| codes.contains(c))
    }

    fn all_codes(&self) -> Vec<BundleCode> {
        CODES.iter().map(|c| code(c)).collect()
    }
}

fn dedup_codes(indices: &[usize]) -> Vec<BundleCode> {
    let mut out: Vec<BundleCode> = Vec::new();
    for i in indices {
        let c = code(CODES[*i]);
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

fn model_rule(codes: &[usize], external: bool, quotas: &[(usize, u64)]) -> ModelRule {
    let codes = dedup_codes(codes);
    // Quotas are only accepted on the rule's own codes.
    let quotas = quotas
        .iter()
        .map(|(c, q)| (code(CODES[*c]), *q))
        .filter(|(c, _)| codes.contains(c))
        .collect();
    ModelRule {
        codes,
        external,
        quotas,
    }
}

/// Runs `op` on the account, as the HTTP layer and the fixture loader do.
fn run(account: &mut Account, op: &Op) -> Result<(), Vec<Conflict>> {
    match op {
        Op::SetRule {
            group,
            codes,
            external,
            quotas,
        } => {
            let model = model_rule(codes, *external, quotas);
            let indices = codes.iter().map(|i| code(CODES[*i])).collect();
            let mut rule = Rule::new(indices, LicenseSource::from_external_flag(*external));
            for (c, limit) in model.quotas {
                rule.set_quota(c, limit)
                    .expect("the model keeps quotas of the rule's codes only");
            }
            account.set_group_rule(&group_name(*group), Some(rule))
        }
        Op::RemoveRule { group } => account.set_group_rule(&group_name(*group), None),
        Op::SetUsers {
            users,
            codes,
            external,
        } => {
            let users: Vec<UserId> = users.iter().map(|u| user_name(*u)).collect();
            let codes = codes.iter().map(|i| code(CODES[*i])).collect();
            let allocation = Allocation::new(codes, LicenseSource::from_external_flag(*external));
            account.set_user_allocations(&users, Some(&allocation))
        }
        Op::RemoveUsers { users } => {
            let users: Vec<UserId> = users.iter().map(|u| user_name(*u)).collect();
            account.set_user_allocations(&users, None)
        }
        Op::Declare { group, members } => {
            let members = match members {
                MembersSpec::Named(n) => {
                    Members::Named((0..*n).map(|m| user(&format!("m{m}"))).collect())
                }
                MembersSpec::Anonymous(n) => Members::Anonymous(*n),
                MembersSpec::Undeclared => Members::Undeclared,
            };
            account.declare_group(group_name(*group), None, members)
        }
        Op::SetLicenses { totals } => account.set_licenses(
            totals
                .as_ref()
                .map(|t| t.iter().map(|(c, n)| (code(CODES[*c]), *n)).collect()),
        ),
    }
}

/// Everything observable about the account equals the model, and the
/// invariant holds.
fn check_against_model(account: &Account, model: &Model) -> Result<(), TestCaseError> {
    let totals = account.licenses().map(|l| {
        l.iter()
            .map(|(c, s)| (c.clone(), s.total))
            .collect::<BTreeMap<_, _>>()
    });
    prop_assert_eq!(&totals, &model.totals);
    for (c, seats) in account.licenses().into_iter().flatten() {
        prop_assert!(
            seats.used <= seats.total,
            "invariant broken for {}: {:?}",
            c,
            seats
        );
        prop_assert_eq!(
            seats.used,
            model.used(c),
            "used({}) differs from the recount",
            c
        );
    }
    let ids: BTreeSet<&GroupId> = account.groups().keys().chain(model.groups.keys()).collect();
    for g in ids {
        let rule = account
            .groups()
            .get(g)
            .and_then(|group| group.rule.as_ref())
            .map(ModelRule::from_domain);
        let expected = model.groups.get(g).and_then(|(_, r)| r.clone());
        prop_assert_eq!(rule, expected, "rule of {}", g);
        prop_assert_eq!(account.members_of(g), model.members(g), "members of {}", g);
    }
    let users: BTreeMap<UserId, (Vec<BundleCode>, bool)> = account
        .users()
        .iter()
        .map(|(u, a)| (u.clone(), (a.codes().to_vec(), a.source.is_external())))
        .collect();
    prop_assert_eq!(&users, &model.users);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_operations_keep_the_invariant_and_match_a_model_that_recounts(
        initial in btree_map(0..CODES.len(), 0..8u64, 1..=4),
        ops in vec(op(), 0..40),
    ) {
        let totals: BTreeMap<BundleCode, u64> =
            initial.iter().map(|(c, n)| (code(CODES[*c]), *n)).collect();
        let mut account = Account::new(
            AccountId::parse("acme").expect("valid"),
            None,
            Some(totals.clone()),
        );
        let mut model = Model { totals: Some(totals), groups: BTreeMap::new(), users: BTreeMap::new() };

        for op in &ops {
            let before = account.clone();
            let actual = run(&mut account, op);
            let expected = model.apply(op);
            match (&actual, &expected) {
                (Err(actual), Err(expected)) => {
                    prop_assert_eq!(&account, &before, "a refused {:?} changed the account", op);
                    // set_licenses reports in its own order; compare as sets there.
                    let sorted = |v: &Vec<Conflict>| {
                        let mut v = v.clone();
                        v.sort_by(|a, b| a.code.cmp(&b.code));
                        v
                    };
                    if matches!(op, Op::SetLicenses { .. }) {
                        prop_assert_eq!(sorted(actual), sorted(expected), "conflicts of {:?}", op);
                    } else {
                        prop_assert_eq!(actual, expected, "conflicts of {:?}", op);
                    }
                }
                _ => prop_assert_eq!(&actual, &expected, "outcome of {:?}", op),
            }
            check_against_model(&account, &model)?;
        }
    }
}
