# Note 4, as the seed ran it: __getattribute__ runs for every attribute
# access; __getattr__ only when __getattribute__ raised AttributeError; and
# getattr(obj, name, default) goes through both before it falls back to the
# default. Each hook records its call, and the program checks the order.
import sys

calls = []


# ANCHOR: class
class Example:
    def __init__(self):
        self.existing = "I exist"

    def __getattribute__(self, name):
        print(f"__getattribute__ called with: {name}")
        calls.append(("__getattribute__", name))
        return super().__getattribute__(name)

    def __getattr__(self, name):
        print(f"__getattr__ called with: {name}")
        calls.append(("__getattr__", name))
        if name == "dynamic":
            return "I am dynamic!"
        cls = self.__class__.__name__  # one more access: __getattribute__ again
        raise AttributeError(f"'{cls}' object has no attribute '{name}'")
# ANCHOR_END: class


# ANCHOR: cases
e = Example()
cases = [
    ("Case 1: e.existing which is exist in __dict__", lambda: e.existing),
    ("Case 2: e.dynamic which is not exist in __dict__, but can be handled by __getattr__",
     lambda: e.dynamic),
    ("Case 3: getattr existing attribute", lambda: getattr(e, "existing")),
    ("Case 4: getattr non-existent attribute",
     lambda: getattr(e, "non_existent", "default value")),
]
# ANCHOR_END: cases

expected = [
    [("__getattribute__", "existing")],
    [("__getattribute__", "dynamic"), ("__getattr__", "dynamic")],
    [("__getattribute__", "existing")],
    [("__getattribute__", "non_existent"), ("__getattr__", "non_existent"),
     ("__getattribute__", "__class__")],
]
for i, ((title, access), want) in enumerate(zip(cases, expected)):
    if i:
        print("-" * 50)
    print(title)
    calls.clear()
    print(access())
    if calls != want:
        sys.exit(f"access_attr: behaviour not seen: {title}: calls {calls}, expected {want}")
