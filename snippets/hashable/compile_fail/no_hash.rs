// The note's first `Person` defines neither __eq__ nor __hash__. Python
// falls back to identity; a Rust HashSet asks for Eq and Hash and gets
// neither.
use std::collections::HashSet;

struct Person {
    name: String,
    age: u32,
}

fn main() {
    let mut set = HashSet::new();
    set.insert(Person {
        name: "Alice".to_string(),
        age: 20,
    });
}
