//! Whole-run resource bounds: every sandbox gets a cgroup of its own, with a
//! memory and a task limit for all its processes together (RLIMIT_AS and
//! RLIMIT_NPROC are per process and per user). The cgroup is also how a
//! whole tree is killed, whatever it did to its process groups.
//!
//! cgroup v1 (this machine, as root): child groups in the `memory` and `pids`
//! hierarchies, below the runner's own groups. cgroup v2: only in a subtree
//! delegated to us, that is, where the parent of our own group is writable
//! by us and has `memory` and `pids` in its `cgroup.subtree_control`
//! (systemd's `Delegate=yes` with `DelegateSubgroup=`); the runner's group
//! goes beside ours there. Anything else: no cgroup, and start-up says so.
use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The limits of one sandbox's cgroup.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub memory: u64,
    pub tasks: u64,
}

#[derive(Debug, Clone)]
enum Version {
    /// The runner's groups in the memory and the pids hierarchy.
    V1 { memory: PathBuf, pids: PathBuf },
    /// The runner's group, with memory and pids enabled for its children.
    V2 { base: PathBuf },
}

/// Where this runner makes its sandboxes' groups (`rsp-runner-<pid>`).
#[derive(Debug, Clone)]
pub struct Cgroups {
    version: Version,
}

/// One sandbox's group (one directory per v1 hierarchy, one for v2).
#[derive(Debug)]
pub struct Group {
    dirs: Vec<PathBuf>,
    v2: bool,
    removed: bool,
}

fn base_name() -> String {
    format!("rsp-runner-{}", std::process::id())
}

/// (mount point, mount root, super options) of each cgroup file system.
fn cgroup_mounts(kind: &str) -> Vec<(PathBuf, String, String)> {
    let Ok(text) = fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let pre: Vec<&str> = pre.split(' ').collect();
            let post: Vec<&str> = post.split(' ').collect();
            (post.first() == Some(&kind)).then(|| {
                (
                    PathBuf::from(pre.get(4).copied().unwrap_or("")),
                    pre.get(3).copied().unwrap_or("/").to_string(),
                    post.get(2).copied().unwrap_or("").to_string(),
                )
            })
        })
        .collect()
}

/// Our own group in the v1 hierarchy of `controller`, or the v2 one ("").
fn own_group(controller: &str) -> Option<String> {
    let text = fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, list, path) = (parts.next()?, parts.next()?, parts.next()?);
        let hit = if controller.is_empty() {
            list.is_empty()
        } else {
            list.split(',').any(|c| c == controller)
        };
        hit.then(|| path.to_string())
    })
}

/// The directory of group `path` in a hierarchy mounted at `mount` whose
/// root is `root` (a container may see only a subtree).
fn dir_of(mount: &Path, root: &str, path: &str) -> PathBuf {
    let rel = path
        .strip_prefix(root.trim_end_matches('/'))
        .unwrap_or(path)
        .trim_start_matches('/');
    mount.join(rel)
}

