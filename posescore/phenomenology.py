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

import logging
from collections.abc import Mapping
from typing import Any, Optional

import numpy as np
from scipy.signal import butter, sosfiltfilt, welch

from posescore.config import FeatureConfig, PhenomenologyConfig
from posescore.constants import (
    FRONTAL_PLANE_VIEWS,
    LEG_LANDMARKS,
    SAGITTAL_PLANE_VIEWS,
    SIDES,
    Side,
)
from posescore.contract import Notice, NoticeCode
from posescore.numbers import round_or_none
from posescore.types import PoseSequence

logger = logging.getLogger(__name__)

PHENOMENOLOGY: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "equinus": (
        "deg",
        "Ankle plantarflexion at heel strike, median over strides; present when at least "
        "phenomenology.posture_present_fraction of strides exceed "
        "feature.plantarflexion_posture_threshold_deg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    "foot_inversion": (
        "deg",
        "Stance foot inversion, median over strides; present when enough strides exceed "
        "phenomenology.inversion_threshold_deg.",
        FRONTAL_PLANE_VIEWS,
    ),
    "striatal_toe": (
        "deg",
        "Toe-tip elevation proxy in swing minus the other leg's median (no great-toe "
        "landmark in MediaPipe); present when enough strides exceed "
        "phenomenology.toe_extension_threshold_deg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    "knee": (
        "deg",
        "Knee flexion at heel strike (hyperextension below "
        "phenomenology.knee_hyperextension_deg) and mean stance flexion (excessive above "
        "phenomenology.knee_excess_flexion_deg); value = stance flexion.",
        SAGITTAL_PLANE_VIEWS,
    ),
    "hip_circumduction": (
        "leglen",
        "Largest lateral ankle offset in swing minus stance median, median over strides; "
        "present above phenomenology.circumduction_threshold_leglen.",
        FRONTAL_PLANE_VIEWS,
    ),
    "tremor": (
        "fraction",
        "Share of foot (toe relative to ankle) motion power in the tremor band, above the "
        "stride harmonics below it; needs fps > 2 x the band's upper edge.",
        ("sagittal_left", "sagittal_right", "frontal", "posterior", "oblique"),
    ),
    "pattern": (
        "fraction",
        "Fraction of strides with any flagged posture (equinus, inversion, striatal toe); "
        "sustained at or above phenomenology.sustained_fraction, else intermittent.",
        ("sagittal_left", "sagittal_right", "frontal", "posterior", "oblique"),
    ),
    "overflow": (
        "fraction",
        "Posture fraction of this leg when the other leg is the more affected one.",
        ("sagittal_left", "sagittal_right", "frontal", "posterior", "oblique"),
    ),
}
"""Phenomenology measures: name -> (unit, definition, views in which measurable)."""


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


def tremor_resolvable(filmed_fps: float, band_hz: tuple[float, float]) -> bool:
    """Whether distinct pictures per second resolve the tremor band (Nyquist: > 2 x its top)."""
    return filmed_fps > 2 * band_hz[1]


def tremor_measure(
    signal: np.ndarray,
    fps: float,
    band_hz: tuple[float, float],
    stride_hz: Optional[float] = None,
    filmed_fps: Optional[float] = None,
) -> tuple[Optional[float], Optional[float], Optional[str]]:
    """Tremor-band power share and irregularity of a (T,) signal.

    The power spectrum (Welch, 2 s segments) of the detrended signal is summed over the
    band and over everything from just below the band (``band_lo / 2``, or 1.5 x the stride
    frequency if larger, so that the stride's own slow rhythm does not dominate) up to the
    Nyquist frequency.

    Parameters
    ----------
    signal : ndarray, shape (T,)
        E.g. toe-minus-ankle position in leg lengths; NaN gaps are interpolated over.
    fps : float
        Sampling rate, Hz.
    band_hz : (float, float)
        Tremor band, Hz.
    stride_hz : float, optional
        Stride frequency, Hz.
    filmed_fps : float, optional
        Distinct pictures per second when frames repeat (``PoseSequence.filmed_fps``); the
        Nyquist check uses it. Default ``fps``.

    Returns
    -------
    share : float or None
        Band power / power above the low edge, 0-1.
    irregularity : float or None
        Spectral flatness within the band (geometric / arithmetic mean of the PSD), 0-1;
        near 1 = broadband, irregular; near 0 = one sharp (regular) peak.
    reason : str or None
        Why the measure is None (frame rate below Nyquist, too few samples, no motion).
    """
    lo, hi = band_hz
    filmed_fps = fps if filmed_fps is None else filmed_fps
    if not tremor_resolvable(filmed_fps, band_hz):
        return (
            None,
            None,
            (
                f"frame rate {filmed_fps:.1f} fps cannot resolve the {lo:g}-{hi:g} Hz tremor band "
                f"(needs more than {2 * hi:g} fps)"
            ),
        )
    x = np.asarray(signal, dtype=float)
    ok = np.isfinite(x)
    if ok.sum() < max(16, int(2 * fps / lo)):
        return None, None, "too few frames with visible feet to measure tremor"
    t = np.arange(x.size)
    x = np.interp(t, t[ok], x[ok])
    x = x - np.polyval(np.polyfit(t, x, 1), t)
    if not np.any(np.abs(x) > 1e-12):
        return 0.0, None, None
    nper = int(min(x.size, round(2 * fps)))
    f, pxx = welch(x, fs=fps, nperseg=nper)
    low_edge = lo / 2
    if stride_hz is not None and np.isfinite(stride_hz):
        low_edge = max(low_edge, 1.5 * stride_hz)
    total = pxx[f >= low_edge].sum()
    in_band = (f >= lo) & (f <= hi)
    if not total > 0 or not in_band.any():
        return 0.0, None, None
    band = pxx[in_band]
    share = float(band.sum() / total)
    flat = float(np.exp(np.mean(np.log(band + 1e-30))) / np.mean(band)) if band.mean() > 0 else None
    return min(share, 1.0), flat, None


