"""XML-native proof: enveloped XMLDSig profile, round trips, xmlsec1 both ways, hostile cases."""

from __future__ import annotations

import base64
import copy
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from inspectx.errors import InspectxError
from inspectx.formats.certificate import certificate_from_element, read_xml_root
from inspectx.formats.safexml import parse_xml
from inspectx.proofs.keys import (
    PrivateKey,
    certificate_to_pem,
    generate_key,
    private_key_to_pem,
    self_signed_certificate,
)
from inspectx.proofs.xmldsig import DSIG_NS, VerifiedXml, XmlSignatureError, sign_xml, verify_xml
from tests.conftest import MODEL_REFUSED_LEAVES, Listener, leaf_fixture_with, leaf_id

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "certificates"
XML_FIXTURES = sorted(FIXTURES.glob("*.xml"))
TOYS = FIXTURES / "toys-en71-3.xml"
NOW = datetime.now(UTC)
SUBJECT = "CN=Nordwerk Pruef Lab,O=inspectx test,C=DE"
DS = {"ds": DSIG_NS}
XSLT_URI = "http://www.w3.org/TR/1999/REC-xslt-19991116"
XPATH_URI = "http://www.w3.org/TR/1999/REC-xpath-19991116"

Signer = tuple[PrivateKey, x509.Certificate]


def _signer(algorithm: str, subject: str = SUBJECT) -> Signer:
    key = generate_key(algorithm)
    return key, self_signed_certificate(key, subject=subject, now=NOW)


@pytest.fixture(scope="module")
def rsa_signer() -> Signer:
    return _signer("rsa3072")


@pytest.fixture(scope="module")
def p256_signer() -> Signer:
    return _signer("p256")


@pytest.fixture(scope="module")
def p384_signer() -> Signer:
    return _signer("p384")


@pytest.fixture(scope="module")
def signed_rsa(rsa_signer: Signer) -> bytes:
    key, cert = rsa_signer
    return sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert)


def _model_of(path: Path) -> object:
    return certificate_from_element(read_xml_root(path.read_bytes()))


def _mutate(xml: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = parse_xml(xml)
    change(root)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=DS)
    assert isinstance(found, list) and len(found) == 1
    el = found[0]
    assert isinstance(el, etree._Element)
    return el


def _code(xml: bytes, cert: x509.Certificate) -> str:
    with pytest.raises(InspectxError) as info:
        verify_xml(xml, certificate=cert)
    return info.value.code


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("algorithm", ["rsa3072", "p256", "p384"])
@pytest.mark.parametrize("path", XML_FIXTURES, ids=lambda p: p.stem)
def test_round_trip(
    path: Path,
    algorithm: str,
    rsa_signer: Signer,
    p256_signer: Signer,
    p384_signer: Signer,
) -> None:
    key, cert = {"rsa3072": rsa_signer, "p256": p256_signer, "p384": p384_signer}[algorithm]
    signed = sign_xml(path.read_bytes(), private_key=key, certificate=cert)
    root = parse_xml(signed)
    assert root[-1].tag == f"{{{DSIG_NS}}}Signature"  # last child of the root
    result = verify_xml(signed, certificate=cert)
    assert isinstance(result, VerifiedXml)
    assert result.certificate == _model_of(path)
    assert result.signer == cert.fingerprint(hashes.SHA256()).hex()
    assert result.digest_algorithm == "http://www.w3.org/2001/04/xmlenc#sha256"
    expected = {
        "rsa3072": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "p256": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "p384": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    }[algorithm]
    assert result.signature_algorithm == expected


def test_signature_shape(signed_rsa: bytes) -> None:
    root = parse_xml(signed_rsa)
    assert _one(root, "ds:Signature/ds:SignedInfo/ds:Reference").get("URI") == ""
    transforms = root.xpath(
        "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm",
        namespaces=DS,
    )
    assert transforms == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    _one(root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate")


def test_ed25519_refused_for_signing() -> None:
    key, cert = _signer("ed25519")
    with pytest.raises(XmlSignatureError) as info:
        sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert)
    assert info.value.code == "xmldsig.key-not-supported"


