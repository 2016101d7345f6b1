//! A fresh render's runs, one after another on a thread of their own, in
//! the order the preprocessor asks for them (src/directives.rs): its own
//! work between two runs (the record's key and hashes, the block's
//! Markdown, the --vary mask) then happens while the next snippet runs,
//! not between the snippets. Runs stay one at a time; what else a build
//! does meanwhile (the lint, loading the editions) runs at a lower
//! priority (`procs::lower_priority`), so a snippet that measures
//! something (poll-child's latencies, o-direct's table) keeps the machine
//! but for the preprocessor's bookkeeping.
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use supervisor::render::Block;

use crate::directives::{words_and_args, Settings, Started};

/// A directive's place: chapter, directive text, how many identical ones
/// come before it in the chapter.
pub type Place = (String, String, usize);

/// One run to make.
pub struct Planned {
    pub place: Place,
    /// The chapter's folder (cmdrun's working directory).
    pub cwd: PathBuf,
    /// The supervisor's arguments, as the directive has them.
    pub rest: String,
}

/// A planned run with its arguments parsed.
struct Ready {
    place: Place,
    cwd: PathBuf,
    words: Vec<String>,
    slug: String,
}

impl Ready {
    fn of(p: Planned) -> Ready {
        let (words, args) = words_and_args(&p.rest);
        Ready {
            place: p.place,
            cwd: p.cwd,
            words,
            slug: args.map(|a| a.slug).unwrap_or_default(),
        }
    }
}

/// One run made.
pub struct Ran {
    pub block: Block,
    pub ran_at: String,
    pub elapsed_ms: f64,
}

#[derive(Default)]
struct State {
    /// Runs made and not taken yet (a chapter listed twice in SUMMARY.md
    /// has its places twice).
    ran: HashMap<Place, VecDeque<Ran>>,
    /// How many runs of each place are planned and not taken yet.
    to_take: HashMap<Place, usize>,
    /// The thread has ended (every run made, stopped, or panicked).
    over: bool,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct Ahead {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Says the thread is over when it ends, even by a panic.
struct Over(Arc<Shared>);

impl Drop for Over {
    fn drop(&mut self) {
        self.0.lock().over = true;
        self.0.changed.notify_all();
    }
}

impl Ahead {
    /// Starts running `plan`, in order.
    pub fn start(settings: Arc<Settings>, plan: Vec<Planned>) -> Ahead {
        let shared = Arc::new(Shared::default());
        for p in &plan {
            *shared.lock().to_take.entry(p.place.clone()).or_default() += 1;
        }
        let s = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let _over = Over(Arc::clone(&s));
            let mut plan = plan.into_iter().map(Ready::of);
            let mut next = plan.next();
            while let Some(p) = next {
                if s.lock().stop {
                    break;
                }
                let ran_at = crate::directives::now();
                let start = Instant::now();
                let started = Started::new(&settings, &p.cwd, &p.place.0, &p.words, &p.slug);
                // The next one's arguments are parsed while this one runs
                // (were that to panic, `started` kills its supervisor).
                next = plan.next();
                let block = started.finish();
                let elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
                s.lock().ran.entry(p.place).or_default().push_back(Ran {
                    block,
                    ran_at,
                    elapsed_ms,
                });
                s.changed.notify_all();
            }
        });
        Ahead {
            shared,
            thread: Some(thread),
        }
    }

    /// The run of the directive at `place`, waiting for it; None when it
    /// was not planned (or all its planned runs are taken) or the thread
    /// ended without it: the caller runs it.
    pub fn take(&self, place: &Place) -> Option<Ran> {
        let mut state = self.shared.lock();
        match state.to_take.get_mut(place) {
            Some(n) if *n > 0 => *n -= 1,
            _ => return None,
        }
        loop {
            if let Some(r) = state.ran.get_mut(place).and_then(VecDeque::pop_front) {
                return Some(r);
            }
            if state.over {
                return None;
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for Ahead {
    /// Stops after the run under way (a failed render asks for no more) and
    /// waits for it, so that no supervisor outlives the render.
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directives::Mode;

    /// A "supervisor" that prints its first argument as the output.
    fn settings(dir: &std::path::Path) -> Settings {
        use std::os::unix::fs::PermissionsExt;
        let exe = dir.join("echo-supervisor");
        std::fs::write(
            &exe,
            "#!/bin/sh\nprintf '{\"slug\":\"%s\",\"command\":\"x\",\"status\":\"exit status 0\",\"output\":\"%s\",\"error\":null}\\n' \"$1\" \"$1\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        Settings {
            root: dir.to_path_buf(),
            supervisor: exe,
            stamp: String::new(),
            mode: Mode::Fresh,
            say_when: false,
            not_prebuilt: Default::default(),
            hashes: Default::default(),
        }
    }

    fn planned(slug: &str, occurrence: usize) -> Planned {
        Planned {
            place: ("c.md".into(), slug.into(), occurrence),
            cwd: std::env::temp_dir(),
            rest: slug.into(),
        }
    }

    #[test]
    fn runs_are_taken_in_any_order_and_an_unplanned_one_is_not_waited_for() {
        let dir = std::env::temp_dir().join(format!("xtask-ahead-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = vec![planned("one", 0), planned("two", 0), planned("one", 1)];
        let ahead = Ahead::start(Arc::new(settings(&dir)), plan);
        let out = |p: &Place| ahead.take(p).map(|r| r.block.output);
        assert_eq!(
            out(&("c.md".into(), "two".into(), 0)).as_deref(),
            Some("two")
        );
        assert_eq!(
            out(&("c.md".into(), "one".into(), 1)).as_deref(),
            Some("one")
        );
        assert_eq!(
            out(&("c.md".into(), "one".into(), 0)).as_deref(),
            Some("one")
        );
        // Taken already, or never planned: the caller runs it.
        assert!(out(&("c.md".into(), "one".into(), 0)).is_none());
        assert!(out(&("c.md".into(), "three".into(), 0)).is_none());
        drop(ahead);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_place_planned_twice_is_run_and_taken_twice() {
        // A chapter listed twice in SUMMARY.md has its places twice.
        let dir = std::env::temp_dir().join(format!("xtask-ahead-twice-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = vec![planned("one", 0), planned("one", 0)];
        let ahead = Ahead::start(Arc::new(settings(&dir)), plan);
        let place: Place = ("c.md".into(), "one".into(), 0);
        assert!(ahead.take(&place).is_some());
        assert!(ahead.take(&place).is_some());
        assert!(ahead.take(&place).is_none(), "only two were planned");
        drop(ahead);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dropped_early_it_stops_after_the_run_under_way() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("xtask-ahead-stop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = settings(&dir);
        // Each run is logged and takes a while, as a snippet does.
        let log = dir.join("runs");
        std::fs::write(
            &s.supervisor,
            format!(
                "#!/bin/sh\necho x >> '{}'\nsleep 0.05\necho '{{}}'\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&s.supervisor, std::fs::Permissions::from_mode(0o755)).unwrap();
        s.mode = Mode::Fresh;
        let plan = (0..50).map(|i| planned("many", i)).collect();
        drop(Ahead::start(Arc::new(s), plan));
        let runs = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count();
        assert!(runs < 50, "{runs} runs after the drop: it did not stop");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
