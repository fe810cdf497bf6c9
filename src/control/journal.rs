//! The request journal: what the emulated API was asked and answered, so a
//! test can assert what its client sent (SPEC §7).
//!
//! Bounded: it keeps the newest `limit` entries and drops the oldest, so
//! memory stays flat under any load. Recording must not serialize the hot
//! path, so entries are spread round-robin over shards, each behind its own
//! short lock; with equal shard sizes the shards together hold exactly the
//! newest `limit` entries.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use bytes::Bytes;

use super::glob_matches;

/// Bodies are kept up to this many bytes; the rest is cut.
pub const BODY_LIMIT: usize = 4096;

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Position in the journal, increasing.
    pub id: u64,
    /// When the request arrived, Unix milliseconds; shown as RFC 3339 `time`
    /// (formatted when read, not on the request path).
    #[serde(rename = "time", serialize_with = "as_rfc3339")]
    pub unix_millis: u64,
    /// HTTP method (`OTHER` for a non-standard one).
    pub method: &'static str,
    /// Path, without the query.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// The route template that served it, if one matched.
    pub route: Option<&'static str>,
    /// The account in the path, if any.
    pub account_id: Option<String>,
    /// Status of the answer.
    pub status: u16,
    /// Time to answer, in milliseconds.
    pub duration_ms: f64,
    /// The `x-request-id` / `traceId` of the answer.
    pub request_id: String,
    /// `Content-Type` of the request.
    pub content_type: Option<String>,
    /// Request body, truncated; secrets redacted.
    pub request_body: Option<BodyText>,
    /// Response body, truncated; tokens are never kept.
    pub response_body: Option<BodyText>,
    /// Whether the emulator answered from a fault rule instead of the API.
    pub faulted: bool,
}

/// What to select from the journal.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// HTTP method, case-insensitive.
    pub method: Option<String>,
    /// Glob over the path (`*`, `?`).
    pub path: Option<String>,
    /// Exact status, or a class such as `4xx`.
    pub status: Option<String>,
    /// Account in the path.
    pub account_id: Option<String>,
    /// Only requests at or after this Unix time in milliseconds.
    pub since_millis: Option<u64>,
    /// Substring of the request body.
    pub body_contains: Option<String>,
}

impl Filter {
    fn matches(&self, entry: &Entry) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(entry.method))
            && self
                .path
                .as_deref()
                .is_none_or(|glob| glob_matches(glob, &entry.path))
            && self
                .status
                .as_deref()
                .is_none_or(|status| status_matches(status, entry.status))
            && self
                .account_id
                .as_deref()
                .is_none_or(|id| entry.account_id.as_deref() == Some(id))
            && self.since_millis.is_none_or(|t| entry.unix_millis >= t)
            && self.body_contains.as_deref().is_none_or(|needle| {
                entry
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.text().contains(needle))
            })
    }
}

/// `404` matches 404; `4xx` matches 400..=499.
fn status_matches(pattern: &str, status: u16) -> bool {
    let text = status.to_string();
    pattern.len() == 3
        && pattern
            .chars()
            .zip(text.chars())
            .all(|(p, s)| p.eq_ignore_ascii_case(&'x') || p == s)
}

/// The journal itself.
#[derive(Debug)]
pub struct Journal {
    shards: Box<[Mutex<VecDeque<Arc<Entry>>>]>,
    per_shard: usize,
    next_id: AtomicU64,
}

impl Journal {
    /// A journal keeping at most `limit` entries (0 keeps none).
    pub fn new(limit: usize) -> Self {
        // Equal shards keep exactly the newest `limit` entries under round-robin.
        let count = [16, 8, 4, 2, 1]
            .into_iter()
            .find(|n| limit % n == 0 && limit >= *n)
            .unwrap_or(1);
        Self {
            shards: (0..count).map(|_| Mutex::new(VecDeque::new())).collect(),
            per_shard: limit / count,
            next_id: AtomicU64::new(1),
        }
    }

    /// Whether anything is kept at all.
    pub fn enabled(&self) -> bool {
        self.per_shard > 0
    }

    /// Records an entry, giving it the next id; drops the oldest beyond the limit.
    pub fn record(&self, mut entry: Entry) {
        if !self.enabled() {
            return;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        entry.id = id;
        let index = usize::try_from(id).unwrap_or_default() % self.shards.len();
        let mut shard = self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= self.per_shard {
            shard.pop_front();
        }
        shard.push_back(Arc::new(entry));
    }

    /// Matching entries, newest first, at most `limit`.
    pub fn find(&self, filter: &Filter, limit: usize) -> Vec<Arc<Entry>> {
        let mut found: Vec<Arc<Entry>> = Vec::new();
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            found.extend(shard.iter().filter(|e| filter.matches(e)).cloned());
        }
        found.sort_unstable_by_key(|entry| std::cmp::Reverse(entry.id));
        found.truncate(limit);
        found
    }

