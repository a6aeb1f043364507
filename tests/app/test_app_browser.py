"""End to end in a real browser: `streamlit run app.py`, driven by Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 60.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.environ.get("CI") and not Path(CHROMIUM).exists(),
        reason="no /usr/bin/chromium (required in CI)",
    ),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("streamlit")
    port = free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--",
        "--scenario",
        "scenarios/teaching.toml",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with {proc.returncode}: "
                    + (tmp_path / "streamlit.log").read_text(errors="replace")[-2000:]
                )
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"streamlit did not answer on port {port} within {START_TIMEOUT:g} s"
                )
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1800})
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)  # the first run imports the solver stack
            yield page
        finally:
            browser.close()


def test_portfolio_page_in_a_browser(app_url: str, browser_page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Scenario", exact=True)).to_be_visible()
    # Navigate like a user: the sidebar's "Portfolio" entry.
    page.get_by_test_id("stSidebar").get_by_text("Portfolio", exact=True).click()
    expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()
    # The sample scenario is small: the exact solve runs after the quick answer.
    expect(page.get_by_text("Proven optimal").first).to_be_visible()
    expect(page.get_by_text("Selected partners", exact=True)).to_be_visible()
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Partners selected")).to_contain_text("5")
    expect(metrics.filter(has_text="Optimality gap")).to_contain_text("0.00%")
    # (the rule editor's table sits in a closed expander: the first visible one)
    expect(page.locator("[data-testid='stDataFrame']:visible").first).to_be_visible()
    page.wait_for_timeout(1500)  # let the charts finish drawing
    shot = tmp_path / "portfolio.png"
    page.screenshot(path=str(shot), full_page=True)
    from PIL import Image

    with Image.open(shot) as im:
        assert im.format == "PNG"
        width, height = im.size
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
    viewport = page.viewport_size
    assert viewport is not None and width == viewport["width"]
    assert height >= viewport["height"]  # the full page, at least one screen
    assert colours is None or len(colours) > 16, colours  # drawn, not a blank page
    keep = os.environ.get("APP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    # No Python traceback reached the page.
    assert page.get_by_test_id("stException").count() == 0


def upload(page: Any, files: list[Path]) -> None:
    page.get_by_text("Upload a scenario").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])
    for f in files:
        page.get_by_text(f.name).first.wait_for()
    page.get_by_role("button", name="Load uploaded scenario").click()


def test_upload_a_scenario_in_a_browser(app_url: str, browser_page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    src = ROOT / "scenarios" / "teaching"
    text = (ROOT / "scenarios" / "teaching.toml").read_text(encoding="utf-8")
    text = text.replace("teaching/", "").replace(
        'name = "Teaching: East-North-South"', 'name = "Uploaded teaching"'
    )
    scenario = tmp_path / "uploaded.toml"
    scenario.write_text(text, encoding="utf-8")
    tables = [src / "partners.csv", src / "segments.csv", src / "supply.csv"]
    page.goto(app_url)
    upload(page, [scenario, *tables])
    expect(page.get_by_role("heading", name="Uploaded teaching")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Partners")).to_contain_text("12")
    # A scenario that points outside the upload is refused, in words.
    hostile = tmp_path / "hostile.toml"
    hostile.write_text(text.replace('"partners.csv"', '"/etc/passwd"'), encoding="utf-8")
    page.reload()
    upload(page, [hostile, *tables])
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
        "points outside the uploaded files"
    )
    assert page.get_by_test_id("stException").count() == 0
