"""The QR code of a rendered page: it leads back to the signed document.

The default payload is an RFC 6920 named-information URI of the file's SHA-256
with the certificate id as a query parameter::

    ni:///sha-256;<43 base64url characters>?id=urn:uuid:dfe2f275-...

106 bytes for a ``urn:uuid`` id: QR version 6 (41 x 41 modules) at error
correction level M, about 25 mm wide with its quiet zone when printed at 0.5 mm
per module. The digest is of the document's bytes, so anyone holding the file
can compare (``sha256sum``); the id finds it in a register. An id so long that
the payload would exceed :data:`MAX_DEFAULT_PAYLOAD` bytes is left out (the
digest alone still identifies the document) rather than printing an unscannable
code.

A verification URL may replace it: a template such as
``https://verify.example/c/{sha256}?id={id}`` with the fields ``{id}`` (the
certificate id, percent-encoded entirely, so it cannot change the URL's host
or path), ``{sha256}`` (hex) and ``{sha256_b64url}``. It must be ``https`` or
``http``, contain a digest field, and stay within :data:`MAX_URL_PAYLOAD` bytes.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from inspectx.render._base import RenderError

__all__ = [
    "MAX_DEFAULT_PAYLOAD",
    "MAX_URL_PAYLOAD",
    "QrCode",
    "make_qr",
    "parse_qr_payload",
    "qr_payload",
]

MAX_DEFAULT_PAYLOAD = 160  # bytes: QR version 8 at level M at most
MAX_URL_PAYLOAD = 300  # bytes: QR version 12 at level M at most
_NI_PREFIX = "ni:///sha-256;"
_HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
_FIELD = re.compile(r"\{([^{}]*)\}")
_FIELDS = ("id", "sha256", "sha256_b64url")
# characters a query value may carry unescaped (RFC 3986), less those parse_qs
# would misread ('+' is a space to it, '&' and ';' separate, '#' ends the query)
_QUERY_SAFE = ":/@!$'()*,=-._~"


@dataclass(frozen=True, slots=True, kw_only=True)
class QrCode:
    """A QR code: its text, its size and an inline SVG (scalable, no XML declaration)."""

    payload: str
    version: int
    error: str
    modules: int
    svg: str


def _b64url(sha256: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(sha256)).rstrip(b"=").decode("ascii")


def qr_payload(certificate_id: str | None, sha256: str, *, url_template: str | None = None) -> str:
    """The text to encode: the default ``ni:`` URI, or ``url_template`` filled in.

    ``sha256`` is the hex SHA-256 of the document's bytes. Raises
    :class:`RenderError` ``render.qr-url-invalid`` for a template that is not an
    http(s) URL, names an unknown field or no digest, and ``render.qr-too-long``
    when the filled template exceeds :data:`MAX_URL_PAYLOAD` bytes.
    """
    if not _HEX64.match(sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    if url_template is None:
        digest = _NI_PREFIX + _b64url(sha256)
        if certificate_id:
            with_id = f"{digest}?id={quote(certificate_id, safe=_QUERY_SAFE)}"
            if len(with_id.encode("ascii")) <= MAX_DEFAULT_PAYLOAD:
                return with_id
        return digest
    _check_template(url_template)
    values = {
        "id": quote(certificate_id or "", safe=""),
        "sha256": sha256,
        "sha256_b64url": _b64url(sha256),
    }
    payload = _FIELD.sub(lambda m: values[m.group(1)], url_template)
    if len(payload.encode("utf-8")) > MAX_URL_PAYLOAD:
        raise RenderError(
            "render.qr-too-long",
            f"the verification URL is {len(payload.encode('utf-8'))} bytes, "
            f"over {MAX_URL_PAYLOAD}: its QR code would be too dense to scan from paper",
            hint="shorten the URL template, or leave {id} out of it",
        )
    return payload


def _check_template(template: str) -> None:
    def bad(why: str) -> RenderError:
        return RenderError(
            "render.qr-url-invalid",
            f"the QR URL template {template!r} {why}",
            hint="give an http(s) URL with {sha256} or {sha256_b64url}, and optionally {id}, "
            "e.g. https://verify.example/c/{sha256}?id={id}",
        )

    if any(c.isspace() or ord(c) < 0x20 for c in template):
        raise bad("contains white space or control characters")
    names = _FIELD.findall(template)
    unknown = sorted(set(names) - set(_FIELDS))
    if unknown:
        raise bad(f"names unknown fields: {', '.join(unknown)}")
    if "{" in _FIELD.sub("", template) or "}" in _FIELD.sub("", template):
        raise bad("has an unbalanced brace")
    if "sha256" not in names and "sha256_b64url" not in names:
        raise bad("does not carry the document's digest")
    parts = urlsplit(_FIELD.sub("x", template))
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise bad("is not an http(s) URL")
    if "{" in parts.netloc or any(f"{{{n}}}" in template.split("/")[2] for n in names):
        raise bad("puts a field in the host name")


def parse_qr_payload(payload: str) -> tuple[str | None, str]:
    """The certificate id (None when left out) and hex SHA-256 of a default payload.

    Raises :class:`ValueError` for text that is not one.
    """
    if not payload.startswith(_NI_PREFIX):
        raise ValueError("not an ni:///sha-256 URI")
    digest, _, query = payload[len(_NI_PREFIX) :].partition("?")
    raw = base64.urlsafe_b64decode(digest + "=" * (-len(digest) % 4))
    if len(raw) != 32 or _b64url(raw.hex()) != digest:
        raise ValueError("not a SHA-256 digest in base64url")
    ids = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query)).get("id")
    return (ids[0] if ids else None), raw.hex()


def make_qr(payload: str) -> QrCode:
    """Encode ``payload`` at error correction level M in the smallest version that holds it."""
    import io

    import segno

    code = segno.make_qr(payload, error="m", boost_error=False)
    out = io.BytesIO()
    code.save(
        out, kind="svg", xmldecl=False, svgns=True, omitsize=True, scale=1, border=4,
        svgclass="qr", lineclass="qr-modules", dark="#000", nl=False,
    )  # fmt: skip
    width = int(code.symbol_size(scale=1, border=0)[0])
    return QrCode(
        payload=payload,
        version=int(code.version),
        error=str(code.error).upper(),
        modules=width,
        svg=out.getvalue().decode("ascii"),
    )
