"""UNTP Digital Conformity Credential (DCC) v0.6.1: export an inspectx certificate, import one.

A UNTP DCC is a W3C Verifiable Credential 2.0 (JSON-LD, compacted) whose subject is a
``ConformityAttestation``. :func:`export_untp` writes one for a certificate;
:func:`import_untp` reads one (exported by inspectx or not) into the model. Each returns
the list of what the conversion flattened or dropped (:mod:`inspectx.formats.conversion`).

**Mapping** (inspectx field → UNTP member; the import is the inverse)::

    id                         id (the credential)
    number                     conformityCertificate.linkName of the native link; also
                               credentialSubject.id when the number is itself a URI
    title[0] (text)            credentialSubject.name
    attestation / documentType attestationType (testing, inspection, certification),
                               assessorLevel (first-party Self, second-party Buyer,
                               third-party 3rdParty), assessmentLevel (accredited
                               Accredited, global-mra GlobalMRA; else Unspecified)
    issuedAt, validFrom        validFrom (validFrom if set, else issuedAt)
    validUntil                 validUntil
    issuer                     issuer: id is a DID (an https id becomes did:web, the URL
                               stays in issuerAlsoKnownAs), name; identifiers as
                               issuerAlsoKnownAs (registeredId, idScheme.name)
    applicant                  credentialSubject.issuedToParty (id, name, first identifier)
    statements[0] (text)       credentialSubject.description
    accreditations[]           authorisation[] Endorsement: name "ISO/IEC 17025
                               accreditation <number>", issuingAuthority (the body),
                               endorsementEvidence (the evidence's uri, id, type)
    references                 conformityCertificate: the ``conformity-certificate``
                               reference if there is one, else a SecureLink to the native
                               inspectx certificate (linkType urn:inspectx:certificate:1,
                               hashDigest its SHA-256); auditableEvidence: the
                               ``auditable-evidence`` reference (uri and digest)
    tests[]                    assessment[], one per test: id, name (parameter),
                               description (method standard), assessmentDate (date of
                               performedTo), conformance (outcome is pass), conformityTopic
                               governance.compliance
    tests[].results[]          declaredValue[] Metric: metricName (the result's parameter,
                               else the test's; a qualifier as a suffix " (<)"),
                               metricValue (number, Rec 20 unit); only results with a value
                               and a unit
    tests[].criteria[]         assessmentCriteria[] Criterion: thresholdValue Metric named
                               "<parameter> (≤)" (the comparator; a range as its lower
                               limit with ≥), name and description from the source, status
                               active
    products[]                 assessment[].assessedProduct[].product (id: a URI identifier
                               or "<certificate id>#product-<seq>", name, registeredId and
                               idScheme.name, batchNumber, serialNumber); a test without
                               product references assesses every product

Ids UNTP requires but the model lacks are made from the certificate id as fragments
(``#attestation``, ``#test=<id>``, ``#product-<seq>``, ``#applicant`` ...) and read back as
absent. Everything else (consignment, samples, uncertainty, LOD/LOQ, decimal strings as
written, qualifiers' meaning, signatories, proofs ...) has no UNTP field.

**The inspectx extension.** When the visible credential alone would not read back as the
same certificate, the export adds the context ``urn:inspectx:untp:1`` (the file
``inspectx/schemas/inspectx-untp-context.jsonld``; UNTP forbids ``@vocab``, so it defines
its one term explicitly) and the member ``credentialSubject.inspectxCertificate``: the
certificate's inspectx JSON data as a JSON literal (``@type: @json``, so no JSON-LD
processor interprets what is inside, proofs included). Its bytes as written by
:func:`inspectx.formats.dump_json` are the bytes the native link's ``hashDigest`` names
unless the caller gave another digest.

**Staleness.** On import the extension is used only as far as the visible credential
agrees with it. If rendering the extension's certificate reproduces the visible
credential exactly, the extension's certificate is the result (no loss). Otherwise the
credential was changed after it was written: the visible credential is read on its own,
the extension's certificate is read back the same way, and wherever the two readings
differ the visible value wins (a loss names the credential's member and both values);
elsewhere the extension's finer data (decimal strings, uncertainty ...) is kept. If
the credential's structure changed (an assessment, product or value added or removed),
the extension is not used at all.

**Unmapped UNTP content.** What a credential holds that the model cannot (trust marks,
schemes, facilities, scores, a proof over the credential ...) is reported as an import
loss and kept verbatim, as a patch against what the export would write, in an
:class:`~inspectx.model.Extension` (ns ``urn:inspectx:untp:1``, name ``unmapped``), so that
exporting the imported certificate gives back the credential (JSON-equal). Each patch
entry records the value it replaces; an entry whose target changed since the import is
not applied.

**Proofs.** The export does not sign: a UNTP credential is secured separately (VC-JOSE).
The certificate's own Data Integrity proofs sign the inspectx certificate, which the
extension carries whole, so they come back with it; without the extension they are
reported as dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

import orjson

from inspectx.errors import InspectxError, ModelError
from inspectx.formats._bind import format_datetime, parse_datetime
from inspectx.formats._table import (
    CERTIFICATE_NS,
    DECIMAL,
    MAX_INTEGER,
    TEXT,
    TOKEN,
    UNIT,
    URI,
    Lexical,
)
from inspectx.formats.certificate import (
    certificate_from_data,
    certificate_to_data,
    data_to_json_bytes,
)
from inspectx.formats.conversion import Exported, Imported, Loss, LossKind
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safejson import load_json
from inspectx.model import (
    AccreditationStandard,
    AssessmentLevel,
    AssessorLevel,
    AttestationType,
    Certificate,
    Comparator,
    DocumentRef,
    DocumentType,
    Extension,
    Identifier,
    Outcome,
    Party,
    Product,
    Qualifier,
    Requirement,
    Result,
    Test,
)

__all__ = [
    "DCC_CONTEXT",
    "EXTENSION_CONTEXT",
    "EXTENSION_TERM",
    "NATIVE_LINK_TYPE",
    "UNMAPPED_NAME",
    "UNMAPPED_NS",
    "VC_CONTEXT",
    "UntpError",
    "export_untp",
    "extension_context",
    "import_untp",
    "is_untp_dcc",
]

VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
DCC_CONTEXT: Final = "https://test.uncefact.org/vocabulary/untp/dcc/0.6.1/"
_DCC_CONTEXT_PREFIX: Final = "https://test.uncefact.org/vocabulary/untp/dcc/"
EXTENSION_CONTEXT: Final = "urn:inspectx:untp:1"
"""The JSON-LD context of the inspectx extension (file ``inspectx-untp-context.jsonld``)."""
EXTENSION_TERM: Final = "inspectxCertificate"
"""The credentialSubject member carrying the inspectx certificate as a JSON literal."""
NATIVE_LINK_TYPE: Final = CERTIFICATE_NS
"""``linkType`` of the conformityCertificate link to the native inspectx certificate."""
UNMAPPED_NS: Final = "urn:inspectx:untp:1"
UNMAPPED_NAME: Final = "unmapped"
_UNMAPPED_MEDIA_TYPE: Final = "application/json"
_CONTEXT_FILE: Final = "inspectx-untp-context.jsonld"

_TOPIC: Final = "governance.compliance"
_PLACEHOLDER: Final = "0" * 64  # the native link's digest until the real one is known
_MAX_SAFE_INT: Final = 2**53 - 1
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

_ATTESTATION_TYPES: Final = {t.value: t for t in AttestationType}
_ATTESTATION_OF_DOCUMENT: Final = {
    DocumentType.TEST_REPORT: AttestationType.TESTING,
    DocumentType.CERTIFICATE_OF_ANALYSIS: AttestationType.TESTING,
    DocumentType.INSPECTION_CERTIFICATE: AttestationType.INSPECTION,
    DocumentType.CERTIFICATE_OF_CONFORMITY: AttestationType.CERTIFICATION,
}
_DOCUMENT_OF_ATTESTATION: Final = {
    AttestationType.TESTING: DocumentType.TEST_REPORT,
    AttestationType.INSPECTION: DocumentType.INSPECTION_CERTIFICATE,
    AttestationType.CERTIFICATION: DocumentType.CERTIFICATE_OF_CONFORMITY,
}
_ASSESSOR_OUT: Final = {
    AssessorLevel.FIRST_PARTY: "Self",
    AssessorLevel.SECOND_PARTY: "Buyer",
    AssessorLevel.THIRD_PARTY: "3rdParty",
}
_ASSESSOR_IN: Final = {v: k for k, v in _ASSESSOR_OUT.items()}
_ASSESSMENT_OUT: Final = {
    AssessmentLevel.ACCREDITED: "Accredited",
    AssessmentLevel.GLOBAL_MRA: "GlobalMRA",
}
_ASSESSMENT_IN: Final = {v: k for k, v in _ASSESSMENT_OUT.items()}
_UNSPECIFIED: Final = "Unspecified"

_QUALIFIER_SYMBOL: Final = {
    Qualifier.LT: "<",
    Qualifier.LE: "≤",
    Qualifier.EQ: "=",
    Qualifier.GE: "≥",
    Qualifier.GT: ">",
}
_QUALIFIER_OF_SYMBOL: Final = {v: k for k, v in _QUALIFIER_SYMBOL.items()}
_COMPARATOR_SYMBOL: Final = {
    Comparator.LT: "<",
    Comparator.LE: "≤",
    Comparator.EQ: "=",
    Comparator.GE: "≥",
    Comparator.GT: ">",
    Comparator.BETWEEN: "≥",  # a threshold holds one value: the range's lower limit
}
_COMPARATOR_OF_SYMBOL: Final = {
    "<": Comparator.LT,
    "≤": Comparator.LE,
    "=": Comparator.EQ,
    "≥": Comparator.GE,
    ">": Comparator.GT,
}
_SUFFIX = re.compile(r"^(?P<name>.+) \((?P<symbol>[<≤=≥>])\)$", re.S)
_STANDARD_LABEL: Final = {
    AccreditationStandard.ISO_IEC_17025: "ISO/IEC 17025",
    AccreditationStandard.ISO_IEC_17020: "ISO/IEC 17020",
    AccreditationStandard.ISO_IEC_17065: "ISO/IEC 17065",
}
_STANDARD_OF_LABEL: Final = {v: k for k, v in _STANDARD_LABEL.items()}
_ENDORSEMENT_NAME = re.compile(
    r"^(?P<standard>ISO/IEC 170(?:25|20|65)) accreditation (?P<number>.+)$", re.S
)
_HASH_METHOD_OUT: Final = {"sha-256": "SHA-256", "sha-1": "SHA-1"}
_HASH_METHOD_IN: Final = {v: k for k, v in _HASH_METHOD_OUT.items()}
_CONFORMITY_CERTIFICATE: Final = "conformity-certificate"
_AUDITABLE_EVIDENCE: Final = "auditable-evidence"
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class UntpError(InspectxError):
    """A document is not a UNTP DCC v0.6.1 inspectx can read (codes ``untp.*``).

    ``location`` is a JSON Pointer into the credential.
    """


class _Absent:
    """A JSON member that is not there (distinct from ``null``)."""

    def __repr__(self) -> str:
        return "absent"


_ABSENT: Final = _Absent()


# --- small helpers ---------------------------------------------------------------------


def _pointer(path: Sequence[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _join(pointer: str, *more: str | int) -> str:
    return pointer + _pointer(more)


def _fits(value: str, lexical: Lexical) -> bool:
    if lexical.max_length is not None and len(value) > lexical.max_length:
        return False
    return lexical.pattern is None or re.fullmatch(lexical.pattern, value) is not None


def _text(value: object, lexical: Lexical = TEXT) -> str | None:
    """``value`` if the model can hold it as a string of that lexical space, else None."""
    if type(value) is not str or not value or _NOT_XML_CHAR.search(value):
        return None
    return value if _fits(value, lexical) else None


def _is_uri(value: str) -> bool:
    return _fits(value, URI)


def _local(base: str, name: str) -> str:
    """An id for a part of the certificate ``base`` that has no id of its own."""
    return f"{base}{'-' if '#' in base else '#'}{name}"


def _q(value: str) -> str:
    return quote(value, safe="")


def _number(value: Decimal) -> int | float | None:
    """A decimal as the JSON number UNTP wants (None if it has none)."""
    if not value.is_finite():
        return None
    if value == value.to_integral_value() and abs(value) <= _MAX_SAFE_INT:
        return int(value)
    f = float(value)
    return f if math.isfinite(f) else None


def _decimal_text(value: object) -> str | None:
    """A JSON number read back as the model's decimal string (None if it cannot be one)."""
    if type(value) is int:
        text = str(value)
    elif type(value) is float and math.isfinite(value):
        try:
            text = format(Decimal(repr(value)), "f")
        except InvalidOperation:  # pragma: no cover - repr of a finite float is a decimal
            return None
    else:
        return None
    return text if _fits(text, DECIMAL) else None


