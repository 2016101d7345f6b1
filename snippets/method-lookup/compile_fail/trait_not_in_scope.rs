// `nickname` comes from a trait that lives in a module and is not `use`d
// here: the method exists, but method lookup does not see it.
mod traits {
    pub trait Describe {
        fn nickname(&self) -> &'static str {
            "default value"
        }
    }

    impl Describe for super::Entity {}
}

struct Entity;

fn main() {
    let e = Entity;
    println!("{}", e.nickname());
}
