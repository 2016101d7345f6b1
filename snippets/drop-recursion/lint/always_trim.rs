// The runaway Deref without its `Some` arm: `deref` is only `self.trim()`,
// so it cannot return without calling itself, and rustc says so. The
// program compiles; run, it would overflow its stack like runaway-deref.
use std::ops::Deref;

struct Obj {
    hello: Option<String>,
}

impl Deref for Obj {
    type Target = str;

    fn deref(&self) -> &str {
        self.trim() // `trim` is on str: found through Deref, i.e. here
    }
}

fn main() {
    let obj = Obj { hello: None };
    println!("{} {}", obj.hello.is_none(), obj.len());
}
