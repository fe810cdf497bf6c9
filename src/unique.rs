//! Unique, unpredictable-enough values for request ids, token ids and
//! refresh tokens: a per-process random seed mixed with a counter.
//!
//! Not cryptographic, and need not be: the emulator is for tests, and its
//! tokens are signed with a published test key anyway.

use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Random per process, so values differ between runs.
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED
        .get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(std::process::id()))
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// SplitMix64: a bijective mix, so distinct inputs give distinct outputs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `N` 64-bit values, the first of which is never repeated within a process.
pub(crate) fn words<const N: usize>() -> [u64; N] {
    let mut value = seed() ^ COUNTER.fetch_add(1, Ordering::Relaxed);
    std::array::from_fn(|_| {
        value = mix(value);
        value
    })
}

/// A fresh 128-bit value as 32 lowercase hex digits.
pub(crate) fn hex128() -> String {
    let [high, low] = words::<2>();
    format!("{high:016x}{low:016x}")
}
