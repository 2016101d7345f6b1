//! The output store (`RSP_STORE`, `RSP_STORE_MODE`): a fresh run never
//! shows a kept record, a reuse shows one exactly while its inputs hold,
//! a replay runs nothing and fails without a record.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Store {
    dir: PathBuf,
}

impl Store {
    fn new(name: &str) -> Store {
        let dir = std::env::temp_dir().join(format!("rsp-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Store { dir }
    }

    fn run(&self, mode: &str, exe: &Path) -> Output {
        self.run_with(mode, exe, &["--vary", "x", "--", "ok", "rsp-store-test"])
    }

    fn run_with(&self, mode: &str, exe: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_supervisor"))
            .args(["fixture", "--exe"])
            .arg(exe)
            .args(args)
            .env("RSP_STORE", &self.dir)
            .env("RSP_STORE_MODE", mode)
            .env("RSP_STAMP", "Linux test")
            .output()
            .unwrap()
    }

    /// The one record file the runs wrote.
    fn record(&self) -> PathBuf {
        let folders: Vec<_> = std::fs::read_dir(&self.dir).unwrap().flatten().collect();
        assert_eq!(folders.len(), 1);
        let files: Vec<_> = std::fs::read_dir(folders[0].path())
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(files.len(), 1);
        files[0].path()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn misbehave() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_misbehave"))
}

#[test]
fn a_fresh_run_never_shows_a_kept_record() {
    let store = Store::new("fresh");
    let first = store.run("fresh", &misbehave());
    assert!(first.status.success(), "{}", stdout(&first));
    let record = store.record();
    let kept = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, kept.replace("misbehave: ok", "STALE")).unwrap();
    let again = store.run("fresh", &misbehave());
    assert!(
        stdout(&again).contains("misbehave: ok"),
        "{}",
        stdout(&again)
    );
    assert!(!stdout(&again).contains("STALE"));
    assert!(!std::fs::read_to_string(&record).unwrap().contains("STALE"));
    assert!(stdout(&again).contains("Ran when the book was built: Linux test"));
}

#[test]
fn a_reuse_shows_the_record_while_its_inputs_hold() {
    let store = Store::new("reuse");
    // A copy of the program, so its mtime can change.
    let exe = store.dir.with_extension("exe");
    std::fs::copy(misbehave(), &exe).unwrap();
    let first = store.run("reuse", &exe);
    assert!(stdout(&first).contains("Ran at "), "{}", stdout(&first));
    let kept = std::fs::read(store.record()).unwrap();
    let again = store.run("reuse", &exe);
    assert_eq!(stdout(&again), stdout(&first));
    assert_eq!(std::fs::read(store.record()).unwrap(), kept, "nothing ran");
    let f = std::fs::File::options().write(true).open(&exe).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(f);
    store.run("reuse", &exe);
    assert_ne!(
        std::fs::read(store.record()).unwrap(),
        kept,
        "a new program runs"
    );
    std::fs::remove_file(&exe).unwrap();
}

#[test]
fn a_replay_runs_nothing() {
    let store = Store::new("replay");
    let missing = store.run("replay", &misbehave());
    assert_eq!(missing.status.code(), Some(1));
    assert!(stdout(&missing).contains("no record of this directive"));
    assert!(!stdout(&missing).contains("misbehave: ok"));
    let fresh = store.run("fresh", &misbehave());
    let record = store.record();
    let kept = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, kept.replace("misbehave: ok", "REPLAYED")).unwrap();
    let replayed = store.run("replay", &misbehave());
    assert!(replayed.status.success());
    assert_eq!(
        stdout(&replayed),
        stdout(&fresh).replace("misbehave: ok", "REPLAYED")
    );
}

#[test]
fn an_unknown_mode_is_refused() {
    let store = Store::new("mode");
    let out = store.run("sometimes", &misbehave());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not fresh, reuse or replay"));
}

#[test]
fn an_index_reuses_while_only_its_own_records_change() {
    // Two index directives of one slug read the store: each must not count
    // the other's record, or every rebuild while serving reruns both.
    let store = Store::new("index");
    let index =
        |word: &str| store.run_with("reuse", &misbehave(), &["--markdown", "--", "ok", word]);
    index("first");
    index("second");
    let records = || -> Vec<Vec<u8>> {
        let folder = std::fs::read_dir(&store.dir)
            .unwrap()
            .flatten()
            .find(|f| f.file_name() != "elsewhere")
            .unwrap();
        let mut files: Vec<_> = std::fs::read_dir(folder.path())
            .unwrap()
            .flatten()
            .map(|f| f.path())
            .collect();
        files.sort();
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    };
    let kept = records();
    assert_eq!(kept.len(), 2);
    index("first");
    index("second");
    assert_eq!(records(), kept, "neither index ran again");
    // A record of another slug is an input: the index runs again.
    let other = store.dir.join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("other-0000000000000000.json"), "{}").unwrap();
    index("first");
    // (Records are named by a hash of their command: which file holds
    // "first" depends on the checkout's path.)
    assert_ne!(records(), kept, "a new record elsewhere reruns the index");
}
