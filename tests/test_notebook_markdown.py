"""The notebooks' Markdown cells are plain Markdown: no MyST role, target or directive left."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from output.notebook_markdown import Link, NotebookMarkdownError, myst_left_in, plain_markdown
from sites import EXT, NOTEBOOK_HEADER, sphinx

SITE = "https://example.org/guide/"


class FakeSite:
    """A site of two labels, one term and two Python names."""

    extensions = frozenset({"amsmath", "colon_fence", "deflist", "dollarmath"})

    def label(self, name: str) -> Link:
        labels = {"notation": ("math/notation", "Notation"), "jvp": ("math/forward", "JVPs")}
        if name not in labels:
            msg = f"the label {name!r} is not defined on any page"
            raise NotebookMarkdownError(msg)
        page, title = labels[name]
        return Link(f"{SITE}{page}.html#{name}", title)

    def page(self, docname: str) -> Link:
        return Link(f"{SITE}{docname}.html", f"Page {docname}")

    def term(self, name: str) -> Link:
        return Link(f"{SITE}glossary/index.html#term-{name.replace(' ', '-')}", name)

    def python(self, role: str, name: str) -> str | None:
        known = {"torch.autograd.grad", "torch.Tensor", "torch.func", "ValueError", "len"}
        return f"https://docs.example/{name}" if name in known else None

    def include(self, path: str, options: Mapping[str, str | None]) -> str:
        return f"# {path} {dict(options)}\nx = 1\n"


def convert(source: str) -> str:
    return plain_markdown(source, FakeSite())


def test_a_label_line_disappears_and_the_heading_stays() -> None:
    assert convert("(notation)=\n## Notation\n\nText.\n") == "## Notation\n\nText.\n"


def test_a_ref_becomes_a_link_to_the_hosted_section_with_its_title() -> None:
    assert (
        convert("See {ref}`notation`.\n") == f"See [Notation]({SITE}math/notation.html#notation).\n"
    )


def test_a_ref_with_its_own_title_keeps_the_title() -> None:
    assert convert("The {ref}`notation page <notation>`.\n") == (
        f"The [notation page]({SITE}math/notation.html#notation).\n"
    )


def test_a_missing_label_is_named() -> None:
    with pytest.raises(NotebookMarkdownError, match="'no-such-label'"):
        convert("See {ref}`no-such-label`.\n")


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (
            "{py:func}`torch.autograd.grad`",
            "[`torch.autograd.grad()`](https://docs.example/torch.autograd.grad)",
        ),
        ("{py:func}`~torch.autograd.grad`", "[`grad()`](https://docs.example/torch.autograd.grad)"),
        ("{py:class}`torch.Tensor`", "[`torch.Tensor`](https://docs.example/torch.Tensor)"),
        ("{py:mod}`torch.func`", "[`torch.func`](https://docs.example/torch.func)"),
        ("{py:exc}`ValueError`", "[`ValueError`](https://docs.example/ValueError)"),
        ("{py:func}`length <len>`", "[length](https://docs.example/len)"),
        ("{py:meth}`torch.Tensor.nowhere`", "`torch.Tensor.nowhere()`"),
        ("{py:attr}`~torch.Tensor.nowhere`", "`nowhere`"),
    ],
)
def test_python_roles_link_to_their_documentation_or_stay_code(role: str, shown: str) -> None:
    assert convert(f"Use {role}.\n") == f"Use {shown}.\n"


def test_a_term_links_to_its_glossary_entry() -> None:
    url = f"{SITE}glossary/index.html#term-leaf-tensor"
    assert convert("A {term}`leaf tensor`.\n") == f"A [leaf tensor]({url}).\n"
    assert convert("{term}`Leaves <leaf tensor>`\n") == f"[Leaves]({url})\n"


def test_math_stays_math() -> None:
    source = "Inline $x \\in \\mathbb{R}^n$ and {math}`y`.\n\n$$\nJ_{ij}\n$$\n"
    assert convert(source) == "Inline $x \\in \\mathbb{R}^n$ and $y$.\n\n$$\nJ_{ij}\n$$\n"


def test_a_role_inside_a_code_span_is_left_as_code() -> None:
    source = "Write `` {ref}`notation` `` to get {ref}`notation`.\n"
    assert convert(source).startswith("Write `` {ref}`notation` `` to get [Notation](")


def test_roles_in_headings_and_nested_lists_are_converted() -> None:
    source = "## About {term}`jvp`\n\n1. one {ref}`jvp`\n   - two {py:func}`len`\n"
    assert convert(source) == (
        f"## About [jvp]({SITE}glossary/index.html#term-jvp)\n\n"
        f"1. one [JVPs]({SITE}math/forward.html#jvp)\n"
        "   - two [`len()`](https://docs.example/len)\n"
    )


@pytest.mark.parametrize("fence", ["```{note}\n{body}\n```\n", ":::{note}\n{body}\n:::\n"])
def test_an_admonition_becomes_a_blockquote_with_a_bold_title(fence: str) -> None:
    source = fence.replace("{body}", "See {ref}`notation`.\n\nTwo.")
    assert convert(source) == (
        f"> **Note**\n>\n> See [Notation]({SITE}math/notation.html#notation).\n>\n> Two.\n"
    )


def test_a_note_with_text_after_its_name_reads_it_as_its_body_as_myst_does() -> None:
    assert convert("```{note} The first line\nand the second.\n```\n") == (
        "> **Note**\n>\n> The first line\n> and the second.\n"
    )


def test_titles_of_admonitions_and_cards_are_myst_as_on_the_page() -> None:
    # The page parses a title as inline MyST: its roles are converted, its escapes kept.
    admonition = ":::{admonition} See {ref}`notation` *now*\nBody.\n:::\n"
    assert convert(admonition) == (
        f"> **See [Notation]({SITE}math/notation.html#notation) *now***\n>\n> Body.\n"
    )
    card = ":::{grid-item-card} 1\\. 从示例学\n:link: notation\n:link-type: ref\n\nBody.\n:::\n"
    assert convert(card) == f"- [**1\\. 从示例学**]({SITE}math/notation.html#notation): Body.\n"


def test_a_grid_of_cards_becomes_a_list_of_links() -> None:
    source = (
        "::::{grid} 1 1 2 2\n:gutter: 2\n\n"
        ":::{grid-item-card} 1. Notation\n:link: notation\n:link-type: ref\n\nThe symbols.\n:::\n\n"
        ":::{grid-item-card} 2. A page\n:link: math/index\n:link-type: doc\n\nIts {term}`jvp`.\n:::\n"
        "::::\n"
    )
    items = [line for line in convert(source).splitlines() if line]
    assert items == [
        f"- [**1. Notation**]({SITE}math/notation.html#notation): The symbols.",
        f"- [**2. A page**]({SITE}math/index.html): Its [jvp]({SITE}glossary/index.html#term-jvp).",
    ]


def test_a_toctree_becomes_a_list_of_page_links_and_a_hidden_one_disappears() -> None:
    source = "```{toctree}\n:maxdepth: 1\n\nforward\nThe end <last>\n```\n"
    assert convert(source) == (
        f"- [Page forward]({SITE}forward.html)\n- [The end]({SITE}last.html)\n"
    )
    assert convert("```{toctree}\n:hidden:\n\nforward\n```\n") == ""


def test_a_literalinclude_becomes_a_fenced_block_of_the_included_code() -> None:
    source = "```{literalinclude} ../tiny.py\n:language: python\n:pyobject: Node\n:dedent:\n```\n"
    assert convert(source) == (
        "```python\n# ../tiny.py {'language': 'python', 'pyobject': 'Node', 'dedent': None}\n"
        "x = 1\n```\n"
    )


def test_a_glossary_becomes_a_list_of_bold_terms_with_their_definitions() -> None:
    source = "```{glossary}\nrow vector\ncolumn vector\n  A {term}`jvp`.\n\nscalar\n  One.\n```\n"
    assert convert(source) == (
        f"- **row vector**, **column vector**\n  A [jvp]({SITE}glossary/index.html#term-jvp).\n\n"
        "- **scalar**\n  One.\n"
    )


def test_a_directive_without_a_notebook_form_is_named() -> None:
    with pytest.raises(NotebookMarkdownError, match=r"\{eval-rst\}"):
        convert("```{eval-rst}\n.. note:: x\n```\n")


def test_myst_left_after_the_conversion_is_refused_naming_it() -> None:
    # A directive inside a list item is not converted; the notebook would show it raw.
    with pytest.raises(NotebookMarkdownError, match=r"colon fence"):
        convert("- an item\n\n  :::{note}\n  x\n  :::\n")


def test_the_leftover_check_sees_each_kind_of_myst_syntax() -> None:
    assert myst_left_in("See {ref}`x`.") == ["role"]
    assert myst_left_in("(x)=\n# T") == ["target"]
    assert myst_left_in(":::{note}\nx\n:::") == ["colon fence"]
    assert myst_left_in("```{note}\nx\n```") == ["directive fence"]
    assert myst_left_in("Code: `` {ref}`x` `` and [a](b) $x$") == []


def markdown_cells(folder: Path) -> dict[str, list[str]]:
    """The Markdown cells of every notebook under ``folder``, by notebook path."""
    return {
        str(path.relative_to(folder)): [
            "".join(cell["source"])
            for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if cell["cell_type"] == "markdown"
        ]
        for path in sorted(folder.rglob("*.ipynb"))
    }


def assert_plain_markdown(folder: Path) -> None:
    cells = markdown_cells(folder)
    assert cells, f"no notebooks under {folder}"
    found = [
        f"{name}, cell {number}: {kinds}\n{source}"
        for name, sources in cells.items()
        for number, source in enumerate(sources)
        if (kinds := myst_left_in(source))
    ]
    assert not found, "MyST syntax left in notebooks:\n" + "\n".join(found)


PAGE = (
    NOTEBOOK_HEADER
    + """\
