# Note 7, as the seed ran it: @attrs.define writes __init__, __repr__ and
# __eq__ from the annotated fields; a plain class has object's: a repr with
# its address, and equality by identity. And @attrs.define makes a slotted
# class (slots=True is its default): no attributes beyond the fields.
import re
import sys

import attrs


# ANCHOR: seed
@attrs.define
class Person:
    name: str
    age: int
    email: str


class Person2:
    def __init__(self, name, age, email):
        self.name = name
        self.age = age
        self.email = email


print("Print a `Person` instance which is annotated by `attrs.define`")
p = Person("Alice", 30, "alice@example.com")
print(p)
print("Print a `Person2` instance which is not annotated by `attrs.define`")
p2 = Person2("Alice", 30, "alice@example.com")
print(p2)
same = Person("Alice", 30, "alice@example.com") == p
same2 = Person2("Alice", 30, "alice@example.com") == p2
print(f"equal fields, == : Person {same}, Person2 {same2}")
p2.nickname = "Al"  # a plain class takes any new attribute
try:
    p.nickname = "Al"
    slotted = False
except AttributeError as e:
    slotted = True
    print(f"a new attribute: Person2 takes it, Person refuses it: AttributeError: {e}")
# ANCHOR_END: seed

if repr(p) != "Person(name='Alice', age=30, email='alice@example.com')" or not same:
    sys.exit("attrs_define: behaviour not seen: attrs' __repr__ and __eq__")
if not re.fullmatch(r"<__main__\.Person2 object at 0x[0-9a-f]+>", repr(p2)) or same2:
    sys.exit("attrs_define: behaviour not seen: object's __repr__ and identity ==")
if not slotted:
    sys.exit("attrs_define: behaviour not seen: @attrs.define's slotted class")
