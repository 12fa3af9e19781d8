"""The offline check flags what a page would fetch from another host, and only that."""

from __future__ import annotations

import pytest

from output import offline_assets


@pytest.mark.parametrize(
    "tag",
    [
        '<script src="https://cdn.example.org/mathjax.js"></script>',
        '<img alt="" src="//cdn.example.org/a.png">',
        '<link rel="stylesheet" href="https://fonts.example.org/css">',
        '<link href="https://fonts.example.org/a.woff2" rel="preload" as="font">',
        '<link rel="canonical stylesheet" href="https://cdn.example.org/a.css">',
        "<style>@font-face { src: url('https://fonts.example.org/a.woff2') }</style>",
    ],
)
def test_a_remote_load_is_found(tag: str) -> None:
    assert len(offline_assets.remote_loads(f"<html>{tag}</html>")) == 1


@pytest.mark.parametrize(
    "tag",
    [
        '<a href="https://docs.pytorch.org/docs/2.13/autograd.html">autograd</a>',
        '<link rel="canonical" href="https://autograd-guide.github.io/autograd-guide/">',
        '<link rel="alternate" hreflang="zh-CN" href="https://example.org/zh/">',
        '<link rel="stylesheet" href="_static/styles.css">',
        '<script src="_static/mathjax/tex-chtml.js"></script>',
    ],
)
def test_links_that_only_name_a_page_and_local_loads_pass(tag: str) -> None:
    assert offline_assets.remote_loads(f"<html>{tag}</html>") == []
