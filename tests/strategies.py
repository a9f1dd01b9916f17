"""Hypothesis strategies that build arbitrary valid certificates from the field table."""

from __future__ import annotations

import enum
import string
from datetime import UTC, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from inspectx.formats._bind import format_datetime
from inspectx.formats._table import MAX_INTEGER, RECORDS, Field, Kind
from inspectx.model import Certificate

# Text that XML 1.0 can carry: no C0 controls other than tab/LF/CR, no surrogates,
# no U+FFFE/U+FFFF. Includes CR, non-BMP and combining characters on purpose.
_XML_TEXT = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),
    exclude_characters="".join(chr(c) for c in range(0x20) if c not in (9, 10, 13))
    + "\ufffe\uffff",
)
_TOKEN_CHARS = string.ascii_letters + string.digits + "-._:/#ÄÖ中"

text = st.text(_XML_TEXT, min_size=1, max_size=12)
token = st.text(_TOKEN_CHARS, min_size=1, max_size=10)
uri = st.builds(
    lambda scheme, rest: f"{scheme}:{rest}", st.sampled_from(["urn", "https", "did"]), token
)
country = st.text(string.ascii_uppercase, min_size=2, max_size=2)
language = st.from_regex(r"\A[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,2}\Z")
unit = st.from_regex(r"\A[A-Z0-9]{1,3}\Z")
email = st.builds(lambda a, b: f"{a}@{b}", token.filter(lambda t: "@" not in t), token)
media_type = st.sampled_from(["application/json", "application/xml", "text/plain; charset=utf-8"])
ncname = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9._\-]{0,8}\Z")
decimal = st.from_regex(r"\A-?[0-9]{1,8}(\.[0-9]{1,6})?\Z").map(Decimal)
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
datetime_ = st.datetimes(timezones=st.one_of(st.just(UTC), offsets))
date_ = st.dates()
integer = st.integers(1, MAX_INTEGER)

_LEXICAL = {
    "text": text,
    "longText": text,
    "token": token,
    "uri": uri,
    "countryCode": country,
    "language": language,
    "unitCode": unit,
    "mediaType": media_type,
    "ncName": ncname,
    "email": email,
    "dateTimeText": st.builds(format_datetime, datetime_),
}


def _leaf(f: Field) -> st.SearchStrategy[Any]:
    if f.kind is Kind.RECORD:
        assert f.target is not None
        return model_of(f.target)
    if f.kind is Kind.ENUM:
        assert f.target is not None and issubclass(f.target, enum.Enum)
        return st.sampled_from(list(f.target))
    if f.kind is Kind.STRING:
        assert f.lexical is not None
        return _LEXICAL[f.lexical.name]
    return {
        Kind.DECIMAL: decimal,
        Kind.DATETIME: datetime_,
        Kind.DATE: date_,
        Kind.INTEGER: integer,
        Kind.BASE64: st.binary(min_size=1, max_size=16),
    }[f.kind]


_CACHE: dict[type, st.SearchStrategy[Any]] = {}


def model_of(cls: type) -> st.SearchStrategy[Any]:
    """Any valid instance of a model class, optional fields present or not."""
    if cls not in _CACHE:
        kwargs: dict[str, st.SearchStrategy[Any]] = {}
        for f in RECORDS[cls].fields:
            leaf = _leaf(f)
            if f.repeated:
                kwargs[f.attr] = st.lists(leaf, min_size=1 if f.required else 0, max_size=2).map(
                    tuple
                )
            elif f.required:
                kwargs[f.attr] = leaf
            else:
                kwargs[f.attr] = st.none() | leaf
        _CACHE[cls] = st.builds(cls, **kwargs)
    return _CACHE[cls]


certificates: st.SearchStrategy[Certificate] = st.deferred(lambda: model_of(Certificate))
