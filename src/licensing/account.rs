//! One account and its seat arithmetic (SPEC §2).
//!
//! Every change goes through [`SeatChange`]: it collects what a request
//! releases and reserves per code, checks the whole change against the
//! account's licenses, and only then commits it. Usage is kept in per-code
//! counters, so a change costs time proportional to the codes it touches,
//! never to the number of groups or users the account holds.

use std::collections::BTreeMap;

use super::ids::{AccountId, BundleCode, GroupId, UserId};

/// Where the seats of an allocation come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseSource {
    /// Seats are taken from the account's purchased quantities.
    Account,
    /// `useExternalLicense: true`: the user brings their own license; no seat is used.
    External,
}

impl LicenseSource {
    /// Maps the wire flag `useExternalLicense`.
    pub fn from_external_flag(external: bool) -> Self {
        if external {
            Self::External
        } else {
            Self::Account
        }
    }

    /// The wire flag `useExternalLicense`.
    pub fn is_external(self) -> bool {
        self == Self::External
    }
}

/// Purchased and used seats of one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seats {
    /// Purchased quantity, `total(C)`.
    pub total: u64,
    /// Seats held by group rules and direct allocations, `used(C)`.
    pub used: u64,
}

/// Who is in a group, which decides how many seats its rule reserves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Members declared by id.
    Named(Vec<UserId>),
    /// A number of members whose ids do not matter to the test.
    Anonymous(u64),
    /// A group nobody declared, created by a rule on it: it counts as one member.
    Undeclared,
}

impl Members {
    /// How many seats of each code a rule on this group reserves before quotas.
    pub fn count(&self) -> u64 {
        match self {
            Members::Named(ids) => ids.len() as u64,
            Members::Anonymous(n) => *n,
            Members::Undeclared => 1,
        }
    }
}

/// The codes allocated to a group, with optional per-code quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    codes: Vec<BundleCode>,
    /// Where seats come from.
    pub source: LicenseSource,
    /// Caps the seats the rule reserves for a code, whatever the group's size.
    quotas: BTreeMap<BundleCode, u64>,
}

impl Rule {
    /// A rule over `codes`, deduplicated in the order first given.
    pub fn new(codes: Vec<BundleCode>, source: LicenseSource) -> Self {
        Self {
            codes: dedup(codes),
            source,
            quotas: BTreeMap::new(),
        }
    }

    /// Caps the seats the rule reserves of `code`; the code must be one of
    /// the rule's and the limit at least 1.
    pub fn set_quota(&mut self, code: BundleCode, limit: u64) -> Result<(), QuotaError> {
        if !self.codes.contains(&code) {
            return Err(QuotaError::NotInRule(code));
        }
        if limit < 1 {
            return Err(QuotaError::BelowOne(code));
        }
        self.quotas.insert(code, limit);
        Ok(())
    }

    /// The rule's codes, without duplicates, in the order first given.
    pub fn codes(&self) -> &[BundleCode] {
        &self.codes
    }

    /// Seats of each code this rule reserves for a group of `members` members.
    fn usage(&self, members: u64) -> impl Iterator<Item = (&BundleCode, u64)> {
        self.codes.iter().map(move |code| {
            let seats = match self.source {
                LicenseSource::External => 0,
                LicenseSource::Account => self
                    .quotas
                    .get(code)
                    .map_or(members, |&limit| members.min(limit)),
            };
            (code, seats)
        })
    }

    /// The quotas, by code.
    pub fn quotas(&self) -> &BTreeMap<BundleCode, u64> {
        &self.quotas
    }

    /// Seats this rule reserves of `code` for a group of `members` members.
    pub fn seats_of(&self, code: &BundleCode, members: u64) -> u64 {
        self.usage(members)
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, n)| n)
    }
}

/// Why a quota cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// The quota names a code the rule does not allocate.
    #[error("a quota for '{0}', which the rule does not allocate")]
    NotInRule(BundleCode),
    /// Limits start at 1.
    #[error("the quota for '{0}' must be at least 1")]
    BelowOne(BundleCode),
}

