"""The HTML page: self-contained, shows the stages, hover details, folding, and no console errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from render_browser import console_errors, headless_chromium
from render_support import ci_run

from flowgraph import GraphBuilder, Result
from render.html import svg_fragment, to_html
from render.stage_view import stage_view_html


def _nasty_run() -> Any:
    """Stage names and arguments that try to break out of HTML, SVG, JSON and script contexts."""
    b = GraphBuilder(start_ms=0, step_ms=500)
    with b.stage("</script><script>window.pwned=1</script>"):
        b.step("sh", script="echo '<!--' && echo \"]]>\" && echo '</svg>' & & <b>")
    with b.stage("Quotes \"' & \\ back"), b.catch_error(stage_result=Result.UNSTABLE):
        b.step("sh", script="exit 3", error="<img src=x onerror=alert(1)>")
    return b.build()


def _external_references(page: str) -> list[str]:
    doc = lxml.html.fromstring(page)
    found = []
    for element in doc.iter():
        for attribute in ("src", "href", "xlink:href", "{http://www.w3.org/1999/xlink}href", "data"):
            value = element.get(attribute)
            if value and not value.startswith(("#", "data:")):
                found.append(f"{element.tag} {attribute}={value}")
    return found


def test_page_is_self_contained() -> None:
    page = to_html(ci_run())
    assert page.startswith("<!DOCTYPE html>")
    assert _external_references(page) == []
    assert "<link" not in page and "@import" not in page
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page
    doc = lxml.html.fromstring(page)
    # the stage graph, the node graph and the timeline are inline SVG
    assert len(doc.findall(".//svg")) == 3
    data = json.loads(doc.get_element_by_id("fg-data").text)
    assert data["nodes"]["20"]["error"] == "hudson.AbortException: script returned exit code 1"
    assert data["nodes"]["20"]["arg script"] == "ruff check"
    assert data["nodes"]["20"]["log"].startswith("log")
    # folding block 14 (the parallel) hides both branches' nodes
    assert {"16", "17", "18", "20", "22"} <= set(data["blocks"]["14"])


def test_hostile_text_stays_text() -> None:
    page = to_html(_nasty_run(), timeline=False)
    doc = lxml.html.fromstring(page)
    scripts = [s for s in doc.iter("script")]
    assert len(scripts) == 2  # our data and our code, nothing injected
    assert all("pwned" not in (s.text or "") or s.get("id") == "fg-data" for s in scripts)
    data = json.loads(doc.get_element_by_id("fg-data").text)
    assert any("</script>" in str(v) for node in data["nodes"].values() for v in node.values())
    assert "<img src=x" not in page  # escaped wherever it appears
    assert _external_references(page) == []


def test_svg_fragment_strips_prologue() -> None:
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<!-- made -->\n<svg/>'
    assert svg_fragment(svg) == "<svg/>"


# -- in a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


def _open(driver: Any, tmp_path: Path, page: str) -> None:
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    driver.get_log("browser")  # drop entries from earlier pages
    driver.get(path.as_uri())


def test_browser_shows_the_stages_without_console_errors(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, tmp_path, to_html(ci_run()))
    assert browser.title == "Pipeline run"
    visible = browser.find_element(By.TAG_NAME, "body").text
    for name in ("Build", "Test", "unit", "lint", "Failed"):
        assert name in visible
    stage_boxes = browser.find_elements(By.CSS_SELECTOR, "#fg-stages g.fg-stage")
    assert {e.get_attribute("id") for e in stage_boxes} >= {"s4", "s13", "s16", "s17"}
    assert browser.execute_script("return document.getElementById('n20').getClientRects().length") > 0  # drawn
    assert console_errors(browser) == []


def test_browser_hover_shows_details_and_click_folds_a_block(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open(browser, tmp_path, to_html(ci_run(), timeline=False))
    tip = browser.find_element(By.ID, "fg-tip")
    assert not tip.is_displayed()
    browser.find_element(By.ID, "fg-fit").click()  # the whole drawing in the viewer
    node = browser.find_element(By.ID, "n20")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", node)
    ActionChains(browser).move_to_element(node).perform()
    assert tip.is_displayed()
    assert "ruff check" in tip.text and "script returned exit code 1" in tip.text and "log" in tip.text
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h2")).perform()
    assert not tip.is_displayed()

    browser.execute_script("document.getElementById('b17').dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    assert "fg-folded" in browser.find_element(By.ID, "b17").get_attribute("class")
    assert "fg-hidden" in browser.find_element(By.ID, "n20").get_attribute("class")
    assert "fg-hidden" not in (browser.find_element(By.ID, "n18").get_attribute("class") or "")
    browser.execute_script("document.getElementById('b17').dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    assert "fg-hidden" not in browser.find_element(By.ID, "n20").get_attribute("class")

    browser.find_element(By.ID, "fg-collapse-all").click()
    assert browser.execute_script("return document.querySelectorAll('.fg-outline details[open]').length") == 0
    browser.find_element(By.ID, "fg-expand-all").click()
    assert browser.execute_script("return document.querySelectorAll('.fg-outline details[open]').length") == 4
    assert console_errors(browser) == []


def test_browser_hostile_names_do_not_run_scripts(browser: Any, tmp_path: Path) -> None:
    _open(browser, tmp_path, to_html(_nasty_run()))
    assert browser.execute_script("return window.pwned === undefined")
    assert "window.pwned=1" in browser.find_element("id", "fg-outline").text
    assert console_errors(browser) == []


def test_browser_stage_view_page(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, tmp_path, stage_view_html([ci_run(), ci_run()], title="ci"))
    cells = browser.find_elements(By.CSS_SELECTOR, "td.fg-cell")
    assert len(cells) == 2 * 4  # Build, Test, Test > unit, Test > lint
    assert "state-failure" in cells[1].get_attribute("class")
    assert cells[0].text == "1m 11s"
    assert console_errors(browser) == []
