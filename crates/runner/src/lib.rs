//! The local runner behind `cargo xtask serve`: it serves the built book on
//! 127.0.0.1 with a per-start token in every page, and compiles and runs the
//! code a page sends, against a prebuilt workspace (nix, libc, memmap2 and
//! the snippet's own dependencies), under the snippet supervisor, streaming
//! the output back. See `server.rs` for the security model and `prepare.rs`
//! for the workspace.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bench;
pub mod client;
pub mod events;
pub mod http;
pub mod job;
pub mod limits;
pub mod prepare;
pub mod server;

pub use events::Event;
