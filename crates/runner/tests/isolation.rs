//! The sandbox from outside: what another local process (one of `nobody`,
//! the uid sandboxes had before they got the runner's own) can do to a
//! run, and what a compile that left something else than a program at its
//! output path gets.
mod common;

use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use common::{named, output, root};
use runner::prepare::Layout;
use runner::sandbox::{Budget, HostPaths, Isolation, Kind, Mode};

/// What a process of `uid` gets trying each of `paths` (open for reading)
/// and PTRACE_SEIZE and kill(0) on each of `pids`: one bit per success.
fn as_user(uid: u32, paths: &[String], pids: &[i32]) -> i32 {
    let paths: Vec<CString> = paths.iter().map(|p| CString::new(p.as_str()).unwrap()).collect();
    let pids = pids.to_vec();
    let mut cmd = std::process::Command::new("/bin/true");
    // SAFETY: only system calls between fork and _exit, on data made before.
    unsafe {
        cmd.pre_exec(move || {
            let mut bits = 0;
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(uid) != 0
                || libc::setuid(uid) != 0
            {
                libc::_exit(255);
            }
            let mut bit = 1;
            for p in &paths {
                if libc::open(p.as_ptr(), libc::O_RDONLY) >= 0 {
                    bits |= bit;
                }
                bit <<= 1;
            }
            for &pid in &pids {
                if libc::ptrace(libc::PTRACE_SEIZE, pid, 0, 0) == 0 {
                    bits |= bit;
                }
                if libc::kill(pid, 0) == 0 {
                    bits |= bit << 1;
                }
                bit <<= 2;
            }
            libc::_exit(bits)
        });
    }
    cmd.status().unwrap().code().unwrap()
}

#[test]
fn another_process_of_nobody_cannot_read_a_sandbox_or_trace_its_job() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("not root: the sandbox is the user's own, in its own user namespace");
        return;
    }
    let s = server_with_timeout();
    assert_ne!(s.isolation("user"), "65534");
    let code = r#"
extern crate nix;
fn main() {
    std::fs::write("/tmp/secret", "a reader's file").unwrap();
    nix::sys::prctl::set_name(c"rsp-victim").unwrap();
    println!("ready");
    std::thread::sleep(std::time::Duration::from_secs(4));
}
"#;
    std::thread::scope(|scope| {
        let run = scope.spawn(|| s.run("zombie", code));
        let start = Instant::now();
        let victim = loop {
            if let Some(&p) = named("rsp-victim").first() {
                break p;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "the program never started");
            std::thread::sleep(Duration::from_millis(20));
        };
        let job = common::ppid(victim).unwrap();
        let paths = [
            format!("/proc/{victim}/root/tmp/secret"),
            format!("/proc/{job}/root/rsp/bin/zombie"),
            format!("/proc/{victim}/environ"),
        ];
        // As root the paths are right (the test sees what nobody would).
        assert!(std::fs::read(&paths[0]).is_ok(), "{}", paths[0]);
        assert_eq!(as_user(65534, &paths, &[job, victim]), 0, "nobody got in");
        let (st, events) = run.join().unwrap();
        assert_eq!(st, 200);
        assert_eq!(output(&events), "ready\n");
    });
    s.assert_healthy();
}

fn server_with_timeout() -> common::Server {
    common::server_with(10, |_| {})
}

#[test]
fn a_fifo_or_a_link_at_the_compiles_output_is_refused_without_hanging() {
    // A compile whose job was taken over could leave anything at its
    // output path. The run sandbox shows that folder read-only and the job
    // starts what is there inside it: the server never opens it.
    let _serial = common::one_at_a_time();
    let dir = std::env::temp_dir().join(format!("rsp-runner-iso-{}", std::process::id()));
    let layout = Layout { root: root(), dir: dir.join("runner") };
    let host = HostPaths {
        layout,
        toolchain: runner::prepare::find_sysroot().unwrap(),
        runner: env!("CARGO_BIN_EXE_runner").into(),
    };
    let budget = Budget { tmp_bytes: 16 << 20, ..Budget::default() };
    let iso = Isolation::detect(Mode::Require, host, budget).unwrap();
    let out = dir.join(format!("runner/run-{}/cache/out/zombie", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let secret = dir.join("secret");
    std::fs::write(&secret, "root's").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let exe = out.join("zombie");
    for what in ["fifo", "link"] {
        let _ = std::fs::remove_file(&exe);
        match what {
            "fifo" => {
                nix::unistd::mkfifo(&exe, nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap()
            }
            _ => std::os::unix::fs::symlink(&secret, &exe).unwrap(),
        }
        let started = Instant::now();
        let lines = rt.block_on(async {
            let kind = Kind::Run { slug: "zombie".into() };
            let mut sb = iso.start(&kind, 1).await.unwrap();
            let spec = runner::run::execute::spec(
                &sb.view,
                "zombie",
                None,
                Duration::from_secs(2),
                4096,
                None,
            )
            .unwrap();
            sb.send(&spec).await.unwrap();
            let mut lines = Vec::new();
            while let Ok(Some(l)) =
                tokio::time::timeout(Duration::from_secs(20), sb.next_line()).await
            {
                lines.push(l);
            }
            sb.finish().await;
            lines
        });
        let all = lines.join("\n");
        assert!(started.elapsed() < Duration::from_secs(10), "{what}: {all}");
        assert!(all.contains("cannot start the program"), "{what}: {all}");
        assert!(!all.contains("root's"), "{what}: {all}");
    }
    drop(rt);
    iso.remove();
    std::fs::remove_dir_all(&dir).unwrap();
}
