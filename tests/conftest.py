"""Shared fixtures: paths to the real data, and a quiet, deterministic environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED_DATA = Path(os.environ.get("EMBREC_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True, scope="session")
def _private_vectors_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests read and write their own vectors cache, never the user's ~/.cache/embrec."""
    os.environ["EMBREC_CACHE_DIR"] = str(tmp_path_factory.mktemp("vectors-cache"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets and vectors of ../shared/data (or $EMBREC_SHARED_DATA)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not found; set EMBREC_SHARED_DATA")
    return SHARED_DATA
