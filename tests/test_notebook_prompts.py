"""Topic notebooks ask before they show: a "Predict first" question, answer collapsed, before
each plotted experiment (docs/notebook-standard.md)."""

from __future__ import annotations

import json
import re

import pytest

from support import SOLUTIONS

TOPICS = sorted(p for p in SOLUTIONS.glob("0[0-6]_*.ipynb"))
FIGURE = re.compile(r"plt\.subplots\(|plt\.figure\(|plots\.curves\(")
#: Figures that illustrate rather than test an expectation: a drawn network, the curve an
#: exercise asks for, and a scatter of what noise does to four points.
ILLUSTRATIONS = {"0a52d5fc", "6a7c9b2f", "b1c8dd34"}


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _asks(text: str) -> bool:
    """A prediction prompt whose answer sits in a closed <details> block with a summary."""
    return "Predict first" in text and text.count("<details>") == text.count("</details>") >= 1 and "<summary>" in text


@pytest.mark.parametrize("path", TOPICS, ids=[p.stem for p in TOPICS])
def test_every_plotted_experiment_is_preceded_by_a_prediction(path):
    cells = json.loads(path.read_text())["cells"]
    asked, missing = False, []
    for cell in cells:
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            asked = asked or _asks(text)
        elif FIGURE.search(text):
            if cell["id"] not in ILLUSTRATIONS and not asked:
                missing.append(text.splitlines()[0][:60])
            asked = False
    assert not missing, f"{path.name}: no 'Predict first' prompt before {missing}"


@pytest.mark.parametrize("path", TOPICS, ids=[p.stem for p in TOPICS])
def test_prediction_answers_are_collapsed(path):
    for cell in json.loads(path.read_text())["cells"]:
        text = _source(cell)
        if cell["cell_type"] == "markdown" and "Predict first" in text:
            assert _asks(text), f"{path.name}: a prompt without a closed <details> answer: {text[:80]}"
