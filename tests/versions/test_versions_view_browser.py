"""The status page's versions view as a person sees it: Debian's chromium, headless, loads
versions.html from http://127.0.0.1; the marks are words, not only colours."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from browser import ARTIFACTS  # the browser fixture itself comes from tests/conftest.py
from click.testing import CliRunner

from plumbing.cli.main import plumbing

from .conftest import make_repo, publish

pytestmark = pytest.mark.slow


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("versions-view")
    www = base / "www"
    for key in ("nightly", "release", "logs"):
        (www / key).mkdir(parents=True)
    root = make_repo(base / "repo", {k: f"file://{www}/{k}" for k in ("nightly", "release", "logs")})
    release, nightly = f"file://{www}/release", f"file://{www}/nightly"
    publish(release, "pipeline", "v1.0.0", "passed")
    publish(release, "pipeline", "v1.1.0", "passed")
    publish(nightly, "pipeline", "v20261123-aaaaaaaaaa", "passed")
    publish(release, "triggers", "v0.31.0", "failed")
    publish(release, "chains", "v0.24.0", "passed")
    result = CliRunner().invoke(plumbing, ["dashboard", "--root", str(root), "--out", str(www / "site"),
                                           "--versions", "dogfooding", "--now", "2026-11-24T06:00:00Z"])
    assert result.exit_code == 0, result.output
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/site/"
    server.shutdown()
    server.server_close()


def test_versions_view_from_the_index(browser, served):
    from selenium.webdriver.common.by import By

    browser.get(served + "index.html")
    browser.find_element(By.LINK_TEXT, "Versions").click()
    assert browser.current_url == served + "versions.html"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Versions of stack dogfooding"
    rows = {r.get_attribute("id"): r.text for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert set(rows) == {f"component-{c}" for c in ("pipeline", "triggers", "dashboard", "chains", "pruner",
                                                    "plumbing-image")}
    pipeline = rows["component-pipeline"]
    assert "channel: nightly" in pipeline and "v1.0.0" in pipeline and "test: passed" in pipeline
    assert "v20261123-aaaaaaaaaa" in pipeline and "v1.1.0" in pipeline
    assert "⚠ behind" in pipeline and "v20261123-aaaaaaaaaa is verified" in pipeline
    assert "⚠ unverified" in rows["component-triggers"] and "post-release test failed" in rows["component-triggers"]
    assert "⚠ unverified" in rows["component-dashboard"] and "untested" in rows["component-dashboard"]
    assert "✓ ok" in rows["component-chains"]
    assert "not read" in pipeline   # the cluster was not asked: said, not hidden
    assert not browser.find_elements(By.TAG_NAME, "script")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "versions.png"))
