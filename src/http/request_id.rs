//! Request ids in the W3C form ASP.NET Core puts in `traceId`:
//! `00-<32 hex trace id>-<16 hex span id>-00`.
//!
//! When the client sends a valid `traceparent`, its trace id is kept (as
//! ASP.NET Core does), so a test can find its own request in the answer.

use std::fmt::Write;
use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderMap;

/// Random per process, so ids differ between runs; a counter makes them unique within one.
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED
        .get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(std::process::id()))
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// SplitMix64: a bijective mix, so distinct counters give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The id of a new request.
pub(crate) fn for_request(headers: &HeaderMap) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let high = mix(seed() ^ n);
    let low = mix(high);
    let span = mix(low);
    let mut id = String::with_capacity(55);
    id.push_str("00-");
    match incoming_trace_id(headers) {
        Some(trace) => id.push_str(trace),
        None => {
            let _ = write!(id, "{high:016x}{low:016x}");
        }
    }
    let _ = write!(id, "-{span:016x}-00");
    id
}

/// The trace id of a well-formed `traceparent` header (lowercase hex, not all zeros).
fn incoming_trace_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("traceparent")?.to_str().ok()?;
    let mut parts = value.split('-');
    let (_version, trace) = (parts.next()?, parts.next()?);
    let valid = trace.len() == 32
        && trace
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && trace.bytes().any(|b| b != b'0');
    valid.then_some(trace)
}