def test_ed25519_pinned_certificate_refused(signed_rsa: bytes) -> None:
    _, cert = _signer("ed25519")
    assert _code(signed_rsa, cert) == "xmldsig.key-not-supported"


def test_sign_with_foreign_certificate_refused(rsa_signer: Signer, p256_signer: Signer) -> None:
    with pytest.raises(XmlSignatureError) as info:
        sign_xml(TOYS.read_bytes(), private_key=rsa_signer[0], certificate=p256_signer[1])
    assert info.value.code == "xmldsig.signer-mismatch"


def test_sign_twice_refused(signed_rsa: bytes, rsa_signer: Signer) -> None:
    key, cert = rsa_signer
    with pytest.raises(XmlSignatureError) as info:
        sign_xml(signed_rsa, private_key=key, certificate=cert)
    assert info.value.code == "xmldsig.signature-count"


def test_wrong_pinned_certificate(signed_rsa: bytes) -> None:
    _, other = _signer("rsa3072")
    assert _code(signed_rsa, other) == "xmldsig.signer-mismatch"


def test_unsigned_document(rsa_signer: Signer) -> None:
    assert _code(TOYS.read_bytes(), rsa_signer[1]) == "xmldsig.signature-count"


# --------------------------------------------------------------------------- integrity


def test_tampered_value(signed_rsa: bytes, rsa_signer: Signer) -> None:
    tampered = signed_rsa.replace(b"<status>issued</status>", b"<status>revoked</status>")
    assert tampered != signed_rsa
    assert _code(tampered, rsa_signer[1]) == "xmldsig.integrity"


def test_tampered_signature_value(signed_rsa: bytes, rsa_signer: Signer) -> None:
    def flip(root: etree._Element) -> None:
        el = _one(root, "ds:Signature/ds:SignatureValue")
        text = (el.text or "").strip()
        el.text = ("B" if text[0] == "A" else "A") + text[1:]

    assert _code(_mutate(signed_rsa, flip), rsa_signer[1]) == "xmldsig.integrity"


def test_comment_inside_signed_text_keeps_full_text(signed_rsa: bytes, rsa_signer: Signer) -> None:
    """B6: exc-c14n without comments ignores the comment; the model has the whole value."""
    marker = b"<name>Dr. Katrin Albers</name>"
    assert marker in signed_rsa
    hostile = signed_rsa.replace(marker, b"<name>Dr. Katrin<!-- injected --> Albers</name>")
    result = verify_xml(hostile, certificate=rsa_signer[1])
    assert result.certificate == _model_of(TOYS)
    assert "Dr. Katrin Albers" in repr(result.certificate)
    assert "Dr. Katrin'" not in repr(result.certificate)


# --------------------------------------------------------------------------- wrapping, references


def _forge_wrapped(signed: bytes) -> bytes:
    """XSW (B1): forged root, the genuine signed root hidden in a child, Signature put back."""
    genuine = parse_xml(signed)
    signature = _one(genuine, "ds:Signature")
    genuine.remove(signature)
    forged = copy.deepcopy(genuine)
    ns = etree.QName(forged).namespace
    _one(forged, f"*[local-name()='status' and namespace-uri()='{ns}']").text = "withdrawn"
    extensions = etree.SubElement(forged, f"{{{ns}}}extensions")
    extensions.append(genuine)
    forged.append(signature)
    out: bytes = etree.tostring(forged, xml_declaration=True, encoding="UTF-8")
    return out


def test_signature_wrapping_uri_empty(signed_rsa: bytes, rsa_signer: Signer) -> None:
    assert _code(_forge_wrapped(signed_rsa), rsa_signer[1]) == "xmldsig.integrity"


