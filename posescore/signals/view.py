"""The camera view and the walking direction, read from the body's widths and the feet.

Pure functions of landmark arrays (T, 33, 2), image pixels with y down.
"""

from __future__ import annotations

import numpy as np

from posescore.constants import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    LEG_LANDMARKS,
    NOSE,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    SIDES,
    Side,
)
from posescore.geometry import estimate_leg_length_px, nanmedian


def side_order_dx_px(xy_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left minus right image x of the hips and of the shoulders, shapes (T,) and (T,), px.

    Positive where the subject's left lies on the image right (a body facing the camera);
    NaN where a landmark is unseen.
    """
    hip_dx = xy_px[:, LEFT_HIP, 0] - xy_px[:, RIGHT_HIP, 0]
    sh_dx = xy_px[:, LEFT_SHOULDER, 0] - xy_px[:, RIGHT_SHOULDER, 0]
    return hip_dx, sh_dx


def foot_dx_px(xy_px: np.ndarray) -> np.ndarray:
    """Toe x minus heel x of each foot, shape (2, T) in ``SIDES`` order, px; NaN where unseen."""
    return np.stack([
        xy_px[:, LEG_LANDMARKS[s]["toe"], 0] - xy_px[:, LEG_LANDMARKS[s]["heel"], 0] for s in SIDES
    ])


def named_facing_camera(xy_px: np.ndarray) -> np.ndarray:
    """Frames (T,) whose landmarks put the subject's left hip and shoulder on the image right.

    That is how a body facing the camera lies; filmed from behind, the subject's left lies on
    the image left. Pose estimators trained mostly on people facing the camera often name a
    back view as if it faced the camera; ``clean_pose`` exchanges the names of such frames in
    posterior views.
    """
    hip_dx, sh_dx = side_order_dx_px(xy_px)
    return np.nan_to_num(hip_dx) + np.nan_to_num(sh_dx) > 0


def walking_direction(xy_px: np.ndarray) -> int:
    """Which way the feet point in the image, from the median sign of toe x - heel x.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Image coordinates, px.

    Returns
    -------
    int
        +1 if the toes point towards image +x, -1 towards -x, 0 if unknown or undecided.
    """
    med = nanmedian(np.sign(foot_dx_px(xy_px).ravel()))
    if not np.isfinite(med) or med == 0:
        return 0
    return 1 if med > 0 else -1


def detect_view(
    xy_px: np.ndarray,
    z: np.ndarray | None = None,
    visibility: np.ndarray | None = None,
    *,
    frontal_min_ratio: float = 0.6,
    sagittal_max_ratio: float = 0.3,
) -> str:
    """Classify the camera view from body widths, side order, depth and visibility.

    1. Width ratio: median over frames of (|hip_L.x - hip_R.x| + |shoulder_L.x -
       shoulder_R.x|) / leg length. At least ``frontal_min_ratio`` -> frontal or posterior;
       at most ``sagittal_max_ratio`` -> sagittal; in between (or unknown) -> oblique.
    2. Frontal vs posterior: the subject's left hip and shoulder on the image right
       (x_left > x_right) means the subject faces the camera (frontal). If the side order is
       undecided, a visible nose (median visibility >= 0.5) means frontal.
    3. Sagittal left vs right: the leg nearer the camera (smaller MediaPipe z, median over
       hip, knee and ankle and frames) names the view (``sagittal_left``: left leg near);
       without usable z, the leg with the higher median visibility is taken as near.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Image coordinates, px.
    z : ndarray, shape (T, 33), optional
        MediaPipe relative depth (smaller = nearer the camera); NaN where unknown.
    visibility : ndarray, shape (T, 33), optional
        MediaPipe visibility in [0, 1].
    frontal_min_ratio, sagittal_max_ratio : float
        Width-ratio thresholds (dimensionless).

    Returns
    -------
    str
        One of :data:`posescore.constants.VIEWS`; ``"oblique"`` when undeterminable.
    """
    leg_px = estimate_leg_length_px(xy_px)
    if not (np.isfinite(leg_px) and leg_px > 0):  # no body, or every joint at one point
        return "oblique"
    hip_dx, sh_dx = side_order_dx_px(xy_px)
    ratio = nanmedian((np.abs(hip_dx) + np.abs(sh_dx)) / leg_px)
    if not np.isfinite(ratio):
        return "oblique"
    if ratio >= frontal_min_ratio:
        order = nanmedian(np.concatenate([np.sign(hip_dx), np.sign(sh_dx)]))
        if np.isfinite(order) and order != 0:
            return "frontal" if order > 0 else "posterior"
        nose_vis = nanmedian(visibility[:, NOSE]) if visibility is not None else float("nan")
        return "frontal" if np.isfinite(nose_vis) and nose_vis >= 0.5 else "posterior"
    if ratio > sagittal_max_ratio:
        return "oblique"
    near = _near_side(z, visibility)
    return "oblique" if near is None else f"sagittal_{near}"


def _near_side(z: np.ndarray | None, visibility: np.ndarray | None) -> Side | None:
    """Side whose leg is nearer the camera, from depth, else from visibility; None if unknown."""
    left = [LEFT_HIP, LEFT_KNEE, LEFT_ANKLE]
    right = [RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE]
    if z is not None:
        dz = nanmedian((z[:, left] - z[:, right]).ravel())
        if np.isfinite(dz) and dz != 0:
            return "left" if dz < 0 else "right"
    if visibility is not None:
        dv = nanmedian((visibility[:, left] - visibility[:, right]).ravel())
        if np.isfinite(dv) and dv != 0:
            return "left" if dv > 0 else "right"
    return None
