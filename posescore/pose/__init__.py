"""Pose extraction as a package; the names the rest of posescore uses."""

from posescore.pose.extract import (
    REPEAT_MAX_DIFF,
    MediaPipePoseBackend,
    PoseBackend,
    ProgressCallback,
    RepeatedFrames,
    backfill_gaps,
    effective_stride,
    extract_pose,
    extract_pose_meta,
    extractor_version,
    gaps_to_backfill,
    same_person,
    upright_turn_deg,
)

__all__ = [
    "REPEAT_MAX_DIFF",
    "MediaPipePoseBackend",
    "PoseBackend",
    "ProgressCallback",
    "RepeatedFrames",
    "backfill_gaps",
    "effective_stride",
    "extract_pose",
    "extract_pose_meta",
    "extractor_version",
    "gaps_to_backfill",
    "same_person",
    "upright_turn_deg",
]
