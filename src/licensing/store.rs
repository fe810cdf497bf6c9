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

/// A cloneable handle to every account.
///
/// The `DashMap` is the per-account lock: each operation takes one account's
/// entry, runs a short synchronous closure and returns an owned value, so no
/// guard can be held across an `.await` and every change to an account is
/// one atomic step.
#[derive(Debug, Clone, Default)]
pub struct Store {
    accounts: Arc<DashMap<AccountId, Account>>,
}

impl Store {
    /// A store holding `accounts`.
    pub fn new(accounts: impl IntoIterator<Item = Account>) -> Self {
        let store = Self::default();
        store.replace_all(accounts);
        store
    }

    /// Replaces every account.
    pub fn replace_all(&self, accounts: impl IntoIterator<Item = Account>) {
        self.accounts.clear();
        for account in accounts {
            self.accounts.insert(account.id.clone(), account);
        }
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
        change(&mut account).map_err(LicenseError::Conflict)
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
