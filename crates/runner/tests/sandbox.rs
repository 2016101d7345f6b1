//! Hostile code pasted into a page, against the sandbox: what rustc may
//! read, what the program may see, reach, take and keep. Each test is an
//! attack; each must fail the way SECURITY.md says.
mod common;

use std::os::unix::fs::PermissionsExt;

use common::{compile_error, exit, output, root, server, server_with, status};
use runner::Event;

/// A file only the server's user can read, outside anything the sandbox
/// binds: the attacks try to get its text out.
struct Secret {
    path: std::path::PathBuf,
    text: String,
}

impl Secret {
    fn new(dir: &std::path::Path) -> Secret {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(format!("rsp-secret-{}", std::process::id()));
        let text = format!("TOP-SECRET-{}", std::process::id() * 7919);
        std::fs::write(&path, &text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Secret { path, text }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[test]
fn rustc_cannot_read_root_only_files_or_the_servers() {
    let s = server();
    let in_tmp = Secret::new(&std::env::temp_dir());
    let in_workspace = Secret::new(&root().join("target"));
    let mut cases = vec![(
        "fn main() { print!(\"{}\", include_str!(\"/etc/shadow\")); }\n".to_string(),
        "couldn't read `/etc/shadow`".to_string(),
    )];
    for secret in [&in_tmp, &in_workspace] {
        let p = secret.path.display();
        cases.extend([
            (
                format!("fn main() {{ print!(\"{{}}\", include_str!(\"{p}\")); }}\n"),
                format!("couldn't read `{p}`"),
            ),
            (
                format!("fn main() {{ print!(\"{{:?}}\", include_bytes!(\"{p}\")); }}\n"),
                format!("couldn't read `{p}`"),
            ),
            (
                format!("#[path = \"{p}\"]\nmod secret;\nfn main() {{}}\n"),
                format!("couldn't read `{p}`"),
            ),
            (
                format!(
                    "std::arch::global_asm!(\".section .rodata\\n.incbin \\\"{p}\\\"\");\nfn main() {{}}\n"
                ),
                "Could not find incbin file".to_string(),
            ),
        ]);
    }
    for (code, expected) in cases {
        let (st, events) = s.run("zombie", &code);
        assert_eq!(st, 200);
        let said = compile_error(&events);
        assert!(said.contains(&expected), "{code}\nrustc said:\n{said}");
        for secret in [&in_tmp, &in_workspace] {
            assert!(!said.contains(&secret.text), "{said}");
        }
    }
    s.assert_healthy();
}

#[test]
fn rustc_and_the_program_see_none_of_the_servers_environment() {
    let s = server_with(2, |serve| {
        serve.env("RSP_TEST_SERVER_SECRET", "leaked-from-the-server");
    });
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let (st, events) = s.run("zombie", "fn main() { println!(\"{}\", env!(\"HOME\")); }\n");
    assert_eq!(st, 200);
    let said = compile_error(&events);
    assert!(said.contains("environment variable `HOME` not defined at compile time"), "{said}");
    assert!(!said.contains(&home), "{said}");

    let code = r#"
fn main() {
    let at_compile_time = [
        ("HOME", option_env!("HOME")),
        ("USER", option_env!("USER")),
        ("PWD", option_env!("PWD")),
        ("CARGO", option_env!("CARGO")),
        ("CARGO_HOME", option_env!("CARGO_HOME")),
        ("RUSTUP_HOME", option_env!("RUSTUP_HOME")),
        ("SSH_AUTH_SOCK", option_env!("SSH_AUTH_SOCK")),
        ("RSP_TEST_SERVER_SECRET", option_env!("RSP_TEST_SERVER_SECRET")),
        ("RSP_RUNNER", option_env!("RSP_RUNNER")),
        ("PATH", option_env!("PATH")),
    ];
    for (k, v) in at_compile_time {
        println!("compile {k}={v:?}");
    }
    let mut vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    vars.sort();
    println!("run {}", vars.join(" "));
}
"#;
    let (st, events) = s.run("zombie", code);
    assert_eq!(st, 200);
    let out = output(&events);
    for k in [
        "HOME",
        "USER",
        "PWD",
        "CARGO",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "SSH_AUTH_SOCK",
        "RSP_TEST_SERVER_SECRET",
        "RSP_RUNNER",
    ] {
        assert!(out.contains(&format!("compile {k}=None\n")), "{k}: {out}");
    }
    assert!(out.contains("compile PATH=Some(\"/usr/bin:/bin\")"), "{out}");
    assert!(
        out.contains(
            "run HOME=/tmp LANG=C.UTF-8 PATH=/usr/bin:/bin RSP_SNIPPET=zombie RUST_BACKTRACE=0 TMPDIR=/tmp\n"
        ),
        "{out}"
    );
    assert!(!out.contains("leaked-from-the-server"), "{out}");
    s.assert_healthy();
}

#[test]
fn sockets_other_than_unix_ones_are_refused() {
    // No snippet uses one; a TCP socket's buffers would escape a cgroup v1
    // memory bound (they are charged only to the machine's tcp_mem).
    let s = server();
    let code = format!(
        r#"
extern crate nix;
use nix::libc;
fn main() {{
    println!("connect {{:?}}", std::net::TcpStream::connect(("127.0.0.1", {port})).map_err(|e| e.raw_os_error()).map(|_| ()));
    println!("listen {{:?}}", std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.raw_os_error()).map(|_| ()));
    println!("udp {{:?}}", std::net::UdpSocket::bind("[::1]:0").map_err(|e| e.raw_os_error()).map(|_| ()));
    let netlink = unsafe {{ libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, 0) }};
    println!("netlink {{netlink}} {{:?}}", std::io::Error::last_os_error().raw_os_error());
    println!("unix {{:?}}", std::os::unix::net::UnixStream::pair().map(|_| ()).map_err(|e| e.raw_os_error()));
    let ring = unsafe {{ libc::syscall(libc::SYS_io_uring_setup, 4, [0u8; 120].as_mut_ptr()) }};
    println!("io_uring {{ring}} {{:?}}", std::io::Error::last_os_error().raw_os_error());
    let devs = std::fs::read_to_string("/proc/net/dev").unwrap();
    let names: Vec<&str> = devs.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).collect();
    println!("interfaces: {{}}", names.join(" "));
}}
"#,
        port = s.runner.port
    );
    let (st, events) = s.run("zombie", &code);
    assert_eq!(st, 200);
    let out = output(&events);
    // EAFNOSUPPORT (97) for every family but AF_UNIX; io_uring ENOSYS.
    for line in [
        "connect Err(Some(97))",
        "listen Err(Some(97))",
        "udp Err(Some(97))",
        "netlink -1 Some(97)",
        "unix Ok(())",
        "io_uring -1 Some(38)",
        // Its own loopback only: a network namespace with nothing else.
        "interfaces: lo",
    ] {
        assert!(out.contains(&format!("{line}\n")), "no {line:?} in {out}: {events:?}");
    }
    s.assert_healthy();
}

