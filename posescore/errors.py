"""Project exceptions: each names the problem in one line a clinician can act on."""

from __future__ import annotations


class PosescoreError(Exception):
    """Base class for every error posescore raises on purpose."""


class VideoError(PosescoreError):
    """The file is missing, unreadable, not a video, truncated or has absurd metadata."""


class PoseError(PosescoreError):
    """Pose estimation could not run or found no person."""


class NotScorableError(PosescoreError):
    """The video was read but cannot support a score (too few frames with a body, no strides)."""


class ModelError(PosescoreError):
    """The severity model file is missing, foreign, tampered with or incompatible."""


class ConfigError(PosescoreError):
    """A configuration value or file is invalid."""
