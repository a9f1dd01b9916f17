"""Signing keys and certificates: generation, storage, loading, and the algorithm policy.

What inspectx signs with, and what it accepts to verify with, is one allow-list
(DESIGN.md §4 "Algorithm policy", security.md catalogue D):

* Ed25519; ECDSA on P-256 or P-384; RSA of 2048 to 8192 bits (new keys: RSA-3072).
* Never DSA, RSA below 2048 bits, other curves (P-192, secp256k1, brainpool, …), Ed448, or
  key-agreement keys (X25519/X448).
* Certificates signed with SHA-1, MD5, SHA-224 or any other algorithm off the list are refused.

Every loader applies the policy, so a weak key fails when it is loaded (configuration time),
not when a signature is checked. Private keys are written as PKCS#8 PEM, encrypted with the
best encryption ``cryptography`` offers when a passphrase is given. Passphrases come from an
environment variable (:func:`passphrase_from_environment`), never from the command line.

Nothing here ever puts key material or a passphrase into an error, a ``repr`` or a log: the
errors carry fixed texts, and the objects returned are ``cryptography`` key objects, whose
``repr`` holds no key material.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
    PublicKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from inspectx.errors import InspectxError

__all__ = [
    "MAX_KEY_FILE_BYTES",
    "RSA_GENERATED_BITS",
    "RSA_MAX_BITS",
    "RSA_MIN_BITS",
    "CertificateBuildError",
    "KeyAlgorithm",
    "KeyLoadError",
    "KeyPassphraseError",
    "KeyPolicyError",
    "PrivateKey",
    "PublicKey",
    "certificate_signing_request",
    "certificate_to_pem",
    "check_certificate_allowed",
    "check_key_allowed",
    "csr_to_pem",
    "describe_key",
    "generate_key",
    "load_certificate",
    "load_pkcs12",
    "load_private_key",
    "load_public_key",
    "passphrase_from_environment",
    "private_key_to_pem",
    "public_key_der",
    "public_key_to_pem",
    "self_signed_certificate",
]

PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
"""A private key the policy allows (Ed25519, ECDSA P-256/P-384, RSA 2048–8192)."""

PublicKey: TypeAlias = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
"""A public key the policy allows (Ed25519, ECDSA P-256/P-384, RSA 2048–8192)."""

RSA_MIN_BITS = 2048
"""Smallest RSA modulus accepted (DESIGN.md §4: never RSA < 2048)."""

RSA_MAX_BITS = 8192
"""Largest RSA modulus accepted: bigger keys only cost verification time (catalogue G5)."""

RSA_GENERATED_BITS = 3072
MAX_KEY_FILE_BYTES = 1024 * 1024
"""Key, certificate and PKCS#12 inputs larger than this are refused unread (1 MiB)."""

_DEFAULT_VALIDITY_DAYS = 825
_RSA_PUBLIC_EXPONENT = 65537

_ALLOWED_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
_ALLOWED_CERT_SIGNATURES = frozenset(
    {
        SignatureAlgorithmOID.RSA_WITH_SHA256,
        SignatureAlgorithmOID.RSA_WITH_SHA384,
        SignatureAlgorithmOID.RSA_WITH_SHA512,
        SignatureAlgorithmOID.RSASSA_PSS,  # its hash is checked separately
        SignatureAlgorithmOID.ECDSA_WITH_SHA256,
        SignatureAlgorithmOID.ECDSA_WITH_SHA384,
        SignatureAlgorithmOID.ECDSA_WITH_SHA512,
        SignatureAlgorithmOID.ED25519,
    }
)

_NOT_ALLOWED_HINT = (
    "use an Ed25519, ECDSA P-256/P-384 or RSA (2048 to 8192 bits) key; "
    "`inspectx keygen` makes a suitable one"
)