/// A group as the account knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Display name, when declared.
    pub name: Option<String>,
    /// Who is in the group.
    pub members: Members,
    /// The allocation rule, if one is set.
    pub rule: Option<Rule>,
}

/// A user's direct (explicit) allocation: one seat per code unless external.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    codes: Vec<BundleCode>,
    /// Where seats come from.
    pub source: LicenseSource,
}

impl Allocation {
    /// An allocation of `codes`, deduplicated in the order first given.
    pub fn new(codes: Vec<BundleCode>, source: LicenseSource) -> Self {
        Self {
            codes: dedup(codes),
            source,
        }
    }

    /// The allocated codes, in the order first given.
    pub fn codes(&self) -> &[BundleCode] {
        &self.codes
    }

    fn usage(&self) -> impl Iterator<Item = (&BundleCode, u64)> {
        let seats = u64::from(self.source == LicenseSource::Account);
        self.codes.iter().map(move |code| (code, seats))
    }
}

/// One code a change could not get: the body of a 409's `conflicts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The code.
    pub code: BundleCode,
    /// Seats of the code the request would hold after the change.
    pub requested: u64,
    /// Seats of the code in use before the change.
    pub used: u64,
    /// Purchased seats of the code; 0 when the account does not hold it.
    pub total: u64,
}

/// An organization with its licenses, groups and direct allocations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The id in the URL.
    pub id: AccountId,
    /// When set, a URL's organization segment must match it (case-insensitively).
    pub organization_name: Option<String>,
    /// Purchased and used seats per code; `None` when the organization has no account license.
    licenses: Option<BTreeMap<BundleCode, Seats>>,
    groups: BTreeMap<GroupId, Group>,
    users: BTreeMap<UserId, Allocation>,
}

impl Account {
    /// An account with the given licenses (`None`: no account license) and nothing allocated.
    pub fn new(
        id: AccountId,
        organization_name: Option<String>,
        licenses: Option<BTreeMap<BundleCode, u64>>,
    ) -> Self {
        let licenses = licenses.map(|totals| {
            totals
                .into_iter()
                .map(|(code, total)| (code, Seats { total, used: 0 }))
                .collect()
        });
        Self {
            id,
            organization_name,
            licenses,
            groups: BTreeMap::new(),
            users: BTreeMap::new(),
        }
    }

    /// Seats per code, sorted by code; `None` when the account has no license.
    pub fn licenses(&self) -> Option<&BTreeMap<BundleCode, Seats>> {
        self.licenses.as_ref()
    }

    /// Groups by id.
    pub fn groups(&self) -> &BTreeMap<GroupId, Group> {
        &self.groups
    }

    /// Direct allocations by user id.
    pub fn users(&self) -> &BTreeMap<UserId, Allocation> {
        &self.users
    }

    /// Whether a URL's organization segment names this account.
    pub fn answers_to(&self, organization: Option<&str>) -> bool {
        match (organization, &self.organization_name) {
            (Some(segment), Some(declared)) => segment.eq_ignore_ascii_case(declared),
            _ => true,
        }
    }

    /// Declares a group (or replaces its name and members), keeping its rule.
    ///
    /// Fails, changing nothing, if the new member count would make the rule
    /// use more seats than the account has.
    pub fn declare_group(
        &mut self,
        id: GroupId,
        name: Option<String>,
        members: Members,
    ) -> Result<(), Vec<Conflict>> {
        let rule = self.groups.get(&id).and_then(|g| g.rule.clone());
        if let Some(rule) = &rule {
            let old_members = self.members_of(&id);
            let mut change = SeatChange::default();
            change.release(rule.usage(old_members));
            change.reserve(rule.usage(members.count()));
            change.apply_to(&mut self.licenses)?;
        }
        self.groups.insert(
            id,
            Group {
                name,
                members,
                rule,
            },
        );
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) a group's rule; `AllocateGroupRule` and
    /// `DeallocateGroupRule`. All or nothing: on a conflict nothing changes.
    pub fn set_group_rule(
        &mut self,
        id: &GroupId,
        rule: Option<Rule>,
    ) -> Result<(), Vec<Conflict>> {
        // One lookup for the member count, the old rule and the update.
        let group = self.groups.get_mut(id);
        let members = group.as_ref().map_or(1, |g| g.members.count());
        let mut change = SeatChange::default();
        if let Some(new) = &rule {
            change.require(new.codes());
            change.reserve(new.usage(members));
        }
        if let Some(old) = group.as_ref().and_then(|g| g.rule.as_ref()) {
            change.release(old.usage(members));
        }
        change.apply_to(&mut self.licenses)?;
        match (group, rule) {
            (Some(group), rule) => {
                group.rule = rule;
                // A group that only existed for its rule goes with it.
                if group.rule.is_none()
                    && group.members == Members::Undeclared
                    && group.name.is_none()
                {
                    self.groups.remove(id);
                }
            }
            (None, Some(rule)) => {
                let group = Group {
                    name: None,
                    members: Members::Undeclared,
                    rule: Some(rule),
                };
                self.groups.insert(id.clone(), group);
            }
            (None, None) => {}
        }
        Ok(())
    }

