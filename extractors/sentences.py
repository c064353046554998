"""Sentence splitting with spaCy's rule-based sentencizer: language-independent and fast."""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language

MAX_CHARS = 600
_PARAS = re.compile(r"\n\s*\n|\n")


@lru_cache(maxsize=1)
def _nlp() -> Language:
    nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def split_sentences(title: str, text: str) -> list[str]:
    """The title counts as the first sentence; paragraphs never merge; overlong sentences are cut."""
    out = [title.strip()] if title.strip() else []
    paras = [p.strip() for p in _PARAS.split(text) if p.strip()]
    for doc in _nlp().pipe(paras):
        for sent in doc.sents:
            s = sent.text.strip()
            while len(s) > MAX_CHARS:
                cut = s.rfind(" ", 0, MAX_CHARS)
                cut = cut if cut > 0 else MAX_CHARS
                out.append(s[:cut])
                s = s[cut:].strip()
            if len(s) > 1:
                out.append(s)
    return out
