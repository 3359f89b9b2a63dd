"""Helpers of the pose-extraction tests: a small video and a MediaPipe stand-in."""

from __future__ import annotations

import cv2
import numpy as np

from posescore.config import Settings, SubjectConfig


def write_grey_video(path, n=30, fps=30.0, size=(96, 64)):
    """An mp4 of ``n`` flat grey frames, ``size`` = (width, height) px."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(n):
        frame = np.full((size[1], size[0], 3), (i * 37) % 256, np.uint8)  # each unlike the last
        writer.write(frame)
    writer.release()
    return path


class FakeBackend:
    """A pose backend that counts its calls and returns a fixed pose (0.5 everywhere)."""

    name = "fake"

    def __init__(self):
        self.calls = 0
        self.resets = 0

    def process(self, frame_rgb):
        self.calls += 1
        return np.full((33, 4), 0.5)

    def reset(self):
        self.resets += 1

    def close(self):
        pass


def pose_settings(tmp_path, **pose):
    """Default settings, the pose cache under ``tmp_path``, subject selection off."""
    s = Settings()
    return s.model_copy(
        update={
            "pose": s.pose.model_copy(update=pose),
            "execution": s.execution.model_copy(update={"cache_dir": tmp_path / "cache"}),
            "subject": SubjectConfig(enabled=False),
        }
    )
