"""MediaPipe landmark indices and other fixed names used across the pipeline."""

from __future__ import annotations

from typing import Literal, Optional

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")

N_LANDMARKS = 33
"""MediaPipe Pose (BlazePose) landmark count."""

NOSE = 0
LEFT_EYE = 2
RIGHT_EYE = 5
LEFT_EAR = 7
RIGHT_EAR = 8
LEFT_SHOULDER = 11
RIGHT_SHOULDER = 12
LEFT_HIP = 23
RIGHT_HIP = 24
LEFT_KNEE = 25
RIGHT_KNEE = 26
LEFT_ANKLE = 27
RIGHT_ANKLE = 28
LEFT_HEEL = 29
RIGHT_HEEL = 30
LEFT_FOOT_INDEX = 31
RIGHT_FOOT_INDEX = 32

LEG_LANDMARKS: dict[Side, dict[str, int]] = {
    "left": {
        "shoulder": LEFT_SHOULDER,
        "hip": LEFT_HIP,
        "knee": LEFT_KNEE,
        "ankle": LEFT_ANKLE,
        "heel": LEFT_HEEL,
        "toe": LEFT_FOOT_INDEX,
    },
    "right": {
        "shoulder": RIGHT_SHOULDER,
        "hip": RIGHT_HIP,
        "knee": RIGHT_KNEE,
        "ankle": RIGHT_ANKLE,
        "heel": RIGHT_HEEL,
        "toe": RIGHT_FOOT_INDEX,
    },
}
"""Landmark index per joint name and the subject's own side."""

FACE_LANDMARKS = tuple(range(0, 11))
"""Nose, eyes, ears and mouth: used to place the face blur."""

VIEWS = ("sagittal_left", "sagittal_right", "frontal", "posterior", "oblique")
"""Camera views of the JSON contract. sagittal_left: the subject's left side faces the camera."""

SAGITTAL_PLANE_VIEWS: tuple[str, ...] = ("sagittal_left", "sagittal_right")
"""Views in which sagittal-plane angles and fore-aft distances are measurable."""

FRONTAL_PLANE_VIEWS: tuple[str, ...] = ("frontal", "posterior")
"""Views in which frontal-plane angles (foot inversion) and vertical foot motion are seen."""

TASKS = ("walk_forward", "walk_backward", "run", "heel_toe_tap", "stand")

SCHEMA_VERSION = "2"


def is_far_leg(view: Optional[str], side: str) -> bool:
    """Whether ``side`` is the far leg of a side view (``sagittal_<near side>``)."""
    return bool(view) and view.startswith("sagittal_") and view != f"sagittal_{side}"


def other_side(side: Side) -> Side:
    """The subject's other leg: ``"right"`` for ``"left"`` and ``"left"`` for ``"right"``."""
    return "right" if side == "left" else "left"
