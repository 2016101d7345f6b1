//! The sandboxes that compile and run the page's code, one per stage of a
//! run: bwrap (`bwrap.rs`), the server's child, made the sandboxes' user
//! (`user.rs`) by `enter.rs`, runs `runner job` (`job.rs`) as pid 1 of new
//! namespaces under a seccomp filter (`seccomp.rs`). bwrap tells the job's
//! pid on its info descriptor, and the server moves the job, not bwrap,
//! into the sandbox's cgroup (`cgroup.rs`) before it hands it its spec.
//! Ending a sandbox kills the group: the job, pid 1, takes its namespace
//! along; bwrap reaps it and exits; the server awaits bwrap. So no process
//! is left without its parent waiting for it (killing bwrap first would
//! hand the job to the nearest subreaper, `cargo xtask serve`, which never
//! waits for it: a zombie per run).
//!
//! ```text
//! compile  /toolchain /deps (read-only); /build /incr /out (rw); /tmp a tmpfs
//! run      /rsp/bin    the compile's out folder, or the Python program's own (read-only)
//!          /tmp        rw: its own ext4 (`disk.rs`) when root, else a tmpfs
//!          /dev/shm    a small tmpfs; /rsp/venv the book's Python venv (when made)
//! both     /usr, public /etc files, /etc/passwd and /etc/group (root, the sandbox's user),
//!          /proc of its own pid namespace, a minimal /dev, /rsp/runner (the job)
//! ```
//!
//! Without a usable bubblewrap (or with `--sandbox off`, the bench's
//! baseline) the job runs as a plain child: same user, cgroup and
//! rlimits, no namespaces; start-up says so.
pub mod bwrap;
pub mod cgroup;
pub mod disk;
pub mod enter;
pub mod seccomp;
pub mod user;

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::prepare::Layout;
use crate::wire::JobSpec;
use bwrap::{Bind, Tmp};
use cgroup::{Bounds, Cgroups, Group, Usage};
use disk::Disk;
use enter::{Enter, Staged};

/// `--sandbox`: what the server insists on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The best this machine allows, and say what that is.
    Auto,
    /// Refuse to start without bubblewrap namespaces.
    Require,
    /// No namespaces and no cgroup (rlimits only): the bench's baseline.
    Off,
}

/// Per-run bounds, as `runner serve` was told.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub run: Bounds,
    pub compile: Bounds,
    /// /dev/shm of a run, and /tmp of a compile (tmpfs, in memory).
    pub shm_bytes: u64,
    pub compile_tmp_bytes: u64,
    /// A run's /tmp: bytes and entries.
    pub tmp_bytes: u64,
    pub tmp_files: u64,
    /// What compiles keep on disk (incremental folder and executable),
    /// per snippet.
    pub cache_bytes: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            run: Bounds { memory: 512 << 20, tasks: 64 },
            compile: Bounds { memory: 2 << 30, tasks: 256 },
            shm_bytes: 64 << 20,
            compile_tmp_bytes: 256 << 20,
            tmp_bytes: 256 << 20,
            tmp_files: 10_000,
            cache_bytes: 256 << 20,
        }
    }
}

/// Host paths every sandbox uses, fixed for the server's life.
#[derive(Debug, Clone)]
pub struct HostPaths {
    pub layout: Layout,
    /// rustc's sysroot.
    pub toolchain: PathBuf,
    /// This executable (`runner job` runs in the sandbox).
    pub runner: PathBuf,
}

/// What isolation this server got, found once at start.
pub struct Isolation {
    pub bwrap: Option<PathBuf>,
    pub bwrap_version: String,
    pub why_no_bwrap: Option<String>,
    pub cgroups: Option<Cgroups>,
    pub why_no_cgroup: Option<String>,
    /// When the server is root: the sandboxes' own uid (and gid).
    pub user: Option<u32>,
    /// When the server is root: the runs' /tmp file system.
    pub disk: Option<Disk>,
    pub why_no_disk: Option<String>,
    seccomp: Option<Vec<u8>>,
    /// When root: an empty network namespace (only a loopback, down) that
    /// every sandbox joins, made once: making one per sandbox is most of
    /// what starting bwrap costs.
    net: Option<OwnedFd>,
    pub budget: Budget,
    pub host: HostPaths,
}

