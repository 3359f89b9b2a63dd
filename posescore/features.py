"""Kinematic features of each leg: joint angles per frame, aggregated per stride.

Angles are 2-D, in the image plane, computed from MediaPipe landmarks (Winter 2009's
segment-angle convention: a joint angle is the relative angle of its two adjacent segments).
Image y points down; the functions here flip it internally so that "up" is up. Every feature is
independent of the walking direction: unsigned angles are mirror-invariant and signed ones
are multiplied by the walking direction (+1 toes towards image +x, -1 towards -x).

References
----------
Winter DA. Biomechanics and Motor Control of Human Movement, 4th ed. Wiley 2009, ch. 3
(segment and joint angles).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

import numpy as np

from posescore.config import FeatureConfig, QualityConfig
from posescore.constants import LEG_LANDMARKS, SIDES, VIEWS, Side
from posescore.gait import GaitEvents
from posescore.signals import Trajectories

logger = logging.getLogger(__name__)

SAGITTAL_PLANE_VIEWS: tuple[str, ...] = ("sagittal_left", "sagittal_right")
"""Views in which sagittal-plane angles and fore-aft distances are measurable."""

FRONTAL_PLANE_VIEWS: tuple[str, ...] = ("frontal", "posterior")
"""Views in which frontal-plane angles (foot inversion) are measurable."""


# --------------------------------------------------------------------------- angles per frame


def _up(v: np.ndarray) -> np.ndarray:
    """Image vectors (..., 2) with y down -> y up."""
    return np.stack([v[..., 0], -v[..., 1]], axis=-1)


def _signed_angle_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Counter-clockwise angle from u to v (y-up vectors, shape (..., 2)), deg in (-180, 180]."""
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = (u * v).sum(axis=-1)
    return np.degrees(np.arctan2(cross, dot))


