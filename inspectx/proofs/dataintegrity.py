"""W3C Data Integrity proofs with JCS: ``eddsa-jcs-2022`` and ``ecdsa-jcs-2019``.

Implements the algorithms of the W3C specifications *vc-di-eddsa* (§3.3) and *vc-di-ecdsa*
(§3.3) for the JCS variants:

* proof configuration = the proof without ``proofValue`` (``@context`` copied from the
  document when it has one), canonicalised with RFC 8785 (JCS);
* transformed data = the document without its ``proof`` member, canonicalised with JCS;
* hash data = hash(canonical proof configuration) ‖ hash(canonical document), SHA-256 for
  Ed25519 and P-256, SHA-384 for P-384;
* Ed25519 signs the hash data bytes; ECDSA signs them with the curve's hash and the signature
  is IEEE P1363 ``r‖s`` (64 bytes for P-256, 96 for P-384);
* ``proofValue`` = multibase base58btc of the signature.

Security rules (``docs/security.md`` §5): the verifying key always comes from the caller
(``verificationMethod`` is only a pointer); the (cryptosuite, key type) pair is checked against
one allow-list before any cryptography; ECDSA signatures of the wrong length (DER included)
are rejected before they reach the cryptography library; values JCS cannot represent (NaN,
lone surrogates, integers beyond 2^53) are rejected, never rounded.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from inspectx.errors import InspectxError
from inspectx.proofs.multibase import MultibaseError, multibase_decode, multibase_encode

__all__ = [
    "ECDSA_JCS_2019",
    "EDDSA_JCS_2022",
    "HashData",
    "PrivateKey",
    "ProofError",
    "PublicKey",
    "VerifiedProof",
    "add_proof",
    "canonicalize",
    "compute_hash_data",
    "create_proof",
    "sign_bytes",
    "verify_proof",
    "verify_signature",
]

EDDSA_JCS_2022: Final = "eddsa-jcs-2022"
ECDSA_JCS_2019: Final = "ecdsa-jcs-2019"
PROOF_TYPE: Final = "DataIntegrityProof"

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
KeyKind = Literal["Ed25519", "P-256", "P-384"]

# Longest proofValue accepted (a P-384 signature is ~132 base58 characters).
_MAX_PROOF_VALUE: Final = 256
_DATETIME_STAMP: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})"
)


class ProofError(InspectxError):
    """A Data Integrity proof could not be made or does not verify.

    Codes: ``proof.integrity``, ``proof.malformed``, ``proof.algorithm-not-allowed``,
    ``proof.canonicalization``.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class _Suite:
    """One allowed (cryptosuite, key type) pair and what it implies."""

    cryptosuite: str
    key_kind: KeyKind
    hash_name: Literal["sha256", "sha384"]
    signature_length: int


# The allow-list: nothing else is ever signed or verified.
_ALLOWED: Final[tuple[_Suite, ...]] = (
    _Suite(cryptosuite=EDDSA_JCS_2022, key_kind="Ed25519", hash_name="sha256", signature_length=64),
    _Suite(cryptosuite=ECDSA_JCS_2019, key_kind="P-256", hash_name="sha256", signature_length=64),
    _Suite(cryptosuite=ECDSA_JCS_2019, key_kind="P-384", hash_name="sha384", signature_length=96),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedProof:
    """What a successfully verified proof asserts."""

    cryptosuite: str
    verification_method: str
    created: datetime | None
    proof_purpose: str
    canonical_document_sha256: str
    """Hex SHA-256 of the JCS bytes of the document that was verified (without ``proof``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HashData:
    """The intermediate values of the proof algorithms (exposed for test vectors and audit)."""

    canonical_proof_config: bytes
    canonical_document: bytes
    proof_config_hash: bytes
    document_hash: bytes

    @property
    def combined(self) -> bytes:
        """hash(proof configuration) ‖ hash(document): the bytes that are signed."""
        return self.proof_config_hash + self.document_hash


def canonicalize(value: object, *, what: str = "document") -> bytes:
    """RFC 8785 canonical JSON bytes, or ``proof.canonicalization``."""
    try:
        return rfc8785.dumps(cast(Any, value))
    except (rfc8785.CanonicalizationError, UnicodeError) as exc:  # a lone surrogate in a key
        raise ProofError(
            "proof.canonicalization",
            f"the {what} cannot be canonicalised with JCS (RFC 8785): {exc}",
            hint="JSON for signing must not hold NaN/Infinity, lone surrogates, "
            "integers beyond ±(2^53-1) or non-JSON types; send large integers as strings",
        ) from None
    except RecursionError:
        raise ProofError(
            "proof.canonicalization", f"the {what} is nested too deeply to canonicalise"
        ) from None


def compute_hash_data(
    document: Mapping[str, Any], proof_config: Mapping[str, Any], *, key: PublicKey | PrivateKey
) -> HashData:
    """Canonicalise and hash ``document`` (its ``proof`` member left out) and ``proof_config``.

    The hash (SHA-256 or SHA-384) follows the allowed suite of ``proof_config['cryptosuite']``
    and the key type; any ``proofValue`` in ``proof_config`` is left out.
    """
    suite = _suite(proof_config.get("cryptosuite"), key)
    return _hash_data(_unsecured(document), _options(proof_config), suite)


def sign_bytes(private_key: PrivateKey, message: bytes) -> bytes:
    """Sign ``message``: Ed25519, or ECDSA with the curve's hash in P1363 ``r‖s`` form."""
    suite = _suite_for_kind(_key_kind(private_key))
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(message)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):  # pragma: no cover (typed)
        raise _not_allowed(f"cannot sign with a {type(private_key).__name__}")
    der = private_key.sign(message, ec.ECDSA(_hash_algorithm(suite)))
    r, s = decode_dss_signature(der)
    half = suite.signature_length // 2
    return r.to_bytes(half, "big") + s.to_bytes(half, "big")


