// Note 8: "Hashable objects which compare equal must have the same hash
// value." A Rust HashSet needs Eq + Hash (compile_fail/no_hash.rs), and when
// a hand-written Eq disagrees with a derived Hash, an equal value is not
// found. Every set here uses a fixed hasher, so each run hashes the same way.
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::process::ExitCode;

// ANCHOR: hasher
/// DefaultHasher::new() always starts from the same keys: no random seed.
type Fixed = BuildHasherDefault<DefaultHasher>;

fn hash_of<T: Hash>(value: &T) -> u64 {
    Fixed::default().hash_one(value)
}
// ANCHOR_END: hasher

// ANCHOR: types
/// Python's Person3: equality and hash over the same fields.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Person {
    name: String,
    age: u32,
}

/// Equal by name, hashed by name and age: the two disagree.
#[derive(Debug, Hash)]
#[allow(clippy::derived_hash_with_manual_eq)] // clippy refuses this by default
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

/// Equal by name, hashed by name: they agree.
#[derive(Debug)]
struct EqHashByName {
    name: String,
    #[allow(dead_code)] // read only by the derived Debug
    age: u32,
}

impl PartialEq for EqHashByName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for EqHashByName {}

impl Hash for EqHashByName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}
// ANCHOR_END: types

// ANCHOR: identity
/// Python's default: equal and hashed by identity (the address).
struct ById<'a>(&'a Person);

impl PartialEq for ById<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for ById<'_> {}

impl Hash for ById<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state);
    }
}
// ANCHOR_END: identity

// ANCHOR: ticket
/// A key whose hash can change after it went into a set: `Cell` allows it.
#[derive(PartialEq, Eq)]
struct Ticket {
    id: Cell<u32>,
}

impl Hash for Ticket {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.get().hash(state);
    }
}
// ANCHOR_END: ticket

/// Puts `stored` in a set with the fixed hasher, looks up `probe`, prints
/// what a hash set relies on and what it found; returns (equal, same hash,
/// found).
fn check<T: Eq + Hash + Debug>(
    label: &str,
    stored: T,
    probe: &T,
) -> (bool, bool, bool) {
    let equal = &stored == probe;
    let same_hash = hash_of(&stored) == hash_of(probe);
    let set: HashSet<T, Fixed> = HashSet::from_iter([stored]);
    let found = set.contains(probe);
    println!("{label:<13} a == b: {equal}, hash(a) == hash(b): {same_hash}, b in set: {found}");
    println!("{:<13} set.get(&b) -> {:?}", "", set.get(probe));
    (equal, same_hash, found)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hashable: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    // ANCHOR: checks
    println!(
        "a = Alice, 20;  b = Alice, 20 (Person)  or  Alice, 21 (the others)"
    );
    let (name, a_age, b_age) = ("Alice", 20, 21);
    let person = check(
        "Person",
        Person {
            name: name.into(),
            age: a_age,
        },
        &Person {
            name: name.into(),
            age: a_age,
        },
    );
    let broken = check(
        "EqByName",
        EqByName {
            name: name.into(),
            age: a_age,
        },
        &EqByName {
            name: name.into(),
            age: b_age,
        },
    );
    let fixed = check(
        "EqHashByName",
        EqHashByName {
            name: name.into(),
            age: a_age,
        },
        &EqHashByName {
            name: name.into(),
            age: b_age,
        },
    );
    // ANCHOR_END: checks
    expect(person == (true, true, true), "derived Eq + Hash: found")?;
    expect(
        broken == (true, false, false),
        "equal values with different hashes: not found",
    )?;
    expect(fixed == (true, true, true), "hash agreeing with eq: found")?;

    // ANCHOR: by_id
    let alice = Person {
        name: name.into(),
        age: a_age,
    };
    let twin = Person {
        name: name.into(),
        age: a_age,
    };
    let mut ids: HashSet<ById, Fixed> = HashSet::default();
    ids.insert(ById(&alice));
    let same = ids.contains(&ById(&alice));
    let other = ids.contains(&ById(&twin));
    println!("ById          the same object in set: {same}  an equal twin in set: {other}");
    // ANCHOR_END: by_id
    expect(
        same && !other,
        "identity hashing finds only the same object",
    )?;

    // ANCHOR: mutate
    #[allow(clippy::mutable_key_type)] // clippy warns about exactly this
    let mut tickets: HashSet<Ticket, Fixed> = HashSet::default();
    tickets.insert(Ticket { id: Cell::new(1) });
    if let Some(stored) = tickets.iter().next() {
        stored.id.set(2); // through a shared reference: Cell allows it
    }
    let as_1 = tickets.contains(&Ticket { id: Cell::new(1) });
    let as_2 = tickets.contains(&Ticket { id: Cell::new(2) });
    let len = tickets.len();
    println!("Ticket        id 1 changed to 2 inside the set: contains(1) {as_1}, contains(2) {as_2}, len {len}");
    // ANCHOR_END: mutate
    expect(
        !as_1 && !as_2 && len == 1,
        "a key mutated in place is found under neither value",
    )?;
    Ok(())
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
