//! `browser-test [--root DIR] [--book DIR] [--out DIR] ...`: the built book
//! in headless Chromium (see the library docs). Exits 1 when a check fails,
//! after listing every problem. `cargo xtask test` runs it on book/.
#![deny(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "browser-test",
    about = "Check the built book in headless Chromium"
)]
struct Cli {
    /// The book's folder (with src/SUMMARY.md).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The built HTML (default: <root>/book).
    #[arg(long)]
    book: Option<PathBuf>,
    /// Where screenshots and chromedriver.log go (default: <root>/target/browser).
    #[arg(long)]
    out: Option<PathBuf>,
    /// A word the search box must find...
    #[arg(long, default_value = "zombie")]
    search: String,
    /// ...on this page.
    #[arg(long, default_value = "processes/zombie.html")]
    search_page: String,
    /// The chapter to screenshot in every theme (default: the first with output).
    #[arg(long, default_value = "processes/zombie.html")]
    shot: String,
    #[arg(long, default_value = browser_test::driver::CHROMIUM)]
    chromium: PathBuf,
    #[arg(long, default_value = browser_test::driver::CHROMEDRIVER)]
    chromedriver: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = browser_test::Config {
        book: cli.book.unwrap_or_else(|| cli.root.join("book")),
        out: cli
            .out
            .unwrap_or_else(|| cli.root.join("target").join("browser")),
        root: cli.root,
        search: cli.search,
        search_page: cli.search_page,
        shot_page: Some(cli.shot),
        chromium: cli.chromium,
        chromedriver: cli.chromedriver,
    };
    match browser_test::run(&cfg) {
        Ok(report) => {
            for s in &report.screenshots {
                eprintln!("browser-test: screenshot {}", s.display());
            }
            if report.problems.is_empty() {
                println!(
                    "browser-test: {} pages, {} output blocks: no console errors, every chapter shows output, no Run buttons, search and themes work",
                    report.pages, report.blocks
                );
                ExitCode::SUCCESS
            } else {
                for p in &report.problems {
                    eprintln!("  {p}");
                }
                eprintln!(
                    "browser-test: {} problem(s), listed above",
                    report.problems.len()
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("browser-test: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
