"""The web app in headless Chromium with real scoring (MediaPipe in the service's worker).

A session's pre and post visits are uploaded through the page; the visit page plays the
job's overlay video (faces blurred, rendered by the worker) and the patient's course shows
the session's pre/post change as the API computes it.
"""

import os

import httpx
import pytest
from api_support import running_server
from web_support import chromium

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def upload_visit(page, patient: str, session: str, phase: str, video) -> None:
    page.click("#nav-upload")
    page.fill("#patient", patient)
    page.fill("#session", session)
    page.select_option("#phase", phase)
    page.set_input_files("#files", str(video))
    page.wait_for_selector("#clips tbody tr progress")  # the chosen clip has its row
    page.click("#submit")
    page.wait_for_selector("#visit-summary", timeout=240_000)
    page.wait_for_selector("#visit-measures table", timeout=240_000)


def test_page_scores_a_pre_and_post_visit_and_shows_the_change(tmp_path, phantom_clips):
    pre = phantom_clips("pre", "right", 3.0, seed=41)
    post = phantom_clips("post", "right", 1.0, seed=42)
    with chromium() as browser, running_server(tmp_path, "sqlite") as (server, key):
        page = browser.new_page()
        page.goto(server.url + "/")
        page.fill("#key", key)
        page.click("#save-key")
        assert page.text_content("#key-state") == "key kept for this tab only"
        assert page.evaluate("localStorage.length") == 0
        upload_visit(page, "P-browser", "day3", "pre", pre)
        assert "failed" not in page.inner_text("#visit-clips")
        # the overlay video of the clip plays in the page
        page.wait_for_function("document.querySelector('#overlay') && "
                               "document.querySelector('#overlay').readyState >= 2",
                               timeout=30_000)
        assert page.evaluate("document.querySelector('#overlay').videoWidth") > 0
        assert page.is_visible("#overlay")
        page.screenshot(path=str(tmp_path / "visit-real.png"), full_page=True)
        upload_visit(page, "P-browser", "day3", "post", post)

        page.click("#back-to-patient")
        page.wait_for_selector("#changes")
        course = httpx.post(server.url + "/v1/patients/course", json={"patient": "P-browser"},
                            headers={"X-API-Key": key}).json()
        (change,) = course["changes"]
        row = page.locator("#changes tbody tr").first
        for side in ("left", "right"):
            leg = change["legs"][side]
            shown = row.locator(f"td[data-side='{side}']").first.inner_text()
            assert f"{leg['pre']:.1f} → {leg['post']:.1f}" in shown
            verdict = row.locator(f"td.verdict[data-side='{side}']").inner_text()
            assert verdict.startswith(leg["direction"])
        assert change["legs"]["right"]["change"] < 0  # the post clip's right leg is less dystonic
        assert "[object Object]" not in page.inner_text("main")
        if os.environ.get("POSESCORE_TEST_SCREENSHOT"):
            page.screenshot(path=os.environ["POSESCORE_TEST_SCREENSHOT"], full_page=True)
        page.screenshot(path=str(tmp_path / "course-real.png"), full_page=True)
