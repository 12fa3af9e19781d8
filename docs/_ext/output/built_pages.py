"""The HTML pages one build wrote, for the extensions that finish them after the build."""

from __future__ import annotations

from pathlib import Path


def own_pages(outdir: Path) -> list[Path]:
    """The pages of the site built in ``outdir``, not those of an edition built inside it.

    The Chinese edition is built into ``zh_CN/`` of the English one's folder:
    a site of its own, with its own ``_static``, whose pages another build of
    the English edition must leave alone. Files under ``_static`` are no pages.

    Examples:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> for name in ["index.html", "math/a.html", "zh_CN/index.html", "_static/x.html"]:
        ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
        ...     _ = (root / name).write_text("")
        >>> (root / "zh_CN" / "_static").mkdir()
        >>> [page.relative_to(root).as_posix() for page in own_pages(root)]
        ['index.html', 'math/a.html']
    """
    pages = []
    for page in outdir.rglob("*.html"):
        parts = page.relative_to(outdir).parts
        if "_static" in parts:
            continue
        if len(parts) > 1 and (outdir / parts[0] / "_static").is_dir():
            continue  # another edition's site
        pages.append(page)
    return sorted(pages)