def verify_signature(public_key: PublicKey, signature: bytes, message: bytes) -> None:
    """Verify a raw signature over ``message`` with a caller-supplied key.

    Ed25519, or ECDSA P-256/SHA-256 and P-384/SHA-384 with an IEEE P1363 ``r‖s`` signature
    of exactly 64/96 bytes. Raises ``proof.algorithm-not-allowed`` for any other key,
    ``proof.malformed`` for a signature of the wrong length (DER included) and
    ``proof.integrity`` when the signature does not verify.
    """
    suite = _suite_for_kind(_key_kind(public_key))
    if len(signature) != suite.signature_length:
        raise ProofError(
            "proof.malformed",
            f"a {suite.key_kind} signature must be exactly {suite.signature_length} bytes, "
            f"got {len(signature)}",
            hint="ECDSA signatures are raw r‖s (IEEE P1363), not DER",
        )
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, message)
        else:
            half = suite.signature_length // 2
            r = int.from_bytes(signature[:half], "big")
            s = int.from_bytes(signature[half:], "big")
            public_key.verify(encode_dss_signature(r, s), message, ec.ECDSA(_hash_algorithm(suite)))
    except InvalidSignature:
        raise ProofError(
            "proof.integrity",
            "the signature does not verify: the document or its proof was changed, "
            "or it was signed with another key",
        ) from None


def create_proof(
    document: Mapping[str, Any],
    *,
    private_key: PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
    cryptosuite: str | None = None,
    canonical: Canonicalizer | None = None,
) -> dict[str, Any]:
    """Make a ``DataIntegrityProof`` over ``document`` (its existing ``proof`` left out).

    ``cryptosuite`` defaults to the one for the key (``eddsa-jcs-2022`` for Ed25519,
    ``ecdsa-jcs-2019`` for P-256/P-384); ``created`` must be timezone-aware and is written in
    UTC. Returns the proof object; attach it with :func:`add_proof`.
    """
    kind = _key_kind(private_key)
    suite = _suite(
        cryptosuite if cryptosuite is not None else _suite_for_kind(kind).cryptosuite, private_key
    )
    if not isinstance(document, Mapping):
        raise _malformed("the document must be a JSON object")
    for name, value in (
        ("verification_method", verification_method),
        ("proof_purpose", proof_purpose),
    ):
        if not isinstance(value, str) or not value:
            raise _malformed(f"{name} must be a non-empty string")
    if not isinstance(created, datetime) or created.utcoffset() is None:
        raise _malformed("created must be a timezone-aware datetime")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": suite.cryptosuite,
        "created": _format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        proof["@context"] = copy.deepcopy(document["@context"])
    data = _hash_data(_unsecured(document), proof, suite, canonical)
    proof["proofValue"] = multibase_encode(sign_bytes(private_key, data.combined))
    return proof


