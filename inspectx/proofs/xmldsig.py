"""XML-native proof: enveloped XMLDSig over an inspectx XML certificate (DESIGN §4).

The profile (docs/security.md §4, catalogue B) is checked on the hardened parse tree
**before** signxml is trusted with anything:

* exactly one ``ds:Signature`` in the whole document, a direct child of the root;
* ``SignedInfo`` = CanonicalizationMethod, SignatureMethod and exactly one ``Reference`` with
  ``URI=""``; transforms exactly enveloped-signature then exclusive c14n (no comments);
* SignatureMethod RSA-SHA256/384/512, RSA-PSS (SHA-256/384/512, MGF1) or ECDSA-SHA256/384/512;
  DigestMethod SHA-256/384/512; never SHA-1, MD5, HMAC or DSA;
* no ``ds:Object``, ``ds:Manifest`` or ``ds:RetrievalMethod``; KeyInfo may carry the signer's
  certificate (``X509Data``), a ``KeyValue`` or a ``KeyName``, all hints only: every embedded
  certificate or key must be the pinned certificate's, and only the pinned certificate is used.

Only then is signxml called, with the pinned certificate and an ``expect_config`` that repeats
the profile. The returned model is bound from signxml's ``signed_xml`` (the data the digest
covers), re-parsed with the hardened parser and validated against the XSD; never from the
document as received.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature, SignXMLException
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from inspectx.errors import InspectxError
from inspectx.formats._table import CERTIFICATE_NS, ROOT_ELEMENT
from inspectx.formats.certificate import certificate_from_element, read_xml_root
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safexml import parse_xml
from inspectx.model import Certificate
from inspectx.proofs.keys import (
    KeyAlgorithm,
    PrivateKey,
    check_certificate_allowed,
    check_key_allowed,
)
from inspectx.validation.schema import default_validators, schema_invalid

__all__ = [
    "DSIG_NS",
    "VerifiedXml",
    "XmlSignatureError",
    "sign_xml",
    "verify_xml",
]

DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
DSIG11_NS: Final = "http://www.w3.org/2009/xmldsig11#"
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
_C14N_10: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_C14N_11: Final = "http://www.w3.org/2006/12/xml-c14n11"

#: SignedInfo canonicalization: exclusive c14n, c14n 1.0 or 1.1, all without comments.
_SIGNED_INFO_C14N: Final = frozenset({EXC_C14N, _C14N_10, _C14N_11})

_RSA_METHODS: Final = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.SHA256_RSA_MGF1,
        SignatureMethod.SHA384_RSA_MGF1,
        SignatureMethod.SHA512_RSA_MGF1,
    }
)
_ECDSA_METHODS: Final = frozenset(
    {SignatureMethod.ECDSA_SHA256, SignatureMethod.ECDSA_SHA384, SignatureMethod.ECDSA_SHA512}
)
_DIGESTS: Final = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
)

#: Raw ``r || s`` length of an ECDSA SignatureValue per curve (XMLDSig 1.1 §6.4.3).
_ECDSA_SIGNATURE_BYTES: Final = MappingProxyType({"secp256r1": 64, "secp384r1": 96})
#: dsig11:NamedCurve URIs of the allowed curves.
_CURVE_URIS: Final = MappingProxyType(
    {"urn:oid:1.2.840.10045.3.1.7": "secp256r1", "urn:oid:1.3.132.0.34": "secp384r1"}
)

_WHITESPACE: Final = re.compile(rb"[ \t\r\n]+")

_INTEGRITY_HINT: Final = (
    "the document was changed after signing, or was signed with another key; "
    "ask the issuer for the original file"
)
_PROFILE_HINT: Final = (
    "inspectx accepts one enveloped ds:Signature, child of the root, with one Reference "
    'URI="", transforms enveloped-signature + exclusive c14n, SHA-256+ and RSA/ECDSA'
)


class XmlSignatureError(InspectxError):
    """An XML signature cannot be made, or breaks the profile, or does not verify.

    Codes: ``xmldsig.signature-count``, ``xmldsig.signature-location``, ``xmldsig.reference``,
    ``xmldsig.transform-not-allowed``, ``xmldsig.algorithm-not-allowed``,
    ``xmldsig.key-info-not-allowed``, ``xmldsig.signer-mismatch``, ``xmldsig.malformed``,
    ``xmldsig.integrity`` and ``xmldsig.key-not-supported`` (signing with a key that has no
    XMLDSig algorithm, e.g. Ed25519).
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedXml:
    """The result of a successful :func:`verify_xml`.

    ``certificate`` is bound from the signed data only; ``signer`` is the SHA-256
    fingerprint (lower-case hex) of the pinned X.509 certificate; the algorithms are the
    XMLDSig URIs found in ``SignedInfo``.
    """

    certificate: Certificate
    signer: str
    signature_algorithm: str
    digest_algorithm: str


