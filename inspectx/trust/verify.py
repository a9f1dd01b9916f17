"""Admissibility: the numbered verification steps of DESIGN §6 against a trust list.

1 format, 2 schema, 3 rules, 4 proof integrity, 5 signer identity, 6 signer
status and scope at signing time, 7 document validity at the verification time,
8 trust freshness. Each step is ``passed``, ``failed``, ``indeterminate`` or
``skipped``; any failed makes the verdict INVALID, else any indeterminate makes
it INDETERMINATE, else VALID. Everything is a pure function of the bytes, the
trust snapshot and the clock the caller gives: no network, no other key.

**Signing time.** A Data Integrity proof's ``created`` is the signer's claim,
not a trusted time (inspectx has no time-stamps yet). So a service that was
accredited at the claimed signing time but is suspended or withdrawn at the
verification time gives INDETERMINATE, not VALID: whoever holds a withdrawn key
can claim any earlier time. With a trusted time-stamp (RFC 3161, planned) the
same case would be VALID. A claimed signing time at which the service was not
accredited, or outside the key's validity window, is INVALID: the signer says
so itself.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from inspectx.errors import InputError, InspectxError
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.model import Certificate, CertificateStatus
from inspectx.proofs.certificate import verify_certificate_proof
from inspectx.proofs.dataintegrity import ProofError
from inspectx.trust.fetch import TrustSnapshot
from inspectx.trust.lists import Entity, Listing, Service, ServiceStatus, TrustedKey
from inspectx.validation.pipeline import LoadedCertificate, read_certificate
from inspectx.validation.report import Severity, Verdict
from inspectx.validation.rules import check_rules
from inspectx.validation.schema import SchemaValidators

__all__ = ["STEPS", "Check", "CheckStatus", "StepLog", "VerificationReport", "verify_admissible"]

#: the names of the numbered verification steps of DESIGN §6, step 1 first
STEPS = (
    "format",
    "schema",
    "rules",
    "proof integrity",
    "signer identity",
    "signer status and scope",
    "document validity",
    "trust freshness",
)


class CheckStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INDETERMINATE = "indeterminate"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    step: int
    name: str
    status: CheckStatus
    code: str | None = None
    message: str = ""
    hint: str | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationReport:
    """The verdict, every step, and what it was judged against.

    ``certificate`` is the model parsed from the verified bytes (None when the
    document could not be read).
    """

    verdict: Verdict
    checks: tuple[Check, ...]
    sha256: str
    at: datetime
    trust_list_id: str
    trust_sequence: int
    trust_fetched_at: datetime | None
    trust_origin: str
    certificate: Certificate | None = None
    signers: tuple[str, ...] = ()

    def failing(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status in ("failed", "indeterminate"))


class StepLog:
    """The checks of numbered steps as they are made, and the verdict they give (§6).

    ``names`` names the steps (step ``n`` is ``names[n - 1]``); at most ``per_step``
    failed or indeterminate checks are kept per step (a long input need not list each).
    """

    def __init__(self, names: Sequence[str], per_step: int | None = None) -> None:
        self.names = names
        self.per_step = per_step
        self.checks: list[Check] = []
        self._findings: dict[int, int] = {}

    def add(
        self,
        step: int,
        status: CheckStatus,
        code: str | None = None,
        message: str = "",
        hint: str | None = None,
        location: str | None = None,
    ) -> None:
        if status in (CheckStatus.FAILED, CheckStatus.INDETERMINATE):
            self._findings[step] = self._findings.get(step, 0) + 1
            if self.per_step is not None and self._findings[step] > self.per_step:
                return
        self.checks.append(
            Check(step=step, name=self.names[step - 1], status=status, code=code,
                  message=message, hint=hint, location=location)
        )  # fmt: skip

    def fail(self, step: int, exc: InspectxError, status: CheckStatus = CheckStatus.FAILED) -> None:
        self.add(step, status, exc.code, exc.message, exc.hint or None, exc.location)

    def close(self, step: int, message: str = "") -> None:
        """Mark ``step`` passed unless it already has a check."""
        if not any(c.step == step for c in self.checks):
            self.add(step, CheckStatus.PASSED, message=message)

    def skip_the_rest(self, why: str = "an earlier step failed") -> None:
        done = {c.step for c in self.checks}
        for later in range(1, len(self.names) + 1):
            if later not in done:
                self.add(later, CheckStatus.SKIPPED, message=why)

    def verdict(self) -> Verdict:
        statuses = {c.status for c in self.checks}
        if CheckStatus.FAILED in statuses:
            return Verdict.INVALID
        if CheckStatus.INDETERMINATE in statuses:
            return Verdict.INDETERMINATE
        return Verdict.VALID


def verify_admissible(
    data: bytes,
    *,
    trust: TrustSnapshot,
    at: datetime | None = None,
    max_trust_age: timedelta | None = None,
    rules: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    validators: SchemaValidators | None = None,
) -> VerificationReport:
    """Run the eight steps on one certificate against ``trust``: inspectx JSON or XML
    with Data Integrity proofs, or inspectx XML with an enveloped XMLDSig/XAdES
    signature (its signer found in the list by the certificate's key; the certificate
    the document carries is only a hint). ``at`` is the verification clock (default now).

    Never raises for bad input: the report says what failed.
    """
    when = (at or datetime.now(UTC)).astimezone(UTC)
    steps = StepLog(STEPS)
    sha256 = ""
    trust_list = trust.trust_list
    cert: Certificate | None = None
    signers: list[str] = []
    tree = _xml_signed_tree(data, limits)
    xml_listing = _listed_signer_of(tree, trust) if tree is not None else None
    try:
        if xml_listing is not None:
            cert = _xml_signature_steps(steps, tree, xml_listing, when)
            signers = [f"{xml_listing[0].name} ({xml_listing[2].id})"]
        else:
            loaded = read_certificate(data, limits=limits, validators=validators)
            cert, sha256 = loaded.certificate, loaded.sha256
    except InspectxError as exc:
        step = 1 if isinstance(exc, InputError) else 4 if exc.code.startswith("xmldsig.") else 2
        steps.fail(step, exc)
    if cert is not None:
        steps.add(1, CheckStatus.PASSED)
        steps.add(2, CheckStatus.PASSED)
        on_json = xml_listing is None and loaded.json_data is not None
        _rules_step(steps, loaded.json_data if on_json else cert, rules)  # JSON: the data read
        if xml_listing is None:
            signers = _proof_steps(steps, loaded, trust, when, xml_signed=tree is not None)
        _validity_step(steps, cert, when)
    _freshness_step(steps, trust, when, max_trust_age)
    steps.skip_the_rest()
    if not sha256 and isinstance(data, bytes):  # read_certificate did not get that far
        sha256 = hashlib.sha256(data).hexdigest()
    checks = tuple(sorted(steps.checks, key=lambda c: c.step))
    return VerificationReport(
        verdict=steps.verdict(),
        checks=checks,
        sha256=sha256,
        at=when,
        trust_list_id=trust_list.id,
        trust_sequence=trust_list.sequence_number,
        trust_fetched_at=trust.fetched_at,
        trust_origin=trust.origin,
        certificate=cert,
        signers=tuple(signers),
    )


_DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


def _xml_signed_tree(data: bytes, limits: Limits) -> Any:
    """The parsed document if it carries an XML signature, else None (or on bad XML:
    the certificate reader then reports it at step 1)."""
    if not isinstance(data, bytes) or data.lstrip()[:1] != b"<" or _DSIG_NS.encode() not in data:
        return None
    from inspectx.formats.safexml import parse_xml

    try:
        return parse_xml(data, limits)
    except InspectxError:
        return None


def _listed_signer_of(root: Any, trust: TrustSnapshot) -> Listing | None:
    """The listing whose certificate has the key of the certificate the signature
    carries; the carried certificate only selects it (it is then verified against the
    listed certificate, which must be the carried one)."""
    from inspectx.proofs.xmldsig import carried_certificate

    carried = carried_certificate(root)
    listing = trust.trust_list.find_public_key(carried.public_key()) if carried else None
    if listing is None or listing[2].certificate is None:
        return None
    return listing


def _xml_signature_steps(
    steps: StepLog, root: Any, listing: Listing, when: datetime
) -> Certificate:
    """Steps 4-6 for an XML signature by a listed certificate; raises for steps 1, 2, 4."""
    from inspectx.proofs.xmldsig import verify_xml_tree

    entity, service, key = listing
    assert key.certificate is not None
    result = verify_xml_tree(root, certificate=key.certificate, at=when)
    cert = result.certificate
    steps.add(4, CheckStatus.PASSED, message=f"{result.profile} {result.signature_algorithm}")
    if not entity.is_issuer_of(cert):
        steps.add(
            5,
            CheckStatus.FAILED,
            "trust.wrong-entity",
            f"the XML signature is by {entity.id}, not the issuer "
            f"{cert.issuer.id or cert.issuer.name}",
            "a listed party's key signed a certificate in another party's name",
        )
        steps.add(6, CheckStatus.SKIPPED, message="no signature by the issuer to judge")
        return cert
    steps.add(5, CheckStatus.PASSED)
    signed_at = (result.signing_time or cert.issued_at).astimezone(UTC)
    findings = _status_and_scope(entity, service, key, cert, signed_at, when)
    for status, code, message, hint in findings:
        steps.add(6, status, code, message, hint, "/ds:Signature")
    if not findings:
        steps.add(6, CheckStatus.PASSED)
    return cert


def _rules_step(steps: StepLog, cert: Certificate | Mapping[str, Any], rules: bool) -> None:
    if not rules:
        steps.add(3, CheckStatus.SKIPPED, message="rules were not asked for")
        return
    errors = [f for f in check_rules(cert) if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        steps.add(
            3,
            CheckStatus.FAILED,
            first.code,
            first.message + more,
            first.hint or None,
            first.location,
        )
    else:
        steps.add(3, CheckStatus.PASSED)


def _proof_steps(
    steps: StepLog,
    loaded: LoadedCertificate,
    trust: TrustSnapshot,
    when: datetime,
    *,
    xml_signed: bool = False,
) -> list[str]:
    """Steps 4-6. Every proof by a listed key must verify; at least one must be the
    issuing entity's, and that entity is judged on status and scope. Proofs by other
    listed parties (a platform's countersignature) are checked for integrity only."""
    cert = loaded.certificate
    if not cert.proofs and xml_signed:
        steps.add(4, CheckStatus.SKIPPED, message="no listed certificate to verify with")
        steps.add(
            5,
            CheckStatus.INDETERMINATE,
            "trust.signer-not-listed",
            "the XML signature's certificate is not in trust list "
            f"{trust.trust_list.id}; a certificate the document carries is never trusted",
            "a human must decide (refer for manual check), or use a list that includes this lab",
            "/ds:Signature/ds:KeyInfo",
        )
        return []
    if not cert.proofs:
        steps.add(
            4,
            CheckStatus.FAILED,
            "proof.missing",
            "the certificate carries no proof",
            "only a signed certificate can be admissible",
        )
        return []
    trust_list = trust.trust_list
    signers: list[str] = []
    unlisted: list[str] = []
    others: list[str] = []
    by_issuer = False
    for index, proof in enumerate(cert.proofs):
        listing = trust_list.find_key(proof.verification_method)
        if listing is None:
            unlisted.append(proof.verification_method)
            continue
        entity, service, key = listing
        try:
            if isinstance(key.public_key, rsa.RSAPublicKey):
                raise ProofError(
                    "proof.algorithm-not-allowed",
                    f"the listed key {key.id} is RSA, which serves XML signatures only",
                    hint="Data Integrity proofs are Ed25519, P-256 or P-384",
                )
            verified = verify_certificate_proof(loaded, index, key.public_key)
        except ProofError as exc:
            steps.fail(4, exc)
            return signers
        signers.append(f"{entity.name} ({key.id})")
        if not entity.is_issuer_of(cert):
            others.append(entity.id)
            continue
        by_issuer = True
        signed_at = (verified.created or cert.issued_at).astimezone(UTC)
        for status, code, message, hint in _status_and_scope(
            entity, service, key, cert, signed_at, when
        ):
            steps.add(6, status, code, message, hint, f"/proof/{index}")
    steps.add(
        4,
        CheckStatus.PASSED if signers else CheckStatus.SKIPPED,
        message="" if signers else "no proof is by a listed key",
    )
    if by_issuer:
        steps.add(5, CheckStatus.PASSED)
    elif others:
        steps.add(
            5,
            CheckStatus.FAILED,
            "trust.wrong-entity",
            f"no proof is by the issuer {cert.issuer.id or cert.issuer.name}; the listed "
            f"signer(s) {', '.join(others)} are other entities",
            "a listed party's key signed a certificate in another party's name",
        )
    else:
        steps.add(
            5,
            CheckStatus.INDETERMINATE,
            "trust.signer-not-listed",
            f"the signer {unlisted[0]} is not in trust list {trust_list.id}; a key the "
            "document names or carries is never trusted",
            "a human must decide (refer for manual check), or use a list that includes this lab",
            "/proof/0/verificationMethod",
        )
    if not any(c.step == 6 for c in steps.checks):
        steps.add(
            6,
            CheckStatus.PASSED if by_issuer else CheckStatus.SKIPPED,
            message="" if by_issuer else "no proof by the issuer to judge",
        )
    return signers


def _status_and_scope(
    entity: Entity,
    service: Service,
    key: TrustedKey,
    cert: Certificate,
    signed_at: datetime,
    when: datetime,
) -> list[tuple[CheckStatus, str, str, str]]:
    out: list[tuple[CheckStatus, str, str, str]] = []
    stamp = signed_at.isoformat()
    if signed_at > when:
        out.append(
            (
                CheckStatus.FAILED,
                "trust.signed-in-future",
                f"the proof claims it was made at {stamp}, after the verification time",
                "check the verification time (--at) and the signer's clock",
            )
        )
    at_signing = service.status_at(signed_at)
    if at_signing is not ServiceStatus.ACCREDITED:
        out.append(
            (
                CheckStatus.FAILED,
                "trust.not-accredited-at-signing",
                f"{entity.name}'s {service.type} service was "
                f"{at_signing or 'not yet listed'} at the signing time {stamp}",
                "a certificate signed while suspended or withdrawn is not admissible",
            )
        )
    elif service.status_at(when) is not ServiceStatus.ACCREDITED:
        out.append(
            (
                CheckStatus.INDETERMINATE,
                "trust.status-changed-since-signing",
                f"{entity.name}'s service was accredited at the claimed signing time "
                f"{stamp} but is {service.status_at(when)} now; the signing time is the "
                "signer's claim, not a trusted time",
                "a human must decide; a trusted time-stamp would settle it",
            )
        )
    if (key.valid_from and signed_at < key.valid_from) or (
        key.valid_until and signed_at > key.valid_until
    ):
        out.append(
            (
                CheckStatus.FAILED,
                "trust.key-outside-validity",
                f"the key was not valid at the signing time {stamp}",
                "the key was used outside its validity window in the trust list",
            )
        )
    standards = {t.method.standard for t in cert.tests}  # a few, for many tests
    uncovered = sorted(m for m in standards if not service.scope.covers_method(m))
    if uncovered:
        out.append(
            (
                CheckStatus.FAILED,
                "trust.scope-method",
                f"{entity.name} is not listed for the test method(s) {', '.join(uncovered)}",
                "the lab's accreditation scope must cover every test method reported",
            )
        )
    for product in cert.products:
        codes = [c.code for c in product.classifications if c.system.upper() in _TARIFF_SYSTEMS]
        if not codes:
            out.append(
                (
                    CheckStatus.INDETERMINATE,
                    "trust.scope-product-unknown",
                    f"product {product.seq} has no tariff classification, so the scope "
                    "cannot be checked",
                    "give the HS code of every product",
                )
            )
        elif not any(service.scope.covers_hs(code) for code in codes):
            out.append(
                (
                    CheckStatus.FAILED,
                    "trust.scope-product",
                    f"{entity.name} is not listed for product class {codes[0]} "
                    f"(product {product.seq})",
                    "the lab's scope must cover the product's HS code",
                )
            )
    return out


_TARIFF_SYSTEMS = frozenset({"HS", "CN", "HTS", "HTSUS", "TARIC"})


def _validity_step(steps: StepLog, cert: Certificate, when: datetime) -> None:
    if cert.status is CertificateStatus.REVOKED:
        steps.add(7, CheckStatus.FAILED, "document.revoked", "the certificate says it is revoked")
    elif cert.valid_until is not None and when > cert.valid_until:
        steps.add(
            7,
            CheckStatus.FAILED,
            "document.expired",
            f"the certificate was valid until {cert.valid_until.isoformat()}",
            "ask the issuer for a current certificate",
        )
    elif cert.valid_from is not None and when < cert.valid_from:
        steps.add(
            7,
            CheckStatus.FAILED,
            "document.not-yet-valid",
            f"the certificate is valid from {cert.valid_from.isoformat()}",
        )
    else:
        steps.add(7, CheckStatus.PASSED)


def _freshness_step(
    steps: StepLog, trust: TrustSnapshot, when: datetime, max_age: timedelta | None
) -> None:
    trust_list = trust.trust_list
    if when > trust_list.next_update:
        steps.add(
            8,
            CheckStatus.INDETERMINATE,
            "trust.stale",
            f"trust list {trust_list.id} (sequence {trust_list.sequence_number}) was due "
            f"for update at {trust_list.next_update.isoformat()}",
            "fetch the current list (inspectx trust update URL)",
        )
    elif max_age is not None and (trust.fetched_at is None or when - trust.fetched_at > max_age):
        age = (
            "never fetched"
            if trust.fetched_at is None
            else f"fetched {trust.fetched_at.isoformat()}"
        )
        steps.add(
            8,
            CheckStatus.INDETERMINATE,
            "trust.stale",
            f"the trust snapshot is older than --max-trust-age ({age})",
            "fetch the current list (inspectx trust update URL)",
        )
    else:
        note = f" ({trust.note})" if trust.note else ""
        steps.add(8, CheckStatus.PASSED, message=f"{trust.origin}{note}")
