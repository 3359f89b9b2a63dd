"""Transfer of severity to expressions of the disease a model never saw.

Usage:
    python bench/expression_transfer.py [--set .cache/ds_expr] [--reference REF.json]
        [--families monotone_boosting gradient_boosting random_forest ridge] [--json OUT]

The set is a phantom folder rendered by ``posescore phantom --dataset`` (its manifest names
each subject's expression family). Each model family is fitted with one expression family
held out at a time (subjects whole, as ``posescore train`` does) and scored on it, through
MediaPipe (pose from the cache after the first run). For each held-out family it prints:
Spearman of the affected leg, affected side right for legs of severity >= 2, the median
reading of healthy legs, the near-side legs of severity >= 3.5 in side views (lowest and
median reading), MAE and the coverage of the cross-checked interval. ``posescore evaluate
FOLDER --hold-out-family`` prints the same for the shipped model's recipe only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posescore.abnormality import load_reference  # noqa: E402
from posescore.cli import evaluation_text, transfer_text  # noqa: E402
from posescore.config import Settings  # noqa: E402
from posescore.evaluation import per_group_metrics, severity_metrics  # noqa: E402
from posescore.features import leg_measure_names  # noqa: E402
from posescore.model import FAMILIES, LegSeverityModel  # noqa: E402
from posescore.training import (  # noqa: E402
    cv_groups,
    cv_splits,
    design_matrix,
    featurise,
    labelled_folder,
    out_of_fold,
    scorable_only,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, default=Path(".cache/ds_expr"))
    ap.add_argument("--reference", type=Path, help="normative reference (default: shipped)")
    ap.add_argument("--families", nargs="+", default=list(FAMILIES))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    settings = Settings()
    start = time.perf_counter()
    data = scorable_only(featurise(labelled_folder(args.set), settings, args.workers), "set")
    print(f"{len(data)} scorable clips featurised in {time.perf_counter() - start:.0f} s")
    measures = leg_measure_names()
    reference = load_reference(args.reference).to_dict()
    X, y, subjects = design_matrix(data, measures)
    groups, grouping = cv_groups(data)
    out = {}
    for family in args.families:
        start = time.perf_counter()
        model = LegSeverityModel(family=family, reference=reference, measures=measures)
        pred, interval = out_of_fold(model, X, y, groups, cv_splits(groups, grouping),
                                     measures, settings.model)
        per_group = per_group_metrics(y, pred, subjects, groups, interval, X[:, -1])
        overall = severity_metrics(y, pred, subjects, interval, model.interval_coverage,
                                   X[:, -1])
        print()
        print(transfer_text(per_group, f"{family}: leave one of {len(set(groups))} groups out "
                                       f"({time.perf_counter() - start:.0f} s)"))
        print(evaluation_text(overall, f"{family}, all held-out groups together"))
        out[family] = {"per_group": per_group, "overall": overall}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
