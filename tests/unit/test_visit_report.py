"""HTML reports of one visit, of visits compared and of a course of visits; the seed's
scenario end to end.

No MediaPipe: every visit is built from its clips' given scores (``contract_support.visit_of``)
and saved as the JSON of ``posescore visit --json``, which ``compare`` and ``course`` take.
"""

import csv
import html
import json
from pathlib import Path

import numpy as np
from contract_support import assert_matches_schema, clip_score, visit_of

from posescore.cli import main
from posescore.config import Settings
from posescore.contract.visit import Visit
from posescore.contract.visit_change import VisitCourse
from posescore.plain import feature_label
from posescore.visit import ScoredClip, VisitClip, build_visit
from posescore.visit_change import compare_visits
from posescore.visit_report import visit_compare_report

FOUR_VIEWS = ("sagittal_left", "sagittal_right", "frontal", "posterior")


def _save(path, visit):
    path.write_text(json.dumps(visit.to_json()))
    return path


def _position(page, text):
    """Where ``text`` (escaped as the report escapes it) first appears in ``page``."""
    at = page.find(html.escape(text))
    assert at >= 0, f"{text!r} is not in the report"
    return at


def test_a_visit_comparison_report_opens_with_the_summary_then_each_leg(tmp_path, capsys):
    pre = _save(tmp_path / "day1_pre.json", visit_of(3.3, 0.2, views=FOUR_VIEWS))
    post = _save(tmp_path / "day1_post.json", visit_of(0.4, 0.3, views=FOUR_VIEWS))
    out, report = tmp_path / "cmp.json", tmp_path / "cmp.html"
    assert main(["compare", str(pre), str(post), "--json", str(out),
                 "--report", str(report)]) == 0
    assert f"report   {report}" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert_matches_schema("visit_comparison", saved)
    page = report.read_text()
    first_table = page.index("<table")
    for sentence in saved["summary"]:
        assert _position(page, sentence) < first_table
    assert _position(page, saved["summary"][0]) < _position(page, saved["summary"][1])
    assert "not clinically validated" in page[:first_table]
    for side, leg in saved["legs"].items():
        row = page[page.index(f"<td>{side} leg</td>"):]
        row = row[:row.index("</tr>")]
        assert f"{leg['pre']:.2f}" in row and f"{leg['post']:.2f}" in row
        assert f"[{leg['pre_interval'][0]:.2f}, {leg['pre_interval'][1]:.2f}]" in row
        assert f"{leg['change']:+.2f}" in row and f"{leg['mdc95']:.2f}" in row
        assert leg["direction"] in row
    assert saved["legs"]["left"]["beyond_noise"] and not saved["legs"]["right"]["beyond_noise"]
    contributions = page[page.index("Clips that contributed"):page.index("Measures by leg")]
    for view in FOUR_VIEWS:
        assert f"<td>{view}</td>" in contributions
    visit = json.loads(pre.read_text())
    for clip in visit["legs"]["left"]["by_task"]["walk_forward"]["clips"]:
        assert f"<td>{clip['weight']:.2f}</td>" in contributions
    measures = page[page.index("Measures by leg"):]
    assert measures.index("Left leg") < measures.index("Right leg")
    assert html.escape(feature_label("equinus", "deg")) in measures
    assert "equinus</td>" not in measures  # the code name is not shown alone


def test_one_visits_report_gives_each_legs_fused_severity_then_the_views(tmp_path, capsys):
    saved = _save(tmp_path / "day1_pre.json", visit_of(3.3, 0.2, views=FOUR_VIEWS))
    blind = visit_of(2.0, 0.0, views=("sagittal_left",)).model_copy(deep=True)
    blind.legs["right"].severity = blind.legs["right"].severity_interval = None
    blind.legs["right"].judged, blind.legs["right"].reason = False, "no clip sees the right leg"
    for path, visit in ((saved, None), (_save(tmp_path / "blind.json", blind), blind)):
        report = tmp_path / f"{path.stem}.html"
        assert main(["visit", str(path), "--report", str(report)]) == 0
        visit = visit or Visit.model_validate(json.loads(path.read_text()))
        page = report.read_text()
        first_table = page.index("<table")
        for sentence in visit.summary:
            assert _position(page, sentence) < first_table
        assert "not clinically validated" in page[:first_table]
        for side, leg in visit.legs.items():
            row = page[page.index(f"<td>{side} leg</td>"):]
            row = row[:row.index("</tr>")]
            if leg.judged:
                lo, hi = leg.severity_interval
                assert f"{leg.severity:.2f}" in row and f"[{lo:.2f}, {hi:.2f}]" in row
            else:
                assert "not judged" in row and html.escape(leg.reason) in row
        contributions = page[page.index("Clips that contributed"):page.index("Measures by leg")]
        assert all(f"<td>{c.view}</td>" in contributions for c in visit.clips)
        assert f"{path.name}: per view" in page
    capsys.readouterr()


