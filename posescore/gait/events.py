"""Gait events of one leg (heel strikes, toe offs) and the strides they make."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posescore.constants import Side

MISSED_EVENT_RATIO = 1.6
"""A stride longer than this multiple of the side's median stride spans a missed heel strike."""


@dataclass(frozen=True, eq=False)
class GaitEvents:
    """Gait events of one leg.

    Attributes
    ----------
    side : {"left", "right"}
    heel_strike_idx : ndarray of int, shape (n_hs,)
        Frame indices of heel strikes, increasing.
    toe_off_idx : ndarray of int, shape (n_to,)
        Frame indices of toe offs, increasing.
    fps : float
        Frames per second, to convert frames to seconds.
    method : str
        ``"zeni"``, ``"zeni_backward"`` (walking backward), ``"vertical_heel"`` or
        ``"none"`` (no usable signal).
    min_stride_s, max_stride_s : float
        Plausible stride duration range, s; strides outside it are not used.
    unseen_idx : ndarray of int
        Frames without the body (the pelvis lost for longer than gap filling bridges, or a
        pause in the recording): no stride is measured across them.
    """

    side: Side
    heel_strike_idx: np.ndarray
    toe_off_idx: np.ndarray
    fps: float
    method: str = "none"
    min_stride_s: float = 0.0
    max_stride_s: float = float("inf")
    unseen_idx: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))

    @property
    def strides(self) -> np.ndarray:
        """Valid strides as ``[hs_start, hs_end]`` frame pairs, shape (n, 2).

        A stride joins consecutive heel strikes; it is dropped if it spans unseen frames
        (``unseen_idx``), if its duration is outside ``[min_stride_s, max_stride_s]``, or if
        it is longer than ``MISSED_EVENT_RATIO`` times the median of the remaining strides (a
        heel strike was missed inside it).
        """
        hs = np.asarray(self.heel_strike_idx, dtype=int)
        if hs.size < 2:
            return np.empty((0, 2), dtype=int)
        pairs = np.stack([hs[:-1], hs[1:]], axis=1)
        dur_s = (pairs[:, 1] - pairs[:, 0]) / self.fps
        unseen = np.asarray(self.unseen_idx, dtype=int)
        spans_unseen = (
            np.searchsorted(unseen, pairs[:, 0], side="right")
            < np.searchsorted(unseen, pairs[:, 1], side="left")
        )
        keep = (dur_s >= self.min_stride_s) & (dur_s <= self.max_stride_s) & ~spans_unseen
        if keep.any():
            keep &= dur_s <= MISSED_EVENT_RATIO * np.median(dur_s[keep])
        return pairs[keep]

    @property
    def stride_times_s(self) -> np.ndarray:
        """Duration of each valid stride, shape (n,), s."""
        s = self.strides
        return (s[:, 1] - s[:, 0]) / self.fps

    def toe_off_in(self, start: int, stop: int) -> int | None:
        """First toe off strictly inside the frame range (start, stop), or None."""
        to = np.asarray(self.toe_off_idx, dtype=int)
        inside = to[(to > start) & (to < stop)]
        return int(inside[0]) if inside.size else None

    @property
    def stance_fractions(self) -> np.ndarray:
        """Stance fraction (HS->TO over HS->HS) of each valid stride with a toe off, shape (m,)."""
        out = []
        for start, stop in self.strides:
            to = self.toe_off_in(start, stop)
            if to is not None:
                out.append((to - start) / (stop - start))
        return np.asarray(out, dtype=float)