def _raw_foot_signal(pose: PoseSequence, side: Side, visibility_threshold: float) -> np.ndarray:
    """Toe minus ankle (x and y summed in quadrature of their detrended parts) per frame, px."""
    lm = pose.landmarks
    idx = LEG_LANDMARKS[side]
    toe, ankle = lm[:, idx["toe"], :], lm[:, idx["ankle"], :]
    seen = (np.nan_to_num(toe[:, 3]) >= visibility_threshold) & (
        np.nan_to_num(ankle[:, 3]) >= visibility_threshold
    )
    d = toe[:, :2] - ankle[:, :2]
    d[~seen] = np.nan
    # the vertical component carries tremor of the foot; x adds the foot's fore-aft wobble
    return d[:, 1] + 0.5 * d[:, 0]


def tremor_band_rms(
    signal: np.ndarray, fps: float, band_hz: tuple[float, float], filmed_fps: Optional[float] = None
) -> float:
    """RMS of a (T,) signal in the tremor band (4th-order Butterworth, zero phase).

    NaN when the distinct-picture rate cannot resolve the band or too few samples are finite.
    """
    lo, hi = band_hz
    if (fps if filmed_fps is None else filmed_fps) <= 2 * hi or fps <= 2 * hi:
        return float("nan")
    x = np.asarray(signal, dtype=float)
    ok = np.isfinite(x)
    if ok.sum() < max(16, int(2 * fps / lo)):
        return float("nan")
    t = np.arange(x.size)
    x = np.interp(t, t[ok], x[ok])
    sos = butter(4, [lo, hi], btype="bandpass", fs=fps, output="sos")
    band = sosfiltfilt(sos, x - x.mean())
    return float(np.sqrt(np.mean(band[ok] ** 2)))


def foot_tremor_rms_leglen(
    pose: PoseSequence,
    legs_exchanged: Optional[np.ndarray],
    leg_length_px: float,
    band_hz: tuple[float, float],
    visibility_threshold: float,
) -> dict[Side, float]:
    """Per leg: tremor-band RMS of the raw foot signal (``_raw_foot_signal``), leg lengths.

    ``legs_exchanged`` (T,) marks frames whose leg names the cleaning exchanged
    (``Trajectories.legs_exchanged``): there each leg takes the other name's landmarks.
    """
    raw = {side: _raw_foot_signal(pose, side, visibility_threshold) for side in SIDES}
    swap = (np.zeros(len(pose.landmarks), dtype=bool) if legs_exchanged is None
            or len(legs_exchanged) != len(pose.landmarks) else np.asarray(legs_exchanged))
    out: dict[Side, float] = {}
    for side, other in (SIDES, SIDES[::-1]):
        signal = np.where(swap, raw[other], raw[side])
        rms = tremor_band_rms(signal, pose.fps, band_hz, pose.filmed_fps)
        out[side] = rms / leg_length_px if leg_length_px > 0 else float("nan")
    return out


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
        other: Side = "right" if side == "left" else "left"
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
            sig = _raw_foot_signal(pose, side, visibility_threshold)
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
        other = "right" if side == "left" else "left"
        mine, theirs = fractions[side], fractions[other]
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


