"""Sentence splitting with one regular expression: language-independent and about 80x faster than spaCy's
rule-based sentencizer, which it replaced (measured on 1,099 dev, train and real-feed articles: 11,116
sentences against spaCy's 11,242, the differences being mostly quotes kept with their own sentence).

A sentence ends at terminal punctuation (Armenian's ։ too; and any closing quotes) followed by space and a word
or an opening quote, or at a full-width one (。！？: Chinese and Japanese put no space after it), unless the
punctuation closes an initial, a known abbreviation ("U.S.", "Gen.", "Aug.", "ds.", "ws.", "г.") or an ordinal
or list number ("5. Madde").
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 600
_PARAS = re.compile(r"\n\s*\n|\n")
_END = re.compile(r"""[.!?…։]+["'»”’)\]]*\s+(?=["'«„“‘(\[-]*\w)|[。！？]+[」』"”’）)]*\s*""")
_ABBR = re.compile(
    # An initial is a lone letter after a space, an opening bracket or another initial ("U.S.", "(J. Smith"),
    # not the end of a word ("NATO-s.", Hebrew "נאט\"ו.").
    r"(?:(?<![^\s.(\[])[^\W\d_]\.)+$|\b(?:vs|mr|mrs|ms|dr|st|no|nr|gen|lt|col|sgt|prof|jr|sr|etc|e\.g|i\.e|ca|bzw|z\.b|ul|tzw"
    r"|tj|np|ds|ws|art|ust|pkt|jan|feb|apr|aug|sept?|oct|nov|dec|г|гг|им|ст|тыс|млн|млрд|тис|ім|просп|р)\.$"
    # A number of one to three digits and a dot is an ordinal ("5. Madde", "am 3. Oktober") or a list
    # marker ("5. European jets would…"), not a sentence.
    r"|(?:^|\s)\d{1,3}\.$",
    re.I,
)
_NORM = re.compile(r"[\W_]+")


def _cut(s: str, out: list[str]) -> None:
    """Append `s`, cut at spaces into pieces of at most MAX_CHARS."""
    s = s.strip()
    while len(s) > MAX_CHARS:
        cut = s.rfind(" ", 0, MAX_CHARS)
        cut = cut if cut > 0 else MAX_CHARS
        out.append(s[:cut])
        s = s[cut:].strip()
    if len(s) > 1:
        out.append(s)


def same_sentence(a: str, b: str) -> bool:
    """Equal up to case, punctuation and spacing: a headline the text repeats as its first line."""
    return key(a) == key(b)


def key(s: str) -> str:
    return _NORM.sub(" ", unicodedata.normalize("NFKC", s).casefold()).strip()


def split_sentences(title: str, text: str) -> list[str]:
    """The title counts as the first sentence (and is not repeated when the text opens with it); paragraphs
    never merge; overlong sentences are cut."""
    out: list[str] = []
    _cut(title, out)
    for para in _PARAS.split(text):
        para = para.strip()
        start = 0
        for m in _END.finditer(para):
            if _ABBR.search(para[max(start, m.start() - 12):m.start() + 1]):
                continue
            _cut(para[start:m.end()], out)
            start = m.end()
        _cut(para[start:], out)
    if title.strip() and len(out) > 1 and same_sentence(out[0], out[1]):
        del out[1]
    return out
