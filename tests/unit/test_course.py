"""Treatment courses: manifest validation, trends and outputs (no video, no MediaPipe)."""

import csv
import json

import numpy as np
import pytest
from contract_support import score_dict

from posescore.contract import Score
from posescore.course import build_course, linear_trend, read_manifest, write_course
from posescore.errors import PosescoreError
from posescore.features import FEATURES


def result(left, right, pf):
    features = {name: None for name in FEATURES}
    features["left_ankle_plantarflexion_hs_deg"] = pf
    return Score.model_validate(score_dict(
        legs={"left": {"severity": left}, "right": {"severity": right}},
        affected_side="left",
        features=features,
        model={"name": "m"},
    ))


def test_linear_trend_recovers_slope_and_interval():
    x = np.arange(10.0)
    y = 3.0 - 0.2 * x + np.random.default_rng(0).normal(0, 0.05, 10)
    fit = linear_trend(x, list(y))
    assert fit["slope"] == pytest.approx(-0.2, abs=0.03)
    assert fit["ci95"][0] < -0.2 < fit["ci95"][1] and fit["ci95"][1] < 0
    assert linear_trend([1, 2], [1.0, None])["slope"] is None
    assert linear_trend([1, 2], [1.0, 2.0])["ci95"] is None  # two points: no interval


def test_linear_trend_of_a_constant_series_is_flat_not_nan():
    fit = linear_trend([1, 2, 3, 4], [0.4, 0.4, 0.4, 0.4])
    assert fit["slope"] == 0.0 and fit["ci95"] == [0.0, 0.0] and fit["intercept"] == 0.4


def test_course_trend_and_within_session_change(tmp_path):
    rng = np.random.default_rng(1)
    entries, results = [], []
    for session in range(1, 11):
        for phase, offset in (("pre", 0.0), ("post", -0.3)):
            entries.append({"patient_id": "P01", "session": session,
                            "date": f"2026-01-{session:02d}", "phase": phase,
                            "task": "walk_forward", "video": "/secret/x.mp4"})
            sev = 3.5 - 0.2 * (session - 1) + offset + rng.normal(0, 0.1)
            results.append(result(sev, 0.2 + rng.normal(0, 0.1), 20 - 1.5 * session))
    course = build_course(entries, results)
    trend = {(t["phase"], t["measure"]): t for t in course["trends"]}
    left = trend[("pre", "left_severity")]
    assert left["slope_per_session"] == pytest.approx(-0.2, abs=0.05)
    assert left["direction"] == "decreasing" and left["ci95"][1] < 0 and left["n_sessions"] == 10
    assert trend[("pre", "right_severity")]["direction"] == "no clear trend"
    assert trend[("post", "left_ankle_plantarflexion_hs_deg")]["unit"] == "deg"
    assert len(course["changes"]) == 10
    assert all(c["left_severity_change"] < 0 for c in course["changes"])
    assert any(s.startswith("Patient P01, left leg (walk_forward), pre visits: decreasing by "
                            "0.2") for s in course["summary"])
    assert "not clinically validated" in course["summary"][-1]
    paths = write_course(course, tmp_path / "out")
    for p in paths.values():
        assert p.exists() and p.stat().st_size > 0
    rows = list(csv.DictReader(open(paths["longitudinal.csv"])))
    assert len(rows) == 20 and "video" not in rows[0]  # no paths unless asked
    assert "/secret/" not in paths["course.html"].read_text()
    assert "not clinically validated" in paths["course.html"].read_text()
    json.loads(paths["course.json"].read_text())


def write_manifest(path, rows, header="patient_id,session,date,phase,task,video"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_manifest_is_validated_naming_the_line(tmp_path):
    (tmp_path / "v.mp4").write_bytes(b"x")
    ok = write_manifest(tmp_path / "m.csv", ["P1,1,2026-01-01,pre,walk_forward,v.mp4"])
    rows = read_manifest(ok)
    assert rows[0]["video"] == tmp_path / "v.mp4" and rows[0]["session"] == 1
    bad = {
        "unknown phase 'during'; choose one of pre, post":
            "P1,1,2026-01-01,during,walk_forward,v.mp4",
        "unknown task 'swim'": "P1,1,2026-01-01,pre,swim,v.mp4",
        "session 'one' is not a number": "P1,one,2026-01-01,pre,walk_forward,v.mp4",
        "empty session": "P1,,2026-01-01,pre,walk_forward,v.mp4",
        "video 'missing.mp4' not found": "P1,1,2026-01-01,pre,walk_forward,missing.mp4",
        "empty video": "P1,1,2026-01-01,pre,walk_forward,",
    }
    for message, line in bad.items():
        path = write_manifest(tmp_path / "bad.csv", ["P1,1,2026-01-01,pre,walk_forward,v.mp4",
                                                     line])
        with pytest.raises(PosescoreError, match=f"^bad.csv, line 3: {message}"):
            read_manifest(path)
    with pytest.raises(PosescoreError, match="missing column"):
        read_manifest(write_manifest(tmp_path / "c.csv", ["P1,1,pre,v.mp4"],
                                     "patient_id,session,phase,video"))
