"""inspectx render: the page, its QR code, its languages, its safety, and the command."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from inspectx.cli import main
from inspectx.model import Certificate
from inspectx.render import (
    RenderError,
    available_languages,
    load_catalogue,
    make_qr,
    parse_qr_payload,
    qr_payload,
    render_html,
    verify_with_keys,
)
from inspectx.render.messages import Catalogue
from inspectx.trust import TrustSnapshot, load_trust_list, verify_admissible
from inspectx.validation import read_certificate
from tests.conftest import FIXTURES, ROOT
from tests.strategies import certificates

TOY = FIXTURES / "certificates" / "toys-en71-3.json"
TRUST = FIXTURES / "trust"
DEMO = TRUST / "demo.trustlist.json"
OPERATOR = TRUST / "keys" / "operator.pub.pem"
AT = "2026-11-15T12:00:00Z"
TEMPLATE = ROOT / "inspectx" / "render" / "templates" / "certificate.html.j2"
RENDER_CODES = (
    "render.language-unknown",
    "render.qr-url-invalid",
    "render.qr-too-long",
    "render.digest-mismatch",
    "render.certificate-mismatch",
    "render.nothing-to-render",
    "render.pdf-unavailable",
    "render.pdf-font-missing",
    "render.pdf-layout",
)


def _toy() -> tuple[Certificate, str]:
    data = TOY.read_bytes()
    return read_certificate(data).certificate, hashlib.sha256(data).hexdigest()


def _report(name: str) -> Any:
    from inspectx.cli import _operator_keys

    trust = load_trust_list(DEMO.read_bytes(), operator_keys=_operator_keys(str(OPERATOR)))
    snapshot = TrustSnapshot(trust_list=trust, source=str(DEMO), fetched_at=None, origin="file")
    data = (TRUST / "signed" / name).read_bytes()
    return data, verify_admissible(data, trust=snapshot, at=datetime.fromisoformat(AT))


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text outside <style> and <svg>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag in ("style", "svg", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "svg", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _parse(page: bytes) -> _Page:
    parser = _Page()
    parser.feed(page.decode("utf-8"))
    parser.close()
    return parser


_ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "div", "p", "h1", "h2", "h3",
    "span", "strong", "figure", "figcaption", "svg", "path", "section", "table", "thead",
    "tbody", "tr", "th", "td", "dl", "dt", "dd", "ul", "li", "br", "footer",
}  # fmt: skip


def _assert_inert(page: bytes) -> None:
    """No markup beyond the template's own: known tags only, no event handlers, one style."""
    parsed = _parse(page)
    tags = [t for t, _ in parsed.tags]
    assert set(tags) <= _ALLOWED_TAGS, set(tags) - _ALLOWED_TAGS
    assert tags.count("style") == 1 and tags.count("svg") == 1 and tags.count("script") == 0
    for _tag, attrs in parsed.tags:
        for name, _value in attrs:
            assert not name.startswith("on"), name
            assert name in {
                "lang",
                "charset",
                "name",
                "content",
                "http-equiv",
                "class",
                "id",
                "role",
                "aria-label",
                "data-outcome",
                "xmlns",
                "viewbox",
                "d",
                "stroke",
                "colspan",
            }, name  # fmt: skip (no href, src, style)
    text = page.decode("utf-8")
    assert text.count("</style>") == 1 and text.count("<script") == 0
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f\x00-\x08]", text)


# --- the page -------------------------------------------------------------------------


def test_rendering_is_deterministic_and_self_contained() -> None:
    cert, sha = _toy()
    first = render_html(cert, data_sha256=sha)
    assert first == render_html(cert, data_sha256=sha)
    text = first.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # nothing is fetched: no src/href attributes, no url() in CSS, no @import
    assert not re.search(r"\s(src|href)=", text)
    assert "url(" not in text and "@import" not in text
    assert "default-src 'none'" in text
    _assert_inert(first)


def test_the_page_shows_every_test_and_highlights_the_failure() -> None:
    cert, sha = _toy()
    page = render_html(cert, data_sha256=sha)
    parsed = _parse(page)
    rows = [attrs for tag, attrs in parsed.tags if tag == "tr" and ("class", "test fail") in attrs]
    assert len(rows) == 1  # the toy's chromium (VI)
    text = page.decode("utf-8")
    assert "Chromium (VI)" in text and "0.118 mg/kg" in text and "≤ 0.053 mg/kg" in text
    assert text.count('class="test ') == len(cert.tests)
    assert "NOT VERIFIED" in text  # no --report: the page says so


