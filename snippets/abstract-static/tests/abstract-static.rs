//! The abstract-static snippet: each type's associated function answers,
//! trait objects work once the function is `where Self: Sized`; a missing
//! function is E0046 and a `dyn` of the plain trait is E0038; attribute
//! macros expand in the order written; default bodies and `Self`; missing
//! constants and types are E0046 too, and a constant rules out `dyn`.
use snippet_support::{assert_rejects, compile_fail_file, run};

#[test]
fn each_type_answers_and_trait_objects_work() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_abstract-static"), &[]);
    assert!(status.success(), "{out}{err}");
    let pairs: Vec<(&str, &str)> = out
        .lines()
        .map(|l| {
            let (call, got) = l.split_once(" -> ").unwrap();
            (call.trim_end(), got)
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("Impl::get_communicator_metadata()", "metadata from Impl"),
            (
                "<Other as Base>::get_communicator_metadata()",
                "metadata from Other"
            ),
            ("metadata_of::<Impl>()", "metadata from Impl"),
            ("metadata_of::<Other>()", "metadata from Other"),
            ("Vec<Box<dyn Communicator>>, name()", "[\"nccl\", \"gloo\"]"),
            ("Nccl::get_communicator_metadata()", "nccl: unique id"),
        ]
    );
}

#[test]
fn a_missing_associated_function_is_e0046_even_if_nothing_uses_the_type() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "missing_static"),
        "E0046",
    );
    assert!(
        msg.contains("not all trait items implemented, missing: `get_communicator_metadata`"),
        "{msg}"
    );
}

#[test]
fn a_function_without_self_makes_the_trait_dyn_incompatible() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "dyn_static"),
        "E0038",
    );
    assert!(
        msg.contains("the trait `Base` is not dyn compatible"),
        "{msg}"
    );
    assert!(msg.contains("has no `self` parameter"), "{msg}");
    assert!(msg.contains("where Self: Sized"), "{msg}");
}

#[test]
fn attribute_macros_expand_first_written_first() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_attribute-order"), &[]);
    assert!(status.success(), "{out}{err}");
    assert_eq!(out, "decorated() = \"inner(outer(f))\"\n");
}

#[test]
fn default_bodies_call_the_implementing_types_functions() {
    let (status, out, err) =
        run(env!("CARGO_BIN_EXE_abstract-static"), &["defaults"]);
    assert!(status.success(), "{out}{err}");
    assert_eq!(
        out,
        "Impl::describe()     -> metadata from Impl (version 1)\n\
         Other::describe()    -> metadata from Other (version 2)\n"
    );
}

#[test]
fn missing_constants_and_types_are_e0046_and_a_constant_rules_out_dyn() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "missing_const"),
        "E0046",
    );
    assert!(msg.contains("missing: `NAME`, `Config`"), "{msg}");
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "dyn_const"),
        "E0038",
    );
    assert!(msg.contains("it contains associated const `NAME`"), "{msg}");
}
