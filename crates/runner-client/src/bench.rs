//! `runner-bench` (`cargo xtask bench runner`): a warm edit of a nix-using
//! snippet, sent through the HTTP endpoint as a page sends it, timed from the
//! request to the first output, with the sandbox on (bubblewrap and cgroups,
//! required). Beside it: rustc alone on the same edit (the same arguments
//! and incremental reuse as the runner's, outside any sandbox), a runner
//! with `--sandbox off` (what the sandbox costs), `cargo build` of the same
//! edit in the prebuilt workspace, and the built program run directly.
//! Fails when the sandboxed median is more than `OVER_RUSTC` above rustc's.
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use crate::client::{parse_first_line, run_body, Client};
use runner::prepare::Layout;
use runner::Event;

/// Run -> first output through the sandboxed runner may take this much
/// more than rustc's own compile of the same edit (median against median).
pub const OVER_RUSTC: Duration = Duration::from_millis(50);

pub struct Stats {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
    pub q1: Duration,
    pub q3: Duration,
    pub n: usize,
}

impl Stats {
    pub fn of(mut v: Vec<Duration>) -> Stats {
        v.sort();
        let at = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        Stats {
            median: at(0.5),
            min: v[0],
            max: v[v.len() - 1],
            q1: at(0.25),
            q3: at(0.75),
            n: v.len(),
        }
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |d: Duration| d.as_secs_f64();
        write!(
            f,
            "median {:.3} s  (min {:.3}, quartiles {:.3}-{:.3}, max {:.3}; {} runs)",
            s(self.median),
            s(self.min),
            s(self.q1),
            s(self.q3),
            s(self.max),
            self.n
        )
    }
}

/// The snippet's program with one printed string changed, as a page sends it
/// (with the chapter's hidden `extern crate nix;` line first).
pub fn edited(source: &str, i: usize) -> Result<String> {
    let key = "println!(\"";
    let at = source
        .match_indices(key)
        .map(|(i, _)| i)
        .find(|&i| !source[..i].ends_with('e'))
        .context("the snippet prints nothing with println!")?
        + key.len();
    Ok(format!(
        "extern crate nix;\n{}[edit {i}] {}",
        &source[..at],
        &source[at..]
    ))
}

struct Server {
    child: Child,
    addr: SocketAddr,
    token: String,
}

impl Drop for Server {
    /// The end of its stdin stops the runner; it ends its sandboxes.
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Starts `runner serve` on a free port and reads the port and token it printed.
fn start_server(exe: &Path, root: &Path, book: &Path, sandbox: &str) -> Result<Server> {
    let mut child = Command::new(exe)
        .arg("serve")
        .arg("--root")
        .arg(root)
        .arg("--book")
        .arg(book)
        .args(["--port", "0", "--no-warm", "--sandbox", sandbox])
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .context("starting runner serve")?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    let (port, token) = parse_first_line(&line)
        .with_context(|| format!("no link in the server's first line {line:?}"))?;
    Ok(Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        token,
    })
}