def test_the_style_hash_in_the_policy_matches_the_stylesheet() -> None:
    import base64

    cert, sha = _toy()
    text = render_html(cert, data_sha256=sha).decode("utf-8")
    css = text.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in text
    assert "style=" not in text  # inline style attributes would break the policy


@pytest.mark.parametrize("case", ["valid.json", "scope-hs.json", "withdrawn-after-signing.json"])
def test_a_report_shows_verdict_checks_trust_and_time(case: str) -> None:
    data, report = _report(case)
    page = render_html(report.certificate, data_sha256=hashlib.sha256(data).hexdigest(),
                       verification=report)  # fmt: skip
    text = page.decode("utf-8")
    verdict = report.verdict.value
    assert f'class="banner banner-{verdict.lower()}"' in text
    assert f">{verdict}<" in text
    for check in report.checks:
        if check.code:
            assert check.code in text
    assert text.count('<tr class="check-') == len(report.checks)
    assert "urn:inspectx:trust-list:demo" in text and "2026-11-15 12:00 +00:00" in text
    _assert_inert(page)


def test_a_report_of_other_bytes_is_refused() -> None:
    _data, report = _report("valid.json")
    with pytest.raises(RenderError) as err:
        render_html(report.certificate, data_sha256="0" * 64, verification=report)
    assert err.value.code == "render.digest-mismatch"


def test_an_unreadable_document_with_a_report_renders_the_verification_alone() -> None:
    data = (FIXTURES / "invalid" / "truncated.json").read_bytes()
    verification = verify_with_keys(data, public_keys={}, at=datetime(2026, 1, 1, tzinfo=UTC))
    assert verification.verdict.value == "INVALID" and verification.certificate is None
    page = render_html(None, data_sha256=hashlib.sha256(data).hexdigest(),
                       verification=verification)  # fmt: skip
    assert b"format.json.syntax" in page
    with pytest.raises(RenderError) as err:
        render_html(None, data_sha256="0" * 64)
    assert err.value.code == "render.nothing-to-render"


# --- hostile text ----------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</style><script>alert(1)</script>",
    "' onmouseover='alert(1)",
    "\u202egnp.exe\u202c and \u2066isolated\u2069 \u200f",
    "{{ 7*7 }} {% raw %} ${x}",
    "javascript:alert(1)",
    "A" * 5000,
    "line\nbreak\x07bell\x1b[31m",
]


def _every_string(value: Any, hostile: str) -> Any:
    """``value`` with every string field inside it replaced by ``hostile``."""
    if isinstance(value, str) and not hasattr(value, "value"):  # not an enum
        return hostile
    if isinstance(value, tuple):
        return tuple(_every_string(v, hostile) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{
            f.name: _every_string(getattr(value, f.name), hostile)
            for f in dataclasses.fields(value)
        })  # fmt: skip
    return value


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_in_every_field_injects_nothing(hostile: str) -> None:
    cert, sha = _toy()
    evil = _every_string(cert, hostile)
    assert evil.issuer.name == hostile and evil.tests[0].parameter.name == hostile
    for lang in available_languages():
        page = render_html(evil, data_sha256=sha, lang=lang)
        _assert_inert(page)
        text = page.decode("utf-8")
        if "<" in hostile:
            assert hostile not in text and "&lt;" in text
    if "\u202e" in hostile:
        assert "⟦U+202E⟧" in render_html(evil, data_sha256=sha).decode()


def test_hostile_text_in_a_verification_injects_nothing() -> None:
    _data, report = _report("scope-hs.json")
    evil = dataclasses.replace(
        report,
        checks=tuple(dataclasses.replace(c, message=HOSTILE[1], hint=HOSTILE[2],
                                         code=HOSTILE[0]) for c in report.checks),
        signers=(HOSTILE[4],),
        trust_list_id=HOSTILE[2],
    )  # fmt: skip
    _assert_inert(render_html(report.certificate, data_sha256=report.sha256, verification=evil))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates)
def test_generated_certificates_render_inert(cert: Certificate) -> None:
    page = render_html(cert, data_sha256="ab" * 32)
    _assert_inert(page)
    assert page == render_html(cert, data_sha256="ab" * 32)


