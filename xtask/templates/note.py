"""{title}: the note's program, as a reader of the notes would write it."""
import os
import sys


# ANCHOR: note
def main():
    pid = os.getpid()
    print(f"hello from pid {pid}")
    if pid <= 0:
        sys.exit("{slug}: behaviour not seen: a process has a positive pid")
# ANCHOR_END: note


if __name__ == "__main__":
    main()
