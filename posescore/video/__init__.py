"""Reading walking videos; the names the rest of posescore uses."""

from posescore.video.reader import (
    GRAB_RETRIES,
    HASH_CHUNK_BYTES,
    READER_VERSION,
    VideoReader,
    counted_meta,
    iter_frames,
    later_luma,
    mean_luma,
    pixel_aspect,
    prefetch,
    probe_video,
    sha256_file,
)

__all__ = [
    "GRAB_RETRIES",
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
