"""Frames for the pose estimator: decoded once, downscaled, repeats recognised, samples kept.

``inference_frames`` decodes a video once and yields RGB frames at inference size, keeping
the frames sampled for subject selection (``Samples``) on the way. ``RepeatedFrames``
recognises a frame that repeats the last one the estimator saw, and ``FrameCursor`` hands out
the frames of one decoding pass by time windows (for the backfill).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from posescore.config import ExecutionConfig
from posescore.video import FrameSource, prefetch

REPEAT_SIDE_PX = 160
"""Long side, pixels, of the shrunk copies compared to find repeated frames."""
REPEAT_MAX_DIFF = 6
"""Largest difference (0-255, any pixel and channel) between the shrunk copies of a frame and
of the last frame the estimator saw for the frame to count as a repeat. Measured with
``cv2.absdiff`` on 160-px copies: of the frames duplicated by ffmpeg's 30 -> 120 fps conversion
(x264), 411 of 540 differ by at most 6 after re-encoding (the rest by up to 13, and are
estimated as before); consecutive frames of 114 walking videos
(phantom clips and samples, 160x120 to 3840x2880, dark, grey, 10-bit, five codecs) by at
least 11."""


class RepeatedFrames:
    """Recognises frames that repeat the last one the pose estimator saw.

    A video converted to a higher frame rate by duplicating frames (30 -> 60 or 120 fps)
    shows each picture several times. MediaPipe, fed the same picture again, keeps refining
    its track and smoothing as if time passed, which changed an affected leg's score from
    2.82 to 2.20 on a sample duplicated to 120 fps. The pose of a repeat is the pose of the
    picture it repeats, so it is held, not estimated again (2.80 on that sample), and the
    estimator runs less. Comparison is against the last estimated frame, so slow changes
    add up and are never held for long.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._last: Optional[np.ndarray] = None

    def repeats(self, frame: np.ndarray) -> bool:
        """True when ``frame`` repeats the last frame for which this returned False."""
        if not self.enabled:
            return False
        h, w = frame.shape[:2]
        k = max(1, -(-max(h, w) // REPEAT_SIDE_PX))
        small = cv2.resize(frame, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
        last, self._last = self._last, small
        if last is not None and last.shape == small.shape:
            if int(cv2.absdiff(small, last).max()) <= REPEAT_MAX_DIFF:
                self._last = last
                return True
        return False


@dataclass
class Samples:
    """Frames sampled for subject selection during the tracking pass (at most max_samples).

    ``frames`` are downscaled to ``max_side_px``; ``tracked`` holds the person tracked at
    each sample (``people.landmark_detection``, full-frame pixels; None where nobody was)
    once the pass is over.
    """

    stride: int
    max_side_px: int
    indices: list[int] = field(default_factory=list)
    times_s: list[float] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)
    tracked: Optional[list[Optional[np.ndarray]]] = None

    def extend(self, other: Samples) -> None:
        """Append a later chunk's samples."""
        self.indices += other.indices
        self.times_s += other.times_s
        self.frames += other.frames
        if self.tracked is not None and other.tracked is not None:
            self.tracked += other.tracked


def inference_frames(
    source: FrameSource,
    stride: int,
    max_side_px: int,
    samples: Optional[Samples],
    whole_factor: bool = False,
    warm_start: int = 0,
    start: int = 0,
    stop: Optional[int] = None,
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Decode once; yield RGB frames for tracking, keep the sampled ones for detection.

    One pass of ``source``, from ``warm_start`` to ``stop``. Frames are downscaled before
    the colour conversion (converted once, at inference size). Sampled frames are downscaled
    from the same decoded frame, so they equal those of a sampling pass of their own.
    """
    step = stride if samples is None else math.gcd(stride, samples.stride)
    for index, t_s, raw in source.frames(warm_start, stop, stride=step, raw=True):
        if samples is not None and index % samples.stride == 0 and index >= start:
            samples.indices.append(index)
            samples.times_s.append(t_s)
            samples.frames.append(source.upright(raw, samples.max_side_px))
        if index % stride == 0:
            frame = source.upright(raw, max_side_px, whole_factor)
            yield index, t_s, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


class FrameCursor:
    """Frames of one forward decoding pass, handed out by increasing time windows."""

    def __init__(self, frames: Iterator[tuple[int, float, np.ndarray]]) -> None:
        self._frames = frames
        self._held: Optional[tuple[int, float, np.ndarray]] = None

    def take(self, lo_s: float, hi_s: float) -> list[tuple[int, float, np.ndarray]]:
        """The frames with times in [lo_s, hi_s]; earlier ones are skipped, later ones kept."""
        out = []
        while True:
            item, self._held = self._held or next(self._frames, None), None
            if item is None:
                return out
            if item[1] > hi_s:
                self._held = item
                return out
            if item[1] >= lo_s:
                out.append(item)


def close_frames(items: Iterator) -> None:
    """Close ``items`` when it can be (a generator, a prefetching thread)."""
    close = getattr(items, "close", None)
    if close is not None:
        close()


def maybe_prefetch(items: Iterator, cfg: ExecutionConfig) -> Iterator:
    """``items`` decoded ahead in a thread (``video.prefetch``) when ``cfg.decode_thread``."""
    return prefetch(items, cfg.decode_queue_frames) if cfg.decode_thread else items
