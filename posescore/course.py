"""Treatment courses: many sessions of one or more patients -> longitudinal table and trends.

A manifest CSV lists the videos: ``patient_id, session, date, phase, task, video`` (``phase``
is ``pre`` or ``post``; ``video`` relative to the manifest's folder). Each video is scored
(pose from the cache when seen before); the sessions become a longitudinal table and, per
patient, phase and task, every severity and feature gets a linear trend across sessions:
the ordinary least-squares slope per session with its 95 % t-interval. A trend is called
decreasing/increasing only when the interval excludes zero. Within-session changes
(post - pre severity of the same session and task) are listed too.

Patient identifiers are taken as given (pseudonyms); video paths are not written to the
outputs unless asked.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from posescore.constants import SIDES, TASKS
from posescore.contract import COURSE_SCHEMA, Course, Score
from posescore.errors import PosescoreError
from posescore.features import FEATURES
from posescore.htmlpage import SIDE_COLOURS, figure_png, png_bytes
from posescore.manifest import Column
from posescore.manifest import read_manifest as read_csv_manifest
from posescore.plain import model_sentence, trend_sentence
from posescore.runner import run_items

logger = logging.getLogger(__name__)

PHASES = ("pre", "post")
SEVERITY_MEASURES = ("left_severity", "right_severity")
MANIFEST_COLUMNS = (
    Column("patient_id", default=""),
    Column("session", "number"),
    Column("date", default=""),
    Column("phase", "choice", choices=PHASES, lower=True),
    Column("task", "choice", choices=TASKS, default="walk_forward"),
    Column("video", "path", must_exist=True),
)
"""Columns of a course manifest (all required in the header)."""


def session_number(value: float) -> int | float:
    """A manifest's session number as written: 3 for 3.0, 2.5 kept."""
    return int(value) if value.is_integer() else value


