//! Fault rules: rehearse failures on purpose (SPEC §7).
//!
//! A rule matches requests by method, path glob and account, and then
//! answers for the API (a status, body and headers), delays it (with
//! jitter), or drops the connection. `skip`, `times` and `probability` (with
//! a `seed`, so a run repeats exactly) decide which matching requests it
//! fires on. Rules are tried in creation order; a delay adds up and lets the
//! next rule decide, an answer or a drop ends the search.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::glob_matches;

/// What a rule matches; absent fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Match {
    /// HTTP method, case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Glob over the path (`*` any characters, `?` one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The account in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// A forced answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Respond {
    /// HTTP status, 100..=599.
    pub status: u16,
    /// Body: a string is sent as is, anything else as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Extra headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// A rule as posted to `POST /__admin/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultSpec {
    /// Which requests the rule considers.
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// Answer instead of the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond: Option<Respond>,
    /// Delay before answering (or before the next rule decides), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Up to this many milliseconds added to the delay at random.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<u64>,
    /// Close the connection without an answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
    /// Let this many matching requests through first.
    #[serde(default)]
    pub skip: u64,
    /// Fire at most this many times, then stay inert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Fire on each eligible request with this probability (0..=1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seed of the probability draws, so a run repeats exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidFault(pub String);

/// Longest delay a rule may ask for: ten minutes, so no test hangs forever.
const MAX_DELAY_MS: u64 = 600_000;

impl FaultSpec {
    /// Checks that the rule does something and its numbers make sense.
    pub fn validate(&self) -> Result<(), InvalidFault> {
        let invalid = |message: &str| Err(InvalidFault(message.to_owned()));
        if self.respond.is_some() && self.drop {
            return invalid("a fault either responds or drops the connection, not both");
        }
        if self.respond.is_none() && !self.drop && self.delay_ms.is_none() {
            return invalid("a fault needs respond, delayMs or drop");
        }
        if self.jitter_ms.is_some() && self.delay_ms.is_none() {
            return invalid("jitterMs needs delayMs");
        }
        let delay = self
            .delay_ms
            .unwrap_or(0)
            .saturating_add(self.jitter_ms.unwrap_or(0));
        if delay > MAX_DELAY_MS {
            return invalid("delayMs plus jitterMs must be at most 600000");
        }
        if let Some(respond) = &self.respond {
            if !(100..=599).contains(&respond.status) {
                return invalid("respond.status must be between 100 and 599");
            }
            for (name, value) in &respond.headers {
                let valid_name = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
                if !valid_name || value.bytes().any(|b| b < b' ' && b != b'\t') {
                    return invalid("respond.headers must be valid HTTP header names and values");
                }
            }
        }
        if self.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            return invalid("probability must be between 0 and 1");
        }
        if self.times == Some(0) {
            return invalid("times must be at least 1");
        }
        Ok(())
    }
}

/// A rule with its counters, as `GET /__admin/faults` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Its id, for `DELETE /__admin/faults/{id}`.
    pub id: String,
    /// The rule.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Matching requests seen so far.
    pub matched: u64,
    /// Times it fired.
    pub fired: u64,
    /// State of the seeded generator.
    #[serde(skip)]
    rng: u64,
}

/// What the request boundary does with a request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    /// Wait this long first.
    pub delay: Duration,
    /// Then do this.
    pub outcome: Outcome,
}

/// The end of a decision.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Outcome {
    /// Serve the request normally.
    #[default]
    Pass,
    /// Answer with this instead.
    Respond(Respond),
    /// Close the connection without an answer.
    Drop,
}

/// The rules in creation order.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
    /// Lets the hot path skip the lock when there are no rules.
    active: AtomicUsize,
    next_id: AtomicUsize,
}

