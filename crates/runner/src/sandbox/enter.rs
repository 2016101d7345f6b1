//! What a sandbox's first process does between fork and exec, before it
//! becomes `bwrap` (or, without it, the job): put the descriptors bwrap is
//! handed at 3, 4, ... and pass no other on; when the server is root,
//! stage what the sandbox sees and become the sandboxes' user.
//!
//! Why the staging: bwrap must not run as root (it would map the sandbox's
//! user to root outside), and resolves bind sources as the user it runs
//! as, who cannot reach root's toolchain (/root is 0700) nor our 0700
//! `target/runner/`. So the child, still root, makes a private mount
//! namespace, mounts a small tmpfs of its own on [`STAGE_DIR`] and binds
//! each needed host path into it; then it changes user and bwrap binds
//! those. Nothing of this is visible outside the child. [`STAGE_DIR`] is
//! in /run (root's only), not /tmp, where it would hide clones in /tmp.
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where staged paths appear, in the child's private mount namespace (an
/// empty folder outside it: see [`make_stage_dir`]).
pub const STAGE_DIR: &str = "/run/rsp-runner-stage";
/// The same, for the child, which may not allocate.
const STAGE_DIR_C: &CStr = c"/run/rsp-runner-stage";

/// Creates the empty [`STAGE_DIR`] the children mount their tmpfs on (root
/// only: staging is for a root server), and checks that it is a real
/// folder of root's, not a link.
pub fn make_stage_dir() -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::create_dir(STAGE_DIR) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let m = std::fs::symlink_metadata(STAGE_DIR)?;
    if !m.is_dir() || m.uid() != 0 {
        return Err(io::Error::other(format!("{STAGE_DIR} is not a folder owned by root")));
    }
    Ok(())
}

/// One host path bound into the staging tmpfs.
#[derive(Debug, Clone)]
pub struct Staged {
    pub host: PathBuf,
    /// Its name under `STAGE_DIR`.
    pub name: String,
}

impl Staged {
    pub fn path(&self) -> PathBuf {
        Path::new(STAGE_DIR).join(&self.name)
    }
}

/// Everything computed before the fork (nothing may allocate after it).
pub struct Enter {
    stage: Vec<(CString, CString, bool)>,
    user: Option<(u32, u32)>,
    /// Put at 3, 4, ... in the child; each must be above 2 + their count.
    fds: Vec<RawFd>,
    /// A network namespace to join.
    net: Option<RawFd>,
}

fn c(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput.into())
}

impl Enter {
    pub fn new(
        stage: &[Staged],
        user: Option<(u32, u32)>,
        fds: Vec<RawFd>,
        net: Option<RawFd>,
    ) -> io::Result<Enter> {
        let mut s = Vec::new();
        for st in stage {
            s.push((c(&st.host)?, c(&st.path())?, st.host.is_dir()));
        }
        Ok(Enter { stage: s, user, fds, net })
    }

    /// Installs the steps as the command's pre_exec hook.
    pub fn install(self, cmd: &mut Command) {
        // SAFETY: the hook only makes async-signal-safe system calls on
        // strings and numbers prepared above, before the fork.
        unsafe {
            cmd.pre_exec(move || self.run());
        }
    }

    /// # Safety
    /// Only between fork and exec, in the child.
    unsafe fn run(&self) -> io::Result<()> {
        let check = |r: libc::c_int| -> io::Result<()> {
            if r < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            }
        };
        // SAFETY (all blocks below): plain system calls with numbers and
        // pointers to NUL-terminated strings owned by `self`.
        for (i, &fd) in self.fds.iter().enumerate() {
            check(unsafe { libc::dup2(fd, 3 + i as RawFd) })?;
        }
        // Whatever else the server had open (inherited, or opened by
        // another thread) goes at the exec.
        let first = 3 + self.fds.len() as libc::c_uint;
        let flags = libc::CLOSE_RANGE_CLOEXEC as libc::c_uint;
        if unsafe { libc::syscall(libc::SYS_close_range, first, libc::c_uint::MAX, flags) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if !self.stage.is_empty() {
            let root = c"/";
            let dir = STAGE_DIR_C;
            let tmpfs = c"tmpfs";
            let opts = c"mode=0755,size=1m";
            check(unsafe { libc::unshare(libc::CLONE_NEWNS) })?;
            check(unsafe {
                libc::mount(
                    std::ptr::null(),
                    root.as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                )
            })?;
            check(unsafe {
                libc::mount(
                    tmpfs.as_ptr(),
                    dir.as_ptr(),
                    tmpfs.as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    opts.as_ptr().cast(),
                )
            })?;
            for (src, dst, is_dir) in &self.stage {
                if *is_dir {
                    check(unsafe { libc::mkdir(dst.as_ptr(), 0o755) })?;
                } else {
                    let fd = unsafe {
                        libc::open(
                            dst.as_ptr(),
                            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                            0o644,
                        )
                    };
                    check(fd)?;
                    unsafe { libc::close(fd) };
                }
                check(unsafe { bind(src, dst) })?;
            }
        }
        if let Some(fd) = self.net {
            check(unsafe { libc::setns(fd, libc::CLONE_NEWNET) })?;
        }
        if let Some((uid, gid)) = self.user {
            check(unsafe { libc::setgroups(0, std::ptr::null()) })?;
            check(unsafe { libc::setgid(gid) })?;
            check(unsafe { libc::setuid(uid) })?;
        }
        // After the uid change, which clears it: die with the server.
        check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) })?;
        check(unsafe { libc::setsid() })?;
        check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })?;
        Ok(())
    }
}

/// # Safety
/// A mount(2) call; both strings must be NUL-terminated.
unsafe fn bind(src: &CStr, dst: &CStr) -> libc::c_int {
    // SAFETY: as documented above.
    unsafe {
        libc::mount(
            src.as_ptr(),
            dst.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | libc::MS_REC,
            std::ptr::null(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_stages_where_the_server_made_the_folder() {
        assert_eq!(STAGE_DIR_C.to_str().unwrap(), STAGE_DIR);
        assert!(!STAGE_DIR.starts_with("/tmp"), "a tmpfs there hides clones in /tmp");
    }
}