#[test]
fn the_program_sees_only_its_sandbox() {
    let s = server();
    let workspace = root().display().to_string();
    let code = format!(
        r#"
extern crate nix;
fn list(dir: &str) -> String {{
    let mut v: Vec<String> = match std::fs::read_dir(dir) {{
        Ok(rd) => rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(e) => return format!("{{:?}}", e.kind()),
    }};
    v.sort();
    v.join(",")
}}
fn main() {{
    println!("uid {{}} gid {{}} pid {{}}", nix::unistd::getuid(), nix::unistd::getgid(), std::process::id());
    println!("root {{}}", list("/"));
    println!("tmp [{{}}]", list("/tmp"));
    println!("bin {{}}", list("/rsp/bin"));
    println!("workspace {{}}", list("{workspace}"));
    println!("shadow {{:?}}", std::fs::read("/etc/shadow").map_err(|e| e.kind()).map(|_| ()));
    println!("passwd {{}}", std::fs::read_to_string("/etc/passwd").unwrap().lines().count());
    println!("usr {{:?}}", std::fs::write("/usr/x", "x").map_err(|e| e.raw_os_error()));
    println!("dev {{:?}}", std::fs::write("/dev/x", "x").map_err(|e| e.raw_os_error()));
    println!("processes {{}}", list("/proc").split(',').filter(|n| n.parse::<u32>().is_ok()).count());
    println!("host {{}}", std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim());
}}
"#
    );
    let (st, events) = s.run("zombie", &code);
    assert_eq!(st, 200);
    let out = output(&events);
    let all: Vec<&Event> = events.iter().map(|t| &t.event).collect();
    let line = |key: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} in {out}: {all:?}"))
            .to_string()
    };
    // The runner's own uid (not nobody's), and a pid namespace of its
    // own: the job is 1, its threads take 2 and 3.
    let ids = line("uid");
    let uid = s.isolation("user");
    if nix::unistd::geteuid().is_root() {
        assert_ne!(uid, "65534");
        assert!(ids.starts_with(&format!("{uid} gid {uid} pid ")), "{out}");
    } else {
        assert!(ids.starts_with("65534 gid 65534 pid "), "{out}");
    }
    let pid: u32 = ids.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(pid < 10, "{out}");
    for entry in line("root").split(',') {
        assert!(
            [
                "bin",
                "dev",
                "etc",
                "lib",
                "lib32",
                "lib64",
                "libx32",
                "proc",
                "rsp",
                "sbin",
                "tmp",
                "toolchain",
                "usr"
            ]
            .contains(&entry),
            "unexpected /{entry} in {out}"
        );
    }
    let tmp = if common::traced() { ".rsp-strace" } else { "" };
    assert_eq!(line("tmp"), format!("[{tmp}]"), "{out}");
    assert_eq!(line("bin"), "zombie", "{out}");
    assert_eq!(line("workspace"), "NotFound", "{out}");
    assert_eq!(line("shadow"), "Err(NotFound)", "{out}");
    assert_eq!(line("passwd"), "2", "{out}");
    assert_eq!(line("usr"), "Err(Some(30))", "read-only /usr (EROFS): {out}");
    assert_eq!(line("dev"), "Err(Some(30))", "read-only /dev (EROFS): {out}");
    // The job (pid 1) and the program (and strace): nothing else of the machine.
    let processes = if common::traced() { "3" } else { "2" };
    assert_eq!(line("processes"), processes, "{out}");
    assert_eq!(line("host"), "sandbox", "{out}");
    s.assert_healthy();
}

