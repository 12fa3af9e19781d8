"""What a pinned cell output is, for both sides that check it.

A code cell pins the text it shows in its ``expected`` option. pytest checks the
pin by running the cells itself (``page_doctests.py``); the docs build checks it
against what the kernel displayed (``cell_checks.py``). Both must agree on how
tags are read and on what counts as a match, so both use this module.
"""

from __future__ import annotations

import doctest
from collections.abc import Mapping
from typing import Any

import yaml

# Printed tensors align with runs of spaces; memory addresses vary: "0x...".
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
_checker = doctest.OutputChecker()


def cell_tags(options: Mapping[str, Any]) -> list[str]:
    """Return a cell's tags from either option form: ``:tags: [a, b]`` or a YAML block."""
    tags = options.get("tags", [])
    # The short ``:key: value`` form arrives as a string; myst-nb reads it as YAML.
    return list(yaml.safe_load(tags) or []) if isinstance(tags, str) else list(tags)


def output_difference(want: str, got: str, what: str) -> str | None:
    """Compare like a doctest; describe the mismatch with Expected/Got, or return None."""
    want = want if want.endswith("\n") else want + "\n"
    if _checker.check_output(want, got, OPTIONFLAGS):
        return None
    example = doctest.Example(source="", want=want)
    return f"{what}\n" + _checker.output_difference(example, got, OPTIONFLAGS).rstrip("\n")
