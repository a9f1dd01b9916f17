"""Sign once, verify in both formats: Data Integrity proofs on certificates.

A proof is computed over the RFC 8785 canonical JSON of the certificate's
inspectx JSON data without its ``proof`` member. Because inspectx XML converts
deterministically into exactly that data, the same proof verifies whether the
certificate is held as JSON or as XML. Several proofs form a proof set: each
covers the certificate without any proof.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson

from inspectx.formats._bind import bind, unbind
from inspectx.formats.certificate import Format, certificate_to_data
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.model import Certificate, Proof
from inspectx.proofs.dataintegrity import (
    PrivateKey,
    ProofError,
    PublicKey,
    VerifiedProof,
    create_proof,
    verify_proof,
)
from inspectx.validation.pipeline import LoadedCertificate, read_certificate
from inspectx.validation.schema import SchemaValidators

__all__ = [
    "VerifiedCertificate",
    "certificate_jcs",
    "sign_certificate",
    "unsigned_data",
    "verify_certificate",
    "verify_certificate_proof",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedCertificate:
    """A certificate whose every proof verified, and the model read from those bytes."""

    format: Format
    sha256: str
    proofs: tuple[VerifiedProof, ...]
    loaded: LoadedCertificate = field(repr=False, compare=False)

    @property
    def certificate(self) -> Certificate:
        """The model bound from the verified data (on first use, see
        :attr:`LoadedCertificate.certificate`)."""
        return self.loaded.certificate


def certificate_jcs(value: object) -> bytes:
    """RFC 8785 bytes of inspectx certificate data (or a proof), fifty times faster.

    For this data JCS is orjson with sorted keys: every member name comes from
    the field table and is ASCII (so UTF-16 and code-point order agree), there
    are no floats, and strings are valid Unicode without control characters
    other than tab, LF and CR, which both escape alike. A property test holds
    this to ``rfc8785.dumps`` on generated certificates; other JSON must use
    ``rfc8785``.
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def unsigned_data(cert: Certificate) -> dict[str, Any]:
    """The JSON data a proof covers: the certificate without its proofs."""
    return certificate_to_data(replace(cert, proofs=()))


def sign_certificate(
    cert: Certificate,
    *,
    private_key: PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
) -> Certificate:
    """The certificate with one more proof (eddsa-jcs-2022 for Ed25519 keys,
    ecdsa-jcs-2019 for P-256/P-384). Existing proofs are kept: a proof set.

    Raises :class:`ModelError` for a certificate that cannot be rendered and
    :class:`ProofError` for a key outside the allow-list.
    """
    proof = create_proof(
        unsigned_data(cert),
        private_key=private_key,
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
        canonical=certificate_jcs,
    )
    made: Proof = bind(Proof, proof)
    return replace(cert, proofs=(*cert.proofs, made))


def verify_certificate_proof(
    loaded: LoadedCertificate,
    index: int,
    key: PublicKey,
) -> VerifiedProof:
    """Verify proof ``index`` of a certificate read by ``read_certificate`` with ``key``.

    Over the JSON as received first (the W3C procedure, and no second rendering);
    then over the data as the model writes it, which is what a proof made on
    another serialisation covers (the XML, or JSON that writes e.g. ``+00:00``
    for ``Z``). Either way the proof covers every value of the returned model,
    because the model is bound from exactly the data that verified. Raises
    :class:`ProofError` (``proof.integrity`` when neither verifies).
    """
    json_data = loaded.json_data
    if json_data is not None:
        try:
            return verify_proof(
                json_data, json_data["proof"][index], public_key=key, canonical=certificate_jcs
            )
        except ProofError as exc:
            if exc.code != "proof.integrity":
                raise
    return verify_proof(
        unsigned_data(loaded.certificate),
        unbind(loaded.certificate.proofs[index]),
        public_key=key,
        canonical=certificate_jcs,
    )


def verify_certificate(
    data: bytes,
    *,
    public_keys: Mapping[str, PublicKey],
    limits: Limits = DEFAULT_LIMITS,
    validators: SchemaValidators | None = None,
) -> VerifiedCertificate:
    """Read an inspectx JSON or XML certificate and verify every proof on it.

    ``public_keys`` maps each ``verificationMethod`` to the key the caller
    trusts for it: the document only points at a key, it never supplies one.
    Returns a :class:`VerifiedCertificate` whose model is the one parsed from
    the verified bytes. Raises the reading errors of ``read_certificate``, or
    :class:`ProofError`: ``proof.missing`` (no proof), ``proof.key-unknown``
    (a verification method without a trusted key), or the codes of
    :func:`~inspectx.proofs.dataintegrity.verify_proof` (``proof.integrity``
    when the certificate or a proof changed).
    """
    loaded = read_certificate(data, limits=limits, validators=validators)
    # schema-valid JSON names the methods as the model would; reading them there
    # leaves the model unbuilt for a caller who only wants the verdict
    if loaded.json_data is not None:
        methods = [p["verificationMethod"] for p in loaded.json_data.get("proof", ())]
    else:
        methods = [p.verification_method for p in loaded.certificate.proofs]
    if not methods:
        raise ProofError(
            "proof.missing",
            "the certificate carries no proof",
            hint="sign it first (inspectx sign), or verify the signed copy",
        )
    verified = []
    for index, method in enumerate(methods):
        key = public_keys.get(method)
        if key is None:
            raise ProofError(
                "proof.key-unknown",
                f"no trusted key for {method}",
                hint="give the key of that verification method (--key-file, or a trust list)",
                location=f"/proof/{index}/verificationMethod",
            )
        verified.append(verify_certificate_proof(loaded, index, key))
    return VerifiedCertificate(
        format=loaded.format, sha256=loaded.sha256, proofs=tuple(verified), loaded=loaded
    )
