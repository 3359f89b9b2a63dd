"""A tilted camera: its roll read from the trunk, and the landmarks turned level."""

from __future__ import annotations

import numpy as np

from posescore.geometry import nanmedian, trunk_angle_deg


def camera_roll_deg(xy_px: np.ndarray) -> float:
    """Clockwise tilt of the picture, deg, read from the trunk.

    The median over frames of the angle of the trunk axis (hip midpoint to shoulder
    midpoint) from image up. A walking person leans the trunk a few degrees forward (at most
    5 deg in all 548 phantom clips and samples upright), so only a larger angle says the
    camera was tilted. NaN without a trunk in any frame.
    """
    return nanmedian(trunk_angle_deg(xy_px))


def level_landmarks(landmarks: np.ndarray, roll_deg: float, width: int, height: int) -> np.ndarray:
    """Landmarks (T, 33, >=2) turned by ``-roll_deg`` about the picture's centre (x, y only).

    Undoes a clockwise camera tilt of ``roll_deg`` (``camera_roll_deg``); other channels
    (depth, visibility) are kept.
    """
    out = np.array(landmarks, dtype=float, copy=True)
    a = np.radians(roll_deg)
    cx, cy = width / 2.0, height / 2.0
    dx, dy = out[..., 0] - cx, out[..., 1] - cy
    out[..., 0] = cx + dx * np.cos(a) + dy * np.sin(a)
    out[..., 1] = cy - dx * np.sin(a) + dy * np.cos(a)
    return out
