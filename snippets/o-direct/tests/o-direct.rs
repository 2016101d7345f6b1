//! The o-direct snippet: on ext4 (the temp dir here) the note's aligned read
//! works and misaligned lengths, offsets and buffers fail with EINVAL; tmpfs
//! accepts them (or has no O_DIRECT at all, on kernels before 6.6); an
//! O_DIRECT read leaves the page cache empty. Nothing is left behind.
use std::process::Command;

fn run(args: &[&str]) -> (u32, Vec<String>) {
    let child = Command::new(env!("CARGO_BIN_EXE_o-direct"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (pid, text.lines().map(String::from).collect())
}

/// The lines of the section `== <label>`, without the header.
fn section<'a>(lines: &'a [String], label: &str) -> &'a [String] {
    let start = lines
        .iter()
        .position(|l| l == &format!("== {label}"))
        .unwrap_or_else(|| panic!("no section {label}: {lines:#?}"))
        + 1;
    let len = lines[start..]
        .iter()
        .position(|l| l.starts_with("=="))
        .unwrap_or(lines.len() - start);
    &lines[start..start + len]
}

/// The result column of the read line whose call starts with `call`.
fn result<'a>(lines: &'a [String], call: &str) -> &'a str {
    let line = lines
        .iter()
        .find(|l| l.trim_start().starts_with(call))
        .unwrap_or_else(|| panic!("no line {call}: {lines:#?}"));
    let after = line.split(" -> ").nth(1).unwrap();
    after.split("  ").next().unwrap().trim()
}

fn no_scratch_dirs_of(pid: u32) {
    for base in [std::env::temp_dir(), "/dev/shm".into()] {
        for entry in std::fs::read_dir(&base).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                !name.starts_with(&format!("o-direct-{pid}-")),
                "{name} left in {}",
                base.display()
            );
        }
    }
}

#[test]
fn ext4_enforces_alignment_and_tmpfs_does_not() {
    let (pid, lines) = run(&[]);
    no_scratch_dirs_of(pid);

    let disk = section(&lines, "temp dir");
    if disk[0].contains("EXT4_SUPER_MAGIC") {
        assert!(
            disk[1].starts_with("   statx STATX_DIOALIGN: dio_mem_align="),
            "{}",
            disk[1]
        );
        for (call, want) in [
            ("pread  len 8192      off 0 buf page+0 ", "Ok(8192)"),
            (
                "pread  len 8193      off 0 buf page+0 ",
                "EINVAL (os error 22)",
            ),
            (
                "pread  len 4096      off 1 buf page+0 ",
                "EINVAL (os error 22)",
            ),
            (
                "pread  len 4096      off 0 buf page+1 ",
                "EINVAL (os error 22)",
            ),
            ("preadv len 4096+4096 off 0 buf page+0 ", "Ok(8192)"),
        ] {
            assert_eq!(result(disk, call), want, "{call}");
        }
        let cache = "   pages in the page cache: write+fsync 16 -> \
                     POSIX_FADV_DONTNEED 0 -> O_DIRECT read 0 -> \
                     buffered read 16";
        assert!(disk.iter().any(|l| l == cache), "{disk:#?}");
    }
    assert!(
        disk.iter()
            .any(|l| l == "   first bytes read: \"Hello, World!Hello, \""),
        "{disk:#?}"
    );

    let shm = section(&lines, "/dev/shm");
    if shm[0].contains("has no O_DIRECT") {
        assert_eq!(shm.len(), 1, "{shm:#?}");
    } else {
        assert!(shm[0].contains("TMPFS_MAGIC"), "{}", shm[0]);
        // No alignment rule: every read returns all it asked for.
        for line in shm.iter().filter(|l| l.contains(" len ")) {
            let len: usize = line
                .split(" len ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .split('+')
                .map(|n| n.parse::<usize>().unwrap())
                .sum();
            assert!(line.contains(&format!("-> Ok({len})")), "{line}");
        }
    }
}

#[test]
fn bench_measures_cold_warm_and_direct_reads() {
    let (pid, lines) = run(&["bench"]);
    no_scratch_dirs_of(pid);
    assert_eq!(
        lines[0],
        "file: 64 MiB in the temp dir; reads of 1 MiB; each way 5 times"
    );
    let pages = |name: &str| {
        let line = lines.iter().find(|l| l.starts_with(name)).unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.last(), Some(&"pages"), "{line}");
        words[words.len() - 2].parse::<u64>().unwrap()
    };
    // 64 MiB = 16384 pages of 4 KiB; memory pressure from other processes
    // may evict a few, which the snippet allows (at least 90% cached).
    assert!(pages("buffered, cold") >= 16384 * 9 / 10);
    assert!(pages("buffered, warm") >= 16384 * 9 / 10);
    assert!(pages("buffered, cold") <= 16384);
    assert_eq!(pages("O_DIRECT"), 0);
}
