"""Geometry on landmark arrays shared by the pose, signal and gait stages (ground floor).

Pure functions of arrays; image coordinates are pixels with y pointing down. Nothing here
imports another posescore stage, so every stage may import it.
"""

from __future__ import annotations

import numpy as np

from posescore.constants import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_SHOULDER,
    LEG_LANDMARKS,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    SIDES,
    Side,
)


def finite_runs(finite: np.ndarray) -> list[tuple[int, int]]:
    """Half-open ``[start, stop)`` index ranges of consecutive True values of a (T,) mask."""
    padded = np.concatenate(([False], finite, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def nanmedian(x: np.ndarray) -> float:
    """Median of the finite values of ``x``; NaN (without a warning) when there are none."""
    finite = x[np.isfinite(x)]
    return float(np.median(finite)) if finite.size else float("nan")


def leg_length_per_frame_px(xy_px: np.ndarray, side: Side) -> np.ndarray:
    """Hip-knee + knee-ankle length of one leg in each frame (T,), px; NaN where unseen."""
    hip, knee, ankle = (xy_px[:, LEG_LANDMARKS[side][j], :] for j in ("hip", "knee", "ankle"))
    return np.linalg.norm(knee - hip, axis=1) + np.linalg.norm(ankle - knee, axis=1)


def estimate_leg_length_px(xy_px: np.ndarray) -> float:
    """Body scale: median over frames of hip-knee + knee-ankle length, averaged over legs.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Image coordinates, px.

    Returns
    -------
    float
        Leg length in pixels; NaN if no frame shows a whole leg.
    """
    both = np.stack([leg_length_per_frame_px(xy_px, side) for side in SIDES], axis=1)
    n = np.isfinite(both).sum(axis=1)
    per_frame = np.where(n > 0, np.nansum(both, axis=1) / np.maximum(n, 1), np.nan)
    return nanmedian(per_frame)


def hip_ankle_length_px(rows: np.ndarray) -> float:
    """Median straight hip-to-ankle distance over rows (K, 33, >=2) and both legs, px.

    A quick body scale for a few raw tracked frames (no knee needed); NaN without one.
    """
    leg_px = np.linalg.norm(
        rows[:, [LEFT_HIP, RIGHT_HIP], :2] - rows[:, [LEFT_ANKLE, RIGHT_ANKLE], :2], axis=-1
    ).ravel()
    leg_px = leg_px[np.isfinite(leg_px)]
    return float(np.median(leg_px)) if leg_px.size else float("nan")


def hip_centre_px(row: np.ndarray) -> np.ndarray:
    """Mid-hip (x, y) of one frame's landmarks (33, >=2), px."""
    return 0.5 * (row[LEFT_HIP, :2] + row[RIGHT_HIP, :2])


def trunk_angle_deg(xy_px: np.ndarray) -> np.ndarray:
    """Clockwise angle (T,) of the trunk axis from image up, deg in (-180, 180].

    The axis runs from the hip midpoint to the shoulder midpoint; NaN where a shoulder or hip
    is missing or the axis has no length.
    """
    up = 0.5 * (xy_px[:, LEFT_SHOULDER, :2] + xy_px[:, RIGHT_SHOULDER, :2])
    up -= 0.5 * (xy_px[:, LEFT_HIP, :2] + xy_px[:, RIGHT_HIP, :2])
    angle = np.degrees(np.arctan2(up[:, 0], -up[:, 1]))
    return np.where(np.hypot(up[:, 0], up[:, 1]) > 0, angle, np.nan)
