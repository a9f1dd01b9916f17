"""Keys and certificates: generation, PEM/PKCS#12 round trips, algorithm policy (catalogue D8)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
    x25519,
)
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspectx.errors import InspectxError
from inspectx.proofs.keys import (
    CertificateBuildError,
    KeyAlgorithm,
    KeyLoadError,
    KeyPassphraseError,
    KeyPolicyError,
    PrivateKey,
    certificate_signing_request,
    certificate_to_pem,
    check_certificate_allowed,
    check_key_allowed,
    csr_to_pem,
    describe_key,
    generate_key,
    load_certificate,
    load_pkcs12,
    load_private_key,
    load_public_key,
    passphrase_from_environment,
    private_key_to_pem,
    public_key_to_pem,
    self_signed_certificate,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SUBJECT = "CN=Example Lab,O=Example Prüflabor GmbH,C=DE"
PASSPHRASE = b"correct horse battery staple"
WRONG = b"not the passphrase at all"
XMLSEC = "vectors/xmlsec-aleksey-xmldsig-01"

# DER of the signature algorithm OIDs, for forging legacy-signed certificates below.
_SHA256_RSA_OID = bytes.fromhex("06092a864886f70d01010b")
_SHA1_RSA_OID = bytes.fromhex("06092a864886f70d010105")
_MD5_RSA_OID = bytes.fromhex("06092a864886f70d010104")


@pytest.fixture(scope="module")
def keys() -> dict[KeyAlgorithm, PrivateKey]:
    """One generated key per algorithm (RSA-3072 generation is slow: make it once)."""
    return {algorithm: generate_key(algorithm) for algorithm in KeyAlgorithm}


@pytest.fixture(scope="module")
def rsa_key(keys: dict[KeyAlgorithm, PrivateKey]) -> rsa.RSAPrivateKey:
    key = keys[KeyAlgorithm.rsa3072]
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _same_key(a: PrivateKey, b: PrivateKey) -> bool:
    return public_key_to_pem(a) == public_key_to_pem(b)


def _der_body(key: PrivateKey) -> bytes:
    """A chunk of the unencrypted key's base64 text, to look for leaks."""
    pem = private_key_to_pem(key, passphrase=None).decode()
    return "".join(pem.splitlines()[1:-1])[10:40].encode()


def _assert_no_secret(error: BaseException, *secrets: bytes) -> None:
    texts = [str(error), repr(error)]
    if isinstance(error, InspectxError):
        texts += [error.message, error.hint, repr(error.as_dict())]
    for text in texts:
        for secret in secrets:
            assert secret.decode("latin-1") not in text


# --------------------------------------------------------------------------- generation


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_generate_every_algorithm(
    keys: dict[KeyAlgorithm, PrivateKey], algorithm: KeyAlgorithm
) -> None:
    key = keys[algorithm]
    assert check_key_allowed(key) is algorithm
    assert check_key_allowed(key.public_key()) is algorithm
    expected = {
        KeyAlgorithm.ed25519: "Ed25519",
        KeyAlgorithm.p256: "EC secp256r1",
        KeyAlgorithm.p384: "EC secp384r1",
        KeyAlgorithm.rsa3072: "RSA-3072",
    }[algorithm]
    assert describe_key(key) == expected


def test_generate_accepts_strings_and_refuses_unknown() -> None:
    assert isinstance(generate_key("ed25519"), ed25519.Ed25519PrivateKey)
    with pytest.raises(KeyPolicyError) as caught:
        generate_key("rsa1024")
    assert caught.value.code == "key.not-allowed"
    assert "p256" in caught.value.hint


def test_generated_rsa_key_has_standard_exponent(rsa_key: rsa.RSAPrivateKey) -> None:
    assert rsa_key.key_size == 3072
    assert rsa_key.public_key().public_numbers().e == 65537


# --------------------------------------------------------------------------- PEM round trips


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_pem_round_trip_unencrypted(
    keys: dict[KeyAlgorithm, PrivateKey], algorithm: KeyAlgorithm
) -> None:
    key = keys[algorithm]
    pem = private_key_to_pem(key, passphrase=None)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    loaded = load_private_key(pem, passphrase=None)
    assert _same_key(key, loaded)
    # a passphrase set for an unencrypted key is ignored
    assert _same_key(key, load_private_key(pem, passphrase=PASSPHRASE))


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_pem_round_trip_encrypted(
    keys: dict[KeyAlgorithm, PrivateKey], algorithm: KeyAlgorithm
) -> None:
    key = keys[algorithm]
    pem = private_key_to_pem(key, passphrase=PASSPHRASE)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert PASSPHRASE not in pem
    assert _der_body(key) not in pem
    assert _same_key(key, load_private_key(pem, passphrase=PASSPHRASE))


