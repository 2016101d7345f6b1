//! The sandboxes that compile and run the page's code. One sandbox per
//! stage of a run (see `run/`): a process tree that starts as the server's
//! child, joins a cgroup of its own (`cgroup.rs`), becomes `nobody` when the
//! server is root (`enter.rs`), then `bwrap` (`bwrap.rs`), which runs
//! `runner job` (`job.rs`) as pid 1 of new namespaces. The job waits on its
//! stdin for one job, does it, and prints events on stdout.
//!
//! What each kind sees (read-only unless marked):
//!
//! ```text
//! compile  /toolchain  rustc's sysroot         run  /rsp/bin   the program (copied in after the compile)
//!          /deps       the prebuilt rlibs            /tmp       rw: an empty folder, removed after the run
//!          /build      rw: src/main.rs               /dev/shm   a small tmpfs, gone with the sandbox
//!          /incr       rw: rustc's incremental
//!          /out        rw: the executable
//!          /tmp        a tmpfs for rustc and cc           /rsp/venv  the book's Python venv (when made):
//!                                                                Debian's python3 and its stdlib are in /usr
//! both     /usr, public /etc files, /etc/passwd and /etc/group (root and nobody only),
//!          /proc of its own pid namespace, a minimal /dev, /rsp/runner (the job)
//! ```
//!
//! Without a usable bubblewrap (or with `--sandbox off`, the bench's
//! baseline) the job runs as a plain child: same user rules, cgroup and
//! rlimits, no namespaces; start-up says so.
pub mod bwrap;
pub mod cgroup;
pub mod enter;
pub mod pool;
pub mod rlimits;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::job::JobSpec;
use crate::prepare::Layout;
use bwrap::{Bind, Tmp};
use cgroup::{Bounds, Cgroups, Group};
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
    /// A run's /tmp is a folder on disk (where O_DIRECT behaves as in the
    /// book), watched: over this the run is ended.
    pub disk: DiskBound,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            run: Bounds {
                memory: 512 << 20,
                tasks: 64,
            },
            compile: Bounds {
                memory: 2 << 30,
                tasks: 256,
            },
            shm_bytes: 64 << 20,
            compile_tmp_bytes: 256 << 20,
            disk: DiskBound {
                bytes: 256 << 20,
                entries: 10_000,
            },
        }
    }
}

/// What isolation this server got, found once at start.
pub struct Isolation {
    /// bwrap, when it works here.
    pub bwrap: Option<PathBuf>,
    pub bwrap_version: String,
    pub why_no_bwrap: Option<String>,
    pub cgroups: Option<Cgroups>,
    pub why_no_cgroup: Option<String>,
    /// When the server is root: nobody's uid and gid, which every process
    /// of a sandbox runs as.
    pub drop_to: Option<(u32, u32)>,
    pub budget: Budget,
    pub host: HostPaths,
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

impl HostPaths {
    /// The book's Python venv (`supervisor::python`), once it is complete:
    /// looked for at each run sandbox until found (serve may still be
    /// making it when the runner starts), then kept.
    pub fn venv(&self) -> Option<PathBuf> {
        static FOUND: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        if let Some(v) = FOUND.get() {
            return Some(v.clone());
        }
        let dir = supervisor::python::venv_dir(&self.layout.root).ok()?;
        if !dir.join(supervisor::python::READY_FILE).is_file() {
            return None;
        }
        Some(FOUND.get_or_init(|| dir).clone())
    }
}

/// Which stage a sandbox is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Compile { slug: String },
    Run,
}

/// Paths as the job inside a sandbox sees them.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub toolchain: PathBuf,
    pub deps: PathBuf,
    pub build: PathBuf,
    pub incr: PathBuf,
    pub out: PathBuf,
    pub bin: PathBuf,
    pub tmp: PathBuf,
    pub runner: PathBuf,
    /// Run sandboxes: the book's Python venv, when it exists.
    pub venv: Option<PathBuf>,
}

