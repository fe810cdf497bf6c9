//! The state file (SPEC §8): the whole state, in the fixture format, kept on
//! disk so a restarted emulator carries on where it stopped.
//!
//! Loaded at start when present (the fixtures stay the reset baseline);
//! every change is written within 100 ms, atomically (temporary file, fsync,
//! rename), and once more on shutdown. A state file that cannot be read or
//! parsed stops start-up: it is never silently replaced.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fixtures::{self, FixtureErrors, Fixtures, Loaded};
use crate::http::AppState;

/// How often the saver looks for changes: half the promised 100 ms, so a
/// write that takes a few milliseconds still lands in time.
const POLL: Duration = Duration::from_millis(50);

/// Loads the state file; `Ok(None)` when there is none yet.
pub fn load(path: &Path) -> Result<Option<Loaded>, FixtureErrors> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => fixtures::load_path(path).map(Some),
    }
}

/// Puts a loaded state file in place of the fixtures' state.
pub fn restore(state: &AppState, saved: &Loaded) {
    state.store.replace_all(saved.accounts.iter().cloned());
    state.identity.replace_credentials(&saved.fixtures);
}

/// The whole current state in the fixture format.
pub fn document(state: &AppState) -> Fixtures {
    let mut document = state.identity.credentials();
    document.accounts = state
        .store
        .snapshot()
        .iter()
        .map(fixtures::account_fixture)
        .collect();
    document
}

/// Writes `document` to `path` atomically: a temporary file beside it,
/// fsync, rename over the old one, fsync of the folder.
pub fn write(path: &Path, document: &Fixtures) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(document).map_err(std::io::Error::other)?;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(&bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    // The rename itself is durable only once the folder is synced.
    if let Ok(folder) = std::fs::File::open(folder) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Saves the state whenever it changes, until [`Saver::finish`].
#[derive(Debug)]
pub struct Saver {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Saver {
    /// Starts watching `state`; the first write happens at once, so the file
    /// exists from start-up on.
    pub fn spawn(path: PathBuf, state: AppState) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut saved = None;
            let mut ticks = tokio::time::interval(POLL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let last = tokio::select! {
                    _ = ticks.tick() => false,
                    _ = &mut stopped => true,
                };
                saved = save_if_changed(&path, &state, saved).await;
                if last {
                    break;
                }
            }
        });
        Self { stop, task }
    }

    /// Writes any change not yet saved, then stops.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Writes the state if its generation moved since `saved`; returns the generation now on disk.
async fn save_if_changed(path: &Path, state: &AppState, saved: Option<u64>) -> Option<u64> {
    let generation = state.store.generation();
    if saved == Some(generation) {
        return saved;
    }
    let document = document(state);
    let target = path.to_owned();
    // fsync can take a while: keep it off the request workers.
    let written = tokio::task::spawn_blocking(move || write(&target, &document)).await;
    match written {
        Ok(Ok(())) => Some(generation),
        Ok(Err(error)) => {
            tracing::error!(path = %path.display(), %error, "cannot write the state file");
            saved
        }
        Err(error) => {
            tracing::error!(%error, "the state file writer failed");
            saved
        }
    }
}
