"""The HTML page's graph viewer in headless Chromium: zoom, pan, fit, search, folding, labels.

Expectations come from the pictures' geometry, not from the script's own bookkeeping: the
viewBox the browser shows, the bounding boxes it computes, and the elements it displays.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from render_browser import console_errors, headless_chromium
from render_support import ci_run

from flowgraph import load
from render.graph_view import toolbar_html, view_css, view_script
from render.html import to_html

PARALLEL_BUILD = FIXTURES / "legacy-declarative-parallel-completed" / "jobs" / "ptest1" / "builds" / "1"


def test_viewer_parts_are_inlined_not_fetched() -> None:
    page = to_html(ci_run(), timeline=False)
    assert toolbar_html() in page and view_css() in page and view_script() in page
    assert 'id="fg-search"' in page and "<script src" not in page


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


def _open(driver: Any, tmp_path: Path, page: str) -> None:
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    driver.get_log("browser")
    driver.get(path.as_uri())


def _view_box(driver: Any) -> list[float]:
    text = driver.execute_script("return document.querySelector('#fg-graph .fg-view svg').getAttribute('viewBox')")
    return [float(v) for v in text.split()]


def _drawing_height(driver: Any) -> float:
    """The height the browser computes for everything drawn in the graph (folded parts are not drawn)."""
    return float(driver.execute_script("return document.querySelector('#fg-graph svg g.graph').getBBox().height"))


def _inside_view(driver: Any, element_id: str) -> bool:
    return bool(
        driver.execute_script(
            """var v = document.querySelector('#fg-graph .fg-view').getBoundingClientRect();
            var r = document.getElementById(arguments[0]).getBoundingClientRect();
            return r.width > 0 && r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom
                && r.top >= 0 && r.bottom <= window.innerHeight;""",
            element_id,
        )
    )


def _drawn(driver: Any, element_id: str) -> bool:
    """Whether the browser draws the element at all (it may lie outside the part shown)."""
    return bool(
        driver.execute_script(
            "var e = document.getElementById(arguments[0]); return e.getClientRects().length > 0"
            " && getComputedStyle(e).display !== 'none';",
            element_id,
        )
    )


def _click(driver: Any, element_id: str) -> None:
    driver.execute_script(
        "document.getElementById(arguments[0]).dispatchEvent(new MouseEvent('click', {bubbles: true}))", element_id
    )


def test_zoom_and_fit_change_the_view_box(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, tmp_path, to_html(ci_run(), timeline=False))
    drawn = browser.execute_script("return document.querySelector('#fg-graph svg g.graph').getBBox()")
    start = _view_box(browser)
    browser.find_element(By.ID, "fg-zoom-in").click()
    zoomed = _view_box(browser)
    assert zoomed[2] < start[2] and zoomed[3] < start[3]  # fewer units across: bigger picture
    browser.find_element(By.ID, "fg-zoom-out").click()
    browser.find_element(By.ID, "fg-zoom-out").click()
    assert _view_box(browser)[2] > start[2]
    browser.find_element(By.ID, "fg-fit").click()
    x, y, width, height = _view_box(browser)
    # The whole drawing (Graphviz's page is its bounding box) lies inside the box shown.
    assert x <= 0 and y <= 0 and x + width >= drawn["width"] - 1 and y + height >= drawn["height"] - 1
    assert min(width - drawn["width"], height - drawn["height"]) < 2  # and fills it in one direction
    browser.find_element(By.ID, "fg-actual").click()
    assert _view_box(browser) != [x, y, width, height]
    assert console_errors(browser) == []


def test_wheel_zooms_and_drag_pans(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open(browser, tmp_path, to_html(ci_run(), timeline=False))
    view = browser.find_element(By.CSS_SELECTOR, "#fg-graph .fg-view")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", view)
    before = _view_box(browser)
    browser.execute_script(
        "var v = arguments[0], r = v.getBoundingClientRect();"
        "v.dispatchEvent(new WheelEvent('wheel', {deltaY: -100, clientX: r.left + 50, clientY: r.top + 50,"
        " bubbles: true, cancelable: true}));",
        view,
    )
    wheeled = _view_box(browser)
    assert wheeled[2] < before[2]
    ActionChains(browser).move_to_element(view).click_and_hold().move_by_offset(-120, -80).release().perform()
    panned = _view_box(browser)
    assert panned[0] > wheeled[0] and panned[1] > wheeled[1]  # dragging left/up shows what is right/below
    assert panned[2] == pytest.approx(wheeled[2])
    assert console_errors(browser) == []


def test_folding_a_block_closes_the_drawing_up(browser: Any, tmp_path: Path) -> None:
    _open(browser, tmp_path, to_html(ci_run(), timeline=False))
    full = _drawing_height(browser)
    stage_top = browser.execute_script("return document.getElementById('n25').getBoundingClientRect().top")
    _click(browser, "b3")  # stage Build (ids: see render_support.ci_run)
    folded = _drawing_height(browser)
    assert folded < full - 100  # the stage's node block, its sh step and ends are gone from the height
    assert not _drawn(browser, "n7")
    assert _drawn(browser, "n3")  # the block's own start stays, as its title
    # What came after the stage moved up, still below the folded box.
    moved_top = browser.execute_script("return document.getElementById('n25').getBoundingClientRect().top")
    assert moved_top < stage_top
    b3 = browser.execute_script("return document.getElementById('b3').getBoundingClientRect()")
    n12 = browser.execute_script("return document.getElementById('n12').getBoundingClientRect()")
    assert b3["bottom"] <= n12["top"]  # nothing overlaps after closing up
    _click(browser, "b3")
    assert _drawing_height(browser) == pytest.approx(full, abs=0.5)
    assert _drawn(browser, "n7")
    assert console_errors(browser) == []


def test_folding_beside_a_branch_keeps_it_whole(browser: Any, tmp_path: Path) -> None:
    _open(browser, tmp_path, to_html(ci_run(), timeline=False))
    full = _drawing_height(browser)
    _click(browser, "b16")  # branch unit, beside branch lint (17 -> 20 -> 21 -> parallel end 22)
    assert _drawing_height(browser) <= full
    script = "return document.getElementById(arguments[0]).getBoundingClientRect()"
    chain = [browser.execute_script(script, f"n{n}") for n in (17, 20, 21, 22)]
    for upper, lower in itertools.pairwise(chain):
        assert lower["top"] - upper["bottom"] > 10  # still apart, with room for the arrow between them
    assert _drawn(browser, "n20") and not _drawn(browser, "n18")
    assert console_errors(browser) == []


def test_search_on_a_real_run_unfolds_highlights_and_scrolls(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    run = load(str(PARALLEL_BUILD))
    _open(browser, tmp_path, to_html(run, timeline=False))
    full = _drawing_height(browser)
    browser.find_element(By.ID, "fg-fold-all").click()
    assert _drawing_height(browser) < full / 2
    # Node 22 is `echo 'In branch-two'` (workflow/22.xml), inside the folded stage 'parent'.
    assert not _drawn(browser, "n22")
    browser.execute_script("window.scrollTo(0, 0)")
    before = _view_box(browser)
    box = browser.find_element(By.ID, "fg-search")
    box.send_keys("in BRANCH-two")
    assert browser.find_element(By.ID, "fg-found").text == "1 found"
    box.send_keys(Keys.ENTER)
    node = browser.find_element(By.ID, "n22")
    assert "fg-current" in node.get_attribute("class")
    assert node.is_displayed()  # drawn and inside the part shown
    assert _view_box(browser) != before
    assert _inside_view(browser, "n22")
    assert browser.find_element(By.ID, "fg-found").text == "1 of 1"
    box.clear()
    box.send_keys("no such step anywhere")
    assert browser.find_element(By.ID, "fg-found").text == "no match"
    assert browser.execute_script("return document.querySelectorAll('#fg-graph .fg-match').length") == 0
    assert console_errors(browser) == []


def test_search_matches_labels_and_steps_and_cycles(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, tmp_path, to_html(ci_run(), timeline=False))
    box = browser.find_element(By.ID, "fg-search")
    box.send_keys("sh")  # the three sh steps (7, 18, 20) and nothing else says "sh"
    matched = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#fg-graph g.fg-match'),"
        " function (g) { return g.id; })"
    )
    assert set(matched) == {"n7", "n18", "n20"}
    seen = []
    for _ in range(4):
        box.send_keys(Keys.ENTER)
        seen.append(browser.execute_script("return document.querySelector('#fg-graph g.fg-current').id"))
        assert _inside_view(browser, seen[-1])
    assert set(seen[:3]) == {"n7", "n18", "n20"} and seen[3] == seen[0]
    assert console_errors(browser) == []


def test_no_label_spills_out_of_its_box(browser: Any, tmp_path: Path) -> None:
    run = load(str(PARALLEL_BUILD))
    _open(browser, tmp_path, to_html(run, timeline=False))
    spills = browser.execute_script(
        """var out = [];
        document.querySelectorAll('#fg-graph g.node, #fg-graph g.cluster').forEach(function (g) {
          var shape = g.querySelector('path, polygon, ellipse');
          if (!shape) { return; }
          var s = shape.getBoundingClientRect();
          g.querySelectorAll('text').forEach(function (t) {
            var r = t.getBoundingClientRect();
            if (r.left < s.left - 0.5 || r.right > s.right + 0.5) { out.push(g.id + ': ' + t.textContent); }
          });
        });
        return out;"""
    )
    assert spills == []
    assert console_errors(browser) == []
