//! The request journal: what the emulated API was asked and answered, so a
//! test can assert what its client sent (SPEC §7).
//!
//! Bounded: it keeps the newest `limit` entries and drops the oldest, so
//! memory stays flat under any load. Recording must not serialize the hot
//! path, so entries are spread round-robin over shards, each behind its own
//! short lock; with equal shard sizes the shards together hold exactly the
//! newest `limit` entries.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use super::glob_matches;

/// Bodies are kept up to this many bytes; the rest is cut.
pub const BODY_LIMIT: usize = 4096;

/// One request and its answer.
///
/// The text parts (path, query, request id, content type and the two
/// bodies) are copied end to end into one allocation: recording costs
/// one copy per request instead of one allocation per part.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Position in the journal, increasing.
    pub id: u64,
    /// When the request arrived, Unix milliseconds; shown as RFC 3339 `time`
    /// (formatted when read, not on the request path).
    pub unix_millis: u64,
    /// HTTP method (`OTHER` for a non-standard one).
    pub method: &'static str,
    /// The route template that served it, if one matched.
    pub route: Option<&'static str>,
    /// Status of the answer.
    pub status: u16,
    /// Time to answer, in milliseconds.
    pub duration_ms: f64,
    /// Whether the emulator answered from a fault rule instead of the API.
    pub faulted: bool,
    /// The parts, in [`Part`] order.
    text: Box<[u8]>,
    /// Where each part lies in `text`; `None` when absent.
    spans: [Option<(u32, u32)>; PARTS],
    /// Whether each body was cut at [`BODY_LIMIT`].
    truncated: [bool; 2],
}

/// The text parts of an entry, in the order they are packed.
#[derive(Clone, Copy)]
enum Part {
    Path,
    Query,
    RequestId,
    ContentType,
    RequestBody,
    ResponseBody,
}

const PARTS: usize = 6;

/// What [`Journal::record`] is given: borrowed parts, copied once.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// When the request arrived, Unix milliseconds.
    pub unix_millis: u64,
    /// HTTP method.
    pub method: &'static str,
    /// Path, without the query.
    pub path: &'a str,
    /// Query string, if any.
    pub query: Option<&'a str>,
    /// The route template that served it, if one matched.
    pub route: Option<&'static str>,
    /// Status of the answer (0 for a dropped connection).
    pub status: u16,
    /// Time to answer, in milliseconds.
    pub duration_ms: f64,
    /// The `x-request-id` of the answer.
    pub request_id: &'a str,
    /// `Content-Type` of the request.
    pub content_type: Option<&'a str>,
    /// Request body, secrets already redacted; cut at [`BODY_LIMIT`] here.
    pub request_body: Option<&'a [u8]>,
    /// Response body; cut at [`BODY_LIMIT`] here.
    pub response_body: Option<&'a [u8]>,
    /// Answered by a fault rule.
    pub faulted: bool,
}

impl Entry {
    /// Copies the record's parts into one allocation; bodies are cut at
    /// [`BODY_LIMIT`] and empty bodies are absent.
    fn new(id: u64, record: &Record<'_>) -> Self {
        let request_body = cut_body(record.request_body);
        let response_body = cut_body(record.response_body);
        let parts: [Option<&[u8]>; PARTS] = [
            Some(record.path.as_bytes()),
            record.query.map(str::as_bytes),
            Some(record.request_id.as_bytes()),
            record.content_type.map(str::as_bytes),
            request_body.map(|(b, _)| b),
            response_body.map(|(b, _)| b),
        ];
        let mut text = Vec::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        let spans = parts.map(|part| {
            part.map(|part| {
                // Paths, queries and headers are far below 4 GiB: hyper limits them.
                let start = u32::try_from(text.len()).unwrap_or(u32::MAX);
                text.extend_from_slice(part);
                (start, u32::try_from(part.len()).unwrap_or(0))
            })
        });
        Self {
            id,
            unix_millis: record.unix_millis,
            method: record.method,
            route: record.route,
            status: record.status,
            duration_ms: record.duration_ms,
            faulted: record.faulted,
            text: text.into_boxed_slice(),
            spans,
            truncated: [
                request_body.is_some_and(|(_, cut)| cut),
                response_body.is_some_and(|(_, cut)| cut),
            ],
        }
    }

