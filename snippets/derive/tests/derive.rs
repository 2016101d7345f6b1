//! The derive snippet: derived Debug/PartialEq/Default/Ord output, an address
//! for the plain struct, a hand-written Debug equal to the derived one; and
//! E0277 / E0369 for the plain struct.
use snippet_support::{assert_rejects, compile_fail_file, run};

fn lines() -> Vec<String> {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_derive"), &[]);
    assert!(status.success(), "{out}{err}");
    out.lines().map(String::from).collect()
}

#[test]
fn derived_debug_and_an_address_for_the_plain_struct() {
    let l = lines();
    assert_eq!(
        l[1],
        r#"Person { name: "Alice", age: 30, email: "alice@example.com" }"#
    );
    let addr = l[3]
        .strip_prefix("<derive::Person2 at 0x")
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or_else(|| panic!("not an address line: {}", l[3]));
    assert!(
        !addr.is_empty() && addr.chars().all(|c| c.is_ascii_hexdigit()),
        "{}",
        l[3]
    );
}

#[test]
fn derived_eq_compares_fields_and_plain_structs_only_have_identity() {
    let l = lines();
    let val = |prefix: &str| {
        let line = l.iter().find(|x| x.starts_with(prefix)).unwrap();
        line.rsplit_once("-> ").unwrap().1.to_string()
    };
    assert_eq!(val("alice == alice.clone()"), "true");
    assert_eq!(val("alice == older"), "false");
    assert_eq!(val("Person2: same fields"), "true");
    assert_eq!(val("Person2: std::ptr::eq"), "false");
    assert_eq!(
        val("Person::default()"),
        r#"Person { name: "", age: 0, email: "" }"#
    );
    assert_eq!(
        val("sorted by derived Ord"),
        r#"[("Aaron", 40), ("Alice", 30), ("Alice", 31)]"#
    );
    assert_eq!(val("hand-written Debug is equal"), "true");
}

#[test]
fn pretty_debug_puts_one_field_per_line() {
    let l = lines();
    let start = l.iter().position(|x| x == "Person {").unwrap();
    assert_eq!(
        l[start..],
        [
            "Person {",
            "    name: \"Alice\",",
            "    age: 30,",
            "    email: \"alice@example.com\",",
            "}"
        ]
    );
}

#[test]
fn a_plain_struct_has_no_debug_and_no_eq() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let msg = assert_rejects(compile_fail_file(dir, "no_debug"), "E0277");
    assert!(msg.contains("`Person2` doesn't implement `Debug`"), "{msg}");
    let msg = assert_rejects(compile_fail_file(dir, "no_eq"), "E0369");
    assert!(
        msg.contains(
            "binary operation `==` cannot be applied to type `Person2`"
        ),
        "{msg}"
    );
}
