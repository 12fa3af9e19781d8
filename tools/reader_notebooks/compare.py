"""What a reader's run of a notebook printed, set against what the site shows.

A reader sees a cell's text: what it printed, the value it displayed, the error
it raised. Those are compared. Pictures are not: the site draws SVG with its own
kernel profile, a reader's Jupyter PNG, so only that a picture appears is.

The rules, in the order they apply to each code cell:

* the install cell (tagged ``install-dependencies``) is skipped: what pip prints
  depends on what was installed before;
* a cell tagged ``output-varies`` (a timing) is compared by the kinds of output it
  has, not their text;
* a cell whose pinned output (its ``expected`` metadata) holds ``...`` is compared
  with the pin as the page's doctest compares it: what the pin leaves open
  varies from run to run (memory addresses, timings);
* every other cell must print exactly what the site shows, memory addresses
  (``0x7f...``), the file a warning names (the build machine's paths are not a
  reader's) and spaces at the ends of lines aside (the site strips them from
  what a cell prints, and a reader cannot see them), and errors are compared by their name and message (the
  site shows them as one line, a reader's Jupyter with the traceback).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from checks.pins import output_difference  # docs/_ext, on the path with tools/

INSTALL_TAG = "install-dependencies"
VARIES_TAG = "output-varies"
IMAGE_TYPES = ("image/svg+xml", "image/png", "image/jpeg")
# An object's memory address, as repr() prints it: eight hex digits or more
# (0x7f3a2c1b2d30); shorter numbers such as 0x10 are values and stay.
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{8,}\b")
# Where a warning was raised: "/any/path/module.py:366: UserWarning: ..." (the
# site's build machine and a reader's differ in the path, not in the warning).
_WARNING_PLACE = re.compile(r"^\S*?[^\s/\\]+\.py:\d+: (?=\w*Warning\b)", re.MULTILINE)


@dataclass(frozen=True)
class Mismatch:
    """One code cell whose output in a reader's run differs from the site's."""

    cell: int  # the cell's number in the notebook, from 1, install cell included
    source: str  # the cell's first line, to find it
    reason: str  # what differs, with both texts

    def __str__(self) -> str:
        return f"cell {self.cell} ({self.source!r}): {self.reason}"


def shown(outputs: Iterable[Mapping[str, Any]]) -> list[str]:
    r"""The outputs of one cell as the pieces a reader sees, in order.

    Streams become ``stdout: <text>`` (consecutive messages of one stream joined),
    displayed values ``value: <text/plain>``, or ``image`` when they are a picture,
    errors ``error: <name>: <message>``.

    Examples:
        >>> shown([{"output_type": "stream", "name": "stdout", "text": "a\n"},
        ...        {"output_type": "stream", "name": "stdout", "text": "b\n"},
        ...        {"output_type": "execute_result", "data": {"text/plain": "3"}}])
        ['stdout: a\nb\n', 'value: 3']
    """
    pieces: list[str] = []
    last_stream: str | None = None
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream":
            text = _text(output["text"])
            if last_stream == output["name"]:
                pieces[-1] += text
            else:
                pieces.append(f"{output['name']}: {text}")
            last_stream = output["name"]
            continue
        last_stream = None
        if kind in {"execute_result", "display_data"}:
            data = output.get("data", {})
            if any(image in data for image in IMAGE_TYPES):
                pieces.append("image")
            elif "text/plain" in data:
                pieces.append(f"value: {_text(data['text/plain'])}")
            else:  # HTML, JSON, a widget: what it is, not how it is written
                pieces.append(f"display: {', '.join(sorted(data))}")
        elif kind == "error":
            pieces.append(f"error: {output['ename']}: {output['evalue']}")
    return pieces


def normalized(piece: str) -> str:
    r"""``piece`` without what differs between machines: memory addresses, warnings' files.

    Examples:
        >>> normalized("stderr: /venv/lib/torch/x.py:3: UserWarning: careful")
        'stderr: <file>: UserWarning: careful'
        >>> normalized("value: <AddBackward0 object at 0x7f3a2c1b2d30>")
        'value: <AddBackward0 object at 0x…>'
        >>> normalized("stdout: a  \nb\n\n")
        'stdout: a\nb'
    """
    kind, colon, text = piece.partition(": ")
    text = _WARNING_PLACE.sub("<file>: ", _ADDRESS.sub("0x…", text))
    text = "\n".join(line.rstrip() for line in text.rstrip().splitlines())
    return f"{kind}{colon}{text}"


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _kind(piece: str) -> str:
    return piece.partition(":")[0]


def _pin_difference(pin: str, pieces: list[str]) -> str | None:
    # Compared as the page's doctest and the build compare it (docs/_ext/checks/pins.py),
    # with everything the cell shows, joined.
    got = "".join(piece.partition(": ")[2] for piece in pieces if piece != "image")
    got = got if got.endswith("\n") else got + "\n"
    return output_difference(pin, got, "the pin does not match the reader's run:")


def compare_cell(site: Mapping[str, Any], reader: Mapping[str, Any]) -> str | None:
    """Why the reader's outputs of one code cell differ from the site's, or None.

    Examples:
        >>> site = {"metadata": {}, "outputs": [
        ...     {"output_type": "execute_result", "data": {"text/plain": "<X at 0x7f0012ab34cd>"}}]}
        >>> reader = {"metadata": {}, "outputs": [
        ...     {"output_type": "execute_result", "data": {"text/plain": "<X at 0x55aa9911ff02>"}}]}
        >>> compare_cell(site, reader) is None
        True
        >>> compare_cell(site, {"metadata": {}, "outputs": []})
        "the site shows ['value: <X at 0x…>'], the reader's run []"
    """
    metadata = site.get("metadata", {})
    tags = set(metadata.get("tags", []))
    if INSTALL_TAG in tags:
        return None
    want, got = shown(site.get("outputs", [])), shown(reader.get("outputs", []))
    if VARIES_TAG in tags:
        if [_kind(piece) for piece in want] == [_kind(piece) for piece in got]:
            return None
        return f"the site shows outputs of kinds {[_kind(p) for p in want]}, the reader's run {[_kind(p) for p in got]}"
    pin = metadata.get("expected")
    if isinstance(pin, str) and "..." in pin:
        if [_kind(p) for p in want] != [_kind(p) for p in got]:
            return f"the site shows {want}, the reader's run {got}: other kinds of output"
        return _pin_difference(pin, got)
    want, got = [normalized(piece) for piece in want], [normalized(piece) for piece in got]
    if want == got:
        return None
    return f"the site shows {want}, the reader's run {got}"


def compare_notebook(site: Mapping[str, Any], reader: Mapping[str, Any]) -> list[Mismatch]:
    """Every code cell of ``reader`` whose outputs differ from the same cell of ``site``.

    Raises:
        ValueError: If the two notebooks do not have the same cells.
    """
    site_cells, reader_cells = site["cells"], reader["cells"]
    sources = [[_text(cell["source"]) for cell in cells] for cells in (site_cells, reader_cells)]
    if sources[0] != sources[1]:
        msg = "the notebooks differ in their cells: compare a notebook with its own run"
        raise ValueError(msg)
    mismatches = []
    for number, (want, got) in enumerate(zip(site_cells, reader_cells, strict=True), start=1):
        if want["cell_type"] != "code":
            continue
        reason = compare_cell(want, got)
        if reason is not None:
            first = _text(want["source"]).partition("\n")[0]
            mismatches.append(Mismatch(number, first, reason))
    return mismatches


def _code(source: str, without_comments: bool) -> str:
    lines = source.splitlines()
    if lines and re.match(r"#\s*@title\b", lines[0]):
        lines = lines[1:]
    if without_comments:
        lines = [line for line in lines if not line.lstrip().startswith("#")]
    return "\n".join(lines)


def same_code(original: Mapping[str, Any], translated: Mapping[str, Any]) -> list[str]:
    """How a translated notebook's code differs from the original's (nothing: it runs the same).

    The two must have the same cells in the same order, and each code cell the
    same source, tags, pin and outputs; Markdown cells may say anything, and so
    may the install cell's comments and Colab's title line of a collapsed cell.

    Examples:
        >>> code = {"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}
        >>> text = {"cell_type": "markdown", "source": "One", "metadata": {}}
        >>> same_code({"cells": [text, code]}, {"cells": [{**text, "source": "一"}, code]})
        []
        >>> same_code({"cells": [code]}, {"cells": [{**code, "source": "print(2)"}]})
        ["cell 1 ('print(2)'): its source differs from the original's"]
    """
    kinds = [[cell["cell_type"] for cell in nb["cells"]] for nb in (original, translated)]
    if kinds[0] != kinds[1]:
        return [f"its cells are {kinds[1]}, the original's {kinds[0]}"]
    problems = []
    pairs = zip(original["cells"], translated["cells"], strict=True)
    for number, (one, other) in enumerate(pairs, start=1):
        if one["cell_type"] != "code":
            continue
        first = _text(other["source"]).partition("\n")[0]
        install = INSTALL_TAG in one["metadata"].get("tags", [])
        # The install cell's comments and a collapsed cell's title (Colab's ``#@title``
        # line) are in the edition's language; the code is not.
        sources = [_code(_text(cell["source"]), install) for cell in (one, other)]
        if sources[0] != sources[1]:
            problems.append(f"cell {number} ({first!r}): its source differs from the original's")
        if one.get("outputs") != other.get("outputs"):
            problems.append(f"cell {number} ({first!r}): its outputs differ from the original's")
        problems += [
            f"cell {number} ({first!r}): its {key} differs from the original's"
            for key in ("tags", "expected")
            if one["metadata"].get(key) != other["metadata"].get(key)
        ]
    return problems


def translation_problems(
    notebooks: Mapping[str, Mapping[str, Any]], languages: Iterable[str]
) -> list[str]:
    """What is wrong with the translated editions among ``notebooks``, one line each, by notebook.

    ``notebooks`` maps paths (``zh_CN/tutorial/a.ipynb``) to notebooks; a
    translated edition is the folder named after its language, and each of its
    notebooks must have an original at the same path without the folder, with
    the same code (:func:`same_code`). A language with no notebook is a problem too.

    Examples:
        >>> code = {"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}
        >>> notebooks = {"a.ipynb": {"cells": [code]}, "zh_CN/a.ipynb": {"cells": [code]}}
        >>> translation_problems(notebooks, ["zh_CN"])
        []
        >>> translation_problems({**notebooks, "zh_CN/b.ipynb": {"cells": []}}, ["zh_CN", "fr"])
        ['fr: no translated notebooks', 'zh_CN/b.ipynb: no original notebook at b.ipynb']
    """
    problems = []
    for language in languages:
        translated = {name: nb for name, nb in notebooks.items() if name.startswith(f"{language}/")}
        if not translated:
            problems.append(f"{language}: no translated notebooks")
        for name, notebook in translated.items():
            original = notebooks.get(name.removeprefix(f"{language}/"))
            if original is None:
                problems.append(
                    f"{name}: no original notebook at {name.removeprefix(language + '/')}"
                )
                continue
            problems += [f"{name}: {line}" for line in same_code(original, notebook)]
    return sorted(problems)
