# Note 9, as the seed ran it: set.update() with an element equal to one the
# set holds keeps the one it has. The seed's asserts, with what they saw
# printed (id() tells the two equal objects apart).
import sys


class Person3:
    def __init__(self, name, age):
        self.name = name
        self.age = age

    def __hash__(self):
        return hash((self.name, self.age))

    def __eq__(self, other):
        return (self.name, self.age) == (other.name, other.age)


def check(ok, what):
    if not ok:
        sys.exit(f"set_update: behaviour not seen: {what}")


# ANCHOR: seed
alice1 = Person3("Alice", 20)
id1 = id(alice1)
alice2 = Person3("Alice", 20)
id2 = id(alice2)
s = set([alice1])
assert alice2 in s
s.update([alice2])

l = list(s)
assert len(l) == 1
assert l[0] is alice1
assert l[0] is not alice2
# ANCHOR_END: seed

print(f"alice1 == alice2: {alice1 == alice2}, alice1 is alice2: {alice1 is alice2}")
print(f"after s.update([alice2]): len(s) = {len(l)}, id(l[0]) == id1: {id(l[0]) == id1},"
      f" id(l[0]) == id2: {id(l[0]) == id2}")
# `assert` is skipped under python -O; the same facts, checked either way:
check(len(l) == 1 and l[0] is alice1, "update keeps the element already there")

# ANCHOR: dict
d = {alice1: "first"}
d[alice2] = "second"
key = next(iter(d))
print(f"dict: d[alice2] = 'second' keeps key alice1: {key is alice1}, value {d[alice1]!r}")
check(key is alice1 and d[alice1] == "second", "a dict keeps its key, takes the value")
# ANCHOR_END: dict
