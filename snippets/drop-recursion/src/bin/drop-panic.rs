// A panic inside `drop` while another panic unwinds: Python would print
// "Exception ignored in __del__" and go on; Rust aborts the process.
use std::process::ExitCode;

// ANCHOR: noisy
/// A value whose destructor panics, like a `__del__` that raises.
struct Noisy;

impl Drop for Noisy {
    fn drop(&mut self) {
        let unwinding = std::thread::panicking();
        println!("drop: called while a panic unwinds: {unwinding}");
        panic!("a panic in drop");
    }
}

fn main() -> ExitCode {
    // One line per panic instead of the default hook's output, which
    // adds a whole backtrace for a panic during a panic.
    std::panic::set_hook(Box::new(|info| eprintln!("panic hook: {info}")));
    let caught = std::panic::catch_unwind(|| {
        let _inner = Noisy;
        panic!("the first panic");
    });
    // Never reached: the second panic, in `_inner`'s drop, aborts.
    eprintln!("drop-recursion: behaviour not seen: caught {caught:?}");
    ExitCode::FAILURE
}
// ANCHOR_END: noisy
