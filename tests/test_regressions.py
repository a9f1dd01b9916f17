"""Regression tests, each named for what broke (found in review of the first release)."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest
from lxml import etree

from inspectx.errors import ModelError
from inspectx.formats.safexml import make_parser
from inspectx.validation import (
    SchemaValidators,
    convert_bytes,
    read_certificate,
    render,
    validate_bytes,
)
from tests.conftest import FIXTURES, run_cli

TOYS_JSON = (FIXTURES / "certificates" / "toys-en71-3.json").read_bytes()
TOYS_XML = (FIXTURES / "certificates" / "toys-en71-3.xml").read_bytes()


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE certificate SYSTEM "file://{f}">',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "file://{f}"> %p;]>',
    ],
    ids=["external-dtd", "parameter-entity"],
)
def test_doctype_hidden_behind_a_comment_never_opens_a_local_file(
    tmp_path: Path, doctype: str
) -> None:
    fifo = tmp_path / "trap.dtd"
    os.mkfifo(fifo)  # opening it for reading would hang: the test would time out
    data = (
        "<!-- a < b -->\n"
        + doctype.format(f=fifo)
        + '\n<certificate xmlns="urn:inspectx:certificate:1"/>'
    ).encode()
    start = time.perf_counter()
    report = validate_bytes(data)
    assert report.findings[0].code == "format.xml.dtd-forbidden"
    # and the parser itself, even past the DOCTYPE check, reads nothing
    root = etree.fromstring(data, make_parser())
    assert root.tag == "{urn:inspectx:certificate:1}certificate"
    assert time.perf_counter() - start < 5


def test_many_invalid_elements_do_not_make_validation_quadratic() -> None:
    bad = TOYS_XML.replace(b"<language>en</language>", b"<language>1</language>" * 24_000, 1)
    start = time.perf_counter()
    report = validate_bytes(bad)
    assert time.perf_counter() - start < 30  # was 89 s before the fix
    assert len(report.findings) == 100  # capped (Limits.max_findings)
    assert report.findings[-1].location == "/certificate/language[100] (line 10)"


def test_a_million_schema_errors_in_json_cost_neither_minutes_nor_gigabytes() -> None:
    data = json.loads(TOYS_JSON)
    data["language"] = ["1"] * 1_000_000
    start = time.perf_counter()
    report = validate_bytes(json.dumps(data).encode())
    assert time.perf_counter() - start < 30  # was 45 s and 2.3 GB
    assert [f.code for f in report.findings] == ["schema.pattern", "schema.findings-truncated"]


def test_large_base64_attachment_gets_the_same_verdict_from_every_validator() -> None:
    data = json.loads(TOYS_JSON)
    payload = "QUJD" * 500_000  # 2,000,000 base64 characters, 1.5 MB
    data["references"][0]["data"] = payload
    as_json = json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n"
    rs, ref = SchemaValidators("rs"), SchemaValidators("reference")
    assert rs.json_findings(json.loads(as_json)) == []
    assert ref.json_findings(json.loads(as_json)) == []
    _, as_xml = convert_bytes(as_json, "xml")
    assert convert_bytes(as_xml, "json")[1] == convert_bytes(as_json, "json")[1]


@pytest.mark.parametrize(
    "bad", ["A\x01B", "A\ufffeB", "A\ud800B"], ids=["c0", "ufffe", "surrogate"]
)
def test_render_refuses_text_xml_cannot_carry(bad: str) -> None:
    cert = read_certificate(TOYS_JSON).certificate
    cert = dataclasses.replace(cert, issuer=dataclasses.replace(cert.issuer, name=bad))
    for to in ("json", "xml"):
        with pytest.raises(ModelError) as info:
            render(cert, to)  # type: ignore[arg-type]
        assert info.value.code == "model.forbidden-character"


def test_output_dir_problem_fails_that_input_only(tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").write_text("a file where a folder must go")
    for name in ("a.json", "sub/b.json", "z.json"):
        (tmp_path / "in" / name).write_bytes(TOYS_JSON)
    result = run_cli(
        "convert", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out"), "--to", "xml"
    )
    assert result.returncode == 4
    assert b"output.unwritable" in result.stderr and b"Traceback" not in result.stderr
    assert (tmp_path / "out" / "z.xml").exists() and (tmp_path / "out" / "a.xml").exists()


def test_file_name_cannot_forge_an_output_line(tmp_path: Path) -> None:
    forged = str(tmp_path / "x\n✔ VALID    forged.json")
    lines = run_cli("validate", forged).stdout.decode().splitlines()
    assert not any(line.startswith("✔ VALID") for line in lines)


def test_jsonl_stays_utf8_for_a_non_utf8_file_name(tmp_path: Path) -> None:
    name = os.fsencode(str(tmp_path)) + b"/bad\xff.json"
    with open(name, "wb") as fh:
        fh.write(TOYS_JSON)
    result = run_cli("validate", os.fsdecode(name), "--format", "jsonl")
    for line in result.stdout.splitlines():
        json.loads(line.decode("utf-8"))  # strict UTF-8


def test_validate_bytes_given_text_reports_instead_of_raising() -> None:
    report = validate_bytes(TOYS_XML.decode("utf-8"))  # type: ignore[arg-type]
    assert report.findings[0].code == "format.not-bytes"
    assert validate_bytes(memoryview(TOYS_JSON)).verdict.value == "VALID"  # type: ignore[arg-type]


def test_conversion_refuses_output_its_reader_would_refuse(tmp_path: Path) -> None:
    data = json.loads(TOYS_JSON)
    data["extensions"] = [
        {"ns": "urn:x", "name": "blob", "mediaType": "text/plain", "content": "<" * 2_000_000}
    ]
    source = tmp_path / "big.json"
    source.write_bytes(json.dumps(data).encode())
    result = run_cli(
        "convert",
        str(source),
        "--to",
        "xml",
        "-o",
        str(tmp_path / "big.xml"),
        "--max-bytes",
        "5000000",
    )
    assert result.returncode == 4
    assert b"output.too-large" in result.stderr
    assert not (tmp_path / "big.xml").exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_too_long_value_is_not_echoed_whole_and_its_hint_fits(fmt: str) -> None:
    from tests.conftest import json_bytes, minimal_certificate_data

    data = json_bytes(
        minimal_certificate_data(issuer={"name": "L" * 5000, "address": {"countryCode": "CN"}})
    )
    if fmt == "xml":
        from inspectx.formats.certificate import data_to_xml_bytes

        data = data_to_xml_bytes(json.loads(data))
    report = validate_bytes(data)
    [finding] = report.findings
    assert finding.code == "schema.length"
    assert len(finding.message) <= 300
    assert "longer" in (finding.hint or "")


@pytest.mark.parametrize("offset", ["+25:00", "-24:00", "+01:60", "+05:99"])
def test_binding_refuses_an_offset_out_of_range_with_its_code(offset: str) -> None:
    # binding data the schema had not seen raised a bare ValueError for +25:00 and
    # read +01:60 as +02:00
    from inspectx.formats.certificate import certificate_from_data
    from tests.conftest import minimal_certificate_data

    with pytest.raises(ModelError) as caught:
        certificate_from_data(minimal_certificate_data(issuedAt=f"2026-01-02T10:00:00{offset}"))
    assert (caught.value.code, caught.value.location) == ("model.invalid-value", "/issuedAt")
