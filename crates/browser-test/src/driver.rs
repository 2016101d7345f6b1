//! chromedriver and headless Chromium: started on a free port with a fresh
//! profile, and always killed, also when a check fails or panics.
//!
//! chromedriver runs in its own process group with `PR_SET_PDEATHSIG`, and
//! the guard's `Drop` kills that group and every process left below us (we
//! are a child subreaper, so Chromium's helpers that lose their parent come
//! back to us rather than to init).
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The viewport of every page and screenshot.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 800;

/// A running chromedriver; killed with its process group when dropped.
pub struct Driver {
    child: Child,
    pub port: u16,
    profile: PathBuf,
}

impl Driver {
    pub fn start(chromedriver: &Path, work: &Path) -> Result<Driver> {
        let port = free_port()?;
        let profile = work.join(format!("chromium-profile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile)
            .with_context(|| format!("creating {}", profile.display()))?;
        let log = std::fs::File::create(work.join("chromedriver.log"))
            .context("creating chromedriver.log")?;
        nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")?;
        let mut cmd = Command::new(chromedriver);
        cmd.arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
            });
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", chromedriver.display()))?;
        let driver = Driver {
            child,
            port,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("chromedriver did not listen on port {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(driver)
    }

    /// A new headless Chromium session.
    pub async fn session(&self, chromium: &Path) -> Result<Client> {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--lang=en-US",
            // The book must not need the network: anything but this machine
            // fails at once (and shows up as a console error).
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            &format!("--window-size={WIDTH},{HEIGHT}"),
            &format!("--user-data-dir={}", self.profile.display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
            "timeouts": { "pageLoad": 20_000, "script": 10_000, "implicit": 0 },
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities are not an object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("starting a Chromium session through chromedriver")?;
        Ok(client)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
        // Chromium's processes, wherever they ended up below us.
        supervisor::reap::kill_all_descendants();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// The console messages logged since the last call (chromedriver's log
/// extension, enabled by `goog:loggingPrefs`): `(level, message)`.
pub async fn browser_log(client: &Client) -> Result<Vec<(String, String)>> {
    let v = client
        .issue_cmd(Extension {
            path: "se/log",
            body: json!({ "type": "browser" }),
        })
        .await
        .context("reading the browser console log")?;
    let entries = v.as_array().cloned().unwrap_or_default();
    Ok(entries
        .iter()
        .map(|e| {
            (
                e["level"].as_str().unwrap_or_default().to_string(),
                e["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// A Chrome DevTools Protocol command through chromedriver.
pub async fn cdp(client: &Client, cmd: &str, params: Value) -> Result<Value> {
    client
        .issue_cmd(Extension {
            path: "goog/cdp/execute",
            body: json!({ "cmd": cmd, "params": params }),
        })
        .await
        .with_context(|| format!("CDP {cmd}"))
}

/// A vendor endpoint under `/session/{id}/`, POSTed with a JSON body.
#[derive(Debug)]
struct Extension {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Extension {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
