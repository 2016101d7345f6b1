// A plain struct: no derive, so no Debug and no ==.
struct Person2 {
    name: String,
    age: u32,
    email: String,
}

fn main() {
    let bob = Person2 {
        name: "Bob".to_string(),
        age: 30,
        email: "bob@example.com".to_string(),
    };
    println!("{:?}", bob);
}
