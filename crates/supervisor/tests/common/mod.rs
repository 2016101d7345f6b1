//! What the supervisor's integration tests share.

/// Pids of the processes whose command line holds `token` (each test's
/// fixture carries a token of its own): any left after a run leaked.
pub fn survivors(token: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let pid = e.ok()?.file_name().into_string().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline)
                .contains(token)
                .then_some(pid)
        })
        .collect()
}
