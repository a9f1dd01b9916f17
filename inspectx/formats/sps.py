"""UN/CEFACT SPS eCert XML (SPSCertificate:17 with RAM:21): import and export.

The SPS certificate message is what IPPC ePhyto and EU TRACES NT exchange. It has no
place for structured laboratory results, so this adapter maps what SPS can hold, carries
the rest explicitly, and reports every field it flattens or drops (:mod:`.conversion`).

**Reading.** :func:`import_sps` parses with the hardened parser only, recognises the
message by namespace URI (never by prefix), and reads two layouts:

* a bare ``rsm:SPSCertificate`` (SPSCertificate:17, RAM:21, UDT:21);
* a TRACES NT web-service response (e.g. ``GetEuIntraCertificateResponse``) whose
  ``SPSCertificate`` wrapper holds the SPS 17 parts and whose sibling
  ``SPSConsignmentItemLaboratoryTest`` (``.../certificate/laboratorytest/v1``) holds the
  laboratory tests: ``Reference`` -> test id, ``TestDescriptor`` (its children in
  ``.../referencedata/laboratorytest/v1``) -> parameter name, code and category,
  ``LaboratoryTestMethod`` -> method, ``LaboratoryConclusionCode`` -> outcome,
  ``LaboratoryResults`` (free text) -> a remark, ``SamplingDateTime`` and
  ``LaboratoryReceiptDateTime`` -> a sample, ``ProductSPSClassification`` -> the products.

Other SPS versions (8, 20, ...) are recognised by namespace and refused with
``sps.version-unsupported``; a fragment with undeclared prefixes (the TRACES CHED sample) is
refused with ``sps.unbound-prefix``.

**What the model cannot hold is kept, not guessed.** After mapping, the importer renders
the certificate back to SPS and compares that rendering with the document it read. Every
difference -- an element no inspectx field holds (``TestMotivationCode``, a TRACES control
clause), an attribute (``listName``, ``schemeAgencyName``, ``name``), a lexical form, a
value the SPS did not state (an issuer derived from the certifying officer) -- is recorded
in one extension (``ns`` :data:`INSPECTX_SPS_NS`, ``name`` ``residue``, XML) and reported
as a :class:`~.conversion.Loss` located by the XPath of the SPS element (``FLATTENED``: held
only verbatim; ``DROPPED``: not held at all). Each recorded difference names the model
fields it depends on and their SHA-256; :func:`export_sps` re-applies it only while those
fields are unchanged, so an edit in the certificate always wins over kept SPS content, and
every difference it cannot re-apply is reported as a loss of ``/extensions/<n>``. So
``import_sps`` then ``export_sps(extension=False)`` reproduces the document, element for
element, as long as nobody edits the certificate in between.

**Writing.** :func:`export_sps` writes ``rsm:SPSCertificate`` in the element order of the
RAM content models (as published for D14B and used by the D17A TRACES data), or the
TRACES layout again for a certificate read from one (a TRACES response root, like the
document it came from, is not an ``SPSCertificate`` root). ``TypeCode``: 1 certificate of
analysis, 2 of conformity, 4 test report (UNTDID 1001), 856 inspection certificate (as
TRACES writes it); other codes are read as inspection certificates and kept. ``StatusCode``
70 is issued; draft, replaced and revoked are written in inspectx's own list, and any other
status is refused on import (``sps.unsupported-status``), never guessed. Fields SPS has no
element for travel as ``IncludedSPSNote`` entries with a ``SubjectCode`` from the list
:data:`NOTE_SUBJECT_LIST` (validity period, languages, statements, the conclusion, the
replaced certificate). ``LaboratoryResults`` and ``LaboratoryConclusionCode`` are TRACES
elements, outside the SPS 17 schema, so in the SPS layout each test is one note mirroring
the TRACES triple: ``Subject`` = parameter name, ``ContentCode`` = the test reference (list
:data:`TEST_REFERENCE_LIST`) and the ``LaboratoryConclusionCode`` (list
``laboratory_conclusion``: SATISFACTORY, NOT_SATISFACTORY; INCONCLUSIVE and NOT_APPLICABLE
are inspectx's), ``Content`` = ``LaboratoryTestMethod`` then ``LaboratoryResults`` -- the
structured results, limits and remarks flattened to text. The TRACES layout writes the same
values as the TRACES elements of the same names.

**The inspectx extension.** With ``extension=True`` (the default) the whole certificate
travels inside the SPS document as an ``SPSExchangedDocument/IncludedSPSNote`` whose
``SubjectCode`` is ``INSPECTX_CERTIFICATE`` (list :data:`NOTE_SUBJECT_LIST`) and whose one
``Content`` is the certificate's inspectx JSON. A note is the one place of the SPS 17 schema
made for free content (``SPSNoteType``: ``Subject``, ``ContentCode*``, ``Content+``,
``SubjectCode``, all plain UDT types), so the document stays valid against
``SPSCertificate_17p0.xsd`` and an SPS system shows it as an ordinary note. On import the
extension restores the certificate exactly -- but only if exporting the restored certificate
reproduces the received document (compared element by element by namespace, local name,
attributes and text; prefixes, namespace declarations and indentation ignored). If the SPS
was edited after export, the extension is ignored, the certificate is read from the SPS
elements, and that is reported as a ``DROPPED`` loss at the note.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import Any, Final
from urllib.parse import quote

import orjson
from lxml import etree

from inspectx.errors import InputError, InspectxError, ModelError
from inspectx.formats import _table as tb
from inspectx.formats._bind import format_decimal
from inspectx.formats.certificate import certificate_from_data, certificate_to_data, dump_json
from inspectx.formats.conversion import Exported, Imported, Loss, LossKind
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safejson import load_json
from inspectx.formats.safexml import parse_xml
from inspectx.model import (
    Address,
    Certificate,
    CertificateStatus,
    Classification,
    Code,
    Conclusion,
    Consignment,
    Contact,
    DocumentType,
    Extension,
    Identifier,
    Measure,
    Method,
    Outcome,
    Parameter,
    Party,
    Product,
    Qualifier,
    Requirement,
    Result,
    Sample,
    Signatory,
    Test,
    Text,
    Transport,
)

__all__ = [
    "INSPECTX_SPS_NS",
    "NOTE_SUBJECT_LIST",
    "RAM_21_NS",
    "SPS_17_NS",
    "TEST_REFERENCE_LIST",
    "TRACES_LABTEST_NS",
    "TRACES_LABTEST_REF_NS",
    "UDT_21_NS",
    "SpsError",
    "export_sps",
    "import_sps",
    "is_sps",
    "sps_version",
]

_SPS_PREFIX: Final = "urn:un:unece:uncefact:data:standard:SPSCertificate:"
_RAM_PREFIX: Final = (
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:"
)
SPS_17_NS: Final = _SPS_PREFIX + "17"
RAM_21_NS: Final = _RAM_PREFIX + "21"
UDT_21_NS: Final = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:21"
TRACES_LABTEST_NS: Final = "http://ec.europa.eu/tracesnt/certificate/laboratorytest/v1"
TRACES_LABTEST_REF_NS: Final = "http://ec.europa.eu/tracesnt/referencedata/laboratorytest/v1"
INSPECTX_SPS_NS: Final = "urn:inspectx:sps:1"
NOTE_SUBJECT_LIST: Final = "urn:inspectx:sps:note-subject"
TEST_REFERENCE_LIST: Final = "urn:inspectx:sps:test-reference"
_STATUS_LIST: Final = "urn:inspectx:sps:certificate-status"
_CLAUSE_SCHEME: Final = "urn:inspectx:sps:clause"
_LAB_CONCLUSION_LIST: Final = "laboratory_conclusion"
_SELF_REFERENCE: Final = "CAW"  # TRACES: "Document reference, internal" (the certificate itself)

_SPS_NS_RE = re.compile(r"urn:un:unece:uncefact:data:standard:SPSCertificate:(\d+)\Z")
_RAM_NS_RE = re.compile(
    r"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:(\d+)\Z"
)
_KNOWN_RELEASES = {8: "RAM:12", 17: "D17A, RAM:21", 20: "D19A, RAM:25"}

# the fixed prefixes of what inspectx writes
_PREFIX_OF = {
    SPS_17_NS: "rsm",
    RAM_21_NS: "ram",
    UDT_21_NS: "udt",
    TRACES_LABTEST_NS: "trl",
    TRACES_LABTEST_REF_NS: "trr",
    "http://ec.europa.eu/tracesnt/certificate/euintra/v1": "eui",
}


def _q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _ram(local: str) -> str:
    return f"{{{RAM_21_NS}}}{local}"


def _trl(local: str) -> str:
    return f"{{{TRACES_LABTEST_NS}}}{local}"


def _trr(local: str) -> str:
    return f"{{{TRACES_LABTEST_REF_NS}}}{local}"


_DOC = _q(SPS_17_NS, "SPSExchangedDocument")
_CONS = _q(SPS_17_NS, "SPSConsignment")
_UDT_DATETIME = _q(UDT_21_NS, "DateTime")
_UDT_DATETIME_STRING = _q(UDT_21_NS, "DateTimeString")

# document types: UNTDID 1001 (1, 2, 4) and the TRACES inspection certificate (856)
_DOC_TYPE_CODE = {
    DocumentType.CERTIFICATE_OF_ANALYSIS: "1",
    DocumentType.CERTIFICATE_OF_CONFORMITY: "2",
    DocumentType.TEST_REPORT: "4",
    DocumentType.INSPECTION_CERTIFICATE: "856",
}
_DOC_TYPE_OF = {v: k for k, v in _DOC_TYPE_CODE.items()}
_ISSUED_CODE = "70"  # "Issued" as TRACES and ePhyto write it
_OUTCOME_CODE = {
    Outcome.PASS: "SATISFACTORY",
    Outcome.FAIL: "NOT_SATISFACTORY",
    Outcome.INCONCLUSIVE: "INCONCLUSIVE",
    Outcome.NOT_APPLICABLE: "NOT_APPLICABLE",
}
_OUTCOME_OF = {v: k for k, v in _OUTCOME_CODE.items()}
_QUALIFIER_SIGN = {
    Qualifier.LT: "<",
    Qualifier.LE: "≤",
    Qualifier.EQ: "=",
    Qualifier.GE: "≥",
    Qualifier.GT: ">",
}
_COMPARATOR_SIGN = {"lt": "<", "le": "≤", "eq": "=", "ge": "≥", "gt": ">", "between": "between"}

# the SPS 17 / RAM 21 content models (element order) of the aggregates inspectx writes or
# keeps; used to place kept elements when the surrounding rendering changed
_PARTY_ORDER = (
    "ID",
    "Name",
    "RoleCode",
    "TypeCode",
    "SpecifiedSPSAddress",
    "DefinedSPSContact",
    "SpecifiedSPSPerson",
)
_NOTE_ORDER = ("Subject", "ContentCode", "Content", "SubjectCode")
_CHILD_ORDER: dict[str, tuple[str, ...]] = {
    "SPSCertificate": ("SPSExchangedDocument", "SPSConsignment"),
    "SPSExchangedDocument": (
        "Name",
        "ID",
        "Description",
        "TypeCode",
        "StatusCode",
        "IssueDateTime",
        "CopyIndicator",
        "IssuerSPSParty",
        "RecipientSPSParty",
        "IncludedSPSNote",
        "ReferenceSPSReferencedDocument",
        "SignatorySPSAuthentication",
    ),
    "SPSConsignment": (
        "ID",
        "AvailabilityDueDateTime",
        "ExportExitDateTime",
        "ShipStoresIndicator",
        "ConsignorSPSParty",
        "ConsigneeSPSParty",
        "ExportSPSCountry",
        "ReExportSPSCountry",
        "StorageSPSEvent",
        "LoadingBaseportSPSLocation",
        "ImportSPSCountry",
        "ConsigneeReceiptSPSLocation",
        "TransitSPSCountry",
        "TransitSPSLocation",
        "UnloadingBaseportSPSLocation",
        "ExaminationSPSEvent",
        "CarrierSPSParty",
        "DespatchSPSParty",
        "DeliverySPSParty",
        "CustomsTransitAgentSPSParty",
        "MainCarriageSPSTransportMovement",
        "UtilizedSPSTransportEquipment",
        "IncludedSPSConsignmentItem",
    ),
    "SpecifiedSPSAddress": (
        "PostcodeCode",
        "LineOne",
        "LineTwo",
        "LineThree",
        "LineFour",
        "LineFive",
        "CityName",
        "CountryID",
        "TypeCode",
        "CountryName",
        "CountrySubDivisionID",
        "CountrySubDivisionName",
        "CityID",
    ),
    "IncludedSPSNote": _NOTE_ORDER,
    "AdditionalInformationSPSNote": _NOTE_ORDER,
    "ReferenceSPSReferencedDocument": (
        "IssueDateTime",
        "TypeCode",
        "RelationshipTypeCode",
        "ID",
        "AttachmentBinaryObject",
        "Information",
    ),
    "SignatorySPSAuthentication": (
        "TypeCode",
        "ActualDateTime",
        "IssueSPSLocation",
        "ProviderSPSParty",
        "LocationProviderSPSParty",
        "IncludedSPSClause",
    ),
    "IncludedSPSClause": ("ID", "Content"),
    "ExportSPSCountry": ("ID", "Name", "SubordinateSPSCountrySubDivision"),
    "ImportSPSCountry": ("ID", "Name", "SubordinateSPSCountrySubDivision"),
    "OriginSPSCountry": ("ID", "Name", "SubordinateSPSCountrySubDivision"),
    "MainCarriageSPSTransportMovement": ("ID", "ModeCode", "UsedSPSTransportMeans"),
    "UtilizedSPSTransportEquipment": ("ID", "AffixedSPSSeal", "SettingSPSTemperature"),
    "AffixedSPSSeal": ("ID", "MaximumID", "IssuingSPSParty"),
    "IncludedSPSConsignmentItem": ("NatureIdentificationSPSCargo", "IncludedSPSTradeLineItem"),
    "IncludedSPSTradeLineItem": (
        "SequenceNumeric",
        "Description",
        "CommonName",
        "ScientificName",
        "ProductionBatchID",
        "IntendedUse",
        "ExpiryDateTime",
        "NetWeightMeasure",
        "GrossWeightMeasure",
        "NetVolumeMeasure",
        "GrossVolumeMeasure",
        "AdditionalInformationSPSNote",
        "ApplicableSPSClassification",
        "PhysicalSPSPackage",
        "AssociatedSPSTransportEquipment",
        "OriginSPSCountry",
        "OriginSPSLocation",
        "AppliedSPSProcess",
        "AssertedSPSAuthentication",
        "ReferenceSPSReferencedDocument",
    ),
    "ApplicableSPSClassification": ("SystemID", "SystemName", "ClassCode", "ClassName"),
    "ExaminationSPSEvent": ("OccurrenceSPSLocation",),
    "OccurrenceSPSLocation": ("ID", "Name"),
    "IssueSPSLocation": ("ID", "Name"),
    # the TRACES laboratory-test block, in the order of the TRACES INTRA sample
    "SPSConsignmentItemLaboratoryTest": (
        "NatureIdentificationSPSCargo",
        "ProductSPSLaboratoryTest",
    ),
    "ProductSPSLaboratoryTest": ("ProductSPSClassification", "SPSLaboratoryTest"),
    "ProductSPSClassification": ("SystemID", "SystemName", "ClassCode", "ClassName"),
    "SPSLaboratoryTest": (
        "Reference",
        "TestDescriptor",
        "TestMotivationCode",
        "InspectorConclusionCode",
        "Analysys",
    ),
    "TestDescriptor": ("ID", "Description", "CategoryCode"),
    "Analysys": (
        "AnalysisTypeCode",
        "SamplingDateTime",
        "SampleBatchNumber",
        "NumberOfSamples",
        "SampleTypeCode",
        "SampleConservationCode",
        "LaboratorySPSParty",
        "LaboratoryReceiptDateTime",
        "LaboratoryReportDateTime",
        "LaboratoryTestMethod",
        "LaboratoryResults",
        "LaboratoryConclusionCode",
    ),
}
for _party in (
    "IssuerSPSParty",
    "RecipientSPSParty",
    "ProviderSPSParty",
    "LocationProviderSPSParty",
    "ConsignorSPSParty",
    "ConsigneeSPSParty",
    "CarrierSPSParty",
    "DespatchSPSParty",
    "DeliverySPSParty",
    "CustomsTransitAgentSPSParty",
    "LaboratorySPSParty",
):
    _CHILD_ORDER[_party] = _PARTY_ORDER


class SpsError(InspectxError):
    """An SPS document inspectx cannot read (codes ``sps.*``, see docs/error-codes.md)."""


# --- small helpers ------------------------------------------------------------------------


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _ns(el: etree._Element) -> str:
    return etree.QName(el).namespace or ""


def _elements(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _opath(el: etree._Element) -> str:
    """A readable XPath (local names, 1-based positions among same-named siblings)."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        name = _local(node)
        if parent is None:
            steps.append(f"/{name}")
        else:
            same = [c for c in _elements(parent) if c.tag == node.tag]
            pos = f"[{same.index(node) + 1}]" if len(same) > 1 else ""
            steps.append(f"/{name}{pos}")
        node = parent
    return "".join(reversed(steps))


