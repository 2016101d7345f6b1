//! The index is made from the records: a call a trace shows gets an entry
//! linked to its chapter's traces, a file a program reads gets one too.

#[test]
fn a_traced_call_and_a_read_file_are_listed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let store =
        std::env::temp_dir().join(format!("rsp-calls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let record = serde_json::json!({
        "cwd": "src/processes", "chapter": "processes/zombie.md",
        "args": ["zombie", "--strace", "trace=wait4"], "vary": [], "inputs": "",
        "ran_at": 0, "took_ms": 0.0, "stamp": "",
        "block": {"slug": "zombie", "command": "", "status": "exit status 0",
                  "output": "P1  made_up_call(P2) = 0\n", "error": null},
        "markdown": ""
    });
    std::fs::create_dir_all(store.join("src_processes")).unwrap();
    std::fs::write(
        store.join("src_processes/zombie-0.json"),
        record.to_string(),
    )
    .unwrap();
    let run = |kind: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_calls"))
            .arg(kind)
            .current_dir(&root)
            .env("RSP_STORE", &store)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let calls = run("syscalls");
    assert_eq!(
        calls,
        "- [`made_up_call`](https://man7.org/linux/man-pages/man2/made_up_call.2.html): \
         [zombie](processes/zombie.md#the-system-calls)\n"
    );
    // The zombie program reads /proc/<pid>/stat.
    let proc = run("proc");
    let stat = proc
        .lines()
        .find(|l| l.starts_with("- `/proc/<pid>/stat`: "))
        .unwrap_or_else(|| panic!("{proc}"));
    assert!(stat.contains("[zombie](processes/zombie.md)"), "{stat}");
    std::fs::remove_dir_all(&store).unwrap();
}