class KeyAlgorithm(StrEnum):
    """The key algorithms inspectx generates and accepts.

    ``rsa3072`` names the RSA family: new RSA keys have 3072 bits, and
    :func:`check_key_allowed` also answers ``rsa3072`` for an accepted RSA key of another size
    (2048 to 8192 bits); :func:`describe_key` gives the exact size.
    """

    ed25519 = "ed25519"
    p256 = "p256"
    p384 = "p384"
    rsa3072 = "rsa3072"


class KeyPolicyError(InspectxError):
    """A key or certificate is readable but outside the algorithm allow-list.

    Codes: ``key.not-allowed`` (key type, curve or size) and
    ``key.weak-certificate-signature`` (certificate signed with SHA-1, MD5 or another
    algorithm off the list).
    """


class KeyLoadError(InspectxError):
    """Key, certificate or PKCS#12 bytes cannot be read (code ``key.unreadable``).

    Raised for unparsable input, a wrong or missing passphrase, or the wrong kind of object
    (a certificate where a private key was expected). The message never contains the input,
    the key or the passphrase.
    """


class KeyPassphraseError(InspectxError):
    """A passphrase is unusable (code ``key.passphrase-empty``)."""


class CertificateBuildError(InspectxError):
    """A certificate or CSR cannot be made as asked.

    Codes: ``key.bad-subject`` (not an RFC 4514 name) and ``key.bad-validity`` (``days`` not
    positive, or ``now`` without a time zone).
    """


# --------------------------------------------------------------------------- policy


def describe_key(key: PublicKeyTypes | PrivateKeyTypes) -> str:
    """A short human name for a key such as ``RSA-2048`` or ``EC secp256k1`` (no key material)."""
    public = _public_of(key)
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA-{public.key_size}"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"EC {public.curve.name}"
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "Ed25519"
    return type(public).__name__.removeprefix("_").removesuffix("PublicKey") or "unknown"


def check_key_allowed(key: PublicKeyTypes | PrivateKeyTypes) -> KeyAlgorithm:
    """Return the algorithm of ``key`` if the allow-list accepts it, else raise.

    A private key is judged by its public half. Raises :class:`KeyPolicyError`
    (``key.not-allowed``) for DSA, RSA below 2048 or above 8192 bits, any curve other than
    P-256/P-384, Ed448, X25519/X448 and anything else not on the list.
    """
    public = _public_of(key)
    name = describe_key(public)
    if isinstance(public, ed25519.Ed25519PublicKey):
        return KeyAlgorithm.ed25519
    if isinstance(public, ec.EllipticCurvePublicKey):
        if isinstance(public.curve, ec.SECP256R1):
            return KeyAlgorithm.p256
        if isinstance(public.curve, ec.SECP384R1):
            return KeyAlgorithm.p384
        raise KeyPolicyError(
            "key.not-allowed",
            f"{name} key: only the curves P-256 (secp256r1) and P-384 (secp384r1) are allowed",
            hint=_NOT_ALLOWED_HINT,
        )
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < RSA_MIN_BITS:
            raise KeyPolicyError(
                "key.not-allowed",
                f"{name} key is below the {RSA_MIN_BITS}-bit minimum for RSA",
                hint=_NOT_ALLOWED_HINT,
            )
        if public.key_size > RSA_MAX_BITS:
            raise KeyPolicyError(
                "key.not-allowed",
                f"{name} key is above the {RSA_MAX_BITS}-bit maximum for RSA",
                hint=_NOT_ALLOWED_HINT,
            )
        return KeyAlgorithm.rsa3072
    raise KeyPolicyError(
        "key.not-allowed",
        f"{name} keys are not allowed",
        hint=_NOT_ALLOWED_HINT,
    )