    /// Replaces the direct allocation of each user with `allocation`
    /// (`None` removes it); all or nothing over the whole request.
    pub fn set_user_allocations(
        &mut self,
        users: &[UserId],
        allocation: Option<&Allocation>,
    ) -> Result<(), Vec<Conflict>> {
        let users = dedup(users.to_vec());
        let mut change = SeatChange::default();
        if let Some(new) = allocation {
            change.require(new.codes());
        }
        for user in &users {
            if let Some(new) = allocation {
                change.reserve(new.usage());
            }
            if let Some(old) = self.users.get(user) {
                change.release(old.usage());
            }
        }
        change.apply_to(&mut self.licenses)?;
        for user in users {
            match allocation {
                Some(new) => self.users.insert(user, new.clone()),
                None => self.users.remove(&user),
            };
        }
        Ok(())
    }

    /// Replaces the purchased quantities (`None`: no account license).
    ///
    /// Refused, changing nothing, when a code would end with fewer seats than
    /// are in use, or a code some rule or direct allocation names would no
    /// longer be held.
    pub fn set_licenses(
        &mut self,
        totals: Option<BTreeMap<BundleCode, u64>>,
    ) -> Result<(), Vec<Conflict>> {
        let new_total = |code: &BundleCode| totals.as_ref().and_then(|t| t.get(code)).copied();
        let mut conflicts: Vec<Conflict> = self
            .licenses
            .iter()
            .flatten()
            .filter(|(code, seats)| {
                seats.used > 0 && new_total(code).is_none_or(|t| t < seats.used)
            })
            .map(|(code, seats)| Conflict {
                code: code.clone(),
                requested: seats.used,
                used: seats.used,
                total: new_total(code).unwrap_or(0),
            })
            .collect();
        for code in self.referenced_codes() {
            if new_total(&code).is_none() && !conflicts.iter().any(|c| c.code == code) {
                conflicts.push(Conflict {
                    code,
                    requested: 0,
                    used: 0,
                    total: 0,
                });
            }
        }
        if !conflicts.is_empty() {
            return Err(conflicts);
        }
        let used = |code: &BundleCode| self.seats(code).map_or(0, |s| s.used);
        let licenses = totals.map(|totals| {
            totals
                .into_iter()
                .map(|(code, total)| {
                    let used = used(&code);
                    (code, Seats { total, used })
                })
                .collect()
        });
        self.licenses = licenses;
        Ok(())
    }

    /// Seats of one code, if the account holds it.
    pub fn seats(&self, code: &BundleCode) -> Option<Seats> {
        self.licenses.as_ref().and_then(|l| l.get(code)).copied()
    }

    /// The member count a rule on `group` is charged for.
    pub fn members_of(&self, group: &GroupId) -> u64 {
        self.groups.get(group).map_or(1, |g| g.members.count())
    }

