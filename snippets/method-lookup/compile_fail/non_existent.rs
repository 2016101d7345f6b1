// Case 4 of the note, getattr(e, "non_existent", "default value"), in Rust:
// a name that neither the type nor its Deref target has is a compile error.
use std::ops::Deref;

struct Extra {
    dynamic: &'static str,
}

struct Entity {
    existing: &'static str,
    extra: Extra,
}

impl Deref for Entity {
    type Target = Extra;
    fn deref(&self) -> &Extra {
        &self.extra
    }
}

fn main() {
    let e = Entity {
        existing: "I exist",
        extra: Extra {
            dynamic: "I am dynamic!",
        },
    };
    println!("{} {}", e.existing, e.dynamic);
    println!("{}", e.non_existent);
}
