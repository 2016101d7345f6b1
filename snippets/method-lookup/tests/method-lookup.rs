//! The method-lookup snippet: which field or method each expression reached,
//! and how many times `Deref::deref` ran for it; getattr as a table from
//! names to fields; E0609 for a name that neither the type nor its Deref
//! target has, E0034 for two traits with one method name, E0599 for a trait
//! that is not in scope.
use snippet_support::{assert_rejects, compile_fail_file, run};

/// (expression, result, deref calls) for every lookup line.
fn lookups() -> Vec<(String, String, u32)> {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_method-lookup"), &[]);
    assert!(status.success(), "{out}{err}");
    out.lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| {
            let (expr, rest) = l.trim().split_once(" -> ").unwrap();
            let (got, calls) = rest.rsplit_once(" [deref calls: ").unwrap();
            let calls = calls.trim_end_matches(']').parse().unwrap();
            (expr.trim().to_string(), got.to_string(), calls)
        })
        .collect()
}

fn find(all: &[(String, String, u32)], expr: &str) -> (String, u32) {
    let (_, got, calls) = all
        .iter()
        .find(|(e, _, _)| e == expr)
        .unwrap_or_else(|| panic!("no line for {expr}: {all:?}"));
    (got.clone(), *calls)
}

#[test]
fn the_types_own_names_win_without_calling_deref() {
    let all = lookups();
    assert_eq!(find(&all, "e.existing"), ("I exist".into(), 0));
    assert_eq!(
        find(&all, "e.describe()"),
        ("Entity::describe (inherent)".into(), 0)
    );
    assert_eq!(find(&all, "(*e).existing"), ("Extra's existing".into(), 1));
}

#[test]
fn missing_names_are_found_through_deref() {
    let all = lookups();
    assert_eq!(find(&all, "e.dynamic"), ("I am dynamic!".into(), 1));
    assert_eq!(
        find(&all, "e.shout()"),
        ("Extra::shout (inherent, on the Deref target)".into(), 1)
    );
}

#[test]
fn getattr_is_a_table_from_names_to_fields_with_unwrap_or_as_the_default() {
    let all = lookups();
    assert_eq!(
        find(&all, "getattr(&e, \"existing\")"),
        ("I exist".into(), 0)
    );
    assert_eq!(
        find(&all, "getattr(&e, \"dynamic\")"),
        ("I am dynamic!".into(), 1)
    );
    assert_eq!(
        find(&all, "getattr(..).unwrap_or(\"default value\")"),
        ("default value".into(), 0)
    );
}

#[test]
fn paths_name_exactly_one_function() {
    let all = lookups();
    assert_eq!(
        find(&all, "<Entity as Describe>::describe(&e)"),
        ("<Entity as Describe>::describe (trait)".into(), 0)
    );
    assert_eq!(
        find(&all, "Extra::describe(&e)"),
        ("Extra::describe (inherent, on the Deref target)".into(), 1)
    );
}

#[test]
fn default_bodies_and_autoref_order() {
    let all = lookups();
    assert_eq!(
        find(&all, "e.nickname()"),
        ("default value (Describe's default body)".into(), 0)
    );
    assert_eq!(
        find(&all, "e.touch()"),
        ("<Entity as Touch>::touch(&self) (trait)".into(), 0)
    );
    assert_eq!(
        find(&all, "Entity::touch(&mut e)"),
        ("Entity::touch(&mut self) (inherent)".into(), 0)
    );
    assert_eq!(all.len(), 13, "{all:?}");
}

#[test]
fn two_traits_with_one_method_name_are_e0034() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "two_traits"),
        "E0034",
    );
    assert!(msg.contains("multiple applicable items in scope"), "{msg}");
    assert!(
        msg.contains("Describe::describe(&e)")
            && msg.contains("Label::describe(&e)"),
        "{msg}"
    );
}

#[test]
fn a_trait_that_is_not_in_scope_is_e0599_with_the_use_line() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "trait_not_in_scope"),
        "E0599",
    );
    assert!(
        msg.contains(
            "items from traits can only be used if the trait is in scope"
        ),
        "{msg}"
    );
    assert!(msg.contains("use crate::traits::Describe;"), "{msg}");
}

#[test]
fn a_name_nobody_has_is_e0609_and_rustc_searched_the_deref_target() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "non_existent"),
        "E0609",
    );
    assert!(
        msg.contains("no field `non_existent` on type `Entity`"),
        "{msg}"
    );
    assert!(msg.contains("available field is: `dynamic`"), "{msg}");
}
