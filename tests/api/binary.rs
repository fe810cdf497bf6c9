//! The binary as containers and scripts run it: the state file across
//! restarts and crashes, graceful shutdown under load, the `healthcheck`
//! subcommand, and start-up refusals.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_uipath-license-mock");

/// A running emulator process on a free port.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    /// Starts the binary with `args` and waits for its start-up line.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .args(["--port", "0", "--log-format", "json"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the binary prints its start-up line")
                .expect("stdout is UTF-8");
            if let Some(start) = line.find("listening on http://") {
                let url = &line[start + "listening on ".len()..];
                let end = url.find([' ', '"']).unwrap_or(url.len());
                break url[..end].to_owned();
            }
        };
        // Keep draining the log so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, base }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    /// Waits for the process to end, up to `limit`.
    fn wait(mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("the process can be waited on") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the process did not stop within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary folder removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "ulm-binary-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("the temporary folder is created");
        Self(path)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn send(method: reqwest::Method, url: String, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = client()
        .request(method, url)
        .header("Authorization", "Bearer 1234");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the emulator answers");
    let status = response.status();
    let text = response.text().await.expect("the body is read");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn state_of(base: &str) -> Value {
    let (status, state) = send(reqwest::Method::GET, format!("{base}/__admin/state"), None).await;
    assert_eq!(status, StatusCode::OK);
    state
}

/// Polls the state file until `done` holds for its content, or fails after a generous limit.
fn wait_for_file(path: &Path, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if std::fs::read_to_string(path).is_ok_and(|text| done(&text)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the state file never showed the change"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test]
async fn the_state_file_survives_a_restart_with_every_kind_of_change() {
    let dir = TempDir::new("restart");
    let file = dir.file("state.json");
    let path = file.to_str().expect("a UTF-8 path");
    let first = Process::start(&["--state-file", path]);
    let base = first.base.clone();
    let acc = format!("{base}/lease_/api/account/1234/user-license");
    let put = reqwest::Method::PUT;
    let changes = [
        (
            put.clone(),
            format!("{acc}/group/group-01"),
            json!({"userBundleCodes": ["IDU", "ACNU"]}),
        ),
        (
            put.clone(),
            format!("{acc}/group/undeclared"),
            json!({"userBundleCodes": ["PMD"], "useExternalLicense": true}),
        ),
        (
            put.clone(),
            format!("{acc}/group/all-staff/with-quota"),
            json!({"userBundleCodes": ["ATTUNU"], "quotas": [{"userBundleCode": "ATTUNU", "limit": 4}]}),
        ),
        (
            put.clone(),
            acc.clone(),
            json!({"userIds": ["u1", "u2"], "userBundleCodes": ["RPADEVPRONU"]}),
        ),
        (
            reqwest::Method::POST,
            format!("{base}/__admin/accounts"),
            json!({"accountId": "made-at-runtime", "organizationName": "Runtime", "licenses": {"IDU": 2}}),
        ),
        (
            put.clone(),
            format!("{base}/__admin/accounts/song-one/groups/new-group"),
            json!({"name": "New", "members": 2}),
        ),
        (
            put.clone(),
            format!("{base}/__admin/accounts/song-one/licenses"),
            json!({"IDU": 7, "ACNU": 1}),
        ),
    ];
    for (method, url, body) in changes {
        let (status, answer) = send(method, url.clone(), Some(body)).await;
        assert!(status.is_success(), "{url} answered {status}: {answer}");
    }
    let (status, _) = send(
        reqwest::Method::DELETE,
        format!("{base}/__admin/accounts/no-license"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let before = state_of(&base).await;

    first.signal("-TERM");
    assert!(
        first.wait(Duration::from_secs(5)).success(),
        "SIGTERM exits 0"
    );

    let second = Process::start(&["--state-file", path]);
    assert_eq!(
        state_of(&second.base).await,
        before,
        "the restarted emulator has the same state"
    );
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the file exists"))
            .expect("the state file is JSON");
    assert_eq!(
        on_disk, before,
        "the file holds the state in fixture format"
    );
}

#[tokio::test]
async fn a_crash_keeps_every_change_already_written() {
    let dir = TempDir::new("crash");
    let file = dir.file("state.json");
    let path = file.to_str().expect("a UTF-8 path");
    let first = Process::start(&["--state-file", path]);
    let url = format!(
        "{}/la/api/account/song-one/user-license/group/crash-test",
        first.base
    );
    let (status, _) = send(
        reqwest::Method::PUT,
        url,
        Some(json!({"userBundleCodes": ["TSTNU"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The writer saves within 100 ms; wait for it rather than for a fixed time.
    wait_for_file(&file, |text| text.contains("crash-test"));

    first.signal("-KILL");
    assert!(!first.wait(Duration::from_secs(5)).success());

    // Checked before the restart: the new process writes the file at once.
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("the folder is readable")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name() != "state.json")
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file is left: {leftovers:?}"
    );

    let second = Process::start(&["--state-file", path]);
    let url = format!(
        "{}/la/api/account/song-one/user-license/group/crash-test",
        second.base
    );
    let (status, rule) = send(reqwest::Method::GET, url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rule["allocatedUserBundles"], json!(["TSTNU"]));
}

#[tokio::test]
async fn a_corrupt_state_file_stops_start_up_and_is_left_alone() {
    let dir = TempDir::new("corrupt");
    let file = dir.file("state.json");
    std::fs::write(&file, "{\"accounts\": [}").expect("the file is written");
    let output = Command::new(BINARY)
        .args(["--port", "0", "--state-file", file.to_str().expect("UTF-8")])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("state file"), "{message}");
    assert!(message.contains("line 1 column"), "{message}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("still there"),
        "{\"accounts\": [}",
        "the corrupt file is never replaced"
    );
}

#[tokio::test]
async fn sigterm_during_load_lets_requests_in_flight_finish_and_exits_zero() {
    let process = Process::start(&[]);
    let base = process.base.clone();
    let fault = json!({"match": {"path": "*/group/slow-*"}, "delayMs": 300});
    let (status, _) = send(
        reqwest::Method::POST,
        format!("{base}/__admin/faults"),
        Some(fault),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let in_flight: Vec<_> = (0..8)
        .map(|i| {
            let url = format!("{base}/la/api/account/1234/user-license/group/slow-{i}");
            tokio::spawn(send(
                reqwest::Method::PUT,
                url,
                Some(json!({"userBundleCodes": ["ACNU"]})),
            ))
        })
        .collect();
    // Every request has reached the fault rule (and is waiting in it) before the signal.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, faults) = send(reqwest::Method::GET, format!("{base}/__admin/faults"), None).await;
        if faults[0]["matched"] == json!(8) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the requests never arrived: {faults}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.signal("-TERM");
    for request in in_flight {
        let (status, answer) = request.await.expect("the task ends");
        assert_eq!(
            status,
            StatusCode::OK,
            "a request in flight was cut off: {answer}"
        );
    }
    let status = tokio::task::spawn_blocking(move || process.wait(Duration::from_secs(5)))
        .await
        .expect("the wait ends");
    assert!(status.success(), "the emulator exits 0 after SIGTERM");
}

#[tokio::test]
async fn healthcheck_passes_against_a_live_server_and_fails_against_a_dead_one() {
    let server = uipath_license_mock::MockServer::start().await;
    let url = format!("{}/__admin/health", server.uri());
    let live = tokio::task::spawn_blocking(move || {
        Command::new(BINARY)
            .args(["healthcheck", "--url", &url])
            .output()
    })
    .await
    .expect("the probe ends")
    .expect("the binary runs");
    assert!(
        live.status.success(),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port is free");
    let port = closed.local_addr().expect("bound").port();
    drop(closed);
    let dead = Command::new(BINARY)
        .args(["healthcheck", "--port", &port.to_string()])
        .output()
        .expect("the binary runs");
    assert_eq!(dead.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dead.stderr).contains("unhealthy"));
}

#[test]
fn a_bad_environment_value_names_both_the_flag_and_the_variable() {
    let output = Command::new(BINARY)
        .env("LICENSE_MOCK_PORT", "eighty")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("--port"), "{message}");
    assert!(message.contains("LICENSE_MOCK_PORT"), "{message}");
}

#[test]
fn sigterm_right_after_the_start_up_line_still_shuts_down_gracefully() {
    // Supervisors signal as soon as they see the line: the handlers must
    // already be installed by then, or the default action kills with 143.
    for _ in 0..5 {
        let process = Process::start(&[]);
        process.signal("-TERM");
        let status = process.wait(Duration::from_secs(5));
        assert_eq!(status.code(), Some(0), "{status:?}");
    }
}
