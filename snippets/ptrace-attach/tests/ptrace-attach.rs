//! The ptrace-attach snippet: the same uid may attach to a dumpable process;
//! another uid, an undumpable target, root without CAP_SYS_PTRACE, an
//! existing tracer and a user namespace's root refuse; CAP_SYS_PTRACE and
//! the namespace's own child allow. Yama is reported as found. Without root
//! or user namespaces, it says what it could not do and exits 0.

fn run(deny: Option<&str>) -> Vec<String> {
    snippet_support::run_ok_denying(
        env!("CARGO_BIN_EXE_ptrace-attach"),
        &[],
        deny,
    )
}

fn yama_absent() -> bool {
    !std::path::Path::new("/proc/sys/kernel/yama/ptrace_scope").exists()
}

/// Each case's (attach, read), as the table shows them.
fn table(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            let cols: Vec<&str> = l[48..].split_whitespace().collect();
            (cols[0].to_string(), cols[1..].join(" "))
        })
        .collect()
}

#[test]
fn the_classic_rules_decide_without_yama() {
    let lines = run(None);
    assert!(lines[0].starts_with("Yama: /proc/sys/kernel/yama/ptrace_scope"));
    if !yama_absent() {
        return; // the rows then depend on the scope: the program checks them
    }
    assert_eq!(
        lines[1],
        "Yama at ptrace_scope 1 would also refuse cases 1, 6"
    );
    let (ok, no) = ("allowed", "EPERM");
    let want = [
        (ok, ok),
        (no, no),
        (no, no),
        (no, no),
        (ok, ok),
        (no, ok),
        (no, no),
        (no, no),
        (ok, ok),
    ];
    let seen = table(&lines);
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect();
    assert_eq!(seen, want, "{lines:#?}");
}

#[test]
fn without_root_it_says_so_and_exits_0() {
    let lines = run(Some("root"));
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("ptrace-attach: not possible here"),
        "{lines:#?}"
    );
    assert!(table(&lines).is_empty());
}

#[test]
fn without_user_namespaces_those_rows_say_so() {
    let lines = run(Some("user-namespace"));
    let rows: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("root of a user namespace"))
        .collect();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert!(
            row.ends_with("not possible here: unshare(CLONE_NEWUSER): EPERM"),
            "{row}"
        );
    }
}
