// Input for clippy (src/bin/hashable-clippy.rs): equality by name only,
// next to a derived Hash over name and age. rustc accepts this file.
use std::collections::HashSet;

#[derive(Hash)]
struct EqByName {
    name: String,
    age: u32,
}

impl PartialEq for EqByName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for EqByName {}

fn main() {
    let set = HashSet::from([EqByName {
        name: "Alice".to_string(),
        age: 20,
    }]);
    let older = EqByName {
        name: "Alice".to_string(),
        age: 21,
    };
    println!("{} {}", older.age, set.contains(&older));
}
