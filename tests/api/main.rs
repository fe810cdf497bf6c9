//! The emulator, driven over HTTP as its users drive it: one test binary,
//! one module per concern, a fresh server on a random port per test.

mod concurrency;
mod errors;
mod fixtures;
mod groups;
mod helpers;
mod request_ids;
