"""A translated edition's notebooks: each Markdown cell's MyST translated by the page's catalog."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from hypothesis import example, given
from hypothesis import strategies as st
from myst_nb.core.read import read_myst_markdown_notebook
from sphinx.application import Sphinx

from output.notebook_markdown import markdown_parser
from output.notebook_translation import (
    NotebookTranslationError,
    PageCatalog,
    _parse_noqa,
    _strip_blank_lines,
    catalog_domain,
    message,
    page_catalog,
    read_catalogs,
    translate_markdown,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LOCALES = DOCS / "locales"
LANGUAGES = sorted(path.name for path in LOCALES.iterdir() if path.is_dir())
# The site's MyST extensions (docs/conf.py).
EXTENSIONS = frozenset({"amsmath", "colon_fence", "deflist", "dollarmath", "substitution"})


def catalog(**messages: str) -> PageCatalog:
    return PageCatalog((), messages)


def translate(source: str, messages: dict[str, str]) -> str:
    return translate_markdown(source, PageCatalog((), messages).translate, EXTENSIONS)


def structure(markdown: str) -> list[tuple[str, int]]:
    """The blocks MyST reads in ``markdown``, by kind and depth, without their text."""
    return [
        (token.type, token.level)
        for token in markdown_parser(EXTENSIONS).parse(markdown)
        if token.type != "inline"
    ]


def test_a_heading_and_a_paragraph_are_replaced_and_the_label_stays() -> None:
    source = "(top)=\n# Compute a gradient\n\nOne sentence,\nwritten on two lines.\n"
    messages = {
        "Compute a gradient": "计算梯度",
        "One sentence, written on two lines.": "一句话。",
    }
    assert translate(source, messages) == "(top)=\n# 计算梯度\n\n一句话。\n"


def test_a_heading_keeps_its_closing_hashes_and_a_last_line_its_missing_newline() -> None:
    assert translate("## Title ##\n", {"Title": "标题"}) == "## 标题 ##\n"
    assert translate("Last line", {"Last line": "最后一行"}) == "最后一行"


def test_nested_lists_keep_their_markers_and_indentation() -> None:
    source = (
        "1. The first item\n"
        "   goes on.\n"
        "   - A nested *item*\n"
        "     on two lines.\n"
        "\n"
        "     Its second paragraph.\n"
        "2. The second item.\n"
    )
    messages = {
        "The first item goes on.": "第一项。",
        "A nested *item* on two lines.": "嵌套的*一项*。",
        "Its second paragraph.": "它的第二段。",
        "The second item.": "第二项。",
    }
    translated = translate(source, messages)
    assert translated == ("1. 第一项。\n   - 嵌套的*一项*。\n\n     它的第二段。\n2. 第二项。\n")
    assert structure(translated) == structure(source)


def test_a_quote_keeps_its_prefixes_also_around_a_list() -> None:
    source = "> A quote\ncontinued lazily.\n>\n> - An item\n>   of the quote.\n"
    messages = {"A quote continued lazily.": "引文。", "An item of the quote.": "引文中的一项。"}
    translated = translate(source, messages)
    assert translated == "> 引文。\n>\n> - 引文中的一项。\n"
    assert structure(translated) == structure(source)


def test_a_table_in_a_list_item_keeps_the_item_and_its_cells() -> None:
    source = "- | a | b |\n  | --- | --- |\n  | c | d |\n"
    messages = {"a": "甲", "b": "乙", "c": "丙", "d": "丁"}
    translated = translate(source, messages)
    assert translated == "- | 甲 | 乙 |\n  | --- | --- |\n  | 丙 | 丁 |\n"
    assert structure(translated) == structure(source)


def test_table_cells_are_translated_in_place_with_pipes_escaped() -> None:
    source = (
        "| Switch | Records? |\n| --- | :-: |\n| `a \\| b` | yes or no |\n| `x.detach()` | no |\n"
    )
    messages = {
        "Switch": "开关",
        "Records?": "是否记录",
        "`a | b`": "`a | b`",
        "yes or no": "是|否",
        "`x.detach()`": "`x.detach()`",
        "no": "否",
    }
    translated = translate(source, messages)
    assert translated == (
        "| 开关 | 是否记录 |\n| --- | :-: |\n| `a \\| b` | 是\\|否 |\n| `x.detach()` | 否 |\n"
    )
    assert structure(translated) == structure(source)


def test_roles_math_and_code_inside_a_paragraph_are_part_of_its_message() -> None:
    source = "See {ref}`notation`, {py:func}`torch.sin` and $x^2$ in `code`.\n"
    english = "See {ref}`notation`, {py:func}`torch.sin` and $x^2$ in `code`."
    chinese = "见“{ref}`notation`”、{py:func}`torch.sin` 和 `code` 中的 $x^2$。"
    assert translate(source, {english: chinese}) == chinese + "\n"


def test_a_hard_line_break_is_not_part_of_the_message() -> None:
    assert message("One line\\\nand the next.") == "One line and the next."
    assert translate("One line\\\nand the next.\n", {"One line and the next.": "一行。"}) == (
        "一行。\n"
    )


@pytest.mark.parametrize("fence", ["```", ":::"])
def test_an_admonition_body_is_translated_inside_its_fence(fence: str) -> None:
    source = f"{fence}{{note}}\nA note's body.\n\n- with an item.\n{fence}\n"
    messages = {"A note's body.": "注释正文。", "with an item.": "和一项。"}
    assert translate(source, messages) == f"{fence}{{note}}\n注释正文。\n\n- 和一项。\n{fence}\n"


def test_an_admonition_title_is_a_message_and_a_note_s_first_line_is_its_body() -> None:
    titled = "```{admonition} A *title*\n:class: tip\n\nIts body.\n```\n"
    messages = {"A *title*": "*标题*", "Its body.": "正文。"}
    assert translate(titled, messages) == "```{admonition} *标题*\n:class: tip\n\n正文。\n```\n"
    untitled = "```{note} The first line\nand the second.\n```\n"
    assert translate(untitled, {"The first line and the second.": "第一行。"}) == (
        "```{note}\n第一行。\n```\n"
    )
    dropdown = ":::{dropdown} Open me\nHidden.\n:::\n"
    assert translate(dropdown, {"Open me": "展开", "Hidden.": "隐藏。"}) == (
        ":::{dropdown} 展开\n隐藏。\n:::\n"
    )


def test_a_directive_in_a_list_item_keeps_the_item_s_indentation() -> None:
    source = "1. An item.\n\n   ```{tip}\n   A tip.\n\n   More.\n   ```\n"
    messages = {"An item.": "一项。", "A tip.": "提示。", "More.": "更多。"}
    translated = translate(source, messages)
    assert translated == "1. 一项。\n\n   ```{tip}\n   提示。\n\n   更多。\n   ```\n"
    assert structure(translated) == structure(source)


def test_a_grid_of_cards_translates_each_title_and_body_and_keeps_the_options() -> None:
    source = (
        "::::{grid} 1 1 2 2\n:gutter: 2\n\n"
        ":::{grid-item-card} 1. Autograd by example\n:link: tutorial\n:link-type: ref\n\n"
        "Record operations.\n:::\n"
        "::::\n"
    )
    messages = {"1. Autograd by example": "1\\. 从示例学", "Record operations.": "记录运算。"}
    assert translate(source, messages) == (
        "::::{grid} 1 1 2 2\n:gutter: 2\n\n"
        ":::{grid-item-card} 1\\. 从示例学\n:link: tutorial\n:link-type: ref\n\n"
        "记录运算。\n:::\n"
        "::::\n"
    )


def test_a_glossary_translates_its_terms_and_definitions_as_sphinx_reads_them() -> None:
    source = (
        "```{glossary}\n"
        "row vector\n"
        "column vector\n"
        "  Chinese: 行向量.\n"
        "  A vector of one row or column.\n"
        "\n"
        "scalar\n"
        "  A number, {term}`tensor` of shape `()`.\n"
        "```\n"
    )
    messages = {
        "row vector": "行向量 (row vector)",
        "column vector": "列向量 (column vector)",
        "Chinese: 行向量. A vector of one row or column.": "只有一行或一列的向量。",
        "scalar": "标量 (scalar)",
        "A number, {term}`tensor` of shape `()`.": "形状为 `()` 的{term}`张量 <tensor>`。",
    }
    assert translate(source, messages) == (
        "```{glossary}\n"
        "行向量 (row vector)\n"
        "列向量 (column vector)\n"
        "  只有一行或一列的向量。\n"
        "\n"
        "标量 (scalar)\n"
        "  形状为 `()` 的{term}`张量 <tensor>`。\n"
        "```\n"
    )


def test_a_toctree_translates_its_caption_and_the_titles_its_entries_give() -> None:
    source = "```{toctree}\n:caption: Contents\n:maxdepth: 1\n\nforward\nThe end <last>\n```\n"
    messages = {"Contents": "目录", "The end": "结尾"}
    assert translate(source, messages) == (
        "```{toctree}\n:caption: 目录\n:maxdepth: 1\n\nforward\n结尾 <last>\n```\n"
    )


def test_code_targets_comments_and_html_are_left_as_written() -> None:
    source = (
        "(label)=\n% a comment\n\n"
        "```python\nprint('not a message')\n```\n\n"
        "```{literalinclude} tiny.py\n:pyobject: Node\n```\n\n"
        "```{code-block} python\nx = 1\n```\n\n"
        "<div>html</div>\n"
    )
    assert translate(source, {}) == source


def test_a_math_block_is_replaced_only_when_its_translation_differs() -> None:
    source = "$$\n\\text{loss} = 1\n$$\n\n```{math}\ny = 2\n```\n"
    same = {"\\text{loss} = 1": "\\text{loss} = 1", "y = 2": "y = 2"}
    assert translate(source, same) == source
    changed = {"\\text{loss} = 1": "\\text{损失} = 1", "y = 2": "y = 2"}
    assert translate(source, changed) == source.replace("loss", "损失")
    with pytest.raises(NotebookTranslationError, match="y = 2"):
        translate(source, {"\\text{loss} = 1": "\\text{loss} = 1"})


def test_untranslated_text_is_an_error_naming_it() -> None:
    source = "# Title\n\n- An item nobody translated.\n"
    with pytest.raises(NotebookTranslationError, match=r"'An item nobody translated\.'"):
        translate(source, {"Title": "标题"})


def test_a_table_cell_nobody_translated_is_an_error_naming_it() -> None:
    with pytest.raises(NotebookTranslationError, match="'Other'"):
        translate("| One | Other |\n| - | - |\n", {"One": "一"})


def test_a_card_title_nobody_translated_is_an_error_naming_it() -> None:
    source = ":::{grid-item-card} A title\nA body.\n:::\n"
    with pytest.raises(NotebookTranslationError, match="'A title'"):
        translate(source, {"A body.": "正文。"})


def test_a_translation_that_is_not_one_paragraph_is_refused_as_sphinx_ignores_it() -> None:
    with pytest.raises(NotebookTranslationError, match="not one paragraph"):
        translate("1\\. First.\n", {"1\\. First.": "1. 第一。"})


def test_a_directive_without_a_translation_rule_is_named() -> None:
    with pytest.raises(NotebookTranslationError, match=r"\{eval-rst\}"):
        translate("```{eval-rst}\n.. note:: x\n```\n", {})


@pytest.mark.parametrize(
    ("source", "lookup", "cause"),
    [
        # markdown-it reads a lone CR as a line end, the edits count lines by LF.
        ("Some text\r- an item\r- another\r", "译{}".format, IndexError),
        # A translate function that fails in its own way, here a dict's lookup.
        ("# A title\n", {"Other": "其他"}.__getitem__, KeyError),
    ],
)
def test_an_unexpected_failure_is_a_translation_error_naming_the_text(
    source: str, lookup: Callable[[str], str], cause: type[Exception]
) -> None:
    expected = re.escape(f"could not translate {source!r}: {cause.__name__}")
    with pytest.raises(NotebookTranslationError, match=expected) as info:
        translate_markdown(source, lookup, EXTENSIONS)
    assert isinstance(info.value.__cause__, cause)


def write_catalog(path: Path, entries: list[tuple[str, str, bool]]) -> Path:
    po = Catalog(locale="zh_CN")
    for msgid, msgstr, fuzzy in entries:
        po.add(msgid, msgstr, flags=["fuzzy"] if fuzzy else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, po)
    return path


def test_fuzzy_and_empty_messages_count_as_untranslated(tmp_path: Path) -> None:
    path = write_catalog(
        tmp_path / "page.po",
        [("Done.", "完成。", False), ("Fuzzy.", "模糊。", True), ("Empty.", "", False)],
    )
    page = read_catalogs([path, tmp_path / "missing.po"])
    assert page.translate("Done.") == "完成。"
    for text in ("Fuzzy.", "Empty.", "Absent."):
        with pytest.raises(NotebookTranslationError, match=f"page.po: '{text}'"):
            page.translate(text)


def test_fuzzy_messages_are_used_where_the_site_allows_them_as_sphinx_does(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES"
    write_catalog(folder / "page.po", [("Done.", "完成。", False), ("Fuzzy.", "模糊。", True)])
    for allowed in (False, True):
        config = types.SimpleNamespace(
            language="zh_CN",
            locale_dirs=["locales"],
            gettext_compact=False,
            gettext_allow_fuzzy_translations=allowed,
        )
        app = cast("Sphinx", types.SimpleNamespace(srcdir=str(tmp_path), config=config))
        expected = {"Done.": "完成。", "Fuzzy.": "模糊。"} if allowed else {"Done.": "完成。"}
        assert dict(page_catalog(app, "page").messages) == expected


def test_a_message_with_a_context_is_not_used_as_sphinx_looks_up_text_alone(
    tmp_path: Path,
) -> None:
    po = Catalog(locale="zh_CN")
    po.add("Text.", "文本。", context="menu")
    with (tmp_path / "page.po").open("wb") as file:
        write_po(file, po)
    assert not read_catalogs([tmp_path / "page.po"]).messages


def test_a_catalog_that_cannot_be_read_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "page.po"
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=nonsense\\n"\n'
    path.write_text(header + '\nmsgid "Text."\nmsgstr "文本。"\n', encoding="utf-8")
    with pytest.raises(NotebookTranslationError, match=r"could not read the catalog .*page\.po"):
        read_catalogs([path])


def test_a_page_without_a_catalog_is_named_with_where_its_catalog_should_be(
    tmp_path: Path,
) -> None:
    page = read_catalogs([tmp_path / "locales" / "page.po"])
    with pytest.raises(NotebookTranslationError, match=r"no catalog at .*page\.po\): 'Text\.'"):
        page.translate("Text.")


def test_the_first_catalog_found_wins(tmp_path: Path) -> None:
    first = write_catalog(tmp_path / "a" / "page.po", [("Text.", "甲。", False)])
    second = write_catalog(
        tmp_path / "b" / "page.po", [("Text.", "乙。", False), ("More.", "更多。", False)]
    )
    page = read_catalogs([first, second])
    assert (page.translate("Text."), page.translate("More.")) == ("甲。", "更多。")


# --- The private upstream functions mirrored ----------------------------------------------
# notebook_translation.py writes these few lines itself instead of importing them: if
# Sphinx or MyST change (or drop) theirs, these tests fail, and the copy must follow.

LINES = st.text(alphabet=" \t\n\r\\#noqaX\u2028\x0c", max_size=30)


@given(LINES)
@example("One line\\\nand the next.\\")
@example("a \\  \r\nb\\\u2028c\\ d")
def test_message_is_what_sphinx_extracts(text: str) -> None:
    from sphinx.util.nodes import _clean_extracted_message

    assert message(text) == _clean_extracted_message(text)


@given(LINES)
@example("Translated. #noqa")
@example("Escaped \\#noqa")
@example("Two\nlines # NOQA \n")
def test_noqa_is_dropped_as_sphinx_drops_it(text: str) -> None:
    from sphinx.transforms.i18n import parse_noqa

    assert _parse_noqa(text) == parse_noqa(text)[0]


@given(LINES)
@example("\n  \n  x = 1\n\n  y\n \n")
def test_blank_lines_are_stripped_from_math_as_myst_strips_them(text: str) -> None:
    from myst_parser.mdit_to_docutils.base import strip_blank_lines

    assert _strip_blank_lines(text) == strip_blank_lines(text)


@pytest.mark.parametrize("compact", [False, True, "site"])
@pytest.mark.parametrize("docname", ["index", "math/notation", "a/b/c"])
def test_a_page_s_catalog_is_the_domain_sphinx_gives_it(docname: str, compact: bool | str) -> None:
    from sphinx.util.i18n import docname_to_domain

    assert catalog_domain(docname, compact) == docname_to_domain(docname, compact)


# --- What Sphinx extracts ----------------------------------------------------------------

SAMPLE = """\
(top)=
# Compute a *gradient*