# --- the labels -------------------------------------------------------------------------


def test_every_catalogue_has_the_english_keys() -> None:
    english = set(load_catalogue("en").messages)
    assert set(available_languages()) >= {"en", "zh"}
    for lang in available_languages():
        assert set(load_catalogue(lang).messages) == english, lang
        for key, text in load_catalogue(lang).messages.items():
            assert text.strip(), (lang, key)
            assert set(re.findall(r"\{(\w+)\}", text)) == set(
                re.findall(r"\{(\w+)\}", load_catalogue("en").messages[key])
            ), (lang, key)


def test_every_catalogue_key_is_used() -> None:
    sources = TEMPLATE.read_text("utf-8") + "".join(
        (ROOT / "inspectx" / "render" / name).read_text("utf-8") for name in ("html.py", "pdf.py")
    )
    dynamic = ("doctype.", "status.", "outcome.", "verdict.", "step.", "check-status.",
               "qualitative.", "meta.")  # fmt: skip
    for key in load_catalogue("en").messages:
        assert key.startswith(dynamic) or f"'{key}'" in sources or f'"{key}"' in sources, key


def test_the_template_holds_no_text_of_its_own() -> None:
    source = TEMPLATE.read_text("utf-8")
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", source, flags=re.S)
    source = re.sub(r"<[^>]*>", " ", source)
    assert "DOCTYPE" not in source
    leftover = re.sub(r"[\s·—–→/#:(),;.]+", "", source)
    assert leftover == "", leftover


def test_every_label_on_the_page_comes_from_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every message replaced by a marker, no English label is left on the page."""
    import inspectx.render.html as html

    english = load_catalogue("en")
    pseudo = Catalogue(lang="en", messages=type(english.messages)(
        {k: ("en" if k == "meta.lang" else f"⟪{k}⟫") for k in english.messages}
    ))  # fmt: skip
    monkeypatch.setattr(html, "load_catalogue", lambda lang: pseudo)
    _data, report = _report("scope-hs.json")
    cert, sha = _toy()
    # the verdict's code (VALID, INVALID, ...) is shown beside its label: it is data, not a label
    codes = {"VALID", "INVALID", "INDETERMINATE", "ERROR"}
    labels = {v for k, v in english.messages.items() if len(v) > 3 and not k.startswith("meta.")}
    labels -= codes
    for page in (
        render_html(cert, data_sha256=sha),
        render_html(report.certificate, data_sha256=report.sha256, verification=report),
    ):
        texts = _parse(page).texts
        assert any("⟪section.tests⟫" in t for t in texts)
        leaked = {t for t in texts if t in labels}
        assert not leaked, leaked


def test_an_unknown_language_is_refused() -> None:
    cert, sha = _toy()
    for lang in ("fr", "../en", "EN", ""):
        with pytest.raises(RenderError) as err:
            render_html(cert, data_sha256=sha, lang=lang)
        assert err.value.code == "render.language-unknown"


def test_chinese_page() -> None:
    cert, sha = _toy()
    text = render_html(cert, data_sha256=sha, lang="zh").decode("utf-8")
    assert '<html lang="zh-Hans">' in text
    assert "检测项目与结果" in text and "不合格" in text and "未经验证" in text


# --- the QR code -----------------------------------------------------------------------


def _svg_to_image(svg: str, scale: int = 6) -> Any:
    """Rasterise segno's SVG (one path of horizontal runs: M, m, h) for the decoder."""
    from PIL import Image

    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))  # type: ignore[union-attr]
    path = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    image = Image.new("L", (size * scale, size * scale), 255)
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            row = int(y - 0.5)
            for col in range(int(x), int(x + float(a))):
                image.paste(0, (col * scale, row * scale, (col + 1) * scale, (row + 1) * scale))
            x += float(a)
    return image


def _decode(image: Any) -> str:
    zxingcpp = pytest.importorskip("zxingcpp", reason="the QR decoder is a test extra")
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "exactly one QR code"
    return str(found[0].text)


def test_the_qr_code_on_the_page_decodes_to_the_id_and_digest() -> None:
    cert, sha = _toy()
    page = render_html(cert, data_sha256=sha).decode("utf-8")
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    payload = _decode(_svg_to_image("<svg" + svg + "</svg>"))
    assert parse_qr_payload(payload) == (cert.id, sha)
    qr = make_qr(payload)
    assert (qr.version, qr.error, qr.modules, len(payload)) == (6, "M", 41, 106)
    assert qr.svg in page


