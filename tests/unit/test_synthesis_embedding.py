"""The optional sentence model is used when its package imports, never required, never fetched."""

from __future__ import annotations

import os
import types

import numpy as np
import pytest

from exchange.synthesis import embedding
from exchange.synthesis.embedding import Lsa, MiniLm, _model_from


class FakeModel:
    """Stands in for the sentence model: one vector per text, from its length."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], batch_size: int, show_progress_bar: bool) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([[len(t), 1.0, 0.0] for t in texts])


def test_the_package_loader_is_asked_for_a_cpu_model() -> None:
    seen = {}
    module = types.SimpleNamespace(load_model=lambda device=None: seen.setdefault("device", device) and FakeModel())
    _model_from(module)
    assert seen == {"device": "cpu"}


def test_minilm_loads_offline_once_and_remembers_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeModel()
    monkeypatch.setattr(embedding.importlib, "import_module", lambda name: types.SimpleNamespace(load_model=lambda device=None: fake))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    model = MiniLm()
    first = model.embed(["a", "bbb"], seed=1)
    again = model.embed(["bbb", "cc"], seed=1)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert fake.calls == [["a", "bbb"], ["cc"]]  # "bbb" came from memory
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0) and np.allclose(first[1], again[0])


def test_auto_takes_the_model_only_when_its_package_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    embedding.embedder.cache_clear()
    try:
        monkeypatch.setattr(embedding, "model_installed", lambda: False)
        assert isinstance(embedding.embedder("auto"), Lsa)
        embedding.embedder.cache_clear()
        monkeypatch.setattr(embedding, "model_installed", lambda: True)
        assert isinstance(embedding.embedder("auto"), MiniLm)
        assert isinstance(embedding.embedder("lsa"), Lsa) and not embedding.embedder("words").glossary
    finally:
        embedding.embedder.cache_clear()


def test_lsa_copes_with_texts_without_words() -> None:
    vectors = Lsa().embed(["", "!!!", "123"], seed=7)
    assert vectors.shape[0] == 3 and not np.isnan(vectors).any()
