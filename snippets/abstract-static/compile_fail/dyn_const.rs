// A trait with an associated constant cannot be used as `dyn`: a trait
// object has no type whose constant it could name.
trait Base {
    const NAME: &'static str;
    fn name(&self) -> &'static str;
}

struct Impl;

impl Base for Impl {
    const NAME: &'static str = "Impl";
    fn name(&self) -> &'static str {
        Self::NAME
    }
}

fn main() {
    let all: Vec<Box<dyn Base>> = vec![Box::new(Impl)];
    for b in &all {
        println!("{}", b.name());
    }
}
