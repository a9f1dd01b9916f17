"""Hostile and malformed input (docs/security.md catalogues A and C).

Every case must give exit 1 with its stable code, no traceback, no output
file, no network connection and no local file read, within a second.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from inspectx.validation import validate_bytes
from tests.conftest import Listener, run_cli

SECRET = "inspectx-secret-7f3a9c"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _cases(secret: Path, port: int) -> dict[str, tuple[bytes, str]]:
    url = f"http://127.0.0.1:{port}/evil.dtd"
    laughs = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' if i else '<!ENTITY l0 "lol">' for i in range(10)
    )
    big = "B" * 60_000
    return {
        "xxe-local-file": (
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'.encode(),
            "format.xml.dtd-forbidden",
        ),
        # the '<' in the comment hides the DOCTYPE from the fast pre-check, so the
        # parser itself must stay offline and the DOCTYPE is caught after parsing
        "parameter-entity-to-listener": (
            f'<!-- a < b --><!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]><r/>'.encode(),
            "format.xml.dtd-forbidden",
        ),
        "external-dtd-to-listener": (
            f'<!DOCTYPE r SYSTEM "{url}"><r/>'.encode(),
            "format.xml.dtd-forbidden",
        ),
        "hidden-external-dtd-to-listener": (
            f'<!-- a < b --><!DOCTYPE r SYSTEM "{url}"><r/>'.encode(),
            "format.xml.dtd-forbidden",
        ),
        "xsi-schema-location-to-listener": (
            b"<certificate xmlns='urn:inspectx:certificate:1' "
            b"xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
            b"xsi:schemaLocation='urn:inspectx:certificate:1 " + url.encode() + b"'/>",
            "format.xml.xsi-forbidden",
        ),
        "stylesheet-pi-to-listener": (
            f'<?xml-stylesheet type="text/xsl" href="{url}"?><r/>'.encode(),
            "format.xml.not-inspectx",
        ),
        "billion-laughs": (
            f"<!DOCTYPE r [{laughs}]><r>&l9;</r>".encode(),
            "format.xml.dtd-forbidden",
        ),
        "quadratic-blowup": (
            f'<!DOCTYPE r [<!ENTITY a "{big}">]><r>{"&a;" * 10_000}</r>'.encode(),
            "format.xml.dtd-forbidden",
        ),
        "xml-100k-deep": (b"<a>" * 100_000 + b"</a>" * 100_000, "format.xml.too-deep"),
        "json-100k-deep": (b"[" * 100_000 + b"]" * 100_000, "format.json.too-deep"),
        "xml-50mb-text-node": (
            b"<certificate xmlns='urn:inspectx:certificate:1'><id>"
            + b"x" * (50 * 1024 * 1024)
            + b"</id></certificate>",
            "format.too-large",
        ),
        "json-50mb-string": (b'{"id": "' + b"x" * (50 * 1024 * 1024) + b'"}', "format.too-large"),
        "json-duplicate-key": (
            b'{"outcome": "fail", "outcome": "pass"}',
            "format.json.duplicate-key",
        ),
        "json-nan": (b'{"value": NaN}', "format.json.non-finite-number"),
        "json-infinity": (b'{"value": Infinity}', "format.json.non-finite-number"),
        "json-minus-infinity": (b'{"value": -Infinity}', "format.json.non-finite-number"),
        "json-float-overflow": (b'{"value": 1e400}', "format.json.non-finite-number"),
        "json-int-beyond-2-53": (
            b'{"seq": 9007199254740993}',
            "format.json.integer-out-of-range",
        ),
        "json-5000-digit-int": (
            b'{"seq": ' + b"9" * 5000 + b"}",
            "format.json.integer-out-of-range",
        ),
        "json-lone-surrogate": (b'{"name": "\\ud800"}', "format.json.lone-surrogate"),
        "json-lone-surrogate-key": (b'{"\\udc00": 1}', "format.json.lone-surrogate"),
        "json-utf16": ('{"id": "x"}'.encode("utf-16"), "format.encoding-not-utf8"),
        "json-utf16-no-bom": ('{"id": "x"}'.encode("utf-16-le"), "format.encoding-not-utf8"),
        "json-invalid-utf8": (b'{"id": "\xff\xfe"}', "format.encoding-not-utf8"),
        "json-overlong-utf8": (b'{"id": "\xc0\xaf"}', "format.encoding-not-utf8"),
        "xml-utf16": (
            "<?xml version='1.0' encoding='UTF-16'?><r/>".encode("utf-16"),
            "format.encoding-not-utf8",
        ),
        "xml-latin1-declared": (
            b"<?xml version='1.0' encoding='ISO-8859-1'?><r>\xe9</r>",
            "format.encoding-not-utf8",
        ),
        "xml-invalid-utf8": (b"<r>\xff\xfe</r>", "format.encoding-not-utf8"),
        "xml-two-roots": (b"<r/><r/>", "format.xml.extra-content"),
        "xml-unclosed": (b"<r><a></r>", "format.xml.syntax"),
        "xml-nul-char-ref": (b"<r>&#0;</r>", "format.xml.syntax"),
        "xml-1m-siblings": (b"<r>" + b"<a/>" * 1_000_000 + b"</r>", "format.xml.too-many-elements"),
        "xml-50k-attributes": (
            b"<r " + b" ".join(b'a%d="1"' % i for i in range(50_000)) + b"/>",
            "format.xml.too-many-attributes",
        ),
        "xinclude-never-processed": (
            b"<certificate xmlns='urn:inspectx:certificate:1' "
            b"xmlns:xi='http://www.w3.org/2001/XInclude'>"
            b"<xi:include href='file://" + str(secret).encode() + b"' parse='text'/></certificate>",
            "schema.unexpected-member",
        ),
        "gzip-bomb": (gzip.compress(b"\0" * 10_000_000), "format.unknown"),
        "empty-input": (b"", "format.empty"),
    }


CASE_IDS = sorted(_cases(Path("/nonexistent"), 1))


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_hostile_input_is_rejected_by_the_library(
    case_id: str, secret_file: Path, listener: Listener
) -> None:
    data, code = _cases(secret_file, listener.port)[case_id]
    start = time.perf_counter()
    report = validate_bytes(data, source=case_id)
    elapsed = time.perf_counter() - start
    assert report.verdict.value == "INVALID"
    assert report.findings[0].code == code, report.findings[0]
    assert report.certificate is None
    assert SECRET not in repr(report.as_dict())
    assert listener.connections == 0
    assert elapsed < 1.0, f"{case_id} took {elapsed:.2f} s"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_hostile_input_through_the_cli(
    case_id: str, tmp_path: Path, secret_file: Path, listener: Listener
) -> None:
    data, code = _cases(secret_file, listener.port)[case_id]
    source = tmp_path / "in" / "hostile.dat"
    source.parent.mkdir()
    source.write_bytes(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run_cli("convert", str(source), "-o", str(out_dir / "result.xml"))
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, stderr
    assert code in stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == [], "no output (and no temporary file) may be left"
    assert source.read_bytes() == data, "the input is never changed"
    assert SECRET not in stderr and SECRET.encode() not in result.stdout
    assert listener.connections == 0


@pytest.mark.interop
def test_shared_hostile_xml_vectors(shared_reference: Path, tmp_path: Path) -> None:
    folder = shared_reference / "vectors" / "hostile-xml"
    expected = {
        "cyclic.xml": "format.xml.dtd-forbidden",
        "dtd.xml": "format.xml.dtd-forbidden",
        "external.xml": "format.xml.dtd-forbidden",
        "external_file.xml": "format.xml.dtd-forbidden",
        "quadratic.xml": "format.xml.dtd-forbidden",
        "xmlbomb.xml": "format.xml.dtd-forbidden",
        "xmlbomb2.xml": "format.xml.dtd-forbidden",
        "simple.xml": "format.xml.not-inspectx",
        "simple-ns.xml": "format.xml.not-inspectx",
        "invalid_enveloped_transform.xml": "format.xml.not-inspectx",
    }
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".xml") == sorted(expected)
    for name, code in expected.items():
        start = time.perf_counter()
        report = validate_bytes((folder / name).read_bytes(), source=name)
        assert time.perf_counter() - start < 1.0
        assert report.findings[0].code == code, name
        out = tmp_path / f"{name}.json"
        result = run_cli("convert", str(folder / name), "-o", str(out))
        assert result.returncode == 1
        assert code.encode() in result.stderr and b"Traceback" not in result.stderr
        assert not out.exists()


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (b"<r>" + b"<a/>" * 5 + b"</r>", "format.xml.too-many-elements"),
        (b"<r><!-- " + b"<" * 4 + b" --><a/></r>", None),  # "<" in a comment is no element
        (b'<r><a x="1" y="2" z="3"/></r>', "format.xml.too-many-attributes"),
        (b'<r a="1" b="2"><a x="1" y="2"/><b x="1"/></r>', None),
        (b"<r>" + b"<a>" * 4 + b"</a>" * 4 + b"</r>", "format.xml.too-deep"),
    ],
    ids=["elements", "lt-in-comment", "attributes", "attributes-at-limit", "depth"],
)
def test_xml_shape_limits_hold_exactly_at_their_bounds(xml: bytes, code: str | None) -> None:
    from inspectx.errors import InputError
    from inspectx.formats.limits import Limits
    from inspectx.formats.safexml import parse_xml

    limits = Limits(max_elements=5, max_attributes=2, max_depth=4)
    if code is None:
        parse_xml(xml, limits)
        return
    with pytest.raises(InputError) as caught:
        parse_xml(xml, limits)
    assert caught.value.code == code
