"""Signal stage as a package: pose landmarks in, cleaned trajectories of one person out.

``clean`` (the entry point, ``clean_pose``) runs, in order, ``view`` (camera view, facing,
walking direction), ``labels`` (left/right label exchanges), ``filtering`` (visibility mask,
gap filling, low-pass), ``despike`` (Hampel filter) and returns a ``trajectories.Trajectories``.
``timing`` re-times uneven frames, ``tilt`` levels a tilted camera and ``turns`` finds the
longest walk in one direction. The names below are the ones the rest of posescore uses;
modules inside the package import each other directly, never through this file.
"""

from posescore.signals.clean import clean_pose
from posescore.signals.despike import despike_runs
from posescore.signals.filtering import fill_gaps, lowpass_runs, seen_xy
from posescore.signals.labels import (
    exchange_sides,
    leg_swap_frames,
    near_leg_excess,
    swap_legs,
)
from posescore.signals.tilt import camera_roll_deg, level_landmarks
from posescore.signals.timing import even_frame_times, evenly_timed, resample_frames
from posescore.signals.trajectories import Trajectories
from posescore.signals.turns import FACING_AWAY, FACING_CAMERA, facing_per_frame, straight_walk_span
from posescore.signals.view import detect_view, named_facing_camera, walking_direction

__all__ = [
    "FACING_AWAY",
    "FACING_CAMERA",
    "Trajectories",
    "camera_roll_deg",
    "clean_pose",
    "despike_runs",
    "detect_view",
    "even_frame_times",
    "evenly_timed",
    "exchange_sides",
    "facing_per_frame",
    "fill_gaps",
    "leg_swap_frames",
    "level_landmarks",
    "lowpass_runs",
    "named_facing_camera",
    "near_leg_excess",
    "resample_frames",
    "seen_xy",
    "straight_walk_span",
    "swap_legs",
    "walking_direction",
]
