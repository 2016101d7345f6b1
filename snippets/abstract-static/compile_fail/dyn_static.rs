// A trait with an associated function without `self` cannot be used as
// `dyn Base`: a trait object has no type to call it on.
trait Base {
    fn get_communicator_metadata() -> String;
    fn name(&self) -> String;
}

struct Impl;

impl Base for Impl {
    fn get_communicator_metadata() -> String {
        "impl metadata".to_string()
    }
    fn name(&self) -> String {
        "Impl".to_string()
    }
}

fn main() {
    let all: Vec<Box<dyn Base>> = vec![Box::new(Impl)];
    for b in &all {
        println!("{}", b.name());
    }
}
