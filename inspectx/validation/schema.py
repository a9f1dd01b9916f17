"""Schema validation (layer 2): JSON Schema with jsonschema-rs, XSD with lxml.

Validators are compiled once per :class:`SchemaValidators` instance; the
published schemas are loaded from the package with ``importlib.resources`` and
nothing a document names (``$schema``, ``xsi:schemaLocation``) is ever fetched.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any, Literal

from lxml import etree

from inspectx.errors import SchemaInvalid
from inspectx.formats._table import RECORDS, Kind, Record
from inspectx.formats.certificate import xpath_of
from inspectx.formats.schemagen import JSON_SCHEMA_FILE, XSD_FILE
from inspectx.model import Certificate
from inspectx.validation.report import Finding, Severity

__all__ = [
    "SchemaValidators",
    "default_validators",
    "json_pointer",
    "load_json_schema",
    "schema_invalid",
]

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
_FULL_REPORT_BYTES = 256 * 1024
# the most basic defect at a location is reported first
_PRIORITY = {
    code: i
    for i, code in enumerate(
        [
            "schema.type",
            "schema.required",
            "schema.unexpected-member",
            "schema.empty-array",
            "schema.enum",
            "schema.pattern",
            "schema.length",
            "schema.range",
        ]
    )
}
_XSD_HINTS = {
    "schema.required": "add the missing element or attribute",
    "schema.unexpected-member": "remove it, or check its spelling and position (order matters)",
    "schema.pattern": "see the field's lexical form in docs/format.md",
    "schema.enum": "use one of the listed values",
    "schema.length": "a value is empty or longer than the field allows (see docs/format.md)",
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


_MAX_MESSAGE = 300


def _bounded(message: str) -> str:
    """A validator's message, which quotes the offending value, cut to a readable length."""
    if len(message) <= _MAX_MESSAGE:
        return message
    return f"{message[: _MAX_MESSAGE - 60]}… ({len(message):,} characters in all)"


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
            # our own bundled file, parsed from disk so that its xml.xsd import resolves
            # beside it (the untrusted-input parser would refuse to load anything)
            doc = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))
            self._xsd = etree.XMLSchema(doc)

    def json_is_valid(self, data: Any) -> bool:
        if self.engine == "rs":
            return bool(self._rs.is_valid(data))
        return bool(self._ref.is_valid(data))

    def json_findings(
        self, data: Any, max_findings: int = 100, size_hint: int | None = None
    ) -> list[Finding]:
        """The JSON Schema violations (at most ``max_findings``), each located by a
        JSON Pointer, the most basic defect at a location first.

        jsonschema-rs collects every error before returning any, so for a document
        larger than ``size_hint`` bytes (default: any size) past 256 KiB only the
        first violation is listed, with a ``schema.findings-truncated`` note: a
        hostile upload with a million bad values must not cost minutes.
        """
        errors: Iterable[tuple[str | None, str, Any]]
        if self.engine == "rs":
            if self._rs.is_valid(data):
                return []
            if size_hint is not None and size_hint > _FULL_REPORT_BYTES:
                return self._first_json_finding(data)
            errors = (
                (_RS_KIND_CODES.get(type(e.kind).__name__), e.message, e.instance_path)
                for e in self._rs.iter_errors(data)
            )
        else:
            errors = (
                (_REF_KIND_CODES.get(str(e.validator)), e.message, e.absolute_path)
                for e in self._ref.iter_errors(data)
            )
        findings = [
            Finding(
                code=code or "schema.invalid",
                severity=Severity.ERROR,
                layer="schema",
                message=_bounded(message),
                hint=_hint(code or "schema.invalid"),
                location=json_pointer(path),
            )
            for code, message, path in itertools.islice(errors, max_findings)
        ]
        findings.sort(key=lambda f: (f.location or "", _PRIORITY.get(f.code, len(_PRIORITY))))
        return findings

    def _first_json_finding(self, data: Any) -> list[Finding]:
        import jsonschema_rs

        try:
            self._rs.validate(data)
        except jsonschema_rs.ValidationError as err:
            code = _RS_KIND_CODES.get(type(err.kind).__name__, "schema.invalid")
            first = Finding(
                code=code,
                severity=Severity.ERROR,
                layer="schema",
                message=_bounded(err.message),
                hint=_hint(code),
                location=json_pointer(err.instance_path),
            )
            note = Finding(
                code="schema.findings-truncated",
                severity=Severity.INFO,
                layer="schema",
                message="the document is large, so only its first schema violation is listed",
                hint="fix it and validate again, or split the document",
            )
            return [first, note]
        return []  # pragma: no cover - is_valid said it was invalid

    def xml_is_valid(self, root: etree._Element) -> bool:
        return bool(self._xsd.validate(root))

    def xml_findings(self, root: etree._Element, max_findings: int = 100) -> list[Finding]:
        """Every XSD violation, each located by an XPath with its line number."""
        if self._xsd.validate(root):
            return []
        findings = []
        for entry in itertools.islice(self._xsd.error_log, max_findings):  # type: ignore[call-overload]
            el = _element_at(root, entry.path)
            code = _xsd_code(entry.type_name, entry.message, el)
            findings.append(
                Finding(
                    code=code,
                    severity=Severity.ERROR,
                    layer="schema",
                    message=_bounded(entry.message.replace("{urn:inspectx:certificate:1}", "")),
                    hint=_hint(code),
                    location=xpath_of(el) if el is not None else f"/ (line {entry.line})",
                )
            )
        return findings


def _element_at(root: etree._Element, path: str | None) -> etree._Element | None:
    """The element libxml2's positional path (``/*/*[8]/*[5]``) names."""
    try:
        found = root.getroottree().xpath(path) if path else []
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _record_of(el: etree._Element) -> Record | None:
    """The field-table record an element of a certificate is an instance of."""
    chain = [*reversed(list(el.iterancestors())), el]
    rec: Record | None = RECORDS[Certificate]
    for node in chain[1:]:
        f = rec.field(etree.QName(node).localname) if rec is not None else None
        rec = RECORDS[f.target] if f is not None and f.kind is Kind.RECORD and f.target else None
    return rec


_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")


def _missing_required(parent: etree._Element | None, message: str) -> bool:
    """Whether an XSD "not expected" message is really about an absent required element."""
    match = _EXPECTED.search(message)
    rec = _record_of(parent) if parent is not None else None
    if match is None or rec is None or parent is None:
        return False
    present = {etree.QName(c).localname for c in parent}
    expected = {name.split("}")[-1].strip() for name in match.group(1).split(",")}
    return any(f.required and f.name in expected and f.name not in present for f in rec.fields)


def _xsd_code(type_name: str, message: str, el: etree._Element | None) -> str:
    if "Missing child" in message or "is required but missing" in message:
        return "schema.required"
    if "not expected" in message:
        parent = el.getparent() if el is not None else None
        return (
            "schema.required" if _missing_required(parent, message) else "schema.unexpected-member"
        )
    if "is not allowed" in message:
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


def schema_invalid(findings: list[Finding], *, context: str = "") -> SchemaInvalid:
    """The error for a schema-invalid document: its first finding leads, all are kept."""
    first = findings[0]
    return SchemaInvalid(
        first.code,
        f"{context}{first.message}",
        hint=first.hint,
        location=first.location,
        findings=tuple(findings),
    )


@cache
def default_validators() -> SchemaValidators:
    """The process-wide jsonschema-rs/XSD validators, compiled on first use."""
    return SchemaValidators()
