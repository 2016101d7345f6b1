//! `mdbook test`, in-process: every Rust block of every chapter compiles
//! (and runs, or fails to compile where it says so) under rustdoc.
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;

use anyhow::{bail, Context, Result};
use mdbook::MDBook;

use crate::setup;

/// `mdbook test`, in-process (the library's `MDBook::test`, what the
/// binary runs): rustdoc with `-L DIR` and no `--extern`, so DIR must hold
/// exactly one rlib per crate, and the deps are built from
/// crates/mdbook-deps into a target folder of their own.
pub fn run(root: &Path) -> Result<()> {
    let target = root.join("target").join("mdbook-deps");
    let deps = target.join("debug").join("deps");
    let built = build_mdbook_deps(root, &target)?;
    prune_other_libs(&deps, &built)?;
    // cmdrun runs for the html renderer only, and gettext changes nothing
    // in the English book.
    let config = crate::build::render::config(root)?;
    let mut book = MDBook::load_with_config(root, config).context("loading the book")?;
    let Some(deps) = deps.to_str() else {
        bail!("{} is not UTF-8", deps.display());
    };
    book.test(vec![deps]).context("mdbook test")?;
    eprintln!("xtask: mdbook test: every Rust block of every chapter passed");
    Ok(())
}

/// `cargo build -p mdbook-deps` into `target`; the names of the files it
/// built or found fresh (cargo lists each, fresh or not).
fn build_mdbook_deps(root: &Path, target: &Path) -> Result<HashSet<OsString>> {
    let out = setup::cargo()
        .current_dir(root)
        .args(["build", "--quiet", "-p", "mdbook-deps"])
        .args(["--message-format=json-render-diagnostics", "--target-dir"])
        .arg(target)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("building the deps for mdbook test: could not start cargo")?;
    if !out.status.success() {
        bail!("building the deps for mdbook test failed ({})", out.status);
    }
    let mut libs = HashSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        for f in msg["filenames"].as_array().into_iter().flatten() {
            if let Some(name) = f.as_str().and_then(|f| Path::new(f).file_name()) {
                libs.insert(name.to_owned());
            }
        }
    }
    Ok(libs)
}

/// Removes every `lib*.rlib`/`.rmeta` in `deps` this build did not list: a
/// copy left from an older dependency set makes rustdoc's `-L` see two
/// candidates for a crate (E0464), for `mdbook test -L` typed by hand too.
fn prune_other_libs(deps: &Path, built: &HashSet<OsString>) -> Result<()> {
    for entry in std::fs::read_dir(deps).with_context(|| format!("reading {}", deps.display()))? {
        let entry = entry?;
        let path = entry.path();
        let lib = path
            .extension()
            .is_some_and(|e| e == "rlib" || e == "rmeta");
        let rlib = path.with_extension("rlib");
        let rlib_built = rlib.file_name().is_some_and(|n| built.contains(n));
        if lib && !built.contains(&entry.file_name()) && !rlib_built {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_libs_of_this_build_stay_for_rustdoc() {
        let dir = std::env::temp_dir().join(format!("rsp-prune-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let names = [
            "libnix-aaa.rlib",
            "libnix-aaa.rmeta",
            "libnix-bbb.rlib",
            "libnix-bbb.rmeta",
            "libmacros-ccc.so",
            "nix-aaa.d",
        ];
        for n in names {
            std::fs::write(dir.join(n), "").unwrap();
        }
        let built: HashSet<OsString> = ["libnix-aaa.rlib".into()].into();
        prune_other_libs(&dir, &built).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            left,
            [
                "libmacros-ccc.so",
                "libnix-aaa.rlib",
                "libnix-aaa.rmeta",
                "nix-aaa.d"
            ]
        );
    }
}
