import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posescore.evaluation import rater_agreement, severity_metrics
from posescore.labelled import (
    LabelledFeatures,
    RatedVideo,
    RatingsError,
    read_ratings,
    scorable_only,
)
from posescore.model import FAMILIES
from posescore.training import cv_groups


@pytest.fixture
def rated_dir(tmp_path):
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        (tmp_path / name).write_bytes(b"placeholder")
    return tmp_path


def _csv(folder, text):
    path = folder / "ratings.csv"
    path.write_text(text)
    return path


def _read_by_name(folder, text):
    return {v.path.name: v for v in read_ratings(_csv(folder, text))}


def test_ratings_mean_over_raters(rated_dir):
    videos = _read_by_name(
        rated_dir,
        "video,subject_id,left_severity,right_severity,rater\n"
        "a.mp4,s1,2,0,r1\na.mp4,s1,3,0,r2\nb.mp4,s2,0,1,r1\n",
    )
    assert videos["a.mp4"].severity == {"left": 2.5, "right": 0.0}
    assert set(videos["a.mp4"].raters) == {"r1", "r2"}
    assert videos["b.mp4"].subject_id == "s2"


def test_ratings_site_column_names_the_look_group(rated_dir):
    videos = _read_by_name(
        rated_dir,
        "video,subject_id,left_severity,right_severity,site\n"
        "a.mp4,s1,2,0,clinic-A\nb.mp4,s2,0,1, clinic-B \nc.mp4,s3,0,0,\n",
    )
    assert [videos[n].look for n in ("a.mp4", "b.mp4", "c.mp4")] == ["clinic-A", "clinic-B", ""]


def _labelled(subject, look):
    video = RatedVideo(Path(f"{subject}-{look}.mp4"), subject, {"left": 0.0, "right": 1.0},
                       look=look)
    return LabelledFeatures(video, "frontal", {})


def test_cv_groups_leave_out_looks_and_keep_subjects_whole():
    data = [_labelled(s, look) for s, look in
            [("s1", "A"), ("s1", "A"), ("s2", "B"), ("s3", "C"), ("s4", "C"), ("s4", "B"),
             ("s4", "C")]]
    groups, grouping = cv_groups(data)
    assert grouping == "look"
    # two rows (legs) per video; s4 filmed mostly at C goes wholly to C
    assert groups.tolist() == [g for g in ["A", "A", "B", "C", "C", "C", "C"] for _ in range(2)]


def test_phantom_truth_gives_the_look_family(tmp_path):
    from posescore.labelled import labelled_folder

    for name, family in (("a", 2), ("b", None)):
        (tmp_path / f"{name}.mp4").write_bytes(b"placeholder")
        truth = {"severity": {"left": 1.0, "right": 0.0}, "params": {"seed": 7}}
        if family is not None:
            truth["family"] = family
        (tmp_path / f"{name}.truth.json").write_text(json.dumps(truth))
    looks = {v.path.name: v.look for v in labelled_folder(tmp_path)}
    assert looks == {"a.mp4": "2", "b.mp4": ""}


@pytest.mark.parametrize("looks", [["A", "A", "B", "B"], ["A", "B", "C", ""]])
def test_cv_groups_fall_back_to_subjects(looks):
    """Fewer than 3 look groups, or a video without one: subject-grouped folds."""
    data = [_labelled(f"s{i}", look) for i, look in enumerate(looks)]
    groups, grouping = cv_groups(data)
    assert grouping == "subject"
    assert groups.tolist() == [f"s{i}" for i in range(len(looks)) for _ in range(2)]


@pytest.mark.parametrize(
    "body,message",
    [
        ("video,subject_id,left_severity\na.mp4,s1,1\n", "missing column(s) right_severity"),
        ("video,subject_id,left_severity,right_severity\nzz.mp4,s1,1,0\n",
         "ratings.csv, line 2: video 'zz.mp4' not found"),
        ("video,subject_id,left_severity,right_severity\na.mp4,s1,1,0\nb.mp4,s2,x,0\n",
         "ratings.csv, line 3: left_severity 'x' is not a number"),
        ("video,subject_id,left_severity,right_severity\na.mp4,s1,1,5\n",
         "ratings.csv, line 2: right_severity 5 is outside 0-4"),
        ("video,subject_id,left_severity,right_severity\na.mp4,,1,0\n",
         "ratings.csv, line 2: empty subject_id"),
        ("video,subject_id,left_severity,right_severity\n", "ratings.csv lists no rows"),
    ],
)
def test_bad_ratings_name_the_row(rated_dir, body, message):
    with pytest.raises(RatingsError) as info:
        read_ratings(_csv(rated_dir, body))
    assert message in str(info.value)