def test_der_pkcs8_round_trip(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    key = keys[KeyAlgorithm.p256]
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert _same_key(key, load_private_key(plain, passphrase=None))
    encrypted = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE),
    )
    assert _same_key(key, load_private_key(encrypted, passphrase=PASSPHRASE))
    with pytest.raises(KeyLoadError) as caught:
        load_private_key(encrypted, passphrase=WRONG)
    assert caught.value.code == "key.unreadable"
    with pytest.raises(KeyLoadError):
        load_private_key(encrypted, passphrase=None)


def test_wrong_passphrase_is_unreadable_and_leaks_nothing(
    keys: dict[KeyAlgorithm, PrivateKey],
) -> None:
    key = keys[KeyAlgorithm.ed25519]
    pem = private_key_to_pem(key, passphrase=PASSPHRASE)
    with pytest.raises(KeyLoadError) as caught:
        load_private_key(pem, passphrase=WRONG)
    error = caught.value
    assert error.code == "key.unreadable"
    assert "passphrase" in error.message
    assert error.hint
    assert error.__cause__ is None
    assert error.__suppress_context__
    _assert_no_secret(error, PASSPHRASE, WRONG, _der_body(key), pem[40:80])


def test_missing_passphrase_for_encrypted_key(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    pem = private_key_to_pem(keys[KeyAlgorithm.p384], passphrase=PASSPHRASE)
    with pytest.raises(KeyLoadError) as caught:
        load_private_key(pem, passphrase=None)
    assert caught.value.code == "key.unreadable"
    assert "encrypted" in caught.value.message


def test_empty_passphrase_is_refused(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    with pytest.raises(KeyPassphraseError) as caught:
        private_key_to_pem(keys[KeyAlgorithm.p256], passphrase=b"")
    assert caught.value.code == "key.passphrase-empty"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        b"\x30\x82\x01\x00" + b"\x00" * 256,
        b"x" * (1024 * 1024 + 1),
    ],
    ids=["empty", "text", "bad-pem", "bad-der", "too-large"],
)
def test_garbage_private_key_is_unreadable(data: bytes) -> None:
    with pytest.raises(KeyLoadError) as caught:
        load_private_key(data, passphrase=None)
    assert caught.value.code == "key.unreadable"