def _signxml_sign(
    root: etree._Element,
    key: PrivateKey,
    cert: x509.Certificate | None,
    *,
    method: SignatureMethod = SignatureMethod.RSA_SHA256,
    **kwargs: object,
) -> bytes:
    signer = XMLSigner(
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(
        root,
        key=key,  # type: ignore[arg-type]
        cert=[cert] if cert is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )
    out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    return out


def test_signature_wrapping_id_reference(rsa_signer: Signer) -> None:
    """B1 with URI="#id": the wrap signxml alone accepts (docs/security.md key finding 1)."""
    key, cert = rsa_signer
    root = parse_xml(TOYS.read_bytes())
    root.set("Id", "cert-1")
    signed = _signxml_sign(root, key, cert, reference_uri="#cert-1")
    assert _code(_forge_wrapped(signed), cert) == "xmldsig.reference"


def test_partial_reference(rsa_signer: Signer) -> None:
    """B5: a Reference to one element of the document only."""
    key, cert = rsa_signer
    root = parse_xml(TOYS.read_bytes())
    ns = etree.QName(root).namespace
    _one(root, f"*[local-name()='issuer' and namespace-uri()='{ns}']").set("Id", "lab")
    signed = _signxml_sign(root, key, cert, reference_uri="#lab")
    assert _code(signed, cert) == "xmldsig.reference"


def test_signature_not_child_of_root(signed_rsa: bytes, rsa_signer: Signer) -> None:
    """B2: the whole signed document wrapped under a new root."""

    def move(root: etree._Element) -> None:
        signature = _one(root, "ds:Signature")
        ns = etree.QName(root).namespace
        holder = _one(root, f"*[local-name()='issuer' and namespace-uri()='{ns}']")
        holder.append(signature)

    assert _code(_mutate(signed_rsa, move), rsa_signer[1]) == "xmldsig.signature-location"


def test_two_signatures(signed_rsa: bytes, rsa_signer: Signer) -> None:
    def duplicate(root: etree._Element) -> None:
        root.append(copy.deepcopy(_one(root, "ds:Signature")))

    assert _code(_mutate(signed_rsa, duplicate), rsa_signer[1]) == "xmldsig.signature-count"


def test_two_references(signed_rsa: bytes, rsa_signer: Signer) -> None:
    def add(root: etree._Element) -> None:
        reference = _one(root, "ds:Signature/ds:SignedInfo/ds:Reference")
        reference.addnext(copy.deepcopy(reference))

    assert _code(_mutate(signed_rsa, add), rsa_signer[1]) == "xmldsig.reference"


@pytest.mark.parametrize("uri", ["#", "#xpointer(/)", "other.xml", "file:///etc/passwd"])
def test_reference_uri_tricks(signed_rsa: bytes, rsa_signer: Signer, uri: str) -> None:
    def point(root: etree._Element) -> None:
        _one(root, "ds:Signature/ds:SignedInfo/ds:Reference").set("URI", uri)

    assert _code(_mutate(signed_rsa, point), rsa_signer[1]) == "xmldsig.reference"


# --------------------------------------------------------------------------- keys and signers


def test_key_value_only_attacker_key(rsa_signer: Signer) -> None:
    """B10: an attacker's key in ds:KeyValue, no certificate; the pinned cert decides."""
    attacker = generate_key("rsa3072")
    signed = _signxml_sign(parse_xml(TOYS.read_bytes()), attacker, None)
    assert b"KeyValue" in signed and b"X509Certificate" not in signed
    assert _code(signed, rsa_signer[1]) == "xmldsig.signer-mismatch"


def test_key_value_of_the_pinned_key_is_only_a_hint(rsa_signer: Signer) -> None:
    key, cert = rsa_signer
    signed = _signxml_sign(parse_xml(TOYS.read_bytes()), key, None)
    assert b"KeyValue" in signed
    assert verify_xml(signed, certificate=cert).certificate == _model_of(TOYS)


def test_same_subject_other_key(rsa_signer: Signer) -> None:
    """B11: the attacker's certificate has the lab's subject DN but another key."""
    attacker_key, attacker_cert = _signer("rsa3072", subject=SUBJECT)
    assert attacker_cert.subject == rsa_signer[1].subject
    signed = sign_xml(TOYS.read_bytes(), private_key=attacker_key, certificate=attacker_cert)
    assert _code(signed, rsa_signer[1]) == "xmldsig.signer-mismatch"


def test_same_subject_cert_embedded_over_genuine_signature(
    signed_rsa: bytes, rsa_signer: Signer
) -> None:
    """A genuine signature whose X509Data was swapped for a same-subject certificate."""
    _, attacker_cert = _signer("rsa3072", subject=SUBJECT)
    der = attacker_cert.public_bytes(serialization.Encoding.DER)

    def swap(root: etree._Element) -> None:
        _one(
            root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
        ).text = base64.b64encode(der).decode()

    assert _code(_mutate(signed_rsa, swap), rsa_signer[1]) == "xmldsig.signer-mismatch"


def _rsa_1024_certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Weak Lab")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def test_rsa_1024_pinned_certificate() -> None:
    """B15: signxml accepts RSA-1024; inspectx refuses the pinned certificate."""
    key, cert = _rsa_1024_certificate()
    signed = _signxml_sign(parse_xml(TOYS.read_bytes()), key, cert)
    assert _code(signed, cert) == "key.not-allowed"


def test_retrieval_method(signed_rsa: bytes, rsa_signer: Signer) -> None:
    def add(root: etree._Element) -> None:
        key_info = _one(root, "ds:Signature/ds:KeyInfo")
        etree.SubElement(key_info, f"{{{DSIG_NS}}}RetrievalMethod", URI="#x")

    assert _code(_mutate(signed_rsa, add), rsa_signer[1]) == "xmldsig.key-info-not-allowed"


def test_ecdsa_der_signature_value(p256_signer: Signer) -> None:
    """B23: an ECDSA value re-encoded as DER instead of raw r||s."""
    key, cert = p256_signer
    signed = sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert)

    def to_der(root: etree._Element) -> None:
        el = _one(root, "ds:Signature/ds:SignatureValue")
        raw = base64.b64decode(el.text or "")
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        el.text = base64.b64encode(encode_dss_signature(r, s)).decode()

    assert _code(_mutate(signed, to_der), cert) == "xmldsig.malformed"