def test_a_visit_report_into_a_folder_is_refused_before_any_work(tmp_path, capsys):
    saved = _save(tmp_path / "v.json", visit_of(2.0, 0.1))
    assert main(["visit", str(saved), "--report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("posescore: error: --report") and "is a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.json"]


def test_a_leg_not_judged_reads_as_such_in_the_report():
    blind = visit_of(2.0, 0.0, views=("sagittal_left",)).model_copy(deep=True)
    for leg in blind.legs.values():
        leg.severity, leg.severity_interval = None, None
    comparison = compare_visits(visit_of(2.0, 0.0), blind, Settings())
    page = visit_compare_report(comparison, visit_of(2.0, 0.0), blind)
    assert "not judged" in page and "not assessable" in page


def _manifest(path, rows):
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_seeds_scenario_ten_daily_sessions_filmed_pre_and_post(tmp_path, capsys):
    """A patient's 10 daily rTMS sessions, each visit filmed from four sides before and after.

    The left leg improves from day to day and within each session; the right leg is healthy.
    ``posescore course`` gives a trend per leg with its interval and each session's change.
    """
    rng = np.random.default_rng(7)
    drop = 2 * Settings().visit.mdc95
    rows = []
    for day in range(1, 11):
        pre_left = 3.4 - 0.15 * day + rng.normal(0, 0.05)
        for phase, left in (("pre", pre_left), ("post", pre_left - drop)):
            right = 0.2 + rng.normal(0, 0.05)
            name = f"day{day:02d}_{phase}.json"
            _save(tmp_path / name, visit_of(round(left, 2), round(right, 2), views=FOUR_VIEWS))
            rows.append({"patient_id": "P01", "session": day, "date": f"2026-03-{day:02d}",
                         "phase": phase, "visit": name})
    manifest = _manifest(tmp_path / "course.csv", rows)
    out = tmp_path / "course"
    assert main(["course", str(manifest), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    data = json.loads((out / "course.json").read_text())
    assert_matches_schema("visit_course", data)
    course = VisitCourse.model_validate(data)
    assert text.splitlines()[0] == course.summary[0]

    trends = {(t.phase, t.measure): t for t in course.trends}
    assert set(trends) == {(p, f"{s}_severity") for p in ("pre", "post") for s in ("left", "right")}
    assert all(t.ci95 is not None and t.n_sessions == 10 for t in trends.values())
    for phase in ("pre", "post"):
        left = trends[(phase, "left_severity")]
        assert left.direction == "decreasing" and left.ci95[0] < left.slope_per_session < 0
        right = trends[(phase, "right_severity")]
        assert right.ci95[0] <= 0 <= right.ci95[1]
    assert [c.session for c in course.changes] == list(range(1, 11))
    assert all(c.legs["left"].direction == "decrease" for c in course.changes)
    assert not any(c.legs["right"].beyond_noise for c in course.changes)

    assert (out / "course.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    page = (out / "course.html").read_text()
    first_table = page.index("<table")
    for sentence in course.summary:
        assert _position(page, sentence) < first_table
    assert "not clinically validated" in page[:first_table]
    assert page.index("<img") < first_table  # the course chart before the tables
    trend_table = page[page.index("<h2>Trends"):page.index("Pre/post change per session")]
    assert "left_severity" not in trend_table
    for t in course.trends:
        assert html.escape(feature_label(t.measure, t.unit)) in trend_table
        assert f"{t.slope_per_session:.3f}" in trend_table
        assert f"[{t.ci95[0]:+.3g}, {t.ci95[1]:+.3g}]" in trend_table
    changes = page[page.index("Pre/post change per session"):page.index("<h2>Visits")]
    assert changes.index("left leg") < changes.index("right leg")  # grouped by leg
    for c in course.changes:
        assert f"{c.legs['left'].change:+.2f}" in changes
    visits = page[page.index("<h2>Visits"):]
    for r in course.visits:
        assert f"{r.left_severity:.2f}" in visits and f"{r.right_severity:.2f}" in visits


def test_of_several_tasks_the_one_giving_the_legs_severity_is_marked():
    walk = visit_of(1.0, 0.2)
    clips = [ScoredClip(VisitClip(Path("walk.mp4"), "walk_forward"), clip_score(
                 "sagittal_left", (1.0, [0.6, 1.4]), (0.2, [0.0, 2.7]))),
             ScoredClip(VisitClip(Path("run.mp4"), "run"), clip_score(
                 "sagittal_left", (2.5, [2.1, 2.9]), (0.2, [0.0, 2.7])))]
    both = build_visit(clips, Settings())
    assert both.legs["left"].severity_task == "run"
    page = visit_compare_report(compare_visits(walk, both, Settings()), walk, both)
    contributions = page[page.index("Clips that contributed"):page.index("Measures by leg")]
    for side, leg in both.legs.items():
        rows = [row for row in contributions.split("<tr>") if f"<td>{side} leg" in row]
        marked = [row for row in rows if "gives the leg" in row]
        assert marked and all(f"<td>{leg.severity_task} <b>" in row for row in marked)
        assert len(marked) < len(rows)
