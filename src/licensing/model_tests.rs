//! A reference model for direct user allocations and quota-capped group
//! rules (SPEC §2).
//!
//! Random sequences of `set_user_allocations` (several users at once, random
//! codes, external or not, removal), `set_group_rule` with quotas set through
//! `Rule::set_quota`, and `declare_group` member changes run against an
//! [`Account`] and against a model that holds plain data and recounts every
//! seat from scratch. After every step: the invariant holds, the outcome
//! matches the model's, a refused operation left the account exactly as it
//! was, and each code's `used` equals the recount.

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;

/// Codes the operations draw from; the last one is never held.
const CODES: [&str; 4] = ["IDU", "PMD", "RPADEVPRONU", "GHOST"];
const HELD: usize = 3;
const GROUPS: usize = 3;
const USERS: usize = 6;

fn code(i: usize) -> BundleCode {
    BundleCode::parse(CODES[i]).expect("a valid code")
}

/// The index in [`CODES`] of a code the operations used.
fn index_of(c: &BundleCode) -> usize {
    CODES
        .iter()
        .position(|k| *k == c.as_str())
        .expect("a code of CODES")
}

fn group(i: usize) -> GroupId {
    GroupId::parse(format!("group-{i}")).expect("a valid group id")
}

fn user(i: usize) -> UserId {
    UserId::parse(format!("user-{i}")).expect("a valid user id")
}

