//! The local runner behind `cargo xtask serve`: it serves the built book on
//! 127.0.0.1 to the browser that opened the link it prints, and compiles and
//! runs the code a page sends in sandboxes (bubblewrap namespaces, a cgroup
//! per sandbox, a uid of its own when it is root), against a prebuilt
//! workspace, streaming the output back. SECURITY.md says what it defends.
//!
//! Modules, each using only those listed before it: `wire` (data that
//! crosses a boundary), `diagnostics`, `job` (what runs in a sandbox),
//! `prepare` (the prebuilt workspace), `compare`, `project`, `sandbox`,
//! `run` (a run stage by stage), `app` (state, router, server).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod wire;

pub mod diagnostics;
pub mod job;
pub mod prepare;

pub mod compare;
pub mod project;
pub mod sandbox;

pub mod app;
pub mod run;

pub use wire::Event;
