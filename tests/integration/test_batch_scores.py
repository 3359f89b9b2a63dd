"""A 2-worker batch scores every clip exactly as a single ``score_video`` run does."""

import pytest

from posescore.batch import run_batch
from posescore.config import Settings
from posescore.phantom import PhantomParams, render_phantom
from posescore.score import score_video

pytestmark = pytest.mark.slow


def _settings(cache):
    s = Settings()
    return s.model_copy(update={"execution": s.execution.model_copy(update={"cache_dir": cache})})


def test_two_worker_batch_equals_single_scores(tmp_path):
    videos = tmp_path / "videos"
    clips = {
        "a.mp4": PhantomParams(affected_side="left", severity=2.0, duration_s=3.0, seed=1),
        "b.mp4": PhantomParams(affected_side="right", severity=3.0, duration_s=5.0, seed=2,
                               view="sagittal_right"),
        "c.mp4": PhantomParams(affected_side="none", severity=0.0, duration_s=4.0, seed=3),
    }
    for name, params in clips.items():
        render_phantom(params, videos / name)
    (videos / "bad.mp4").write_bytes(b"not a video")

    summary = run_batch(videos, tmp_path / "out", _settings(tmp_path / "cache_batch"),
                        workers=2, progress=False)
    assert (summary.scored, summary.failed) == (len(clips), 1)
    rows = {r["video"]: r for r in summary.rows}
    assert rows["bad.mp4"]["error"]
    for name in clips:
        single = score_video(videos / name, _settings(tmp_path / "cache_single")).to_dict()
        got = rows[name]
        assert (got["left_severity"], got["right_severity"]) == (
            single["legs"]["left"]["severity"], single["legs"]["right"]["severity"]
        ), name
        assert got["affected_side"] == single["affected_side"]
