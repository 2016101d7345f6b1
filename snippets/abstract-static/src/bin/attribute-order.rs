// Python applies decorators bottom-up: `@outer @inner def f` is
// outer(inner(f)). rustc expands attribute macros top-down: the first one
// written gets the item, inner attribute and all, and the next one gets
// what the first returned.
use std::process::ExitCode;

use abstract_static_macros::wrap;

// ANCHOR: decorated
#[wrap("outer")]
#[wrap("inner")]
fn decorated() -> String {
    "f".to_string()
}
// ANCHOR_END: decorated

fn main() -> ExitCode {
    let got = decorated();
    println!("decorated() = {got:?}");
    if got != "inner(outer(f))" {
        eprintln!(
            "abstract-static: behaviour not seen: \
             the attribute written first expands first"
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
