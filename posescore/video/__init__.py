"""Read walking videos: metadata, upright BGR frames, and clear errors for bad files.

Modules: ``files`` (checks before OpenCV opens a file, content hash), ``capture`` (OpenCV
capture and its properties), ``reader`` (``VideoReader``), ``probe`` (``probe_video``,
``counted_meta``), ``stream`` (``iter_frames``, ``prefetch``) and ``source``
(``FrameSource``: one video's frames shared by every pass of the pose stage).

Every refusal is a :class:`~posescore.errors.VideoError` with a one-line message that names
the problem and the file's base name. Policy, in the order the checks run:

===================================  =======================================================
input                                policy
===================================  =======================================================
path does not exist                  refuse: "video file not found"
path is a directory                  refuse: "is a directory"
not a regular file (FIFO, device)    refuse: "not a regular file" (never opened: no hang)
0-byte file                          refuse: "empty (0 bytes)"
no read permission                   refuse: "permission denied"
image, text, PDF or ZIP file         refuse by magic bytes before OpenCV sees it: "not a
                                     video: ... looks like a PNG image" (OpenCV's FFmpeg
                                     backend would open an image as a 1-frame video). PNG,
                                     JPEG (also raw MJPEG streams: they carry no frame
                                     rate), GIF, BMP, TIFF, WebP, HEIF/AVIF are refused.
unknown bytes OpenCV cannot open     refuse: "not a video ... unrecognised format"
video container OpenCV cannot open   refuse: "truncated or corrupt" (e.g. an mp4 cut before
                                     its moov atom)
fps 0, NaN or missing                refuse: "fps missing or invalid"
fps outside [min_fps, max_fps]       refuse: "implausible fps"
opens but no frame decodes           refuse: "no decodable frames"
fewer than ``min_frames`` frames     refuse: "too few frames" (+ "truncated or corrupt" when
                                     the container declared more)
longer than ``max_duration_s``       refuse: "too long"
short side below ``min_side_px``     refuse: "frame too small"
fewer frames decode than declared    accept if at least ``min_frames`` decode: ``probe_video``
                                     reports the decodable count and a "truncated or corrupt"
                                     line in ``VideoMeta.warnings``; iteration stops cleanly
                                     at the real end and adds a warning to
                                     ``VideoReader.warnings`` (and the log)
container frame count 0/NaN/absurd   count by decoding (``grab()`` only)
a frame that grabs but won't decode  skipped with a warning; the other frames keep their
                                     indices, so the gap is visible to the caller
non-square pixels (anamorphic)      frames stretched to the display width (``pixel_aspect``)
a damaged stretch (grabs fail)       up to ``GRAB_RETRIES`` failed grabs in a row are tried
                                     past with a warning; the frames after it decode and
                                     their time stamps show the gap
===================================  =======================================================

Rotation. OpenCV's FFmpeg backend reports the container's display matrix as
``CAP_PROP_ORIENTATION_META``: the clockwise angle (0, 90, 180, 270) that turns a stored
frame upright. Whether OpenCV also turns the frames itself (``CAP_PROP_ORIENTATION_AUTO``)
has differed between builds: OpenCV's source defaults it on, but the opencv-contrib-python
4.11 wheel checked here reports 0 after opening and delivers stored (sideways) frames.
The reader therefore asks for ``AUTO = 0``, reads it back, and rotates frames itself only
when OpenCV does not, so frames come out upright exactly once. It rotates after any
downscale (less work). Mirroring in the display matrix is not handled.

Timestamps are the container's presentation times (``CAP_PROP_POS_MSEC``), which are right
for variable-frame-rate phone videos; where a stamp is missing or not increasing, the rest
continue from the last good stamp at 1 / fps spacing and a warning is recorded.
"""

from posescore.video.capture import pixel_aspect
from posescore.video.files import HASH_CHUNK_BYTES, sha256_file
from posescore.video.probe import counted_meta, later_luma, probe_video
from posescore.video.reader import GRAB_RETRIES, READER_VERSION, VideoReader, mean_luma
from posescore.video.source import FrameSource
from posescore.video.stream import iter_frames, prefetch

__all__ = [
    "GRAB_RETRIES",
    "FrameSource",
    "HASH_CHUNK_BYTES",
    "READER_VERSION",
    "VideoReader",
    "counted_meta",
    "iter_frames",
    "later_luma",
    "mean_luma",
    "pixel_aspect",
    "prefetch",
    "probe_video",
    "sha256_file",
]
