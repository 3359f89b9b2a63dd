"""Gait stage as a package: cleaned trajectories in, gait events and temporal parameters out.

``events`` (the ``GaitEvents`` container and its strides), ``detect`` (heel strikes and toe
offs: Zeni's method in side views, the feet's vertical motion in frontal ones) and ``summary``
(cadence, stride time, stance and swing). The names below are the ones the rest of posescore
uses; modules inside the package import each other directly, never through this file.
"""

from posescore.gait.detect import (
    detect_gait_events,
    dominant_period_frames,
    snap_to_landings,
    walks_backward,
)
from posescore.gait.events import GaitEvents
from posescore.gait.summary import gait_summary, step_rhythm_cadence

__all__ = [
    "GaitEvents",
    "detect_gait_events",
    "dominant_period_frames",
    "gait_summary",
    "snap_to_landings",
    "step_rhythm_cadence",
    "walks_backward",
]
