"""Abnormality: each per-leg measure read as a deviation from healthy walking, in either direction.

Two deviations per measure, both in robust standard deviations of healthy walking (z):

- from a normative reference (``NormativeReference``): the measure minus the median of
  healthy legs of the same leg class (the near or far leg of a side view, or a leg of any
  other view), over their robust scale;
- from the other leg: own minus other, minus the healthy median of that difference (the near
  leg of a side view looks different from the far one even in healthy walking), over its
  robust scale.

Their absolute values count: too little knee flexion is as abnormal as too much. A measure the
view cannot show stays missing (NaN), never zero. ``abnormality_inputs`` turns the severity
model's leg rows (own measures, other leg's measures, leg class) into these inputs, so that a
model fitted on them can be held monotone: more abnormal, more severe. Numpy only: the
scikit-learn transformer around it is ``posescore.abnormality.AbnormalityTransform``.

The robust scale is the larger of 1.4826 x the median absolute deviation (a consistent
estimate of the SD for normal data; Rousseeuw & Croux 1993, J Am Stat Assoc 88:1273) and the
central 95 % range over 3.92, floored at ``MIN_SCALE`` per unit so that a measure healthy
walkers barely vary in does not turn noise into large z.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from posescore.constants import SIDES, Side, is_far_leg
from posescore.errors import ModelError
from posescore.features import FEATURES

DEFAULT_REFERENCE_PATH = Path(__file__).resolve().parent / "data" / "normative_gait.json"
"""The shipped normative reference (healthy phantom walkers, see ``docs/normative.md``)."""

REFERENCE_FORMAT = "posescore-normative/1"

LEG_CLASS_VALUES = {"near": 1.0, "far": 0.0, "other": 0.5}
"""Values of the severity model's ``near_leg`` column by leg class."""

MIN_SCALE = {"deg": 2.0, "leglen": 0.005, "s": 0.02, "fraction": 0.02}
"""Smallest robust scale per unit (deg, leg lengths, s, fraction)."""
MIN_REFERENCE_LEGS = 8
"""Fewest healthy legs of a class with a finite measure for that measure to be referenced."""
NORMAL_RANGE_Z = 3.0
"""A measure with |z| at most this (from healthy walking and from the other leg) is inside
its normal range (about the 99.7 % range of a normal distribution)."""


def leg_class(view: str, side: Side) -> str:
    """``near`` or ``far`` leg of a side view (``sagittal_<near side>``), else ``other``."""
    if view.startswith("sagittal_"):
        return "far" if is_far_leg(view, side) else "near"
    return "other"


def robust_centre_scale(values: np.ndarray, min_scale: float) -> tuple[float, float]:
    """Median and robust scale of the finite values.

    The scale is the larger of 1.4826 x MAD and the central 95 % range / 3.92 (both the SD
    for normal data; the second keeps a measure that is 0 in most healthy legs, such as a
    share of strides with a posture, from a scale of 0), floored at ``min_scale``.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    centre = float(np.median(v))
    lo, hi = np.percentile(v, [2.5, 97.5])
    mad = 1.4826 * float(np.median(np.abs(v - centre)))
    return centre, max(mad, float(hi - lo) / 3.92, min_scale)


@dataclass(frozen=True)
class NormativeReference:
    """Healthy walking, per leg class: centre and scale of each measure and of own - other.

    Attributes
    ----------
    measures : tuple of str
        Per-leg measure names (``features.leg_measure_names``).
    centre, scale : dict
        ``{leg class: {measure: value}}``; a measure absent from a class is not referenced
        there (its deviations are NaN).
    contra_centre, contra_scale : dict
        The same for own minus the other leg.
    n_legs : dict
        Healthy legs behind each class.
    source : str
        Where the healthy walkers came from.
    """

    measures: tuple[str, ...]
    centre: dict[str, dict[str, float]]
    scale: dict[str, dict[str, float]]
    contra_centre: dict[str, dict[str, float]]
    contra_scale: dict[str, dict[str, float]]
    n_legs: dict[str, int]
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``from_dict`` reads it back)."""
        return {"format": REFERENCE_FORMAT, "source": self.source, "n_legs": self.n_legs,
                "measures": list(self.measures), "centre": self.centre, "scale": self.scale,
                "contra_centre": self.contra_centre, "contra_scale": self.contra_scale}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NormativeReference:
        """Read ``to_dict``'s form; raises ModelError for anything else."""
        if not isinstance(data, Mapping) or data.get("format") != REFERENCE_FORMAT:
            raise ModelError(f"not a normative reference (expected format {REFERENCE_FORMAT})")
        return cls(tuple(data["measures"]), dict(data["centre"]), dict(data["scale"]),
                   dict(data["contra_centre"]), dict(data["contra_scale"]),
                   dict(data["n_legs"]), str(data.get("source", "")))

    def arrays(self, measures: Sequence[str]) -> dict[str, np.ndarray]:
        """Centre/scale arrays (3 classes x len(measures)) in ``LEG_CLASS_VALUES`` order.

        Unreferenced entries are NaN.
        """
        out = {}
        for key in ("centre", "scale", "contra_centre", "contra_scale"):
            table = getattr(self, key)
            out[key] = np.array([[table.get(c, {}).get(m, np.nan) for m in measures]
                                 for c in LEG_CLASS_VALUES], dtype=float)
        return out


