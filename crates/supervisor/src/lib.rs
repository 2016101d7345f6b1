//! The snippet supervisor: the one program every `cmdrun` directive in the book
//! calls. It builds a snippet crate if needed, runs it under a timeout in its own
//! process group while being a child subreaper, kills and reaps everything the
//! snippet started, and prints the captured output as a Markdown block.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(unreachable_pub)]

pub mod args;
pub mod compile;
pub mod diff;
pub mod locate;
pub mod picture;
pub mod python;
pub mod reap;
pub mod render;
pub mod store;
pub mod strace;
pub mod supervise;
pub mod try_it;

pub use args::Args;
pub use supervise::{supervise, supervise_streaming, Ending, Limits, Outcome};
