//! "Download as a Cargo project": the page's (edited) program as a
//! `.tar.gz` (the `tar` and `flate2` crates) that builds outside the book.
//!
//! A Rust block becomes `<slug>/Cargo.toml` (nix, libc, memmap2 and the
//! snippet's own dependencies, each pinned to the exact version of the
//! book's Cargo.lock, with the features the book uses), `src/main.rs` and
//! the book's `Cargo.lock` (cargo drops what the project does not use and
//! keeps every other version as the book built it). A Python block becomes
//! `<name>/<name>.py` with `requirements.txt`, the book's pinned lock with
//! its hashes. Same checks as a run (`run/request.rs`).
use std::path::Path;

use anyhow::{Context, Result};

use crate::prepare::{read_toml, scratch_deps, workspace_dependencies, ALWAYS};
use crate::wire::{Job, Lang};

/// The files of the project, as (path inside the archive, contents).
pub type Files = Vec<(String, String)>;

/// Exact versions from a Cargo.lock: name -> versions (all of them, in
/// the lock's order).
fn locked_versions(lock: &str) -> Result<Vec<(String, String)>> {
    let t: toml::Table = toml::from_str(lock).context("parsing Cargo.lock")?;
    let mut out = Vec::new();
    for p in t.get("package").and_then(|p| p.as_array()).into_iter().flatten() {
        if let (Some(n), Some(v)) =
            (p.get("name").and_then(|n| n.as_str()), p.get("version").and_then(|v| v.as_str()))
        {
            out.push((n.to_string(), v.to_string()));
        }
    }
    Ok(out)
}

/// The locked version a requirement such as `0.32` or `1` resolved to.
fn pin(name: &str, req: &str, locked: &[(String, String)]) -> Option<String> {
    let req = req.trim_start_matches(['^', '=', '~']);
    locked
        .iter()
        .filter(|(n, v)| n == name && (v == req || v.starts_with(&format!("{req}."))))
        .map(|(_, v)| v.clone())
        .next_back()
}

/// A Rust project for `slug` with `code` as its `src/main.rs`.
pub fn rust_project(root: &Path, slug: &str, edition: &str, code: &str) -> Result<Files> {
    let ws_deps = workspace_dependencies(root)?;
    let dir = root.join("snippets").join(slug);
    let manifest = read_toml(&dir.join("Cargo.toml"))?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let locked = locked_versions(&lock)?;
    let mut deps = toml::Table::new();
    for (name, spec) in scratch_deps(&manifest, &ws_deps, root, &dir)? {
        let toml::Value::Table(mut t) = spec else {
            continue;
        };
        if t.contains_key("path") {
            // A crate of the book's own tree: not something a project
            // outside it can name.
            continue;
        }
        let req = t.get("version").and_then(|v| v.as_str()).unwrap_or("*").to_string();
        let exact = pin(&name, &req, &locked)
            .with_context(|| format!("Cargo.lock has no {name} matching `{req}`"))?;
        t.insert("version".into(), format!("={exact}").into());
        deps.insert(name, toml::Value::Table(t));
    }
    for name in ALWAYS {
        anyhow::ensure!(deps.contains_key(name), "the project would not have {name}");
    }
    let mut package = toml::Table::new();
    package.insert("name".into(), slug.into());
    package.insert("version".into(), "0.1.0".into());
    package.insert("edition".into(), edition.into());
    package.insert("publish".into(), false.into());
    let mut doc = toml::Table::new();
    doc.insert("package".into(), toml::Value::Table(package));
    doc.insert("dependencies".into(), toml::Value::Table(deps));
    // Its own workspace, even when unpacked inside another one.
    doc.insert("workspace".into(), toml::Value::Table(toml::Table::new()));
    let cargo_toml = format!(
        "# From the Rust Systems Playground book's snippets/{slug}: the versions the book was built with.\n{}",
        toml::to_string(&doc)?
    );
    let readme = format!(
        "The `{slug}` program from the Rust Systems Playground book, as you had it on the page.\n\n\
         Build and run it (Linux):\n\n    cargo run\n\n\
         Cargo.toml pins nix, libc and memmap2 to the exact versions the book used;\n\
         Cargo.lock is the book's (cargo keeps only what this project uses).\n"
    );
    let mut main = code.to_string();
    if !main.ends_with('\n') {
        main.push('\n');
    }
    Ok(vec![
        (format!("{slug}/Cargo.toml"), cargo_toml),
        (format!("{slug}/Cargo.lock"), lock),
        (format!("{slug}/src/main.rs"), main),
        (format!("{slug}/README.md"), readme),
    ])
}

/// A Python project: the program and the book's pinned requirements.
pub fn python_project(root: &Path, slug: &str, name: &str, code: &str) -> Result<Files> {
    let lock = std::fs::read_to_string(root.join(supervisor::python::LOCK))
        .with_context(|| format!("reading {}", supervisor::python::LOCK))?;
    let readme = format!(
        "`{name}.py` from the Rust Systems Playground book (snippets/{slug}/python/), as you had it on the page.\n\n\
         Run it with Debian's Python 3.11 and the book's pinned packages (Linux):\n\n\
         \x20   python3 -m venv .venv\n\
         \x20   .venv/bin/pip install --require-hashes -r requirements.txt\n\
         \x20   .venv/bin/python {name}.py\n"
    );
    let mut program = code.to_string();
    if !program.ends_with('\n') {
        program.push('\n');
    }
    Ok(vec![
        (format!("{name}/{name}.py"), program),
        (format!("{name}/requirements.txt"), lock),
        (format!("{name}/README.md"), readme),
    ])
}

/// The archive of a checked job (`run/request.rs`): its file name and bytes.
pub fn archive(root: &Path, job: &Job) -> Result<(String, Vec<u8>)> {
    let (files, name) = match &job.lang {
        Lang::Rust => (rust_project(root, &job.slug, &job.edition, &job.code)?, job.slug.clone()),
        Lang::Python { name } => (python_project(root, &job.slug, name, &job.code)?, name.clone()),
    };
    Ok((format!("{name}.tar.gz"), tar_gz(&files)?))
}

/// The files as a gzipped tar, every entry 0644 (folders 0755), dated now.
pub fn tar_gz(files: &Files) -> Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for (path, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(now);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, path, text.as_bytes())?;
    }
    Ok(tar.into_inner()?.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pin_to_the_locked_version() {
        let locked = vec![
            ("nix".to_string(), "0.29.0".to_string()),
            ("nix".to_string(), "0.32.0".to_string()),
            ("libc".to_string(), "0.2.191".to_string()),
        ];
        assert_eq!(pin("nix", "0.32", &locked).as_deref(), Some("0.32.0"));
        assert_eq!(pin("libc", "0.2", &locked).as_deref(), Some("0.2.191"));
        assert_eq!(pin("nix", "0.31", &locked), None);
    }
}