/// What a sandbox's cgroup saw, read before it is removed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub oom_kills: u64,
    pub forks_refused: u64,
    pub peak_memory: Option<u64>,
}

/// A started sandbox whose job waits for its spec.
pub struct Sandbox {
    pub id: u64,
    pub kind: Kind,
    pub view: View,
    /// Run sandboxes: the host folder shown as `view.bin`.
    pub host_bin: Option<PathBuf>,
    /// Run sandboxes: the host folder shown as `view.tmp` (on disk).
    pub host_tmp: Option<PathBuf>,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<BufReader<ChildStdout>>,
    group: Option<Group>,
    /// Removed when the sandbox is finished.
    scratch: Option<PathBuf>,
}

fn mib(b: u64) -> String {
    if b >= 1 << 30 && b.is_multiple_of(1 << 30) {
        format!("{} GiB", b >> 30)
    } else {
        format!("{} MiB", b >> 20)
    }
}

/// Makes `dir` (and parents) and gives it to `owner` with `mode`.
fn own_dir(dir: &Path, owner: Option<(u32, u32)>, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))
            .with_context(|| format!("chown {}", dir.display()))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// What a run may keep on disk in its /tmp at once, in bytes and entries.
#[derive(Debug, Clone, Copy)]
pub struct DiskBound {
    pub bytes: u64,
    pub entries: u64,
}

/// Whether the files under `dir` take more than `bound` (counting the
/// blocks really used, so sparse files count for what they hold). Stops
/// counting as soon as it knows.
pub fn over_disk_bound(dir: &Path, bound: DiskBound) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (mut bytes, mut entries) = (0u64, 0u64);
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            entries += 1;
            if let Ok(m) = e.metadata() {
                bytes += m.blocks() * 512;
                if m.is_dir() {
                    todo.push(e.path());
                }
            }
            if bytes > bound.bytes || entries > bound.entries {
                return true;
            }
        }
    }
    false
}

/// Kills bwrap processes of this workspace's sandboxes whose runner is
/// gone (see `Sandbox::kill_group`: a runner killed outright can leave
/// one). With a cgroup, the next runner's cgroup clean-up does this too;
/// without one, this is what finds them: a bwrap of ours (its command line
/// names our folder) whose parent is not a runner.
fn sweep_orphans(l: &Layout) {
    let ours = l.dir.as_os_str().as_encoded_bytes().to_vec();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let is_ours = cmdline.windows(16).any(|w| w == b"/rsp/runner\0job\0")
            && cmdline.windows(ours.len()).any(|w| w == ours.as_slice());
        if !is_ours
            || !cmdline
                .split(|&b| b == 0)
                .next()
                .is_some_and(|a| a.ends_with(b"bwrap"))
        {
            continue;
        }
        let ppid = crate::procs::ppid(pid);
        let parent_is_runner = ppid.is_some_and(|pp| {
            std::fs::read(format!("/proc/{pp}/cmdline"))
                .is_ok_and(|c| c.windows(6).any(|w| w == b"serve\0"))
        });
        if !parent_is_runner {
            // SAFETY: kill() on a process found above; it is ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Removes a folder a sandbox wrote, whatever modes it left inside.
pub fn remove_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fn open_up(d: &Path) {
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700));
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    open_up(&e.path());
                }
            }
        }
    }
    if std::fs::remove_dir_all(dir).is_err() && dir.exists() {
        open_up(dir);
        let _ = std::fs::remove_dir_all(dir);
    }
}

