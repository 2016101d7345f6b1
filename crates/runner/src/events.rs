//! What a run sends back to the page: one JSON object per line
//! (`application/x-ndjson`), written as it happens. The job process prints
//! the compile and run events; the server adds the queue and error events
//! and passes the job's lines through unchanged.
use serde::{Deserialize, Serialize};

pub use crate::diagnostics::Diagnostic;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Waiting behind `ahead` other runs (one run at a time on the machine).
    Queued {
        ahead: usize,
    },
    /// The prebuilt workspace is being built or refreshed.
    Preparing {
        message: String,
    },
    Compiling,
    /// rustc finished. `output` is what it printed, as rustc prints it
    /// without colours; `ansi` the same with them; `diagnostics` each error
    /// and warning with its line in the program sent. `kept`: this run did
    /// not compile; the same program was compiled before it, in `ms`
    /// (`run/ahead.rs`), and this says by what.
    Compiled {
        ok: bool,
        output: String,
        ms: u64,
        #[serde(default)]
        ansi: String,
        #[serde(default)]
        diagnostics: Vec<Diagnostic>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kept: Option<Kept>,
    },
    /// A piece of the program's stdout and stderr, in the order written.
    Output {
        text: String,
    },
    /// The program ended. `status` is in the supervisor's words
    /// ("exit status 0", "killed by SIGSEGV", "timed out").
    Exit {
        status: String,
        code: Option<i32>,
        signal: Option<String>,
        timed_out: bool,
        /// Output bytes beyond the cap, counted and dropped.
        dropped: u64,
        /// Processes still running when the program's main process ended,
        /// killed by the supervisor ("pid (comm)").
        killed: Vec<String>,
        ms: u64,
    },
    /// The run could not go on; `message` says why, for the page.
    Error {
        message: String,
    },
    /// After the exit of an unchanged block: its output beside the book's
    /// (`compare.rs`). Sent by the server, never by a job.
    Compare(Box<crate::compare::Comparison>),
}

/// What compiled the program a run started without compiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    /// A compile ahead, sent by the page while the reader paused typing.
    Ahead,
    /// An earlier run of the same program.
    EarlierRun,
}

impl Event {
    /// The last event of a run.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Event::Exit { .. } | Event::Error { .. } | Event::Compiled { ok: false, .. }
        )
    }

    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"event":"error","message":"could not encode an event"}"#.to_string()
        });
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let e = Event::Compiled {
            ok: false,
            output: "error[E0308]: mismatched types\n".into(),
            ms: 12,
            ansi: String::new(),
            diagnostics: Vec::new(),
            kept: None,
        };
        let line = e.line();
        assert!(
            line.starts_with(r#"{"event":"compiled","ok":false"#),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<Event>(line.trim()).unwrap(), e);
        assert!(e.is_final());
        assert!(!Event::Compiling.is_final());
    }
}
