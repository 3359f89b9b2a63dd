"""Temporal gait parameters (cadence, stride time, stance and swing) from both legs' events.

The cadence is checked against the step rhythm of the two ankles' separation, which a
pose estimator's left/right label exchanges do not disturb.
"""

from __future__ import annotations

import logging

import numpy as np

from posescore.config import GaitConfig
from posescore.constants import FRONTAL_PLANE_VIEWS, SIDES, Side
from posescore.gait.detect import dominant_period_frames
from posescore.gait.events import GaitEvents
from posescore.signals.trajectories import Trajectories

logger = logging.getLogger(__name__)

CADENCE_DISAGREEMENT = 0.2
"""Event cadence further than this (relative) from the step-rhythm cadence is replaced by it."""

RHYTHM_MIN_STD_LEGLEN = 0.02
"""Smallest variation of the ankle separation that counts as stepping, leg lengths."""


def _none_if_nan(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def step_rhythm_cadence(traj: Trajectories, cfg: GaitConfig = GaitConfig()) -> float | None:
    """Cadence from the step rhythm of the two ankles' separation, steps/min.

    The distance between the ankles along the image axis that shows the steps (x in side and
    oblique views, y in frontal / posterior views) peaks once per step whichever leg is in
    front, so its period is the step time even when the pose estimator swaps the left and
    right leg labels (common for the far leg in side views), which corrupts per-leg events.

    Returns
    -------
    float or None
        ``60 / step period``; None without a clear rhythm. Integer-frame period: at 30 fps
        and ~17-frame steps the resolution is about 3 %.
    """
    fps = traj.fps
    leg = traj.leg_length_px
    if not (np.isfinite(leg) and leg > 0) or traj.n_frames < 3:
        return None
    axis = 1 if traj.view in FRONTAL_PLANE_VIEWS else 0
    gap = np.abs(traj.point("left", "ankle")[:, axis] - traj.point("right", "ankle")[:, axis])
    gap = gap / leg
    finite = gap[np.isfinite(gap)]
    if finite.size < 3 or np.std(finite) < RHYTHM_MIN_STD_LEGLEN:
        return None  # no stepping
    period = dominant_period_frames(
        gap,
        max(1, int(round(cfg.min_step_time_s * fps))),
        int(round(cfg.max_step_time_s * fps)),
    )
    return 60.0 * fps / period if period else None


def gait_summary(
    events_by_side: dict[Side, GaitEvents],
    fps: float,
    traj: Trajectories | None = None,
    cfg: GaitConfig = GaitConfig(),
) -> dict[str, float | None]:
    """Temporal gait parameters from both legs' events; never raises, None when unmeasurable.

    With ``traj`` the event cadence is checked against :func:`step_rhythm_cadence`: when they
    differ by more than ``CADENCE_DISAGREEMENT`` (left/right label swaps add events to a
    leg), the step-rhythm value is reported and ``cadence_source`` says so; unless the events
    give about twice the rhythm (the rhythm then found the stride, not the step).

    Cadence is robust to a missed heel strike: per leg, the number of strides between its
    first and last valid heel strike is ``round(span / median stride)``, so a missing event
    does not remove a stride; cadence = 2 strides x 60 / mean stride time, averaged over the
    legs that have strides. When frames without the body lie between those heel strikes (a
    pause in the recording), whose time the frames do not count, it is 2 x 60 / the median
    stride time.

    Parameters
    ----------
    events_by_side : dict
        ``{"left": GaitEvents, "right": GaitEvents}``; a side may be missing.
    fps : float
        Frames per second (used when the events do not carry their own).
    traj : Trajectories, optional
        Cleaned trajectories for the step-rhythm cadence check.
    cfg : GaitConfig
        Step-time limits of the step-rhythm search.

    Returns
    -------
    dict
        ``cadence_steps_per_min``, ``cadence_source`` (``events`` or ``step_rhythm``),
        ``stride_time_s`` (median of valid strides of both legs),
        ``stride_time_cv`` (std / mean of the same), ``step_count`` (heel strikes of both
        feet, int), ``{side}_stance_fraction`` and ``{side}_swing_fraction`` (means).
    """
    out: dict[str, float | None] = {}
    cadences = []
    all_strides = []
    step_count = 0
    for side in SIDES:
        ev = events_by_side.get(side)
        stance = ev.stance_fractions if ev is not None else np.empty(0)
        out[f"{side}_stance_fraction"] = _none_if_nan(np.mean(stance)) if stance.size else None
        out[f"{side}_swing_fraction"] = _none_if_nan(1.0 - np.mean(stance)) if stance.size else None
        if ev is None:
            continue
        step_count += int(np.asarray(ev.heel_strike_idx).size)
        strides = ev.strides
        if strides.size == 0:
            continue
        rate = ev.fps if ev.fps > 0 else fps
        times = (strides[:, 1] - strides[:, 0]) / rate
        all_strides.append(times)
        span_s = (strides[-1, 1] - strides[0, 0]) / rate
        unseen = np.asarray(ev.unseen_idx)
        if np.any((unseen > strides[0, 0]) & (unseen < strides[-1, 1])):
            # a pause or loss inside: frames do not count its time, the strides do
            cadences.append(2 * 60.0 / float(np.median(times)))
            continue
        n_strides = max(1, int(round(span_s / np.median(times))))
        cadences.append(2 * 60.0 * n_strides / span_s)
    pooled = np.concatenate(all_strides) if all_strides else np.empty(0)
    out["cadence_steps_per_min"] = float(np.mean(cadences)) if cadences else None
    out["cadence_source"] = "events" if cadences else None  # type: ignore[assignment]
    if traj is not None:
        rhythm = step_rhythm_cadence(traj, cfg)
        event_cadence = out["cadence_steps_per_min"]
        ratio = event_cadence / rhythm if rhythm and event_cadence else None
        # a ratio near 2 means the rhythm locked onto the stride, not the step (asymmetric
        # steps): the events are then more trustworthy
        harmonic = ratio is not None and abs(ratio - 2.0) < 2 * CADENCE_DISAGREEMENT
        if (
            rhythm is not None
            and not harmonic
            and (ratio is None or abs(ratio - 1.0) > CADENCE_DISAGREEMENT)
        ):
            logger.debug("event cadence %s replaced by step rhythm %.1f", event_cadence, rhythm)
            out["cadence_steps_per_min"] = rhythm
            out["cadence_source"] = "step_rhythm"  # type: ignore[assignment]
    out["stride_time_s"] = float(np.median(pooled)) if pooled.size else None
    out["stride_time_cv"] = float(np.std(pooled) / np.mean(pooled)) if pooled.size >= 2 else None
    out["step_count"] = step_count
    return out