impl Isolation {
    /// Finds bubblewrap and cgroups and tries a sandbox, per `mode`.
    pub fn detect(mode: Mode, host: HostPaths, budget: Budget) -> Result<Isolation> {
        let drop_to = nix::unistd::geteuid()
            .is_root()
            .then(|| match nix::unistd::User::from_name("nobody") {
                Ok(Some(u)) => (u.uid.as_raw(), u.gid.as_raw()),
                _ => (65534, 65534),
            });
        let mut iso = Isolation {
            bwrap: None,
            bwrap_version: String::new(),
            why_no_bwrap: None,
            cgroups: None,
            why_no_cgroup: None,
            drop_to,
            budget,
            host,
        };
        iso.prepare_dirs()?;
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
                if let Err(e) = iso.trial() {
                    iso.bwrap = None;
                    iso.why_no_bwrap = Some(format!("{e:#}"));
                }
            }
        }
        if mode == Mode::Require && iso.bwrap.is_none() {
            bail!(
                "no sandbox: {} (--sandbox require)",
                iso.why_no_bwrap.as_deref().unwrap_or("?")
            );
        }
        Ok(iso)
    }

    /// The folders sandboxes bind, owned as they need.
    fn prepare_dirs(&self) -> Result<()> {
        let l = &self.host.layout;
        if self.drop_to.is_some() {
            enter::make_stage_dir().with_context(|| format!("preparing {}", enter::STAGE_DIR))?;
        }
        // 0700: no other user reaches the cache, sources or scratch folders.
        own_dir(&l.dir, None, 0o700)?;
        own_dir(&l.runs(), None, 0o700)?;
        let etc = l.etc();
        own_dir(&etc, None, 0o755)?;
        std::fs::write(
            etc.join("passwd"),
            "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        )?;
        std::fs::write(etc.join("group"), "root:x:0:\nnogroup:x:65534:\n")?;
        sweep_orphans(l);
        // Scratch folders of runners that are gone.
        if let Ok(rd) = std::fs::read_dir(l.runs()) {
            for e in rd.flatten() {
                let name = e.file_name();
                let pid = name
                    .to_str()
                    .and_then(|n| n.split('-').next())
                    .and_then(|p| p.parse::<u32>().ok());
                if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
                    remove_tree(&e.path());
                }
            }
        }
        Ok(())
    }

    /// A sandbox that runs `/bin/true`: proves bwrap and user namespaces
    /// work here, as the sandbox's user.
    fn trial(&self) -> Result<()> {
        let Some(bwrap) = &self.bwrap else {
            bail!("no bwrap")
        };
        let mut cmd = std::process::Command::new(bwrap);
        cmd.args(bwrap::args(&[], Tmp::Tmpfs(1 << 20), 1 << 20, &[]))
            .arg("--")
            .arg("/bin/true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Enter::new(Vec::new(), &[], self.drop_to, true)?.install(&mut cmd);
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
        let who = match self.drop_to {
            Some(_) => "nobody (the runner is root)".to_string(),
            None => format!(
                "your user ({})",
                nix::unistd::User::from_uid(nix::unistd::getuid())
                    .ok()
                    .flatten()
                    .map(|u| u.name)
                    .unwrap_or_else(|| nix::unistd::getuid().to_string())
            ),
        };
        let b = &self.budget;
        let mut lines = Vec::new();
        match &self.bwrap {
            Some(_) => lines.push(format!(
                "sandbox: {}: rustc and the program run as {who}, as nobody inside, in new user, \
                 mount, pid, network, IPC and UTS namespaces: no network, the toolchain and the \
                 prebuilt crates read-only, an empty /tmp and /dev/shm of their own, nothing else of yours",
                self.bwrap_version
            )),
            None => lines.push(format!(
                "WARNING: no sandbox ({}): rustc and the program run as {who} with no namespaces: \
                 they can read whatever that user can read and use the network. Install bubblewrap \
                 (apt-get install bubblewrap) and allow unprivileged user namespaces for the real sandbox.",
                self.why_no_bwrap.as_deref().unwrap_or("unknown")
            )),
        }
        match &self.cgroups {
            Some(c) => lines.push(format!(
                "bounds: {}: {} and {} tasks for a run, {} and {} tasks for rustc, all processes together",
                c.describe(),
                mib(b.run.memory),
                b.run.tasks,
                mib(b.compile.memory),
                b.compile.tasks
            )),
            None => lines.push(format!(
                "WARNING: no cgroup ({}): memory and processes are bounded per process only \
                 (RLIMIT_AS 1 GiB, RLIMIT_NPROC {} above what the user runs), not for a run's whole tree",
                self.why_no_cgroup.as_deref().unwrap_or("unknown"),
                rlimits::EXTRA_PROCESSES
            )),
        }
        lines
    }

    /// For /__rsp/health: `{sandbox, cgroup}`.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "sandbox": if self.bwrap.is_some() { "bwrap" } else { "none" },
            "cgroup": self.cgroups.as_ref().map(|c| c.version()).unwrap_or("none"),
            "user": if self.drop_to.is_some() { "nobody" } else { "self" },
        })
    }

    /// The user that files a sandbox writes belong to (outside).
    fn writer(&self) -> Option<(u32, u32)> {
        self.drop_to
    }

    /// Compile caches: per way of sandboxing, since rustc's incremental
    /// cache is only reused under the same paths.
    fn cache(&self) -> PathBuf {
        let how = if self.bwrap.is_some() {
            "bwrap"
        } else {
            "plain"
        };
        self.host.layout.cache(how)
    }

    /// Where a compile sandbox leaves the executable of `slug` (host path).
    pub fn host_exe(&self, slug: &str) -> PathBuf {
        self.cache().join("out").join(slug).join(slug)
    }

    /// Starts a sandbox of `kind` whose job waits for its spec.
    pub fn start(&self, kind: &Kind, id: u64) -> Result<Sandbox> {
        let l = &self.host.layout;
        let name = format!("{}-{id}", std::process::id());
        // (name, host path, inside path, writable)
        let mut mounts: Vec<(&str, PathBuf, PathBuf, bool)> = vec![(
            "runner",
            self.host.runner.clone(),
            "/rsp/runner".into(),
            false,
        )];
        let mut scratch = None;
        let mut host_bin = None;
        let mut host_tmp = None;
        let (bounds, tmp) = match kind {
            Kind::Compile { slug } => {
                let cache = self.cache();
                for (n, d, inside) in [
                    ("build", cache.join("edit").join(slug), "/build"),
                    ("incr", cache.join("incr").join(slug), "/incr"),
                    ("out", cache.join("out").join(slug), "/out"),
                ] {
                    own_dir(&d, self.writer(), 0o700)?;
                    mounts.push((n, d, inside.into(), true));
                }
                mounts.push((
                    "toolchain",
                    self.host.toolchain.clone(),
                    "/toolchain".into(),
                    false,
                ));
                mounts.push(("deps", l.deps(), "/deps".into(), false));
                (
                    self.budget.compile,
                    Tmp::Tmpfs(self.budget.compile_tmp_bytes),
                )
            }
            Kind::Run => {
                let dir = l.runs().join(&name);
                let bin = dir.join("bin");
                let tmp = dir.join("tmp");
                own_dir(&dir, None, 0o755)?;
                own_dir(&bin, None, 0o755)?;
                own_dir(&tmp, self.writer(), 0o700)?;
                mounts.push(("bin", bin.clone(), "/rsp/bin".into(), false));
                mounts.push(("tmp", tmp.clone(), "/tmp".into(), true));
                if let Some(venv) = self.host.venv() {
                    mounts.push(("venv", venv, "/rsp/venv".into(), false));
                }
                host_tmp = Some(tmp);
                scratch = Some(dir);
                host_bin = Some(bin);
                (self.budget.run, Tmp::Bound)
            }
        };
        mounts.push((
            "passwd",
            l.etc().join("passwd"),
            "/etc/passwd".into(),
            false,
        ));
        mounts.push(("group", l.etc().join("group"), "/etc/group".into(), false));

        // Where bwrap (or the plain job) finds each host path: staged when
        // we are root, else as it is.
        let staged: Vec<Staged> = if self.drop_to.is_some() {
            mounts
                .iter()
                .map(|(n, host, _, _)| Staged {
                    host: host.clone(),
                    name: n.to_string(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let reach = |n: &str, host: &Path| -> PathBuf {
            staged
                .iter()
                .find(|s| s.name == n)
                .map(|s| s.path())
                .unwrap_or_else(|| host.to_path_buf())
        };
        let find = |n: &str| mounts.iter().find(|m| m.0 == n);
        let view_of = |n: &str| -> PathBuf {
            match find(n) {
                None => PathBuf::new(),
                Some((n, host, inside, _)) => {
                    if self.bwrap.is_some() {
                        inside.clone()
                    } else {
                        reach(n, host)
                    }
                }
            }
        };
        let mut view = View {
            toolchain: view_of("toolchain"),
            deps: view_of("deps"),
            build: view_of("build"),
            incr: view_of("incr"),
            out: view_of("out"),
            bin: view_of("bin"),
            tmp: view_of("tmp"),
            runner: view_of("runner"),
            venv: find("venv").map(|_| view_of("venv")),
        };
        if let Kind::Compile { .. } = kind {
            // rustc's and cc's temporary files: the sandbox's tmpfs, or
            // (without bwrap) the build folder.
            view.tmp = if self.bwrap.is_some() {
                "/tmp".into()
            } else {
                view.build.clone()
            };
        }

        let group = match &self.cgroups {
            Some(c) => Some(
                c.create(&name, bounds)
                    .with_context(|| format!("creating the cgroup of sandbox {name}"))?,
            ),
            None => None,
        };
        let procs = group.as_ref().map(|g| g.procs_files()).unwrap_or_default();

        let mut cmd = match &self.bwrap {
            Some(b) => {
                let binds: Vec<Bind> = mounts
                    .iter()
                    .filter(|(n, ..)| *n != "passwd" && *n != "group")
                    .map(|(n, host, inside, w)| Bind {
                        source: reach(n, host),
                        inside: inside.clone(),
                        writable: *w,
                    })
                    .collect();
                let etc = [
                    (reach("passwd", &l.etc().join("passwd")), "/etc/passwd"),
                    (reach("group", &l.etc().join("group")), "/etc/group"),
                ];
                let mut c = std::process::Command::new(b);
                c.args(bwrap::args(&binds, tmp, self.budget.shm_bytes, &etc))
                    .args(["--setenv", OWNER_ENV])
                    .arg(std::process::id().to_string())
                    .arg("--")
                    .arg(&view.runner)
                    .arg("job");
                c
            }
            None => {
                let mut c = std::process::Command::new(&view.runner);
                c.arg("job")
                    .env_clear()
                    .env("PATH", "/usr/bin:/bin")
                    .env("LANG", "C.UTF-8")
                    .env(OWNER_ENV, std::process::id().to_string())
                    .current_dir("/");
                c
            }
        };
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Enter::new(procs, &staged, self.drop_to, true)?.install(&mut cmd);
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting sandbox {name}"))?;
        if let Some(err) = child.stderr.take() {
            // bwrap's own complaints, and a job that panicked.
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("runner: sandbox {name}: {line}");
                }
            });
        }
        Ok(Sandbox {
            id,
            kind: kind.clone(),
            view,
            host_bin,
            host_tmp,
            stdin: child.stdin.take(),
            stdout: child.stdout.take().map(BufReader::new),
            child,
            group,
            scratch,
        })
    }
}

