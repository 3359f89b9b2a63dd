"""Transfer of severity to expressions of the disease a model never saw.

Usage:
    python bench/expression_transfer.py [--set .cache/ds_expr] [--reference REF.json]
        [--families monotone_boosting gradient_boosting random_forest ridge] [--json OUT]
        [--landmarks mediapipe exact] [--normal-set .cache/normal120]

The set is a phantom folder rendered by ``posescore phantom --dataset`` (its manifest names
each subject's expression family). Each model family is fitted with one expression family
held out at a time (subjects whole, as ``posescore train`` does) and scored on it, through
MediaPipe (pose from the cache after the first run). For each held-out family it prints:
Spearman of the affected leg, affected side right for legs of severity >= 2, the median
reading of healthy legs, the near-side legs of severity >= 3.5 in side views (lowest and
median reading), MAE and the coverage of the cross-checked interval. ``posescore evaluate
FOLDER --hold-out-family`` prints the same for the shipped model's recipe only.

``--landmarks exact`` repeats it on the phantom's exact projected joints
(``model_ceiling.exact_features``): what a perfect pose estimator would give these features
and models. Its normative reference is fitted on the exact joints of the healthy walks in
``--normal-set`` (``posescore normative`` reads MediaPipe's), so that both rows measure
deviations from healthy walking seen through the same landmarks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_ceiling import exact_features  # noqa: E402

from posescore.cli.models import evaluation_text, transfer_text  # noqa: E402
from posescore.config import Settings  # noqa: E402
from posescore.evaluation import per_group_metrics, severity_metrics  # noqa: E402
from posescore.features import leg_measure_names  # noqa: E402
from posescore.labelled import (  # noqa: E402
    design_matrix,
    featurise,
    labelled_folder,
    scorable_only,
)
from posescore.model import FAMILIES, LegSeverityModel  # noqa: E402
from posescore.normative import fit_reference, load_reference  # noqa: E402
from posescore.training import cv_groups, cv_splits, out_of_fold  # noqa: E402


def exact_reference(normal_set: Path, measures: list[str], settings: Settings) -> dict:
    """Normative reference from the exact joints of a phantom folder's healthy walks."""
    videos = [v for v in labelled_folder(normal_set) if not any(v.severity.values())]
    walks = [(d.features, d.view) for d in exact_features(videos, settings)]
    return fit_reference(walks, measures, f"exact joints of {len(walks)} healthy walks").to_dict()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, default=Path(".cache/ds_expr"))
    ap.add_argument("--reference", type=Path, help="normative reference (default: shipped)")
    ap.add_argument("--families", nargs="+", default=list(FAMILIES))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--landmarks", nargs="+", choices=("mediapipe", "exact"),
                    default=["mediapipe"])
    ap.add_argument("--normal-set", type=Path, default=Path(".cache/normal120"),
                    help="phantom folder of healthy walks, for the exact landmarks' reference")
    args = ap.parse_args()
    settings = Settings()
    start = time.perf_counter()
    data = scorable_only(featurise(labelled_folder(args.set), settings, args.workers), "set")
    print(f"{len(data)} scorable clips featurised in {time.perf_counter() - start:.0f} s")
    measures = leg_measure_names()
    sources = {"mediapipe": (data, load_reference(args.reference).to_dict())}
    if "exact" in args.landmarks:
        sources["exact"] = (exact_features([d.video for d in data], settings),
                            exact_reference(args.normal_set, measures, settings))
    groups, grouping = cv_groups(data)
    out: dict = {}
    for source in args.landmarks:
        featurised, reference = sources[source]
        X, y, subjects = design_matrix(featurised, measures)
        for family in args.families:
            start = time.perf_counter()
            model = LegSeverityModel(family=family, reference=reference, measures=measures)
            pred, interval = out_of_fold(model, X, y, groups, cv_splits(groups, grouping),
                                         measures, settings.model)
            per_group = per_group_metrics(y, pred, subjects, groups, interval, X[:, -1])
            overall = severity_metrics(y, pred, subjects, interval, model.interval_coverage,
                                       X[:, -1])
            label = f"{family}, {source} landmarks"
            print()
            print(transfer_text(per_group, f"{label}: leave one of {len(set(groups))} groups "
                                           f"out ({time.perf_counter() - start:.0f} s)"))
            print(evaluation_text(overall, f"{label}, all held-out groups together"))
            out.setdefault(source, {})[family] = {"per_group": per_group, "overall": overall}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
