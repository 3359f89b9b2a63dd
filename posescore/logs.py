"""Process-wide logging set-up shared by the command line and the service's workers."""

from __future__ import annotations

import os


def quiet_native_logs() -> None:
    """Keep OpenCV's and FFmpeg's own messages off stderr (our errors say what went wrong)."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe/TensorFlow Lite info lines
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
