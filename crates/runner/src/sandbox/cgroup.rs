//! A group per sandbox: the whole run's memory and task bound, and how the
//! whole tree is killed whatever it did to its process groups. Bounds:
//! cgroup v1 `memory` and `pids` groups below the runner's own (as root
//! here) or a delegated cgroup v2 subtree with both (systemd's
//! `Delegate=yes`). Killing: a v2 group's `cgroup.kill` (atomic against
//! forks), also in a hybrid machine's unified hierarchy; else SIGKILL to
//! every member until none is left. Only the sandbox's own processes are in
//! its group, never bwrap (`mod.rs`).
use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The limits of one sandbox's group.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub memory: u64,
    pub tasks: u64,
}

/// Where this runner makes its sandboxes' groups (`rsp-runner-<pid>`).
#[derive(Debug)]
pub struct Cgroups {
    /// v1: the memory and pids folders; v2: one folder with both.
    bounds: Vec<PathBuf>,
    v2: bool,
    /// A v2 folder whose child groups have `cgroup.kill` (the bounds'
    /// folder itself on v2, the unified hierarchy's on a v1 machine).
    kill: Option<PathBuf>,
}

/// One sandbox's group, in every hierarchy the runner uses.
#[derive(Debug)]
pub struct Group {
    dirs: Vec<PathBuf>,
    v2: bool,
    kill: Option<PathBuf>,
}

/// What a sandbox's group saw, read before it is removed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub oom_kills: u64,
    pub forks_refused: u64,
}

fn base_name() -> String {
    format!("rsp-runner-{}", std::process::id())
}

/// The folder of our own group in each mounted hierarchy of `fstype`
/// (`cgroup` or `cgroup2`), with its super options.
fn own_dirs(fstype: &str) -> Vec<(PathBuf, String)> {
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let pre: Vec<&str> = pre.split(' ').collect();
            let post: Vec<&str> = post.split(' ').collect();
            if post.first() != Some(&fstype) {
                return None;
            }
            let (root, mount, opts) = (*pre.get(3)?, *pre.get(4)?, *post.get(2)?);
            // Our line of /proc/self/cgroup: v2's has no controllers.
            let path = own.lines().find_map(|o| {
                let mut p = o.splitn(3, ':');
                let (_, list, path) = (p.next()?, p.next()?, p.next()?);
                let hit = if fstype == "cgroup2" {
                    list.is_empty()
                } else {
                    list.split(',').any(|c| opts.split(',').any(|o| o == c))
                };
                hit.then_some(path)
            })?;
            let rel = path
                .strip_prefix(root.trim_end_matches('/'))
                .unwrap_or(path)
                .trim_start_matches('/');
            Some((Path::new(mount).join(rel), opts.to_string()))
        })
        .collect()
}

fn writable(p: &Path) -> bool {
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access() only reads the NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Kills and removes the groups of runners that are gone (a crash leaves
/// them), then makes ours under `parent`.
fn make_base(parent: &Path) -> io::Result<PathBuf> {
    for e in fs::read_dir(parent)?.flatten() {
        let name = e.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix("rsp-runner-"));
        if pid.is_some_and(|p| !Path::new("/proc").join(p).exists()) {
            for c in fs::read_dir(e.path()).into_iter().flatten().flatten() {
                if c.path().is_dir() {
                    let kill = c.path().join("cgroup.kill").exists().then(|| e.path());
                    Group::remove_dirs(&[c.path()], kill.as_deref());
                }
            }
            let _ = fs::remove_dir(e.path());
        }
    }
    let base = parent.join(base_name());
    match fs::create_dir(&base) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(base),
    }
}

impl Cgroups {
    /// The best bound this machine gives us, or why there is none.
    pub fn detect() -> Result<Cgroups, String> {
        let v2 = own_dirs("cgroup2");
        // A v2 folder we can make groups with cgroup.kill in.
        let kill = v2
            .iter()
            .map(|(d, _)| d)
            .find(|d| writable(d) && d.join("cgroup.procs").exists())
            .and_then(|d| make_base(d).ok())
            .filter(|b| b.join("cgroup.kill").exists() || fs::remove_dir(b).is_err());
        let v1 = own_dirs("cgroup");
        let find = |ctl: &str| {
            v1.iter()
                .find(|(_, opts)| opts.split(',').any(|o| o == ctl))
                .map(|(d, _)| d.clone())
                .filter(|d| writable(d))
        };
        if let (Some(m), Some(p)) = (find("memory"), find("pids")) {
            let (m, p) = (make_base(&m), make_base(&p));
            if let (Ok(m), Ok(p)) = (m, p) {
                return Ok(Cgroups { bounds: vec![m, p], v2: false, kill });
            }
        }
        // v2: our group's parent, if delegated with memory and pids (our
        // own group holds us, so it cannot give controllers to children).
        for (own, _) in &v2 {
            for dir in [Some(own.as_path()), own.parent()].into_iter().flatten() {
                let control =
                    fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
                let has = |c: &str| control.split_whitespace().any(|x| x == c);
                if !(has("memory") && has("pids") && writable(dir)) {
                    continue;
                }
                let Ok(base) = make_base(dir) else { continue };
                if fs::write(base.join("cgroup.subtree_control"), "+memory +pids").is_ok() {
                    if let Some(k) = &kill {
                        let _ = fs::remove_dir(k);
                    }
                    return Ok(Cgroups { kill: Some(base.clone()), bounds: vec![base], v2: true });
                }
                let _ = fs::remove_dir(&base);
            }
        }
        if let Some(k) = &kill {
            let _ = fs::remove_dir(k);
        }
        Err("no writable cgroup v1 memory and pids groups, and no delegated cgroup v2 \
             subtree with memory and pids"
            .into())
    }

