"""Build the example class (autograder/example_class.py): submissions.zip and roster.csv.

python scripts/build_example_class.py [OUT_DIR]              the hand-in only (default: out/example_class)
python scripts/build_example_class.py OUT_DIR --course DIR   also set up an nbgrader course in DIR with
                                                             nbgrader's tools (config, late policy,
                                                             generate, roster, due dates) and collect
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import example_class  # noqa: E402
from autograder.paths import ROOT  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "out" / "example_class"))
    parser.add_argument("--course", help="an nbgrader course directory to set up and collect into")
    args = parser.parse_args()
    print("Expected, written by hand (student, assignment, score after late penalty, status, mistakes):")
    print(example_class.table())
    if args.course:
        _, _, report = example_class.setup_course(args.course, args.out)
        print("\nCollect:")
        print(report.summary())
        print(f"\ncourse: {args.course} (report: collect/report.json)")
    else:
        for what, path in example_class.build(args.out).items():
            print(f"{what}: {path}")
