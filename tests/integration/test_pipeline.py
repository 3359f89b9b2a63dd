"""End to end through MediaPipe on phantom videos with known truth (slow)."""

import csv
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from contract_support import assert_matches_schema

from posescore.config import ExecutionConfig, Settings
from posescore.phantom import PhantomParams, render_phantom
from posescore.score import score_video

pytestmark = pytest.mark.slow

CONTRACT_KEYS = {
    "video": {"path", "sha256", "fps", "frame_count", "duration_s", "width", "height"},
    "quality": {"scorable", "pose_detected_fraction", "legs_visible_fraction", "warnings"},
    "gait": {"cadence_steps_per_min", "stride_time_s", "stride_time_cv", "step_count"},
    "model": {"name", "version", "trained_on", "clinically_validated"},
}
LEG_KEYS = {"severity", "severity_class", "severity_interval", "probabilities", "phenomenology"}


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    out = tmp_path_factory.mktemp("phantoms")
    specs = {
        "healthy": PhantomParams(affected_side="none", severity=0, view="sagittal_right", seed=901),
        "right4": PhantomParams(affected_side="right", severity=4, view="sagittal_right", seed=902),
        "right3": PhantomParams(affected_side="right", severity=3, view="sagittal_right", seed=903),
    }
    videos = {}
    for name, params in specs.items():
        path = out / f"{name}.mp4"
        videos[name] = (path, render_phantom(params, path))
    return videos


@pytest.fixture(scope="module")
def scores(phantoms):
    return {name: score_video(path, Settings()).to_dict() for name, (path, _) in phantoms.items()}


def test_contract_keys_present(scores):
    for score in scores.values():
        assert_matches_schema("score", score)
    result = scores["right4"]
    for block, keys in CONTRACT_KEYS.items():
        assert keys <= set(result[block]), block
    for side in ("left", "right"):
        assert LEG_KEYS <= set(result["legs"][side])
        assert len(result["legs"][side]["probabilities"]) == 5
    assert result["view"] in {"sagittal_left", "sagittal_right", "frontal", "posterior", "oblique"}
    assert result["affected_side"] in {"left", "right", "both", "none"}
    assert result["model"]["trained_on"] == "phantom"
    assert result["model"]["clinically_validated"] is False
    json.dumps(result, allow_nan=False)  # strictly valid JSON, no NaN


@pytest.mark.parametrize("name", ["right4", "right3"])
def test_affected_leg_scores_higher(scores, name):
    result = scores[name]
    assert result["quality"]["scorable"], result["quality"]["warnings"]
    affected = result["legs"]["right"]["severity"]
    assert affected > scores["healthy"]["legs"]["right"]["severity"]
    assert affected > result["legs"]["left"]["severity"]
    assert result["affected_side"] in {"right", "both"}


@pytest.mark.parametrize("name", ["healthy", "right3"])
def test_cadence_within_10_percent(scores, phantoms, name):
    truth = phantoms[name][1]["cadence_steps_per_min"]
    measured = scores[name]["gait"]["cadence_steps_per_min"]
    assert measured == pytest.approx(truth, rel=0.10)


def _rewrite(src, dst, change=None, copies=1):
    """Copy a video frame by frame (mp4v), each frame passed through ``change`` and written
    ``copies`` times at ``copies`` x the frame rate (no rotation metadata)."""
    reader = cv2.VideoCapture(str(src))
    fps = reader.get(cv2.CAP_PROP_FPS) * copies
    writer = None
    while True:
        ok, frame = reader.read()
        if not ok:
            break
        frame = frame if change is None else np.ascontiguousarray(change(frame))
        if writer is None:
            size = (frame.shape[1], frame.shape[0])
            writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        for _ in range(copies):
            writer.write(frame)
    reader.release()
    writer.release()
    return dst


def _assert_scores_like(result, original):
    """Scorable, same view, right leg within 0.5 and cadence within 5 % of ``original``."""
    assert result["quality"]["scorable"], result["quality"]["warnings"]
    assert result["view"] == original["view"]
    assert result["legs"]["right"]["severity"] == pytest.approx(
        original["legs"]["right"]["severity"], abs=0.5
    )
    assert result["gait"]["cadence_steps_per_min"] == pytest.approx(
        original["gait"]["cadence_steps_per_min"], rel=0.05
    )


def test_video_turned_sideways_without_rotation_metadata_scores_like_upright(
    tmp_path, phantoms, scores
):
    """A phone video whose rotation tag was lost: frames stored turned 90 deg clockwise."""
    turned = _rewrite(
        phantoms["right3"][0], tmp_path / "sideways.mp4",
        lambda frame: cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE),
    )
    result = score_video(turned, Settings()).to_dict()
    upright = scores["right3"]
    assert result["video"]["rotation_deg"] == 270
    assert (result["video"]["width"], result["video"]["height"]) == (
        upright["video"]["width"], upright["video"]["height"]
    )
    turned = [w for w in result["quality"]["warnings"] if w["code"] == "picture_turned"]
    assert turned and "sideways" in turned[0]["message"] and turned[0]["stage"] == "video"
    _assert_scores_like(result, upright)


