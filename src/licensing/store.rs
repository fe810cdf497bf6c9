//! The in-memory store: every account behind its own lock.

use std::sync::Arc;

use dashmap::DashMap;

use super::account::{Account, Conflict};
use super::ids::AccountId;

/// Which account a license route addresses: the URL's optional organization
/// segment and its account id.
#[derive(Debug, Clone, Copy)]
pub struct AccountRef<'a> {
    /// The `{organizationName}` segment, when the route has one.
    pub organization: Option<&'a str>,
    /// The `{accountId}` segment.
    pub account_id: &'a str,
}

/// Why a license route found no account to work on: the three causes of the
/// documented 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundReason {
    /// No account has this id.
    UnknownAccount,
    /// The account exists but its `licenses` is `null`.
    NoAccountLicense,
    /// The URL's organization segment differs from the declared `organizationName`.
    OrganizationMismatch,
}

/// The outcome of a license operation that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenseError {
    /// The documented 404.
    #[error("no account license is allocated for account '{account_id}'")]
    NotFound {
        /// The account id from the URL.
        account_id: String,
        /// Which of the three causes applied.
        reason: NotFoundReason,
    },
    /// The documented 409; nothing was changed.
    #[error("the allocation exceeds the account license quantities")]
    Conflict(Vec<Conflict>),
}

/// The outcome of an admin change that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// No account has this id.
    #[error("account '{0}' does not exist")]
    NotFound(String),
    /// An account with this id exists already.
    #[error("account '{0}' exists already")]
    Exists(String),
    /// The change would break `used(C) <= total(C)`; nothing changed.
    #[error("the change would leave more seats in use than the account has")]
    Conflict(Vec<Conflict>),
}

/// A cloneable handle to every account.
///
/// The `DashMap` is the per-account lock: each operation takes one account's
/// entry, runs a short synchronous closure and returns an owned value, so no
/// guard can be held across an `.await` and every change to an account is
/// one atomic step.
#[derive(Debug, Clone, Default)]
pub struct Store {
    accounts: Arc<DashMap<AccountId, Account>>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Store {
    /// A store holding `accounts`.
    pub fn new(accounts: impl IntoIterator<Item = Account>) -> Self {
        let store = Self::default();
        store.replace_all(accounts);
        store
    }

    /// Replaces every account. Each account is swapped in one step, and
    /// accounts kept by the new state never disappear in between, so
    /// requests running meanwhile see the old account or the new one.
    pub fn replace_all(&self, accounts: impl IntoIterator<Item = Account>) {
        let mut kept = std::collections::HashSet::new();
        for account in accounts {
            kept.insert(account.id.clone());
            self.accounts.insert(account.id.clone(), account);
        }
        self.accounts.retain(|id, _| kept.contains(id));
        self.changed();
    }

    /// Creates an account; refused when the id is taken.
    pub fn create(&self, account: Account) -> Result<(), AdminError> {
        match self.accounts.entry(account.id.clone()) {
            dashmap::Entry::Occupied(_) => Err(AdminError::Exists(account.id.to_string())),
            dashmap::Entry::Vacant(slot) => {
                slot.insert(account);
                self.changed();
                Ok(())
            }
        }
    }

    /// Creates or replaces an account; true when it was created.
    pub fn put(&self, account: Account) -> bool {
        let created = self.accounts.insert(account.id.clone(), account).is_none();
        self.changed();
        created
    }

    /// Sets one account back to `baseline`, or removes it when the baseline has none.
    pub fn reset_account(&self, id: &str, baseline: Option<Account>) {
        match baseline {
            Some(account) => {
                self.accounts.insert(account.id.clone(), account);
            }
            None => {
                self.accounts.remove(id);
            }
        }
        self.changed();
    }

    /// Removes an account; false when there was none.
    pub fn remove(&self, id: &str) -> bool {
        let removed = self.accounts.remove(id).is_some();
        if removed {
            self.changed();
        }
        removed
    }

    /// Changes an account whatever its licenses (the admin API): one atomic
    /// step, refused whole on a conflict.
    pub fn modify<R>(
        &self,
        id: &str,
        change: impl FnOnce(&mut Account) -> Result<R, Vec<Conflict>>,
    ) -> Result<R, AdminError> {
        let mut account = self
            .accounts
            .get_mut(id)
            .ok_or_else(|| AdminError::NotFound(id.to_owned()))?;
        let result = change(&mut account).map_err(AdminError::Conflict)?;
        drop(account);
        self.changed();
        Ok(result)
    }

    /// How many changes the store has seen; a writer of the state file
    /// compares it with the last value it saved.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn changed(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Reads a licensed account, or says why it is not there (the 404).
    pub fn read<R>(
        &self,
        at: AccountRef<'_>,
        read: impl FnOnce(&Account) -> R,
    ) -> Result<R, LicenseError> {
        let account = self
            .accounts
            .get(at.account_id)
            .ok_or_else(|| not_found(at, NotFoundReason::UnknownAccount))?;
        check_licensed(&account, at)?;
        Ok(read(&account))
    }

    /// Changes a licensed account in one atomic step: `change` either
    /// succeeds or reports conflicts having changed nothing.
    pub fn update<R>(
        &self,
        at: AccountRef<'_>,
        change: impl FnOnce(&mut Account) -> Result<R, Vec<Conflict>>,
    ) -> Result<R, LicenseError> {
        let mut account = self
            .accounts
            .get_mut(at.account_id)
            .ok_or_else(|| not_found(at, NotFoundReason::UnknownAccount))?;
        check_licensed(&account, at)?;
        let result = change(&mut account).map_err(LicenseError::Conflict)?;
        drop(account);
        self.changed();
        Ok(result)
    }

    /// A copy of every account, sorted by id.
    pub fn snapshot(&self) -> Vec<Account> {
        let mut accounts: Vec<Account> = self
            .accounts
            .iter()
            .map(|entry| entry.value().clone())
            .collect();
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        accounts
    }

    /// Reads every account in turn, each under its own lock for the call only.
    pub fn visit(&self, mut read: impl FnMut(&Account)) {
        for entry in self.accounts.iter() {
            read(entry.value());
        }
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there is no account at all.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// A copy of one account, whatever its licenses.
    pub fn account(&self, id: &str) -> Option<Account> {
        self.accounts.get(id).map(|entry| entry.value().clone())
    }
}

fn check_licensed(account: &Account, at: AccountRef<'_>) -> Result<(), LicenseError> {
    if !account.answers_to(at.organization) {
        return Err(not_found(at, NotFoundReason::OrganizationMismatch));
    }
    if account.licenses().is_none() {
        return Err(not_found(at, NotFoundReason::NoAccountLicense));
    }
    Ok(())
}

fn not_found(at: AccountRef<'_>, reason: NotFoundReason) -> LicenseError {
    LicenseError::NotFound {
        account_id: at.account_id.to_owned(),
        reason,
    }
}