def test_bad_ratings_cli_one_line(rated_dir, tmp_path):
    path = _csv(rated_dir, "video,subject_id,left_severity,right_severity\na.mp4,s1,-1,0\n")
    proc = subprocess.run(
        [sys.executable, "-m", "posescore.cli", "train", str(path), "--out", str(tmp_path / "m")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    expected = "posescore: error: ratings.csv, line 2: left_severity -1 is outside 0-4"
    assert proc.stderr.strip() == expected


def test_videos_the_product_does_not_score_neither_train_nor_count():
    from posescore.errors import PosescoreError

    def labelled(name: str, scorable: bool) -> LabelledFeatures:
        video = RatedVideo(Path(name), name, {"left": 0.0, "right": 1.0})
        return LabelledFeatures(video, "frontal", {}, scorable)

    data = [labelled("a", True), labelled("b", False), labelled("c", True)]
    assert [d.video.subject_id for d in scorable_only(data, "test")] == ["a", "c"]
    assert scorable_only([], "test") == []
    with pytest.raises(PosescoreError, match="none of the 1 test videos is scorable"):
        scorable_only([labelled("b", False)], "test")


def test_severity_metrics_on_known_values():
    true = np.array([0, 3, 0, 0, 2, 0, 0, 4, 1, 0], dtype=float)
    pred = true + np.array([0.2, -0.3, 0.1, 0.2, 0.4, 0.0, 0.3, -0.5, 0.0, 0.1])
    groups = np.repeat(np.arange(5), 2)
    interval = np.column_stack([pred - 0.35, pred + 0.35])
    m = severity_metrics(true, pred, groups, interval, 0.9)
    assert m["mae"] == pytest.approx(np.mean(np.abs(pred - true)), abs=1e-3)
    assert m["affected_side_accuracy_sev_ge_2"] == 1.0 and m["n_affected_side_videos"] == 3
    assert m["auc_dystonic_vs_normal"] == 1.0
    assert m["interval_coverage"] == pytest.approx(0.8)  # two legs miss by 0.4 and 0.5
    assert sum(map(sum, m["class_confusion"])) == 10
    assert m["spearman_affected_leg"] > 0.9


def test_rater_agreement():
    ratings = np.array([[0, 0], [1, 2], [2, 2], [3, 4], [4, np.nan]], dtype=float)
    out = rater_agreement(ratings)
    assert out["n_rater_pairs"] == 1 and out["mae_mean"] == pytest.approx(0.5)


@pytest.mark.slow
def test_train_from_ratings_then_score_with_it(tmp_path):
    from posescore.phantom import PhantomParams, render_phantom

    rows = ["video,subject_id,left_severity,right_severity,rater"]
    for subject in range(3):
        for k, (side, sev) in enumerate((("none", 0.0), ("left", 3.0))):
            params = PhantomParams(affected_side=side, severity=sev, view="sagittal_left",
                                   seed=700 + 10 * subject + k, duration_s=4.0)
            name = f"s{subject}_{k}.mp4"
            render_phantom(params, tmp_path / name)
            left = sev
            rows.append(f"{name},subj{subject},{left},0,r1")
            rows.append(f"{name},subj{subject},{min(4.0, left + 0.5)},0,r2")
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("\n".join(rows) + "\n")
    model = tmp_path / "clinic.skops"
    proc = subprocess.run(
        [sys.executable, "-m", "posescore.cli", "train", str(ratings), "--out", str(model),
         "--workers", "1"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    card = json.loads(model.with_suffix(".card.json").read_text())
    assert card["trained_on"] == "clinic ratings" and card["clinically_validated"] is False
    assert set(card["family_comparison"]) == set(FAMILIES)
    assert card["estimator"].startswith("LegSeverityModel(family='monotone_boosting'")
    assert card["inter_rater_agreement"]["n_rater_pairs"] == 1
    out = tmp_path / "s0_1.json"
    proc = subprocess.run(
        [sys.executable, "-m", "posescore.cli", "score", str(tmp_path / "s0_1.mp4"),
         "--model", str(model), "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["model"]["name"] == "clinic" and result["model"]["sha256"] == card["sha256"]
    assert result["legs"]["left"]["severity"] > result["legs"]["right"]["severity"]


def test_train_phantom_refuses_a_work_dir_holding_another_set(tmp_path):
    from posescore.errors import PosescoreError
    from posescore.phantom.dataset import MANIFEST_COLUMNS
    from posescore.training import train_on_phantom

    with open(tmp_path / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(MANIFEST_COLUMNS) + "\n")
        row = {c: "" for c in MANIFEST_COLUMNS}
        row.update(video="s1_00000_c0_f0_frontal_in_place.mp4", seed="7")
        fh.write(",".join(row[c] for c in MANIFEST_COLUMNS) + "\n")
    with pytest.raises(PosescoreError, match="already holds a phantom set of 1 clips"):
        train_on_phantom(tmp_path / "m.skops", tmp_path, n_videos=4, seed=1)
    assert not (tmp_path / "m.skops").exists()
