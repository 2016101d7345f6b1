// Where the programs in this book ran: the kernel, the distribution, the
// toolchain, the C library, the file system, the CPUs and the date, each read
// from where the system keeps it when the book is built. Without arguments it
// prints one fact a line (the "About this build" page); with `--line`, the
// one-line stamp shown under every output block.
use std::ffi::CStr;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

// ANCHOR: stamp
struct Stamp {
    /// `<ostype> <osrelease> (<arch>)`, from /proc/sys/kernel/ and the
    /// architecture this program was compiled for.
    kernel: String,
    /// PRETTY_NAME from os-release(5).
    distribution: String,
    /// What `rustc --version` says: the compiler cargo built the snippets with.
    rustc: String,
    /// The glibc this process is running with, from gnu_get_libc_version(3).
    glibc: String,
    /// What `/usr/bin/python3 --version` says: Debian's interpreter, from
    /// which the venv that runs the notes' Python programs is made.
    python: String,
    /// The type of the mount holding the build folder (target/), from
    /// /proc/self/mountinfo.
    file_system: String,
    /// How many CPUs this process may run on.
    cpus: usize,
    /// Today in UTC, `YYYY-MM-DD`.
    date: String,
}
// ANCHOR_END: stamp

fn main() -> ExitCode {
    let line = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--line") => true,
        Some(other) => {
            eprintln!(
                "about: unknown argument `{other}` (usage: about [--line])"
            );
            return ExitCode::from(2);
        }
    };
    match read_stamp() {
        Ok(s) if line => {
            println!("{}", s.line());
            ExitCode::SUCCESS
        }
        Ok(s) => {
            s.print();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("about: {e}");
            ExitCode::FAILURE
        }
    }
}

impl Stamp {
    fn print(&self) {
        println!("kernel        {}", self.kernel);
        println!("distribution  {}", self.distribution);
        println!("rustc         {}", self.rustc);
        println!("glibc         {}", self.glibc);
        println!("python        {}", self.python);
        println!(
            "file system   {} (the build folder's mount)",
            self.file_system
        );
        println!("CPUs          {}", self.cpus);
        println!("built on      {} (UTC)", self.date);
    }

    /// The footer under each output block: short, one line.
    fn line(&self) -> String {
        // `rustc <version> (<commit> <date>)` -> `rustc <version>`
        let rustc: Vec<&str> = self.rustc.split_whitespace().take(2).collect();
        format!(
            "{} · {} · {} · glibc {} · {} · {} · {} CPU{} · {}",
            self.kernel,
            self.distribution,
            rustc.join(" "),
            self.glibc,
            self.python,
            self.file_system,
            self.cpus,
            if self.cpus == 1 { "" } else { "s" },
            self.date
        )
    }
}

fn read_stamp() -> Result<Stamp, String> {
    let build_dir = std::env::current_exe()
        .map_err(|e| format!("current_exe: {e}"))?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("the executable has no folder")?;
    let stamp = Stamp {
        kernel: kernel()?,
        distribution: distribution()?,
        rustc: rustc_version()?,
        glibc: glibc_version()?,
        python: python_version()?,
        file_system: file_system(&build_dir)?,
        cpus: std::thread::available_parallelism()
            .map_err(|e| format!("available_parallelism: {e}"))?
            .get(),
        date: utc_date(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|e| format!("clock before 1970: {e}"))?
                .as_secs(),
        ),
    };
    expect(
        stamp.kernel.starts_with("Linux "),
        "the kernel should call itself Linux",
    )?;
    expect(
        stamp.rustc.starts_with("rustc "),
        "`rustc --version` should start with `rustc `",
    )?;
    expect(
        stamp.python.starts_with("Python 3."),
        "`/usr/bin/python3 --version` should start with `Python 3.`",
    )?;
    Ok(stamp)
}

// ANCHOR: kernel
fn kernel() -> Result<String, String> {
    let ostype = read_trimmed("/proc/sys/kernel/ostype")?;
    let release = read_trimmed("/proc/sys/kernel/osrelease")?;
    Ok(format!("{ostype} {release} ({})", std::env::consts::ARCH))
}

/// The PRETTY_NAME="..." line of /etc/os-release, or of /usr/lib/os-release
/// when the first is missing (os-release(5)).
fn distribution() -> Result<String, String> {
    let text = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .map_err(|e| format!("os-release: {e}"))?;
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .ok_or("os-release has no PRETTY_NAME")?;
    Ok(value.trim_matches(|c| c == '"' || c == '\'').to_string())
}
// ANCHOR_END: kernel

// ANCHOR: toolchain
fn rustc_version() -> Result<String, String> {
    let out = Command::new("rustc")
        .arg("--version")
        .output()
        .map_err(|e| format!("rustc --version: {e}"))?;
    expect(out.status.success(), "`rustc --version` should succeed")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Debian's python3, not whatever `python3` is first on PATH (a pyenv shim,
/// say): the book's Python environment is made from this one.
fn python_version() -> Result<String, String> {
    let out = Command::new("/usr/bin/python3")
        .arg("--version")
        .output()
        .map_err(|e| format!("/usr/bin/python3 --version: {e}"))?;
    expect(
        out.status.success(),
        "`/usr/bin/python3 --version` should succeed",
    )?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn glibc_version() -> Result<String, String> {
    // SAFETY: gnu_get_libc_version returns a pointer to a static,
    // NUL-terminated string that lives as long as the process.
    let version = unsafe { CStr::from_ptr(nix::libc::gnu_get_libc_version()) };
    Ok(version.to_string_lossy().into_owned())
}
// ANCHOR_END: toolchain

// ANCHOR: file_system
/// The type of the file system `path` is on: the mount with the longest
/// mount point above it in /proc/self/mountinfo (proc_pid_mountinfo(5)),
/// the last one listed if several are mounted on the same point.
fn file_system(path: &Path) -> Result<String, String> {
    let path = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let info = read_trimmed("/proc/self/mountinfo")?;
    let mut best: Option<(usize, String)> = None;
    for line in info.lines() {
        // id parent major:minor root MOUNT-POINT options [optional...] - TYPE source options
        let (left, right) =
            line.split_once(" - ").ok_or("bad mountinfo line")?;
        let mount_point = left.split(' ').nth(4).ok_or("bad mountinfo line")?;
        let mount_point = mount_point.replace("\\040", " ");
        let fs_type = right.split(' ').next().unwrap_or_default();
        let len = mount_point.len();
        if path.starts_with(&mount_point)
            && best.as_ref().is_none_or(|(l, _)| len >= *l)
        {
            best = Some((len, fs_type.to_string()));
        }
    }
    best.map(|(_, t)| t)
        .ok_or_else(|| format!("no mount above {}", path.display()))
}
// ANCHOR_END: file_system

/// Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
fn utc_date(unix_secs: u64) -> String {
    let z = (unix_secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn read_trimmed(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("{path}: {e}"))
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}

#[cfg(test)]
mod tests {
    use super::utc_date;

    #[test]
    fn civil_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_709_251_199), "2024-02-29");
        assert_eq!(utc_date(4_102_444_800), "2100-01-01");
    }
}