#[test]
fn six_children_of_850_mib_are_killed_by_the_memory_bound() {
    let s = server_with(20, |_| {});
    if !s.has_cgroup() {
        return;
    }
    // Each child touches its memory a chunk at a time and stops by itself
    // if the machine runs low: should the bound fail, the test fails
    // without taking the machine down.
    let code = r#"
extern crate nix;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};
const MIB: usize = 1 << 20;
fn available_mib() -> usize {
    let m = std::fs::read_to_string("/proc/meminfo").unwrap();
    m.lines().find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .unwrap() / 1024
}
fn child() -> ! {
    // The kernel's OOM killer takes the children first, not the parent that
    // reports on them (raising one's own score needs no privilege).
    std::fs::write("/proc/self/oom_score_adj", "1000").unwrap();
    // 16 MiB at a time, each written (vec! of a byte is a memset).
    let mut v: Vec<Vec<u8>> = Vec::new();
    for _ in 0..(850 + 15) / 16 {
        if available_mib() < 3072 {
            std::process::exit(42);
        }
        v.push(vec![1u8; 16 * MIB]);
    }
    println!("child {} touched {} MiB", std::process::id(), v.len() * 16);
    std::process::exit(0)
}
fn main() {
    let mut kids = Vec::new();
    for _ in 0..6 {
        // SAFETY: the child only allocates and exits.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => child(),
            ForkResult::Parent { child } => kids.push(child),
        }
    }
    for k in kids {
        match waitpid(k, None).unwrap() {
            WaitStatus::Signaled(_, sig, _) => println!("child killed by {sig:?}"),
            WaitStatus::Exited(_, 42) => println!("child stopped by the watchdog"),
            other => println!("child {other:?}"),
        }
    }
}
"#;
    let (st, events) = s.run("zombie", code);
    assert_eq!(st, 200);
    let out = output(&events);
    assert!(!out.contains("touched"), "a child got its 850 MiB: {out}");
    assert!(!out.contains("watchdog"), "the machine ran low: {out}");
    assert_eq!(out.matches("child killed by SIGKILL").count(), 6, "every child is killed: {out}");
    let st = status(&events);
    assert!(st.contains("the memory bound (512 MiB for all its processes) killed"), "{st}");
    s.assert_healthy();
}

