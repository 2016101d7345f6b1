// {title}: say in a line or two what this program shows.
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{slug}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    // ANCHOR: main
    let pid = nix::unistd::getpid();
    println!("hello from pid {pid}");
    expect(pid.as_raw() > 0, "a process has a positive pid")?;
    // ANCHOR_END: main
    Ok(())
}

/// Exit non-zero when the behaviour the chapter shows is absent.
fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
