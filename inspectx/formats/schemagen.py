"""Generate the published JSON Schema and XSD from the field table.

The files in ``schemas/`` are the output of this module; a test fails when they
drift. Regenerate with ``python -m inspectx.formats.schemagen``.
"""

from __future__ import annotations

import enum
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from inspectx.formats._table import CERTIFICATE, XML_NS, Field, Kind, Lexical, Vocabulary
from inspectx.formats.trustlist import TRUST_LIST

__all__ = ["JSON_SCHEMA_FILE", "XML_XSD_FILE", "XSD_FILE", "generate", "json_schema", "xsd"]

JSON_SCHEMA_FILE = CERTIFICATE.json_schema_file
XSD_FILE = CERTIFICATE.xsd_file
XML_XSD_FILE = "xml.xsd"
VOCABULARIES = (CERTIFICATE, TRUST_LIST)


def _lexicals(vocabulary: Vocabulary) -> dict[str, Lexical]:
    found: dict[str, Lexical] = {}
    for rec in vocabulary.records.values():
        for f in rec.fields:
            lex = f.lex
            if lex is not None:
                assert found.get(lex.name, lex) == lex, lex.name
                found[lex.name] = lex
    return dict(sorted(found.items()))


def _enums(vocabulary: Vocabulary) -> dict[str, type[enum.Enum]]:
    found = {
        f.target.__name__: f.target
        for rec in vocabulary.records.values()
        for f in rec.fields
        if f.kind is Kind.ENUM and f.target is not None
    }
    return dict(sorted(found.items()))


# --- JSON Schema -------------------------------------------------------------------


def _json_lexical(lex: Lexical) -> dict[str, Any]:
    if lex.maximum is not None:
        return {"type": "integer", "minimum": 1, "maximum": lex.maximum}
    out: dict[str, Any] = {"type": "string", "minLength": 1}
    if lex.max_length is not None:
        out["maxLength"] = lex.max_length
    if lex.pattern is not None:
        out["pattern"] = f"^({lex.pattern})$(?!\\n)"
    return out


def _json_field(f: Field, vocabulary: Vocabulary) -> dict[str, Any]:
    if f.kind is Kind.RECORD or f.kind is Kind.ENUM:
        assert f.target is not None
        name = vocabulary.records[f.target].name if f.kind is Kind.RECORD else f.target.__name__
        item: dict[str, Any] = {"$ref": f"#/$defs/{name}"}
    else:
        lex = f.lex
        assert lex is not None
        item = {"$ref": f"#/$defs/{lex.name}"}
    if f.repeated:
        array = {"type": "array", "minItems": 1, "items": item}
        return {**array, "uniqueItems": True} if f.unique else array
    return item


def json_schema(vocabulary: Vocabulary = CERTIFICATE) -> dict[str, Any]:
    """The Draft 2020-12 JSON Schema of a vocabulary (inspectx JSON certificates by default)."""
    defs: dict[str, Any] = {}
    for rec in vocabulary.records.values():
        defs[rec.name] = {
            "type": "object",
            "properties": {f.name: _json_field(f, vocabulary) for f in rec.fields},
            "required": [f.name for f in rec.fields if f.required],
            "additionalProperties": False,
        }
        if rec.choice:
            defs[rec.name]["oneOf"] = [{"required": [name]} for name in rec.choice]
    for name, enum_cls in _enums(vocabulary).items():
        defs[name] = {"type": "string", "enum": [e.value for e in enum_cls]}
    for name, lex in _lexicals(vocabulary).items():
        defs[name] = _json_lexical(lex)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": vocabulary.schema_id,
        "title": vocabulary.title,
        "description": "Generated from the inspectx field table; do not edit by hand.",
        "$ref": f"#/$defs/{vocabulary.root.name}",
        "$defs": defs,
    }


# --- XSD -----------------------------------------------------------------------------


def _xsd_simple_type(name: str, lex: Lexical, indent: str = "  ") -> list[str]:
    lines = [
        f"{indent}<xs:simpleType name={quoteattr(name)}>" if name else f"{indent}<xs:simpleType>"
    ]
    lines.append(f'{indent}  <xs:restriction base="xs:string">')
    if lex.maximum is None:
        lines.append(f'{indent}    <xs:minLength value="1"/>')
    if lex.max_length is not None:
        lines.append(f'{indent}    <xs:maxLength value="{lex.max_length}"/>')
    if lex.pattern is not None:
        lines.append(f"{indent}    <xs:pattern value={quoteattr(lex.pattern)}/>")
    lines += [f"{indent}  </xs:restriction>", f"{indent}</xs:simpleType>"]
    return lines


