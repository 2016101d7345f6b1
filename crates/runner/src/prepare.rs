//! The prebuilt workspace under `target/runner/` (0700): one scratch
//! package per snippet with nix, libc, memmap2 and the snippet's own
//! dependencies, built once by cargo. A run then calls rustc directly with
//! `--extern` on those rlibs and an incremental folder per snippet, which
//! skips cargo's own start-up and fingerprinting.
//!
//! ```text
//! ws/, target/             the scratch workspace (Cargo.lock from the root), cargo's target dir
//! run-<pid>/               one runner's own, removed when it stops:
//!   cache/                 edit/<slug>/src/main.rs (the last source), incr/<slug>/ and
//!                          out/<slug>/<slug> (bounded per snippet)
//!   runs/<pid>-<n>/        a Python run's program, removed after it
//!   tmp.img, tmp/          the runs' /tmp: an ext4 image, mounted (root only)
//!   etc/                   the passwd and group files sandboxes see
//! ```
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use cargo_metadata::{DependencyKind, Message, MetadataCommand, PackageId, TargetKind};

/// Crates every snippet can use from the page, whatever its Cargo.toml says.
pub const ALWAYS: [&str; 3] = ["nix", "libc", "memmap2"];

#[derive(Debug, Clone)]
pub struct Layout {
    /// The book's workspace root (Cargo.toml, snippets/).
    pub root: PathBuf,
    /// `target/runner`.
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Layout {
        Layout {
            root: root.to_path_buf(),
            dir: supervisor::locate::target_dir(root).join("runner"),
        }
    }
    pub fn ws(&self) -> PathBuf {
        self.dir.join("ws")
    }
    pub fn target(&self) -> PathBuf {
        self.dir.join("target")
    }
    pub fn deps(&self) -> PathBuf {
        self.target().join("debug").join("deps")
    }
    /// This runner's own folder (two may serve one workspace at once):
    /// removed when it stops, or by the next runner if it was killed.
    pub fn state(&self) -> PathBuf {
        self.dir.join(format!("run-{}", std::process::id()))
    }
    /// What compiles keep between runs.
    pub fn cache(&self) -> PathBuf {
        self.state().join("cache")
    }
    pub fn runs(&self) -> PathBuf {
        self.state().join("runs")
    }
    pub fn etc(&self) -> PathBuf {
        self.state().join("etc")
    }
    /// Where the runs' /tmp file system is mounted.
    pub fn tmp(&self) -> PathBuf {
        self.state().join("tmp")
    }

    /// The snippet crates: folders of snippets/ with a Cargo.toml.
    pub fn slugs(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.root.join("snippets"))
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let e = e.ok()?;
                e.path().join("Cargo.toml").is_file().then_some(())?;
                e.file_name().to_str().map(String::from)
            })
            .filter(|s| valid_slug(s))
            .collect();
        v.sort();
        v
    }
}

/// A slug as the page may send it: lowercase letters, digits and `-`.
pub fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

/// What a run needs to call rustc for a snippet.
#[derive(Debug, Clone)]
pub struct Plan {
    /// rustc's sysroot (the real toolchain, not rustup's proxy).
    pub sysroot: PathBuf,
    pub deps_dir: PathBuf,
    /// slug -> (extern crate name, rlib or proc-macro .so)
    pub externs: HashMap<String, Vec<(String, PathBuf)>>,
}

impl Plan {
    /// rustc's arguments to build `src/main.rs` (relative: rustc runs in
    /// the build folder) into `out/<slug>`, with every path (the rlibs in
    /// `deps`, the incremental folder `incr`) as the compile sandbox sees it.
    pub fn rustc_args(
        &self,
        [deps, incr, out]: [&Path; 3],
        slug: &str,
        edition: &str,
    ) -> Vec<String> {
        let p = |p: &Path| p.to_string_lossy().into_owned();
        // Diagnostics as JSON with rustc's coloured rendering (the page
        // marks the reader's lines); cargo's dev profile with `debug = 0`;
        // std's debug info stripped at link time (a third faster to link);
        // 16 codegen units, not incremental's 256: fewer objects for LLVM
        // and the linker. (`-C prefer-dynamic` was faster still, but then
        // a `#[global_allocator]` is not used.)
        let fixed = "--crate-type bin --emit=link --error-format=json \
                     --json=diagnostic-rendered-ansi -C debuginfo=0 -C embed-bitcode=no \
                     -C strip=debuginfo -C codegen-units=16";
        let mut a: Vec<String> = fixed.split_whitespace().map(String::from).collect();
        a.extend([
            "--crate-name".into(),
            slug.replace('-', "_"),
            "--edition".into(),
            edition.into(),
        ]);
        a.extend(["-C".into(), format!("incremental={}", p(incr))]);
        a.extend(["-L".into(), format!("dependency={}", p(deps))]);
        for (name, file) in self.externs.get(slug).into_iter().flatten() {
            let inside = file
                .strip_prefix(&self.deps_dir)
                .map(|rel| deps.join(rel))
                .unwrap_or_else(|_| file.clone());
            a.extend(["--extern".into(), format!("{name}={}", p(&inside))]);
        }
        a.extend(["-o".into(), p(&out.join(slug)), "src/main.rs".into()]);
        a
    }
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The toolchain's sysroot (the real one, not rustup's proxy's).
pub fn find_sysroot() -> Result<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .stdin(Stdio::null())
        .output()
        .context("running rustc --print sysroot")?;
    anyhow::ensure!(out.status.success(), "rustc --print sysroot failed");
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    anyhow::ensure!(
        sysroot.join("bin/rustc").is_file(),
        "no bin/rustc in the sysroot {}",
        sysroot.display()
    );
    Ok(sysroot)
}