/// Which stage a sandbox is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Compile {
        slug: String,
    },
    /// A Rust program: the compile's out folder is its /rsp/bin.
    Run {
        slug: String,
    },
    /// A Python program, written at `file` (relative) in a folder of its own.
    Python {
        file: String,
        code: String,
    },
}

/// Paths as the job inside a sandbox sees them: with bwrap, where they
/// are bound (`/rsp/bin`, ...); without, where the host has them.
#[derive(Debug, Clone, Default)]
pub struct View(pub Vec<(&'static str, PathBuf)>);

impl View {
    /// The path the job sees for what the sandbox shows at `inside`.
    pub fn at(&self, inside: &str) -> PathBuf {
        let seen = self.0.iter().find(|(i, _)| *i == inside);
        seen.map_or_else(|| inside.into(), |(_, p)| p.clone())
    }
}

/// A started sandbox whose job waits for its spec.
pub struct Sandbox {
    pub view: View,
    /// bwrap, or (without it) the job itself.
    child: Child,
    /// The job's pid (bwrap's child): pid 1 of the sandbox's namespaces.
    job: u32,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    group: Option<Group>,
    /// Folders of the server's removed with the sandbox.
    scratch: Vec<PathBuf>,
    finished: bool,
}

/// In the job's environment (and so on bwrap's command line): the pid of
/// the runner whose sandbox it is, so that a process can be told apart from
/// another runner's on the same machine. The job clears its children's
/// environments: rustc and the program never see it.
pub const OWNER_ENV: &str = "RSP_RUNNER";

/// The most a job's line may be (a compile's output is capped at 128 KiB;
/// JSON escapes can double it).
pub const LINE_CAP: usize = 1 << 20;

fn mib(b: u64) -> String {
    if b >= 1 << 30 && b.is_multiple_of(1 << 30) {
        format!("{} GiB", b >> 30)
    } else {
        format!("{} MiB", b >> 20)
    }
}

/// Makes `dir` (and parents) and gives it to `owner` with `mode`.
fn own_dir(dir: &Path, owner: Option<u32>, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if let Some(id) = owner {
        std::os::unix::fs::chown(dir, Some(id), Some(id))
            .with_context(|| format!("chown {}", dir.display()))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Removes a folder a sandbox wrote, whatever modes it left inside.
pub fn remove_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fn open_up(d: &Path) {
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700));
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                open_up(&e.path());
            }
        }
    }
    if std::fs::remove_dir_all(dir).is_err() && dir.exists() {
        open_up(dir);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A new network namespace, made by a thread of its own that ends with
/// it (the server's other threads stay in the machine's).
fn empty_net() -> Result<OwnedFd> {
    let made = std::thread::spawn(|| -> std::io::Result<OwnedFd> {
        // SAFETY: unshare takes a flag; it changes this thread only.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(std::fs::File::open("/proc/thread-self/ns/net")?.into())
    });
    let fd = made.join().map_err(|_| anyhow::anyhow!("the network namespace's thread panicked"))?;
    // Above 9: `enter.rs` puts other descriptors at 3 and 4.
    high(fd.context("making the sandboxes' network namespace")?)
}

/// A pipe end as a descriptor above 9, where `enter.rs` can put it at 3 or
/// 4 in the child without clobbering another.
fn high(fd: OwnedFd) -> Result<OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) on a descriptor we own; the new one is ours.
    let n = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
    anyhow::ensure!(n >= 0, "fcntl: {}", std::io::Error::last_os_error());
    // SAFETY: `n` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(n) })
}

