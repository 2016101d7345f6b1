// Note 7: `@attrs.define` writes `__init__`, `__repr__` and `__eq__` for a
// class. In Rust, `#[derive(...)]` writes trait implementations for a struct;
// a struct without it has no Debug and no `==` at all (see compile_fail/).
use std::fmt;
use std::process::ExitCode;

// ANCHOR: person
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
struct Person {
    name: String,
    age: u32,
    email: String,
}

impl Person {
    /// The `__init__`: an ordinary function, `new` only by convention.
    fn new(name: &str, age: u32, email: &str) -> Person {
        Person {
            name: name.to_string(),
            age,
            email: email.to_string(),
        }
    }
}
// ANCHOR_END: person

// ANCHOR: plain
/// Like the note's `Person2`: no decorator, so nothing is generated.
struct Person2 {
    name: String,
    age: u32,
    email: String,
}
// ANCHOR_END: plain

// ANCHOR: manual
/// What `#[derive(Debug)]` amounts to, written by hand.
struct Manual {
    name: String,
    age: u32,
    email: String,
}

impl fmt::Debug for Manual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Person")
            .field("name", &self.name)
            .field("age", &self.age)
            .field("email", &self.email)
            .finish()
    }
}
// ANCHOR_END: manual

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("derive: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let (alice, bob) = print_both()?;
    let (copy, older) = compare(&alice, &bob)?;
    more_derives(&alice, copy, older)
}

// ANCHOR: repr
/// The note's two prints: a derived Debug, and the default repr's stand-in.
fn print_both() -> Result<(Person, Person2), String> {
    let alice = Person::new("Alice", 30, "alice@example.com");
    println!("Print a `Person`, which derives Debug:");
    println!("{alice:?}");

    let bob = Person2 {
        name: "Bob".to_string(),
        age: 30,
        email: "bob@example.com".to_string(),
    };
    println!("Print a `Person2`, which derives nothing, by its address:");
    println!("<{} at {:p}>", std::any::type_name::<Person2>(), &bob);
    expect(
        format!("{alice:?}")
            == r#"Person { name: "Alice", age: 30, email: "alice@example.com" }"#,
        "derived Debug prints the name and every field",
    )?;
    Ok((alice, bob))
}
// ANCHOR_END: repr

// ANCHOR: eq
/// Derived equality compares fields; two Person2 are two objects.
fn compare(alice: &Person, bob: &Person2) -> Result<(Person, Person), String> {
    let copy = alice.clone();
    let older = Person {
        age: 31,
        ..alice.clone()
    };
    println!("alice == alice.clone()       -> {}", *alice == copy);
    println!("alice == older               -> {}", *alice == older);

    let bob2 = Person2 {
        name: bob.name.clone(), // no Clone to call: copy field by field
        age: bob.age,
        email: bob.email.clone(),
    };
    let same_fields =
        bob.name == bob2.name && bob.age == bob2.age && bob.email == bob2.email;
    println!("Person2: same fields         -> {same_fields}");
    println!(
        "Person2: std::ptr::eq        -> {}",
        std::ptr::eq(bob, &bob2)
    );
    expect(
        *alice == copy && *alice != older,
        "derived PartialEq compares fields",
    )?;
    expect(
        same_fields && !std::ptr::eq(bob, &bob2),
        "two Person2 are two objects",
    )?;
    Ok((copy, older))
}
// ANCHOR_END: eq

// ANCHOR: more
/// Default, Ord (a sort), the hand-written Debug, and `{:#?}`.
fn more_derives(
    alice: &Person,
    copy: Person,
    older: Person,
) -> Result<(), String> {
    println!("Person::default()            -> {:?}", Person::default());
    let mut people = [older, Person::new("Aaron", 40, "a@example.com"), copy];
    people.sort();
    let order: Vec<(&str, u32)> =
        people.iter().map(|p| (p.name.as_str(), p.age)).collect();
    println!("sorted by derived Ord        -> {order:?}");
    let manual = Manual {
        name: alice.name.clone(),
        age: alice.age,
        email: alice.email.clone(),
    };
    let same = format!("{manual:?}") == format!("{alice:?}");
    println!("hand-written Debug is equal  -> {same}");
    println!("{alice:#?}");
    expect(
        order == [("Aaron", 40), ("Alice", 30), ("Alice", 31)],
        "derived Ord compares name first, then age",
    )?;
    expect(same, "debug_struct gives the derived text")
}
// ANCHOR_END: more

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
