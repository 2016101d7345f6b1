"""annotation_order.py: TypeError at Impl(), AttributeError with the order swapped."""


def test_instantiating_impl_raises_type_error(run):
    r = run("abstract-static", "annotation_order")
    assert r.returncode == 1, r.stderr
    assert r.stdout == (
        "Base.__abstractmethods__ = {'get_communicator_metadata'}\n"
        "Impl.get_communicator_metadata() = None\n"
    )
    assert r.stderr.splitlines()[-1] == (
        "TypeError: Can't instantiate abstract class Impl with abstract method"
        " get_communicator_metadata"
    ), r.stderr
    assert "    impl = Impl()" in r.stderr.splitlines()


def test_the_swapped_order_fails_in_the_class_body(run):
    r = run("abstract-static", "annotation_order", "--swapped")
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[-1] == (
        "AttributeError: attribute '__isabstractmethod__' of 'staticmethod' objects"
        " is not writable"
    ), r.stderr
