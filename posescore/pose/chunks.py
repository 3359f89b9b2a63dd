"""Chunks: a long video tracked in pieces from fresh graphs, in several processes at once.

``PoseConfig.chunks`` splits a long video into chunks (``chunk_bounds``), each warmed up
``chunk_overlap_s`` before its start and tracked from a fresh graph, so the pose does not
depend on how many processes (``chunk_processes``) share them (``track_chunks``). While a
chunk is tracked, the frames sampled for subject selection are kept with the person tracked
at each (``_TrackedAtSamples``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from functools import partial
from typing import Optional

import numpy as np

from posescore.config import PoseConfig, Settings
from posescore.pose.backend import MediaPipePoseBackend, PoseBackend
from posescore.pose.frames import Samples, close_frames, inference_frames, maybe_prefetch
from posescore.pose.people import landmark_detections
from posescore.pose.tracking import ProgressCallback, track_frames
from posescore.runner import process_pool
from posescore.types import VideoMeta
from posescore.video import FrameSource

logger = logging.getLogger(__name__)


def chunk_bounds(meta: VideoMeta, cfg: PoseConfig, stride: int) -> list[tuple]:
    """(warm_start, start, stop) frame indices per chunk (``PoseConfig.chunks``).

    A chunk is at least ``chunk_min_s`` long, so short videos are one chunk. The first chunk
    is ``chunk_lead_frames`` inferred frames longer than the others (it starts at once).
    """
    n, overlap = meta.frame_count, math.ceil(cfg.chunk_overlap_s * meta.fps)
    chunks = min(cfg.chunks, max(1, int(n // max(cfg.chunk_min_s * meta.fps, 1))))
    if chunks <= 1:
        return [(0, 0, None)]
    lead = min(cfg.chunk_lead_frames * stride, n // chunks)
    first = (n + (chunks - 1) * lead) / chunks
    edges = [0] + [
        round(first + i * (n - first) / (chunks - 1)) // stride * stride for i in range(chunks)
    ]
    bounds = []
    for i in range(chunks):
        start = edges[i]
        warm = max(0, start - overlap) // stride * stride
        bounds.append((warm, start, None if i == chunks - 1 else edges[i + 1]))
    return bounds


def _run_chunk(
    source: FrameSource,
    settings: Settings,
    stride: int,
    bounds: tuple,
    backend: PoseBackend,
    samples: Optional[Samples],
    n_expected: int = 0,
    progress: Optional[ProgressCallback] = None,
) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """Track frames [start, stop) after warming up from ``warm_start``; drop the warm-up.

    One pass of ``source``. With ``samples``, the sampled frames are kept with the person
    tracked at each (``_TrackedAtSamples``).
    """
    cfg, meta = settings.pose, source.meta
    warm_start, start, stop = bounds
    at_samples = None if samples is None else _TrackedAtSamples(samples)
    frames = inference_frames(
        source, stride, cfg.max_inference_side_px, samples,
        cfg.downscale_whole_factor, warm_start, start, stop,
    )
    fetched = maybe_prefetch(frames, settings.execution)
    indexed = _with_index(fetched)
    try:
        landmarks, times = track_frames(
            indexed.frames(), backend, meta.width, meta.height, n_expected=n_expected,
            progress=progress, rgb=True,
            on_frame=None if at_samples is None else at_samples.tracked,
            hold_repeats=cfg.hold_repeated_frames,
        )
        if at_samples is not None:
            samples.tracked = at_samples.finish()
    finally:
        close_frames(fetched)  # stop the decoding thread before the next pass or release
    n_grabbed, warnings = source.frames_grabbed, source.warnings
    keep = np.asarray(indexed.indices, dtype=int) >= start
    if keep.size and not keep.all():
        landmarks, times = landmarks[keep], times[keep]
    return landmarks, times, n_grabbed, warnings


class _TrackedAtSamples:
    """The person tracked at each sampled frame: at the first frame tracked at or after it.

    ``people.detect_frames`` takes them as found, and screens the samples for more people only
    when they do not show one walker (``people.tracked_one_walker``).
    """

    def __init__(self, samples: Samples) -> None:
        self._samples = samples
        self._found: list[Optional[np.ndarray]] = []

    def tracked(self, index: int, landmarks_px: np.ndarray) -> None:
        """Note the person at the samples up to frame ``index``, just tracked (a hook)."""
        indices, found = self._samples.indices, self._found
        if len(found) < len(indices) and indices[len(found)] <= index:
            person = landmark_detections(landmarks_px[None])[0]
            while len(found) < len(indices) and indices[len(found)] <= index:
                found.append(person)

    def finish(self) -> list[Optional[np.ndarray]]:
        """One entry per sample; None after the last tracked frame or where nobody was."""
        return self._found + [None] * (len(self._samples.indices) - len(self._found))


class _with_index:  # noqa: N801 - a tiny helper used like a function
    """Pass frames through, remembering their indices (to drop a chunk's warm-up)."""

    def __init__(self, frames: Iterator) -> None:
        self._frames = frames
        self.indices: list[int] = []

    def frames(self) -> Iterator:
        for item in self._frames:
            self.indices.append(item[0])
            yield item


def _chunk_worker(
    meta: VideoMeta, settings: Settings, stride: int, bounds: tuple,
    samples: Optional[Samples],
) -> tuple:
    """Process entry point: track one chunk with its own MediaPipe graph and frame source."""
    backend = MediaPipePoseBackend(settings.pose)
    try:
        with FrameSource(meta, settings.video) as source:
            lm, ts, n_grabbed, warnings = _run_chunk(
                source, settings, stride, bounds, backend, samples
            )
    finally:
        backend.close()
    return lm, ts, n_grabbed, warnings, samples


def _start_chunks(
    meta: VideoMeta,
    settings: Settings,
    stride: int,
    bounds: list[tuple],
    samples: Optional[Samples],
    processes: int,
) -> tuple:
    """Start chunks in ``processes`` spawned processes (``runner.process_pool``).

    Each chunk samples like ``samples`` (None = no sampling) into its own ``Samples``.
    Not ``runner.run_items``: the chunks of one video are started while this process
    tracks its own share, collected in order, and a chunk's failure fails the video.
    """
    args = [(meta, settings, stride, b, _fresh_samples(samples)) for b in bounds]
    try:
        # the caller's process tracks chunks too: it counts as one more worker; Ctrl-C
        # stops a video's chunks with it
        pool = process_pool(processes, share=processes + 1, ignore_sigint=False)
        return pool, [pool.submit(_chunk_worker, *a) for a in args]
    except (AssertionError, OSError, RuntimeError) as exc:
        # e.g. inside a daemonic worker (Dask): same chunks, one after the other, here
        logger.info("chunks run in this process (%s)", type(exc).__name__)
        return None, [_Deferred(_chunk_worker, a) for a in args]


def _fresh_samples(samples: Optional[Samples]) -> Optional[Samples]:
    """An empty ``Samples`` sampling like ``samples`` (None stays None)."""
    return None if samples is None else Samples(samples.stride, samples.max_side_px)


def track_chunks(
    source: FrameSource,
    settings: Settings,
    stride: int,
    bounds: list[tuple],
    backend: PoseBackend,
    samples: Optional[Samples],
    processes: int,
    n_expected: int,
    progress: Optional[ProgressCallback],
) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """Track every chunk and stitch them in order, sharing them over ``processes``.

    The first share runs here on ``backend`` (reset between chunks) and ``source``, the rest
    in ``processes - 1`` spawned processes. Each chunk starts from a fresh graph, so the result
    does not depend on ``processes``. Samples of later chunks are appended to ``samples``;
    frames grabbed are those of the last chunk (it reads to the end), the video's warnings
    those of every chunk, once each.
    """
    n_here = -(-len(bounds) // processes)
    pool, remote = None, []
    try:
        if n_here < len(bounds):
            pool, remote = _start_chunks(
                source.meta, settings, stride, bounds[n_here:], samples, processes - 1
            )
        parts: list[tuple] = []
        for i, chunk_bounds in enumerate(bounds[:n_here]):
            if i:
                backend.reset()
            own = samples if i == 0 else _fresh_samples(samples)
            done = sum(len(part[1]) for part in parts)
            report = None if progress is None else partial(_progress_from, progress, done)
            lm, ts, n_grabbed, warnings = _run_chunk(
                source, settings, stride, chunk_bounds, backend, own, n_expected, report
            )
            parts.append((lm, ts, n_grabbed, warnings, own))
        parts += [fut.result() for fut in remote]
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    if samples is not None:
        for part in parts[1:]:
            samples.extend(part[4])
    return (
        np.concatenate([part[0] for part in parts]),
        np.concatenate([part[1] for part in parts]),
        parts[-1][2],
        list(dict.fromkeys(w for part in parts for w in part[3])),
    )


def _progress_from(progress: ProgressCallback, done: int, i: int, n: int) -> None:
    """Report ``done + i`` of ``n`` frames (a later chunk tracked in this process)."""
    progress(done + i, n)


class _Deferred:
    """A call run on ``result()``, standing in for a Future."""

    def __init__(self, fn: Callable, args: tuple) -> None:
        self._fn, self._args = fn, args

    def result(self) -> tuple:
        return self._fn(*self._args)
