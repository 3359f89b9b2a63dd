"""Tests for posescore.video: probing, frame iteration, rotation and bad inputs.

Every video is generated in tmp_path with cv2.VideoWriter (no binary fixtures). Rotation
tests tag a copy with the ``ffmpeg`` binary and skip when it is not installed.
"""

from __future__ import annotations

import hashlib
import math
import os
import pathlib
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from posescore import video
from posescore.config import VideoConfig
from posescore.errors import VideoError
from posescore.video import VideoReader, iter_frames, mean_luma, probe_video, sha256_file
from posescore.video import files as video_files
from posescore.video import reader as video_reader

W, H, N, FPS = 160, 120, 30, 30.0
MARKER = (slice(0, 30), slice(0, 40))  # red block in the top-left corner of every frame


BITS = 5  # frame index written as 5 black/white 16x16 blocks along the bottom (robust to codecs)


def _bit_box(k: int, h: int, w: int) -> tuple[slice, slice]:
    """Block k of the index code, in a frame of size (h, w) (scales with downscaling)."""
    y0, y1 = round(96 * h / H), round(112 * h / H)
    x0, x1 = round((80 + 16 * k) * w / W), round((96 + 16 * k) * w / W)
    return slice(y0 + 1, y1 - 1), slice(x0 + 1, x1 - 1)


def write_video(
    path: Path, n: int = N, fps: float = FPS, fourcc: str = "mp4v", size: tuple[int, int] = (W, H)
) -> Path:
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cannot write {fourcc} test video"
    for i in range(n):
        frame = np.full((h, w, 3), 128, np.uint8)
        frame[MARKER] = (0, 0, 255)
        for k in range(BITS):
            frame[_bit_box(k, h, w)] = 255 if (i >> k) & 1 else 0
        writer.write(frame)
    writer.release()
    return path


def frame_index_from_content(frame: np.ndarray) -> int:
    h, w = frame.shape[:2]
    return sum(int(frame[_bit_box(k, h, w)].mean() > 128) << k for k in range(BITS))


def marker_centroid(frame: np.ndarray) -> tuple[float, float]:
    b, g, r = (frame[..., k].astype(int) for k in range(3))
    ys, xs = np.nonzero((r > 150) & (g < 100) & (b < 100))
    assert len(ys), "red marker not found"
    return float(ys.mean()), float(xs.mean())


@pytest.fixture
def mp4(tmp_path: Path) -> Path:
    return write_video(tmp_path / "walk.mp4")


@pytest.fixture
def avi(tmp_path: Path) -> Path:
    return write_video(tmp_path / "walk.avi", fourcc="MJPG")


class CaptureProxy:
    """Wraps a real cv2.VideoCapture to override properties and count calls."""

    def __init__(self, cap: cv2.VideoCapture, overrides: dict | None = None, force_auto=False):
        self._cap = cap
        self.overrides = overrides or {}
        self.force_auto = force_auto
        self.retrieves = 0
        self.released = False

    def get(self, prop: int) -> float:
        if prop in self.overrides:
            return self.overrides[prop]
        return self._cap.get(prop)

    def set(self, prop: int, value: float) -> bool:
        if self.force_auto and prop == cv2.CAP_PROP_ORIENTATION_AUTO:
            return self._cap.set(prop, 1)  # a build that rotates and ignores the request
        return self._cap.set(prop, value)

    def retrieve(self, *args):
        self.retrieves += 1
        return self._cap.retrieve(*args)

    def release(self) -> None:
        self.released = True
        self._cap.release()

    def __getattr__(self, name: str):
        return getattr(self._cap, name)


@pytest.fixture
def proxies(monkeypatch: pytest.MonkeyPatch):
    """Make every capture a CaptureProxy; configure via the returned dict."""
    made: list[CaptureProxy] = []
    settings: dict = {"overrides": {}, "force_auto": False}
    real_open = video_reader.open_capture

    def fake_open(path: Path) -> CaptureProxy:
        proxy = CaptureProxy(real_open(path), dict(settings["overrides"]), settings["force_auto"])
        made.append(proxy)
        return proxy

    monkeypatch.setattr(video_reader, "open_capture", fake_open)
    return settings, made


# ----------------------------------------------------------------------------- probe


