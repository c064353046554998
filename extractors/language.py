"""Language identification with py3langid, restricted to the languages news about the topic comes in."""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Unrestricted, langid misreads short strings; these cover the coverage we monitor.
LANGS = (
    "en", "uk", "ru", "de", "fr", "es", "it", "pl", "tr", "nl", "cs", "sk", "ro", "hr", "sr", "bs", "bg",
    "sv", "no", "da", "fi", "et", "lv", "lt", "hu", "pt", "el", "ar", "he", "ja", "ko", "zh", "be", "ka",
    "az", "tk", "kk", "uz", "fa", "mk", "sl", "hy", "ky", "tg", "sq", "ca", "id",
)
# Cyrillic languages told apart by letters only they use, before langid: Kazakh, Serbian/Macedonian,
# Belarusian (ў), Ukrainian, Russian; Bulgarian writes ъ inside words but none of ы, э, ё.
_KK_ONLY = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")
_SR_ONLY = re.compile(r"[ђјљњћџЂЈЉЊЋЏ]")
_MK_ONLY = re.compile(r"[ѓќѕЃЌЅ]")
_BE_ONLY = re.compile(r"[ўЎ]")
_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY = re.compile(r"[ыэёЫЭЁ]")
_BG_HINT = re.compile(r"ъ(?=[а-я])|\b(?:на|за|от|със|че|се)\b")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGS))
    return ident


def _primary(hint: str | None) -> str | None:
    """'en-US', 'pt_BR', 'UK' -> 'en', 'pt', 'uk'."""
    code = re.split(r"[-_]", hint.strip().lower())[0] if hint and hint.strip() else ""
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def detect(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of `text`. Cyrillic languages are told apart by their own letters first, since feeds
    often label Ukrainian and Russian as one and langid confuses Bulgarian with Russian. A declared language
    (`hint`, from the feed or the input line) wins unless the text contradicts it."""
    hint = _primary(hint)
    sample = text[:2000]
    cyrillic = len(_CYRILLIC.findall(sample)) if hint is None or hint in ("uk", "ru", "be") else 0
    if cyrillic and cyrillic * 2 > sum(c.isalpha() for c in sample):  # mostly Cyrillic
        kk, sr, mk = len(_KK_ONLY.findall(sample)), len(_SR_ONLY.findall(sample)), len(_MK_ONLY.findall(sample))
        if kk >= 3:
            return "kk"
        if mk >= 2:
            return "mk"
        if sr >= 3:
            return "sr"
        if len(_BE_ONLY.findall(sample)) >= 2:  # Belarusian shares і with Ukrainian and ы, э, ё with Russian
            return "be"
        uk, ru = len(_UK_ONLY.findall(sample)), len(_RU_ONLY.findall(sample))
        if ru == 0 and uk == 0 and len(_BG_HINT.findall(sample.lower())) >= 3:
            return "bg"
        if uk > ru:
            return "uk"
        if ru > uk:
            return "ru"
    if hint and (len(sample) < 40 or hint not in LANGS):
        return hint
    ranked = _identifier().rank(sample)
    if hint and dict(ranked).get(hint, 0.0) >= 0.05:  # a declared language the text does not contradict
        return hint
    return str(ranked[0][0])
