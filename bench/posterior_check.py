"""Back views: the default model on posterior clips, view stated vs detected.

Usage:
    python bench/featurise_set.py POSTERIOR_SET stated.json --stated-view
    python bench/featurise_set.py POSTERIOR_SET detected.json
    python bench/posterior_check.py stated.json detected.json

POSTERIOR_SET is a phantom folder of clips filmed from behind (``generate_dataset(...,
views=("posterior",))``). For each featurised file it prints the affected leg's Spearman
correlation, the share of clips whose worse leg (severity >= 2, legs differing by >= 1) reads
higher, and the healthy legs' median reading.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posescore.constants import SIDES  # noqa: E402
from posescore.evaluation import severity_metrics  # noqa: E402
from posescore.model_design import leg_rows  # noqa: E402
from posescore.model_file import load_model  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("featurised", nargs="+", type=Path)
    args = ap.parse_args()
    model = load_model(None)
    for path in args.featurised:
        rows = [r for r in json.loads(path.read_text())["rows"] if r["scorable"]]
        X = np.vstack([leg_rows(r["features"], r["view"], model.measures) for r in rows])
        true = np.array([float(r["manifest"][f"{s}_severity"]) for r in rows for s in SIDES])
        subjects = np.repeat([r["manifest"]["subject_id"] for r in rows], len(SIDES))
        m = severity_metrics(true, model.estimator.predict(X), subjects)
        views = sorted({r["view"] for r in rows})
        print(f"{path.name}: {len(rows)} clips read as {', '.join(views)}; affected leg "
              f"Spearman {m['spearman_affected_leg']:.2f}; affected side right "
              f"{m['affected_side_accuracy_sev_ge_2']:.2f} of {m['n_affected_side_videos']}; "
              f"healthy legs' median {m['healthy_leg_median']:.2f}")

if __name__ == "__main__":
    main()