impl Isolation {
    /// Finds bubblewrap, cgroups and (as root) a user and a /tmp file
    /// system for the sandboxes, and tries a sandbox, per `mode`.
    pub fn detect(mode: Mode, host: HostPaths, budget: Budget) -> Result<Isolation> {
        let l = &host.layout.clone();
        let root = nix::unistd::geteuid().is_root();
        // 0700: no other user reaches the cache, sources or scratch folders.
        own_dir(&l.dir, None, 0o700)?;
        // The folders of runners that are gone (killed: a clean stop
        // removes its own).
        for e in std::fs::read_dir(&l.dir)?.flatten() {
            let pid =
                e.file_name().to_str().and_then(|n| n.strip_prefix("run-")?.parse::<u32>().ok());
            if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
                remove_tree(&e.path());
            }
        }
        own_dir(&l.state(), None, 0o700)?;
        own_dir(&l.runs(), None, 0o700)?;
        let user = match root {
            true => Some(user::pick()?),
            false => None,
        };
        let inside = user.unwrap_or(65534);
        own_dir(&l.etc(), None, 0o755)?;
        std::fs::write(
            l.etc().join("passwd"),
            format!("root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:{inside}:{inside}:sandbox:/tmp:/usr/sbin/nologin\n"),
        )?;
        std::fs::write(l.etc().join("group"), format!("root:x:0:\nsandbox:x:{inside}:\n"))?;
        let mut iso = Isolation {
            bwrap: None,
            bwrap_version: String::new(),
            why_no_bwrap: None,
            cgroups: None,
            why_no_cgroup: None,
            user,
            disk: None,
            why_no_disk: None,
            seccomp: seccomp::filter(),
            net: None,
            budget,
            host,
        };
        if root {
            enter::make_stage_dir().with_context(|| format!("preparing {}", enter::STAGE_DIR))?;
            iso.net = Some(empty_net()?);
        }
        if mode == Mode::Off {
            iso.why_no_bwrap = Some("turned off (--sandbox off)".into());
            iso.why_no_cgroup = Some("turned off (--sandbox off)".into());
            return Ok(iso);
        }
        match Cgroups::detect() {
            Ok(c) => iso.cgroups = Some(c),
            Err(e) => iso.why_no_cgroup = Some(e),
        }
        match bwrap::find() {
            None => iso.why_no_bwrap = Some("bwrap is not installed".into()),
            Some(b) => {
                iso.bwrap_version = bwrap::version(&b).unwrap_or_else(|| "bubblewrap".into());
                iso.bwrap = Some(b);
            }
        }
        if let (Some(id), Some(_)) = (user, &iso.bwrap) {
            let (img, at) = (l.state().join("tmp.img"), l.tmp());
            match Disk::make(img, at, budget.tmp_bytes, budget.tmp_files, id) {
                Ok(d) => iso.disk = Some(d),
                Err(e) => iso.why_no_disk = Some(format!("{e:#}")),
            }
        } else {
            iso.why_no_disk = Some("the runner is not root".into());
        }
        if iso.bwrap.is_some() {
            if let Err(e) = iso.trial() {
                iso.bwrap = None;
                iso.why_no_bwrap = Some(format!("{e:#}"));
            }
        }
        if mode == Mode::Require && iso.bwrap.is_none() {
            iso.remove();
            bail!("no sandbox: {} (--sandbox require)", iso.why_no_bwrap.as_deref().unwrap_or("?"));
        }
        Ok(iso)
    }

    /// Takes down what `detect` made (at exit, once every sandbox ended).
    pub fn remove(&self) {
        if let Some(d) = &self.disk {
            d.remove();
        }
        if let Some(c) = &self.cgroups {
            c.remove();
        }
        remove_tree(&self.host.layout.state());
    }

    /// A sandbox that runs `/bin/true`: proves bwrap and user namespaces
    /// work here, as the sandbox's user.
    fn trial(&self) -> Result<()> {
        let Some(bwrap) = &self.bwrap else { bail!("no bwrap") };
        let mut cmd = std::process::Command::new(bwrap);
        cmd.args(bwrap::args(&[], Tmp::Tmpfs(1 << 20), 1 << 20, 65534, self.net.is_some()))
            .arg("--")
            .arg("/bin/true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let net = self.net.as_ref().map(|n| n.as_raw_fd());
        Enter::new(&[], self.user.map(|u| (u, u)), Vec::new(), net)?.install(&mut cmd);
        let out = cmd.output().context("starting bwrap")?;
        if !out.status.success() {
            bail!(
                "bwrap cannot make a sandbox here ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Lines for the start-up message: what the code from the page gets.
    pub fn statement(&self) -> Vec<String> {
        let who = match self.user {
            Some(u) => format!("uid {u}, the runner's own for this start"),
            None => "your user (in a user namespace of its own, nobody inside)".to_string(),
        };
        let (b, why) = (&self.budget, |w: &Option<String>| w.clone().unwrap_or_default());
        let mut lines = vec![match &self.bwrap {
            Some(_) => format!(
                "sandbox: {}: rustc and the program run as {who}, in new user, mount, pid, network, \
                 IPC and UTS namespaces: no network, no socket but Unix ones, nothing else of yours",
                self.bwrap_version
            ),
            None => format!(
                "WARNING: no sandbox ({}): rustc and the program run as {who} with no namespaces: \
                 they can read whatever that user can read and use the network. Install bubblewrap \
                 and allow unprivileged user namespaces for the real sandbox.",
                why(&self.why_no_bwrap)
            ),
        }];
        lines.push(match &self.cgroups {
            Some(c) => format!(
                "bounds: {}: {} and {} tasks for a run, {} and {} tasks for rustc, all processes together",
                c.describe(),
                mib(b.run.memory),
                b.run.tasks,
                mib(b.compile.memory),
                b.compile.tasks
            ),
            None => format!("WARNING: no cgroup ({}): bounds per process only", why(&self.why_no_cgroup)),
        });
        lines.push(match (&self.disk, &self.bwrap) {
            (Some(_), _) => {
                format!("/tmp of a run: ext4, {}, {} files", mib(b.tmp_bytes), b.tmp_files)
            }
            (None, Some(_)) => format!(
                "/tmp of a run: a tmpfs of {} ({}): O_DIRECT there behaves as on tmpfs",
                mib(b.tmp_bytes),
                why(&self.why_no_disk)
            ),
            (None, None) => "/tmp of a run: a folder on disk, not bounded".into(),
        });
        lines
    }

    /// For /__rsp/health.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "sandbox": if self.bwrap.is_some() { "bwrap" } else { "none" },
            "cgroup": self.cgroups.as_ref().map(|c| c.version()).unwrap_or("none"),
            "user": self.user.map_or_else(|| "self".to_string(), |u| u.to_string()),
            "tmp": if self.disk.is_some() { "ext4" } else { "tmpfs" },
        })
    }

    /// Keeps what a snippet's compiles leave on disk (its incremental
    /// folder and executable) within its share: over it, both go. The
    /// book's snippets are a fixed set, so all together stay within their
    /// number of shares. Call it between runs (no sandbox of it alive).
    pub fn bound_cache(&self, slug: &str) {
        use std::os::unix::fs::MetadataExt;
        let dirs = ["incr", "out"].map(|d| self.host.layout.cache().join(d).join(slug));
        let mut todo = dirs.to_vec();
        let mut bytes = 0;
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let Ok(m) = e.metadata() else { continue };
                bytes += m.blocks() * 512;
                if m.is_dir() {
                    todo.push(e.path());
                }
            }
        }
        if bytes > self.budget.cache_bytes {
            dirs.iter().for_each(|d| remove_tree(d));
        }
    }

    /// Starts a sandbox of `kind` whose job waits for its spec.
    pub async fn start(&self, kind: &Kind, id: u64) -> Result<Sandbox> {
        let l = &self.host.layout;
        let name = format!("{}-{id}", std::process::id());
        // (inside path, host path, writable)
        let mut mounts = vec![("/rsp/runner", self.host.runner.clone(), false)];
        let cache = self.host.layout.cache();
        let mut scratch = Vec::new();
        let mut tmp = Tmp::Tmpfs(self.budget.tmp_bytes);
        let bounds = match kind {
            Kind::Compile { slug } => {
                for (inside, d) in [("/build", "edit"), ("/incr", "incr"), ("/out", "out")] {
                    let d = cache.join(d).join(slug);
                    own_dir(&d, self.user, 0o700)?;
                    mounts.push((inside, d, true));
                }
                mounts.push(("/toolchain", self.host.toolchain.clone(), false));
                mounts.push(("/deps", l.deps(), false));
                tmp = Tmp::Tmpfs(self.budget.compile_tmp_bytes);
                self.budget.compile
            }
            Kind::Run { slug } => {
                mounts.push(("/rsp/bin", cache.join("out").join(slug), false));
                self.budget.run
            }
            Kind::Python { file, code } => {
                let dir = l.runs().join(&name);
                let dest = dir.join(file);
                own_dir(dest.parent().unwrap_or(&dir), None, 0o755)?;
                own_dir(&dir, None, 0o755)?;
                std::fs::write(&dest, code).context("writing the program")?;
                scratch.push(dir.clone());
                mounts.push(("/rsp/bin", dir, false));
                self.budget.run
            }
        };
        if !matches!(kind, Kind::Compile { .. }) {
            match (&self.disk, &self.bwrap) {
                (Some(d), _) => {
                    mounts.push(("/tmp", d.fresh().context("emptying the runs' /tmp")?, true));
                    tmp = Tmp::Bound;
                }
                (None, None) => {
                    let dir = l.runs().join(format!("{name}-tmp"));
                    own_dir(&dir, self.user, 0o700)?;
                    mounts.push(("/tmp", dir.clone(), true));
                    scratch.push(dir);
                }
                (None, Some(_)) => {}
            }
            // The book's Python venv, once complete (serve may still be
            // making it when the runner starts).
            let venv = supervisor::python::venv_dir(&l.root).ok();
            if let Some(v) = venv.filter(|v| v.join(supervisor::python::READY_FILE).is_file()) {
                mounts.push(("/rsp/venv", v, false));
            }
        }
        mounts.push(("/etc/passwd", l.etc().join("passwd"), false));
        mounts.push(("/etc/group", l.etc().join("group"), false));

        // Where bwrap (or the plain job) finds each host path: staged when
        // we are root, else as it is.
        let staged: Vec<Staged> = mounts
            .iter()
            .enumerate()
            .filter(|_| self.user.is_some())
            .map(|(i, (_, host, _))| Staged { host: host.clone(), name: i.to_string() })
            .collect();
        let reach = |i: usize| staged.get(i).map_or_else(|| mounts[i].1.clone(), |s| s.path());
        let seen = |i: usize| match self.bwrap {
            Some(_) => mounts[i].0.into(),
            None => reach(i),
        };
        let mut view = View((0..mounts.len()).map(|i| (mounts[i].0, seen(i))).collect());
        if let (Kind::Compile { .. }, None) = (kind, &self.bwrap) {
            // rustc's and cc's temporary files, without bwrap's tmpfs.
            view.0.push(("/tmp", view.at("/build")));
        }
        let group = match &self.cgroups {
            Some(c) => Some(
                c.create(&name, bounds)
                    .with_context(|| format!("creating the cgroup of sandbox {name}"))?,
            ),
            None => None,
        };

        let mut fds = Vec::new();
        let mut info = None;
        let mut cmd = match &self.bwrap {
            Some(b) => {
                let binds: Vec<Bind> = (0..mounts.len())
                    .map(|i| Bind {
                        source: reach(i),
                        inside: mounts[i].0.into(),
                        writable: mounts[i].2,
                    })
                    .collect();
                let mut c = std::process::Command::new(b);
                let uid = self.user.unwrap_or(65534);
                let own_net = self.net.is_some();
                c.args(bwrap::args(&binds, tmp, self.budget.shm_bytes, uid, own_net));
                // The job's pid on fd 3 (bwrap writes it once the job
                // exists); the seccomp filter on fd 4.
                let (r, w) = std::io::pipe()?;
                fds.push(high(w.into())?);
                c.args(["--info-fd", "3"]);
                info = Some(r);
                if let Some(filter) = &self.seccomp {
                    let (r, mut w) = std::io::pipe()?;
                    std::io::Write::write_all(&mut w, filter)?;
                    drop(w);
                    fds.push(high(r.into())?);
                    c.args(["--seccomp", "4"]);
                }
                c.args(["--setenv", OWNER_ENV])
                    .arg(std::process::id().to_string())
                    .arg("--")
                    .arg("/rsp/runner")
                    .arg("job");
                c
            }
            None => {
                let mut c = std::process::Command::new(view.at("/rsp/runner"));
                c.arg("job")
                    .env_clear()
                    .env("PATH", "/usr/bin:/bin")
                    .env("LANG", "C.UTF-8")
                    .env(OWNER_ENV, std::process::id().to_string())
                    .current_dir("/");
                c
            }
        };
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let raw = fds.iter().map(|f| f.as_raw_fd()).collect();
        let net = self.net.as_ref().filter(|_| self.bwrap.is_some()).map(|n| n.as_raw_fd());
        Enter::new(&staged, self.user.map(|u| (u, u)), raw, net)?.install(&mut cmd);
        let mut child = tokio::process::Command::from(cmd)
            .spawn()
            .with_context(|| format!("starting sandbox {name}"))?;
        drop(fds);
        let (Some(stdin), Some(stdout), Some(err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            bail!("sandbox {name} has no pipes");
        };
        // bwrap's own complaints, and a job that panicked.
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("runner: sandbox {name}: {line}");
            }
        });
        let mut sb = Sandbox {
            view,
            job: child.id().unwrap_or(0),
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            group: None,
            scratch,
            finished: false,
        };
        if let Some(r) = info {
            match job_pid(r).await {
                Ok(pid) => sb.job = pid,
                Err(e) => {
                    sb.finish().await;
                    return Err(e.context("bwrap did not start the job"));
                }
            }
        }
        if let Some(g) = group {
            let added = g.add(sb.job);
            sb.group = Some(g);
            if let Err(e) = added {
                sb.finish().await;
                bail!("moving the job into its cgroup: {e}");
            }
        }
        Ok(sb)
    }
}

