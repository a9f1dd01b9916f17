"""Binding between JSON data (dicts, lists, strings) and the model, driven by the field table.

``bind`` is defensive: it is normally called on schema-valid data, but raises a
:class:`ModelError` with a JSON Pointer for anything it cannot represent, so a
library caller who skips validation still never gets a half-built model.
``unbind`` renders a model as JSON data following the serialisation rules of
DESIGN §2 (table order, absent fields left out, decimals as strings).
``bind_element`` builds the model straight from XSD-valid XML.

Each record's fields are compiled once into a plan of converter functions, so
the per-value work is one call, not a dispatch on the field kind.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from inspectx.errors import ModelError
from inspectx.formats._table import MAX_INTEGER, XML_NS, Field, Kind

__all__ = [
    "bind",
    "bind_element",
    "format_datetime",
    "format_decimal",
    "parse_datetime",
    "unbind",
]

# XML 1.0 cannot carry these code points, so no inspectx string may contain them.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# the shape of RFC 3339 with an offset, whose calendar datetime.fromisoformat then checks
_DATETIME = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$", re.ASCII
)
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_XML_LANG = f"{{{XML_NS}}}lang"


class _Bad(Exception):
    """A leaf value the model cannot hold; the caller adds where it is."""

    def __init__(self, message: str, hint: str = "", code: str = "model.invalid-value") -> None:
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code


def _pointer(path: tuple[str | int, ...]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _fail(path: tuple[str | int, ...], message: str, hint: str = "") -> ModelError:
    return ModelError(
        "model.invalid-value",
        message,
        hint=hint or "validate the document against its schema (inspectx validate)",
        location=_pointer(path),
    )


def _at(path: tuple[str | int, ...], bad: _Bad) -> ModelError:
    return ModelError(
        bad.code,
        bad.message,
        hint=bad.hint or "validate the document against its schema (inspectx validate)",
        location=_pointer(path),
    )


# --- leaf converters: wire text -> model value ----------------------------------------


def _text(value: Any) -> str:
    if type(value) is not str or not value:
        raise _Bad("expected a non-empty string")
    if _NOT_XML_CHAR.search(value):
        raise _Bad(
            "the text contains a control character that XML cannot carry",
            "remove control characters (U+0000–U+001F other than tab, LF, CR)",
            "model.forbidden-character",
        )
    return value


def _decimal(value: Any) -> Decimal:
    if type(value) is not str or not _DECIMAL.match(value):
        raise _Bad(f"{value!r} is not a decimal string", 'write e.g. "0.050"')
    return Decimal(value)


def _datetime(value: Any) -> datetime:
    return parse_datetime(_text(value))


def _date(value: Any) -> date:
    text = _text(value)
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"{text!r} is not a calendar date (YYYY-MM-DD)") from None


def _base64(value: Any) -> bytes:
    text = _text(value)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad("not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise _Bad("base64 is not in canonical form (padding, unused bits)")
    return raw


def _integer(value: Any) -> int:
    if type(value) is float and value.is_integer():
        value = int(value)  # JSON Schema counts 1.0 as an integer
    if type(value) is not int or not 1 <= value <= MAX_INTEGER:
        raise _Bad(f"expected an integer from 1 to {MAX_INTEGER}")
    return value


def _enum(cls: type[enum.Enum]) -> Callable[[Any], Any]:
    members = {m.value: m for m in cls}
    allowed = ", ".join(members)

    def convert(value: Any) -> Any:
        member = members.get(value) if type(value) is str else None
        if member is None:
            raise _Bad(f"{value!r} is not one of: {allowed}")
        return member

    return convert


_IN: dict[Kind, Callable[[Any], Any]] = {
    Kind.STRING: _text,
    Kind.DECIMAL: _decimal,
    Kind.DATETIME: _datetime,
    Kind.DATE: _date,
    Kind.BASE64: _base64,
    Kind.INTEGER: _integer,
}


def _leaf_in(f: Field) -> Callable[[Any], Any]:
    if f.kind is Kind.ENUM:
        assert f.target is not None
        return _enum(f.target)
    return _IN[f.kind]


# --- leaf converters: model value -> wire text -------------------------------------------


def _model_error(f: Field, message: str, hint: str = "") -> ModelError:
    return ModelError("model.invalid-value", f"{f.attr}: {message}", hint=hint)


def _leaf_out(f: Field) -> Callable[[Any], Any]:
    kind = f.kind
    if kind is Kind.STRING:

        def out(value: Any) -> Any:
            if type(value) is not str or not value:
                raise _model_error(
                    f,
                    "must be a non-empty string",
                    "leave a field out (None or ()) instead of giving an empty string",
                )
            if _NOT_XML_CHAR.search(value):
                raise ModelError(
                    "model.forbidden-character",
                    f"{f.attr}: the text contains a character XML cannot carry",
                    hint="remove control characters (U+0000–U+001F other than tab, LF, CR), "
                    "U+FFFE, U+FFFF and unpaired surrogates",
                )
            return value

    elif kind is Kind.DECIMAL:

        def out(value: Any) -> Any:
            if type(value) is not Decimal:
                raise _model_error(
                    f,
                    f"must be a Decimal, not {type(value).__name__}",
                    'use Decimal("0.050"): floats lose the precision the lab reported',
                )
            return format_decimal(value)

    elif kind is Kind.DATETIME:

        def out(value: Any) -> Any:
            if not isinstance(value, datetime):
                raise _model_error(f, "must be a datetime")
            return format_datetime(value)

    elif kind is Kind.DATE:

        def out(value: Any) -> Any:
            if not isinstance(value, date) or isinstance(value, datetime):
                raise _model_error(f, "must be a date")
            return value.isoformat()

    elif kind is Kind.ENUM:
        target = f.target
        assert target is not None

        def out(value: Any) -> Any:
            if type(value) is target:
                return value.value  # type: ignore[attr-defined]
            try:
                return target(value).value
            except ValueError:
                raise _model_error(
                    f,
                    f"{value!r} is not a valid {target.__name__}",
                    f"use a member of inspectx.model.{target.__name__}",
                ) from None

    elif kind is Kind.BASE64:

        def out(value: Any) -> Any:
            if not isinstance(value, bytes) or not value:
                raise _model_error(f, "must be non-empty bytes")
            return base64.b64encode(value).decode("ascii")

    else:

        def out(value: Any) -> Any:
            if type(value) is not int:
                raise _model_error(f, "must be an int")
            return value

    return out


# --- public entry points: generated, specialised code (see _codegen) ------------------------


def bind(cls: type, data: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Build an instance of the model class ``cls`` from JSON data."""
    from inspectx.formats._codegen import compiled

    return compiled().bind[cls](data, path)