    /// How many entries match.
    pub fn count(&self, filter: &Filter) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
                shard.iter().filter(|e| filter.matches(e)).count()
            })
            .sum()
    }

    /// How many entries are kept now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether the journal is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        for shard in &self.shards {
            shard.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }
}

fn as_rfc3339<S: serde::Serializer>(millis: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&super::format_rfc3339(*millis))
}

/// A body kept for the journal: at most [`BODY_LIMIT`] bytes, copied.
#[derive(Debug, Clone)]
pub struct BodyText {
    bytes: Bytes,
    truncated: bool,
}

impl BodyText {
    /// Copies `bytes`, cut at the limit; `None` for an empty body.
    ///
    /// Always a copy: a request's `Bytes` may be a view into the
    /// connection's whole read buffer, which sharing would keep alive.
    pub fn capture(bytes: &Bytes) -> Option<Self> {
        if bytes.is_empty() {
            return None;
        }
        let truncated = bytes.len() > BODY_LIMIT;
        let kept = &bytes[..bytes.len().min(BODY_LIMIT)];
        Some(Self {
            bytes: Bytes::copy_from_slice(kept),
            truncated,
        })
    }

    /// The body as text; a cut body ends with `…`, on a character boundary.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        if !self.truncated {
            return String::from_utf8_lossy(&self.bytes);
        }
        let end = match std::str::from_utf8(&self.bytes) {
            Ok(_) => self.bytes.len(),
            // A character cut in two at the limit is dropped whole.
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => self.bytes.len(),
        };
        format!("{}…", String::from_utf8_lossy(&self.bytes[..end])).into()
    }
}

impl Serialize for BodyText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

/// A new entry stamped with the current time; `id` is set by [`Journal::record`].
pub fn entry_now(
    method: &'static str,
    path: String,
    query: Option<String>,
    request_id: String,
) -> Entry {
    let unix_millis = super::unix_millis();
    Entry {
        id: 0,
        unix_millis,
        method,
        path,
        query,
        route: None,
        account_id: None,
        status: 0,
        duration_ms: 0.0,
        request_id,
        content_type: None,
        request_body: None,
        response_body: None,
        faulted: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, status: u16) -> Entry {
        let mut entry = entry_now("PUT", path.into(), None, "id".into());
        entry.status = status;
        entry
    }

    #[test]
    fn the_journal_keeps_exactly_the_newest_entries() {
        for limit in [1, 5, 16, 100, 10_000] {
            let journal = Journal::new(limit);
            for i in 0..(limit * 3 + 7) {
                journal.record(entry(&format!("/{i}"), 200));
            }
            assert_eq!(journal.len(), limit);
            let newest = journal.find(&Filter::default(), usize::MAX);
            let first_kept = limit * 2 + 7;
            assert_eq!(
                newest.last().map(|e| e.path.clone()),
                Some(format!("/{first_kept}"))
            );
            assert_eq!(newest[0].path, format!("/{}", limit * 3 + 6));
        }
    }

    #[test]
    fn a_zero_limit_keeps_nothing() {
        let journal = Journal::new(0);
        journal.record(entry("/x", 200));
        assert!(journal.is_empty());
    }

    #[test]
    fn filters_combine() {
        let journal = Journal::new(100);
        journal.record(entry("/la/api/account/1/user-license", 200));
        journal.record(entry("/la/api/account/1/user-license", 409));
        journal.record(entry("/lease_/api/account/2/user-license", 404));
        let four = Filter {
            status: Some("4xx".into()),
            ..Filter::default()
        };
        assert_eq!(journal.count(&four), 2);
        let la = Filter {
            path: Some("/la/*".into()),
            status: Some("409".into()),
            ..Filter::default()
        };
        assert_eq!(journal.count(&la), 1);
        let get = Filter {
            method: Some("get".into()),
            ..Filter::default()
        };
        assert_eq!(journal.count(&get), 0);
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let body = Bytes::from("é".repeat(BODY_LIMIT));
        let text = BodyText::capture(&body)
            .map(|b| b.text().into_owned())
            .unwrap_or_default();
        assert!(text.len() <= BODY_LIMIT + '…'.len_utf8());
        assert!(text.ends_with('…'));
    }
}