def check_certificate_allowed(certificate: x509.Certificate) -> KeyAlgorithm:
    """Check a certificate's signature algorithm and public key; return the key's algorithm.

    Raises :class:`KeyPolicyError`: ``key.weak-certificate-signature`` when the certificate is
    signed with SHA-1, MD5 or any algorithm off the allow-list (RSA PKCS#1 v1.5 or PSS, or
    ECDSA, with SHA-256/384/512; Ed25519), and ``key.not-allowed`` when its key is refused by
    :func:`check_key_allowed`. Validity dates, trust and key usage are not judged here.
    """
    oid = certificate.signature_algorithm_oid
    algorithm_name = getattr(oid, "_name", None) or oid.dotted_string
    if oid not in _ALLOWED_CERT_SIGNATURES:
        raise KeyPolicyError(
            "key.weak-certificate-signature",
            f"the certificate is signed with {algorithm_name}, which is not allowed "
            "(never SHA-1 or MD5)",
            hint="re-issue the certificate with a SHA-256 (or stronger) signature",
        )
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        try:
            digest = certificate.signature_hash_algorithm
        except UnsupportedAlgorithm:
            digest = None
        if not isinstance(digest, _ALLOWED_HASHES):
            raise KeyPolicyError(
                "key.weak-certificate-signature",
                "the certificate is signed with RSASSA-PSS over a hash that is not allowed",
                hint="re-issue the certificate with a SHA-256 (or stronger) signature",
            )
    try:
        public = certificate.public_key()
    except (UnsupportedAlgorithm, ValueError):
        raise KeyPolicyError(
            "key.not-allowed",
            "the certificate holds a public key of an unsupported type",
            hint=_NOT_ALLOWED_HINT,
        ) from None
    return check_key_allowed(public)


# --------------------------------------------------------------------------- generation


def generate_key(algorithm: KeyAlgorithm | str) -> PrivateKey:
    """Make a new private key: Ed25519, ECDSA P-256 or P-384, or RSA-3072 (e = 65537)."""
    try:
        chosen = KeyAlgorithm(algorithm)
    except ValueError:
        allowed = ", ".join(member.value for member in KeyAlgorithm)
        raise KeyPolicyError(
            "key.not-allowed",
            "unknown key algorithm",
            hint=f"choose one of: {allowed}",
        ) from None
    match chosen:
        case KeyAlgorithm.ed25519:
            return ed25519.Ed25519PrivateKey.generate()
        case KeyAlgorithm.p256:
            return ec.generate_private_key(ec.SECP256R1())
        case KeyAlgorithm.p384:
            return ec.generate_private_key(ec.SECP384R1())
        case KeyAlgorithm.rsa3072:
            return rsa.generate_private_key(
                public_exponent=_RSA_PUBLIC_EXPONENT, key_size=RSA_GENERATED_BITS
            )


# --------------------------------------------------------------------------- export


def private_key_to_pem(key: PrivateKey, *, passphrase: bytes | None) -> bytes:
    """The key as PKCS#8 PEM; encrypted (best available, AES-256) when a passphrase is given.

    ``passphrase=None`` writes an unencrypted ``PRIVATE KEY``; otherwise an
    ``ENCRYPTED PRIVATE KEY``. An empty passphrase raises :class:`KeyPassphraseError`.
    """
    check_key_allowed(key)
    encryption: serialization.KeySerializationEncryption
    if passphrase is None:
        encryption = serialization.NoEncryption()
    else:
        _require_passphrase(passphrase)
        encryption = serialization.BestAvailableEncryption(passphrase)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=encryption,
    )


def public_key_to_pem(key: PublicKey | PrivateKey) -> bytes:
    """The public key (of a public or private key) as SubjectPublicKeyInfo PEM."""
    public = _public_of(key)
    return public.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )


