"""The typed contract: committed JSON Schemas in step with the models; real outputs valid."""

import csv
import json
from pathlib import Path

import jsonschema
import pytest
from contract_support import SAMPLE_SCORE, SCHEMA_DIR, assert_matches_schema, score_dict

from posescore.cli import main
from posescore.contract import SCHEMAS, NoticeCode, Score, schema_texts

SAMPLES = Path(__file__).parents[2] / "sample_videos"


def test_committed_schemas_are_generated_from_the_models():
    committed = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert committed == schema_texts(), "run: python -m posescore.contract --write docs/schema"
    assert set(SCHEMAS) == {"score", "comparison", "course", "profile", "visit",
                            "visit_comparison", "visit_course"}


def test_a_score_round_trips_and_drift_fails():
    assert_matches_schema("score", SAMPLE_SCORE)
    assert Score.model_validate(SAMPLE_SCORE).to_json() == SAMPLE_SCORE
    with pytest.raises(jsonschema.ValidationError):
        assert_matches_schema("score", score_dict(quality={"warnings": ["free text"]}))
    with pytest.raises(jsonschema.ValidationError):
        assert_matches_schema("score", {**SAMPLE_SCORE, "new_field": 1})


def test_notice_codes_are_stable_snake_case():
    for code in NoticeCode:
        assert code.value == code.name.lower() and code.value.replace("_", "").isalpha()


@pytest.mark.slow
def test_sample_videos_compare_and_course_outputs_follow_the_schemas(tmp_path):
    out = tmp_path / "batch"
    assert main(["batch", str(SAMPLES), "--out", str(out), "--no-progress"]) == 0
    scores = {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert len(scores) == len(list(SAMPLES.glob("*.mp4")))
    for score in scores.values():
        assert_matches_schema("score", score)
    pre, post = out / "patient16_pre.mp4.json", out / "patient16_post.mp4.json"
    cmp_json = tmp_path / "compare.json"
    assert main(["compare", str(pre), str(post), "--n-boot", "200", "--json", str(cmp_json)]) == 0
    assert_matches_schema("comparison", json.loads(cmp_json.read_text()))
    manifest = tmp_path / "course.csv"
    with open(manifest, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["patient_id", "session", "date", "phase", "task", "video"])
        for session, name in enumerate(("patient16_pre", "patient16_post"), start=1):
            for phase in ("pre", "post"):
                w.writerow(["P16", session, "", phase, "walk_forward", SAMPLES / f"{name}.mp4"])
    assert main(["course", str(manifest), "--out", str(tmp_path / "course")]) == 0
    assert_matches_schema("course", json.loads((tmp_path / "course" / "course.json").read_text()))
    profile = tmp_path / "profile.json"
    videos = [str(SAMPLES / "patient16_pre.mp4"), str(SAMPLES / "left_s1_sagittal_left.mp4")]
    assert main(["profile", *videos, "--tasks", "walk_forward", "walk_backward",
                 "--json", str(profile)]) == 0
    assert_matches_schema("profile", json.loads(profile.read_text()))


def test_reports_and_summary_show_warnings_by_message_keyed_by_code():
    from posescore.cli.scoring import summary_text
    from posescore.report import score_report

    html = score_report(SAMPLE_SCORE)
    for w in SAMPLE_SCORE["quality"]["warnings"]:
        assert f"data-code='{w['code']}'" in html
    assert "{'code'" not in html and "knee" in html and "hyperextension_below_deg" in html
    text = summary_text(Score.model_validate(SAMPLE_SCORE))
    assert "warning    side view: the right leg is the far leg" in text
    assert "[far_leg_hidden]" in text
