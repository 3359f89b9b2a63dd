"""Sessions end to end through MediaPipe on phantom clips (slow): compare, course, report,
overlay and the archive batch (interrupted with SIGINT, then resumed).

Three 6 s phantom clips, side view with the LEFT (near) leg affected:
pre (severity 4), post (severity 2, another figure) and retest (severity 4, a third figure:
same parameters as pre, different seed). The severity model is a small one trained on part
of the packaged test-retest rows (``session_support.phantom_model``), so the test does not
depend on which default model is shipped.
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from contract_support import assert_matches_schema
from session_support import BROWSER_ARGS

from posescore.compare import compare_results
from posescore.config import Settings
from posescore.constants import SIDES
from posescore.course import build_course
from posescore.model_design import leg_rows
from posescore.model_file import load_model
from posescore.overlay import face_boxes, render_overlay
from posescore.phantom import PhantomParams, render_phantom
from posescore.report import compare_report, score_report
from posescore.score import score_video

pytestmark = pytest.mark.slow
POSESCORE = str(Path(sys.executable).with_name("posescore"))
CLIP = dict(view="sagittal_left", walk="in_place", duration_s=6.0)


@pytest.fixture(scope="module")
def model_path(phantom_model_path):
    return phantom_model_path


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    out = tmp_path_factory.mktemp("sessions")
    specs = {
        "pre": PhantomParams(affected_side="left", severity=4.0, seed=7001, **CLIP),
        "post": PhantomParams(affected_side="left", severity=2.0, seed=7002, **CLIP),
        "retest": PhantomParams(affected_side="left", severity=4.0, seed=7003, **CLIP),
    }
    paths = {}
    for name, params in specs.items():
        paths[name] = out / f"{name}.mp4"
        render_phantom(params, paths[name])
    return paths


@pytest.fixture(scope="module")
def scored(videos, model_path):
    model = load_model(model_path)
    return {name: score_video(path, Settings(), model=model) for name, path in videos.items()}


@pytest.fixture(scope="module")
def model(model_path):
    return load_model(model_path)


def test_prepost_drop_of_two_is_a_decrease_beyond_noise(scored, model):
    pre, post = scored["pre"].to_dict(), scored["post"].to_dict()
    assert pre["quality"]["scorable"] and post["quality"]["scorable"]
    cmp_ = compare_results(pre, post, model=model, n_boot=1000, seed=0)
    left = cmp_["legs"]["left"]
    assert left["change"] < 0 and left["ci95"][1] < 0, left
    assert abs(left["change"]) > left["mdc95"], left
    assert left["beyond_noise"] and left["direction"] == "decrease", left
    assert not cmp_["legs"]["right"]["beyond_noise"], cmp_["legs"]["right"]
    json.dumps(cmp_, allow_nan=False)
    for result in (pre, post):
        assert_matches_schema("score", result)
    assert_matches_schema("comparison", cmp_)


def test_test_retest_pair_is_no_change_beyond_noise(scored, model):
    cmp_ = compare_results(scored["pre"].to_dict(), scored["retest"].to_dict(), model=model,
                           n_boot=1000, seed=0)
    for side in SIDES:
        assert not cmp_["legs"][side]["beyond_noise"], cmp_["legs"][side]
    flagged = [r["name"] for r in cmp_["features"] if r["beyond_noise"]]
    tested = [r for r in cmp_["features"] if r["ci95"] is not None and r["mdc95"] is not None]
    # each feature is tested at the 95% level: allow false alarms in up to 10% of them
    assert len(flagged) <= max(1, len(tested) // 10), flagged
    chance = [w["message"] for w in cmp_["warnings"] if w["code"] == "multiple_testing"]
    assert chance and "by chance" in chance[0]


def test_ten_session_course_with_gradual_decrease_has_negative_trend(scored, model):
    """Shortcut (documented): the 10 sessions' feature dicts are interpolated between the
    MediaPipe features of the severity-4 (pre) and severity-2 (post) phantoms, plus the
    test-retest spread (retest - pre, scaled by a random factor), then scored by the model.
    This exercises the model and the course maths without 10 more MediaPipe runs."""
    f4 = scored["pre"].to_dict()["features"]
    f2 = scored["post"].to_dict()["features"]
    fr = scored["retest"].to_dict()["features"]
    rng = np.random.default_rng(0)
    entries, results = [], []
    for session in range(1, 11):
        w = (session - 1) / 9
        jitter = rng.uniform(-0.5, 0.5)
        feats = {}
        for name, a in f4.items():
            b, r = f2.get(name), fr.get(name)
            if a is None or b is None:
                feats[name] = None
            else:
                feats[name] = (1 - w) * a + w * b + jitter * ((r if r is not None else a) - a)
        sev = model.estimator.predict(leg_rows(feats, "sagittal_left", model.measures))
        entries.append({"patient_id": "P01", "session": session, "date": "", "phase": "pre",
                        "task": "walk_forward"})
        results.append(scored["pre"].to_model().model_copy(update={"features": feats}))
        for i, side in enumerate(SIDES):
            leg = getattr(results[-1].legs, side)
            setattr(results[-1].legs, side, leg.model_copy(update={"severity": float(sev[i])}))
    course = build_course(entries, results)
    assert_matches_schema("course", course)
    trend = next(t for t in course["trends"] if t["measure"] == "left_severity")
    assert trend["slope_per_session"] < 0 and trend["ci95"][1] < 0, trend
    assert trend["direction"] == "decreasing"


def test_course_cli_on_a_manifest(videos, model_path, tmp_path, scored):
    manifest = tmp_path / "course.csv"
    lines = ["patient_id,session,date,phase,task,video"]
    for session, name in enumerate(("pre", "retest", "post"), start=1):
        lines.append(f"P01,{session},2026-03-0{session},pre,walk_forward,{videos[name]}")
    lines.append(f"P01,3,2026-03-03,post,walk_forward,{videos['post']}")
    manifest.write_text("\n".join(lines) + "\n")
    out = tmp_path / "course_out"
    proc = subprocess.run(
        [POSESCORE, "course", str(manifest), "--out", str(out), "--model", str(model_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "left_severity" in proc.stdout
    for name in ("longitudinal.csv", "trends.csv", "course.json", "course.png", "course.html"):
        assert (out / name).stat().st_size > 0
    rows = list(csv.DictReader(open(out / "longitudinal.csv")))
    assert len(rows) == 4 and all(not r["error"] for r in rows)
    assert str(videos["pre"].parent) not in (out / "course.json").read_text()
    assert_matches_schema("course", json.loads((out / "course.json").read_text()))


# --------------------------------------------------------------------------- report


def check_in_chromium(html_path: Path, screenshot: Path) -> list:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(html_path.resolve().as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])"
            )
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return images


@pytest.mark.browser
def test_reports_render_in_headless_chromium(scored, model, tmp_path):
    pre, post = scored["pre"], scored["post"]
    cmp_ = compare_results(pre.to_dict(), post.to_dict(), model=model, n_boot=300)
    reports = {
        "score": score_report(pre.to_dict(), pre.traces),
        "compare": compare_report(cmp_, pre.to_dict(), post.to_dict(), pre.traces, post.traces),
    }
    shots = Path(os.environ.get("POSESCORE_SCREENSHOT_DIR", tmp_path))
    for name, html in reports.items():
        assert "not clinically validated" in html
        assert str(pre.video.path) not in html and "pre.mp4" not in html  # pseudonymity
        path = tmp_path / f"{name}.html"
        path.write_text(html)
        images = check_in_chromium(path, shots / f"{name}.png")
        assert len(images) >= (3 if name == "score" else 6), images
        broken = [alt for alt, complete, width in images if not (complete and width > 0)]
        assert not broken, broken
        assert (shots / f"{name}.png").stat().st_size > 10_000


# --------------------------------------------------------------------------- overlay


def laplacian_var(img: np.ndarray) -> float:
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def test_overlay_blurs_the_face(scored, videos, tmp_path):
    res = scored["pre"]
    out, plain = tmp_path / "overlay.mp4", tmp_path / "deidentified.mp4"
    stats = render_overlay(res.video, res.traces.pose, res.to_dict(), out,
                           events=res.traces.events)
    assert stats["frames"] == res.video.frame_count == stats["frames_with_pose"]
    # the same blur without drawings, so that text or skeleton lines crossing the face box
    # do not count as detail
    render_overlay(res.video, res.traces.pose, res.to_dict(), plain, annotate=False)
    boxes = face_boxes(res.traces.pose)
    orig, over = cv2.VideoCapture(str(videos["pre"])), cv2.VideoCapture(str(plain))
    drawn = cv2.VideoCapture(str(out))
    ratios, changed = [], []
    for i in range(stats["frames"]):
        ok1, a = orig.read()
        ok2, b = over.read()
        ok3, c = drawn.read()
        assert ok1 and ok2 and ok3
        changed.append(float(np.abs(c.astype(int) - b.astype(int)).mean()))
        if i % 15 or not np.isfinite(boxes[i]).all():
            continue
        x0, y0, x1, y1 = boxes[i]
        dx, dy = 0.2 * (x1 - x0), 0.2 * (y1 - y0)  # inner part: no blur border, no skeleton
        x0, y0, x1, y1 = int(max(x0 + dx, 0)), int(max(y0 + dy, 0)), int(x1 - dx), int(y1 - dy)
        face_a, face_b = a[y0:y1, x0:x1], b[y0:y1, x0:x1]
        assert face_a.size > 0
        ratios.append(laplacian_var(face_b) / max(laplacian_var(face_a), 1e-6))
    assert len(ratios) >= 5
    assert max(ratios) < 0.25, ratios  # detail (edges) in the face box is gone
    assert min(changed) > 0.1  # skeleton and text are drawn on every frame


# --------------------------------------------------------------------------- batch


def test_batch_interrupted_and_resumed_scores_every_good_video_once(videos, model_path,
                                                                    tmp_path, scored):
    folder = tmp_path / "archive"
    (folder / "site_a" / "day1").mkdir(parents=True)
    shutil.copy(videos["pre"], folder / "site_a" / "day1" / "pre.mp4")
    shutil.copy(videos["post"], folder / "site_a" / "post.mp4")
    shutil.copy(videos["retest"], folder / "retest.mp4")
    (folder / "site_a" / "broken.mp4").write_bytes(os.urandom(4096))
    out = tmp_path / "out"
    cmd = [POSESCORE, "batch", str(folder), "--out", str(out), "--model", str(model_path),
           "--workers", "2"]
    # first run re-runs pose estimation so that it is slow enough to interrupt
    proc = subprocess.Popen(cmd + ["--no-cache"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if list(out.glob("*.json")):
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.1)
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode in (0, 130), stderr
    assert (out / "scores.csv").exists()  # tables written on interrupt too
    first = {p.name: json.loads(p.read_text())["batch"]["run_id"] for p in out.glob("*.json")}
    assert first and not list(out.glob(".*.tmp"))

    proc2 = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert proc2.returncode == 0, proc2.stderr
    assert f"skipped {len(first)}" in proc2.stdout
    jsons = {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}
    good = {"site_a__day1__pre.mp4.json", "site_a__post.mp4.json", "retest.mp4.json"}
    assert set(jsons) == good  # one JSON per good video, none for the broken one
    for result in jsons.values():
        assert_matches_schema("score", result)
    for name, run_id in first.items():  # nothing scored twice
        assert jsons[name]["batch"]["run_id"] == run_id
    rows = list(csv.DictReader(open(out / "scores.csv")))
    assert sorted(r["video"] for r in rows) == sorted(
        ["site_a/day1/pre.mp4", "site_a/post.mp4", "retest.mp4", "site_a/broken.mp4"])
    errors = {r["video"]: r["error"] for r in rows}
    assert errors["site_a/broken.mp4"] and not any(
        errors[v] for v in errors if v != "site_a/broken.mp4")
    import pyarrow.parquet as pq

    table = pq.read_table(out / "scores.parquet")
    assert table.num_rows == 4 and "left_severity" in table.column_names


def test_batch_anonymize_hides_file_names(videos, model_path, tmp_path, scored):
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(videos["pre"], folder / "Jane_Doe_2026-03-01.mp4")
    (folder / "John_Roe.mp4").write_bytes(b"not a video at all")
    out = tmp_path / "out"
    proc = subprocess.run(
        [POSESCORE, "batch", str(folder), "--out", str(out), "--model", str(model_path),
         "--anonymize"], capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for path in out.iterdir():
        if path.name == ".anonymize_salt":
            continue
        text = path.read_text(errors="ignore") if path.suffix != ".parquet" else str(
            __import__("pyarrow.parquet").parquet.read_table(path).to_pylist())
        assert "Jane" not in text and "John" not in text and "Doe" not in path.name, path
    rows = list(csv.DictReader(open(out / "scores.csv")))
    assert len(rows) == 2 and all(len(r["video"]) == 16 for r in rows)
    assert "Jane" not in proc.stdout + proc.stderr
