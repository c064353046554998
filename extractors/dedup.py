"""Dedup: the same story under two URLs, and syndicated near-copies.

Two checks, in this order:
1. the content hash (`extractors.urls.content_hash`): title and text equal after case and whitespace folding;
2. MinHash over word 3-shingles of title + text, with an LSH index (datasketch): an estimated Jaccard
   similarity at or above the threshold (0.8 by default) makes a near-duplicate.

The first copy seen is canonical; later copies keep their own row and point to it with `duplicate_of`,
so nothing is lost and trend views can count stories instead of copies. Stored articles come in as
`KnownArticle`s (the flow reads them from storage); this module does no I/O.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from extractors.text import WORD
from models.domain import Article, KnownArticle

if TYPE_CHECKING:
    from datasketch import MinHash

LOGGER = logging.getLogger(__name__)

NUM_PERM = 64
SCHEME = "affine32"  # 32-bit hash values: stored as UINTEGER[]
SHINGLE = 3
# Below this many shingles (roughly a headline with no text) MinHash is noise: only the content hash counts.
MIN_SHINGLES = 8
_SEED = 1


@cache
def _permutations() -> np.ndarray:
    """datasketch 2.0's affine32 permutations for NUM_PERM and the seed, drawn as it draws them: [a, b].
    They depend only on the seed, so they are drawn once."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)  # odd: a bijection
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return np.array([a, b])


def shingles(text: str, k: int = SHINGLE) -> set[bytes]:
    """Word k-shingles of case-folded text, as bytes for hashing."""
    words = WORD.findall(text.casefold())
    if len(words) < k:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, as datasketch applies it before the permutations (uint32 arithmetic wraps)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(title: str, text: str) -> tuple[int, ...]:
    """The MinHash signature of title + text, or () when the text is too short to compare.

    The values are exactly those of datasketch's `MinHash(num_perm=64, seed=1, scheme="affine32")` after
    `update_batch(shingles)` (a test holds them equal), computed here with numpy: importing datasketch costs
    1–2 s (it pulls in scipy), which each ingest worker process would pay before its first feed. The LSH
    index (`DedupIndex`) is datasketch's."""
    sh = shingles(f"{title} {text}")
    if len(sh) < MIN_SHINGLES:
        return ()
    hv = np.fromiter((int.from_bytes(hashlib.sha1(x).digest()[:4], "little") for x in sh), dtype=np.uint32,
                     count=len(sh))
    a, b = _permutations()
    return tuple(int(v) for v in (_fmix32(hv)[:, None] * a + b).min(axis=0))


def with_signature(article: Article) -> Article:
    return replace(article, minhash=signature(article.title, article.text))


def _minhash(sig: tuple[int, ...]) -> MinHash:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=SCHEME, hashvalues=np.asarray(sig, dtype=np.uint64),
                   permutations=_permutations())


class DedupIndex:
    """Canonical articles seen so far: content hashes and an LSH index over their signatures.

    Build it from stored articles, then feed it new ones in the order they should win. The index is built
    on the first new article, so a run with nothing new does not pay for it.
    """

    def __init__(self, known: Iterable[KnownArticle] = (), threshold: float = 0.8) -> None:
        self.threshold = threshold
        self._known: list[KnownArticle] | None = list(known)
        self._by_hash: dict[str, str] = {}
        self._ids: set[str] = set()
        self._sigs: dict[str, MinHash] = {}
        self._lsh: Any = None
        self._building = threading.Lock()

    def build(self) -> None:
        """Load the stored articles into the index (once; the first use does it too). Thread-safe, so a run
        can build it in the background while it waits for something else."""
        with self._building:
            if self._known is None:
                return
            from datasketch import MinHashLSH

            self._lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
            for k in self._known:
                self._add(k.id, k.content_hash, k.minhash)
            self._known = None

    def __len__(self) -> int:
        self.build()
        return len(self._ids)

    def _add(self, aid: str, chash: str, sig: tuple[int, ...], m: MinHash | None = None) -> None:
        if aid in self._ids:
            return
        self._ids.add(aid)
        self._by_hash.setdefault(chash, aid)
        if len(sig) == NUM_PERM:
            m = _minhash(sig) if m is None else m
            self._sigs[aid] = m
            self._lsh.insert(aid, m)

    def match(self, article: Article, m: MinHash | None = None) -> str | None:
        """The canonical article this one copies, if any (never the article itself). `m`: its MinHash, if built."""
        self.build()
        same = self._by_hash.get(article.content_hash)
        if same is not None and same != article.id:
            return same
        if len(article.minhash) != NUM_PERM:
            return None
        m = _minhash(article.minhash) if m is None else m
        best: tuple[float, str] | None = None
        for cand in self._lsh.query(m):
            if cand == article.id:
                continue
            score = m.jaccard(self._sigs[cand])
            if score >= self.threshold and (best is None or (score, cand) > best):
                best = (score, cand)
        return best[1] if best else None

    def assign(self, articles: Sequence[Article]) -> list[Article]:
        """Set `duplicate_of` on copies; canonical articles join the index. Already known ids are left as they are."""
        if articles:
            self.build()
        out = []
        for a in articles:
            if a.id in self._ids:
                out.append(a)
                continue
            m = _minhash(a.minhash) if len(a.minhash) == NUM_PERM else None  # built once, for match and index
            canonical = self.match(a, m)
            if canonical is None:
                self._add(a.id, a.content_hash, a.minhash, m)
                out.append(a)
            else:
                out.append(replace(a, duplicate_of=canonical))
        return out