(page-top)=
# Page

See the {ref}`other page <other-top>`, {ref}`other-top`, {py:func}`~len`, {term}`leaf tensor`
and {py:class}`not.in.any.Inventory`; math $x^2$ and {math}`y`.

:::{note}
A note with {ref}`page-top`.
:::

```{literalinclude} included.py
:language: python
:lines: 2
```

```{code-cell} ipython3
print("ran")
```

```{code-cell} ipython3
:tags: [hide-cell]
# Solution 1
assert True
```
"""
)
OTHER = """\
(other-top)=
# Other

```{glossary}
leaf tensor
  A tensor you made.
```
"""


def make_site(root: Path, page: str = PAGE) -> Path:
    source = root / "src"
    source.mkdir(parents=True)
    inventory = EXT.parent / "_inventories" / "python.inv"
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        'extensions = ["myst_nb", "sphinx.ext.intersphinx", "output.notebooks"]\n'
        'myst_enable_extensions = ["colon_fence", "dollarmath"]\n'
        'nb_execution_mode = "force"\n'
        f"html_baseurl = {SITE!r}\n"
        f'intersphinx_mapping = {{"python": ("https://docs.python.org/3/", {str(inventory)!r})}}\n'
        'notebooks_repository = "https://github.com/owner/name"\n',
        encoding="utf-8",
    )
    (source / "index.md").write_text("# Site\n\n```{toctree}\npage\nother\n```\n", encoding="utf-8")
    (source / "page.md").write_text(page, encoding="utf-8")
    (source / "other.md").write_text(OTHER, encoding="utf-8")
    (source / "included.py").write_text("skipped = 0\nshown = 1\n", encoding="utf-8")
    return source


@pytest.mark.slow
def test_a_built_notebook_has_plain_markdown_with_links_to_the_site(tmp_path: Path) -> None:
    source = make_site(tmp_path)
    # nitpicky is off: the unresolvable class is what the notebook must show as code.
    result = sphinx(source, "-q", output=tmp_path / "build" / "html")
    assert result.returncode == 0, result.stderr
    assert_plain_markdown(tmp_path / "build" / "notebooks")
    assert_plain_markdown(tmp_path / "build" / "html" / "_sources")
    cells = markdown_cells(tmp_path / "build" / "notebooks")["page.ipynb"]
    text = "\n".join(cells)
    assert text.startswith("# Page\n")
    assert f"[other page]({SITE}other.html#other-top)" in text
    assert f"[Other]({SITE}other.html#other-top)" in text
    assert "[`len()`](https://docs.python.org/3/library/functions.html#len)" in text
    assert f"[leaf tensor]({SITE}other.html#term-leaf-tensor)" in text
    assert "`not.in.any.Inventory`" in text
    assert "$x^2$" in text
    assert "$y$" in text
    assert f"> **Note**\n>\n> A note with [Page]({SITE}page.html#page-top)." in text
    assert "```python\nshown = 1\n```" in text


@pytest.mark.slow
def test_a_missing_label_fails_the_build_naming_it(tmp_path: Path) -> None:
    source = make_site(tmp_path, PAGE.replace("{ref}`other-top`", "{ref}`nowhere`"))
    # nitpicky Sphinx fails on the label too; the notebook's own warning names it as well.
    result = sphinx(source, "-q", output=tmp_path / "build" / "html")
    assert result.returncode != 0
    assert "the page's notebook would show MyST raw: the label 'nowhere'" in result.stderr
