"""Visits compared and a course of visits (no MediaPipe: the clips' scores are given)."""

import csv
import json
from pathlib import Path

import pytest
from contract_support import assert_matches_schema, clip_score, visit_of

from posescore.cli import main
from posescore.config import Settings
from posescore.errors import PosescoreError
from posescore.features import leg_measure_names
from posescore.phenomenology import PHENOMENOLOGY
from posescore.plain import MEASURE_LABELS, PHENOMENOLOGY_LABELS, feature_label
from posescore.visit import ScoredClip, VisitClip, build_visit, load_visit
from posescore.visit_change import (
    compare_visits,
    comparing_visits,
    leg_mdc95,
    run_visit_course,
    visit_compare_text,
    visit_noise,
)


def test_a_large_change_is_beyond_noise_and_an_identical_visit_is_not():
    before, after = visit_of(3.3, 0.2), visit_of(0.1, 0.2)
    cmp_ = compare_visits(before, after, Settings())
    left, right = cmp_.legs["left"], cmp_.legs["right"]
    assert left.beyond_noise and left.direction == "decrease"
    assert left.change == pytest.approx(after.legs["left"].severity
                                        - before.legs["left"].severity)
    assert not right.beyond_noise and right.direction == "no change beyond noise"
    assert cmp_.summary[0].startswith("Left leg: 3.") and "a decrease of 3." in cmp_.summary[0]
    assert "beyond the" in cmp_.summary[0] and "no change beyond noise" in cmp_.summary[1]
    assert "not clinically validated" in cmp_.summary[-1]
    same = compare_visits(before, before, Settings())
    assert not any(leg.beyond_noise for leg in same.legs.values())
    assert {leg.change for leg in same.legs.values()} == {0.0}
    text = visit_compare_text(cmp_)
    assert text.splitlines()[0] == cmp_.summary[0]
    assert_matches_schema("visit_comparison", cmp_.to_json())


def test_a_change_just_above_the_mdc_counts_only_with_narrow_intervals():
    noise = visit_noise(Settings())
    step = noise.mdc95 * 1.2
    narrow = compare_visits(visit_of(2.0, 0.0, 0.3), visit_of(2.0 - step, 0.0, 0.3), Settings())
    assert narrow.legs["left"].mdc95 == pytest.approx(noise.mdc95)
    assert narrow.legs["left"].beyond_noise
    wide = compare_visits(visit_of(1.0, 0.0, 3.0), visit_of(1.0 - step, 0.0, 3.0), Settings())
    assert wide.legs["left"].mdc95 > step and not wide.legs["left"].beyond_noise


def test_the_mdc_grows_with_the_fused_half_widths():
    noise = visit_noise(Settings())
    pre, post = visit_of(1.0, 0.0).legs["left"], visit_of(1.0, 0.0).legs["left"]
    wide = pre.model_copy(update={"severity_interval": [0.0, 4.0]})
    assert leg_mdc95(pre, post, noise) == pytest.approx(noise.mdc95)
    assert leg_mdc95(wide, post, noise) > noise.mdc95


def test_a_leg_not_judged_in_one_visit_is_not_assessable():
    blind = build_visit([ScoredClip(VisitClip(Path("f.mp4")), clip_score(
        "frontal", (None, None), (0.5, [0.0, 1.0])))], Settings())
    leg = compare_visits(visit_of(3.0, 0.5), blind, Settings()).legs["left"]
    assert leg.direction == "not assessable" and leg.change is None and not leg.beyond_noise
    assert "second" in leg.reason


def test_compare_takes_two_visits_or_two_clips(tmp_path):
    folder = tmp_path / "visit"
    folder.mkdir()
    assert comparing_visits(folder, tmp_path / "v.csv")
    assert not comparing_visits("pre.mp4", "post.json")
    with pytest.raises(PosescoreError, match="not one of each"):
        comparing_visits(folder, "post.mp4")


def _save(tmp_path, name, v):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(v.to_json()))
    return path


def test_cli_compares_two_saved_visits(tmp_path, capsys):
    pre = _save(tmp_path, "pre", visit_of(3.3, 0.2))
    post = _save(tmp_path, "post", visit_of(0.1, 0.2))
    out = tmp_path / "cmp.json"
    assert main(["compare", str(pre), str(post), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert text.splitlines()[0] == saved["summary"][0] and "decrease" in text
    assert saved["legs"]["left"]["beyond_noise"]
    assert load_visit(pre, Settings(), None).legs["left"].severity == pytest.approx(
        saved["legs"]["left"]["pre"])


def test_a_course_of_visits_has_trends_changes_and_a_summary(tmp_path):
    rows, drop = [], 2 * Settings().visit.mdc95
    for session in range(1, 5):  # pre falls 3.3 -> 2.4, post 2 MDC95 lower; right leg stays
        for phase, left in (("pre", 3.6 - 0.3 * session), ("post", 3.6 - 0.3 * session - drop)):
            right = 0.1 + 0.1 * (session % 2)
            path = _save(tmp_path, f"s{session}_{phase}", visit_of(round(left, 2), right))
            rows.append({"visit": path.name, "session": session, "phase": phase,
                         "date": f"2026-03-0{session}", "patient_id": "P01"})
    rows.append({"visit": "missing_folder", "session": 5, "phase": "pre", "date": "",
                 "patient_id": "P01"})
    manifest = tmp_path / "course.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    course = run_visit_course(manifest, tmp_path / "out",
                              lambda p: load_visit(p, Settings(), None), Settings())
    trend = {(t.phase, t.measure): t for t in course.trends}
    assert trend[("pre", "left_severity")].direction == "decreasing"
    assert trend[("pre", "right_severity")].direction == "no clear trend"
    assert len(course.changes) == 4
    assert all(c.legs["left"].direction == "decrease" for c in course.changes)
    assert not any(c.legs["right"].beyond_noise for c in course.changes)
    assert course.visits[-1].error and course.visits[-1].left_severity is None
    assert any("decreasing by 0.30 per session" in s for s in course.summary)
    assert any("lower beyond noise in 4" in s for s in course.summary)
    assert (tmp_path / "out" / "visits.csv").is_file()
    assert_matches_schema("visit_course", json.loads(
        (tmp_path / "out" / "course.json").read_text()))


def test_every_measure_has_a_plain_name():
    assert set(MEASURE_LABELS) == set(leg_measure_names())
    assert set(PHENOMENOLOGY_LABELS) == set(PHENOMENOLOGY)
    assert feature_label("equinus", "deg") == \
        "foot pointed down at heel strike (equinus) (degrees)"
    assert feature_label("left_ankle_plantarflexion_swing_max_deg", "deg") == \
        "Left leg: ankle plantarflexion in swing, maximum (degrees)"


def test_a_damaged_visit_json_is_refused_by_name_and_kept(tmp_path):
    saved = _save(tmp_path, "pre", visit_of(3.3, 0.2))
    data = json.loads(saved.read_text())
    data["legs"] = "not legs"
    saved.write_text(json.dumps(data))
    before = saved.read_bytes()
    with pytest.raises(PosescoreError, match="pre.json is a damaged visit JSON"):
        load_visit(saved, Settings(), None)
    assert saved.read_bytes() == before
