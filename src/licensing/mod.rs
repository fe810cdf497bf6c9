//! The domain: accounts, bundle codes, the seat arithmetic and the store.
//!
//! Nothing here knows about HTTP; the `http` module maps these outcomes to
//! statuses, and the `fixtures` module builds accounts through the same
//! operations, so one set of rules guards every way state can change.

mod account;
mod ids;
mod store;

pub use account::{
    Account, Allocation, Conflict, Group, LicenseSource, Members, QuotaError, Rule, Seats, dedup,
};
pub use ids::{AccountId, BundleCode, GroupId, InvalidId, UserId};
pub use store::{AccountRef, AdminError, LicenseError, NotFoundReason, Store};

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
