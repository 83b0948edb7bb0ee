"""``python -m autograder COMMAND``: the instructor's commands.

    release [NAME ...]   solutions/ -> notebooks/ (nbgrader's generate step, bootstrap, badge)
    demo                 the main job end to end on an example class (make demo)
"""

from __future__ import annotations

import argparse
import sys
import time


def _release(args) -> int:
    from autograder.release import release

    t0 = time.perf_counter()
    written = release(args.names or None)
    for path in written:
        print(f"released {path.relative_to(path.parent.parent)}")
    print(f"{len(written)} notebook(s) released in {time.perf_counter() - t0:.1f} s")
    return 0


def _demo(args) -> int:
    from autograder.demo import main as demo

    return demo()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate the student notebooks from solutions/")
    p.add_argument("names", nargs="*", help="notebook names (default: all)")
    p.set_defaults(func=_release)
    p = sub.add_parser("demo", help="release, set up, and grade an example class")
    p.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
