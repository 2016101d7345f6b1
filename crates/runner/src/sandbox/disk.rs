//! The runs' /tmp when the runner is root: an ext4 file system of the
//! bound's size, an image on disk loop-mounted once per server, so that
//! everything a run keeps there counts, files it unlinked but holds open
//! too (it gets ENOSPC past the bound), and O_DIRECT behaves as on the disk
//! file systems the book ran on (the o-direct chapter). Each run's /tmp is
//! a new folder in it, made once the last run's is removed, when no
//! process of that run is left (runs are one at a time); the file
//! system's root stays root's, so no mode or attribute a run sets there
//! outlives it. The mount is in the runner's own mount namespace.
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{ensure, Context, Result};

pub struct Disk {
    image: PathBuf,
    pub mount: PathBuf,
    /// Who owns each run's folder.
    owner: u32,
}

/// Moves this thread, and what it starts later (call it before the other
/// threads start), into a mount namespace whose mounts do not propagate
/// back: the kernel unmounts the file system, and frees its loop device,
/// when the runner's last process ends, even killed outright.
fn own_mount_namespace() -> Result<()> {
    // SAFETY: unshare takes a flag; mount reads NUL-terminated strings.
    let slave = unsafe {
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(std::io::Error::last_os_error()).context("unshare(CLONE_NEWNS)");
        }
        let (none, root, flags) = (c"none".as_ptr(), c"/".as_ptr(), libc::MS_REC | libc::MS_SLAVE);
        libc::mount(none, root, std::ptr::null(), flags, std::ptr::null())
    };
    ensure!(slave == 0, "making / a slave mount: {}", std::io::Error::last_os_error());
    Ok(())
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    ensure!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

impl Disk {
    /// Makes and mounts a file system of `bytes` with at most `files`
    /// entries at `mount`, whose runs' folders `owner` will own.
    pub fn make(
        image: PathBuf,
        mount: PathBuf,
        bytes: u64,
        files: u64,
        owner: u32,
    ) -> Result<Disk> {
        std::fs::create_dir_all(&mount)?;
        let _ = std::fs::remove_file(&image);
        std::fs::File::create(&image)
            .and_then(|f| f.set_len(bytes))
            .with_context(|| format!("creating {}", image.display()))?;
        run(Command::new("mkfs.ext4")
            .args(["-q", "-F", "-b", "4096", "-m", "0", "-O", "^has_journal"])
            .args(["-N", &files.to_string()])
            .args(["-E", "root_owner=0:0,nodiscard"])
            .arg(&image))?;
        own_mount_namespace()?;
        run(Command::new("mount")
            .args(["-t", "ext4", "-o", "loop,nosuid,nodev,noatime"])
            .arg(&image)
            .arg(&mount))?;
        std::fs::remove_dir(mount.join("lost+found"))?;
        Ok(Disk { image, mount, owner })
    }

    /// The next run's /tmp: a new folder, the last run's gone first. `rm`
    /// walks a tree of any depth with a few descriptors (std's
    /// remove_dir_all holds one per level: a deep tree outlived it).
    pub fn fresh(&self) -> Result<PathBuf> {
        let dir = self.mount.join("run");
        run(Command::new("rm").args(["-rf", "--one-file-system", "--"]).arg(&dir))?;
        std::fs::create_dir(&dir)?;
        std::os::unix::fs::chown(&dir, Some(self.owner), Some(self.owner))?;
        Ok(dir)
    }

    /// Unmounts it (which frees the loop device) and removes the image.
    pub fn remove(&self) {
        if let Err(e) = run(Command::new("umount").arg(&self.mount)) {
            eprintln!("runner: {e:#}");
        }
        let _ = std::fs::remove_dir(&self.mount);
        let _ = std::fs::remove_file(&self.image);
    }
}
