"""``FrameSource``: one video's frames for every pass over it, opened once and probed once.

The pose stage reads a video in up to four passes: subject sampling (when not fused with
tracking), tracking (each chunk run in this process), the crop pass and the backfill. They
all read through one source, which knows the probe (``meta``: rotation, frame count) and
hands out frame iterators. Each pass decodes a frame at most once; the first pass starts from
the frame 0 the probe decoded (no second opening); a later pass starts the capture again
(opened again: exact, unlike seeking). Chunks tracked in other processes open their own
source. ``bench/bench_decodes.py`` counts the captures and decoded frames of a score.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from posescore.config import QualityConfig, VideoConfig
from posescore.contract.notices import Notice
from posescore.types import VideoMeta
from posescore.video.files import PathLike
from posescore.video.probe import describe, probe_reader
from posescore.video.reader import DEFAULT_CFG, Closes, Frame, VideoReader


class FrameSource(Closes):
    """Frames of one video, pass after pass, from one reader opened when first needed.

    Parameters
    ----------
    meta : VideoMeta
        The video's probe (``probe_video``, the meta index, or :meth:`probe`).
    cfg : VideoConfig
        Plausibility limits of the reader.
    reader : VideoReader, optional
        An open reader of the same file that trusts ``meta`` (as :meth:`probe` gives).

    Attributes
    ----------
    meta : VideoMeta
        The probe; :meth:`use_meta` replaces it (counted frames, a turn).
    captures_opened : int
        OpenCV captures opened over the source's life (one per pass after the first).
    """

    def __init__(
        self, meta: VideoMeta, cfg: VideoConfig = DEFAULT_CFG, reader: VideoReader | None = None
    ) -> None:
        self.meta, self.cfg = meta, cfg
        self._reader = reader
        self._opened_before = 0

    @classmethod
    def probe(
        cls,
        path: PathLike,
        cfg: VideoConfig = DEFAULT_CFG,
        count_frames: bool | None = None,
        low_light_luma: float = QualityConfig().low_light_luma,
    ) -> FrameSource:
        """Probe ``path`` as ``probe_video`` does and keep its reader for the first pass."""
        reader = probe_reader(path, cfg, count_frames)
        try:
            meta = describe(reader, path, low_light_luma)
        except BaseException:
            reader.close()
            raise
        reader.trust(meta)
        return cls(meta, cfg, reader)

    @property
    def reader(self) -> VideoReader:
        """The reader, opened with ``meta`` on first use."""
        if self._reader is None:
            self._reader = VideoReader(self.meta, self.cfg)
        return self._reader

    def use_meta(self, meta: VideoMeta) -> None:
        """Read with ``meta`` from the next pass on (e.g. ``counted_meta``, ``turned_meta``)."""
        if meta != self.meta:
            self.meta = meta
            self._drop_reader()  # the next pass opens the capture again anyway

    def frames(
        self, start: int = 0, stop: int | None = None, *, stride: int = 1,
        max_side_px: int | None = None, raw: bool = False,
    ) -> Iterator[Frame]:
        """A new pass: frames ``start``, ``start + stride``, ... before ``stop`` (None: all).

        ``max_side_px`` and ``raw`` as for :meth:`VideoReader.frames`; frames before
        ``start`` are grabbed, not converted, and nothing after ``stop`` is read.
        """
        frames = self.reader.frames(stride, max_side_px, start, raw)
        return frames if stop is None else _before(frames, stop)

    def upright(
        self, frame: np.ndarray, max_side_px: int | None, whole_factor: bool = False
    ) -> np.ndarray:
        """A stored frame of a ``raw`` pass turned upright: :meth:`VideoReader.upright`."""
        return self.reader.upright(frame, max_side_px, whole_factor)

    @property
    def frames_grabbed(self) -> int:
        """Frames advanced over by the last pass."""
        return self.reader.frames_grabbed

    @property
    def warnings(self) -> list[Notice]:
        """The reader's warnings (``VideoReader.warnings``)."""
        return list(self.reader.warnings)

    @property
    def captures_opened(self) -> int:
        """OpenCV captures opened so far by this source."""
        now = 0 if self._reader is None else self._reader.captures_opened
        return self._opened_before + now

    def _drop_reader(self) -> None:
        """Close the reader; the next pass opens one with ``meta``."""
        if self._reader is not None:
            self._opened_before += self._reader.captures_opened
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        """Release the capture (idempotent); a later pass would open it again."""
        self._drop_reader()


def _before(frames: Iterator[Frame], stop: int) -> Iterator[Frame]:
    """``frames`` up to (not including) frame index ``stop``."""
    for item in frames:
        if item[0] >= stop:
            return
        yield item
