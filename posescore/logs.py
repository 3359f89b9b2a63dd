"""Process-wide logging set-up shared by the command line and the service's workers."""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\]"  # absl / glog lines
    rb"|INFO: Created TensorFlow Lite"  # TensorFlow Lite's own logger
    rb"|WARNING: All log messages before absl::InitializeLog\(\)"
    rb"|OpenCV: FFMPEG: (?:tag 0x[0-9a-f]{8}/'.{4}' is not supported|fallback to use tag))"
)
"""Lines that MediaPipe's native libraries write straight to file descriptor 2, and OpenCV's
complaint, printed whatever its log level, that the WebM muxer keeps its own codec tag (the
overlay is written all the same)."""


def quiet_native_logs() -> None:
    """Keep OpenCV's and FFmpeg's own messages off stderr (our errors say what went wrong)."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe/TensorFlow Lite info lines
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def filter_native_stderr() -> None:
    """Drop MediaPipe's native log lines (``NATIVE_LOG_LINE``) from this process's stderr.

    MediaPipe 0.10.21 writes absl and TensorFlow Lite lines to file descriptor 2 whatever
    ``GLOG_minloglevel`` says (absl logs there before ``InitializeLog``). File descriptor 2
    becomes a pipe read by a thread that passes every other line on to the real stderr; child
    processes (batch workers, pose chunks) inherit the pipe, so their lines are filtered too.
    At exit the real stderr is restored and the pipe drained.
    """
    real = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    drain = threading.Thread(target=_pass_on, args=(read_end, real), daemon=True)
    drain.start()

    def restore() -> None:
        sys.stderr.flush()
        os.dup2(real, 2)  # closes the last write end this process holds: the reader sees EOF
        drain.join(timeout=2.0)

    atexit.register(restore)


def _pass_on(read_end: int, real: int) -> None:
    """Copy lines from ``read_end`` to ``real`` except native log lines, until EOF."""
    with os.fdopen(read_end, "rb") as lines:
        for line in lines:
            if not NATIVE_LOG_LINE.match(line):
                os.write(real, line)
