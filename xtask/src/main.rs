//! `cargo xtask <command>`: everything a contributor or CI runs.
#![deny(clippy::unwrap_used)]

mod bench;
mod book;
mod browser;
mod chapters;
mod checks;
mod debian;
mod drift;
#[cfg(test)]
mod fixture_tests;
mod links;
mod lint;
mod lint_python;
mod new;
mod procs;
mod python;
mod root;
mod stamp;
mod test;
mod tools;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, serve and test the Rust Systems Playground book"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the pinned tools if missing, build, and serve on http://127.0.0.1:3000.
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Build every snippet and the book; fail on any failed or empty output, or leftover process.
    Build,
    /// Everything CI checks: fmt, clippy, tests, directive lint, build, link
    /// check, drift check, browser tests, mdbook test.
    Test,
    /// Scaffold a chapter, its snippet crate with a test, and its SUMMARY entry.
    New(new::NewArgs),
    /// Time warm builds (target: median <= 5 s) and check none leaves a process behind;
    /// `bench runner`: time an edit run through the local runner (target: median <= 0.3 s).
    Bench {
        /// `book`: warm builds of the whole book; `runner`: edit -> compile -> first
        /// output through the runner's HTTP endpoint, beside cargo build and a direct run.
        #[arg(value_enum, default_value_t = bench::What::Book)]
        what: bench::What,
        /// How many warm builds to time (book).
        #[arg(long, default_value_t = 20)]
        builds: usize,
        /// How many edit runs to time (runner; at least 10).
        #[arg(long, default_value_t = 15)]
        runs: usize,
    },
    /// Check the cmdrun directives and chapter structure only.
    Lint,
    /// Check every internal link and #anchor in book/ (as built); list the
    /// external ones in target/external-links.txt.
    Links,
    /// Build twice and compare the outputs (apart from `--vary` parts).
    Drift,
    /// Check book/ (as built) in headless Chromium; screenshots in target/browser/.
    /// Installs Debian's chromium and chromium-driver if missing.
    Browser,
    /// Build, run the browser tests, and copy the light-theme screenshot to docs/screenshot.png.
    Screenshot,
    /// The book's Python environment (python/requirements.lock): `path`, `test`, `lock`.
    #[command(subcommand)]
    Python(python::What),
    /// Install the pinned mdbook and mdbook-cmdrun (and the Python environment) if needed and print their folder,
    /// e.g. `export PATH="$(cargo xtask tools):$PATH"` for plain `mdbook` use.
    Tools,
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: Command) -> anyhow::Result<()> {
    let root = root::workspace_root()?;
    match cmd {
        Command::Serve { port } => book::serve(&root, port),
        Command::Build => book::build(&root).map(|_| ()),
        Command::Test => test::run(&root),
        Command::New(args) => new::run(&root, &args),
        Command::Bench { what, builds, runs } => match what {
            bench::What::Book => bench::run(&root, builds),
            bench::What::Runner => bench::runner(&root, runs),
        },
        Command::Lint => lint::run(&root),
        Command::Links => links::run(&root.join("book"), &links::external_list(&root)),
        Command::Drift => drift::run(&root, false),
        Command::Browser => browser::run(&root),
        Command::Screenshot => browser::screenshot(&root),
        Command::Python(what) => python::run(&root, &what),
        Command::Tools => {
            let tools = tools::ensure(&root)?;
            python::ensure(&root)?;
            println!("{}", tools.bin_dir.display());
            Ok(())
        }
    }
}
