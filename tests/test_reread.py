"""Pages noted as failed are read again on the next build, until a read no longer notes them."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from execution.reread import PagesToReread


def connected(pages: PagesToReread[int]) -> dict[str, Callable[..., Any]]:
    """The Sphinx events ``pages`` connects to, with their handlers."""
    handlers: dict[str, Callable[..., Any]] = {}
    pages.connect(SimpleNamespace(connect=handlers.__setitem__))
    return handlers


def test_noted_pages_are_read_again_unless_sphinx_reads_them_anyway() -> None:
    pages: PagesToReread[int] = PagesToReread("tested")
    outdated = connected(pages)["env-get-outdated"]
    env = SimpleNamespace()
    assert outdated(None, env, set(), set(), set()) == []
    pages.notes(env).update({"b": 2, "a": 1, "changed": 3, "added": 4})
    assert outdated(None, env, {"added"}, {"changed"}, set()) == ["a", "b"]


def test_a_page_read_again_is_forgotten_until_noted_again() -> None:
    pages: PagesToReread[int] = PagesToReread("tested")
    purge = connected(pages)["env-purge-doc"]
    env = SimpleNamespace()
    pages.notes(env).update({"a": 1, "b": 2})
    purge(None, env, "a")
    assert pages.notes(env) == {"b": 2}


def test_notes_made_in_parallel_reads_are_merged_and_kept_apart_per_extension() -> None:
    pages: PagesToReread[int] = PagesToReread("tested")
    other_pages: PagesToReread[int] = PagesToReread("other")
    merge = connected(pages)["env-merge-info"]
    env, read_elsewhere = SimpleNamespace(), SimpleNamespace()
    pages.notes(env)["a"] = 1
    pages.notes(read_elsewhere)["b"] = 2
    other_pages.notes(read_elsewhere)["c"] = 3
    merge(None, env, {"b"}, read_elsewhere)
    assert pages.notes(env) == {"a": 1, "b": 2}
    assert other_pages.notes(env) == {}


def test_two_extensions_keeping_pages_under_one_name_fail_as_they_are_set_up() -> None:
    # The notes of both would be one dictionary: each would read the other's
    # pages again, and forget them as it reads its own.
    from sphinx.errors import ExtensionError

    app = SimpleNamespace(connect=lambda *_: None)
    PagesToReread[int]("shared").connect(app)
    PagesToReread[int]("other").connect(app)
    with pytest.raises(ExtensionError, match="'shared' is the name of two PagesToReread"):
        PagesToReread[int]("shared").connect(app)
    # Another build is another application: its extensions connect again.
    PagesToReread[int]("shared").connect(SimpleNamespace(connect=lambda *_: None))
