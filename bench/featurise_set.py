"""Featurise a labelled phantom set once and save the rows, for quick model experiments.

    python bench/featurise_set.py DATASET_DIR OUT.json [--workers 2]

Poses come from the pose cache after the first run. Each row holds the manifest row (severity,
look family, expression family, view), the measured view, the features and whether the
product scores the clip.
"""

import argparse
import csv
import json
import time
from pathlib import Path

from posescore.config import Settings
from posescore.training import featurise, labelled_folder


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with open(args.dataset / "manifest.csv", newline="", encoding="utf-8") as fh:
        manifest = {row["video"]: row for row in csv.DictReader(fh)}
    start = time.perf_counter()
    data = featurise(labelled_folder(args.dataset), Settings(), args.workers)
    rows = [{"manifest": manifest[d.video.path.name], "view": d.view, "features": d.features,
             "scorable": d.scorable} for d in data]
    args.out.write_text(json.dumps({"dataset": str(args.dataset), "rows": rows}))
    print(f"{len(rows)} of {len(manifest)} clips featurised in "
          f"{time.perf_counter() - start:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
