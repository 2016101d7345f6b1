//! `--python NAME`: the note's own program, `snippets/<slug>/python/NAME.py`,
//! run by the book's venv interpreter under the same supervision as a Rust
//! snippet (timeout, process group, subreaper kill-all, output cap).
use std::path::Path;
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
    let mut cmd = Command::new(&interpreter);
    // Run from the root with the path as shown in the block's header.
    cmd.arg(&file)
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
    super::supervised(args, cmd, limits, &interpreter)
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
