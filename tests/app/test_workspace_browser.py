"""The team workspace in a real browser: a three-person judgment round end to end, and a
saved what-if that survives a restart of the app (two `streamlit run` processes on one
SQLite workspace)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_app_browser import CHROMIUM, CHROMIUM_ARGS, START_TIMEOUT, free_port

from selector.store import open_store

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("CI") and not Path(CHROMIUM).exists(),
        reason="no /usr/bin/chromium (required in CI)",
    ),
]


@contextlib.contextmanager
def streamlit_app(db: Path, log_path: Path, user: str = "Ana") -> Iterator[str]:
    """`streamlit run app.py` on a free port with ``SELECTOR_DB=db``, run by the
    operating-system user ``user`` (no sign-in configured: the app saves as them);
    yields its URL."""
    port = free_port()
    env = {**os.environ, "SELECTOR_DB": str(db), "LOGNAME": user}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--", "--scenario", "scenarios/teaching.toml"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}: "
                                       + log_path.read_text(errors="replace")[-2000:])
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"streamlit did not answer on port {port}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            expect.set_options(timeout=60_000)
            yield b
        finally:
            b.close()


def new_page(browser: Any, url: str, title: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1440, "height": 1800})
    page.set_default_timeout(60_000)
    page.goto(url)
    expect(page.get_by_role("heading", name="Scenario", exact=True)).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_text(title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    return page


def settle(page: Any) -> None:
    """Wait until the app has finished its rerun (no "Running..." status)."""
    from playwright.sync_api import expect

    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def every_pair(store: Any, first: float) -> list[tuple[str, str, str, float]]:
    """The round's model judgments, Strategic fit vs Capability set to ``first``: what a
    participant who moves only that slider submits."""
    model = store.load_model(store.round(1).model_version_id)
    pairs: dict[tuple[str, str, str], float] = {}
    for js in model.judgments:
        for a, b, v in js.pairs:
            if (js.parent, b, a) not in pairs:
                pairs.setdefault((js.parent, a, b), v)
    pairs.pop(("goal", "capability", "strategic_fit"), None)
    pairs[("goal", "strategic_fit", "capability")] = first
    return [(p, a, b, v) for (p, a, b), v in pairs.items()]


def no_traceback(page: Any) -> None:
    assert page.get_by_test_id("stException").count() == 0


def test_three_person_judgment_round_in_a_browser(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    db = tmp_path / "team.db"
    # Fran's app (no sign-in: single-user as Fran); Ana and Bo judge from their own
    # selector on the shared workspace.
    with streamlit_app(db, tmp_path / "streamlit.log", user="Fran") as url:
        page = new_page(browser, url, "Group judgments")
        expect(page.get_by_text("Single-user: no sign-in is configured")).to_be_visible()
        assert page.get_by_role("textbox", name="Your name").count() == 0
        settle(page)  # a click while the page still runs can be lost on a busy machine
        page.get_by_text("Facilitator: open a new round").click()
        settle(page)
        page.get_by_role("button", name="Open a round").click()
        expect(page.get_by_text("Opened round #1")).to_be_visible()
        for name, value in (("Ana", 3.0), ("Bo", 7.0)):
            with contextlib.closing(open_store(db, user=name)) as theirs:
                theirs.submit_judgments(1, every_pair(theirs, value))
        page.reload()
        expect(page.get_by_text("Judging as Fran")).to_be_visible()
        settle(page)
        slider = page.get_by_role("slider").first
        slider.focus()
        for _ in range(4):
            slider.press("ArrowRight")
        page.get_by_role("button", name="Submit my judgments").click()
        expect(page.get_by_text("judgments of Fran in round #1")).to_be_visible()
        no_traceback(page)
        expect(page.get_by_text("3 participants: Ana")).to_be_visible()
        expect(page.get_by_test_id("stMetric").filter(has_text="Consensus").first).to_be_visible()
        expect(page.get_by_text("Where people disagree most")).to_be_visible()
        page.get_by_role("button", name="Adopt the group judgments as the model's").click()
        expect(page.get_by_text("Adopted: Partner selection model version 2")).to_be_visible()
        no_traceback(page)
        shot = os.environ.get("APP_SCREENSHOT_ROUND")
        if shot:
            page.screenshot(path=shot, full_page=True)
    store = open_store(db)
    subs = store.judgments(1)
    assert [s.participant for s in subs] == ["Ana", "Bo", "Fran"]
    first = {s.participant: next(v for p, a, b, v in s.pairs if p == "goal") for s in subs}
    assert first["Bo"] > first["Ana"] > first["Fran"]
    assert store.round(1).status == "adopted"
    store.close()


def test_a_saved_what_if_survives_a_restart_in_a_browser(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    db = tmp_path / "team.db"
    with streamlit_app(db, tmp_path / "first.log") as url:
        # The one "Save what-if" is on the Portfolio page; it saves to the workspace.
        page = new_page(browser, url, "Portfolio")
        page.get_by_role("textbox", name="What-if name").fill("keep it lean")
        page.get_by_role("button", name="Save what-if").click()
        expect(page.get_by_text("Saved what-if keep it lean (version 1)")).to_be_visible()
        # Workspace lists it at once.
        page.get_by_test_id("stSidebar").get_by_text("Workspace", exact=True).click()
        expect(page.get_by_role("heading", name="Workspace", exact=True)).to_be_visible()
        expect(page.get_by_test_id("stDataFrame").first).to_contain_text("keep it lean")
        assert page.get_by_role("button", name="Save what-if").count() == 0
        no_traceback(page)
    # A new app process on the same workspace.
    with streamlit_app(db, tmp_path / "second.log") as url:
        page = new_page(browser, url, "Workspace")
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
        page.get_by_role("button", name="Open what-if").click()
        expect(page.get_by_text("Opened what-if keep it lean")).to_be_visible()
        expect(page.get_by_test_id("stSidebar").get_by_text("keep it lean v1")).to_be_visible()
        no_traceback(page)