    fn bytes(&self, part: Part) -> Option<&[u8]> {
        let (start, len) = self.spans[part as usize]?;
        let start = start as usize;
        self.text.get(start..start + len as usize)
    }

    /// A part that was a `&str` when recorded.
    fn str(&self, part: Part) -> Option<&str> {
        self.bytes(part).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Path, without the query.
    pub fn path(&self) -> &str {
        self.str(Part::Path).unwrap_or_default()
    }

    /// Query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.str(Part::Query)
    }

    /// The account in the path, if any (read from the path when asked:
    /// recording a request does not look for it).
    pub fn account_id(&self) -> Option<&str> {
        super::account_in_path(self.path())
    }

    /// The `x-request-id` / `traceId` of the answer.
    pub fn request_id(&self) -> &str {
        self.str(Part::RequestId).unwrap_or_default()
    }

    /// `Content-Type` of the request.
    pub fn content_type(&self) -> Option<&str> {
        self.str(Part::ContentType)
    }

    /// Request body, truncated (ending in `…`); secrets redacted.
    pub fn request_body(&self) -> Option<Cow<'_, str>> {
        self.bytes(Part::RequestBody)
            .map(|b| body_text(b, self.truncated[0]))
    }

    /// Response body, truncated (ending in `…`); tokens are never kept.
    pub fn response_body(&self) -> Option<Cow<'_, str>> {
        self.bytes(Part::ResponseBody)
            .map(|b| body_text(b, self.truncated[1]))
    }
}

