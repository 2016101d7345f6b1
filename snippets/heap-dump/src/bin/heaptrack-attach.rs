// Note 5 the seed's way round, in Rust: attach from outside to a running
// Rust process that does nothing to help (no counting allocator, no signal
// handler: the plain `System` allocator, glibc's malloc), with heaptrack,
// which gets into the process the way pyrasite does, through gdb.
//
// Run plainly, it is the observer: it starts itself again as the target
// (`heaptrack-attach target`), an ordinary program that reads commands on
// stdin. The observer waits for its "ready" line, runs `heaptrack -p PID`,
// waits until heaptrack says the injection is finished, asks the target to
// allocate 10 000 strings and to free them, closes its stdin (the target
// exits, which ends the recording), and prints what heaptrack recorded.
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};

const STRINGS: usize = 10_000;

fn main() -> ExitCode {
    let result = match std::env::args().nth(1).as_deref() {
        Some("target") => target(),
        _ => observe(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heaptrack-attach: {e}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: target
/// An ordinary program: `alloc` makes 10 000 strings of capacity 64 and
/// keeps them, `free` drops them; end of input ends it.
fn target() -> Result<(), String> {
    let mut kept: Vec<String>;
    println!("ready");
    for line in std::io::stdin().lines() {
        match line.map_err(|e| format!("stdin: {e}"))?.as_str() {
            "alloc" => {
                kept = (0..STRINGS)
                    .map(|i| {
                        let mut s = String::with_capacity(64);
                        let _ = write!(s, "string {i:05}"); // no temporary String
                        s
                    })
                    .collect();
                println!("allocated {}", kept.len());
            }
            "free" => {
                kept = Vec::new();
                println!("freed, {} left", kept.len());
            }
            other => return Err(format!("unknown command `{other}`")),
        }
    }
    Ok(())
}
// ANCHOR_END: target

/// The target and its pipes; killed and reaped if the observer stops early.
struct Target {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Target {
    fn say(&mut self, command: &str, answer: &str) -> Result<(), String> {
        let stdin = self.child.stdin.as_mut().ok_or("no stdin")?;
        writeln!(stdin, "{command}")
            .map_err(|e| format!("to the target: {e}"))?;
        let got = read_line(&mut self.out)?;
        println!("target, asked to {command}: {got}");
        expect(got.starts_with(answer), "the target does what it is asked")
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_line(r: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    match r.read_line(&mut line) {
        Ok(0) => Err("the other side closed its output".into()),
        Ok(_) => Ok(line.trim_end().to_string()),
        Err(e) => Err(format!("read: {e}")),
    }
}

// ANCHOR: attach
/// Starts the target, waits for "ready", and attaches `heaptrack -p` to it;
/// returns once heaptrack says its library is in the target.
fn start_and_attach(
    dir: &Path,
) -> Result<(Target, Child, BufReader<ChildStdout>), String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .arg("target")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn the target: {e}"))?;
    let out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut target = Target { child, out };
    let ready = read_line(&mut target.out)?;
    expect(ready == "ready", "the target says ready")?;
    let pid = target.child.id();
    println!(
        "target: running, unmodified; observer attaches `heaptrack -p` to it"
    );
    println!("{}", ptrace_facts()?);

    let record = dir.join("recording");
    let mut heaptrack = Command::new("heaptrack")
        .arg("-o")
        .arg(&record)
        .arg("-p")
        .arg(pid.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("heaptrack: {e} (Debian's heaptrack package)"))?;
    let mut said = BufReader::new(heaptrack.stdout.take().ok_or("no stdout")?);
    // heaptrack's script says this once gdb has injected its library and
    // detached: from here on, every malloc and free of the target is recorded.
    loop {
        let line = read_line(&mut said)?;
        if line == "injection finished" {
            break;
        }
    }
    Ok((target, heaptrack, said))
}
// ANCHOR_END: attach

fn observe() -> Result<(), String> {
    let dir = Scratch::new()?;
    let (mut target, mut heaptrack, mut said) = start_and_attach(&dir.0)?;

    target.say("alloc", "allocated 10000")?;
    target.say("free", "freed")?;
    drop(target.child.stdin.take()); // end of input: the target exits
    let status = target.child.wait().map_err(|e| format!("wait: {e}"))?;
    expect(status.success(), "the target exits 0")?;
    // The recording ends when the target's end closes heaptrack's pipe.
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut said, &mut rest);
    let done = heaptrack.wait().map_err(|e| format!("heaptrack: {e}"))?;
    expect(done.success(), "heaptrack exits 0")?;

    let file = recorded_file(&dir.0)?;
    let out = Command::new("heaptrack_print")
        .arg("--file")
        .arg(&file)
        .args(["--print-peaks", "0", "--print-temporary", "0"])
        .args(["--print-allocators", "1", "--peak-limit", "1"])
        .args(["--sub-peak-limit", "1"])
        .output()
        .map_err(|e| format!("heaptrack_print: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    expect(out.status.success(), "heaptrack_print reads the recording")?;
    // The top call site, and of its backtraces the frames in this program
    // (the rest is std and core); then heaptrack's summary.
    let lines: Vec<&str> = text.lines().collect();
    let top = lines.iter().position(|l| l.starts_with("MOST CALLS"));
    let summary = lines.iter().position(|l| l.starts_with("total runtime"));
    let (Some(top), Some(summary)) = (top, summary) else {
        return Err(format!("heaptrack_print said something else:\n{text}"));
    };
    println!("heaptrack_print: MOST CALLS TO ALLOCATION FUNCTIONS");
    for (i, line) in lines[top + 1..summary].iter().enumerate() {
        let ours = line.trim_start().starts_with("heaptrack_attach::")
            || line.contains("at snippets/");
        let counts = line.contains(" calls ");
        if ours || counts {
            println!("  {}", line.trim());
        } else if i > 0 && lines[top + i].contains(" calls ") {
            println!("    ...");
        }
    }
    for line in &lines[summary..] {
        println!("{line}");
    }
    let calls = lines[summary..]
        .iter()
        .find_map(|l| l.strip_prefix("calls to allocation functions: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    expect(
        calls > STRINGS,
        "heaptrack saw at least the 10 000 strings and their Vec",
    )?;
    expect(
        text.contains(&format!("{STRINGS} calls with")),
        "one call site made exactly the 10 000 strings",
    )
}

/// What decides whether gdb (which heaptrack runs, and which is not an
/// ancestor of the target) may attach: our user, CAP_SYS_PTRACE, Yama.
fn ptrace_facts() -> Result<String, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("?")
            .to_string()
    };
    let cap_eff = u64::from_str_radix(&field("CapEff:"), 16).unwrap_or(0);
    let cap_sys_ptrace = cap_eff & (1 << 19) != 0; // capability(7): 19
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "absent (no Yama LSM)".into());
    Ok(format!(
        "ptrace: attacher uid {}, CAP_SYS_PTRACE {}; Yama ptrace_scope: {yama}",
        field("Uid:"),
        if cap_sys_ptrace { "yes" } else { "no" }
    ))
}

/// heaptrack writes `<-o>.zst` (or `.gz` without zstd).
fn recorded_file(dir: &Path) -> Result<PathBuf, String> {
    std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("recording."))
        })
        .ok_or_else(|| "heaptrack wrote no recording".into())
}

/// A folder of our own under the temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let dir = std::env::temp_dir()
            .join(format!("heaptrack-attach-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
