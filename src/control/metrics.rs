//! Prometheus metrics (SPEC §7): requests by route and status, allocation
//! outcomes, and seats used and purchased per account and code.
//!
//! Counters live in this server's own registry (not a process-global one),
//! so several emulators in one test process never mix their numbers. Seat
//! gauges are read from the store when scraped, so they cannot drift from it.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{PoisonError, RwLock};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::licensing::Store;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AllocationLabels {
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeatLabels {
    account: String,
    code: String,
}

/// The counters a server keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    allocations: Family<AllocationLabels, Counter>,
    /// The counters one (route, method, status) increments, found once.
    /// Keyed by the labels' addresses: they are interned `&'static str`s
    /// (see [`super::interned`]), so a key is three words to hash instead of
    /// a route template. Only a cache: the families stay the truth, so two
    /// addresses for equal text would share the same counters.
    counters: RwLock<HashMap<CounterKey, Counters, BuildHasherDefault<WordHasher>>>,
}

type CounterKey = (usize, usize, u16);

#[derive(Debug, Clone)]
struct Counters {
    request: Counter,
    allocation: Option<Counter>,
}

impl Metrics {
    /// Counts one answered request; allocation routes also count their outcome.
    /// Labels are interned strings (see [`super::interned`]), so counting
    /// allocates nothing once a route has been seen.
    pub fn record(&self, route: Option<&'static str>, method: &'static str, status: u16) {
        let route = route.unwrap_or("unmatched");
        let key = (route.as_ptr() as usize, method.as_ptr() as usize, status);
        let cached = self
            .counters
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let counters = cached.unwrap_or_else(|| {
            let counters = self.counters_for(route, method, status);
            self.counters
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, counters.clone());
            counters
        });
        counters.request.inc();
        if let Some(allocation) = &counters.allocation {
            allocation.inc();
        }
    }

    fn counters_for(&self, route: &'static str, method: &'static str, status: u16) -> Counters {
        let request = self
            .requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .clone();
        let allocation = (method == "PUT")
            .then(|| allocation_operation(route))
            .flatten()
            .map(|operation| {
                let outcome = match status {
                    200..=299 => "allocated",
                    409 => "conflict",
                    404 => "not_found",
                    401 | 403 => "denied",
                    400..=499 => "invalid",
                    _ => "failed",
                };
                self.allocations
                    .get_or_create(&AllocationLabels { operation, outcome })
                    .clone()
            });
        Counters {
            request,
            allocation,
        }
    }

    /// The Prometheus text exposition of everything, seats read from `store` now.
    pub fn render(&self, store: &Store) -> String {
        let used: Family<SeatLabels, Gauge> = Family::default();
        let total: Family<SeatLabels, Gauge> = Family::default();
        store.visit(|account| {
            for (code, seats) in account.licenses().into_iter().flatten() {
                let labels = SeatLabels {
                    account: account.id.to_string(),
                    code: code.to_string(),
                };
                let as_gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                used.get_or_create(&labels).set(as_gauge(seats.used));
                total.get_or_create(&labels).set(as_gauge(seats.total));
            }
        });
        let mut registry = Registry::with_prefix("license_mock");
        registry.register(
            "requests",
            "Requests to the emulated API, by route, method and status",
            self.requests.clone(),
        );
        registry.register(
            "allocations",
            "Allocation requests (PUT) by operation and outcome",
            self.allocations.clone(),
        );
        registry.register("seats_used", "Seats in use, by account and code", used);
        registry.register("seats_total", "Seats purchased, by account and code", total);
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &registry).is_err() {
            let _ = writeln!(text, "# the metrics could not be encoded");
        }
        text
    }
}

/// A hasher for keys made of a few machine words (addresses and a status):
/// they are already well spread, so mixing each word once is enough.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        // The multiplier of FxHash.
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn write_u16(&mut self, word: u16) {
        self.write_u64(u64::from(word));
    }
}

/// Which allocation a route template performs, if any.
fn allocation_operation(route: &str) -> Option<&'static str> {
    if route.ends_with("/user-license/group/{group_id}/with-quota") {
        Some("group_rule_with_quota")
    } else if route.ends_with("/user-license/group/{group_id}") {
        Some("group_rule")
    } else if route.ends_with("/user-license") {
        Some("users")
    } else {
        None
    }
}
