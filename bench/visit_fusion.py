"""Does fusing a visit's views beat one clip? Phantom subjects filmed in two views.

Usage:
    python bench/visit_fusion.py [--set .cache/expr480] [--workers 2]

The set is a phantom folder from ``posescore phantom --dataset`` whose subjects have two
clips each (``--clips-per-subject 2``, the default), drawn in random views. Each clip's
severity comes out of fold, one expression family held out at a time (as
``bench/expression_transfer.py``, the default recipe), so no clip is scored by a model that
saw its family. For every subject whose two clips have different views, each leg is fused
with ``posescore.fusion.fuse_leg`` (the two clips' severities differ by the subject's
session drift; the truth is their mean) and compared with either clip alone. It prints the
Spearman correlation of the affected leg (the subject's worse leg), the healthy legs' median,
the MAE, the fused interval's coverage, and the correlation of the two clips' errors that
``visit.error_correlation`` assumes.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posescore.config import Settings  # noqa: E402
from posescore.constants import SIDES  # noqa: E402
from posescore.evaluation import severity_metrics  # noqa: E402
from posescore.features import leg_measure_names  # noqa: E402
from posescore.fusion import ClipReading, fuse_leg  # noqa: E402
from posescore.labelled import (  # noqa: E402
    design_matrix,
    featurise,
    labelled_folder,
    scorable_only,
)
from posescore.model import LegSeverityModel  # noqa: E402
from posescore.normative import load_reference  # noqa: E402
from posescore.training import cv_groups, cv_splits, out_of_fold  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=Path(".cache/expr480"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    settings = Settings()
    data = scorable_only(featurise(labelled_folder(args.set), settings, args.workers), "set")
    measures = leg_measure_names()
    X, y, subjects = design_matrix(data, measures)
    groups, grouping = cv_groups(data)
    model = LegSeverityModel(family="monotone_boosting", reference=load_reference().to_dict(),
                             measures=measures)
    pred, interval = out_of_fold(model, X, y, groups, cv_splits(groups, grouping), measures,
                                 settings.model)
    views = np.repeat([d.view for d in data], len(SIDES))
    legs = defaultdict(list)
    for i, (subject, side) in enumerate(zip(subjects, np.tile(SIDES, len(data)))):
        legs[(subject, side)].append(i)
    rows = []  # subject, truth, clip a, clip b, fused, covered
    for (subject, _), idx in legs.items():
        if len(idx) != 2 or views[idx[0]] == views[idx[1]]:
            continue
        fused = fuse_leg([ClipReading(str(i), float(pred[i]), tuple(interval[i])) for i in idx],
                         settings.visit.error_correlation)
        truth = float(y[idx].mean())
        covered = fused.interval[0] <= truth <= fused.interval[1]
        rows.append((subject, truth, pred[idx[0]], pred[idx[1]], fused.severity, covered))
    table = np.array([r[1:] for r in rows], dtype=float)
    pair_subjects = np.array([r[0] for r in rows])  # both legs of a subject, left then right
    print(f"{len(rows)} legs of {len(set(pair_subjects))} subjects filmed in two different views")
    print(f"{'reading':10s} {'Spearman affected':>18s} {'healthy median':>15s} {'MAE':>6s}")
    for name, j in (("clip a", 1), ("clip b", 2), ("fused", 3)):
        m = severity_metrics(table[:, 0], table[:, j], pair_subjects)
        print(f"{name:10s} {m['spearman_affected_leg']:18.3f} {m['healthy_leg_median']:15.2f} "
              f"{m['mae']:6.2f}")
    errors = np.corrcoef(table[:, 1] - table[:, 0], table[:, 2] - table[:, 0])[0, 1]
    print(f"fused 90 % interval coverage {table[:, 4].mean():.3f}; "
          f"correlation of the two clips' errors {errors:.2f}")


if __name__ == "__main__":
    main()