def _xsd_type_of(f: Field, vocabulary: Vocabulary) -> str:
    if f.kind is Kind.RECORD:
        assert f.target is not None
        return "ix:" + vocabulary.records[f.target].name
    if f.kind is Kind.ENUM:
        assert f.target is not None
        return "ix:" + f.target.__name__
    lex = f.lex
    assert lex is not None
    return "ix:" + lex.name


def xsd(vocabulary: Vocabulary = CERTIFICATE) -> str:
    """The XSD 1.0 of a vocabulary (inspectx XML certificates by default).

    A field marked ``unique`` is not checked by the XSD (XSD 1.0 cannot compare
    siblings' values without keys on every element); the JSON Schema is applied
    to the converted data in any case.
    """
    ns = vocabulary.namespace
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Generated from the inspectx field table; do not edit by hand. -->",
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"',
        f'           xmlns:ix="{ns}"',
        f'           targetNamespace="{ns}"',
        '           elementFormDefault="qualified" attributeFormDefault="unqualified">',
        f'  <xs:import namespace="{XML_NS}" schemaLocation="{XML_XSD_FILE}"/>',
        f'  <xs:element name="{vocabulary.root_element}" type="ix:{vocabulary.root.name}"/>',
    ]
    for rec in vocabulary.records.values():
        out.append(f'  <xs:complexType name="{rec.name}">')
        if rec.content is not None:
            content = rec.field(rec.content)
            assert content is not None
            out.append("    <xs:simpleContent>")
            out.append(f'      <xs:extension base="{_xsd_type_of(content, vocabulary)}">')
            for f in rec.fields:
                if f is content:
                    continue
                use = ' use="required"' if f.required else ""
                if f.name == "lang":
                    out.append(f'        <xs:attribute ref="xml:lang"{use}/>')
                else:
                    out.append(
                        f'        <xs:attribute name="{f.name}" '
                        f'type="{_xsd_type_of(f, vocabulary)}"{use}/>'
                    )
            out += ["      </xs:extension>", "    </xs:simpleContent>"]
        else:
            out.append("    <xs:sequence>")
            for f in rec.fields:
                occurs = "" if f.required or f.name in rec.choice else ' minOccurs="0"'
                if f.repeated:
                    occurs += ' maxOccurs="unbounded"'
                element = (
                    f'<xs:element name="{f.name}" type="{_xsd_type_of(f, vocabulary)}"{occurs}/>'
                )
                if f.name in rec.choice:
                    if f.name == rec.choice[0]:
                        out.append("      <xs:choice>")
                    out.append("  " + "      " + element)
                    if f.name == rec.choice[-1]:
                        out.append("      </xs:choice>")
                else:
                    out.append("      " + element)
            out.append("    </xs:sequence>")
        out.append("  </xs:complexType>")
    for name, enum_cls in _enums(vocabulary).items():
        out.append(f'  <xs:simpleType name="{name}">')
        out.append('    <xs:restriction base="xs:string">')
        out += [f"      <xs:enumeration value={quoteattr(e.value)}/>" for e in enum_cls]
        out += ["    </xs:restriction>", "  </xs:simpleType>"]
    for name, lex in _lexicals(vocabulary).items():
        out += _xsd_simple_type(name, lex)
    out.append("</xs:schema>")
    return "\n".join(out) + "\n"


def xml_namespace_xsd() -> str:
    """A minimal schema for the ``xml:`` namespace (only ``xml:lang``), written by us."""
    body = _xsd_simple_type("", _lexicals(CERTIFICATE)["language"], indent="    ")
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<!-- The xml:lang attribute as inspectx uses it. Generated; do not edit. -->",
            f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{XML_NS}">',
            '  <xs:attribute name="lang">',
            *body,
            "  </xs:attribute>",
            "</xs:schema>",
            "",
        ]
    )


def generate() -> dict[str, str]:
    """File name -> text of every generated schema file."""
    out = {XML_XSD_FILE: xml_namespace_xsd()}
    for vocabulary in VOCABULARIES:
        schema = json_schema(vocabulary)
        out[vocabulary.json_schema_file] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        out[vocabulary.xsd_file] = xsd(vocabulary)
    return out


def main() -> int:
    target = Path(str(resources.files("inspectx") / "schemas"))
    for name, text in generate().items():
        (target / name).write_text(text, encoding="utf-8")
        print(f"wrote {target / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
