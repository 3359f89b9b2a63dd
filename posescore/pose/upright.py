"""Upright turns: a person lying sideways or upside down means wrong rotation metadata.

``upright_turn_deg`` reads the turn from the tracked trunk; ``turned_meta`` describes the
video with its frames turned, so that the pose is tracked again upright.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from posescore.constants import N_LANDMARKS
from posescore.contract.notices import Notice, NoticeCode
from posescore.geometry import trunk_angle_deg
from posescore.types import VideoMeta

UPRIGHT_MIN_FRAMES = 10
"""Fewest frames with both shoulders and hips before the picture's orientation is judged."""
UPRIGHT_AGREEMENT = 0.8
"""Share of those frames whose torso must point the same wrong way before the frames turn."""


def upright_turn_deg(landmarks: np.ndarray) -> int:
    """Clockwise turn (0, 90, 180 or 270 deg) that stands the person in the picture upright.

    The torso axis (hip midpoint to shoulder midpoint) of each frame is put in the nearest of
    the four image directions. A turn is returned only when at least ``UPRIGHT_MIN_FRAMES``
    frames have the axis and ``UPRIGHT_AGREEMENT`` of them point the same way other than up:
    a person who walks, runs or stands keeps the trunk within some 20 deg of vertical, so a
    consistently sideways or downward trunk means a picture turned by a phone held sideways
    (or upside down) whose rotation metadata is missing or wrong.

    Parameters
    ----------
    landmarks : ndarray, shape (T, 33, >=2)
        Landmark x, y in image pixels (y down); NaN where not detected.

    Returns
    -------
    int
        0 when upright or undecided.
    """
    lm = np.asarray(landmarks, dtype=float)
    if lm.ndim != 3 or lm.shape[1] < N_LANDMARKS or lm.shape[0] == 0:
        return 0
    angle = trunk_angle_deg(lm)
    ok = np.isfinite(angle)
    if ok.sum() < UPRIGHT_MIN_FRAMES:
        return 0
    # the trunk's direction in quarter turns clockwise from image up: 1 = head to the right
    quarter = np.round(angle[ok] / 90.0).astype(int) % 4
    counts = np.bincount(quarter, minlength=4)
    way = int(np.argmax(counts))
    if way == 0 or counts[way] < UPRIGHT_AGREEMENT * ok.sum():
        return 0
    return (4 - way) % 4 * 90


def turn_warning(turn_deg: int) -> Notice:
    """The video notice for frames turned ``turn_deg`` clockwise (deg) to stand upright."""
    return Notice(
        code=NoticeCode.PICTURE_TURNED,
        stage="video",
        message=f"the person lay {'upside down' if turn_deg == 180 else 'sideways'} in the "
        f"picture (rotation metadata missing or wrong): frames turned {turn_deg} deg clockwise "
        "before pose estimation",
    )


def turned_meta(meta: VideoMeta, turn_deg: int) -> VideoMeta:
    """``meta`` for frames turned ``turn_deg`` clockwise more (size swapped at 90 and 270)."""
    quarter = turn_deg in (90, 270)
    return dataclasses.replace(
        meta,
        turn_deg=turn_deg,
        width=meta.height if quarter else meta.width,
        height=meta.width if quarter else meta.height,
        warnings=(*meta.warnings, turn_warning(turn_deg)),
    )
