//! The heap-dump snippet: the dump the target prints on SIGUSR1 counts the
//! 10 000 known 64-byte strings exactly, glibc holds them, the observer reads
//! one of them and counts all of them from outside with process_vm_readv,
//! and the target is gone afterwards.

fn run() -> Vec<String> {
    snippet_support::run_ok(env!("CARGO_BIN_EXE_heap-dump"), &[])
}

fn line<'a>(lines: &'a [String], start: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| {
            panic!("no line starting with {start:?}: {lines:#?}")
        })
}

/// The number after `key` on `line` (`uordblks=807200` -> 807200).
fn number(line: &str, key: &str) -> usize {
    let rest =
        &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}"))
            + key.len()..];
    let digits: String =
        rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

#[test]
fn the_dump_matches_the_known_allocations() {
    let lines = run();
    // The allocator's table: exactly the known objects since the baseline.
    assert!(
        line(&lines, "<= 64 ").starts_with(
            "  <= 64       +10000 allocs   +640000 B    (live now: "
        ),
        "{lines:#?}"
    );
    assert!(
        line(&lines, "> 128 KiB")
            .starts_with("  > 128 KiB       +1 allocs   +240000 B"),
        "the Vec<String> of 10000 x 24 bytes: {lines:#?}"
    );
    assert!(line(&lines, "total")
        .starts_with("  total       +10001 allocs   +880000 B"));
    // Only the two classes that changed are listed, and the total.
    let rows: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(" allocs ") && l.contains("(live now: "))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert!(lines
        .iter()
        .any(|l| l
            == "  (9 of the 11 size classes have no new blocks: not shown)"));
    let live64 = number(line(&lines, "<= 64 "), "(live now: ");
    assert!(live64 >= 10_000);

    // glibc: 64-byte requests get 72 usable bytes (80-byte chunks); the
    // 240000-byte Vec is one mmapped chunk.
    assert!(line(&lines, "target: ready").ends_with("(malloc_usable_size 72)"));
    let info = line(&lines, "glibc mallinfo2:");
    assert!(number(info, "uordblks=") >= 10_000 * 80, "{info}");
    assert!(number(info, "hblks=") >= 1, "{info}");
    assert!(number(info, "hblkhd=") >= 240_000, "{info}");
    assert!(line(&lines, "<total type=\"mmap\"")
        .trim_start()
        .starts_with("<total type=\"mmap\" count=\""));

    // From outside: the string, all 10000 of them in [heap], EFAULT at 0.
    assert!(line(&lines, "observer: [heap] is").ends_with("#4242 lies in it"));
    assert!(line(&lines, "observer: process_vm_readv(target, 0x")
        .ends_with("-> \"known object #04242: written by the target\""));
    assert!(line(&lines, "observer: read all ")
        .ends_with(": 10000 strings start with \"known object #\""));
    assert!(line(&lines, "observer: process_vm_readv(target, 0x0,")
        .ends_with("-> Err(EFAULT)"));

    assert!(line(&lines, "observer: pread(/proc/<target>/mem, 0x")
        .ends_with("-> same bytes: true"));

    // The target freed them, exited and was reaped.
    assert!(line(&lines, "target: stdin closed")
        .ends_with("since the baseline: +0 allocs"));
    assert_eq!(
        line(&lines, "observer: wait"),
        "observer: wait -> exit status: 0; /proc/<target> gone: true"
    );
    let pid = number(line(&lines, "observer: started the target"), "pid ");
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
