//! The crate's shape: its modules name each other in one direction (no
//! circle, file by file), and `src/` stays small (test modules aside).
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of src/ (`run::plan`, `app`, ...) and its code without its
/// test module.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut todo = vec![src.clone()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
                continue;
            }
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> =
                rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap().to_string();
            out.insert(parts.join("::"), code);
        }
    }
    out
}

/// The modules `code` (in module `m`) names: `crate::a::b`, `super::x`,
/// and child modules it declares and uses (`plan::Holder`).
fn names(m: &str, code: &str, all: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let parent: Vec<&str> = m.split("::").collect();
    for (at, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
        let path: String = code[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: Vec<&str> = match segs.remove(0) {
            "crate" => Vec::new(),
            _ => parent[..parent.len() - 1].to_vec(),
        };
        let mut best = (!base.is_empty()).then(|| base.join("::"));
        for s in segs {
            base.push(s);
            if all.contains_key(&base.join("::")) {
                best = Some(base.join("::"));
            }
        }
        found.extend(best.filter(|b| b != m));
    }
    for line in code.lines() {
        if let Some(child) = line.strip_prefix("pub mod ").and_then(|l| l.strip_suffix(';')) {
            let full = if m.is_empty() { child.to_string() } else { format!("{m}::{child}") };
            if code.contains(&format!("{child}::")) && all.contains_key(&full) {
                found.insert(full);
            }
        }
    }
    found
}

#[test]
fn modules_name_each_other_in_one_direction() {
    let all = modules();
    let edges: BTreeMap<&String, BTreeSet<String>> =
        all.iter().map(|(m, code)| (m, names(m, code, &all))).collect();
    for start in all.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = edges[start].iter().collect();
        while let Some(m) = todo.pop() {
            assert_ne!(m, start, "{start} is in a circle of modules: {edges:#?}");
            if seen.insert(m.clone()) {
                todo.extend(edges.get(m).into_iter().flatten());
            }
        }
    }
}

#[test]
fn the_crate_stays_small() {
    let lines: usize = modules().values().map(|c| c.trim_end().lines().count()).sum::<usize>()
        + ["lib.rs", "main.rs"]
            .iter()
            .map(|f| {
                let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(f);
                std::fs::read_to_string(p).unwrap().lines().count()
            })
            .sum::<usize>();
    assert!(lines <= 5000, "crates/runner/src has {lines} lines outside its tests");
}
