"""Convert between every format inspectx reads and writes, with a report of what was lost.

inspectx JSON and XML convert losslessly (:func:`inspectx.validation.convert_bytes`);
UN/CEFACT SPS eCert XML and UNTP conformity credentials are narrower, so a conversion
into them (or out of one that carries more than the model holds) returns the
:class:`~inspectx.formats.conversion.Loss` entries, and ``strict=True`` refuses any.
Every certificate passes through the one model and is schema-checked on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inspectx.errors import OutputError
from inspectx.formats.certificate import detect_format
from inspectx.formats.conversion import Loss, require_lossless
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.model import Certificate
from inspectx.validation.pipeline import read_certificate, render
from inspectx.validation.schema import SchemaValidators

__all__ = ["DocumentFormat", "Interchanged", "interchange", "sniff_format"]

DocumentFormat = Literal["json", "xml", "sps", "untp-dcc"]
_NARROW: frozenset[str] = frozenset({"sps", "untp-dcc"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Interchanged:
    """The converted bytes; ``losses`` on import (what the model could not hold of the
    source) and on export (what the target could not hold of the certificate)."""

    source: DocumentFormat
    target: DocumentFormat
    data: bytes
    certificate: Certificate
    losses: tuple[Loss, ...]


def sniff_format(data: bytes, limits: Limits = DEFAULT_LIMITS) -> DocumentFormat:
    """Which format ``data`` is in, by content: the XML root's namespace (never its
    prefix), or a JSON document's type. Raises :class:`InputError` for neither JSON
    nor XML, and as the parsers do for hostile input."""
    kind = detect_format(data)
    if kind == "xml":
        from inspectx.formats.safexml import parse_xml
        from inspectx.formats.sps import is_sps

        return "sps" if is_sps(parse_xml(data, limits)) else "xml"
    from inspectx.formats.safejson import load_json
    from inspectx.formats.untp import is_untp_dcc

    document = load_json(data, limits)
    return "untp-dcc" if isinstance(document, dict) and is_untp_dcc(document) else "json"


def interchange(
    data: bytes,
    to: DocumentFormat | None = None,
    *,
    strict: bool = False,
    extension: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    validators: SchemaValidators | None = None,
) -> Interchanged:
    """Convert ``data`` (any supported format, detected from content) to ``to``.

    ``to`` defaults to inspectx JSON for a foreign format and to the other inspectx form
    for an inspectx one. ``extension`` keeps the inspectx extension in SPS and UNTP
    output, so that reading it back restores the certificate exactly. With ``strict``,
    any loss raises :class:`~inspectx.formats.conversion.ConversionLoss` and nothing is
    returned. Raises as :func:`read_certificate` does for bad input.
    """
    source = sniff_format(data, limits)
    losses: list[Loss] = []
    if source == "sps":
        from inspectx.formats.sps import import_sps

        imported = import_sps(data, limits=limits)
        cert, losses = imported.certificate, list(imported.losses)
    elif source == "untp-dcc":
        from inspectx.formats.untp import import_untp

        imported = import_untp(data, limits=limits)
        cert, losses = imported.certificate, list(imported.losses)
    else:
        cert = read_certificate(data, limits=limits, validators=validators).certificate
    target: DocumentFormat = to or (
        "xml" if source == "json" else "json" if source in ("xml", *_NARROW) else source
    )
    if strict:
        require_lossless(losses, f"inspectx (from {source})")
    if source in _NARROW and target in _NARROW:
        render(cert, "json", validators=validators)  # the model between is schema-checked too
    if target == "sps":
        from inspectx.formats.sps import export_sps

        exported = export_sps(cert, extension=extension)
        out, losses = exported.data, [*losses, *exported.losses]
    elif target == "untp-dcc":
        from inspectx.formats.untp import export_untp

        # the link names the digest of the certificate's inspectx JSON rendering, which is
        # what an import can check the extension against (not the bytes given here)
        exported = export_untp(cert, extension=extension)
        out, losses = exported.data, [*losses, *exported.losses]
    else:
        out = render(cert, "xml" if target == "xml" else "json", validators=validators)
    if len(out) > limits.max_bytes:  # what inspectx (and so the recipient) would not read
        raise OutputError(
            "output.too-large",
            f"the {target} output would be {len(out)} bytes, over the limit of "
            f"{limits.max_bytes}",
            hint="raise the limit (--max-bytes) on both sides",
        )
    if strict:
        require_lossless(losses, target)
    return Interchanged(
        source=source, target=target, data=out, certificate=cert, losses=tuple(losses)
    )
