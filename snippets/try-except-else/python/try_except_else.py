# Note 11, as the seed ran it: `else` runs only when the `try` block raised
# nothing; `finally` (which the seed did not use) runs either way. Each
# block records that it ran, and the program checks the order.
import sys

ran = []


def step(name):
    print(name)
    ran.append(name)


# ANCHOR: cases
def case(raise_in_try):
    try:
        if raise_in_try:
            raise ValueError("in try")
        step("try")
    except ValueError:
        step("except")
    else:
        step("else")
    finally:
        ran.append("finally")


print("Case 1: No exception raised in `try`")
case(False)
print("Case 2: Exception raised in `try`")
case(True)
# ANCHOR_END: cases

print(f"blocks that ran, finally included: {ran}")
if ran != ["try", "else", "finally", "except", "finally"]:
    sys.exit("try_except_else: behaviour not seen: else only without an exception")
