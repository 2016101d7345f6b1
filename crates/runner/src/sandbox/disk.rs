//! The runs' /tmp when the runner is root: an ext4 file system of the
//! bound's size, an image on disk loop-mounted once per server, so that
//! everything a run keeps there counts, files it unlinked but holds open
//! too (it gets ENOSPC past the bound), and O_DIRECT behaves as on the disk
//! file systems the book ran on (the o-direct chapter). Emptied before each
//! run, when no process of the last one is left (runs are one at a time).
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{ensure, Context, Result};

pub struct Disk {
    image: PathBuf,
    pub mount: PathBuf,
}

/// Takes down a mount a killed runner left at `at`, if any.
pub fn unmount_stale(at: &Path) {
    let at_s = at.to_string_lossy();
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    if info.lines().any(|l| l.split(' ').nth(4) == Some(&*at_s)) {
        let _ = run(Command::new("umount").arg("-l").arg(at));
    }
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
    /// entries at `mount`, its root owned by `owner`.
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
            .args(["-E", &format!("root_owner={owner}:{owner},nodiscard")])
            .arg(&image))?;
        run(Command::new("mount")
            .args(["-t", "ext4", "-o", "loop,nosuid,nodev,noatime"])
            .arg(&image)
            .arg(&mount))?;
        let disk = Disk { image, mount };
        disk.wipe();
        Ok(disk)
    }

    /// Removes everything in the file system (lost+found too).
    pub fn wipe(&self) {
        for e in std::fs::read_dir(&self.mount).into_iter().flatten().flatten() {
            let p = e.path();
            let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
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
