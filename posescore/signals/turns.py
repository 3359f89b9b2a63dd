"""Turns: which way the subject faces in each frame, and the longest walk in one direction."""

from __future__ import annotations

import warnings

import numpy as np

from posescore.signals.view import foot_dx_px, side_order_dx_px

FACING_CAMERA, FACING_AWAY = 2, -2
"""Labels of ``facing_per_frame`` for frontal and posterior frames (side views: +1 / -1)."""


def facing_per_frame(
    xy_px: np.ndarray,
    leg_px: float,
    *,
    frontal_min_ratio: float = 0.6,
    sagittal_max_ratio: float = 0.3,
    min_foot_leglen: float = 0.05,
) -> np.ndarray:
    """Which way the subject faces in each frame (``detect_view`` and ``walking_direction``).

    The rules of those two, applied frame by frame.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Image coordinates, px; NaN where unseen.
    leg_px : float
        Leg length, px.
    frontal_min_ratio, sagittal_max_ratio : float
        Width-ratio thresholds of ``detect_view`` (shoulder plus hip width over leg length).
    min_foot_leglen : float
        Smallest mean |toe x - heel x| of the feet, leg lengths, for a side-view direction.

    Returns
    -------
    ndarray of int, shape (T,)
        ``FACING_CAMERA`` (2) or ``FACING_AWAY`` (-2) in wide (frontal/posterior) frames;
        +1 / -1 when the toes point to image +x / -x in narrow (side) frames; 0 otherwise.
    """
    out = np.zeros(xy_px.shape[0], dtype=int)
    if not (np.isfinite(leg_px) and leg_px > 0):
        return out
    hip_dx, sh_dx = side_order_dx_px(xy_px)
    feet = foot_dx_px(xy_px)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with neither foot: NaN
        ratio = (np.abs(hip_dx) + np.abs(sh_dx)) / leg_px
        foot = np.nanmean(feet, axis=0) / leg_px
        wide = ratio >= frontal_min_ratio
        order = np.sign(hip_dx + sh_dx)
        out[wide & (order > 0)] = FACING_CAMERA
        out[wide & (order < 0)] = FACING_AWAY
        side = (ratio <= sagittal_max_ratio) & (np.abs(foot) >= min_foot_leglen)
        out[side] = np.sign(foot[side]).astype(int)
    return out


def straight_walk_span(
    facing: np.ndarray, fps: float, min_bout_s: float = 1.5, smooth_s: float = 1.0
) -> tuple[int, int] | None:
    """Frames [start, stop) of the longest walk in one direction, when the subject turned.

    The labels of ``facing_per_frame`` are smoothed by a running majority over ``smooth_s``
    (unknown frames abstain); runs of one label at least ``min_bout_s`` long are walks.

    Returns
    -------
    (start, stop) or None
        The longest walk when walks in at least two directions were found; None when the
        subject kept one direction (or turned only briefly), so the whole clip is scored.
    """
    facing = np.asarray(facing, dtype=int)
    n = facing.size
    if n == 0 or not fps > 0:
        return None
    width = max(1, int(round(smooth_s * fps)))
    kernel = np.ones(width)
    labels = np.array([-2, -1, 1, 2])
    votes = np.stack([np.convolve(facing == v, kernel, mode="same") for v in labels])
    smooth = np.where(votes.max(axis=0) > 0, labels[np.argmax(votes, axis=0)], 0)
    edges = np.flatnonzero(np.diff(smooth)) + 1
    starts, stops = np.r_[0, edges], np.r_[edges, n]
    walks = [
        (int(a), int(b), int(smooth[a]))
        for a, b in zip(starts, stops)
        if smooth[a] != 0 and b - a >= min_bout_s * fps
    ]
    if len({label for _, _, label in walks}) < 2:
        return None
    start, stop, _ = max(walks, key=lambda w: w[1] - w[0])
    return start, stop
