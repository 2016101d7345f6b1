//! `cargo xtask <command>`: everything a contributor or CI runs.
#![deny(clippy::unwrap_used)]

mod actionlint;
mod ahead;
mod bench;
mod book;
mod browser;
mod chapters;
mod checks;
mod compiled;
mod debian;
mod directives;
mod drift;
#[cfg(test)]
mod fixture_tests;
mod hash;
mod i18n;
mod links;
mod lint;
mod lint_python;
mod new;
mod plain;
mod procs;
mod profile;
mod publish;
mod python;
mod render;
mod root;
mod search;
mod serve;
mod stamp;
mod store;
#[cfg(test)]
mod store_tests;
mod test;
mod text;
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
    /// Build, serve on http://127.0.0.1:3000 with edit-and-run, and rebuild
    /// on every change (reusing the outputs of unchanged snippets).
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Build every snippet and the book, running every directive afresh; fail on
    /// any failed or empty output, or leftover process. Records in target/outputs/build/.
    Build,
    /// Everything CI checks: fmt, clippy, tests, directive lint, build, link
    /// check, drift check, browser tests, mdbook test.
    Test,
    /// Scaffold a chapter, its snippet crate with a test, and its SUMMARY entry.
    New(new::NewArgs),
    /// Benchmarks with targets (medians; each fails when its target is missed):
    /// `book` warm builds (time beyond the snippets' own <= 0.5 s), `serve`
    /// (prose edit -> served page <= 1.0 s; snippet edit <= its run + 1.5 s),
    /// `fresh` (fresh clone, empty tool cache -> book served <= 150 s),
    /// `runner` (edit -> first output through the runner).
    Bench {
        #[arg(value_enum, default_value_t = bench::What::Book)]
        what: bench::What,
        /// How many timed runs (builds, edits or clones; book: at least 5,
        /// runner: at least 10).
        #[arg(long)]
        runs: Option<usize>,
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
    /// Translations: `i18n update` after changing English text (re-extract
    /// po/messages.pot, msgmerge every po/<lang>.po); `i18n check`.
    I18n {
        #[command(subcommand)]
        command: i18n::I18nCommand,
    },
    /// The book's Python environment (python/requirements.lock): `path`, `test`, `lock`.
    #[command(subcommand)]
    Python(python::What),
    /// Build the pinned mdbook, mdbook-cmdrun, mdbook-xgettext and
    /// mdbook-gettext binaries (from the workspace's lock) into the tools
    /// folder, make the Python environment if needed, and print the tools'
    /// folder, e.g. `export PATH="$(cargo xtask tools):$PATH"` for plain
    /// `mdbook` use.
    Tools,
    /// Build the book with the plain pinned binaries (`mdbook build`, mdbook-cmdrun)
    /// and check its pages are book/'s, apart from `--vary` parts.
    Plain,
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
    let root = root::workspace_root()?;
    match cmd {
        Command::Serve { port } => serve::serve(&root, port),
        Command::Build => book::build(&root).map(|_| ()),
        Command::Test => test::run(&root),
        Command::New(args) => new::run(&root, &args),
        Command::Bench { what, runs } => bench::run(&root, what, runs),
        Command::Lint => lint::run(&root),
        Command::Links => links::run(&root.join("book"), &links::external_list(&root)),
        Command::Drift => drift::run(&root, false),
        Command::Browser => browser::run(&root),
        Command::Screenshot => browser::screenshot(&root),
        Command::I18n { command } => i18n::run(&root, &command),
        Command::Python(what) => python::run(&root, &what),
        Command::Tools => {
            let tools = tools::ensure(&root)?;
            python::ensure(&root)?;
            println!("{}", tools.bin_dir.display());
            Ok(())
        }
        Command::Plain => plain::run(&root),
    }
}
