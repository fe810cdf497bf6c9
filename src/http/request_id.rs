//! Request ids in the W3C form ASP.NET Core puts in `traceId`:
//! `00-<32 hex trace id>-<16 hex span id>-00`.
//!
//! When the client sends a valid `traceparent`, its trace id is kept (as
//! ASP.NET Core does), so a test can find its own request in the answer.

use std::fmt::Write;

use axum::http::HeaderMap;

/// The id of a new request.
pub(crate) fn for_request(headers: &HeaderMap) -> String {
    let [high, low, span] = crate::unique::words::<3>();
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

/// The trace id of a well-formed W3C `traceparent` header:
/// `version-traceid-parentid-flags` in lowercase hex, ids not all zeros,
/// version not `ff`, and exactly four fields for version `00`.
fn incoming_trace_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("traceparent")?.to_str().ok()?;
    let fields: Vec<&str> = value.split('-').collect();
    let hex = |field: &str, len: usize| {
        field.len() == len
            && field
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let non_zero = |field: &str| field.bytes().any(|b| b != b'0');
    let [version, trace, parent, flags, rest @ ..] = fields.as_slice() else {
        return None;
    };
    let valid = hex(version, 2)
        && *version != "ff"
        && (rest.is_empty() || *version != "00")
        && hex(trace, 32)
        && non_zero(trace)
        && hex(parent, 16)
        && non_zero(parent)
        && hex(flags, 2);
    valid.then_some(*trace)
}
