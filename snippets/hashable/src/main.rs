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

// ANCHOR: person2
/// Python's Person2: `__hash__` by value, and `__eq__` left to the default,
/// identity.
struct HashNoEq<'a>(&'a Person);

impl PartialEq for HashNoEq<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for HashNoEq<'_> {}

impl Hash for HashNoEq<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state); // Person's derived Hash: name and age
    }
}
// ANCHOR_END: person2

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

/// Three answers about a lookup.
type Found = (bool, bool, bool);

/// Puts `stored` in a set with the fixed hasher, looks up `probe`, prints
/// what a hash set relies on and what it found; returns (equal, same hash,
/// found).
fn check<T: Eq + Hash + Debug>(label: &str, stored: T, probe: &T) -> Found {
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
    let (person, broken, fixed) = three_element_types();
    expect(person == (true, true, true), "derived Eq + Hash: found")?;
    expect(
        broken == (true, false, false),
        "equal values with different hashes: not found",
    )?;
    expect(fixed == (true, true, true), "hash agreeing with eq: found")?;
    let (same, other) = by_identity();
    expect(
        same && !other,
        "identity hashing finds only the same object",
    )?;
    let (same_hash, equal, found) = hash_without_eq();
    expect(
        same_hash && !equal && !found,
        "a hash by value with identity equality finds no twin",
    )?;
    let (as_1, as_2, len) = mutate_a_key();
    expect(
        !as_1 && !as_2 && len == 1,
        "a key mutated in place is found under neither value",
    )
}

// ANCHOR: checks
/// Each type in a set as `a`, then a lookup of `b`: (Alice, 20) again for
/// Person, (Alice, 21) for the two that compare names only.
fn three_element_types() -> (Found, Found, Found) {
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
    (person, broken, fixed)
}
// ANCHOR_END: checks

/// Two Persons with the same fields: the note's `Person('Alice', 20)` twice.
fn alice_and_twin() -> (Person, Person) {
    let alice = || Person {
        name: "Alice".into(),
        age: 20,
    };
    (alice(), alice())
}

// ANCHOR: by_id
/// Python's default: `alice` is found, her equal twin is not.
fn by_identity() -> (bool, bool) {
    let (alice, twin) = alice_and_twin();
    let mut ids: HashSet<ById<'_>, Fixed> = HashSet::default();
    ids.insert(ById(&alice));
    let same = ids.contains(&ById(&alice));
    let other = ids.contains(&ById(&twin));
    println!("ById          the same object in set: {same}  an equal twin in set: {other}");
    (same, other)
}
// ANCHOR_END: by_id

// ANCHOR: hash_no_eq
/// Python's Person2: the twin hashes like `alice`, is not equal to her,
/// and is not found.
fn hash_without_eq() -> Found {
    let (alice, twin) = alice_and_twin();
    let (a, b) = (HashNoEq(&alice), HashNoEq(&twin));
    let same_hash = hash_of(&a) == hash_of(&b);
    let equal = a == b;
    let set: HashSet<HashNoEq<'_>, Fixed> = HashSet::from_iter([a]);
    let found = set.contains(&b);
    println!("HashNoEq      hash(a) == hash(b): {same_hash}, a == b: {equal}, b in set: {found}");
    (same_hash, equal, found)
}
// ANCHOR_END: hash_no_eq

// ANCHOR: mutate
/// A key changed through a `Cell` while it is in the set.
fn mutate_a_key() -> (bool, bool, usize) {
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
    (as_1, as_2, len)
}
// ANCHOR_END: mutate

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
