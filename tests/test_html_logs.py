"""The HTML page's "what failed" section and per-step log panels (issue 13), in headless Chromium.

Expected texts are read off danish-completed-timeout builds/3 by hand: a retry(3) of
``sh 'I am not going to work :c'`` in stage 'Timeout'; the three attempts are nodes 9, 12 and 15,
each printing two lines (the command, then ``...script.sh.copy: 1: I: not found``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from render_browser import console_errors, headless_chromium
from render_support import FIXTURES

from flowgraph.jenkins.runs import load_run
from render.html import to_html
from render.html_logs import StepLogPanels
from scanners import analyze

RETRIED = FIXTURES / "danish-completed-timeout" / "jobs" / "pipeline" / "builds" / "3"


@pytest.fixture(scope="module")
def page() -> str:
    return to_html(load_run(RETRIED), timeline=False)


def test_page_opens_with_the_failure_and_lists_the_caught_attempts_apart(page: str) -> None:
    doc = lxml.html.fromstring(page)
    main = doc.find(".//main")
    assert main is not None and main[0].get("id") == "fg-failures"  # first thing on the page
    failure = doc.get_element_by_id("fg-failures")
    text = failure.text_content()
    assert text.index("First failure") < text.index("(node 15)") < text.index("caught")
    assert "Timeout" in text and "(node 15)" in text and "AbortException: script returned exit code 127" in text
    assert "I: not found" in text  # its last log lines
    assert "2 error(s) were caught (retry) and are not failures." in text
    assert "(node 9)" not in text and "None" not in page


def test_every_step_with_output_has_a_log_panel(page: str) -> None:
    doc = lxml.html.fromstring(page)
    panels = {p.get("data-log"): p.text_content() for p in doc.find_class("fg-log")}
    assert set(panels) == {"9", "12", "15"}
    for text in panels.values():
        assert "Log (2 lines)" in text and "I am not going to work :c" in text and "I: not found" in text


def test_page_budget_cuts_logs_and_says_so() -> None:
    run = load_run(RETRIED)
    panels = StepLogPanels(run, lines_per_step=1, page_lines=2)
    steps = [s for s in analyze(run).iter_steps() if s.id in ("9", "12", "15")]
    first, second, third = (panels.panel(s) for s in steps)
    assert "[\u2026 1 earlier line(s) left out" in first and "I: not found" in first
    assert "I am not going" not in first.split("</span>", 1)[1]  # only the last line is kept
    assert second and third == ""
    assert "Logs of 1 more step(s) were left out" in panels.closing_note()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


def test_browser_log_panel_folds_open_and_shows_the_text(browser: Any, tmp_path: Path, page: str) -> None:
    from selenium.webdriver.common.by import By

    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    browser.get_log("browser")
    browser.get(path.as_uri())
    panel = browser.find_element(By.CSS_SELECTOR, 'details.fg-log[data-log="15"]')
    text = panel.find_element(By.TAG_NAME, "pre")
    assert not text.is_displayed()  # folded until asked
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", panel)
    panel.find_element(By.TAG_NAME, "summary").click()
    assert text.is_displayed()
    assert "I: not found" in text.text and "I am not going to work :c" in text.text
    browser.find_element(By.ID, "fg-collapse-all").click()  # folds stages, leaves log panels alone
    assert panel.get_attribute("open") is not None
    assert browser.find_element(By.ID, "fg-failures").is_displayed()
    assert console_errors(browser) == []


def test_browser_glyphs_take_their_own_state_colour(browser: Any, tmp_path: Path) -> None:
    from flowgraph import GraphBuilder, Result

    b = GraphBuilder(start_ms=0, step_ms=100)
    with b.stage("Lint"), b.catch_error(stage_result=Result.UNSTABLE):
        b.step("sh", script="echo fine")
        b.step("sh", script="ruff", error="E501")
    path = tmp_path / "glyphs.html"
    path.write_text(to_html(b.build(), timeline=False), encoding="utf-8")
    browser.get(path.as_uri())
    colours = browser.execute_script(
        "var css = getComputedStyle(document.documentElement);"
        "function c(sel) { return getComputedStyle(document.querySelector(sel)).color; }"
        "var probe = document.createElement('span'); document.body.appendChild(probe);"
        "function v(name) { probe.style.color = css.getPropertyValue(name); return getComputedStyle(probe).color; }"
        "return [c('details.state-unstable > summary > .fg-glyph'), c('li.state-success > .fg-glyph'),"
        " v('--fg-unstable'), v('--fg-success')];"
    )
    stage_glyph, step_glyph, unstable, success = colours
    assert stage_glyph == unstable and step_glyph == success and success != unstable
