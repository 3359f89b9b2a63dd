"""A model file's card, checked without loading the model (no scikit-learn import).

``checked_card(path)`` finds the model (``POSESCORE_MODEL`` or the shipped default), reads the
card JSON beside it and checks the file's SHA-256 against it: the checks of
``model_file.load_model`` that come before unpacking the estimator. A batch's parent process runs
them to fail early and to know the model's SHA-256, while its workers load the model.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Optional

from posescore.errors import ModelError

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "default.skops"
"""The shipped model in a source checkout; $POSESCORE_MODEL overrides it (e.g. in Docker)."""


def model_path(path: str | Path | None = None) -> Path:
    """``path``, else ``$POSESCORE_MODEL``, else the shipped default model."""
    if path is None:
        path = os.environ.get("POSESCORE_MODEL") or DEFAULT_MODEL_PATH
    return Path(path)


def card_path(model_path: Path) -> Path:
    """The model card JSON beside a ``.skops`` file."""
    return model_path.with_suffix(".card.json")


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checked_card(path: Optional[Path]) -> dict[str, Any]:
    """The card of the model at ``path`` (see :func:`model_path`), its SHA-256 checked.

    Raises
    ------
    ModelError
        Missing file or card, a card that is not JSON, or a file whose SHA-256 is not the
        card's (it was modified or replaced).
    """
    path = model_path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path.name}")
    cpath = card_path(path)
    try:
        card = json.loads(cpath.read_text())
    except FileNotFoundError as exc:
        raise ModelError(
            f"model card not found beside {path.name} (expected {cpath.name})"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ModelError(f"model card {cpath.name} is not valid JSON") from exc
    if card.get("sha256") != file_sha256(path):
        raise ModelError(
            f"model file {path.name} does not match the SHA-256 in its card: "
            "it was modified or replaced; refusing to load it"
        )
    return card
