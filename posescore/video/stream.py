"""Frames as iterators: ``iter_frames`` over a video, ``prefetch`` in a background thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from posescore.config import VideoConfig
from posescore.types import VideoMeta
from posescore.video.capture import check_iter_args
from posescore.video.files import check_file
from posescore.video.reader import DEFAULT_CFG, Frame, VideoReader, VideoSource

_T = TypeVar("_T")


def prefetch(items: Iterator[_T], depth: int = 8) -> Iterator[_T]:
    """Run ``items`` in a background thread, ``depth`` items ahead of the consumer.

    OpenCV releases the GIL while decoding, resizing and converting, so a decoding thread
    overlaps with inference in the caller's thread. Exceptions are re-raised in the
    consumer; closing the returned generator stops the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    done = object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((None, item)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put((exc, None))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()
        put((None, done))

    thread = threading.Thread(target=run, name="posescore-decode", daemon=True)
    thread.start()
    try:
        while True:
            exc, item = q.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def iter_frames(
    path_or_meta: VideoSource,
    *,
    stride: int = 1,
    max_side_px: int | None = None,
    start_frame: int = 0,
    cfg: VideoConfig = DEFAULT_CFG,
) -> Iterator[Frame]:
    """Iterate over upright BGR frames of a video; a thin wrapper over :class:`VideoReader`.

    Arguments and the file's basic checks (exists, regular, non-empty, not an image) are
    validated at call time; the capture is opened on first ``next()`` and released when the
    iterator is exhausted, closed or garbage-collected. Warnings (e.g. truncation) are
    logged; use :class:`VideoReader` to collect them.

    Parameters
    ----------
    path_or_meta : str, PathLike or VideoMeta
        The video, or its :func:`probe_video` result (then its fps and frame count are
        trusted, not re-checked).
    stride : int
        Yield every ``stride``-th frame, >= 1 (the others are only ``grab()``-ed).
    max_side_px : int, optional
        Downscale with ``INTER_AREA`` so the long side is at most this, pixels.
    start_frame : int
        Index of the first frame yielded.
    cfg : VideoConfig
        Plausibility limits used when a path (not a VideoMeta) is given.

    Yields
    ------
    index : int
        0-based frame index in the video: ``start_frame``, ``start_frame + stride``, ...
    timestamp_s : float
        Presentation time of the frame, seconds.
    frame : ndarray, shape (H, W, 3), uint8
        Upright BGR image.

    Raises
    ------
    VideoError
        For bad files (see the module docstring).
    ValueError
        For invalid ``stride``, ``max_side_px`` or ``start_frame``.
    """
    stride, max_side_px, start_frame = check_iter_args(stride, max_side_px, start_frame)
    path = Path(path_or_meta.path) if isinstance(path_or_meta, VideoMeta) else Path(path_or_meta)
    check_file(path)
    return _iter_frames(path_or_meta, cfg, stride, max_side_px, start_frame)


def _iter_frames(
    source: VideoSource,
    cfg: VideoConfig,
    stride: int,
    max_side_px: int | None,
    start_frame: int,
) -> Iterator[Frame]:
    with VideoReader(source, cfg) as reader:
        yield from reader.frames(stride=stride, max_side_px=max_side_px, start_frame=start_frame)
