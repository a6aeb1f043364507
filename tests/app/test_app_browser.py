"""End to end in a real browser: `streamlit run app.py`, driven by Chromium through Playwright."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
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


@contextlib.contextmanager
def serve(scenario: str, tmp_path: Path) -> Iterator[str]:
    """``streamlit run app.py -- --scenario SCENARIO`` on a free port; yields its URL."""
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
        scenario,
    ]
    # What-ifs are saved in a workspace of the test's own, never the user's.
    env = {**os.environ, "SELECTOR_DB": str(tmp_path / "workspace.db")}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
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


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve("scenarios/teaching.toml", tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="module")
def vendor_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve("scenarios/vendor.toml", tmp_path_factory.mktemp("streamlit-vendor")) as url:
        yield url


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


# --- the vendor scenario as a strategy team meets it ----------------------------------------


def wait_idle(page: Any, settle_ms: int = 800) -> None:
    """Until the app has finished running the script (no "Running..." widget)."""
    page.wait_for_timeout(settle_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=180_000
    )
    page.wait_for_timeout(300)


def full_screenshot(page: Any, path: Path) -> None:
    """The whole page: the viewport stretched to the main area's height for the shot."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 16_000)})
    page.wait_for_timeout(1200)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    keep = os.environ.get("APP_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def boxes_apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + a["width"] <= b["x"] + 0.5
        or b["x"] + b["width"] <= a["x"] + 0.5
        or a["y"] + a["height"] <= b["y"] + 0.5
        or b["y"] + b["height"] <= a["y"] + 0.5
    )


def assert_no_overlaps(page: Any) -> None:
    """Consecutive blocks of the page body do not overlap and none spills out of it."""
    main = page.get_by_test_id("stMainBlockContainer").bounding_box()
    blocks = page.locator(
        "[data-testid=stMainBlockContainer] > div > [data-testid=stVerticalBlock] > *"
    )
    shown = []
    for k in range(blocks.count()):
        box = blocks.nth(k).bounding_box()
        if box and box["height"] > 0 and box["width"] > 0:
            shown.append((k, box))
    for (k, a), (_j, b) in itertools.pairwise(shown):
        assert boxes_apart(a, b), f"block {k} overlaps the next: {a} {b}"
    for k, box in shown:
        assert box["x"] + box["width"] <= main["x"] + main["width"] + 1, f"block {k} spills out"