def unbind(obj: Any) -> dict[str, Any]:
    """JSON data for a model instance, in field-table order."""
    from inspectx.formats._codegen import compiled

    unbinder = compiled().unbind.get(type(obj))
    if unbinder is None:
        raise ModelError(
            "model.invalid-value",
            f"{type(obj).__name__} is not an inspectx model class",
            hint="build it with the classes of inspectx.model",
        )
    return unbinder(obj)


def bind_element(cls: type, el: Any) -> Any:
    """Build a model instance straight from an XSD-valid inspectx XML element.

    Same results as ``bind(cls, element_to_data(el))`` without the intermediate
    JSON data. Raises :class:`ModelError`, located by the offending element, for
    values the model cannot hold, such as 30 February. Only call it on XML the
    published XSD accepts: it trusts the lexical checks the XSD made.
    """
    from inspectx.formats._codegen import compiled

    return compiled().bind_element[cls](el)


def parse_datetime(value: str) -> datetime:
    """An aware datetime from RFC 3339 text with an explicit offset."""
    if not _DATETIME.match(value):
        raise _Bad(f"{value!r} is not an RFC 3339 date-time with an offset")
    if value.endswith("-00:00"):
        raise _Bad(
            f"{value!r} has the offset -00:00, which RFC 3339 reserves for an unknown offset",
            "give the offset at which the time was recorded (Z for UTC)",
        )
    try:  # within that shape, fromisoformat reads exactly RFC 3339 (and in C)
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Bad(f"{value!r} is not a valid date-time: {exc}") from None


# --- model -> JSON data ----------------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """Render a Decimal without exponent, keeping its precision ("0.050" stays "0.050")."""
    if not value.is_finite():
        raise ModelError(
            "model.invalid-value", f"{value} is not a finite decimal", hint="use a finite value"
        )
    return format(value, "f")


def format_datetime(value: datetime) -> str:
    """RFC 3339 with the datetime's own offset ("Z" for UTC); fraction without trailing zeros."""
    offset = value.utcoffset()
    if offset is None:
        raise ModelError(
            "model.naive-datetime",
            f"{value.isoformat()} has no time zone",
            hint="give every datetime a tzinfo (e.g. timezone.utc)",
        )
    if offset % timedelta(minutes=1):
        raise ModelError(
            "model.invalid-value",
            "offsets must be whole minutes",
            hint="RFC 3339 offsets are ±HH:MM",
        )
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{mins:02d}"


# --- schema-valid XML -> model ------------------------------------------------------------


def _xml_leaf_in(f: Field) -> Callable[[str], Any]:
    """Converters for XSD-valid text: the lexical checks are already done."""
    if f.kind is Kind.STRING or f.kind is Kind.RECORD:  # records are bound, not converted
        return str
    if f.kind is Kind.DECIMAL:
        return Decimal
    if f.kind is Kind.INTEGER:
        return int
    return _leaf_in(f)


def _at_element(el: Any, bad: _Bad) -> ModelError:
    from inspectx.formats.certificate import xpath_of  # the codec module imports this one

    return ModelError(
        bad.code,
        bad.message,
        hint=bad.hint or "validate the document against its schema (inspectx validate)",
        location=xpath_of(el),
    )
