"""The GS1 CBV 2.0 EPCIS event hash: ``ni:///sha-256;<hex>?ver=CBV2.0`` (DESIGN §7).

CBV 2.0 (section "EPCIS Event Hash ID") names an EPCIS event by the SHA-256 of a
canonical *pre-hash string*, so that the same event has the same ID in XML and in
JSON-LD, whatever the member order, the time zone, the identifier syntax (EPC URN or
GS1 Digital Link) or the vocabulary form (bare name, CBV URN or Web URI). This module
computes it for an event given in its EPCIS 2.0 JSON-LD form (a ``dict`` from an
``eventList``). It is pure Python: no JSON-LD processor, no network, no file access.

The pre-hash string, as the reference implementation (RalphTro/epcis-event-hash-generator,
whose test vectors ``tests/test_eventhash.py`` reproduces) builds it:

* ``eventType=<type>``, then the standard fields in the canonical order: ``eventTime``,
  ``eventTimeZoneOffset``, ``certificationInfo``, ``parentID``, ``epcList``,
  ``inputEPCList``, ``childEPCs``, ``quantityList``, ``childQuantityList``,
  ``inputQuantityList``, ``outputEPCList``, ``outputQuantityList``, ``action``,
  ``transformationID``, ``bizStep``, ``disposition``, ``persistentDisposition``,
  ``readPoint``, ``bizLocation``, ``sensorElementList``;
* then every other member (``bizTransactionList``, ``sourceList``,
  ``destinationList``, ``ilmd``, user extensions), each rendered as one string, the
  strings sorted (so ``destinationList`` comes before ``sourceList`` and extensions,
  which start with ``{``, come last);
* a value is ``name=value``; a structure is its name followed by its content; members
  of a list are sorted; the entries of ``bizTransactionList``/``sourceList``/
  ``destinationList`` are ``type=<type>`` then ``bizTransaction|source|destination=<id>``;
  extension members inside ``readPoint``, ``bizLocation``, ``quantityList`` elements,
  ``sensorElement``, ``sensorMetadata`` and ``sensorReport`` follow the standard fields
  of their parent, sorted; a key ``prefix:local`` is written ``{namespace}local``;
* ``eventID``, ``recordTime``, ``errorDeclaration`` (so that an error declaration keeps
  the ID of the event it declares erroneous) and comments (``rdfs:comment``,
  ``comment``) are left out.

Values are normalised: whitespace trimmed; ``eventTime`` and the sensor times to UTC
with milliseconds (``2020-03-04T10:00:30.000Z``, a 4th decimal of 5-9 rounding up);
bare vocabulary names (``shipping``), CBV URNs (``urn:epcglobal:cbv:bizstep:shipping``)
and ``cbv:``/``gs1:`` CURIEs to GS1 Web URIs (``https://ref.gs1.org/cbv/BizStep-shipping``);
numbers (JSON numbers and numeric strings) to plain decimals without trailing zeros
(``10.0`` → ``10``, ``1e3`` → ``1000``); ``true``/``false`` as such; EPC URNs
(``urn:epc:id:sgtin:...``, ``urn:epc:class:lgtin:...``, ``urn:epc:idpat:...``) and
GS1 Digital Link URIs on any domain to the constrained canonical Digital Link
(``https://id.gs1.org/01/<gtin14>/21/<serial>``: no query string, the finest
identification level only).

Where the reference implementation (1.9.x) is accidental, this module follows the
standard and says so: vocabulary names are expanded where the EPCIS JSON-LD context
defines them (``bizStep``, ``disposition``, ``persistentDisposition``, the ``type`` of
business transactions, sources, destinations and sensor reports, ``exception``,
``component``), not wherever the same word appears in the document; the entries of
``bizTransactionList``/``sourceList``/``destinationList`` always put ``type`` first (as
XML does), whatever the JSON member order, and keep their extension members; an
extension is any member the standard does not define (not only a ``{ns/}`` one); JSON
booleans are ``true``/``false`` (not Python's ``True``); numbers are exact decimals (a
20-digit numeric string keeps its digits) and never use exponent notation; a tie in
the 4th decimal of a time (``.1425``) rounds up as the written rule says (the reference
code rounds half to even); the prefixes of the standard EPCIS context (``gs1``, ``cbv``,
``cbvmda``, ...) need no declaration; GRAIs, and GRAI/GDTI/SGCN patterns, with a
12-digit company prefix convert too; a Digital Link with percent-escapes, or with a
CPV, lot and serial, is normalised too. None of this changes a reference vector, and on
10,000 random events without these cases the pre-hash strings are the reference's.
Not supported: the reference's non-standard, document-level ``ignoreFields`` list
(a sender-declared exclusion would let changed members escape the hash).

Security notes for callers who sign the hash: the pre-hash string has no separators
(the standard's choice), so a value containing ``{ns}name=`` text can imitate other
members; comments and ``errorDeclaration`` are not covered; equal hashes mean equal
*normalised* content (``"10"`` and ``10.0`` hash alike). Remote ``@context`` URLs are
never fetched: prefixes must be declared inline (or passed as ``namespaces``).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final, TypeGuard

from inspectx.delivery import cbv
from inspectx.errors import InspectxError

__all__ = [
    "EventHashError",
    "context_namespaces",
    "document_event_hashes",
    "event_hash",
    "prehash_string",
]

MALFORMED: Final = "delivery.event-hash.malformed"
EVENT_TYPE: Final = "delivery.event-hash.event-type"
TIMESTAMP: Final = "delivery.event-hash.timestamp"
_MAX_DEPTH: Final = 64  # nesting of extension values and @context lists


class EventHashError(InspectxError):
    """An event (or document) that cannot be hashed: not an object, an unknown event
    type, a value of the wrong JSON type, a timestamp that is not an xsd:dateTimeStamp."""

    def at(self, prefix: str) -> EventHashError:
        """The same error, its location prefixed by ``prefix`` (a JSON Pointer)."""
        return EventHashError(
            self.code, self.message, hint=self.hint, location=prefix + (self.location or "")
        )


# --------------------------------------------------------------------------- vocabulary

_CBV: Final = cbv.CBV
_GS1_VOC: Final = cbv.GS1_VOC
_EVENT_TYPES: Final = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)

#: The prefixes the standard EPCIS 2.0 JSON-LD context declares.
_STANDARD_PREFIXES: Final[Mapping[str, str]] = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": _CBV,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": _GS1_VOC,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
#: CURIEs in values expand only into the GS1 vocabularies (as in XML, where a value is text).
_VALUE_CURIE_NAMESPACES: Final = ("https://ref.gs1.org/", "https://gs1.org/")


def _terms(base: str, names: list[str]) -> dict[str, str]:
    return {name: base + name for name in names}


# The scoped term definitions of the EPCIS 2.0 JSON-LD context (ref.gs1.org/standards/epcis/2.0.0).
_BIZ_STEPS: Final = _terms(_CBV + "BizStep-", cbv.BIZ_STEPS)
_DISPOSITIONS: Final = _terms(_CBV + "Disp-", cbv.DISPOSITIONS)
_BIZ_TRANSACTION_TYPES: Final = _terms(_CBV + "BTT-", cbv.BUSINESS_TRANSACTION_TYPES)
_SOURCE_DESTINATION_TYPES: Final = _terms(_CBV + "SDT-", cbv.SOURCE_DESTINATION_TYPES)
_MEASUREMENT_TYPES: Final = _terms(_GS1_VOC, cbv.MEASUREMENT_TYPES)
_SENSOR_EXCEPTIONS: Final = _terms(_GS1_VOC, cbv.SENSOR_ALERTS)
_COMPONENTS: Final = _terms(_CBV + "Comp-", cbv.COMPONENTS)
#: CBV 1.x URN vocabulary -> CBV 2.0 Web URI.
_CBV_URN_RE: Final = re.compile(r"urn:epcglobal:cbv:(bizstep|disp|btt|sdt|er):")
_CBV_URN_WEB: Final[Mapping[str, str]] = {
    "bizstep": _CBV + "BizStep-",
    "disp": _CBV + "Disp-",
    "btt": _CBV + "BTT-",
    "sdt": _CBV + "SDT-",
    "er": _CBV + "ER-",
}


# --------------------------------------------------------------------------- namespaces


class _Ns:
    """The prefixes in scope: ``keys`` maps a prefix to ``{namespace}`` (for member names),
    ``values`` to the namespace for the GS1 vocabularies only (for CURIE values)."""

    __slots__ = ("keys", "values")

    def __init__(self, keys: dict[str, str], values: dict[str, str]) -> None:
        self.keys = keys
        self.values = values

    @staticmethod
    def of(prefixes: Mapping[str, str]) -> _Ns:
        keys = {prefix: "{" + uri + "}" for prefix, uri in prefixes.items()}
        values = {p: uri for p, uri in prefixes.items() if uri.startswith(_VALUE_CURIE_NAMESPACES)}
        return _Ns(keys, values)

    def extended(self, prefixes: Mapping[str, str]) -> _Ns:
        if not prefixes:
            return self
        keys = dict(self.keys)
        values = dict(self.values)
        for prefix, uri in prefixes.items():
            keys[prefix] = "{" + uri + "}"
            if uri.startswith(_VALUE_CURIE_NAMESPACES):
                values[prefix] = uri
            else:
                values.pop(prefix, None)
        return _Ns(keys, values)

    def key(self, name: str) -> str:
        colon = name.find(":")
        if colon > 0:
            braced = self.keys.get(name[:colon])
            if braced is not None and not name.startswith("//", colon + 1):
                return braced + name[colon + 1 :]
        return name


_DEFAULT_NS: Final = _Ns.of(_STANDARD_PREFIXES)


def _namespaces_in_scope(namespaces: Mapping[str, str] | None) -> _Ns:
    if not namespaces:
        return _DEFAULT_NS
    if not isinstance(namespaces, Mapping):
        raise EventHashError(MALFORMED, "namespaces must map JSON-LD prefixes to namespace URIs")
    for prefix, uri in namespaces.items():
        if not isinstance(prefix, str) or not isinstance(uri, str):
            raise EventHashError(
                MALFORMED, f"namespaces must map strings to strings, not {prefix!r}: {uri!r}"
            )
    return _DEFAULT_NS.extended(namespaces)


def context_namespaces(context: Any) -> dict[str, str]:
    """The prefix -> namespace URI mappings declared in a JSON-LD ``@context`` value (a
    string URL, an object, or a list of both).

    URLs (the standard EPCIS context, or any other) are skipped: nothing is fetched, so
    only inline declarations count. In an object, a member whose value is an IRI string
    is a prefix (``"example": "https://ns.example.com/epcis/"``), as is an expanded term
    definition with ``"@prefix": true``; keywords (``@vocab``, ``@version``, ...) and
    aliases (``"id": "@id"``) are not; ``null`` removes a prefix declared earlier.
    """
    found: dict[str, str] = {}
    _collect_context(context, found, "", 0)
    return found


def _collect_context(context: Any, found: dict[str, str], where: str, depth: int) -> None:
    if context is None or isinstance(context, str):
        return
    if isinstance(context, list | tuple):
        if depth > _MAX_DEPTH:
            raise EventHashError(MALFORMED, "a @context nests too deeply", location=where)
        for i, item in enumerate(context):
            _collect_context(item, found, f"{where}/{i}", depth + 1)
        return
    if not isinstance(context, Mapping):
        raise EventHashError(
            MALFORMED,
            f"a JSON-LD @context must be a URL, an object or a list, not {_json_type(context)}",
            location=where or None,
        )
    for term, definition in context.items():
        if not isinstance(term, str) or term.startswith("@"):
            continue
        if isinstance(definition, str):
            if not definition.startswith("@"):
                found[term] = definition
        elif definition is None:
            found.pop(term, None)
        elif isinstance(definition, Mapping):
            iri = definition.get("@id")
            if definition.get("@prefix") is True and isinstance(iri, str):
                found[term] = iri


# --------------------------------------------------------------------------- values


def _json_type(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _pointer(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}/{key}"
    return where + "/" + key.replace("~", "~0").replace("/", "~1")


def _text(value: Any, where: str) -> str:
    """A JSON scalar as text (numbers as their shortest exact decimal)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # beyond sys.int_info.str_digits_check_threshold
            raise EventHashError(MALFORMED, "an integer too long to hash", location=where) from None
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, float | Decimal):
        raise EventHashError(
            MALFORMED, "NaN or an infinite number cannot be hashed", location=where
        )
    raise EventHashError(
        MALFORMED,
        f"{_json_type(value)} where the event hash needs a single value",
        hint="standard fields hold strings, numbers or booleans (lists where the standard allows)",
        location=where,
    )