fn writable(p: &Path) -> bool {
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access() only reads the NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Removes the groups of runners that are gone (a crash leaves them).
fn remove_stale(parent: &Path) {
    let Ok(rd) = fs::read_dir(parent) else { return };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("rsp-runner-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = e.path();
        if let Ok(children) = fs::read_dir(&dir) {
            for c in children.flatten() {
                if c.path().is_dir() {
                    // What a killed runner left (see Sandbox::kill_group).
                    let mut g = Group {
                        dirs: vec![c.path()],
                        v2: c.path().join("cgroup.kill").exists(),
                        removed: false,
                    };
                    g.remove();
                }
            }
        }
        let _ = fs::remove_dir(&dir);
    }
}

impl Cgroups {
    /// The best bound this machine gives us, or why there is none.
    pub fn detect() -> Result<Cgroups, String> {
        match Self::v1() {
            Ok(c) => Ok(c),
            Err(v1) => Self::v2().map_err(|v2| format!("{v1}; {v2}")),
        }
    }

    fn v1() -> Result<Cgroups, String> {
        let mounts = cgroup_mounts("cgroup");
        let find = |ctl: &str| -> Result<PathBuf, String> {
            let (mount, root, _) = mounts
                .iter()
                .find(|(_, _, opts)| opts.split(',').any(|o| o == ctl))
                .ok_or_else(|| format!("no cgroup v1 `{ctl}` hierarchy"))?;
            let own = own_group(ctl).ok_or_else(|| format!("not in a v1 `{ctl}` group"))?;
            let parent = dir_of(mount, root, &own);
            if !writable(&parent) {
                return Err(format!(
                    "cgroup v1 `{ctl}` group {} is not writable by us",
                    parent.display()
                ));
            }
            remove_stale(&parent);
            let base = parent.join(base_name());
            fs::create_dir_all(&base)
                .map_err(|e| format!("cannot create {}: {e}", base.display()))?;
            Ok(base)
        };
        let memory = find("memory")?;
        let pids = match find("pids") {
            Ok(p) => p,
            Err(e) => {
                let _ = fs::remove_dir(&memory);
                return Err(e);
            }
        };
        if !memory.join("memory.limit_in_bytes").exists() || !pids.join("pids.max").exists() {
            let _ = fs::remove_dir(&memory);
            let _ = fs::remove_dir(&pids);
            return Err("cgroup v1 groups without memory.limit_in_bytes or pids.max".into());
        }
        Ok(Cgroups {
            version: Version::V1 { memory, pids },
        })
    }

    fn v2() -> Result<Cgroups, String> {
        let mounts = cgroup_mounts("cgroup2");
        let (mount, root, _) = mounts.first().ok_or("no cgroup v2 file system")?;
        let own = own_group("").ok_or("not in a cgroup v2 group")?;
        let own_dir = dir_of(mount, root, &own);
        // Our own group holds processes (us), so it cannot give controllers
        // to children unless it is the root; its parent can, if delegated.
        let mut candidates = vec![own_dir.clone()];
        if own_dir != *mount {
            if let Some(p) = own_dir.parent() {
                candidates.push(p.to_path_buf());
            }
        }
        for dir in candidates {
            let control =
                fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
            let has = |c: &str| control.split_whitespace().any(|x| x == c);
            if !(has("memory") && has("pids") && writable(&dir)) {
                continue;
            }
            remove_stale(&dir);
            let base = dir.join(base_name());
            if fs::create_dir_all(&base).is_err() {
                continue;
            }
            if fs::write(base.join("cgroup.subtree_control"), "+memory +pids").is_err() {
                let _ = fs::remove_dir(&base);
                continue;
            }
            return Ok(Cgroups {
                version: Version::V2 { base },
            });
        }
        Err(format!(
            "no delegated cgroup v2 subtree with memory and pids (our group: {})",
            own_dir.display()
        ))
    }

    /// "cgroup v1 (memory, pids) under /sys/fs/cgroup/...".
    pub fn describe(&self) -> String {
        match &self.version {
            Version::V1 { memory, .. } => format!(
                "cgroup v1 memory + pids groups (under {})",
                memory.parent().unwrap_or(memory).display()
            ),
            Version::V2 { base } => format!(
                "cgroup v2 delegated subtree (under {})",
                base.parent().unwrap_or(base).display()
            ),
        }
    }

    pub fn version(&self) -> &'static str {
        match self.version {
            Version::V1 { .. } => "v1",
            Version::V2 { .. } => "v2",
        }
    }

    /// A new group named `name` with `bounds`.
    pub fn create(&self, name: &str, bounds: Bounds) -> io::Result<Group> {
        let (dirs, v2) = match &self.version {
            Version::V1 { memory, pids } => (vec![memory.join(name), pids.join(name)], false),
            Version::V2 { base } => (vec![base.join(name)], true),
        };
        let group = Group {
            dirs,
            v2,
            removed: false,
        };
        for d in &group.dirs {
            fs::create_dir(d)?;
        }
        let mem = bounds.memory.to_string();
        let tasks = bounds.tasks.to_string();
        if v2 {
            let d = &group.dirs[0];
            fs::write(d.join("memory.max"), &mem)?;
            // No swap: the bound is on memory the run takes from the machine.
            let _ = fs::write(d.join("memory.swap.max"), "0");
            fs::write(d.join("pids.max"), &tasks)?;
        } else {
            let m = &group.dirs[0];
            fs::write(m.join("memory.limit_in_bytes"), &mem)?;
            let memsw = m.join("memory.memsw.limit_in_bytes");
            if memsw.exists() {
                fs::write(memsw, &mem)?;
            }
            fs::write(group.dirs[1].join("pids.max"), &tasks)?;
        }
        Ok(group)
    }

    /// Removes the runner's own groups (at exit; they must be empty).
    pub fn remove(&self) {
        match &self.version {
            Version::V1 { memory, pids } => {
                let _ = fs::remove_dir(memory);
                let _ = fs::remove_dir(pids);
            }
            Version::V2 { base } => {
                let _ = fs::remove_dir(base);
            }
        }
    }
}

