//! `--python NAME`: the note's own program, `snippets/<slug>/python/NAME.py`,
//! run by the book's venv interpreter under the same supervision as a Rust
//! snippet (timeout, process group, subreaper kill-all, output cap).
//!
//! It is run as the block's header says a reader runs it, at the top of the
//! clone with the venv's `bin/` first on PATH (the introduction's
//! `export PATH="$(cargo xtask python path)/bin:$PATH"`): the program is
//! `python3`, found on that PATH, so argv[0], `sys.executable`, the name
//! setproctitle starts from and every `python3` a program runs are the
//! reader's too.
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use supervisor::render::Block;
use supervisor::{python, Args, Limits};

use super::block;

pub fn run(args: &Args, root: &Path, limits: &Limits) -> Block {
    let Some(file) = args.python_file() else {
        return block(args, "not run", String::new(), Err("no --python".into()));
    };
    if !root.join(&file).is_file() {
        return block(args, "not run", String::new(), Err(format!("no {file}")));
    }
    let interpreter = match &args.exe {
        Some(exe) => exe.clone(),
        None => match python::interpreter(root) {
            Ok(p) => p,
            Err(e) => return block(args, "not run", String::new(), Err(e)),
        },
    };
    let bin = interpreter.parent().unwrap_or(Path::new("/")).to_path_buf();
    if !bin.join("python3").is_file() {
        let why = format!("no python3 beside {}", interpreter.display());
        return block(args, "not run", String::new(), Err(why));
    }
    // `python3` looked up on the new PATH (std searches the PATH a Command
    // sets), run from the root with the path as shown in the block's header.
    let mut cmd = Command::new("python3");
    cmd.env("PATH", path_with(&bin))
        .arg(&file)
        .args(&args.snippet_args)
        .current_dir(root)
        // stdout and stderr share one pipe: unbuffered keeps their order, as
        // a terminal's line buffering would.
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONSTARTUP")
        .env("RSP_SNIPPET", &args.slug);
    if !args.strace.is_empty() {
        let shown = shown_command(args).unwrap_or_default();
        return super::traced::run(args, root, cmd, limits, &shown);
    }
    let mut b = super::supervised(args, cmd, limits, &interpreter);
    b.output = supervisor::render::mask_paths(&b.output, root);
    b
}

/// `bin` first, then this process's PATH (the reader's `export`).
fn path_with(bin: &Path) -> OsString {
    let mut dirs: Vec<PathBuf> = vec![bin.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path).filter(|d| d != bin));
    }
    std::env::join_paths(dirs).unwrap_or_else(|_| bin.as_os_str().to_owned())
}

/// What a reader types at the root, with the venv's `bin/` first on PATH.
pub fn shown_command(args: &Args) -> Option<String> {
    let mut c = format!("python3 {}", args.python_file()?);
    for a in &args.snippet_args {
        c.push(' ');
        c.push_str(a);
    }
    Some(c)
}