# --------------------------------------------------------------------------- signing


def sign_xml(xml: bytes, *, private_key: PrivateKey, certificate: x509.Certificate) -> bytes:
    """Sign an inspectx XML certificate with one enveloped ``ds:Signature``.

    The signature is appended as the last child of the root: one Reference ``URI=""``,
    transforms enveloped-signature + exclusive c14n, SHA-256 digest, RSA-SHA256 (RSA keys),
    ECDSA-SHA256 (P-256) or ECDSA-SHA384 (P-384), and ``certificate`` in ``X509Data``.
    The input is parsed with the hardened parser (comments and PIs are dropped) and must not
    already carry a signature. Raises :class:`XmlSignatureError` (``xmldsig.key-not-supported``
    for Ed25519, ``xmldsig.signer-mismatch`` when ``certificate`` is not the key's,
    ``xmldsig.signature-count`` for an already signed document), :class:`KeyPolicyError`
    for keys or certificates off the allow-list, and :class:`InputError` for bad XML.
    """
    algorithm = check_key_allowed(private_key)
    if algorithm is KeyAlgorithm.ed25519 or isinstance(private_key, ed25519.Ed25519PrivateKey):
        raise XmlSignatureError(
            "xmldsig.key-not-supported",
            "Ed25519 keys cannot make an XMLDSig signature (no interoperable algorithm)",
            hint="sign XML with an ECDSA P-256/P-384 or RSA key, or use a Data Integrity proof",
        )
    check_certificate_allowed(certificate)
    if _spki(certificate.public_key()) != _spki(private_key.public_key()):
        raise XmlSignatureError(
            "xmldsig.signer-mismatch",
            "the certificate does not hold the public key of the signing key",
            hint="give the certificate that was issued for this private key",
        )
    root = read_xml_root(xml)
    if next(root.iter(f"{{{DSIG_NS}}}Signature"), None) is not None:
        raise XmlSignatureError(
            "xmldsig.signature-count",
            "the document is already signed",
            hint="sign the unsigned certificate; inspectx allows one XML signature",
        )
    if isinstance(private_key, rsa.RSAPrivateKey):
        method = SignatureMethod.RSA_SHA256
    elif algorithm is KeyAlgorithm.p384:
        method = SignatureMethod.ECDSA_SHA384
    else:
        method = SignatureMethod.ECDSA_SHA256
    signer = XMLSigner(
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(root, key=private_key, cert=[certificate])
    out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    return out


# --------------------------------------------------------------------------- verification


def verify_xml(
    xml: bytes, *, certificate: x509.Certificate, limits: Limits = DEFAULT_LIMITS
) -> VerifiedXml:
    """Verify an enveloped XMLDSig signature against the pinned ``certificate``.

    Every profile check (see the module documentation) runs before any cryptography; key
    material in the document is never trusted. Raises :class:`KeyPolicyError` when the
    pinned certificate or its key is off the allow-list (``key.not-allowed``),
    :class:`InputError` for bad XML, :class:`XmlSignatureError` for a profile breach or a
    failed check (``xmldsig.integrity``), and :class:`SchemaInvalid` / :class:`ModelError`
    when the signed data is not a valid inspectx certificate.
    """
    check_certificate_allowed(certificate)
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise XmlSignatureError(
            "xmldsig.key-not-supported",
            "the pinned certificate holds a key that has no XMLDSig algorithm (e.g. Ed25519)",
            hint="XML signatures use RSA or ECDSA P-256/P-384 keys",
        )
    root = parse_xml(xml, limits)
    signature = _the_signature(root)
    method, digest = _check_profile(signature, public)
    _check_key_info(signature, certificate)
    read_xml_root(xml, limits)  # the signed document must be an inspectx certificate
    config = SignatureConfiguration(
        require_x509=True,
        location="./",
        expect_references=1,
        signature_methods=frozenset({method}),
        digest_algorithms=frozenset({digest}),
    )
    try:
        result = XMLVerifier().verify(
            etree.tostring(root), x509_cert=certificate, expect_config=config
        )
    except InvalidSignature as exc:
        raise XmlSignatureError(
            "xmldsig.integrity",
            f"the XML signature does not verify: {exc}",
            hint=_INTEGRITY_HINT,
        ) from None
    except (InvalidInput, SignXMLException) as exc:
        raise XmlSignatureError(
            "xmldsig.malformed", f"the XML signature is unusable: {exc}", hint=_PROFILE_HINT
        ) from None
    signed_xml = result.signed_xml if not isinstance(result, list) else None
    if signed_xml is None:
        raise XmlSignatureError(
            "xmldsig.reference", "the signature covers no XML element", hint=_PROFILE_HINT
        )
    signed_root = read_xml_root(etree.tostring(signed_xml), limits)
    _check_covers_document(root, signature, signed_root)
    findings = default_validators().xml_findings(signed_root)
    if findings:
        raise schema_invalid(findings)
    return VerifiedXml(
        certificate=certificate_from_element(signed_root),
        signer=certificate.fingerprint(hashes.SHA256()).hex(),
        signature_algorithm=method.value,
        digest_algorithm=digest.value,
    )


# --------------------------------------------------------------------------- profile checks


def _ds(name: str) -> str:
    return f"{{{DSIG_NS}}}{name}"


def _where(el: etree._Element) -> str:
    return f"{el.getroottree().getpath(el)} (line {el.sourceline})"


def _the_signature(root: etree._Element) -> etree._Element:
    signatures = list(root.iter(_ds("Signature")))
    if len(signatures) != 1:
        raise XmlSignatureError(
            "xmldsig.signature-count",
            f"the document has {len(signatures)} ds:Signature elements; exactly one is required",
            hint=_PROFILE_HINT,
        )
    signature = signatures[0]
    if signature.getparent() is not root:
        raise XmlSignatureError(
            "xmldsig.signature-location",
            "the ds:Signature is not a direct child of the document element",
            hint="the signature must be enveloped: a child of the root it signs",
            location=_where(signature),
        )
    return signature


def _children(el: etree._Element) -> list[etree._Element]:
    return [child for child in el if isinstance(child.tag, str)]


def _algorithm(el: etree._Element) -> str:
    return el.get("Algorithm") or ""


def _malformed(message: str, el: etree._Element) -> XmlSignatureError:
    return XmlSignatureError("xmldsig.malformed", message, hint=_PROFILE_HINT, location=_where(el))


def _not_allowed(what: str, uri: str, el: etree._Element) -> XmlSignatureError:
    return XmlSignatureError(
        "xmldsig.algorithm-not-allowed",
        f"the {what} {uri or '(none)'} is not allowed",
        hint="use SHA-256 or stronger with RSA or ECDSA; never SHA-1, MD5, HMAC or DSA",
        location=_where(el),
    )


def _check_profile(
    signature: etree._Element, public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
) -> tuple[SignatureMethod, DigestAlgorithm]:
    for banned in ("RetrievalMethod", "Manifest", "Object"):
        found = next(signature.iter(_ds(banned)), None)
        if found is not None:
            code = (
                "xmldsig.key-info-not-allowed"
                if banned == "RetrievalMethod"
                else "xmldsig.reference"
            )
            raise XmlSignatureError(
                code, f"ds:{banned} is not allowed", hint=_PROFILE_HINT, location=_where(found)
            )
    parts = _children(signature)
    tags = [part.tag for part in parts]
    if tags not in (
        [_ds("SignedInfo"), _ds("SignatureValue")],
        [_ds("SignedInfo"), _ds("SignatureValue"), _ds("KeyInfo")],
    ):
        raise _malformed("ds:Signature must hold SignedInfo, SignatureValue, KeyInfo", signature)
    signed_info, signature_value = parts[0], parts[1]
    info = _children(signed_info)
    references = [el for el in info if el.tag == _ds("Reference")]
    if len(references) != 1:
        raise XmlSignatureError(
            "xmldsig.reference",
            f"SignedInfo has {len(references)} references; exactly one is required",
            hint=_PROFILE_HINT,
            location=_where(signed_info),
        )
    if [el.tag for el in info] != [
        _ds("CanonicalizationMethod"),
        _ds("SignatureMethod"),
        _ds("Reference"),
    ]:
        raise _malformed(
            "SignedInfo must hold CanonicalizationMethod, SignatureMethod, Reference", signed_info
        )
    c14n, method_el, reference = info
    if _algorithm(c14n) not in _SIGNED_INFO_C14N or _children(c14n):
        raise _not_allowed("canonicalization", _algorithm(c14n), c14n)
    method = _signature_method(method_el, public)
    uri = reference.get("URI")
    if uri != "":
        raise XmlSignatureError(
            "xmldsig.reference",
            f'the Reference URI is {uri!r}; only URI="" (the whole document) is allowed',
            hint="sign the whole certificate; references to parts or to other resources "
            "are refused and never fetched",
            location=_where(reference),
        )
    ref_parts = _children(reference)
    if [el.tag for el in ref_parts] != [_ds("Transforms"), _ds("DigestMethod"), _ds("DigestValue")]:
        raise _malformed("Reference must hold Transforms, DigestMethod, DigestValue", reference)
    _check_transforms(ref_parts[0])
    digest_el = ref_parts[1]
    try:
        digest = DigestAlgorithm(_algorithm(digest_el))
    except ValueError:
        raise _not_allowed("digest", _algorithm(digest_el), digest_el) from None
    if digest.value != _algorithm(digest_el) or digest not in _DIGESTS or _children(digest_el):
        raise _not_allowed("digest", digest.value, digest_el)
    _base64(ref_parts[2])
    value = _base64(signature_value)
    if isinstance(public, ec.EllipticCurvePublicKey):
        expected = _ECDSA_SIGNATURE_BYTES.get(public.curve.name)
        if len(value) != expected:
            raise _malformed(
                f"the ECDSA SignatureValue is {len(value)} bytes, not the raw r||s of "
                f"{expected} bytes",
                signature_value,
            )
    return method, digest


def _signature_method(
    el: etree._Element, public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
) -> SignatureMethod:
    uri = _algorithm(el)
    try:
        method = SignatureMethod(uri)
    except ValueError:
        raise _not_allowed("signature method", uri, el) from None
    # signxml also finds a method by URI fragment alone ("urn:x#rsa-sha256"): exact URIs only
    if method.value != uri or method not in _RSA_METHODS | _ECDSA_METHODS or _children(el):
        raise _not_allowed("signature method", uri, el)
    wanted = _RSA_METHODS if isinstance(public, rsa.RSAPublicKey) else _ECDSA_METHODS
    if method not in wanted:
        raise XmlSignatureError(
            "xmldsig.signer-mismatch",
            f"the signature method {uri} does not fit the pinned certificate's key",
            hint="the document was not signed with the pinned certificate's key",
            location=_where(el),
        )
    return method


def _check_transforms(transforms: etree._Element) -> None:
    steps = _children(transforms)
    algorithms = [_algorithm(step) for step in steps]
    for step, uri in zip(steps, algorithms, strict=True):
        if step.tag != _ds("Transform") or uri not in (ENVELOPED, EXC_C14N):
            raise XmlSignatureError(
                "xmldsig.transform-not-allowed",
                f"the transform {uri or step.tag} is not allowed",
                hint="only enveloped-signature followed by exclusive c14n (without comments) "
                "is allowed; XSLT, XPath and others are never run",
                location=_where(step),
            )
        extra = [
            child
            for child in _children(step)
            if not (uri == EXC_C14N and child.tag == f"{{{EXC_C14N}}}InclusiveNamespaces")
        ]
        if extra:
            raise XmlSignatureError(
                "xmldsig.transform-not-allowed",
                f"the transform {uri} has unexpected content {extra[0].tag}",
                hint=_PROFILE_HINT,
                location=_where(extra[0]),
            )
    if algorithms != [ENVELOPED, EXC_C14N]:
        raise XmlSignatureError(
            "xmldsig.transform-not-allowed",
            f"the transforms are {algorithms}; exactly enveloped-signature then exclusive "
            "c14n are required",
            hint=_PROFILE_HINT,
            location=_where(transforms),
        )


def _base64(el: etree._Element) -> bytes:
    text = (el.text or "").encode("ascii", "replace")
    if _children(el):
        raise _malformed(f"{etree.QName(el).localname} must hold base64 text only", el)
    try:
        return base64.b64decode(_WHITESPACE.sub(b"", text), validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(f"{etree.QName(el).localname} is not valid base64", el) from None


# --------------------------------------------------------------------------- key info


def _spki(key: object) -> bytes:
    public_bytes = getattr(key, "public_bytes", None)
    if public_bytes is None:
        return b""
    out: bytes = public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return out


def _mismatch(message: str, el: etree._Element) -> XmlSignatureError:
    return XmlSignatureError(
        "xmldsig.signer-mismatch",
        message,
        hint="the document names a signer other than the pinned certificate; only the "
        "pinned certificate is trusted",
        location=_where(el),
    )


def _check_key_info(signature: etree._Element, certificate: x509.Certificate) -> None:
    """Every certificate or key carried in the document must be the pinned one (hints only)."""
    key_info = signature.find(_ds("KeyInfo"))
    if key_info is None:
        return
    pinned_der = certificate.public_bytes(serialization.Encoding.DER)
    pinned_spki = _spki(certificate.public_key())
    for item in _children(key_info):
        if item.tag == _ds("KeyName"):
            continue
        if item.tag == _ds("X509Data"):
            for datum in _children(item):
                if datum.tag == _ds("X509Certificate"):
                    if _base64(datum) != pinned_der:
                        raise _mismatch(
                            "the certificate in KeyInfo is not the pinned certificate", datum
                        )
                elif datum.tag not in (
                    _ds("X509IssuerSerial"),
                    _ds("X509SubjectName"),
                    _ds("X509SKI"),
                    f"{{{DSIG11_NS}}}X509Digest",
                ):
                    raise XmlSignatureError(
                        "xmldsig.key-info-not-allowed",
                        f"{datum.tag} is not allowed in X509Data",
                        hint=_PROFILE_HINT,
                        location=_where(datum),
                    )
        elif item.tag == _ds("KeyValue"):
            if _key_value_spki(item) != pinned_spki:
                raise _mismatch("the KeyValue in KeyInfo is not the pinned certificate's key", item)
        elif item.tag == f"{{{DSIG11_NS}}}DEREncodedKeyValue":
            if _base64(item) != pinned_spki:
                raise _mismatch("the DEREncodedKeyValue is not the pinned certificate's key", item)
        else:
            raise XmlSignatureError(
                "xmldsig.key-info-not-allowed",
                f"{item.tag} is not allowed in KeyInfo",
                hint=_PROFILE_HINT,
                location=_where(item),
            )


def _key_value_spki(key_value: etree._Element) -> bytes:
    """The SubjectPublicKeyInfo of an RSAKeyValue or dsig11:ECKeyValue; b"" if unusable."""
    parts = _children(key_value)
    if len(parts) != 1:
        return b""
    (value,) = parts
    try:
        if value.tag == _ds("RSAKeyValue"):
            modulus = value.find(_ds("Modulus"))
            exponent = value.find(_ds("Exponent"))
            if modulus is None or exponent is None:
                return b""
            numbers = rsa.RSAPublicNumbers(
                int.from_bytes(_base64(exponent), "big"), int.from_bytes(_base64(modulus), "big")
            )
            return _spki(numbers.public_key())
        if value.tag == f"{{{DSIG11_NS}}}ECKeyValue":
            curve_el = value.find(f"{{{DSIG11_NS}}}NamedCurve")
            point_el = value.find(f"{{{DSIG11_NS}}}PublicKey")
            if curve_el is None or point_el is None:
                return b""
            curve = _CURVE_URIS.get(curve_el.get("URI") or "")
            if curve is None:
                return b""
            chosen: ec.EllipticCurve = ec.SECP256R1() if curve == "secp256r1" else ec.SECP384R1()
            return _spki(ec.EllipticCurvePublicKey.from_encoded_point(chosen, _base64(point_el)))
    except (ValueError, XmlSignatureError):
        return b""
    return b""


# --------------------------------------------------------------------------- binding


def _check_covers_document(
    root: etree._Element, signature: etree._Element, signed_root: etree._Element
) -> None:
    """The signed data must be the received document without its signature (catalogue B1)."""
    expected_tag = f"{{{CERTIFICATE_NS}}}{ROOT_ELEMENT}"
    unsigned = copy.deepcopy(root)
    for sig in unsigned.findall(_ds("Signature")):
        unsigned.remove(sig)
    same = etree.tostring(unsigned, method="c14n", exclusive=True, with_comments=False) == (
        etree.tostring(signed_root, method="c14n", exclusive=True, with_comments=False)
    )
    if signed_root.tag != expected_tag or not same:
        raise XmlSignatureError(
            "xmldsig.reference",
            "the signed data is not the document as received",
            hint="the signature must cover the whole certificate",
            location=_where(signature),
        )
