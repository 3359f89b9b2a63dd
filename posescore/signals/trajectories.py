"""The cleaned trajectories of one person: the signal stage's output to gait and features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from posescore.constants import LEFT_HIP, LEG_LANDMARKS, RIGHT_HIP, Side
from posescore.signals.view import walking_direction


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Cleaned landmark trajectories of one person.

    Attributes
    ----------
    xy_px : ndarray, shape (T, 33, 2)
        Gap-filled, low-pass filtered x, y in image pixels (y down); NaN where unknown.
    valid : ndarray of bool, shape (T, 33)
        True where ``xy_px`` is finite (observed or filled by interpolation).
    fps : float
        Frames per second.
    timestamps_s : ndarray, shape (T,)
        Time of each frame, s.
    leg_length_px : float
        Median hip-knee + knee-ankle length over frames and legs, px; NaN if unmeasurable.
    view : str
        Camera view, one of :data:`posescore.constants.VIEWS`.
    legs_relabelled : bool
        True when the leg labels of a side view were exchanged for the whole walk because
        the leg labelled near looked smaller than the far one (``near_leg_excess``).
    legs_exchanged : ndarray of bool, shape (T,), optional
        Frames whose knee and foot landmarks were given the other leg's name before
        measuring (``leg_swap_frames`` and the whole-walk renaming); None = none.
    """

    xy_px: np.ndarray
    valid: np.ndarray
    fps: float
    timestamps_s: np.ndarray
    leg_length_px: float
    view: str
    legs_relabelled: bool = False
    legs_exchanged: Optional[np.ndarray] = None

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.xy_px.shape[0])

    def point(self, side: Side, joint: str) -> np.ndarray:
        """Pixel trajectory, shape (T, 2), of ``joint`` (a key of ``LEG_LANDMARKS[side]``)."""
        return self.xy_px[:, LEG_LANDMARKS[side][joint], :]

    @property
    def pelvis_px(self) -> np.ndarray:
        """Hip midpoint, shape (T, 2), px; NaN where either hip is unknown."""
        return 0.5 * (self.xy_px[:, LEFT_HIP, :] + self.xy_px[:, RIGHT_HIP, :])

    @property
    def xy_leglen(self) -> np.ndarray:
        """Landmarks relative to the pelvis in leg lengths, shape (T, 33, 2), y down."""
        return (self.xy_px - self.pelvis_px[:, None, :]) / self.leg_length_px

    @property
    def direction(self) -> int:
        """Facing direction in the image: +1 toes towards +x, -1 towards -x, 0 unknown."""
        return walking_direction(self.xy_px)
