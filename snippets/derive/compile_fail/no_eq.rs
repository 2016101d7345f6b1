// A plain struct has no `==` either: Python falls back to identity, Rust
// refuses to guess.
struct Person2 {
    name: String,
    age: u32,
}

fn main() {
    let a = Person2 {
        name: "Bob".to_string(),
        age: 30,
    };
    let b = Person2 {
        name: "Bob".to_string(),
        age: 30,
    };
    println!("{}", a == b);
}
