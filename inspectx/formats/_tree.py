"""Structural conversion between inspectx JSON data and inspectx XML trees.

Driven only by the field table, and total: it converts *any* JSON value to XML
and *any* XML element to JSON data, so that a document invalid in one form is
still invalid in the other after conversion. Whatever the table does not expect
(an unknown member, a wrong JSON type, an empty array, an out-of-order or
foreign element, stray text or attributes) is carried across as a marker the
other schema rejects, never dropped. This is what lets the two published
schemas be tested against each other.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from inspectx.formats._table import CERTIFICATE, XML_NS, Field, Kind, Record, Vocabulary

__all__ = ["data_to_element", "element_to_data"]

INVALID_NS = "urn:inspectx:invalid"
_MARK = f"{{{INVALID_NS}}}jsonType"
_UNKNOWN = f"{{{INVALID_NS}}}member"
_LANG = f"{{{XML_NS}}}lang"
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._\-]*$")
_CANONICAL_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")


def _xml_attr(name: str) -> str:
    return _LANG if name == "lang" else name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# --- JSON data -> XML ------------------------------------------------------------


def data_to_element(data: Any, vocabulary: Vocabulary = CERTIFICATE) -> etree._Element:
    """Build the root element (``<certificate>`` by default) for JSON data (valid or not)."""
    ns = vocabulary.namespace
    root = etree.Element(f"{{{ns}}}{vocabulary.root_element}", nsmap={None: ns})  # type: ignore[dict-item]
    _record_into(root, vocabulary.root, data, vocabulary)
    return root


def _record_into(el: etree._Element, rec: Record, data: Any, vocabulary: Vocabulary) -> None:
    if not isinstance(data, dict):
        el.set(_MARK, _json_type(data))
        if isinstance(data, str | int | float) and not isinstance(data, bool):
            el.text = str(data)
        return
    if rec.content is not None:
        _wrapper_into(el, rec, data)
        return
    for f in rec.fields:
        if f.name in data:
            _field_into(el, f, data[f.name], vocabulary)
    for name, value in data.items():
        if rec.field(name) is None:
            _unknown_into(el, name, value)


def _wrapper_into(el: etree._Element, rec: Record, data: dict[str, Any]) -> None:
    for f in rec.fields:
        if f.name not in data:
            continue
        value = data[f.name]
        if not isinstance(value, str):
            # attributes cannot carry structure: mark the element instead
            el.set(_MARK, f"{f.name}:{_json_type(value)}")
            continue
        if f.name == rec.content:
            el.text = value
        else:
            el.set(_xml_attr(f.name), value)
    for name, value in data.items():
        if rec.field(name) is None:
            _unknown_into(el, name, value)


def _field_into(parent: etree._Element, f: Field, value: Any, vocabulary: Vocabulary) -> None:
    tag = f"{{{vocabulary.namespace}}}{f.name}"
    if f.repeated:
        if not isinstance(value, list):
            child = etree.SubElement(parent, tag)
            child.set(_MARK, "not-array:" + _json_type(value))
            return
        if not value:
            etree.SubElement(parent, tag).set(_MARK, "empty-array")
            return
        for item in value:
            _leaf_or_record(etree.SubElement(parent, tag), f, item, vocabulary)
    else:
        _leaf_or_record(etree.SubElement(parent, tag), f, value, vocabulary)


def _leaf_or_record(el: etree._Element, f: Field, value: Any, vocabulary: Vocabulary) -> None:
    if f.kind is Kind.RECORD:
        assert f.target is not None
        _record_into(el, vocabulary.records[f.target], value, vocabulary)
    elif f.kind is Kind.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            el.text = str(value)
        elif isinstance(value, float) and value.is_integer():
            el.text = str(int(value))  # JSON Schema counts 1.0 as an integer
        else:
            el.set(_MARK, _json_type(value))
            if isinstance(value, str):
                el.text = value
    elif isinstance(value, str):
        el.text = value
    else:
        el.set(_MARK, _json_type(value))


def _unknown_into(parent: etree._Element, name: str, value: Any) -> None:
    el = etree.SubElement(parent, _UNKNOWN)
    el.set("name", name)
    el.set(_MARK, _json_type(value))


# --- XML -> JSON data ------------------------------------------------------------


def element_to_data(root: etree._Element, vocabulary: Vocabulary = CERTIFICATE) -> Any:
    """JSON data for a root element (``<certificate>`` by default), valid or not."""
    if root.tag != f"{{{vocabulary.namespace}}}{vocabulary.root_element}":
        return {"~root": _clark(root)}
    return _record_from(root, vocabulary.root, vocabulary)


def _clark(el: etree._Element) -> str:
    return str(el.tag)  # lxml gives "{namespace}local" for elements


def _text_is_blank(text: str | None) -> bool:
    return text is None or not text.strip(" \t\r\n")


def _record_from(el: etree._Element, rec: Record, vocabulary: Vocabulary) -> Any:
    if rec.content is not None:
        return _wrapper_from(el, rec)
    out: dict[str, Any] = {}
    if el.attrib:
        for attr_key in el.attrib:
            out["@" + str(attr_key)] = "attribute"
    if not _text_is_blank(el.text):
        if len(el) == 0:
            return el.text  # text where a record is expected: a string, not an object
        out["#text"] = "mixed content"
    last_index = -1
    last_tag: str | None = None
    q = f"{{{vocabulary.namespace}}}"
    for child in el:
        tag = _clark(child)
        if not _text_is_blank(child.tail):
            out["#text"] = "mixed content"
        name = tag[len(q) :] if tag.startswith(q) else None
        f = rec.field(name) if name is not None else None
        if f is None:
            out["~" + _clark(child)] = "unknown element"
            continue
        index = rec.fields.index(f)
        if index < last_index or (index == last_index and (not f.repeated or tag != last_tag)):
            out["~order"] = f"{name} out of order"
        last_index, last_tag = index, tag
        value = _leaf_or_record_from(child, f, vocabulary)
        if f.name in out:
            prior = out[f.name]
            if f.repeated:
                prior.append(value)
            else:  # a second occurrence of a single field: an array the schema rejects
                out[f.name] = [*prior, value] if isinstance(prior, list) else [prior, value]
        else:
            out[f.name] = [value] if f.repeated else value
    return out


def _wrapper_from(el: etree._Element, rec: Record) -> Any:
    out: dict[str, Any] = {}
    if len(el):
        out["~children"] = "elements inside a typed value"
    assert rec.content is not None
    out[rec.content] = el.text or ""
    for attr_key, attr_value in el.attrib.items():
        attr, value = str(attr_key), str(attr_value)
        name = "lang" if attr == _LANG else attr
        f = rec.field(name)
        if f is None or f.name == rec.content or (name == "lang") != (attr == _LANG):
            out["@" + attr] = value
        else:
            out[name] = value
    return out


def _leaf_or_record_from(el: etree._Element, f: Field, vocabulary: Vocabulary) -> Any:
    if f.kind is Kind.RECORD:
        assert f.target is not None
        return _record_from(el, vocabulary.records[f.target], vocabulary)
    if len(el) or el.attrib:
        return {"~element": "structure where a value is expected"}
    text = el.text or ""
    if f.kind is Kind.INTEGER and _CANONICAL_INT.match(text) and len(text) < 16:
        return int(text)
    return text