A paragraph with {ref}`top`, `code`, $x^2$ and a hard\\
break, on three
lines.

- An item
  on two lines.
  1. A nested item.

> A quote
> - with a list item.

| Column | Other |
| --- | :-: |
| `a \\| b` | plain text |

A term
: What the term means.

$$
y = x^2
$$

```{note}
A note's body.
```

```{tip} A tip's first line
and its second.
```

```{admonition} An admonition's title
Its body.
```

:::{dropdown} A dropdown's title
The dropdown's body.
:::

::::{grid} 1 2 2 2
:::{grid-item-card} A card's title
:link: top
:link-type: ref

A card's body.
:::
::::

```{glossary}
first term
second term
  Their definition,
  on two lines.

third term
  Its definition.

  Its second paragraph.
```

```{toctree}
:caption: The contents
:maxdepth: 1

Another page <other>
```

```{code-block} python
x = 1  # code is not a message
```

```{math}
z = 1
```

<div>raw html</div>

% a comment
"""


@pytest.mark.slow
def test_the_messages_found_are_exactly_those_sphinx_extracts(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx_design"]\n'
        f"myst_enable_extensions = {sorted(EXTENSIONS)!r}\n"
        "gettext_compact = False\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text(SAMPLE, encoding="utf-8")
    (source / "other.md").write_text("# Other\n", encoding="utf-8")
    command = [sys.executable, "-m", "sphinx", "-b", "gettext", "-q", "-W", "--keep-going"]
    result = subprocess.run(
        [*command, str(source), str(tmp_path / "pot")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with (tmp_path / "pot" / "index.pot").open("rb") as file:
        extracted = {str(entry.id) for entry in read_po(file) if entry.id}
    found: list[str] = []

    def record(text: str) -> str:
        found.append(text)
        return text

    translated = translate_markdown(SAMPLE, record, EXTENSIONS)
    assert structure(translated) == structure(SAMPLE)
    assert len(found) == len(set(found)), "each message once"
    assert set(found) == extracted
    assert len(found) >= 25


# --- The real pages and catalogs ---------------------------------------------------------


def notebook_pages() -> list[str]:
    """Every page of the site that is a notebook (its front matter names a kernel)."""
    pages = []
    for path in sorted(DOCS.rglob("*.md")):
        if path.relative_to(DOCS).parts[0].startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        front = text.split("---\n", 2)[1] if text.startswith("---\n") else ""
        if "kernelspec" in (yaml.safe_load(front) or {}):
            pages.append(path.relative_to(DOCS).with_suffix("").as_posix())
    return pages


def figure_alt_texts(cells: list[dict[str, object]]) -> set[str]:
    """The alt texts code cells give their figures: messages of the page, not of its Markdown."""
    found = set()
    for cell in cells:
        image = (cell["metadata"].get("mystnb") or {}).get("image") or {}  # type: ignore[attr-defined]
        if cell["cell_type"] == "code" and image.get("alt"):
            found.add(str(image["alt"]))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_markdown_block_of_every_notebook_page_is_translated(language: str) -> None:
    pages = notebook_pages()
    assert len(pages) >= 30
    blocks, problems = 0, []
    for page in pages:
        notebook = read_myst_markdown_notebook((DOCS / f"{page}.md").read_text(encoding="utf-8"))
        po = LOCALES / language / "LC_MESSAGES" / f"{page}.po"
        page_catalog = read_catalogs([po])
        used: set[str] = set()

        def lookup(text: str, translated: PageCatalog = page_catalog, seen: set[str] = used) -> str:
            seen.add(text)
            return translated.translate(text)

        for number, cell in enumerate(notebook.cells):
            if cell.cell_type != "markdown":
                continue
            try:
                translate_markdown(cell.source, lookup, EXTENSIONS)
            except NotebookTranslationError as error:
                problems.append(f"{page}, cell {number}: {error}")
        blocks += len(used)
        # The other way round: every message of the page is found in its Markdown.
        left = set(page_catalog.messages) - used - figure_alt_texts(notebook.cells)
        problems += [f"{po.relative_to(ROOT)}: not found: {text[:70]!r}" for text in sorted(left)]
    assert not problems, "\n".join(problems)
    assert blocks >= 1500