    /// "cgroup v1 memory + pids groups (under /sys/fs/cgroup/...)".
    pub fn describe(&self) -> String {
        let under = self.bounds[0].parent().unwrap_or(&self.bounds[0]).display();
        let kind =
            if self.v2 { "cgroup v2 delegated subtree" } else { "cgroup v1 memory + pids groups" };
        let kill =
            if self.kill.is_some() { "killed with cgroup.kill" } else { "killed member by member" };
        format!("{kind} (under {under}), {kill}")
    }

    pub fn version(&self) -> &'static str {
        ["v1", "v2"][self.v2 as usize]
    }

    /// A new group named `name` with `bounds`.
    pub fn create(&self, name: &str, bounds: Bounds) -> io::Result<Group> {
        let mut dirs: Vec<PathBuf> = self.bounds.iter().map(|b| b.join(name)).collect();
        let kill = self.kill.as_ref().map(|k| k.join(name));
        if let Some(k) = kill.as_ref().filter(|_| !self.v2) {
            dirs.push(k.clone());
        }
        let group = Group { dirs, v2: self.v2, kill };
        for d in &group.dirs {
            fs::create_dir(d)?;
        }
        let (mem, tasks) = (bounds.memory.to_string(), bounds.tasks.to_string());
        let d = &group.dirs;
        if self.v2 {
            // memory.max counts socket buffers too on v2.
            fs::write(d[0].join("memory.max"), &mem)?;
            // No swap: the bound is on memory the run takes from the machine.
            let _ = fs::write(d[0].join("memory.swap.max"), "0");
            fs::write(d[0].join("pids.max"), &tasks)?;
        } else {
            fs::write(d[0].join("memory.limit_in_bytes"), &mem)?;
            let memsw = d[0].join("memory.memsw.limit_in_bytes");
            if memsw.exists() {
                fs::write(memsw, &mem)?;
            }
            fs::write(d[1].join("pids.max"), &tasks)?;
        }
        Ok(group)
    }

    /// Removes the runner's own folders (at exit; their groups are gone).
    pub fn remove(&self) {
        for d in self.bounds.iter().chain(&self.kill) {
            let _ = fs::remove_dir(d);
        }
    }
}

impl Group {
    /// Moves process `pid` (and so all it will start) into the group.
    pub fn add(&self, pid: u32) -> io::Result<()> {
        for d in &self.dirs {
            fs::write(d.join("cgroup.procs"), pid.to_string())?;
        }
        Ok(())
    }

    fn pids(dirs: &[PathBuf]) -> Vec<i32> {
        let mut v: Vec<i32> = dirs
            .iter()
            .flat_map(|d| {
                let text = fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default();
                text.lines().filter_map(|l| l.trim().parse().ok()).collect::<Vec<_>>()
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Kills every member, at once where `cgroup.kill` exists, else one
    /// by one until none is left (a fork racing the kill is caught next
    /// round; the task bound caps rounds). Blocks until the group is
    /// empty, for at most a few seconds.
    fn kill_dirs(dirs: &[PathBuf], kill: Option<&Path>) {
        let once = kill.is_some_and(|k| fs::write(k.join("cgroup.kill"), "1").is_ok());
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            let pids = Self::pids(dirs);
            if pids.is_empty() {
                return;
            }
            if !once {
                for pid in pids {
                    // SAFETY: kill() with a pid read from the group's own list.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn kill_all(&self) {
        Self::kill_dirs(&self.dirs, self.kill.as_deref());
    }

    fn counter(&self, file: &str, key: &str) -> u64 {
        self.dirs
            .iter()
            .filter_map(|d| fs::read_to_string(d.join(file)).ok())
            .flat_map(|t| {
                t.lines()
                    .filter_map(|l| {
                        let (k, v) = l.split_once(' ')?;
                        (k == key).then(|| v.trim().parse::<u64>().ok()).flatten()
                    })
                    .collect::<Vec<u64>>()
            })
            .sum()
    }

    pub fn usage(&self) -> Usage {
        let oom = if self.v2 { "memory.events" } else { "memory.oom_control" };
        Usage {
            oom_kills: self.counter(oom, "oom_kill"),
            forks_refused: self.counter("pids.events", "max"),
        }
    }

    fn remove_dirs(dirs: &[PathBuf], kill: Option<&Path>) {
        Self::kill_dirs(dirs, kill);
        let until = Instant::now() + Duration::from_secs(2);
        for d in dirs {
            // Exiting tasks leave the group a moment after SIGKILL.
            while fs::remove_dir(d).is_err() && d.exists() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

impl Drop for Group {
    /// Kills what is left and removes the group's folders.
    fn drop(&mut self) {
        Self::remove_dirs(&self.dirs, self.kill.as_deref());
    }
}
