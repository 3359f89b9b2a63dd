"""Featurise a labelled phantom set once and save the rows, for quick model experiments.

    python bench/featurise_set.py DATASET_DIR OUT.json [--workers 2] [--stated-view]

Poses come from the pose cache after the first run. Each row holds the manifest row (severity,
look family, expression family, view), the measured view, the features and whether the
product scores the clip. ``--stated-view`` passes each clip's manifest view to the pipeline
(``signal.view``, as ``score --view`` and a visit manifest do) instead of detecting it.
"""

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

from posescore.config import Settings, SignalConfig
from posescore.labelled import featurise, labelled_folder


def pipeline_view(phantom_view: str) -> str:
    """The pipeline's name of a phantom view (both obliques are ``oblique``)."""
    return "oblique" if phantom_view.startswith("oblique") else phantom_view


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--stated-view", action="store_true")
    args = ap.parse_args()
    with open(args.dataset / "manifest.csv", newline="", encoding="utf-8") as fh:
        manifest = {row["video"]: row for row in csv.DictReader(fh)}
    start = time.perf_counter()
    videos = labelled_folder(args.dataset)
    if args.stated_view:
        by_view = defaultdict(list)
        for video in videos:
            by_view[pipeline_view(manifest[video.path.name]["view"])].append(video)
        data = [d for view, group in by_view.items() for d in featurise(
            group, Settings(signal=SignalConfig(view=view)), args.workers)]
    else:
        data = featurise(videos, Settings(), args.workers)
    rows = [{"manifest": manifest[d.video.path.name], "view": d.view, "features": d.features,
             "scorable": d.scorable} for d in data]
    args.out.write_text(json.dumps({"dataset": str(args.dataset), "rows": rows}))
    print(f"{len(rows)} of {len(manifest)} clips featurised in "
          f"{time.perf_counter() - start:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
