"""``FrameSource``: one video's passes share its probe and capture, each frame decoded once."""

import cv2
import numpy as np
from pose_support import FakeBackend, pose_settings

from posescore.constants import LEFT_ANKLE, LEFT_HIP, RIGHT_ANKLE, RIGHT_HIP
from posescore.pose import extract_pose_meta
from posescore.video import FrameSource, iter_frames, probe_video


def write_grey_video(path, n=30, fps=30.0, size=(96, 64)):
    """An mp4 of ``n`` flat grey frames, each unlike the last, none dark (no ``later_luma``)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(n):
        writer.write(np.full((size[1], size[0], 3), 100 + (i * 37) % 128, np.uint8))
    writer.release()
    return path


def _frames(items):
    return [(i, t, f.copy()) for i, t, f in items]


def _assert_same(a, b):
    assert [(i, t) for i, t, _ in a] == [(i, t) for i, t, _ in b]
    assert all(np.array_equal(x[2], y[2]) for x, y in zip(a, b))


def test_the_first_pass_continues_the_probes_capture_from_its_frame_0(tmp_path, decode_counter):
    path = write_grey_video(tmp_path / "v.mp4", n=30)
    want_meta = probe_video(path, count_frames=False)
    want = _frames(iter_frames(path, stride=2, max_side_px=48))
    decode_counter.clear()
    with FrameSource.probe(path, count_frames=False) as source:
        assert source.meta == want_meta
        first = _frames(source.frames(stride=2, max_side_px=48))
        assert source.captures_opened == 1 and len(decode_counter) == 1
        assert decode_counter[0] == {"grabbed": 30, "retrieved": 15}  # frame 0 once
        again = _frames(source.frames(stride=2, max_side_px=48))  # a new pass: opened again
        assert source.captures_opened == 2 and len(decode_counter) == 2
    _assert_same(first, want)
    _assert_same(again, want)


def test_a_counting_probe_leaves_no_frame_for_the_pass(tmp_path, decode_counter):
    path = write_grey_video(tmp_path / "v.mp4", n=30)
    with FrameSource.probe(path, count_frames=True) as source:
        frames = _frames(source.frames())
        assert source.captures_opened == 2
    _assert_same(frames, _frames(iter_frames(path)))


def test_a_new_meta_takes_effect_at_the_next_pass(tmp_path):
    path = write_grey_video(tmp_path / "v.mp4", n=30, size=(96, 64))
    with FrameSource.probe(path, count_frames=False) as source:
        source.use_meta(source.meta.__class__(**{**source.meta.__dict__, "turn_deg": 90}))
        _, _, frame = next(source.frames())
    assert frame.shape[:2] == (96, 64)  # turned a quarter


def test_extraction_opens_the_video_once_and_decodes_each_frame_once(tmp_path, decode_counter):
    path = write_grey_video(tmp_path / "v.mp4", n=40)
    backend = FakeBackend()
    pose, _, meta = extract_pose_meta(path, pose_settings(tmp_path), backend=backend)
    assert backend.calls == 40 and meta.frame_count == 40
    assert decode_counter == [{"grabbed": 40, "retrieved": 40}]


class _LosesTheBody(FakeBackend):
    """A standing body, not found in calls 10-19 (frames 10-19 of the forward pass)."""

    def process(self, frame_rgb):
        body = super().process(frame_rgb)
        body[[LEFT_HIP, RIGHT_HIP], 1] = 0.4
        body[[LEFT_ANKLE, RIGHT_ANKLE], 1] = 0.8
        return None if 10 <= self.calls - 1 < 20 else body


def test_backfill_is_one_more_pass_from_the_first_gap(tmp_path, decode_counter):
    path = write_grey_video(tmp_path / "v.mp4", n=40)
    settings = pose_settings(tmp_path, backfill_min_gap_s=0.3, turn_upright=False)
    pose, _, _ = extract_pose_meta(path, settings, backend=_LosesTheBody())
    assert pose.subject["frames_tracked_backwards"] == 10
    assert np.isfinite(pose.landmarks).all()
    assert len(decode_counter) == 2 and decode_counter[0] == {"grabbed": 40, "retrieved": 40}
    backfill = decode_counter[1]
    assert backfill["retrieved"] < 20 and backfill["grabbed"] < 40  # from frame 10, to 25 or so


def test_a_pass_over_an_index_range_reads_nothing_after_it(tmp_path, decode_counter):
    path = write_grey_video(tmp_path / "v.mp4", n=30)
    with FrameSource(probe_video(path)) as source:
        decode_counter.clear()
        part = _frames(source.frames(4, 13, stride=3))
    assert [i for i, _, _ in part] == [4, 7, 10]
    _assert_same(part, _frames(iter_frames(path, stride=3, start_frame=4))[:3])
    assert decode_counter[0] == {"grabbed": 14, "retrieved": 4}  # frame 13 read, then stop