/// The JSON shape of an entry (`GET /__admin/requests`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryView<'a> {
    id: u64,
    time: String,
    method: &'static str,
    path: &'a str,
    query: Option<&'a str>,
    route: Option<&'static str>,
    account_id: Option<&'a str>,
    status: u16,
    duration_ms: f64,
    request_id: &'a str,
    content_type: Option<&'a str>,
    request_body: Option<Cow<'a, str>>,
    response_body: Option<Cow<'a, str>>,
    faulted: bool,
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EntryView {
            id: self.id,
            time: super::format_rfc3339(self.unix_millis),
            method: self.method,
            path: self.path(),
            query: self.query(),
            route: self.route,
            account_id: self.account_id(),
            status: self.status,
            duration_ms: self.duration_ms,
            request_id: self.request_id(),
            content_type: self.content_type(),
            request_body: self.request_body(),
            response_body: self.response_body(),
            faulted: self.faulted,
        }
        .serialize(serializer)
    }
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
                .is_none_or(|glob| glob_matches(glob, entry.path()))
            && self
                .status
                .as_deref()
                .is_none_or(|status| status_matches(status, entry.status))
            && self
                .account_id
                .as_deref()
                .is_none_or(|id| entry.account_id() == Some(id))
            && self.since_millis.is_none_or(|t| entry.unix_millis >= t)
            && self.body_contains.as_deref().is_none_or(|needle| {
                entry
                    .request_body()
                    .is_some_and(|body| body.contains(needle))
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
    shards: Box<[Mutex<VecDeque<Entry>>]>,
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

    /// Records a request, giving it the next id; drops the oldest entry
    /// beyond the limit.
    pub fn record(&self, record: &Record<'_>) {
        if !self.enabled() {
            return;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Entry::new(id, record);
        let index = usize::try_from(id).unwrap_or_default() % self.shards.len();
        let mut shard = self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let oldest = (shard.len() >= self.per_shard)
            .then(|| shard.pop_front())
            .flatten();
        shard.push_back(entry);
        drop(shard);
        // Freed after the lock is released.
        drop(oldest);
    }

    /// Matching entries, newest first, at most `limit`.
    pub fn find(&self, filter: &Filter, limit: usize) -> Vec<Entry> {
        let mut found: Vec<Entry> = Vec::new();
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

/// A body as kept: at most [`BODY_LIMIT`] bytes, and whether it was cut;
/// an empty body is no body.
fn cut_body(body: Option<&[u8]>) -> Option<(&[u8], bool)> {
    body.filter(|b| !b.is_empty())
        .map(|b| (&b[..b.len().min(BODY_LIMIT)], b.len() > BODY_LIMIT))
}

/// A kept body as text; a cut body ends with `…`, on a character boundary.
fn body_text(bytes: &[u8], truncated: bool) -> Cow<'_, str> {
    if !truncated {
        return String::from_utf8_lossy(bytes);
    }
    let end = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        // A character cut in two at the limit is dropped whole.
        Err(error) if error.error_len().is_none() => error.valid_up_to(),
        Err(_) => bytes.len(),
    };
    format!("{}…", String::from_utf8_lossy(&bytes[..end])).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request with status 0 and no bodies, to update with `..`.
    fn record<'a>(method: &'static str, path: &'a str, request_id: &'a str) -> Record<'a> {
        Record {
            unix_millis: crate::control::unix_millis(),
            method,
            path,
            query: None,
            route: None,
            status: 0,
            duration_ms: 0.0,
            request_id,
            content_type: None,
            request_body: None,
            response_body: None,
            faulted: false,
        }
    }

    fn entry(path: &str, status: u16) -> Record<'_> {
        Record {
            status,
            ..record("PUT", path, "id")
        }
    }

    #[test]
    fn the_journal_keeps_exactly_the_newest_entries() {
        for limit in [1, 5, 16, 100, 10_000] {
            let journal = Journal::new(limit);
            for i in 0..(limit * 3 + 7) {
                journal.record(&entry(&format!("/{i}"), 200));
            }
            assert_eq!(journal.len(), limit);
            let newest = journal.find(&Filter::default(), usize::MAX);
            let first_kept = limit * 2 + 7;
            assert_eq!(
                newest.last().map(|e| e.path().to_owned()),
                Some(format!("/{first_kept}"))
            );
            assert_eq!(newest[0].path(), format!("/{}", limit * 3 + 6));
        }
    }

    #[test]
    fn a_zero_limit_keeps_nothing() {
        let journal = Journal::new(0);
        journal.record(&entry("/x", 200));
        assert!(journal.is_empty());
    }

    #[test]
    fn filters_combine() {
        let journal = Journal::new(100);
        journal.record(&entry("/la/api/account/1/user-license", 200));
        journal.record(&entry("/la/api/account/1/user-license", 409));
        journal.record(&entry("/lease_/api/account/2/user-license", 404));
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
        let body = "é".repeat(BODY_LIMIT);
        let journal = Journal::new(1);
        journal.record(&Record {
            request_body: Some(body.as_bytes()),
            response_body: Some(b"short"),
            ..entry("/x", 200)
        });
        let kept = journal.find(&Filter::default(), 1);
        let text = kept[0].request_body().unwrap_or_default();
        assert!(text.len() <= BODY_LIMIT + '…'.len_utf8());
        assert!(text.ends_with("é…"), "{text}");
        assert_eq!(kept[0].response_body().as_deref(), Some("short"));
    }

    #[test]
    fn every_part_reads_back_as_recorded_and_absent_parts_stay_absent() {
        let journal = Journal::new(2);
        journal.record(&Record {
            query: Some("a=1"),
            content_type: Some("application/json"),
            request_body: Some(b"{}"),
            response_body: Some(b"[1]"),
            ..record("GET", "/la/api/account/acct/user-license", "req-1")
        });
        journal.record(&Record {
            request_body: Some(b""),
            ..record("POST", "/p", "req-2")
        });
        let [second, first] = journal.find(&Filter::default(), 2).try_into().unwrap();
        assert_eq!(first.path(), "/la/api/account/acct/user-license");
        assert_eq!(first.query(), Some("a=1"));
        assert_eq!(first.account_id(), Some("acct"));
        assert_eq!(first.request_id(), "req-1");
        assert_eq!(first.content_type(), Some("application/json"));
        assert_eq!(first.request_body().as_deref(), Some("{}"));
        assert_eq!(first.response_body().as_deref(), Some("[1]"));
        assert_eq!(
            (second.path(), second.query(), second.account_id()),
            ("/p", None, None)
        );
        assert_eq!(
            (second.content_type(), second.request_id()),
            (None, "req-2")
        );
        // An empty body is no body.
        assert_eq!(second.request_body(), None);
        let json = serde_json::to_value(&first).unwrap();
        assert_eq!(json["accountId"], "acct");
        assert_eq!(json["requestBody"], "{}");
        assert_eq!(second.response_body(), None);
    }
}
