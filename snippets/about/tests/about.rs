//! Each fact the about snippet prints must agree with what the system's own
//! tools say (uname, getconf, python3, findmnt, date), and `--line` must carry them all.
use std::process::Command;

fn sh(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn about(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_about"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no `{key}` line in\n{text}"))
        .trim()
}

#[test]
fn every_fact_matches_the_systems_own_tools() {
    let text = about(&[]);
    assert_eq!(text.lines().count(), 8, "{text}");
    let kernel = format!(
        "{} {} ({})",
        sh("uname", &["-s"]),
        sh("uname", &["-r"]),
        sh("uname", &["-m"])
    );
    assert_eq!(value(&text, "kernel"), kernel);
    assert_eq!(value(&text, "rustc"), sh("rustc", &["--version"]));
    assert_eq!(
        value(&text, "python"),
        sh("/usr/bin/python3", &["--version"])
    );
    // `getconf GNU_LIBC_VERSION` prints `glibc 2.36`.
    assert_eq!(
        format!("glibc {}", value(&text, "glibc")),
        sh("getconf", &["GNU_LIBC_VERSION"])
    );
    let exe_dir = std::path::Path::new(env!("CARGO_BIN_EXE_about"))
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let fs = sh("findmnt", &["-n", "-o", "FSTYPE", "--target", &exe_dir]);
    assert_eq!(
        value(&text, "file system"),
        format!("{fs} (the build folder's mount)")
    );
    let cpus: usize = value(&text, "CPUs").parse().unwrap();
    let online: usize = sh("nproc", &[]).parse().unwrap();
    assert!(
        cpus >= 1 && cpus <= online,
        "{cpus} CPUs, nproc says {online}"
    );
    assert_eq!(
        value(&text, "built on"),
        format!("{} (UTC)", sh("date", &["-u", "+%F"]))
    );
    assert!(!value(&text, "distribution").is_empty());
}

#[test]
fn the_line_carries_the_same_facts() {
    let text = about(&[]);
    let line = about(&["--line"]);
    assert_eq!(line.lines().count(), 1, "{line}");
    let rustc: Vec<&str> = value(&text, "rustc").split(' ').take(2).collect();
    let fs = value(&text, "file system").split(' ').next().unwrap();
    let date = value(&text, "built on").split(' ').next().unwrap();
    for fact in [
        value(&text, "kernel").to_string(),
        value(&text, "distribution").to_string(),
        rustc.join(" "),
        format!("glibc {}", value(&text, "glibc")),
        value(&text, "python").to_string(),
        fs.to_string(),
        date.to_string(),
    ] {
        assert!(line.contains(&fact), "`{fact}` missing from `{line}`");
    }
}

#[test]
fn rejects_unknown_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_about"))
        .arg("--nope")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
