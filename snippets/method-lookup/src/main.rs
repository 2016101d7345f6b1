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

/// Prints one lookup and how many times `deref` ran for it; returns both.
fn show<'a>(e: &Entity, expr: &str, got: &'a str) -> (&'a str, u32) {
    let calls = e.derefs.replace(0);
    println!("  {expr:<36} -> {got} [deref calls: {calls}]");
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
    let mut e = Entity {
        existing: "I exist",
        extra: Extra {
            existing: "Extra's existing",
            dynamic: "I am dynamic!",
        },
        derefs: Cell::new(0),
    };

    // ANCHOR: cases
    println!("Case 1: e.existing, a name the type itself has");
    let c1a = show(&e, "e.existing", e.existing);
    let c1b = show(&e, "e.describe()", e.describe());
    let c1c = show(&e, "(*e).existing", (*e).existing);

    println!("Case 2: e.dynamic, a name only the Deref target has");
    let c2a = show(&e, "e.dynamic", e.dynamic);
    let c2b = show(&e, "e.shout()", e.shout());

    println!("Case 3: naming the function, like getattr(e, \"existing\")");
    let c3a = show(
        &e,
        "<Entity as Describe>::describe(&e)",
        Describe::describe(&e),
    );
    let c3b = show(&e, "Extra::describe(&e)", Extra::describe(&e));

    println!("Case 4: a name Entity's impl does not define");
    let c4 = show(&e, "e.nickname()", e.nickname());
    // ANCHOR_END: cases

    // ANCHOR: touch
    println!("Auto-ref: &self candidates come before &mut self");
    let c5 = show(&e, "e.touch()", e.touch());
    let inherent = Entity::touch(&mut e);
    let c6 = show(&e, "Entity::touch(&mut e)", inherent);
    // ANCHOR_END: touch

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
        c3a == ("<Entity as Describe>::describe (trait)", 0),
        "a path call picks the trait method",
    )?;
    expect(
        c3b.0.starts_with("Extra::describe") && c3b.1 == 1,
        "&Entity coerces to &Extra with one deref",
    )?;
    expect(
        c4.0.starts_with("default value") && c4.1 == 0,
        "default body",
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

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