# --------------------------------------------------------------------------- algorithms, transforms


@pytest.mark.parametrize(
    "uri",
    [
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2009/xmldsig11#dsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224",
        "urn:unknown",
        "urn:evil#rsa-sha256",
    ],
)
def test_signature_method_not_allowed(signed_rsa: bytes, rsa_signer: Signer, uri: str) -> None:
    def change(root: etree._Element) -> None:
        _one(root, "ds:Signature/ds:SignedInfo/ds:SignatureMethod").set("Algorithm", uri)

    assert _code(_mutate(signed_rsa, change), rsa_signer[1]) == "xmldsig.algorithm-not-allowed"


@pytest.mark.parametrize(
    "uri",
    [
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2001/04/xmldsig-more#md5",
        "http://www.w3.org/2001/04/xmldsig-more#sha224",
        "urn:evil#sha256",
    ],
)
def test_digest_not_allowed(signed_rsa: bytes, rsa_signer: Signer, uri: str) -> None:
    def change(root: etree._Element) -> None:
        _one(root, "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod").set("Algorithm", uri)

    assert _code(_mutate(signed_rsa, change), rsa_signer[1]) == "xmldsig.algorithm-not-allowed"


def test_ecdsa_method_with_rsa_pinned_key(signed_rsa: bytes, rsa_signer: Signer) -> None:
    def change(root: etree._Element) -> None:
        _one(root, "ds:Signature/ds:SignedInfo/ds:SignatureMethod").set(
            "Algorithm", SignatureMethod.ECDSA_SHA256.value
        )

    assert _code(_mutate(signed_rsa, change), rsa_signer[1]) == "xmldsig.signer-mismatch"


def test_c14n_with_comments_not_allowed(signed_rsa: bytes, rsa_signer: Signer) -> None:
    """B7."""

    def change(root: etree._Element) -> None:
        path = "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform[2]"
        transform = _one(root, path)
        transform.set("Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments")

    assert _code(_mutate(signed_rsa, change), rsa_signer[1]) == "xmldsig.transform-not-allowed"