#[test]
fn files_in_tmp_and_dev_shm_are_gone_after_the_run() {
    let s = server();
    let write = r#"
fn main() {
    println!("tmp at start: {}", std::fs::read_dir("/tmp").unwrap().count());
    std::fs::write("/tmp/left-behind", "x").unwrap();
    std::fs::write("/dev/shm/left-behind", "x").unwrap();
    std::fs::write("left-in-cwd", "x").unwrap();
    // /dev/shm is small: 100 MiB do not fit.
    let big = vec![7u8; 100 << 20];
    println!("100 MiB in /dev/shm: {:?}", std::fs::write("/dev/shm/big", &big).map_err(|e| e.raw_os_error()));
    println!("wrote");
}
"#;
    let (st, events) = s.run("zombie", write);
    assert_eq!(st, 200);
    let out = output(&events);
    let tmp = if common::traced() { 1 } else { 0 };
    assert!(out.contains(&format!("tmp at start: {tmp}\n")), "{out}");
    assert!(out.contains("100 MiB in /dev/shm: Err(Some(28))"), "ENOSPC: {out}");
    assert!(out.ends_with("wrote\n"), "{out}");
    let check = r#"
fn main() {
    for f in ["/tmp/left-behind", "/dev/shm/left-behind", "left-in-cwd", "/dev/shm/big"] {
        println!("{f}: {}", std::path::Path::new(f).exists());
    }
}
"#;
    let (st, events) = s.run("zombie", check);
    assert_eq!(st, 200);
    let out = output(&events);
    assert_eq!(
        out,
        "/tmp/left-behind: false\n/dev/shm/left-behind: false\nleft-in-cwd: false\n/dev/shm/big: false\n"
    );
    // On the host, no folder of a run is left.
    let runs = root().join(format!("target/runner/run-{}/runs", s.runner.pid()));
    let mine: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("{}-", s.runner.pid())))
        .map(|e| e.path())
        .collect();
    assert!(mine.is_empty(), "{mine:?}");
    s.assert_healthy();
}

#[test]
fn the_program_cannot_kill_or_trace_its_supervisor() {
    let s = server();
    let code = r#"
extern crate nix;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
fn main() {
    println!("kill 1: {:?}", kill(Pid::from_raw(1), Signal::SIGKILL));
    println!("attach 1: {:?}", nix::sys::ptrace::attach(Pid::from_raw(1)));
    println!("mem of 1: {:?}", std::fs::read("/proc/1/mem").map_err(|e| e.kind()).map(|_| ()));
    println!("still here");
}
"#;
    let (st, events) = s.run("zombie", code);
    assert_eq!(st, 200);
    let out = output(&events);
    assert!(out.contains("attach 1: Err(EPERM)"), "{out}");
    assert!(out.contains("mem of 1: Err(PermissionDenied)"), "{out}");
    assert!(out.ends_with("still here\n"), "{out}");
    match exit(&events) {
        Event::Exit { code, .. } => assert_eq!(*code, Some(0)),
        _ => unreachable!(),
    }
    s.assert_healthy();
}

#[test]
fn the_runners_folder_is_private() {
    let s = server();
    let mode = std::fs::metadata(root().join("target/runner")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "target/runner is {mode:o}");
    s.assert_healthy();
}

