//! A reader on another system is told at once, before the book's crates
//! compile (they are Linux programs and would fail with errors about them).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        eprintln!(
            "error: this book's programs are Linux programs (processes, /proc, ptrace, \
             O_DIRECT). Run it on a Linux machine, in a Linux VM, or in a Linux container, \
             e.g. `docker run -it --privileged -v \"$PWD\":/book -w /book rust:bookworm`. \
             The published book shows every output without running anything."
        );
        std::process::exit(1);
    }
}
