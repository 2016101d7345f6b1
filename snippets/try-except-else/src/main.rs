// Note 11: Python's try / except / else (and finally). In Rust a failing
// step returns a Result: `match` gives the except and else branches, `?`
// passes the error up, a Drop guard is the finally, and catch_unwind stops
// a panic, which is a bug report rather than an exception.
use std::cell::RefCell;
use std::panic;
use std::process::ExitCode;

thread_local! {
    /// What each case did, in order, so that the program can check itself.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Prints one step and remembers it.
fn say(step: &str) {
    println!("  {step}");
    LOG.with(|l| l.borrow_mut().push(step.to_string()));
}

fn take_log() -> Vec<String> {
    LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

// ANCHOR: finally
/// `finally`: runs its closure when dropped, however the scope is left:
/// at its end, by `return` or `?`, or by a panic unwinding through it.
struct Finally<F: FnMut()>(F);

impl<F: FnMut()> Drop for Finally<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
// ANCHOR_END: finally

// ANCHOR: try_except_else
/// The `try` body: a step that can fail.
fn risky(fail: bool) -> Result<u32, String> {
    say("try");
    if fail {
        Err("boom".to_string())
    } else {
        Ok(42)
    }
}

fn try_except_else(fail: bool) {
    let _finally = Finally(|| say("finally"));
    match risky(fail) {
        Ok(value) => say(&format!("else: got {value}")),
        Err(e) => say(&format!("except: {e}")),
    }
}
// ANCHOR_END: try_except_else

// ANCHOR: question_mark
/// No except here: `?` hands the error to the caller; finally still runs.
fn propagate(fail: bool) -> Result<u32, String> {
    let _finally = Finally(|| say("finally"));
    let value = risky(fail)?;
    say(&format!("else: got {value}"));
    Ok(value)
}
// ANCHOR_END: question_mark

// ANCHOR: else_fails
fn validate(value: u32) -> Result<(), String> {
    if value > 10 {
        return Err(format!("{value} is too big"));
    }
    Ok(())
}

/// An error in the else branch is not the except branch's business.
fn else_fails() -> Result<(), String> {
    match risky(false) {
        Ok(value) => {
            say("else: validating");
            validate(value)?; // goes to the caller, not to the Err arm below
        }
        Err(e) => say(&format!("except: {e}")),
    }
    Ok(())
}
// ANCHOR_END: else_fails

// ANCHOR: panic
fn nth(values: &[u32], i: usize) -> u32 {
    values[i] // out of range: a bug, so a panic, not an Err
}

fn caught_panic() -> Result<u32, String> {
    let result = panic::catch_unwind(|| {
        let _finally = Finally(|| say("finally (while unwinding)"));
        say("try");
        nth(&[1, 2, 3], 3)
    });
    result.map_err(|payload| {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()));
        msg.unwrap_or_else(|| "a panic".to_string())
    })
}
// ANCHOR_END: panic

// ANCHOR: exit
/// `std::process::exit` ends the process where it stands: no destructor
/// runs, so the guard's `finally` never prints.
fn exit_skips_finally() -> ! {
    let _finally = Finally(|| say("finally"));
    say("try");
    say("std::process::exit(3)");
    std::process::exit(3);
}
// ANCHOR_END: exit

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("exit") => exit_skips_finally(),
        // Case 5 alone, for src/bin/panic-abort.rs's build with panic=abort.
        Some("panic") => {
            case_5();
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("try-except-else: {e}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: cases
/// The note's two cases, then `?`, an error in `else`, and a panic.
fn five_cases() {
    println!("Case 1: no error in try");
    try_except_else(false);
    println!("Case 2: an error in try");
    try_except_else(true);
    println!("Case 3: no except; ? passes the error up");
    let up = propagate(true);
    say(&format!("the caller got {up:?}"));
    println!("Case 4: an error in else");
    let up = else_fails();
    say(&format!("the caller got {up:?}"));
    case_5();
}

fn case_5() {
    println!("Case 5: a panic in try, stopped by catch_unwind");
    let caught = caught_panic();
    say(&format!("catch_unwind gave {caught:?}"));
}
// ANCHOR_END: cases

fn run() -> Result<(), String> {
    five_cases();
    let want = [
        "try",
        "else: got 42",
        "finally",
        "try",
        "except: boom",
        "finally",
        "try",
        "finally",
        "the caller got Err(\"boom\")",
        "try",
        "else: validating",
        "the caller got Err(\"42 is too big\")",
        "try",
        "finally (while unwinding)",
        "catch_unwind gave Err(\"index out of bounds: the len is 3 but the index is 3\")",
    ];
    let log = take_log();
    // The first step that differs, numbered from 1 as printed.
    let steps = log.len().max(want.len());
    match (0..steps)
        .find(|&i| log.get(i).map(String::as_str) != want.get(i).copied())
    {
        None => Ok(()),
        Some(i) => Err(format!(
            "behaviour not seen: step {} is {:?}, expected {:?}",
            i + 1,
            log.get(i).map_or("nothing", String::as_str),
            want.get(i).copied().unwrap_or("nothing")
        )),
    }
}