def fit_reference(
    walks: Sequence[tuple[Mapping[str, Optional[float]], str]],
    measures: Sequence[str],
    source: str = "",
) -> NormativeReference:
    """Normative reference from healthy walks: (features, view) pairs, both legs healthy.

    Raises
    ------
    ValueError
        When no class has ``MIN_REFERENCE_LEGS`` legs.
    """
    own: dict[str, list[list[float]]] = {c: [] for c in LEG_CLASS_VALUES}
    diff: dict[str, list[list[float]]] = {c: [] for c in LEG_CLASS_VALUES}
    for features, view in walks:
        for side, other in (SIDES, SIDES[::-1]):
            mine = [_value(features, f"{side}_{m}") for m in measures]
            theirs = [_value(features, f"{other}_{m}") for m in measures]
            own[leg_class(view, side)].append(mine)
            diff[leg_class(view, side)].append(list(np.subtract(mine, theirs)))
    centre, scale, c_centre, c_scale, n_legs = {}, {}, {}, {}, {}
    for c in LEG_CLASS_VALUES:
        if len(own[c]) < MIN_REFERENCE_LEGS:
            continue
        n_legs[c] = len(own[c])
        a, d = np.asarray(own[c]), np.asarray(diff[c])
        centre[c], scale[c], c_centre[c], c_scale[c] = {}, {}, {}, {}
        for j, m in enumerate(measures):
            floor = MIN_SCALE[FEATURES[f"left_{m}"].unit]
            if np.isfinite(a[:, j]).sum() >= MIN_REFERENCE_LEGS:
                centre[c][m], scale[c][m] = _rounded(robust_centre_scale(a[:, j], floor))
            if np.isfinite(d[:, j]).sum() >= MIN_REFERENCE_LEGS:
                c_centre[c][m], c_scale[c][m] = _rounded(robust_centre_scale(d[:, j], floor))
    if not n_legs:
        raise ValueError(f"too few healthy legs for a normative reference (need "
                         f"{MIN_REFERENCE_LEGS} of one leg class)")
    return NormativeReference(tuple(measures), centre, scale, c_centre, c_scale, n_legs, source)


def _value(features: Mapping[str, Optional[float]], key: str) -> float:
    v = features.get(key)
    return float("nan") if v is None else float(v)


def _rounded(pair: tuple[float, float]) -> tuple[float, float]:
    return round(pair[0], 5), round(pair[1], 5)


def load_reference(path: str | Path | None = None) -> NormativeReference:
    """Read a normative reference JSON (default: the shipped one)."""
    path = Path(path) if path is not None else DEFAULT_REFERENCE_PATH
    try:
        return NormativeReference.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ModelError(f"normative reference not found: {path.name}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path.name} is not a readable normative reference ({exc})") from exc


def deviations(
    own: np.ndarray, contra: np.ndarray, leg_class_value: np.ndarray,
    ref: Mapping[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Signed z from healthy walking and from the other leg, (n, k) each.

    Parameters
    ----------
    own, contra : ndarray, shape (n, k)
        The leg's measures and the other leg's, NaN where missing.
    leg_class_value : ndarray, shape (n,)
        ``LEG_CLASS_VALUES`` of each row.
    ref : mapping
        ``NormativeReference.arrays`` of the same k measures.
    """
    cls = np.array([list(LEG_CLASS_VALUES.values()).index(v) if v in LEG_CLASS_VALUES.values()
                    else 2 for v in np.asarray(leg_class_value, dtype=float)])
    z_norm = (own - ref["centre"][cls]) / ref["scale"][cls]
    z_contra = (own - contra - ref["contra_centre"][cls]) / ref["contra_scale"][cls]
    return z_norm, z_contra


def abnormality_inputs(
    X: np.ndarray, ref: Mapping[str, np.ndarray], empty_columns: Optional[np.ndarray] = None
) -> np.ndarray:
    """Abnormality inputs (n, 2k + 4) of leg rows ``X`` (n, 2k + 1); NaN where a measure is missing.

    Columns: |z from healthy| (k), |z from the other leg| (k), the worst of each (nan-max, 2),
    the other leg's worst |z from healthy| (1) and the leg class (1).

    Parameters
    ----------
    X : ndarray, shape (n, 2k + 1)
        Leg rows: own measures, the other leg's, ``LEG_CLASS_VALUES`` of the leg.
    ref : mapping
        ``NormativeReference.arrays`` of the k measures.
    empty_columns : ndarray of bool, shape (2k + 4,), optional
        Inputs that read 0 (missing in every training row).
    """
    X = np.asarray(X, dtype=float)
    k = (X.shape[1] - 1) // 2
    z_norm, z_contra = (np.abs(z) for z in deviations(X[:, :k], X[:, k:2 * k], X[:, -1], ref))
    # the other leg's row: its measures first, this leg's second, its own leg class
    other_norm = np.abs(deviations(X[:, k:2 * k], X[:, :k], _other_class(X[:, -1]), ref)[0])
    out = np.column_stack([z_norm, z_contra, _nanmax(z_norm), _nanmax(z_contra),
                           _nanmax(other_norm), X[:, -1]])
    if empty_columns is not None:
        out[:, empty_columns] = 0.0
    return out


def _other_class(values: np.ndarray) -> np.ndarray:
    """The other leg's class value: near <-> far in side views, other stays other."""
    near, far = LEG_CLASS_VALUES["near"], LEG_CLASS_VALUES["far"]
    return np.where(values == near, far, np.where(values == far, near, values))


def _nanmax(z: np.ndarray) -> np.ndarray:
    """Row-wise max ignoring NaN; NaN where a row has no finite value."""
    finite = np.isfinite(z)
    out = np.where(finite, z, -np.inf).max(axis=1)
    return np.where(finite.any(axis=1), out, np.nan)