fn wait_ready(c: &Client) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(900) {
        if let Ok(r) = c.request("GET", runner::app::HEALTH_PATH, &[], b"") {
            if r.text().contains("\"ready\":true") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("the runner was not ready after 15 minutes")
}

/// One edit run through a runner, timed from the request.
struct Times {
    first_output: Duration,
    end: Duration,
    /// rustc's own time, as the job measured it.
    rustc: Duration,
    /// Until the `compiling` event: the request's way to rustc.
    compiling: Duration,
    /// From `compiled` to the first output: the run stage.
    run_stage: Duration,
}

fn edit_run(s: &Server, c: &Client, slug: &str, code: &str, mark: &str) -> Result<Times> {
    let origin = format!("http://127.0.0.1:{}", s.addr.port());
    let (status, events) = c.run(
        Some(&s.token),
        Some(&origin),
        &run_body(slug, code, "bench"),
    )?;
    ensure!(status == 200, "HTTP {status}");
    let out = events.iter().find_map(|t| match &t.event {
        Event::Output { text } => Some((t.at, text.clone())),
        _ => None,
    });
    let Some((at, text)) = out else {
        let all: Vec<String> = events.iter().map(|t| format!("{:?}", t.event)).collect();
        bail!("the run printed nothing: {}", all.join("; "));
    };
    ensure!(
        text.contains(mark),
        "the run did not print the edited string: {text:?}"
    );
    let end = events.last().map(|t| t.at).unwrap_or(at);
    let (compiled_at, ms) = events
        .iter()
        .find_map(|t| match t.event {
            Event::Compiled { ms, .. } => Some((t.at, ms)),
            _ => None,
        })
        .unwrap_or((at, 0));
    let compiling = events
        .iter()
        .find_map(|t| matches!(t.event, Event::Compiling).then_some(t.at))
        .unwrap_or(compiled_at);
    Ok(Times {
        first_output: at,
        end,
        rustc: Duration::from_millis(ms),
        compiling,
        run_stage: at.saturating_sub(compiled_at),
    })
}

pub fn run(root: &Path, slug: &str, runs: usize) -> Result<()> {
    ensure!(
        runs >= 10,
        "--runs must be at least 10 for a median and a spread"
    );
    let layout = Layout::new(root);
    let source = std::fs::read_to_string(root.join("snippets").join(slug).join("src/main.rs"))
        .with_context(|| format!("reading snippets/{slug}/src/main.rs"))?;
    edited(&source, 0)?;
    let book = std::env::temp_dir().join(format!("rsp-runner-bench-{}", std::process::id()));
    std::fs::create_dir_all(&book)?;
    std::fs::write(
        book.join("index.html"),
        "<!DOCTYPE html><html><head><title>bench</title></head><body></body></html>\n",
    )?;
    let exe = std::env::current_exe()?
        .parent()
        .context("the bench's folder")?
        .join("runner");
    eprintln!("runner bench: starting a sandboxed runner and one with --sandbox off");
    let on = start_server(&exe, root, &book, "require")?;
    let off = start_server(&exe, root, &book, "off")?;
    let c_on = Client::new(on.addr);
    let c_off = Client::new(off.addr);
    wait_ready(&c_on)?;
    wait_ready(&c_off)?;

    // The same edits with cargo build in the prebuilt workspace's package.
    let pkg = layout.ws().join(slug);
    let main = pkg.join("src/main.rs");
    let stub = std::fs::read_to_string(&main).unwrap_or_else(|_| "fn main() {}\n".into());
    let cargo_build = |code: &str| -> Result<Duration> {
        std::fs::write(&main, code)?;
        let t = Instant::now();
        let st = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "build",
                "--offline",
                "--quiet",
                "-p",
                slug,
                "--manifest-path",
            ])
            .arg(layout.ws().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(layout.target())
            .status()?;
        ensure!(st.success(), "cargo build failed ({st})");
        Ok(t.elapsed())
    };
    // rustc alone, as the runner calls it, in a scratch folder of its own.
    let plan = runner::prepare::prepare(&layout)?;
    let scratch =
        std::env::temp_dir().join(format!("rsp-runner-bench-rustc-{}", std::process::id()));
    let (incr, out) = (scratch.join("incr"), scratch.join("out"));
    std::fs::create_dir_all(scratch.join("src"))?;
    std::fs::create_dir_all(&out)?;
    let rustc_alone = |code: &str| -> Result<Duration> {
        std::fs::write(scratch.join("src/main.rs"), code)?;
        let t = Instant::now();
        let o = Command::new(plan.sysroot.join("bin/rustc"))
            .args(plan.rustc_args([&layout.deps(), &incr, &out], slug, "2021"))
            .current_dir(&scratch)
            .output()?;
        ensure!(
            o.status.success(),
            "rustc failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Ok(t.elapsed())
    };
    // What cargo built, run directly: to its first output byte.
    let built: PathBuf = layout.target().join("debug").join(slug);
    let direct_run = || -> Result<Duration> {
        let t = Instant::now();
        let mut child = Command::new(&built)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("running {}", built.display()))?;
        let mut byte = [0u8; 1];
        if let Some(out) = child.stdout.as_mut() {
            out.read_exact(&mut byte)?;
        }
        let at = t.elapsed();
        if let Some(mut out) = child.stdout.take() {
            std::io::copy(&mut out, &mut std::io::sink())?;
        }
        child.wait()?;
        Ok(at)
    };

    // Interleaved, so that load from elsewhere on the machine weighs on all
    // alike: the sandboxed runner, the unsandboxed one, cargo build of the
    // same edit, the built program run directly.
    let mut v: [Vec<Duration>; 13] = Default::default();
    let result = (|| -> Result<()> {
        for i in 0..runs + 2 {
            let mark = format!("[edit {}]", 1000 + i);
            let code = edited(&source, 1000 + i)?;
            let a = edit_run(&on, &c_on, slug, &code, &mark)
                .with_context(|| format!("run {i}, sandboxed"))?;
            let r = rustc_alone(&code)?;
            let b = edit_run(&off, &c_off, slug, &code, &mark)
                .with_context(|| format!("run {i}, --sandbox off"))?;
            let c = cargo_build(&code)?;
            let d = direct_run()?;
            // The first two warm up the runners' and cargo's caches.
            if i >= 2 {
                let all = [
                    a.first_output,
                    a.end,
                    a.rustc,
                    b.first_output,
                    b.end,
                    b.rustc,
                    c,
                    d,
                    a.compiling,
                    a.run_stage,
                    b.compiling,
                    b.run_stage,
                    r,
                ];
                for (k, x) in all.into_iter().enumerate() {
                    v[k].push(x);
                }
            }
        }
        Ok(())
    })();
    drop(on);
    drop(off);
    let _ = std::fs::remove_dir_all(&book);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::write(&main, stub)?;
    result?;

    let [first, total, rustc, first_off, total_off, rustc_off, cargo, direct, compiling, run_stage, compiling_off, run_stage_off, alone] =
        v;
    println!("runner bench: snippet `{slug}`, a printed string edited each run, warm");
    let f = Stats::of(first);
    let f_off = Stats::of(first_off);
    let alone = Stats::of(alone);
    let rows: [(&str, Vec<Duration>); 11] = [
        ("edit -> Run -> first output, sandboxed", Vec::new()),
        ("... request -> rustc starts", compiling),
        ("... rustc (in its sandbox)", rustc),
        ("... compiled -> first output", run_stage),
        ("edit -> run finished, sandboxed runner", total),
        ("edit -> first output, --sandbox off", Vec::new()),
        ("... request -> rustc starts", compiling_off),
        ("... rustc", rustc_off),
        ("... compiled -> first output", run_stage_off),
        ("edit -> run finished, --sandbox off", total_off),
        ("cargo build of the same edit", cargo),
    ];
    println!("  {:<42} {alone}", "rustc alone on the same edit");
    for (i, (name, times)) in rows.into_iter().enumerate() {
        let stats = match i {
            0 => f.to_string(),
            5 => f_off.to_string(),
            _ => Stats::of(times).to_string(),
        };
        println!("  {name:<42} {stats}");
    }
    println!(
        "  {:<42} {}",
        "the built program run directly (1st byte)",
        Stats::of(direct)
    );
    let (m, r) = (f.median.as_secs_f64(), alone.median.as_secs_f64());
    println!(
        "runner bench: medians: rustc alone {r:.3} s, Run -> first output (sandboxed) {m:.3} s: {:+.3} s, {} the {:.2} s allowance; --sandbox off {:.3} s; load {}",
        m - r,
        if f.median <= alone.median + OVER_RUSTC { "within" } else { "over" },
        OVER_RUSTC.as_secs_f64(),
        f_off.median.as_secs_f64(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split(' ')
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    if f.median > alone.median + OVER_RUSTC {
        bail!(
            "median Run -> first output {m:.3} s (sandboxed) is more than {:.2} s over rustc alone ({r:.3} s)",
            OVER_RUSTC.as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_change_the_first_printed_string() {
        let e = edited(
            "fn main() {\n    eprintln!(\"e\");\n    println!(\"hi {x}\");\n}\n",
            3,
        )
        .unwrap();
        assert_eq!(
            e,
            "extern crate nix;\nfn main() {\n    eprintln!(\"e\");\n    println!(\"[edit 3] hi {x}\");\n}\n"
        );
    }

    #[test]
    fn stats_have_a_median_and_a_spread() {
        let s = Stats::of((1..=11).map(Duration::from_millis).collect());
        assert_eq!(s.median, Duration::from_millis(6));
        assert_eq!(
            (s.min, s.max),
            (Duration::from_millis(1), Duration::from_millis(11))
        );
    }
}
