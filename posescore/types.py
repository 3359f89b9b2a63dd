"""Typed containers passed between pipeline stages."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from posescore.constants import N_LANDMARKS
from posescore.contract.notices import Notice


@dataclass(frozen=True)
class VideoMeta:
    """What a video file says about itself, after rotation is applied.

    ``width`` and ``height`` are of the frames as delivered by ``iter_frames``
    (rotated upright, before any downscale). ``frame_count`` is the number of decodable
    frames when ``VideoConfig.verify_frame_count`` is on (the default), else the container's.
    """

    path: str
    sha256: str
    fps: float
    frame_count: int
    width: int
    height: int
    rotation_deg: int = 0
    codec: str = ""
    turn_deg: int = 0
    """Clockwise turn (0, 90, 180, 270) applied after ``rotation_deg`` because the picture
    showed the person lying sideways or upside down (rotation metadata missing or wrong);
    set by ``pose.extract_pose_meta``, 0 from ``probe_video``."""
    declared_frame_count: int | None = None
    """Frame count the container declares (None if missing or implausible)."""
    warnings: tuple[Notice, ...] = ()
    """Problems found while reading that did not stop it (e.g. truncation), stage ``video``."""
    luma: float = float("nan")
    """Mean luminance of the picture, 0-255 (ITU-R BT.601 luma): of the first frame, or when
    that is dark of the brightest of three later ones (``video.later_luma``); NaN if unknown."""

    @property
    def duration_s(self) -> float:
        """Duration in seconds from frame count and fps."""
        return self.frame_count / self.fps if self.fps > 0 else 0.0


@dataclass
class PoseSequence:
    """Per-frame body landmarks of one tracked person.

    Attributes
    ----------
    landmarks : ndarray, shape (T, 33, 4)
        x_px, y_px (image pixels of the upright full-size frame, y down), z (MediaPipe's
        relative depth scaled to pixels like x) and visibility in [0, 1].
        Frames without a detection are NaN in all four channels.
    timestamps_s : ndarray, shape (T,)
        Time of each frame in seconds from the start of the video.
    fps : float
        Sampling rate of this sequence in frames per second (after any frame stride).
    width, height : int
        Frame size in pixels that x_px and y_px refer to.
    extractor : str
        Name and version of the pose backend that made it.
    subject : dict
        How the tracked person was chosen (e.g. region of interest), for the record.
    """

    landmarks: np.ndarray
    timestamps_s: np.ndarray
    fps: float
    width: int
    height: int
    extractor: str = ""
    subject: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate shapes so that later stages can trust them."""
        lm = np.asarray(self.landmarks, dtype=float)
        if lm.ndim != 3 or lm.shape[1:] != (N_LANDMARKS, 4):
            raise ValueError(f"landmarks must have shape (T, {N_LANDMARKS}, 4), got {lm.shape}")
        ts = np.asarray(self.timestamps_s, dtype=float)
        if ts.shape != (lm.shape[0],):
            raise ValueError(f"timestamps_s must have shape ({lm.shape[0]},), got {ts.shape}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        self.landmarks = lm
        self.timestamps_s = ts

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.landmarks.shape[0])

    def detected(self) -> np.ndarray:
        """Boolean (T,) mask of frames where a body was detected."""
        return ~np.isnan(self.landmarks[:, :, 0]).all(axis=1)

    def frames(self, start: int, stop: int) -> PoseSequence:
        """Frames [start, stop) only (timestamps kept: still seconds from the video's start)."""
        return dataclasses.replace(
            self, landmarks=self.landmarks[start:stop], timestamps_s=self.timestamps_s[start:stop]
        )

    def blanked_outside(self, start: int, stop: int) -> PoseSequence:
        """All frames, those outside [start, stop) blanked (NaN): indices stay the same."""
        landmarks = np.full_like(self.landmarks, np.nan)
        landmarks[start:stop] = self.landmarks[start:stop]
        return dataclasses.replace(self, landmarks=landmarks)

    def repeated_fraction(self) -> float:
        """Share of frames whose landmarks equal the previous frame's exactly.

        Only a held repeat of the previous picture (``pose.RepeatedFrames``) gives
        bit-equal landmarks; frames without a body (NaN) do not count.
        """
        if self.n_frames < 2:
            return 0.0
        same = np.all(self.landmarks[1:] == self.landmarks[:-1], axis=(1, 2))
        return float(same.sum() / self.n_frames)

    @property
    def filmed_fps(self) -> float:
        """Distinct pictures per second: ``fps`` less the frames repeating the previous one."""
        return self.fps * (1.0 - self.repeated_fraction())

    def xy(self, index: int) -> np.ndarray:
        """(T, 2) pixel trajectory of one landmark."""
        return self.landmarks[:, index, :2]