def test_certificate_given_as_private_key(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    key = keys[KeyAlgorithm.p256]
    cert_pem = certificate_to_pem(self_signed_certificate(key, subject=SUBJECT, now=NOW))
    with pytest.raises(KeyLoadError) as caught:
        load_private_key(cert_pem, passphrase=None)
    assert "certificate" in caught.value.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_random_bytes_never_crash_the_loaders(data: bytes) -> None:
    for load in (
        lambda: load_private_key(data, passphrase=None),
        lambda: load_private_key(data, passphrase=WRONG),
        lambda: load_public_key(data),
        lambda: load_certificate(data),
    ):
        with contextlib.suppress(KeyLoadError, KeyPolicyError):
            load()


# --------------------------------------------------------------------------- PKCS#12


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_pkcs12_round_trip(keys: dict[KeyAlgorithm, PrivateKey], algorithm: KeyAlgorithm) -> None:
    key = keys[algorithm]
    cert = self_signed_certificate(key, subject=SUBJECT, now=NOW)
    p12 = pkcs12.serialize_key_and_certificates(
        b"example lab", key, cert, None, serialization.BestAvailableEncryption(PASSPHRASE)
    )
    loaded_key, loaded_cert, chain = load_pkcs12(p12, PASSPHRASE)
    assert _same_key(key, loaded_key)
    assert loaded_cert == cert
    assert chain == ()
    assert _same_key(key, load_private_key(p12, passphrase=PASSPHRASE))
    assert "BEGIN" not in repr((loaded_key, loaded_cert, chain))
    assert _der_body(key).decode() not in repr((loaded_key, loaded_cert, chain))


def test_pkcs12_with_chain_and_without_encryption(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    key = keys[KeyAlgorithm.p256]
    cert = self_signed_certificate(key, subject=SUBJECT, now=NOW)
    other = self_signed_certificate(
        keys[KeyAlgorithm.ed25519], subject="CN=Accreditation Body,C=DE", now=NOW
    )
    p12 = pkcs12.serialize_key_and_certificates(
        None, key, cert, [other], serialization.NoEncryption()
    )
    loaded_key, loaded_cert, chain = load_pkcs12(p12, None)
    assert _same_key(key, loaded_key)
    assert loaded_cert == cert
    assert chain == (other,)


def test_pkcs12_wrong_passphrase(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    key = keys[KeyAlgorithm.ed25519]
    cert = self_signed_certificate(key, subject=SUBJECT, now=NOW)
    p12 = pkcs12.serialize_key_and_certificates(
        b"lab", key, cert, None, serialization.BestAvailableEncryption(PASSPHRASE)
    )
    for passphrase in (WRONG, None):
        with pytest.raises(KeyLoadError) as caught:
            load_pkcs12(p12, passphrase)
        assert caught.value.code == "key.unreadable"
        _assert_no_secret(caught.value, PASSPHRASE, WRONG)
        with pytest.raises(KeyLoadError):
            load_private_key(p12, passphrase=passphrase)


def test_pkcs12_without_key_is_unreadable(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    cert = self_signed_certificate(keys[KeyAlgorithm.p256], subject=SUBJECT, now=NOW)
    p12 = pkcs12.serialize_key_and_certificates(
        b"lab", None, cert, None, serialization.NoEncryption()
    )
    with pytest.raises(KeyLoadError) as caught:
        load_pkcs12(p12, None)
    assert "no private key" in caught.value.message


def test_pkcs12_with_weak_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p12 = pkcs12.serialize_key_and_certificates(
        b"old", weak, None, None, serialization.NoEncryption()
    )
    with pytest.raises(KeyPolicyError) as caught:
        load_pkcs12(p12, None)
    assert caught.value.code == "key.not-allowed"


# --------------------------------------------------------------------------- certificates


def _extension(
    cert: x509.Certificate | x509.CertificateSigningRequest, oid: x509.ObjectIdentifier
) -> x509.Extension[x509.ExtensionType]:
    return cert.extensions.get_extension_for_oid(oid)


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_self_signed_certificate(
    keys: dict[KeyAlgorithm, PrivateKey], algorithm: KeyAlgorithm
) -> None:
    key = keys[algorithm]
    cert = self_signed_certificate(key, subject=SUBJECT, now=NOW + timedelta(microseconds=7))
    cert.verify_directly_issued_by(cert)  # its own key verifies its signature
    assert cert.public_key() == key.public_key()
    assert cert.subject == cert.issuer == x509.Name.from_rfc4514_string(SUBJECT)
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Example Prüflabor GmbH"
    )
    assert cert.not_valid_before_utc == NOW
    assert cert.not_valid_after_utc == NOW + timedelta(days=825)
    assert cert.version is x509.Version.v3
    assert cert.serial_number > 0

    expected_hash = {
        KeyAlgorithm.ed25519: None,
        KeyAlgorithm.p256: "sha256",
        KeyAlgorithm.p384: "sha384",
        KeyAlgorithm.rsa3072: "sha256",
    }[algorithm]
    digest = cert.signature_hash_algorithm
    assert (digest.name if digest else None) == expected_hash
    if algorithm is KeyAlgorithm.ed25519:
        assert cert.signature_algorithm_oid == SignatureAlgorithmOID.ED25519

    basic = _extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    assert basic.critical
    assert isinstance(basic.value, x509.BasicConstraints)
    assert basic.value.ca is False
    usage = _extension(cert, ExtensionOID.KEY_USAGE)
    assert usage.critical
    assert isinstance(usage.value, x509.KeyUsage)
    assert usage.value.digital_signature
    assert usage.value.content_commitment  # nonRepudiation
    assert not usage.value.key_cert_sign
    assert not usage.value.key_encipherment
    ski = _extension(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(key.public_key())

    assert check_certificate_allowed(cert) is algorithm
    pem = certificate_to_pem(cert)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert load_certificate(pem) == cert
    assert public_key_to_pem(load_public_key(pem)) == public_key_to_pem(key)
    der = cert.public_bytes(serialization.Encoding.DER)
    assert public_key_to_pem(load_public_key(der)) == public_key_to_pem(key)


def test_certificate_validity_days_and_zone() -> None:
    key = generate_key(KeyAlgorithm.ed25519)
    cert = self_signed_certificate(key, subject="CN=Lab", days=30, now=NOW)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=30)
    with pytest.raises(CertificateBuildError) as caught:
        self_signed_certificate(key, subject="CN=Lab", days=0, now=NOW)
    assert caught.value.code == "key.bad-validity"
    with pytest.raises(CertificateBuildError) as caught:
        self_signed_certificate(key, subject="CN=Lab", now=datetime(2026, 1, 1))
    assert caught.value.code == "key.bad-validity"


@pytest.mark.parametrize("subject", ["", "not a name", "FOO=bar", "C=DE", "CN"])
def test_bad_subject(subject: str) -> None:
    key = generate_key(KeyAlgorithm.ed25519)
    with pytest.raises(CertificateBuildError) as caught:
        self_signed_certificate(key, subject=subject, now=NOW)
    assert caught.value.code == "key.bad-subject"
    with pytest.raises(CertificateBuildError):
        certificate_signing_request(key, subject=subject)


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_certificate_signing_request(
    keys: dict[KeyAlgorithm, PrivateKey], algorithm: KeyAlgorithm
) -> None:
    key = keys[algorithm]
    csr = certificate_signing_request(key, subject=SUBJECT)
    assert csr.is_signature_valid
    assert csr.public_key() == key.public_key()
    assert csr.subject == x509.Name.from_rfc4514_string(SUBJECT)
    basic = _extension(csr, ExtensionOID.BASIC_CONSTRAINTS)
    assert isinstance(basic.value, x509.BasicConstraints)
    assert basic.value.ca is False
    usage = _extension(csr, ExtensionOID.KEY_USAGE)
    assert isinstance(usage.value, x509.KeyUsage)
    assert usage.value.digital_signature
    assert usage.value.content_commitment
    assert _extension(csr, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    pem = csr_to_pem(csr)
    assert pem.startswith(b"-----BEGIN CERTIFICATE REQUEST-----\n")
    assert x509.load_pem_x509_csr(pem) == csr


# --------------------------------------------------------------------------- policy (D8)


def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: _rsa(1024), "RSA-1024"),
        (lambda: _rsa(2047), "RSA-2047"),
        (lambda: ec.generate_private_key(ec.SECP192R1()), "EC secp192r1"),
        (lambda: ec.generate_private_key(ec.SECP256K1()), "EC secp256k1"),
        (lambda: ec.generate_private_key(ec.SECP521R1()), "EC secp521r1"),
        (lambda: ec.generate_private_key(ec.BrainpoolP256R1()), "EC brainpoolP256r1"),
        (lambda: dsa.generate_private_key(key_size=1024), "DSA"),
        (lambda: ed448.Ed448PrivateKey.generate(), "Ed448"),
        (lambda: x25519.X25519PrivateKey.generate(), "X25519"),
    ],
    ids=["rsa1024", "rsa2047", "p192", "secp256k1", "p521", "brainpool", "dsa", "ed448", "x25519"],
)
def test_policy_refuses_weak_or_foreign_keys(make: object, name: str) -> None:
    assert callable(make)
    key = make()
    for candidate in (key, key.public_key()):
        with pytest.raises(KeyPolicyError) as caught:
            check_key_allowed(candidate)
        assert caught.value.code == "key.not-allowed"
        assert name in caught.value.message
        assert caught.value.hint
    # the loaders apply the policy too: refused at load (configuration) time
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyPolicyError):
        load_private_key(private_pem, passphrase=None)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyPolicyError):
        load_public_key(public_pem)
    _assert_no_secret(caught.value, private_pem[40:80])