def _datetime_text(value: object) -> str | None:
    if type(value) is not str:
        return None
    try:
        return format_datetime(parse_datetime(value))
    except Exception:  # any text parse_datetime refuses is simply not mapped
        return None


def _did_web(url: str) -> str | None:
    """The did:web DID of an https URL (None if the URL has no did:web form)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (
        parts.scheme != "https"
        or not parts.netloc
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or url.endswith(("?", "#"))
    ):
        return None
    segments = [s.replace(":", "%3A") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join([parts.netloc.replace(":", "%3A"), *segments])


def _same(a: object, b: object) -> bool:
    """JSON equality: numbers by value, booleans never equal to numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _show(value: object) -> str:
    if value is _ABSENT:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _canonical(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def extension_context() -> dict[str, Any]:
    """The JSON-LD context document of the inspectx extension (``urn:inspectx:untp:1``).

    For a JSON-LD processor's document loader: inspectx never fetches a context, and a
    verifier should not either. Reads the packaged file; raises nothing else.
    """
    from importlib.resources import files

    data: dict[str, Any] = json.loads(
        (files("inspectx") / "schemas" / _CONTEXT_FILE).read_text("utf-8")
    )
    return data


# --- detection -------------------------------------------------------------------------


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def is_untp_dcc(document: Mapping[str, Any]) -> bool:
    """Whether parsed JSON looks like a UNTP Digital Conformity Credential (any version).

    True if its ``type`` names ``DigitalConformityCredential`` or its ``@context`` names a
    UNTP DCC context. Says nothing about the version (:func:`import_untp` checks it).
    """
    if not isinstance(document, Mapping):
        return False
    if "DigitalConformityCredential" in _strings(document.get("type")):
        return True
    return any(c.startswith(_DCC_CONTEXT_PREFIX) for c in _strings(document.get("@context")))


def _check_dcc(doc: object) -> dict[str, Any]:
    if not isinstance(doc, dict) or not is_untp_dcc(doc):
        raise UntpError(
            "untp.not-dcc",
            "the document is not a UNTP Digital Conformity Credential",
            hint="expected a JSON object whose type includes DigitalConformityCredential and "
            f"whose @context includes {DCC_CONTEXT}; a VC-JOSE (JWS) credential must be "
            "verified and decoded first",
            location="/type" if isinstance(doc, dict) else "",
        )
    contexts = _strings(doc.get("@context"))
    versions = [c for c in contexts if c.startswith(_DCC_CONTEXT_PREFIX)]
    if DCC_CONTEXT not in versions:
        found = versions[0].removeprefix(_DCC_CONTEXT_PREFIX).strip("/") if versions else None
        raise UntpError(
            "untp.version-unsupported",
            f"UNTP DCC {found} is not supported" if found else "no UNTP DCC context version",
            hint=f"inspectx reads UNTP DCC v0.6.1 (@context {DCC_CONTEXT})",
            location="/@context",
        )
    if not contexts or contexts[0] != VC_CONTEXT or not isinstance(doc.get("@context"), list):
        raise UntpError(
            "untp.version-unsupported",
            "the credential is not a W3C Verifiable Credential 2.0",
            hint=f"UNTP DCC v0.6.1 credentials list {VC_CONTEXT} first in @context",
            location="/@context/0",
        )
    types = _strings(doc.get("type"))
    if "DigitalConformityCredential" not in types or "VerifiableCredential" not in types:
        raise UntpError(
            "untp.not-dcc",
            "the credential's type lacks DigitalConformityCredential or VerifiableCredential",
            hint="a UNTP DCC has type [DigitalConformityCredential, VerifiableCredential]",
            location="/type",
        )
    return doc


# --- export: the visible credential ----------------------------------------------------


def _attestation_id(cert: Certificate) -> str:
    n = cert.number
    if _is_uri(n.value) and n.scheme_id is None and n.scheme_agency_id is None:
        return n.value
    return _local(cert.id, "attestation")


def _scheme(scheme_id: str) -> dict[str, Any]:
    return {"type": ["IdentifierScheme"], "name": scheme_id}


def _party_out(party: Party, fallback_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": party.id or fallback_id, "name": party.name}
    if party.identifiers:
        first = party.identifiers[0]
        out["registeredId"] = first.value
        if first.scheme_id:
            out["idScheme"] = _scheme(first.scheme_id)
    return out


def _issuer_ids(party_id: str | None, base: str) -> tuple[str, str | None]:
    """The issuer's DID and, if it was made from an https id, that id."""
    if party_id is None:
        return _local(base, "issuer"), None
    if party_id.startswith("did:"):
        return party_id, None
    did = _did_web(party_id)
    return (did, party_id) if did else (party_id, None)


def _issuer_out(party: Party, base: str) -> dict[str, Any]:
    did, alias = _issuer_ids(party.id, base)
    out: dict[str, Any] = {"type": ["CredentialIssuer"], "id": did, "name": party.name}
    also: list[dict[str, Any]] = []
    if alias:
        also.append({"id": alias, "name": party.name})
    for ident in party.identifiers:
        entry: dict[str, Any] = {"id": alias or did, "name": party.name}
        entry["registeredId"] = ident.value
        if ident.scheme_id:
            entry["idScheme"] = _scheme(ident.scheme_id)
        also.append(entry)
    if also:
        out["issuerAlsoKnownAs"] = also
    return out


def _linkable(ref: DocumentRef) -> bool:
    return ref.uri is not None and ref.digest is not None and ref.digest.alg in _HASH_METHOD_OUT


def _secure_link(ref: DocumentRef) -> dict[str, Any]:
    assert ref.uri is not None
    assert ref.digest is not None
    out: dict[str, Any] = {"linkURL": ref.uri}
    if ref.id:
        out["linkName"] = ref.id
    out["hashDigest"] = ref.digest.value
    out["hashMethod"] = _HASH_METHOD_OUT[ref.digest.alg]
    return out


def _reference(cert: Certificate, kind: str) -> DocumentRef | None:
    return next((r for r in cert.references if r.type == kind and _linkable(r)), None)


def _native_link(cert: Certificate, sha: str) -> dict[str, Any]:
    return {
        "linkURL": cert.id,
        "linkName": cert.number.value,
        "linkType": NATIVE_LINK_TYPE,
        "hashDigest": sha,
        "hashMethod": "SHA-256",
    }


def _accreditation_id(acc_id: str | None, index: int, base: str) -> str:
    if acc_id is None:
        return _local(base, f"accreditation-{index + 1}")
    return acc_id if _is_uri(acc_id) else _local(base, "accreditation=" + _q(acc_id))


def _endorsement(cert: Certificate, index: int) -> dict[str, Any]:
    acc = cert.accreditations[index]
    out: dict[str, Any] = {
        "type": ["Endorsement"],
        "id": _accreditation_id(acc.id, index, cert.id),
        "name": f"{_STANDARD_LABEL[acc.standard]} accreditation {acc.number.value}",
        "issuingAuthority": _party_out(
            acc.body, _local(cert.id, f"accreditation-{index + 1}-body")
        ),
    }
    ev = acc.evidence
    if ev is not None and ev.uri is not None:
        link: dict[str, Any] = {"linkURL": ev.uri}
        if ev.id:
            link["linkName"] = ev.id
        link["linkType"] = ev.type
        out["endorsementEvidence"] = link
    return out


def _test_id(test_id: str, base: str) -> str:
    return test_id if _is_uri(test_id) else _local(base, "test=" + _q(test_id))


def _criterion_id(req: Requirement, index: int, test_id: str, base: str) -> str:
    if req.id is None:
        return _local(base, f"test={_q(test_id)}/criterion-{index + 1}")
    return req.id if _is_uri(req.id) else _local(base, "criterion=" + _q(req.id))


def _metric(result: Result, test: Test) -> dict[str, Any] | None:
    if result.value is None or result.unit is None:
        return None
    number = _number(result.value)
    if number is None:
        return None
    name = result.parameter or test.parameter.name
    if result.qualifier is not None:
        name += f" ({_QUALIFIER_SYMBOL[result.qualifier]})"
    return {"metricName": name, "metricValue": {"value": number, "unit": result.unit}}


def _limit_text(req: Requirement) -> str:
    unit = req.limit.unit
    if req.comparator is Comparator.BETWEEN and req.upper_limit is not None:
        upper = req.upper_limit
        return f"between {req.limit.value} {unit} and {upper.value} {upper.unit}"
    return f"{_COMPARATOR_SYMBOL[req.comparator]} {req.limit.value} {unit}"


def _criterion(req: Requirement, index: int, test: Test, base: str) -> dict[str, Any]:
    param = test.parameter.name
    source = req.source
    name = ", ".join(p for p in (source.id, source.article) if p) if source else f"{param} limit"
    text = f"{param} {_limit_text(req)}"
    if source is not None:
        text += f" ({', '.join(p for p in (source.jurisdiction, source.id, source.article) if p)})"
    if req.market:
        text += f"; market {req.market}"
    out: dict[str, Any] = {
        "type": ["Criterion"],
        "id": _criterion_id(req, index, test.id, base),
        "name": name,
        "description": text,
        "conformityTopic": _TOPIC,
        "status": "active",
    }
    number = _number(req.limit.value)
    if number is not None:
        out["thresholdValue"] = {
            "metricName": f"{param} ({_COMPARATOR_SYMBOL[req.comparator]})",
            "metricValue": {"value": number, "unit": req.limit.unit},
        }
    return out


def _visible_criterion(req: Requirement) -> bool:
    return _number(req.limit.value) is not None


def _product_id_identifier(product: Product) -> Identifier | None:
    return next(
        (
            i
            for i in product.identifiers
            if i.scheme_id is None and i.scheme_agency_id is None and _is_uri(i.value)
        ),
        None,
    )


def _product_out(product: Product, base: str) -> dict[str, Any]:
    id_ident = _product_id_identifier(product)
    out: dict[str, Any] = {
        "id": id_ident.value if id_ident else _local(base, f"product-{product.seq}"),
        "name": product.name,
    }
    registered = next((i for i in product.identifiers if i is not id_ident), None)
    if registered is not None:
        out["registeredId"] = registered.value
        if registered.scheme_id:
            out["idScheme"] = _scheme(registered.scheme_id)
    if product.batch:
        out["batchNumber"] = product.batch
    if product.serials:
        out["serialNumber"] = product.serials[0]
    return out


def _assessment(test: Test, base: str, products: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": ["ConformityAssessment", "Declaration"],
        "id": _test_id(test.id, base),
        "name": test.parameter.name,
        "description": test.method.standard,
    }
    when = test.performed_to or test.performed_from
    if when is not None:
        out["assessmentDate"] = when.date().isoformat()
    if test.criteria:
        out["assessmentCriteria"] = [
            _criterion(r, j, test, base) for j, r in enumerate(test.criteria)
        ]
    metrics = [m for r in test.results if (m := _metric(r, test)) is not None]
    if metrics:
        out["declaredValue"] = metrics
    out["conformance"] = test.outcome is Outcome.PASS
    out["conformityTopic"] = _TOPIC
    refs = test.product_refs or tuple(products)
    assessed = [{"product": products[s]} for s in refs if s in products]
    if assessed:
        out["assessedProduct"] = assessed
    return out


def _project(cert: Certificate, sha: str) -> dict[str, Any]:
    """The visible UNTP credential for ``cert`` (no inspectx extension, no unmapped patch)."""
    base = cert.id
    att = cert.attestation
    subject: dict[str, Any] = {
        "type": ["ConformityAttestation", "Attestation"],
        "id": _attestation_id(cert),
    }
    if cert.title:
        subject["name"] = cert.title[0].value
    assessor = att.assessor_level if att else None
    assessment = att.assessment_level if att else None
    subject["assessorLevel"] = _ASSESSOR_OUT[assessor] if assessor else _UNSPECIFIED
    subject["assessmentLevel"] = (
        _ASSESSMENT_OUT.get(assessment, _UNSPECIFIED) if assessment else _UNSPECIFIED
    )
    kind = att.type if att else _ATTESTATION_OF_DOCUMENT[cert.document_type]
    subject["attestationType"] = kind.value
    if cert.statements:
        subject["description"] = cert.statements[0].value
    if cert.applicant is not None:
        subject["issuedToParty"] = _party_out(cert.applicant, _local(base, "applicant"))
    if cert.accreditations:
        subject["authorisation"] = [_endorsement(cert, i) for i in range(len(cert.accreditations))]
    printable = _reference(cert, _CONFORMITY_CERTIFICATE)
    subject["conformityCertificate"] = (
        _secure_link(printable) if printable else _native_link(cert, sha)
    )
    evidence = _reference(cert, _AUDITABLE_EVIDENCE)
    if evidence is not None:
        subject["auditableEvidence"] = _secure_link(evidence)
    products: dict[int, dict[str, Any]] = {}
    for p in cert.products:
        products.setdefault(p.seq, _product_out(p, base))
    subject["assessment"] = [_assessment(t, base, products) for t in cert.tests]
    doc: dict[str, Any] = {
        "type": ["DigitalConformityCredential", "VerifiableCredential"],
        "@context": [VC_CONTEXT, DCC_CONTEXT],
        "id": cert.id,
        "issuer": _issuer_out(cert.issuer, base),
        "validFrom": format_datetime(cert.valid_from or cert.issued_at),
    }
    if cert.valid_until is not None:
        doc["validUntil"] = format_datetime(cert.valid_until)
    doc["credentialSubject"] = subject
    return doc


def _set_native_digest(doc: dict[str, Any], sha: str) -> None:
    subject = doc.get("credentialSubject")
    link = subject.get("conformityCertificate") if isinstance(subject, dict) else None
    if (
        isinstance(link, dict)
        and link.get("linkType") == NATIVE_LINK_TYPE
        and link.get("hashDigest") == _PLACEHOLDER
    ):
        link["hashDigest"] = sha


def _native_digest(doc: Mapping[str, Any]) -> str | None:
    subject = doc.get("credentialSubject")
    link = subject.get("conformityCertificate") if isinstance(subject, dict) else None
    if isinstance(link, dict) and link.get("linkType") == NATIVE_LINK_TYPE:
        sha = link.get("hashDigest")
        return sha if isinstance(sha, str) else None
    return None


# --- the unmapped patch: UNTP content the model cannot hold ---------------------------------


def _diff(p: object, d: object, path: tuple[str | int, ...], ops: list[dict[str, Any]]) -> None:
    """Append the operations that turn ``p`` (what the export writes) into ``d``."""
    if _same(p, d):
        return
    if isinstance(p, dict) and isinstance(d, dict):
        for k, dv in d.items():
            if k in p:
                _diff(p[k], dv, (*path, k), ops)
            else:
                ops.append({"op": "add", "path": _pointer((*path, k)), "value": dv})
        for k, pv in p.items():
            if k not in d:
                ops.append({"op": "remove", "path": _pointer((*path, k)), "was": pv})
        return
    if isinstance(p, list) and isinstance(d, list) and len(p) == len(d):
        for i, (pv, dv) in enumerate(zip(p, d, strict=True)):
            _diff(pv, dv, (*path, i), ops)
        return
    ops.append({"op": "replace", "path": _pointer(path), "value": d, "was": p})


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _parent(doc: Any, pointer: str) -> tuple[Any, str | int] | None:
    tokens = _tokens(pointer)
    if not tokens:
        return None
    node = doc
    for t in tokens[:-1]:
        if isinstance(node, dict) and t in node:
            node = node[t]
        elif isinstance(node, list) and t.isdigit() and int(t) < len(node):
            node = node[int(t)]
        else:
            return None
    last = tokens[-1]
    if isinstance(node, dict):
        return node, last
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node, int(last)
    return None


def _apply(doc: dict[str, Any], ops: object) -> list[str]:
    """Apply the unmapped patch to an exported credential; return the paths that failed."""
    failed: list[str] = []
    if not isinstance(ops, list):
        return ["/"]
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            failed.append("/")
            continue
        path = op["path"]
        found = _parent(doc, path)
        kind = op.get("op")
        if found is None:
            failed.append(path)
            continue
        node, key = found
        has = key in node if isinstance(node, dict) else True
        current = node[key] if has else _ABSENT
        if kind == "add" and "value" in op and isinstance(node, dict):
            if has and not _same(current, op["value"]):
                failed.append(path)
            else:
                node[key] = op["value"]
        elif kind == "replace" and "value" in op and "was" in op and has:
            if _same(current, op["was"]):
                node[key] = op["value"]
            elif not _same(current, op["value"]):
                failed.append(path)
        elif kind == "remove" and "was" in op and isinstance(node, dict):
            if has and _same(current, op["was"]):
                del node[key]
            elif has:
                failed.append(path)
        else:
            failed.append(path)
    return failed


def _is_unmapped(ext: Extension) -> bool:
    return ext.ns == UNMAPPED_NS and ext.name == UNMAPPED_NAME


def _unmapped_extension(ops: list[dict[str, Any]]) -> Extension:
    text = json.dumps(ops, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")
    return Extension(
        ns=UNMAPPED_NS, name=UNMAPPED_NAME, media_type=_UNMAPPED_MEDIA_TYPE, content=text
    )


def _render(cert: Certificate, sha: str) -> tuple[dict[str, Any], list[int]]:
    """The credential the export writes: the projection, the unmapped patch applied.

    Returns it with the indexes (in ``cert.extensions``) of unmapped patches that did not
    apply cleanly.
    """
    doc = _project(cert, _PLACEHOLDER)
    stale: list[int] = []
    for index, ext in enumerate(cert.extensions):
        if _is_unmapped(ext):
            try:
                ops = json.loads(ext.content)
            except ValueError:
                ops = None
            if _apply(doc, ops):
                stale.append(index)
    _set_native_digest(doc, sha)
    return doc, stale


# --- import: reading the visible credential -----------------------------------------------


def _incomplete(location: str, message: str, hint: str) -> UntpError:
    return UntpError("untp.incomplete", message, hint=hint, location=location)


def _malformed(location: str, message: str, hint: str = "") -> UntpError:
    return UntpError(
        "untp.malformed",
        message,
        hint=hint or "check the credential against the UNTP DCC v0.6.1 schema",
        location=location,
    )


def _items(container: Mapping[str, Any], key: str, at: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _malformed(_join(at, key), f"{key} must be an array")
    return value


def _scheme_in(value: object) -> str | None:
    return _text(value.get("name"), TOKEN) if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Read:
    """The model data read from a visible credential, and where each field came from."""

    data: dict[str, Any]
    provenance: dict[str, str]  # model JSON Pointer -> credential JSON Pointer


class _Reader:
    """Reads the members of a visible credential the model can hold (no unmapped patch).

    With a ``guide`` certificate (the one in the inspectx extension), validFrom is read
    as the guide reads it: as validFrom where the guide has one, else as issuedAt.
    """

    def __init__(self, doc: Mapping[str, Any], guide: Certificate | None) -> None:
        self.doc = doc
        self.guide = guide
        self.base = ""
        self.prov: dict[str, str] = {}

    def at(self, model: str, untp: str) -> None:
        self.prov[model] = untp

    def read(self) -> _Read:
        doc = self.doc
        cid = _text(doc.get("id"), URI)
        if cid is None:
            raise _incomplete(
                "/id", "the credential has no id (a URI)", "a UNTP DCC needs its credential id"
            )
        self.base = cid
        out: dict[str, Any] = {"id": cid, "status": "issued"}
        self.at("/id", "/id")
        subject = doc.get("credentialSubject")
        if not isinstance(subject, dict):
            raise _malformed(
                "/credentialSubject",
                "credentialSubject must be one ConformityAttestation object",
            )
        s = "/credentialSubject"
        self._number(subject, out)
        name = _text(subject.get("name"))
        if name is not None:
            out["title"] = [{"value": name}]
            self.at("/title", f"{s}/name")
        self._attestation(subject, out)
        self._times(out)
        out["issuer"] = self._issuer()
        party = subject.get("issuedToParty")
        if isinstance(party, dict):
            applicant = self._party(
                party, _local(cid, "applicant"), "/applicant", f"{s}/issuedToParty"
            )
            if applicant is not None:
                out["applicant"] = applicant
        description = _text(subject.get("description"))
        if description is not None:
            out["statements"] = [{"value": description}]
            self.at("/statements", f"{s}/description")
        self._accreditations(subject, out)
        self._references(subject, out)
        self._tests_and_products(subject, out)
        return _Read(data=out, provenance=self.prov)

    def _number(self, subject: Mapping[str, Any], out: dict[str, Any]) -> None:
        s = "/credentialSubject"
        link = subject.get("conformityCertificate")
        native = isinstance(link, dict) and link.get("linkType") == NATIVE_LINK_TYPE
        link_name = _text(link.get("linkName")) if native and isinstance(link, dict) else None
        att_id = _text(subject.get("id"))
        if link_name is not None and (att_id is None or att_id == _local(self.base, "attestation")):
            out["number"] = {"value": link_name}
            self.at("/number", f"{s}/conformityCertificate/linkName")
        elif att_id is not None:
            out["number"] = {"value": att_id}
            self.at("/number", f"{s}/id")
        else:
            raise _incomplete(
                f"{s}/id",
                "the attestation has no id",
                "a UNTP ConformityAttestation needs its id; inspectx reads it as the number",
            )

    def _attestation(self, subject: Mapping[str, Any], out: dict[str, Any]) -> None:
        s = "/credentialSubject"
        kind = subject.get("attestationType")
        att_type = _ATTESTATION_TYPES.get(kind) if isinstance(kind, str) else None
        if att_type is None:
            out["documentType"] = DocumentType.CERTIFICATE_OF_CONFORMITY.value
            self.at("/documentType", f"{s}/attestationType")
            return
        att: dict[str, Any] = {"type": att_type.value}
        assessor = subject.get("assessorLevel")
        if isinstance(assessor, str) and assessor in _ASSESSOR_IN:
            att["assessorLevel"] = _ASSESSOR_IN[assessor].value
            self.at("/attestation/assessorLevel", f"{s}/assessorLevel")
        assessment = subject.get("assessmentLevel")
        if isinstance(assessment, str) and assessment in _ASSESSMENT_IN:
            att["assessmentLevel"] = _ASSESSMENT_IN[assessment].value
            self.at("/attestation/assessmentLevel", f"{s}/assessmentLevel")
        out["attestation"] = att
        out["documentType"] = _DOCUMENT_OF_ATTESTATION[att_type].value
        self.at("/attestation", f"{s}/attestationType")
        self.at("/documentType", f"{s}/attestationType")

    def _times(self, out: dict[str, Any]) -> None:
        start = _datetime_text(self.doc.get("validFrom"))
        if start is None:
            raise _incomplete(
                "/validFrom",
                "the credential has no validFrom date-time with an offset",
                "an inspectx certificate needs its issue time; UNTP writes it as validFrom",
            )
        guide = self.guide
        if guide is not None and guide.valid_from is not None:
            out["validFrom"] = start
            out["issuedAt"] = format_datetime(guide.issued_at)
            self.at("/validFrom", "/validFrom")
        else:
            out["issuedAt"] = start
            self.at("/issuedAt", "/validFrom")
        until = _datetime_text(self.doc.get("validUntil"))
        if until is not None:
            out["validUntil"] = until
            self.at("/validUntil", "/validUntil")

    def _issuer(self) -> dict[str, Any]:
        issuer = self.doc.get("issuer")
        name = _text(issuer.get("name")) if isinstance(issuer, dict) else None
        did = _text(issuer.get("id"), URI) if isinstance(issuer, dict) else None
        if not isinstance(issuer, dict) or name is None or did is None:
            raise _incomplete(
                "/issuer",
                "the credential's issuer has no id or no name",
                "UNTP requires issuer {id (a DID), name}; inspectx reads it as the issuer party",
            )
        party: dict[str, Any] = {"name": name}
        self.at("/issuer", "/issuer")
        self.at("/issuer/name", "/issuer/name")
        also = _items(issuer, "issuerAlsoKnownAs", "/issuer")
        first = 0
        head = also[0] if also else None
        if (
            isinstance(head, dict)
            and "registeredId" not in head
            and isinstance(head.get("id"), str)
            and _text(head["id"], URI) is not None
            and _did_web(head["id"]) == did
        ):
            party["id"] = head["id"]
            self.at("/issuer/id", "/issuer/issuerAlsoKnownAs/0/id")
            first = 1
        elif did != _local(self.base, "issuer"):
            party["id"] = did
            self.at("/issuer/id", "/issuer/id")
        identifiers: list[Any] = []
        for j in range(first, len(also)):
            entry = also[j]
            value = _text(entry.get("registeredId")) if isinstance(entry, dict) else None
            if value is None:
                continue
            ident: dict[str, Any] = {"value": value}
            scheme = _scheme_in(entry.get("idScheme"))
            if scheme is not None:
                ident["schemeId"] = scheme
            self.at(f"/issuer/identifiers/{len(identifiers)}", f"/issuer/issuerAlsoKnownAs/{j}")
            identifiers.append(ident)
        if identifiers:
            party["identifiers"] = identifiers
            self.at("/issuer/identifiers", "/issuer/issuerAlsoKnownAs")
        return party

    def _party(
        self, obj: Mapping[str, Any], fallback_id: str, model: str, untp: str
    ) -> dict[str, Any] | None:
        name = _text(obj.get("name"))
        if name is None:
            return None
        party: dict[str, Any] = {"name": name}
        self.at(model, untp)
        self.at(f"{model}/name", f"{untp}/name")
        pid = _text(obj.get("id"), URI)
        if pid is not None and pid != fallback_id:
            party["id"] = pid
            self.at(f"{model}/id", f"{untp}/id")
        registered = _text(obj.get("registeredId"))
        if registered is not None:
            ident: dict[str, Any] = {"value": registered}
            scheme = _scheme_in(obj.get("idScheme"))
            if scheme is not None:
                ident["schemeId"] = scheme
            party["identifiers"] = [ident]
            self.at(f"{model}/identifiers", f"{untp}/registeredId")
        return party

    def _accreditations(self, subject: Mapping[str, Any], out: dict[str, Any]) -> None:
        s = "/credentialSubject"
        accreditations: list[Any] = []
        for i, endorsement in enumerate(_items(subject, "authorisation", s)):
            at = f"{s}/authorisation/{i}"
            name = _text(endorsement.get("name")) if isinstance(endorsement, dict) else None
            match = _ENDORSEMENT_NAME.match(name) if name else None
            authority = (
                endorsement.get("issuingAuthority") if isinstance(endorsement, dict) else None
            )
            if match is None or not isinstance(authority, dict) or _text(match["number"]) is None:
                continue
            assert isinstance(endorsement, dict)
            k = len(accreditations)
            model = f"/accreditations/{k}"
            body = self._party(
                authority,
                _local(self.base, f"accreditation-{k + 1}-body"),
                f"{model}/body",
                f"{at}/issuingAuthority",
            )
            if body is None:
                continue
            acc: dict[str, Any] = {
                "body": body,
                "number": {"value": match["number"]},
                "standard": _STANDARD_OF_LABEL[match["standard"]].value,
            }
            self.at(model, at)
            self.at(f"{model}/number", f"{at}/name")
            self.at(f"{model}/standard", f"{at}/name")
            acc_id = self._local_id(
                endorsement.get("id"), "accreditation=", f"accreditation-{k + 1}"
            )
            if acc_id is not None:
                acc["id"] = acc_id
                self.at(f"{model}/id", f"{at}/id")
            evidence = endorsement.get("endorsementEvidence")
            if isinstance(evidence, dict):
                uri = _text(evidence.get("linkURL"), URI)
                kind = _text(evidence.get("linkType"), TOKEN)
                if uri is not None and kind is not None:
                    ref: dict[str, Any] = {"type": kind, "uri": uri}
                    ref_id = _text(evidence.get("linkName"), TOKEN)
                    if ref_id is not None:
                        ref["id"] = ref_id
                    acc["evidence"] = ref
                    self.at(f"{model}/evidence", f"{at}/endorsementEvidence")
            accreditations.append(acc)
        if accreditations:
            out["accreditations"] = accreditations
            self.at("/accreditations", f"{s}/authorisation")

    def _local_id(self, value: object, prefix: str, generated: str | None) -> str | None:
        """A model id from a UNTP id: None for an id inspectx made up, else the id."""
        text = _text(value)
        if text is None or (generated is not None and text == _local(self.base, generated)):
            return None
        head = _local(self.base, prefix)
        if text.startswith(head):
            local = unquote(text[len(head) :])
            if _text(local, TOKEN) is not None and _local(self.base, prefix + _q(local)) == text:
                return local
        return text if _text(text, TOKEN) is not None else None

    def _references(self, subject: Mapping[str, Any], out: dict[str, Any]) -> None:
        refs: list[Any] = []
        for key, kind in (
            ("conformityCertificate", _CONFORMITY_CERTIFICATE),
            ("auditableEvidence", _AUDITABLE_EVIDENCE),
        ):
            link = subject.get(key)
            if not isinstance(link, dict) or link.get("linkType") == NATIVE_LINK_TYPE:
                continue
            uri = _text(link.get("linkURL"), URI)
            digest = _text(link.get("hashDigest"), TOKEN)
            method = link.get("hashMethod")
            if uri is None or digest is None or not isinstance(method, str):
                continue
            alg = _HASH_METHOD_IN.get(method)
            if alg is None:
                continue
            ref: dict[str, Any] = {
                "type": kind,
                "uri": uri,
                "digest": {"alg": alg, "value": digest},
            }
            ref_id = _text(link.get("linkName"), TOKEN)
            if ref_id is not None:
                ref["id"] = ref_id
            self.at(f"/references/{len(refs)}", f"/credentialSubject/{key}")
            refs.append(ref)
        if refs:
            out["references"] = refs

    def _tests_and_products(self, subject: Mapping[str, Any], out: dict[str, Any]) -> None:
        s = "/credentialSubject"
        assessments = _items(subject, "assessment", s)
        # distinct products, in order of first appearance
        keys: dict[bytes, int] = {}
        found: list[tuple[Mapping[str, Any], str]] = []
        for i, a in enumerate(assessments):
            if not isinstance(a, dict):
                raise _malformed(f"{s}/assessment/{i}", "an assessment must be an object")
            for j, pv in enumerate(_items(a, "assessedProduct", f"{s}/assessment/{i}")):
                product = pv.get("product") if isinstance(pv, dict) else None
                if isinstance(product, dict):
                    key = _canonical(product)
                    if key not in keys:
                        keys[key] = len(found)
                        found.append((product, f"{s}/assessment/{i}/assessedProduct/{j}/product"))
        seqs = self._seqs([p for p, _ in found])
        products: list[dict[str, Any]] = []
        for (obj, at), seq in zip(found, seqs, strict=True):
            if seq is not None:
                self._product(obj, seq, at, len(products), products)
        tests = [self._test(a, i) for i, a in enumerate(assessments)]
        for i, (a, test) in enumerate(zip(assessments, tests, strict=True)):
            refs: list[Any] = []
            for pv in _items(a, "assessedProduct", f"{s}/assessment/{i}"):
                product = pv.get("product") if isinstance(pv, dict) else None
                if isinstance(product, dict):
                    seq = seqs[keys[_canonical(product)]]
                    if seq is not None:
                        refs.append(seq)
            if refs:
                test["productRefs"] = refs
                self.at(f"/tests/{i}/productRefs", f"{s}/assessment/{i}/assessedProduct")
        if not tests:
            raise _incomplete(
                f"{s}/assessment",
                "the attestation has no assessment",
                "an inspectx certificate needs at least one test: one UNTP assessment each",
            )
        if not products:
            raise _incomplete(
                f"{s}/assessment",
                "no assessment names an assessed product with a name",
                "an inspectx certificate needs at least one product (assessedProduct.product)",
            )
        out["tests"] = tests
        out["products"] = products
        self.at("/tests", f"{s}/assessment")
        self.at("/products", f"{s}/assessment")
        passed = all(t["outcome"] == Outcome.PASS.value for t in tests)
        out["conclusion"] = {"outcome": (Outcome.PASS if passed else Outcome.FAIL).value}
        self.at("/conclusion", f"{s}/assessment")

    def _seqs(self, products: list[Mapping[str, Any]]) -> list[int | None]:
        """Each distinct product's seq: from an id inspectx made (#product-<seq>), else the next."""
        seqs: list[int | None] = [None] * len(products)
        used: set[int] = set()
        head = _local(self.base, "product-")
        for k, obj in enumerate(products):
            pid = obj.get("id")
            if (
                _text(obj.get("name")) is None
                or not isinstance(pid, str)
                or not pid.startswith(head)
            ):
                continue
            rest = pid[len(head) :]
            if rest.isascii() and rest.isdigit() and str(int(rest)) == rest:
                seq = int(rest)
                if 1 <= seq <= MAX_INTEGER and seq not in used:
                    seqs[k] = seq
                    used.add(seq)
        following = 1
        for k, obj in enumerate(products):
            if seqs[k] is None and _text(obj.get("name")) is not None:
                while following in used:
                    following += 1
                if following > MAX_INTEGER:
                    break
                seqs[k] = following
                used.add(following)
        return seqs

    def _product(
        self, obj: Mapping[str, Any], seq: int, at: str, index: int, out: list[dict[str, Any]]
    ) -> None:
        name = _text(obj.get("name"))
        assert name is not None
        model = f"/products/{index}"
        product: dict[str, Any] = {"seq": seq, "name": name}
        self.at(model, at)
        self.at(f"{model}/name", f"{at}/name")
        identifiers: list[Any] = []
        pid = _text(obj.get("id"), URI)
        if pid is not None and pid != _local(self.base, f"product-{seq}"):
            self.at(f"{model}/identifiers/{len(identifiers)}", f"{at}/id")
            identifiers.append({"value": pid})
        registered = _text(obj.get("registeredId"))
        if registered is not None:
            ident: dict[str, Any] = {"value": registered}
            scheme = _scheme_in(obj.get("idScheme"))
            if scheme is not None:
                ident["schemeId"] = scheme
            self.at(f"{model}/identifiers/{len(identifiers)}", f"{at}/registeredId")
            identifiers.append(ident)
        if identifiers:
            product["identifiers"] = identifiers
        batch = _text(obj.get("batchNumber"))
        if batch is not None:
            product["batch"] = batch
            self.at(f"{model}/batch", f"{at}/batchNumber")
        serial = _text(obj.get("serialNumber"))
        if serial is not None:
            product["serials"] = [serial]
            self.at(f"{model}/serials", f"{at}/serialNumber")
        out.append(product)

    def _test(self, a: Mapping[str, Any], i: int) -> dict[str, Any]:
        at = f"/credentialSubject/assessment/{i}"
        model = f"/tests/{i}"
        conformance = a.get("conformance")
        if type(conformance) is not bool:
            raise _malformed(
                f"{at}/conformance",
                "the assessment has no conformance (true or false)",
                "UNTP requires conformance on every assessment; inspectx reads it as the outcome",
            )
        self.at(model, at)
        raw_id = _text(a.get("id"))
        test_id = self._local_id(a.get("id"), "test=", None) or f"assessment-{i + 1}"
        self.at(f"{model}/id", f"{at}/id")
        name = _text(a.get("name")) or raw_id or test_id
        self.at(f"{model}/parameter/name", f"{at}/name")
        method = None
        for key, member in (
            ("referenceStandard", "name"),
            ("referenceStandard", "id"),
            ("description", None),
            ("referenceRegulation", "name"),
            ("referenceRegulation", "id"),
        ):
            holder = a.get(key)
            if member is None:
                method, where = _text(holder), _join(at, key)
            elif isinstance(holder, dict):
                method, where = _text(holder.get(member)), _join(at, key, member)
            else:
                continue
            if method is not None:
                self.at(f"{model}/method/standard", where)
                break
        if method is None:
            raise _incomplete(
                at,
                "the assessment names no standard, regulation or description",
                "an inspectx test needs its method: referenceStandard.name, or a description",
            )
        test: dict[str, Any] = {
            "id": test_id,
            "parameter": {"name": name},
            "method": {"standard": method},
            "outcome": (Outcome.PASS if conformance else Outcome.FAIL).value,
        }
        self.at(f"{model}/outcome", f"{at}/conformance")
        results: list[Any] = []
        for j, metric in enumerate(_items(a, "declaredValue", at)):
            result = _metric_in(metric, name)
            if result is not None:
                r = f"{model}/results/{len(results)}"
                m = f"{at}/declaredValue/{j}"
                self.at(r, m)
                self.at(f"{r}/value", f"{m}/metricValue/value")
                self.at(f"{r}/unit", f"{m}/metricValue/unit")
                self.at(f"{r}/parameter", f"{m}/metricName")
                self.at(f"{r}/qualifier", f"{m}/metricName")
                results.append(result)
        if results:
            test["results"] = results
            self.at(f"{model}/results", f"{at}/declaredValue")
        criteria: list[Any] = []
        for j, criterion in enumerate(_items(a, "assessmentCriteria", at)):
            req = self._criterion_in(criterion, j, test_id)
            if req is not None:
                r = f"{model}/criteria/{len(criteria)}"
                c = f"{at}/assessmentCriteria/{j}"
                self.at(r, c)
                self.at(f"{r}/id", f"{c}/id")
                self.at(f"{r}/limit/value", f"{c}/thresholdValue/metricValue/value")
                self.at(f"{r}/limit/unit", f"{c}/thresholdValue/metricValue/unit")
                self.at(f"{r}/comparator", f"{c}/thresholdValue/metricName")
                criteria.append(req)
        if criteria:
            test["criteria"] = criteria
            self.at(f"{model}/criteria", f"{at}/assessmentCriteria")
        return test

    def _criterion_in(self, obj: object, index: int, test_id: str) -> dict[str, Any] | None:
        if not isinstance(obj, dict):
            return None
        threshold = obj.get("thresholdValue")
        if not isinstance(threshold, dict):
            return None
        name = _text(threshold.get("metricName"))
        match = _SUFFIX.match(name) if name else None
        measure = _measure_in(threshold.get("metricValue"))
        if match is None or measure is None:
            return None
        req: dict[str, Any] = {
            "comparator": _COMPARATOR_OF_SYMBOL[match["symbol"]].value,
            "limit": measure,
        }
        req_id = self._local_id(
            obj.get("id"), "criterion=", f"test={_q(test_id)}/criterion-{index + 1}"
        )
        if req_id is not None:
            req["id"] = req_id
        return req


def _measure_in(value: object) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    number = _decimal_text(value.get("value"))
    unit = _text(value.get("unit"), UNIT)
    if number is None or unit is None:
        return None
    return {"value": number, "unit": unit}


def _metric_in(obj: object, test_parameter: str) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    name = _text(obj.get("metricName"))
    measure = _measure_in(obj.get("metricValue"))
    if name is None or measure is None:
        return None
    result: dict[str, Any] = {}
    match = _SUFFIX.match(name)
    if match is not None:
        name = match["name"]
        result["qualifier"] = _QUALIFIER_OF_SYMBOL[match["symbol"]].value
    if name != test_parameter:
        result["parameter"] = name
    result["value"] = measure["value"]
    result["unit"] = measure["unit"]
    return result


# --- aligning lists of the model ------------------------------------------------------------


def _field_key(path: Sequence[str | int]) -> str:
    return "/".join(p for p in path if isinstance(p, str))


def _visible_result(item: object) -> bool:
    if not isinstance(item, dict) or "unit" not in item or not isinstance(item.get("value"), str):
        return False
    try:
        return _number(Decimal(item["value"])) is not None
    except InvalidOperation:
        return False


def _visible_requirement(item: object) -> bool:
    limit = item.get("limit") if isinstance(item, dict) else None
    if not isinstance(limit, dict) or not isinstance(limit.get("value"), str):
        return False
    try:
        return _number(Decimal(limit["value"])) is not None
    except InvalidOperation:
        return False


_FILTERS: Final[dict[str, Callable[[object], bool]]] = {
    "tests/results": _visible_result,
    "tests/criteria": _visible_requirement,
}
_KEYS: Final[dict[str, Callable[[Any], object]]] = {
    "products": lambda item: item.get("seq") if isinstance(item, dict) else None,
    "tests": lambda item: item.get("id") if isinstance(item, dict) else None,
    "extensions": lambda item: (
        (item.get("ns"), item.get("name")) if isinstance(item, dict) else None
    ),
}


def _value_key(item: object) -> object:
    return item.get("value") if isinstance(item, dict) else None


def _align(path: Sequence[str | int], left: list[Any], right: list[Any]) -> list[int | None]:
    """For each item of ``left`` (read back from UNTP), its counterpart in ``right``."""
    key = _field_key(path)
    keep = _FILTERS.get(key)
    if keep is not None:
        shown = [k for k, item in enumerate(right) if keep(item)]
        return [shown[i] if i < len(shown) else None for i in range(len(left))]
    by = _KEYS.get(key)
    if by is None and all(
        isinstance(item, dict) and isinstance(item.get("value"), str) for item in (*left, *right)
    ):
        by = _value_key
    if by is None:
        return [i if i < len(right) else None for i in range(len(left))]
    used: set[int] = set()
    out: list[int | None] = []
    for item in left:
        wanted = by(item)
        match = next((k for k, r in enumerate(right) if k not in used and by(r) == wanted), None)
        if match is not None:
            used.add(match)
        out.append(match)
    return out


# --- export losses ----------------------------------------------------------------------------

_EXPORT_REASONS: Final = tuple(
    (re.compile(pattern), reason)
    for pattern, reason in (
        (
            r"^/number",
            "UNTP names the certificate by the native link's name (and the attestation "
            "id when the number is a URI): the identifier's scheme has no field",
        ),
        (
            r"^/title",
            "UNTP names the attestation once, without a language: only the first title's "
            "text is written",
        ),
        (
            r"^/documentType$",
            "UNTP states the attestation type only (testing, inspection, "
            "certification), not the kind of document",
        ),
        (
            r"^/status$",
            "UNTP states revocation and replacement through a Bitstring Status List "
            "entry, which this export does not create",
        ),
        (
            r"^/issuedAt$",
            "UNTP's validFrom carries the certificate's validFrom; the issue time has no field",
        ),
        (
            r"^/validFrom$",
            "written as the credential's validFrom, which a reader without the "
            "extension takes for the issue time",
        ),
        (r"^/language", "UNTP has no document language"),
        (
            r"^/accreditations/\*/(body/)?(roles|address|contact|identifiers)",
            "a UNTP party has an id, a name and one registered identifier only",
        ),
        (
            r"^/accreditations",
            "a UNTP endorsement has an id, a name, the accreditation body and an "
            "evidence link (no digest, scope or validity) only",
        ),
        (
            r"^/(issuer|applicant)/identifiers",
            "a UNTP party has one registered identifier (the issuer several, without agency)",
        ),
        (
            r"^/(issuer|applicant)",
            "a UNTP party has an id, a name and a registered identifier "
            "only (no roles, address or contact)",
        ),
        (
            r"^/consignment",
            "UNTP DCC has no consignment (transport, orders, parcels, customs references)",
        ),
        (r"^/samples", "UNTP DCC has no sampling record"),
        (
            r"^/products",
            "a UNTP product has an id, a name, a registered identifier, a batch and "
            "one serial number only",
        ),
        (
            r"^/tests/\*/results/\*/value$",
            "UNTP metric values are JSON numbers: the decimal as "
            "written (its trailing zeros) is not kept",
        ),
        (
            r"^/tests/\*/results/\*/uncertainty",
            "UNTP metrics have no measurement uncertainty (a "
            "metric's accuracy is a relative bound, not U with its coverage factor)",
        ),
        (
            r"^/tests/\*/results/\*/(lod|loq)$",
            "UNTP metrics have no limit of detection or quantification",
        ),
        (
            r"^/tests/\*/results/\*$",
            "a result without a numeric value and a unit (e.g. 'not detected') has no UNTP metric",
        ),
        (r"^/tests/\*/results/", "a UNTP metric has a name, a number and a unit only"),
        (
            r"^/tests/\*/criteria/\*/limit/value$",
            "UNTP threshold values are JSON numbers: the decimal as written is not kept",
        ),
        (
            r"^/tests/\*/criteria/\*/(comparator|upperLimit)",
            "a UNTP threshold holds one value: a range is written as its lower limit (≥)",
        ),
        (
            r"^/tests/\*/criteria/\*$",
            "a requirement whose limit is not a finite number has no UNTP threshold",
        ),
        (
            r"^/tests/\*/criteria/",
            "the requirement's source and market are only in the criterion's text",
        ),
        (
            r"^/tests/\*/outcome$",
            "UNTP conformance is a boolean: 'inconclusive' and "
            "'not-applicable' are written as false",
        ),
        (
            r"^/tests/\*/productRefs",
            "a test without product references is written as assessing every product",
        ),
        (r"^/tests/\*/(performedFrom|performedTo)$", "UNTP has an assessment date, not times"),
        (
            r"^/tests/\*/method",
            "UNTP has the method's standard only (as the assessment's description)",
        ),
        (r"^/tests/\*/parameter", "UNTP has no parameter code (CAS number)"),
        (r"^/tests/\*/id$", "the test id is written as part of the assessment's URI"),
        (
            r"^/tests/",
            "UNTP assessments have no sample references, category, lab, decision rule or remarks",
        ),
        (
            r"^/conclusion/outcome$",
            "UNTP has no overall verdict; a reader derives it from the assessments' conformance",
        ),
        (r"^/conclusion", "UNTP has no conclusion statement or conditions"),
        (
            r"^/statements",
            "UNTP has one description, without a language: only the first "
            "statement's text is written",
        ),
        (
            r"^/references",
            "UNTP links one printable certificate and one auditable-evidence "
            "document (uri and digest); other references have no field",
        ),
        (
            r"^/replaces$",
            "UNTP states replacement through a status list, which this export does not create",
        ),
        (r"^/signatories", "UNTP has no human sign-off; the credential's issuer signs it"),
        (
            r"^/extensions",
            "UNTP has no place for extensions from other formats (UNTP content "
            "kept from an import is restored only where it still fits)",
        ),
        (
            r"^/proof",
            "a Data Integrity proof signs the inspectx certificate, not this credential: "
            "sign the credential itself (VC-JOSE) after exporting",
        ),
    )
)


def _export_reason(path: Sequence[str | int]) -> str:
    pattern = "".join("/*" if isinstance(p, int) else "/" + p for p in path)
    for regex, reason in _EXPORT_REASONS:
        if regex.search(pattern):
            return reason
    return "UNTP DCC 0.6.1 has no field for it"


def _lost(orig: object, got: object, path: tuple[str | int, ...], out: list[Loss]) -> None:
    """Append a loss for every field of ``orig`` (the certificate) that ``got`` lacks or changed."""
    if got is _ABSENT:
        out.append(Loss(field=_pointer(path), kind=LossKind.DROPPED, reason=_export_reason(path)))
    elif isinstance(orig, dict) and isinstance(got, dict):
        for k, v in orig.items():
            _lost(v, got.get(k, _ABSENT), (*path, k), out)
    elif isinstance(orig, list) and isinstance(got, list):
        counterpart = {r: i for i, r in enumerate(_align(path, got, orig)) if r is not None}
        for k, item in enumerate(orig):
            i = counterpart.get(k)
            _lost(item, _ABSENT if i is None else got[i], (*path, k), out)
    elif orig != got:
        out.append(Loss(field=_pointer(path), kind=LossKind.FLATTENED, reason=_export_reason(path)))


# --- import: the three readings ---------------------------------------------------------------


class _Structural(Exception):
    def __init__(self, path: Sequence[str | int]) -> None:
        super().__init__(_pointer(path))
        self.path = tuple(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Change:
    model: str  # pointer into the extension's certificate
    untp: str  # pointer into the credential
    extension: object
    credential: object


class _Merge:
    """Three-way merge: ``base`` (the extension's certificate rendered and read back), ``seen``
    (the credential read), ``ext`` (the extension's certificate). Where base and seen differ
    the credential was edited and its reading wins; elsewhere the extension's data stays."""

    def __init__(self, seen: _Read, base: _Read) -> None:
        self.seen, self.base = seen, base
        self.changes: list[_Change] = []

    def where(self, bpath: Sequence[str | int]) -> str:
        """The credential member a field of the readings came from (its nearest ancestor's)."""
        for table in (self.seen.provenance, self.base.provenance):
            for end in range(len(bpath), -1, -1):
                hit = table.get(_pointer(bpath[:end]))
                if hit is not None:
                    return hit
        return "/credentialSubject"

    def _change(
        self, bpath: Sequence[str | int], epath: Sequence[str | int], e: object, v: object
    ) -> None:
        self.changes.append(
            _Change(model=_pointer(epath), untp=self.where(bpath), extension=e, credential=v)
        )

    def merge(
        self,
        b: object,
        v: object,
        e: object,
        bpath: tuple[str | int, ...],
        epath: tuple[str | int, ...],
    ) -> object:
        if _same(b, v):
            return e
        if isinstance(b, dict) and isinstance(v, dict):
            if not isinstance(e, dict):
                self._change(bpath, epath, e, v)
                return v
            out = dict(e)
            for k in [*b, *(k for k in v if k not in b)]:
                bk, vk = b.get(k, _ABSENT), v.get(k, _ABSENT)
                if _same(bk, vk):
                    continue
                merged = self.merge(bk, vk, e.get(k, _ABSENT), (*bpath, k), (*epath, k))
                if merged is _ABSENT:
                    out.pop(k, None)
                else:
                    out[k] = merged
            return out
        if isinstance(b, list) and isinstance(v, list):
            if len(b) != len(v) or not isinstance(e, list):
                raise _Structural(bpath)
            counterpart = _align(epath, b, e)
            out_list = list(e)
            for i, (bi, vi) in enumerate(zip(b, v, strict=True)):
                if _same(bi, vi):
                    continue
                k = counterpart[i]
                if k is None:
                    raise _Structural((*bpath, i))
                merged = self.merge(bi, vi, e[k], (*bpath, i), (*epath, k))
                if merged is _ABSENT:
                    raise _Structural((*bpath, i))
                out_list[k] = merged
            return out_list
        if isinstance(b, dict | list) or isinstance(v, dict | list):
            if b is _ABSENT or v is _ABSENT:
                self._change(bpath, epath, e, v)
                return v
            raise _Structural(bpath)
        self._change(bpath, epath, e, v)
        return v


# --- import losses -----------------------------------------------------------------------------

_IMPORT_REASONS: Final = tuple(
    (re.compile(pattern), reason)
    for pattern, reason in (
        (r"^/@context", "JSON-LD contexts beyond the VC 2.0 and UNTP DCC 0.6.1 ones"),
        (r"^/type$", "credential types beyond DigitalConformityCredential"),
        (
            r"^/(proof|credentialStatus|renderMethod|relatedResource)",
            "a member securing or describing the credential itself, not an inspectx certificate",
        ),
        (
            r"^/valid(From|Until)$",
            "the model keeps date-times as RFC 3339 with whole seconds or "
            "microseconds and an offset; it holds this one in another form",
        ),
        (
            r"/issuerAlsoKnownAs",
            "the model keeps one name and id per party; other names and ids are not held",
        ),
        (r"/idScheme", "identifier schemes are short tokens in the model; this one is not"),
        (
            r"/authorisation",
            "an inspectx accreditation needs its ISO/IEC standard (17025, 17020 "
            "or 17065) and number, stated as 'ISO/IEC 17025 accreditation <number>', and the "
            "issuing authority's name",
        ),
        (r"/trustmark", "images (trust marks) have no field"),
        (r"^/credentialSubject/scope", "the model has no conformity scheme"),
        (r"/referenceStandard", "the model keeps a standard's name as the test method only"),
        (
            r"/referenceRegulation",
            "the model has no regulation at test level (requirements carry their source)",
        ),
        (
            r"/assessmentCriteria/\*/(name|description|conformityTopic|status)$",
            "the model keeps a requirement's comparator and limit; a criterion's name, "
            "description, topic and status are not held (inspectx writes them from the "
            "requirement's source)",
        ),
        (
            r"/assessmentCriteria",
            "an inspectx requirement needs a comparator and a limit: a "
            "threshold metric named '<parameter> (≤)' (or <, =, ≥, >) with a number and a Rec 20 "
            "unit; its name, description, topic and status are not held",
        ),
        (
            r"/declaredValue",
            "an inspectx result needs a metric name, a number and a Rec 20 unit; "
            "scores and relative accuracy are not held",
        ),
        (
            r"/conformityTopic$",
            "the model has no conformity topic (inspectx tests are compliance "
            "tests: governance.compliance)",
        ),
        (
            r"/(assessedFacility|assessedOrganisation|auditor)",
            "the model has no assessed facility, assessed organisation or auditor",
        ),
        (
            r"/IDverifiedByCAB$",
            "the model does not record whether the body verified a product's identity",
        ),
        (
            r"/assessedProduct",
            "an inspectx product needs a name; other product members are not held",
        ),
        (r"/assessmentDate$", "the model records test times as date-times, not dates"),
        (
            r"/assessment/\*/description$",
            "the model reads an assessment's description as its method only when no reference "
            "standard names one",
        ),
        (r"/description$", "the model has no party description"),
        (
            r"/(conformityCertificate|auditableEvidence)",
            "an inspectx reference keeps a URL, a SHA-256 or SHA-1 digest and an id without "
            "spaces; link names with spaces, link types and encryption are not held",
        ),
        (
            r"/(attestationType|assessorLevel|assessmentLevel)$",
            "the model's attestation types "
            "are testing, inspection and certification; assessors first, second or third party; "
            "assessment levels accredited or global MRA",
        ),
        (
            r"/(id|name)$",
            "the model holds this in another form (an id made up by inspectx, or "
            "one name per party)",
        ),
    )
)


def _import_reason(op: Mapping[str, Any]) -> str:
    pattern = re.sub(r"/[0-9]+(?=/|$)", "/*", op["path"])
    reason = next(
        (r for regex, r in _IMPORT_REASONS if regex.search(pattern)),
        "the inspectx model has no field for this",
    )
    if isinstance(op.get("was"), list) and op["was"]:
        reason += (
            " (the list mixes items inspectx reads with items it cannot, so it is kept as a "
            "whole; the items it reads are in the certificate too)"
        )
    return (
        f"{reason}; kept verbatim in the certificate's extension {UNMAPPED_NS} "
        f"{UNMAPPED_NAME}, so a UNTP export restores it"
    )


def _with_unmapped(
    cert: Certificate, doc: Mapping[str, Any], sha: str | None
) -> tuple[Certificate, list[Loss]]:
    """``cert`` with a patch holding what ``doc`` says beyond what the model holds."""
    kept = tuple(e for e in cert.extensions if not _is_unmapped(e))
    cert = replace(cert, extensions=kept)
    written = _project(cert, _PLACEHOLDER)
    _set_native_digest(written, sha or _PLACEHOLDER)
    ops: list[dict[str, Any]] = []
    _diff(written, doc, (), ops)
    ops.sort(key=lambda op: (op["path"], op["op"]))  # the same patch whatever the key order
    if not ops:
        return cert, []
    losses = [
        Loss(field=op["path"], kind=LossKind.FLATTENED, reason=_import_reason(op))
        for op in ops
        if op["op"] != "remove"
    ]
    return replace(cert, extensions=(*kept, _unmapped_extension(ops))), losses


def _bind(data: dict[str, Any]) -> Certificate:
    try:
        return certificate_from_data(data)
    except ModelError as exc:
        raise _malformed(
            exc.location or "/", f"the credential cannot be read as a certificate: {exc.message}"
        ) from None


def _read_plain(doc: Mapping[str, Any], sha: str | None) -> tuple[Certificate, list[Loss]]:
    cert = _bind(_Reader(doc, None).read().data)
    return _with_unmapped(cert, doc, sha)


def _split(doc: dict[str, Any]) -> tuple[dict[str, Any], object]:
    """The visible credential and the inspectx extension (``_ABSENT`` if none)."""
    contexts = doc.get("@context")
    subject = doc.get("credentialSubject")
    if not (
        isinstance(contexts, list)
        and EXTENSION_CONTEXT in contexts
        and isinstance(subject, dict)
        and EXTENSION_TERM in subject
    ):
        return doc, _ABSENT
    visible = dict(doc)
    visible["@context"] = [c for c in contexts if c != EXTENSION_CONTEXT]
    visible_subject = dict(subject)
    extension = visible_subject.pop(EXTENSION_TERM)
    visible["credentialSubject"] = visible_subject
    return visible, extension


_EXTENSION_POINTER: Final = f"/credentialSubject/{EXTENSION_TERM}"


def _ignored(reason: str) -> Loss:
    return Loss(
        field=_EXTENSION_POINTER,
        kind=LossKind.DROPPED,
        reason=f"{reason}: the extension was not used; the certificate was read from the "
        "visible credential alone",
    )


def _read_with_extension(
    doc: dict[str, Any], extension: object, sha: str | None
) -> tuple[Certificate, list[Loss]]:
    if not isinstance(extension, dict):
        cert, losses = _read_plain(doc, sha)
        return cert, [_ignored("the inspectx extension is not an inspectx certificate"), *losses]
    try:
        ext_cert = certificate_from_data(extension)
    except ModelError as exc:
        cert, losses = _read_plain(doc, sha)
        where = f" ({exc.location})" if exc.location else ""
        reason = f"the inspectx extension is not a valid certificate{where}: {exc.message}"
        return cert, [_ignored(reason), *losses]
    if sha is not None and sha != hashlib.sha256(data_to_json_bytes(extension)).hexdigest():
        # the credential's link names the native certificate it was made from: an extension
        # that is not that certificate could say anything the credential does not show
        cert, losses = _read_plain(doc, sha)
        reason = "the inspectx extension is not the certificate the credential links by digest"
        return cert, [_ignored(reason), *losses]
    written, _ = _render(ext_cert, sha or _PLACEHOLDER)
    if _same(written, doc):
        return ext_cert, []
    # the credential was changed after the extension was written
    try:
        merge = _Merge(_Reader(doc, ext_cert).read(), _Reader(written, ext_cert).read())
    except UntpError as exc:
        cert, losses = _read_plain(doc, sha)
        return cert, [
            _ignored(f"the edited credential cannot be read with its extension: {exc}"),
            *losses,
        ]
    try:
        merged = merge.merge(
            merge.base.data, merge.seen.data, certificate_to_data(ext_cert), (), ()
        )
        assert isinstance(merged, dict)
        cert = certificate_from_data(merged)
    except _Structural as exc:
        cert, losses = _read_plain(doc, sha)
        where = merge.where(exc.path)
        reason = (
            f"the credential's structure no longer matches its inspectx extension (at {where}: "
            "an assessment, product, value or criterion added or removed)"
        )
        return cert, [_ignored(reason), *losses]
    except ModelError as exc:
        cert, losses = _read_plain(doc, sha)
        return cert, [_ignored(f"the edited credential and its extension disagree: {exc}"), *losses]
    cert, unmapped = _with_unmapped(cert, doc, sha)
    note = (
        " The certificate's proofs were kept: they will not verify over the edited content."
        if cert.proofs
        else ""
    )
    if merge.changes:
        summary = Loss(
            field=_EXTENSION_POINTER,
            kind=LossKind.DROPPED,
            reason=f"the inspectx extension is stale: the credential was changed after it was "
            f"written, in {len(merge.changes)} field(s) inspectx reads; there the credential's "
            f"value was used and the extension's dropped.{note}",
        )
    else:
        summary = Loss(
            field=_EXTENSION_POINTER,
            kind=LossKind.FLATTENED,
            reason="the inspectx extension is stale: the credential was changed after it was "
            "written, in members inspectx has no field for (listed, and kept verbatim); the "
            f"extension's certificate was used.{note}",
        )
    losses = [summary]
    for change in merge.changes:
        losses.append(
            Loss(
                field=change.untp,
                kind=LossKind.DROPPED,
                reason=f"edited in the credential: it says {_show(change.credential)}, its "
                f"stale inspectx extension says {_show(change.extension)} at {change.model}; "
                "the credential's value was used",
            )
        )
    return cert, [*losses, *unmapped]


# --- public API -------------------------------------------------------------------------------


def import_untp(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Imported:
    """Read a UNTP DCC v0.6.1 credential (JSON bytes) into an inspectx certificate.

    A credential exported by inspectx with its extension comes back exactly, unless it
    was edited: then its visible values win field by field (see the module notes), and
    the losses say which. Any other credential is mapped as far as the model can hold it;
    the rest is reported as losses (``field``: a JSON Pointer into the credential) and
    kept in an :class:`~inspectx.model.Extension` so that :func:`export_untp` restores it.

    The result is not schema-validated here (``inspectx.validation`` does that).
    Raises the ``format.json.*`` errors of the strict JSON loader, and :class:`UntpError`:
    ``untp.not-dcc``, ``untp.version-unsupported``, ``untp.malformed`` (a member the
    mapping needs has the wrong structure), ``untp.incomplete`` (the credential lacks
    what every inspectx certificate has: an id, issuer, validFrom, an assessment, a
    product). No side effects; never fetches a context.
    """
    doc = _check_dcc(load_json(data, limits))
    visible, extension = _split(doc)
    sha = _native_digest(visible)
    if extension is _ABSENT:
        cert, losses = _read_plain(visible, sha)
    else:
        cert, losses = _read_with_extension(visible, extension, sha)
    return Imported(certificate=cert, losses=tuple(losses))


def export_untp(
    cert: Certificate, *, extension: bool = True, certificate_sha256: str | None = None
) -> Exported:
    """Write a certificate as a UNTP DCC v0.6.1 credential (unsigned JSON bytes).

    ``certificate_sha256`` is the hex SHA-256 of the inspectx JSON bytes the caller
    converted; the ``conformityCertificate`` link names it. If None, it is computed over
    ``inspectx.formats.dump_json(cert)``. The output is deterministic (UTF-8, two-space
    indent, final newline; every time comes from the certificate).

    With ``extension`` (the default) the credential carries the certificate in the
    inspectx extension whenever the visible credential alone would not read back as the
    same certificate, and ``losses`` is empty. Without it, ``losses`` lists every field
    (JSON Pointer into the certificate) the credential flattens or drops.

    Raises :class:`~inspectx.errors.ModelError` for a model that cannot be rendered and
    :class:`UntpError` ``untp.invalid-digest`` for a malformed ``certificate_sha256``.
    """
    cert_data = certificate_to_data(cert)
    if certificate_sha256 is None:
        sha = hashlib.sha256(data_to_json_bytes(cert_data)).hexdigest()
    elif isinstance(certificate_sha256, str) and _SHA256_HEX.fullmatch(certificate_sha256):
        sha = certificate_sha256
    else:
        raise UntpError(
            "untp.invalid-digest",
            "certificate_sha256 is not a SHA-256 digest in lowercase hex",
            hint="give hashlib.sha256(inspectx_json_bytes).hexdigest(), or None",
        )
    doc, _ = _render(cert, sha)
    try:
        back, _ = _read_plain(doc, sha)
        back_data: object = certificate_to_data(back)
    except (UntpError, ModelError):
        back_data = _ABSENT
    losses: list[Loss] = []
    if back_data != cert_data:
        if extension:
            contexts = doc.get("@context")
            subject = doc.get("credentialSubject")
            if isinstance(contexts, list) and isinstance(subject, dict):
                contexts.append(EXTENSION_CONTEXT)
                subject[EXTENSION_TERM] = cert_data
        elif back_data is _ABSENT:
            losses.append(
                Loss(
                    field="",
                    kind=LossKind.DROPPED,
                    reason="the credential cannot be read back as a certificate "
                    "(no assessed product or test visible)",
                )
            )
        else:
            _lost(cert_data, back_data, (), losses)
    return Exported(data=data_to_json_bytes(doc), losses=tuple(losses))
