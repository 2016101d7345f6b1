// A process has two names: `comm` (16 bytes with the NUL, what top shows by
// default) and its command line (argv, what `ps aux` shows). Setting one does
// not touch the other.
use std::ffi::CString;
use std::process::{Command, ExitCode};

const LONG_NAME: &str = "my_rust_process_title";

// ANCHOR: read
fn comm(path: &str) -> Result<String, String> {
    let raw =
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(raw.trim_end_matches('\n').to_string())
}

/// /proc/<pid>/cmdline is argv, each argument ending in a NUL byte.
fn cmdline(path: &str) -> Result<Vec<String>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let args = raw.split(|&b| b == 0).filter(|a| !a.is_empty());
    Ok(args
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect())
}
// ANCHOR_END: read

fn main() -> ExitCode {
    let result = if std::env::var_os("PROCESS_TITLE_CHILD").is_some() {
        child()
    } else {
        run()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("process-title: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    // ANCHOR: set_name
    println!("comm before:  {:?}", comm("/proc/self/comm")?);
    let name = CString::new(LONG_NAME).map_err(|e| e.to_string())?;
    nix::sys::prctl::set_name(&name)
        .map_err(|e| format!("prctl(PR_SET_NAME): {e}"))?;
    println!("PR_SET_NAME:  {LONG_NAME:?} ({} bytes)", LONG_NAME.len());

    let after = comm("/proc/self/comm")?;
    println!("comm after:   {after:?} ({} bytes + NUL = 16)", after.len());
    let got = nix::sys::prctl::get_name()
        .map_err(|e| format!("prctl(PR_GET_NAME): {e}"))?;
    println!("PR_GET_NAME:  {got:?}");
    println!(
        "cmdline:      {:?} (untouched)",
        cmdline("/proc/self/cmdline")?
    );
    expect(
        after == LONG_NAME[..15],
        "comm should keep the first 15 bytes",
    )?;
    // ANCHOR_END: set_name

    // ANCHOR: ps
    let pid = std::process::id().to_string();
    match Command::new("ps")
        .args(["-o", "comm=,args=", "-p", &pid])
        .output()
    {
        Ok(out) => print!(
            "ps -o comm=,args=: {}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(e) => println!("ps -o comm=,args=: (ps not available: {e})"),
    }
    // ANCHOR_END: ps

    // ANCHOR: thread
    let worker = std::thread::Builder::new()
        .name("worker-thread-with-a-long-name".into())
        .spawn(|| comm("/proc/thread-self/comm"))
        .map_err(|e| format!("thread: {e}"))?;
    let thread_comm = worker.join().map_err(|_| "thread panicked")??;
    println!("thread named \"worker-thread-with-a-long-name\": its comm is {thread_comm:?}");
    expect(
        thread_comm == "worker-thread-w",
        "a thread's comm is its own, cut to 15 bytes",
    )?;
    // ANCHOR_END: thread

    // ANCHOR: argv0
    // Whoever calls exec chooses argv[0]; the kernel sets comm from the file name.
    let exe =
        std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let out = std::os::unix::process::CommandExt::arg0(
        &mut Command::new(&exe),
        "any-argv0-you-like",
    )
    .env("PROCESS_TITLE_CHILD", "1")
    .output()
    .map_err(|e| format!("spawn: {e}"))?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    expect(out.status.success(), "the child should report its names")?;
    // ANCHOR_END: argv0
    Ok(())
}

/// Run by `run` through exec with a chosen argv[0].
fn child() -> Result<(), String> {
    let comm = comm("/proc/self/comm")?;
    let args = cmdline("/proc/self/cmdline")?;
    println!("exec'd with argv[0] = \"any-argv0-you-like\": comm {comm:?}, cmdline {args:?}");
    // The kernel takes comm from the executable's file name, cut to 15 bytes.
    let exe =
        std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let file = exe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let from_file = &file[..file.len().min(15)];
    expect(
        comm == from_file && args == ["any-argv0-you-like"],
        "comm from the file name, cmdline from argv",
    )
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
