"""The web app in headless Chromium at tablet width: upload a visit, a course, the keyboard.

Scoring is the stub of ``web_support`` (a real-scoring upload is ``test_api_browser``); the
course's visits are stored straight in the database. Each page's screenshot is written to
the test's temporary folder (pytest keeps the last three runs) and its main elements asserted.
"""

from pathlib import Path

import httpx
import pytest
from api_support import write_blank_video
from web_support import TABLET_PX, chromium, no_horizontal_overflow, seed_visit, stub_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with stub_server(tmp_path_factory.mktemp("web_service")) as (server, key):
        yield server, key


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, service):
    server, key = service
    context = browser.new_context(viewport={"width": TABLET_PX[0], "height": TABLET_PX[1]})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/")
    page.fill("#key", key)
    page.press("#key", "Enter")  # the key's form submits on Enter
    assert page.text_content("#key-state") == "key kept for this tab only"
    yield page
    context.close()
    assert errors == []  # no script error on any page


def shot(page, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot in the test's output; the page fits the tablet's width."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    assert no_horizontal_overflow(page), f"{name}: wider than {TABLET_PX[0]} px"
    return path


def api(service, path: str, body: dict) -> dict:
    server, key = service
    answer = httpx.post(server.url + path, json=body, headers={"X-API-Key": key}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def chart_values(page) -> dict[tuple[str, str, str], str]:
    """(visit label, phase, side) -> the severity written on the course chart."""
    found = page.eval_on_selector_all(
        "#course-svg g.point text.value",
        "els => els.map(e => [e.dataset.session, e.dataset.phase, e.dataset.side, e.textContent])")
    return {(s, ph, side): text for s, ph, side, text in found}


def test_upload_a_visit_of_three_clips_and_see_it_fused(page, service, tmp_path):
    videos = [write_blank_video(tmp_path / f"clip{i}.mp4") for i in range(3)]
    page.click("#nav-upload")
    page.fill("#patient", "P-upload")
    page.fill("#session", "day1")
    page.select_option("#phase", "pre")
    page.set_input_files("#files", [str(v) for v in videos])
    page.wait_for_selector("#clip-2-view")
    assert page.locator("#clips tbody tr").count() == 3
    assert page.locator("#clip-0-view option").all_inner_texts() == [
        "detect", "left side", "right side", "front", "back", "oblique"]
    page.select_option("#clip-0-view", "sagittal_left")
    page.select_option("#clip-1-view", "frontal")
    page.select_option("#clip-2-task", "walk_backward")  # its view is left to be detected
    assert page.is_visible("#clip-0-progress")
    assert page.locator("#clip-2-view option:checked").inner_text() == "detect"
    shot(page, tmp_path, "upload")
    page.click("#submit")
    page.wait_for_selector("#visit-summary", timeout=60_000)
    page.wait_for_selector("#measures-left", timeout=60_000)
    shot(page, tmp_path, "visit")

    visit = api(service, "/v1/patients/visit", {"patient": "P-upload", "session": "day1",
                                                 "phase": "pre"})
    assert [j["status"] for j in visit["jobs"]] == ["done"] * 3
    # the summary comes first, sentence by sentence as the API wrote it
    assert page.inner_text("#visit-summary").split("\n")[0] == visit["summary"][0]
    for side in ("left", "right"):
        assert page.text_content(f"#{side}-severity") == f"{visit['legs'][side]['severity']:.1f}"
        low, high = visit["legs"][side]["severity_interval"]
        assert page.text_content(f"#{side}-interval") == f"{low:.1f}-{high:.1f}"
    rows = page.locator("#visit-clips tbody tr")
    assert rows.count() == 3
    stated = [rows.nth(i).locator("td").nth(2).inner_text() for i in range(3)]
    assert stated == ["left side", "front", "detect"]
    # measures carry plain labels grouped by leg, never a code name
    left_measures = page.inner_text("#measures-left")
    assert "ankle plantarflexion at heel strike (degrees)" in left_measures
    assert "_deg" not in left_measures and "_deg" not in page.inner_text("#measures-right")
    # the patient list now holds the patient, reachable from the page
    page.click("#nav-patients")
    page.wait_for_selector("#patient-list button[data-patient='P-upload']")


def test_course_chart_of_a_patient_with_three_visits(page, service, tmp_path):
    for session, phase, left in (("day1", "pre", 3.0), ("day1", "post", 2.0),
                                 ("day2", "pre", 2.6)):
        seed_visit(service[0], "P-three", session, phase,
                   [("sagittal_left", left, 0.3), ("frontal", left, 0.3)])
    page.click("#nav-patients")
    page.click("#patient-list button[data-patient='P-three']")
    page.wait_for_selector("#course-svg")
    shot(page, tmp_path, "course-three")
    course = api(service, "/v1/patients/course", {"patient": "P-three"})
    shown = chart_values(page)
    assert len(shown) == 2 * len(course["visits"]) == 6
    for row in course["visits"]:
        for side in ("left", "right"):
            severity = row[f"{side}_severity"]
            assert shown[(row["visit"]["label"], row["phase"], side)] == f"{severity:.1f}"
    assert page.locator("#course-svg line.interval").count() == 6
    assert page.locator("#course-svg g.point circle.pre").count() == 4  # two pre visits, both legs
    assert page.locator("#timeline li").count() == 3
    # two visits compared: the first (day1 pre) with the third (day2 pre)
    page.select_option("#compare-post", "2")
    page.click("#compare button")
    page.wait_for_selector("#comparison-legs")
    shot(page, tmp_path, "visit-comparison")
    compared = api(service, "/v1/patients/visit-comparison", {
        "patient": "P-three", "pre": {"session": "day1", "phase": "pre"},
        "post": {"session": "day2", "phase": "pre"}})
    assert page.inner_text("#comparison-summary").split("\n")[0] == compared["summary"][0]
    left = page.locator("#comparison-legs tr[data-side='left'] td")
    leg = compared["legs"]["left"]
    assert left.nth(2).inner_text() == f"{leg['change']:+.1f}"
    assert left.nth(4).inner_text().startswith(leg["direction"])


def test_ten_daily_sessions_pre_and_post(page, service, tmp_path):
    """The seed's scenario: 10 daily sessions, each filmed before and after treatment."""
    for day in range(1, 11):
        pre = 3.4 - 0.12 * day
        for phase, left in (("pre", pre), ("post", pre - 1.2)):
            seed_visit(service[0], "P-course", f"day{day}", phase,
                       [("sagittal_left", left, 0.4), ("sagittal_right", left, 0.4),
                        ("frontal", left, 0.4)])
    page.fill("#patient-search", "P-course")
    page.press("#patient-search", "Enter")
    page.wait_for_selector("#changes")
    shot(page, tmp_path, "course-ten-sessions")
    course = api(service, "/v1/patients/course", {"patient": "P-course"})

    assert len(chart_values(page)) == 40
    sentences = page.inner_text("#course-sentences")
    for sentence in course["summary"]:
        assert sentence in sentences
    trends = page.locator("#trends tbody tr")
    assert trends.count() == len(course["trends"]) == 4  # each leg, pre and post
    for i, trend in enumerate(course["trends"]):
        cells = [trends.nth(i).locator("td").nth(k).inner_text() for k in range(5)]
        assert cells[0] == trend["phase"]
        assert cells[1] == f"{trend['slope_per_session']:+.2f}"
        assert cells[2] == f"{trend['ci95'][0]:+.2f} to {trend['ci95'][1]:+.2f}"
        assert cells[3] == trend["direction"]
    left_pre = next(t for t in course["trends"]
                    if (t["measure"], t["phase"]) == ("left_severity", "pre"))
    assert left_pre["direction"] == "decreasing"

    changes = page.locator("#changes tbody tr")
    assert changes.count() == len(course["changes"]) == 10
    for i, change in enumerate(course["changes"]):
        verdict = changes.nth(i).locator("td.verdict[data-side='left']").inner_text()
        leg = change["legs"]["left"]
        assert verdict.startswith(leg["direction"])
        assert ("beyond noise" in verdict) is leg["beyond_noise"]
        values = changes.nth(i).locator("td[data-side='left']").first.inner_text()
        assert f"{leg['pre']:.1f} → {leg['post']:.1f} ({leg['change']:+.1f};" in values
    assert changes.nth(0).locator("th").inner_text() == "day1"


def test_keyboard_reaches_the_upload_and_patient_controls(page):
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    for control in ("key", "nav-patients", "nav-upload", "patient-search"):
        assert control in reached
    page.focus("#nav-upload")
    page.keyboard.press("Enter")
    assert page.is_visible("#upload-view")
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    assert {"session", "phase", "files"} <= set(reached)
    # every form control has a label
    unlabelled = page.eval_on_selector_all("input, select", "els => els.filter(e => "
                                           "!e.labels.length && !e.ariaLabel).map(e => e.id)")
    assert unlabelled == []