/// Codes in the order first given, without repeats.
fn distinct(codes: &[usize]) -> Vec<usize> {
    let mut seen = Vec::new();
    for &c in codes {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen
}

#[derive(Debug, Clone)]
enum Size {
    Named(usize),
    Anonymous(u64),
    Undeclared,
}

impl Size {
    fn count(&self) -> u64 {
        match self {
            Size::Named(n) => *n as u64,
            Size::Anonymous(n) => *n,
            Size::Undeclared => 1,
        }
    }

    fn members(&self) -> Members {
        match self {
            Size::Named(n) => Members::Named(
                (0..*n)
                    .map(|m| UserId::parse(format!("member-{m}")).expect("a valid id"))
                    .collect(),
            ),
            Size::Anonymous(n) => Members::Anonymous(*n),
            Size::Undeclared => Members::Undeclared,
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// `AllocateUserLicensesForAccount`: users may repeat, codes may repeat.
    AllocateUsers {
        users: Vec<usize>,
        codes: Vec<usize>,
        external: bool,
    },
    /// `DeleteMultipleUserLicenses`.
    RemoveUsers { users: Vec<usize> },
    /// `AllocateGroupRuleWithQuota`; quotas may name codes outside the rule
    /// or a limit of 0, which `Rule::set_quota` must refuse.
    SetRule {
        group: usize,
        codes: Vec<usize>,
        external: bool,
        quotas: Vec<(usize, u64)>,
    },
    /// `DeallocateGroupRule`.
    RemoveRule { group: usize },
    /// The admin API changing a group's members.
    Declare { group: usize, size: Size },
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        (0..5usize).prop_map(Size::Named),
        (0..10u64).prop_map(Size::Anonymous),
        Just(Size::Undeclared),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    // Mostly held codes; now and then the one the account does not hold.
    let code = || prop_oneof![9 => 0..HELD, 1 => Just(HELD)];
    prop_oneof![
        4 => (vec(0..USERS, 0..5), vec(code(), 0..4), proptest::bool::weighted(0.2))
            .prop_map(|(users, codes, external)| Op::AllocateUsers { users, codes, external }),
        2 => vec(0..USERS, 0..4).prop_map(|users| Op::RemoveUsers { users }),
        4 => (
            0..GROUPS,
            vec(code(), 0..4),
            proptest::bool::weighted(0.2),
            vec((code(), 0..5u64), 0..3),
        )
            .prop_map(|(group, codes, external, quotas)| Op::SetRule { group, codes, external, quotas }),
        1 => (0..GROUPS).prop_map(|group| Op::RemoveRule { group }),
        3 => (0..GROUPS, size()).prop_map(|(group, size)| Op::Declare { group, size }),
    ]
}

/// A rule as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlainRule {
    codes: Vec<usize>,
    external: bool,
    quotas: BTreeMap<usize, u64>,
}

impl PlainRule {
    /// Seats of `c` for a group of `members`: SPEC §2 written out.
    fn seats(&self, c: usize, members: u64) -> u64 {
        if self.external || !self.codes.contains(&c) {
            return 0;
        }
        match self.quotas.get(&c) {
            Some(&limit) => members.min(limit),
            None => members,
        }
    }
}

/// The reference: no counters, only what was allocated to whom.
#[derive(Debug, Clone, Default)]
struct Model {
    totals: [u64; HELD],
    /// Declared member counts; a group absent here counts one member.
    sizes: BTreeMap<usize, u64>,
    rules: BTreeMap<usize, PlainRule>,
    /// Direct allocations: codes (distinct, in order) and the external flag.
    users: BTreeMap<usize, (Vec<usize>, bool)>,
}

impl Model {
    fn members(&self, g: usize) -> u64 {
        self.sizes.get(&g).copied().unwrap_or(1)
    }

    /// `used(c)`, recounted from every rule and every direct allocation.
    fn used(&self, c: usize) -> u64 {
        let from_rules: u64 = self
            .rules
            .iter()
            .map(|(&g, rule)| rule.seats(c, self.members(g)))
            .sum();
        let from_users = self
            .users
            .values()
            .filter(|(codes, external)| !external && codes.contains(&c))
            .count() as u64;
        from_rules + from_users
    }

    /// The rule the operation asks for and whether `Rule::set_quota` should
    /// accept each quota, in order.
    fn rule_of(codes: &[usize], external: bool, quotas: &[(usize, u64)]) -> (PlainRule, Vec<bool>) {
        let codes = distinct(codes);
        let mut accepted = Vec::new();
        let mut kept = BTreeMap::new();
        for &(c, limit) in quotas {
            let ok = codes.contains(&c) && limit >= 1;
            if ok {
                kept.insert(c, limit);
            }
            accepted.push(ok);
        }
        let rule = PlainRule {
            codes,
            external,
            quotas: kept,
        };
        (rule, accepted)
    }

    /// Applies `op` if SPEC §2 allows it. On refusal the model is unchanged
    /// and the answer is the sorted list of codes that failed.
    fn apply(&mut self, op: &Op) -> Result<(), BTreeSet<usize>> {
        let mut after = self.clone();
        let named: Vec<usize> = match op {
            Op::AllocateUsers {
                users,
                codes,
                external,
            } => {
                let codes = distinct(codes);
                for &u in users {
                    after.users.insert(u, (codes.clone(), *external));
                }
                codes
            }
            Op::RemoveUsers { users } => {
                for u in users {
                    after.users.remove(u);
                }
                Vec::new()
            }
            Op::SetRule {
                group,
                codes,
                external,
                quotas,
            } => {
                let (rule, _) = Self::rule_of(codes, *external, quotas);
                let codes = rule.codes.clone();
                after.rules.insert(*group, rule);
                codes
            }
            Op::RemoveRule { group } => {
                after.rules.remove(group);
                Vec::new()
            }
            Op::Declare { group, size } => {
                after.sizes.insert(*group, size.count());
                // A declaration names no codes; only the seats can fail.
                after
                    .rules
                    .get(group)
                    .map(|r| r.codes.clone())
                    .unwrap_or_default()
            }
        };
        let mut failed = BTreeSet::new();
        for &c in &named {
            if c >= HELD {
                // Only a request names a code; a declaration's rule holds its codes already.
                failed.insert(c);
            }
        }
        for c in 0..HELD {
            if after.used(c) > self.totals[c] {
                failed.insert(c);
            }
        }
        if failed.is_empty() {
            *self = after;
            Ok(())
        } else {
            Err(failed)
        }
    }
}

/// Runs `op` on the account as the HTTP layer does, checking on the way that
/// `Rule::set_quota` accepts exactly the quotas the model accepts.
fn run(account: &mut Account, op: &Op) -> Result<Result<(), Vec<Conflict>>, TestCaseError> {
    Ok(match op {
        Op::AllocateUsers {
            users,
            codes,
            external,
        } => {
            let users: Vec<UserId> = users.iter().map(|&u| user(u)).collect();
            let allocation = Allocation::new(
                codes.iter().map(|&c| code(c)).collect(),
                LicenseSource::from_external_flag(*external),
            );
            account.set_user_allocations(&users, Some(&allocation))
        }
        Op::RemoveUsers { users } => {
            let users: Vec<UserId> = users.iter().map(|&u| user(u)).collect();
            account.set_user_allocations(&users, None)
        }
        Op::SetRule {
            group: g,
            codes,
            external,
            quotas,
        } => {
            let (_, accepted) = Model::rule_of(codes, *external, quotas);
            let mut rule = Rule::new(
                codes.iter().map(|&c| code(c)).collect(),
                LicenseSource::from_external_flag(*external),
            );
            for (&(c, limit), expected) in quotas.iter().zip(accepted) {
                let before = rule.clone();
                let set = rule.set_quota(code(c), limit);
                prop_assert_eq!(set.is_ok(), expected, "set_quota({}, {})", CODES[c], limit);
                if set.is_err() {
                    prop_assert_eq!(&rule, &before, "a refused quota changed the rule");
                }
            }
            account.set_group_rule(&group(*g), Some(rule))
        }
        Op::RemoveRule { group: g } => account.set_group_rule(&group(*g), None),
        Op::Declare { group: g, size } => account.declare_group(group(*g), None, size.members()),
    })
}

/// The account equals the model in everything the model knows.
fn check(account: &Account, model: &Model) -> Result<(), TestCaseError> {
    for (c, name) in CODES.iter().enumerate().take(HELD) {
        let seats = account.seats(&code(c)).expect("the account holds the code");
        prop_assert!(
            seats.used <= seats.total,
            "invariant broken for {}: {:?}",
            name,
            seats
        );
        prop_assert_eq!(seats.total, model.totals[c]);
        prop_assert_eq!(seats.used, model.used(c), "used({}) vs the recount", name);
    }
    prop_assert!(account.seats(&code(HELD)).is_none());
    for g in 0..GROUPS {
        prop_assert_eq!(
            account.members_of(&group(g)),
            model.members(g),
            "members of {}",
            g
        );
        let rule = account
            .groups()
            .get(&group(g))
            .and_then(|grp| grp.rule.as_ref())
            .map(|r| PlainRule {
                codes: r.codes().iter().map(index_of).collect(),
                external: r.source.is_external(),
                quotas: r.quotas().iter().map(|(c, &l)| (index_of(c), l)).collect(),
            });
        prop_assert_eq!(rule.as_ref(), model.rules.get(&g), "rule of {}", g);
    }
    let users: BTreeMap<usize, (Vec<usize>, bool)> = account
        .users()
        .iter()
        .map(|(u, a)| {
            let index = (0..USERS).find(|&i| user(i) == *u).expect("a known user");
            let codes = a.codes().iter().map(index_of).collect();
            (index, (codes, a.source.is_external()))
        })
        .collect();
    prop_assert_eq!(&users, &model.users);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn users_and_quota_rules_keep_the_invariant_and_match_a_recount_after_every_step(
        totals in proptest::array::uniform3(0..7u64),
        ops in vec(op(), 1..40),
    ) {
        let licenses = (0..HELD).map(|c| (code(c), totals[c])).collect();
        let mut account = Account::new(
            AccountId::parse("model").expect("a valid id"),
            None,
            Some(licenses),
        );
        let mut model = Model { totals, ..Model::default() };

        for op in &ops {
            let before = account.clone();
            let actual = run(&mut account, op)?;
            let expected = model.apply(op);
            match (&actual, &expected) {
                (Ok(()), Ok(())) => {}
                (Err(conflicts), Err(failed)) => {
                    prop_assert_eq!(&account, &before, "a refused {:?} changed the account", op);
                    let codes: BTreeSet<usize> = conflicts
                        .iter()
                        .map(|c| index_of(&c.code))
                        .collect();
                    prop_assert_eq!(&codes, failed, "the codes refused by {:?}", op);
                    for conflict in conflicts {
                        let held = account.seats(&conflict.code);
                        prop_assert_eq!(conflict.used, held.map_or(0, |s| s.used));
                        prop_assert_eq!(conflict.total, held.map_or(0, |s| s.total));
                    }
                }
                _ => prop_assert!(false, "{:?}: account {:?}, model {:?}", op, actual, expected),
            }
            check(&account, &model)?;
        }
    }
}