def read_manifest(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a course manifest, validated; ``video`` resolved against the manifest folder.

    Raises
    ------
    ManifestError
        Missing columns, an unknown phase or task, a non-numeric session or a missing video,
        naming the line and column.
    """
    rows = []
    for row in read_csv_manifest(path, MANIFEST_COLUMNS).rows:
        entry = dict(row.values)
        entry["session"] = session_number(entry["session"])
        rows.append(entry)
    return rows


def linear_trend(x: Sequence[float], y: Sequence[Optional[float]]) -> dict[str, Any]:
    """OLS slope of y on x with its 95 % t-interval; None values are skipped.

    Returns
    -------
    dict
        ``slope``, ``ci95`` ([lo, hi] or None when fewer than 3 points), ``intercept``,
        ``n``, ``p_value``. A constant series has slope 0, interval [0, 0] and no p-value
        (linregress would give NaN, read as a trend).
    """
    xa = np.array([a for a, b in zip(x, y) if b is not None and np.isfinite(b)], dtype=float)
    ya = np.array([b for b in y if b is not None and np.isfinite(b)], dtype=float)
    n = xa.size
    if n < 2 or np.ptp(xa) == 0:
        return {"slope": None, "ci95": None, "intercept": None, "n": int(n), "p_value": None}
    if np.ptp(ya) == 0:  # a constant series (e.g. a leg read 0.0 at every visit): no slope
        return {"slope": 0.0, "ci95": [0.0, 0.0] if n >= 3 else None,
                "intercept": float(ya[0]), "n": int(n), "p_value": None}
    fit = stats.linregress(xa, ya)
    ci = None
    p = None
    if n >= 3:
        tcrit = stats.t.ppf(0.975, n - 2)
        ci = [float(fit.slope - tcrit * fit.stderr), float(fit.slope + tcrit * fit.stderr)]
        p = float(fit.pvalue)
    return {"slope": float(fit.slope), "ci95": ci, "intercept": float(fit.intercept),
            "n": int(n), "p_value": p}


def session_row(entry: Mapping[str, Any], result: Optional[Score], error: str = "",
                include_paths: bool = False) -> dict[str, Any]:
    """One row of the longitudinal table: manifest fields, severities and all features."""
    row: dict[str, Any] = {k: entry[k] for k in ("patient_id", "session", "date", "phase", "task")}
    if include_paths:
        row["video"] = str(entry["video"])
    row.update(scorable=False, left_severity=None, right_severity=None, affected_side=None,
               view=None, error=error)
    if result is not None:
        row.update(
            scorable=result.quality.scorable,
            left_severity=result.legs.left.severity,
            right_severity=result.legs.right.severity,
            affected_side=result.affected_side,
            view=result.view,
        )
        row.update({name: result.features.get(name) for name in FEATURES})
    return row


def build_course(
    entries: Sequence[Mapping[str, Any]],
    results: Sequence[Optional[Score]],
    errors: Optional[Sequence[str]] = None,
    include_paths: bool = False,
) -> dict[str, Any]:
    """Longitudinal table, trends and within-session changes from scored sessions.

    Parameters
    ----------
    entries : sequence of mapping
        Manifest rows (``patient_id, session, date, phase, task[, video]``).
    results : sequence of Score
        The score of each entry (None when it failed).
    errors : sequence of str, optional
        Error message of each failed entry.
    include_paths : bool
        Keep the video paths in the session rows (off: pseudonymity).

    Returns
    -------
    dict
        The JSON of :class:`posescore.contract.Course`: ``sessions`` (rows), ``trends`` (one
        per patient/phase/task/measure with values), ``changes`` (post - pre per session),
        ``model`` (of the first scored video, null when none was).
    """
    errors = errors or [""] * len(entries)
    sessions = [session_row(e, r, err, include_paths)
                for e, r, err in zip(entries, results, errors)]
    sessions.sort(key=lambda r: (r["patient_id"], r["task"], r["session"], r["phase"] != "pre"))
    trends = []
    groups: dict[tuple, list[dict]] = {}
    for row in sessions:
        groups.setdefault((row["patient_id"], row["phase"], row["task"]), []).append(row)
    for (patient, phase, task), rows in sorted(groups.items()):
        x = [float(r["session"]) for r in rows]
        for measure in (*SEVERITY_MEASURES, *FEATURES):
            y = [r.get(measure) for r in rows]
            if sum(v is not None for v in y) < 3:
                continue
            fit = linear_trend(x, y)
            ci = fit["ci95"]
            direction = "no clear trend"
            if ci is not None and ci[1] < 0:
                direction = "decreasing"
            elif ci is not None and ci[0] > 0:
                direction = "increasing"
            trends.append({
                "patient_id": patient, "phase": phase, "task": task, "measure": measure,
                "unit": "0-4" if measure in SEVERITY_MEASURES else FEATURES[measure].unit,
                "slope_per_session": fit["slope"], "ci95": ci, "p_value": fit["p_value"],
                "intercept": fit["intercept"], "n_sessions": fit["n"], "direction": direction,
            })
    changes = []
    by_session: dict[tuple, dict[str, dict]] = {}
    for row in sessions:
        by_session.setdefault((row["patient_id"], row["task"], row["session"]), {})[
            row["phase"]] = row
    for (patient, task, session), pair in sorted(by_session.items()):
        if "pre" in pair and "post" in pair:
            change = {"patient_id": patient, "task": task, "session": session}
            for m in SEVERITY_MEASURES:
                a, b = pair["pre"].get(m), pair["post"].get(m)
                change[f"{m}_change"] = None if a is None or b is None else b - a
            changes.append(change)
    model = next((r.model for r in results if r is not None), None)
    summary = [trend_sentence(f"Patient {t['patient_id']}, {t['measure'].split('_')[0]} leg "
                              f"({t['task']})", t)
               for t in trends if t["measure"] in SEVERITY_MEASURES]
    summary.append(model_sentence(model.model_dump() if model else None))
    return Course.model_validate({"schema": COURSE_SCHEMA, "summary": summary,
                                  "sessions": sessions, "trends": trends, "changes": changes,
                                  "model": model}).to_json()


def course_figure(course: Mapping[str, Any]) -> Optional[str]:
    """Severity per leg across sessions, pre (open) and post (filled), with fitted trends."""
    patients = sorted({(r["patient_id"], r["task"]) for r in course["sessions"]})
    if not patients:
        return None
    patients = patients[:8]
    fig = Figure(figsize=(9, 2.8 * len(patients)))
    axes = np.atleast_1d(fig.subplots(len(patients), 1, squeeze=False)).ravel()
    for ax, (patient, task) in zip(axes, patients):
        for side in SIDES:
            m = f"{side}_severity"
            for phase, fill in (("pre", "none"), ("post", SIDE_COLOURS[side])):
                rows = [r for r in course["sessions"] if r["patient_id"] == patient
                        and r["task"] == task and r["phase"] == phase and r.get(m) is not None]
                if not rows:
                    continue
                x = [r["session"] for r in rows]
                ax.plot(x, [r[m] for r in rows], "o", mfc=fill, mec=SIDE_COLOURS[side],
                        label=f"{side} {phase}")
                for t in course["trends"]:
                    if (t["patient_id"], t["task"], t["phase"], t["measure"]) == (
                        patient, task, phase, m
                    ) and t["slope_per_session"] is not None:
                        xs = np.array([min(x), max(x)], dtype=float)
                        ax.plot(xs, t["intercept"] + t["slope_per_session"] * xs,
                                color=SIDE_COLOURS[side], ls="-" if phase == "post" else "--",
                                lw=1)
        ax.set_title(f"patient {patient}, {task}", fontsize=10)
        ax.set_xlabel("session")
        ax.set_ylabel("severity (0-4)")
        ax.set_ylim(-0.1, 4.1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    return figure_png(fig)


def write_course(course: Mapping[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """Write longitudinal.csv, trends.csv, course.json, course.png and course.html."""
    from posescore.report import course_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("longitudinal.csv", "trends.csv", "course.json",
                                            "course.png", "course.html")}
    sessions = course["sessions"]
    cols: list[str] = []
    for row in sessions:
        cols += [c for c in row if c not in cols]
    with open(paths["longitudinal.csv"], "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(sessions)
    tcols = ["patient_id", "phase", "task", "measure", "unit", "slope_per_session", "ci_lo",
             "ci_hi", "p_value", "n_sessions", "direction"]
    with open(paths["trends.csv"], "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=tcols, extrasaction="ignore")
        w.writeheader()
        for t in course["trends"]:
            ci = t["ci95"] or (None, None)
            w.writerow({**t, "ci_lo": ci[0], "ci_hi": ci[1]})
    paths["course.json"].write_text(json.dumps(course, indent=1, default=str) + "\n")
    uri = course_figure(course)
    if uri:
        paths["course.png"].write_bytes(png_bytes(uri))
    paths["course.html"].write_text(course_report(course, uri), encoding="utf-8")
    return paths


def run_course(
    manifest: str | Path,
    out_dir: str | Path,
    score: Callable[[Path, str], Score],
    include_paths: bool = False,
) -> dict[str, Any]:
    """Score every manifest row with ``score(video, task)`` and write the course outputs.

    A failing video becomes a row with its error; the course goes on.
    """
    entries = read_manifest(manifest)
    outcomes = run_items(lambda entry: score(entry["video"], entry["task"]), entries,
                         catch=(PosescoreError,))
    course = build_course(entries, [o.value for o in outcomes], [o.error for o in outcomes],
                          include_paths)
    write_course(course, out_dir)
    return course
