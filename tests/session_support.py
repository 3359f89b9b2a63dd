"""Helpers of the session tests (compare, course, report, overlay, batch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from posescore.constants import SIDES
from posescore.features import leg_measure_names
from posescore.model import LegSeverityModel
from posescore.model_design import leg_rows
from posescore.model_file import save_model

BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


FEATURES_FILE = Path(__file__).parent / "data" / "phantom_features.json"


def phantom_model(folder: Path) -> Path:
    """A small severity model trained on stored phantom features (``tests/data``).

    The rows are MediaPipe features of 30 labelled phantom clips rendered by
    ``bench/phantom_features.py`` (seeds 60000+, disjoint from the test-retest pairs of
    ``posescore/data/mdc95.json`` on which ``mdc.severity_mdc95`` measures the noise).
    The card lists the training seeds all the same.
    """
    rows = json.loads(FEATURES_FILE.read_text())["rows"]
    measures = leg_measure_names()
    X = np.vstack([leg_rows(r["features"], r["view"], measures) for r in rows])
    y = np.array([r["severity"][side] for r in rows for side in SIDES], dtype=float)
    groups = np.repeat(np.arange(len(rows)), 2)
    model = LegSeverityModel(n_estimators=100).fit(X, y, groups)
    path = folder / "phantom_small.skops"
    save_model(
        model,
        path,
        {
            "name": "test-phantom-small",
            "version": "test",
            "measures": measures,
            "trained_on": "phantom",
            "clinically_validated": False,
            "training_seeds": sorted(int(r["seed"]) for r in rows),
        },
    )
    return path