/// Writes the scratch workspace, builds its dependencies and returns the plan.
/// cargo prints its progress on our stderr (the first build compiles nix: about a
/// minute on 2 cores; later ones take a fraction of a second).
pub fn prepare(l: &Layout) -> Result<Plan> {
    let slugs = l.slugs();
    anyhow::ensure!(!slugs.is_empty(), "no snippet crates in {}/snippets", l.root.display());
    let ws_deps = workspace_dependencies(&l.root)?;
    let ws = l.ws();
    std::fs::create_dir_all(&ws)?;
    for slug in &slugs {
        let dir = l.root.join("snippets").join(slug);
        let manifest: toml::Table = read_toml(&dir.join("Cargo.toml"))?;
        let deps = scratch_deps(&manifest, &ws_deps, &l.root, &dir)?;
        let deps =
            toml::to_string(&toml::Table::from_iter([("dependencies".into(), deps.into())]))?;
        let text = format!(
            "# Written by the runner from snippets/{slug}/Cargo.toml.\n\
             [package]\nname = {slug:?}\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n{deps}"
        );
        write_if_changed(&ws.join(slug).join("Cargo.toml"), &text)?;
        // A stub: cargo only builds the dependencies; runs call rustc on the page's code.
        write_if_changed(&ws.join(slug).join("src/main.rs"), "fn main() {}\n")?;
    }
    let members: Vec<String> = slugs.iter().map(|s| format!("{s:?}")).collect();
    let ws_manifest = format!(
        "# Written by the runner: the prebuilt workspace for edit-and-run.\n\
         [workspace]\nresolver = \"2\"\nmembers = [{}]\n\n\
         [profile.dev]\nopt-level = 0\ndebug = 0\n\n\
         [profile.dev.package.\"*\"]\nopt-level = 1\n",
        members.join(", ")
    );
    write_if_changed(&ws.join("Cargo.toml"), &ws_manifest)?;
    // The same versions as the book's snippets.
    if let Ok(lock) = std::fs::read_to_string(l.root.join("Cargo.lock")) {
        write_if_changed(&ws.join("Cargo.lock"), &lock)?;
    }

    let artifacts = build_deps(l)?;
    let meta = MetadataCommand::new()
        .cargo_path(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .manifest_path(l.ws().join("Cargo.toml"))
        .other_options(["--offline".to_string()])
        .exec()
        .context("running cargo metadata")?;
    let resolve = meta.resolve.as_ref().context("cargo metadata gave no resolve")?;
    let mut externs = HashMap::new();
    for slug in &slugs {
        let Some(id) = meta
            .packages
            .iter()
            .find(|p| p.name.as_str() == slug && p.manifest_path.starts_with(&ws))
            .map(|p| p.id.clone())
        else {
            bail!("cargo metadata does not list the scratch package {slug}");
        };
        let node = resolve
            .nodes
            .iter()
            .find(|n| n.id == id)
            .with_context(|| format!("no resolve node for {slug}"))?;
        let mut list = Vec::new();
        for d in &node.deps {
            if !d.dep_kinds.iter().any(|k| k.kind == DependencyKind::Normal) {
                continue; // dev and build dependencies
            }
            let file = artifacts
                .get(&d.pkg)
                .with_context(|| format!("cargo built no library for {} ({slug})", d.pkg))?;
            list.push((d.name.clone(), file.clone()));
        }
        externs.insert(slug.clone(), list);
    }
    let sysroot = find_sysroot()?;
    Ok(Plan { sysroot, deps_dir: l.deps(), externs })
}

/// The root Cargo.toml's `[workspace.dependencies]` (empty when it has none).
pub fn workspace_dependencies(root: &Path) -> Result<toml::Table> {
    let root_manifest = read_toml(&root.join("Cargo.toml"))?;
    Ok(root_manifest
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default())
}

/// A TOML file, with its path in the error.
pub fn read_toml(path: &Path) -> Result<toml::Table> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The scratch package's [dependencies]: the ALWAYS crates and the snippet's
/// own, with `workspace = true` resolved and paths made absolute.
pub(crate) fn scratch_deps(
    manifest: &toml::Table,
    ws_deps: &toml::Table,
    root: &Path,
    snippet_dir: &Path,
) -> Result<toml::Table> {
    let mut out = toml::Table::new();
    for name in ALWAYS {
        if let Some(base) = ws_deps.get(name) {
            out.insert(name.into(), absolute(as_table(base), root));
        }
    }
    let own = manifest.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
    for (name, spec) in own {
        let spec = as_table(&spec);
        let resolved = if spec.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
            let base = ws_deps
                .get(&name)
                .with_context(|| format!("`{name}.workspace = true` but the root has no {name}"))?;
            let mut t = match absolute(as_table(base), root) {
                toml::Value::Table(t) => t,
                _ => toml::Table::new(),
            };
            if let Some(toml::Value::Array(extra)) = spec.get("features") {
                let mut f =
                    t.get("features").and_then(|f| f.as_array()).cloned().unwrap_or_default();
                for x in extra {
                    if !f.contains(x) {
                        f.push(x.clone());
                    }
                }
                t.insert("features".into(), toml::Value::Array(f));
            }
            toml::Value::Table(t)
        } else {
            absolute(spec, snippet_dir)
        };
        // A snippet's own entry wins over the ALWAYS one, except that the
        // ALWAYS features stay available.
        out.insert(name, resolved);
    }
    for name in ALWAYS {
        if let (Some(base), Some(toml::Value::Table(t))) = (ws_deps.get(name), out.get_mut(name)) {
            if let Some(toml::Value::Array(bf)) = as_table(base).get("features") {
                let f = t.entry("features").or_insert_with(|| toml::Value::Array(Vec::new()));
                if let toml::Value::Array(f) = f {
                    for x in bf {
                        if !f.contains(x) {
                            f.push(x.clone());
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

fn as_table(v: &toml::Value) -> toml::Table {
    match v {
        toml::Value::String(version) => {
            let mut t = toml::Table::new();
            t.insert("version".into(), version.clone().into());
            t
        }
        toml::Value::Table(t) => t.clone(),
        _ => toml::Table::new(),
    }
}

fn absolute(mut t: toml::Table, base: &Path) -> toml::Value {
    t.remove("workspace");
    t.remove("optional");
    if let Some(toml::Value::String(p)) = t.get("path") {
        let p = base.join(p);
        t.insert("path".into(), p.to_string_lossy().into_owned().into());
    }
    toml::Value::Table(t)
}

/// `cargo build` of the scratch workspace; package id -> its library file.
fn build_deps(l: &Layout) -> Result<BTreeMap<PackageId, PathBuf>> {
    let run = |offline: bool| -> Result<std::process::Output> {
        let mut cmd = cargo();
        cmd.args(["build", "--quiet", "--workspace", "--message-format=json-render-diagnostics"])
            .arg("--manifest-path")
            .arg(l.ws().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(l.target())
            .current_dir(l.ws())
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        if offline {
            cmd.arg("--offline");
        }
        cmd.output().context("running cargo build for the runner's workspace")
    };
    eprintln!(
        "runner: building the prebuilt workspace in {} (the first time: about a minute)",
        l.ws().display()
    );
    // Everything is in the root's Cargo.lock, normally fetched already.
    let mut out = run(true)?;
    if !out.status.success() {
        out = run(false)?;
    }
    if !out.status.success() {
        bail!("cargo build of {} failed ({})", l.ws().display(), out.status);
    }
    let mut libs = BTreeMap::new();
    for m in Message::parse_stream(out.stdout.as_slice()).flatten() {
        let Message::CompilerArtifact(a) = m else {
            continue;
        };
        let lib = a
            .target
            .kind
            .iter()
            .any(|k| matches!(k, TargetKind::Lib | TargetKind::RLib | TargetKind::ProcMacro));
        let file = a.filenames.iter().find(|f| matches!(f.extension(), Some("rlib" | "so")));
        if let (true, Some(file)) = (lib, file) {
            libs.insert(a.package_id, file.clone().into_std_path_buf());
        }
    }
    Ok(libs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_checked() {
        assert!(valid_slug("process-title"));
        for bad in ["", "../etc", "Zombie", "a/b", "-x", "a b"] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn workspace_deps_are_resolved_with_extra_features() {
        let ws: toml::Table = toml::from_str(
            r#"
            nix = { version = "0.32", features = ["fs"] }
            libc = "0.2"
            helper = { path = "crates/helper" }
            "#,
        )
        .unwrap();
        let manifest: toml::Table = toml::from_str(
            r#"
            [dependencies]
            nix = { workspace = true, features = ["mman"] }
            helper.workspace = true
            local = { path = "../local" }
            "#,
        )
        .unwrap();
        let d = scratch_deps(&manifest, &ws, Path::new("/r"), Path::new("/r/snippets/x")).unwrap();
        let nix = d["nix"].as_table().unwrap();
        assert_eq!(nix["version"].as_str(), Some("0.32"));
        let f: Vec<_> =
            nix["features"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(f, ["fs", "mman"]);
        assert_eq!(d["libc"]["version"].as_str(), Some("0.2"));
        assert_eq!(d["helper"]["path"].as_str(), Some("/r/crates/helper"));
        assert_eq!(d["local"]["path"].as_str(), Some("/r/snippets/x/../local"));
        assert!(d.get("memmap2").is_none(), "not in this root");
    }
}
