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

fn main() -> ExitCode {
    // ANCHOR: main
    let mut obj = Obj {
        hello: Some("hello world".to_string()),
    };
    println!("{} (len {}, through Deref)", &*obj, obj.len());
    obj.hello = None; // the note's missing attribute
    drop(obj); // drop -> len -> deref -> trim -> deref -> trim -> ...
               // ANCHOR_END: main
    eprintln!("drop-recursion: behaviour not seen: the recursion ended");
    ExitCode::FAILURE
}
