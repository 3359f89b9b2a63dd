"""Writing phantom frames to a video file, optionally stored rotated with rotation metadata.

Frames are encoded by OpenCV (MPEG-4 Part 2, ``mp4v``). A phone's portrait video stores its
frames sideways and a display rotation in the container; OpenCV cannot write that tag, so a
rotated clip is remuxed (stream copy, no re-encoding) by the ``ffmpeg`` program (Debian
package ``ffmpeg``). A low-bitrate clip (``bitrate_kbps``) is re-encoded by ffmpeg as H.264
(libx264) at that bitrate, like a phone or a messaging app would. Without ffmpeg both are
refused with a clear error; upright portrait frames (e.g. 720 x 1280) need no ffmpeg.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from posescore.errors import VideoError

_STORE_ROTATION = {
    # clockwise display rotation R -> how to turn an upright frame into the stored frame
    90: cv2.ROTATE_90_COUNTERCLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_CLOCKWISE,
}


def ffmpeg_path() -> str | None:
    """Path of the ffmpeg program, or None when it is not installed."""
    return shutil.which("ffmpeg")


def stored_frame(upright: np.ndarray, rotation_deg: int) -> np.ndarray:
    """The frame as stored in the file (``upright`` turned counter-clockwise).

    Rotating the stored frame clockwise by ``rotation_deg`` gives ``upright`` back: the
    convention of OpenCV's ``CAP_PROP_ORIENTATION_META`` and of ``posescore.video``.
    """
    if rotation_deg == 0:
        return upright
    return cv2.rotate(upright, _STORE_ROTATION[rotation_deg])


class ClipWriter:
    """Context manager: ``write(upright_frame)`` per frame; the file is complete on exit.

    Parameters
    ----------
    path : Path
        Output ``.mp4``.
    fps : float
        Frame rate, frames/s.
    size : (int, int)
        Upright (display) width and height, px.
    rotation_deg : {0, 90, 180, 270}
        Clockwise rotation that turns the stored frames upright (0 = store upright).
    bitrate_kbps : int, optional
        Re-encode as H.264 at this bitrate, kbit/s (None = keep OpenCV's ``mp4v``).

    Raises
    ------
    VideoError
        If the file cannot be written, or a rotation or bitrate is asked for without ffmpeg.

    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int], rotation_deg: int = 0,
                 bitrate_kbps: int | None = None):
        self.path = Path(path)
        self.rotation_deg = int(rotation_deg) % 360
        self.bitrate_kbps = bitrate_kbps
        if self.rotation_deg not in (0, 90, 180, 270):
            raise VideoError(f"rotation must be 0, 90, 180 or 270 degrees, not {rotation_deg}")
        self._post = bool(self.rotation_deg or bitrate_kbps)
        self._ffmpeg = ffmpeg_path() if self._post else None
        if self._post and self._ffmpeg is None:
            raise VideoError("writing rotation metadata or a low bitrate needs the ffmpeg "
                             "program (apt-get install ffmpeg); render upright mp4v instead")
        width, height = size
        self.stored_size = (height, width) if self.rotation_deg in (90, 270) else (width, height)
        self._target = self.path.with_name(self.path.stem + ".raw.mp4") if (
            self._post) else self.path
        self._writer = cv2.VideoWriter(str(self._target), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                       self.stored_size)
        if not self._writer.isOpened():
            raise VideoError(f"cannot write video {self.path.name}")

    def write(self, upright: np.ndarray) -> None:
        """Append one upright BGR frame."""
        self._writer.write(stored_frame(upright, self.rotation_deg))

    def close(self) -> None:
        """Finish the file (and add the rotation tag by a stream copy)."""
        self._writer.release()
        if not self._post:
            return
        ffmpeg = [str(self._ffmpeg), "-v", "error", "-y", "-i"]
        steps = []
        source = self._target
        if self.bitrate_kbps:
            k = int(self.bitrate_kbps)
            encoded = self.path.with_name(self.path.stem + ".h264.mp4") if (
                self.rotation_deg) else self.path
            steps.append(ffmpeg + [str(source), "-c:v", "libx264", "-preset", "veryfast",
                                   "-b:v", f"{k}k", "-maxrate", f"{k}k", "-bufsize", f"{2 * k}k",
                                   "-pix_fmt", "yuv420p", "-threads", "1", str(encoded)])
            source = encoded
        if self.rotation_deg:
            # a stream copy keeps the tag (ffmpeg 5 drops it when encoding); ffmpeg's legacy
            # "rotate" tag is counter-clockwise, OpenCV reports 360 minus it
            steps.append(ffmpeg + [str(source), "-c", "copy", "-metadata:s:v:0",
                                   f"rotate={(360 - self.rotation_deg) % 360}", str(self.path)])
        try:
            for cmd in steps:
                subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as exc:
            raise VideoError(f"ffmpeg could not finish {self.path.name}: "
                             f"{getattr(exc, 'stderr', b'')!r}") from exc
        finally:
            for tmp in {self._target, source} - {self.path}:
                tmp.unlink(missing_ok=True)

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self._writer.release()
            if self._post:
                self._target.unlink(missing_ok=True)
