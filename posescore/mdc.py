"""The minimal detectable change (MDC95) of a clip's measures and severity.

The packaged table (``posescore/data/mdc95.json``, made by ``bench/mdc_phantom.py``) holds
test-retest phantom pairs: the MDC95 of every per-leg measure, and the feature rows from which
:func:`severity_mdc95` measures the MDC95 of any model's severity. MDC95 = 1.96 x SD(d),
SEM = SD(d) / sqrt(2) of the test-retest differences d (Weir 2005).

References
----------
Weir JP. Quantifying test-retest reliability using the intraclass correlation coefficient
and the SEM. J Strength Cond Res 2005;19:231-240.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, Optional

import numpy as np

from posescore.constants import FRONTAL_PLANE_VIEWS, SIDES, is_far_leg
from posescore.model_design import leg_rows
from posescore.model_file import LoadedModel

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def load_mdc_table() -> dict[str, Any]:
    """The packaged test-retest table (``posescore/data/mdc95.json``); empty if missing."""
    try:
        text = resources.files("posescore").joinpath("data/mdc95.json").read_text()
    except (FileNotFoundError, OSError):
        logger.warning("posescore/data/mdc95.json missing: no change can be called beyond noise")
        return {"measures": {}, "rows": []}
    return json.loads(text)


def noise_class(view: Optional[str], side: str) -> Optional[str]:
    """The leg's class for its test-retest noise: near/far, ``frontal``, else None (pooled).

    ``near`` / ``far`` leg of a side view; ``frontal`` for a frontal or posterior view.
    """
    if not view:
        return None
    if view.startswith("sagittal_"):
        return "far" if is_far_leg(view, side) else "near"
    return "frontal" if view in FRONTAL_PLANE_VIEWS else None


def feature_mdc95(
    measure: str, table: Optional[Mapping[str, Any]] = None, cls: Optional[str] = None
) -> Optional[float]:
    """MDC95 of a per-leg measure (e.g. ``ankle_plantarflexion_hs_deg``) or asym feature.

    With ``cls`` (see :func:`noise_class`) the MDC95 of that leg class is used when measured,
    else the value pooled over all legs.
    """
    table = table if table is not None else load_mdc_table()
    entry = table.get("measures", {}).get(measure)
    if entry is None:
        return None
    by_class = (entry.get("by_class") or {}).get(cls or "")
    if by_class and by_class.get("mdc95") is not None:
        return by_class["mdc95"]
    return entry.get("mdc95")


def severity_mdc95(
    model: LoadedModel, table: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    """MDC95 of the severity of ``model``, from the stored test-retest feature rows.

    Each stored video is scored by the model; per pair and leg d = retest - test;
    MDC95 = 1.96 * SD(d), SEM = SD(d) / sqrt(2), pooled and per leg class (near/far leg of
    a side view, frontal). Pairs with a seed listed in the model card's ``training_seeds``
    are left out (in-sample predictions would understate the noise). Returns
    ``{"mdc95", "sem", "n_diffs", "by_class"}`` (None values when no pair is usable).
    """
    table = table if table is not None else load_mdc_table()
    trained = {int(s) for s in model.card.get("training_seeds", [])}
    key = (model.card.get("sha256"), tuple(sorted(trained)), id(table))
    if key in _SEV_MDC_CACHE:
        return _SEV_MDC_CACHE[key]
    by_pair: dict[int, list[dict]] = {}
    for row in table.get("rows", []):
        by_pair.setdefault(int(row["pair"]), []).append(row)
    pairs = [
        p for p in by_pair.values()
        if len(p) == 2 and p[0]["view"] == p[1]["view"]
        and not {int(r["seed"]) for r in p} & trained
    ]
    out: dict[str, Any] = {"mdc95": None, "sem": None, "n_diffs": 0, "by_class": {}}
    if pairs:
        X = np.vstack(
            [leg_rows(r["features"], r["view"], model.measures) for p in pairs for r in p]
        )
        pred = np.asarray(model.estimator.predict(X), dtype=float).reshape(len(pairs), 2, 2)
        d = pred[:, 1, :] - pred[:, 0, :]  # (pair, leg)
        classes: dict[str, list[float]] = {}
        for k, p in enumerate(pairs):
            for i, side in enumerate(SIDES):
                classes.setdefault(noise_class(p[0]["view"], side) or "other", []).append(d[k, i])
        out = {**_sd_entry(d.ravel()),
               "by_class": {c: _sd_entry(np.asarray(v)) for c, v in sorted(classes.items())}}
    _SEV_MDC_CACHE[key] = out
    return out


def _sd_entry(d: np.ndarray) -> dict[str, Any]:
    """MDC95 and SEM of test-retest differences ``d``; None when fewer than 3 or all equal.

    A zero SD (a model that predicts one value for every stored pair) measures no noise, and
    an MDC95 of 0 would call every change real: it is reported as unmeasured.
    """
    sd = float(np.std(d, ddof=1)) if d.size >= 3 else 0.0
    if sd <= 1e-9:
        return {"mdc95": None, "sem": None, "n_diffs": int(d.size)}
    return {"mdc95": round(1.96 * sd, 4), "sem": round(sd / np.sqrt(2), 4),
            "n_diffs": int(d.size)}


def class_value(entry: Mapping[str, Any], cls: Optional[str], key: str) -> Optional[float]:
    """``entry[key]`` of leg class ``cls`` when measured, else the pooled value."""
    sub = (entry.get("by_class") or {}).get(cls or "")
    if sub and sub.get(key) is not None:
        return sub[key]
    return entry.get(key)


_SEV_MDC_CACHE: dict[tuple, dict[str, Any]] = {}
