// A process has two names: `comm` (16 bytes with the NUL, what top shows by
// default) and its command line (argv, what `ps aux` shows). Setting one does
// not touch the other; Python's setproctitle sets both, and so does this
// program, the second by overwriting its own argv.
use std::ffi::CString;
use std::process::{Command, ExitCode};

use nix::libc;

const LONG_NAME: &str = "my_rust_process_title";

fn main() -> ExitCode {
    let result = if std::env::var_os("PROCESS_TITLE_CHILD").is_some() {
        exec_child()
    } else {
        match std::env::args_os().nth(1) {
            None => run(),
            Some(a) if a == "set-mm" => with_set_mm(),
            Some(a) => Err(format!("unknown argument {a:?}")),
        }
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
    set_comm()?;
    show_ps("after PR_SET_NAME")?;
    set_title()?;
    show_ps("after rewriting argv")?;
    thread_names()?;
    exec_with_argv0()
}

// ANCHOR: read
fn comm(path: &str) -> Result<String, String> {
    let raw =
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(raw.trim_end_matches('\n').to_string())
}

/// /proc/<pid>/cmdline is argv, each argument ending in a NUL byte: strip
/// the last NUL, then split, so that an empty argument stays one.
fn cmdline(path: &str) -> Result<Vec<String>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let args = raw.strip_suffix(b"\0").unwrap_or(&raw);
    Ok(args
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect())
}
// ANCHOR_END: read

// ANCHOR: set_name
/// `comm`: PR_SET_NAME, which the kernel cuts to 15 bytes and a NUL.
fn set_comm() -> Result<(), String> {
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
    )
}
// ANCHOR_END: set_name

// ANCHOR: ps
/// What `ps` shows for this process: both names, in two columns that ps
/// calls COMMAND (`comm` and `args`).
fn show_ps(when: &str) -> Result<(), String> {
    let pid = std::process::id().to_string();
    let out = Command::new("ps")
        .args(["-o", "pid,comm,args", "-q", &pid])
        .output()
        .map_err(|e| format!("ps: {e}"))?;
    println!("$ ps -o pid,comm,args -q {pid}   ({when})");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    expect(out.status.success(), "ps should list this process")
}
// ANCHOR_END: ps

// ANCHOR: argv_area
/// Where the kernel keeps argv: the bytes from `arg_start` to `arg_end`,
/// fields 48 and 49 of /proc/self/stat (proc_pid_stat(5)).
fn argv_area() -> Result<(usize, usize), String> {
    let f = stat_fields()?;
    Ok((f[48] as usize, f[49] as usize))
}
// ANCHOR_END: argv_area

// ANCHOR: set_title
/// `args`: overwrite the argv area in place, as setproctitle does. The area
/// cannot grow: a title longer than it is cut, and the rest is NULs.
fn set_title() -> Result<(), String> {
    let (start, end) = argv_area()?;
    let fits = LONG_NAME.len().min(end - start - 1);
    let title = &LONG_NAME[..fits];
    println!(
        "argv area:    {} bytes at {start:#x}; writing {title:?} and NULs",
        end - start
    );
    // SAFETY: [start, end) is this process's own argv strings, on its stack,
    // writable, and referenced by no Rust value (std keeps only pointers to
    // them, and this program reads its arguments through /proc).
    let area = unsafe {
        std::slice::from_raw_parts_mut(start as *mut u8, end - start)
    };
    area.fill(0);
    area[..title.len()].copy_from_slice(title.as_bytes());

    let args = cmdline("/proc/self/cmdline")?;
    println!("cmdline:      {args:?}");
    println!("comm:         {:?} (untouched)", comm("/proc/self/comm")?);
    expect(
        args.first().map(String::as_str) == Some(title)
            && args[1..].iter().all(String::is_empty),
        "cmdline should be the new title, then the NULs as empty strings",
    )
}
// ANCHOR_END: set_title

// ANCHOR: thread
/// Threads have a `comm` each. std cuts a thread's name to 15 bytes itself
/// before it hands it to glibc, which refuses longer ones with ERANGE.
fn thread_names() -> Result<(), String> {
    let long = "worker-thread-with-a-long-name";
    let worker = std::thread::Builder::new()
        .name(long.into())
        .spawn(move || {
            let std_name = std::thread::current().name().map(String::from);
            let kernel_name = comm("/proc/thread-self/comm");
            let c_name = CString::new(long).map_err(|e| e.to_string())?;
            // SAFETY: names the calling thread with a NUL-terminated string.
            let rc = unsafe {
                libc::pthread_setname_np(libc::pthread_self(), c_name.as_ptr())
            };
            Ok::<_, String>((std_name, kernel_name?, rc))
        })
        .map_err(|e| format!("thread: {e}"))?;
    let (std_name, kernel_name, rc) =
        worker.join().map_err(|_| "thread panicked")??;
    println!("thread::Builder::name({long:?}):");
    println!("  thread::current().name(): {std_name:?}");
    println!("  /proc/thread-self/comm:   {kernel_name:?}");
    println!(
        "  pthread_setname_np(the same name) -> {rc} ({})",
        nix::errno::Errno::from_raw(rc)
    );
    expect(
        std_name.as_deref() == Some(long)
            && kernel_name == long[..15]
            && rc == libc::ERANGE,
        "std cuts the name to 15 bytes, glibc refuses a longer one",
    )
}
// ANCHOR_END: thread

