# Note 6, as the seed ran it: a static, abstract method that Impl does not
# define. Defining Impl is fine; Impl() raises TypeError, which nothing
# catches: the traceback and exit status 1 are the point. With --swapped,
# the decorators come in the other order, and the class body itself fails:
# @abstractmethod cannot set __isabstractmethod__ on a staticmethod object.
# Either way, reaching the end means the behaviour was absent (exit 2).
import sys
from abc import ABC, abstractmethod

if "--swapped" not in sys.argv[1:]:
    # ANCHOR: seed
    class Base(ABC):

        @staticmethod
        @abstractmethod
        def get_communicator_metadata():
            pass

    class Impl(Base):
        pass

    print(f"Base.__abstractmethods__ = {set(Base.__abstractmethods__)}")
    print(f"Impl.get_communicator_metadata() = {Impl.get_communicator_metadata()!r}")
    impl = Impl()
    # ANCHOR_END: seed
else:
    # ANCHOR: swapped
    class Base(ABC):

        @abstractmethod
        @staticmethod
        def get_communicator_metadata():
            pass
    # ANCHOR_END: swapped

sys.exit("annotation_order: behaviour not seen: no exception")