def test_qr_payload_keeps_awkward_ids_and_drops_overlong_ones() -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    for cid in ("https://lab.example/r?a=1&b=2#x", "urn:x:a+b c%20/é", "urn:uuid:0"):
        payload = qr_payload(cid, sha)
        assert parse_qr_payload(payload) == (cid, sha)
        assert parse_qr_payload(_decode(_svg_to_image(make_qr(payload).svg))) == (cid, sha)
    long = qr_payload("urn:x:" + "a" * 500, sha)
    assert parse_qr_payload(long) == (None, sha) and make_qr(long).version <= 4


def test_qr_url_templates() -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    url = qr_payload("urn:a/b?c", sha, url_template="https://verify.example/c/{sha256}?id={id}")
    assert url == f"https://verify.example/c/{sha}?id=urn%3Aa%2Fb%3Fc"
    assert _decode(_svg_to_image(make_qr(url).svg)) == url
    for bad in (
        "javascript:{sha256}",
        "https://verify.example/{id}",
        "https://{sha256}.x/",
        "https://v.example/{sha256}/{id.__class__}",
        "https://v.example/{sha256",
        "ftp://v.example/{sha256}",
        "https://v.example/ {sha256}",
    ):
        with pytest.raises(RenderError) as err:
            qr_payload("urn:a", sha, url_template=bad)
        assert err.value.code == "render.qr-url-invalid", bad
    with pytest.raises(RenderError) as err:
        qr_payload("u" * 400, sha, url_template="https://v.example/{sha256}?id={id}")
    assert err.value.code == "render.qr-too-long"


# --- PDF --------------------------------------------------------------------------------


def test_pdf_is_deterministic_and_needs_a_covering_font(tmp_path: Path) -> None:
    pytest.importorskip("fpdf", reason="PDF output is the extra inspectx[pdf]")
    from inspectx.render.pdf import render_pdf

    cert, sha = _toy()
    _data, report = _report("scope-hs.json")
    first = render_pdf(cert, data_sha256=sha)
    assert first.startswith(b"%PDF-") and first == render_pdf(cert, data_sha256=sha)
    assert render_pdf(report.certificate, data_sha256=report.sha256, verification=report)
    latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if Path(latin).is_file():
        with pytest.raises(RenderError) as err:
            render_pdf(cert, data_sha256=sha, lang="zh", font=latin)
        assert err.value.code == "render.pdf-font-missing"


# --- the command ------------------------------------------------------------------------


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["render", *args], catch_exceptions=False)


def _trust_args(name: str) -> list[str]:
    return [str(TRUST / "signed" / name), "--report", "--trust", str(DEMO),
            "--operator-key", str(OPERATOR), "--at", AT]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "code", "verdict"),
    [("valid.json", 0, "VALID"), ("scope-hs.json", 1, "INVALID"),
     ("withdrawn-after-signing.json", 3, "INDETERMINATE")],
)  # fmt: skip
def test_cli_report_exit_codes_and_the_page_is_always_written(
    tmp_path: Path, case: str, code: int, verdict: str
) -> None:
    out = tmp_path / "page.html"
    result = _run(*_trust_args(case), "-o", str(out))
    assert result.exit_code == code, result.output
    page = out.read_bytes()
    assert f'banner-{verdict.lower()}"'.encode() in page
    again = tmp_path / "again.html"
    assert _run(*_trust_args(case), "-o", str(again)).exit_code == code
    assert again.read_bytes() == page  # same input, same --at: same bytes


def test_cli_without_report_and_to_stdout(tmp_path: Path) -> None:
    result = _run(str(TOY))
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"<!DOCTYPE html>")
    out = tmp_path / "toy.html"
    assert _run(str(TOY), "-o", str(out), "--lang", "zh").exit_code == 0
    assert "检测项目与结果" in out.read_text("utf-8")


