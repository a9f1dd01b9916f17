"""The canonical inspection certificate model.

Frozen, slotted, keyword-only dataclasses with no knowledge of any wire format.
Every measured value is a :class:`~decimal.Decimal` (its exponent is kept, so
``Decimal("0.050")`` stays ``0.050``); every instant is a timezone-aware
:class:`~datetime.datetime`; repeatable fields are tuples, in order.

A lab builds a certificate in a few lines::

    from datetime import datetime, timezone
    from decimal import Decimal
    from inspectx.model import *

    cert = Certificate(
        id="urn:uuid:3f0c5a4e-3b1c-4d0e-9a52-7f3c2b8e1a10",
        number=Identifier(value="TR-2026-0001"),
        document_type=DocumentType.TEST_REPORT,
        issued_at=datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc),
        issuer=Party(name="Example Lab", address=Address(country_code="DE")),
        products=(Product(seq=1, name="Wooden puzzle"),),
        tests=(Test(id="t1", parameter=Parameter(name="Lead (Pb)"),
                    method=Method(standard="EN 71-3:2019+A1:2021"),
                    results=(Result(value=Decimal("2.1"), unit="NA"),),
                    outcome=Outcome.PASS),),
        conclusion=Conclusion(outcome=Outcome.PASS),
    )
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "Accreditation",
    "AccreditationScope",
    "AccreditationStandard",
    "Address",
    "AssessmentLevel",
    "AssessorLevel",
    "Attestation",
    "AttestationType",
    "Certificate",
    "CertificateStatus",
    "Classification",
    "Code",
    "Comparator",
    "Conclusion",
    "Consignment",
    "Contact",
    "DecisionRule",
    "DecisionRuleType",
    "Digest",
    "DocumentRef",
    "DocumentType",
    "Extension",
    "Identifier",
    "LabRef",
    "Measure",
    "Method",
    "OrderRef",
    "Outcome",
    "Parameter",
    "Party",
    "Product",
    "Proof",
    "Qualifier",
    "QualitativeResult",
    "Requirement",
    "RequirementSource",
    "Result",
    "Sample",
    "Signatory",
    "SourceType",
    "Test",
    "Text",
    "Transport",
    "Uncertainty",
]

_FROZEN = {"frozen": True, "slots": True, "kw_only": True}


# --- vocabularies -------------------------------------------------------------


class DocumentType(enum.StrEnum):
    TEST_REPORT = "test-report"
    INSPECTION_CERTIFICATE = "inspection-certificate"
    CERTIFICATE_OF_CONFORMITY = "certificate-of-conformity"
    CERTIFICATE_OF_ANALYSIS = "certificate-of-analysis"


class CertificateStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    REPLACED = "replaced"
    REVOKED = "revoked"


class Outcome(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    NOT_APPLICABLE = "not-applicable"


class Qualifier(enum.StrEnum):
    """How a reported value relates to the true value (``<`` for "below 0.5")."""

    LT = "lt"
    LE = "le"
    EQ = "eq"
    GE = "ge"
    GT = "gt"


class Comparator(enum.StrEnum):
    """How a result must relate to a limit to conform (``le``: at most the limit)."""

    LT = "lt"
    LE = "le"
    EQ = "eq"
    GE = "ge"
    GT = "gt"
    BETWEEN = "between"


class QualitativeResult(enum.StrEnum):
    DETECTED = "detected"
    NOT_DETECTED = "not-detected"
    PRESENT = "present"
    ABSENT = "absent"


class DecisionRuleType(enum.StrEnum):
    SIMPLE_ACCEPTANCE = "simple-acceptance"
    GUARD_BAND = "guard-band"


class AttestationType(enum.StrEnum):
    TESTING = "testing"
    INSPECTION = "inspection"
    CERTIFICATION = "certification"


class AssessorLevel(enum.StrEnum):
    FIRST_PARTY = "first-party"
    SECOND_PARTY = "second-party"
    THIRD_PARTY = "third-party"


class AssessmentLevel(enum.StrEnum):
    ACCREDITED = "accredited"
    GLOBAL_MRA = "global-mra"
    SELF_ASSESSED = "self-assessed"


class AccreditationStandard(enum.StrEnum):
    ISO_IEC_17025 = "iso-iec-17025"
    ISO_IEC_17020 = "iso-iec-17020"
    ISO_IEC_17065 = "iso-iec-17065"


class SourceType(enum.StrEnum):
    REGULATION = "regulation"
    STANDARD = "standard"


# --- typed values ---------------------------------------------------------------


@dataclass(**_FROZEN)
class Text:
    """A human-readable text, optionally tagged with its BCP 47 language."""

    value: str
    lang: str | None = None


@dataclass(**_FROZEN)
class Code:
    """A value from a code list (e.g. UNCL 3035 party roles, a CAS number)."""

    value: str
    list_id: str | None = None
    list_version: str | None = None


@dataclass(**_FROZEN)
class Identifier:
    """An identifier and the scheme that issued it (LEI, GLN, GTIN, SSCC, ...)."""

    value: str
    scheme_id: str | None = None
    scheme_agency_id: str | None = None


@dataclass(**_FROZEN)
class Measure:
    """A quantity: an exact decimal value and a UN/ECE Rec 20 unit code."""

    value: Decimal
    unit: str


# --- parties ------------------------------------------------------------------


@dataclass(**_FROZEN)
class Address:
    country_code: str
    lines: tuple[str, ...] = ()
    city: str | None = None
    postcode: str | None = None
    subdivision: str | None = None


@dataclass(**_FROZEN)
class Contact:
    person_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(**_FROZEN)
class Party:
    name: str
    id: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    roles: tuple[Code, ...] = ()
    address: Address | None = None
    contact: Contact | None = None


# --- attestation and accreditation --------------------------------------------------


@dataclass(**_FROZEN)
class Attestation:
    type: AttestationType
    assessor_level: AssessorLevel | None = None
    assessment_level: AssessmentLevel | None = None


@dataclass(**_FROZEN)
class Digest:
    alg: str
    value: str


@dataclass(**_FROZEN)
class DocumentRef:
    type: str
    id: str | None = None
    uri: str | None = None
    media_type: str | None = None
    digest: Digest | None = None
    data: bytes | None = None


@dataclass(**_FROZEN)
class AccreditationScope:
    methods: tuple[str, ...] = ()
    product_classes: tuple[str, ...] = ()


@dataclass(**_FROZEN)
class Accreditation:
    body: Party
    number: Identifier
    standard: AccreditationStandard
    id: str | None = None
    scope: AccreditationScope | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    evidence: DocumentRef | None = None


# --- consignment and products ------------------------------------------------------


@dataclass(**_FROZEN)
class Transport:
    mode: Code | None = None
    means_id: Identifier | None = None
    equipment_ids: tuple[Identifier, ...] = ()
    seals: tuple[Identifier, ...] = ()


@dataclass(**_FROZEN)
class OrderRef:
    platform: str
    order_id: str
    line_ids: tuple[str, ...] = ()


@dataclass(**_FROZEN)
class Consignment:
    id: str | None = None
    consignor: Party | None = None
    consignee: Party | None = None
    export_country: str | None = None
    import_country: str | None = None
    transport: tuple[Transport, ...] = ()
    order_refs: tuple[OrderRef, ...] = ()
    parcel_refs: tuple[Identifier, ...] = ()
    customs_refs: tuple[Identifier, ...] = ()


@dataclass(**_FROZEN)
class Classification:
    system: str
    code: str
    name: str | None = None


@dataclass(**_FROZEN)
class Product:
    seq: int
    name: str
    identifiers: tuple[Identifier, ...] = ()
    description: tuple[Text, ...] = ()
    brand: str | None = None
    model: str | None = None
    batch: str | None = None
    serials: tuple[str, ...] = ()
    classifications: tuple[Classification, ...] = ()
    quantity: Measure | None = None
    net_weight: Measure | None = None
    gross_weight: Measure | None = None
    origin_country: str | None = None
    manufacturer: Party | None = None


@dataclass(**_FROZEN)
class Sample:
    id: str
    product_refs: tuple[int, ...] = ()
    taken_at: datetime | None = None
    taken_by: Party | None = None
    place: str | None = None
    plan: str | None = None
    size: Measure | None = None
    received_at: datetime | None = None


# --- tests and results ----------------------------------------------------------------


@dataclass(**_FROZEN)
class Parameter:
    """What was measured: a name and, where one exists, a code (CAS number, ...)."""

    name: str
    code: Code | None = None


@dataclass(**_FROZEN)
class Method:
    """The test method: a standard (``EN 71-3:2019+A1:2021``) and clause."""

    standard: str
    version: str | None = None
    clause: str | None = None
    name: str | None = None


@dataclass(**_FROZEN)
class LabRef:
    """The lab that performed a test: a party id and an accreditation id."""

    party_id: str
    accreditation_ref: str | None = None


@dataclass(**_FROZEN)
class Uncertainty:
    """Expanded measurement uncertainty ``value`` with coverage factor ``k``."""

    value: Decimal
    k: Decimal | None = None


@dataclass(**_FROZEN)
class Result:
    """One reported result: a decimal ``value`` or a qualitative ``code``."""

    parameter: str | None = None
    value: Decimal | None = None
    code: QualitativeResult | None = None
    qualifier: Qualifier | None = None
    unit: str | None = None
    uncertainty: Uncertainty | None = None
    lod: Decimal | None = None
    loq: Decimal | None = None


@dataclass(**_FROZEN)
class RequirementSource:
    """Where a limit comes from: a regulation (jurisdiction, id, article) or a standard."""

    type: SourceType
    id: str
    jurisdiction: str | None = None
    article: str | None = None


@dataclass(**_FROZEN)
class Requirement:
    comparator: Comparator
    limit: Measure
    id: str | None = None
    source: RequirementSource | None = None
    upper_limit: Measure | None = None
    market: str | None = None


@dataclass(**_FROZEN)
class DecisionRule:
    type: DecisionRuleType
    guard_band: Decimal | None = None
    reference: str | None = None


@dataclass(**_FROZEN)
class Test:
    id: str
    parameter: Parameter
    method: Method
    outcome: Outcome
    product_refs: tuple[int, ...] = ()
    sample_refs: tuple[str, ...] = ()
    category: Code | None = None
    lab: LabRef | None = None
    performed_from: datetime | None = None
    performed_to: datetime | None = None
    results: tuple[Result, ...] = ()
    criteria: tuple[Requirement, ...] = ()
    decision_rule: DecisionRule | None = None
    remarks: tuple[Text, ...] = ()


# --- the certificate ------------------------------------------------------------------


@dataclass(**_FROZEN)
class Conclusion:
    outcome: Outcome
    statement: tuple[Text, ...] = ()
    conditions: tuple[Text, ...] = ()


@dataclass(**_FROZEN)
class Signatory:
    """A person who signed the report off (not the cryptographic proof)."""

    name: str
    role: str | None = None
    party_id: str | None = None
    signed_at: datetime | None = None
    place: str | None = None


@dataclass(**_FROZEN)
class Extension:
    """Content from another format kept verbatim so that re-export restores it."""

    ns: str
    name: str
    media_type: str
    content: str


@dataclass(**_FROZEN)
class Proof:
    """A W3C Data Integrity proof (``DataIntegrityProof``) over the certificate.

    It is never part of what is signed. Its members are kept exactly as written
    (``created`` too, as text): the signature covers their bytes.
    """

    type: str
    cryptosuite: str
    verification_method: str
    proof_purpose: str
    proof_value: str
    created: str | None = None
    expires: str | None = None
    id: str | None = None
    previous_proof: str | None = None


@dataclass(**_FROZEN)
class Certificate:
    """An inspection result certificate: what a lab or inspection body found."""

    id: str
    number: Identifier
    document_type: DocumentType
    issued_at: datetime
    issuer: Party
    products: tuple[Product, ...]
    tests: tuple[Test, ...]
    conclusion: Conclusion
    status: CertificateStatus = CertificateStatus.ISSUED
    title: tuple[Text, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    language: tuple[str, ...] = ()
    applicant: Party | None = None
    attestation: Attestation | None = None
    accreditations: tuple[Accreditation, ...] = ()
    consignment: Consignment | None = None
    samples: tuple[Sample, ...] = ()
    statements: tuple[Text, ...] = ()
    references: tuple[DocumentRef, ...] = ()
    replaces: str | None = None
    signatories: tuple[Signatory, ...] = ()
    extensions: tuple[Extension, ...] = ()
    proofs: tuple[Proof, ...] = ()
