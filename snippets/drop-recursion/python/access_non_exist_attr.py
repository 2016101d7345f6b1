# Note 3, as the seed ran it: __del__ reads an attribute that is no longer in
# the instance's __dict__, so Python calls __getattr__, which reads another
# missing attribute, which calls __getattr__ again, until RecursionError.
# An exception in __del__ cannot propagate: Python prints it ("Exception
# ignored in") and goes on, so the program exits 0. It checks that this is
# what happened through sys.unraisablehook, passing each report on to the
# default hook, which prints it as usual.
import sys


# ANCHOR: class
class MyClass:
    def __init__(self):
        self.hello = "hello"
        self.world = "world"

    def __del__(self):
        print("Call __del__")
        self.hello

    def __getattr__(self, name):
        if self.world == "world":
            return "world"
        raise AttributeError(name)
# ANCHOR_END: class


ignored = []


def hook(unraisable):
    ignored.append(unraisable.exc_type)
    sys.__unraisablehook__(unraisable)


sys.unraisablehook = hook

# ANCHOR: seed
obj = MyClass()
print(obj.hello, obj.world)
print(obj.__dict__)
del obj.hello, obj.world  # both leave __dict__; __getattr__ now recurses
del obj  # the last reference: __del__ runs here
# ANCHOR_END: seed

print(f"after del: exceptions ignored in __del__: {[e.__name__ for e in ignored]}")
if ignored != [RecursionError]:
    sys.exit("access_non_exist_attr: behaviour not seen: one RecursionError in __del__")
