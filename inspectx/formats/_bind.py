"""Binding between JSON data (dicts, lists, strings) and the model, driven by the field table.

``bind`` is defensive: it is normally called on schema-valid data, but raises a
:class:`ModelError` with a JSON Pointer for anything it cannot represent, so a
library caller who skips validation still never gets a half-built model.
``unbind`` renders a model as JSON data following the serialisation rules of
DESIGN §2 (table order, absent fields left out, decimals as strings).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from inspectx.errors import ModelError
from inspectx.formats._table import MAX_INTEGER, RECORDS, Field, Kind, Record

__all__ = ["bind", "format_datetime", "format_decimal", "unbind"]

# XML 1.0 cannot carry these code points, so no inspectx string may contain them.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_DATETIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|([+-])(\d\d):(\d\d))$", re.ASCII
)
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _pointer(path: tuple[str | int, ...]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _fail(path: tuple[str | int, ...], message: str, hint: str = "") -> ModelError:
    return ModelError(
        "model.invalid-value",
        message,
        hint=hint or "validate the document against its schema (inspectx validate)",
        location=_pointer(path),
    )


# --- JSON data -> model ----------------------------------------------------------


def bind(cls: type, data: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Build an instance of the model class ``cls`` from JSON data."""
    rec = RECORDS[cls]
    if not isinstance(data, dict):
        raise _fail(path, f"expected an object for {rec.name}")
    kwargs: dict[str, Any] = {}
    for f in rec.fields:
        if f.name not in data:
            if f.required:
                raise _fail(path, f"{rec.name} lacks the required member {f.name!r}")
            continue
        value = data[f.name]
        p = (*path, f.name)
        if f.repeated:
            if not isinstance(value, list) or not value:
                raise _fail(p, f"{f.name!r} must be a non-empty array")
            kwargs[f.attr] = tuple(_bind_value(f, v, (*p, i)) for i, v in enumerate(value))
        else:
            kwargs[f.attr] = _bind_value(f, value, p)
    if len(data) > len(kwargs):
        for name in data:
            if rec.field(name) is None:
                raise _fail((*path, name), f"{rec.name} has no member {name!r}")
    return cls(**kwargs)


def _bind_value(f: Field, value: Any, path: tuple[str | int, ...]) -> Any:
    kind = f.kind
    if kind is Kind.RECORD:
        assert f.target is not None
        return bind(f.target, value, path)
    if kind is Kind.INTEGER:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_INTEGER:
            raise _fail(path, f"expected an integer from 1 to {MAX_INTEGER}")
        return value
    if not isinstance(value, str) or not value:
        raise _fail(path, "expected a non-empty string")
    if _NOT_XML_CHAR.search(value):
        raise ModelError(
            "model.forbidden-character",
            "the text contains a control character that XML cannot carry",
            hint="remove control characters (U+0000–U+001F other than tab, LF, CR)",
            location=_pointer(path),
        )
    if kind is Kind.STRING:
        return value
    if kind is Kind.DECIMAL:
        if not _DECIMAL.match(value):
            raise _fail(path, f"{value!r} is not a decimal string", 'write e.g. "0.050"')
        return Decimal(value)
    if kind is Kind.DATETIME:
        return parse_datetime(value, path)
    if kind is Kind.DATE:
        try:
            return date.fromisoformat(value) if len(value) == 10 else _bad_date(value)
        except ValueError:
            raise _fail(path, f"{value!r} is not a calendar date (YYYY-MM-DD)") from None
    if kind is Kind.ENUM:
        assert f.target is not None
        try:
            return f.target(value)
        except ValueError:
            allowed = ", ".join(str(e.value) for e in f.target)  # type: ignore[attr-defined]
            raise _fail(path, f"{value!r} is not one of: {allowed}") from None
    if kind is Kind.BASE64:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _fail(path, "not valid base64") from None
        if base64.b64encode(raw).decode("ascii") != value:
            raise _fail(path, "base64 is not in canonical form (padding, unused bits)")
        return raw
    raise AssertionError(kind)  # pragma: no cover


def _bad_date(value: str) -> date:
    raise ValueError(value)


def parse_datetime(value: str, path: tuple[str | int, ...] = ()) -> datetime:
    """An aware datetime from RFC 3339 text with an explicit offset."""
    m = _DATETIME.match(value)
    if not m:
        raise _fail(path, f"{value!r} is not an RFC 3339 date-time with an offset")
    y, mo, d, h, mi, s, frac, z, sign, oh, om = m.groups()
    if z == "-00:00":
        raise _fail(
            path,
            f"{value!r} has the offset -00:00, which RFC 3339 reserves for an unknown offset",
            "give the offset at which the time was recorded (Z for UTC)",
        )
    if z == "Z":
        tz: timezone = UTC
    else:
        delta = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-delta if sign == "-" else delta)
    try:
        return datetime(
            int(y), int(mo), int(d), int(h), int(mi), int(s),
            int((frac or "0").ljust(6, "0")), tzinfo=tz,
        )  # fmt: skip
    except ValueError as exc:
        raise _fail(path, f"{value!r} is not a valid date-time: {exc}") from None


