"""Schema validation (layer 2): JSON Schema with jsonschema-rs, XSD with lxml.

Validators are compiled once per :class:`SchemaValidators` instance; the
published schemas are loaded from the package with ``importlib.resources`` and
nothing a document names (``$schema``, ``xsi:schemaLocation``) is ever fetched.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from lxml import etree

from inspectx.formats.certificate import xpath_of
from inspectx.formats.safexml import make_parser
from inspectx.formats.schemagen import JSON_SCHEMA_FILE, XSD_FILE
from inspectx.validation.report import Finding, Severity

__all__ = ["SchemaValidators", "default_validators", "json_pointer", "load_json_schema"]

Engine = Literal["rs", "reference"]

_RS_KIND_CODES = {
    "Required": "schema.required",
    "AdditionalProperties": "schema.unexpected-member",
    "Type": "schema.type",
    "Pattern": "schema.pattern",
    "Enum": "schema.enum",
    "MinLength": "schema.length",
    "MaxLength": "schema.length",
    "MinItems": "schema.empty-array",
    "Minimum": "schema.range",
    "Maximum": "schema.range",
}
_REF_KIND_CODES = {
    "required": "schema.required",
    "additionalProperties": "schema.unexpected-member",
    "type": "schema.type",
    "pattern": "schema.pattern",
    "enum": "schema.enum",
    "minLength": "schema.length",
    "maxLength": "schema.length",
    "minItems": "schema.empty-array",
    "minimum": "schema.range",
    "maximum": "schema.range",
}
_XSD_HINTS = {
    "schema.required": "add the missing element or attribute",
    "schema.unexpected-member": "remove it, or check its spelling and position (order matters)",
    "schema.pattern": "see the field's lexical form in docs/format.md",
    "schema.enum": "use one of the listed values",
    "schema.length": "values may not be empty",
    "schema.type": "see the field's type in docs/format.md",
}


def _schema_file(name: str) -> Any:
    return resources.files("inspectx") / "schemas" / name


def load_json_schema() -> dict[str, Any]:
    """The published JSON Schema of inspectx JSON certificates."""
    schema: dict[str, Any] = json.loads(_schema_file(JSON_SCHEMA_FILE).read_text("utf-8"))
    return schema


def json_pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


def _hint(code: str) -> str:
    return _XSD_HINTS.get(code, "check the document against the published schema")


class SchemaValidators:
    """Compiled validators for the published schemas.

    ``engine="rs"`` (default) validates JSON with jsonschema-rs; ``"reference"``
    uses the Python ``jsonschema`` package, the reference implementation the
    test suite holds jsonschema-rs to. Not thread-safe for XSD; make one per thread.
    """

    def __init__(self, engine: Engine = "rs") -> None:
        schema = load_json_schema()
        self.engine = engine
        if engine == "rs":
            import jsonschema_rs

            self._rs = jsonschema_rs.validator_for(schema)
        else:
            import jsonschema

            self._ref = jsonschema.Draft202012Validator(schema)
        xsd_path = _schema_file(XSD_FILE)
        with resources.as_file(xsd_path) as path:
            # parsed from its file so that the xml.xsd import resolves locally
            doc = etree.parse(str(path), make_parser())
            self._xsd = etree.XMLSchema(doc)

    def json_is_valid(self, data: Any) -> bool:
        if self.engine == "rs":
            return bool(self._rs.is_valid(data))
        return bool(self._ref.is_valid(data))

    def json_findings(self, data: Any) -> list[Finding]:
        """Every JSON Schema violation, each located by a JSON Pointer."""
        findings: list[Finding] = []
        if self.engine == "rs":
            if self._rs.is_valid(data):
                return findings
            for err in self._rs.iter_errors(data):
                code = _RS_KIND_CODES.get(type(err.kind).__name__, "schema.invalid")
                findings.append(
                    Finding(
                        code=code,
                        severity=Severity.ERROR,
                        layer="schema",
                        message=err.message,
                        hint=_hint(code),
                        location=json_pointer(err.instance_path),
                    )
                )
        else:
            for err in self._ref.iter_errors(data):
                code = _REF_KIND_CODES.get(str(err.validator), "schema.invalid")
                findings.append(
                    Finding(
                        code=code,
                        severity=Severity.ERROR,
                        layer="schema",
                        message=err.message,
                        hint=_hint(code),
                        location=json_pointer(err.absolute_path),
                    )
                )
        findings.sort(key=lambda f: (f.location or "", f.code))
        return findings

    def xml_is_valid(self, root: etree._Element) -> bool:
        return bool(self._xsd.validate(root))

    def xml_findings(self, root: etree._Element) -> list[Finding]:
        """Every XSD violation, each located by an XPath with its line number."""
        if self._xsd.validate(root):
            return []
        findings = []
        for entry in self._xsd.error_log:  # type: ignore[attr-defined]
            code = _xsd_code(entry.type_name, entry.message)
            findings.append(
                Finding(
                    code=code,
                    severity=Severity.ERROR,
                    layer="schema",
                    message=entry.message.replace("{urn:inspectx:certificate:1}", ""),
                    hint=_hint(code),
                    location=_locate(root, entry.path, entry.line),
                )
            )
        return findings


def _locate(root: etree._Element, path: str | None, line: int) -> str:
    """Turn libxml2's positional path (``/*/*[8]/*[5]``) into a readable one."""
    try:
        found = root.getroottree().xpath(path) if path else []
    except etree.XPathError:
        found = []
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return xpath_of(found[0])
    return f"{path or '/'} (line {line})"


def _xsd_code(type_name: str, message: str) -> str:
    if "MISSING" in type_name or "Missing child" in message or "is required but missing" in message:
        return "schema.required"
    if "not expected" in message or "is not allowed" in message:
        return "schema.unexpected-member"
    if "PATTERN" in type_name:
        return "schema.pattern"
    if "ENUMERATION" in type_name:
        return "schema.enum"
    if "LENGTH" in type_name:
        return "schema.length"
    if "Character content" in message or "DATATYPE" in type_name:
        return "schema.type"
    return "schema.invalid"


@cache
def default_validators() -> SchemaValidators:
    """The process-wide jsonschema-rs/XSD validators, compiled on first use."""
    return SchemaValidators()
