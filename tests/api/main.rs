//! The emulator, driven over HTTP as its users drive it: one test binary,
//! one module per concern, a fresh server on a random port per test.

mod admin;
mod binary;
mod concurrency;
mod errors;
mod faults;
mod fixtures;
mod fuzz;
mod groups;
mod helpers;
mod identity;
mod journal;
mod openapi;
mod quotas;
mod request_ids;
mod users;
