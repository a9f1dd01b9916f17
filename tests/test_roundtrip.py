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
from tests.conftest import FIXTURES, json_bytes, minimal_certificate_data
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
    as_json = dump_json(cert)  # type: ignore[arg-type]
    as_xml = dump_xml(cert)  # type: ignore[arg-type]
    _assert_valid_both(as_json, as_xml)
    # JSON -> XML -> JSON and XML -> JSON -> XML are byte-identical
    assert convert_bytes(as_json, "xml")[1] == as_xml
    assert convert_bytes(as_xml, "json")[1] == as_json
    assert convert_bytes(convert_bytes(as_json, "xml")[1], "json")[1] == as_json
    assert convert_bytes(convert_bytes(as_xml, "json")[1], "xml")[1] == as_xml
    # and the model read back from either form is the model written
    assert read_certificate(as_json).certificate == cert
    assert read_certificate(as_xml).certificate == cert


@pytest.mark.parametrize("json_path", _fixture_pairs(), ids=lambda p: p.stem)
def test_fixture_round_trips(json_path: Path) -> None:
    as_json = json_path.read_bytes()
    as_xml = json_path.with_suffix(".xml").read_bytes()
    _assert_valid_both(as_json, as_xml)
    assert convert_bytes(as_json)[1] == as_xml
    assert convert_bytes(as_xml)[1] == as_json
    assert convert_bytes(convert_bytes(as_json)[1])[1] == as_json
    assert convert_bytes(convert_bytes(as_xml)[1])[1] == as_xml


def test_fixture_corpus_is_present() -> None:
    assert len(_fixture_pairs()) >= 6


def test_decimal_precision_is_kept_in_both_formats() -> None:
    _, xml_bytes = convert_bytes(json_bytes(minimal_certificate_data()), "xml")
    assert b"<value>0.050</value>" in xml_bytes
    assert b'"value": "0.050"' in convert_bytes(xml_bytes, "json")[1]
    cert = read_certificate(xml_bytes).certificate
    assert cert.tests[0].results[0].value == Decimal("0.050")
    assert str(cert.tests[0].results[0].value) == "0.050"


def test_one_element_lists_stay_lists() -> None:
    _, xml_bytes = convert_bytes(json_bytes(minimal_certificate_data()), "xml")
    data = json.loads(convert_bytes(xml_bytes, "json")[1])
    assert isinstance(data["products"], list) and len(data["products"]) == 1
    assert isinstance(data["tests"][0]["results"], list)


def test_offsets_are_kept() -> None:
    data = minimal_certificate_data(issuedAt="2026-01-02T03:04:05.25-03:30")
    _, xml_bytes = convert_bytes(json_bytes(data), "xml")
    assert b"<issuedAt>2026-01-02T03:04:05.25-03:30</issuedAt>" in xml_bytes


def test_output_is_deterministic_utf8_two_space_final_newline() -> None:
    cert = read_certificate(json_bytes(minimal_certificate_data())).certificate
    for to in ("json", "xml"):
        first, second = render(cert, to), render(cert, to)  # type: ignore[arg-type]
        assert first == second
        assert first.endswith(b"\n") and not first.endswith(b"\n\n")
        assert b"\n  " in first and b"\t" not in first
        first.decode("utf-8")


def test_absent_is_absent_no_null_or_empty() -> None:
    cert = read_certificate(json_bytes(minimal_certificate_data())).certificate
    data = certificate_to_data(cert)
    text = json.dumps(data)
    assert "null" not in text and '""' not in text and "[]" not in text


@given(cert=certificates)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fast_writers_and_binder_match_the_reference_paths(cert: object) -> None:
    """The string XML writer, orjson, the direct XML binder, the binder for
    schema-valid data and the XML-to-data reader are shortcuts; they must give exactly
    what the lxml tree, json.dumps and bind() give."""
    import json as stdjson

    from inspectx.formats._bind import bind, bind_element
    from inspectx.formats._tree import data_to_element, element_to_data
    from inspectx.formats.certificate import (
        certificate_from_valid_data,
        data_to_json_bytes,
        data_to_xml_bytes,
        model_to_xml_bytes,
    )
    from inspectx.model import Certificate

    data = certificate_to_data(cert)  # type: ignore[arg-type]
    reference_root = data_to_element(data)
    etree.indent(reference_root, space="  ")
    reference_xml = etree.tostring(reference_root, xml_declaration=True, encoding="UTF-8") + b"\n"
    assert data_to_xml_bytes(data) == reference_xml
    assert model_to_xml_bytes(cert) == reference_xml  # type: ignore[arg-type]
    assert (
        data_to_json_bytes(data)
        == (stdjson.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    )
    parsed = etree.fromstring(reference_xml)
    assert bind_element(Certificate, parsed) == bind(Certificate, element_to_data(parsed)) == cert
    assert certificate_from_valid_data(data) == cert
    # validation reads XML to JSON data without the model, and checks its leaves alone:
    # the generated functions themselves (not their fallback to binding) must agree
    from inspectx.formats._codegen import compiled

    assert compiled().data_element[Certificate](parsed) == data
    compiled().check_element[Certificate](parsed)


def test_minus_zero_offset_is_refused() -> None:
    from inspectx.errors import ModelError

    data = minimal_certificate_data(issuedAt="2026-01-02T03:04:05-00:00")
    with pytest.raises(ModelError) as info:
        read_certificate(json_bytes(data))
    assert info.value.location == "/issuedAt" and "unknown offset" in info.value.message