def test_cli_key_files(tmp_path: Path) -> None:
    signed = str(TRUST / "signed" / "valid.json")
    out = tmp_path / "k.html"
    good = _run(signed, "--report", "--key-file", str(TRUST / "keys" / "nordwerk.pub.pem"),
                "--at", AT, "-o", str(out))  # fmt: skip
    assert good.exit_code == 0 and b"banner-valid" in out.read_bytes()
    other = _run(signed, "--report", "--key-file", str(TRUST / "keys" / "other-lab.pub.pem"),
                 "--at", AT, "-o", str(out), "--force")  # fmt: skip
    assert other.exit_code == 3 and b"proof.key-unknown" in out.read_bytes()


def test_cli_errors_leave_no_file(tmp_path: Path) -> None:
    out = tmp_path / "x.html"
    bad = _run(str(FIXTURES / "invalid" / "truncated.json"), "-o", str(out))
    assert bad.exit_code == 1 and "format.json.syntax" in bad.output
    missing = _run(str(tmp_path / "nope.json"), "-o", str(out))
    assert missing.exit_code == 4 and "input.unreadable" in missing.output
    assert list(tmp_path.iterdir()) == []  # no page, no temporary file
    out.write_text("keep")
    exists = _run(str(TOY), "-o", str(out))
    assert exists.exit_code == 4 and "output.exists" in exists.output
    assert out.read_text() == "keep"
    assert _run(str(TOY), "-o", str(TOY)).exit_code == 4  # never the input
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize(
    "args",
    [
        ["--lang", "fr"],
        ["--report"],
        ["--trust", str(DEMO), "--operator-key", str(OPERATOR)],
        ["--report", "--trust", str(DEMO)],
        ["--report", "--trust", str(DEMO), "--operator-key", str(OPERATOR), "--key-file", "k"],
        ["--at", AT],
        ["--qr-url", "javascript:{sha256}"],
        ["--pdf-font", "f.ttf"],
        ["--max-trust-age", "7d"],
    ],
)
def test_cli_usage_errors(args: list[str]) -> None:
    assert _run(str(TOY), *args).exit_code == 2


def test_cli_pdf(tmp_path: Path) -> None:
    pytest.importorskip("fpdf", reason="PDF output is the extra inspectx[pdf]")
    out = tmp_path / "toy.pdf"
    assert _run(str(TOY), "--to", "pdf", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"%PDF-")


def test_render_codes_are_documented() -> None:
    table = (ROOT / "docs" / "error-codes.md").read_text("utf-8")
    source = "".join(p.read_text("utf-8") for p in (ROOT / "inspectx" / "render").glob("*.py"))
    raised = set(re.findall(r'"(render\.[a-z0-9.-]+)"', source))
    assert raised == set(RENDER_CODES)
    for code in raised:
        assert f"| `{code}` |" in table, code


def test_json_catalogues_are_plain_utf8_json() -> None:
    for lang in available_languages():
        path = ROOT / "inspectx" / "render" / "messages" / f"{lang}.json"
        with path.open(encoding="utf-8") as fh:
            assert isinstance(json.load(fh), dict)


# --- regressions (review of issue 9) -----------------------------------------------------


def test_keys_verification_failing_at_proofs_does_not_claim_rules_passed() -> None:
    """Against keys the rules (step 3) never run: a proof failure must not mark them passed."""
    data = (TRUST / "signed" / "valid.json").read_bytes()
    verification = verify_with_keys(data, public_keys={}, at=datetime(2026, 1, 1, tzinfo=UTC))
    status = {c.step: c.status.value for c in verification.checks}
    assert verification.verdict.value == "INDETERMINATE"
    assert status == {1: "passed", 2: "passed", 3: "skipped", 4: "indeterminate",
                      5: "skipped", 6: "skipped", 7: "skipped", 8: "skipped"}  # fmt: skip