    /// Every code some rule or direct allocation names, used seats or not
    /// (external allocations and empty groups hold codes without seats).
    fn referenced_codes(&self) -> Vec<BundleCode> {
        let from_groups = self
            .groups
            .values()
            .filter_map(|g| g.rule.as_ref())
            .flat_map(|r| r.codes());
        let from_users = self.users.values().flat_map(|a| a.codes());
        let mut codes: Vec<BundleCode> = from_groups.chain(from_users).cloned().collect();
        codes.sort();
        codes.dedup();
        codes
    }
}

/// What one request releases and reserves, per code, in the order the
/// request names the codes (so conflicts come back in that order). It
/// borrows the codes from the rules and allocations involved: building and
/// applying a change allocates nothing but its list of lines.
#[derive(Default)]
struct SeatChange<'a> {
    lines: Vec<ChangeLine<'a>>,
}

struct ChangeLine<'a> {
    code: &'a BundleCode,
    /// The request names this code, so the account must hold it.
    required: bool,
    reserve: u64,
    release: u64,
    /// The code's used seats before this line was committed.
    committed_over: Option<u64>,
}

impl<'a> SeatChange<'a> {
    fn line(&mut self, code: &'a BundleCode) -> &mut ChangeLine<'a> {
        // Requests name a handful of codes: a linear search beats a map here.
        let index = match self.lines.iter().position(|l| l.code == code) {
            Some(index) => index,
            None => {
                self.lines.push(ChangeLine {
                    code,
                    required: false,
                    reserve: 0,
                    release: 0,
                    committed_over: None,
                });
                self.lines.len() - 1
            }
        };
        &mut self.lines[index]
    }

    fn require(&mut self, codes: &'a [BundleCode]) {
        for code in codes {
            self.line(code).required = true;
        }
    }

    fn reserve(&mut self, usage: impl Iterator<Item = (&'a BundleCode, u64)>) {
        for (code, seats) in usage {
            let line = self.line(code);
            line.reserve = line.reserve.saturating_add(seats);
        }
    }

    fn release(&mut self, usage: impl Iterator<Item = (&'a BundleCode, u64)>) {
        for (code, seats) in usage {
            let line = self.line(code);
            line.release = line.release.saturating_add(seats);
        }
    }

    /// Checks the change against an account's licenses and commits it
    /// whole, or nothing. Each code is looked up once: lines that fit are
    /// committed as they are checked, and undone if another line conflicts.
    fn apply_to(
        mut self,
        licenses: &mut Option<BTreeMap<BundleCode, Seats>>,
    ) -> Result<(), Vec<Conflict>> {
        let mut conflicts = Vec::new();
        for line in &mut self.lines {
            let Some(seats) = licenses.as_mut().and_then(|l| l.get_mut(line.code)) else {
                if line.required || line.reserve > 0 {
                    conflicts.push(Conflict {
                        code: line.code.clone(),
                        requested: line.reserve,
                        used: 0,
                        total: 0,
                    });
                }
                continue;
            };
            let after = seats
                .used
                .saturating_sub(line.release)
                .saturating_add(line.reserve);
            if line.reserve > line.release && after > seats.total {
                conflicts.push(Conflict {
                    code: line.code.clone(),
                    requested: line.reserve,
                    used: seats.used,
                    total: seats.total,
                });
            } else {
                line.committed_over = Some(seats.used);
                seats.used = after;
            }
        }
        if conflicts.is_empty() {
            return Ok(());
        }
        for line in &self.lines {
            let Some(before) = line.committed_over else {
                continue;
            };
            if let Some(seats) = licenses.as_mut().and_then(|l| l.get_mut(line.code)) {
                seats.used = before;
            }
        }
        Err(conflicts)
    }
}

/// Drops repeated items, keeping the first of each, in order. Requests name
/// a handful of codes, so short lists are scanned rather than hashed.
pub fn dedup<T: Eq + std::hash::Hash + Clone>(mut items: Vec<T>) -> Vec<T> {
    if items.len() <= 16 {
        // In place: `items[..kept]` holds the first of each, in order.
        let mut kept = 0;
        for i in 0..items.len() {
            if !items[..kept].contains(&items[i]) {
                items.swap(kept, i);
                kept += 1;
            }
        }
        items.truncate(kept);
        return items;
    }
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}
