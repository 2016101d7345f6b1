//! The set-update snippet: insert and extend keep the stored element,
//! replace swaps it, HashMap::insert keeps the key and replaces the value,
//! remove_entry + insert swaps a key, BTreeSet::insert keeps the original.
use snippet_support::run;

#[test]
fn each_operation_keeps_or_swaps_the_stored_value_as_documented() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_set-update"), &[]);
    assert!(status.success(), "{out}{err}");
    let rows: Vec<(String, String)> = out
        .lines()
        .map(|l| {
            let (op, held) = l.rsplit_once(" holds ").unwrap();
            (op.trim().to_string(), held.to_string())
        })
        .collect();
    let want = [
        ("HashSet::from([alice1])", r#"["alice1"]"#),
        ("insert(alice2) -> false", r#"["alice1"]"#),
        ("extend([alice3])", r#"["alice1"]"#),
        (r#"replace(alice4) -> Some("alice1")"#, r#"["alice4"]"#),
        (
            r#"HashMap insert(alice2) -> Some("first")"#,
            r#""alice1" => "second""#,
        ),
        (
            r#"remove_entry -> "alice1", insert(alice5)"#,
            r#""alice5" => "second""#,
        ),
        ("BTreeSet insert(alice2) -> false", r#"["alice1"]"#),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(rows, want);
}