def test_policy_rsa_bounds() -> None:
    assert check_key_allowed(_rsa(2048)) is KeyAlgorithm.rsa3072  # the RSA family
    huge = rsa.RSAPublicNumbers(65537, (1 << 8199) | 1).public_key()
    with pytest.raises(KeyPolicyError) as caught:
        check_key_allowed(huge)
    assert "8192" in caught.value.message


def _forge_legacy_signature(
    cert: x509.Certificate, key: rsa.RSAPrivateKey, oid_der: bytes, digest: hashes.HashAlgorithm
) -> x509.Certificate:
    """Re-sign an RSA/SHA-256 certificate with SHA-1 or MD5 (cryptography refuses to build one).

    The OIDs have the same DER length, and an RSA signature is as long as the modulus, so the
    certificate's structure keeps every length; only the OIDs and the signature change.
    """
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(_SHA256_RSA_OID) == 2  # in tbsCertificate and in the outer certificate
    patched = x509.load_der_x509_certificate(der.replace(_SHA256_RSA_OID, oid_der))
    signature = key.sign(patched.tbs_certificate_bytes, padding.PKCS1v15(), digest)
    assert len(signature) == len(patched.signature)
    resigned = patched.public_bytes(serialization.Encoding.DER).replace(
        patched.signature, signature
    )
    forged = x509.load_der_x509_certificate(resigned)
    key.public_key().verify(
        forged.signature, forged.tbs_certificate_bytes, padding.PKCS1v15(), digest
    )
    return forged


