"""The upload page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

import os
import shutil

import httpx
import pytest
from api_support import running_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def test_page_scores_pre_and_post_and_shows_the_change(browser, tmp_path, phantom_clips):
    pre = phantom_clips("pre", "right", 3.0, seed=41)
    post = phantom_clips("post", "right", 1.0, seed=42)
    with running_server(tmp_path, "sqlite") as (server, key):
        page = browser.new_page()
        page.goto(server.url + "/")
        page.fill("#key", key)
        page.click("#save-key")
        assert page.text_content("#key-state") == "key kept for this tab only"
        assert page.evaluate("localStorage.length") == 0
        page.fill("#patient", "P-browser")
        page.fill("#session", "day3")
        page.set_input_files("#pre-file", str(pre))
        page.set_input_files("#post-file", str(post))
        page.click("#submit")
        page.wait_for_selector("#pre-progress", timeout=30_000)
        page.wait_for_selector("#severity", timeout=120_000)

        cols = ("pre", "post", "change", "ci", "mdc", "noise")
        shown = {f"{side}-{col}": page.text_content(f"#{side}-{col}")
                 for side in ("left", "right") for col in cols}
        history = httpx.post(server.url + "/v1/patients/sessions", json={"patient": "P-browser"},
                             headers={"X-API-Key": key}).json()
        by_phase = {t["phase"]: t for t in history["trend"]}
        for side in ("left", "right"):
            before = by_phase["pre"][f"{side}_severity"]
            after = by_phase["post"][f"{side}_severity"]
            # the comparison re-predicts both sessions with the same model
            assert float(shown[f"{side}-pre"]) == pytest.approx(before, abs=0.006)
            assert float(shown[f"{side}-post"]) == pytest.approx(after, abs=0.006)
            change = float(shown[f"{side}-change"])
            assert change == pytest.approx(after - before, abs=0.011)
            low, high = (float(v) for v in shown[f"{side}-ci"].strip("[]").split(","))
            assert low - 0.006 <= change <= high + 0.006
            assert float(shown[f"{side}-mdc"]) >= 0
            assert shown[f"{side}-noise"] == "no" or shown[f"{side}-noise"].startswith("yes, ")
        assert float(shown["right-change"]) < 0  # the post clip's right leg is less dystonic
        note = " ".join(page.inner_text("#result").split())
        assert "beyond noise only when its CI excludes zero" in note
        assert page.is_visible("#features")
        codes = page.eval_on_selector_all("#warnings li", "els => els.map(e => e.dataset.code)")
        assert "multiple_testing" in codes  # warnings are shown by message, keyed by code
        assert "[object Object]" not in note
        if os.environ.get("POSESCORE_TEST_SCREENSHOT"):
            page.screenshot(path=os.environ["POSESCORE_TEST_SCREENSHOT"], full_page=True)
        assert page.text_content("#pre-state") == "done"
