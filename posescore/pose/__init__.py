"""Pose extraction as a package: one module per stage, the entry points in ``extract``.

``backend`` (the estimator), ``cache`` (pose cache, meta index), ``frames`` (decoding for
inference, repeated frames), ``tracking`` (whole-frame and cropped tracking), ``chunks``
(chunks across processes), ``backfill``, ``upright`` (turned pictures), subject selection
(``subject`` with ``people``, ``linking`` and ``boxes``) and ``extract``. The names below are
the ones the rest of posescore uses.
"""

from posescore.pose.backend import MediaPipePoseBackend, PoseBackend
from posescore.pose.backfill import backfill_gaps, gaps_to_backfill, same_person
from posescore.pose.cache import extractor_version
from posescore.pose.extract import extract_pose, extract_pose_meta
from posescore.pose.frames import REPEAT_MAX_DIFF, RepeatedFrames
from posescore.pose.tracking import ProgressCallback, effective_stride
from posescore.pose.upright import upright_turn_deg

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
