"""Human-readable pages: a certificate and what verification found, for officers and consumers.

:func:`render_html` gives one self-contained HTML page (inline CSS for screen
and A4 print, the QR code as inline SVG, no script, nothing fetched) in the
language of a message catalogue (:func:`available_languages`);
:func:`render_pdf` (extra ``inspectx[pdf]``) the same content as a PDF.
:func:`qr_payload` and :func:`parse_qr_payload` define what the QR code holds.

Nothing here verifies by itself: give it a :class:`Verification` (from
:func:`~inspectx.trust.verify_admissible`'s report, or :func:`verify_with_keys`).
"""

from __future__ import annotations

from inspectx.render._base import RenderError
from inspectx.render.html import render_html, visible
from inspectx.render.messages import Catalogue, available_languages, load_catalogue
from inspectx.render.qr import QrCode, make_qr, parse_qr_payload, qr_payload
from inspectx.render.verification import Verification, verify_with_keys

__all__ = [
    "Catalogue",
    "QrCode",
    "RenderError",
    "Verification",
    "available_languages",
    "load_catalogue",
    "make_qr",
    "parse_qr_payload",
    "qr_payload",
    "render_html",
    "verify_with_keys",
    "visible",
]
