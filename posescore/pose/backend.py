"""Pose estimators: the ``PoseBackend`` protocol and MediaPipe Pose behind it.

The backend is MediaPipe Pose through the legacy solutions API with ``model_complexity=1``:
the only configuration of mediapipe 0.10.21 whose model ships inside the wheel, so it runs
offline. Everything MediaPipe-specific stays in ``MediaPipePoseBackend``;
another estimator only has to implement ``PoseBackend``.
"""

from __future__ import annotations

from importlib import metadata
from types import ModuleType
from typing import Optional, Protocol

import numpy as np

from posescore.config import PoseConfig
from posescore.errors import PoseError


def import_mediapipe() -> ModuleType:
    """The ``mediapipe`` module; ``PoseError`` naming the install problem when it fails."""
    try:
        import mediapipe as mp
    except ImportError as exc:  # pragma: no cover - install problem
        raise PoseError(f"mediapipe is not installed or failed to import: {exc}") from exc
    return mp


def mediapipe_version() -> str:
    """The installed mediapipe's version, from its package metadata (``mediapipe.__version__``).

    Read without importing mediapipe, which takes about a second (it imports matplotlib):
    a cache key needs the version, a cached pose no estimator.
    """
    try:
        return metadata.version("mediapipe")
    except metadata.PackageNotFoundError as exc:  # pragma: no cover - install problem
        raise PoseError(f"mediapipe is not installed: {exc}") from exc


class PoseBackend(Protocol):
    """A pose estimator that tracks one person through consecutive frames."""

    name: str

    def process(self, frame_rgb: np.ndarray) -> Optional[np.ndarray]:
        """Return (33, 4) normalised x, y, z, visibility, or None when no body is found."""

    def reset(self) -> None:
        """Forget the tracking state: the next frame starts a new track."""

    def close(self) -> None:
        """Release the estimator."""


class MediaPipePoseBackend:
    """MediaPipe Pose (BlazePose GHUM full, bundled in mediapipe 0.10.21), video mode."""

    def __init__(self, cfg: PoseConfig) -> None:
        mp = import_mediapipe()
        self.name = f"mediapipe-{mp.__version__}-pose-full"
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=cfg.model_complexity,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=cfg.min_detection_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )

    def process(self, frame_rgb: np.ndarray) -> Optional[np.ndarray]:
        """Run one frame; see ``PoseBackend.process``."""
        result = self._pose.process(frame_rgb)
        if result.pose_landmarks is None:
            return None
        return np.array(
            [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark], dtype=float
        )

    def reset(self) -> None:
        """Restart the graph: tracking and smoothing start afresh, as in a new graph."""
        self._pose.reset()

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self._pose.close()
