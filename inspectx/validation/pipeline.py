"""Read, validate and convert certificates.

Validation runs the layers of DESIGN §3 in order: 1 format (the hardened
parsers), 2 schema, then the model (values the model can hold), 3 business
rules and report profiles, 4 destination-market rule packs. These are the
calls a library user makes; the CLI is a thin shell over them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from inspectx.errors import InputError, InspectxError, OutputError
from inspectx.formats.certificate import (
    Format,
    certificate_from_data,
    certificate_from_element,
    certificate_from_valid_data,
    certificate_to_data,
    check_valid_data,
    data_from_valid_element,
    data_to_json_bytes,
    data_to_xml_bytes,
    detect_format,
    model_to_xml_bytes,
    pointer_to_xpath,
    read_json_data,
    read_xml_root,
)
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safejson import load_json_lean
from inspectx.model import Certificate
from inspectx.validation.report import DocumentReport, Finding, PackOutcome, RuleOutcome, Severity
from inspectx.validation.rules import check_profile, check_rules
from inspectx.validation.schema import SchemaValidators, default_validators, schema_invalid

__all__ = [
    "LoadedCertificate",
    "convert_bytes",
    "read_certificate",
    "render",
    "validate_bytes",
    "write_json",
    "write_xml",
]

Target = Literal["json", "xml"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedCertificate:
    """A certificate read from bytes that passed the format and schema layers."""

    format: Format
    sha256: str
    #: the JSON data the model is bound from (JSON input only): schema-valid,
    #: shared, not to be modified. Proofs verify over it as received.
    json_data: Any = field(default=None, repr=False, compare=False)
    _model: Certificate | None = field(default=None, repr=False, compare=False)

    @property
    def certificate(self) -> Certificate:
        """The model, bound from :attr:`json_data` on first use where reading did
        not need it: reading checked every value it will hold, so this cannot fail,
        and a caller that only verifies proofs never pays for it."""
        model = self._model
        if model is None:
            model = certificate_from_valid_data(self.json_data)
            object.__setattr__(self, "_model", model)  # a cache: the value is fixed by json_data
        return model


def _as_bytes(data: object) -> bytes:
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise InputError(
        "format.not-bytes",
        f"expected the document's bytes, not {type(data).__name__}",
        hint="read files in binary mode (open(path, 'rb')): the bytes carry their encoding",
    )


@dataclass(slots=True)
class _Parsed:
    format: Format
    json_data: Any = None
    root: Any = None
    schema_valid: bool = False  # the lean JSON path already ran the schema
    xml_safe: bool = False  # the lean path found no character XML cannot carry


def _parse(data: bytes, limits: Limits, validators: SchemaValidators) -> _Parsed:
    if not isinstance(data, bytes):
        data = _as_bytes(data)
    fmt = detect_format(data)
    if fmt == "json":
        # The common case, a well-formed and schema-valid document, costs an orjson
        # parse and one schema pass. The certificate schema is closed, so what the
        # lean loader leaves unchecked (depth, integer range) it bounds; anything
        # else takes the strict loader and the full schema report.
        lean = load_json_lean(data, limits)
        if lean is not None and validators.json_is_valid(lean.value):
            return _Parsed(fmt, json_data=lean.value, schema_valid=True, xml_safe=lean.xml_safe)
        return _Parsed(fmt, json_data=read_json_data(data, limits))
    root = read_xml_root(data, limits)
    _detach_xml_signature(root)
    return _Parsed(fmt, root=root)


_XMLDSIG_NS = b"http://www.w3.org/2000/09/xmldsig#"
_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
_XML_SIGNATURE_NOTE = Finding(
    code="xmldsig.not-verified",
    severity=Severity.INFO,
    layer="format",
    message="the certificate carries an XML signature, which validation does not verify",
    hint="verify it against the signer's certificate (inspectx.proofs.xmldsig.verify_xml)",
)


def _detach_xml_signature(root: Any) -> bool:
    """Set aside an enveloped XML signature (the root's last child) before the schema.

    The signature is not part of the certificate: ``inspectx.proofs.xmldsig``
    verifies it. A signature anywhere else stays, and the schema rejects it.
    """
    if len(root) and root[-1].tag == _DS_SIGNATURE:
        root.remove(root[-1])
        return True
    return False


def _schema_findings(
    parsed: _Parsed, validators: SchemaValidators, limits: Limits, size: int
) -> list[Finding]:
    if parsed.format == "xml":
        return validators.xml_findings(parsed.root, limits.max_findings)
    if parsed.schema_valid:
        return []
    return validators.json_findings(parsed.json_data, limits.max_findings, size)


def _bind(parsed: _Parsed) -> Certificate:
    if parsed.format == "xml":
        return certificate_from_element(parsed.root)
    if parsed.schema_valid and parsed.xml_safe:
        return certificate_from_valid_data(parsed.json_data)
    return certificate_from_data(parsed.json_data)


def _model_layer(parsed: _Parsed) -> tuple[Any, Certificate | None]:
    """The model layer: the certificate's JSON data once every value in it is one the
    model can hold, and the model where checking it meant building it (``None`` where
    a check without building sufficed: bound on first use). Raises :class:`ModelError`."""
    if parsed.format == "xml":
        return data_from_valid_element(parsed.root), None
    if parsed.schema_valid and parsed.xml_safe:
        check_valid_data(parsed.json_data)
        return parsed.json_data, None
    return parsed.json_data, certificate_from_data(parsed.json_data)


def read_certificate(
    data: bytes,
    *,
    limits: Limits = DEFAULT_LIMITS,
    validators: SchemaValidators | None = None,
) -> LoadedCertificate:
    """Read an inspectx JSON or XML certificate (format detected from content).

    Returns a :class:`LoadedCertificate`. Raises :class:`InputError` for bytes
    that are not a well-formed, acceptable document, :class:`SchemaInvalid`
    (with every finding) for a document that breaks its schema, and
    :class:`ModelError` for a value the model cannot hold (e.g. 30 February).
    """
    validators = validators or default_validators()
    parsed = _parse(data, limits, validators)
    findings = _schema_findings(parsed, validators, limits, len(data))
    if findings:
        raise schema_invalid(findings)
    if parsed.schema_valid and parsed.xml_safe:
        check_valid_data(parsed.json_data)  # bound when first asked for
        model = None
    else:
        model = _bind(parsed)
    return LoadedCertificate(
        format=parsed.format,
        sha256=hashlib.sha256(data).hexdigest(),
        json_data=parsed.json_data,
        _model=model,
    )


def validate_bytes(
    data: bytes,
    *,
    source: str = "-",
    limits: Limits = DEFAULT_LIMITS,
    validators: SchemaValidators | None = None,
    rules: bool = True,
    profiles: Sequence[str] = (),
    packs: Sequence[Any] = (),
    at: datetime | None = None,
) -> DocumentReport:
    """Validate one document, layer by layer; never raises for bad input.

    Layers: format, schema, model (values the model can hold), then, unless
    ``rules`` is false, the business rules of :mod:`inspectx.validation.rules`,
    the report-content ``profiles`` (``"iso17025"``) and the rule ``packs``
    (evaluated at ``at``, default now). A layer runs only if the ones before it
    passed. Locations point into the input: JSON Pointers for JSON, XPaths with
    line numbers for XML. Returns a :class:`DocumentReport`; its verdict is
    INVALID for any error finding or FAILED pack rule, INDETERMINATE for an OPEN
    pack rule, VALID otherwise.
    """
    digest = hashlib.sha256(data).hexdigest() if isinstance(data, bytes | bytearray) else None
    fmt: Format | None = None
    try:
        validators = validators or default_validators()
        parsed = _parse(data, limits, validators)
        fmt, root = parsed.format, parsed.root
        findings = _schema_findings(parsed, validators, limits, len(data))
        if findings:
            return DocumentReport(
                source=source,
                format=fmt,
                sha256=digest,
                findings=tuple(findings),
                layers=("format", "schema"),
            )
        cert_data, cert = _model_layer(parsed)
    except InspectxError as exc:
        layer = "format" if isinstance(exc, InputError) else "model"
        finding = Finding(
            code=exc.code,
            severity=Severity.ERROR,
            layer=layer,
            message=exc.message,
            hint=exc.hint,
            location=exc.location,
        )
        return DocumentReport(
            source=source,
            format=fmt,
            sha256=digest,
            findings=(finding,),
            layers=("format",) if layer == "format" else ("format", "schema", "model"),
        )
    if not rules:
        return DocumentReport(
            source=source, format=fmt, sha256=digest, findings=(), certificate_data=cert_data,
            _model=cert,
        )  # fmt: skip
    rule_findings = check_rules(cert_data)
    if fmt == "xml" and _XMLDSIG_NS in data:
        rule_findings.insert(0, _XML_SIGNATURE_NOTE)
    for profile in profiles:
        rule_findings += check_profile(cert_data, profile)
    if fmt == "xml":
        rule_findings = [
            replace(f, location=pointer_to_xpath(root, f.location)) if f.location else f
            for f in rule_findings
        ]
    pack_outcomes: tuple[PackOutcome, ...] = ()
    if packs:  # packs read the model
        cert = cert or certificate_from_valid_data(cert_data)
        pack_outcomes = tuple(evaluate_packs(packs, cert, at=at))
    return DocumentReport(
        source=source,
        format=fmt,
        sha256=digest,
        findings=tuple(rule_findings),
        certificate_data=cert_data,
        _model=cert,
        layers=("format", "schema", "model", "rules", *(f"profile:{p}" for p in profiles)),
        packs=pack_outcomes,
    )


def evaluate_packs(
    packs: Sequence[Any], cert: Certificate, *, at: datetime | None
) -> list[PackOutcome]:
    """Evaluate rule packs against a certificate (see :mod:`inspectx.validation.packs`)."""
    from inspectx.validation.packs import evaluate_pack

    when = at or datetime.now(UTC)
    outcomes = []
    for pack in packs:
        report = evaluate_pack(pack, cert, at=when)
        outcomes.append(
            PackOutcome(
                pack_id=pack.id,
                version=pack.version,
                market=pack.market,
                rules=tuple(
                    RuleOutcome(
                        rule_id=r.rule_id,
                        version=r.rule_version,
                        status=r.status.value,
                        description=r.description_en,
                        affected_fields=tuple(r.affected_fields),
                        source=r.source,
                        note=getattr(r, "note", None),
                    )
                    for r in report.results
                ),
            )
        )
    return outcomes


def render(cert: Certificate, to: Target, *, validators: SchemaValidators | None = None) -> bytes:
    """A certificate as inspectx JSON or XML bytes, checked against the schema first.

    Raises :class:`ModelError` for a model that cannot be rendered and
    :class:`SchemaInvalid` for one whose rendering would break the published
    schema (so no invalid document is ever written).
    """
    json_data = certificate_to_data(cert)
    findings = (validators or default_validators()).json_findings(json_data)
    if findings:
        raise schema_invalid(findings, context="the certificate would not be schema-valid: ")
    return data_to_json_bytes(json_data) if to == "json" else data_to_xml_bytes(json_data)


def write_json(cert: Certificate) -> bytes:
    """inspectx JSON bytes for a certificate (schema-checked)."""
    return render(cert, "json")


def write_xml(cert: Certificate) -> bytes:
    """inspectx XML bytes for a certificate (schema-checked)."""
    return render(cert, "xml")


def check_output_size(out: bytes, target: str, limits: Limits) -> None:
    """Refuse output over ``limits.max_bytes``: what inspectx (and so the recipient)
    would refuse to read. Escaping can make XML much longer than its JSON."""
    if len(out) > limits.max_bytes:
        raise OutputError(
            "output.too-large",
            f"the {target} output would be {len(out)} bytes, over the limit of "
            f"{limits.max_bytes} that inspectx (and so the recipient) reads",
            hint="raise the limit (--max-bytes) on both sides, or send JSON",
        )


def convert_bytes(
    data: bytes,
    to: Target | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    validators: SchemaValidators | None = None,
) -> tuple[Format, bytes]:
    """Convert a certificate between inspectx JSON and XML.

    ``to`` defaults to the other format. Returns the detected source format and
    the output bytes. Raises as :func:`read_certificate` does.
    """
    loaded = read_certificate(data, limits=limits, validators=validators)
    target: Target = to or ("xml" if loaded.format == "json" else "json")
    if target == "xml":
        out = model_to_xml_bytes(loaded.certificate)
    else:
        out = data_to_json_bytes(certificate_to_data(loaded.certificate))
    check_output_size(out, target, limits)
    return loaded.format, out