def _where(el: etree._Element) -> str:
    return f"{_opath(el)} (line {el.sourceline})"


def _malformed(el: etree._Element, message: str, hint: str = "") -> SpsError:
    return SpsError(
        "sps.malformed",
        message,
        hint=hint or "correct the SPS document; inspectx reads SPSCertificate:17 with RAM:21",
        location=_where(el),
    )


def _fits(lex: tb.Lexical, value: str | None) -> bool:
    """``value`` is non-empty and inside the model's lexical space ``lex``."""
    if not value:
        return False
    if lex.max_length is not None and len(value) > lex.max_length:
        return False
    return lex.pattern is None or re.fullmatch(lex.pattern, value) is not None


def _attrs(el: etree._Element) -> dict[str, str]:
    return {str(k): str(v) for k, v in el.attrib.items()}


def _is_token(value: str) -> bool:
    """``value`` is unchanged by the whitespace collapsing of ``xsd:token``."""
    return value == " ".join(value.split())


def _canon(el: etree._Element) -> tuple[Any, ...]:
    """What the comparison of two SPS documents looks at.

    Namespace URI and local name, attributes (by namespace URI and name), the text of a
    leaf, the children in order. Ignored: prefixes and namespace declarations, whitespace
    between elements (the text of an element with children, if only whitespace), comments
    and processing instructions (the parser drops them).
    """
    children = _elements(el)
    text = el.text or ""
    if children and not text.strip():
        text = ""
    return (el.tag, tuple(sorted(_attrs(el).items())), text, tuple(_canon(c) for c in children))


def _first_difference(a: etree._Element, b: etree._Element) -> str:
    """The XPath (in ``a``) of the first place where two documents differ canonically."""
    if a.tag != b.tag or _attrs(a) != _attrs(b):
        return _opath(a)
    ac, bc = _elements(a), _elements(b)
    if _canon(a)[2] != _canon(b)[2] or len(ac) != len(bc):
        for x, y in zip(ac, bc, strict=False):
            if _canon(x) != _canon(y):
                return _first_difference(x, y)
        return _opath(a)
    for x, y in zip(ac, bc, strict=True):
        if _canon(x) != _canon(y):
            return _first_difference(x, y)
    return _opath(a)


# --- detection ------------------------------------------------------------------------------


def sps_version(root: etree._Element) -> int | None:
    """The SPSCertificate schema version of an SPS document (17 for D17A), else ``None``.

    Recognises a bare ``SPSCertificate`` root and a TRACES NT response whose
    ``SPSCertificate`` child holds the SPS parts; only namespace URIs are looked at.
    """
    m = _SPS_NS_RE.match(_ns(root))
    if m and _local(root) == "SPSCertificate":
        return int(m.group(1))
    container = _traces_container(root)
    if container is not None:
        first = _elements(container)[0]
        m = _SPS_NS_RE.match(_ns(first))
        if m:
            return int(m.group(1))
    return None


def is_sps(root: etree._Element) -> bool:
    """Whether ``root`` is a UN/CEFACT SPS certificate (any version) or a TRACES NT
    response carrying one; decided by namespace URI and local name, never by prefix."""
    return sps_version(root) is not None


def _traces_container(root: etree._Element) -> etree._Element | None:
    """The ``SPSCertificate`` wrapper of a TRACES NT response, if ``root`` is one."""
    if _SPS_NS_RE.match(_ns(root)):
        return None
    for child in _elements(root):
        if _local(child) != "SPSCertificate" or _SPS_NS_RE.match(_ns(child)):
            continue
        kids = _elements(child)
        if kids and _local(kids[0]) == "SPSExchangedDocument" and _SPS_NS_RE.match(_ns(kids[0])):
            return child
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layout:
    """Where the SPS parts sit: a bare ``rsm:SPSCertificate`` (all ``None``), or a TRACES
    NT response (the Clark names of its root, its ``SPSCertificate`` wrapper and its
    laboratory-test block)."""

    root: str | None = None
    container: str | None = None
    labtests: str | None = None

    @property
    def traces(self) -> bool:
        return self.root is not None


_SPS_LAYOUT: Final = _Layout()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Parts:
    root: etree._Element
    layout: _Layout
    exchanged: etree._Element
    consignment: etree._Element
    labtests: etree._Element | None


def _locate(root: etree._Element) -> _Parts:
    version = sps_version(root)
    if version is None:
        raise SpsError(
            "sps.not-sps",
            f"the root element {root.tag} is not a UN/CEFACT SPS certificate",
            hint="expected rsm:SPSCertificate in the namespace "
            f"{SPS_17_NS} (or a TRACES NT response carrying one)",
            location=_where(root),
        )
    if version != 17:
        release = _KNOWN_RELEASES.get(version, "an unknown release")
        raise SpsError(
            "sps.version-unsupported",
            f"SPSCertificate:{version} ({release}) is recognised but not supported: "
            "inspectx reads and writes SPSCertificate:17 with RAM:21 (D17A)",
            hint="ask the sender for the SPSCertificate:17 (D17A) rendering of the certificate",
            location=_where(root),
        )
    container = _traces_container(root)
    if container is None:
        layout, holder = _SPS_LAYOUT, root
    else:
        layout = _Layout(
            root=root.tag,
            container=container.tag,
            labtests=_q(_ns(container), "SPSConsignmentItemLaboratoryTest"),
        )
        holder = container
    exchanged = holder.find(_DOC)
    consignment = holder.find(_CONS)
    if exchanged is None or consignment is None:
        missing = "SPSExchangedDocument" if exchanged is None else "SPSConsignment"
        raise _malformed(holder, f"the SPS certificate has no {missing}")
    for part in (exchanged, consignment):
        for child in _elements(part):
            m = _RAM_NS_RE.match(_ns(child))
            if m and m.group(1) != "21":
                raise SpsError(
                    "sps.version-unsupported",
                    f"SPSCertificate:17 with RAM:{m.group(1)} is not supported: "
                    "inspectx reads SPSCertificate:17 with RAM:21 (D17A)",
                    hint="ask the sender for the D17A (RAM:21) rendering",
                    location=_where(child),
                )
    labtests = root.find(layout.labtests) if layout.labtests else None
    return _Parts(
        root=root, layout=layout, exchanged=exchanged, consignment=consignment, labtests=labtests
    )


# --- values ---------------------------------------------------------------------------------

_DT_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|([+-])(\d\d):(\d\d))\Z"
)
_DECIMAL_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\Z")
_SEQ_RE = re.compile(r"[1-9][0-9]{0,5}\Z")


def _format_datetime(value: datetime) -> str:
    """``xsd:dateTime`` as TRACES writes it: milliseconds (microseconds when needed), the
    value's own offset, ``Z`` for UTC."""
    offset = value.utcoffset()
    if offset is None:
        raise ModelError(
            "model.naive-datetime",
            f"{value.isoformat()} has no time zone",
            hint="give every datetime a tzinfo (e.g. timezone.utc)",
        )
    frac = value.microsecond
    fraction = f".{frac // 1000:03d}" if frac % 1000 == 0 else f".{frac:06d}"
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}{fraction}"
    )
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{mins:02d}"


def _parse_datetime(text: str) -> datetime | None:
    """An aware datetime from ``xsd:dateTime`` text with an offset, else ``None``."""
    m = _DT_RE.match(text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s, frac, z, sign, oh, om = m.groups()
    if z == "Z":
        tz: timezone = UTC
    else:
        if int(oh) > 23 or int(om) > 59:
            return None
        delta = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-delta if sign == "-" else delta)
    try:
        return datetime(
            int(y), int(mo), int(d), int(h), int(mi), int(s),
            int((frac or "0")[:6].ljust(6, "0")), tzinfo=tz,
        )  # fmt: skip
    except ValueError:
        return None


