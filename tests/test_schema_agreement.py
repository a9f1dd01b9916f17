"""The JSON Schema and the XSD accept exactly the same documents, and the two
JSON Schema validators (jsonschema-rs, the Python reference) agree.

Mutations are generated on valid documents in each form; the mutated document
is converted structurally to the other form (the converter is total: what the
table does not expect is carried across, never dropped) and both schemas must
give the same answer.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from inspectx.formats import certificate_to_data, data_to_xml_bytes
from inspectx.formats._table import CERTIFICATE_NS, RECORDS, Field, Kind, Record
from inspectx.formats._tree import data_to_element, element_to_data
from inspectx.model import Certificate
from inspectx.validation import SchemaValidators
from tests.conftest import FIXTURES
from tests.strategies import certificates

RS = SchemaValidators("rs")
REF = SchemaValidators("reference")
AGREEMENT = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
Q = "{" + CERTIFICATE_NS + "}"

# --- where a mutation can go: every object in the JSON data with its record ----------


def _objects(
    data: Any, rec: Record, path: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], Record]]:
    found = [(path, rec)]
    for f in rec.fields:
        if f.kind is not Kind.RECORD or f.name not in data:
            continue
        assert f.target is not None
        values = data[f.name] if f.repeated else [data[f.name]]
        for i, v in enumerate(values):
            p = (*path, f.name, i) if f.repeated else (*path, f.name)
            found += _objects(v, RECORDS[f.target], p)
    return found


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


_BAD_VALUES: dict[str, list[Any]] = {
    "countryCode": ["Germany", "de", "D"],
    "decimal": ["1e-3", "0,5", ".5", "5.", "+1", "NaN"],
    "dateTime": [
        "2026-01-02",
        "2026-01-02T03:04:05",
        "2026-13-01T00:00:00Z",
        "2026-01-02 03:04:05Z",
    ],
    "date": ["2026-1-2", "02/01/2026", "2026-01-02T00:00:00Z"],
    "uri": ["not a uri", "no-scheme"],
    "unitCode": ["mg/kg", "ABCD", "na"],
    "language": ["english", "e", "en_GB"],
    "token": ["two words"],
    "positiveInteger": [0, -1, 1_000_000, "1", 1.5],
    "base64": ["not base64!", "abc"],
    "email": ["nobody"],
    "mediaType": ["json"],
    "ncName": ["1abc", "a b"],
}


def _bad_for(f: Field) -> list[Any]:
    if f.kind is Kind.ENUM:
        return ["bogus", "PASS"]
    lex = f.lex
    if lex is not None and lex.name in _BAD_VALUES:
        return _BAD_VALUES[lex.name]
    return []


_WRONG_TYPES: list[Any] = [5, True, None, {}, [], {"value": "x"}, ["x"], 1.5, "x", ""]


@st.composite
def json_mutations(draw: st.DrawFn) -> tuple[str, Any]:
    cert = draw(certificates)
    data = certificate_to_data(cert)
    path, rec = draw(st.sampled_from(_objects(data, RECORDS[Certificate])))
    target = _get(data, path)
    kind = draw(st.sampled_from(["missing", "wrong-type", "bad-code", "extra", "empty"]))
    mutated = copy.deepcopy(data)
    obj = _get(mutated, path)
    present = [f for f in rec.fields if f.name in target]
    if kind == "missing":
        required = [f for f in rec.fields if f.required]
        if not required:
            kind = "extra"
        else:
            obj.pop(draw(st.sampled_from(required)).name, None)
    if kind in ("wrong-type", "bad-code", "empty") and present:
        f = draw(st.sampled_from(present))
        if kind == "wrong-type":
            value = draw(st.sampled_from(_WRONG_TYPES))
        elif kind == "empty":
            value = [] if f.repeated else ""
        else:
            bad = _bad_for(f)
            value = draw(st.sampled_from(bad)) if bad else "\u00a0"
            if f.repeated and not isinstance(obj[f.name], list):
                value = [value]
        if f.repeated and kind == "bad-code":
            obj[f.name] = [value]
        else:
            obj[f.name] = value
    elif kind != "missing":
        name = draw(st.sampled_from(["extra", "proof", "Value", "@type", "seq"]))
        obj[name] = draw(st.sampled_from(["x", 1, {"a": "b"}]))
    return kind, mutated


def _json_verdicts(data: Any) -> tuple[bool, bool]:
    return RS.json_is_valid(data), REF.json_is_valid(data)


def _xsd_verdict(root: etree._Element) -> bool:
    # serialise and re-parse, so the XSD sees exactly what a file would carry
    return RS.xml_is_valid(etree.fromstring(etree.tostring(root)))


@given(json_mutations())
@AGREEMENT
def test_json_mutations_get_the_same_verdict_from_the_xsd(case: tuple[str, Any]) -> None:
    kind, data = case
    rs_ok, ref_ok = _json_verdicts(data)
    assert rs_ok == ref_ok, f"jsonschema-rs and jsonschema disagree on a {kind} mutation"
    assert _xsd_verdict(data_to_element(data)) == rs_ok, f"schemas disagree on a {kind} mutation"


# --- XML-side mutations -------------------------------------------------------------


def _elements_with_records(root: etree._Element) -> list[tuple[etree._Element, Record]]:
    out = [(root, RECORDS[Certificate])]
    i = 0
    while i < len(out):
        el, rec = out[i]
        i += 1
        if rec.content is not None:
            continue
        for child in el:
            f = rec.field(str(child.tag)[len(Q) :])
            if f is not None and f.kind is Kind.RECORD and f.target is not None:
                out.append((child, RECORDS[f.target]))
    return out


@st.composite
def xml_mutations(draw: st.DrawFn) -> tuple[str, etree._Element]:
    cert = draw(certificates)
    root = etree.fromstring(data_to_xml_bytes(certificate_to_data(cert)))
    el, _rec = draw(st.sampled_from(_elements_with_records(root)))
    kind = draw(
        st.sampled_from(
            [
                "remove",
                "unknown",
                "foreign",
                "reorder",
                "duplicate",
                "attribute",
                "text",
                "bad-text",
            ]
        )
    )
    children = list(el)
    if kind == "remove" and children:
        el.remove(draw(st.sampled_from(children)))
    elif kind == "reorder" and len(children) >= 2:
        a = draw(st.integers(0, len(children) - 2))
        el.insert(a, children[a + 1])  # move the later one before the earlier one
    elif kind == "duplicate" and children:
        child = draw(st.sampled_from(children))
        child.addnext(copy.deepcopy(child))
    elif kind == "attribute":
        el.set(draw(st.sampled_from(["id", "unit", "schemeId", "lang", "{urn:x}a"])), "x")
    elif kind == "text":
        if len(el):
            el[-1].tail = "stray"
        else:
            el.text = (el.text or "") + " "
    elif kind == "bad-text":
        leaves = [c for c in el.iter() if len(c) == 0 and c is not el] or [el]
        leaf = draw(st.sampled_from(leaves))
        leaf.text = draw(st.sampled_from(["", "bogus value", "Germany", "1e5", "2026-02-30"]))
    elif kind == "foreign":
        etree.SubElement(el, "{urn:other}thing").text = "x"
    else:
        etree.SubElement(
            el, Q + draw(st.sampled_from(["extra", "proof", "value", "seq"]))
        ).text = "1"
    return kind, etree.fromstring(etree.tostring(root))


@given(xml_mutations())
@AGREEMENT
def test_xml_mutations_get_the_same_verdict_from_the_json_schema(
    case: tuple[str, etree._Element],
) -> None:
    kind, root = case
    xsd_ok = RS.xml_is_valid(root)
    data = element_to_data(root)
    rs_ok, ref_ok = _json_verdicts(data)
    assert rs_ok == ref_ok, f"jsonschema-rs and jsonschema disagree on a {kind} mutation"
    assert rs_ok == xsd_ok, f"schemas disagree on a {kind} mutation"


# --- fixtures -----------------------------------------------------------------------


def _parsed_fixtures() -> list[tuple[Path, Any]]:
    """Every fixture that parses as JSON or XML (format-layer fixtures have no schema verdict)."""
    out: list[tuple[Path, Any]] = []
    for path in sorted(FIXTURES.rglob("*")):
        raw = path.read_bytes() if path.is_file() else b""
        try:
            if path.suffix == ".json":
                out.append((path, json.loads(raw)))
            elif path.suffix == ".xml":
                parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
                out.append((path, etree.fromstring(raw, parser)))
        except (ValueError, etree.XMLSyntaxError):
            continue
    return out


@pytest.mark.parametrize(
    ("path", "parsed"),
    _parsed_fixtures(),
    ids=lambda v: str(v.relative_to(FIXTURES)) if isinstance(v, Path) else "",
)
def test_validators_agree_on_fixture(path: Path, parsed: Any) -> None:
    if path.suffix == ".xml":
        xsd_ok = RS.xml_is_valid(parsed)
        parsed = element_to_data(parsed)
        assert RS.json_is_valid(parsed) == xsd_ok
    rs_ok, ref_ok = _json_verdicts(parsed)
    assert rs_ok == ref_ok
