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
    show_pid()
}

// A region the chapter includes is whole items (here a function): mdBook
// shows it as it stands in the file, indentation and all.
// ANCHOR: main
/// What the chapter shows: say in a line what this step does.
fn show_pid() -> Result<(), String> {
    let pid = nix::unistd::getpid();
    println!("hello from pid {pid}");
    expect(pid.as_raw() > 0, "a process has a positive pid")
}
// ANCHOR_END: main

/// Exit non-zero when the behaviour the chapter shows is absent.
fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