impl Faults {
    /// Adds a rule; returns its id.
    pub fn add(&self, spec: FaultSpec) -> Result<String, InvalidFault> {
        spec.validate()?;
        let id = format!("fault-{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let seed = spec.seed.unwrap_or_else(|| crate::unique::words::<1>()[0]);
        let mut rules = self.lock();
        rules.push(Fault {
            id: id.clone(),
            spec,
            matched: 0,
            fired: 0,
            rng: seed,
        });
        self.active.store(rules.len(), Ordering::Release);
        Ok(id)
    }

    /// Every rule, in creation order.
    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    /// One rule, with its counters.
    pub fn get(&self, id: &str) -> Option<Fault> {
        self.lock().iter().find(|rule| rule.id == id).cloned()
    }

    /// Removes one rule; false if there was none with that id.
    pub fn remove(&self, id: &str) -> bool {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|rule| rule.id != id);
        self.active.store(rules.len(), Ordering::Release);
        rules.len() != before
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = self.lock();
        rules.clear();
        self.active.store(0, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides what happens to a request; counts it against the rules it matches.
    pub fn decide(&self, method: &str, path: &str) -> Decision {
        let mut decision = Decision::default();
        if self.active.load(Ordering::Acquire) == 0 {
            return decision;
        }
        let account_id = super::account_in_path(path);
        let mut rules = self.lock();
        for rule in rules.iter_mut() {
            let Match {
                method: m,
                path: p,
                account_id: a,
            } = &rule.spec.matcher;
            let matches = m.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
                && p.as_deref().is_none_or(|glob| glob_matches(glob, path))
                && a.as_deref().is_none_or(|a| account_id == Some(a));
            if !matches {
                continue;
            }
            rule.matched += 1;
            if rule.matched <= rule.spec.skip || rule.spec.times.is_some_and(|t| rule.fired >= t) {
                continue;
            }
            if let Some(p) = rule.spec.probability {
                if next_unit(&mut rule.rng) >= p {
                    continue;
                }
            }
            rule.fired += 1;
            if let Some(delay) = rule.spec.delay_ms {
                let jitter = rule
                    .spec
                    .jitter_ms
                    .map_or(0, |j| next_u64(&mut rule.rng) % (j + 1));
                decision.delay += Duration::from_millis(delay + jitter);
            }
            if rule.spec.drop {
                decision.outcome = Outcome::Drop;
                break;
            }
            if let Some(respond) = &rule.spec.respond {
                decision.outcome = Outcome::Respond(respond.clone());
                break;
            }
        }
        decision
    }
}

/// SplitMix64 step: small, fast, and the same sequence for the same seed everywhere.
fn next_u64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A draw in `[0, 1)`.
fn next_unit(state: &mut u64) -> f64 {
    (next_u64(state) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn respond(status: u16) -> FaultSpec {
        FaultSpec {
            matcher: Match::default(),
            respond: Some(Respond {
                status,
                body: None,
                headers: BTreeMap::new(),
            }),
            delay_ms: None,
            jitter_ms: None,
            drop: false,
            skip: 0,
            times: None,
            probability: None,
            seed: None,
        }
    }

    fn status(decision: &Decision) -> Option<u16> {
        match &decision.outcome {
            Outcome::Respond(r) => Some(r.status),
            _ => None,
        }
    }

    #[test]
    fn skip_then_times_fire_on_the_right_requests() {
        let faults = Faults::default();
        let spec = FaultSpec {
            skip: 2,
            times: Some(2),
            ..respond(503)
        };
        faults.add(spec).expect("valid");
        let seen: Vec<Option<u16>> = (0..6)
            .map(|_| status(&faults.decide("PUT", "/x")))
            .collect();
        assert_eq!(seen, [None, None, Some(503), Some(503), None, None]);
    }

    #[test]
    fn a_seed_repeats_the_same_choices() {
        let run = || {
            let faults = Faults::default();
            let spec = FaultSpec {
                probability: Some(0.5),
                seed: Some(42),
                ..respond(500)
            };
            faults.add(spec).expect("valid");
            (0..64)
                .map(|_| status(&faults.decide("GET", "/y")).is_some())
                .collect::<Vec<bool>>()
        };
        let first = run();
        assert_eq!(first, run());
        let fired = first.iter().filter(|f| **f).count();
        assert!((16..=48).contains(&fired), "fired {fired} of 64");
    }

    #[test]
    fn rules_apply_in_creation_order_and_delays_add_up() {
        let faults = Faults::default();
        let slow = FaultSpec {
            respond: None,
            delay_ms: Some(100),
            ..respond(200)
        };
        faults.add(slow).expect("valid");
        faults.add(respond(429)).expect("valid");
        faults.add(respond(500)).expect("valid");
        let decision = faults.decide("PUT", "/z");
        assert_eq!(decision.delay, Duration::from_millis(100));
        assert_eq!(status(&decision), Some(429));
    }

    #[test]
    fn matchers_filter_by_method_path_and_account() {
        let faults = Faults::default();
        let spec = FaultSpec {
            matcher: Match {
                method: Some("put".into()),
                path: Some("*/group/*".into()),
                account_id: Some("1234".into()),
            },
            ..respond(503)
        };
        faults.add(spec).expect("valid");
        assert_eq!(
            status(&faults.decide("GET", "/la/api/account/1234/user-license/group/g")),
            None
        );
        assert_eq!(
            status(&faults.decide("PUT", "/la/api/account/9/user-license/group/g")),
            None
        );
        assert_eq!(
            status(&faults.decide("PUT", "/la/api/account/1234/user-license")),
            None
        );
        assert_eq!(
            status(&faults.decide("PUT", "/la/api/account/1234/user-license/group/g")),
            Some(503)
        );
    }

    #[test]
    fn nonsense_rules_are_refused() {
        let faults = Faults::default();
        assert!(faults.add(respond(99)).is_err());
        let nothing = FaultSpec {
            respond: None,
            ..respond(200)
        };
        assert!(faults.add(nothing).is_err());
        let odds = FaultSpec {
            probability: Some(1.5),
            ..respond(500)
        };
        assert!(faults.add(odds).is_err());
        assert!(faults.list().is_empty());
    }
}
