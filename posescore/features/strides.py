"""Per-stride measures of each leg: joint angles and distances read within each stride.

A stride runs from one heel strike to the next of the same foot; swing is toe off -> closing
heel strike, stance heel strike -> toe off. Angles come from :mod:`posescore.features.angles`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

import numpy as np

from posescore.config import FeatureConfig
from posescore.constants import LEG_LANDMARKS, SIDES, Side, other_side
from posescore.features.angles import (
    ankle_plantarflexion_deg,
    foot_floor_angle_deg,
    foot_inversion_deg,
    hip_flexion_deg,
    knee_flexion_deg,
    lateral_offset_leglen,
    toe_extension_proxy_deg,
    toe_height_leglen,
)
from posescore.features.registry import FEATURES, leg_measure_names
from posescore.gait.events import GaitEvents
from posescore.signals.trajectories import Trajectories

STRIDE_TIME_KEYS: tuple[str, str] = ("stride_start_s", "stride_end_s")
"""Extra keys of :func:`stride_measures`: time of each stride's first and closing heel strike."""


def _medial_sign(traj: Trajectories, side: Side) -> float:
    """+1 if the other hip lies at larger image x than this side's hip (median), else -1."""
    dx = traj.point(other_side(side), "hip")[:, 0] - traj.point(side, "hip")[:, 0]
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
