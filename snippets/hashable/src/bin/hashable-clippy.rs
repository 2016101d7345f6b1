// Runs clippy on lint/eq_by_name.rs and shows what it says: the lint
// clippy::derived_hash_with_manual_eq, on by default as an error.
use std::path::Path;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hashable: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    // The crate's folder, so that clippy names the file lint/eq_by_name.rs.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = std::env::temp_dir()
        .join(format!("hashable-clippy-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("mkdir {}: {e}", out_dir.display()))?;
    let driver = std::env::var_os("CLIPPY_DRIVER")
        .unwrap_or_else(|| "clippy-driver".into());
    let out = Command::new(&driver)
        .current_dir(crate_dir)
        .args([
            "--edition",
            "2021",
            "--color",
            "never",
            "--crate-type",
            "bin",
        ])
        .args(["--emit", "metadata", "--out-dir"])
        .arg(&out_dir)
        .arg("lint/eq_by_name.rs")
        .output();
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = out
        .map_err(|e| format!("cannot run {}: {e}", driver.to_string_lossy()))?;
    let text = String::from_utf8_lossy(&out.stderr);
    print!("{text}");
    if out.status.success()
        || !text.contains("clippy::derived_hash_with_manual_eq")
    {
        return Err("behaviour not seen: clippy did not reject the file with \
                    derived_hash_with_manual_eq"
            .into());
    }
    Ok(())
}
