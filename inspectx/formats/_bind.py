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
import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from inspectx.errors import ModelError
from inspectx.formats._table import CERTIFICATE_NS, MAX_INTEGER, RECORDS, XML_NS, Field, Kind

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
_DATETIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|([+-])(\d\d):(\d\d))$", re.ASCII
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


# --- plans -------------------------------------------------------------------------------

# (wire name, attribute, repeated, required, nested class or None, leaf converter in, out)
_Step = tuple[str, str, bool, bool, "type | None", Callable[[Any], Any], Callable[[Any], Any]]
_PLANS: dict[type, tuple[_Step, ...]] = {}


def _plan(cls: type) -> tuple[_Step, ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple(
            (
                f.name,
                f.attr,
                f.repeated,
                f.required,
                f.target if f.kind is Kind.RECORD else None,
                _leaf_in(f) if f.kind is not Kind.RECORD else _text,
                _leaf_out(f) if f.kind is not Kind.RECORD else _text,
            )
            for f in RECORDS[cls].fields
        )
    return plan


# --- JSON data -> model ----------------------------------------------------------------


def _by_name(cls: type) -> tuple[dict[str, _Step], int]:
    """The plan keyed by wire name, and how many of the fields are required."""
    found = _BY_NAME.get(cls)
    if found is None:
        plan = _plan(cls)
        found = _BY_NAME[cls] = ({s[0]: s for s in plan}, sum(1 for s in plan if s[3]))
    return found


_BY_NAME: dict[type, tuple[dict[str, _Step], int]] = {}


def bind(cls: type, data: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Build an instance of the model class ``cls`` from JSON data."""
    if type(data) is not dict:
        raise _fail(path, f"expected an object for {RECORDS[cls].name}")
    steps, required_count = _by_name(cls)
    kwargs: dict[str, Any] = {}
    required_seen = 0
    for name, value in data.items():
        step = steps.get(name)
        if step is None:
            raise _fail((*path, name), f"{RECORDS[cls].name} has no member {name!r}")
        _name, attr, repeated, required, sub, conv, _out = step
        required_seen += required
        if repeated:
            if type(value) is not list or not value:
                raise _fail((*path, name), f"{name!r} must be a non-empty array")
            if sub is not None:
                kwargs[attr] = tuple(
                    [bind(sub, item, (*path, name, i)) for i, item in enumerate(value)]
                )
            else:
                try:
                    kwargs[attr] = tuple([conv(item) for item in value])
                except _Bad:
                    for i, item in enumerate(value):
                        try:
                            conv(item)
                        except _Bad as bad:
                            raise _at((*path, name, i), bad) from None
                    raise  # pragma: no cover - the loop above re-raises
        elif sub is not None:
            kwargs[attr] = bind(sub, value, (*path, name))
        else:
            try:
                kwargs[attr] = conv(value)
            except _Bad as bad:
                raise _at((*path, name), bad) from None
    if required_seen != required_count:
        missing = next(s[0] for s in _plan(cls) if s[3] and s[0] not in data)
        raise _fail(path, f"{RECORDS[cls].name} lacks the required member {missing!r}")
    return cls(**kwargs)


def parse_datetime(value: str, path: tuple[str | int, ...] = ()) -> datetime:
    """An aware datetime from RFC 3339 text with an explicit offset."""
    m = _DATETIME.match(value)
    if not m:
        raise _Bad(f"{value!r} is not an RFC 3339 date-time with an offset")
    y, mo, d, h, mi, s, frac, z, sign, oh, om = m.groups()
    if z == "-00:00":
        raise _Bad(
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


_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _getter(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    getter = _GETTERS.get(cls)
    if getter is None:
        attrs = [step[1] for step in _plan(cls)]
        get_all = operator.attrgetter(*attrs)
        getter = _GETTERS[cls] = get_all if len(attrs) > 1 else (lambda o: (get_all(o),))
    return getter


def unbind(obj: Any) -> dict[str, Any]:
    """JSON data for a model instance, in field-table order."""
    cls = type(obj)
    out: dict[str, Any] = {}
    for step, value in zip(_plan(cls), _getter(cls)(obj), strict=True):
        name, attr, repeated, required, sub, _conv, leaf_out = step
        if value is None or (repeated and not value and type(value) in (tuple, list)):
            if required:
                raise ModelError(
                    "model.missing-field",
                    f"{RECORDS[cls].name}.{attr} is required",
                    hint=f"set {attr} when building the {cls.__name__}",
                )
            continue
        if repeated:
            if type(value) not in (tuple, list):
                raise ModelError(
                    "model.invalid-value",
                    f"{RECORDS[cls].name}.{attr} must be a tuple",
                    hint=f"pass a tuple, e.g. {attr}=(item,)",
                )
            if sub is not None:
                out[name] = [_unbind_record(sub, attr, item) for item in value]
            else:
                out[name] = [leaf_out(item) for item in value]
        elif sub is not None:
            out[name] = _unbind_record(sub, attr, value)
        else:
            out[name] = leaf_out(value)
    return out


def _unbind_record(sub: type, attr: str, value: Any) -> dict[str, Any]:
    if type(value) is not sub:
        raise ModelError(
            "model.invalid-value",
            f"{attr} must be a {sub.__name__}, not {type(value).__name__}",
            hint=f"build {attr} with inspectx.model.{sub.__name__}",
        )
    return unbind(value)


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


# per record: {tag: (attribute, repeated, nested class or None, converter)}, and for
# typed-value wrappers [(attribute, XML attribute or None for the text, converter)]
_TAG_PLANS: dict[type, dict[str, tuple[str, bool, type | None, Callable[[str], Any]]]] = {}
_WRAPPER_PLANS: dict[type, list[tuple[str, str | None, Callable[[str], Any]]]] = {}


def _tag_plan(cls: type) -> dict[str, tuple[str, bool, type | None, Callable[[str], Any]]]:
    plan = _TAG_PLANS.get(cls)
    if plan is None:
        plan = _TAG_PLANS[cls] = {
            f"{{{CERTIFICATE_NS}}}{f.name}": (
                f.attr,
                f.repeated,
                f.target if f.kind is Kind.RECORD else None,
                _xml_leaf_in(f),
            )
            for f in RECORDS[cls].fields
        }
    return plan


def _wrapper_plan(cls: type) -> list[tuple[str, str | None, Callable[[str], Any]]]:
    plan = _WRAPPER_PLANS.get(cls)
    if plan is None:
        content = RECORDS[cls].content
        plan = _WRAPPER_PLANS[cls] = [
            (
                f.attr,
                None if f.name == content else _XML_LANG if f.name == "lang" else f.name,
                _xml_leaf_in(f),
            )
            for f in RECORDS[cls].fields
        ]
    return plan


def bind_element(cls: type, el: Any) -> Any:
    """Build a model instance straight from an XSD-valid inspectx XML element.

    Same results as ``bind(cls, element_to_data(el))`` without the intermediate
    JSON data. Raises :class:`ModelError`, located by the offending element, for
    values the model cannot hold, such as 30 February. Only call it on XML the
    published XSD accepts: it trusts the lexical checks the XSD made.
    """
    if RECORDS[cls].content is not None:
        kwargs: dict[str, Any] = {}
        for attr, xml_attr, conv in _wrapper_plan(cls):
            raw = el.text if xml_attr is None else el.get(xml_attr)
            if raw is not None:
                try:
                    kwargs[attr] = conv(raw)
                except _Bad as bad:
                    raise _at_element(el, bad) from None
        return cls(**kwargs)
    tags = _tag_plan(cls)
    values: dict[str, Any] = {}
    repeated_attrs: list[str] = []
    for child in el:
        attr, repeated, sub, conv = tags[child.tag]
        if sub is not None:
            value = bind_element(sub, child)
        else:
            try:
                value = conv(child.text)
            except _Bad as bad:
                raise _at_element(child, bad) from None
        if repeated:
            if attr in values:
                values[attr].append(value)
            else:
                values[attr] = [value]
                repeated_attrs.append(attr)
        else:
            values[attr] = value
    for attr in repeated_attrs:
        values[attr] = tuple(values[attr])
    return cls(**values)


def _at_element(el: Any, bad: _Bad) -> ModelError:
    from inspectx.formats.certificate import xpath_of  # the codec module imports this one

    return ModelError(
        bad.code,
        bad.message,
        hint=bad.hint or "validate the document against its schema (inspectx validate)",
        location=xpath_of(el),
    )
