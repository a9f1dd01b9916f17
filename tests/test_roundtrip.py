"""Lossless, deterministic JSON <-> XML conversion (DESIGN §2 rules 1-6)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from inspectx.formats import certificate_to_data, dump_json, dump_xml
from inspectx.validation import convert_bytes, default_validators, read_certificate, render
from tests.conftest import FIXTURES
from tests.strategies import certificates

ROUND_TRIP_SETTINGS = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _fixture_pairs() -> list[Path]:
    return sorted((FIXTURES / "certificates").glob("*.json"))


def _assert_valid_both(json_bytes: bytes, xml_bytes: bytes) -> None:
    validators = default_validators()
    assert validators.json_findings(json.loads(json_bytes)) == []
    assert validators.xml_findings(etree.fromstring(xml_bytes)) == []


@given(cert=certificates)
@ROUND_TRIP_SETTINGS
def test_generated_certificates_round_trip_byte_identical(cert: object) -> None:
    json_bytes = dump_json(cert)  # type: ignore[arg-type]
    xml_bytes = dump_xml(cert)  # type: ignore[arg-type]
    _assert_valid_both(json_bytes, xml_bytes)
    # JSON -> XML -> JSON and XML -> JSON -> XML are byte-identical
    assert convert_bytes(json_bytes, "xml")[1] == xml_bytes
    assert convert_bytes(xml_bytes, "json")[1] == json_bytes
    assert convert_bytes(convert_bytes(json_bytes, "xml")[1], "json")[1] == json_bytes
    assert convert_bytes(convert_bytes(xml_bytes, "json")[1], "xml")[1] == xml_bytes
    # and the model read back from either form is the model written
    assert read_certificate(json_bytes).certificate == cert
    assert read_certificate(xml_bytes).certificate == cert


@pytest.mark.parametrize("json_path", _fixture_pairs(), ids=lambda p: p.stem)
def test_fixture_round_trips(json_path: Path) -> None:
    json_bytes = json_path.read_bytes()
    xml_bytes = json_path.with_suffix(".xml").read_bytes()
    _assert_valid_both(json_bytes, xml_bytes)
    assert convert_bytes(json_bytes)[1] == xml_bytes
    assert convert_bytes(xml_bytes)[1] == json_bytes
    assert convert_bytes(convert_bytes(json_bytes)[1])[1] == json_bytes
    assert convert_bytes(convert_bytes(xml_bytes)[1])[1] == xml_bytes


def test_fixture_corpus_is_present() -> None:
    assert len(_fixture_pairs()) >= 6


def _minimal(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "number": {"value": "R-1"},
        "documentType": "test-report",
        "status": "issued",
        "issuedAt": "2026-01-02T03:04:05+08:00",
        "issuer": {"name": "Lab", "address": {"countryCode": "CN"}},
        "products": [{"seq": 1, "name": "Toy"}],
        "tests": [
            {
                "id": "t1",
                "parameter": {"name": "Lead"},
                "method": {"standard": "EN 71-3"},
                "results": [{"value": "0.050", "unit": "NA"}],
                "outcome": "pass",
            }
        ],
        "conclusion": {"outcome": "pass"},
    }
    data.update(overrides)
    return data


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def test_decimal_precision_is_kept_in_both_formats() -> None:
    json_bytes = _json(_minimal())
    _, xml_bytes = convert_bytes(json_bytes, "xml")
    assert b"<value>0.050</value>" in xml_bytes
    assert b'"value": "0.050"' in convert_bytes(xml_bytes, "json")[1]
    cert = read_certificate(xml_bytes).certificate
    assert cert.tests[0].results[0].value == Decimal("0.050")
    assert str(cert.tests[0].results[0].value) == "0.050"


def test_one_element_lists_stay_lists() -> None:
    _, xml_bytes = convert_bytes(_json(_minimal()), "xml")
    data = json.loads(convert_bytes(xml_bytes, "json")[1])
    assert isinstance(data["products"], list) and len(data["products"]) == 1
    assert isinstance(data["tests"][0]["results"], list)


def test_offsets_are_kept() -> None:
    data = _minimal(issuedAt="2026-01-02T03:04:05.25-03:30")
    _, xml_bytes = convert_bytes(_json(data), "xml")
    assert b"<issuedAt>2026-01-02T03:04:05.25-03:30</issuedAt>" in xml_bytes


def test_output_is_deterministic_utf8_two_space_final_newline() -> None:
    cert = read_certificate(_json(_minimal())).certificate
    for to in ("json", "xml"):
        first, second = render(cert, to), render(cert, to)  # type: ignore[arg-type]
        assert first == second
        assert first.endswith(b"\n") and not first.endswith(b"\n\n")
        assert b"\n  " in first and b"\t" not in first
        first.decode("utf-8")


def test_absent_is_absent_no_null_or_empty() -> None:
    cert = read_certificate(_json(_minimal())).certificate
    data = certificate_to_data(cert)
    text = json.dumps(data)
    assert "null" not in text and '""' not in text and "[]" not in text
