// Note 6: Python's `@staticmethod @abstractmethod` on a base class, and a
// subclass that forgets it, fail with TypeError when the subclass is
// instantiated. In Rust the same shape is a trait's associated function
// without `self` and without a body; an impl that leaves it out does not
// compile (see compile_fail/). This program is the version that compiles.
use std::process::ExitCode;

// ANCHOR: trait
trait Base {
    /// No `self`: Python's @staticmethod. No body: @abstractmethod.
    fn get_communicator_metadata() -> String;
}

struct Impl;
struct Other;

impl Base for Impl {
    fn get_communicator_metadata() -> String {
        "metadata from Impl".to_string()
    }
}

impl Base for Other {
    fn get_communicator_metadata() -> String {
        "metadata from Other".to_string()
    }
}
// ANCHOR_END: trait

// ANCHOR: generic
/// Generic code calls it on a type, never on a value.
fn metadata_of<C: Base>() -> String {
    C::get_communicator_metadata()
}
// ANCHOR_END: generic

// ANCHOR: dyn
trait Communicator {
    /// `where Self: Sized` keeps this out of the vtable, so that
    /// `dyn Communicator` can exist; it is callable on concrete types only.
    fn get_communicator_metadata() -> String
    where
        Self: Sized;
    fn name(&self) -> &'static str;
}

struct Nccl;
struct Gloo;

impl Communicator for Nccl {
    fn get_communicator_metadata() -> String {
        "nccl: unique id".to_string()
    }
    fn name(&self) -> &'static str {
        "nccl"
    }
}

impl Communicator for Gloo {
    fn get_communicator_metadata() -> String {
        "gloo: file store".to_string()
    }
    fn name(&self) -> &'static str {
        "gloo"
    }
}
// ANCHOR_END: dyn

// ANCHOR: defaults
/// Default bodies: `version` is a static method that is not abstract, and
/// `describe` plays @classmethod: `Self` is the type it is called on.
trait Described: Base {
    fn version() -> u32 {
        1
    }
    fn describe() -> String {
        format!(
            "{} (version {})",
            Self::get_communicator_metadata(),
            Self::version()
        )
    }
}

impl Described for Impl {}

impl Described for Other {
    fn version() -> u32 {
        2
    }
}
// ANCHOR_END: defaults

fn main() -> ExitCode {
    let result = match std::env::args().nth(1).as_deref() {
        None => run(),
        Some("defaults") => defaults(),
        Some(other) => Err(format!("unknown argument {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("abstract-static: {e}");
            ExitCode::FAILURE
        }
    }
}

fn defaults() -> Result<(), String> {
    let impl_says = Impl::describe();
    let other_says = Other::describe();
    println!("{:<20} -> {impl_says}", "Impl::describe()");
    println!("{:<20} -> {other_says}", "Other::describe()");
    expect(
        impl_says == "metadata from Impl (version 1)"
            && other_says == "metadata from Other (version 2)",
        "default bodies call the implementing type's functions",
    )
}

fn run() -> Result<(), String> {
    let calls = call_on_types();
    let (names, nccl) = trait_objects();
    let want = [
        "metadata from Impl",
        "metadata from Other",
        "metadata from Impl",
        "metadata from Other",
    ];
    expect(
        calls.iter().map(|(_, got)| got.as_str()).eq(want),
        "each type answers with its own associated function",
    )?;
    expect(names == ["nccl", "gloo"], "trait objects dispatch name()")?;
    expect(
        nccl == "nccl: unique id",
        "Self: Sized function on a concrete type",
    )
}

// ANCHOR: calls
/// Calls on a type: directly, through the trait, and from generic code.
fn call_on_types() -> [(&'static str, String); 4] {
    let calls = [
        (
            "Impl::get_communicator_metadata()",
            Impl::get_communicator_metadata(),
        ),
        (
            "<Other as Base>::get_communicator_metadata()",
            <Other as Base>::get_communicator_metadata(),
        ),
        ("metadata_of::<Impl>()", metadata_of::<Impl>()),
        ("metadata_of::<Other>()", metadata_of::<Other>()),
    ];
    for (call, got) in &calls {
        println!("{call:<46} -> {got}");
    }
    calls
}
// ANCHOR_END: calls

// ANCHOR: objects
/// Trait objects call `name`; the `Self: Sized` function stays callable
/// on a concrete type.
fn trait_objects() -> (Vec<&'static str>, String) {
    let all: Vec<Box<dyn Communicator>> = vec![Box::new(Nccl), Box::new(Gloo)];
    let names: Vec<&str> = all.iter().map(|c| c.name()).collect();
    println!("{:<46} -> {names:?}", "Vec<Box<dyn Communicator>>, name()");
    let nccl = Nccl::get_communicator_metadata();
    println!("{:<46} -> {nccl}", "Nccl::get_communicator_metadata()");
    (names, nccl)
}
// ANCHOR_END: objects

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
