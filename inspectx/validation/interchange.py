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

import orjson

from inspectx.errors import InputError
from inspectx.formats._table import CERTIFICATE_NS
from inspectx.formats.certificate import detect_format
from inspectx.formats.conversion import Loss, require_lossless
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safexml import parse_xml, peek_root_tag
from inspectx.model import Certificate
from inspectx.validation.pipeline import check_output_size, convert_bytes, read_certificate, render
from inspectx.validation.schema import SchemaValidators

__all__ = ["DocumentFormat", "Interchanged", "default_target", "interchange", "sniff_format"]

DocumentFormat = Literal["json", "xml", "sps", "untp-dcc"]
_NARROW: frozenset[str] = frozenset({"sps", "untp-dcc"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Interchanged:
    """The converted bytes; ``losses`` on import (what the model could not hold of the
    source) and on export (what the target could not hold of the certificate)."""

    source: DocumentFormat
    target: DocumentFormat
    data: bytes
    losses: tuple[Loss, ...]


def sniff_format(data: bytes, limits: Limits = DEFAULT_LIMITS) -> DocumentFormat:
    """Which format ``data`` is in, by content: the XML root's namespace (never its
    prefix), or a JSON document's type. Of inspectx XML only the start is read, and
    JSON is parsed quickly; the reader chosen then parses the document in full,
    strictly (other XML is parsed once more to look for a TRACES-wrapped certificate).
    Raises :class:`InputError` for neither JSON nor XML."""
    if detect_format(data) == "xml":
        tag = peek_root_tag(data)
        if tag is None or tag.startswith(f"{{{CERTIFICATE_NS}}}"):
            return "xml"
        # a TRACES response wraps its SPS certificate in any root: look inside (rare path)
        from inspectx.formats.sps import is_sps

        try:
            return "sps" if is_sps(parse_xml(data, limits)) else "xml"
        except InputError:
            return "xml"  # the inspectx reader reports what is wrong with it
    from inspectx.formats.untp import is_untp_dcc

    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return "json"  # the strict reader says what is wrong with it
    return "untp-dcc" if is_untp_dcc(document) else "json"


def default_target(source: DocumentFormat) -> DocumentFormat:
    """What a conversion writes when not told: the other inspectx form for an inspectx
    document, inspectx JSON for a foreign one."""
    return "json" if source != "json" else "xml"


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
    returned. Raises as :func:`read_certificate` does for bad input, and
    ``output.too-large`` for output over ``limits.max_bytes``.
    """
    source = sniff_format(data, limits)
    if source in ("json", "xml") and to in (None, "json", "xml"):
        target: DocumentFormat = to or default_target(source)
        _, out = convert_bytes(data, target, limits=limits, validators=validators)  # type: ignore[arg-type]
        losses: list[Loss] = []
    else:
        cert, losses = _read(data, source, limits, validators)
        if strict:
            require_lossless(losses, f"inspectx (from {source})")
        target = to or default_target(source)
        if target == "sps":
            from inspectx.formats.sps import export_sps

            exported = export_sps(cert, extension=extension)
            out, losses = exported.data, [*losses, *exported.losses]
        elif target == "untp-dcc":
            from inspectx.formats.untp import export_untp

            # the link names the digest of the certificate's inspectx JSON rendering,
            # which is what an import can check the extension against
            exported = export_untp(cert, extension=extension)
            out, losses = exported.data, [*losses, *exported.losses]
        else:
            out = render(cert, "xml" if target == "xml" else "json", validators=validators)
        if source in _NARROW and target in _NARROW:
            render(cert, "json", validators=validators)  # the model between is checked too
        check_output_size(out, target, limits)
        if strict:
            require_lossless(losses, target)
    return Interchanged(source=source, target=target, data=out, losses=tuple(losses))


def _read(
    data: bytes, source: DocumentFormat, limits: Limits, validators: SchemaValidators | None
) -> tuple[Certificate, list[Loss]]:
    if source == "sps":
        from inspectx.formats.sps import import_sps

        imported = import_sps(data, limits=limits)
    elif source == "untp-dcc":
        from inspectx.formats.untp import import_untp

        imported = import_untp(data, limits=limits)
    else:
        return read_certificate(data, limits=limits, validators=validators).certificate, []
    return imported.certificate, list(imported.losses)
