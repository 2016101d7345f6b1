// A trait can require constants and types as well as functions; an impl
// that leaves them out is the same E0046.
trait Base {
    const NAME: &'static str;
    type Config;
    fn get_communicator_metadata() -> String;
}

struct Impl;

impl Base for Impl {
    fn get_communicator_metadata() -> String {
        "metadata from Impl".to_string()
    }
}

fn main() {
    println!("{}", Impl::get_communicator_metadata());
}
