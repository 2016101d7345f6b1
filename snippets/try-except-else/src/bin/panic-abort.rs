// Case 5 of the main program again, built with `panic = "abort"`: rustc
// compiles the same src/main.rs with `-C panic=abort`, and the result runs
// with the argument `panic` (case 5 alone). A panic then does not unwind:
// no destructor runs, so no guard prints `finally`, and `catch_unwind` never
// returns; the process ends with SIGABRT.
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let dir = std::env::temp_dir()
        .join(format!("try-except-else-abort-{}", std::process::id()));
    let result = run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("try-except-else: {e}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: abort
fn run(dir: &Path) -> Result<(), String> {
    // From the workspace root, so that the panic message names the file as
    // `cargo run` does: snippets/try-except-else/src/main.rs.
    let manifest =
        option_env!("CARGO_MANIFEST_DIR").unwrap_or("snippets/try-except-else");
    let root = Path::new(manifest).join("../..");
    std::fs::create_dir_all(dir).map_err(|e| format!("mkdir: {e}"))?;
    let exe = dir.join("try-except-else");
    let source = "snippets/try-except-else/src/main.rs";
    compile(&root, source, &exe)?;
    println!("rustc -C panic=abort {source}, then case 5 again:");

    // stdout and stderr into one pipe, in the order they were written.
    let (mut out, out_w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    let err_w = out_w.try_clone().map_err(|e| format!("pipe: {e}"))?;
    let mut child = Command::new(&exe)
        .arg("panic")
        .current_dir(&root)
        .env("RUST_BACKTRACE", "0")
        .stdout(out_w)
        .stderr(err_w)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let mut text = String::new();
    out.read_to_string(&mut text)
        .map_err(|e| format!("read: {e}"))?;
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    print!("{text}");
    let signal = status.signal().map(signal_name);
    println!(
        "-> {}",
        match &signal {
            Some(name) => format!("killed by {name}"),
            None => format!("{status}"),
        }
    );
    expect(
        signal.as_deref() == Some("SIGABRT"),
        "the panic aborts the process",
    )?;
    expect(text.contains("  try\n"), "case 5 starts")?;
    expect(
        !text.contains("finally") && !text.contains("catch_unwind gave"),
        "with panic=abort, neither the guard nor catch_unwind runs",
    )
}
// ANCHOR_END: abort

fn compile(root: &Path, source: &str, exe: &PathBuf) -> Result<(), String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .current_dir(root)
        .args([
            "--edition",
            "2021",
            "--color",
            "never",
            "-C",
            "panic=abort",
            "-o",
        ])
        .arg(exe)
        .arg(source)
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustc -C panic=abort failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn signal_name(signal: i32) -> String {
    match signal {
        6 => "SIGABRT".to_string(),
        11 => "SIGSEGV".to_string(),
        n => format!("signal {n}"),
    }
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
