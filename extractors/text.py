"""HTML to plain text, and word tokens."""

from __future__ import annotations

import html
import re

import lxml.html
from lxml.etree import ParserError

# Lone surrogates (from numeric entities like &#xD800;) cannot be stored as UTF-8; C0 controls are noise.
_UNSTORABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")
_BLOCK = re.compile(r"</?(p|div|br|li|h[1-6]|tr|blockquote|section|article)\b[^>]*>", re.I)
_DROP = ("script", "style", "noscript", "template", "iframe", "svg", "figure", "figcaption")
# Chinese and Japanese write no spaces between words: each Han, Hiragana or Katakana character is a token of
# its own, so that names are matched as character n-grams ("乌克兰" = 乌 克 兰) and shingles stay short.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")
UNSPACED = re.compile(f"[{_UNSPACED}]")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, with paragraph breaks kept as blank lines."""
    if not markup or "<" not in markup:
        return _tidy(html.unescape(markup or ""))
    try:
        root = lxml.html.fragment_fromstring(_BLOCK.sub(lambda m: "\n\n" + m.group(0), markup), create_parent="div")
    except (ParserError, ValueError):
        return _tidy(re.sub(r"<[^>]+>", " ", markup))
    for el in root.xpath("|".join(f"//{t}" for t in _DROP)):
        el.drop_tree()
    return _tidy(root.text_content())


def clean_text(text: str) -> str:
    """Drop characters that cannot be stored or shown: lone surrogates and control characters."""
    return _UNSTORABLE.sub("", text)


def _tidy(text: str) -> str:
    text = clean_text(text)
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