# --- model -> JSON data ----------------------------------------------------------


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
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.year < 1000:
        text = f"{value.year:04d}" + text[text.index("-") :]
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{mins:02d}"


def unbind(obj: Any, rec: Record | None = None) -> dict[str, Any]:
    """JSON data for a model instance, in field-table order."""
    rec = rec or RECORDS[type(obj)]
    out: dict[str, Any] = {}
    for f in rec.fields:
        value = getattr(obj, f.attr)
        if value is None:
            if f.required:
                raise ModelError(
                    "model.missing-field",
                    f"{rec.name}.{f.attr} is required",
                    hint=f"set {f.attr} when building the {rec.cls.__name__}",
                )
            continue
        if f.repeated:
            if not isinstance(value, tuple | list):
                raise ModelError(
                    "model.invalid-value",
                    f"{rec.name}.{f.attr} must be a tuple",
                    hint=f"pass a tuple, e.g. {f.attr}=(item,)",
                )
            if not value:
                if f.required:
                    raise ModelError(
                        "model.missing-field",
                        f"{rec.name}.{f.attr} needs at least one item",
                        hint=f"add at least one item to {f.attr}",
                    )
                continue
            out[f.name] = [_unbind_value(f, v) for v in value]
        else:
            out[f.name] = _unbind_value(f, value)
    return out


def _unbind_value(f: Field, value: Any) -> Any:
    kind = f.kind
    if kind is Kind.RECORD:
        assert f.target is not None
        if type(value) is not f.target:
            raise ModelError(
                "model.invalid-value",
                f"{f.attr} must be a {f.target.__name__}, not {type(value).__name__}",
                hint=f"build {f.attr} with inspectx.model.{f.target.__name__}",
            )
        return unbind(value, RECORDS[f.target])
    if kind is Kind.STRING:
        if not isinstance(value, str) or not value:
            raise ModelError(
                "model.invalid-value",
                f"{f.attr} must be a non-empty string",
                hint="leave a field out (None or ()) instead of giving an empty string",
            )
        return value
    if kind is Kind.DECIMAL:
        if not isinstance(value, Decimal):
            raise ModelError(
                "model.invalid-value",
                f"{f.attr} must be a Decimal, not {type(value).__name__}",
                hint='use Decimal("0.050"): floats lose the precision the lab reported',
            )
        return format_decimal(value)
    if kind is Kind.DATETIME:
        if not isinstance(value, datetime):
            raise ModelError("model.invalid-value", f"{f.attr} must be a datetime")
        return format_datetime(value)
    if kind is Kind.DATE:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ModelError("model.invalid-value", f"{f.attr} must be a date")
        return value.isoformat()
    if kind is Kind.ENUM:
        assert f.target is not None
        try:
            return f.target(value).value
        except ValueError:
            raise ModelError(
                "model.invalid-value",
                f"{value!r} is not a valid {f.target.__name__}",
                hint=f"use a member of inspectx.model.{f.target.__name__}",
            ) from None
    if kind is Kind.BASE64:
        return base64.b64encode(value).decode("ascii")
    if kind is Kind.INTEGER:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ModelError("model.invalid-value", f"{f.attr} must be an int")
        return value
    raise AssertionError(kind)  # pragma: no cover


# --- schema-valid XML -> model -------------------------------------------------------

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def bind_element(cls: type, el: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Build a model instance straight from an XSD-valid inspectx XML element.

    Same results as ``bind(cls, element_to_data(el))`` without the intermediate
    JSON data. Raises :class:`ModelError` (location: a JSON Pointer) for values
    the model cannot hold, such as 30 February.
    """
    rec = RECORDS[cls]
    if rec.content is not None:
        kwargs: dict[str, Any] = {}
        for f in rec.fields:
            if f.name == rec.content:
                raw = el.text
            else:
                raw = el.get(_XML_LANG if f.name == "lang" else f.name)
            if raw is not None:
                kwargs[f.attr] = _bind_value(f, raw, (*path, f.name))
        return cls(**kwargs)
    by_tag = _by_tag(rec)
    values: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for child in el:
        f = by_tag[child.tag]
        if f.repeated:
            index = counts.get(f.name, 0)
            counts[f.name] = index + 1
            child_path: tuple[str | int, ...] = (*path, f.name, index)
        else:
            child_path = (*path, f.name)
        if f.kind is Kind.RECORD:
            assert f.target is not None
            value = bind_element(f.target, child, child_path)
        elif f.kind is Kind.INTEGER:
            value = _bind_value(f, int(child.text), child_path)
        else:
            value = _bind_value(f, child.text or "", child_path)
        if f.repeated:
            values.setdefault(f.attr, []).append(value)
        else:
            values[f.attr] = value
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


_BY_TAG: dict[type, dict[str, Field]] = {}


def _by_tag(rec: Record) -> dict[str, Field]:
    table = _BY_TAG.get(rec.cls)
    if table is None:
        from inspectx.formats._table import CERTIFICATE_NS

        table = _BY_TAG[rec.cls] = {f"{{{CERTIFICATE_NS}}}{f.name}": f for f in rec.fields}
    return table
