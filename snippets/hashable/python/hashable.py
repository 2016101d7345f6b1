# Note 8, as the seed ran it: a dict finds a key by hash, then by ==. A class
# with neither method hashes and compares by identity; with only __hash__,
# an equal-looking key lands in the right bucket but == is still identity;
# only with both is a new, equal object found.
import sys


# ANCHOR: seed
class Person:  # neither __hash__ nor __eq__: id() decides
    def __init__(self, name, age):
        self.name = name
        self.age = age


class Person2(Person):  # __hash__ only
    def __hash__(self):
        return hash((self.name, self.age))


class Person3(Person):  # __hash__ and __eq__
    def __hash__(self):
        return hash((self.name, self.age))

    def __eq__(self, other):
        return (self.name, self.age) == (other.name, other.age)


d = {Person("Alice", 20): 1}
d2 = {Person2("Alice", 20): 1}
d3 = {Person3("Alice", 20): 1}
found = [Person("Alice", 20) in d, Person2("Alice", 20) in d2, Person3("Alice", 20) in d3]
print("Person('Alice', 20) in d: ", found[0])
print("Person2('Alice', 20) in d2: ", found[1])
print("Person3('Alice', 20) in d3: ", found[2])
# ANCHOR_END: seed

if found != [False, False, True]:
    sys.exit(f"hashable: behaviour not seen: expected [False, False, True], got {found}")
