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

from posescore.config import FeatureConfig
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
    """

    name: str
    unit: str
    definition: str
    views: tuple[str, ...]


_PER_SIDE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "ankle_plantarflexion_hs_deg",
        "deg",
        "Ankle plantarflexion at heel strike, mean over strides (0 = foot perpendicular to "
        "shank, + = plantarflexion).",
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
)

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


def _build_registry() -> dict[str, FeatureSpec]:
    specs: dict[str, FeatureSpec] = {}
    for side in SIDES:
        for measure, unit, definition, views in _PER_SIDE:
            name = f"{side}_{measure}"
            specs[name] = FeatureSpec(name, unit, f"{side.capitalize()} leg. {definition}", views)
    per_side = {m: (u, d, v) for m, u, d, v in _PER_SIDE}
    for measure in _ASYMMETRY:
        unit, definition, views = per_side[measure]
        name = f"asym_{measure}"
        specs[name] = FeatureSpec(name, unit, f"Left minus right. {definition}", views)
    return specs


FEATURES: dict[str, FeatureSpec] = _build_registry()
"""Every feature posescore computes, in the fixed order of :func:`feature_names`."""


def feature_names() -> list[str]:
    """Feature names in the fixed order the severity model expects."""
    return list(FEATURES)


def leg_measure_names() -> list[str]:
    """Per-leg measure names without the side prefix, in registry order."""
    return [name[len("left_"):] for name in FEATURES if name.startswith("left_")]


# --------------------------------------------------------------------------- aggregation


def _mean_or_nan(values: list[float], min_n: int) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if len(finite) >= min_n else float("nan")


def _per_window(
    series: np.ndarray,
    windows: list[tuple[int, int]],
    stat: Callable[[np.ndarray], float],
    min_n: int,
) -> float:
    """Mean over windows ``[a, b)`` of ``stat(series[a:b])``; windows with NaN are skipped."""
    vals = [
        float(stat(series[a:b])) for a, b in windows if b > a and np.isfinite(series[a:b]).all()
    ]
    return _mean_or_nan(vals, min_n)


def _medial_sign(traj: Trajectories, side: Side) -> float:
    """+1 if the other hip lies at larger image x than this side's hip (median), else -1."""
    other: Side = "right" if side == "left" else "left"
    dx = traj.point(other, "hip")[:, 0] - traj.point(side, "hip")[:, 0]
    dx = dx[np.isfinite(dx)]
    return float(np.sign(np.median(dx))) if dx.size else float("nan")


def _side_features(
    traj: Trajectories, side: Side, ev: GaitEvents | None, cfg: FeatureConfig
) -> dict[str, float]:
    """Per-leg measures keyed by ``{measure}_{unit}``; NaN where not measurable."""
    out = {measure: float("nan") for measure, _, _, _ in _PER_SIDE}
    leg = traj.leg_length_px
    if ev is None or not (np.isfinite(leg) and leg > 0):
        return out
    strides = ev.strides
    n_min = cfg.min_strides
    if len(strides) < n_min:
        logger.debug("%s leg: %d strides, fewer than %d", side, len(strides), n_min)
        return out

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
    inversion = (
        foot_inversion_deg(p["knee"], p["ankle"], p["heel"], p["toe"], medial)
        if np.isfinite(medial) and medial != 0
        else nan_t
    )

    hs = strides[:, 0]
    whole = [(int(a), int(b) + 1) for a, b in strides]
    swing, stance = [], []
    for a, b in strides:
        to = ev.toe_off_in(int(a), int(b))
        if to is not None:
            stance.append((int(a), to))
            swing.append((to, int(b)))

    pf_hs = pf[hs]
    pf_hs = pf_hs[np.isfinite(pf_hs)]
    stance_fr = ev.stance_fractions
    stride_s = ev.stride_times_s
    out.update(
        ankle_plantarflexion_hs_deg=_mean_or_nan(list(pf_hs), n_min),
        ankle_plantarflexion_swing_deg=_per_window(pf, swing, np.mean, n_min),
        ankle_plantarflexion_swing_max_deg=_per_window(pf, swing, np.max, n_min),
        foot_floor_angle_hs_deg=_mean_or_nan(list(ffa[hs]), n_min),
        toe_height_swing_leglen=_per_window(toe_h, swing, np.mean, n_min),
        knee_flexion_range_deg=_per_window(knee, whole, np.ptp, n_min),
        knee_flexion_hs_deg=_mean_or_nan(list(knee[hs]), n_min),
        hip_flexion_range_deg=_per_window(hip, whole, np.ptp, n_min),
        step_length_proxy_leglen=_per_window(heel_fwd, whole, np.max, n_min),
        stride_time_s=float(np.median(stride_s)) if len(stride_s) >= n_min else float("nan"),
        swing_fraction=(
            float(1.0 - np.mean(stance_fr)) if len(stance_fr) >= n_min else float("nan")
        ),
        plantarflexion_posture_fraction=(
            float(np.mean(pf_hs > cfg.plantarflexion_posture_threshold_deg))
            if len(pf_hs) >= n_min
            else float("nan")
        ),
        foot_inversion_deg=_per_window(inversion, stance, np.mean, n_min),
    )
    return out


def compute_features(
    traj: Trajectories,
    events: Mapping[str, GaitEvents],
    cfg: FeatureConfig | None = None,
) -> dict[str, float | None]:
    """Compute every feature of :data:`FEATURES` for both legs.

    Parameters
    ----------
    traj : Trajectories
        Cleaned trajectories (its ``view`` decides which features are measurable).
    events : mapping
        ``{"left": GaitEvents, "right": GaitEvents}``; a missing side gives None features.
    cfg : FeatureConfig, optional
        Posture threshold and minimum stride count; defaults when omitted.

    Returns
    -------
    dict
        ``feature_names()`` -> float, or None when not measurable (view, too few strides,
        missing data). Never NaN.
    """
    cfg = cfg if cfg is not None else FeatureConfig()
    per_side = {side: _side_features(traj, side, events.get(side), cfg) for side in SIDES}
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