def test_missing_c14n_transform(signed_rsa: bytes, rsa_signer: Signer) -> None:
    def change(root: etree._Element) -> None:
        path = "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform[2]"
        transform = _one(root, path)
        transform.getparent().remove(transform)  # type: ignore[union-attr]

    assert _code(_mutate(signed_rsa, change), rsa_signer[1]) == "xmldsig.transform-not-allowed"


def _insert_transform(
    signed: bytes, algorithm: str, build: Callable[[etree._Element], None]
) -> bytes:
    def change(root: etree._Element) -> None:
        transforms = _one(root, "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms")
        transform = etree.Element(f"{{{DSIG_NS}}}Transform", Algorithm=algorithm)
        build(transform)
        transforms.insert(1, transform)

    return _mutate(signed, change)


def test_xslt_transform_never_run(
    signed_rsa: bytes, rsa_signer: Signer, listener: Listener
) -> None:
    """B16: an XSLT transform that would fetch from the network is refused, not run."""
    xsl = "http://www.w3.org/1999/XSL/Transform"

    def build(transform: etree._Element) -> None:
        sheet = etree.SubElement(transform, f"{{{xsl}}}stylesheet", version="1.0")
        template = etree.SubElement(sheet, f"{{{xsl}}}template", match="/")
        etree.SubElement(
            template,
            f"{{{xsl}}}copy-of",
            select=f"document('http://127.0.0.1:{listener.port}/xslt')",
        )

    hostile = _insert_transform(signed_rsa, XSLT_URI, build)
    assert _code(hostile, rsa_signer[1]) == "xmldsig.transform-not-allowed"
    time.sleep(0.3)
    assert listener.connections == 0


def test_xpath_transform(signed_rsa: bytes, rsa_signer: Signer) -> None:
    def build(transform: etree._Element) -> None:
        etree.SubElement(transform, f"{{{DSIG_NS}}}XPath").text = "not(ancestor-or-self::x)"

    hostile = _insert_transform(signed_rsa, XPATH_URI, build)
    assert _code(hostile, rsa_signer[1]) == "xmldsig.transform-not-allowed"


def test_external_reference_never_fetched(
    signed_rsa: bytes, rsa_signer: Signer, listener: Listener
) -> None:
    """B17: an http Reference URI is refused before anything is fetched."""

    def point(root: etree._Element) -> None:
        reference = _one(root, "ds:Signature/ds:SignedInfo/ds:Reference")
        reference.set("URI", f"http://127.0.0.1:{listener.port}/evil.xml")

    assert _code(_mutate(signed_rsa, point), rsa_signer[1]) == "xmldsig.reference"
    time.sleep(0.3)
    assert listener.connections == 0


# --------------------------------------------------------------------------- saved vectors


@pytest.mark.interop
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("enveloped-sha1-rsa-sha1.xml", "xmldsig.algorithm-not-allowed"),
        ("enveloping-md5-rsa-md5.xml", "xmldsig.signature-location"),
        ("enveloped-sha256-ecdsa-sha256.xml", "xmldsig.signer-mismatch"),
    ],
)
def test_aleksey_vectors(shared_reference: Path, rsa_signer: Signer, name: str, code: str) -> None:
    path = shared_reference / "vectors" / "xmlsec-aleksey-xmldsig-01" / name
    if not path.is_file():
        pytest.skip(f"interop: {path} is missing")
    assert _code(path.read_bytes(), rsa_signer[1]) == code


# --------------------------------------------------------------------------- xmlsec1 both ways

XMLSEC1 = shutil.which("xmlsec1")
needs_xmlsec1 = pytest.mark.skipif(
    XMLSEC1 is None, reason="xmlsec1 is not installed (apt-get install -y xmlsec1)"
)


def _xmlsec1(*args: str) -> subprocess.CompletedProcess[bytes]:
    assert XMLSEC1 is not None
    return subprocess.run([XMLSEC1, *args], capture_output=True, timeout=60, check=False)


