//! A reader on another system is told at once, before the book's crates
//! compile (they are Linux programs and would fail with errors about them).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        eprintln!(
            "error: this book's programs are Linux programs (processes, /proc, ptrace, \
             O_DIRECT): run it on a Linux machine or VM, or in a Linux container that \
             allows ptrace, namespaces and cgroups (as `--privileged` does). The \
             published book shows every output without running anything."
        );
        std::process::exit(1);
    }
}
