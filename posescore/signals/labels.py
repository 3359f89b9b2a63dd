"""Which leg is which: undo the pose estimator's exchanges of left and right labels.

Pure functions of landmark arrays (T, 33, C), image pixels with y down.
"""

from __future__ import annotations

import numpy as np

from posescore.constants import LEG_LANDMARKS, SIDES, Side, other_side
from posescore.geometry import estimate_leg_length_px, leg_length_per_frame_px, nanmedian

SWAPPABLE_LEG_JOINTS = ("knee", "ankle", "heel", "toe")
"""Leg landmarks that a pose estimator hands to the other leg together (not the hips)."""

LEG_SWAP_SWITCH_COST_LEGLEN = 0.2
"""``leg_swap_frames``: cost of one change of labelling, leg lengths of summed displacement."""

LEG_SWAP_PRIOR_LEGLEN_PER_S = 1.5
"""``leg_swap_frames``: cost of keeping the legs relabelled, leg lengths per second (0.05 per
frame at 30 frames/s): a stretch with the labels exchanged must buy its length with a jump."""

NEAR_LEG_MIN_EXCESS_LEGLEN = -0.015
"""``near_leg_excess``: below this (the leg labelled near looks at least 1.5 % of a leg length
shorter than the far one), the labels of a side view are exchanged for the whole walk."""

SIDE_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), *((i, i + 1) for i in range(11, 33, 2)))
"""MediaPipe landmark indices of the subject's left and right (eyes, ears, mouth, arms, legs)."""


def exchange_sides(landmarks: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Exchange every left and right landmark (``SIDE_PAIRS``) where ``frames`` (T,) is True.

    Returns a copy of ``landmarks`` (T, 33, C); all channels move.
    """
    left, right = (list(side) for side in zip(*SIDE_PAIRS))
    return _exchange(landmarks, frames, left, right)


def _exchange(
    landmarks: np.ndarray, frames: np.ndarray, left: list[int], right: list[int]
) -> np.ndarray:
    """A copy of ``landmarks`` (T, 33, C), landmarks ``left`` and ``right`` exchanged in frames."""
    out = landmarks.copy()
    if frames.any():
        out[np.ix_(frames, left)] = landmarks[np.ix_(frames, right)]
        out[np.ix_(frames, right)] = landmarks[np.ix_(frames, left)]
    return out


def leg_swap_frames(
    xy_px: np.ndarray,
    fps: float,
    switch_cost_leglen: float = LEG_SWAP_SWITCH_COST_LEGLEN,
    prior_leglen_per_s: float = LEG_SWAP_PRIOR_LEGLEN_PER_S,
) -> np.ndarray:
    """Frames in which the pose estimator has exchanged the left and right leg labels.

    Seen from the side, a pose estimator often hands the knee, ankle and foot landmarks of
    one leg to the other for a few frames around mid-swing (Stenum J, Rossi C, Roemmich RT.
    Two-dimensional video-based analysis of human gait using pose estimation. PLoS Comput
    Biol 2021;17:e1008935, who corrected such swaps before analysis). On the phantom,
    MediaPipe did so in runs of 4-11 frames, once per stride, in up to 17 % of the frames
    of a sagittal clip (``bench/events_check.py``). A swap shows as a jump of
    both legs' landmarks onto where the other leg just was. The labelling of each frame
    (as given or exchanged) is chosen by a two-state Viterbi path that minimises the summed
    frame-to-frame displacement of the ``SWAPPABLE_LEG_JOINTS`` of both legs (leg lengths),
    plus ``switch_cost_leglen`` per change of labelling and ``prior_leglen_per_s`` per second
    spent exchanged; so an exchanged stretch is kept only when the jumps at its ends cost more
    than it. Positions alone cannot tell the legs apart where they cross, so an exchange is
    undone from its jump back to the nearest crossing, and a stretch exchanged from the first
    frame on is kept as given when that is cheaper than relabelling it.

    Parameters
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Landmark positions, px; NaN where not seen.
    fps : float
        Frames per second.
    switch_cost_leglen, prior_leglen_per_s : float
        Costs of a change of labelling and of a second spent exchanged, leg lengths.

    Returns
    -------
    ndarray of bool, shape (T,)
        True where the legs should be exchanged; all False when the leg length is unknown or
        there are fewer than two frames.
    """
    n = xy_px.shape[0]
    swapped = np.zeros(n, dtype=bool)
    leg_px = estimate_leg_length_px(xy_px)
    if n < 2 or not (np.isfinite(leg_px) and leg_px > 0 and fps > 0):
        return swapped
    joints = [[LEG_LANDMARKS[side][j] for j in SWAPPABLE_LEG_JOINTS] for side in SIDES]
    left, right = (xy_px[:, idx, :] / leg_px for idx in joints)
    # a joint counts between two frames only when both legs have it in both frames
    both = np.isfinite(left).all(axis=2) & np.isfinite(right).all(axis=2)
    pair = both[1:] & both[:-1]

    def moved(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(pair, np.linalg.norm(a - b, axis=2), 0.0).sum(axis=1)

    kept = moved(left[1:], left[:-1]) + moved(right[1:], right[:-1])
    crossed = moved(left[1:], right[:-1]) + moved(right[1:], left[:-1])
    prior = prior_leglen_per_s / fps
    # Viterbi over the states "as given" (cost c0) and "exchanged" (c1), in plain floats
    c0, c1 = 0.0, prior
    from_other = np.zeros((n, 2), dtype=bool)  # the best way into a state at t is a change
    for t, (k, x) in enumerate(zip(kept.tolist(), (crossed + switch_cost_leglen).tolist()), 1):
        stay0, change0, stay1, change1 = c0 + k, c1 + x, c1 + k, c0 + x
        from_other[t] = (change0 < stay0, change1 < stay1)
        c0, c1 = min(stay0, change0), min(stay1, change1) + prior
    state = int(c1 < c0)
    for t in range(n - 1, -1, -1):
        swapped[t] = bool(state)
        if from_other[t, state]:
            state = 1 - state
    return swapped


def near_leg_excess(xy_px: np.ndarray, near: Side) -> float:
    """How much longer the leg labelled ``near`` looks than the other, leg lengths.

    Median over frames of the difference of the projected hip-knee + knee-ankle lengths,
    divided by the leg length (``estimate_leg_length_px``). Apparent size falls as 1 / depth
    (pinhole camera; Hartley R, Zisserman A. Multiple View Geometry, 2nd ed. 2004, ch. 6):
    seen from the side, with the legs about 0.2 m apart and the camera 3-8 m away, the near
    leg looks 2-7 % longer. A pose estimator's depth and visibility follow its labels, so
    they cannot tell which leg is near; the picture's perspective can. NaN when unmeasurable.
    """
    leg_px = estimate_leg_length_px(xy_px)
    if not (np.isfinite(leg_px) and leg_px > 0):
        return float("nan")
    far = other_side(near)
    excess_px = leg_length_per_frame_px(xy_px, near) - leg_length_per_frame_px(xy_px, far)
    return nanmedian(excess_px / leg_px)


def swap_legs(landmarks: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Exchange the left and right ``SWAPPABLE_LEG_JOINTS`` where ``frames`` (T,) is True.

    Returns a copy of ``landmarks`` (T, 33, C); all channels move (x, y, z, visibility).
    """
    left = [LEG_LANDMARKS["left"][j] for j in SWAPPABLE_LEG_JOINTS]
    right = [LEG_LANDMARKS["right"][j] for j in SWAPPABLE_LEG_JOINTS]
    return _exchange(landmarks, frames, left, right)