impl Sandbox {
    /// SIGKILL to the sandbox's process group. Its first process made a
    /// session of its own, so this reaches bwrap's child too before that
    /// child has its own session: a bwrap killed while it sets up leaves
    /// its child waiting forever on an eventfd (its parent-death signal is
    /// set only later), which is the one process the pid namespace and
    /// `--die-with-parent` do not take down.
    fn kill_group(&self) {
        if let Some(pid) = self.child.id() {
            // SAFETY: kill() on the process group our child leads.
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        }
    }
}

impl Drop for Sandbox {
    /// A sandbox dropped without `finish` (a task cancelled at shutdown):
    /// its processes are killed, its group removed by its own drop, its
    /// scratch folder here.
    fn drop(&mut self) {
        self.kill_group();
        if let Some(d) = self.scratch.take() {
            remove_tree(&d);
        }
    }
}

/// In the job's environment (and so on bwrap's command line): the pid of
/// the runner whose sandbox it is, so that a process can be told apart from
/// another runner's on the same machine. The job clears its children's
/// environments: rustc and the program never see it.
pub const OWNER_ENV: &str = "RSP_RUNNER";

/// The most a job's line may be (a compile's output is capped at 128 KiB;
/// JSON escapes can double it).
pub const LINE_CAP: usize = 1 << 20;

