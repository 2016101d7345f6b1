//! `cargo xtask <command>`: everything a contributor or CI runs. How the
//! pieces fit: docs/architecture.md.
#![deny(clippy::unwrap_used)]

mod bench;
mod build;
mod chapters;
mod check;
mod html;
mod i18n;
mod lint;
mod new;
mod setup;

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
    /// Build, serve on http://127.0.0.1:3000 with edit-and-run, and rebuild
    /// on every change (reusing the outputs of unchanged snippets).
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Build both editions into book/, every directive run afresh; fail on
    /// a failed run, a broken page, a missing translation or a process
    /// left running (book/ is then left as it was).
    Build,
    /// Everything CI checks.
    Test,
    /// One chapter's checks: its tests, its Python tests, the lint, its
    /// pages in both editions and its translation.
    Check {
        /// The chapter's slug (`zombie`).
        slug: String,
    },
    /// Scaffold a chapter: its page, snippet crate and test, Python
    /// program and test, and SUMMARY entry.
    New(new::NewArgs),
    /// Speed targets, as medians (`cargo xtask bench --help`).
    Bench {
        #[arg(value_enum, default_value_t = bench::What::Book)]
        what: bench::What,
        /// How many timed runs.
        #[arg(long)]
        runs: Option<usize>,
    },
    /// Check the directives and the chapters' structure.
    Lint,
    /// eslint on the page's scripts, actionlint on the workflows.
    Jslint,
    /// Check every internal link and #anchor in book/.
    Links,
    /// Build twice and compare the outputs (apart from `--vary` parts).
    Drift,
    /// Type a sample of the last build's block headers and compare.
    Headers,
    /// Check book/ in headless Chromium; screenshots in target/browser/.
    Browser,
    /// Build, run the browser tests, and copy the light-theme screenshot to docs/screenshot.png.
    Screenshot,
    /// Translations: `i18n update` after changing English text; `i18n check`.
    I18n {
        #[command(subcommand)]
        command: i18n::I18nCommand,
    },
    /// The book's Python environment: `path`, `test`, `lock`.
    #[command(subcommand)]
    Python(setup::python::What),
    /// A plain `mdbook build` with the pinned binaries, replaying the last
    /// build's outputs: it must make book/'s pages.
    Plain,
    /// Build the pinned mdbook, mdbook-cmdrun, mdbook-xgettext and
    /// mdbook-gettext binaries and print their folder, for
    /// `export PATH="$(cargo xtask tools):$PATH"`.
    Tools,
}

fn main() -> ExitCode {
    // mdbook reports through `log`: its warnings, and rustdoc's failures in `mdbook test`.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: Command) -> anyhow::Result<()> {
    let root = setup::workspace_root()?;
    // mdbook-cmdrun finds each chapter's folder from the working folder.
    std::env::set_current_dir(&root)?;
    match cmd {
        Command::Serve { port } => build::serve::serve(&root, port),
        Command::Build => build::run(&root).map(|_| ()),
        Command::Test => check::run(&root),
        Command::Check { slug } => check::chapter(&root, &slug),
        Command::New(args) => new::run(&root, &args),
        Command::Bench { what, runs } => bench::run(&root, what, runs),
        Command::Lint => lint::run(&root),
        Command::Jslint => check::node::run(&root),
        Command::Links => {
            check::links::run(&root.join("book"), &check::links::external_list(&root))
        }
        Command::Drift => check::drift::run(&root),
        Command::Headers => check::headers::run(&root),
        Command::Browser => check::browser::run(&root),
        Command::Screenshot => check::browser::screenshot(&root),
        Command::I18n { command } => i18n::run(&root, &command),
        Command::Python(what) => setup::python::run(&root, &what),
        Command::Plain => check::plain(&root),
        Command::Tools => {
            let bin = setup::tools::ensure(&root)?;
            setup::python::ensure(&root)?;
            println!("{}", bin.display());
            Ok(())
        }
    }
}
