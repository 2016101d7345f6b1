//! The process-title snippet: comm cut to 15 bytes while cmdline is
//! untouched; argv rewritten in place shows in cmdline and in ps, NULs and
//! all; a thread's comm cut by std while glibc would refuse the name;
//! argv[0] chosen by the caller of exec; PR_SET_MM_MAP for a longer title.

fn run(args: &[&str]) -> Vec<String> {
    snippet_support::run_ok(env!("CARGO_BIN_EXE_process-title"), args)
}

fn find<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in {lines:#?}"))
}

/// The `ps` line of this process after the header that ends with `when`.
fn ps_after<'a>(lines: &'a [String], when: &str) -> &'a str {
    let at = lines
        .iter()
        .position(|l| {
            l.starts_with("$ ps -o pid,comm,args")
                && l.ends_with(&format!("({when})"))
        })
        .unwrap_or_else(|| panic!("no ps after {when}: {lines:#?}"));
    assert_eq!(
        lines[at + 1].split_whitespace().collect::<Vec<_>>(),
        ["PID", "COMMAND", "COMMAND"]
    );
    &lines[at + 2]
}

#[test]
fn a_long_name_is_cut_to_15_bytes_and_cmdline_is_untouched() {
    let lines = run(&[]);
    assert_eq!(
        find(&lines, "comm after:"),
        "comm after:   \"my_rust_process\" (15 bytes + NUL = 16)"
    );
    assert_eq!(
        find(&lines, "PR_GET_NAME:"),
        "PR_GET_NAME:  \"my_rust_process\""
    );
    let cmdline = find(&lines, "cmdline:");
    assert!(
        cmdline.ends_with("process-title\"] (untouched)"),
        "{cmdline}"
    );
    let ps: Vec<&str> = ps_after(&lines, "after PR_SET_NAME")
        .split_whitespace()
        .collect();
    assert_eq!(ps[1], "my_rust_process");
    assert!(ps[2].ends_with("process-title"), "{ps:?}");
}

#[test]
fn rewriting_argv_changes_cmdline_and_ps_but_not_comm() {
    let lines = run(&[]);
    let area = find(&lines, "argv area:");
    assert!(
        area.ends_with("writing \"my_rust_process_title\" and NULs"),
        "{area}"
    );
    // The rest of the area is NULs: one empty argument each, none dropped.
    let bytes: usize = area.split_whitespace().nth(2).unwrap().parse().unwrap();
    let empty =
        vec!["\"\""; bytes - "my_rust_process_title".len() - 1].join(", ");
    let at = lines
        .iter()
        .position(|l| l.starts_with("argv area:"))
        .unwrap();
    assert_eq!(
        lines[at + 1],
        format!("cmdline:      [\"my_rust_process_title\", {empty}]")
    );
    assert_eq!(
        lines[at + 2],
        "comm:         \"my_rust_process\" (untouched)"
    );
    let ps: Vec<&str> = ps_after(&lines, "after rewriting argv")
        .split_whitespace()
        .collect();
    assert_eq!(ps[1..], ["my_rust_process", "my_rust_process_title"]);
}

#[test]
fn std_cuts_a_thread_name_that_glibc_would_refuse() {
    let lines = run(&[]);
    let at = lines
        .iter()
        .position(|l| l.starts_with("thread::Builder::name("))
        .unwrap();
    assert_eq!(
        lines[at + 1],
        "  thread::current().name(): Some(\"worker-thread-with-a-long-name\")"
    );
    assert_eq!(
        lines[at + 2],
        "  /proc/thread-self/comm:   \"worker-thread-w\""
    );
    assert!(
        lines[at + 3]
            .starts_with("  pthread_setname_np(the same name) -> 34 (ERANGE"),
        "{}",
        lines[at + 3]
    );
}

#[test]
fn the_caller_of_exec_picks_argv0() {
    let lines = run(&[]);
    let n = lines.len();
    assert_eq!(lines[n - 2], "exec'd with argv[0] \"any-argv0-you-like\":");
    assert_eq!(
        lines[n - 1],
        "  comm \"process-title\", cmdline [\"any-argv0-you-like\"]"
    );
}

#[test]
fn pr_set_mm_map_gives_a_longer_title_without_privilege() {
    let lines = run(&["set-mm"]);
    let title = "my_rust_process_title: longer than argv ever was";
    assert!(
        find(&lines, "prctl(PR_SET_MM, PR_SET_MM_MAP").ends_with(") -> 0"),
        "{lines:#?}"
    );
    assert_eq!(
        find(&lines, "cmdline:"),
        format!("cmdline:      [\"{title}\"]")
    );
    let ps = ps_after(&lines, "after PR_SET_MM_MAP");
    assert!(ps.ends_with(&format!("process-title   {title}")), "{ps}");
}
