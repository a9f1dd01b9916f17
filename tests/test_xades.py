"""XAdES baseline B on the XML form: signing, verification, xmlsec1, catalogue B25 and B3/B4."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from lxml import etree

from inspectx.proofs.keys import certificate_to_pem, generate_key, self_signed_certificate
from inspectx.proofs.xmldsig import DSIG_NS, XADES_NS, XmlSignatureError, sign_xml, verify_xml
from tests.test_xmldsig import (
    NOW,
    TOYS,
    XMLSEC1,
    Signer,
    _code,
    _model_of,
    _mutate,
    _xmlsec1,
    needs_xmlsec1,
)

NS = {"ds": DSIG_NS, "xades": XADES_NS}
SIGNED_AT = NOW - timedelta(minutes=5)


def _signer(algorithm: str) -> Signer:
    """A key and a self-signed certificate valid from a day ago."""
    key = generate_key(algorithm)
    return key, self_signed_certificate(key, subject="CN=Lab,C=DE", now=NOW - timedelta(days=1))


@pytest.fixture(scope="module")
def p256_signer() -> Signer:
    return _signer("p256")


@pytest.fixture(scope="module")
def signed(p256_signer: Signer) -> bytes:
    key, cert = p256_signer
    return sign_xml(
        TOYS.read_bytes(), private_key=key, certificate=cert, xades=True, signing_time=SIGNED_AT
    )


def _find(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, path
    el = found[0]
    assert isinstance(el, etree._Element)
    return el


def _change(xml: bytes, change: Callable[[etree._Element], None]) -> bytes:
    return _mutate(xml, change)


@pytest.mark.parametrize("algorithm", ["rsa3072", "p256", "p384"])
def test_round_trip(algorithm: str) -> None:
    key, cert = _signer(algorithm)
    xml = sign_xml(
        TOYS.read_bytes(), private_key=key, certificate=cert, xades=True, signing_time=SIGNED_AT
    )
    result = verify_xml(xml, certificate=cert)
    assert result.profile == "xades-baseline-b"
    assert result.signing_time == SIGNED_AT.replace(microsecond=0)
    assert result.certificate == _model_of(TOYS)


def test_signature_shape(signed: bytes, p256_signer: Signer) -> None:
    root = etree.fromstring(signed)
    references = root.xpath("ds:Signature/ds:SignedInfo/ds:Reference", namespaces=NS)
    assert [r.get("URI")[:1] for r in references] == ["", "#", "#"]  # type: ignore[union-attr,index]
    assert references[1].get("Type") == "http://uri.etsi.org/01903#SignedProperties"  # type: ignore[union-attr,index]
    properties = "ds:Signature/ds:Object/xades:QualifyingProperties/xades:SignedProperties"
    signing_time = _find(root, f"{properties}//xades:SigningTime")
    assert signing_time.text == SIGNED_AT.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = _find(root, f"{properties}//xades:SigningCertificateV2//ds:DigestValue")
    assert base64.b64decode(digest.text or "") == p256_signer[1].fingerprint(hashes.SHA256())


def test_signing_time_is_required() -> None:
    key, cert = _signer("p256")
    with pytest.raises(XmlSignatureError) as info:
        sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert, xades=True)
    assert info.value.code == "xmldsig.xades-signing-time"


def test_signed_properties_are_covered(signed: bytes, p256_signer: Signer) -> None:
    def earlier(root: etree._Element) -> None:
        _find(root, ".//xades:SigningTime").text = (SIGNED_AT - timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )

    assert _code(_change(signed, earlier), p256_signer[1]) == "xmldsig.integrity"


def test_signing_time_after_verification_time(p256_signer: Signer) -> None:
    key, cert = p256_signer
    later = sign_xml(
        TOYS.read_bytes(), private_key=key, certificate=cert, xades=True, signing_time=NOW
    )
    with pytest.raises(XmlSignatureError) as info:
        verify_xml(later, certificate=cert, at=NOW - timedelta(days=1))
    assert info.value.code == "xmldsig.xades-signing-time"
    assert verify_xml(later, certificate=cert, at=NOW + timedelta(seconds=1)).signing_time


def test_signing_time_outside_certificate_validity() -> None:
    key = generate_key("p256")
    cert = self_signed_certificate(key, subject="CN=Lab", days=30, now=NOW - timedelta(days=1))
    xml = sign_xml(
        TOYS.read_bytes(),
        private_key=key,
        certificate=cert,
        xades=True,
        signing_time=NOW - timedelta(days=2),
    )
    assert _code(xml, cert) == "xmldsig.xades-signing-time"


def test_signing_certificate_digest_of_another_certificate(
    signed: bytes, p256_signer: Signer
) -> None:
    _, other = _signer("p256")

    def swap(root: etree._Element) -> None:
        digest = _find(root, ".//xades:SigningCertificateV2//ds:DigestValue")
        digest.text = base64.b64encode(other.fingerprint(hashes.SHA256())).decode()

    assert _code(_change(signed, swap), p256_signer[1]) == "xmldsig.xades-signing-certificate"


def test_legacy_sha1_signing_certificate_refused(signed: bytes, p256_signer: Signer) -> None:
    def legacy(root: etree._Element) -> None:
        _find(root, ".//xades:SigningCertificateV2").tag = f"{{{XADES_NS}}}SigningCertificate"

    assert _code(_change(signed, legacy), p256_signer[1]) == "xmldsig.xades-signing-certificate"


def test_signed_properties_not_referenced(signed: bytes, p256_signer: Signer) -> None:
    def unreference(root: etree._Element) -> None:
        ref = _find(root, ".//ds:Reference[@Type]")
        ref.getparent().remove(ref)  # type: ignore[union-attr]

    assert _code(_change(signed, unreference), p256_signer[1]) == "xmldsig.xades-properties"


def test_unsigned_properties_refused(signed: bytes, p256_signer: Signer) -> None:
    def add_unsigned(root: etree._Element) -> None:
        qualifying = _find(root, ".//xades:QualifyingProperties")
        etree.SubElement(qualifying, f"{{{XADES_NS}}}UnsignedProperties")

    assert _code(_change(signed, add_unsigned), p256_signer[1]) == "xmldsig.xades-properties"


def test_second_object_refused(signed: bytes, p256_signer: Signer) -> None:
    def add_object(root: etree._Element) -> None:
        _find(root, "ds:Signature").append(etree.Element(f"{{{DSIG_NS}}}Object"))

    assert _code(_change(signed, add_object), p256_signer[1]) in (
        "xmldsig.reference",
        "xmldsig.malformed",
    )


@pytest.mark.parametrize(
    "attribute", ["Id", "ID", "id", "{http://www.w3.org/XML/1998/namespace}id"]
)
def test_id_carried_twice_refused(signed: bytes, p256_signer: Signer, attribute: str) -> None:
    """Catalogue B3/B4: a forged element with the SignedProperties' Id, under any of the
    attribute names signxml resolves, must not be resolvable."""

    def duplicate(root: etree._Element) -> None:
        value = _find(root, ".//xades:SignedProperties").get("Id")
        forged = etree.SubElement(_find(root, "ds:Signature/ds:KeyInfo"), f"{{{DSIG_NS}}}KeyName")
        forged.set(attribute, value or "")
        forged.text = "forged"

    assert _code(_change(signed, duplicate), p256_signer[1]) == "xmldsig.reference"


def test_reference_to_another_element_refused(signed: bytes, p256_signer: Signer) -> None:
    def elsewhere(root: etree._Element) -> None:
        key_info_ref = root.xpath(".//ds:Reference[not(@Type) and @URI!='']", namespaces=NS)[0]
        key_info_ref.set("URI", "#somewhere")  # type: ignore[union-attr]

    assert _code(_change(signed, elsewhere), p256_signer[1]) == "xmldsig.reference"


def test_xmldsig_profile_checks_still_apply(signed: bytes, p256_signer: Signer) -> None:
    def weak_digest(root: etree._Element) -> None:
        method = _find(root, ".//ds:Reference[@Type]/ds:DigestMethod")
        method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")

    assert _code(_change(signed, weak_digest), p256_signer[1]) == "xmldsig.algorithm-not-allowed"


@needs_xmlsec1
def test_xmlsec1_verifies_inspectx_xades(
    tmp_path: Path, signed: bytes, p256_signer: Signer
) -> None:
    assert XMLSEC1 is not None
    (tmp_path / "lab.pem").write_bytes(certificate_to_pem(p256_signer[1]))
    (tmp_path / "signed.xml").write_bytes(signed)
    ids = ["--id-attr:Id", f"{XADES_NS}:SignedProperties", "--id-attr:Id", f"{DSIG_NS}:KeyInfo"]
    common = ["--verify", "--enabled-key-data", "x509", *ids]
    ok = _xmlsec1(*common, "--trusted-pem", str(tmp_path / "lab.pem"), str(tmp_path / "signed.xml"))
    assert ok.returncode == 0, ok.stderr.decode()
    assert b"SignedInfo References (ok/all): 3/3" in ok.stdout + ok.stderr
    _, other = _signer("p256")
    (tmp_path / "other.pem").write_bytes(certificate_to_pem(other))
    bad = _xmlsec1(
        *common, "--trusted-pem", str(tmp_path / "other.pem"), str(tmp_path / "signed.xml")
    )
    assert bad.returncode != 0


@pytest.mark.interop
@pytest.mark.parametrize("name", ["XAdES-B.xml", "simple-test-signed-xades-baseline-b.xml"])
def test_enveloping_and_detached_xades_samples_are_outside_the_profile(
    shared_reference: Path, name: str, p256_signer: Signer
) -> None:
    """The public samples sign other data (enveloping, detached); inspectx verifies only
    enveloped signatures over a certificate, and says so before any cryptography."""
    data = (shared_reference / "signatures" / "xades" / name).read_bytes()
    assert _code(data, p256_signer[1]) == "xmldsig.signature-location"


def test_verify_time_defaults_to_now(signed: bytes, p256_signer: Signer) -> None:
    before = datetime.now(UTC)
    result = verify_xml(signed, certificate=p256_signer[1])
    assert result.signing_time is not None and result.signing_time <= before
