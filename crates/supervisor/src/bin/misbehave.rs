//! Test fixture for the supervisor: a "snippet" that misbehaves on purpose.
//! `misbehave MODE TOKEN`: the token stays in every process's command line so
//! a test can look for survivors.
use std::io::Write;

use nix::unistd::{fork, pause, setsid, ForkResult};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    println!("misbehave: {mode}");
    match mode.as_str() {
        "ok" => eprintln!("to stderr, after stdout"),
        "hang" => loop {
            pause();
        },
        "daemonize" => daemonize(),
        "panic" => panic!("on purpose"),
        "overflow" => println!("{}", recurse(1)),
        "flood" => {
            let line = [b'x'; 1023];
            let mut out = std::io::stdout().lock();
            for _ in 0..10 * 1024 {
                let _ = out.write_all(&line).and_then(|()| out.write_all(b"\n"));
            }
        }
        "fork-bomb-lite" => {
            // 64 sleeping processes in a chain, then the main exits.
            for _ in 0..6 {
                // SAFETY: single-threaded program; the child only loops and forks.
                if let Ok(ForkResult::Child) = unsafe { fork() } {
                    continue;
                }
            }
            pause();
        }
        _ => std::process::exit(64),
    }
}

/// setsid + double fork: the classic daemon, which escapes its process group
/// and its parent. The main process returns once the daemon is detached.
fn daemonize() {
    // SAFETY: single-threaded program; the children only call setsid/fork/pause.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let _ = setsid();
            if let Ok(ForkResult::Child) = unsafe { fork() } {
                loop {
                    pause();
                }
            }
            std::process::exit(0);
        }
        // Reap the middle process so exactly one daemon is left.
        Ok(ForkResult::Parent { child }) => {
            let _ = nix::sys::wait::waitpid(child, None);
        }
        Err(e) => panic!("fork: {e}"),
    }
}

#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 64]);
    recurse(pad[0] + 1) + pad[63]
}
