"""What a page says about verification: one shape for a trust-list verification
(:func:`~inspectx.trust.verify_admissible`) and for one against keys the operator gave."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from inspectx.errors import InputError, InspectxError
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.model import Certificate
from inspectx.proofs.dataintegrity import PublicKey
from inspectx.trust.verify import STEPS, Check, CheckStatus, StepLog, VerificationReport
from inspectx.validation.report import Verdict

__all__ = ["Verification", "verify_with_keys"]

_KEY_MODE_SKIP = "not checked: keys were given instead of a trust list"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    """A verification as a page shows it: verdict, numbered checks, time, basis.

    The basis is a trust list (``trust_list_id`` and the rest) or, without one,
    the verification methods of the keys the operator gave (``keys``).
    ``certificate`` is the model read from the verified bytes, None when they
    could not be read.
    """

    verdict: Verdict
    checks: tuple[Check, ...]
    at: datetime
    sha256: str
    signers: tuple[str, ...] = ()
    certificate: Certificate | None = None
    trust_list_id: str | None = None
    trust_sequence: int | None = None
    trust_origin: str | None = None
    trust_fetched_at: datetime | None = None
    trust_source: str | None = None
    keys: tuple[str, ...] = ()

    @classmethod
    def from_report(
        cls, report: VerificationReport, *, trust_source: str | None = None
    ) -> Verification:
        """The page's view of :func:`~inspectx.trust.verify_admissible`'s report."""
        return cls(
            verdict=report.verdict,
            checks=report.checks,
            at=report.at,
            sha256=report.sha256,
            signers=report.signers,
            certificate=report.certificate,
            trust_list_id=report.trust_list_id,
            trust_sequence=report.trust_sequence,
            trust_origin=report.trust_origin,
            trust_fetched_at=report.trust_fetched_at,
            trust_source=trust_source,
        )


def verify_with_keys(
    data: bytes,
    *,
    public_keys: Mapping[str, PublicKey],
    certificates: Sequence[Any] = (),
    at: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> Verification:
    """Verify ``data``'s signatures with keys the operator trusts, without a trust list.

    ``public_keys`` maps a ``verificationMethod`` to its key (Data Integrity
    proofs); ``certificates`` are X.509 certificates one of which must have made
    an enveloped XML signature, if the document carries one. Steps 1, 2 and 4
    run; the others need a trust list and are reported skipped. A proof whose key
    was not given, or an XML signature by none of the certificates, is
    INDETERMINATE; a broken one INVALID. ``at`` is only recorded (the keys have
    no validity window here). Never raises for bad input.
    """
    from inspectx.proofs.certificate import verify_certificate
    from inspectx.proofs.xmldsig import verify_xml_by_any

    steps = StepLog(STEPS)
    cert: Certificate | None = None
    signers: list[str] = []
    try:
        xml = verify_xml_by_any(data, certificates=certificates, limits=limits)
        if xml is not None:
            cert = xml.certificate
            signers.append(f"X.509 certificate SHA-256 {xml.signer}")
        if cert is None or cert.proofs:
            verified = verify_certificate(data, public_keys=public_keys, limits=limits)
            cert = verified.certificate
            signers += [p.verification_method for p in verified.proofs]
    except InspectxError as exc:
        unknown = exc.code in ("proof.key-unknown", "xmldsig.signer-unknown")
        step = (
            1 if isinstance(exc, InputError)
            else 2 if exc.code.startswith(("schema.", "model."))
            else 4
        )  # fmt: skip
        for earlier in (1, 2):  # the steps that ran before (rules, step 3, never run here)
            if earlier < step:
                steps.add(earlier, CheckStatus.PASSED)
        steps.fail(step, exc, CheckStatus.INDETERMINATE if unknown else CheckStatus.FAILED)
        if step == 4 and cert is None:  # readable: show what it states, under the verdict
            from inspectx.validation.pipeline import read_certificate

            with contextlib.suppress(InspectxError):
                cert = read_certificate(data, limits=limits).certificate
    else:
        for done in (1, 2, 4):
            steps.add(done, CheckStatus.PASSED)
    steps.skip_the_rest(_KEY_MODE_SKIP)
    return Verification(
        verdict=steps.verdict(),
        checks=tuple(sorted(steps.checks, key=lambda c: c.step)),
        at=at.astimezone(UTC),
        sha256=hashlib.sha256(data).hexdigest(),
        signers=tuple(signers),
        certificate=cert,
        keys=tuple(sorted(public_keys)),
    )
