//! The zombie snippet must show Z before wait, Z after drop, gone after wait,
//! and ECHILD with SIGCHLD ignored, from waitpid and from Child::wait.

#[test]
fn shows_the_zombie_then_reaps_it() {
    let lines = snippet_support::run_ok(env!("CARGO_BIN_EXE_zombie"), &[]);
    assert_eq!(lines.len(), 7, "{lines:#?}");
    assert!(lines[1].ends_with("state Some('Z')"), "{}", lines[1]);
    assert!(
        lines[2].starts_with("after drop(child)")
            && lines[2].ends_with("Some('Z')")
    );
    assert!(
        lines[3].contains("-> Exited(Pid(") && lines[3].ends_with(", 0)"),
        "{}",
        lines[3]
    );
    assert!(lines[4].ends_with("state None"), "{}", lines[4]);
    assert!(
        lines[5].contains("-> Err(ECHILD), state None"),
        "{}",
        lines[5]
    );
    assert!(
        lines[6].starts_with("and std's Child::wait() -> Err(")
            && lines[6].contains("code: 10"),
        "{}",
        lines[6]
    );
}