def test_video_converted_to_twice_the_frame_rate_by_duplication_scores_like_the_original(
    tmp_path, phantoms, scores
):
    doubled = _rewrite(phantoms["right3"][0], tmp_path / "doubled.mp4", copies=2)
    result = score_video(doubled, Settings()).to_dict()
    original = scores["right3"]
    assert result["video"]["fps"] == pytest.approx(2 * original["video"]["fps"])
    repeats = [w["message"] for w in result["quality"]["warnings"]
               if w["code"] == "repeated_frames"]
    assert repeats and 40 <= int(repeats[0].split("%")[0]) <= 50, repeats
    assert result["quality"]["scorable"], result["quality"]["warnings"]
    assert result["legs"]["right"]["severity"] == pytest.approx(
        original["legs"]["right"]["severity"], abs=0.3
    )
    assert result["gait"]["cadence_steps_per_min"] == pytest.approx(
        original["gait"]["cadence_steps_per_min"], rel=0.05
    )


def test_legs_only_picture_is_refused_with_the_reason(tmp_path, phantoms):
    """The lower 55 % of the frame: MediaPipe still places a body, the trunk outside it."""
    legs = _rewrite(
        phantoms["right3"][0], tmp_path / "legs.mp4",
        lambda frame: frame[int(0.45 * frame.shape[0]):],
    )
    result = score_video(legs, Settings()).to_dict()
    assert result["quality"]["trunk_in_frame_fraction"] < 0.5
    assert result["quality"]["scorable"] is False
    assert "trunk_out_of_frame" in [w["code"] for w in result["quality"]["not_scorable_reasons"]]


def test_walk_there_and_back_scores_the_longest_stretch(tmp_path, phantoms, scores):
    """The right3 walk (right side to the camera), then the same subject turned around."""
    back = tmp_path / "back.mp4"
    render_phantom(PhantomParams(affected_side="right", severity=3, view="sagittal_left",
                                 seed=904, duration_s=3.0), back)
    both = tmp_path / "there_and_back.mp4"
    writer = cv2.VideoWriter(str(both), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 480))
    for part in (phantoms["right3"][0], back):
        reader = cv2.VideoCapture(str(part))
        ok, frame = reader.read()
        while ok:
            writer.write(frame)
            ok, frame = reader.read()
        reader.release()
    writer.release()
    result = score_video(both, Settings()).to_dict()
    assert "subject_turned" in [w["code"] for w in result["quality"]["warnings"]]
    _assert_scores_like(result, scores["right3"])


def _rolled(frame, clockwise_deg):
    h, w = frame.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), -clockwise_deg, 1.0)
    return cv2.warpAffine(frame, turn, (w, h), borderValue=(128, 128, 128))


def test_tilted_camera_is_levelled_and_scores_close_to_upright(tmp_path, phantoms, scores):
    tilted = _rewrite(phantoms["right3"][0], tmp_path / "tilted.mp4", lambda f: _rolled(f, 15))
    result = score_video(tilted, Settings()).to_dict()
    upright = scores["right3"]
    assert "camera_tilted" in [w["code"] for w in result["quality"]["warnings"]]
    assert result["quality"]["scorable"], result["quality"]["warnings"]
    assert result["affected_side"] == "right"
    assert result["legs"]["left"]["severity"] < 0.3
    assert result["legs"]["right"]["severity"] == pytest.approx(
        upright["legs"]["right"]["severity"], abs=0.6
    )


def test_second_score_uses_pose_cache(phantoms, scores):
    path, _ = phantoms["healthy"]
    again = score_video(path, Settings()).to_dict()
    assert again["pose_from_cache"] is True
    assert again["legs"] == scores["healthy"]["legs"]


def test_batch_with_broken_file_scores_the_others(tmp_path, phantoms):
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("healthy", "right4"):
        (folder / f"{name}.mp4").write_bytes(phantoms[name][0].read_bytes())
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "posescore.cli", "batch", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["video"]: r for r in csv.DictReader(open(out / "scores.csv"))}
    assert set(rows) == {"broken.mp4", "healthy.mp4", "right4.mp4"}
    assert rows["broken.mp4"]["error"]
    for name in ("healthy.mp4", "right4.mp4"):
        assert rows[name]["error"] == ""
        assert float(rows[name]["right_severity"]) >= 0
        result = json.loads((out / f"{name}.json").read_text())
        assert result["legs"]["right"]["severity"] is not None
    severity = {name: float(rows[name]["right_severity"]) for name in ("right4.mp4", "healthy.mp4")}
    assert severity["right4.mp4"] > severity["healthy.mp4"]


def test_chunked_pose_does_not_depend_on_how_many_processes_track_it(tmp_path, phantoms):
    """Chunks tracked one after another here equal chunks tracked at once in two processes."""
    from posescore.pose import extract_pose_meta
    from posescore.pose.chunks import chunk_bounds

    path, _ = phantoms["right3"]
    poses, metas = {}, {}
    for processes in (1, 2):
        base = Settings()
        pose_cfg = base.pose.model_copy(update={"chunks": 2, "chunk_min_s": 3.0})
        execution = ExecutionConfig(
            chunk_processes=processes, cache_dir=tmp_path / f"cache{processes}"
        )
        poses[processes], _, metas[processes] = extract_pose_meta(
            path, base.model_copy(update={"pose": pose_cfg, "execution": execution})
        )
    assert len(chunk_bounds(metas[1], pose_cfg, 1)) == 2
    one, two = poses[1], poses[2]
    assert "chunks=2" in one.extractor and one.extractor == two.extractor
    assert one.n_frames == two.n_frames
    np.testing.assert_array_equal(one.landmarks, two.landmarks)
    assert one.subject == two.subject