impl Group {
    /// The `cgroup.procs` files a new process writes "0" to, to join.
    pub fn procs_files(&self) -> Vec<CString> {
        self.dirs
            .iter()
            .filter_map(|d| CString::new(d.join("cgroup.procs").as_os_str().as_bytes()).ok())
            .collect()
    }

    fn pids(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .dirs
            .iter()
            .flat_map(|d| {
                fs::read_to_string(d.join("cgroup.procs"))
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| l.trim().parse().ok())
                    .collect::<Vec<i32>>()
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Kills every process in the group until it is empty (a fork racing
    /// the kill is caught by the next round; the task bound caps rounds).
    pub fn kill_all(&self) {
        if self.v2 && fs::write(self.dirs[0].join("cgroup.kill"), "1").is_ok() {
            self.wait_empty(Duration::from_secs(2));
            return;
        }
        let until = Instant::now() + Duration::from_secs(2);
        loop {
            let pids = self.pids();
            if pids.is_empty() || Instant::now() > until {
                return;
            }
            for pid in pids {
                // SAFETY: kill() with a pid read from the group's own list.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn wait_empty(&self, limit: Duration) {
        let until = Instant::now() + limit;
        while !self.pids().is_empty() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(2));
        }
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

    /// Processes the kernel's OOM killer killed for the memory bound.
    pub fn oom_kills(&self) -> u64 {
        if self.v2 {
            self.counter("memory.events", "oom_kill")
        } else {
            self.counter("memory.oom_control", "oom_kill")
        }
    }

    /// fork()s and clone()s refused by the task bound.
    pub fn forks_refused(&self) -> u64 {
        self.counter("pids.events", "max")
    }

    /// The most memory the group held at once, if the kernel tells.
    pub fn peak_memory(&self) -> Option<u64> {
        let file = if self.v2 {
            "memory.peak"
        } else {
            "memory.max_usage_in_bytes"
        };
        fs::read_to_string(self.dirs[0].join(file))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Kills what is left and removes the group's directories.
    pub fn remove(&mut self) {
        if self.removed {
            return;
        }
        self.kill_all();
        let until = Instant::now() + Duration::from_secs(2);
        for d in &self.dirs {
            // Exiting tasks leave the group a moment after SIGKILL.
            while fs::remove_dir(d).is_err() && d.exists() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        self.removed = true;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_dirs_follow_the_mount_root() {
        assert_eq!(
            dir_of(Path::new("/sys/fs/cgroup/memory"), "/", "/a/b"),
            PathBuf::from("/sys/fs/cgroup/memory/a/b")
        );
        assert_eq!(
            dir_of(Path::new("/sys/fs/cgroup"), "/ctr", "/ctr/x"),
            PathBuf::from("/sys/fs/cgroup/x")
        );
        assert_eq!(
            dir_of(Path::new("/sys/fs/cgroup/pids"), "/", "/"),
            PathBuf::from("/sys/fs/cgroup/pids/")
        );
    }
}
