// The note's Base/Impl pair in Rust: `Impl` does not provide the associated
// function. Nothing ever creates an `Impl`, and it is still an error.
trait Base {
    fn get_communicator_metadata() -> String;
}

struct Impl;

impl Base for Impl {}

fn main() {}
