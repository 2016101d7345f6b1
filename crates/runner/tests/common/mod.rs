//! What the runner's integration tests share: the workspace, one runner at
//! a time, and `runner serve` started on a free port.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};

/// The book's workspace, two folders above this crate.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// One server at a time: each run takes a whole core or two.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A `runner serve` process, killed and reaped when dropped.
pub struct Runner {
    child: Child,
    pub port: u16,
}

impl Runner {
    /// Starts `runner serve` for the workspace on a free port, with the
    /// arguments `more` adds, and reads the port from its first line.
    pub fn start(more: impl FnOnce(&mut Command)) -> Runner {
        let mut serve = Command::new(env!("CARGO_BIN_EXE_runner"));
        serve.arg("serve").arg("--root").arg(root());
        more(&mut serve);
        let mut child = serve
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Runner { child, port }
    }

    /// Kills and reaps the server now (again when dropped: a no-op).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop();
    }
}
