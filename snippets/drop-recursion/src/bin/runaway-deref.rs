// Note 3's recursion in Rust: a Drop that reads through a Deref which, for a
// missing value, looks itself up again. Nothing stops it but the stack.
use std::ops::Deref;
use std::process::ExitCode;

// ANCHOR: obj
struct Obj {
    hello: Option<String>, // an Option is how a Rust field can be "absent"
}

impl Deref for Obj {
    type Target = str;

    /// Like the note's `__getattr__`: the fallback for names `Obj` lacks.
    fn deref(&self) -> &str {
        match &self.hello {
            Some(hello) => hello,
            // `trim` is not a method of Obj, so method lookup goes through
            // Deref, that is, calls this very function again.
            None => self.trim(),
        }
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        println!("Call drop");
        let n = self.len(); // `len` is a method of str: found through Deref
        println!("len is {n}");
    }
}
// ANCHOR_END: obj

// ANCHOR: main
fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("thread") {
        return in_a_thread_with_a_big_stack();
    }
    lose_hello_then_drop();
    eprintln!("drop-recursion: behaviour not seen: the recursion ended");
    ExitCode::FAILURE
}

/// The note's object: complete at first, then its `hello` goes missing.
fn lose_hello_then_drop() {
    let mut obj = Obj {
        hello: Some("hello world".to_string()),
    };
    println!("{} (len {}, through Deref)", &*obj, obj.len());
    // The note's missing attribute, then its destruction:
    obj.hello = None;
    // drop -> len -> deref -> trim -> deref -> trim -> ...
    drop(obj);
}
// ANCHOR_END: main

// ANCHOR: thread
/// The same in a thread whose stack is 64 MiB, eight times the usual main
/// thread's: the recursion takes longer to hit the guard page, and then
/// aborts the whole process, main thread included.
fn in_a_thread_with_a_big_stack() -> ExitCode {
    println!("main: starting thread 'big-stack' with a 64 MiB stack");
    let worker = std::thread::Builder::new()
        .name("big-stack".into())
        .stack_size(64 << 20)
        .spawn(lose_hello_then_drop);
    match worker.map(|w| w.join()) {
        Ok(Ok(())) => eprintln!("main: behaviour not seen: it returned"),
        Ok(Err(_)) => {
            eprintln!("main: behaviour not seen: only the thread died")
        }
        Err(e) => eprintln!("main: cannot start the thread: {e}"),
    }
    ExitCode::FAILURE
}
// ANCHOR_END: thread