@pytest.mark.parametrize("kind", ["mp4", "avi"])
def test_probe_good_video(kind: str, mp4: Path, avi: Path) -> None:
    path = mp4 if kind == "mp4" else avi
    meta = probe_video(path)
    assert meta.fps == pytest.approx(FPS)
    assert meta.frame_count == N
    assert meta.declared_frame_count == N
    assert (meta.width, meta.height) == (W, H)
    assert meta.rotation_deg == 0
    assert meta.codec == ("MJPG" if kind == "avi" else meta.codec) and meta.codec
    assert meta.duration_s == pytest.approx(N / FPS)
    assert meta.warnings == ()
    assert meta.path == str(path)
    assert meta.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_dark_video_is_flagged_once_bright_one_is_not(tmp_path: Path) -> None:
    dark = tmp_path / "dark.avi"
    writer = cv2.VideoWriter(str(dark), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    for _ in range(N):
        writer.write(np.full((H, W, 3), 20, np.uint8))
    writer.release()
    warnings = probe_video(dark).warnings
    assert [w.code for w in warnings] == ["low_light"] and "20/255" in warnings[0].message
    assert probe_video(dark, low_light_luma=10.0).warnings == ()  # quality.low_light_luma
    bright = probe_video(write_video(tmp_path / "ok.avi", fourcc="MJPG"))
    assert "low_light" not in [w.code for w in bright.warnings]
    assert mean_luma(np.full((4, 4), 7, np.uint8)) == 7.0  # grey frames too


def test_sha256_file_streams_across_chunks(tmp_path: Path) -> None:
    data = np.random.default_rng(0).bytes(2 * video.HASH_CHUNK_BYTES + 12345)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_probe_without_verification_trusts_container(mp4: Path) -> None:
    meta = probe_video(mp4, VideoConfig(verify_frame_count=False))
    assert meta.frame_count == N


# ----------------------------------------------------------------------------- iteration


@pytest.mark.parametrize("kind", ["mp4", "avi"])
def test_iter_all_frames(kind: str, mp4: Path, avi: Path) -> None:
    path = mp4 if kind == "mp4" else avi
    frames = list(iter_frames(path))
    assert [i for i, _, _ in frames] == list(range(N))
    np.testing.assert_allclose([t for _, t, _ in frames], np.arange(N) / FPS, atol=1e-6)
    for i, _, f in frames:
        assert f.shape == (H, W, 3) and f.dtype == np.uint8 and f.flags["C_CONTIGUOUS"]
        assert frame_index_from_content(f) == i


def test_stride_and_start_frame(avi: Path) -> None:
    frames = list(iter_frames(avi, stride=4, start_frame=2))
    indices = [i for i, _, _ in frames]
    assert indices == list(range(2, N, 4))
    np.testing.assert_allclose([t for _, t, _ in frames], np.array(indices) / FPS, atol=1e-6)
    assert [frame_index_from_content(f) for _, _, f in frames] == indices


def test_stride_retrieves_only_used_frames(avi: Path, proxies) -> None:
    _, made = proxies
    assert len(list(iter_frames(avi, stride=3))) == 10
    assert made[-1].retrieves == 10
    assert made[-1].released


@pytest.mark.parametrize(
    ("max_side", "shape"),
    [(80, (60, 80, 3)), (100, (75, 100, 3)), (160, (H, W, 3)), (999, (H, W, 3))],
)
def test_downscale_long_side(mp4: Path, max_side: int, shape: tuple[int, int, int]) -> None:
    frames = list(iter_frames(mp4, stride=10, max_side_px=max_side))
    assert [i for i, _, _ in frames] == [0, 10, 20]
    assert all(f.shape == shape and f.dtype == np.uint8 for _, _, f in frames)
    assert frame_index_from_content(frames[-1][2]) == 20


def test_iter_from_meta_matches_path(avi: Path) -> None:
    meta = probe_video(avi)
    a = [(i, t) for i, t, _ in iter_frames(meta, stride=5)]
    b = [(i, t) for i, t, _ in iter_frames(avi, stride=5)]
    assert a == b and len(a) == 6


def test_reader_context_and_restart(avi: Path) -> None:
    with VideoReader(avi) as reader:
        first = [i for i, _, _ in reader.frames(stride=7)]
        second = [i for i, _, _ in reader.frames(stride=7)]
        assert reader.fps == pytest.approx(FPS) and (reader.width, reader.height) == (W, H)
        assert reader.warnings == []
    assert first == second == [0, 7, 14, 21, 28]
    assert reader.closed
    with pytest.raises(ValueError, match="closed"):
        reader.frames()


def test_capture_released_on_early_stop_and_error(avi: Path, proxies) -> None:
    _, made = proxies
    gen = iter_frames(avi)
    next(gen)
    gen.close()
    assert made[-1].released
    with pytest.raises(RuntimeError):
        with VideoReader(avi) as reader:
            for _ in reader.frames():
                raise RuntimeError("consumer failed")
    assert made[-1].released


def test_bad_timestamps_fall_back_to_fps(avi: Path, proxies) -> None:
    settings, _ = proxies
    settings["overrides"] = {cv2.CAP_PROP_POS_MSEC: float("nan")}
    with VideoReader(avi) as reader:
        times = [t for _, t, _ in reader.frames(stride=2)]
    np.testing.assert_allclose(times, np.arange(0, N, 2) / FPS)
    assert "bad_timestamps" in [w.code for w in reader.warnings]


@pytest.mark.parametrize(
    "kwargs", [{"stride": 0}, {"stride": 1.5}, {"max_side_px": 0}, {"start_frame": -1}]
)
def test_bad_iteration_arguments(avi: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        iter_frames(avi, **kwargs)


# ----------------------------------------------------------------------------- bad inputs


def _assert_video_error(path: Path, phrase: str, cfg: VideoConfig | None = None) -> str:
    with pytest.raises(VideoError) as info:
        probe_video(path, cfg or VideoConfig())
    msg = str(info.value)
    assert phrase in msg.lower(), msg
    assert "\n" not in msg
    assert path.name in msg
    return msg


def test_missing_file(tmp_path: Path) -> None:
    _assert_video_error(tmp_path / "nope.mp4", "not found")
    with pytest.raises(VideoError, match="not found"):
        iter_frames(tmp_path / "nope.mp4")  # eager, before the first next()


def test_directory(tmp_path: Path) -> None:
    d = tmp_path / "clips.mp4"
    d.mkdir()
    _assert_video_error(d, "directory")


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.mp4"
    p.touch()
    _assert_video_error(p, "empty")


def test_text_file(tmp_path: Path) -> None:
    p = tmp_path / "notes.mp4"
    p.write_text("patient walked well today\n" * 50)
    _assert_video_error(p, "not a video")


@pytest.mark.parametrize(("ext", "label"), [(".png", "png"), (".jpg", "jpeg"), (".bmp", "bmp")])
def test_image_renamed_mp4(tmp_path: Path, ext: str, label: str) -> None:
    img = tmp_path / f"still{ext}"
    assert cv2.imwrite(str(img), np.zeros((H, W, 3), np.uint8))
    p = img.rename(tmp_path / "still.mp4")
    msg = _assert_video_error(p, "not a video")
    assert label in msg.lower()


def test_unknown_bytes(tmp_path: Path) -> None:
    p = tmp_path / "noise.mp4"
    p.write_bytes(np.random.default_rng(1).bytes(5000).replace(b"\x00", b"\x01"))
    _assert_video_error(p, "not a video")


def test_truncated_mp4_without_moov(mp4: Path, tmp_path: Path) -> None:
    data = mp4.read_bytes()
    assert data.find(b"moov") > len(data) // 2  # OpenCV writes the index at the end
    p = tmp_path / "cut.mp4"
    p.write_bytes(data[: len(data) // 2])
    _assert_video_error(p, "truncated")


def _truncated_avi(avi: Path, tmp_path: Path) -> Path:
    data = avi.read_bytes()
    p = tmp_path / "cut.avi"
    p.write_bytes(data[: len(data) // 2])
    return p


def test_truncated_avi_probe_reports_decodable_count(avi: Path, tmp_path: Path) -> None:
    p = _truncated_avi(avi, tmp_path)
    meta = probe_video(p, VideoConfig(min_frames=3))
    assert 3 <= meta.frame_count < N
    assert meta.declared_frame_count == N
    assert "truncated" in [w.code for w in meta.warnings]
    frames = list(iter_frames(meta))
    assert [i for i, _, _ in frames] == list(range(meta.frame_count))


def test_truncated_avi_iteration_stops_cleanly(avi: Path, tmp_path: Path) -> None:
    p = _truncated_avi(avi, tmp_path)
    cfg = VideoConfig(min_frames=3, verify_frame_count=False)
    meta = probe_video(p, cfg)
    assert meta.frame_count == N  # trusted the container
    with VideoReader(meta, cfg) as reader:
        n = sum(1 for _ in reader.frames())
    assert 0 < n < N
    assert "truncated" in [w.code for w in reader.warnings]


def test_truncated_below_min_frames(avi: Path, tmp_path: Path) -> None:
    msg = _assert_video_error(
        _truncated_avi(avi, tmp_path), "too few frames", VideoConfig(min_frames=20)
    )
    assert "truncated" in msg


def test_zero_frames(tmp_path: Path) -> None:
    p = write_video(tmp_path / "blank.avi", n=0, fourcc="MJPG")
    _assert_video_error(p, "no decodable frames")


def test_too_few_frames(tmp_path: Path) -> None:
    p = write_video(tmp_path / "short.avi", n=3, fourcc="MJPG")
    _assert_video_error(p, "too few frames")


def test_fps_too_low(tmp_path: Path) -> None:
    p = write_video(tmp_path / "slow.avi", fps=2, fourcc="MJPG")
    _assert_video_error(p, "fps")


def test_fps_too_high(avi: Path) -> None:
    _assert_video_error(avi, "fps", VideoConfig(max_fps=20))


@pytest.mark.parametrize("bad_fps", [0.0, float("nan"), -1.0])
def test_fps_missing(avi: Path, proxies, bad_fps: float) -> None:
    settings, made = proxies
    settings["overrides"] = {cv2.CAP_PROP_FPS: bad_fps}
    _assert_video_error(avi, "fps missing")
    assert made[-1].released


def test_too_long(avi: Path) -> None:
    _assert_video_error(avi, "too long", VideoConfig(max_duration_s=0.5))
    _assert_video_error(avi, "too long", VideoConfig(max_duration_s=0.5, verify_frame_count=False))


def test_frame_count_missing_is_counted(avi: Path, proxies) -> None:
    settings, _ = proxies
    settings["overrides"] = {cv2.CAP_PROP_FRAME_COUNT: -9.2e18}
    meta = probe_video(avi, VideoConfig(verify_frame_count=False))
    assert meta.frame_count == N and meta.declared_frame_count is None


def test_permission_denied(avi: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        avi.chmod(0)
        try:
            _assert_video_error(avi, "permission denied")
        finally:
            avi.chmod(0o644)
        return
    # root reads anything: simulate the OS refusal instead
    real_open = pathlib.Path.open

    def deny(self: Path, *args, **kwargs):
        if self == avi:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", deny)
    _assert_video_error(avi, "permission denied")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20, "refuse"),
        (b"\x00\x00\x00\x18ftypisom" + b"\x00" * 20, "video"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "refuse"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video"),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 20, "video"),
        (b"GIF89a" + b"\x00" * 20, "refuse"),
        (b"%PDF-1.7\n", "refuse"),
    ],
)
def test_sniff(head: bytes, kind: str) -> None:
    assert video_files._sniff(head)[0] == kind


# ----------------------------------------------------------------------------- rotation

FFMPEG = shutil.which("ffmpeg")


def _ffmpeg(*args: str) -> subprocess.CompletedProcess:
    assert FFMPEG is not None
    return subprocess.run([FFMPEG, "-v", "error", "-y", *args], capture_output=True, timeout=30)


def _tag_rotation(src: Path, dst: Path, degrees: int) -> bool:
    """Copy src with rotation metadata; newer ffmpeg ignores the old 'rotate' tag."""
    attempts = [
        ["-display_rotation", str(degrees), "-i", str(src), "-c", "copy", str(dst)],
        ["-i", str(src), "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}", str(dst)],
    ]
    for args in attempts:
        if _ffmpeg(*args).returncode == 0:
            cap = cv2.VideoCapture(str(dst), cv2.CAP_FFMPEG)
            meta = cap.get(cv2.CAP_PROP_ORIENTATION_META)
            cap.release()
            if math.isfinite(meta) and int(meta) % 360 != 0:
                return True
    return False


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, np.ndarray]]:
    """Rotation-tagged copies and ffmpeg's own (auto-rotated) first frame as ground truth."""
    if FFMPEG is None:
        pytest.skip("ffmpeg binary not installed")
    d = tmp_path_factory.mktemp("rot")
    src = write_video(d / "src.mp4")
    out: dict[int, tuple[Path, np.ndarray]] = {}
    for deg in (90, 180, 270):
        dst = d / f"rot{deg}.mp4"
        if not _tag_rotation(src, dst, deg):
            pytest.skip("this ffmpeg cannot write rotation metadata OpenCV reads")
        ref = d / f"rot{deg}.png"
        assert _ffmpeg("-i", str(dst), "-frames:v", "1", str(ref)).returncode == 0
        out[deg] = (dst, cv2.imread(str(ref)))
    return out


@pytest.mark.parametrize("deg", [90, 180, 270])
@pytest.mark.parametrize("opencv_rotates", [False, True])
def test_rotation_upright_exactly_once(rotated, proxies, deg: int, opencv_rotates: bool) -> None:
    settings, _ = proxies
    settings["force_auto"] = opencv_rotates
    path, ref = rotated[deg]
    meta = probe_video(path)
    assert meta.rotation_deg in (90, 180, 270)
    assert (meta.height, meta.width) == ref.shape[:2]
    if meta.rotation_deg in (90, 270):
        assert (meta.width, meta.height) == (H, W)
    with VideoReader(meta) as reader:
        assert reader._opencv_rotates is opencv_rotates
        _, _, frame = next(reader.frames())
    assert frame.shape == ref.shape
    assert np.allclose(marker_centroid(frame), marker_centroid(ref), atol=3)

    small = [f for _, _, f in iter_frames(meta, stride=10, max_side_px=80)]
    assert all(
        max(f.shape[:2]) == 80 and f.shape[:2] == (ref.shape[0] // 2, ref.shape[1] // 2)
        for f in small
    )
    cy, cx = marker_centroid(small[0])
    ry, rx = marker_centroid(ref)
    assert abs(2 * cy - ry) <= 4 and abs(2 * cx - rx) <= 4


def test_superseded_pass_ends_without_warning(avi: Path) -> None:
    with VideoReader(avi) as reader:
        old = reader.frames()
        next(old)
        assert len(list(reader.frames(stride=10))) == 3
        assert list(old) == []
        assert reader.warnings == []


def test_a_damaged_stretch_mid_file_is_skipped_not_taken_for_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random bytes over the middle of an H.264 file: the frames after them still count."""
    if FFMPEG is None:
        pytest.skip("ffmpeg binary not installed")
    src = tmp_path / "clean.mp4"
    made = _ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=6",
                   "-c:v", "libx264", "-pix_fmt", "yuv420p", str(src))
    if made.returncode != 0:
        pytest.skip("this ffmpeg cannot encode H.264")
    data = bytearray(src.read_bytes())
    rng = np.random.default_rng(0)
    for k in range(10):  # 10 kB of noise from 40 % of the file on
        at = int(len(data) * (0.4 + 0.01 * k))
        data[at:at + 1000] = rng.integers(0, 256, 1000, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    cfg = VideoConfig(min_frames=3)
    meta = probe_video(damaged, cfg)
    assert meta.frame_count >= 140  # of 180: most frames after the damage decode
    frames = list(iter_frames(meta))
    assert len(frames) == meta.frame_count
    times = np.array([t for _, t, _ in frames])
    assert times[-1] > 5.5 and np.all(np.diff(times) > 0)
    with VideoReader(meta, cfg) as reader:
        list(reader.frames())
        assert "damaged_frames_skipped" in [w.code for w in reader.warnings]
    monkeypatch.setattr(video_reader, "GRAB_RETRIES", 0)  # as before: the first failure ended it
    assert probe_video(damaged, cfg).frame_count < 100


def test_non_square_pixels_are_stretched_to_the_display_width(
    mp4: Path, tmp_path: Path
) -> None:
    """A frame stored half as wide with pixels twice as wide displays, and is read, full size."""
    if FFMPEG is None:
        pytest.skip("ffmpeg binary not installed")
    squeezed = tmp_path / "anamorphic.mp4"
    made = _ffmpeg("-i", str(mp4), "-vf", f"scale={W // 2}:{H},setsar=2", "-c:v", "libx264",
                   "-pix_fmt", "yuv420p", str(squeezed))
    if made.returncode != 0:
        pytest.skip("this ffmpeg cannot encode H.264")
    meta = probe_video(squeezed)
    assert (meta.width, meta.height) == (W, H)
    _, _, frame = next(iter(iter_frames(meta)))
    assert frame.shape[:2] == (H, W)
    _, _, original = next(iter(iter_frames(mp4)))
    np.testing.assert_allclose(marker_centroid(frame), marker_centroid(original), atol=2.0)
    assert video.pixel_aspect(1, 1) == 1.0 and video.pixel_aspect(0, 0) == 1.0
    assert video.pixel_aspect(64, 45) == pytest.approx(1.4222, abs=1e-4)


def test_a_dark_start_is_judged_by_the_picture_after_it(tmp_path: Path) -> None:
    """A lens covered for the first frames (or a fade-in) does not make the video dark."""
    path = tmp_path / "covered_start.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    for i in range(N):
        writer.write(np.full((H, W, 3), 0 if i < 5 else 140, np.uint8))
    writer.release()
    meta = probe_video(path)
    assert meta.luma == pytest.approx(140, abs=3)
    assert "low_light" not in [w.code for w in meta.warnings]
    assert math.isnan(video.later_luma(tmp_path / "missing.avi", N))
