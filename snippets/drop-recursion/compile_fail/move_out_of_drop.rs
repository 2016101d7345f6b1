// The note's object lost its attributes before `__del__` ran. A Rust value
// whose type has Drop cannot lose a field: moving one out is refused.
struct Obj {
    hello: String,
    world: String,
}

impl Drop for Obj {
    fn drop(&mut self) {
        println!("drop sees {} and {}", self.hello, self.world);
    }
}

fn main() {
    let obj = Obj {
        hello: "hello".to_string(),
        world: "world".to_string(),
    };
    let hello = obj.hello; // like `del obj.hello`, keeping the string
    println!("{hello}");
}
