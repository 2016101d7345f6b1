//! The bubblewrap command line of a sandbox: new user, mount, pid, network,
//! IPC, UTS and cgroup namespaces, the sandbox's user (the runner's own uid
//! when it is root, see `user.rs`; else nobody inside), no capabilities, no
//! further user namespaces, its own session, killed with the server; a root
//! made of the system's /usr (read-only), a few public files of /etc, fresh
//! /proc and /dev, and the paths the sandbox's kind needs (see `mod.rs`).
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A host path (as bwrap, the sandbox's user, can reach it) and where it
/// appears inside.
#[derive(Debug, Clone)]
pub struct Bind {
    pub source: PathBuf,
    pub inside: PathBuf,
    pub writable: bool,
}

/// What /tmp is inside: a tmpfs of this many bytes, or a bound host folder
/// (then it is in `binds`).
#[derive(Debug, Clone, Copy)]
pub enum Tmp {
    Tmpfs(u64),
    Bound,
}

/// Public files of /etc that rustc, the linker or a program may read:
/// the loader's cache, `cc` (an alternatives link), the OS name and the time zone.
const ETC: &str =
    "/etc/ld.so.cache /etc/ld.so.conf /etc/ld.so.conf.d /etc/alternatives /etc/os-release /etc/localtime";

fn push(a: &mut Vec<OsString>, items: &[&str]) {
    a.extend(items.iter().map(OsString::from));
}

fn push_path(a: &mut Vec<OsString>, flag: &str, src: &Path, dst: &Path) {
    a.push(flag.into());
    a.push(src.as_os_str().to_owned());
    a.push(dst.as_os_str().to_owned());
}

/// The arguments before the command: `bwrap <these> -- COMMAND...`.
/// `own_net`: the sandbox's first process already joined a network
/// namespace of its own (`mod.rs`), so bwrap makes none.
pub fn args(binds: &[Bind], tmp: Tmp, shm_bytes: u64, uid: u32, own_net: bool) -> Vec<OsString> {
    let mut a = Vec::new();
    let id = uid.to_string();
    push(&mut a, &["--uid", &id, "--gid", &id]);
    if !own_net {
        push(&mut a, &["--unshare-net"]);
    }
    let fixed = "--unshare-user --unshare-ipc --unshare-pid --unshare-uts --unshare-cgroup-try \
                 --disable-userns --hostname sandbox --cap-drop ALL \
                 --die-with-parent --new-session --as-pid-1 --clearenv \
                 --setenv PATH /usr/bin:/bin --setenv LANG C.UTF-8";
    a.extend(fixed.split_whitespace().map(OsString::from));
    push(&mut a, &["--ro-bind", "/usr", "/usr"]);
    // Debian's merged /usr: /bin, /lib, ... are links into it.
    for top in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
        let host = Path::new("/").join(top);
        match std::fs::read_link(&host) {
            Ok(target) => {
                a.push("--symlink".into());
                a.push(target.into_os_string());
                a.push(host.into_os_string());
            }
            Err(_) if host.is_dir() => push_path(&mut a, "--ro-bind", &host, &host),
            Err(_) => {}
        }
    }
    for f in ETC.split(' ') {
        push(&mut a, &["--ro-bind-try", f, f]);
    }
    push(&mut a, &["--proc", "/proc", "--dev", "/dev"]);
    a.push("--size".into());
    a.push(shm_bytes.to_string().into());
    push(&mut a, &["--tmpfs", "/dev/shm"]);
    // /dev itself is a tmpfs the sandbox's user owns: nothing to write there.
    push(&mut a, &["--remount-ro", "/dev"]);
    if let Tmp::Tmpfs(bytes) = tmp {
        a.push("--size".into());
        a.push(bytes.to_string().into());
        push(&mut a, &["--tmpfs", "/tmp"]);
    }
    for b in binds {
        let flag = if b.writable { "--bind" } else { "--ro-bind" };
        push_path(&mut a, flag, &b.source, &b.inside);
    }
    push(&mut a, &["--chdir", "/"]);
    a
}

/// The version bwrap reports, e.g. "bubblewrap 0.8.0".
pub fn version(bwrap: &Path) -> Option<String> {
    let out = std::process::Command::new(bwrap).arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// bwrap on PATH (or where Debian installs it).
pub fn find() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("bwrap")).find(|f| f.is_file()));
    from_path.or_else(|| {
        let p = PathBuf::from("/usr/bin/bwrap");
        p.is_file().then_some(p)
    })
}
