"""The model's inputs and outputs as arrays: side-mirrored leg rows, ordinal classes, intervals.

Pure functions over arrays, used by ``posescore.model.LegSeverityModel``, its compiled form
(``posescore.predictor``) and training.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from posescore.constants import SIDES, Side
from posescore.normative import LEG_CLASS_VALUES, leg_class

LEG_CLASSES = LEG_CLASS_VALUES
"""Values of the ``near_leg`` design column by leg class."""


def near_leg_indicator(view: str, side: Side) -> float:
    """1 for the leg nearer the camera in a side view, 0 for the far leg, 0.5 otherwise."""
    return LEG_CLASSES[leg_class(view, side)]


def leg_rows(
    features: dict[str, Optional[float]], view: str, measures: list[str]
) -> np.ndarray:
    """Side-mirrored design rows for the left and the right leg.

    Parameters
    ----------
    features : dict
        Flat ``{side}_{measure}`` -> value or None.
    view : str
        Camera view (constants.VIEWS).
    measures : list of str
        Per-leg measure names without the side prefix, in model order.

    Returns
    -------
    ndarray, shape (2, 2 * len(measures) + 1)
        Row 0 the left leg, row 1 the right: own measures, other leg's measures,
        near-leg indicator. Missing values are NaN.
    """
    rows = []
    for side, other in (SIDES, SIDES[::-1]):
        own = [features.get(f"{side}_{m}") for m in measures]
        contra = [features.get(f"{other}_{m}") for m in measures]
        values = [np.nan if v is None else float(v) for v in own + contra]
        rows.append(values + [near_leg_indicator(view, side)])
    return np.asarray(rows, dtype=float)


def design_column_names(measures: list[str]) -> list[str]:
    """Column names of ``leg_rows``."""
    return [f"own_{m}" for m in measures] + [f"contra_{m}" for m in measures] + ["near_leg"]


ORDINAL_THRESHOLDS = (0.5, 1.5, 2.5, 3.5)
"""Class boundaries of the ordinal model: one binary model per "severity >= t" (class k
holds severities in [k - 0.5, k + 0.5), as ``evaluation`` rounds them)."""

SEVERITY_BANDS = {"below": 0, "above": 1}
"""Bands of the predicted severity, split at the first class boundary (``ORDINAL_THRESHOLDS``
[0]): legs predicted healthy and legs predicted affected get their own conformal half-width."""


def severity_band(pred: np.ndarray) -> np.ndarray:
    """``SEVERITY_BANDS`` value (n,) of each predicted severity: 0 below 0.5, 1 from 0.5."""
    return (np.asarray(pred) >= ORDINAL_THRESHOLDS[0]).astype(int)


def cumulative_to_proba(above: np.ndarray) -> np.ndarray:
    """Class probabilities (n, 5) from P(severity >= t) for each ordinal threshold (n, 4).

    The cumulative probabilities are made non-increasing over thresholds first (separately
    fitted binary models can cross), so every class probability is >= 0 and they sum to 1.
    """
    above = np.minimum.accumulate(np.clip(above, 0.0, 1.0), axis=1)
    ones = np.ones((above.shape[0], 1))
    zeros = np.zeros((above.shape[0], 1))
    return np.hstack([ones, above]) - np.hstack([above, zeros])


def conformal_halfwidth(residuals: np.ndarray, coverage: float) -> float:
    """Split-conformal half-width: the ceil((n + 1) * coverage) / n quantile of |residuals|."""
    n = len(residuals)
    level = min(1.0, np.ceil((n + 1) * coverage) / n)
    return float(np.quantile(residuals, level))


def monotone_above(columns: list[np.ndarray]) -> np.ndarray:
    """P(severity >= t) (n, 4) from each ordinal model's column (n,), non-increasing over t."""
    return np.minimum.accumulate(np.column_stack(columns), axis=1)


def point_severity(
    regressed: np.ndarray, above: Optional[np.ndarray], ordinal_weight: float
) -> np.ndarray:
    """Point severity (n,) in [0, 4]: the regressor's and the ordinal expectation, weighted.

    ``above`` is ``monotone_above`` (n, 4), None for a model without ordinal part.
    """
    pred = np.clip(regressed, 0.0, 4.0)
    if above is not None and ordinal_weight > 0:
        pred = (1.0 - ordinal_weight) * pred + ordinal_weight * above.sum(axis=1)
    return np.clip(pred, 0.0, 4.0)


def cell_halfwidths(
    leg_class_value: np.ndarray, pred: Optional[np.ndarray], pooled: float,
    by_class: dict[str, float], by_cell: dict[str, float],
) -> np.ndarray:
    """Conformal half-width (n,) of each row: its cell's, else its leg class's, else pooled.

    A cell (``"near:below"``) is a leg class and a ``SEVERITY_BANDS`` band of ``pred``;
    ``pred`` is needed only when ``by_cell`` has cells.
    """
    half = np.full(len(leg_class_value), pooled)
    for name, width in by_class.items():
        half[leg_class_value == LEG_CLASSES[name]] = width
    band = severity_band(pred) if by_cell else None  # type: ignore[arg-type]
    for name, width in by_cell.items():
        class_name, band_name = name.split(":")
        rows = (leg_class_value == LEG_CLASSES[class_name]) & (band == SEVERITY_BANDS[band_name])
        half[rows] = width
    return half


def interval_bounds(pred: np.ndarray, half: np.ndarray) -> np.ndarray:
    """(n, 2) lower and upper bound ``pred -/+ half``, within [0, 4]."""
    return np.column_stack([np.clip(pred - half, 0, 4), np.clip(pred + half, 0, 4)])