/// The job's pid, from bwrap's info (`{"child-pid": N, ...}`), read to its
/// end (bwrap closes it; a reader that left early would kill bwrap with
/// SIGPIPE, and its child would wait forever).
async fn job_pid(r: std::io::PipeReader) -> Result<u32> {
    let fd: OwnedFd = r.into();
    let mut r = tokio::net::unix::pipe::Receiver::from_owned_fd(fd)?.take(64 * 1024);
    let mut text = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), r.read_to_end(&mut text)).await??;
    let text = String::from_utf8_lossy(&text);
    text.split("\"child-pid\":")
        .nth(1)
        .and_then(|s| s.trim_start().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no child-pid in {text:?}"))
}

impl Sandbox {
    /// Hands the job its spec. Its stdin stays open: closing it (finishing
    /// the sandbox, or the server dying) tells the job to stop.
    pub async fn send(&mut self, spec: &JobSpec) -> Result<()> {
        let stdin = self.stdin.as_mut().context("the job's stdin is gone")?;
        let mut line = serde_json::to_vec(spec)?;
        line.push(b'\n');
        stdin.write_all(&line).await.context("handing the job its spec")?;
        stdin.flush().await?;
        Ok(())
    }

    /// The job's next event line, or None at its end. Lines over
    /// `LINE_CAP` end the stream (the job is in the sandbox: not trusted).
    pub async fn next_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        let mut limited = (&mut self.stdout).take(LINE_CAP as u64 + 1);
        let n = limited.read_until(b'\n', &mut buf).await.ok()?;
        if n == 0 || buf.len() > LINE_CAP {
            return None;
        }
        Some(String::from_utf8_lossy(&buf).trim_end_matches('\n').to_string())
    }

    /// Kills the sandbox's processes (the group, else the job), so that
    /// bwrap reaps them and exits on its own.
    fn kill(group: Option<&Group>, job: u32) {
        match group {
            Some(g) => g.kill_all(),
            // SAFETY: kill() on our sandbox's job (never 0: our own group).
            None if job > 1 => unsafe {
                libc::kill(job as i32, libc::SIGKILL);
            },
            None => {}
        }
    }

    /// Kills everything in the sandbox, waits for bwrap, reads what its
    /// cgroup saw, and removes the group and its scratch folder.
    pub async fn finish(mut self) -> Usage {
        self.finished = true;
        self.stdin = None;
        if self.group.is_none() {
            // Without a group the job kills what it started when its stdin
            // closes (`job.rs`); give it a moment.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.child.wait()).await;
        }
        let group = self.group.take();
        let (job, scratch) = (self.job, std::mem::take(&mut self.scratch));
        let group = tokio::task::spawn_blocking(move || {
            Self::kill(group.as_ref(), job);
            group
        })
        .await
        .ok()
        .flatten();
        // bwrap exits once it has reaped the job; it is killed only if it
        // does not (then the job is reaped by whoever inherits it).
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
            eprintln!("runner: a sandbox's bwrap did not end after its job was killed");
            let _ = self.child.kill().await;
        }
        tokio::task::spawn_blocking(move || {
            let usage = group.as_ref().map(|g| g.usage()).unwrap_or_default();
            drop(group);
            scratch.iter().for_each(|d| remove_tree(d));
            usage
        })
        .await
        .unwrap_or_default()
    }
}

impl Drop for Sandbox {
    /// A sandbox dropped without `finish` (its task was cancelled at
    /// shutdown): its processes are killed here, bwrap is reaped by
    /// tokio once it exits.
    fn drop(&mut self) {
        if !self.finished {
            Self::kill(self.group.as_ref(), self.job);
            self.scratch.iter().for_each(|d| remove_tree(d));
        }
    }
}
