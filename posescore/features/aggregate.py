"""Per-video features: each leg's per-stride table collapsed, plus left-minus-right asymmetry."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from posescore.config import FeatureConfig, QualityConfig
from posescore.constants import SIDES, Side
from posescore.features.registry import FEATURES, PER_WALK_MEASURES, leg_measure_names
from posescore.features.strides import stride_measures
from posescore.gait.events import GaitEvents
from posescore.signals.trajectories import Trajectories

_MEDIAN_MEASURES: frozenset[str] = frozenset({"stride_time_s"})
"""Per-leg measures aggregated over strides by the median; all others by the mean."""


def aggregate_strides(table: Mapping[str, np.ndarray], min_strides: int) -> dict[str, float]:
    """Collapse one leg's per-stride table into per-leg measures.

    Each measure is the mean (``stride_time_s``: the median) of its finite per-stride values,
    NaN when fewer than ``min_strides`` are finite.

    Parameters
    ----------
    table : mapping
        One side of :func:`stride_measures`.
    min_strides : int
        Fewest finite strides for a value.

    Returns
    -------
    dict
        :func:`leg_measure_names` -> float (NaN when not measurable).
    """
    out: dict[str, float] = {}
    for name in leg_measure_names():
        values = np.asarray(table.get(name, np.empty(0)), dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size < max(1, min_strides):
            out[name] = float("nan")
        elif name in _MEDIAN_MEASURES:
            out[name] = float(np.median(finite))
        else:
            out[name] = float(np.mean(finite))
    return out


def compute_features(
    traj: Trajectories,
    events: Mapping[str, GaitEvents],
    cfg: FeatureConfig | None = None,
    strides: Mapping[Side, Mapping[str, np.ndarray]] | None = None,
    per_walk: Mapping[Side, Mapping[str, float]] | None = None,
    min_strides: int = QualityConfig().min_strides_per_measure,
) -> dict[str, float | None]:
    """Compute every feature of :data:`FEATURES` for both legs.

    Parameters
    ----------
    traj : Trajectories
        Cleaned trajectories (its ``view`` decides which features are measurable).
    events : mapping
        ``{"left": GaitEvents, "right": GaitEvents}``; a missing side gives None features.
    cfg : FeatureConfig, optional
        Posture threshold; defaults when omitted.
    strides : mapping, optional
        A precomputed :func:`stride_measures` table of the same inputs (saves recomputing).
    per_walk : mapping, optional
        ``{side: {measure: value}}`` of the ``PER_WALK_MEASURES`` (NaN when absent).
    min_strides : int
        Fewest valid strides of a leg for a stride-based feature
        (``QualityConfig.min_strides_per_measure``).

    Returns
    -------
    dict
        ``feature_names()`` -> float, or None when not measurable (view, too few strides,
        missing data). Never NaN.
    """
    cfg = cfg if cfg is not None else FeatureConfig()
    table = strides if strides is not None else stride_measures(traj, events, cfg)
    per_side = {side: aggregate_strides(table.get(side, {}), min_strides) for side in SIDES}
    for side in SIDES:
        walk = (per_walk or {}).get(side, {})
        per_side[side].update({m: float(walk.get(m, np.nan)) for m in PER_WALK_MEASURES})
    result: dict[str, float | None] = {}
    for name, spec in FEATURES.items():
        prefix, _, measure = name.partition("_")
        if traj.view not in spec.views:
            value = float("nan")
        elif prefix == "asym":
            value = per_side["left"][measure] - per_side["right"][measure]
        else:
            value = per_side[prefix][measure]
        result[name] = float(value) if np.isfinite(value) else None
    return result
