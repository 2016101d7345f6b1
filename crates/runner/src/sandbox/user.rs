//! The sandboxes' user when the runner is root: an id drawn at each start
//! that no account, group or process has, so that no other process on the
//! machine (those of `nobody` included) owns the sandboxes' user
//! namespaces, can signal or trace them, or reach their files via `/proc`.
use std::collections::HashSet;

use anyhow::{bail, Context, Result};

/// Ids in use by the machine's accounts, groups and processes.
fn taken() -> HashSet<u32> {
    let mut ids = HashSet::new();
    for file in ["/etc/passwd", "/etc/group"] {
        for line in std::fs::read_to_string(file).unwrap_or_default().lines() {
            // name:x:ID:... in both; passwd's gid too.
            for field in line.split(':').skip(2).take(2) {
                if let Ok(id) = field.parse() {
                    ids.insert(id);
                }
            }
        }
    }
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        for l in status.lines() {
            if let Some(v) = l.strip_prefix("Uid:").or_else(|| l.strip_prefix("Gid:")) {
                ids.extend(v.split_whitespace().filter_map(|x| x.parse::<u32>().ok()));
            }
        }
    }
    ids
}

/// A fresh uid (used as the gid too) between 2^24 and 2^31 (above the
/// usual subordinate ranges). The runner's folders hold no sandbox's file
/// when it is drawn: the caller empties them first.
pub fn pick() -> Result<u32> {
    let ids = taken();
    for _ in 0..64 {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).context("getrandom")?;
        let id = (1 << 24) + u32::from_ne_bytes(b) % ((1 << 31) - (1 << 24));
        if !ids.contains(&id) {
            return Ok(id);
        }
    }
    bail!("found no unused uid for the sandboxes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picked_id_is_nobody_s_and_no_process_s() {
        let id = pick().unwrap();
        assert!(id >= 1 << 24 && id != 65534);
        let ids = taken();
        assert!(!ids.contains(&id));
        assert!(ids.contains(&0), "root is taken");
    }
}
