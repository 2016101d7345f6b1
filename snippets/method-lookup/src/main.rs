// Note 4: Python looks an attribute up at run time (__getattribute__, the
// instance __dict__, then __getattr__). Rust resolves `e.name` at compile
// time: the type's own fields and methods, trait methods, auto-ref, and then
// the same again on whatever `Deref` leads to. Each case prints who won.
use std::cell::Cell;
use std::ops::Deref;
use std::process::ExitCode;

// ANCHOR: types
/// What an `Entity` dereferences to: Rust's nearest thing to `__getattr__`.
struct Extra {
    existing: &'static str, // hidden by Entity's own `existing`
    dynamic: &'static str,
}

impl Extra {
    fn describe(&self) -> &'static str {
        "Extra::describe (inherent, on the Deref target)"
    }
    fn shout(&self) -> &'static str {
        "Extra::shout (inherent, on the Deref target)"
    }
}

struct Entity {
    existing: &'static str,
    extra: Extra,
    derefs: Cell<u32>, // counts the calls of the fallback below
}

impl Deref for Entity {
    type Target = Extra;
    fn deref(&self) -> &Extra {
        self.derefs.set(self.derefs.get() + 1);
        &self.extra
    }
}

impl Entity {
    fn describe(&self) -> &'static str {
        "Entity::describe (inherent)"
    }
}

trait Describe {
    fn describe(&self) -> &'static str;
    fn nickname(&self) -> &'static str {
        "default value (Describe's default body)"
    }
}

impl Describe for Entity {
    fn describe(&self) -> &'static str {
        "<Entity as Describe>::describe (trait)"
    }
}
// ANCHOR_END: types

// ANCHOR: autoref
impl Entity {
    fn touch(&mut self) -> &'static str {
        "Entity::touch(&mut self) (inherent)"
    }
}

trait Touch {
    fn touch(&self) -> &'static str;
}

impl Touch for Entity {
    fn touch(&self) -> &'static str {
        "<Entity as Touch>::touch(&self) (trait)"
    }
}
// ANCHOR_END: autoref

// ANCHOR: getattr
/// Lookup by a name known only at run time. Fields have no names at run
/// time, so the table is written out; `None` plays `AttributeError`.
fn getattr(e: &Entity, name: &str) -> Option<&'static str> {
    match name {
        "existing" => Some(e.existing),
        "dynamic" => Some(e.dynamic), // through Deref, like __getattr__
        _ => None,
    }
}
// ANCHOR_END: getattr

/// Prints one lookup and how many times `deref` ran for it; returns both.
fn show(e: &Entity, expr: &str, got: &'static str) -> (&'static str, u32) {
    let calls = e.derefs.replace(0);
    println!("  {expr:<38} -> {got} [deref calls: {calls}]");
    (got, calls)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("method-lookup: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let e = Entity {
        existing: "I exist",
        extra: Extra {
            existing: "Extra's existing",
            dynamic: "I am dynamic!",
        },
        derefs: Cell::new(0),
    };
    let [c1a, c1b, c1c, c2a, c2b, c3a, c3b, c4] = cases(&e);
    let [p1, p2, p3] = paths(&e);
    let [c5, c6] = touch(e);

    expect(c1a == ("I exist", 0), "the type's own field wins, no deref")?;
    expect(
        c1c == ("Extra's existing", 1),
        "an explicit deref reaches the hidden field",
    )?;
    expect(
        c1b == ("Entity::describe (inherent)", 0),
        "the inherent method wins over the trait and the Deref target",
    )?;
    expect(
        c2a == ("I am dynamic!", 1),
        "a missing field is found through one deref",
    )?;
    expect(
        c2b.0.starts_with("Extra::shout") && c2b.1 == 1,
        "e.shout() through Deref",
    )?;
    expect(
        c3a == ("I exist", 0) && c3b == ("I am dynamic!", 1),
        "getattr's table finds both names",
    )?;
    expect(
        c4 == ("default value", 0),
        "an unknown name gets the default",
    )?;
    expect(
        p1 == ("<Entity as Describe>::describe (trait)", 0),
        "a path call picks the trait method",
    )?;
    expect(
        p2.0.starts_with("Extra::describe") && p2.1 == 1,
        "&Entity coerces to &Extra with one deref",
    )?;
    expect(
        p3.0.starts_with("default value") && p3.1 == 0,
        "a method the impl leaves out gets the trait's default body",
    )?;
    expect(
        c5.0.starts_with("<Entity as Touch>") && c5.1 == 0,
        "the &self trait method wins over the &mut self inherent one",
    )?;
    expect(
        c6.0.starts_with("Entity::touch(&mut self)"),
        "path call to the inherent one",
    )?;
    Ok(())
}

// ANCHOR: cases
/// The note's four cases: each prints what it reached and how many times
/// `deref` ran for it.
fn cases(e: &Entity) -> [(&'static str, u32); 8] {
    println!("Case 1: e.existing, a name the type itself has");
    let c1a = show(e, "e.existing", e.existing);
    let c1b = show(e, "e.describe()", e.describe());
    let c1c = show(e, "(*e).existing", (**e).existing);

    println!("Case 2: e.dynamic, a name only the Deref target has");
    let c2a = show(e, "e.dynamic", e.dynamic);
    let c2b = show(e, "e.shout()", e.shout());

    println!("Case 3: getattr(e, \"existing\"), a name as a string");
    let c3a = show(
        e,
        "getattr(&e, \"existing\")",
        getattr(e, "existing").unwrap_or("AttributeError"),
    );
    let c3b = show(
        e,
        "getattr(&e, \"dynamic\")",
        getattr(e, "dynamic").unwrap_or("AttributeError"),
    );

    println!("Case 4: getattr(e, \"non_existent\", \"default value\")");
    let c4 = show(
        e,
        "getattr(..).unwrap_or(\"default value\")",
        getattr(e, "non_existent").unwrap_or("default value"),
    );
    [c1a, c1b, c1c, c2a, c2b, c3a, c3b, c4]
}
// ANCHOR_END: cases

// ANCHOR: paths
/// No lookup by name at all: a path names one function, and a method the
/// impl leaves out is the trait's default body.
fn paths(e: &Entity) -> [(&'static str, u32); 3] {
    println!("Paths: naming the function skips the search");
    let p1 = show(
        e,
        "<Entity as Describe>::describe(&e)",
        Describe::describe(e),
    );
    let p2 = show(e, "Extra::describe(&e)", Extra::describe(e));
    println!("A method Entity's impl does not define");
    let p3 = show(e, "e.nickname()", e.nickname());
    [p1, p2, p3]
}
// ANCHOR_END: paths

// ANCHOR: touch
/// Auto-ref: the `&self` candidate comes before the `&mut self` one.
fn touch(mut e: Entity) -> [(&'static str, u32); 2] {
    println!("Auto-ref: &self candidates come before &mut self");
    let c5 = show(&e, "e.touch()", e.touch());
    let inherent = Entity::touch(&mut e);
    let c6 = show(&e, "Entity::touch(&mut e)", inherent);
    [c5, c6]
}
// ANCHOR_END: touch

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
