"""Everything measured from a pose sequence before the model: ``measure_pose``.

Evens out frame times, levels a tilted camera, keeps the longest straight walk, cleans the
landmarks, detects gait events and computes per-stride and per-video features
(``signals``, ``gait``, ``features``). Used by ``score.score_pose`` and by training.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from posescore.config import Settings
from posescore.constants import SIDES
from posescore.features import compute_features, stride_measures
from posescore.gait import detect_gait_events, gait_summary
from posescore.geometry import estimate_leg_length_px
from posescore.phenomenology import foot_tremor_rms_leglen
from posescore.signals import (
    Trajectories,
    camera_roll_deg,
    clean_pose,
    evenly_timed,
    facing_per_frame,
    level_landmarks,
    seen_xy,
    straight_walk_span,
)
from posescore.types import PoseSequence


@contextmanager
def timed_stage(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds the ``with`` block takes to ``timings[stage]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


@dataclass
class Measurements:
    """Everything measured from a pose sequence, before the model."""

    traj: Trajectories
    events: dict[str, Any]
    gait: dict[str, Any]
    per_stride: dict[str, dict[str, np.ndarray]]
    features: dict[str, Optional[float]]
    walk_span: Optional[tuple[int, int]] = None
    """Frames [start, stop) measured when the subject turned (``straight_walk``), else None."""
    camera_roll_deg: float = 0.0
    """Camera tilt undone before measuring (``camera_tilt_deg``), deg clockwise; 0 = none."""
    timed_pose: Optional[PoseSequence] = None
    """The pose re-timed to even frames when its frame times were uneven
    (``signals.evenly_timed``; event frames index it), else None."""
    timing_warning: Optional[str] = None


def measure_pose(
    pose: PoseSequence, settings: Settings, timings: Optional[dict[str, float]] = None
) -> Measurements:
    """Clean, detect gait events and compute per-stride and per-video features.

    Uneven frame times (a variable frame rate, a pause) are first evened out
    (``signals.evenly_timed``): then frame indices refer to ``Measurements.timed_pose``, not
    to the video. When the subject turned, only the longest walk in one direction is
    measured (the other frames are blanked, so frame indices stay those of the pose).
    """
    timings = {} if timings is None else timings
    with timed_stage(timings, "clean"):
        pose, timing_warning = evenly_timed(pose, settings.signal)
        timed = pose
        roll_deg = camera_tilt_deg(pose, settings)
        if roll_deg:
            pose = dataclasses.replace(pose, landmarks=level_landmarks(
                pose.landmarks, roll_deg, pose.width, pose.height
            ))
        span = straight_walk(pose, settings)
        if span is not None:
            pose = pose.blanked_outside(*span)
        traj = clean_pose(pose, settings.signal)
    with timed_stage(timings, "gait"):
        events = {side: detect_gait_events(traj, side, settings.gait) for side in SIDES}
        gait = gait_summary(events, traj.fps, traj, settings.gait)
    with timed_stage(timings, "features"):
        per_stride = stride_measures(traj, events, settings.feature)
        tremor = foot_tremor_rms_leglen(
            pose, traj.legs_exchanged, traj.leg_length_px,
            settings.phenomenology.tremor_band_hz, settings.signal.visibility_threshold)
        per_walk = {side: {"foot_tremor_rms_leglen": tremor[side]} for side in SIDES}
        features = compute_features(traj, events, settings.feature, strides=per_stride,
                                    min_strides=settings.quality.min_strides_per_measure,
                                    per_walk=per_walk)
    return Measurements(
        traj, events, gait, per_stride, features, span, roll_deg,
        timed if timing_warning else None, timing_warning,
    )


def camera_tilt_deg(pose: PoseSequence, settings: Settings) -> float:
    """Clockwise camera tilt to undo, deg (0 within the walking lean ``level_min_roll_deg``)."""
    if not settings.gait.level_tilted_camera:
        return 0.0
    roll = camera_roll_deg(seen_xy(pose.landmarks, settings.signal))
    return roll if np.isfinite(roll) and abs(roll) > settings.gait.level_min_roll_deg else 0.0


def straight_walk(pose: PoseSequence, settings: Settings) -> Optional[tuple[int, int]]:
    """Frames [start, stop) of the longest walk in one direction if the subject turned.

    None when ``settings.gait.longest_straight_walk`` is off or there was no turn
    (``signals.straight_walk_span`` on ``signals.facing_per_frame``).
    """
    if not settings.gait.longest_straight_walk:
        return None
    xy = seen_xy(pose.landmarks, settings.signal)
    facing = facing_per_frame(xy, estimate_leg_length_px(xy))
    return straight_walk_span(facing, pose.fps, settings.gait.min_walk_bout_s)