@pytest.mark.parametrize(
    ("oid_der", "digest", "name"),
    [(_SHA1_RSA_OID, hashes.SHA1(), "sha1"), (_MD5_RSA_OID, hashes.MD5(), "md5")],
    ids=["sha1", "md5"],
)
def test_policy_refuses_legacy_signed_certificate(
    rsa_key: rsa.RSAPrivateKey, oid_der: bytes, digest: hashes.HashAlgorithm, name: str
) -> None:
    good = self_signed_certificate(rsa_key, subject=SUBJECT, now=NOW)
    assert check_certificate_allowed(good) is KeyAlgorithm.rsa3072
    forged = _forge_legacy_signature(good, rsa_key, oid_der, digest)
    assert forged.signature_hash_algorithm is not None
    assert forged.signature_hash_algorithm.name == name
    with pytest.raises(KeyPolicyError) as caught:
        check_certificate_allowed(forged)
    assert caught.value.code == "key.weak-certificate-signature"
    assert name in caught.value.message.lower()
    pem = certificate_to_pem(forged)
    for load in (load_certificate, load_public_key):
        with pytest.raises(KeyPolicyError) as caught:
            load(pem)
        assert caught.value.code == "key.weak-certificate-signature"
    p12 = pkcs12.serialize_key_and_certificates(
        b"lab", rsa_key, forged, None, serialization.NoEncryption()
    )
    with pytest.raises(KeyPolicyError):
        load_pkcs12(p12, None)