def add_proof(document: Mapping[str, Any], proof: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with ``proof`` attached; an existing proof makes a proof set."""
    out = dict(document)
    existing = out.get("proof")
    if existing is None:
        out["proof"] = dict(proof)
    elif isinstance(existing, list):
        out["proof"] = [*existing, dict(proof)]
    else:
        out["proof"] = [existing, dict(proof)]
    return out


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    public_key: PublicKey,
    canonical: Canonicalizer | None = None,
) -> VerifiedProof:
    """Verify one proof (of a proof set or the only one) over ``document`` with ``public_key``.

    ``document`` may still carry its ``proof`` member (it is left out, as the specifications
    require). The key is the caller's: ``verificationMethod`` is returned, never resolved.
    ``canonical`` replaces ``rfc8785`` for callers that can prove their data gives the same
    bytes faster (see :mod:`inspectx.proofs.certificate`).
    """
    if not isinstance(document, Mapping):
        raise _malformed("the document must be a JSON object")
    if not isinstance(proof, Mapping):
        raise _malformed("the proof must be a JSON object", location="/proof")
    if proof.get("type") != PROOF_TYPE:
        raise _malformed(f"proof type must be {PROOF_TYPE!r}", location="/proof/type")
    strings = {}
    for member in ("cryptosuite", "verificationMethod", "proofPurpose", "proofValue"):
        value = proof.get(member)
        if not isinstance(value, str) or not value:
            raise _malformed(
                f"proof member {member!r} must be a non-empty string", location=f"/proof/{member}"
            )
        strings[member] = value
    created = _parse_created(proof.get("created"))

    suite = _suite(strings["cryptosuite"], public_key)  # allow-list before any cryptography

    proof_value = strings["proofValue"]
    if len(proof_value) > _MAX_PROOF_VALUE:
        raise _malformed("proofValue is too long", location="/proof/proofValue")
    try:
        signature = multibase_decode(proof_value)
    except MultibaseError as exc:
        raise _malformed(f"proofValue: {exc.message}", location="/proof/proofValue") from None

    options = _options(proof)
    unsecured = _unsecured(document)
    if "@context" in options:
        # vc-di-eddsa/vc-di-ecdsa "Verify Proof": the document's @context must start with the
        # proof's, and the proof's @context is what was signed.
        if not _starts_with(unsecured.get("@context"), options["@context"]):
            raise ProofError(
                "proof.integrity",
                "the document's @context does not start with the proof's @context",
                location="/@context",
            )
        unsecured["@context"] = options["@context"]
    data = _hash_data(unsecured, options, suite, canonical)
    verify_signature(public_key, signature, data.combined)
    return VerifiedProof(
        cryptosuite=suite.cryptosuite,
        verification_method=strings["verificationMethod"],
        created=created,
        proof_purpose=strings["proofPurpose"],
        canonical_document_sha256=(
            data.document_hash if suite.hash_name == "sha256"
            else hashlib.sha256(data.canonical_document).digest()
        ).hex(),
    )  # fmt: skip


# --- internals -----------------------------------------------------------------------------


def _key_kind(key: object) -> KeyKind:
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "Ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return "P-256"
        if isinstance(key.curve, ec.SECP384R1):
            return "P-384"
        raise _not_allowed(f"ECDSA curve {key.curve.name} is not allowed")
    raise _not_allowed(f"a {type(key).__name__} key is not allowed")


def _suite_for_kind(kind: KeyKind) -> _Suite:
    return next(s for s in _ALLOWED if s.key_kind == kind)


def _suite(cryptosuite: object, key: object) -> _Suite:
    kind = _key_kind(key)
    for suite in _ALLOWED:
        if suite.cryptosuite == cryptosuite and suite.key_kind == kind:
            return suite
    if not any(s.cryptosuite == cryptosuite for s in _ALLOWED):
        raise _not_allowed(
            f"cryptosuite {cryptosuite!r} is not allowed", location="/proof/cryptosuite"
        )
    raise _not_allowed(
        f"cryptosuite {cryptosuite!r} cannot be used with a {kind} key",
        location="/proof/cryptosuite",
    )


def _hash_algorithm(suite: _Suite) -> hashes.HashAlgorithm:
    return hashes.SHA256() if suite.hash_name == "sha256" else hashes.SHA384()


def _unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def _options(proof: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in proof.items() if k != "proofValue"}


Canonicalizer = Callable[[object], bytes]


def _hash_data(
    unsecured: Mapping[str, Any],
    options: Mapping[str, Any],
    suite: _Suite,
    canonical: Canonicalizer | None = None,
) -> HashData:
    if canonical is None:
        canonical_config = canonicalize(options, what="proof configuration")
        canonical_document = canonicalize(unsecured)
    else:
        canonical_config, canonical_document = canonical(options), canonical(unsecured)
    return HashData(
        canonical_proof_config=canonical_config,
        canonical_document=canonical_document,
        proof_config_hash=hashlib.new(suite.hash_name, canonical_config).digest(),
        document_hash=hashlib.new(suite.hash_name, canonical_document).digest(),
    )


def _starts_with(document_context: object, proof_context: object) -> bool:
    def as_list(value: object) -> list[object] | None:
        if isinstance(value, list):
            return value
        return None if value is None else [value]

    doc, prf = as_list(document_context), as_list(proof_context)
    return doc is not None and prf is not None and doc[: len(prf)] == prf


def _format_datetime(value: datetime) -> str:
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _parse_created(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str) and _DATETIME_STAMP.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise _malformed(
        "proof member 'created' must be an XML Schema dateTimeStamp (e.g. 2026-01-02T03:04:05Z)",
        location="/proof/created",
    )


def _malformed(message: str, *, location: str | None = None) -> ProofError:
    return ProofError(
        "proof.malformed",
        message,
        location=location,
        hint="the proof must be a DataIntegrityProof as the W3C specs define it",
    )


def _not_allowed(message: str, *, location: str | None = None) -> ProofError:
    return ProofError(
        "proof.algorithm-not-allowed",
        message,
        location=location,
        hint="allowed: eddsa-jcs-2022 with Ed25519; ecdsa-jcs-2019 with P-256 or P-384",
    )
