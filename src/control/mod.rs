//! The test control plane's machinery (SPEC §7): the request journal, the
//! fault rules, and the clock-free helpers they share. No axum here; the
//! admin routes in `crate::http::admin` drive these.

pub mod faults;
pub mod journal;
pub mod metrics;
mod time;

pub use time::{format_rfc3339, parse_rfc3339, unix_millis};

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use crate::fixtures::Loaded;

/// Everything the admin routes work on besides the accounts themselves.
#[derive(Debug)]
pub struct ControlPlane {
    /// What `reset` goes back to: the fixtures at start, or the last `PUT /__admin/fixtures`.
    baseline: RwLock<Arc<Loaded>>,
    /// Requests to the emulated API.
    pub journal: journal::Journal,
    /// Fault rules.
    pub faults: faults::Faults,
    /// Request and allocation counters.
    pub metrics: metrics::Metrics,
    /// When the server started, for `uptimeSeconds`.
    pub started: Instant,
    /// When set, admin routes other than health need it as a bearer token.
    pub admin_token: Option<String>,
}

impl ControlPlane {
    /// A control plane whose reset baseline is `baseline`.
    pub fn new(baseline: Loaded, journal_limit: usize, admin_token: Option<String>) -> Self {
        Self {
            baseline: RwLock::new(Arc::new(baseline)),
            journal: journal::Journal::new(journal_limit),
            faults: faults::Faults::default(),
            metrics: metrics::Metrics::default(),
            started: Instant::now(),
            admin_token,
        }
    }

    /// The current reset baseline.
    pub fn baseline(&self) -> Arc<Loaded> {
        Arc::clone(&self.baseline.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs `restore` with the reset baseline held, so that no
    /// [`ControlPlane::replace_baseline`] lands between reading the
    /// baseline and applying it (concurrent resets still run together).
    pub fn with_baseline<R>(&self, restore: impl FnOnce(&Loaded) -> R) -> R {
        restore(&self.baseline.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Makes `loaded` the reset baseline once `install` has made it the
    /// state. Replacements and resets take turns, so the state and the
    /// baseline always come from the same document.
    pub fn replace_baseline(&self, loaded: Loaded, install: impl FnOnce(&Loaded)) {
        let mut baseline = self
            .baseline
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        install(&loaded);
        *baseline = Arc::new(loaded);
    }
}

/// The `&'static str` for a route template or method name, leaked once per
/// distinct value so the journal and metrics label each request without
/// allocating. Only bounded sets may come here: route templates (fixed at
/// build time) and standard methods; anything else maps to `"OTHER"`.
pub fn interned(kind: Interned, value: &str) -> &'static str {
    const METHODS: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
    ];
    if kind == Interned::Method {
        return METHODS
            .iter()
            .find(|m| **m == value)
            .copied()
            .unwrap_or("OTHER");
    }
    // Axum hands every request of a route the same shared template, so a
    // small per-thread cache by address (checked by content, since an
    // address may be reused after a router is dropped) answers without
    // hashing the template or taking the lock.
    type Slot = std::cell::Cell<(usize, &'static str)>;
    thread_local! {
        static RECENT: [Slot; 16] = const { [const { Slot::new((0, "")) }; 16] };
    }
    let address = value.as_ptr() as usize;
    RECENT.with(|recent| {
        let slot = &recent[(address >> 4) % 16];
        match slot.get() {
            (seen, route) if seen == address && route == value => route,
            _ => {
                let route = interned_route(value);
                slot.set((address, route));
                route
            }
        }
    })
}

/// The leaked copy of a route template, made on first sight.
fn interned_route(value: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{OnceLock, RwLock};
    static SEEN: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(found) = seen
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(value)
    {
        return found;
    }
    let mut seen = seen.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = seen.get(value) {
        return found;
    }
    let leaked: &'static str = Box::leak(value.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// What [`interned`] is asked to intern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interned {
    /// A route template of the router (a bounded set).
    Route,
    /// An HTTP method: standard ones are kept, others become `OTHER`.
    Method,
}

/// Matches `text` against a glob where `*` is any run of characters
/// (slashes included) and `?` is one character.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer wildcard match with backtracking to the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The account id in a license path: the segment after the first
/// `api/account/` pair of segments; none for `authenticate` or an empty one.
///
/// Not on the request path: the journal and fault rules work it out from the
/// path only when they are asked for it.
pub fn account_in_path(path: &str) -> Option<&str> {
    const PAIR: &[u8] = b"api/account/";
    let bytes = path.as_bytes();
    // Candidates start a segment: at the start or after a slash.
    let mut start = 0;
    loop {
        if bytes[start..].starts_with(PAIR) {
            let rest = &path[start + PAIR.len()..];
            let account = rest.split_once('/').map_or(rest, |(account, _)| account);
            return (!account.is_empty() && account != "authenticate").then_some(account);
        }
        start += bytes[start..].iter().position(|&b| b == b'/')? + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_shell_patterns_across_slashes() {
        assert!(glob_matches(
            "*/user-license/group/*",
            "/la/api/account/1/user-license/group/g"
        ));
        assert!(glob_matches(
            "/la/api/account/?/user-license",
            "/la/api/account/1/user-license"
        ));
        assert!(!glob_matches(
            "/la/api/account/?/user-license",
            "/la/api/account/12/user-license"
        ));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("/la", "/lease_"));
        assert!(glob_matches("/l*_*", "/lease_/x"));
    }

    #[test]
    fn a_route_template_is_interned_by_content_even_at_a_reused_address() {
        let mut template = String::from("/a/{first}");
        let first = interned(Interned::Route, &template);
        assert_eq!(first, "/a/{first}");
        // Same address, new text: the per-thread cache must not answer the old one.
        template.replace_range(.., "/b/{other}");
        assert_eq!(interned(Interned::Route, &template), "/b/{other}");
        assert_eq!(interned(Interned::Route, "/a/{first}"), first);
        assert!(std::ptr::eq(interned(Interned::Route, "/a/{first}"), first));
        assert_eq!(interned(Interned::Method, "PUT"), "PUT");
        assert_eq!(interned(Interned::Method, "BREW"), "OTHER");
    }

    #[test]
    fn the_account_is_read_from_any_license_prefix() {
        assert_eq!(
            account_in_path("/org/lease_/api/account/1234/user-license"),
            Some("1234")
        );
        assert_eq!(
            account_in_path("/la/api/account/x/user-license/group/g"),
            Some("x")
        );
        assert_eq!(account_in_path("/api/account/authenticate"), None);
        assert_eq!(account_in_path("/identity_/connect/token"), None);
        // Whole segments only, and never an empty id.
        assert_eq!(account_in_path("/xapi/account/1/user-license"), None);
        assert_eq!(account_in_path("/la/api/account"), None);
        assert_eq!(account_in_path("/la/api/account//user-license"), None);
        assert_eq!(account_in_path("/la/api/account/7"), Some("7"));
    }
}