// ANCHOR: argv0
/// Whoever calls exec chooses argv[0]; the kernel sets comm from the file.
fn exec_with_argv0() -> Result<(), String> {
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
    expect(out.status.success(), "the child should report its names")
}
// ANCHOR_END: argv0

// ANCHOR: set_mm
/// `struct prctl_mm_map` of <linux/prctl.h> (the libc crate has none).
#[repr(C)]
struct PrctlMmMap {
    start_code: u64,
    end_code: u64,
    start_data: u64,
    end_data: u64,
    start_brk: u64,
    brk: u64,
    start_stack: u64,
    arg_start: u64,
    arg_end: u64,
    env_start: u64,
    env_end: u64,
    auxv: *mut u64,
    auxv_size: u32,
    exe_fd: u32,
}

/// A title longer than argv: PR_SET_MM_MAP hands the kernel a new memory
/// map description, the same in everything but the argv area.
fn with_set_mm() -> Result<(), String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    let cap_eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    let has_cap = cap_eff & (1 << 24) != 0; // CAP_SYS_RESOURCE is capability 24
    println!("CAP_SYS_RESOURCE in CapEff: {has_cap}");

    let title = format!("{LONG_NAME}: longer than argv ever was");
    // On the heap, which /proc/<pid>/cmdline can read (it skips file-backed
    // mappings), and leaked: it must outlive every reader.
    let area: &'static [u8] =
        Box::leak(format!("{title}\0").into_bytes().into_boxed_slice());
    let f = stat_fields()?;
    let mut map = PrctlMmMap {
        start_code: f[26],
        end_code: f[27],
        start_data: f[45],
        end_data: f[46],
        start_brk: f[47],
        // SAFETY: sbrk(0) only reads the current program break.
        brk: unsafe { libc::sbrk(0) } as u64,
        start_stack: f[28],
        arg_start: area.as_ptr() as u64,
        arg_end: (area.as_ptr() as u64) + area.len() as u64,
        env_start: f[50],
        env_end: f[51],
        auxv: std::ptr::null_mut(),
        auxv_size: 0,
        exe_fd: u32::MAX, // -1: keep /proc/self/exe
    };
    let size = std::mem::size_of::<PrctlMmMap>();
    // SAFETY: the kernel reads `size` bytes of `map` and checks every field.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_MM,
            libc::PR_SET_MM_MAP as libc::c_ulong,
            &mut map as *mut PrctlMmMap,
            size,
            0,
        )
    };
    let errno = nix::errno::Errno::last();
    println!(
        "prctl(PR_SET_MM, PR_SET_MM_MAP, argv area {} bytes) -> {rc}{}",
        area.len(),
        if rc == 0 {
            String::new()
        } else {
            format!(" ({errno})")
        }
    );
    expect(rc == 0, "PR_SET_MM_MAP should take the new argv area")?;
    let args = cmdline("/proc/self/cmdline")?;
    println!("cmdline:      {args:?}");
    show_ps("after PR_SET_MM_MAP")?;
    expect(args == [title], "cmdline should be the new, longer area")
}

/// The numeric fields of /proc/self/stat, indexed as in proc_pid_stat(5)
/// (field 1 is the pid); 0 for fields that are not numbers.
fn stat_fields() -> Result<Vec<u64>, String> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .map_err(|e| format!("/proc/self/stat: {e}"))?;
    let after_comm = &stat[stat.rfind(')').ok_or("no ) in stat")? + 2..];
    let mut fields = vec![0, 0, 0]; // fields 1 and 2 (pid, comm) skipped
    fields.extend(after_comm.split(' ').map(|f| f.trim().parse().unwrap_or(0)));
    if fields.len() < 52 {
        return Err(format!("/proc/self/stat has {} fields", fields.len() - 1));
    }
    Ok(fields)
}
// ANCHOR_END: set_mm

/// Run by `exec_with_argv0` through exec with a chosen argv[0].
fn exec_child() -> Result<(), String> {
    let comm = comm("/proc/self/comm")?;
    let args = cmdline("/proc/self/cmdline")?;
    println!("exec'd with argv[0] \"any-argv0-you-like\":");
    println!("  comm {comm:?}, cmdline {args:?}");
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
