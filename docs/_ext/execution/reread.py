"""Pages to read again on the next build, although their source did not change.

Sphinx reads again only the pages whose source changed. A page that failed
(a cell that raised, a kernel that died) must fail the next build as well,
or an incremental build would hide the failure: the extension that judged it
notes it here while Sphinx reads it, and the next build reads it again. Each
note is kept in the build environment, which Sphinx pickles between builds
and merges after reading in parallel, and is forgotten as the page is read
again, so that only a page that fails again is noted again.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError

T = TypeVar("T")
# The application's attribute that holds the names connected so far, one set per build.
_NAMES = "autograd_guide_reread_names"


class PagesToReread(Generic[T]):
    """The pages one extension noted, each with a value of its own, to read on the next build."""

    def __init__(self, name: str) -> None:
        """Keep the notes in the environment under ``name``, unique to the extension."""
        self._name = name
        self._attribute = f"autograd_guide_reread_{name}"

    def connect(self, app: Sphinx) -> None:
        """Register with Sphinx: the notes are read, forgotten and merged with the pages.

        Raises:
            ExtensionError: another extension of the build keeps its pages under the same
                name: the two would share their notes, each reading and forgetting the
                other's pages.
        """
        taken: set[str] = getattr(app, _NAMES, set())
        if self._name in taken:
            msg = (
                f"{self._name!r} is the name of two PagesToReread in this build: "
                "give each extension's a name of its own"
            )
            raise ExtensionError(msg)
        setattr(app, _NAMES, taken | {self._name})
        app.connect("env-get-outdated", self._outdated)
        app.connect("env-purge-doc", self._purge)
        app.connect("env-merge-info", self._merge)

    def notes(self, env: BuildEnvironment) -> dict[str, T]:
        """The noted pages of ``env``, by docname, each with its value."""
        notes: dict[str, T] | None = getattr(env, self._attribute, None)
        if notes is None:
            notes = {}
            setattr(env, self._attribute, notes)
        return notes

    def _outdated(
        self,
        app: Sphinx,
        env: BuildEnvironment,
        added: set[str],
        changed: set[str],
        removed: set[str],
    ) -> list[str]:
        # The pages Sphinx reads anyway are left out: it reads each page once.
        return sorted(set(self.notes(env)) - added - changed - removed)

    def _purge(self, app: Sphinx, env: BuildEnvironment, docname: str) -> None:
        self.notes(env).pop(docname, None)

    def _merge(self, app: Sphinx, env: BuildEnvironment, docnames: set[str], other: Any) -> None:
        self.notes(env).update(self.notes(other))
