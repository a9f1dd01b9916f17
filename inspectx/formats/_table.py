"""The declarative field table: the one source of truth for inspectx JSON and XML.

For each model class it lists, in serialisation order, every field with its
wire name (the JSON member name and the XML element local name), its kind,
cardinality and lexical space. The JSON codec, the XML codec, the JSON Schema
and the XSD are all derived from this table; ``tests/test_table.py`` checks
that it covers every dataclass field of the model and nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypedDict, Unpack

from inspectx import model as m

__all__ = [
    "CERTIFICATE",
    "CERTIFICATE_NS",
    "RECORDS",
    "ROOT_ELEMENT",
    "Field",
    "Kind",
    "Lexical",
    "Record",
    "Vocabulary",
]

CERTIFICATE_NS: Final = "urn:inspectx:certificate:1"
ROOT_ELEMENT: Final = "certificate"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"


class Kind(enum.Enum):
    STRING = "string"  # text in a lexical space (see Lexical)
    DECIMAL = "decimal"  # Decimal <-> decimal string, exponent kept
    DATETIME = "datetime"  # aware datetime <-> RFC 3339 with offset
    DATE = "date"  # date <-> YYYY-MM-DD
    INTEGER = "integer"  # int <-> JSON integer / XML digits
    ENUM = "enum"  # StrEnum <-> its value
    BASE64 = "base64"  # bytes <-> base64 text
    RECORD = "record"  # nested dataclass


@dataclass(frozen=True, slots=True)
class Lexical:
    """A lexical space: one regular expression valid in XSD, ECMA 262 and Python.

    ``pattern`` is unanchored (XSD anchors implicitly); the JSON Schema wraps it
    as ``^(...)$(?!\\n)`` because Python's ``$`` also matches before a final newline.
    """

    name: str
    pattern: str | None = None
    max_length: int | None = 1024
    maximum: int | None = None  # set for integer spaces: a JSON integer in 1..maximum


TEXT = Lexical("text", max_length=4096)
# at most 2.5 M characters: 10 MB of UTF-8, libxml2's cap on one text node
LONG_TEXT = Lexical("longText", max_length=2_500_000)
TOKEN = Lexical("token", r"[^ \t\r\n]+", max_length=256)
URI = Lexical("uri", r"[A-Za-z][A-Za-z0-9+.\-]*:[^ \t\r\n]+", max_length=2048)
COUNTRY = Lexical("countryCode", r"[A-Z]{2}", max_length=None)
LANGUAGE = Lexical("language", r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", max_length=64)
UNIT = Lexical("unitCode", r"[A-Z0-9]{1,3}", max_length=None)
MEDIA_TYPE = Lexical(
    "mediaType", r"[a-z]+/[A-Za-z0-9.+\-]+(; ?[A-Za-z0-9\-]+=[A-Za-z0-9.\-]+)*", 256
)
NCNAME = Lexical("ncName", r"[A-Za-z_][A-Za-z0-9._\-]*", max_length=256)
EMAIL = Lexical("email", r"[^@ \t\r\n]+@[^@ \t\r\n]+", max_length=320)
DECIMAL = Lexical("decimal", r"-?[0-9]+(\.[0-9]+)?", max_length=64)
_DAY = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE = Lexical("date", _DAY, max_length=None)
DATETIME = Lexical(
    "dateTime",
    _DAY + r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+\-]([01][0-9]|2[0-3]):[0-5][0-9])",
    max_length=None,
)
# no pattern: a regular expression over megabytes of base64 overflows jsonschema-rs's
# backtracking engine; the model checks that the text is canonical base64
BASE64 = Lexical("base64", max_length=2_500_000)
# a proof's times are kept as written (the signature covers their text): any RFC 3339
# date-time, with or without fraction, "Z" or an offset
DATETIME_TEXT = Lexical(
    "dateTimeText",
    _DAY + r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"(Z|[+\-]([01][0-9]|2[0-3]):[0-5][0-9])",
    max_length=64,
)
MAX_INTEGER: Final = 999_999
INTEGER = Lexical("positiveInteger", r"[1-9][0-9]{0,5}", max_length=None, maximum=MAX_INTEGER)

LEXICAL_OF_KIND = {
    Kind.DECIMAL: DECIMAL,
    Kind.DATETIME: DATETIME,
    Kind.DATE: DATE,
    Kind.BASE64: BASE64,
    Kind.INTEGER: INTEGER,
}


@dataclass(frozen=True, slots=True)
class Field:
    attr: str  # the dataclass attribute
    name: str  # the JSON member and XML element (or attribute) name
    kind: Kind
    target: type | None = None  # the record class or the enum class
    lexical: Lexical | None = None  # for Kind.STRING; for others, to narrow the kind's space
    repeated: bool = False
    required: bool = False
    unique: bool = False  # a repeated field whose items must differ (JSON only: XSD 1.0 cannot say)

    @property
    def lex(self) -> Lexical | None:
        return self.lexical if self.lexical is not None else LEXICAL_OF_KIND.get(self.kind)


@dataclass(frozen=True, slots=True)
class Record:
    """A model class on the wire.

    A record with ``content`` is a typed-value wrapper: in XML the content field
    is the element's text and every other field is an attribute; in JSON all
    fields are members. Other records are elements with child elements only.
    ``choice`` names adjacent optional fields of which exactly one must be present.
    """

    cls: type
    name: str  # the schema type name
    fields: tuple[Field, ...]
    content: str | None = None
    choice: tuple[str, ...] = ()

    def field(self, wire_name: str) -> Field | None:
        for f in self.fields:
            if f.name == wire_name:
                return f
        return None


class _Card(TypedDict, total=False):
    repeated: bool
    required: bool
    unique: bool


R: _Card = {"repeated": True}
REQ: _Card = {"required": True}
RR: _Card = {"repeated": True, "required": True}


def _s(attr: str, name: str, lexical: Lexical = TEXT, **card: Unpack[_Card]) -> Field:
    return Field(attr, name, Kind.STRING, lexical=lexical, **card)


def _k(
    attr: str, name: str, kind: Kind, lexical: Lexical | None = None, **card: Unpack[_Card]
) -> Field:
    return Field(attr, name, kind, lexical=lexical, **card)


def _e(attr: str, name: str, enum_cls: type, **card: Unpack[_Card]) -> Field:
    return Field(attr, name, Kind.ENUM, target=enum_cls, **card)


def _r(attr: str, name: str, cls: type, **card: Unpack[_Card]) -> Field:
    return Field(attr, name, Kind.RECORD, target=cls, **card)


_RECORDS: tuple[Record, ...] = (
    Record(m.Text, "Text", (_s("value", "value", **REQ), _s("lang", "lang", LANGUAGE)), "value"),
    Record(
        m.Code,
        "Code",
        (
            _s("value", "value", TOKEN, **REQ),
            _s("list_id", "listId", TOKEN),
            _s("list_version", "listVersion", TOKEN),
        ),
        "value",
    ),
    Record(
        m.Identifier,
        "Identifier",
        (
            _s("value", "value", **REQ),
            _s("scheme_id", "schemeId", TOKEN),
            _s("scheme_agency_id", "schemeAgencyId", TOKEN),
        ),
        "value",
    ),
    Record(
        m.Measure,
        "Measure",
        (_k("value", "value", Kind.DECIMAL, **REQ), _s("unit", "unit", UNIT, **REQ)),
        "value",
    ),
    Record(
        m.Address,
        "Address",
        (
            _s("lines", "lines", **R),
            _s("city", "city"),
            _s("postcode", "postcode"),
            _s("subdivision", "subdivision", TOKEN),
            _s("country_code", "countryCode", COUNTRY, **REQ),
        ),
    ),
    Record(
        m.Contact,
        "Contact",
        (_s("person_name", "personName"), _s("email", "email", EMAIL), _s("phone", "phone")),
    ),
    Record(
        m.Party,
        "Party",
        (
            _s("id", "id", URI),
            _r("identifiers", "identifiers", m.Identifier, **R),
            _s("name", "name", **REQ),
            _r("roles", "roles", m.Code, **R),
            _r("address", "address", m.Address),
            _r("contact", "contact", m.Contact),
        ),
    ),
    Record(
        m.Attestation,
        "Attestation",
        (
            _e("type", "type", m.AttestationType, **REQ),
            _e("assessor_level", "assessorLevel", m.AssessorLevel),
            _e("assessment_level", "assessmentLevel", m.AssessmentLevel),
        ),
    ),
    Record(
        m.Digest, "Digest", (_s("alg", "alg", TOKEN, **REQ), _s("value", "value", TOKEN, **REQ))
    ),
    Record(
        m.DocumentRef,
        "DocumentRef",
        (
            _s("id", "id", TOKEN),
            _s("type", "type", TOKEN, **REQ),
            _s("uri", "uri", URI),
            _s("media_type", "mediaType", MEDIA_TYPE),
            _r("digest", "digest", m.Digest),
            _k("data", "data", Kind.BASE64),
        ),
    ),
    Record(
        m.AccreditationScope,
        "AccreditationScope",
        (_s("methods", "methods", **R), _s("product_classes", "productClasses", TOKEN, **R)),
    ),
    Record(
        m.Accreditation,
        "Accreditation",
        (
            _s("id", "id", TOKEN),
            _r("body", "body", m.Party, **REQ),
            _r("number", "number", m.Identifier, **REQ),
            _e("standard", "standard", m.AccreditationStandard, **REQ),
            _r("scope", "scope", m.AccreditationScope),
            _k("valid_from", "validFrom", Kind.DATE),
            _k("valid_until", "validUntil", Kind.DATE),
            _r("evidence", "evidence", m.DocumentRef),
        ),
    ),
    Record(
        m.Transport,
        "Transport",
        (
            _r("mode", "mode", m.Code),
            _r("means_id", "meansId", m.Identifier),
            _r("equipment_ids", "equipmentIds", m.Identifier, **R),
            _r("seals", "seals", m.Identifier, **R),
        ),
    ),
    Record(
        m.OrderRef,
        "OrderRef",
        (
            _s("platform", "platform", **REQ),
            _s("order_id", "orderId", TOKEN, **REQ),
            _s("line_ids", "lineIds", TOKEN, **R),
        ),
    ),
    Record(
        m.Consignment,
        "Consignment",
        (
            _s("id", "id", TOKEN),
            _r("consignor", "consignor", m.Party),
            _r("consignee", "consignee", m.Party),
            _s("export_country", "exportCountry", COUNTRY),
            _s("import_country", "importCountry", COUNTRY),
            _r("transport", "transport", m.Transport, **R),
            _r("order_refs", "orderRefs", m.OrderRef, **R),
            _r("parcel_refs", "parcelRefs", m.Identifier, **R),
            _r("customs_refs", "customsRefs", m.Identifier, **R),
        ),
    ),
    Record(
        m.Classification,
        "Classification",
        (
            _s("system", "system", TOKEN, **REQ),
            _s("code", "code", TOKEN, **REQ),
            _s("name", "name"),
        ),
    ),
    Record(
        m.Product,
        "Product",
        (
            _k("seq", "seq", Kind.INTEGER, **REQ),
            _r("identifiers", "identifiers", m.Identifier, **R),
            _s("name", "name", **REQ),
            _r("description", "description", m.Text, **R),
            _s("brand", "brand"),
            _s("model", "model"),
            _s("batch", "batch"),
            _s("serials", "serials", **R),
            _r("classifications", "classifications", m.Classification, **R),
            _r("quantity", "quantity", m.Measure),
            _r("net_weight", "netWeight", m.Measure),
            _r("gross_weight", "grossWeight", m.Measure),
            _s("origin_country", "originCountry", COUNTRY),
            _r("manufacturer", "manufacturer", m.Party),
        ),
    ),
    Record(
        m.Sample,
        "Sample",
        (
            _s("id", "id", TOKEN, **REQ),
            _k("product_refs", "productRefs", Kind.INTEGER, **R),
            _k("taken_at", "takenAt", Kind.DATETIME),
            _r("taken_by", "takenBy", m.Party),
            _s("place", "place"),
            _s("plan", "plan"),
            _r("size", "size", m.Measure),
            _k("received_at", "receivedAt", Kind.DATETIME),
        ),
    ),
    Record(m.Parameter, "Parameter", (_s("name", "name", **REQ), _r("code", "code", m.Code))),
    Record(
        m.Method,
        "Method",
        (
            _s("standard", "standard", **REQ),
            _s("version", "version", TOKEN),
            _s("clause", "clause"),
            _s("name", "name"),
        ),
    ),
    Record(
        m.LabRef,
        "LabRef",
        (_s("party_id", "partyId", URI, **REQ), _s("accreditation_ref", "accreditationRef", TOKEN)),
    ),
    Record(
        m.Uncertainty,
        "Uncertainty",
        (_k("value", "value", Kind.DECIMAL, **REQ), _k("k", "k", Kind.DECIMAL)),
    ),
    Record(
        m.Result,
        "Result",
        (
            _s("parameter", "parameter"),
            _k("value", "value", Kind.DECIMAL),
            _e("code", "code", m.QualitativeResult),
            _e("qualifier", "qualifier", m.Qualifier),
            _s("unit", "unit", UNIT),
            _r("uncertainty", "uncertainty", m.Uncertainty),
            _k("lod", "lod", Kind.DECIMAL),
            _k("loq", "loq", Kind.DECIMAL),
        ),
    ),
    Record(
        m.RequirementSource,
        "RequirementSource",
        (
            _e("type", "type", m.SourceType, **REQ),
            _s("jurisdiction", "jurisdiction", TOKEN),
            _s("id", "id", **REQ),
            _s("article", "article"),
        ),
    ),
    Record(
        m.Requirement,
        "Requirement",
        (
            _s("id", "id", TOKEN),
            _r("source", "source", m.RequirementSource),
            _e("comparator", "comparator", m.Comparator, **REQ),
            _r("limit", "limit", m.Measure, **REQ),
            _r("upper_limit", "upperLimit", m.Measure),
            _s("market", "market", COUNTRY),
        ),
    ),
    Record(
        m.DecisionRule,
        "DecisionRule",
        (
            _e("type", "type", m.DecisionRuleType, **REQ),
            _k("guard_band", "guardBand", Kind.DECIMAL),
            _s("reference", "reference"),
        ),
    ),
    Record(
        m.Test,
        "Test",
        (
            _s("id", "id", TOKEN, **REQ),
            _k("product_refs", "productRefs", Kind.INTEGER, **R),
            _s("sample_refs", "sampleRefs", TOKEN, **R),
            _r("category", "category", m.Code),
            _r("parameter", "parameter", m.Parameter, **REQ),
            _r("method", "method", m.Method, **REQ),
            _r("lab", "lab", m.LabRef),
            _k("performed_from", "performedFrom", Kind.DATETIME),
            _k("performed_to", "performedTo", Kind.DATETIME),
            _r("results", "results", m.Result, **R),
            _r("criteria", "criteria", m.Requirement, **R),
            _r("decision_rule", "decisionRule", m.DecisionRule),
            _e("outcome", "outcome", m.Outcome, **REQ),
            _r("remarks", "remarks", m.Text, **R),
        ),
    ),
    Record(
        m.Conclusion,
        "Conclusion",
        (
            _e("outcome", "outcome", m.Outcome, **REQ),
            _r("statement", "statement", m.Text, **R),
            _r("conditions", "conditions", m.Text, **R),
        ),
    ),
    Record(
        m.Signatory,
        "Signatory",
        (
            _s("name", "name", **REQ),
            _s("role", "role"),
            _s("party_id", "partyId", URI),
            _k("signed_at", "signedAt", Kind.DATETIME),
            _s("place", "place"),
        ),
    ),
    Record(
        m.Extension,
        "Extension",
        (
            _s("ns", "ns", URI, **REQ),
            _s("name", "name", NCNAME, **REQ),
            _s("media_type", "mediaType", MEDIA_TYPE, **REQ),
            _s("content", "content", LONG_TEXT, **REQ),
        ),
    ),
    Record(
        m.Proof,
        "Proof",
        (
            _s("id", "id", URI),
            _s("type", "type", TOKEN, **REQ),
            _s("cryptosuite", "cryptosuite", TOKEN, **REQ),
            _s("created", "created", DATETIME_TEXT),
            _s("expires", "expires", DATETIME_TEXT),
            _s("verification_method", "verificationMethod", URI, **REQ),
            _s("proof_purpose", "proofPurpose", TOKEN, **REQ),
            _s("previous_proof", "previousProof", URI),
            _s("proof_value", "proofValue", TOKEN, **REQ),
        ),
    ),
    Record(
        m.Certificate,
        "Certificate",
        (
            _s("id", "id", URI, **REQ),
            _r("number", "number", m.Identifier, **REQ),
            _r("title", "title", m.Text, **R),
            _e("document_type", "documentType", m.DocumentType, **REQ),
            _e("status", "status", m.CertificateStatus, **REQ),
            _k("issued_at", "issuedAt", Kind.DATETIME, **REQ),
            _k("valid_from", "validFrom", Kind.DATETIME),
            _k("valid_until", "validUntil", Kind.DATETIME),
            _s("language", "language", LANGUAGE, **R),
            _r("issuer", "issuer", m.Party, **REQ),
            _r("applicant", "applicant", m.Party),
            _r("attestation", "attestation", m.Attestation),
            _r("accreditations", "accreditations", m.Accreditation, **R),
            _r("consignment", "consignment", m.Consignment),
            _r("products", "products", m.Product, **RR),
            _r("samples", "samples", m.Sample, **R),
            _r("tests", "tests", m.Test, **RR),
            _r("conclusion", "conclusion", m.Conclusion, **REQ),
            _r("statements", "statements", m.Text, **R),
            _r("references", "references", m.DocumentRef, **R),
            _s("replaces", "replaces", URI),
            _r("signatories", "signatories", m.Signatory, **R),
            _r("extensions", "extensions", m.Extension, **R),
            _r("proofs", "proof", m.Proof, **R),
        ),
    ),
)

RECORDS: Final[dict[type, Record]] = {r.cls: r for r in _RECORDS}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One document type on the wire: its XML namespace and root element, its records,
    and what its generated schemas are called."""

    namespace: str
    root_element: str
    root_cls: type
    records: Mapping[type, Record]
    schema_id: str
    title: str
    json_schema_file: str
    xsd_file: str

    @property
    def root(self) -> Record:
        return self.records[self.root_cls]


CERTIFICATE: Final = Vocabulary(
    namespace=CERTIFICATE_NS,
    root_element=ROOT_ELEMENT,
    root_cls=m.Certificate,
    records=RECORDS,
    schema_id="urn:inspectx:certificate:1:schema",
    title="inspectx certificate (inspectx JSON)",
    json_schema_file="inspectx-certificate.schema.json",
    xsd_file="inspectx-certificate.xsd",
)