impl Sandbox {
    /// Whether its job is still waiting (it may have died while standing by).
    pub fn alive(&self) -> bool {
        self.child.id().is_some_and(|pid| {
            // Still our child and not yet a zombie.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rfind(')')
                        .and_then(|i| s.get(i + 2..i + 3))
                        .map(|c| c != "Z")
                })
                .unwrap_or(false)
        })
    }

    /// Hands the job its spec. Its stdin stays open: closing it (dropping
    /// the sandbox, or the server dying) tells the job to stop.
    pub async fn send(&mut self, spec: &JobSpec) -> Result<()> {
        let stdin = self.stdin.as_mut().context("the job's stdin is gone")?;
        let mut line = serde_json::to_vec(spec)?;
        line.push(b'\n');
        stdin
            .write_all(&line)
            .await
            .context("handing the job its spec")?;
        stdin.flush().await?;
        Ok(())
    }

    /// The job's next event line, or None at its end. Lines over
    /// `LINE_CAP` end the stream (the job is in the sandbox: not trusted).
    pub async fn next_line(&mut self) -> Option<String> {
        let out = self.stdout.as_mut()?;
        let mut buf = Vec::new();
        loop {
            let chunk = out.fill_buf().await.ok()?;
            if chunk.is_empty() {
                return (!buf.is_empty()).then(|| String::from_utf8_lossy(&buf).into_owned());
            }
            match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    buf.extend_from_slice(&chunk[..i]);
                    out.consume(i + 1);
                    return Some(String::from_utf8_lossy(&buf).into_owned());
                }
                None => {
                    let n = chunk.len();
                    buf.extend_from_slice(chunk);
                    out.consume(n);
                    if buf.len() > LINE_CAP {
                        return None;
                    }
                }
            }
        }
    }

    /// Kills everything in the sandbox, reads what its cgroup saw, and
    /// removes its cgroup and scratch folder.
    pub async fn finish(mut self) -> Usage {
        self.stdin = None;
        self.kill_group();
        let _ = self.child.start_kill();
        let mut group = self.group.take();
        let scratch = self.scratch.take();
        // A killed bwrap takes its namespaces with it: the pid namespace
        // kills every process in it. The cgroup catches the rest.
        let waited = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        tokio::task::spawn_blocking(move || {
            let mut usage = Usage::default();
            if let Some(g) = group.as_mut() {
                g.kill_all();
                usage = Usage {
                    oom_kills: g.oom_kills(),
                    forks_refused: g.forks_refused(),
                    peak_memory: g.peak_memory(),
                };
                g.remove();
            }
            if let Some(d) = scratch {
                remove_tree(&d);
            }
            if waited.is_err() {
                eprintln!("runner: a sandbox did not end within 2 s of SIGKILL");
            }
            usage
        })
        .await
        .unwrap_or_default()
    }
}
