//! Validated identifiers: an id is a non-empty string, checked once at the edge.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be a non-empty string")]
pub struct InvalidId {
    /// What kind of identifier was expected, for the message.
    pub what: &'static str,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `value`: ids are compared byte for byte, so only emptiness is refused.
            pub fn parse(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                if value.is_empty() {
                    Err(InvalidId { what: $what })
                } else {
                    Ok(Self(value))
                }
            }

            /// The id as the client wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        // Lets maps keyed by the id be searched with a borrowed `&str`
        // (derived `Hash`/`Ord` of a one-field tuple struct match `str`'s).
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// An account (organization) id: a GUID in the real service, any non-empty string here.
    AccountId,
    "an account id"
);
id_type!(
    /// A directory group id.
    GroupId,
    "a group id"
);
id_type!(
    /// A directory user id.
    UserId,
    "a user id"
);
id_type!(
    /// A user bundle code such as `RPADEVPRONU`; case-sensitive, as in the real service.
    BundleCode,
    "a user bundle code"
);
