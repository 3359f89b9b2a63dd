"""The model file: its card, its checks, loading (compiled to numpy) and saving.

A model is a skops file (``model.LegSeverityModel``) with a JSON card beside it that holds
the file's SHA-256. ``load_model`` checks both and every type in the file, then hands out the
model compiled to numpy arrays (``predictor.CompiledSeverityModel``: the same predictions);
``model_cache`` keeps the compiled form, so that loading a verified model again imports
neither skops nor scikit-learn. This module imports neither either, until a file has to be
read with skops.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from posescore.errors import ModelError
from posescore.model_cache import (
    cached_estimator,
    cached_predictor,
    keep_estimator,
    keep_predictor,
)
from posescore.model_card import (  # noqa: F401 - DEFAULT_MODEL_PATH re-exported
    DEFAULT_MODEL_PATH,
    card_path,
    checked_card,
    file_sha256,
    model_path,
)
from posescore.predictor import CompiledSeverityModel, NotCompilable, compile_model

if TYPE_CHECKING:
    from posescore.model import LegSeverityModel

logger = logging.getLogger(__name__)

TRUSTED_TYPES = frozenset(
    {
        "posescore.model.LegSeverityModel",
        "posescore.abnormality.AbnormalityTransform",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "numpy.dtype",
    }
)
"""Types beyond skops' own safe defaults that a model file may contain (reviewed: our
estimator class and the tree structures of scikit-learn forests and boosting); a file with any
other type is refused without loading (skops refuses ``trusted=True``, CVE-2024-37065)."""


SeverityEstimator = Union["LegSeverityModel", CompiledSeverityModel]
"""What ``LoadedModel.estimator`` holds: the same ``predict``, ``predict_interval``,
``predict_proba``, ``halfwidths``, ``abnormality`` and ``get_params``."""


@dataclass(frozen=True)
class LoadedModel:
    """A verified estimator and its model card."""

    estimator: SeverityEstimator
    card: dict
    path: Path

    @property
    def measures(self) -> list[str]:
        """Per-leg measure names in model order."""
        return list(self.card["measures"])

    @property
    def training_views(self) -> Optional[frozenset[str]]:
        """The camera views of the model's training clips; None when its card does not say."""
        views = (self.card.get("training_set") or {}).get("views")
        return frozenset(views) if isinstance(views, (dict, list)) and views else None


def save_model(estimator: LegSeverityModel, path: str | Path, card: dict) -> dict:
    """Write the estimator with skops and its card (with the file's SHA-256) beside it."""
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(estimator, path)
    card = {**card, "file": path.name, "sha256": file_sha256(path)}
    card_path(path).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    return card


def load_model(path: str | Path | None = None, compiled: bool = True) -> LoadedModel:
    """Load a model after checking its card, its hash and every type it contains.

    With ``compiled`` the estimator is the model compiled to numpy arrays when its family
    allows (``predictor.compile_model``), else the scikit-learn estimator itself. A file
    verified once is loaded from ``model_cache`` afterwards (same SHA-256): the compiled form
    without importing scikit-learn.

    Raises
    ------
    ModelError
        Missing file or card, hash mismatch (tampered file), or a type outside
        ``TRUSTED_TYPES`` (foreign file): nothing from the file is executed then.
    """
    path = model_path(path)
    card = checked_card(path)
    sha256 = card["sha256"]
    predictor = cached_predictor(sha256) if compiled else None
    if predictor is not None:
        return LoadedModel(estimator=predictor, card=card, path=path)
    from posescore.model import LegSeverityModel

    estimator = cached_estimator(sha256, LegSeverityModel)
    if estimator is None:
        estimator = _load_skops(path)
        keep_estimator(sha256, estimator)
    if compiled:
        try:
            predictor = compile_model(estimator)
        except NotCompilable as exc:
            logger.info("model %s used through scikit-learn (%s)", path.name, exc)
        else:
            keep_predictor(sha256, predictor)
            return LoadedModel(estimator=predictor, card=card, path=path)
    return LoadedModel(estimator=estimator, card=card, path=path)


def _load_skops(path: Path) -> LegSeverityModel:
    """The estimator of a skops file whose types are all on ``TRUSTED_TYPES``; else ModelError.

    Imports skops, which imports every scikit-learn module (``model_cache`` avoids it).
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    from posescore.model import LegSeverityModel

    if not zipfile.is_zipfile(path):
        raise ModelError(f"{path.name} is not a readable skops model file (not a zip archive)")
    try:
        # one pass: skops audits every type against the list before it constructs anything
        estimator = sio.load(path, trusted=sorted(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        foreign = sorted(set(sio.get_untrusted_types(file=path)) - TRUSTED_TYPES)
        raise ModelError(
            f"{path.name} contains types outside the trusted list: {foreign}"
        ) from None
    except Exception as exc:
        raise ModelError(f"{path.name} could not be loaded ({type(exc).__name__}: {exc})") from exc
    if not isinstance(estimator, LegSeverityModel):
        raise ModelError(f"{path.name} holds a {type(estimator).__name__}, not a LegSeverityModel")
    return estimator
