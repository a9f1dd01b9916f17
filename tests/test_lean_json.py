"""The lean JSON path (orjson, colon counting, schema) is exactly as strict as the strict loader.

``load_json_lean`` may only return a value where ``load_json`` would return the
same value; everything else (duplicate members above all) must fall through to
the strict loader and its located error. Certificates read on the lean path are
bound by the schema-valid binder, which must give what the checked binder gives.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspectx.errors import InspectxError
from inspectx.formats._bind import _NOT_XML_CHAR
from inspectx.formats.safejson import load_json, load_json_lean
from inspectx.validation import validate_bytes
from tests.conftest import (
    LEAF_FIXTURE,
    MODEL_REFUSED_LEAVES,
    json_bytes,
    leaf_fixture_with,
    leaf_id,
    minimal_certificate_data,
)

# Strings rich in what the argument depends on: colons, escapes, control and
# non-characters, surrogate pairs.
_strings = st.text(st.sampled_from([":", "a", "\\", '"', "\x01", "\x0c", "\ufffe", "é", "😀"]))
_leaves = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), _strings)
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_strings, inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def _json_texts(draw: st.DrawFn) -> bytes:
    """JSON text for a generated value, sometimes with a member repeated and
    with characters written as escapes (``\\u003a`` for a colon included)."""
    text = json.dumps(draw(_values), ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        text = text.replace(":", "\\u003a") if draw(st.booleans()) else text
    if draw(st.booleans()) and text.startswith("{") and len(text) > 2:
        key = json.dumps(draw(_strings))
        value = json.dumps(draw(_leaves))
        text = "{" + f"{key}: {value}, {key}: {value}, " + text[1:]
    return text.encode()


def _strict(data: bytes) -> Any:
    try:
        return load_json(data)
    except InspectxError as exc:
        return exc.code


@given(data=_json_texts())
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_lean_loader_vouches_only_for_what_the_strict_loader_accepts(data: bytes) -> None:
    lean = load_json_lean(data)
    strict = _strict(data)
    if lean is None:
        return
    assert strict == lean.value, (
        "lean path accepted what the strict loader refuses or reads otherwise"
    )
    strings: list[str] = []
    stack = [lean.value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            strings += node
            stack += node.values()
        elif isinstance(node, list):
            stack += node
        elif isinstance(node, str):
            strings.append(node)
    if lean.xml_safe:
        assert not any(_NOT_XML_CHAR.search(s) for s in strings)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'{"a": "x", "a": "y"}', id="plain"),
        pytest.param(b'{"a": "x:y", "a": "z"}', id="colon-in-dropped-value"),
        pytest.param(b'{"a": 1, "\\u0061": 2}', id="escaped-name"),
        pytest.param(b'{"k": "\\u003a", "a": 1, "a": 2}', id="escaped-colon-offsets-the-count"),
        pytest.param(b'[{"a": {"b": 1, "b": 1}}]', id="nested"),
    ],
)
def test_lean_loader_never_vouches_for_duplicate_members(data: bytes) -> None:
    assert load_json_lean(data) is None
    assert _strict(data) == "format.json.duplicate-key"


def _certificate_with(pair_text: str) -> bytes:
    """A schema-valid certificate whose JSON text gets an extra member first."""
    text = json_bytes(minimal_certificate_data()).decode()
    return ("{" + pair_text + "," + text.lstrip()[1:]).encode()


@pytest.mark.parametrize(
    ("pair_text", "code"),
    [
        pytest.param('"status": "withdrawn"', "format.json.duplicate-key", id="duplicate-status"),
        pytest.param(
            '"status": "issued", "language": "\\u003a"',
            "format.json.duplicate-key",
            id="duplicate-with-escaped-colon",
        ),
    ],
)
def test_schema_valid_looking_certificates_still_get_their_code(pair_text: str, code: str) -> None:
    report = validate_bytes(_certificate_with(pair_text))
    assert [f.code for f in report.findings] == [code]


@pytest.mark.parametrize(
    "name", ["Lab\x01", "Lab\x0c", "Lab\ufffe", "Lab\uffff", "Lab \ufffd\ufffe", "\\u Lab\ufffe"]
)
def test_text_xml_cannot_carry_is_refused_on_the_lean_path(name: str) -> None:
    data = minimal_certificate_data(issuer={"name": name, "address": {"countryCode": "CN"}})
    report = validate_bytes(json_bytes(data))
    assert [(f.code, f.location) for f in report.findings] == [
        ("model.forbidden-character", "/issuer/name")
    ]


@pytest.mark.parametrize("name", ["Lab \ufffd", "Lab \uffee\uffbf", "Lab \\b"])
def test_text_near_what_xml_cannot_carry_is_accepted(name: str) -> None:
    # U+FFFD and its neighbours share a UTF-8 prefix with U+FFFE/U+FFFF; a backslash
    # before b looks like an escape: each leaves the lean path, none is refused
    data = minimal_certificate_data(issuer={"name": name, "address": {"countryCode": "CN"}})
    report = validate_bytes(json_bytes(data))
    assert report.findings == ()
    assert report.certificate is not None and report.certificate.issuer.name == name


def test_impossible_date_on_the_lean_path_is_located() -> None:
    data = minimal_certificate_data(issuedAt="2026-02-30T10:00:00Z")
    report = validate_bytes(json_bytes(data))
    assert [(f.code, f.location) for f in report.findings] == [("model.invalid-value", "/issuedAt")]


def test_certificate_schema_bounds_what_the_lean_loader_leaves_unchecked() -> None:
    """The pipeline trusts lean-loaded data once the certificate schema accepts it.
    That holds only while the schema is closed: every object lists its members,
    no definition refers back to itself (so nesting is bounded below the depth
    limit) and every integer has a maximum within ±(2^53-1)."""
    from inspectx.formats.limits import DEFAULT_LIMITS
    from inspectx.validation.schema import load_json_schema

    schema = load_json_schema()
    defs = schema["$defs"]

    def depth(node: Any, seen: tuple[str, ...]) -> int:
        if isinstance(node, list):
            return max((depth(n, seen) for n in node), default=0)
        if not isinstance(node, dict):
            return 0
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/$defs/")
            assert name not in seen, f"recursive definition {name}"
            return depth(defs[name], (*seen, name))
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, node
        if node.get("type") == "integer":
            assert abs(node["maximum"]) < 2**53 and abs(node.get("minimum", 0)) < 2**53
        nested = node.get("type") in ("object", "array")
        children = [v for k, v in node.items() if k not in ("$defs", "enum", "const")]
        return nested + max((depth(c, seen) for c in children), default=0)

    nesting = depth({k: v for k, v in schema.items() if k != "$defs"}, ())
    assert 5 < nesting < DEFAULT_LIMITS.max_depth


# --- the model is bound on first use: reading must already refuse what binding would --------


@pytest.mark.parametrize(("pointer", "value"), MODEL_REFUSED_LEAVES, ids=leaf_id)
def test_reading_refuses_every_leaf_the_lazy_binding_would(pointer: str, value: str) -> None:
    from inspectx.errors import ModelError
    from inspectx.validation import read_certificate

    with pytest.raises(ModelError) as caught:
        read_certificate(json_bytes(leaf_fixture_with(pointer, value)))
    assert caught.value.location == pointer


@pytest.mark.parametrize(("pointer", "value"), MODEL_REFUSED_LEAVES, ids=leaf_id)
def test_xml_validation_locates_every_leaf_the_model_refuses(pointer: str, value: str) -> None:
    # XML is read straight to JSON data for the rules; a leaf the model refuses must
    # still be reported where it is, by XPath and line
    from inspectx.formats.certificate import data_to_xml_bytes, pointer_to_xpath, read_xml_root

    xml = data_to_xml_bytes(leaf_fixture_with(pointer, value))
    report = validate_bytes(xml)
    expected = pointer_to_xpath(read_xml_root(xml), pointer)
    assert [(f.code, f.location) for f in report.findings] == [("model.invalid-value", expected)]
    assert report.certificate is None


def test_model_bound_on_first_use_equals_the_checked_binding() -> None:

    from inspectx.formats.certificate import certificate_from_data
    from inspectx.validation import read_certificate

    data = LEAF_FIXTURE.read_bytes()
    loaded = read_certificate(data)
    assert loaded._model is None  # the lean path leaves it unbuilt
    assert loaded.certificate == certificate_from_data(json.loads(data))
    assert loaded.certificate is loaded.certificate  # bound once