def public_key_der(key: object) -> bytes:
    """The SubjectPublicKeyInfo DER of a public or private key; b"" for anything else.

    Two keys are the same key exactly when these bytes are equal.
    """
    if hasattr(key, "private_bytes"):
        key = key.public_key()  # type: ignore[attr-defined]
    public_bytes = getattr(key, "public_bytes", None)
    if public_bytes is None:
        return b""
    der: bytes = public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def certificate_to_pem(certificate: x509.Certificate) -> bytes:
    """The certificate as PEM (``-----BEGIN CERTIFICATE-----``)."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def csr_to_pem(csr: x509.CertificateSigningRequest) -> bytes:
    """The certificate signing request as PEM (``-----BEGIN CERTIFICATE REQUEST-----``)."""
    return csr.public_bytes(serialization.Encoding.PEM)


# --------------------------------------------------------------------------- certificates


def self_signed_certificate(
    key: PrivateKey,
    *,
    subject: str,
    days: int = _DEFAULT_VALIDITY_DAYS,
    now: datetime,
) -> x509.Certificate:
    """A self-signed end-entity certificate for ``key``.

    ``subject`` is an RFC 4514 string such as ``"CN=Example Lab,O=Example GmbH,C=DE"``; it is
    also the issuer. Valid from ``now`` (time-zone aware, truncated to the second) for
    ``days`` days. Signed with SHA-256 (RSA PKCS#1 v1.5, ECDSA P-256), SHA-384 (ECDSA P-384)
    or pure Ed25519. Extensions: basicConstraints CA=false (critical), keyUsage
    digitalSignature + nonRepudiation (critical), subjectKeyIdentifier.
    """
    algorithm = check_key_allowed(key)
    name = _parse_subject(subject)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise CertificateBuildError(
            "key.bad-validity",
            "the validity period must be a whole number of days, at least 1",
            hint="give a positive number of days (the default is 825)",
        )
    if now.tzinfo is None or now.utcoffset() is None:
        raise CertificateBuildError(
            "key.bad-validity",
            "the start of validity has no time zone",
            hint="pass an aware datetime, e.g. datetime.now(timezone.utc)",
        )
    start = now.replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
    )
    for extension, critical in _end_entity_extensions(key):
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, _signature_hash(algorithm))


def certificate_signing_request(key: PrivateKey, *, subject: str) -> x509.CertificateSigningRequest:
    """A PKCS#10 certificate signing request for ``key``, signed like the self-signed certificate.

    It requests the same extensions: basicConstraints CA=false, keyUsage digitalSignature +
    nonRepudiation, subjectKeyIdentifier (a CA may replace them).
    """
    algorithm = check_key_allowed(key)
    builder = x509.CertificateSigningRequestBuilder().subject_name(_parse_subject(subject))
    for extension, critical in _end_entity_extensions(key):
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, _signature_hash(algorithm))


# --------------------------------------------------------------------------- loading


def load_private_key(data: bytes, *, passphrase: bytes | None) -> PrivateKey:
    """Read a private key from PKCS#8 PEM or DER (also traditional PEM) or from PKCS#12.

    The key must pass :func:`check_key_allowed`. A passphrase given for an unencrypted key is
    ignored. Raises :class:`KeyLoadError` (``key.unreadable``) for anything unreadable,
    including a wrong or missing passphrase, and :class:`KeyPolicyError` for a refused key.
    """
    _check_size(data, "private key")
    if _is_pem(data):
        return _load_pem_private_key(data, passphrase)
    try:
        der_key = serialization.load_der_private_key(data, password=None)
    except TypeError:
        # An encrypted PKCS#8 DER key: try again with the passphrase.
        der_key = _load_encrypted_der_private_key(data, passphrase)
    except (ValueError, UnsupportedAlgorithm):
        return load_pkcs12(data, passphrase)[0]
    return _allowed_private_key(der_key)


def load_pkcs12(
    data: bytes, passphrase: bytes | None
) -> tuple[PrivateKey, x509.Certificate | None, tuple[x509.Certificate, ...]]:
    """Read a PKCS#12 (``.p12``/``.pfx``) file: its private key, certificate and other certs.

    The key must pass :func:`check_key_allowed`; the certificate and every certificate of the
    chain must pass :func:`check_certificate_allowed`. Raises :class:`KeyLoadError`
    (``key.unreadable``) for unreadable data, a wrong passphrase or a file without a key.
    """
    _check_size(data, "PKCS#12 file")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _unreadable_private() from None
    if key is None:
        raise KeyLoadError(
            "key.unreadable",
            "the PKCS#12 file holds no private key",
            hint="export the PKCS#12 file together with its private key",
        )
    allowed = _allowed_private_key(key)
    if certificate is not None:
        check_certificate_allowed(certificate)
    for extra in chain:
        check_certificate_allowed(extra)
    return allowed, certificate, tuple(chain)


def load_certificate(data: bytes) -> x509.Certificate:
    """Read an X.509 certificate (PEM or DER) that passes :func:`check_certificate_allowed`."""
    _check_size(data, "certificate")
    try:
        if _is_pem(data):
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyLoadError(
            "key.unreadable",
            "the data is not a readable X.509 certificate",
            hint="give a certificate in PEM (-----BEGIN CERTIFICATE-----) or DER form",
        ) from None
    check_certificate_allowed(certificate)
    return certificate


def load_public_key(data: bytes) -> PublicKey:
    """Read a public key from SubjectPublicKeyInfo PEM or DER, or from an X.509 certificate.

    A certificate must pass :func:`check_certificate_allowed`, a bare key
    :func:`check_key_allowed`. Private keys are refused (``key.unreadable``).
    """
    _check_size(data, "public key")
    if _is_pem(data):
        if b"-----BEGIN CERTIFICATE-----" in data:
            return _allowed_public_key(load_certificate(data).public_key())
        if b"PRIVATE KEY-----" in data:
            raise KeyLoadError(
                "key.unreadable",
                "a private key was given where a public key or certificate was expected",
                hint="give the public key (PEM SubjectPublicKeyInfo) or the certificate",
            )
        try:
            public = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise _unreadable_public() from None
        return _allowed_public_key(public)
    try:
        certificate = x509.load_der_x509_certificate(data)
    except (ValueError, UnsupportedAlgorithm):
        try:
            public = serialization.load_der_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise _unreadable_public() from None
        return _allowed_public_key(public)
    check_certificate_allowed(certificate)
    return _allowed_public_key(certificate.public_key())


def passphrase_from_environment(variable: str, environ: Mapping[str, str]) -> bytes | None:
    """The passphrase held in ``environ[variable]`` as bytes, or ``None`` when it is unset.

    ``environ`` is explicit (the CLI passes ``os.environ``); passphrases are never command-line
    arguments. The value is encoded back to the bytes the operating system holds
    (``os.fsencode``). A set but empty variable raises :class:`KeyPassphraseError`.
    """
    value = environ.get(variable)
    if value is None:
        return None
    passphrase = os.fsencode(value)
    if not passphrase:
        raise KeyPassphraseError(
            "key.passphrase-empty",
            f"the environment variable {variable} is set but empty",
            hint=f"put the passphrase in {variable}, or unset it for an unencrypted key",
        )
    return passphrase


# --------------------------------------------------------------------------- internals


def _public_of(key: PublicKeyTypes | PrivateKeyTypes) -> PublicKeyTypes:
    public_key = getattr(key, "public_key", None)
    if callable(public_key):
        public: PublicKeyTypes = public_key()
        return public
    return key  # type: ignore[return-value]  # a public key already


def _allowed_private_key(key: PrivateKeyTypes) -> PrivateKey:
    check_key_allowed(key)
    if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return key
    raise KeyPolicyError(  # unreachable while check_key_allowed and PrivateKey agree
        "key.not-allowed", "this kind of private key is not allowed", hint=_NOT_ALLOWED_HINT
    )


def _allowed_public_key(key: PublicKeyTypes | CertificatePublicKeyTypes) -> PublicKey:
    check_key_allowed(key)
    if isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        return key
    raise KeyPolicyError(  # unreachable while check_key_allowed and PublicKey agree
        "key.not-allowed", "this kind of public key is not allowed", hint=_NOT_ALLOWED_HINT
    )


def _require_passphrase(passphrase: bytes) -> None:
    if not passphrase:
        raise KeyPassphraseError(
            "key.passphrase-empty",
            "the passphrase is empty",
            hint="use a non-empty passphrase, or none for an unencrypted key",
        )


def _is_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:4096]


def _check_size(data: bytes, what: str) -> None:
    if not isinstance(data, bytes | bytearray):
        raise KeyLoadError(
            "key.unreadable",
            f"the {what} must be given as bytes",
            hint="read the file in binary mode",
        )
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyLoadError(
            "key.unreadable",
            f"the {what} input is larger than {MAX_KEY_FILE_BYTES} bytes",
            hint="give the key or certificate file itself",
        )
    if not data:
        raise KeyLoadError(
            "key.unreadable",
            f"the {what} input is empty",
            hint="give the key or certificate file itself",
        )


def _unreadable_private() -> KeyLoadError:
    return KeyLoadError(
        "key.unreadable",
        "the data is not a readable private key, or the passphrase is wrong",
        hint=(
            "give a PKCS#8 key (PEM or DER) or a PKCS#12 file, and check the passphrase "
            "in the environment variable"
        ),
    )


def _unreadable_public() -> KeyLoadError:
    return KeyLoadError(
        "key.unreadable",
        "the data is not a readable public key or certificate",
        hint="give a PEM/DER SubjectPublicKeyInfo public key or an X.509 certificate",
    )


def _encrypted_without_passphrase() -> KeyLoadError:
    return KeyLoadError(
        "key.unreadable",
        "the private key is encrypted and no passphrase was given",
        hint="put the passphrase in the environment variable named by the key option",
    )


def _load_pem_private_key(data: bytes, passphrase: bytes | None) -> PrivateKey:
    if b"-----BEGIN CERTIFICATE-----" in data and b"PRIVATE KEY-----" not in data:
        raise KeyLoadError(
            "key.unreadable",
            "a certificate was given where a private key was expected",
            hint="give the private key file (PKCS#8 PEM) or a PKCS#12 file",
        )
    encrypted = (
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data or b"Proc-Type: 4,ENCRYPTED" in data
    )
    if encrypted and passphrase is None:
        raise _encrypted_without_passphrase()
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except TypeError:
        raise _encrypted_without_passphrase() from None
    except (ValueError, UnsupportedAlgorithm):
        raise _unreadable_private() from None
    return _allowed_private_key(key)


def _load_encrypted_der_private_key(data: bytes, passphrase: bytes | None) -> PrivateKey:
    if passphrase is None:
        raise _encrypted_without_passphrase()
    try:
        key = serialization.load_der_private_key(data, password=passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _unreadable_private() from None
    return _allowed_private_key(key)


def _parse_subject(subject: str) -> x509.Name:
    try:
        name = x509.Name.from_rfc4514_string(subject)
    except (ValueError, TypeError, AttributeError):
        name = None
    if name is None or len(name) == 0:
        raise CertificateBuildError(
            "key.bad-subject",
            "the subject is not an RFC 4514 distinguished name",
            hint='write it like "CN=Example Lab,O=Example GmbH,C=DE"',
        )
    if not name.get_attributes_for_oid(NameOID.COMMON_NAME) and not name.get_attributes_for_oid(
        NameOID.ORGANIZATION_NAME
    ):
        raise CertificateBuildError(
            "key.bad-subject",
            "the subject names neither a common name (CN) nor an organisation (O)",
            hint='write it like "CN=Example Lab,O=Example GmbH,C=DE"',
        )
    return name


def _end_entity_extensions(key: PrivateKey) -> tuple[tuple[x509.ExtensionType, bool], ...]:
    return (
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        ),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
    )


def _signature_hash(algorithm: KeyAlgorithm) -> hashes.SHA256 | hashes.SHA384 | None:
    match algorithm:
        case KeyAlgorithm.ed25519:
            return None
        case KeyAlgorithm.p384:
            return hashes.SHA384()
        case KeyAlgorithm.p256 | KeyAlgorithm.rsa3072:
            return hashes.SHA256()
