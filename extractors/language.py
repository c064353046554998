"""Language identification with py3langid, restricted to the languages news about the topic comes in."""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Unrestricted, langid misreads short strings; these cover the coverage we monitor.
LANGS = (
    "en", "uk", "ru", "de", "fr", "es", "it", "pl", "tr", "nl", "cs", "sk", "ro", "hr", "sr", "bs", "bg",
    "sv", "no", "da", "fi", "et", "lv", "lt", "hu", "pt", "el", "ar", "he", "ja", "ko", "zh", "be", "ka",
)
_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
_CYRILLIC = re.compile(r"[а-яА-Я]")


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGS))
    return ident


def detect(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of `text`. Ukrainian and Russian are told apart by their own letters first,
    since feeds often label both as one."""
    sample = text[:2000]
    if _CYRILLIC.search(sample):
        uk, ru = len(_UK_ONLY.findall(sample)), len(_RU_ONLY.findall(sample))
        if uk > ru:
            return "uk"
        if ru > uk:
            return "ru"
    if hint and len(sample) < 40:
        return hint
    lang, _ = _identifier().classify(sample)
    return str(lang)