@pytest.mark.slow
def test_vendor_scenario_as_a_strategy_team_meets_it(
    vendor_url: str, browser_page: Any, tmp_path: Path
) -> None:
    """Load the vendor scenario, change the budget, prove, exclude a partner, save two
    what-ifs, compare them, open the map and find a partner; a screenshot of each page."""
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 1000})
    sidebar = page.get_by_test_id("stSidebar")
    page.goto(vendor_url)
    expect(page.get_by_role("heading", name="Scenario", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Partners")).to_contain_text("754")
    wait_idle(page)
    full_screenshot(page, tmp_path / "1-scenario.png")
    for n, title in ((2, "Criteria (AHP)"), (3, "Partners")):
        sidebar.get_by_text(title, exact=True).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        wait_idle(page)
        assert_no_overlaps(page)
        full_screenshot(page, tmp_path / f"{n}-{title.split()[0].lower()}.png")

    # Portfolio: a typed budget stays exact.
    sidebar.get_by_text("Portfolio", exact=True).click()
    expect(page.get_by_text("Quick answer (greedy heuristic)").first).to_be_visible(
        timeout=180_000
    )
    wait_idle(page)
    budget = page.get_by_role("spinbutton", name="Total budget")
    budget.fill("43210000")
    budget.press("Enter")
    wait_idle(page)
    # Exact money: the slack is never rounded away.
    expect(page.get_by_test_id("stMetric").filter(has_text="left of")).to_contain_text(
        "of 43,210,000"
    )
    # Prove: the exact solve runs with its clock, then says what it proved.
    page.get_by_role("button", name="Solve exactly").click()
    expect(page.get_by_text("Exact solve:")).to_be_visible(timeout=180_000)
    wait_idle(page)
    gap = page.get_by_test_id("stMetric").filter(has_text="Optimality gap")
    expect(gap).to_contain_text("%")
    # The heat map stays in its place: it does not cover the budget table after it.
    heat = page.get_by_test_id("stVegaLiteChart").first
    heat.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    heat_box = heat.bounding_box()
    after = page.get_by_role("heading", name="Budget use").bounding_box()
    table = page.get_by_test_id("stDataFrame").filter(has_text="Total budget").first
    assert heat_box and after and boxes_apart(heat_box, after)
    assert boxes_apart(heat_box, table.bounding_box())
    main = page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert heat_box["x"] + heat_box["width"] <= main["x"] + main["width"] + 1
    assert_no_overlaps(page)
    full_screenshot(page, tmp_path / "4-portfolio.png")

    # The partners chosen, as the strategist downloads them.
    with page.expect_download() as download:
        page.get_by_role("button", name="Portfolio (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    chosen = {r["partner_id"] for r in rows}
    assert len(chosen) > 100

    def save_what_if(name: str) -> None:
        page.get_by_role("textbox", name="What-if name").fill(name)
        page.get_by_role("button", name="Save what-if").click()
        expect(page.get_by_text(f"Saved what-if {name} (version 1)")).to_be_visible()
        wait_idle(page)

    save_what_if("Budget 43.21 M")
    # Rule out a prospect the portfolio does not use: nothing better can appear.
    unused = next(f"N{k:03d}" for k in range(1, 151) if f"N{k:03d}" not in chosen)
    exclude = page.get_by_test_id("stMultiSelect").filter(has_text="Must exclude")
    exclude.click()
    page.keyboard.type(unused)
    page.get_by_role("option").filter(has_text=unused).first.click()
    page.keyboard.press("Escape")
    wait_idle(page)
    expect(page.get_by_text("still keeps every rule")).to_be_visible()
    save_what_if(f"Budget 43.21 M without {unused}")

    # Compare the two what-ifs: only real changes, so none.
    sidebar.get_by_text("Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text("Every scenario selects the same partners as the baseline.")).to_be_visible(
        timeout=180_000
    )
    expect(
        page.get_by_text("Every plan proposes the same programme tier for every partner.")
    ).to_be_visible()
    expect(page.get_by_text("Coverage against budget")).to_be_visible(timeout=180_000)
    wait_idle(page)
    assert_no_overlaps(page)
    table = page.get_by_test_id("stDataFrame").first
    assert table.bounding_box()["width"] <= page.get_by_test_id(
        "stMainBlockContainer"
    ).bounding_box()["width"]
    full_screenshot(page, tmp_path / "5-compare.png")

    # The map: find a partner, see its routes and who depends on it.
    sidebar.get_by_text("Go-to-market map", exact=True).click()
    expect(page.get_by_role("heading", name="Go-to-market map", exact=True)).to_be_visible()
    wait_idle(page)
    find = page.get_by_test_id("stSelectbox").filter(has_text="Find a partner")
    find.click()
    page.keyboard.type("D011")
    page.get_by_role("option").filter(has_text="D011").first.click()
    wait_idle(page)
    expect(page.get_by_text("Routes from the vendor")).to_be_visible(timeout=180_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Partners depending on it")).to_be_visible()
    assert_no_overlaps(page)
    full_screenshot(page, tmp_path / "6-map.png")
    page.get_by_role("tab", name="Value flow").click()
    page.wait_for_timeout(1500)
    expect(page.locator(".sankey").first).to_be_attached()
    full_screenshot(page, tmp_path / "6-map-flow.png")
    assert page.get_by_test_id("stException").count() == 0


@pytest.mark.slow
def test_a_strategists_first_hour_on_vendor(
    vendor_url: str, browser_page: Any, tmp_path: Path
) -> None:
    """The first what-if a channel team asks: cut the budget 20 %, see the ways out with
    numbers, apply the fewest extra exits, get a proven plan, save it, compare it with the
    baseline and take it to Excel; a screenshot of each step."""
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    sidebar = page.get_by_test_id("stSidebar")
    page.goto(vendor_url)
    expect(page.get_by_role("heading", name="Scenario", exact=True)).to_be_visible()
    sidebar.get_by_text("Portfolio", exact=True).click()
    expect(page.get_by_text("Quick answer (greedy heuristic)").first).to_be_visible(
        timeout=180_000
    )
    wait_idle(page)

    # A minute for each proof (the slider's last stop), then cut the budget 20 %:
    # 44,740,000 -> 35,792,000, and ask for the proof.
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("End")
    wait_idle(page)
    expect(page.get_by_test_id("stSlider").filter(has_text="60")).to_be_visible()
    budget = page.get_by_role("spinbutton", name="Total budget")
    budget.fill("35792000")
    budget.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Solve exactly").click()
    expect(page.get_by_text("The smallest ways out")).to_be_visible(timeout=240_000)
    wait_idle(page)
    ways = page.get_by_test_id("stDataFrame").filter(has_text="Needed").first
    ways.scroll_into_view_if_needed()
    full_screenshot(page, tmp_path / "hour-1-ways-out.png")
    assert_no_overlaps(page)
    # The least extra budget and the fewest extra exits, with their numbers, as buttons.
    budget_button = page.get_by_role("button", name="Total budget → CNY")
    exits_button = page.get_by_role("button", name="Limit on exits → ")
    expect(budget_button).to_be_visible()
    expect(exits_button).to_be_visible()
    needed_exits = int(exits_button.inner_text().rsplit("→", 1)[1].strip().replace(",", ""))
    assert needed_exits > 36

    # Apply the fewest extra exits: the programme limit changes and the plan is proved.
    exits_button.click()
    expect(page.get_by_text("Applied: Raise the limit on exits")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Exact solve:")).to_be_visible(timeout=240_000)
    wait_idle(page)
    expect(page.get_by_text("The smallest ways out")).to_have_count(0)
    expect(page.get_by_text("Exact solve: Proven optimal")).to_be_visible()
    exits = page.get_by_test_id("stMetric").filter(has_text="Exit").first
    assert int(exits.inner_text().split()[-1].replace(",", "")) <= needed_exits
    expect(page.get_by_text("Programme: limits and tiers (edited)")).to_be_visible()
    full_screenshot(page, tmp_path / "hour-2-plan.png")
    assert_no_overlaps(page)

    # Save it to the workspace.
    name = f"Budget -20 %, {needed_exits} exits"
    page.get_by_role("textbox", name="What-if name").fill(name)
    page.get_by_role("button", name="Save what-if").click()
    expect(page.get_by_text(f"Saved what-if {name} (version 1)")).to_be_visible()
    wait_idle(page)

    # Take it to Excel: the plan with its money in the scenario's currency.
    with page.expect_download() as download:
        page.get_by_role("button", name="Portfolio (Excel)").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    assert "Plan" in book.sheetnames
    plan_header = [c.value for c in next(book["Plan"].iter_rows(max_row=1))]
    assert any(str(h).endswith("(CNY)") for h in plan_header), plan_header
    actions = {row[plan_header.index("action")] for row in book["Plan"].iter_rows(min_row=2, values_only=True)}
    assert "exit" in actions

    # Compare with the baseline: the bundled vendor scenario first, then the what-if.
    sidebar.get_by_text("Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible()
    wait_idle(page)
    pick = page.get_by_test_id("stMultiSelect").filter(has_text="Scenarios")
    pick.click()
    for _ in range(4):
        page.keyboard.press("Backspace")
    wait_idle(page)
    for option in ("Bundled: vendor.toml", f"What-if: {name}"):
        pick.click()
        page.keyboard.type(option.split(":")[1].strip()[:12])
        page.get_by_role("option").filter(has_text=option).first.click()
        page.keyboard.press("Escape")
        wait_idle(page)
    expect(page.get_by_text("Plans from today's channel")).to_be_visible(timeout=240_000)
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_contain_text("vendor.toml")
    expect(table).to_contain_text(name[:12])
    assert_no_overlaps(page)
    full_screenshot(page, tmp_path / "hour-3-compare.png")
    assert page.get_by_test_id("stException").count() == 0


@pytest.fixture(scope="module")
def vendor_roadmap_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve("scenarios/vendor-3y.toml", tmp_path_factory.mktemp("streamlit-3y")) as url:
        yield url


@pytest.mark.slow
def test_the_vendor_roadmap_on_the_portfolio_page(
    vendor_roadmap_url: str, browser_page: Any, tmp_path: Path
) -> None:
    """vendor-3y solved exactly: the roadmap over three years with its yearly summary,
    budget use, tiers, flow and partners year by year, nothing cut at 1,400 px; the
    Excel download carries the roadmap and its summary."""
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(vendor_roadmap_url)
    expect(page.get_by_role("heading", name="Scenario", exact=True)).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_text("Portfolio", exact=True).click()
    expect(page.get_by_text("Quick answer (greedy heuristic)").first).to_be_visible(
        timeout=180_000
    )
    wait_idle(page)
    # The quick answer is a roadmap too (unproven, as the status line says).
    expect(page.get_by_role("heading", name="Roadmap over 3 years")).to_be_visible()
    expect(page.get_by_text("appears with the exact solve")).to_have_count(0)
    # 30 s for the proof (the slider's third stop): End is 60 s, one step back 30 s.
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    wait_idle(page)
    expect(page.get_by_test_id("stSlider").filter(has_text="30")).to_be_visible()
    page.get_by_role("button", name="Solve exactly").click()
    expect(page.get_by_text("Exact solve:")).to_be_visible(timeout=240_000)
    wait_idle(page)
    heading = page.get_by_role("heading", name="Roadmap over 3 years")
    expect(heading).to_be_visible()
    summary = page.get_by_test_id("stDataFrame").filter(has_text="Active partners").first
    expect(summary).to_contain_text("Year 3")
    expect(page.get_by_text("From today's programme tiers through each year")).to_be_visible()
    expect(page.get_by_text("Partners year by year")).to_be_visible()
    heading.scroll_into_view_if_needed()
    page.set_viewport_size({"width": 1400, "height": 1900})
    heading.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(tmp_path / "roadmap-view.png"))
    keep = os.environ.get("APP_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "roadmap-view.png", Path(keep) / "roadmap-view.png")
    page.set_viewport_size({"width": 1400, "height": 1000})
    full_screenshot(page, tmp_path / "roadmap-page.png")
    assert_no_overlaps(page)
    # Every column of the yearly summary fits the page: no horizontal scroll bar.
    widths = summary.evaluate(
        "e => { const s = e.querySelector('.dvn-scroller'); "
        "return s ? [s.scrollWidth, s.clientWidth] : [0, 0]; }"
    )
    assert widths[0] <= widths[1] + 1, widths

    with page.expect_download() as download:
        page.get_by_role("button", name="Portfolio (Excel)").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    assert {"Roadmap", "Roadmap by year"} <= set(book.sheetnames)
    header = [c.value for c in next(book["Roadmap by year"].iter_rows(max_row=1))]
    assert "spend (CNY)" in header and "budget (CNY)" in header
    years = [row[0] for row in book["Roadmap by year"].iter_rows(min_row=2, values_only=True)]
    assert years == [1, 2, 3]
