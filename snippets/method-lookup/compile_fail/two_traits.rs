// Two traits in scope give `Entity` a `describe(&self)`, and `Entity` has
// no inherent `describe` that would win first: `e.describe()` is ambiguous.
struct Entity;

trait Describe {
    fn describe(&self) -> &'static str;
}

trait Label {
    fn describe(&self) -> &'static str;
}

impl Describe for Entity {
    fn describe(&self) -> &'static str {
        "Describe"
    }
}

impl Label for Entity {
    fn describe(&self) -> &'static str {
        "Label"
    }
}

fn main() {
    let e = Entity;
    println!("{}", e.describe());
}