def _parse_decimal(text: str) -> Decimal | None:
    if not _DECIMAL_RE.match(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


# --- model -> SPS ---------------------------------------------------------------------------


def _step(tag: str) -> str:
    """A path step for an element name: ``ram:ID`` for the namespaces inspectx writes."""
    qname = etree.QName(tag)
    prefix = _PREFIX_OF.get(qname.namespace or "")
    return f"{prefix}:{qname.localname}" if prefix else tag


def _index(root: etree._Element) -> tuple[dict[str, etree._Element], dict[etree._Element, str]]:
    """Every element of a rendering by its path (``/rsm:SPSCertificate/...[2]``) and back."""
    by_path: dict[str, etree._Element] = {}
    path_of: dict[etree._Element, str] = {}

    def walk(el: etree._Element, path: str) -> None:
        by_path[path] = el
        path_of[el] = path
        seen: dict[str, int] = {}
        for child in _elements(el):
            seen[child.tag] = seen.get(child.tag, 0) + 1
            n = seen[child.tag]
            walk(child, f"{path}/{_step(child.tag)}" + (f"[{n}]" if n > 1 else ""))

    walk(root, "/" + _step(root.tag))
    return by_path, path_of


def _residue_index(cert: Certificate) -> int | None:
    for i, ext in enumerate(cert.extensions):
        if ext.ns == INSPECTX_SPS_NS and ext.name == "residue":
            return i
    return None


class _Out:
    """Renders a certificate as an SPS tree and records, for every element, the model
    fields (JSON Pointers) it was rendered from, and every field it could not carry."""

    def __init__(self, cert: Certificate, layout: _Layout) -> None:
        self.cert = cert
        self.layout = layout
        self.owner: dict[etree._Element, tuple[str, ...]] = {}
        self.losses: list[Loss] = []
        self.exchanged: etree._Element | None = None

    # building blocks
    def add(
        self,
        parent: etree._Element,
        tag: str,
        text: str | None = None,
        attrs: dict[str, str | None] | None = None,
        owner: tuple[str, ...] | None = None,
    ) -> etree._Element:
        el = etree.SubElement(parent, tag)
        for key, value in (attrs or {}).items():
            if value is not None:
                el.set(key, value)
        if text is not None:
            el.text = text
        self.owner[el] = owner if owner is not None else ()
        return el

    def lose(self, field: str, kind: LossKind, reason: str) -> None:
        self.losses.append(Loss(field=field, kind=kind, reason=reason))

    def drop(self, field: str, reason: str) -> None:
        self.lose(field, LossKind.DROPPED, reason)

    def token(self, value: str, field: str, what: str) -> None:
        if not _is_token(value):
            self.lose(
                field,
                LossKind.FLATTENED,
                f"SPS writes {what} as xsd:token: a schema-aware reader collapses the "
                "whitespace of this value",
            )

    def render(self) -> etree._Element:
        nsmap: dict[str, str] = {"rsm": SPS_17_NS, "ram": RAM_21_NS, "udt": UDT_21_NS}
        lay = self.layout
        if lay.traces:
            assert lay.root is not None
            assert lay.container is not None
            assert lay.labtests is not None
            for tag in (lay.root, lay.container, lay.labtests):
                ns = etree.QName(tag).namespace or ""
                if ns and ns not in nsmap.values():
                    nsmap[_PREFIX_OF.get(ns, f"ns{len(nsmap)}")] = ns
            nsmap["trl"] = TRACES_LABTEST_NS
            nsmap["trr"] = TRACES_LABTEST_REF_NS
            root = etree.Element(lay.root, nsmap=nsmap)
            self.owner[root] = ()
            holder = self.add(root, lay.container)
        else:
            root = etree.Element(_q(SPS_17_NS, "SPSCertificate"), nsmap=nsmap)
            self.owner[root] = ()
            holder = root
        doc = self.add(holder, _DOC, owner=("/number",))
        self.exchanged = doc
        self.document(doc)
        self.consignment(self.add(holder, _CONS, owner=("/number",)))
        if lay.traces:
            assert lay.labtests
            self.labtests(self.add(root, lay.labtests, owner=("/number",)))
        self.not_carried()
        return root

    # SPSExchangedDocument
    def document(self, doc: etree._Element) -> None:
        c = self.cert
        if c.title:
            for i, t in enumerate(c.title):
                self.add(doc, _ram("Name"), t.value, {"languageID": t.lang}, (f"/title/{i}",))
        else:
            self.add(doc, _ram("Name"), "", owner=("/title",))
        self.identifier(doc, _ram("ID"), c.number, "/number", "the certificate number")
        self.add(doc, _ram("TypeCode"), _DOC_TYPE_CODE[c.document_type], owner=("/documentType",))
        if c.status is CertificateStatus.ISSUED:
            self.add(doc, _ram("StatusCode"), _ISSUED_CODE, owner=("/status",))
        else:
            self.add(
                doc, _ram("StatusCode"), c.status.value, {"listID": _STATUS_LIST}, ("/status",)
            )
        self.when(doc, "IssueDateTime", c.issued_at, ("/issuedAt",))
        self.party(doc, "IssuerSPSParty", c.issuer, "/issuer")
        if c.applicant is not None:
            self.party(doc, "RecipientSPSParty", c.applicant, "/applicant")
        self.notes(doc)
        ref = self.add(doc, _ram("ReferenceSPSReferencedDocument"), owner=("/id",))
        self.add(ref, _ram("TypeCode"), _DOC_TYPE_CODE[c.document_type], owner=("/documentType",))
        self.add(ref, _ram("RelationshipTypeCode"), _SELF_REFERENCE)
        self.add(ref, _ram("ID"), c.number.value, owner=("/number",))
        self.add(
            ref,
            _ram("AttachmentBinaryObject"),
            attrs={"format": "url", "mimeCode": "text/url", "uri": c.id},
        )
        if c.signatories:
            for i, s in enumerate(c.signatories):
                self.signatory(doc, i, s)
        else:  # SPS needs one: the issuer, at the issue time, with an empty clause
            auth = self.add(
                doc, _ram("SignatorySPSAuthentication"), owner=("/signatories", "/issuedAt")
            )
            self.when(auth, "ActualDateTime", c.issued_at, ("/issuedAt",))
            self.party(auth, "ProviderSPSParty", c.issuer, "/issuer", declare=False)
            clause = self.add(auth, _ram("IncludedSPSClause"))
            self.add(clause, _ram("Content"), "")

    def notes(self, doc: etree._Element) -> None:
        c = self.cert
        if c.valid_from is not None:
            self.note(doc, "VALID_FROM", [_format_datetime(c.valid_from)], owner=("/validFrom",))
        if c.valid_until is not None:
            self.note(doc, "VALID_UNTIL", [_format_datetime(c.valid_until)], owner=("/validUntil",))
        if c.language:
            self.note(
                doc, "LANGUAGES", [], codes=[(v, None) for v in c.language], owner=("/language",)
            )
        if c.replaces is not None:
            self.note(doc, "REPLACES", [c.replaces], owner=("/replaces",))
        if c.statements:
            self.note(doc, "STATEMENTS", list(c.statements), owner=("/statements",))
        conclusion = c.conclusion
        self.note(
            doc,
            "CONCLUSION",
            list(conclusion.statement),
            codes=[(_OUTCOME_CODE[conclusion.outcome], _LAB_CONCLUSION_LIST)],
            owner=("/conclusion/outcome", "/conclusion/statement"),
        )
        if conclusion.conditions:
            self.note(
                doc,
                "CONCLUSION_CONDITIONS",
                list(conclusion.conditions),
                owner=("/conclusion/conditions",),
            )
        if not self.layout.traces:
            for k, test in enumerate(c.tests):
                self.test_note(doc, k, test)

    def note(
        self,
        parent: etree._Element,
        subject_code: str,
        contents: Sequence[Text | str],
        *,
        codes: Sequence[tuple[str, str | None]] = (),
        subject: str | None = None,
        owner: tuple[str, ...],
        tag: str = "IncludedSPSNote",
    ) -> etree._Element:
        note = self.add(parent, _ram(tag), owner=owner)
        if subject is not None:
            self.add(note, _ram("Subject"), subject)
        for value, list_id in codes:
            self.add(note, _ram("ContentCode"), value, {"listID": list_id})
        for item in contents:
            if isinstance(item, Text):
                self.add(note, _ram("Content"), item.value, {"languageID": item.lang})
            else:
                self.add(note, _ram("Content"), item)
        if not contents:
            self.add(note, _ram("Content"), "")
        self.add(note, _ram("SubjectCode"), subject_code, {"listID": NOTE_SUBJECT_LIST})
        return note

    def when(
        self, parent: etree._Element, local: str, value: datetime, owner: tuple[str, ...]
    ) -> None:
        wrapper = self.add(parent, _ram(local), owner=owner)
        self.add(wrapper, _UDT_DATETIME, _format_datetime(value))

    def identifier(
        self, parent: etree._Element, tag: str, ident: Identifier, ptr: str, what: str
    ) -> etree._Element:
        self.token(ident.value, f"{ptr}/value", what)
        return self.add(
            parent,
            tag,
            ident.value,
            {"schemeID": ident.scheme_id, "schemeAgencyID": ident.scheme_agency_id},
            (ptr,),
        )

    def party(
        self,
        parent: etree._Element,
        local: str,
        party: Party | None,
        ptr: str,
        *,
        person: str | None = None,
        person_owner: tuple[str, ...] = (),
        declare: bool = True,
        owner: tuple[str, ...] | None = None,
    ) -> etree._Element:
        el = self.add(parent, _ram(local), owner=owner if owner is not None else (ptr,))
        if party is None:  # SPS requires the party: an empty name stands for "not stated"
            self.add(el, _ram("Name"), "")
            return el
        if party.identifiers:
            self.identifier(
                el, _ram("ID"), party.identifiers[0], f"{ptr}/identifiers/0", "party IDs"
            )
        self.add(el, _ram("Name"), party.name, owner=(f"{ptr}/name",))
        roles = list(enumerate(party.roles))
        if roles and roles[0][1].list_id == "UNCL3035" and roles[0][1].list_version is None:
            self.add(el, _ram("RoleCode"), roles[0][1].value, owner=(f"{ptr}/roles/0",))
            roles = roles[1:]
        for i, role in roles:
            self.add(
                el,
                _ram("TypeCode"),
                role.value,
                {"listID": role.list_id, "listVersionID": role.list_version},
                (f"{ptr}/roles/{i}",),
            )
        if party.address is not None:
            self.address(el, party.address, f"{ptr}/address", declare)
        contact = party.contact
        name = person if person is not None else (contact.person_name if contact else None)
        if name:
            sp = self.add(
                el,
                _ram("SpecifiedSPSPerson"),
                owner=person_owner if person is not None else (f"{ptr}/contact/personName",),
            )
            self.add(sp, _ram("Name"), name)
        if declare:
            if party.id is not None:
                self.drop(f"{ptr}/id", "SPS parties have no URI")
            for i in range(1, len(party.identifiers)):
                self.drop(f"{ptr}/identifiers/{i}", "an SPS party has one ID")
            if contact is not None:
                if contact.email is not None:
                    self.drop(f"{ptr}/contact/email", "SPS parties have no e-mail address")
                if contact.phone is not None:
                    self.drop(f"{ptr}/contact/phone", "SPS parties have no telephone number")
        return el

    _LINES = ("LineOne", "LineTwo", "LineThree", "LineFour", "LineFive")

    def address(self, parent: etree._Element, a: Address, ptr: str, declare: bool) -> None:
        el = self.add(parent, _ram("SpecifiedSPSAddress"), owner=(ptr,))
        if a.postcode is not None:
            if declare:
                self.token(a.postcode, f"{ptr}/postcode", "postcodes")
            self.add(el, _ram("PostcodeCode"), a.postcode, owner=(f"{ptr}/postcode",))
        for i, line in enumerate(a.lines[:5]):
            self.add(el, _ram(self._LINES[i]), line, owner=(f"{ptr}/lines/{i}",))
        if a.city is not None:
            self.add(el, _ram("CityName"), a.city, owner=(f"{ptr}/city",))
        self.add(el, _ram("CountryID"), a.country_code, owner=(f"{ptr}/countryCode",))
        if a.subdivision is not None:
            self.add(el, _ram("CountrySubDivisionID"), a.subdivision, owner=(f"{ptr}/subdivision",))
        if declare:
            for i in range(5, len(a.lines)):
                self.drop(f"{ptr}/lines/{i}", "an SPS address has five lines")

    def signatory(self, doc: etree._Element, i: int, s: Signatory) -> None:
        ptr = f"/signatories/{i}"
        auth = self.add(doc, _ram("SignatorySPSAuthentication"), owner=(ptr,))
        if s.signed_at is not None:
            self.when(auth, "ActualDateTime", s.signed_at, (f"{ptr}/signedAt",))
        else:
            self.when(auth, "ActualDateTime", self.cert.issued_at, (f"{ptr}/signedAt", "/issuedAt"))
            self.lose(
                f"{ptr}/signedAt",
                LossKind.FLATTENED,
                "absent; SPS requires ActualDateTime, so the issue time is written",
            )
        if s.place is not None:
            loc = self.add(auth, _ram("IssueSPSLocation"), owner=(f"{ptr}/place",))
            self.add(loc, _ram("Name"), s.place)
        party, pptr = self.party_by_id(s.party_id)
        self.party(
            auth,
            "ProviderSPSParty",
            party,
            pptr,
            person=s.name,
            person_owner=(f"{ptr}/name",),
            declare=False,
            owner=(pptr,),
        )
        clause = self.add(auth, _ram("IncludedSPSClause"), owner=(f"{ptr}/role",))
        if s.role is not None:
            self.add(clause, _ram("ID"), "SIGNATORY_ROLE", {"schemeID": _CLAUSE_SCHEME})
            self.add(clause, _ram("Content"), s.role)
        else:
            self.add(clause, _ram("Content"), "")
        if s.party_id is not None:
            self.drop(f"{ptr}/partyId", "SPS parties have no URI to refer to")

    def party_by_id(self, party_id: str | None) -> tuple[Party, str]:
        c = self.cert
        if party_id is not None:
            if c.applicant is not None and c.applicant.id == party_id != c.issuer.id:
                return c.applicant, "/applicant"
            cons = c.consignment
            if cons is not None:
                for name in ("consignor", "consignee"):
                    p = getattr(cons, name)
                    if p is not None and p.id == party_id != c.issuer.id:
                        return p, f"/consignment/{name}"
        return c.issuer, "/issuer"

    # SPSConsignment
    def consignment(self, el: etree._Element) -> None:
        c = self.cert.consignment
        if c is not None and c.id is not None:
            self.add(el, _ram("ID"), c.id, owner=("/consignment/id",))
        self.party(el, "ConsignorSPSParty", c.consignor if c else None, "/consignment/consignor")
        self.party(el, "ConsigneeSPSParty", c.consignee if c else None, "/consignment/consignee")
        self.country(
            el, "ExportSPSCountry", c.export_country if c else None, "/consignment/exportCountry"
        )
        self.country(
            el, "ImportSPSCountry", c.import_country if c else None, "/consignment/importCountry"
        )
        exam = self.add(el, _ram("ExaminationSPSEvent"))
        where = self.add(exam, _ram("OccurrenceSPSLocation"))
        self.add(where, _ram("Name"), "")
        if c is not None:
            self.transport(el, c.transport)
            for name in ("order_refs", "parcel_refs", "customs_refs"):
                member = {"order_refs": "orderRefs", "parcel_refs": "parcelRefs"}.get(
                    name, "customsRefs"
                )
                for i in range(len(getattr(c, name))):
                    self.drop(
                        f"/consignment/{member}/{i}",
                        "SPS has no element for platform orders, parcels or customs references",
                    )
        item = self.add(el, _ram("IncludedSPSConsignmentItem"))
        for k, p in enumerate(self.cert.products):
            self.product(item, k, p)

    def country(self, parent: etree._Element, local: str, code: str | None, ptr: str) -> None:
        el = self.add(parent, _ram(local), owner=(ptr,))
        self.add(el, _ram("ID"), code or "")
        self.add(el, _ram("Name"), "")

    def transport(self, el: etree._Element, transports: Sequence[Transport]) -> None:
        for i, t in enumerate(transports):
            if t.mode is None:
                continue
            ptr = f"/consignment/transport/{i}"
            mv = self.add(el, _ram("MainCarriageSPSTransportMovement"), owner=(ptr,))
            if t.means_id is not None:
                self.identifier(mv, _ram("ID"), t.means_id, f"{ptr}/meansId", "transport IDs")
            self.add(
                mv,
                _ram("ModeCode"),
                t.mode.value,
                {"listID": t.mode.list_id, "listVersionID": t.mode.list_version},
            )
        for i, t in enumerate(transports):
            ptr = f"/consignment/transport/{i}"
            equipment: list[tuple[int, Identifier | None]] = list(enumerate(t.equipment_ids))
            if not equipment and t.seals:
                equipment = [(-1, None)]
            for j, eq in equipment:
                eq_el = self.add(el, _ram("UtilizedSPSTransportEquipment"), owner=(ptr,))
                if eq is None:
                    self.add(eq_el, _ram("ID"), "")
                else:
                    self.identifier(eq_el, _ram("ID"), eq, f"{ptr}/equipmentIds/{j}", "IDs")
                if j in (0, -1):
                    for s, seal in enumerate(t.seals):
                        seal_el = self.add(eq_el, _ram("AffixedSPSSeal"), owner=(ptr,))
                        self.identifier(seal_el, _ram("ID"), seal, f"{ptr}/seals/{s}", "IDs")
        simple = len(transports) == 1 and (
            transports[0].mode is not None
            or (
                transports[0].means_id is None
                and bool(transports[0].equipment_ids or transports[0].seals)
            )
        )
        if transports and not simple:
            self.lose(
                "/consignment/transport",
                LossKind.FLATTENED,
                "SPS lists transport movements (with a mode) and transport equipment "
                "separately: only one transport, with a mode, reads back as it was",
            )

    def product(self, item: etree._Element, k: int, p: Product) -> None:
        ptr = f"/products/{k}"
        li = self.add(item, _ram("IncludedSPSTradeLineItem"), owner=(ptr,))
        self.add(li, _ram("SequenceNumeric"), str(p.seq), owner=(f"{ptr}/seq",))
        if p.description:
            for i, d in enumerate(p.description):
                self.add(
                    li,
                    _ram("Description"),
                    d.value,
                    {"languageID": d.lang},
                    (f"{ptr}/description/{i}",),
                )
        else:
            self.add(li, _ram("Description"), "", owner=(f"{ptr}/description",))
        self.add(li, _ram("CommonName"), p.name, owner=(f"{ptr}/name",))
        if p.batch is not None:
            self.token(p.batch, f"{ptr}/batch", "batch IDs")
            self.add(li, _ram("ProductionBatchID"), p.batch, owner=(f"{ptr}/batch",))
        for local, m, name in (
            ("NetWeightMeasure", p.net_weight, "netWeight"),
            ("GrossWeightMeasure", p.gross_weight, "grossWeight"),
        ):
            if m is not None:
                self.add(
                    li,
                    _ram(local),
                    format_decimal(m.value),
                    {"unitCode": m.unit},
                    (f"{ptr}/{name}",),
                )
        note_tag = "AdditionalInformationSPSNote"
        for i, ident in enumerate(p.identifiers):
            self.note(
                li,
                "PRODUCT_IDENTIFIER",
                [ident.value],
                subject=ident.scheme_id,
                owner=(f"{ptr}/identifiers/{i}",),
                tag=note_tag,
            )
            if ident.scheme_agency_id is not None:
                self.drop(
                    f"{ptr}/identifiers/{i}/schemeAgencyId",
                    "an SPS trade line item has no identifier scheme agency",
                )
        if p.brand is not None:
            self.note(li, "BRAND", [p.brand], owner=(f"{ptr}/brand",), tag=note_tag)
        if p.model is not None:
            self.note(li, "MODEL", [p.model], owner=(f"{ptr}/model",), tag=note_tag)
        if p.serials:
            self.note(
                li, "SERIAL_NUMBERS", list(p.serials), owner=(f"{ptr}/serials",), tag=note_tag
            )
        for i, cl in enumerate(p.classifications):
            cptr = f"{ptr}/classifications/{i}"
            cel = self.add(li, _ram("ApplicableSPSClassification"), owner=(cptr,))
            self.add(cel, _ram("SystemID"), cl.system)
            self.add(cel, _ram("SystemName"), "")
            self.add(cel, _ram("ClassCode"), cl.code)
            self.add(cel, _ram("ClassName"), cl.name or "")
        if p.origin_country is not None:
            self.country(li, "OriginSPSCountry", p.origin_country, f"{ptr}/originCountry")
        if p.quantity is not None:
            self.drop(f"{ptr}/quantity", "an SPS trade line item has no quantity of goods")
        if p.manufacturer is not None:
            self.drop(f"{ptr}/manufacturer", "an SPS trade line item has no manufacturer party")

    # tests
    def test_note(self, doc: etree._Element, k: int, t: Test) -> None:
        ptr = f"/tests/{k}"
        text, lang = self.lab_results(k, t)
        contents: list[Text | str] = [t.method.standard]
        if text is not None:
            contents.append(Text(value=text, lang=lang))
        self.note(
            doc,
            "LABORATORY_TEST",
            contents,
            subject=t.parameter.name,
            codes=[(t.id, TEST_REFERENCE_LIST), (_OUTCOME_CODE[t.outcome], _LAB_CONCLUSION_LIST)],
            owner=(ptr,),
        )
        for i in range(len(t.product_refs)):
            self.drop(f"{ptr}/productRefs/{i}", "an SPS note cannot point to trade line items")
        for i in range(len(t.sample_refs)):
            self.drop(f"{ptr}/sampleRefs/{i}", "SPS has no samples")
        if t.lab is not None:
            self.drop(f"{ptr}/lab", "an SPS note names no laboratory")

    def lab_results(self, k: int, t: Test) -> tuple[str | None, str | None]:
        """The ``LaboratoryResults`` text of a test, and the losses of flattening to it."""
        ptr = f"/tests/{k}"
        flat: list[tuple[str, str]] = []  # (field, text)
        traces = self.layout.traces
        if t.parameter.code is not None and not traces:
            code = t.parameter.code
            flat.append((f"{ptr}/parameter/code", f"Parameter code: {_code_text(code)}"))
        if t.category is not None and not traces:
            flat.append((f"{ptr}/category", f"Category: {_code_text(t.category)}"))
        m = t.method
        for name, value in (("version", m.version), ("clause", m.clause), ("name", m.name)):
            if value is not None:
                flat.append((f"{ptr}/method/{name}", f"Method {name}: {value}"))
        if t.performed_from is not None:
            flat.append(
                (f"{ptr}/performedFrom", f"Performed from: {_format_datetime(t.performed_from)}")
            )
        if t.performed_to is not None:
            flat.append((f"{ptr}/performedTo", f"Performed to: {_format_datetime(t.performed_to)}"))
        result_fields: list[str] = []
        for j, r in enumerate(t.results):
            flat.append((f"{ptr}/results/{j}", "Result: " + _result_text(r)))
            result_fields.extend(f"{ptr}/results/{j}/{n}" for n in _present(r))
        for j, req in enumerate(t.criteria):
            flat.append((f"{ptr}/criteria/{j}", "Limit: " + _criterion_text(req)))
        if t.decision_rule is not None:
            rule = t.decision_rule
            text = rule.type.value
            if rule.guard_band is not None:
                text += f", guard band {format_decimal(rule.guard_band)}"
            if rule.reference is not None:
                text += f" ({rule.reference})"
            flat.append((f"{ptr}/decisionRule", f"Decision rule: {text}"))
        if not flat and len(t.remarks) == 1:
            return t.remarks[0].value, t.remarks[0].lang  # carried exactly
        for j, remark in enumerate(t.remarks):
            flat.append((f"{ptr}/remarks/{j}", f"Remark: {remark.value}"))
        if not flat:
            return None, None
        reason = "written only as text in LaboratoryResults"
        for field, _ in flat:
            if "/results/" not in field:
                self.lose(field, LossKind.FLATTENED, reason)
        for field in result_fields:
            self.lose(field, LossKind.FLATTENED, reason)
        return "\n".join(text for _, text in flat), None

    def labtests(self, lab: etree._Element) -> None:
        c = self.cert
        expected_samples: list[Sample] = []
        for k, t in enumerate(c.tests):
            ptr = f"/tests/{k}"
            group = self.add(lab, _trl("ProductSPSLaboratoryTest"), owner=(ptr,))
            found = _first_classified(c.products, t.product_refs)
            if found is not None:
                j, cl = found
                cls = self.add(
                    group,
                    _trl("ProductSPSClassification"),
                    owner=(f"{ptr}/productRefs", f"/products/{j}/classifications/0"),
                )
                self.add(cls, _ram("SystemID"), cl.system)
                self.add(cls, _ram("SystemName"), "")
                self.add(cls, _ram("ClassName"), cl.name or "")
            if tuple(_matching_products(c.products, found[1] if found else None)) != t.product_refs:
                self.lose(
                    f"{ptr}/productRefs",
                    LossKind.FLATTENED,
                    "TRACES links a test to products by classification; read back as the "
                    "products with that classification",
                )
            test = self.add(group, _trl("SPSLaboratoryTest"))
            self.add(test, _trl("Reference"), t.id)
            desc = self.add(test, _trl("TestDescriptor"))
            code = t.parameter.code
            if code is not None:
                self.add(
                    desc,
                    _trr("ID"),
                    code.value,
                    {"schemeID": code.list_id},
                    (f"{ptr}/parameter/code",),
                )
                if code.list_version is not None:
                    self.drop(
                        f"{ptr}/parameter/code/listVersion", "TRACES has no list version here"
                    )
            self.add(desc, _trr("Description"), t.parameter.name)
            if t.category is not None:
                self.add(
                    desc,
                    _trr("CategoryCode"),
                    t.category.value,
                    {"listID": t.category.list_id},
                    (f"{ptr}/category",),
                )
                if t.category.list_version is not None:
                    self.drop(f"{ptr}/category/listVersion", "TRACES has no list version here")
            analysis = self.add(test, _trl("Analysys"))
            sample = next(
                ((j, s) for j, s in enumerate(c.samples) if t.sample_refs[:1] == (s.id,)), None
            )
            timed = sample is not None and (
                sample[1].taken_at is not None or sample[1].received_at is not None
            )
            if sample is not None and timed:
                j, s = sample
                for local, when, name in (
                    ("SamplingDateTime", s.taken_at, "takenAt"),
                    ("LaboratoryReceiptDateTime", s.received_at, "receivedAt"),
                ):
                    if local == "LaboratoryReceiptDateTime":
                        continue  # written after the (kept) laboratory party, below
                    if when is not None:
                        self.add(
                            analysis,
                            _trl(local),
                            _format_datetime(when),
                            owner=(f"/samples/{j}/{name}",),
                        )
                expected_samples.append(
                    Sample(
                        id=t.id,
                        product_refs=tuple(
                            _matching_products(c.products, found[1] if found else None)
                        ),
                        taken_at=s.taken_at,
                        received_at=s.received_at,
                    )
                )
            if t.sample_refs != ((t.id,) if timed else ()):
                self.lose(
                    f"{ptr}/sampleRefs",
                    LossKind.FLATTENED,
                    "TRACES keeps the sampling and receipt times inside the test: read back as "
                    "one sample named after the test",
                )
            if sample is not None and sample[1].received_at is not None:
                self.add(
                    analysis,
                    _trl("LaboratoryReceiptDateTime"),
                    _format_datetime(sample[1].received_at),
                    owner=(f"/samples/{sample[0]}/receivedAt",),
                )
            self.add(analysis, _trl("LaboratoryTestMethod"), t.method.standard)
            text, lang = self.lab_results(k, t)
            if text is not None:
                self.add(analysis, _trl("LaboratoryResults"), text)
                if lang is not None:
                    self.drop(f"{ptr}/remarks/0/lang", "LaboratoryResults has no language")
            self.add(
                analysis,
                _trl("LaboratoryConclusionCode"),
                _OUTCOME_CODE[t.outcome],
                {"listID": _LAB_CONCLUSION_LIST},
                (f"{ptr}/outcome",),
            )
            if t.lab is not None:
                self.drop(f"{ptr}/lab", "the TRACES laboratory party is not in the inspectx model")
        if tuple(expected_samples) != c.samples:
            self.lose(
                "/samples",
                LossKind.FLATTENED,
                "TRACES keeps only the sampling and receipt times, inside each test: the "
                "samples read back as one per test with those times, named after the test",
            )

    def not_carried(self) -> None:
        c = self.cert
        if c.attestation is not None:
            self.drop("/attestation", "SPS has no attestation (assessor or assessment level)")
        for i in range(len(c.accreditations)):
            self.drop(f"/accreditations/{i}", "SPS has no accreditations")
        if not self.layout.traces:
            for i in range(len(c.samples)):
                self.drop(f"/samples/{i}", "SPS has no samples")
        for i in range(len(c.references)):
            self.drop(
                f"/references/{i}",
                "SPS referenced documents need UNCL 1001/1153 codes the model does not hold",
            )
        residue = _residue_index(c)
        for i in range(len(c.extensions)):
            if i != residue:
                self.drop(f"/extensions/{i}", "SPS has no place for inspectx extensions")
        for i in range(len(c.proofs)):
            self.drop(f"/proof/{i}", "a Data Integrity proof covers the inspectx JSON, not SPS")


def _code_text(code: Code) -> str:
    return f"{code.value} ({code.list_id})" if code.list_id else code.value


def _present(r: Result) -> list[str]:
    names = {
        "parameter": r.parameter,
        "value": r.value,
        "code": r.code,
        "qualifier": r.qualifier,
        "unit": r.unit,
        "uncertainty": r.uncertainty,
        "lod": r.lod,
        "loq": r.loq,
    }
    return [k for k, v in names.items() if v is not None]


def _result_text(r: Result) -> str:
    parts: list[str] = []
    if r.parameter is not None:
        parts.append(f"{r.parameter}:")
    if r.qualifier is not None:
        parts.append(_QUALIFIER_SIGN[r.qualifier])
    if r.value is not None:
        parts.append(format_decimal(r.value))
    if r.code is not None:
        parts.append(r.code.value.replace("-", " "))
    if r.unit is not None:
        parts.append(r.unit)
    extra: list[str] = []
    if r.uncertainty is not None:
        u = f"U = {format_decimal(r.uncertainty.value)}"
        if r.uncertainty.k is not None:
            u += f", k = {format_decimal(r.uncertainty.k)}"
        extra.append(u)
    if r.lod is not None:
        extra.append(f"LOD {format_decimal(r.lod)}")
    if r.loq is not None:
        extra.append(f"LOQ {format_decimal(r.loq)}")
    text = " ".join(parts) or "(no value)"
    return text + (f" ({'; '.join(extra)})" if extra else "")


def _criterion_text(req: Requirement) -> str:
    limit = req.limit
    text = f"{_COMPARATOR_SIGN[req.comparator.value]} {format_decimal(limit.value)} {limit.unit}"
    if req.upper_limit is not None:
        upper = req.upper_limit
        text += f" and {format_decimal(upper.value)} {upper.unit}"
    where: list[str] = []
    if req.id is not None:
        where.append(req.id)
    src = req.source
    if src is not None:
        origin = f"{src.jurisdiction} " if src.jurisdiction else ""
        where.append(origin + src.id + (f", {src.article}" if src.article else ""))
    if req.market is not None:
        where.append(f"market {req.market}")
    return text + (f" ({'; '.join(where)})" if where else "")


def _first_classified(
    products: Sequence[Product], refs: Sequence[int]
) -> tuple[int, Classification] | None:
    for ref in refs:
        for j, p in enumerate(products):
            if p.seq == ref and p.classifications:
                return j, p.classifications[0]
    return None


def _matching_products(products: Sequence[Product], cl: Classification | None) -> Iterator[int]:
    """The products a TRACES ``ProductSPSClassification`` (system and first class name)
    designates."""
    if cl is None:
        return
    for p in products:
        if any(c.system == cl.system and c.name == cl.name for c in p.classifications):
            yield p.seq


# --- SPS -> model ---------------------------------------------------------------------------

_TEXT, _TOKEN, _URI = tb.TEXT, tb.TOKEN, tb.URI
_COUNTRY, _LANGUAGE, _UNIT = tb.COUNTRY, tb.LANGUAGE, tb.UNIT


def _text_of(el: etree._Element | None) -> str | None:
    return None if el is None else el.text


class _Reader:
    """Maps the SPS elements the model has fields for; records, for every element it read,
    the model field it went to (so kept content that held mapped values depends on them)."""

    def __init__(self, parts: _Parts) -> None:
        self.parts = parts
        self.src: dict[etree._Element, str] = {}
        self.losses: list[Loss] = []

    # element access
    @staticmethod
    def first(el: etree._Element | None, local: str, ns: str = RAM_21_NS) -> etree._Element | None:
        return None if el is None else el.find(_q(ns, local))

    @staticmethod
    def all(el: etree._Element | None, local: str, ns: str = RAM_21_NS) -> list[etree._Element]:
        return [] if el is None else el.findall(_q(ns, local))

    def mark(self, el: etree._Element | None, ptr: str) -> None:
        if el is not None:
            self.src[el] = ptr

    def value(self, el: etree._Element | None, lex: tb.Lexical, ptr: str) -> str | None:
        """The text of ``el`` if the model can hold it as ``lex``."""
        if el is None or not _fits(lex, el.text):
            return None
        self.mark(el, ptr)
        return el.text

    def attr(self, el: etree._Element, name: str, lex: tb.Lexical) -> str | None:
        v = el.get(name)
        return v if _fits(lex, v) else None

    def texts(self, els: Iterable[etree._Element], base: str) -> tuple[Text, ...]:
        out: list[Text] = []
        for el in els:
            if _fits(_TEXT, el.text):
                self.mark(el, f"{base}/{len(out)}")
                out.append(Text(value=el.text or "", lang=self.attr(el, "languageID", _LANGUAGE)))
        return tuple(out)

    def identifier(self, el: etree._Element | None, ptr: str) -> Identifier | None:
        value = self.value(el, _TEXT, ptr)
        if el is None or value is None:
            return None
        return Identifier(
            value=value,
            scheme_id=self.attr(el, "schemeID", _TOKEN),
            scheme_agency_id=self.attr(el, "schemeAgencyID", _TOKEN),
        )

    def code(self, el: etree._Element | None, ptr: str) -> Code | None:
        value = self.value(el, _TOKEN, ptr)
        if el is None or value is None:
            return None
        return Code(
            value=value,
            list_id=self.attr(el, "listID", _TOKEN),
            list_version=self.attr(el, "listVersionID", _TOKEN),
        )

    def measure(self, el: etree._Element | None, ptr: str) -> Measure | None:
        if el is None:
            return None
        value = _parse_decimal(el.text or "")
        unit = self.attr(el, "unitCode", _UNIT)
        if value is None or unit is None:
            return None
        self.mark(el, ptr)
        return Measure(value=value, unit=unit)

    def when(self, el: etree._Element | None, ptr: str) -> datetime | None:
        """A udt:DateTimeType wrapper (``DateTime`` or ``DateTimeString`` child)."""
        if el is None:
            return None
        inner = el.find(_UDT_DATETIME)
        if inner is None:
            inner = el.find(_UDT_DATETIME_STRING)
            if inner is not None and inner.get("format") not in (None, "", "RFC3339", "ISO8601"):
                return None
        if inner is None:
            return None
        value = _parse_datetime(inner.text or "")
        if value is not None:
            self.mark(el, ptr)
            self.mark(inner, ptr)
        return value

    def direct_when(self, el: etree._Element | None, ptr: str) -> datetime | None:
        if el is None:
            return None
        value = _parse_datetime(el.text or "")
        if value is not None:
            self.mark(el, ptr)
        return value

    def required_when(self, doc: etree._Element, local: str, ptr: str) -> datetime:
        el = self.first(doc, local)
        if el is None:
            raise _malformed(doc, f"{_local(doc)} has no {local}")
        value = self.when(el, ptr)
        if value is None:
            raise _malformed(
                el,
                f"{local} is not an xsd:dateTime with a time-zone offset",
                hint="write e.g. 2021-02-18T16:09:51.000+01:00; inspectx never guesses a zone",
            )
        return value

    def flatten(self, el: etree._Element, reason: str) -> None:
        self.losses.append(Loss(field=_opath(el), kind=LossKind.FLATTENED, reason=reason))

    # the certificate
    def read(self) -> Certificate:
        doc, cons = self.parts.exchanged, self.parts.consignment
        number = self.identifier(self.first(doc, "ID"), "/number")
        if number is None:
            raise _malformed(doc, "SPSExchangedDocument has no ID (the certificate number)")
        title = self.texts(self.all(doc, "Name"), "/title")
        document_type = self.document_type(doc)
        status = self.status(doc)
        issued_at = self.required_when(doc, "IssueDateTime", "/issuedAt")
        notes, test_notes = self.notes(doc)
        issuer = self.issuer(doc)
        recipients = self.all(doc, "RecipientSPSParty")
        applicant = self.party(recipients[0], "/applicant") if recipients else None
        signatories = self.signatories(doc)
        products = self.products(cons)
        if not products:
            raise SpsError(
                "sps.no-products",
                "no trade line item of the SPS consignment can be read as a product "
                "(IncludedSPSTradeLineItem with a SequenceNumeric from 1 to 999999)",
                hint="an inspectx certificate names at least one product",
                location=_where(cons),
            )
        if self.parts.layout.traces:
            tests, samples = self.traces_tests(products)
        else:
            tests, samples = self.note_tests(test_notes), ()
        if not tests:
            raise SpsError(
                "sps.no-tests",
                "the SPS document carries no laboratory test inspectx can read "
                "(a TRACES SPSLaboratoryTest, or an inspectx LABORATORY_TEST note)",
                hint="an inspectx certificate reports at least one test; SPS certificates "
                "without laboratory results cannot be imported",
                location=_where(self.parts.labtests if self.parts.labtests is not None else doc),
            )
        conclusion = self.conclusion(
            notes.get("CONCLUSION"), notes.get("CONCLUSION_CONDITIONS"), tests
        )
        return Certificate(
            id=self.certificate_id(doc, number),
            number=number,
            document_type=document_type,
            issued_at=issued_at,
            issuer=issuer,
            products=products,
            tests=tests,
            conclusion=conclusion,
            status=status,
            title=title,
            valid_from=self.note_when(notes.get("VALID_FROM"), "/validFrom"),
            valid_until=self.note_when(notes.get("VALID_UNTIL"), "/validUntil"),
            language=self.languages(notes.get("LANGUAGES")),
            applicant=applicant,
            consignment=self.consignment(cons),
            samples=samples,
            statements=self.texts(self.all(notes.get("STATEMENTS"), "Content"), "/statements"),
            replaces=self.replaces(notes.get("REPLACES")),
            signatories=signatories,
        )

    def document_type(self, doc: etree._Element) -> DocumentType:
        el = self.first(doc, "TypeCode")
        if el is None:
            raise _malformed(doc, "SPSExchangedDocument has no TypeCode")
        self.mark(el, "/documentType")
        code = el.text or ""
        if code in _DOC_TYPE_OF:
            return _DOC_TYPE_OF[code]
        self.flatten(
            el,
            f"document type {code!r} has no inspectx document type: read as "
            "inspection-certificate, the code kept verbatim",
        )
        return DocumentType.INSPECTION_CERTIFICATE

    def status(self, doc: etree._Element) -> CertificateStatus:
        el = self.first(doc, "StatusCode")
        if el is None:
            raise _malformed(doc, "SPSExchangedDocument has no StatusCode")
        self.mark(el, "/status")
        code = el.text or ""
        if code == _ISSUED_CODE and el.get("listID") in (None, ""):
            return CertificateStatus.ISSUED
        if el.get("listID") == _STATUS_LIST and code in set(CertificateStatus):
            return CertificateStatus(code)
        raise SpsError(
            "sps.unsupported-status",
            f"StatusCode {code!r} is not one inspectx can read: whether the certificate is "
            "issued, replaced or revoked must not be guessed",
            hint=f'inspectx reads StatusCode 70 (issued) and its own list "{_STATUS_LIST}"',
            location=_where(el),
        )

    def notes(self, doc: etree._Element) -> tuple[dict[str, etree._Element], list[etree._Element]]:
        found: dict[str, etree._Element] = {}
        tests: list[etree._Element] = []
        for note in self.all(doc, "IncludedSPSNote"):
            subject = self.first(note, "SubjectCode")
            if subject is None or subject.get("listID") != NOTE_SUBJECT_LIST:
                continue
            code = subject.text or ""
            if code == "LABORATORY_TEST":
                tests.append(note)
            elif code not in found:
                found[code] = note
        return found, tests

    def note_when(self, note: etree._Element | None, ptr: str) -> datetime | None:
        contents = self.all(note, "Content")
        value = _parse_datetime(contents[0].text or "") if contents else None
        if value is not None:
            self.mark(note, ptr)
        return value

    def languages(self, note: etree._Element | None) -> tuple[str, ...]:
        out: list[str] = []
        for el in self.all(note, "ContentCode"):
            if _fits(_LANGUAGE, el.text):
                self.mark(el, f"/language/{len(out)}")
                out.append(el.text or "")
        self.mark(note, "/language")
        return tuple(out)

    def replaces(self, note: etree._Element | None) -> str | None:
        contents = self.all(note, "Content")
        value = self.value(contents[0], _URI, "/replaces") if contents else None
        if value is not None:
            self.mark(note, "/replaces")
        return value

    def conclusion(
        self,
        note: etree._Element | None,
        conditions: etree._Element | None,
        tests: Sequence[Test],
    ) -> Conclusion:
        outcome = None
        for el in self.all(note, "ContentCode"):
            if el.get("listID") == _LAB_CONCLUSION_LIST and (el.text or "") in _OUTCOME_OF:
                self.mark(el, "/conclusion/outcome")
                outcome = _OUTCOME_OF[el.text or ""]
                break
        if outcome is None:  # not stated: derived from the tests, and said so
            outcomes = {t.outcome for t in tests}
            if Outcome.FAIL in outcomes:
                outcome = Outcome.FAIL
            elif outcomes <= {Outcome.PASS, Outcome.NOT_APPLICABLE} and Outcome.PASS in outcomes:
                outcome = Outcome.PASS
            else:
                outcome = Outcome.INCONCLUSIVE
            self.losses.append(
                Loss(
                    field=_opath(self.parts.exchanged),
                    kind=LossKind.FLATTENED,
                    reason=f"the SPS states no overall conclusion; /conclusion/outcome is "
                    f"derived from the test conclusions ({outcome.value})",
                )
            )
        else:
            self.mark(note, "/conclusion/outcome")
        statement = self.texts(self.all(note, "Content"), "/conclusion/statement")
        return Conclusion(
            outcome=outcome,
            statement=statement,
            conditions=self.texts(self.all(conditions, "Content"), "/conclusion/conditions"),
        )

    def certificate_id(self, doc: etree._Element, number: Identifier) -> str:
        for ref in self.all(doc, "ReferenceSPSReferencedDocument"):
            rel = self.first(ref, "RelationshipTypeCode")
            rid = self.first(ref, "ID")
            att = self.first(ref, "AttachmentBinaryObject")
            if (
                rel is not None
                and rel.text == _SELF_REFERENCE
                and rid is not None
                and rid.text == number.value
                and att is not None
                and _fits(_URI, att.get("uri"))
            ):
                self.mark(ref, "/id")
                return att.get("uri") or ""
        return "urn:inspectx:sps:" + quote(number.value, safe="")

    # parties
    def party(self, el: etree._Element | None, ptr: str) -> Party | None:
        if el is None:
            return None
        name = self.value(self.first(el, "Name"), _TEXT, f"{ptr}/name")
        if name is None:
            return None
        self.mark(el, ptr)
        ident = self.identifier(self.first(el, "ID"), f"{ptr}/identifiers/0")
        roles: list[Code] = []
        role = self.first(el, "RoleCode")
        if role is not None and _fits(_TOKEN, role.text):
            self.mark(role, f"{ptr}/roles/0")
            roles.append(Code(value=role.text or "", list_id="UNCL3035"))
        for type_code in self.all(el, "TypeCode"):
            code = self.code(type_code, f"{ptr}/roles/{len(roles)}")
            if code is not None:
                roles.append(code)
        person = self.value(
            self.first(self.first(el, "SpecifiedSPSPerson"), "Name"),
            _TEXT,
            f"{ptr}/contact/personName",
        )
        return Party(
            name=name,
            identifiers=(ident,) if ident else (),
            roles=tuple(roles),
            address=self.address(self.first(el, "SpecifiedSPSAddress"), f"{ptr}/address"),
            contact=Contact(person_name=person) if person else None,
        )

    def address(self, el: etree._Element | None, ptr: str) -> Address | None:
        country = self.value(self.first(el, "CountryID"), _COUNTRY, f"{ptr}/countryCode")
        if el is None or country is None:
            return None
        self.mark(el, ptr)
        lines: list[str] = []
        for local in _Out._LINES:
            line = self.value(self.first(el, local), _TEXT, f"{ptr}/lines/{len(lines)}")
            if line is None:
                break
            lines.append(line)
        return Address(
            country_code=country,
            lines=tuple(lines),
            city=self.value(self.first(el, "CityName"), _TEXT, f"{ptr}/city"),
            postcode=self.value(self.first(el, "PostcodeCode"), _TEXT, f"{ptr}/postcode"),
            subdivision=self.value(
                self.first(el, "CountrySubDivisionID"), _TOKEN, f"{ptr}/subdivision"
            ),
        )

    def issuer(self, doc: etree._Element) -> Party:
        issuer = self.party(self.first(doc, "IssuerSPSParty"), "/issuer")
        if issuer is not None:
            return issuer
        # TRACES INTRA names no IssuerSPSParty: the certifying officer's party issued it
        auths = self.all(doc, "SignatorySPSAuthentication")
        certifying = [a for a in auths if _text_of(self.first(a, "TypeCode")) == "1"]
        ranked = certifying + [a for a in auths if a not in certifying]
        for auth in ranked:
            provider = self.first(auth, "ProviderSPSParty")
            party = self.party(provider, "/issuer")
            if party is not None and provider is not None:
                self.losses.append(
                    Loss(
                        field=_opath(doc) + "/IssuerSPSParty",
                        kind=LossKind.FLATTENED,
                        reason="the SPS names no IssuerSPSParty; /issuer is derived from "
                        f"{_opath(provider)} (the certifying officer's party)",
                    )
                )
                return party
        raise SpsError(
            "sps.malformed",
            "the SPS document names no issuer: no IssuerSPSParty and no signatory party",
            hint="an inspectx certificate needs its issuer",
            location=_where(doc),
        )

    def signatories(self, doc: etree._Element) -> tuple[Signatory, ...]:
        out: list[Signatory] = []
        for auth in self.all(doc, "SignatorySPSAuthentication"):
            provider = self.first(auth, "ProviderSPSParty")
            person = self.first(self.first(provider, "SpecifiedSPSPerson"), "Name")
            ptr = f"/signatories/{len(out)}"
            name = self.value(person, _TEXT, f"{ptr}/name")
            if name is None:
                continue
            self.mark(auth, ptr)
            role = None
            for clause in self.all(auth, "IncludedSPSClause"):
                cid = self.first(clause, "ID")
                contents = self.all(clause, "Content")
                if (
                    cid is not None
                    and cid.get("schemeID") == _CLAUSE_SCHEME
                    and cid.text == "SIGNATORY_ROLE"
                    and contents
                ):
                    role = self.value(contents[0], _TEXT, f"{ptr}/role")
                    self.mark(clause, f"{ptr}/role")
                    break
            out.append(
                Signatory(
                    name=name,
                    role=role,
                    signed_at=self.when(self.first(auth, "ActualDateTime"), f"{ptr}/signedAt"),
                    place=self.value(
                        self.first(self.first(auth, "IssueSPSLocation"), "Name"),
                        _TEXT,
                        f"{ptr}/place",
                    ),
                )
            )
        return tuple(out)

    # consignment and products
    def consignment(self, cons: etree._Element) -> Consignment | None:
        ptr = "/consignment"
        transports: list[Transport] = []
        for mv in self.all(cons, "MainCarriageSPSTransportMovement"):
            tptr = f"{ptr}/transport/{len(transports)}"
            mode = self.code(self.first(mv, "ModeCode"), f"{tptr}/mode")
            if mode is None:
                continue
            self.mark(mv, tptr)
            transports.append(
                Transport(
                    mode=mode, means_id=self.identifier(self.first(mv, "ID"), f"{tptr}/meansId")
                )
            )
        equipment: list[Identifier] = []
        seals: list[Identifier] = []
        for eq in self.all(cons, "UtilizedSPSTransportEquipment"):
            tptr = f"{ptr}/transport/0"
            ident = self.identifier(self.first(eq, "ID"), f"{tptr}/equipmentIds/{len(equipment)}")
            if ident is not None:
                equipment.append(ident)
            for seal in self.all(eq, "AffixedSPSSeal"):
                s = self.identifier(self.first(seal, "ID"), f"{tptr}/seals/{len(seals)}")
                if s is not None:
                    seals.append(s)
                    self.mark(seal, f"{tptr}/seals/{len(seals) - 1}")
            self.mark(eq, tptr)
        if equipment or seals:
            first = transports[0] if transports else Transport()
            first = replace(first, equipment_ids=tuple(equipment), seals=tuple(seals))
            transports = [first, *transports[1:]]
        c = Consignment(
            id=self.value(self.first(cons, "ID"), _TOKEN, f"{ptr}/id"),
            consignor=self.party(self.first(cons, "ConsignorSPSParty"), f"{ptr}/consignor"),
            consignee=self.party(self.first(cons, "ConsigneeSPSParty"), f"{ptr}/consignee"),
            export_country=self.value(
                self.first(self.first(cons, "ExportSPSCountry"), "ID"),
                _COUNTRY,
                f"{ptr}/exportCountry",
            ),
            import_country=self.value(
                self.first(self.first(cons, "ImportSPSCountry"), "ID"),
                _COUNTRY,
                f"{ptr}/importCountry",
            ),
            transport=tuple(transports),
        )
        return None if c == Consignment() else c

    def products(self, cons: etree._Element) -> tuple[Product, ...]:
        out: list[Product] = []
        for item in self.all(cons, "IncludedSPSConsignmentItem"):
            for li in self.all(item, "IncludedSPSTradeLineItem"):
                seq_el = self.first(li, "SequenceNumeric")
                if seq_el is None or not _SEQ_RE.match(seq_el.text or ""):
                    continue  # e.g. TRACES's line 0, "Consignment totals and summary"
                out.append(self.product(li, len(out), int(seq_el.text or "0")))
                self.mark(seq_el, f"/products/{len(out) - 1}/seq")
        return tuple(out)

    def product(self, li: etree._Element, k: int, seq: int) -> Product:
        ptr = f"/products/{k}"
        self.mark(li, ptr)
        description = self.texts(self.all(li, "Description"), f"{ptr}/description")
        classifications: list[Classification] = []
        for cel in self.all(li, "ApplicableSPSClassification"):
            cptr = f"{ptr}/classifications/{len(classifications)}"
            system = self.value(self.first(cel, "SystemID"), _TOKEN, f"{cptr}/system")
            code = self.value(self.first(cel, "ClassCode"), _TOKEN, f"{cptr}/code")
            if system is None or code is None:
                continue
            names = self.all(cel, "ClassName")
            name = self.value(names[0], _TEXT, f"{cptr}/name") if names else None
            self.mark(cel, cptr)
            classifications.append(Classification(system=system, code=code, name=name))
        common = self.value(self.first(li, "CommonName"), _TEXT, f"{ptr}/name")
        if common is not None:
            product_name = common
        else:  # SPS has no required product name: derive one, and say so
            class_names = [
                n.text or ""
                for c in self.all(li, "ApplicableSPSClassification")
                for n in self.all(c, "ClassName")
                if _fits(_TEXT, n.text)
            ]
            product_name = (
                description[0].value
                if description
                else (class_names[-1] if class_names else f"Trade line item {seq}")
            )
            self.flatten(
                li,
                f"the trade line item has no CommonName; /products/{k}/name is derived "
                f"({product_name!r})",
            )
        identifiers: list[Identifier] = []
        brand = model = None
        serials: tuple[str, ...] = ()
        for note in self.all(li, "AdditionalInformationSPSNote"):
            subject = self.first(note, "SubjectCode")
            if subject is None or subject.get("listID") != NOTE_SUBJECT_LIST:
                continue
            contents = self.all(note, "Content")
            code = subject.text
            if code == "PRODUCT_IDENTIFIER" and contents:
                iptr = f"{ptr}/identifiers/{len(identifiers)}"
                value = self.value(contents[0], _TEXT, f"{iptr}/value")
                if value is not None:
                    scheme = self.value(self.first(note, "Subject"), _TOKEN, f"{iptr}/schemeId")
                    self.mark(note, iptr)
                    identifiers.append(Identifier(value=value, scheme_id=scheme))
            elif code == "BRAND" and brand is None and contents:
                brand = self.value(contents[0], _TEXT, f"{ptr}/brand")
                self.mark(note, f"{ptr}/brand")
            elif code == "MODEL" and model is None and contents:
                model = self.value(contents[0], _TEXT, f"{ptr}/model")
                self.mark(note, f"{ptr}/model")
            elif code == "SERIAL_NUMBERS" and not serials:
                serials = tuple(c.text or "" for c in contents if _fits(_TEXT, c.text))
                self.mark(note, f"{ptr}/serials")
        batches = self.all(li, "ProductionBatchID")
        origins = self.all(li, "OriginSPSCountry")
        return Product(
            seq=seq,
            name=product_name,
            identifiers=tuple(identifiers),
            description=description,
            brand=brand,
            model=model,
            batch=self.value(batches[0], _TEXT, f"{ptr}/batch") if batches else None,
            serials=serials,
            classifications=tuple(classifications),
            net_weight=self.measure(self.first(li, "NetWeightMeasure"), f"{ptr}/netWeight"),
            gross_weight=self.measure(self.first(li, "GrossWeightMeasure"), f"{ptr}/grossWeight"),
            origin_country=self.value(
                self.first(origins[0], "ID"), _COUNTRY, f"{ptr}/originCountry"
            )
            if origins
            else None,
        )

    # tests
    def outcome(self, el: etree._Element | None, ptr: str) -> Outcome:
        code = (el.text or "") if el is not None else ""
        if code in _OUTCOME_OF:
            self.mark(el, ptr)
            return _OUTCOME_OF[code]
        if el is not None:
            self.flatten(
                el,
                f"conclusion code {code!r} is not one inspectx knows: {ptr} read as "
                "inconclusive, the code kept verbatim",
            )
        return Outcome.INCONCLUSIVE

    def note_tests(self, notes: Sequence[etree._Element]) -> tuple[Test, ...]:
        out: list[Test] = []
        for note in notes:
            ptr = f"/tests/{len(out)}"
            ref = outcome_el = None
            for code in self.all(note, "ContentCode"):
                if code.get("listID") == TEST_REFERENCE_LIST and ref is None:
                    ref = code
                elif code.get("listID") == _LAB_CONCLUSION_LIST and outcome_el is None:
                    outcome_el = code
            contents = self.all(note, "Content")
            if ref is None or not _fits(_TOKEN, ref.text) or not contents:
                continue
            name = self.value(self.first(note, "Subject"), _TEXT, f"{ptr}/parameter/name")
            method = self.value(contents[0], _TEXT, f"{ptr}/method/standard")
            if name is None or method is None:
                continue
            self.mark(note, ptr)
            self.mark(ref, f"{ptr}/id")
            remarks = self.texts(contents[1:2], f"{ptr}/remarks")
            out.append(
                Test(
                    id=ref.text or "",
                    parameter=Parameter(name=name),
                    method=Method(standard=method),
                    outcome=self.outcome(outcome_el, f"{ptr}/outcome"),
                    remarks=remarks,
                )
            )
        return tuple(out)

    def traces_tests(
        self, products: Sequence[Product]
    ) -> tuple[tuple[Test, ...], tuple[Sample, ...]]:
        tests: list[Test] = []
        samples: list[Sample] = []
        lab = self.parts.labtests
        for group in self.all(lab, "ProductSPSLaboratoryTest", TRACES_LABTEST_NS):
            cls_el = self.first(group, "ProductSPSClassification", TRACES_LABTEST_NS)
            refs: tuple[int, ...] = ()
            if cls_el is not None:
                system = self.first(cls_el, "SystemID")
                names = self.all(cls_el, "ClassName")
                if system is not None and _fits(_TOKEN, system.text):
                    cl = Classification(
                        system=system.text or "",
                        code="-",
                        name=names[0].text if names and _fits(_TEXT, names[0].text) else None,
                    )
                    refs = tuple(_matching_products(products, cl))
            for lt in self.all(group, "SPSLaboratoryTest", TRACES_LABTEST_NS):
                test, sample = self.traces_test(lt, len(tests), len(samples), refs)
                if test is None:
                    continue
                if refs and cls_el is not None:
                    self.mark(cls_el, f"/tests/{len(tests)}/productRefs")
                tests.append(test)
                if sample is not None:
                    samples.append(sample)
        return tuple(tests), tuple(samples)

    def traces_test(
        self, lt: etree._Element, k: int, n_samples: int, refs: tuple[int, ...]
    ) -> tuple[Test | None, Sample | None]:
        ns = TRACES_LABTEST_NS
        ptr = f"/tests/{k}"
        ref = self.first(lt, "Reference", ns)
        desc = self.first(lt, "TestDescriptor", ns)
        analysis = self.first(lt, "Analysys", ns)
        ref_ns = TRACES_LABTEST_REF_NS
        name = self.value(self.first(desc, "Description", ref_ns), _TEXT, f"{ptr}/parameter/name")
        method = self.value(
            self.first(analysis, "LaboratoryTestMethod", ns), _TEXT, f"{ptr}/method/standard"
        )
        if ref is None or not _fits(_TOKEN, ref.text) or name is None or method is None:
            return None, None
        self.mark(lt, ptr)
        self.mark(ref, f"{ptr}/id")
        code_el = self.first(desc, "ID", ref_ns)
        code = None
        if code_el is not None and _fits(_TOKEN, code_el.text):
            self.mark(code_el, f"{ptr}/parameter/code")
            code = Code(value=code_el.text or "", list_id=self.attr(code_el, "schemeID", _TOKEN))
        category_el = self.first(desc, "CategoryCode", ref_ns)
        category = None
        if category_el is not None and _fits(_TOKEN, category_el.text):
            self.mark(category_el, f"{ptr}/category")
            category = Code(
                value=category_el.text or "", list_id=self.attr(category_el, "listID", _TOKEN)
            )
        results = self.first(analysis, "LaboratoryResults", ns)
        remarks = self.texts([results] if results is not None else [], f"{ptr}/remarks")
        if remarks and results is not None:
            self.flatten(
                results,
                f"LaboratoryResults is free text: kept as {ptr}/remarks/0, no structured result",
            )
        conclusion = self.first(analysis, "LaboratoryConclusionCode", ns)
        sampled = self.direct_when(
            self.first(analysis, "SamplingDateTime", ns), f"/samples/{n_samples}/takenAt"
        )
        received = self.direct_when(
            self.first(analysis, "LaboratoryReceiptDateTime", ns),
            f"/samples/{n_samples}/receivedAt",
        )
        sample = None
        if sampled is not None or received is not None:
            sample = Sample(
                id=ref.text or "", product_refs=refs, taken_at=sampled, received_at=received
            )
        test = Test(
            id=ref.text or "",
            parameter=Parameter(name=name, code=code),
            method=Method(standard=method),
            outcome=self.outcome(conclusion, f"{ptr}/outcome"),
            product_refs=refs,
            sample_refs=(sample.id,) if sample is not None else (),
            category=category,
            remarks=remarks,
        )
        return test, sample


# --- the residue: what the model does not hold, kept verbatim -------------------------------

_X = f"{{{INSPECTX_SPS_NS}}}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Op:
    """One difference between a rendering and the SPS document it came from.

    ``kind``: ``attrs`` (the source's attributes of the element at ``at``), ``text`` (the
    source's text of it), ``keep`` (a source element the rendering lacks, child of ``at``,
    at ``index`` among the source's children, placed among the rendered ``siblings``),
    ``omit`` (a rendered child ``name`` of ``at`` the source lacks). ``owners`` are the model
    fields (JSON Pointers) the difference depends on, ``digest`` their SHA-256 at import.
    """

    kind: str
    at: str
    owners: tuple[str, ...]
    digest: str
    source: str
    attrs: tuple[tuple[str, str], ...] = ()
    text: str = ""
    element: etree._Element | None = None
    index: int = 0
    siblings: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Residue:
    layout: _Layout
    ops: tuple[_Op, ...]


def _pointer_value(data: Any, pointer: str) -> Any:
    node = data
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node


def _digest(data: Any, owners: Sequence[str]) -> str:
    values = [[p, _pointer_value(data, p)] for p in owners]
    return hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _owners(out: _Out, el: etree._Element) -> tuple[str, ...]:
    """The model fields an element of a rendering depends on: its own and its ancestors'."""
    found: set[str] = set()
    node: etree._Element | None = el
    while node is not None:
        found.update(out.owner.get(node, ()))
        node = node.getparent()
    return tuple(sorted(found))


def _detached(el: etree._Element) -> etree._Element:
    twin = copy.deepcopy(el)
    twin.tail = None
    etree.cleanup_namespaces(twin)
    return twin


class _Differ:
    """Compares an SPS document with the rendering of what was read from it."""

    def __init__(self, out: _Out, data: Any, src: dict[etree._Element, str]) -> None:
        self.out = out
        self.data = data
        self.src = src
        self.ops: list[_Op] = []
        self.losses: list[Loss] = []
        self.path_of: dict[etree._Element, str] = {}

    def run(self, source: etree._Element, rendered: etree._Element) -> None:
        _, self.path_of = _index(rendered)
        self.diff(source, rendered)

    def op(
        self, kind: str, r: etree._Element, owners: tuple[str, ...], source: str, **kw: Any
    ) -> None:
        self.ops.append(
            _Op(
                kind=kind,
                at=self.path_of[r],
                owners=owners,
                digest=_digest(self.data, owners),
                source=source,
                **kw,
            )
        )

    def loss(self, field: str, kind: LossKind, reason: str) -> None:
        self.losses.append(Loss(field=field, kind=kind, reason=reason))

    def diff(self, o: etree._Element, r: etree._Element) -> None:
        where = _opath(o)
        oattrs, rattrs = _attrs(o), _attrs(r)
        if oattrs != rattrs:
            self.op("attrs", r, _owners(self.out, r), where, attrs=tuple(sorted(oattrs.items())))
            for name in sorted(set(oattrs) | set(rattrs)):
                if oattrs.get(name) == rattrs.get(name):
                    continue
                label = f"{where}/@{etree.QName(name).localname}"
                if name not in rattrs:
                    why = "no inspectx field holds this attribute"
                elif name not in oattrs:
                    why = "absent in the SPS; the rendering of the model would add it"
                else:
                    why = f"the model holds {rattrs[name]!r}"
                self.loss(label, LossKind.FLATTENED, f"{why}; kept verbatim in the SPS residue")
        oc, rc = _elements(o), _elements(r)
        otext, rtext = o.text or "", r.text or ""
        if oc and not otext.strip():
            otext = ""
        if rc and not rtext.strip():
            rtext = ""
        if otext != rtext:
            self.op("text", r, _owners(self.out, r), where, text=otext)
            why = (
                "the SPS value is not held by the model"
                if not rtext
                else (f"the model holds {rtext!r}")
            )
            self.loss(where, LossKind.FLATTENED, f"{why}; the SPS text is kept verbatim")
        for child in oc:
            if (child.tail or "").strip():
                self.loss(_opath(child), LossKind.DROPPED, "text after an element (mixed content)")
        okeys = [_canon(c) for c in oc]
        rkeys = [_canon(c) for c in rc]
        pairs: list[tuple[int, int]] = []
        o_only: list[int] = []
        r_only: list[int] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(
            None, okeys, rkeys, autojunk=False
        ).get_opcodes():
            if tag == "equal":
                pairs.extend(zip(range(i1, i2), range(j1, j2), strict=True))
                continue
            runs_o = _runs(oc, range(i1, i2))
            runs_r = _runs(rc, range(j1, j2))
            sub = SequenceMatcher(
                None, [t for t, _ in runs_o], [t for t, _ in runs_r], autojunk=False
            )
            for t2, a1, a2, b1, b2 in sub.get_opcodes():
                if t2 != "equal":
                    o_only.extend(i for _, run in runs_o[a1:a2] for i in run)
                    r_only.extend(j for _, run in runs_r[b1:b2] for j in run)
                    continue
                for (_, run_o), (_, run_r) in zip(runs_o[a1:a2], runs_r[b1:b2], strict=True):
                    # as many of one name on both sides: the same things, in order;
                    # otherwise pair only those that resemble each other
                    if len(run_o) == len(run_r):
                        pairs.extend(zip(run_o, run_r, strict=True))
                        continue
                    start = 0
                    for i in run_o:
                        match = next(
                            (
                                n
                                for n in range(start, len(run_r))
                                if _similar(okeys[i], rkeys[run_r[n]])
                            ),
                            None,
                        )
                        if match is None:
                            o_only.append(i)
                        else:
                            r_only.extend(run_r[start:match])
                            pairs.append((i, run_r[match]))
                            start = match + 1
                    r_only.extend(run_r[start:])
        pairs.sort()
        for i, j in pairs:
            if okeys[i] != rkeys[j]:
                self.diff(oc[i], rc[j])
        siblings = tuple(_step(rc[j].tag) for j in sorted(j for _, j in pairs))
        for j in r_only:
            child = rc[j]
            owners = _owners(self.out, child)
            self.op("omit", r, owners, where, name=_step(child.tag))
            fields = ", ".join(self.out.owner.get(child, ())) or "the rendering"
            self.loss(
                f"{where}/{etree.QName(child).localname}",
                LossKind.FLATTENED,
                f"absent in the SPS; the model value ({fields}) is derived or a default, "
                "and left out again on export while unchanged",
            )
        parent_owners = _owners(self.out, r)
        for i in o_only:
            kept = oc[i]
            read = {self.src[e] for e in kept.iter() if e in self.src}
            owners = tuple(sorted(set(parent_owners) | read))
            self.op(
                "keep", r, owners, _opath(kept), element=_detached(kept), index=i, siblings=siblings
            )
            self.loss(
                _opath(kept),
                LossKind.FLATTENED,
                "no inspectx field holds this element; kept verbatim in the SPS residue",
            )


def _runs(children: list[etree._Element], span: range) -> list[tuple[str, list[int]]]:
    """Consecutive children of one element name, as (name, indices)."""
    runs: list[tuple[str, list[int]]] = []
    for i in span:
        if runs and runs[-1][0] == children[i].tag:
            runs[-1][1].append(i)
        else:
            runs.append((children[i].tag, [i]))
    return runs


def _similar(okey: tuple[Any, ...], rkey: tuple[Any, ...]) -> bool:
    """Whether two same-named elements are the same thing with different details: leaves
    always are; elements with children if at least half their children agree."""
    if not okey[3] and not rkey[3]:
        return True
    ratio = SequenceMatcher(None, list(okey[3]), list(rkey[3]), autojunk=False).ratio()
    return ratio >= 0.5


def _residue_xml(residue: _Residue) -> str:
    root = etree.Element(_X + "residue", nsmap={"x": INSPECTX_SPS_NS})
    root.set("version", "1")
    lay = residue.layout
    if lay.traces:
        etree.SubElement(
            root,
            _X + "layout",
            root=lay.root or "",
            container=lay.container or "",
            labtests=lay.labtests or "",
        )
    for op in residue.ops:
        el = etree.SubElement(root, _X + op.kind)
        el.set("at", op.at)
        el.set("owners", " ".join(op.owners))
        el.set("digest", op.digest)
        el.set("source", op.source)
        if op.kind == "attrs":
            for name, value in op.attrs:
                a = etree.SubElement(el, _X + "attr", name=name)
                a.text = value
        elif op.kind == "text":
            el.text = op.text
        elif op.kind == "keep":
            assert op.element is not None
            el.set("index", str(op.index))
            el.set("siblings", " ".join(op.siblings))
            el.append(copy.deepcopy(op.element))
        else:
            el.set("name", op.name)
    return etree.tostring(root, encoding="unicode")


def _clark(value: str | None) -> str | None:
    """A Clark name of the residue's layout, checked (``None`` if absent)."""
    if not value:
        return None
    try:
        qname = etree.QName(value)
    except ValueError:
        raise InspectxError("sps.residue", f"{value!r} is not an element name") from None
    if not qname.namespace:
        raise InspectxError("sps.residue", f"{value!r} has no namespace")
    return value


def _read_residue(content: str, limits: Limits) -> _Residue:
    try:
        return _parse_residue(content, limits)
    except ValueError as exc:
        raise InspectxError("sps.residue", f"a residue entry is malformed ({exc})") from None


def _parse_residue(content: str, limits: Limits) -> _Residue:
    root = parse_xml(content.encode("utf-8"), limits)
    if root.tag != _X + "residue" or root.get("version") != "1":
        raise InspectxError("sps.residue", "not an inspectx SPS residue (version 1)")
    layout = _SPS_LAYOUT
    ops: list[_Op] = []
    for el in _elements(root):
        kind = etree.QName(el).localname
        if kind == "layout":
            layout = _Layout(
                root=_clark(el.get("root")),
                container=_clark(el.get("container")),
                labtests=_clark(el.get("labtests")),
            )
            continue
        base = _Op(
            kind=kind,
            at=el.get("at") or "",
            owners=tuple((el.get("owners") or "").split()),
            digest=el.get("digest") or "",
            source=el.get("source") or "",
        )
        if kind == "attrs":
            attrs = tuple((a.get("name") or "", a.text or "") for a in _elements(el))
            ops.append(replace(base, attrs=attrs))
        elif kind == "text":
            ops.append(replace(base, text=el.text or ""))
        elif kind == "keep":
            kids = _elements(el)
            if len(kids) != 1:
                raise InspectxError("sps.residue", "a kept entry holds one element")
            if _carrier_in(kids[0]):
                raise InspectxError("sps.residue", "a kept entry holds an inspectx extension note")
            if int(el.get("index") or "0") < 0:
                raise InspectxError("sps.residue", "a kept entry has a negative index")
            ops.append(
                replace(
                    base,
                    element=kids[0],
                    index=int(el.get("index") or "0"),
                    siblings=tuple((el.get("siblings") or "").split()),
                )
            )
        elif kind == "omit":
            ops.append(replace(base, name=el.get("name") or ""))
        else:
            raise InspectxError("sps.residue", f"unknown residue entry {kind!r}")
    if layout.traces and not (layout.container and layout.labtests):
        raise InspectxError("sps.residue", "incomplete TRACES layout")
    return _Residue(layout=layout, ops=tuple(ops))


def _insert_in_slot(parent: etree._Element, child: etree._Element) -> bool:
    """Insert ``child`` after the last sibling that comes before or with it in the content
    model of ``parent``; ``False`` if the content model or the child is unknown."""
    order = _CHILD_ORDER.get(_local(parent))
    if order is None or _local(child) not in order:
        return False
    rank = order.index(_local(child))
    position = 0
    for i, sibling in enumerate(_elements(parent)):
        name = _local(sibling)
        if name in order and order.index(name) <= rank:
            position = i + 1
    parent.insert(position, child)
    return True


def _apply(root: etree._Element, out: _Out, residue: _Residue, data: Any, field: str) -> list[Loss]:
    """Re-apply kept SPS content whose model fields are unchanged; report the rest."""
    by_path, _ = _index(root)
    losses: list[Loss] = []

    def stale(op: _Op, why: str) -> None:
        losses.append(
            Loss(
                field=field,
                kind=LossKind.DROPPED,
                reason=f"SPS content kept from the document this certificate was read from "
                f"({op.kind} at {op.source}) is not written: {why}",
            )
        )

    targets: list[tuple[_Op, etree._Element]] = []
    for op in residue.ops:
        el = by_path.get(op.at)
        if el is None:
            stale(op, "its place no longer exists")
        elif op.kind in ("attrs", "text") and _owners(out, el) != op.owners:
            stale(op, "its place now holds other data")
        elif _digest(data, op.owners) != op.digest:
            stale(op, f"{', '.join(op.owners)} changed")
        else:
            targets.append((op, el))
    omitted: list[etree._Element] = []
    for op, el in targets:
        if op.kind == "attrs":
            el.attrib.clear()
            for name, value in op.attrs:
                el.set(name, value)
        elif op.kind == "text":
            el.text = op.text
        elif op.kind == "omit":
            victim = next(
                (
                    c
                    for c in _elements(el)
                    if _step(c.tag) == op.name and c not in omitted and _owners(out, c) == op.owners
                ),
                None,
            )
            if victim is None:
                stale(op, "the element to leave out is not there")
            else:
                omitted.append(victim)
    for victim in omitted:
        parent = victim.getparent()
        if parent is not None:
            parent.remove(victim)
    positions: dict[str, set[int]] = {}
    for op in residue.ops:
        if op.kind == "keep":
            positions.setdefault(op.at, set()).add(op.index)
    keeps: dict[str, tuple[etree._Element, list[_Op]]] = {}
    for op, el in targets:
        if op.kind == "keep":
            keeps.setdefault(op.at, (el, []))[1].append(op)
    for at, (el, ops) in keeps.items():
        current = _elements(el)
        if all(list(op.siblings) == [_step(c.tag) for c in current] for op in ops):
            placed = {op.index: op.element for op in ops}
            rendered = iter(current)
            children: list[etree._Element] = []
            for position in range(len(current) + len(positions[at])):
                if position in placed:
                    node = placed[position]
                    assert node is not None
                    children.append(copy.deepcopy(node))
                elif position not in positions[at]:
                    nxt = next(rendered, None)
                    if nxt is not None:
                        children.append(nxt)
            children.extend(rendered)
            for child in current:
                el.remove(child)
            for child in children:
                el.append(child)
        else:  # the rendering around it changed: place by the content model
            for op in sorted(ops, key=lambda o: o.index):
                assert op.element is not None
                if not _insert_in_slot(el, copy.deepcopy(op.element)):
                    stale(op, "the elements around it changed and its place is unknown")
    return losses


# --- public API -----------------------------------------------------------------------------


def _parse(data: bytes, limits: Limits) -> etree._Element:
    try:
        return parse_xml(data, limits)
    except InputError as exc:
        m = re.search(r"Namespace prefix (\S+) (?:for \S+ )?on (\S+) is not defined", exc.message)
        if exc.code == "format.xml.syntax" and m:
            raise SpsError(
                "sps.unbound-prefix",
                f"the namespace prefix {m.group(1)} (on {m.group(2)}) is never declared: this "
                "is a fragment cut out of a larger message, not a namespace-well-formed SPS "
                "document",
                hint="export the complete message (its root declares the namespaces), or wrap "
                "the fragment in an element that declares them",
                location=exc.location,
            ) from None
        raise


def _carrier_in(el: etree._Element) -> bool:
    """Whether ``el`` is or holds an inspectx extension note (never kept: it is written anew)."""
    return any(
        code.get("listID") == NOTE_SUBJECT_LIST and code.text == "INSPECTX_CERTIFICATE"
        for code in el.iter(_ram("SubjectCode"))
    )


def _carrier(doc: etree._Element) -> etree._Element | None:
    for note in doc.findall(_ram("IncludedSPSNote")):
        subject = note.find(_ram("SubjectCode"))
        if (
            subject is not None
            and subject.get("listID") == NOTE_SUBJECT_LIST
            and subject.text == "INSPECTX_CERTIFICATE"
        ):
            return note
    return None


def _restore(
    carrier: etree._Element, root: etree._Element, limits: Limits
) -> tuple[Certificate | None, str]:
    contents = carrier.findall(_ram("Content"))
    try:
        if len(contents) != 1:
            raise InspectxError("sps.extension", "the note must hold exactly one Content")
        cert = certificate_from_data(load_json((contents[0].text or "").encode("utf-8"), limits))
        again = etree.fromstring(export_sps(cert, extension=True).data, _plain_parser())
    except InspectxError as exc:
        return None, (
            f"the inspectx extension is not a certificate inspectx can read ({exc.code}: "
            f"{exc.message}); it is ignored and the certificate is read from the SPS elements"
        )
    if _canon(again) == _canon(root):
        return cert, ""
    return None, (
        "the inspectx extension does not match the SPS content it travels with (first "
        f"difference at {_first_difference(root, again)}): the SPS was changed after it was "
        "written, so the extension is ignored and the certificate is read from the SPS elements"
    )


def _plain_parser() -> etree.XMLParser:
    """For re-reading inspectx's own output (no size caps: it is not untrusted input)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def import_sps(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Imported:
    """Read an SPS eCert XML document (SPSCertificate:17, RAM:21) into the model.

    Returns :class:`~.conversion.Imported`: the certificate, and every part of the SPS
    document the model does not hold in its own fields, located by XPath (``FLATTENED``:
    kept verbatim in the ``residue`` extension, so :func:`export_sps` writes it again;
    ``DROPPED``: lost). A certificate carried in an inspectx extension note is restored
    exactly (and no loss is reported) if it is consistent with the document; otherwise it
    is ignored and that is reported. Raises :class:`InputError` (``format.*``) for bytes
    the hardened parser refuses and :class:`SpsError` (``sps.*``) for an SPS document this
    adapter cannot read. No network, no file access.
    """
    root = _parse(data, limits)
    parts = _locate(root)
    losses: list[Loss] = []
    carrier = _carrier(parts.exchanged)
    if carrier is not None:
        restored, problem = _restore(carrier, root, limits)
        if restored is not None:
            return Imported(certificate=restored, losses=())
        losses.append(Loss(field=_opath(carrier), kind=LossKind.DROPPED, reason=problem))
        parts.exchanged.remove(carrier)
    reader = _Reader(parts)
    cert = reader.read()
    try:
        data_ = certificate_to_data(cert)
    except InspectxError as exc:  # a value the model cannot hold slipped through
        raise SpsError(
            "sps.malformed",
            f"the SPS document holds a value the inspectx model cannot: {exc.message}",
            hint=exc.hint,
            location=_where(root),
        ) from None
    out = _Out(cert, parts.layout)
    rendered = out.render()
    differ = _Differ(out, data_, reader.src)
    differ.run(root, rendered)
    mapped = {loss.field for loss in reader.losses}
    losses += reader.losses
    losses += [loss for loss in differ.losses if loss.field not in mapped]
    if differ.ops or parts.layout.traces:
        residue = _Residue(layout=parts.layout, ops=tuple(differ.ops))
        cert = replace(
            cert,
            extensions=(
                Extension(
                    ns=INSPECTX_SPS_NS,
                    name="residue",
                    media_type="application/xml",
                    content=_residue_xml(residue),
                ),
            ),
        )
    again = etree.fromstring(export_sps(cert, extension=False).data, _plain_parser())
    if _canon(again) != _canon(root):  # a safety net: nothing is lost unreported
        losses.append(
            Loss(
                field=_first_difference(root, again),
                kind=LossKind.DROPPED,
                reason="inspectx does not write this part of the SPS document back as it was",
            )
        )
    return Imported(certificate=cert, losses=tuple(losses))


def export_sps(cert: Certificate, *, extension: bool = True) -> Exported:
    """Write a certificate as SPS eCert XML (SPSCertificate:17 with RAM:21).

    Returns :class:`~.conversion.Exported`: UTF-8 bytes (two-space indent, final newline,
    deterministic) and the fields the SPS rendering flattened or dropped, as JSON Pointers
    into the certificate. With ``extension=True`` the certificate's inspectx JSON travels
    in an ``INSPECTX_CERTIFICATE`` note, :func:`import_sps` restores it exactly, and no loss
    is reported. Raises :class:`~inspectx.errors.ModelError` for a model that cannot be
    rendered (e.g. a naive datetime).
    """
    data = certificate_to_data(cert)
    index = _residue_index(cert)
    residue: _Residue | None = None
    losses: list[Loss] = []
    if index is not None:
        try:
            residue = _read_residue(cert.extensions[index].content, DEFAULT_LIMITS)
        except InspectxError as exc:
            losses.append(
                Loss(
                    field=f"/extensions/{index}",
                    kind=LossKind.DROPPED,
                    reason=f"the SPS residue cannot be read ({exc.message})",
                )
            )
    out = _Out(cert, residue.layout if residue is not None else _SPS_LAYOUT)
    root = out.render()
    losses = out.losses + losses
    if residue is not None:
        losses += _apply(root, out, residue, data, f"/extensions/{index}")
    if extension:
        assert out.exchanged is not None
        note = etree.Element(_ram("IncludedSPSNote"))
        etree.SubElement(note, _ram("Subject")).text = "inspectx certificate (inspectx JSON)"
        etree.SubElement(note, _ram("Content")).text = dump_json(cert).decode("utf-8")
        code = etree.SubElement(note, _ram("SubjectCode"), listID=NOTE_SUBJECT_LIST)
        code.text = "INSPECTX_CERTIFICATE"
        _insert_in_slot(out.exchanged, note)
        losses = []
    etree.cleanup_namespaces(root)
    etree.indent(root, space="  ")
    body = etree.tostring(root, encoding="UTF-8")
    return Exported(
        data=b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n", losses=tuple(losses)
    )
