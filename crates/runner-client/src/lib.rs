//! Talks to the runner as a page does: the client of the runner's tests,
//! and `runner-bench`, which `cargo xtask bench runner` runs.
pub mod bench;
pub mod client;
