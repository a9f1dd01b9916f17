"""The model: immutable, exact, and honest about what it cannot render."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from inspectx.errors import ModelError, SchemaInvalid
from inspectx.model import Certificate, Measure, Result, Text
from inspectx.validation import read_certificate, render
from tests.conftest import json_bytes, minimal_certificate_data


def _cert() -> Certificate:
    return read_certificate(json_bytes(minimal_certificate_data())).certificate


def test_model_is_immutable_and_keyword_only() -> None:
    cert = _cert()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cert.id = "urn:x:other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Text("positional")  # type: ignore[misc]


def test_decimals_keep_their_exponent() -> None:
    value = _cert().tests[0].results[0].value
    assert isinstance(value, Decimal) and str(value) == "0.050"


def test_datetimes_are_aware_with_their_offset() -> None:
    issued = _cert().issued_at
    assert issued.utcoffset() is not None and issued.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"issued_at": datetime(2026, 1, 1)}, "model.naive-datetime"),
        ({"id": ""}, "model.invalid-value"),
        ({"products": ()}, "model.missing-field"),
        ({"issuer": None}, "model.missing-field"),
    ],
    ids=["naive-datetime", "empty-string", "no-products", "no-issuer"],
)
def test_render_rejects_what_the_format_cannot_hold(change: dict[str, object], code: str) -> None:
    cert = dataclasses.replace(_cert(), **change)  # type: ignore[arg-type]
    with pytest.raises(ModelError) as info:
        render(cert, "json")
    assert info.value.code == code


def test_render_rejects_a_float_value_with_a_hint() -> None:
    test = _cert().tests[0]
    bad = dataclasses.replace(test, results=(Result(value=0.05, unit="NA"),))  # type: ignore[arg-type]
    cert = dataclasses.replace(_cert(), tests=(bad,))
    with pytest.raises(ModelError) as info:
        render(cert, "xml")
    assert "Decimal" in info.value.hint


def test_render_refuses_schema_invalid_models() -> None:
    cert = dataclasses.replace(
        _cert(), issuer=dataclasses.replace(_cert().issuer, address=None, name="Lab")
    )
    assert render(cert, "json")  # address is optional
    bad_unit = dataclasses.replace(
        _cert().tests[0], results=(Result(value=Decimal("1"), unit="mg/kg"),)
    )
    with pytest.raises(SchemaInvalid) as info:
        render(dataclasses.replace(_cert(), tests=(bad_unit,)), "xml")
    assert info.value.code == "schema.pattern"
    assert info.value.location == "/tests/0/results/0/unit"


def test_measure_values_are_rendered_without_exponent() -> None:
    test = _cert().tests[0]
    from inspectx.model import Comparator, Requirement

    req = Requirement(comparator=Comparator.LE, limit=Measure(value=Decimal("1E+2"), unit="NA"))
    small = Result(value=Decimal("1E-7"), unit="NA")
    cert = dataclasses.replace(
        _cert(), tests=(dataclasses.replace(test, results=(small,), criteria=(req,)),)
    )
    out = render(cert, "json")
    assert b'"value": "100"' in out and b'"value": "0.0000001"' in out


def test_utc_is_written_as_z() -> None:
    cert = dataclasses.replace(_cert(), issued_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert b'"issuedAt": "2026-01-02T03:04:05Z"' in render(cert, "json")
