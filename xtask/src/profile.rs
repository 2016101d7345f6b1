//! `RSP_PROFILE=1`: where a build's own time goes, printed on stderr as it
//! happens (`cargo xtask bench book` reports only the totals).
use std::time::Instant;

use crate::store::Store;

pub fn on() -> bool {
    std::env::var_os("RSP_PROFILE").is_some()
}

/// `what` took from `since` until now.
pub fn note(what: &str, since: Instant) {
    if on() {
        eprintln!("  {what}: {:.3} s", since.elapsed().as_secs_f64());
    }
}

/// `what` took from `since` until now, apart from the runs of `store`'s
/// records (a replay's records ran in another render: none of its time).
pub fn beyond_runs(what: &str, since: Instant, store: &Store) {
    if on() {
        let ran = if store.meta.mode == "replay" {
            0.0
        } else {
            store.meta.run_ms / 1e3
        };
        eprintln!(
            "  {what}: {:.3} s beyond {ran:.3} s of runs",
            since.elapsed().as_secs_f64() - ran
        );
    }
}

/// The CPU time this process spent itself (all its threads, no children).
pub fn own_cpu() -> f64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|u| {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0.0)
}
