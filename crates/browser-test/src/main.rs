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
    /// The edition to check: its folder in the book (`zh-TW/`); "" is the
    /// English book at the root.
    #[arg(long, default_value = "")]
    edition: String,
    /// The `<html lang>` its pages must have.
    #[arg(long, default_value = "en")]
    lang: String,
    /// Another edition's folder ("" for English): every page must link to
    /// the same page there. Repeat for each.
    #[arg(long = "twin")]
    twins: Vec<String>,
    /// The text every output block's label must show.
    #[arg(long)]
    label: Option<String>,
    /// `WORD=PAGE`: searching WORD must find PAGE (relative to the edition)
    /// first. Repeat for more words.
    #[arg(long = "search", default_value = "zombie=processes/zombie.html", value_parser = word_and_page)]
    searches: Vec<(String, String)>,
    /// The chapter to screenshot in every theme (default: the first with output).
    #[arg(long, default_value = "processes/zombie.html")]
    shot: String,
    /// The chapter whose first timeline is shot in the light and navy themes.
    #[arg(long, default_value = "processes/process-group.html")]
    picture: String,
    #[arg(long, default_value = browser_test::driver::CHROMIUM)]
    chromium: PathBuf,
    #[arg(long, default_value = browser_test::driver::CHROMEDRIVER)]
    chromedriver: PathBuf,
}

fn word_and_page(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(w, p)| (w.to_string(), p.to_string()))
        .filter(|(w, p)| !w.is_empty() && !p.is_empty())
        .ok_or_else(|| format!("expected WORD=PAGE, got `{s}`"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = browser_test::Config {
        book: cli.book.unwrap_or_else(|| cli.root.join("book")),
        out: cli
            .out
            .unwrap_or_else(|| cli.root.join("target").join("browser")),
        root: cli.root,
        edition: cli.edition,
        lang: cli.lang,
        twins: cli.twins,
        label: cli.label,
        searches: cli.searches,
        shot_page: Some(cli.shot),
        picture_page: Some(cli.picture),
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
