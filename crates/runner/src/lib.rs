//! The local runner behind `cargo xtask serve`: it serves the built book on
//! 127.0.0.1 to the browser that opened the link it prints, and compiles and
//! runs the code a page sends in sandboxes (bubblewrap namespaces, a cgroup
//! per sandbox, as `nobody`), against a prebuilt workspace (nix, libc,
//! memmap2 and the snippet's own dependencies), streaming the output back.
//! SECURITY.md says what it defends; `server/` is the HTTP side, `run/` a
//! run stage by stage, `sandbox/` the sandboxes, `job.rs` what runs inside.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bench;
pub mod client;
pub mod compare;
pub mod diagnostics;
pub mod events;
pub mod job;
pub mod prepare;
pub mod procs;
pub mod project;
pub mod run;
pub mod sandbox;
pub mod server;

pub use events::{Event, Kept};