def test_load_public_key_forms(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    key = keys[KeyAlgorithm.p384]
    spki_pem = public_key_to_pem(key)
    assert spki_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert public_key_to_pem(load_public_key(spki_pem)) == spki_pem
    spki_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key_to_pem(load_public_key(spki_der)) == spki_pem
    with pytest.raises(KeyLoadError) as caught:
        load_public_key(private_key_to_pem(key, passphrase=None))
    assert caught.value.code == "key.unreadable"
    assert "private key" in caught.value.message
    with pytest.raises(KeyLoadError):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


# --------------------------------------------------------------------------- passphrases


def test_passphrase_from_environment() -> None:
    environ = {"INSPECTX_KEY_PASSPHRASE": "grüne Äpfel", "EMPTY": ""}
    assert passphrase_from_environment("INSPECTX_KEY_PASSPHRASE", environ) == (
        "grüne Äpfel".encode()
    )
    assert passphrase_from_environment("UNSET", environ) is None
    with pytest.raises(KeyPassphraseError) as caught:
        passphrase_from_environment("EMPTY", environ)
    assert caught.value.code == "key.passphrase-empty"
    assert "EMPTY" in caught.value.message


def test_passphrase_from_environment_round_trip(keys: dict[KeyAlgorithm, PrivateKey]) -> None:
    passphrase = passphrase_from_environment("P", {"P": "s3cret"})
    assert passphrase is not None
    key = keys[KeyAlgorithm.p256]
    pem = private_key_to_pem(key, passphrase=passphrase)
    assert _same_key(key, load_private_key(pem, passphrase=b"s3cret"))


# --------------------------------------------------------------------------- openssl interop


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        pytest.skip("openssl is not on PATH")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), capture_output=True, timeout=60, check=False)


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_openssl_reads_our_pem(
    keys: dict[KeyAlgorithm, PrivateKey], algorithm: KeyAlgorithm, tmp_path: Path
) -> None:
    openssl = _openssl()
    key = keys[algorithm]
    plain = tmp_path / "plain.pem"
    plain.write_bytes(private_key_to_pem(key, passphrase=None))
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(private_key_to_pem(key, passphrase=PASSPHRASE))
    expected = public_key_to_pem(key)

    result = _run(openssl, "pkey", "-in", str(plain), "-pubout")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected

    result = _run(
        openssl, "pkey", "-in", str(encrypted), "-passin", f"pass:{PASSPHRASE.decode()}", "-pubout"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected

    result = _run(openssl, "pkey", "-in", str(encrypted), "-passin", "pass:wrong", "-pubout")
    assert result.returncode != 0


def test_openssl_reads_our_certificate_and_csr(
    keys: dict[KeyAlgorithm, PrivateKey], tmp_path: Path
) -> None:
    openssl = _openssl()
    key = keys[KeyAlgorithm.p256]
    cert_path = tmp_path / "cert.pem"
    cert_path.write_bytes(
        certificate_to_pem(self_signed_certificate(key, subject=SUBJECT, now=NOW))
    )
    result = _run(openssl, "x509", "-in", str(cert_path), "-noout", "-text")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "CA:FALSE" in text
    assert "Digital Signature, Non Repudiation" in text
    assert "Subject Key Identifier" in text
    result = _run(
        openssl,
        "verify",
        "-CAfile",
        str(cert_path),
        "-partial_chain",
        "-attime",
        str(int((NOW + timedelta(days=1)).timestamp())),
        str(cert_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr

    csr_path = tmp_path / "req.pem"
    csr_path.write_bytes(csr_to_pem(certificate_signing_request(key, subject=SUBJECT)))
    result = _run(openssl, "req", "-in", str(csr_path), "-verify", "-noout")
    assert result.returncode == 0, result.stderr


def test_we_read_openssl_keys(tmp_path: Path) -> None:
    openssl = _openssl()
    key_path = tmp_path / "key.pem"
    result = _run(
        openssl,
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-aes-256-cbc",
        "-pass",
        f"pass:{PASSPHRASE.decode()}",
        "-out",
        str(key_path),
    )
    assert result.returncode == 0, result.stderr
    key = load_private_key(key_path.read_bytes(), passphrase=PASSPHRASE)
    assert check_key_allowed(key) is KeyAlgorithm.p256


# --------------------------------------------------------------------------- reference data


@pytest.mark.interop
@pytest.mark.parametrize(
    ("name", "algorithm"),
    [
        ("keys/rsa/rsa-2048-cert.pem", KeyAlgorithm.rsa3072),
        ("keys/rsa/rsa-4096-cert.pem", KeyAlgorithm.rsa3072),
        ("keys/ec/ec-prime256v1-cert.pem", KeyAlgorithm.p256),
        ("keys/eddsa/eddsa-ed25519-cert.pem", KeyAlgorithm.ed25519),
        ("keys/cacert.pem", KeyAlgorithm.rsa3072),
    ],
)
def test_reference_certificates_are_allowed(
    shared_reference: Path, name: str, algorithm: KeyAlgorithm
) -> None:
    data = (shared_reference / XMLSEC / name).read_bytes()
    assert check_certificate_allowed(load_certificate(data)) is algorithm
    assert check_key_allowed(load_public_key(data)) is algorithm


@pytest.mark.interop
def test_reference_public_keys_and_crl(shared_reference: Path) -> None:
    keys_dir = shared_reference / XMLSEC / "keys"
    assert (
        check_key_allowed(load_public_key((keys_dir / "ec/ec-prime256v1-pubkey.pem").read_bytes()))
        is KeyAlgorithm.p256
    )
    assert (
        check_key_allowed(
            load_public_key((keys_dir / "eddsa/eddsa-ed25519-pubkey.pem").read_bytes())
        )
        is KeyAlgorithm.ed25519
    )
    # a CRL is neither a key nor a certificate
    with pytest.raises(KeyLoadError):
        load_public_key((keys_dir / "rsa/rsa-2048-cert-revoked-crl.pem").read_bytes())
