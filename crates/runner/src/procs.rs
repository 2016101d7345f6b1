//! What /proc says about a process, for the places that walk the tree.

/// The parent of `pid`, from /proc/<pid>/stat (the command name in field 2
/// may hold spaces and parentheses: the fields after it follow the last ')').
pub fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.get(stat.rfind(')')? + 2..)?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// The pids in /proc now.
pub fn all() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_parent_is_found() {
        let me = std::process::id() as i32;
        assert_eq!(ppid(me), Some(nix::unistd::getppid().as_raw()));
        assert!(all().contains(&me));
    }
}
