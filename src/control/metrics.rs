//! Prometheus metrics (SPEC §7): requests by route and status, allocation
//! outcomes, and seats used and purchased per account and code.
//!
//! Counters live in this server's own registry (not a process-global one),
//! so several emulators in one test process never mix their numbers. Seat
//! gauges are read from the store when scraped, so they cannot drift from it.

use std::fmt::Write;

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
}

impl Metrics {
    /// Counts one answered request; allocation routes also count their outcome.
    /// Labels are interned strings (see [`super::interned`]), so counting
    /// allocates nothing once a route has been seen.
    pub fn record(&self, route: Option<&'static str>, method: &'static str, status: u16) {
        let labels = RequestLabels {
            route: route.unwrap_or("unmatched"),
            method,
            status,
        };
        self.requests.get_or_create(&labels).inc();
        if let Some(operation) = route
            .filter(|_| method == "PUT")
            .and_then(allocation_operation)
        {
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
                .inc();
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
