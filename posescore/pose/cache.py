"""The pose cache and its meta index.

A pose is cached as one ``.npz`` per video content (SHA-256) and extractor version
(``extractor_version``: everything that changes the pose output). The meta index remembers a
file's probe (frames counted, SHA-256) by its identity on disk, so that a cached re-score
neither hashes nor decodes the file (``lookup_meta``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Optional

import numpy as np

from posescore.config import ExecutionConfig, PoseConfig, Settings, SubjectConfig
from posescore.contract.notices import Notice
from posescore.pose.backend import mediapipe_version
from posescore.types import PoseSequence, VideoMeta
from posescore.video import READER_VERSION

logger = logging.getLogger(__name__)

CACHE_FORMAT = 2
META_FORMAT = 4
"""Version of the remembered probe results (``remember_meta``; 3: the picture's luminance
is kept; 4: warnings are notices): older ones are probed again."""


def extractor_version(cfg: PoseConfig, subject_cfg: SubjectConfig = SubjectConfig()) -> str:
    """Identify everything that changes the pose output, for the cache key.

    Only algorithm settings enter (``ExecutionConfig`` never does); subject selection
    settings as a short hash (``subject=off`` when disabled).
    """
    # only when set, so that keys made before the setting existed stay valid
    extra = "" if cfg.max_pose_fps is None else f"|maxfps={cfg.max_pose_fps:g}"
    extra += f"|reader={READER_VERSION}"
    if cfg.downscale_whole_factor:
        extra += "|wholedown"
    if cfg.hold_repeated_frames:
        extra += "|holdrepeats"
    if cfg.backfill_min_gap_s is not None:
        extra += f"|backfill={cfg.backfill_min_gap_s:g}/{cfg.backfill_max_s:g}s"
    if cfg.chunks > 1:
        extra += (
            f"|chunks={cfg.chunks}@{cfg.chunk_overlap_s:g}s>={cfg.chunk_min_s:g}s"
            f"+{cfg.chunk_lead_frames}f"
        )
    if subject_cfg.enabled:
        digest = hashlib.sha256(subject_cfg.model_dump_json().encode()).hexdigest()[:10]
        subject = f"subject={digest}"
    else:
        subject = "subject=off"
    return (
        f"mediapipe-{mediapipe_version()}|complexity={cfg.model_complexity}"
        f"|det={cfg.min_detection_confidence}|trk={cfg.min_tracking_confidence}"
        f"|maxside={cfg.max_inference_side_px}|stride={cfg.frame_stride}{extra}|{subject}"
        f"|fmt={CACHE_FORMAT}"
    )


def cache_dir(cfg: ExecutionConfig) -> Path:
    """Folder of the pose cache: the setting, else $POSESCORE_CACHE, else ~/.cache/posescore."""
    if cfg.cache_dir is not None:
        return Path(cfg.cache_dir)
    env = os.environ.get("POSESCORE_CACHE")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "posescore" / "pose"


def cache_path(meta: VideoMeta, settings: Settings) -> Path:
    """Cache file for a video's content hash and the extractor version."""
    version = extractor_version(settings.pose, settings.subject)
    if meta.turn_deg:  # only when turned, so that the keys of upright videos stay as they were
        version += f"|turn={meta.turn_deg}"
    key = hashlib.sha256(f"{meta.sha256}|{version}".encode()).hexdigest()[:32]
    return cache_dir(settings.execution) / f"{key}.npz"


def save_cache(path: Path, seq: PoseSequence) -> None:
    """Write ``seq`` to the cache file ``path`` (atomically: never read half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        landmarks=seq.landmarks,  # float64: a cached re-score equals the first score exactly
        timestamps_s=seq.timestamps_s,
        info=np.array(
            json.dumps(
                {
                    "fps": seq.fps,
                    "width": seq.width,
                    "height": seq.height,
                    "extractor": seq.extractor,
                    "subject": seq.subject,
                }
            )
        ),
    )
    os.replace(tmp, path)  # atomic: a half-written cache file is never read


def load_cache(path: Path) -> Optional[PoseSequence]:
    """The pose cached in ``path``; None (logged) when the file cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as data:
            info = json.loads(str(data["info"]))
            return PoseSequence(
                landmarks=data["landmarks"].astype(float),
                timestamps_s=data["timestamps_s"],
                fps=info["fps"],
                width=info["width"],
                height=info["height"],
                extractor=info["extractor"],
                subject=info["subject"],
            )
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("ignoring unreadable pose cache entry (%s)", type(exc).__name__)
        return None


def _meta_index_path(path: Path, settings: Settings) -> Optional[Path]:
    """Index file of a video's probe result, keyed by its identity on disk (not content)."""
    try:
        resolved = path.resolve()
        st = resolved.stat()
    except OSError:
        return None
    ident = (
        f"{resolved}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}"
        f"|{settings.video.model_dump_json()}|lowlight={settings.quality.low_light_luma:g}"
        f"|reader={READER_VERSION}|meta={META_FORMAT}"
    )
    key = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return cache_dir(settings.execution) / "meta" / f"{key}.json"


def lookup_meta(path: str | Path, settings: Settings) -> Optional[VideoMeta]:
    """The remembered ``VideoMeta`` (frames counted, SHA-256) of an unchanged file, or None.

    See ``ExecutionConfig.meta_index`` for the trade-off: the key is (path, size, mtime_ns,
    ctime_ns, inode), so an unchanged file is neither hashed nor decoded again.
    """
    if not (settings.execution.meta_index and settings.execution.use_cache):
        return None
    index = _meta_index_path(Path(path), settings)
    if index is None or not index.exists():
        return None
    try:
        data = json.loads(index.read_text())
        data["warnings"] = tuple(Notice.model_validate(w) for w in data.get("warnings", ()))
        data["path"] = str(path)
        return VideoMeta(**data)
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("ignoring unreadable meta index entry (%s)", type(exc).__name__)
        return None


def remember_meta(path: str | Path, meta: VideoMeta, settings: Settings) -> None:
    """Store ``meta`` (frames counted) for :func:`lookup_meta`; errors only log."""
    if not (settings.execution.meta_index and settings.execution.use_cache):
        return
    index = _meta_index_path(Path(path), settings)
    if index is None:
        return
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        tmp = index.with_name(f".{index.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(meta), default=Notice.to_json))
        os.replace(tmp, index)
    except OSError as exc:
        logger.warning("could not write meta index (%s)", type(exc).__name__)
