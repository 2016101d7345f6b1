//! Nothing to see: this crate exists so that `cargo build -p mdbook-deps
//! --target-dir target/mdbook-deps` leaves one rlib each of nix, libc and
//! memmap2 in `target/mdbook-deps/debug/deps` for `mdbook test -L`, and
//! the abstract-static chapter's proc-macro crate. Chapters reach them
//! with a hidden `# extern crate nix;` line.
