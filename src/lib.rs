//! # uipath-license-mock
//!
//! A local emulator of UiPath's license allocation API (the License
//! Accountant service behind `/{organization}/lease_`), for integration tests,
//! docker-compose test environments and demos. It serves from memory, offline,
//! and answers 404 and 409 as the real service does.
//!
//! ## Map of the house
//!
//! - [`licensing`]: the domain, with no HTTP in it: validated ids, accounts,
//!   the seat arithmetic (`used(C) <= total(C)`, SPEC §2) and the [`Store`],
//!   whose per-account lock makes every allocation one atomic step.
//! - [`identity`]: the emulated identity service, with no HTTP in it: RS256
//!   tokens for the OAuth grants and the legacy ROPC call, and the checks the
//!   license routes make with them (auth modes, expiry, scopes, organization).
//! - [`control`]: the test control plane's machinery: the bounded request
//!   journal, fault rules and Prometheus metrics.
//! - [`fixtures`]: the JSON fixture format, the embedded default and the one
//!   strict loader every source of state goes through.
//! - [`http`]: the route table, the request boundary (request ids, problem
//!   bodies, the log line), extractors that decode bodies by ASP.NET Core's
//!   rules, and one module per emulated resource.
//! - [`config`]: the command line, one clap struct with an environment
//!   variable for every option.
//! - [`state_file`]: the `--state-file` writer (atomic, within 100 ms of a
//!   change) and loader; [`healthcheck`]: the dependency-free probe of the
//!   `healthcheck` subcommand.
//! - [`MockServer`]: the emulator started in-process on a random port, for
//!   Rust tests; [`run`] is the accept loop the binary uses too.
//!
//! The binary (`src/main.rs`) only reads the configuration, sets up logging
//! and calls [`run`] with a shutdown future that completes on SIGINT or SIGTERM.
//!
//! ```no_run
//! # async fn example() {
//! use uipath_license_mock::MockServer;
//!
//! let server = MockServer::builder().journal_limit(100).start().await.expect("starts");
//! let base = server.uri(); // e.g. http://127.0.0.1:41234, stopped when `server` is dropped
//! # }
//! ```

pub mod config;
pub mod control;
pub mod fixtures;
pub mod healthcheck;
pub mod http;
pub mod identity;
pub mod licensing;
mod server;
pub mod state_file;
mod unique;

pub use licensing::Store;
pub use server::{MockServer, MockServerBuilder, StartError, app_state, run};
