"""Speed features without MediaPipe: one decoding pass, prefetch, strides, chunks, meta index."""

import os
import subprocess
import threading

import numpy as np
import pytest
from pose_support import FakeBackend, pose_settings, write_grey_video
from pydantic import ValidationError

import posescore.pose.extract as extract_mod
from posescore.config import PoseConfig
from posescore.errors import VideoError
from posescore.phantom.writer import ffmpeg_path
from posescore.pose import effective_stride, extract_pose_meta, extractor_version
from posescore.pose.chunks import chunk_bounds
from posescore.video import counted_meta, prefetch, probe_video


def test_effective_stride_never_below_tremor_rate():
    assert effective_stride(60.0, PoseConfig()) == 1
    assert effective_stride(60.0, PoseConfig(max_pose_fps=30)) == 2
    assert effective_stride(60.0, PoseConfig(max_pose_fps=20)) == 3
    assert effective_stride(30.0, PoseConfig(max_pose_fps=30)) == 1
    assert effective_stride(25.0, PoseConfig(max_pose_fps=20, frame_stride=1)) == 1
    with pytest.raises(ValidationError):
        PoseConfig(max_pose_fps=15)


def test_prefetch_passes_items_and_errors():
    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))

    def broken():
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        list(prefetch(broken()))


def test_prefetch_stops_its_thread_when_closed():
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    gen = prefetch(endless(), depth=2)
    assert next(gen) == 0
    gen.close()
    assert not [t for t in threading.enumerate() if t.name == "posescore-decode"]


def test_counted_meta_checks_like_probe(tmp_path):
    meta = probe_video(write_grey_video(tmp_path / "v.mp4"), count_frames=False)
    assert counted_meta(meta, 30).frame_count == 30
    short = counted_meta(meta, 20)
    assert short.frame_count == 20 and "truncated" in [w.code for w in short.warnings]
    with pytest.raises(VideoError, match="too few frames"):
        counted_meta(meta, 3)


def test_chunk_bounds_cover_every_frame_once(tmp_path):
    meta = probe_video(write_grey_video(tmp_path / "v.mp4", n=300))
    cfg = PoseConfig(chunks=2, chunk_min_s=4.0, chunk_overlap_s=1.0, chunk_lead_frames=0)
    bounds = chunk_bounds(meta, cfg, 1)
    assert bounds == [(0, 0, 150), (120, 150, None)]
    lead = cfg.model_copy(update={"chunk_lead_frames": 30})  # the first chunk starts at once
    assert chunk_bounds(meta, lead, 1) == [(0, 0, 165), (135, 165, None)]
    assert chunk_bounds(meta, lead, 2) == [(0, 0, 180), (150, 180, None)]  # 30 inferred frames
    assert chunk_bounds(meta, PoseConfig(), 1) == [(0, 0, None)]  # 10 s < 2 x chunk_min_s
    assert len(chunk_bounds(meta, cfg.model_copy(update={"chunks": 3}), 1)) == 2  # >= 4 s each
    short = probe_video(write_grey_video(tmp_path / "s.mp4", n=60))
    assert len(chunk_bounds(short, cfg, 1)) == 1  # shorter than 2 x chunk_min_s: not split


def test_chunks_on_a_given_backend_run_in_turn_from_a_reset_and_cover_each_frame_once(tmp_path):
    path = write_grey_video(tmp_path / "v.mp4", n=120)
    whole = extract_pose_meta(path, pose_settings(tmp_path / "a"), backend=FakeBackend())[0]
    backend = FakeBackend()
    chunked, _, meta = extract_pose_meta(
        path, pose_settings(tmp_path / "b", chunks=3, chunk_min_s=1.0, chunk_overlap_s=0.5),
        backend=backend,
    )
    assert backend.resets == 2  # a fresh track for each chunk after the first
    assert backend.calls == 120 + 2 * 15  # every frame once, plus each warm-up
    np.testing.assert_array_equal(chunked.timestamps_s, whole.timestamps_s)
    assert meta.frame_count == 120 and chunked.n_frames == 120
    assert "chunks=3@0.5s>=1s" in chunked.extractor and chunked.extractor != whole.extractor


def test_one_pass_counts_frames_and_cached_rescore_neither_hashes_nor_decodes(
    tmp_path, monkeypatch
):
    path = write_grey_video(tmp_path / "v.mp4", n=40)
    settings = pose_settings(tmp_path)
    backend = FakeBackend()
    pose, from_cache, meta = extract_pose_meta(path, settings, backend=backend)
    assert not from_cache and backend.calls == 40 and pose.n_frames == 40
    assert meta == probe_video(path)  # the pass's count equals the probe's counting pass

    def refuse(*args, **kwargs):
        raise AssertionError("probed again")

    monkeypatch.setattr(extract_mod, "probe_video", refuse)
    monkeypatch.setattr("posescore.video.probe.sha256_file", refuse)
    again, from_cache, meta2 = extract_pose_meta(path, settings, backend=backend)
    assert from_cache and meta2 == meta and backend.calls == 40
    np.testing.assert_array_equal(again.landmarks, pose.landmarks)

    st = path.stat()  # a changed file (new mtime) is probed again
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="probed again"):
        extract_pose_meta(path, settings, backend=backend)


def test_stride_and_whole_factor_enter_the_cache_key():
    base = extractor_version(PoseConfig())
    assert "wholedown" in base
    assert extractor_version(PoseConfig(max_pose_fps=30)) != base
    assert extractor_version(PoseConfig(chunks=3)) != base
    assert extractor_version(PoseConfig(chunk_min_s=20)) != base



def test_backend_error_stops_the_decoding_thread(tmp_path):
    class Broken(FakeBackend):
        def process(self, frame_rgb):
            super().process(frame_rgb)
            if self.calls == 5:
                raise RuntimeError("backend failed")
            return None

    path = write_grey_video(tmp_path / "v.mp4", n=40)
    with pytest.raises(RuntimeError, match="backend failed"):
        extract_pose_meta(path, pose_settings(tmp_path), backend=Broken())
    assert not [t for t in threading.enumerate() if t.name == "posescore-decode"]


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")
def test_chunks_of_a_truncated_video_keep_every_decodable_frame_once(tmp_path):
    """The header promises more frames than decode: chunks split by it still add up."""
    src = write_grey_video(tmp_path / "v.mp4", n=150, size=(160, 96))
    whole = tmp_path / "faststart.mp4"  # index first, so a cut file still declares 150
    subprocess.run([ffmpeg_path(), "-loglevel", "error", "-y", "-i", str(src), "-c", "copy",
                    "-movflags", "+faststart", str(whole)], check=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    settings = pose_settings(tmp_path, chunks=2, chunk_min_s=1.0, chunk_lead_frames=0)
    pose, _, meta = extract_pose_meta(cut, settings, backend=FakeBackend())
    assert 0 < meta.frame_count < 150
    assert "truncated" in [w.code for w in meta.warnings]
    assert pose.n_frames == meta.frame_count
    assert np.all(np.diff(pose.timestamps_s) > 0)
