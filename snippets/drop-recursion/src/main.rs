// Note 3: Python ran `__del__` on an object whose attributes were gone. In
// Rust, Drop runs only for a value that was completely built: a constructor
// that fails half-way drops the parts it made, and the whole never existed.
use std::cell::RefCell;
use std::process::ExitCode;

thread_local! {
    /// What happened, in order, so that the program can check itself.
    static EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Prints one event and remembers it.
fn event(what: String) {
    println!("  {what}");
    EVENTS.with(|e| e.borrow_mut().push(what));
}

fn take_events() -> Vec<String> {
    EVENTS.with(|e| std::mem::take(&mut *e.borrow_mut()))
}

// ANCHOR: types
/// One resource, like an attribute that holds a file or a socket.
struct Part(&'static str);

impl Part {
    fn open(name: &'static str, fail: bool) -> Result<Part, String> {
        if fail {
            return Err(format!("cannot open {name}"));
        }
        event(format!("open {name}"));
        Ok(Part(name))
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        event(format!("drop Part {}", self.0));
    }
}

struct Conn {
    hello: Part,
    world: Part,
}

impl Conn {
    /// The `__init__`: the fields are made first, the `Conn` only at the end.
    fn new(fail_world: bool) -> Result<Conn, String> {
        let hello = Part::open("hello", false)?;
        let world = Part::open("world", fail_world)?; // on Err: `hello` is dropped
        Ok(Conn { hello, world })
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Every field is here: a Conn cannot exist without them.
        let (h, w) = (self.hello.0, self.world.0);
        event(format!("drop Conn (it sees {h} and {w})"));
    }
}
// ANCHOR_END: types

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("drop-recursion: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    built_then_dropped()?;
    failed_half_way()
}

// ANCHOR: built
/// A `Conn` that is built whole, then goes out of scope.
fn built_then_dropped() -> Result<(), String> {
    println!("Conn::new(false), then the Conn goes out of scope:");
    {
        let _conn = Conn::new(false)?;
    }
    expect(
        take_events()
            == [
                "open hello",
                "open world",
                "drop Conn (it sees hello and world)",
                "drop Part hello",
                "drop Part world",
            ],
        "Conn's drop first, then its fields in declaration order",
    )
}
// ANCHOR_END: built

// ANCHOR: failed
/// A `Conn` whose constructor fails at `world`.
fn failed_half_way() -> Result<(), String> {
    println!("Conn::new(true), which fails at `world`:");
    let result = Conn::new(true);
    println!("  -> {:?}", result.as_ref().map(|_| "a Conn"));
    expect(
        take_events() == ["open hello", "drop Part hello"],
        "a failed constructor drops what it made and runs no Drop for Conn",
    )?;
    expect(result.is_err(), "Conn::new(true) should fail")
}
// ANCHOR_END: failed

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
