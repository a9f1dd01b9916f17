"""The rendered page in a real browser: headless Chromium through chromedriver (Debian
packages ``chromium`` and ``chromium-driver``, which ``.ci/run`` installs where missing).

Each page must load without console errors (a Content-Security-Policy violation is one),
show the verdict and every failing test, and keep its QR code scannable on screen. A
full-page screenshot and a print (A4 PDF) of each page are kept as test artefacts: in
``$INSPECTX_TEST_ARTEFACTS`` if set, else ``build/test-artefacts/`` (ignored by git).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from inspectx.render import parse_qr_payload, render_html
from inspectx.trust import TrustSnapshot, load_trust_list, verify_admissible
from inspectx.validation import read_certificate
from tests.conftest import FIXTURES, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="headless Chromium needs the Debian packages chromium and chromium-driver "
    "(.ci/run installs them)",
)
TRUST = FIXTURES / "trust"
AT = datetime.fromisoformat("2026-11-15T12:00:00Z")


def _artefacts() -> Path:
    folder = Path(os.environ.get("INSPECTX_TEST_ARTEFACTS") or ROOT / "build" / "test-artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a test extra")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1000,1400",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the driver path is given, so Selenium Manager never runs (nothing is downloaded)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(10)
    try:
        yield driver
    finally:
        driver.quit()


def _load(driver: Any, page: Path) -> list[dict[str, Any]]:
    """Open ``page``; the browser's console messages while it loaded."""
    driver.get_log("browser")  # drop anything left from an earlier page
    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    return list(driver.get_log("browser"))


def _keep(driver: Any, page: Path, name: str) -> Path:
    """A full-page screenshot and an A4 print of the page, kept as artefacts."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1000, min(height + 140, 20000))
    shot = page.with_suffix(".png")
    assert driver.save_screenshot(str(shot))
    printed = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})
    pdf = page.with_suffix(".print.pdf")
    pdf.write_bytes(base64.b64decode(printed["data"]))
    folder = _artefacts()
    for made, suffix in ((page, ".html"), (shot, ".png"), (pdf, ".print.pdf")):
        shutil.copyfile(made, folder / f"render-{name}{suffix}")
    driver.set_window_size(1000, 1400)
    return shot


def _report_page(tmp_path: Path, case: str, lang: str) -> tuple[Path, Any, str]:
    from inspectx.cli import _operator_keys

    keys = _operator_keys(str(TRUST / "keys" / "operator.pub.pem"))
    trust = load_trust_list((TRUST / "demo.trustlist.json").read_bytes(), operator_keys=keys)
    snapshot = TrustSnapshot(trust_list=trust, source="demo.trustlist.json", fetched_at=None,
                             origin="file")  # fmt: skip
    data = (TRUST / "signed" / case).read_bytes()
    report = verify_admissible(data, trust=snapshot, at=AT)
    sha = hashlib.sha256(data).hexdigest()
    page = tmp_path / f"{case}.{lang}.html"
    page.write_bytes(render_html(report.certificate, data_sha256=sha, verification=report,
                                 lang=lang))  # fmt: skip
    return page, report, sha


@pytest.mark.parametrize(
    ("case", "lang", "verdict"),
    [("scope-hs.json", "en", "INVALID"), ("valid.json", "en", "VALID"),
     ("withdrawn-after-signing.json", "zh", "INDETERMINATE")],
)  # fmt: skip
def test_report_page_in_chromium(
    browser: Any, tmp_path: Path, case: str, lang: str, verdict: str
) -> None:
    from selenium.webdriver.common.by import By

    page, report, sha = _report_page(tmp_path, case, lang)
    console = _load(browser, page)
    assert not [e for e in console if e["level"] == "SEVERE"], console

    banner = browser.find_element(By.ID, "verdict")
    assert banner.is_displayed()
    assert verdict in banner.text
    assert f"banner-{verdict.lower()}" in banner.get_attribute("class")

    cert = report.certificate
    failing = [t for t in cert.tests if t.outcome.value == "fail"]
    assert failing, "the fixture has a failing test (the toy's chromium VI)"
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.test.fail")
    assert len(rows) == len(failing)
    for row, test in zip(rows, failing, strict=True):
        browser.execute_script("arguments[0].scrollIntoView()", row)
        assert row.is_displayed()
        assert test.parameter.name in row.text
        cell = row.find_element(By.TAG_NAME, "td")  # highlighted: shaded red
        assert cell.value_of_css_property("background-color") == "rgba(253, 236, 234, 1)"
    summary = browser.find_element(By.CSS_SELECTOR, "ul.failing").text
    assert all(t.parameter.name in summary for t in failing)
    checks = browser.find_elements(By.CSS_SELECTOR, "#verification tbody tr")
    assert len(checks) == len(report.checks)

    shot = _keep(browser, page, f"{Path(case).stem}-{lang}")
    zxingcpp = pytest.importorskip("zxingcpp", reason="the QR decoder is a test extra")
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(shot))
    assert [parse_qr_payload(f.text) for f in found] == [(cert.id, sha)]


def test_unverified_page_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    data = (FIXTURES / "certificates" / "toys-en71-3.json").read_bytes()
    cert = read_certificate(data).certificate
    page = tmp_path / "toy.html"
    page.write_bytes(render_html(cert, data_sha256=hashlib.sha256(data).hexdigest()))
    console = _load(browser, page)
    assert not [e for e in console if e["level"] == "SEVERE"], console
    assert "NOT VERIFIED" in browser.find_element(By.ID, "verdict").text
    assert "Chromium (VI)" in browser.find_element(By.CSS_SELECTOR, "tr.test.fail").text
    _keep(browser, page, "toys-unverified-en")


def test_the_console_check_sees_a_blocked_resource(browser: Any, tmp_path: Path) -> None:
    """Control: the policy blocks anything fetched, and the check above would see it."""
    data = (FIXTURES / "certificates" / "toys-en71-3.json").read_bytes()
    html = render_html(read_certificate(data).certificate,
                       data_sha256=hashlib.sha256(data).hexdigest())  # fmt: skip
    page = tmp_path / "tampered.html"
    page.write_bytes(html.replace(b"<body>", b'<body><img src="https://example.invalid/x.png">'))
    console = _load(browser, page)
    assert any(e["level"] == "SEVERE" and "Content Security Policy" in e["message"]
               for e in console), console  # fmt: skip
