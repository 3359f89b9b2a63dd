"""How much of the severity model's error is the pose estimator's: exact joints vs MediaPipe.

Usage:
    python bench/model_ceiling.py [--train .cache/ds_train] [--test .cache/ds_test]
                                  [--families ridge gradient_boosting]

Both sets are phantom folders (videos with ``*.truth.json``; the training one with the
``manifest.csv`` of ``posescore phantom --dataset``). For each source of landmarks, the same
features and the same ``LegSeverityModel`` are fitted on the training set (cross-validated
with the look-grouped folds of ``posescore train``) and scored on the held-out set:

- ``mediapipe``: the pipeline as shipped (pose from the cache after the first run);
- ``exact``: the phantom's exact projected joints (``events_check.exact_pose``), the
  features a perfect pose estimator would give.

The gap between the rows is what better landmarks could gain; the ``exact`` row is the
ceiling of these features and this model on the phantom. Both rows use the same clips: those
``posescore score`` scores through MediaPipe (``labelled.scorable_only``), as ``posescore
evaluate`` and training do.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from events_check import exact_pose  # noqa: E402

from posescore.config import Settings  # noqa: E402
from posescore.evaluation import severity_metrics  # noqa: E402
from posescore.features import leg_measure_names  # noqa: E402
from posescore.labelled import (  # noqa: E402
    LabelledFeatures,
    RatedVideo,
    design_matrix,
    featurise,
    labelled_folder,
    read_ratings,
    scorable_only,
)
from posescore.model import LegSeverityModel  # noqa: E402
from posescore.score import measure_pose  # noqa: E402
from posescore.training import cv_groups, out_of_fold  # noqa: E402

KEYS = (
    "spearman_affected_leg",
    "mae",
    "affected_side_accuracy_sev_ge_2",
    "auc_dystonic_vs_normal",
    "interval_coverage",
)


def exact_features(videos: list[RatedVideo], settings: Settings) -> list[LabelledFeatures]:
    """Features of each phantom clip from its exact projected joints."""
    out = []
    for video in videos:
        truth = json.loads(video.path.with_suffix(".truth.json").read_text())
        params = truth["params"]
        pose = exact_pose(truth, params["fps"], params["width"], params["height"])
        measured = measure_pose(pose, settings)
        out.append(LabelledFeatures(video, measured.traj.view, measured.features))
    return out


def main() -> None:
    """Print cross-validated and held-out metrics per landmark source and model family."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=".cache/ds_train")
    ap.add_argument("--test", default=".cache/ds_test")
    ap.add_argument("--families", nargs="+", default=["ridge", "gradient_boosting"])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    settings = Settings()
    train_videos = read_ratings(Path(args.train) / "manifest.csv")
    test_videos = labelled_folder(args.test)
    through_mediapipe = {
        "train": scorable_only(featurise(train_videos, settings, args.workers), "training"),
        "test": scorable_only(featurise(test_videos, settings, args.workers), "held-out"),
    }
    sets = {
        "mediapipe": through_mediapipe,
        "exact": {name: exact_features([d.video for d in data], settings)
                  for name, data in through_mediapipe.items()},
    }
    measures = leg_measure_names()
    header = " ".join(f"{k[:12]:>12s}" for k in KEYS)
    print(f"{'landmarks':10s} {'family':18s} {'set':9s} {header}")
    for source, featurised in sets.items():
        train, test = featurised["train"], featurised["test"]
        X, y, subjects = design_matrix(train, measures)
        X_test, y_test, subjects_test = design_matrix(test, measures)
        groups, _ = cv_groups(train)
        for family in args.families:
            model = LegSeverityModel(family=family)
            pred, interval = out_of_fold(model, X, y, groups)
            cv = severity_metrics(y, pred, subjects, interval, model.interval_coverage)
            model.fit(X, y, groups)
            held = severity_metrics(y_test, model.predict(X_test), subjects_test,
                                    model.predict_interval(X_test), model.interval_coverage)
            for name, m in (("cv", cv), ("held-out", held)):
                cells = " ".join(f"{m.get(k) if m.get(k) is not None else float('nan'):12.3f}"
                                 for k in KEYS)
                print(f"{source:10s} {family:18s} {name:9s} {cells}", flush=True)


if __name__ == "__main__":
    main()
