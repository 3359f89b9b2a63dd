"""Batch helpers without MediaPipe: names, atomic JSON, resume check, CSV + Parquet tables."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from contract_support import score_dict

from posescore.batch import (
    _already_scored,
    anonymous_name,
    batch_row,
    find_videos,
    json_name,
    run_batch,
    unreadable_entries,
    write_json_atomic,
    write_tables,
)
from posescore.config import ModelConfig, Settings
from posescore.errors import ModelError, PosescoreError
from posescore.model_card import card_path, file_sha256

ROOT = Path(__file__).resolve().parents[2]


def result(left=1.0):
    return score_dict(
        video={"path": "x", "frame_count": 90, "duration_s": 3.0, "sha256": "ab"},
        legs={"left": {"severity": left}, "right": {"severity": 0.1}},
        affected_side="left",
        gait={"cadence_steps_per_min": 100.0},
        model={"sha256": "m1"},
        batch={"run_id": "r1", "scored_at": "2026-12-07T12:00:00Z", "model_sha256": "m1",
               "extractor": "e1"},
    )


def test_find_videos_is_recursive_and_by_suffix(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    names = ("a/b/one.MP4", "a/two.mov", "three.txt", "four.json", "a/five.MTS", "six.3gp")
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in find_videos(tmp_path)] == ["one.MP4", "five.MTS", "two.mov", "six.3gp"]


def test_anonymous_names_are_salted_and_stable():
    a = anonymous_name("site/patient_x.mp4", "salt1")
    assert a == anonymous_name("site/patient_x.mp4", "salt1") and len(a) == 16
    assert a != anonymous_name("site/patient_x.mp4", "salt2")
    assert "patient" not in a and json_name("a/b.mp4") == "a__b.mp4.json"


def test_resume_check_needs_same_model_and_extractor(tmp_path):
    path = tmp_path / "v.json"
    write_json_atomic(path, result())
    assert not list(tmp_path.glob(".*.tmp"))
    assert _already_scored(path, "m1", "e1") is not None
    assert _already_scored(path, "m2", "e1") is None
    assert _already_scored(path, "m1", "e2") is None
    write_json_atomic(path, {**result(), "schema_version": "1"})  # an older contract: re-score
    assert _already_scored(path, "m1", "e1") is None
    path.write_text("{half a file")
    assert _already_scored(path, "m1", "e1") is None


def test_tables_csv_and_parquet(tmp_path):
    rows = [batch_row("b.mp4", result(2.0)), batch_row("a.mp4", None, "not a video")]
    write_tables(tmp_path, rows)
    csv_rows = list(csv.DictReader(open(tmp_path / "scores.csv")))
    assert [r["video"] for r in csv_rows] == ["a.mp4", "b.mp4"]
    assert list(csv_rows[0])[:7] == ["video", "scorable", "left_severity", "right_severity",
                                     "affected_side", "cadence_steps_per_min", "error"]
    table = pq.read_table(tmp_path / "scores.parquet").to_pylist()
    assert table[1]["left_severity"] == 2.0 and table[0]["error"] == "not a video"
    assert table[0]["left_severity"] is None
    refused = score_dict(quality={"scorable": False, "not_scorable_reasons": [
        {"code": "too_dark", "stage": "quality", "message": "too dark"},
        {"code": "too_few_steps", "stage": "quality", "message": "only 2 steps"}]})
    assert batch_row("c.mp4", refused)["not_scorable_reason"] == "too dark; only 2 steps"


def test_batch_refuses_missing_folder_and_empty_folder(tmp_path):
    settings = Settings(model=ModelConfig(path=tmp_path / "none.skops"))
    with pytest.raises(PosescoreError, match="not a folder"):
        run_batch(tmp_path / "nope", tmp_path / "out", settings)
    (tmp_path / "empty").mkdir()
    with pytest.raises(PosescoreError, match="no video files"):
        run_batch(tmp_path / "empty", tmp_path / "out", settings)


def test_broken_links_and_pipes_get_error_rows(tmp_path):
    """Entries named like videos that cannot be read are rows with an error, not left out."""
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "gone.mp4").symlink_to(tmp_path / "missing.mp4")
    os.mkfifo(folder / "pipe.mp4")  # never opened: reading it would wait for a writer
    (folder / "sub.mp4").mkdir()  # a folder is searched, not scored
    assert find_videos(folder) == []
    assert unreadable_entries(folder) == [folder / "gone.mp4", folder / "pipe.mp4"]
    summary = run_batch(folder, tmp_path / "out", progress=False)
    assert (summary.total, summary.failed, summary.scored) == (2, 2, 0)
    rows = {r["video"]: r for r in csv.DictReader(open(tmp_path / "out" / "scores.csv"))}
    assert rows["gone.mp4"]["error"] == "not a video file: a broken link"
    assert rows["pipe.mp4"]["error"] == "not a video file: a pipe or device"


def test_a_model_the_workers_cannot_load_is_each_videos_error(tmp_path):
    """Its card matches, so the parent starts the workers; each video then names the problem
    (a worker that stopped would break the pool). In this process it fails at once.

    The parent of a 2-worker batch imports neither scikit-learn nor the pose stage (the
    workers do): it only checks the model's card.
    """
    model = tmp_path / "m.skops"
    model.write_bytes(b"not a zip archive")
    card_path(model).write_text(f'{{"sha256": "{file_sha256(model)}"}}')
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (folder / name).write_bytes(b"never read")
    settings = Settings(model=ModelConfig(path=model))
    with pytest.raises(ModelError, match="not a readable skops model file"):
        run_batch(folder, tmp_path / "out1", settings, workers=1, progress=False)
    code = f"""
import json, sys
from pathlib import Path
from posescore.batch import run_batch
from posescore.config import ModelConfig, Settings
if __name__ == "__main__":
    s = run_batch(Path({str(folder)!r}), Path({str(tmp_path / "out2")!r}),
                  Settings(model=ModelConfig(path={str(model)!r})), workers=2, progress=False)
    print(json.dumps([s.scored, [r["error"] for r in s.rows],
                      sorted(m for m in ("sklearn", "posescore.pose") if m in sys.modules)]))
"""
    (tmp_path / "run.py").write_text(code)
    done = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    scored, errors, parent_imports = json.loads(done.stdout.strip().splitlines()[-1])
    assert scored == 0 and len(errors) == 2
    assert all("m.skops is not a readable skops model file" in e for e in errors), errors
    assert parent_imports == []