@needs_xmlsec1
@pytest.mark.parametrize("algorithm", ["rsa3072", "p256"])
def test_xmlsec1_verifies_inspectx_signature(
    tmp_path: Path, algorithm: str, rsa_signer: Signer, p256_signer: Signer
) -> None:
    key, cert = rsa_signer if algorithm == "rsa3072" else p256_signer
    (tmp_path / "lab.pem").write_bytes(certificate_to_pem(cert))
    (tmp_path / "signed.xml").write_bytes(
        sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert)
    )
    common = ["--verify", "--enabled-key-data", "x509"]
    common += ["--enabled-reference-uris", "empty,same-doc"]
    ok = _xmlsec1(*common, "--trusted-pem", str(tmp_path / "lab.pem"), str(tmp_path / "signed.xml"))
    assert ok.returncode == 0, ok.stderr.decode()
    _, other = _signer("rsa3072")
    (tmp_path / "other.pem").write_bytes(certificate_to_pem(other))
    bad = _xmlsec1(
        *common, "--trusted-pem", str(tmp_path / "other.pem"), str(tmp_path / "signed.xml")
    )
    assert bad.returncode != 0


_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="{method}"/>
<ds:Reference URI="">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue/>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
</ds:Signature>"""


def _template(method: SignatureMethod) -> bytes:
    root = parse_xml(TOYS.read_bytes())
    root.append(etree.fromstring(_TEMPLATE.format(method=method.value).encode()))
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


@needs_xmlsec1
@pytest.mark.parametrize("algorithm", ["rsa3072", "p256"])
def test_inspectx_verifies_xmlsec1_signature(
    tmp_path: Path, algorithm: str, rsa_signer: Signer, p256_signer: Signer
) -> None:
    key, cert = rsa_signer if algorithm == "rsa3072" else p256_signer
    method = SignatureMethod.RSA_SHA256 if algorithm == "rsa3072" else SignatureMethod.ECDSA_SHA256
    (tmp_path / "lab.key").write_bytes(private_key_to_pem(key, passphrase=None))
    (tmp_path / "lab.pem").write_bytes(certificate_to_pem(cert))
    (tmp_path / "template.xml").write_bytes(_template(method))
    made = _xmlsec1(
        "--sign",
        "--privkey-pem",
        f"{tmp_path / 'lab.key'},{tmp_path / 'lab.pem'}",
        "--output",
        str(tmp_path / "out.xml"),
        str(tmp_path / "template.xml"),
    )
    assert made.returncode == 0, made.stderr.decode()
    signed = (tmp_path / "out.xml").read_bytes()
    result = verify_xml(signed, certificate=cert)
    assert result.certificate == _model_of(TOYS)
    assert result.signature_algorithm == method.value
    _, other = _signer(algorithm)
    assert _code(signed, other) == "xmldsig.signer-mismatch"


def test_validate_and_convert_accept_an_xml_signed_certificate(tmp_path: Path) -> None:
    """A signed certificate is still a valid certificate: `validate` sets the enveloped
    signature aside (and says it did not verify it); `convert` says the signature does not
    carry over. A signature anywhere but the root's last child is still a schema error."""
    from cryptography.hazmat.primitives.asymmetric import ec as _ec

    from inspectx.proofs import keys as _keys
    from inspectx.proofs.xmldsig import sign_xml as _sign
    from inspectx.validation import validate_bytes as _validate
    from tests.conftest import run_cli as _run

    key = _ec.generate_private_key(_ec.SECP256R1())
    cert = _keys.self_signed_certificate(key, subject="CN=Lab,O=Lab,C=DE", now=datetime.now(UTC))
    xml = TOYS.read_bytes()
    signed = _sign(xml, private_key=key, certificate=cert)
    report = _validate(signed)
    assert report.verdict.value == "VALID"
    assert [f.code for f in report.findings] == ["xmldsig.not-verified"]
    path = tmp_path / "signed.xml"
    path.write_bytes(signed)
    result = _run("convert", str(path))
    assert result.returncode == 0
    assert result.stdout == (FIXTURES / "toys-en71-3.json").read_bytes()
    assert b"XML signature is not carried" in result.stderr
    moved = signed.replace(
        b"<conclusion>",
        b"<conclusion>"
        + signed[signed.index(b"<ds:Signature") : signed.index(b"</ds:Signature>") + 15],
        1,
    )
    assert _validate(moved).verdict.value == "INVALID"


