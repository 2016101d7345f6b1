//! The hashable snippet: derived Eq + Hash finds an equal value, a manual Eq
//! that disagrees with the derived Hash does not, agreeing impls do, identity
//! hashing finds only the same object, and so does a hash by value with
//! identity equality (the note's Person2); E0277 without Eq + Hash; and clippy's
//! derived_hash_with_manual_eq on the disagreeing pair.
use snippet_support::{assert_rejects, compile_fail_file, run};

fn lines() -> Vec<String> {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_hashable"), &[]);
    assert!(status.success(), "{out}{err}");
    out.lines().map(String::from).collect()
}

/// The result line of `label` and the `set.get` line after it.
fn case(lines: &[String], label: &str) -> (String, String) {
    let i = lines
        .iter()
        .position(|l| l.split_whitespace().next() == Some(label))
        .unwrap_or_else(|| panic!("no line for {label}: {lines:?}"));
    let result = lines[i][label.len()..].trim().to_string();
    let get = lines.get(i + 1).cloned().unwrap_or_default();
    (result, get.trim().to_string())
}

#[test]
fn consistent_eq_and_hash_find_the_equal_value() {
    let l = lines();
    assert_eq!(
        case(&l, "Person"),
        (
            "a == b: true, hash(a) == hash(b): true, b in set: true".into(),
            r#"set.get(&b) -> Some(Person { name: "Alice", age: 20 })"#.into()
        )
    );
    assert_eq!(
        case(&l, "EqHashByName"),
        (
            "a == b: true, hash(a) == hash(b): true, b in set: true".into(),
            r#"set.get(&b) -> Some(EqHashByName { name: "Alice", age: 20 })"#
                .into()
        )
    );
}

#[test]
fn a_manual_eq_that_disagrees_with_the_derived_hash_loses_the_value() {
    let l = lines();
    assert_eq!(
        case(&l, "EqByName"),
        (
            "a == b: true, hash(a) == hash(b): false, b in set: false".into(),
            "set.get(&b) -> None".into()
        )
    );
}

#[test]
fn identity_hashing_finds_only_the_same_object() {
    let l = lines();
    let line = l.iter().find(|l| l.starts_with("ById")).unwrap();
    assert!(line.contains("the same object in set: true"), "{line}");
    assert!(line.contains("an equal twin in set: false"), "{line}");
}

#[test]
fn a_hash_set_of_a_plain_struct_is_e0277() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "no_hash"),
        "E0277",
    );
    assert!(
        msg.contains("the trait bound `Person: Eq` is not satisfied"),
        "{msg}"
    );
    assert!(
        msg.contains("the trait bound `Person: Hash` is not satisfied"),
        "{msg}"
    );
}

#[test]
fn clippy_rejects_a_derived_hash_next_to_a_manual_eq() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_hashable-clippy"), &[]);
    assert!(status.success(), "{out}{err}");
    assert!(
        out.contains("error: you are deriving `Hash` but have implemented `PartialEq` explicitly"),
        "{out}"
    );
    assert!(out.contains("--> lint/eq_by_name.rs:"), "{out}");
    assert!(
        out.contains(
            "`#[deny(clippy::derived_hash_with_manual_eq)]` on by default"
        ),
        "{out}"
    );
}

#[test]
fn a_key_changed_inside_the_set_is_found_under_neither_value() {
    let l = lines();
    let line = l.iter().find(|l| l.starts_with("Ticket")).unwrap();
    assert!(
        line.ends_with("contains(1) false, contains(2) false, len 1"),
        "{line}"
    );
}

#[test]
fn a_hash_by_value_with_identity_equality_finds_no_twin() {
    let l = lines();
    let line = l.iter().find(|l| l.starts_with("HashNoEq")).unwrap();
    assert_eq!(
        line,
        "HashNoEq      hash(a) == hash(b): true, a == b: false, b in set: false"
    );
}