_NUMBER_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_START: Final = frozenset("+-.0123456789")
#: Numbers whose plain decimal form would be longer than this stay as written.
_MAX_EXPONENT: Final = 400


def _number(text: str) -> str | None:
    """The plain decimal form of a numeric string, without trailing zeros, else None."""
    if _NUMBER_RE.fullmatch(text) is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None
    if not number:
        return "0"
    if not -_MAX_EXPONENT <= number.adjusted() <= _MAX_EXPONENT:
        return None
    plain = format(number, "f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain


def _value(raw: Any, ns: _Ns, vocabulary: Mapping[str, str] | None, where: str) -> str:
    """One value, normalised as the pre-hash string needs it ('' for an empty value)."""
    text = (raw if type(raw) is str else _text(raw, where)).strip()
    if not text:
        return ""
    if vocabulary is not None:
        term = vocabulary.get(text)
        if term is not None:
            return term
    colon = text.find(":")
    if colon < 0:
        if text[0] in _NUMBER_START:
            if text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
                return text
            number = _number(text)
            if number is not None:
                return number
        return text
    namespace = ns.values.get(text[:colon])
    if namespace is not None and not text.startswith("//", colon + 1):
        return namespace + text[colon + 1 :]
    if text.startswith("urn:epc"):
        if text.startswith("urn:epc:"):
            if len(text) <= _CACHED_LENGTH:
                return _epc_to_digital_link_cached(text) or text
            return _epc_to_digital_link(text) or text
        urn = _CBV_URN_RE.match(text)
        if urn is not None:
            return _CBV_URN_WEB[urn.group(1)] + text[urn.end() :]
    elif text.startswith("http"):
        if len(text) <= _CACHED_LENGTH:
            return _digital_link_cached(text) or text
        return _digital_link(text) or text
    return text


_TIMESTAMP_RE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


_ONE_SECOND: Final = timedelta(seconds=1)
_UTC_OFFSETS: dict[str, timedelta] = {}  # "+01:00" -> 1 h, filled as met (at most 2 x 24 x 60)


def _utc_offset(zone: str) -> timedelta:
    offset = _UTC_OFFSETS.get(zone)
    if offset is None:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(zone)
        offset = timedelta(hours=hours, minutes=minutes)
        _UTC_OFFSETS[zone] = offset if zone[0] == "+" else -offset
    return _UTC_OFFSETS[zone]


def _timestamp(raw: Any, where: str) -> str:
    """An xsd:dateTimeStamp in UTC with milliseconds; a 4th decimal of 5-9 rounds up."""
    text = (raw if type(raw) is str else _text(raw, where)).strip()
    if not text:
        return ""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        raise EventHashError(
            TIMESTAMP,
            f"{text[:60]!r} is not an xsd:dateTimeStamp",
            hint="write a date-time with seconds and a UTC offset, e.g. 2020-03-04T11:00:30+01:00",
            location=where,
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    millis = 0
    if fraction:
        millis = int(fraction[:3].ljust(3, "0"))
        if len(fraction) > 3 and fraction[3] >= "5":
            millis += 1
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            millis % 1000 * 1000,
        )
        if millis == 1000:
            moment += _ONE_SECOND
        if zone not in ("Z", "z"):
            moment -= _utc_offset(zone)
    except (ValueError, OverflowError):
        raise EventHashError(
            TIMESTAMP,
            f"{text[:60]!r} is not a valid date-time (or falls outside years 1-9999 in UTC)",
            hint="leap seconds and hour 24 cannot be hashed; write the next second instead",
            location=where,
        ) from None
    return moment.isoformat(timespec="milliseconds") + "Z"


# ------------------------------------------------------------------------ EPC URN -> Digital Link

# GS1 AI-encodable characters as EPC URIs write them (TDS): '%'-escapes or the safe set.
_E: Final = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
_CPI: Final = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
_CP: Final = r"([0-9]{6,12})"
_EPC_RE: Final = re.compile(r"urn:epc:(id|class|idpat):([a-z]+):(.+)")
_DL_ESCAPE: Final = str.maketrans(
    {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}
)
_ID: Final = "https://id.gs1.org/"


def _check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a key written without it (weights 3, 1, 3, ... from
    the right; summed over the ASCII codes, the 48s of '0' taken off again)."""
    odd, even = digits[-1::-2], digits[-2::-2]
    total = 3 * (sum(odd.encode()) - 48 * len(odd)) + sum(even.encode()) - 48 * len(even)
    return str(-total % 10)


def _units(text: str) -> int:
    """Characters of an EPC URI component, a '%'-escape counting as one."""
    return len(text) - 2 * text.count("%")


def _gtin(company: str, item: str) -> str:
    raw = item[0] + company + item[1:]
    return raw + _check_digit(raw)


def _keyed(company: str, reference: str, total: int) -> str | None:
    if len(company) + len(reference) != total:
        return None
    raw = company + reference
    return raw + _check_digit(raw)


def _one(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(pattern).fullmatch


_SGTIN: Final = _one(_CP + r"\.([0-9]{1,7})\.(" + _E + "{1,20})")
_SSCC: Final = _one(_CP + r"\.([0-9]{5,11})")
_SGLN: Final = _one(_CP + r"\.([0-9]{0,6})\.(" + _E + "{1,20})")
_GRAI: Final = _one(_CP + r"\.([0-9]{0,6})\.(" + _E + "{1,16})")
_GIAI: Final = _one(_CP + r"\.(" + _E + "+)")
_SERVICE: Final = _one(_CP + r"\.([0-9]{5,11})")
_GDTI: Final = _one(_CP + r"\.([0-9]{0,6})\.(" + _E + "{1,17})")
_CPI_ID: Final = _one(_CP + r"\.(" + _CPI + r"+)\.([0-9]{1,12})")
_SGCN: Final = _one(_CP + r"\.([0-9]{0,6})\.([0-9]{1,12})")
_GSIN: Final = _one(_CP + r"\.([0-9]{4,10})")
_ITIP: Final = _one(_CP + r"\.([0-9]{1,7})\.([0-9]{2})\.([0-9]{2})\.(" + _E + "{1,20})")
_UPUI: Final = _one(_CP + r"\.([0-9]{1,7})\.(" + _E + "{1,28})")
_PGLN: Final = _one(_CP + r"\.([0-9]{0,6})")
_PAT_ITEM: Final = _one(_CP + r"\.([0-9]{1,7})\.\*")
_PAT_12: Final = _one(_CP + r"\.([0-9]{0,6})\.\*")
_PAT_CPI: Final = _one(_CP + r"\.(" + _CPI + r"+)\.\*")
_PAT_ITIP: Final = _one(_CP + r"\.([0-9]{1,7})\.([0-9]{2})\.([0-9]{2})\.\*")


def _epc_to_digital_link(urn: str) -> str | None:
    """The canonical GS1 Digital Link URI of an EPC (class, pattern) URI, or None."""
    parts = _EPC_RE.fullmatch(urn)
    if parts is None:
        return None
    kind, scheme, body = parts.groups()
    if kind == "id":
        return _epc_id(scheme, body)
    if kind == "class":
        if scheme == "lgtin" and (m := _SGTIN(body)) and len(m[1]) + len(m[2]) == 13:
            return f"{_ID}01/{_gtin(m[1], m[2])}/10/{m[3].translate(_DL_ESCAPE)}"
        return None
    return _epc_pattern(scheme, body)


def _epc_id(scheme: str, body: str) -> str | None:
    if scheme in ("sgtin", "upui"):
        m = _SGTIN(body) if scheme == "sgtin" else _UPUI(body)
        if m is None or len(m[1]) + len(m[2]) != 13:
            return None
        qualifier = "21" if scheme == "sgtin" else "235"
        return f"{_ID}01/{_gtin(m[1], m[2])}/{qualifier}/{m[3].translate(_DL_ESCAPE)}"
    if scheme == "sscc":
        m = _SSCC(body)
        if m is None or len(m[1]) + len(m[2]) != 17:
            return None
        return f"{_ID}00/{_gtin(m[1], m[2])}"
    if scheme == "sgln":
        m = _SGLN(body)
        if m is None or (gln := _keyed(m[1], m[2], 12)) is None:
            return None
        if m[3] == "0":
            return f"{_ID}414/{gln}"
        return f"{_ID}414/{gln}/254/{m[3].translate(_DL_ESCAPE)}"
    if scheme == "grai":
        m = _GRAI(body)
        if m is None or (grai := _keyed("0" + m[1], m[2], 13)) is None:
            return None
        return f"{_ID}8003/{grai}{m[3].translate(_DL_ESCAPE)}"
    if scheme in ("giai", "ginc"):
        m = _GIAI(body)
        if m is None or _units(m[2]) > 30 - len(m[1]):
            return None
        ai = "8004" if scheme == "giai" else "401"
        return f"{_ID}{ai}/{m[1]}{m[2].translate(_DL_ESCAPE)}"
    if scheme in ("gsrn", "gsrnp"):
        m = _SERVICE(body)
        if m is None or (key := _keyed(m[1], m[2], 17)) is None:
            return None
        return f"{_ID}{'8018' if scheme == 'gsrn' else '8017'}/{key}"
    if scheme == "gdti":
        m = _GDTI(body)
        if m is None or (gdti := _keyed(m[1], m[2], 12)) is None:
            return None
        return f"{_ID}253/{gdti}{m[3].translate(_DL_ESCAPE)}"
    if scheme == "cpi":
        m = _CPI_ID(body)
        if m is None or _units(m[2]) > 30 - len(m[1]):
            return None
        return f"{_ID}8010/{(m[1] + m[2]).translate(_DL_ESCAPE)}/8011/{m[3]}"
    if scheme == "sgcn":
        m = _SGCN(body)
        if m is None or (gcn := _keyed(m[1], m[2], 12)) is None:
            return None
        return f"{_ID}255/{gcn}{m[3]}"
    if scheme == "gsin":
        m = _GSIN(body)
        if m is None or (gsin := _keyed(m[1], m[2], 16)) is None:
            return None
        return f"{_ID}402/{gsin}"
    if scheme == "itip":
        m = _ITIP(body)
        if m is None or len(m[1]) + len(m[2]) != 13:
            return None
        return f"{_ID}8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}/21/{m[5].translate(_DL_ESCAPE)}"
    if scheme == "pgln":
        m = _PGLN(body)
        if m is None or (pgln := _keyed(m[1], m[2], 12)) is None:
            return None
        return f"{_ID}417/{pgln}"
    return None


def _epc_pattern(scheme: str, body: str) -> str | None:
    if scheme in ("sgtin", "upui"):
        m = _PAT_ITEM(body)
        if m is None or len(m[1]) + len(m[2]) != 13:
            return None
        return f"{_ID}01/{_gtin(m[1], m[2])}"
    if scheme in ("grai", "gdti", "sgcn"):
        m = _PAT_12(body)
        if m is None:
            return None
        if scheme == "grai":
            key = _keyed("0" + m[1], m[2], 13)
            return None if key is None else f"{_ID}8003/{key}"
        key = _keyed(m[1], m[2], 12)
        return None if key is None else f"{_ID}{'253' if scheme == 'gdti' else '255'}/{key}"
    if scheme == "cpi":
        m = _PAT_CPI(body)
        if m is None or _units(m[2]) > 30 - len(m[1]):
            return None
        return f"{_ID}8010/{(m[1] + m[2]).translate(_DL_ESCAPE)}"
    if scheme == "itip":
        m = _PAT_ITIP(body)
        if m is None or len(m[1]) + len(m[2]) != 13:
            return None
        return f"{_ID}8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}"
    return None


# --------------------------------------------------------------------------- GS1 Digital Link

_DL_RE: Final = re.compile(r"https?://[^/?#]*(/[^?]*)")
_DL_HINT: Final = re.compile(
    r"/(?:0[01]|25[35]|40[12]|41[47]|800[346]|801[078]|sscc|gtin|gdti|gcn|ginc|gsin|gln|party"
    r"|grai|giai|itip|cpid|gsrnp?)/[0-9]{4}"
).search
_DL_KEYS: Final[Mapping[str, str]] = {
    **{ai: ai for ai in ("00", "01", "253", "255", "401", "402", "414", "417")},
    **{ai: ai for ai in ("8003", "8004", "8006", "8010", "8017", "8018")},
    "sscc": "00", "gtin": "01", "gdti": "253", "gcn": "255", "ginc": "401", "gsin": "402",
    "gln": "414", "party": "417", "grai": "8003", "giai": "8004", "itip": "8006",
    "cpid": "8010", "gsrnp": "8017", "gsrn": "8018",
}  # fmt: skip
_DL_QUALIFIERS: Final[Mapping[str, str]] = {
    **{ai: ai for ai in ("10", "21", "22", "235", "254", "8011")},
    "lot": "10", "ser": "21", "cpv": "22",
}  # fmt: skip
_DL_KEY_START: Final = re.compile(r"[0-9]{4}.").match  # as the reference: 4 digits and more
_V: Final = r"(?:[\x22\x27\x2D\x2E0-9\x3B-\x3FA-Z_a-z]|%[0-9A-Fa-f]{2})"
_DL_KEY_VALUE: Final[Mapping[str, Callable[[str], re.Match[str] | None]]] = {
    "00": _one("[0-9]{18}"),
    "01": _one("[0-9]{14}"),
    "253": _one("[0-9]{13}" + _V + "{0,17}"),
    "255": _one("[0-9]{13,25}"),
    "401": _one(_V + "{1,30}"),
    "402": _one("[0-9]{17}"),
    "414": _one("[0-9]{13}"),
    "417": _one("[0-9]{13}"),
    "8003": _one("[0-9]{14}" + _V + "{0,16}"),
    "8004": _one(_V + "{1,30}"),
    "8006": _one("[0-9]{18}"),
    "8010": _one(r"(?:[#\-/0-9A-Z]|%[0-9A-Fa-f]{2}){1,30}"),
    "8017": _one("[0-9]{18}"),
    "8018": _one("[0-9]{18}"),
}
#: The one qualifier each key may keep in the constrained canonical form.
_DL_QUALIFIER_VALUE: Final[Mapping[tuple[str, str], Callable[[str], re.Match[str] | None]]] = {
    ("01", "21"): _one(_V + "{1,20}"),
    ("01", "10"): _one(_V + "{1,20}"),
    ("01", "235"): _one(_V + "{1,28}"),
    ("8006", "21"): _one(_V + "{1,20}"),
    ("8006", "10"): _one(_V + "{1,20}"),
    ("414", "254"): _one(_V + "{1,20}"),
    ("8010", "8011"): _one("[0-9]{1,12}"),
}


def _digital_link(uri: str) -> str | None:
    """The constrained canonical form of a GS1 Digital Link URI, or None if ``uri`` is not one:
    on id.gs1.org, AIs for short names, no query string, a GTIN of 14 digits, and only the
    finest identification (a CPV dropped; a lot dropped when there is a serial)."""
    match = _DL_RE.match(uri)
    if match is None or _DL_HINT(uri) is None or "#" in uri:
        return None
    segments = match.group(1).split("/")
    if segments[-1] == "":  # a trailing slash: not the Digital Link syntax
        return None
    for at in range(1, len(segments) - 1):
        key = _DL_KEYS.get(segments[at])
        if key is not None and _DL_KEY_START(segments[at + 1]):
            break
    else:
        return None
    value = segments[at + 1]
    rest = segments[at + 2 :]
    if len(rest) % 2:
        return None
    qualifiers: dict[str, str] = {}
    for i in range(0, len(rest), 2):
        qualifier = _DL_QUALIFIERS.get(rest[i])
        if qualifier is None or qualifier in qualifiers:
            return None
        qualifiers[qualifier] = rest[i + 1]
    if key == "01" and len(value) in (8, 12, 13):
        value = value.zfill(14)
    if key in ("01", "8006"):
        qualifiers.pop("22", None)
        if "21" in qualifiers:
            qualifiers.pop("10", None)
    if not _DL_KEY_VALUE[key](value) or len(qualifiers) > 1:
        return None
    canonical = f"{_ID}{key}/{value}"
    for qualifier, qualifier_value in qualifiers.items():
        valid = _DL_QUALIFIER_VALUE.get((key, qualifier))
        if valid is None or not valid(qualifier_value):
            return None
        canonical += f"/{qualifier}/{qualifier_value}"
    return canonical


# The same locations and goods recur across a bundle's events: remember recent conversions
# (of identifier-sized strings only, so that the cache never keeps large values alive).
_CACHED_LENGTH: Final = 256
_epc_to_digital_link_cached: Final = lru_cache(maxsize=4096)(_epc_to_digital_link)
_digital_link_cached: Final = lru_cache(maxsize=4096)(_digital_link)


# --------------------------------------------------------------------------- rendering

_Render = Callable[[str, Any, _Ns, str], str]
_SKIP: Final = frozenset({"@context", "#text", "rdfs:comment", "comment"})


def _is_map(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return type(value) is dict or (
        not isinstance(value, str | list | int | float) and isinstance(value, Mapping)
    )


def _items(value: Any) -> list[Any] | tuple[Any, ...]:
    return value if isinstance(value, list | tuple) else (value,)


class _Spec:
    """A structure's standard members in canonical order; ``special`` members are rendered
    their own way but sorted with the extension members; ``skip`` members are left out."""

    __slots__ = ("fields", "size", "skip", "special")

    def __init__(
        self,
        fields: tuple[tuple[str, _Render], ...],
        *,
        special: Mapping[str, _Render] | None = None,
        skip: frozenset[str] = _SKIP,
    ) -> None:
        self.fields = {name: (rank, render) for rank, (name, render) in enumerate(fields)}
        self.size = len(fields)
        self.special = special or {}
        self.skip = skip


def _object(label: str, obj: Mapping[str, Any], spec: _Spec, ns: _Ns, where: str) -> str:
    """``label`` + the standard members in order + the other members, sorted ('' if empty)."""
    if "@context" in obj:
        ns = ns.extended(_context_at(obj["@context"], where + "/@context"))
    ranked = [""] * spec.size
    others: list[str] = []
    fields, skip, special = spec.fields, spec.skip, spec.special
    for name, value in obj.items():
        field = fields.get(name)
        if field is not None:
            ranked[field[0]] = field[1](name, value, ns, f"{where}/{name}")
        elif name in skip:
            continue
        elif not isinstance(name, str):
            raise EventHashError(
                MALFORMED, f"a member name {name!r} is not a string", location=where
            )
        elif (special_render := special.get(name)) is not None:
            rendered = special_render(name, value, ns, _pointer(where, name))
            if rendered:
                others.append(rendered)
        else:
            _generic(others, ns.key(name), value, ns, _pointer(where, name), 0)
    content = "".join(ranked)
    if others:
        others.sort()
        content += "".join(others)
    return label + content if content else ""


def _context_at(context: Any, where: str) -> dict[str, str]:
    """:func:`context_namespaces` reporting errors at ``where``."""
    found: dict[str, str] = {}
    _collect_context(context, found, where, 0)
    return found


def _generic(out: list[str], key: str, value: Any, ns: _Ns, where: str, depth: int) -> None:
    """Render a member the standard does not order (ILMD, extensions): ``key=value`` or
    ``key`` + its sorted children; an array gives one string per item; as in the reference
    implementation, a ``...List`` array wraps its items named without the ``List`` (an
    object named ``...List`` is an ordinary structure: in XML its children keep their names)."""
    if depth > _MAX_DEPTH:
        raise EventHashError(MALFORMED, "the event nests too deeply to hash", location=where)
    if len(key) > 4 and key.endswith("List") and isinstance(value, list | tuple):
        inner: list[str] = []
        for i, item in enumerate(_items(value)):
            _generic(inner, key[:-4], item, ns, f"{where}/{i}", depth + 1)
        inner.sort()
        out.append(key + "".join(inner))
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _generic(out, key, item, ns, f"{where}/{i}", depth + 1)
        return
    if _is_map(value):
        if "@context" in value:
            ns = ns.extended(_context_at(value["@context"], where + "/@context"))
        text = _value(value["#text"], ns, None, where + "/#text") if "#text" in value else ""
        children: list[str] = []
        for name, child in value.items():
            if name in _SKIP:
                continue
            if not isinstance(name, str):
                raise EventHashError(
                    MALFORMED, f"a member name {name!r} is not a string", location=where
                )
            _generic(children, ns.key(name), child, ns, _pointer(where, name), depth + 1)
        children.sort()
        out.append(key + ("=" + text if text else "") + "".join(children))
        return
    text = _value(value, ns, None, where)
    out.append(key + "=" + text if text else key)


def _leaf(vocabulary: Mapping[str, str] | None = None) -> _Render:
    def render(name: str, value: Any, ns: _Ns, where: str) -> str:
        if isinstance(value, list | tuple):
            found = [
                f"{name}={text}"
                for i, item in enumerate(value)
                if (text := _value(item, ns, vocabulary, f"{where}/{i}"))
            ]
            found.sort()
            return "".join(found)
        text = _value(value, ns, vocabulary, where)
        return f"{name}={text}" if text else ""

    return render


def _time(name: str, value: Any, ns: _Ns, where: str) -> str:
    if isinstance(value, list | tuple):
        found = [
            f"{name}={text}"
            for i, item in enumerate(value)
            if (text := _timestamp(item, f"{where}/{i}"))
        ]
        found.sort()
        return "".join(found)
    text = _timestamp(value, where)
    return f"{name}={text}" if text else ""


def _epcs(name: str, value: Any, ns: _Ns, where: str) -> str:
    if isinstance(value, list | tuple):
        found = [
            "epc=" + text
            for i, item in enumerate(value)
            if (text := _value(item, ns, None, f"{where}/{i}"))
        ]
    else:
        text = _value(value, ns, None, where)
        found = ["epc=" + text] if text else []
    if not found:
        return ""
    found.sort()
    return name + "".join(found)


def _objects(element: str, spec: _Spec) -> _Render:
    """A list of structures: ``name`` + each one as ``element...``, sorted."""

    def render(name: str, value: Any, ns: _Ns, where: str) -> str:
        found: list[str] = []
        listed = isinstance(value, list | tuple)
        for i, item in enumerate(_items(value)):
            at = f"{where}/{i}" if listed else where
            if not _is_map(item):
                raise EventHashError(
                    MALFORMED, f"{_json_type(item)} where {name} needs an object", location=at
                )
            rendered = _object(element, item, spec, ns, at)
            if rendered:
                found.append(rendered)
        if not found:
            return ""
        found.sort()
        return name + "".join(found)

    return render


def _structure(spec: _Spec, *, id_shorthand: bool = False) -> _Render:
    """One structure (or several, sorted) rendered as ``name...``; with ``id_shorthand``
    a string is its ``id`` (JSON-LD: ``"readPoint": "urn:..."`` is a node reference)."""

    def render(name: str, value: Any, ns: _Ns, where: str) -> str:
        found: list[str] = []
        listed = isinstance(value, list | tuple)
        for i, item in enumerate(_items(value)):
            at = f"{where}/{i}" if listed else where
            if id_shorthand and isinstance(item, str):
                item = {"id": item}
            elif not _is_map(item):
                raise EventHashError(
                    MALFORMED, f"{_json_type(item)} where {name} needs an object", location=at
                )
            rendered = _object(name, item, spec, ns, at)
            if rendered:
                found.append(rendered)
        found.sort()
        return "".join(found)

    return render


_PLAIN: Final = _leaf()
_QUANTITY: Final = _objects(
    "quantityElement", _Spec((("epcClass", _PLAIN), ("quantity", _PLAIN), ("uom", _PLAIN)))
)
_LOCATION: Final = _structure(_Spec((("id", _PLAIN),)), id_shorthand=True)
_SENSOR_METADATA: Final = _Spec(
    (
        ("time", _time),
        ("startTime", _time),
        ("endTime", _time),
        ("deviceID", _PLAIN),
        ("deviceMetadata", _PLAIN),
        ("rawData", _PLAIN),
        ("dataProcessingMethod", _PLAIN),
        ("bizRules", _PLAIN),
    )
)
_SENSOR_REPORT: Final = _Spec(
    (
        ("type", _leaf(_MEASUREMENT_TYPES)),
        ("exception", _leaf(_SENSOR_EXCEPTIONS)),
        ("deviceID", _PLAIN),
        ("deviceMetadata", _PLAIN),
        ("rawData", _PLAIN),
        ("dataProcessingMethod", _PLAIN),
        ("time", _time),
        ("microorganism", _PLAIN),
        ("chemicalSubstance", _PLAIN),
        ("value", _PLAIN),
        ("component", _leaf(_COMPONENTS)),
        ("stringValue", _PLAIN),
        ("booleanValue", _PLAIN),
        ("hexBinaryValue", _PLAIN),
        ("uriValue", _PLAIN),
        ("minValue", _PLAIN),
        ("maxValue", _PLAIN),
        ("meanValue", _PLAIN),
        ("sDev", _PLAIN),
        ("percRank", _PLAIN),
        ("percValue", _PLAIN),
        ("uom", _PLAIN),
        ("coordinateReferenceSystem", _PLAIN),
    )
)
_SENSOR_ELEMENTS: Final = _objects(
    "sensorElement",
    _Spec(
        (
            ("sensorMetadata", _structure(_SENSOR_METADATA)),
            ("sensorReport", _structure(_SENSOR_REPORT)),
        )
    ),
)


_PERSISTENT_DISPOSITION: Final = _structure(
    _Spec((("set", _leaf(_DISPOSITIONS)), ("unset", _leaf(_DISPOSITIONS))))
)


def _typed_list(member: str, types: Mapping[str, str]) -> _Render:
    """bizTransactionList/sourceList/destinationList: entries ``type=...member=...``."""
    return _objects("", _Spec((("type", _leaf(types)), (member, _PLAIN))))


_EVENT: Final = _Spec(
    (
        ("eventTime", _time),
        ("eventTimeZoneOffset", _PLAIN),
        ("certificationInfo", _PLAIN),
        ("parentID", _PLAIN),
        ("epcList", _epcs),
        ("inputEPCList", _epcs),
        ("childEPCs", _epcs),
        ("quantityList", _QUANTITY),
        ("childQuantityList", _QUANTITY),
        ("inputQuantityList", _QUANTITY),
        ("outputEPCList", _epcs),
        ("outputQuantityList", _QUANTITY),
        ("action", _PLAIN),
        ("transformationID", _PLAIN),
        ("bizStep", _leaf(_BIZ_STEPS)),
        ("disposition", _leaf(_DISPOSITIONS)),
        ("persistentDisposition", _PERSISTENT_DISPOSITION),
        ("readPoint", _LOCATION),
        ("bizLocation", _LOCATION),
        ("sensorElementList", _SENSOR_ELEMENTS),
    ),
    special={
        "bizTransactionList": _typed_list("bizTransaction", _BIZ_TRANSACTION_TYPES),
        "sourceList": _typed_list("source", _SOURCE_DESTINATION_TYPES),
        "destinationList": _typed_list("destination", _SOURCE_DESTINATION_TYPES),
    },
    skip=_SKIP | {"type", "eventID", "recordTime", "errorDeclaration"},
)


def _prehash(event: Any, ns: _Ns) -> str:
    if not _is_map(event):
        raise EventHashError(
            MALFORMED, f"an EPCIS event is a JSON object, not {_json_type(event)}", location=""
        )
    event_type = event.get("type")
    if event_type not in _EVENT_TYPES:
        raise EventHashError(
            EVENT_TYPE,
            f"{event_type!r} is not an EPCIS 2.0 event type"
            if event_type is not None
            else "the event has no type",
            hint="one of " + ", ".join(sorted(_EVENT_TYPES)),
            location="/type",
        )
    label = f"eventType={event_type}"
    return _object(label, event, _EVENT, ns, "") or label


def _ni(prehash: str) -> str:
    try:
        data = prehash.encode("utf-8")
    except UnicodeEncodeError:
        raise EventHashError(
            MALFORMED, "the event holds a lone surrogate, which UTF-8 cannot encode"
        ) from None
    return "ni:///sha-256;" + hashlib.sha256(data).hexdigest() + "?ver=CBV2.0"


# --------------------------------------------------------------------------- public API


def prehash_string(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The canonical pre-hash string (what :func:`event_hash` hashes, UTF-8)."""
    return _prehash(event, _namespaces_in_scope(namespaces))


def event_hash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The CBV 2.0 event hash ID of one EPCIS 2.0 event given in its JSON-LD form (a dict
    as in an EPCIS 2.0 JSON document's ``eventList``).

    ``namespaces`` maps the JSON-LD prefixes declared in the document's ``@context``
    (e.g. ``{"example": "https://ns.example.com/epcis/"}``, see :func:`context_namespaces`)
    so that user extension members like ``example:myField`` expand to
    ``{https://ns.example.com/epcis/}myField``; the prefixes of the standard EPCIS context
    (``gs1``, ``cbv``, ``epcis``, ``cbvmda``, ...) are known, and prefixes the event (or a
    structure inside it) declares in its own ``@context`` are honoured too. ``eventID``,
    ``recordTime``, ``errorDeclaration`` and comments are ignored.
    Returns ``'ni:///sha-256;<hex>?ver=CBV2.0'``; raises :class:`EventHashError`.
    """
    return _ni(_prehash(event, _namespaces_in_scope(namespaces)))


def document_event_hashes(document: Mapping[str, Any]) -> list[str]:
    """The hashes of every event in an EPCIS 2.0 JSON-LD document (``epcisBody.eventList``,
    or ``epcisBody.queryResults.resultsBody.eventList`` for query documents), in order."""
    if not _is_map(document):
        raise EventHashError(
            MALFORMED, f"an EPCIS document is a JSON object, not {_json_type(document)}"
        )
    ns = _DEFAULT_NS.extended(_context_at(document.get("@context"), "/@context"))
    body = document.get("epcisBody")
    if not _is_map(body):
        raise EventHashError(
            MALFORMED, "the document has no epcisBody object", location="/epcisBody"
        )
    where = "/epcisBody/eventList"
    events = body.get("eventList")
    if events is None and _is_map(results := body.get("queryResults")):
        results_body = results.get("resultsBody")
        if _is_map(results_body):
            events = results_body.get("eventList")
            where = "/epcisBody/queryResults/resultsBody/eventList"
    if not isinstance(events, list | tuple):
        raise EventHashError(
            MALFORMED,
            "the document has no eventList array",
            hint="epcisBody.eventList, or epcisBody.queryResults.resultsBody.eventList",
            location=where,
        )
    hashes = []
    for i, event in enumerate(events):
        try:
            hashes.append(_ni(_prehash(event, ns)))
        except EventHashError as exc:
            raise exc.at(f"{where}/{i}") from None
    return hashes