def _angle_between_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors (shape (..., 2)), deg in [0, 180]."""
    return np.abs(_signed_angle_deg(u, v))


def knee_flexion_deg(
    hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, direction: int = 0
) -> np.ndarray:
    """Knee flexion: angle between thigh (hip->knee) and shank (knee->ankle).

    Parameters
    ----------
    hip, knee, ankle : ndarray, shape (T, 2)
        Image coordinates, px, y down.
    direction : int
        Walking direction (+1 / -1) for a signed angle (negative = hyperextension); 0 gives
        the unsigned angle.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; 0 = straight leg, positive = flexion.
    """
    thigh = _up(knee - hip)
    shank = _up(ankle - knee)
    if direction == 0:
        return _angle_between_deg(thigh, shank)
    return -direction * _signed_angle_deg(thigh, shank)


def hip_flexion_deg(
    shoulder: np.ndarray, hip: np.ndarray, knee: np.ndarray, direction: int = 0
) -> np.ndarray:
    """Hip flexion: angle of the thigh (hip->knee) from the trunk line (shoulder->hip).

    Parameters
    ----------
    shoulder, hip, knee : ndarray, shape (T, 2)
        Image coordinates of the same side, px, y down.
    direction : int
        Walking direction (+1 / -1) for a signed angle (negative = extension, knee behind the
        trunk line); 0 gives the unsigned angle.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; 0 = thigh in line with the trunk, positive = flexion (knee forward).
    """
    trunk_down = _up(hip - shoulder)
    thigh = _up(knee - hip)
    if direction == 0:
        return _angle_between_deg(trunk_down, thigh)
    return direction * _signed_angle_deg(trunk_down, thigh)


def ankle_plantarflexion_deg(
    knee: np.ndarray, ankle: np.ndarray, heel: np.ndarray, toe: np.ndarray
) -> np.ndarray:
    """Ankle plantarflexion: angle between shank and foot minus 90 degrees.

    The shank is taken pointing up (ankle->knee) and the foot from heel to toe, so the angle
    is 90 degrees when the foot is perpendicular to the shank.

    Parameters
    ----------
    knee, ankle, heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; 0 = foot perpendicular to shank, positive = plantarflexion (toe pointing
        down, away from the shin), negative = dorsiflexion. Independent of walking direction.
    """
    return _angle_between_deg(_up(knee - ankle), _up(toe - heel)) - 90.0


def foot_floor_angle_deg(heel: np.ndarray, toe: np.ndarray) -> np.ndarray:
    """Angle of the foot (heel->toe) to the image horizontal.

    Parameters
    ----------
    heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.

    Returns
    -------
    ndarray, shape (T,)
        Degrees in [-90, 90]; positive = toe higher than heel. Independent of walking
        direction (uses |dx|).
    """
    d = toe - heel
    return np.degrees(np.arctan2(-d[:, 1], np.abs(d[:, 0])))


def toe_height_leglen(heel: np.ndarray, toe: np.ndarray, leg_length_px: float) -> np.ndarray:
    """Height of the toe above the heel, leg lengths.

    Parameters
    ----------
    heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.
    leg_length_px : float
        Body scale, px.

    Returns
    -------
    ndarray, shape (T,)
        Positive = toe above heel.
    """
    return (heel[:, 1] - toe[:, 1]) / leg_length_px


def foot_inversion_deg(
    knee: np.ndarray,
    ankle: np.ndarray,
    heel: np.ndarray,
    toe: np.ndarray,
    medial_sign: float,
) -> np.ndarray:
    """Foot inversion in a frontal or posterior view (a rearfoot-angle analogue).

    The angle from the shank line (knee->ankle) to the line from the ankle to the sole
    centre (midpoint of heel and toe). Inversion rotates the foot about its long axis, which
    points at the camera in these views, so the sole centre swings medially in the image.

    Parameters
    ----------
    knee, ankle, heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.
    medial_sign : float
        +1 if the leg's medial side (towards the other leg) is image +x, -1 if -x.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; positive = sole centre medial to the shank line (inversion / varus),
        negative = eversion. Includes any toe-out of the foot; compare sides or sessions.
    """
    shank = _up(ankle - knee)
    sole = _up(0.5 * (heel + toe) - ankle)
    return medial_sign * _signed_angle_deg(shank, sole)


def toe_extension_proxy_deg(ankle: np.ndarray, heel: np.ndarray, toe: np.ndarray) -> np.ndarray:
    """Toe-tip elevation relative to the rear foot, a proxy for great-toe extension.

    MediaPipe has no separate great-toe landmark: ``foot_index`` (31/32) is the tip of the
    foot, so toe extension is measured as how far the toe tip is rotated up towards the
    heel->ankle line: ``90 - angle(heel->ankle, heel->toe)``. It mixes real toe (MTP)
    extension with foot shape and landmark placement, so use it within a leg (swing vs the
    leg's other strides) or between legs and sessions, not as an absolute MTP angle.

    Parameters
    ----------
    ankle, heel, toe : ndarray, shape (T, 2)
        Image coordinates, px, y down.

    Returns
    -------
    ndarray, shape (T,)
        Degrees; larger = toe tip raised towards the shin. Independent of walking direction.
    """
    return 90.0 - _angle_between_deg(_up(ankle - heel), _up(toe - heel))


def lateral_offset_leglen(
    origin: np.ndarray, point: np.ndarray, medial_sign: float, leg_length_px: float
) -> np.ndarray:
    """Lateral position of a point relative to an origin (frontal or posterior view).

    Used for the ankle relative to its hip (circumduction) and, negated, for the sole centre
    (heel-toe midpoint) relative to the ankle: inversion turns the foot about its long axis,
    which points at the camera in these views, and carries the sole centre medially.

    Parameters
    ----------
    origin, point : ndarray, shape (T, 2)
        Image coordinates, px.
    medial_sign : float
        +1 if the leg's medial side is image +x, -1 if -x.
    leg_length_px : float
        Body scale, px.

    Returns
    -------
    ndarray, shape (T,)
        Leg lengths; positive = point lateral to the origin, negative = medial.
    """
    return -medial_sign * (point[:, 0] - origin[:, 0]) / leg_length_px


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class FeatureSpec:
    """What one feature means.

    Attributes
    ----------
    name : str
        Key in the feature dict, ``{side}_{measure}_{unit}`` or ``asym_{measure}_{unit}``.
    unit : str
        ``deg``, ``leglen`` (leg lengths), ``s`` or ``fraction``.
    definition : str
        One-line definition.
    views : tuple of str
        Camera views in which the feature is measurable; None in the others.
    reference : str
        Where the definition comes from (short citation; full list in docs/features.md).
    """

    name: str
    unit: str
    definition: str
    views: tuple[str, ...]
    reference: str = "Winter 2009, ch. 3 (segment and joint angles)"


_PER_SIDE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "ankle_plantarflexion_hs_deg",
        "deg",
        "Ankle plantarflexion at heel strike, mean over strides (0 = foot perpendicular to "
        "shank, + = plantarflexion). Walking backward (toe lands first): at the heel's last "
        "contact, the time mirror of a forward heel strike; likewise for every _hs_ feature.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "ankle_plantarflexion_swing_deg",
        "deg",
        "Ankle plantarflexion in swing (toe off to heel strike), mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "ankle_plantarflexion_swing_max_deg",
        "deg",
        "Largest ankle plantarflexion in each swing, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "foot_floor_angle_hs_deg",
        "deg",
        "Foot (heel->toe) angle to the horizontal at heel strike, mean over strides "
        "(+ = toe up; healthy about +15..25, equinus negative).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "toe_height_swing_leglen",
        "leglen",
        "Toe height above the heel in swing, mean over strides (+ = toe above heel).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_range_deg",
        "deg",
        "Knee flexion range (max - min) within a stride, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_hs_deg",
        "deg",
        "Knee flexion at heel strike, mean over strides (0 = straight, - = hyperextension).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "hip_flexion_range_deg",
        "deg",
        "Hip flexion range (thigh vs trunk line, max - min) within a stride, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "step_length_proxy_leglen",
        "leglen",
        "Step length proxy: largest forward heel position relative to the pelvis within a "
        "stride, mean over strides.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "stride_time_s",
        "s",
        "Stride time (heel strike to next heel strike of the same foot), median.",
        VIEWS,
    ),
    (
        "swing_fraction",
        "fraction",
        "Swing phase as a fraction of the stride (1 - (HS->TO)/(HS->HS)), mean over strides.",
        VIEWS,
    ),
    (
        "plantarflexion_posture_fraction",
        "fraction",
        "Fraction of strides whose plantarflexion at heel strike exceeds "
        "feature.plantarflexion_posture_threshold_deg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "foot_inversion_deg",
        "deg",
        "Foot inversion in stance (frontal/posterior view): angle from the shank line to "
        "the ankle->sole-centre line, + = medial (inversion), mean over strides.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_stance_deg",
        "deg",
        "Knee flexion in stance (heel strike to toe off), mean over strides (healthy about "
        "5..15; excessive flexion larger, hyperextension negative).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "toe_extension_swing_deg",
        "deg",
        "Toe-tip elevation proxy in swing: 90 - angle(heel->ankle, heel->foot_index), mean "
        "over strides. MediaPipe has no great-toe landmark; this is the foot tip's rotation "
        "towards the shin, not a true MTP angle.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "hip_circumduction_leglen",
        "leglen",
        "Hip circumduction (frontal/posterior view): largest lateral ankle offset from the "
        "hip in swing minus its median in stance, mean over strides.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "foot_floor_angle_median_deg",
        "deg",
        "Median foot (heel->toe) angle to the horizontal over each whole stride, mean over "
        "strides (+ = toe up; equinus lowers it). Unlike the heel-strike value it does not "
        "hinge on one frame's event timing, and it stays readable for the far leg.",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "ankle_plantarflexion_median_deg",
        "deg",
        "Median ankle plantarflexion over each whole stride, mean over strides (a sustained "
        "posture raises it in stance and swing alike).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "knee_flexion_median_deg",
        "deg",
        "Median knee flexion over each whole stride, mean over strides (a stiff or flexed "
        "knee shifts it; needs no event timing).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "toe_height_median_leglen",
        "leglen",
        "Median toe height relative to the heel over each whole stride, mean over strides "
        "(a plantarflexed foot lowers it in stance and swing alike).",
        SAGITTAL_PLANE_VIEWS,
    ),
    (
        "foot_inversion_p90_deg",
        "deg",
        "90th percentile of foot inversion over each whole stride (frontal/posterior view), "
        "mean over strides: the peak inversion, which a stance mean dilutes when the posture "
        "comes and goes within the stride.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "sole_medial_offset_stance_leglen",
        "leglen",
        "Horizontal offset of the sole centre (heel-toe midpoint) medial to the ankle in "
        "stance (frontal/posterior view), median over each stance, mean over strides: "
        "inversion without the knee's position.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "sole_medial_offset_p90_leglen",
        "leglen",
        "90th percentile over each whole stride of the sole centre's medial offset from the "
        "ankle (frontal/posterior view), mean over strides: the peak inversion.",
        FRONTAL_PLANE_VIEWS,
    ),
    (
        "foot_tremor_rms_leglen",
        "leglen",
        "RMS of the foot's (toe minus ankle, raw landmarks) motion in the tremor band "
        "(phenomenology.tremor_band_hz) over the whole walk; null when the frame rate cannot "
        "resolve the band.",
        VIEWS,
    ),
)

PER_WALK_MEASURES: frozenset[str] = frozenset({"foot_tremor_rms_leglen"})
"""Per-leg measures taken over the whole walk from the raw landmarks, not per stride
(``compute_features``' ``per_walk``)."""

_ASYMMETRY: tuple[str, ...] = (
    "ankle_plantarflexion_hs_deg",
    "ankle_plantarflexion_swing_deg",
    "foot_floor_angle_hs_deg",
    "toe_height_swing_leglen",
    "knee_flexion_range_deg",
    "step_length_proxy_leglen",
    "stride_time_s",
    "swing_fraction",
    "plantarflexion_posture_fraction",
    "foot_inversion_deg",
)


_EVENTS_REFERENCE = "Zeni 2008 (sagittal events); O'Connor 2007 (frontal events)"
_REFERENCES: dict[str, str] = {
    "stride_time_s": _EVENTS_REFERENCE,
    "swing_fraction": _EVENTS_REFERENCE,
    "step_length_proxy_leglen": "Zeni 2008 (heel position relative to the pelvis)",
    "plantarflexion_posture_fraction": "BFMDRS leg item (Burke 1985): intermittent vs sustained",
    "foot_inversion_deg": "rearfoot-angle analogue in the image plane (this project)",
    "foot_inversion_p90_deg": "rearfoot-angle analogue in the image plane (this project)",
    "sole_medial_offset_stance_leglen": "image-plane inversion measure (this project)",
    "sole_medial_offset_p90_leglen": "image-plane inversion measure (this project)",
    "toe_extension_swing_deg": "proxy defined in this project (no great-toe landmark)",
    "hip_circumduction_leglen": "frontal-plane swing path (this project)",
    "foot_tremor_rms_leglen": "Albanese 2013 (dystonic tremor, irregular, 4-8 Hz)",
}


def _build_registry() -> dict[str, FeatureSpec]:
    specs: dict[str, FeatureSpec] = {}
    default_ref = FeatureSpec.reference
    for side in SIDES:
        for measure, unit, definition, views in _PER_SIDE:
            name = f"{side}_{measure}"
            specs[name] = FeatureSpec(
                name,
                unit,
                f"{side.capitalize()} leg. {definition}",
                views,
                _REFERENCES.get(measure, default_ref),
            )
    per_side = {m: (u, d, v) for m, u, d, v in _PER_SIDE}
    for measure in _ASYMMETRY:
        unit, definition, views = per_side[measure]
        name = f"asym_{measure}"
        specs[name] = FeatureSpec(
            name,
            unit,
            f"Left minus right. {definition}",
            views,
            _REFERENCES.get(measure, default_ref),
        )
    return specs


FEATURES: dict[str, FeatureSpec] = _build_registry()
"""Every feature posescore computes, in the fixed order of :func:`feature_names`."""


def feature_names() -> list[str]:
    """Feature names in the fixed order the severity model expects."""
    return list(FEATURES)


def leg_measure_names() -> list[str]:
    """Per-leg measure names without the side prefix, in registry order."""
    return [name[len("left_") :] for name in FEATURES if name.startswith("left_")]


# --------------------------------------------------------------------------- per stride

STRIDE_TIME_KEYS: tuple[str, str] = ("stride_start_s", "stride_end_s")
"""Extra keys of :func:`stride_measures`: time of each stride's first and closing heel strike."""

_MEDIAN_MEASURES: frozenset[str] = frozenset({"stride_time_s"})
"""Per-leg measures aggregated over strides by the median; all others by the mean."""


def _medial_sign(traj: Trajectories, side: Side) -> float:
    """+1 if the other hip lies at larger image x than this side's hip (median), else -1."""
    other: Side = "right" if side == "left" else "left"
    dx = traj.point(other, "hip")[:, 0] - traj.point(side, "hip")[:, 0]
    dx = dx[np.isfinite(dx)]
    return float(np.sign(np.median(dx))) if dx.size else float("nan")


def _window_stat(
    series: np.ndarray, a: int | None, b: int | None, stat: Callable[[np.ndarray], float]
) -> float:
    """``stat(series[a:b])``; NaN if the window is missing, empty or holds a NaN."""
    if a is None or b is None or b <= a:
        return float("nan")
    w = series[a:b]
    return float(stat(w)) if np.isfinite(w).all() else float("nan")


def _p90(values: np.ndarray) -> float:
    """90th percentile."""
    return float(np.percentile(values, 90))


def _empty_strides() -> dict[str, np.ndarray]:
    names = leg_measure_names()
    return {n: np.empty(0) for n in (*names, *STRIDE_TIME_KEYS)}


def _side_stride_measures(
    traj: Trajectories, side: Side, ev: GaitEvents | None, cfg: FeatureConfig
) -> dict[str, np.ndarray]:
    """Per-stride values of every per-leg measure of one leg (see :func:`stride_measures`)."""
    leg = traj.leg_length_px
    if ev is None or not (np.isfinite(leg) and leg > 0):
        return _empty_strides()
    strides = np.asarray(ev.strides, dtype=int).reshape(-1, 2)
    n = len(strides)
    if n == 0:
        return _empty_strides()

    p = {joint: traj.point(side, joint) for joint in LEG_LANDMARKS[side]}
    direction = traj.direction
    pf = ankle_plantarflexion_deg(p["knee"], p["ankle"], p["heel"], p["toe"])
    ffa = foot_floor_angle_deg(p["heel"], p["toe"])
    toe_h = toe_height_leglen(p["heel"], p["toe"], leg)
    nan_t = np.full(traj.n_frames, np.nan)
    if direction != 0:
        knee = knee_flexion_deg(p["hip"], p["knee"], p["ankle"], direction)
        hip = hip_flexion_deg(p["shoulder"], p["hip"], p["knee"], direction)
        heel_fwd = direction * (p["heel"][:, 0] - traj.pelvis_px[:, 0]) / leg
    else:
        knee = hip = heel_fwd = nan_t
    medial = _medial_sign(traj, side)
    has_medial = bool(np.isfinite(medial) and medial != 0)
    inversion = (
        foot_inversion_deg(p["knee"], p["ankle"], p["heel"], p["toe"], medial)
        if has_medial
        else nan_t
    )
    toe_ext = toe_extension_proxy_deg(p["ankle"], p["heel"], p["toe"])
    if has_medial:
        lateral = lateral_offset_leglen(p["hip"], p["ankle"], medial, leg)
        sole_medial = -lateral_offset_leglen(p["ankle"], 0.5 * (p["heel"] + p["toe"]), medial, leg)
    else:
        lateral = sole_medial = nan_t

    rows: list[dict[str, float]] = []
    for a, b in strides:
        a, b = int(a), int(b)
        to = ev.toe_off_in(a, b)
        # Walking backward the toe lands first; the time mirror of a forward heel strike
        # is the heel's last contact (the backward toe off), where "at heel strike"
        # postures are read.
        hs = a if ev.method != "zeni_backward" else to
        pf_hs = float(pf[hs]) if hs is not None else float("nan")
        rows.append(
            {
                "ankle_plantarflexion_hs_deg": pf_hs,
                "ankle_plantarflexion_swing_deg": _window_stat(pf, to, b, np.mean),
                "ankle_plantarflexion_swing_max_deg": _window_stat(pf, to, b, np.max),
                "foot_floor_angle_hs_deg": float(ffa[hs]) if hs is not None else float("nan"),
                "toe_height_swing_leglen": _window_stat(toe_h, to, b, np.mean),
                "knee_flexion_range_deg": _window_stat(knee, a, b + 1, np.ptp),
                "knee_flexion_hs_deg": float(knee[hs]) if hs is not None else float("nan"),
                "hip_flexion_range_deg": _window_stat(hip, a, b + 1, np.ptp),
                "step_length_proxy_leglen": _window_stat(heel_fwd, a, b + 1, np.max),
                "stride_time_s": (b - a) / ev.fps,
                "swing_fraction": (1.0 - (to - a) / (b - a) if to is not None else float("nan")),
                "plantarflexion_posture_fraction": (
                    float(pf_hs > cfg.plantarflexion_posture_threshold_deg)
                    if np.isfinite(pf_hs)
                    else float("nan")
                ),
                "foot_inversion_deg": _window_stat(inversion, a, to, np.mean),
                "knee_flexion_stance_deg": _window_stat(knee, a, to, np.mean),
                "toe_extension_swing_deg": _window_stat(toe_ext, to, b, np.mean),
                "hip_circumduction_leglen": (
                    _window_stat(lateral, to, b, np.max) - _window_stat(lateral, a, to, np.median)
                ),
                "foot_floor_angle_median_deg": _window_stat(ffa, a, b + 1, np.median),
                "ankle_plantarflexion_median_deg": _window_stat(pf, a, b + 1, np.median),
                "foot_inversion_p90_deg": _window_stat(inversion, a, b + 1, _p90),
                "knee_flexion_median_deg": _window_stat(knee, a, b + 1, np.median),
                "toe_height_median_leglen": _window_stat(toe_h, a, b + 1, np.median),
                "sole_medial_offset_stance_leglen": _window_stat(sole_medial, a, to, np.median),
                "sole_medial_offset_p90_leglen": _window_stat(sole_medial, a, b + 1, _p90),
            }
        )
    out: dict[str, np.ndarray] = {}
    for name in leg_measure_names():
        values = np.array([r.get(name, np.nan) for r in rows], dtype=float)
        if traj.view not in FEATURES[f"{side}_{name}"].views:
            values = np.full(n, np.nan)
        out[name] = values
    ts = np.asarray(traj.timestamps_s, dtype=float)
    out["stride_start_s"] = ts[strides[:, 0]]
    out["stride_end_s"] = ts[strides[:, 1]]
    return out


def stride_measures(
    traj: Trajectories,
    events: Mapping[str, GaitEvents],
    cfg: FeatureConfig | None = None,
) -> dict[Side, dict[str, np.ndarray]]:
    """Per-stride table of every per-leg measure, for both legs.

    A stride runs from one heel strike to the next of the same foot (``GaitEvents.strides``).
    Swing is toe off -> closing heel strike, stance heel strike -> toe off; a stride without a
    toe off has NaN swing/stance measures.

    Parameters
    ----------
    traj : Trajectories
        Cleaned trajectories (its ``view`` decides which measures are measurable).
    events : mapping
        ``{"left": GaitEvents, "right": GaitEvents}``; a missing side gives empty arrays.
    cfg : FeatureConfig, optional
        Posture threshold; defaults when omitted.

    Returns
    -------
    dict
        ``{side: {name: ndarray (n_strides,)}}`` where ``name`` is each of
        :func:`leg_measure_names` (e.g. ``ankle_plantarflexion_hs_deg``; NaN where not
        measurable in this stride or this view) plus ``stride_start_s`` and ``stride_end_s``
        (time of the stride's heel strikes, s). ``plantarflexion_posture_fraction`` is 1.0 or
        0.0 per stride (posture present or absent). All arrays of a side have the same length.
    """
    cfg = cfg if cfg is not None else FeatureConfig()
    return {side: _side_stride_measures(traj, side, events.get(side), cfg) for side in SIDES}


# --------------------------------------------------------------------------- aggregation


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
