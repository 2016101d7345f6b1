// Note 9: Python's `set.update` with an element equal to one already in the
// set keeps the original object. Rust's HashSet::insert and extend do the
// same; `replace` swaps it; HashMap::insert keeps the key and replaces the
// value. `id` is outside equality, so it shows which value is stored.
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::process::ExitCode;

// ANCHOR: person
/// Equal, hashed and ordered by (name, age); `id` plays Python's `id()`.
struct Person {
    name: &'static str,
    age: u32,
    id: &'static str,
}

fn alice(id: &'static str) -> Person {
    Person {
        name: "Alice",
        age: 20,
        id,
    }
}

impl PartialEq for Person {
    fn eq(&self, other: &Self) -> bool {
        (self.name, self.age) == (other.name, other.age)
    }
}

impl Eq for Person {}

impl Hash for Person {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.name, self.age).hash(state);
    }
}

impl Ord for Person {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.name, self.age).cmp(&(other.name, other.age))
    }
}

impl PartialOrd for Person {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
// ANCHOR_END: person

/// The ids of what a collection holds, in its iteration order.
fn ids<'a>(people: impl IntoIterator<Item = &'a Person>) -> Vec<&'static str> {
    people.into_iter().map(|p| p.id).collect()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("set-update: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    set_with_equal_elements()?;
    let map = map_with_an_equal_key()?;
    swap_the_key(map)?;
    btree_set()
}

// ANCHOR: set
/// `insert`, `extend` (Python's `s.update`) and `replace` of an element
/// equal to the one the set holds.
fn set_with_equal_elements() -> Result<(), String> {
    let mut set = HashSet::from([alice("alice1")]);
    println!("{:<40} holds {:?}", "HashSet::from([alice1])", ids(&set));

    let inserted = set.insert(alice("alice2"));
    println!(
        "{:<40} holds {:?}",
        format!("insert(alice2) -> {inserted}"),
        ids(&set)
    );

    set.extend([alice("alice3")]); // Python's s.update([alice3])
    let after_extend = ids(&set);
    println!("{:<40} holds {after_extend:?}", "extend([alice3])");

    let replaced = set.replace(alice("alice4"));
    let old = replaced.as_ref().map(|p| p.id);
    println!(
        "{:<40} holds {:?}",
        format!("replace(alice4) -> {old:?}"),
        ids(&set)
    );
    expect(!inserted, "insert of an equal value returns false")?;
    expect(after_extend == ["alice1"], "extend keeps the original")?;
    expect(old == Some("alice1"), "replace returns the original")?;
    expect(
        ids(&set) == ["alice4"],
        "after replace the set holds the new value",
    )
}
// ANCHOR_END: set

// ANCHOR: map
/// A map keeps the key it has and replaces the value.
fn map_with_an_equal_key() -> Result<HashMap<Person, &'static str>, String> {
    let mut map = HashMap::from([(alice("alice1"), "first")]);
    let previous = map.insert(alice("alice2"), "second");
    let (key, value) = map.iter().next().ok_or("empty map")?;
    println!(
        "{:<40} holds {:?} => {value:?}",
        format!("HashMap insert(alice2) -> {previous:?}"),
        key.id
    );
    expect(previous == Some("first"), "the old value is returned")?;
    expect(
        key.id == "alice1" && *value == "second" && map.len() == 1,
        "the key is kept and the value replaced",
    )?;
    Ok(map)
}
// ANCHOR_END: map

// ANCHOR: swap_key
/// The only way to change the key: take the entry out, insert anew.
fn swap_the_key(mut map: HashMap<Person, &'static str>) -> Result<(), String> {
    let (old_key, value) =
        map.remove_entry(&alice("probe")).ok_or("no entry")?;
    map.insert(alice("alice5"), value);
    let (key, value) = map.iter().next().ok_or("empty map")?;
    println!(
        "{:<40} holds {:?} => {value:?}",
        format!("remove_entry -> {:?}, insert(alice5)", old_key.id),
        key.id
    );
    expect(
        old_key.id == "alice1" && key.id == "alice5" && *value == "second",
        "remove_entry then insert swaps the key",
    )
}
// ANCHOR_END: swap_key

// ANCHOR: btree
/// An ordered set, which uses `Ord` instead of `Hash`.
fn btree_set() -> Result<(), String> {
    let mut tree = BTreeSet::from([alice("alice1")]);
    let inserted = tree.insert(alice("alice2"));
    println!(
        "{:<40} holds {:?}",
        format!("BTreeSet insert(alice2) -> {inserted}"),
        ids(&tree)
    );
    expect(
        !inserted && ids(&tree) == ["alice1"],
        "BTreeSet keeps the original too",
    )
}
// ANCHOR_END: btree

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