# --- the model is bound lazily, from leaves checked at verification ------------------------


@pytest.mark.parametrize(("pointer", "value"), MODEL_REFUSED_LEAVES, ids=leaf_id)
def test_verification_refuses_every_leaf_the_lazy_binding_would(
    p256_signer: Signer, pointer: str, value: str
) -> None:
    from inspectx.errors import ModelError
    from inspectx.formats.certificate import data_to_xml_bytes, pointer_to_xpath

    key, cert = p256_signer
    unsigned = data_to_xml_bytes(leaf_fixture_with(pointer, value))
    signed = sign_xml(unsigned, private_key=key, certificate=cert)
    with pytest.raises(ModelError) as caught:
        verify_xml(signed, certificate=cert)
    # located in the signed data, read back from its canonical form: the path, not the line
    located = (caught.value.location or "").split(" (line")[0]
    assert located == pointer_to_xpath(read_xml_root(signed), pointer).split(" (line")[0]


def test_xml_model_bound_on_first_use_equals_the_checked_binding(p256_signer: Signer) -> None:
    key, cert = p256_signer
    result = verify_xml(sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert),
                        certificate=cert)  # fmt: skip
    assert result._model is None  # verification leaves it unbuilt
    from inspectx.formats._codegen import compiled
    from inspectx.model import Certificate

    for path in XML_FIXTURES:  # the generated check passes valid documents itself (no fallback)
        compiled().check_element[Certificate](read_xml_root(path.read_bytes()))
    assert result.certificate == _model_of(TOYS)
    assert result.certificate is result.certificate  # bound once


def test_signxml_reads_the_vetted_tree_and_leaves_it_whole(p256_signer: Signer) -> None:
    from inspectx.proofs.xmldsig import _VettedXMLVerifier

    key, cert = p256_signer
    root = parse_xml(sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert))
    before = etree.tostring(root)
    verifier = _VettedXMLVerifier()
    assert verifier.get_root(root) is root  # not serialised and parsed again
    verifier.verify(root, x509_cert=cert)
    assert etree.tostring(root) == before
    child = root[0]  # an element inside a document is still copied, as signxml does
    assert verifier.get_root(child) is not child


@pytest.mark.parametrize("xades", [False, True], ids=["exclusive-c14n", "xades-inclusive-c14n"])
def test_a_signature_over_a_root_with_an_unused_namespace_verifies(
    p256_signer: Signer, xades: bool
) -> None:
    # inclusive c14n (XAdES's) keeps the unused declaration in the signed bytes; comparing
    # those bytes with the document in exclusive c14n refused inspectx's own signatures
    key, cert = p256_signer
    xml = TOYS.read_bytes().replace(
        b"<certificate ", b'<certificate xmlns:unused="urn:example:unused" ', 1
    )
    assert b"urn:example:unused" in xml
    signed = sign_xml(xml, private_key=key, certificate=cert, xades=xades, signing_time=NOW)
    result = verify_xml(signed, certificate=cert)
    assert result.certificate == _model_of(TOYS)


def test_a_verified_xml_result_compares_by_what_was_signed_and_pickles(
    p256_signer: Signer,
) -> None:
    import pickle

    key, cert = p256_signer
    first = verify_xml(sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert),
                       certificate=cert)  # fmt: skip
    again = verify_xml(sign_xml(TOYS.read_bytes(), private_key=key, certificate=cert),
                       certificate=cert)  # fmt: skip
    other_xml = TOYS.read_bytes().replace(b"Pb", b"Pd", 1)
    other = verify_xml(sign_xml(other_xml, private_key=key, certificate=cert),
                       certificate=cert)  # fmt: skip
    assert first == again and hash(first) == hash(again)
    assert first != other  # the same signer and algorithms, another certificate
    copied = pickle.loads(pickle.dumps(first))
    assert copied == first
    assert copied.certificate == first.certificate == _model_of(TOYS)
