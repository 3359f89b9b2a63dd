"""Settings of reading a video and finding the pose: video, pose, subject, execution."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, field_validator

from posescore.config.base import Section


class VideoConfig(Section):
    """Reading videos."""

    min_fps: float = Field(5.0, gt=0, description="Lowest plausible frame rate, frames/s.")
    max_fps: float = Field(1000.0, gt=0, description="Highest plausible frame rate, frames/s.")
    max_duration_s: float = Field(3600.0, gt=0, description="Longest video accepted, seconds.")
    min_frames: int = Field(10, ge=1, description="Fewest decodable frames for a usable video.")
    min_side_px: int = Field(
        64, ge=1,
        description="Shortest frame side accepted, pixels: a smaller frame cannot hold a body "
        "whose joints can be located (and is smaller than the people detector's window).",
    )
    verify_frame_count: bool = Field(
        True,
        description=(
            "Count frames by decoding (grab only, no colour conversion) when probing, so a "
            "truncated file reports its real length; off = trust the container's count."
        ),
    )


class PoseConfig(Section):
    """Pose extraction (MediaPipe Pose, legacy solutions API)."""

    model_complexity: int = Field(1, ge=1, le=1, description="1 = bundled full model (offline).")
    min_detection_confidence: float = Field(0.5, ge=0, le=1)
    min_tracking_confidence: float = Field(0.5, ge=0, le=1)
    max_inference_side_px: int = Field(
        1280, ge=128, description="Frames are downscaled so the long side is at most this."
    )
    downscale_whole_factor: bool = Field(
        True,
        description="Downscale by the smallest whole factor that fits max_inference_side_px "
        "(1920 x 1080 -> 960 x 540): ten times cheaper than an arbitrary ratio; on phantom "
        "ground truth the median leg-landmark error changed by < 1 px (bench/bench_speed.py).",
    )
    frame_stride: int = Field(1, ge=1, description="Use every n-th frame.")
    max_pose_fps: Optional[float] = Field(
        None,
        ge=20.0,
        description="Skip frames of high-frame-rate video so the pose is sampled at no more "
        "than this, frames/s (stride = floor(fps / max_pose_fps), at least frame_stride); "
        "None = every frame. Never below 20 frames/s: the 4-8 Hz tremor band needs more "
        "than 16 (Nyquist).",
    )
    chunks: int = Field(
        2,
        ge=1,
        le=16,
        description="Track a video in this many consecutive chunks, each warmed up from "
        "chunk_overlap_s before its start (MediaPipe's tracking and smoothing; the warm-up "
        "is dropped) and stitched; fewer when a chunk would be shorter than chunk_min_s. "
        "The split depends only on the video, so the pose is the same whether the chunks run "
        "one after another or at once (execution.chunk_processes); it differs slightly from "
        "one chunk's (fresh tracking at each chunk), so the split is part of the pose cache "
        "key. Full-frame tracking only.",
    )
    chunk_min_s: float = Field(
        10.0,
        gt=0,
        description="Shortest chunk, s: a video shorter than 2 x this is one chunk (the "
        "warm-up costs at most chunk_overlap_s / chunk_min_s of extra inference).",
    )
    chunk_overlap_s: float = Field(
        1.0, gt=0, description="Warm-up frames tracked and dropped before each chunk, s."
    )
    chunk_lead_frames: int = Field(
        120,
        ge=0,
        description="Inferred frames the first chunk holds beyond an even share: it starts at "
        "once, while the other chunks' processes start, load MediaPipe and decode up to their "
        "warm-up (about 2.5 s, some 120 frames of inference, on the 2-core machine of "
        "bench/bench_speed.py). Part of the split, so of the pose.",
    )
    hold_repeated_frames: bool = Field(
        True,
        description="A frame that repeats the previous picture (a video converted to a higher "
        "frame rate by duplicating frames) keeps the previous pose instead of being estimated "
        "again (pose.RepeatedFrames); quality.warnings gives the share and the frame rate "
        "actually filmed.",
    )
    backfill_min_gap_s: Optional[float] = Field(
        0.3,
        gt=0,
        description="A stretch of at least this long without a body, ended by a frame with "
        "one, is tracked again backwards from that frame (pose.backfill_gaps): MediaPipe's "
        "detector misses a person small in the frame (far down a corridor) or entering it, "
        "whom its tracker, started on the larger or whole body, still follows. s; None = off.",
    )
    backfill_max_s: float = Field(
        10.0, gt=0, description="Longest stretch tracked backwards, s (its frames are held in "
        "memory at inference size)."
    )
    turn_upright: bool = Field(
        True,
        description="When the pose shows the person lying sideways or upside down (a phone "
        "video whose rotation metadata is missing or wrong), turn the frames upright and "
        "estimate the pose again (pose.upright_turn_deg); the turn is recorded in "
        "quality.warnings and video.rotation_deg.",
    )


class SubjectConfig(Section):
    """Choosing the person of interest in videos with several people (``posescore.pose.subject``).

    Frames are sampled sparsely, people are detected (MediaPipe first, HOG only when
    MediaPipe does not find one consistent person: ``screen_first``), detections are
    linked into tracks and the track with the highest weighted score
    ``persistence_weight * seen_fraction + size_weight * relative_height
    + centrality_weight * centrality + walking_weight * walking`` is the subject; a user
    ``roi`` overrides the choice.
    """

    enabled: bool = Field(True, description="Off = track whoever MediaPipe finds (no choice).")
    roi: Optional[tuple[int, int, int, int]] = Field(
        None,
        description="Region (x0, y0, x1, y1) in upright full-frame pixels holding the subject; "
        "overrides the automatic choice.",
    )
    sample_rate_hz: float = Field(3.0, gt=0, description="Frames sampled for detection, 1/s.")
    max_samples: int = Field(30, ge=1, description="Most frames sampled for detection.")
    detect_max_side_px: int = Field(
        640, ge=128, description="Sampled frames are downscaled so the long side is at most this."
    )
    detectors: tuple[Literal["hog", "mediapipe"], ...] = Field(
        ("mediapipe", "hog"),
        min_length=1,
        description="People detectors; the first one's boxes win where two overlap.",
    )
    screen_first: bool = Field(
        True,
        description="MediaPipe screens the samples first (the person tracked in the frame, "
        "then a static search with each found person masked); the other detectors run only "
        "when it sees two people in a sample, or boxes that do not link into one track. "
        "After a tracking pass that stayed on one walker at every sample nothing is screened "
        "(people.tracked_one_walker). Off = every detector on every sample.",
    )
    max_people_per_frame: int = Field(
        4, ge=1, description="Most people MediaPipe looks for in one sampled frame."
    )
    hog_min_weight: float = Field(
        0.5, description="Lowest HOG SVM score kept as a person detection."
    )
    link_max_distance_box_heights: float = Field(
        0.75, gt=0, description="Largest centre jump linking two detections, box heights."
    )
    max_gap_s: float = Field(
        1.5, ge=0, description="Longest time a track may go undetected and still continue, s."
    )
    min_track_samples: int = Field(
        2, ge=1, description="Sampled frames a track needs to count as a person."
    )
    persistence_weight: float = Field(0.5, ge=0, description="Score weight of persistence.")
    size_weight: float = Field(0.3, ge=0, description="Score weight of relative box height.")
    centrality_weight: float = Field(0.2, ge=0, description="Score weight of centrality.")
    walking_weight: float = Field(0.25, ge=0, description="Score weight of walking.")
    walking_box_heights: float = Field(
        0.2, gt=0, description="Movement (subject.track_motion) counted as walking in full, "
        "box heights; a person standing still moves about 0.",
    )
    crop_margin_box_heights: float = Field(
        1.0,
        ge=0,
        description="Crop margin added on every side of the box, box heights. Tight crops "
        "cost MediaPipe accuracy: with 0.25, samples beside a standing bystander read 2.68 "
        "and 3.22 for 2.85 and 3.84 alone; with 1.0, 2.81 and 3.76.",
    )
    crop_window_s: float = Field(
        1.0, ge=0, description="Crop size is the largest box within this window, s."
    )
    jump_threshold_box_heights: float = Field(
        0.5,
        gt=0,
        description="Frames whose hip centre is farther than this from the subject's box "
        "centre are dropped (NaN), box heights.",
    )

    @field_validator("roi")
    @classmethod
    def _check_roi(
        cls, roi: Optional[tuple[int, int, int, int]]
    ) -> Optional[tuple[int, int, int, int]]:
        if roi is not None:
            x0, y0, x1, y1 = roi
            if min(x0, y0) < 0 or x1 <= x0 or y1 <= y0:
                raise ValueError("roi must be (x0, y0, x1, y1) with 0 <= x0 < x1, 0 <= y0 < y1")
        return roi


class ExecutionConfig(Section):
    """How the work runs: processes, threads, decoding and the cache.

    None of these changes a result, so none enters the pose cache key
    (``pose.cache.extractor_version``); worker counts are command-line options
    (``batch --workers``) and service settings (``POSESCORE_WORKERS``).
    """

    chunk_processes: int = Field(
        1,
        ge=1,
        le=16,
        description="Processes tracking the chunks (pose.chunks) of one video at once (1 = one "
        "after the other in this process: the library spawns no processes behind a caller's "
        "back). The command line uses min(pose.chunks, usable cores) unless this is set; "
        "batch workers use 1, the videos already run in parallel.",
    )
    decode_thread: bool = Field(
        True,
        description="Decode, downscale and colour-convert frames in a background thread "
        "that overlaps MediaPipe inference.",
    )
    decode_queue_frames: int = Field(
        8, ge=1, description="Frames the decoding thread may run ahead of inference."
    )
    subject_single_pass: bool = Field(
        True,
        description="Detect people on the sampled frames during the full-frame tracking pass "
        "instead of in a decoding pass of its own; when several people (or none but a "
        "region) call for crops, the clip is tracked again inside them.",
    )
    meta_index: bool = Field(
        True,
        description="Remember each file's probe result and SHA-256 under the pose cache, "
        "keyed by (path, size, mtime_ns, ctime_ns, inode), so a cached re-score neither "
        "hashes nor decodes the file. A file rewritten in place with identical size and "
        "both time stamps restored would be missed; off = hash on every run.",
    )
    cache_dir: Optional[Path] = Field(
        None, description="Pose cache folder; None = $POSESCORE_CACHE or ~/.cache/posescore."
    )
    use_cache: bool = Field(True, description="Read and write the pose cache.")