def test_a_valid_verdict_against_given_keys_does_not_claim_trust_list_checks() -> None:
    """VALID against keys: intact and signed by a given key, not listed, accredited, in date."""
    from markupsafe import escape

    from inspectx.proofs import keys
    from inspectx.proofs.multibase import did_key_verification_method

    data = (TRUST / "signed" / "valid.json").read_bytes()
    public = keys.load_public_key((TRUST / "keys" / "nordwerk.pub.pem").read_bytes())
    verification = verify_with_keys(
        data, public_keys={did_key_verification_method(public): public},  # type: ignore[arg-type]
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert verification.verdict.value == "VALID"
    for lang in available_languages():
        cat = load_catalogue(lang)
        page = render_html(verification.certificate, data_sha256=verification.sha256,
                           verification=verification, lang=lang).decode("utf-8")  # fmt: skip
        assert escape(cat.get("verdict.VALID.explain")) not in page, lang
        assert escape(cat.get("verdict.VALID.explain-keys")) in page, lang
    # with a trust list the full explanation stays
    _data, report = _report("valid.json")
    page = render_html(report.certificate, data_sha256=report.sha256, verification=report)
    assert escape(load_catalogue("en").get("verdict.VALID.explain")) in page.decode("utf-8")


def test_a_report_with_a_certificate_other_than_the_verified_one_is_refused() -> None:
    """The page shows the model read from the verified bytes, never one from elsewhere."""
    _data, report = _report("valid.json")
    other = dataclasses.replace(report.certificate, number=dataclasses.replace(
        report.certificate.number, value="FORGED-1"))  # fmt: skip
    with pytest.raises(RenderError) as err:
        render_html(other, data_sha256=report.sha256, verification=report)
    assert err.value.code == "render.certificate-mismatch"
    # the verified model itself, or None for it, renders
    assert b"FORGED-1" not in render_html(None, data_sha256=report.sha256, verification=report)
    render_html(report.certificate, data_sha256=report.sha256, verification=report)


def test_a_verification_without_a_digest_is_refused() -> None:
    """A verification that names no digest cannot vouch for the bytes rendered."""
    _data, report = _report("valid.json")
    blank = dataclasses.replace(report, sha256="")
    with pytest.raises(RenderError) as err:
        render_html(report.certificate, data_sha256=report.sha256, verification=blank)
    assert err.value.code == "render.digest-mismatch"


def test_invisible_characters_are_shown() -> None:
    """Zero-width and tag characters cannot make two different numbers look alike."""
    from inspectx.render import visible

    for char in ("\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041", "\u180e", "\ufff9"):
        assert visible(f"NW{char}-1") == f"NW⟦U+{ord(char):04X}⟧-1", repr(char)
    assert visible("家\u200d庭 a\u200cb") == "家\u200d庭 a\u200cb"  # joiners shape scripts


def test_pdf_of_a_value_too_long_for_a_page_fails_cleanly(tmp_path: Path) -> None:
    """A value too long to lay out gives a render error (exit 4, no file), not a crash (70)."""
    pytest.importorskip("fpdf", reason="PDF output is the extra inspectx[pdf]")
    from inspectx.render.pdf import render_pdf

    cert, sha = _toy()
    test = dataclasses.replace(cert.tests[0], parameter=dataclasses.replace(
        cert.tests[0].parameter, name="A" * 5000))  # fmt: skip
    with pytest.raises(RenderError) as err:
        render_pdf(dataclasses.replace(cert, tests=(test, *cert.tests[1:])), data_sha256=sha)
    assert err.value.code == "render.pdf-layout"
    doc = json.loads(TOY.read_text("utf-8"))
    doc["tests"][0]["parameter"]["name"] = "A" * 4000  # within the schema's 4,096
    source = tmp_path / "long.json"
    source.write_text(json.dumps(doc), "utf-8")
    out = tmp_path / "long.pdf"
    result = _run(str(source), "--to", "pdf", "-o", str(out))
    assert result.exit_code == 4 and "render.pdf-layout" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.json"]


def test_cli_never_overwrites_the_trust_list_or_a_key_file(tmp_path: Path) -> None:
    """--force replaces an output, never an input: the trust list and keys are inputs too."""
    trust = tmp_path / "list.json"
    trust.write_bytes(DEMO.read_bytes())
    operator = tmp_path / "operator.pem"
    operator.write_bytes(OPERATOR.read_bytes())
    key = tmp_path / "lab.pem"
    key.write_bytes((TRUST / "keys" / "nordwerk.pub.pem").read_bytes())
    signed = str(TRUST / "signed" / "valid.json")
    for target, args in (
        (trust, ["--trust", str(trust), "--operator-key", str(operator)]),
        (operator, ["--trust", str(trust), "--operator-key", str(operator)]),
        (key, ["--key-file", str(key)]),
    ):
        before = target.read_bytes()
        result = _run(signed, "--report", *args, "--at", AT, "-o", str(target), "--force")
        assert result.exit_code == 4 and "output.is-input" in result.output, target
        assert target.read_bytes() == before
