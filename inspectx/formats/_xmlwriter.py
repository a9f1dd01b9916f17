"""The inspectx XML writer for schema-valid JSON data: direct string building.

It produces exactly the bytes that building an lxml tree with
:func:`inspectx.formats._tree.data_to_element`, indenting it by two spaces and
serialising it would (a property test holds it to that), at a fraction of the
cost. Only valid data may be written this way; the lxml path stays the total
converter for everything else.
"""

from __future__ import annotations

from typing import Any

from inspectx.formats._table import CERTIFICATE_NS, RECORDS, ROOT_ELEMENT, Kind, Record
from inspectx.model import Certificate

__all__ = ["ATTR_ESCAPES", "TEXT_ESCAPES", "write_model_xml", "write_xml"]

# libxml2's escaping when serialising text content and attribute values
TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\r": "&#13;",
        "\n": "&#10;",
        "\t": "&#9;",
    }
)
_HEAD = f"<?xml version='1.0' encoding='UTF-8'?>\n<{ROOT_ELEMENT} xmlns=\"{CERTIFICATE_NS}\">\n"
_TAIL = f"</{ROOT_ELEMENT}>\n"


def _attr_name(name: str) -> str:
    return "xml:lang" if name == "lang" else name


# Per record: (member name, repeated, nested record or None, wrapper content name,
# wrapper attributes) in table order. Built on first use.
_Plan = tuple[tuple[str, bool, Record | None, str | None, tuple[tuple[str, str], ...]], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(rec: Record) -> _Plan:
    plan = _PLANS.get(rec.cls)
    if plan is None:
        steps = []
        for f in rec.fields:
            sub = RECORDS[f.target] if f.kind is Kind.RECORD and f.target else None
            content = sub.content if sub is not None else None
            attrs = (
                tuple((g.name, _attr_name(g.name)) for g in sub.fields if g.name != content)
                if sub is not None and content is not None
                else ()
            )
            steps.append((f.name, f.repeated, sub, content, attrs))
        plan = _PLANS[rec.cls] = tuple(steps)
    return plan


def write_xml(data: dict[str, Any]) -> bytes:
    """inspectx XML bytes for schema-valid certificate JSON data."""
    out = [_HEAD]
    _write(out, RECORDS[Certificate], data, "  ")
    out.append(_TAIL)
    return "".join(out).encode("utf-8")


def _write(out: list[str], rec: Record, data: dict[str, Any], indent: str) -> None:
    inner = indent + "  "
    for name, repeated, sub, content, attrs in _plan(rec):
        value = data.get(name)
        if value is None:
            continue
        for item in value if repeated else (value,):
            if sub is None:
                out.append(f"{indent}<{name}>{str(item).translate(TEXT_ESCAPES)}</{name}>\n")
            elif content is not None:
                attr_text = "".join(
                    f' {xml_name}="{item[member].translate(ATTR_ESCAPES)}"'
                    for member, xml_name in attrs
                    if member in item
                )
                out.append(
                    f"{indent}<{name}{attr_text}>{item[content].translate(TEXT_ESCAPES)}</{name}>\n"
                )
            elif not item:  # a record with every field absent, as libxml2 writes it
                out.append(f"{indent}<{name}/>\n")
            else:
                out.append(f"{indent}<{name}>\n")
                _write(out, sub, item, inner)
                out.append(f"{indent}</{name}>\n")


def write_model_xml(cert: Certificate) -> bytes:
    """inspectx XML bytes straight from a certificate bound from a valid document.

    The same bytes as ``write_xml(unbind(cert))`` without the intermediate JSON
    data; it makes none of ``unbind``'s checks, so it is only for models bound
    from schema-valid documents (the conversion path).
    """
    from inspectx.formats._codegen import compiled

    out = [_HEAD]
    compiled().write_xml[Certificate](cert, out, "  ")
    out.append(_TAIL)
    return "".join(out).encode("utf-8")
