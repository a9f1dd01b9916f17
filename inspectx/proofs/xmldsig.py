"""XML-native proof: enveloped XMLDSig over an inspectx XML certificate (DESIGN §4).

The profile (docs/security.md §4, catalogue B) is checked on the hardened parse tree
**before** signxml is trusted with anything:

* exactly one ``ds:Signature`` in the whole document, a direct child of the root;
* ``SignedInfo`` = CanonicalizationMethod, SignatureMethod and exactly one ``Reference`` with
  ``URI=""``; transforms exactly enveloped-signature then exclusive c14n (no comments);
* SignatureMethod RSA-SHA256/384/512, RSA-PSS (SHA-256/384/512, MGF1) or ECDSA-SHA256/384/512;
  DigestMethod SHA-256/384/512; never SHA-1, MD5, HMAC or DSA;
* no ``ds:Manifest`` or ``ds:RetrievalMethod``; KeyInfo may carry the signer's certificate
  (``X509Data``), a ``KeyValue`` or a ``KeyName``, all hints only: every embedded certificate
  or key must be the pinned certificate's, and only the pinned certificate is used;
* no ``ds:Object``, except for XAdES baseline B (ETSI EN 319 132-1): then exactly one Object
  holding ``QualifyingProperties`` (targeting this signature) with ``SignedProperties`` only,
  referenced once by Id with the SignedProperties type, plus at most one reference to this
  signature's ``KeyInfo``; those references take at most one c14n transform. Every ``#id``
  must name exactly one element in the whole document (catalogue B3/B4). ``SigningTime`` must
  lie within the pinned certificate's validity and not after the verification time, and
  ``SigningCertificateV2`` must name the pinned certificate by a SHA-256+ digest.

Only then is signxml called, with the pinned certificate and an ``expect_config`` that repeats
the profile. The returned model is bound from signxml's ``signed_xml`` (the data the digest
covers), re-parsed with the hardened parser and validated against the XSD; never from the
document as received.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature, SignXMLException
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier
from signxml.xades.xades import (
    XAdESDataObjectFormat,
    XAdESSignatureConfiguration,
    XAdESSigner,
    XAdESVerifier,
)

from inspectx.errors import InspectxError
from inspectx.formats._table import CERTIFICATE_NS, ROOT_ELEMENT
from inspectx.formats.certificate import (
    certificate_from_element,
    check_certificate_root,
    check_valid_element,
    read_xml_root,
)
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safexml import parse_xml
from inspectx.model import Certificate
from inspectx.proofs.keys import (
    KeyAlgorithm,
    PrivateKey,
    check_certificate_allowed,
    check_key_allowed,
    public_key_der,
)
from inspectx.validation.schema import default_validators, schema_invalid

__all__ = [
    "DSIG_NS",
    "XADES_NS",
    "VerifiedXml",
    "XmlSignatureError",
    "carried_certificate",
    "sign_xml",
    "verify_xml",
    "verify_xml_by_any",
    "verify_xml_tree",
]

DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
DSIG11_NS: Final = "http://www.w3.org/2009/xmldsig11#"
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
_C14N_10: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_C14N_11: Final = "http://www.w3.org/2006/12/xml-c14n11"
XADES_NS: Final = "http://uri.etsi.org/01903/v1.3.2#"
_SIGNED_PROPERTIES_TYPE: Final = "http://uri.etsi.org/01903#SignedProperties"

#: Canonicalization of SignedInfo and of references: exclusive c14n, c14n 1.0 or 1.1, all
#: without comments.
_C14N: Final = frozenset({EXC_C14N, _C14N_10, _C14N_11})
#: Attributes signxml (and most XMLDSig engines) accept as an element's ID, by local name.
_ID_NAMES: Final = frozenset({"Id", "ID", "id"})

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

_HASHES: Final = MappingProxyType(
    {
        DigestAlgorithm.SHA256: hashes.SHA256(),
        DigestAlgorithm.SHA384: hashes.SHA384(),
        DigestAlgorithm.SHA512: hashes.SHA512(),
    }
)
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"

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
    ``xmldsig.integrity``, ``xmldsig.key-not-supported`` (signing with a key that has no
    XMLDSig algorithm, e.g. Ed25519), and for XAdES ``xmldsig.xades-properties``,
    ``xmldsig.xades-signing-time`` and ``xmldsig.xades-signing-certificate``.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedXml:
    """The result of a successful :func:`verify_xml`.

    ``certificate`` is bound from the signed data only; ``signer`` is the SHA-256
    fingerprint (lower-case hex) of the pinned X.509 certificate; the algorithms are the
    XMLDSig URIs found in ``SignedInfo``. ``profile`` is ``"xmldsig"`` or
    ``"xades-baseline-b"``; for XAdES, ``signing_time`` is the signed ``SigningTime``.
    ``signed_sha256`` is the SHA-256 (lower-case hex) of the canonical bytes the
    signature covers, and ``signed_root`` the signed ``<certificate>`` element as signxml
    read it back from them (not to be modified).
    """

    signed_root: etree._Element = field(repr=False, compare=False)
    signed_sha256: str
    signer: str
    signature_algorithm: str
    digest_algorithm: str
    profile: str = "xmldsig"
    signing_time: datetime | None = None
    _model: Certificate | None = field(default=None, repr=False, compare=False)

    @property
    def certificate(self) -> Certificate:
        """The model, bound from :attr:`signed_root` on first use: verification checked
        every value it will hold, so this cannot fail, and a caller that only needs to
        know that the signature holds never pays for it."""
        model = self._model
        if model is None:
            model = certificate_from_element(self.signed_root)
            object.__setattr__(self, "_model", model)  # a cache: fixed by signed_root
        return model

    def __reduce__(self) -> tuple[Any, ...]:
        # an lxml element cannot be pickled: its canonical bytes can
        return (_verified_xml, (etree.tostring(self.signed_root, method="c14n"), self.signed_sha256,
                self.signer, self.signature_algorithm, self.digest_algorithm, self.profile,
                self.signing_time, self._model))  # fmt: skip


def _verified_xml(signed: bytes, *fields: Any) -> VerifiedXml:
    sha256, signer, signature_algorithm, digest_algorithm, profile, signing_time, model = fields
    return VerifiedXml(
        signed_root=parse_xml(signed),
        signed_sha256=sha256, signer=signer, signature_algorithm=signature_algorithm,
        digest_algorithm=digest_algorithm, profile=profile, signing_time=signing_time,
        _model=model,
    )  # fmt: skip


# --------------------------------------------------------------------------- signing


def sign_xml(
    xml: bytes,
    *,
    private_key: PrivateKey,
    certificate: x509.Certificate,
    xades: bool = False,
    signing_time: datetime | None = None,
) -> bytes:
    """Sign an inspectx XML certificate with one enveloped ``ds:Signature``.

    The signature is appended as the last child of the root: one Reference ``URI=""``,
    transforms enveloped-signature + exclusive c14n, SHA-256 digest, RSA-SHA256 (RSA keys),
    ECDSA-SHA256 (P-256) or ECDSA-SHA384 (P-384), and ``certificate`` in ``X509Data``.
    With ``xades=True`` it is a XAdES baseline B signature (ETSI EN 319 132-1): signed
    properties with ``signing_time`` (required, timezone-aware) and the certificate's
    SHA-256 digest, referenced beside the document and the KeyInfo, all in c14n 1.0 (the
    default for references without transforms, so that every verifier digests alike).
    The input is parsed with the hardened parser (comments and PIs are dropped) and must not
    already carry a signature. Raises :class:`XmlSignatureError` (``xmldsig.key-not-supported``
    for Ed25519, ``xmldsig.signer-mismatch`` when ``certificate`` is not the key's,
    ``xmldsig.signature-count`` for an already signed document, ``xmldsig.xades-signing-time``
    for a missing or naive signing time), :class:`KeyPolicyError` for keys or certificates off
    the allow-list, and :class:`InputError` for bad XML.
    """
    algorithm = check_key_allowed(private_key)
    if algorithm is KeyAlgorithm.ed25519 or isinstance(private_key, ed25519.Ed25519PrivateKey):
        raise XmlSignatureError(
            "xmldsig.key-not-supported",
            "Ed25519 keys cannot make an XMLDSig signature (no interoperable algorithm)",
            hint="sign XML with an ECDSA P-256/P-384 or RSA key, or use a Data Integrity proof",
        )
    check_certificate_allowed(certificate)
    if public_key_der(certificate.public_key()) != public_key_der(private_key.public_key()):
        raise XmlSignatureError(
            "xmldsig.signer-mismatch",
            "the certificate does not hold the public key of the signing key",
            hint="give the certificate that was issued for this private key",
        )
    if xades and (signing_time is None or signing_time.utcoffset() is None):
        raise XmlSignatureError(
            "xmldsig.xades-signing-time",
            "a XAdES signature needs a timezone-aware signing time",
            hint="pass signing_time=datetime.now(UTC)",
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
    signer: XMLSigner
    if xades:
        assert signing_time is not None
        signer = _XadesSigner(
            signing_time,
            signature_algorithm=method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
            data_object_format=XAdESDataObjectFormat(
                Description="inspectx certificate", MimeType="application/xml"
            ),
        )
        signed = signer.sign(root, key=private_key, cert=[certificate], always_add_key_value=False)
    else:
        signer = XMLSigner(
            signature_algorithm=method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        signed = signer.sign(root, key=private_key, cert=[certificate])
    out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    return out


class _XadesSigner(XAdESSigner):
    """signxml's XAdES signer with the signing time given, not read from the clock."""

    def __init__(self, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._signing_time = signing_time.astimezone(UTC).replace(microsecond=0)

    def add_signing_time(
        self, signed_signature_properties: etree._Element, sig_root: Any, signing_settings: Any
    ) -> None:
        element = etree.SubElement(
            signed_signature_properties, _xades("SigningTime"), nsmap=self.namespaces
        )
        element.text = self._signing_time.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- verification


def verify_xml(
    xml: bytes,
    *,
    certificate: x509.Certificate,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedXml:
    """Verify an enveloped XMLDSig or XAdES baseline B signature against ``certificate``.

    Every profile check (see the module documentation) runs before any cryptography; key
    material in the document is never trusted. ``at`` (default: now) is the time a XAdES
    ``SigningTime`` may not be after. Raises :class:`KeyPolicyError` when the pinned
    certificate or its key is off the allow-list (``key.not-allowed``), :class:`InputError`
    for bad XML, :class:`XmlSignatureError` for a profile breach or a failed check
    (``xmldsig.integrity``), and :class:`SchemaInvalid` / :class:`ModelError` when the signed
    data is not a valid inspectx certificate.
    """
    return verify_xml_tree(parse_xml(xml, limits), certificate=certificate, at=at)


def verify_xml_tree(
    root: etree._Element, *, certificate: x509.Certificate, at: datetime | None = None
) -> VerifiedXml:
    """:func:`verify_xml` for a document already parsed by
    :func:`inspectx.formats.safexml.parse_xml` (never by another parser), so that a
    caller who looked at the tree first (:func:`carried_certificate`) parses once.
    Takes the signature out of ``root``.
    """
    check_certificate_allowed(certificate)
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise XmlSignatureError(
            "xmldsig.key-not-supported",
            "the pinned certificate holds a key that has no XMLDSig algorithm (e.g. Ed25519)",
            hint="XML signatures use RSA or ECDSA P-256/P-384 keys",
        )
    when = at or datetime.now(UTC)
    signature = _the_signature(root)
    shape = _check_profile(root, signature, public)
    _check_key_info(signature, certificate)
    if shape.signed_properties is not None:
        _check_signed_properties(shape.signed_properties, certificate, when)  # early, precise codes
    check_certificate_root(root)  # the signed document must be an inspectx certificate
    if shape.signed_properties is None:
        verifier: XMLVerifier = _VettedXMLVerifier()
        config = SignatureConfiguration(
            require_x509=True,
            location="./",
            expect_references=1,
            signature_methods=frozenset({shape.method}),
            digest_algorithms=shape.digests,
        )
    else:
        verifier = _VettedXAdESVerifier()
        config = XAdESSignatureConfiguration(
            require_x509=True,
            location="./",
            expect_references=shape.references,
            signature_methods=frozenset({shape.method}),
            digest_algorithms=shape.digests,
        )
    try:
        result = verifier.verify(root, x509_cert=certificate, expect_config=config)
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
    results = result if isinstance(result, list) else [result]
    signed_xml = results[0].signed_xml  # the URI="" reference comes first (checked above)
    if signed_xml is None:
        raise XmlSignatureError(
            "xmldsig.reference", "the signature covers no XML element", hint=_PROFILE_HINT
        )
    # signxml parsed the canonical form of our vetted tree: no DTD, no comments, in limits
    signed_root = signed_xml
    _check_covers_document(root, signature, signed_root)
    signing_time = None
    if shape.signed_properties is not None:
        signed_properties = next(
            r.signed_xml
            for r in results[1:]
            if r.signed_xml is not None and r.signed_xml.tag == f"{{{XADES_NS}}}SignedProperties"
        )
        signing_time = _check_signed_properties(signed_properties, certificate, when)
    findings = default_validators().xml_findings(signed_root)
    if findings:
        raise schema_invalid(findings)
    check_valid_element(signed_root)  # what the XSD cannot judge; bound when first asked for
    return VerifiedXml(
        signed_root=signed_root,
        signed_sha256=hashlib.sha256(results[0].signed_data).hexdigest(),
        signer=certificate.fingerprint(hashes.SHA256()).hex(),
        signature_algorithm=shape.method.value,
        digest_algorithm=shape.data_digest.value,
        profile="xmldsig" if signing_time is None else "xades-baseline-b",
        signing_time=signing_time,
    )


class _Vetted:
    """signxml reads the tree inspectx parsed (hardened, within limits) as it is,
    instead of serialising and parsing it once more: it only reads the tree it is
    given and copies what it transforms, and the root of a parsed document has no
    parent whose namespaces could leak into its canonical form."""

    def get_root(self, data: Any) -> Any:
        if isinstance(data, etree._Element) and data.getparent() is None:
            return data
        return super().get_root(data)  # type: ignore[misc]


class _VettedXMLVerifier(_Vetted, XMLVerifier):
    pass


class _VettedXAdESVerifier(_Vetted, XAdESVerifier):
    pass


def verify_xml_by_any(
    xml: bytes, *, certificates: Sequence[x509.Certificate], limits: Limits = DEFAULT_LIMITS
) -> VerifiedXml | None:
    """:func:`verify_xml` against whichever of ``certificates`` made the signature.

    Returns None when ``xml`` carries no XML signature (not XML, or no XMLDSig
    namespace). Raises as :func:`verify_xml` when a certificate that could be the
    signer finds the signature bad, and ``xmldsig.signer-unknown`` when none of
    ``certificates`` made it.
    """
    if xml.lstrip()[:1] != b"<" or DSIG_NS.encode() not in xml:
        return None
    for certificate in certificates:
        try:
            return verify_xml(xml, certificate=certificate, limits=limits)
        except XmlSignatureError as exc:
            if exc.code not in ("xmldsig.signer-mismatch", "xmldsig.key-not-supported"):
                raise  # this certificate could be the signer, and the signature is bad
    raise XmlSignatureError(
        "xmldsig.signer-unknown",
        "the XML signature was not made by any of the certificates given",
        hint="give the signer's certificate with --key-file (or use a trust list)",
    )


def carried_certificate(root: etree._Element) -> x509.Certificate | None:
    """The first X.509 certificate in the document's signature KeyInfo, if readable.

    Only a hint for choosing which trusted certificate to verify with: it is never
    trusted itself (the verification pins the chosen certificate and requires every
    carried one to equal it).
    """
    carried = root.find(
        f"{_ds('Signature')}/{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}"
    )
    if carried is None:
        return None
    try:
        return x509.load_der_x509_certificate(_base64(carried))
    except (ValueError, XmlSignatureError):
        return None


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


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the profile check found in the received signature."""

    method: SignatureMethod
    data_digest: DigestAlgorithm
    digests: frozenset[DigestAlgorithm]
    references: int
    #: XAdES only: the received SignedProperties (read for early checks, never trusted)
    signed_properties: etree._Element | None


def _check_profile(
    root: etree._Element,
    signature: etree._Element,
    public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
) -> _Shape:
    for banned in ("RetrievalMethod", "Manifest"):
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
    xades = tags == [_ds("SignedInfo"), _ds("SignatureValue"), _ds("KeyInfo"), _ds("Object")]
    objects = list(signature.iter(_ds("Object")))
    if len(objects) > xades:
        raise XmlSignatureError(
            "xmldsig.reference",
            "ds:Object is not allowed (except the one of a XAdES signature)",
            hint=_PROFILE_HINT,
            location=_where(objects[-1]),
        )
    if not xades and tags not in (
        [_ds("SignedInfo"), _ds("SignatureValue")],
        [_ds("SignedInfo"), _ds("SignatureValue"), _ds("KeyInfo")],
    ):
        raise _malformed("ds:Signature must hold SignedInfo, SignatureValue, KeyInfo", signature)
    signed_info, signature_value = parts[0], parts[1]
    info = _children(signed_info)
    references = [el for el in info if el.tag == _ds("Reference")]
    if len(references) != 1 and not (xades and len(references) in (2, 3)):
        raise XmlSignatureError(
            "xmldsig.reference",
            f"SignedInfo has {len(references)} references; exactly one is required"
            + (" (two or three for XAdES)" if xades else ""),
            hint=_PROFILE_HINT,
            location=_where(signed_info),
        )
    if [el.tag for el in info[:2]] != [_ds("CanonicalizationMethod"), _ds("SignatureMethod")] or (
        info[2:] != references
    ):
        raise _malformed(
            "SignedInfo must hold CanonicalizationMethod, SignatureMethod, Reference", signed_info
        )
    c14n, method_el, reference = info[0], info[1], references[0]
    if _algorithm(c14n) not in _C14N or _children(c14n):
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
    data_digest = _check_reference(reference, enveloped=True)
    digests = {data_digest}
    signed_properties = None
    if xades:
        signed_properties = _check_xades_shape(root, signature, parts[2], parts[3], references)
        digests |= {_check_reference(ref, enveloped=False) for ref in references[1:]}
    value = _base64(signature_value)
    if isinstance(public, ec.EllipticCurvePublicKey):
        expected = _ECDSA_SIGNATURE_BYTES.get(public.curve.name)
        if len(value) != expected:
            raise _malformed(
                f"the ECDSA SignatureValue is {len(value)} bytes, not the raw r||s of "
                f"{expected} bytes",
                signature_value,
            )
    return _Shape(
        method=method,
        data_digest=data_digest,
        digests=frozenset(digests),
        references=len(references),
        signed_properties=signed_properties,
    )


def _check_reference(reference: etree._Element, *, enveloped: bool) -> DigestAlgorithm:
    """Transforms (enveloped-signature + one c14n for the document; at most one c14n for
    XAdES properties), an allowed digest and a base64 digest value."""
    ref_parts = _children(reference)
    tags = [el.tag for el in ref_parts]
    if tags == [_ds("DigestMethod"), _ds("DigestValue")] and not enveloped:
        digest_el, value_el = ref_parts
    elif tags == [_ds("Transforms"), _ds("DigestMethod"), _ds("DigestValue")]:
        _check_transforms(ref_parts[0], enveloped=enveloped)
        digest_el, value_el = ref_parts[1:]
    else:
        raise _malformed("Reference must hold Transforms, DigestMethod, DigestValue", reference)
    try:
        digest = DigestAlgorithm(_algorithm(digest_el))
    except ValueError:
        raise _not_allowed("digest", _algorithm(digest_el), digest_el) from None
    if digest.value != _algorithm(digest_el) or digest not in _DIGESTS or _children(digest_el):
        raise _not_allowed("digest", digest.value, digest_el)
    _base64(value_el)
    return digest


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


def _check_transforms(transforms: etree._Element, *, enveloped: bool = True) -> None:
    steps = _children(transforms)
    algorithms = [_algorithm(step) for step in steps]
    allowed = _C14N | {ENVELOPED} if enveloped else _C14N
    for step, uri in zip(steps, algorithms, strict=True):
        if step.tag != _ds("Transform") or uri not in allowed:
            raise XmlSignatureError(
                "xmldsig.transform-not-allowed",
                f"the transform {uri or step.tag} is not allowed",
                hint="only enveloped-signature followed by one c14n (without comments) "
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
    expected = "enveloped-signature then one c14n" if enveloped else "one c14n"
    if (
        not algorithms
        or algorithms[:-1] != ([ENVELOPED] if enveloped else [])
        or algorithms[-1] not in _C14N
    ):
        raise XmlSignatureError(
            "xmldsig.transform-not-allowed",
            f"the transforms are {algorithms}; exactly {expected} are required",
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


# --------------------------------------------------------------------------- XAdES


def _xades(name: str) -> str:
    return f"{{{XADES_NS}}}{name}"


def _xades_error(code: str, message: str, el: etree._Element) -> XmlSignatureError:
    hints = {
        "xmldsig.xades-properties": "inspectx accepts XAdES baseline B: one QualifyingProperties "
        "with SignedProperties only, referenced once by Id",
        "xmldsig.xades-signing-time": "the signing time must fall within the signer's "
        "certificate validity and not after the verification time",
        "xmldsig.xades-signing-certificate": "SigningCertificateV2 must carry the SHA-256+ "
        "digest of the signer's certificate",
    }
    return XmlSignatureError(code, message, hint=hints[code], location=_where(el))


def _check_xades_shape(
    root: etree._Element,
    signature: etree._Element,
    key_info: etree._Element,
    ds_object: etree._Element,
    references: list[etree._Element],
) -> etree._Element:
    """QualifyingProperties -> SignedProperties, each ``#id`` reference naming exactly one
    element of the document, and that element the expected one (catalogue B3, B4)."""
    signature_id = signature.get("Id")
    qualifying = _children(ds_object)
    if (
        not signature_id
        or [el.tag for el in qualifying] != [_xades("QualifyingProperties")]
        or qualifying[0].get("Target") != f"#{signature_id}"
    ):
        raise _xades_error(
            "xmldsig.xades-properties",
            "ds:Object must hold one xades:QualifyingProperties targeting this signature's Id",
            ds_object,
        )
    properties = _children(qualifying[0])
    if [el.tag for el in properties] != [_xades("SignedProperties")]:
        raise _xades_error(
            "xmldsig.xades-properties",
            "QualifyingProperties must hold SignedProperties only (unsigned properties such "
            "as time-stamps of XAdES B-T are not verified, so not accepted)",
            qualifying[0],
        )
    signed_properties = properties[0]
    targets = {f"#{el.get('Id')}": el for el in (signed_properties, key_info) if el.get("Id")}
    typed = [ref for ref in references[1:] if ref.get("Type") == _SIGNED_PROPERTIES_TYPE]
    if len(typed) != 1 or typed[0].get("URI") != f"#{signed_properties.get('Id')}":
        raise _xades_error(
            "xmldsig.xades-properties",
            "exactly one Reference of the SignedProperties type must name the SignedProperties",
            signature,
        )
    for ref in references[1:]:
        uri = ref.get("URI") or ""
        expected = targets.get(uri)
        if expected is None or (ref is not typed[0] and expected is not key_info):
            raise XmlSignatureError(
                "xmldsig.reference",
                f"the Reference URI {uri!r} names neither the SignedProperties nor the KeyInfo",
                hint=_PROFILE_HINT,
                location=_where(ref),
            )
        carriers = [el for el in root.iter() if uri[1:] in _id_values(el)]
        if carriers != [expected]:
            raise XmlSignatureError(
                "xmldsig.reference",
                f"the Id {uri[1:]!r} is carried by {len(carriers)} elements, or by another "
                "element than the one the signature means",
                hint="an Id must name exactly one element (signature wrapping, catalogue B3/B4)",
                location=_where(ref),
            )
    return signed_properties


def _id_values(el: etree._Element) -> list[str]:
    if not isinstance(el.tag, str):
        return []
    return [
        str(value)
        for name, value in el.attrib.items()
        if etree.QName(name).localname in _ID_NAMES or name == f"{{{_XML_NS}}}id"
    ]


def _check_signed_properties(
    signed_properties: etree._Element, certificate: x509.Certificate, when: datetime
) -> datetime:
    """SigningTime within the certificate's validity and not after ``when``; the signing
    certificate digest is the pinned certificate's. Returns the signing time."""
    signature_properties = signed_properties.find(_xades("SignedSignatureProperties"))
    if signature_properties is None:
        raise _xades_error(
            "xmldsig.xades-properties", "SignedSignatureProperties is missing", signed_properties
        )
    times = signature_properties.findall(_xades("SigningTime"))
    if len(times) != 1:
        raise _xades_error(
            "xmldsig.xades-signing-time",
            f"{len(times)} SigningTime elements; baseline B needs exactly one",
            signature_properties,
        )
    text = (times[0].text or "").strip()
    try:
        signing_time = datetime.fromisoformat(text)
    except ValueError:
        signing_time = None
    if signing_time is None or signing_time.utcoffset() is None or "T" not in text:
        raise _xades_error(
            "xmldsig.xades-signing-time",
            f"SigningTime {text[:40]!r} is not a date-time with a time zone",
            times[0],
        )
    if signing_time > when:
        raise _xades_error(
            "xmldsig.xades-signing-time",
            f"SigningTime {text} is after the verification time {when.isoformat()}",
            times[0],
        )
    if not (certificate.not_valid_before_utc <= signing_time <= certificate.not_valid_after_utc):
        raise _xades_error(
            "xmldsig.xades-signing-time",
            f"SigningTime {text} is outside the signer's certificate validity "
            f"({certificate.not_valid_before_utc.isoformat()} to "
            f"{certificate.not_valid_after_utc.isoformat()})",
            times[0],
        )
    _check_signing_certificate(signature_properties, certificate)
    policy = signature_properties.find(
        f"{_xades('SignaturePolicyIdentifier')}/{_xades('SignaturePolicyId')}"
    )
    if policy is not None:
        digest_method = policy.find(f"{_xades('SigPolicyHash')}/{_ds('DigestMethod')}")
        if digest_method is None or DigestAlgorithm(_algorithm(digest_method)) not in _DIGESTS:
            raise _xades_error(
                "xmldsig.xades-properties",
                "a SignaturePolicyId needs a SigPolicyHash with SHA-256 or stronger",
                policy,
            )
    return signing_time


def _check_signing_certificate(
    signature_properties: etree._Element, certificate: x509.Certificate
) -> None:
    holders = signature_properties.findall(_xades("SigningCertificateV2"))
    first = holders[0].find(_xades("Cert")) if len(holders) == 1 else None
    if first is None:
        raise _xades_error(
            "xmldsig.xades-signing-certificate",
            "exactly one SigningCertificateV2 with a Cert is required (the SHA-1 based "
            "SigningCertificate is not accepted)",
            signature_properties,
        )
    method = first.find(f"{_xades('CertDigest')}/{_ds('DigestMethod')}")
    value = first.find(f"{_xades('CertDigest')}/{_ds('DigestValue')}")
    try:
        digest = DigestAlgorithm(_algorithm(method)) if method is not None else None
    except ValueError:
        digest = None
    if digest not in _DIGESTS or value is None:
        raise _xades_error(
            "xmldsig.xades-signing-certificate",
            "the signing certificate digest must use SHA-256 or stronger",
            first,
        )
    assert digest is not None
    expected = certificate.fingerprint(_HASHES[digest])
    if _base64(value) != expected:
        raise _xades_error(
            "xmldsig.xades-signing-certificate",
            "the signing certificate digest is not that of the pinned certificate",
            value,
        )


# --------------------------------------------------------------------------- key info


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
    pinned_spki = public_key_der(certificate.public_key())
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
            return public_key_der(numbers.public_key())
        if value.tag == f"{{{DSIG11_NS}}}ECKeyValue":
            curve_el = value.find(f"{{{DSIG11_NS}}}NamedCurve")
            point_el = value.find(f"{{{DSIG11_NS}}}PublicKey")
            if curve_el is None or point_el is None:
                return b""
            curve = _CURVE_URIS.get(curve_el.get("URI") or "")
            if curve is None:
                return b""
            chosen: ec.EllipticCurve = ec.SECP256R1() if curve == "secp256r1" else ec.SECP384R1()
            return public_key_der(
                ec.EllipticCurvePublicKey.from_encoded_point(chosen, _base64(point_el))
            )
    except (ValueError, XmlSignatureError):
        return b""
    return b""


# --------------------------------------------------------------------------- binding


def _check_covers_document(
    root: etree._Element, signature: etree._Element, signed_root: etree._Element
) -> None:
    """The signed data must be the received document without its signature (catalogue B1).

    Both are compared in exclusive c14n: the reference may have canonicalised
    inclusively (XAdES does), which keeps namespace declarations nothing uses.
    Takes the signature out of ``root`` (the caller is done with it).
    """
    expected_tag = f"{{{CERTIFICATE_NS}}}{ROOT_ELEMENT}"
    location = _where(signature)
    root.remove(signature)
    same = etree.tostring(root, method="c14n", exclusive=True, with_comments=False) == (
        etree.tostring(signed_root, method="c14n", exclusive=True, with_comments=False)
    )
    if signed_root.tag != expected_tag or not same:
        raise XmlSignatureError(
            "xmldsig.reference",
            "the signed data is not the document as received",
            hint="the signature must cover the whole certificate",
            location=location,
        )
