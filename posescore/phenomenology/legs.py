"""Per-leg dystonia phenomenology: each measure a value with unit, a present flag and its threshold.

Built from the per-stride table (:func:`posescore.features.stride_measures`) and, for tremor,
the raw (unfiltered) foot landmarks. A measure that the camera view cannot show is ``None``
with a reason (returned as a warning for ``quality.warnings``), never a guess.

Measures (``legs.<side>.phenomenology`` in the JSON contract):

- ``equinus``: ankle plantarflexion at heel strike (sagittal views); also reports swing.
- ``foot_inversion``: stance foot inversion (frontal / posterior views).
- ``striatal_toe``: toe-tip elevation in swing, a proxy: MediaPipe has no great-toe landmark,
  so the measure is how far ``foot_index`` is rotated up towards the heel->ankle line
  (:func:`posescore.features.toe_extension_proxy_deg`), compared with the other leg.
- ``knee``: hyperextension at heel strike or excessive stance flexion (sagittal views).
- ``hip_circumduction``: lateral swing of the ankle (frontal / posterior views).
- ``tremor``: share of foot-motion power in the 4-8 Hz band, with a Nyquist check, and the
  irregularity of the band (spectral flatness; dystonic tremor is irregular).
- ``pattern``: sustained vs intermittent: fraction of strides with any flagged posture.
- ``overflow``: posture on this leg while the other leg is the more affected one.

References
----------
Burke RE, Fahn S, Marsden CD, et al. Validity and reliability of a rating scale for the
primary torsion dystonias. Neurology 1985;35:73-77 (leg item, provoking factor).
Albanese A, et al. Phenomenology and classification of dystonia: a consensus update.
Mov Disord 2013;28:863-873 (task-specificity, tremor, overflow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import numpy as np

from posescore.config import FeatureConfig, PhenomenologyConfig
from posescore.constants import FRONTAL_PLANE_VIEWS, SIDES, Side, other_side
from posescore.contract import Notice, NoticeCode
from posescore.numbers import round_or_none
from posescore.phenomenology.registry import PHENOMENOLOGY
from posescore.phenomenology.tremor import raw_foot_signal, tremor_measure, tremor_resolvable
from posescore.types import PoseSequence


def _measure(
    name: str,
    value: Optional[float],
    present: Optional[bool],
    threshold: Any,
    reason: Optional[str] = None,
    **extra: Any,
) -> dict[str, Any]:
    unit = PHENOMENOLOGY[name][0]
    out: dict[str, Any] = {
        "value": None if value is None or not np.isfinite(value) else round(float(value), 4),
        "unit": unit,
        "present": None if present is None else bool(present),
        "threshold": threshold,
    }
    if reason:
        out["reason"] = reason
    out.update(extra)
    return out


def _finite(x: Any) -> np.ndarray:
    a = np.asarray(x if x is not None else [], dtype=float)
    return a[np.isfinite(a)]


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if x.size else float("nan")


def _stride_flags(values: np.ndarray, threshold: float, above: bool = True) -> np.ndarray:
    """Per-stride 1.0 / 0.0 flags (NaN where not measurable)."""
    v = np.asarray(values, dtype=float)
    flags = (v > threshold) if above else (v < threshold)
    return np.where(np.isfinite(v), flags.astype(float), np.nan)


def _stride_posture(
    name: str,
    per_stride: np.ndarray,
    threshold: float,
    fraction_threshold: float,
    posture_strides: list[np.ndarray],
    why_not: Optional[str],
    **extra: Any,
) -> dict[str, Any]:
    """Measure a posture per stride: the median value, present when enough strides show it.

    Present when the fraction of strides above ``threshold`` reaches
    ``fraction_threshold``; the stride flags are appended to ``posture_strides`` (for
    sustained vs intermittent).
    """
    if why_not is None and _finite(per_stride).size:
        flags = _stride_flags(per_stride, threshold)
        posture_strides.append(flags)
        fraction = float(np.nanmean(flags))
        return _measure(
            name,
            _median(_finite(per_stride)),
            fraction >= fraction_threshold,
            threshold,
            stride_fraction=round(fraction, 4),
            **extra,
        )
    return _measure(name, None, None, threshold, why_not or "no measurable strides")


def leg_phenomenology(
    strides: Mapping[Side, Mapping[str, np.ndarray]],
    view: str,
    *,
    pose: Optional[PoseSequence] = None,
    stride_time_s: Optional[float] = None,
    feature_cfg: FeatureConfig = FeatureConfig(),
    cfg: PhenomenologyConfig = PhenomenologyConfig(),
    visibility_threshold: float = 0.5,
) -> tuple[dict[Side, dict[str, Any]], list[Notice]]:
    """Phenomenology of both legs.

    Parameters
    ----------
    strides : mapping
        :func:`posescore.features.stride_measures` of the video.
    view : str
        Camera view (decides which measures are measurable).
    pose : PoseSequence, optional
        Raw landmarks for tremor (unfiltered: the cleaning low-pass removes the band).
    stride_time_s : float, optional
        Median stride time, s (separates stride harmonics from tremor).
    feature_cfg, cfg : config sections
        Thresholds.
    visibility_threshold : float
        Landmark visibility cut-off for the tremor signal.

    Returns
    -------
    legs : dict
        ``{side: {measure: {"value", "unit", "present", "threshold", ["reason"], ...}}}``.
    warnings : list of Notice
        One per measure the view (or the frame rate) cannot show, for ``quality.warnings``.
    """
    warnings: list[Notice] = []
    legs: dict[Side, dict[str, Any]] = {s: {} for s in SIDES}
    frac_thr = cfg.posture_present_fraction

    def warn(code: NoticeCode, message: str) -> str:
        """Record a warning once; its message is the measure's reason."""
        notice = Notice(code=code, stage="phenomenology", message=message)
        if notice not in warnings:
            warnings.append(notice)
        return message

    def not_in_view(name: str) -> Optional[str]:
        views = PHENOMENOLOGY[name][2]
        if view in views:
            return None
        where = "a frontal or posterior view" if views == FRONTAL_PLANE_VIEWS else "a side view"
        return warn(NoticeCode(f"view_cannot_show_{name}"),
                    f"{name.replace('_', ' ')} is not measurable in a {view} view (needs {where})")

    posture_strides: dict[Side, list[np.ndarray]] = {s: [] for s in SIDES}
    toe_ref = {
        s: _median(_finite(strides.get(s, {}).get("toe_extension_swing_deg"))) for s in SIDES
    }
    for side in SIDES:
        t = strides.get(side, {})
        other = other_side(side)
        out = legs[side]

        # equinus
        out["equinus"] = _stride_posture(
            "equinus",
            np.asarray(t.get("ankle_plantarflexion_hs_deg", []), dtype=float),
            feature_cfg.plantarflexion_posture_threshold_deg,
            frac_thr,
            posture_strides[side],
            not_in_view("equinus"),
            swing_deg=round_or_none(_median(_finite(t.get("ankle_plantarflexion_swing_deg")))),
        )

        # foot inversion
        out["foot_inversion"] = _stride_posture(
            "foot_inversion",
            np.asarray(t.get("foot_inversion_deg", []), dtype=float),
            cfg.inversion_threshold_deg,
            frac_thr,
            posture_strides[side],
            not_in_view("foot_inversion"),
        )

        # striatal toe (proxy, relative to the other leg)
        toe = np.asarray(t.get("toe_extension_swing_deg", []), dtype=float)
        ref = toe_ref[other]
        out["striatal_toe"] = _stride_posture(
            "striatal_toe",
            toe - ref,
            cfg.toe_extension_threshold_deg,
            frac_thr,
            posture_strides[side],
            not_in_view("striatal_toe")
            or (None if np.isfinite(ref) or not _finite(toe).size else "other leg unmeasurable"),
            note="proxy: foot_index elevation vs the heel-ankle line, relative to the "
            "other leg; MediaPipe has no great-toe landmark",
        )

        # knee
        why = not_in_view("knee")
        stance = _finite(t.get("knee_flexion_stance_deg"))
        hs = _finite(t.get("knee_flexion_hs_deg"))
        thr_knee = {
            "hyperextension_below_deg": cfg.knee_hyperextension_deg,
            "excess_flexion_above_deg": cfg.knee_excess_flexion_deg,
        }
        if why is None and (stance.size or hs.size):
            hyper = bool(hs.size and _median(hs) < cfg.knee_hyperextension_deg)
            excess = bool(stance.size and _median(stance) > cfg.knee_excess_flexion_deg)
            out["knee"] = _measure(
                "knee",
                _median(stance),
                hyper or excess,
                thr_knee,
                hs_deg=round_or_none(_median(hs)),
                hyperextension=hyper,
                excess_flexion=excess,
            )
        else:
            out["knee"] = _measure("knee", None, None, thr_knee, why or "no measurable strides")

        # hip circumduction
        why = not_in_view("hip_circumduction")
        circ = _finite(t.get("hip_circumduction_leglen"))
        thr = cfg.circumduction_threshold_leglen
        if why is None and circ.size:
            v = _median(circ)
            out["hip_circumduction"] = _measure("hip_circumduction", v, v > thr, thr)
        else:
            out["hip_circumduction"] = _measure(
                "hip_circumduction", None, None, thr, why or "no measurable strides"
            )

        # tremor
        thr = cfg.tremor_power_threshold
        stride_hz = 1.0 / stride_time_s if stride_time_s else None
        if pose is None:
            out["tremor"] = _measure("tremor", None, None, thr, "no raw landmarks given")
        else:
            sig = raw_foot_signal(pose, side, visibility_threshold)
            share, flat, reason = tremor_measure(
                sig, pose.fps, cfg.tremor_band_hz, stride_hz, pose.filmed_fps
            )
            if reason and not tremor_resolvable(pose.filmed_fps, cfg.tremor_band_hz):
                warn(NoticeCode.LOW_FPS_TREMOR, reason)
            out["tremor"] = _measure(
                "tremor",
                share,
                None if share is None else share > thr,
                thr,
                reason,
                band_hz=list(cfg.tremor_band_hz),
                irregularity=round_or_none(flat),
            )

    # sustained vs intermittent, then overflow (needs both legs)
    fractions: dict[Side, float] = {}
    for side in SIDES:
        rows = posture_strides[side]
        if rows and max(len(r) for r in rows) > 0:
            n = max(len(r) for r in rows)
            stack = np.vstack([r if len(r) == n else np.full(n, np.nan) for r in rows])
            any_posture = np.where(
                np.isfinite(stack).any(axis=0), np.nansum(stack, axis=0) > 0, np.nan
            )
            fr = float(np.nanmean(any_posture)) if np.isfinite(any_posture).any() else np.nan
        else:
            fr = float("nan")
        fractions[side] = fr
        if np.isfinite(fr):
            kind = (
                "sustained"
                if fr >= cfg.sustained_fraction
                else "intermittent"
                if fr > 0
                else "none"
            )
            legs[side]["pattern"] = _measure(
                "pattern", fr, fr >= frac_thr, cfg.sustained_fraction, kind=kind
            )
        else:
            legs[side]["pattern"] = _measure(
                "pattern", None, None, cfg.sustained_fraction, "no posture measurable"
            )
    for side in SIDES:
        mine, theirs = fractions[side], fractions[other_side(side)]
        if np.isfinite(mine) and np.isfinite(theirs):
            primary_other = theirs >= frac_thr and theirs > mine
            legs[side]["overflow"] = _measure(
                "overflow", mine, bool(primary_other and mine >= frac_thr), frac_thr
            )
        else:
            legs[side]["overflow"] = _measure(
                "overflow", None, None, frac_thr, "posture not measurable on both legs"
            )
    return legs, warnings


