"""The dashboard as a person sees it: Debian's chromium, headless, loads the site from
http://127.0.0.1 (the buckets and the site served from one folder), and we check what is
visible and follow the links. A screenshot goes to test-artifacts/dashboard.png."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from browser import ARTIFACTS  # the browser fixture itself comes from tests/conftest.py

pytestmark = pytest.mark.slow


def by_css(driver, css):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def link(driver, text, within=None):
    from selenium.webdriver.common.by import By

    return (within or driver).find_element(By.LINK_TEXT, text)


def screenshot(driver, path: Path) -> None:
    """The whole page, for a person to look at (test-artifacts/ is git-ignored)."""
    path.parent.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 600), 4000) + 140)
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(1280, 1000)


def visible_text(driver) -> str:
    return by_css(driver, "body")[0].text


@pytest.fixture(scope="module")
def index(browser, served):
    browser.get(served + "logs/dashboard/index.html")
    return browser


def test_index_shows_every_project_and_what_needs_attention(index):
    assert index.title == "tektoncd releases"
    text = visible_text(index)
    attention = by_css(index, "ul.attention")[0].text.splitlines()
    assert attention == ["chains: ⚠ No nightly in the bucket yet",
                         "pipeline: ⚠ Nightly stale: newest is 2 days 2 hours old, schedule runs every 24 hours",
                         "pipeline: ✗ Newest nightly v20261122-3333333333 failed its post-release test at smoke",
                         "triggers: ✗ Newest release v0.30.0 failed"]
    rows = {r.find_element("css selector", "th").text.splitlines()[0]: r.text
            for r in by_css(index, "table tbody tr")}
    assert set(rows) == {"chains", "pipeline", "triggers"}
    assert "v1.10.0" in rows["pipeline"] and "v20261122-3333333333" in rows["pipeline"]
    assert "⚠ Stale" in rows["pipeline"] and "✗ Failed" in rows["triggers"]
    assert "⚠ No nightly" in rows["chains"]
    assert "v20261124-4444444444" in rows["triggers"] and "✓ Succeeded" in rows["triggers"]
    assert "Generated 2026-11-24 06:00 UTC" in text


def test_project_page_lists_nightlies_newest_first_with_marks(index, served):
    link(index, "pipeline", by_css(index, "table")[0]).click()
    assert index.current_url == served + "logs/dashboard/pipeline/index.html"
    assert by_css(index, "h1")[0].text == "pipeline"
    tables = by_css(index, "table")
    captions = [t.find_element("css selector", "caption").text for t in tables]
    assert captions == ["Nightly releases of pipeline, newest first",
                        "Full releases of pipeline, newest first"]
    nightly = [r.text for r in tables[0].find_elements("css selector", "tbody tr")]
    assert [r.split()[0] for r in nightly] == [
        "v20261122-3333333333", "v20261120-2222222222", "v20261119-1111111111"]
    assert "✓ Succeeded" in nightly[0] and "⚠ Stale" in nightly[0]
    assert "✗ Failed" in nightly[1] and "no release.yaml" in nightly[1] and "logs.txt" in nightly[1]
    assert "Stale" not in nightly[1] + nightly[2]
    assert "2026-11-22 03:42" in nightly[0] and "took 42 min" in nightly[0]
    full = [r.text for r in tables[1].find_elements("css selector", "tbody tr")]
    assert [r.split()[0] for r in full] == ["v1.10.0", "v1.2.1", "v1.2.0", "v1.0.0"]
    assert "Published (no outcome record)" in full[2]
    latest = [r.find_element("css selector", "th").text for r in tables[1].find_elements("css selector", "tbody tr")]
    assert latest == ["v1.10.0 latest/", "v1.2.1", "v1.2.0", "v1.0.0"]  # the backports left it alone
    assert nightly[0].startswith("v20261122-3333333333 latest/")
    screenshot(index, ARTIFACTS / "dashboard.png")


def test_project_page_shows_the_three_post_release_test_states_as_text(index, served):
    index.get(served + "logs/dashboard/pipeline/index.html")
    header = [th.text for th in by_css(index, "table")[0].find_elements("css selector", "thead th")]
    assert header[-1] == "Post-release test"

    def cell(version):
        return by_css(index, f"tr#nightly-{version} td.test")[0]

    assert cell("v20261119-1111111111").text == "✓ Tested, passed"
    assert cell("v20261120-2222222222").text == "– Not tested yet"
    failed = cell("v20261122-3333333333")
    assert failed.text.splitlines() == ["✗ Tested, failed at smoke", "test logs"]
    link(index, "test logs", failed).click()
    assert index.current_url == served + "nightly/pipeline/previous/v20261122-3333333333/test-logs.txt"
    assert visible_text(index).startswith("test logs of pipeline v20261122-3333333333")


def test_links_to_release_files_are_served(index, served):
    index.get(served + "logs/dashboard/pipeline/index.html")
    row = by_css(index, "tr#nightly-v20261122-3333333333")[0]
    href = link(index, "release.yaml", row).get_attribute("href")
    assert href == served + "nightly/pipeline/previous/v20261122-3333333333/release.yaml"
    link(index, "logs.txt", row).click()
    assert index.current_url == served + "nightly/pipeline/previous/v20261122-3333333333/logs.txt"
    assert visible_text(index).startswith("logs of pipeline v20261122-3333333333")
    with urllib.request.urlopen(href, timeout=10) as response:
        assert response.status == 200
        assert b"app.kubernetes.io/version: v20261122-3333333333" in response.read()
    index.back()
    commit = link(index, "3333333333", by_css(index, "tr#nightly-v20261122-3333333333")[0])
    assert commit.get_attribute("href") == "https://github.com/tektoncd/pipeline/commit/" + "3333333333" + "c" * 30


def test_every_link_on_every_page_resolves(index, served):
    """Follow every same-origin link on the index and project pages: all are served (200)."""
    pages = [served + "logs/dashboard/index.html"] + [
        served + f"logs/dashboard/{p}/index.html" for p in ("chains", "pipeline", "triggers")]
    checked = set()
    for page in pages:
        index.get(page)
        for a in by_css(index, "a[href]"):
            href = a.get_attribute("href").split("#")[0]
            if href.startswith(served) and href not in checked:
                checked.add(href)
                with urllib.request.urlopen(href, timeout=10) as response:
                    assert response.status == 200, href
    assert len(checked) > 20


def test_marks_are_text_with_enough_contrast(index, served):
    index.get(served + "logs/dashboard/pipeline/index.html")
    marks = by_css(index, ".mark")
    assert marks and all(m.text.strip() for m in marks)
    ratios = index.execute_script("""
        function lum(c) {
          const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        }
        function bg(el) {
          for (; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor;
            if (!c.startsWith('rgba(0, 0, 0, 0)')) return c;
          }
          return 'rgb(255, 255, 255)';
        }
        return Array.from(document.querySelectorAll('.mark, a, td, th, caption, .note')).map(el => {
          const a = lum(getComputedStyle(el).color), b = lum(bg(el));
          return [el.textContent.trim().slice(0, 30), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
        });
    """)
    assert len(ratios) > 40
    low = [(text, round(r, 2)) for text, r in ratios if r < 4.5]
    assert not low, f"below WCAG AA 4.5:1: {low}"


def test_pages_need_no_javascript(index, served):
    for page in ("index.html", "pipeline/index.html"):
        index.get(served + "logs/dashboard/" + page)
        assert not by_css(index, "script")
        assert by_css(index, "html")[0].get_attribute("lang") == "en"


def test_screenshot_of_the_index(index, served):
    index.get(served + "logs/dashboard/index.html")
    path = ARTIFACTS / "dashboard-index.png"
    screenshot(index, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
