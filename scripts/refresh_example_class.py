"""Refresh the example class's data in the package (autograder/example/) from the repository.

The example class (autograder/example_class.py) must run from an installed wheel, where
there is no ``solutions/``, ``notebooks/`` or ``tests/variants``. So what it needs ships
as package data, copied here from the sources of truth:

- ``example/source/NN_name.ipynb``: the solution notebooks of its assignments (the
  sandbox never sees them: ``engine.jail.HIDDEN_PATHS``);
- ``example/release/NN_name.ipynb``: their student release;
- ``example/wrong.json``: exercise id -> [misconception code, source] of the first wrong
  variant of each exercise in ``tests/variants/nbNN.py`` (the answers the class gets wrong).

    .venv/bin/python scripts/refresh_example_class.py          (tests/test_example_data.py fails when stale)
"""

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from autograder.example_class import ASSIGNMENTS, EXAMPLE  # noqa: E402


def wrong_answers() -> dict[str, list[str]]:
    from support import variant_module

    out = {}
    for assignment in ASSIGNMENTS:
        for ex_id, variants in sorted(variant_module("nb" + assignment[:2]).WRONG.items()):
            code, source = variants[0]
            out[ex_id] = [code, source]
    return out


def refresh() -> list[Path]:
    written = []
    for folder, origin in (("source", ROOT / "solutions"), ("release", ROOT / "notebooks")):
        (EXAMPLE / folder).mkdir(parents=True, exist_ok=True)
        for assignment in ASSIGNMENTS:
            target = EXAMPLE / folder / f"{assignment}.ipynb"
            shutil.copyfile(origin / f"{assignment}.ipynb", target)
            written.append(target)
    target = EXAMPLE / "wrong.json"
    target.write_text(json.dumps(wrong_answers(), indent=1, sort_keys=True) + "\n")
    return written + [target]


if __name__ == "__main__":
    for path in refresh():
        print(f"wrote {path.relative_to(ROOT)}")