#[test]
fn a_program_sees_no_descriptor_the_server_had() {
    // The server was handed a descriptor (at 10, and a pipe's write end
    // at 251), as a jobserver or an IDE hands them on.
    let (_r, w) = std::io::pipe().unwrap();
    let w = std::os::fd::AsRawFd::as_raw_fd(&w);
    let s = server_with(2, move |serve| {
        // SAFETY: dup2 between fork and exec, on a descriptor we own.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(serve, move || {
                for at in [10, 251] {
                    if libc::dup2(w, at) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    });
    let code = r#"
fn main() {
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd").unwrap().flatten()
        .map(|e| format!("{} {}", e.file_name().to_string_lossy(), std::fs::read_link(e.path()).map(|p| p.display().to_string()).unwrap_or_default()))
        .collect();
    fds.sort();
    println!("{}", fds.join("\n"));
}
"#;
    let (st, events) = s.run("zombie", code);
    assert_eq!(st, 200);
    let out = output(&events);
    let fds: Vec<u32> =
        out.lines().map(|l| l.split(' ').next().unwrap().parse().unwrap()).collect();
    // 0-2, and the folder it lists (its own, the only one above 2).
    let above: Vec<&str> = out.lines().filter(|l| !l.starts_with(['0', '1', '2'])).collect();
    assert!(fds.iter().all(|&fd| fd <= 3), "{out}");
    assert_eq!(above.len(), 1, "{out}");
    assert!(above[0].starts_with("3 /proc/"), "{out}");
    s.assert_healthy();
}

#[test]
fn what_compiles_keep_on_disk_is_bounded() {
    // With a share of 1 MiB per snippet, a snippet's incremental folder and
    // executable are removed after its run.
    let s = server_with(2, |serve| {
        serve.args(["--cache-mib", "1"]);
    });
    let code = "static BIG: [u8; 4 << 20] = [7; 4 << 20];\nfn main() { println!(\"{}\", std::hint::black_box(&BIG).len()); }";
    let (st, events) = s.run("zombie", code);
    assert_eq!((st, output(&events).as_str()), (200, "4194304\n"));
    let cache = root().join(format!("target/runner/run-{}/cache", s.runner.pid()));
    for part in ["incr", "out"] {
        assert!(!cache.join(part).join("zombie").exists(), "{part} kept");
    }
    s.assert_healthy();
}

#[test]
fn tmp_has_a_hard_size_that_counts_unlinked_files() {
    let s = server_with(20, |_| {});
    if !nix::unistd::geteuid().is_root() {
        eprintln!("not root: /tmp is a tmpfs of the same size");
    }
    // Files unlinked but held open count against the bound until closed:
    // the file system is full, whoever can still name its files.
    let held = r#"
fn main() {
    let mut kept = Vec::new();
    for i in 0..8 {
        let path = format!("/tmp/held-{i}");
        let f = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let r = unsafe { nix::libc::fallocate(std::os::fd::AsRawFd::as_raw_fd(&f), 0, 0, 64 << 20) };
        if r != 0 {
            println!("fallocate {} MiB more: {}", (i + 1) * 64, std::io::Error::last_os_error());
            break;
        }
        println!("holding {} MiB, unlinked", (i + 1) * 64);
        kept.push(f);
    }
}
"#;
    let (st, events) = s.run("zombie", &format!("extern crate nix;\n{held}"));
    assert_eq!(st, 200);
    let out = output(&events);
    assert!(out.contains("holding 192 MiB, unlinked\n"), "{out}");
    assert!(!out.contains("holding 256 MiB"), "{out}");
    assert!(out.contains("No space left on device"), "{out}");
    // Entries are bounded too.
    let many = r#"
fn main() {
    for i in 0..100_000 {
        if let Err(e) = std::fs::write(format!("/tmp/{i}"), "") {
            println!("file {i}: {e}");
            return;
        }
    }
    println!("made them all");
}
"#;
    let (st, events) = s.run("zombie", many);
    assert_eq!(st, 200);
    let out = output(&events);
    assert!(out.contains("No space left on device"), "{out}");
    // And the next run finds /tmp empty, all its space back.
    let (st, events) = s.run(
        "zombie",
        "fn main() { println!(\"{}\", std::fs::read_dir(\"/tmp\").unwrap().count()); }",
    );
    let tmp = if common::traced() { "1\n" } else { "0\n" };
    assert_eq!((st, output(&events).as_str()), (200, tmp));
    s.assert_healthy();
}

#[test]
fn the_books_programs_behave_in_the_sandbox_as_in_the_book() {
    // Each snippet's program exits non-zero when the behaviour its chapter
    // shows is absent: run unchanged in the sandbox, each must exit 0 (this
    // is how `-C prefer-dynamic` was caught breaking heap-dump's
    // #[global_allocator]). `about` asks `rustc --version`, which a run
    // sandbox has not got: it says so instead.
    let s = server_with(20, |_| {});
    for e in std::fs::read_dir(root().join("snippets")).unwrap().flatten() {
        let slug = e.file_name().to_string_lossy().into_owned();
        let Ok(code) = std::fs::read_to_string(e.path().join("src/main.rs")) else {
            continue;
        };
        let (st, events) = s.run_as(&format!("book-{slug}"), &slug, &code);
        assert_eq!(st, 200, "{slug}");
        match exit(&events) {
            Event::Exit { code, status, .. } if slug == "about" => {
                assert_eq!(*code, Some(1), "{status}");
                assert!(output(&events).contains("rustc --version: No such file"));
            }
            Event::Exit { code, status, .. } => {
                assert_eq!(*code, Some(0), "{slug}: {status}\n{}", output(&events))
            }
            _ => unreachable!(),
        }
    }
    s.assert_healthy();
}

#[test]
fn nothing_a_run_does_to_tmp_reaches_the_next_run() {
    // Started as from a shell with the usual 1024 descriptors: a tree
    // deeper than that, a mode and an attribute on /tmp itself must all
    // be gone for the next run (they were kept: std's remove_dir_all holds
    // a descriptor per level, and /tmp was the file system's root).
    let s = server_with(10, |serve| {
        // SAFETY: setrlimit between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(serve, || {
                let lim = libc::rlimit { rlim_cur: 1024, rlim_max: 1024 };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let leave = r#"
extern crate nix;
use std::os::unix::fs::PermissionsExt;
fn main() {
    for _ in 0..3000 {
        std::fs::create_dir("d").unwrap();
        std::env::set_current_dir("d").unwrap();
    }
    std::fs::write("bottom", "run 1 was here").unwrap();
    let note = b"run 1 was here";
    let r = unsafe {
        nix::libc::setxattr(c"/tmp".as_ptr(), c"user.note".as_ptr(), note.as_ptr().cast(), note.len(), 0)
    };
    println!("xattr {r}");
    std::fs::set_permissions("/tmp", std::fs::Permissions::from_mode(0o500)).unwrap();
    println!("left");
}
"#;
    let (st, events) = s.run("zombie", leave);
    assert_eq!(st, 200);
    assert!(output(&events).ends_with("left\n"), "{events:?}");
    let look = r#"
extern crate nix;
use std::os::unix::fs::PermissionsExt;
fn main() {
    let mode = std::fs::metadata("/tmp").unwrap().permissions().mode() & 0o7777;
    let mut buf = [0u8; 64];
    let n = unsafe {
        nix::libc::getxattr(c"/tmp".as_ptr(), c"user.note".as_ptr(), buf.as_mut_ptr().cast(), 64)
    };
    let found: Vec<String> = std::fs::read_dir("/tmp").unwrap().flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    println!("mode {mode:o}");
    println!("xattr {:?}", String::from_utf8_lossy(&buf[..n.max(0) as usize]));
    println!("found {found:?}");
    println!("write {:?}", std::fs::write("/tmp/mine", "x").map_err(|e| e.raw_os_error()));
}
"#;
    let (st, events) = s.run("zombie", look);
    assert_eq!(st, 200);
    assert_eq!(output(&events), "mode 755\nxattr \"\"\nfound []\nwrite Ok(())\n", "{events:?}");
    s.assert_healthy();
}

#[test]
fn the_program_cannot_reach_the_servers_keyrings() {
    // A runner started from a login session shares its session keyring
    // (pam_keyinit makes one: the user's keyring is linked into it, and
    // Kerberos tickets, fscrypt or ecryptfs keys live there). A program
    // that could search it would read them, and keep keys in it that
    // later runs find.
    let s = server_with(2, |serve| {
        // SAFETY: system calls with constant arguments between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(serve, || {
                let secret = b"TOP-SECRET-TICKET";
                if libc::syscall(
                    libc::SYS_keyctl,
                    libc::KEYCTL_JOIN_SESSION_KEYRING,
                    c"_ses".as_ptr(),
                ) < 0
                    || libc::syscall(
                        libc::SYS_add_key,
                        c"user".as_ptr(),
                        c"rsp-secret".as_ptr(),
                        secret.as_ptr(),
                        secret.len(),
                        libc::KEY_SPEC_SESSION_KEYRING,
                    ) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let code = r#"
extern crate nix;
use nix::libc;
fn errno() -> Option<i32> { std::io::Error::last_os_error().raw_os_error() }
fn main() {
    unsafe {
        let ses = libc::syscall(libc::SYS_keyctl, libc::KEYCTL_GET_KEYRING_ID, libc::KEY_SPEC_SESSION_KEYRING, 0);
        println!("session {} {:?}", ses.min(0), errno());
        let id = libc::syscall(libc::SYS_keyctl, libc::KEYCTL_SEARCH, libc::KEY_SPEC_SESSION_KEYRING,
            c"user".as_ptr(), c"rsp-secret".as_ptr(), 0);
        println!("search {} {:?}", id.min(0), errno());
        let mut buf = [0u8; 64];
        if id > 0 {
            let n = libc::syscall(libc::SYS_keyctl, libc::KEYCTL_READ, id, buf.as_mut_ptr(), 64);
            println!("read {:?}", String::from_utf8_lossy(&buf[..n.max(0) as usize]));
        }
        let id = libc::syscall(libc::SYS_request_key, c"user".as_ptr(), c"rsp-secret".as_ptr(),
            std::ptr::null::<u8>(), 0);
        println!("request {} {:?}", id.min(0), errno());
        let added = libc::syscall(libc::SYS_add_key, c"user".as_ptr(), c"left-by-a-run".as_ptr(),
            b"x".as_ptr(), 1usize, libc::KEY_SPEC_SESSION_KEYRING);
        println!("add {} {:?}", added.min(0), errno());
    }
}
"#;
    let (st, events) = s.run("zombie", code);
    assert_eq!(st, 200);
    let out = output(&events);
    assert!(!out.contains("TOP-SECRET"), "{out}");
    // ENOSYS: no keyring at all.
    assert_eq!(
        out, "session -1 Some(38)\nsearch -1 Some(38)\nrequest -1 Some(38)\nadd -1 Some(38)\n",
        "{events:?}"
    );
    s.assert_healthy();
}

#[test]
fn the_program_has_the_bounds_and_no_privileges_security_md_lists() {
    // Section 4 and 5 of SECURITY.md, as the program sees itself: its
    // rlimits, no capabilities, no new privileges, the seccomp filter, a
    // session of its own without a terminal.
    let s = server();
    let code = r#"
extern crate nix;
fn main() {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    for name in ["Max cpu time", "Max file size", "Max core file size", "Max open files", "Max address space"] {
        let l = limits.lines().find(|l| l.starts_with(name)).unwrap();
        let v: Vec<&str> = l[name.len()..].split_whitespace().collect();
        println!("{name}: {} {}", v[0], v[1]);
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    for key in ["CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"] {
        println!("{}", status.lines().find(|l| l.starts_with(key)).unwrap().split_whitespace().collect::<Vec<_>>().join(" "));
    }
    println!("session leader pid {}", nix::unistd::getsid(None).unwrap());
    println!("tty {:?}", std::fs::File::open("/dev/tty").map(|_| ()).map_err(|e| e.raw_os_error()));
}
"#;
    let (st, events) = s.run("zombie", code);
    assert_eq!(st, 200);
    let out = output(&events);
    // CPU: the timeout + 1 s, SIGKILL a second on. ENXIO: no controlling
    // terminal. The job, pid 1, leads the session.
    assert_eq!(
        out,
        "Max cpu time: 3 4\nMax file size: 67108864 67108864\nMax core file size: 0 0\n\
         Max open files: 256 256\nMax address space: 1073741824 1073741824\n\
         CapEff: 0000000000000000\nCapBnd: 0000000000000000\nCapAmb: 0000000000000000\n\
         NoNewPrivs: 1\nSeccomp: 2\nsession leader pid 1\ntty Err(Some(6))\n",
        "{events:?}"
    );
    s.assert_healthy();
}
