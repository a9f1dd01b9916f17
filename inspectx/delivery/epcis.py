"""GS1 EPCIS 2.0 documents and events: XML binding <-> JSON-LD binding.

:func:`xml_to_jsonld` reads an ``epcis:EPCISDocument`` or ``epcisq:EPCISQueryDocument``
(only through :func:`inspectx.formats.safexml.parse_xml`: no DTD, no entity, no network,
no ``xsi:`` attribute) and returns the JSON-LD document as the official JSON binding
writes it; :func:`jsonld_to_xml` is the inverse and writes the XSD's element order.
:func:`event_from_xml_element` and :func:`event_to_xml_element` do the same for one event.

How the bindings are mapped (EPCIS 2.0 XSD and JSON Schema, and the GS1 example pairs):

* The event element's name becomes ``"type"`` (the five EPCIS 2.0 event types). Fields
  are read in any order and written in the XSD's order.
* Lists lose their wrapper: ``epcList``/``childEPCs``/``inputEPCList``/``outputEPCList``
  become lists of strings, ``*QuantityList`` lists of ``{"epcClass", "quantity", "uom"}``
  (quantities as JSON numbers), ``bizTransactionList`` ``[{"type", "bizTransaction"}]``,
  ``sourceList``/``destinationList`` ``[{"type", "source"|"destination"}]``,
  ``correctiveEventIDs`` a list, ``persistentDisposition`` ``{"set": [...], "unset": [...]}``.
  ``readPoint``/``bizLocation`` become ``{"id"}``; sensor metadata and reports (XML
  attributes) become objects, numbers as numbers and ``booleanValue`` a boolean. Values
  of standard fields are whitespace-trimmed (they are URIs, times, numbers).
* CBV and GS1 vocabulary values are written as the JSON binding writes them: the bare
  term (``"shipping"``) for a standard value given as URN
  (``urn:epcglobal:cbv:bizstep:shipping``), Web URI (``https://ref.gs1.org/cbv/BizStep-…``)
  or CURIE (``cbv:BizStep-shipping``, ``gs1:Temperature``). XML gets the URN (bizStep,
  disposition, business transaction, source/destination type, error reason) or the
  ``gs1:``/``cbv:`` CURIE (sensor type, exception, component). Other values pass through.
* User extensions: an element or attribute ``{ns}name`` becomes the member
  ``prefix:name``. Each namespace gets one prefix (the XML one where it is free and a
  valid JSON-LD prefix, else ``ns1``, ``ns2``, ...), declared in the document's
  ``@context``, except the EPCIS context's own (``cbvmda`` for ``urn:epcglobal:cbv:mda``,
  ``gs1``, ``cbv``, ...), which must not be redeclared. An element with child elements
  or attributes becomes an object (attributes as members too), one with only text a
  string (the text as it is); repeated siblings become a list; unqualified children of
  an extension element become unprefixed members. An element with attributes *and* text
  becomes ``{attributes..., "#text": text}`` (inspectx's convention: the binding has
  none). Mixed content (text between elements) is refused.
* Lenient reading, for documents seen in the wild: the EPCIS 1.x wrappers ``extension``
  and ``baseExtension`` (in events, and ``EventList/extension``) are read through, what
  they hold is placed on the event; events written with qualified names
  (``epcis:ObjectEvent``) are read as the XSD's unqualified ones; a bare event element
  may carry its document's ``schemaVersion``/``creationDate`` (ignored).
* The document: ``schemaVersion``/``creationDate`` become members; an SBDH header gives
  ``sender``, ``receiver``, ``instanceIdentifier`` (the first Sender's and Receiver's
  Identifier, DocumentIdentification/InstanceIdentifier; the rest of the SBDH has no
  JSON form); master data gives ``epcisHeader.epcisMasterData.vocabularyList``; elements
  and attributes in other namespaces become members of the document (or ``epcisBody``,
  ``queryResults``).

What the XML binding cannot carry: :func:`jsonld_to_xml` drops the document's ``"id"``;
XML text has no JSON type, so ``true`` and ``12`` come back as ``"true"`` and ``"12"``
and a one-item list as its item; extension attributes come back as child elements
(except beside ``#text``). Refused (``delivery.epcis.unsupported``): several
``certificationInfo`` values, event types other than the five, JSON-LD keywords
(``@value``, ``@id``) in extensions, arrays inside arrays.

Errors are :class:`EpcisError` (``delivery.epcis.not-epcis``, ``delivery.epcis.malformed``,
``delivery.epcis.unsupported``; see ``docs/error-codes.md``), located by an XPath with
its line (XML) or a JSON Pointer (JSON); the parser's ``format.*`` errors pass through.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from decimal import Decimal
from typing import Any, Final, NoReturn, cast

from lxml import etree

from inspectx.delivery import cbv
from inspectx.errors import InspectxError
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safexml import parse_xml

__all__ = [
    "EPCIS_CONTEXT",
    "EPCIS_NS",
    "EPCIS_QUERY_NS",
    "EVENT_TYPES",
    "SBDH_NS",
    "EpcisError",
    "event_from_xml_element",
    "event_to_xml_element",
    "jsonld_to_xml",
    "xml_to_jsonld",
]

EPCIS_NS: Final = "urn:epcglobal:epcis:xsd:2"
EPCIS_QUERY_NS: Final = "urn:epcglobal:epcis-query:xsd:2"
SBDH_NS: Final = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_TYPES: Final = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)

_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
_EPCIS1_NAMESPACES: Final = frozenset(
    {"urn:epcglobal:epcis:xsd:1", "urn:epcglobal:epcis-query:xsd:1"}
)
_DOC_TAG: Final = f"{{{EPCIS_NS}}}EPCISDocument"
_QUERY_DOC_TAG: Final = f"{{{EPCIS_QUERY_NS}}}EPCISQueryDocument"
_QUERY_RESULTS_TAG: Final = f"{{{EPCIS_QUERY_NS}}}QueryResults"
_SBDH_TAG: Final = f"{{{SBDH_NS}}}StandardBusinessDocumentHeader"
_MAX_DEPTH: Final = DEFAULT_LIMITS.max_depth  # extension nesting in JSON input
_EPCIS_PREFIX: Final = f"{{{EPCIS_NS}}}"
# A bare event (the root of its own file) may carry its document's attributes: ignored.
_BARE_EVENT_ATTRIBUTES: Final = frozenset({"schemaVersion", "creationDate"})
_TEXT: Final = "#text"  # the text of an extension element that also has attributes

# The prefixes the (protected) EPCIS context defines, with the XML namespace each stands
# for. cbvmda is "urn:epcglobal:cbv:mda:" in JSON-LD but "urn:epcglobal:cbv:mda" in XML.
_STANDARD_PREFIXES: Final[Mapping[str, str]] = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
_STANDARD_PREFIX_OF_NS: Final[Mapping[str, str]] = {
    **{ns: prefix for prefix, ns in _STANDARD_PREFIXES.items()},
    "urn:epcglobal:cbv:mda:": "cbvmda",
}
# JSON-LD context namespaces of the standard prefixes (what event_from_xml_element reports).
_STANDARD_CONTEXT_NS: Final[Mapping[str, str]] = {
    **_STANDARD_PREFIXES,
    "cbvmda": "urn:epcglobal:cbv:mda:",
}
# Top-level terms of the EPCIS context: never usable as a prefix of our own.
_RESERVED_TERMS: Final = frozenset(
    {
        *_STANDARD_PREFIXES,
        *EVENT_TYPES,
        "Collection", "EPCISDocument", "EPCISQueryDocument", "action", "baseURL",
        "bizLocation", "bizStep", "bizTransactionList", "certificationInfo", "childEPCs",
        "childQuantityList", "children", "creationDate", "destinationList", "disposition",
        "epcClass", "epcList", "epcisBody", "epcisHeader", "errorDeclaration", "eventID",
        "eventList", "eventTime", "eventTimeZoneOffset", "id", "ilmd", "inputEPCList",
        "inputQuantityList", "instanceIdentifier", "masterData", "member", "outputEPCList",
        "outputQuantityList", "parentID", "persistentDisposition", "quantity", "quantityList",
        "queryName", "queryResults", "readPoint", "receiver", "recordTime", "resultsBody",
        "schemaVersion", "sender", "sensorElementList", "sourceList", "subscriptionID",
        "transformationID", "type", "uom", "vocabularyList", "xml", "xmlns",
    }
)  # fmt: skip
# A prefix must be a URI scheme (so "p:name" is an absolute IRI for the JSON Schema's
# format "uri") and an XML NCName.
_PREFIX_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9.-]*")
_INTEGER_RE: Final = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DOUBLE_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class EpcisError(InspectxError):
    """An EPCIS document or event that cannot be converted (``delivery.epcis.*``)."""


# --------------------------------------------------------------------------- vocabularies


class _Vocab:
    """One CBV/GS1 vocabulary: its terms, the forms they take, and the XML form written."""

    __slots__ = ("to_json", "to_xml")

    def __init__(self, terms: list[str], xml_prefix: str, *other_prefixes: str) -> None:
        self.to_xml: dict[str, str] = {}
        self.to_json: dict[str, str] = {}
        for term in terms:
            self.to_xml[term] = xml_prefix + term
            for prefix in (xml_prefix, *other_prefixes):
                self.to_json[prefix + term] = term


def _cbv(terms: list[str], urn: str, web: str) -> _Vocab:
    return _Vocab(terms, f"urn:epcglobal:cbv:{urn}:", cbv.CBV + web, f"cbv:{web}")


_BIZSTEP: Final = _cbv(cbv.BIZ_STEPS, "bizstep", "BizStep-")
_DISPOSITION: Final = _cbv(cbv.DISPOSITIONS, "disp", "Disp-")
_BTT: Final = _cbv(cbv.BUSINESS_TRANSACTION_TYPES, "btt", "BTT-")
_SDT: Final = _cbv(cbv.SOURCE_DESTINATION_TYPES, "sdt", "SDT-")
_ERROR_REASON: Final = _cbv(cbv.ERROR_REASONS, "er", "ER-")
_MEASUREMENT: Final = _Vocab(cbv.MEASUREMENT_TYPES, "gs1:", cbv.GS1_VOC)
_ALERT: Final = _Vocab(cbv.SENSOR_ALERTS, "gs1:", cbv.GS1_VOC)
_COMPONENT: Final = _Vocab(cbv.COMPONENTS, "cbv:Comp-", cbv.CBV + "Comp-")

# sensorReport / sensorMetadata attributes that are not plain strings
_SENSOR_NUMBERS: Final = frozenset(
    {"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"}
)
_SENSOR_VOCABS: Final[Mapping[str, _Vocab]] = {
    "type": _MEASUREMENT,
    "exception": _ALERT,
    "component": _COMPONENT,
}

# --------------------------------------------------------------------------- event layouts

_COMMON_FIELDS: Final = (
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
)
_WHAT_WHERE_WHY: Final = (
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
)
# Each event type's fields in the order of its XSD sequence.
_EVENT_ORDER: Final[Mapping[str, tuple[str, ...]]] = {
    "ObjectEvent": (
        *_COMMON_FIELDS,
        "epcList",
        "action",
        *_WHAT_WHERE_WHY,
        "bizTransactionList",
        "quantityList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
        "ilmd",
    ),
    "AggregationEvent": (
        *_COMMON_FIELDS,
        "parentID",
        "childEPCs",
        "action",
        *_WHAT_WHERE_WHY,
        "bizTransactionList",
        "childQuantityList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
    ),
    "TransactionEvent": (
        *_COMMON_FIELDS,
        "bizTransactionList",
        "parentID",
        "epcList",
        "action",
        *_WHAT_WHERE_WHY,
        "quantityList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
    ),
    "TransformationEvent": (
        *_COMMON_FIELDS,
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        *_WHAT_WHERE_WHY,
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
        "ilmd",
    ),
    "AssociationEvent": (
        *_COMMON_FIELDS,
        "parentID",
        "childEPCs",
        "childQuantityList",
        "action",
        *_WHAT_WHERE_WHY,
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
    ),
}
_EVENT_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    name: frozenset(order) for name, order in _EVENT_ORDER.items()
}
_WRAPPERS: Final = frozenset({"extension", "baseExtension"})  # EPCIS 1.x, read through
_DOCUMENT_MEMBERS: Final = frozenset(
    {
        "@context",
        "id",
        "type",
        "schemaVersion",
        "creationDate",
        "sender",
        "receiver",
        "instanceIdentifier",
        "epcisHeader",
        "epcisBody",
    }
)


# =========================================================================== XML -> JSON-LD


class _Prefixes:
    """The JSON-LD prefixes a document's extension namespaces get (one per namespace)."""

    __slots__ = ("declared", "key_of", "prefix_of", "used_standard")

    def __init__(self) -> None:
        self.prefix_of: dict[str, str] = {}  # namespace -> prefix
        self.declared: dict[str, str] = {}  # prefix -> namespace (for @context)
        self.key_of: dict[str, str] = {}  # Clark name -> member name
        self.used_standard: set[str] = set()

    def prefix(self, ns: str, hint: str | None) -> str:
        prefix = self.prefix_of.get(ns)
        if prefix is not None:
            return prefix
        standard = _STANDARD_PREFIX_OF_NS.get(ns)
        if standard is not None:
            self.used_standard.add(standard)
            prefix = standard
        else:
            if not (
                hint
                and _PREFIX_RE.fullmatch(hint)
                and hint not in _RESERVED_TERMS
                and hint not in self.declared
            ):
                n = 1
                while f"ns{n}" in self.declared:
                    n += 1
                hint = f"ns{n}"
            prefix = hint
            self.declared[prefix] = ns
        self.prefix_of[ns] = prefix
        return prefix

    def element_key(self, el: etree._Element) -> str:
        tag = el.tag
        key = self.key_of.get(tag)
        if key is None:
            if tag[0] == "{":
                ns, _, local = tag[1:].partition("}")
                key = f"{self.prefix(ns, el.prefix)}:{local}"
            else:
                key = tag
            self.key_of[tag] = key
        return key

    def attribute_key(self, name: str, el: etree._Element) -> str:
        key = self.key_of.get(name)
        if key is None:
            if name[0] == "{":
                ns, _, local = name[1:].partition("}")
                hint = None
                if ns not in self.prefix_of:
                    hint = next((p for p, u in el.nsmap.items() if u == ns and p), None)
                    if ns == _XML_NS:
                        hint = "xml"
                key = f"{self.prefix(ns, hint)}:{local}"
            else:
                key = name
            self.key_of[name] = key
        return key

    def context(self) -> list[Any]:
        if not self.declared:
            return [EPCIS_CONTEXT]
        return [EPCIS_CONTEXT, {p: self.declared[p] for p in sorted(self.declared)}]

    def namespaces(self) -> dict[str, str]:
        out = {p: _STANDARD_CONTEXT_NS[p] for p in sorted(self.used_standard)}
        out.update(self.declared)
        return out


def _attributes(el: etree._Element) -> Iterable[tuple[str, str]]:
    return cast("Iterable[tuple[str, str]]", el.attrib.items())


def _where(el: etree._Element) -> str:
    return f"{el.getroottree().getpath(el)} (line {el.sourceline})"


def _fail(el: etree._Element, message: str, code: str = "delivery.epcis.malformed") -> NoReturn:
    raise EpcisError(
        code,
        message,
        hint="the EPCIS 2.0 XML binding (XSD EPCglobal-epcis-2_0.xsd) has no JSON form for this",
        location=_where(el),
    )


def _text(el: etree._Element) -> str:
    """The whitespace-trimmed text of a simple-typed EPCIS field."""
    if len(el) or el.attrib:
        _fail(el, f"<{el.tag}> may hold a value only (no elements, no attributes)")
    return (el.text or "").strip()


def _typed_text(el: etree._Element) -> tuple[str | None, str]:
    """The ``type`` attribute and the text of a bizTransaction, source or destination."""
    attrib = el.attrib
    kind = attrib.get("type")
    if len(el) or len(attrib) > (kind is not None):
        _fail(el, f"<{el.tag}> may hold a type and a value only")
    return (None if kind is None else kind.strip()), (el.text or "").strip()


def _number(el: etree._Element, text: str, pattern: re.Pattern[str]) -> int | float:
    if _INTEGER_RE.fullmatch(text):
        return int(text)
    if pattern.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
    _fail(el, f"{text!r} is not a finite number")


def _member(obj: dict[str, Any], key: str, value: Any) -> None:
    """Add a (possibly repeated) extension member: repeats become a list."""
    old = obj.get(key)
    if old is None:
        obj[key] = value
    elif type(old) is list:
        old.append(value)
    else:
        obj[key] = [old, value]


def _extension_value(el: etree._Element, names: _Prefixes) -> Any:
    attrib = el.attrib
    if not len(el) and not attrib:
        return el.text or ""
    obj: dict[str, Any] = {}
    for name, value in _attributes(el):
        _member(obj, names.attribute_key(name, el), value)
    if len(el):
        if el.text and el.text.strip():
            _fail(el, "an extension element mixes text and elements")
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tail and child.tail.strip():
                _fail(el, "an extension element mixes text and elements")
            _member(obj, names.element_key(child), _extension_value(child, names))
    elif el.text:
        obj[_TEXT] = el.text
    return obj


def _extension_children(
    el: etree._Element, obj: dict[str, Any], names: _Prefixes, allow_local: bool
) -> None:
    """Children of an element that are all extensions (ilmd, extension wrappers)."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag[0] != "{" and not allow_local:
            if tag == "extension":
                _extension_children(child, obj, names, True)
                continue
            _fail(child, f"<{tag}> is not an EPCIS field here")
        _member(obj, names.element_key(child), _extension_value(child, names))


def _no_attributes(el: etree._Element) -> None:
    if el.attrib:
        _fail(el, f"<{el.tag}> carries attributes, which have no JSON form here")


def _attribute_members(el: etree._Element, obj: dict[str, Any], names: _Prefixes) -> None:
    """Extension attributes (``anyAttribute`` in the XSD) as members; others refused."""
    for name, value in _attributes(el):
        if name[0] != "{":
            _fail(el, f"the unqualified attribute {name!r} has no JSON form")
        _member(obj, names.attribute_key(name, el), value)


def _read_epcs(el: etree._Element, names: _Prefixes) -> list[str]:
    _no_attributes(el)
    out = []
    for child in el:
        if child.tag == "epc":
            out.append(_text(child))
        elif isinstance(child.tag, str):
            _fail(child, f"<{child.tag}> in an EPC list")
    return out


def _read_quantities(el: etree._Element, names: _Prefixes) -> list[dict[str, Any]]:
    _no_attributes(el)
    out = []
    for qe in el:
        if qe.tag != "quantityElement":
            if isinstance(qe.tag, str):
                _fail(qe, f"<{qe.tag}> in a quantity list")
            continue
        _no_attributes(qe)
        item: dict[str, Any] = {}
        for child in qe:
            tag = child.tag
            if tag == "epcClass":
                item["epcClass"] = _text(child)
            elif tag == "quantity":
                item["quantity"] = _number(child, _text(child), _DECIMAL_RE)
            elif tag == "uom":
                item["uom"] = _text(child)
            elif isinstance(tag, str):
                _fail(child, f"<{tag}> in a quantityElement")
        out.append(item)
    return out


def _read_location(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    _no_attributes(el)
    out: dict[str, Any] = {}
    for child in el:
        tag = child.tag
        if tag == "id":
            out["id"] = _text(child)
        elif tag == "extension":
            _extension_children(child, out, names, True)
        elif isinstance(tag, str):
            if tag[0] != "{":
                _fail(child, f"<{tag}> in <{el.tag}>")
            _member(out, names.element_key(child), _extension_value(child, names))
    return out


def _read_biz_transactions(el: etree._Element, names: _Prefixes) -> list[dict[str, str]]:
    _no_attributes(el)
    out = []
    for child in el:
        if child.tag != "bizTransaction":
            if isinstance(child.tag, str):
                _fail(child, f"<{child.tag}> in a bizTransactionList")
            continue
        kind, value = _typed_text(child)
        item = {} if kind is None else {"type": _BTT.to_json.get(kind, kind)}
        item["bizTransaction"] = value
        out.append(item)
    return out


def _source_dest_reader(
    item_tag: str,
) -> Callable[[etree._Element, _Prefixes], list[dict[str, str]]]:
    def read(el: etree._Element, names: _Prefixes) -> list[dict[str, str]]:
        _no_attributes(el)
        out = []
        for child in el:
            if child.tag != item_tag:
                if isinstance(child.tag, str):
                    _fail(child, f"<{child.tag}> in <{el.tag}>")
                continue
            kind, value = _typed_text(child)
            item = {} if kind is None else {"type": _SDT.to_json.get(kind, kind)}
            item[item_tag] = value
            out.append(item)
        return out

    return read


def _read_sensor_attributes(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    if len(el) or (el.text and el.text.strip()):
        _fail(el, f"<{el.tag}> has content; only its attributes have a JSON form")
    out: dict[str, Any] = {}
    for name, raw in _attributes(el):
        if name[0] == "{":
            _member(out, names.attribute_key(name, el), raw)
            continue
        value = raw.strip()
        vocab = _SENSOR_VOCABS.get(name)
        if vocab is not None:
            out[name] = vocab.to_json.get(value, value)
        elif name in _SENSOR_NUMBERS:
            out[name] = _number(el, value, _DOUBLE_RE)
        elif name == "booleanValue":
            if value not in ("true", "false", "1", "0"):
                _fail(el, f"booleanValue {raw!r} is not a boolean")
            out[name] = value in ("true", "1")
        else:
            out[name] = value
    return out


def _read_sensor_elements(el: etree._Element, names: _Prefixes) -> list[dict[str, Any]]:
    _no_attributes(el)
    out = []
    for se in el:
        tag = se.tag
        if tag == "extension":
            continue  # SensorElementListExtensionType: nothing defined, nothing to carry
        if tag != "sensorElement":
            if isinstance(tag, str):
                _fail(se, f"<{tag}> in a sensorElementList")
            continue
        _no_attributes(se)
        item: dict[str, Any] = {}
        reports: list[dict[str, Any]] = []
        for child in se:
            ctag = child.tag
            if ctag == "sensorMetadata":
                if "sensorMetadata" in item:
                    _fail(child, "a second <sensorMetadata>")
                item["sensorMetadata"] = _read_sensor_attributes(child, names)
            elif ctag == "sensorReport":
                reports.append(_read_sensor_attributes(child, names))
                item["sensorReport"] = reports
            elif ctag == "extension":
                _extension_children(child, item, names, True)
            elif isinstance(ctag, str):
                if ctag[0] != "{":
                    _fail(child, f"<{ctag}> in a sensorElement")
                _member(item, names.element_key(child), _extension_value(child, names))
        out.append(item)
    return out


def _read_persistent_disposition(el: etree._Element, names: _Prefixes) -> dict[str, list[str]]:
    _no_attributes(el)
    out: dict[str, list[str]] = {}
    for child in el:
        tag = child.tag
        if tag == "set" or tag == "unset":
            value = _text(child)
            out.setdefault(tag, []).append(_DISPOSITION.to_json.get(value, value))
        elif isinstance(tag, str):
            _fail(child, f"<{tag}> in a persistentDisposition")
    return out


def _read_error_declaration(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _attribute_members(el, out, names)
    for child in el:
        tag = child.tag
        if tag == "declarationTime":
            out[tag] = _text(child)
        elif tag == "reason":
            value = _text(child)
            out[tag] = _ERROR_REASON.to_json.get(value, value)
        elif tag == "correctiveEventIDs":
            _no_attributes(child)
            ids = out.setdefault(tag, [])
            for cid in child:
                if cid.tag == "correctiveEventID":
                    ids.append(_text(cid))
                elif isinstance(cid.tag, str):
                    _fail(cid, f"<{cid.tag}> in correctiveEventIDs")
        elif tag == "extension":
            _extension_children(child, out, names, True)
        elif isinstance(tag, str):
            if tag[0] != "{":
                _fail(child, f"<{tag}> in an errorDeclaration")
            _member(out, names.element_key(child), _extension_value(child, names))
    return out


def _read_ilmd(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _attribute_members(el, out, names)
    _extension_children(el, out, names, False)
    return out


def _read_text(el: etree._Element, names: _Prefixes) -> str:
    return _text(el)


def _vocab_reader(vocab: _Vocab) -> Callable[[etree._Element, _Prefixes], str]:
    table = vocab.to_json

    def read(el: etree._Element, names: _Prefixes) -> str:
        value = _text(el)
        return table.get(value, value)

    return read


_READERS: Final[Mapping[str, Callable[[etree._Element, _Prefixes], Any]]] = {
    "eventTime": _read_text,
    "recordTime": _read_text,
    "eventTimeZoneOffset": _read_text,
    "eventID": _read_text,
    "certificationInfo": _read_text,
    "parentID": _read_text,
    "action": _read_text,
    "transformationID": _read_text,
    "errorDeclaration": _read_error_declaration,
    "epcList": _read_epcs,
    "childEPCs": _read_epcs,
    "inputEPCList": _read_epcs,
    "outputEPCList": _read_epcs,
    "quantityList": _read_quantities,
    "childQuantityList": _read_quantities,
    "inputQuantityList": _read_quantities,
    "outputQuantityList": _read_quantities,
    "bizStep": _vocab_reader(_BIZSTEP),
    "disposition": _vocab_reader(_DISPOSITION),
    "readPoint": _read_location,
    "bizLocation": _read_location,
    "bizTransactionList": _read_biz_transactions,
    "sourceList": _source_dest_reader("source"),
    "destinationList": _source_dest_reader("destination"),
    "sensorElementList": _read_sensor_elements,
    "persistentDisposition": _read_persistent_disposition,
    "ilmd": _read_ilmd,
}


def _read_event_fields(
    el: etree._Element, fields: frozenset[str], out: dict[str, Any], names: _Prefixes
) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in fields:
            if tag in out:
                _fail(child, f"<{tag}> appears twice")
            out[tag] = _READERS[tag](child, names)
        elif tag[0] == "{":
            if tag.startswith("{urn:epcglobal:epcis"):
                _fail(child, f"<{child.prefix}:{etree.QName(tag).localname}> inside an event")
            _member(out, names.element_key(child), _extension_value(child, names))
        elif tag in _WRAPPERS:
            _attribute_members(child, out, names)
            _read_event_fields(child, fields, out, names)
        else:
            _fail(child, f"<{tag}> is not a field of {out['type']}")


def _read_event(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    etype = el.tag
    fields = _EVENT_FIELDS.get(etype) if isinstance(etype, str) else None
    if fields is None:
        removed = etype == "QuantityEvent"  # EPCIS 1.x only
        code = "delivery.epcis.unsupported" if removed else "delivery.epcis.malformed"
        _fail(el, f"<{etype}> is not an EPCIS 2.0 event type", code)
    out: dict[str, Any] = {"type": etype}
    _read_event_fields(el, fields, out, names)
    for name, value in _attributes(el):
        if name[0] == "{":
            _member(out, names.attribute_key(name, el), value)
        elif name not in _BARE_EVENT_ATTRIBUTES or el.getparent() is not None:
            _fail(el, f"the unqualified attribute {name!r} has no JSON form")
    return out


def _unqualified(el: etree._Element) -> etree._Element:
    """A copy of an event written with qualified EPCIS names (``epcis:ObjectEvent``,
    ``epcis:eventTime``: not XSD-valid, but unambiguous), with the names unqualified."""
    copy = deepcopy(el)
    prefix = f"{{{EPCIS_NS}}}"
    for node in copy.iter():
        if isinstance(node.tag, str) and node.tag.startswith(prefix):
            node.tag = node.tag[len(prefix) :]
    return copy


def _read_event_list(el: etree._Element, names: _Prefixes, out: list[dict[str, Any]]) -> None:
    _no_attributes(el)
    for child in el:
        tag = child.tag
        if tag == "extension":  # EPCIS 1.x kept TransformationEvent here
            _read_event_list(child, names, out)
        elif isinstance(tag, str):
            if tag.startswith(_EPCIS_PREFIX):
                child = _unqualified(child)
            out.append(_read_event(child, names))


def _read_header(el: etree._Element, doc: dict[str, Any], names: _Prefixes) -> None:
    _no_attributes(el)
    for child in el:
        tag = child.tag
        if tag == _SBDH_TAG:
            sbdh = f"{{{SBDH_NS}}}"
            sender = child.findtext(f"{sbdh}Sender/{sbdh}Identifier")
            receiver = child.findtext(f"{sbdh}Receiver/{sbdh}Identifier")
            instance = child.findtext(f"{sbdh}DocumentIdentification/{sbdh}InstanceIdentifier")
            for key, value in (
                ("sender", sender),
                ("receiver", receiver),
                ("instanceIdentifier", instance),
            ):
                if value and value.strip():
                    doc[key] = value.strip()
        elif tag == "extension":
            for ext in child:
                if ext.tag == "EPCISMasterData":
                    vocabularies = ext.find("VocabularyList")
                    if vocabularies is None:
                        _fail(ext, "EPCISMasterData without a VocabularyList")
                    doc["epcisHeader"] = {
                        "epcisMasterData": {
                            "vocabularyList": _read_vocabularies(vocabularies, names)
                        }
                    }
                elif isinstance(ext.tag, str):
                    _fail(ext, f"<{ext.tag}> in the EPCIS header extension")
        elif isinstance(tag, str):
            _fail(child, f"<{tag}> in the EPCIS header")


def _read_vocabularies(el: etree._Element, names: _Prefixes) -> list[dict[str, Any]]:
    out = []
    for voc in el:
        if voc.tag != "Vocabulary":
            if isinstance(voc.tag, str):
                _fail(voc, f"<{voc.tag}> in a VocabularyList")
            continue
        item: dict[str, Any] = {"type": (voc.get("type") or "").strip()}
        elements: list[dict[str, Any]] = []
        for vel_list in voc:
            if vel_list.tag != "VocabularyElementList":
                if isinstance(vel_list.tag, str):
                    _fail(vel_list, f"<{vel_list.tag}> in a Vocabulary")
                continue
            for vel in vel_list:
                if vel.tag != "VocabularyElement":
                    if isinstance(vel.tag, str):
                        _fail(vel, f"<{vel.tag}> in a VocabularyElementList")
                    continue
                elements.append(_read_vocabulary_element(vel, names))
            item["vocabularyElementList"] = elements
        out.append(item)
    return out


def _read_vocabulary_element(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    out: dict[str, Any] = {"id": (el.get("id") or "").strip()}
    attributes: list[dict[str, Any]] = []
    for child in el:
        tag = child.tag
        if tag == "attribute":
            entry: dict[str, Any] = {"id": (child.get("id") or "").strip()}
            if len(child):
                value: dict[str, Any] = {}
                _extension_children(child, value, names, True)
                entry["attribute"] = value
            else:
                entry["attribute"] = (child.text or "").strip()
            attributes.append(entry)
            out["attributes"] = attributes
        elif tag == "children":
            out["children"] = [_text(c) for c in child if c.tag == "id"]
        elif isinstance(tag, str):
            _fail(child, f"<{tag}> in a VocabularyElement")
    return out


def _read_document_attributes(
    root: etree._Element, doc: dict[str, Any], names: _Prefixes
) -> dict[str, Any]:
    """schemaVersion and creationDate into ``doc``; the extension attributes returned."""
    extra: dict[str, Any] = {}
    for name, value in _attributes(root):
        if name == "schemaVersion" or name == "creationDate":
            doc[name] = value.strip()
        elif name[0] == "{":
            _member(extra, names.attribute_key(name, root), value)
        else:
            _fail(root, f"the unqualified attribute {name!r} has no JSON form")
    return extra


def _read_document(root: etree._Element) -> dict[str, Any]:
    names = _Prefixes()
    query = root.tag == _QUERY_DOC_TAG
    doc: dict[str, Any] = {
        "@context": None,
        "type": "EPCISQueryDocument" if query else "EPCISDocument",
    }
    extra = _read_document_attributes(root, doc, names)
    body: dict[str, Any] | None = None
    for child in root:
        tag = child.tag
        if tag == "EPCISHeader":
            _read_header(child, doc, names)
        elif tag == "EPCISBody":
            if body is not None:
                _fail(child, "a second <EPCISBody>")
            body = _read_query_body(child, names) if query else _read_body(child, names)
        elif isinstance(tag, str):
            if tag[0] != "{" or tag.startswith("{urn:epcglobal:epcis"):
                _fail(child, f"<{tag}> in the EPCIS document")
            _member(extra, names.element_key(child), _extension_value(child, names))
    if body is None:
        _fail(root, "the document has no <EPCISBody>")
    doc["epcisBody"] = body
    doc.update(extra)
    doc["@context"] = names.context()
    return doc


def _read_body(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    body: dict[str, Any] = {"eventList": events}
    _attribute_members(el, body, names)
    for child in el:
        tag = child.tag
        if tag == "EventList":
            _read_event_list(child, names, events)
        elif isinstance(tag, str):
            if tag[0] != "{" or tag.startswith("{urn:epcglobal:epcis"):
                _fail(child, f"<{tag}> in the EPCIS body")
            _member(body, names.element_key(child), _extension_value(child, names))
    return body


def _read_query_body(el: etree._Element, names: _Prefixes) -> dict[str, Any]:
    results = None
    for child in el:
        if child.tag == _QUERY_RESULTS_TAG or child.tag == "QueryResults":  # unqualified: lenient
            if results is not None:
                _fail(child, "a second QueryResults")
            results = child
        elif isinstance(child.tag, str):
            _fail(
                child,
                "only QueryResults query bodies have a JSON form",
                "delivery.epcis.unsupported",
            )
    if results is None:
        _fail(el, "the query document has no QueryResults")
    out: dict[str, Any] = {}
    for child in results:
        tag = child.tag
        if tag == "queryName" or tag == "subscriptionID":
            out[tag] = _text(child)
        elif tag == "resultsBody":
            body: dict[str, Any] = {}
            for part in child:
                if part.tag == "EventList":
                    events: list[dict[str, Any]] = []
                    _read_event_list(part, names, events)
                    body["eventList"] = events
                elif part.tag == "VocabularyList":
                    body["vocabularyList"] = _read_vocabularies(part, names)
                elif isinstance(part.tag, str):
                    _fail(part, f"<{part.tag}> in resultsBody")
            out["resultsBody"] = body
        elif isinstance(tag, str):
            if tag[0] != "{":
                _fail(child, f"<{tag}> in QueryResults")
            _member(out, names.element_key(child), _extension_value(child, names))
    return {"queryResults": out}


def xml_to_jsonld(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """An EPCIS 2.0 XML document (``epcis:EPCISDocument`` or ``epcisq:EPCISQueryDocument``)
    as an EPCIS 2.0 JSON-LD document.

    The result has ``@context`` (the EPCIS context, then one object declaring the
    extension prefixes used, if any), ``type`` (``EPCISDocument`` or
    ``EPCISQueryDocument``), ``schemaVersion``, ``creationDate``, the SBDH's
    ``sender``/``receiver``/``instanceIdentifier`` where given, and ``epcisBody``
    (``{"eventList": [...]}``, or ``{"queryResults": {...}}`` for a query document). The
    mapping is described in this module's docstring. Values are kept as written
    (timestamps are not rewritten); quantities and sensor values become JSON numbers.

    Parses only with :func:`inspectx.formats.safexml.parse_xml` under ``limits``, so its
    ``format.*`` errors pass through (DOCTYPE, ``xsi:`` attributes, size and depth caps).
    Raises :class:`EpcisError` ``delivery.epcis.not-epcis`` for another root element,
    ``delivery.epcis.malformed`` for structure the binding cannot map, and
    ``delivery.epcis.unsupported`` for valid EPCIS with no JSON form here.
    """
    root = parse_xml(data, limits)
    tag = root.tag
    if tag != _DOC_TAG and tag != _QUERY_DOC_TAG:
        qname = etree.QName(root)
        if qname.namespace in _EPCIS1_NAMESPACES:
            message = "an EPCIS 1.x document; only EPCIS 2.0 is converted"
            hint = "upgrade it to EPCIS 2.0 first (GS1 publishes an XSLT for 1.2 -> 2.0)"
        else:
            message = f"the root element is {tag}, not an EPCIS 2.0 (query) document"
            hint = f"give an epcis:EPCISDocument in the namespace {EPCIS_NS}"
        raise EpcisError(
            "delivery.epcis.not-epcis",
            message,
            hint=hint,
            location=f"/{root.prefix + ':' if root.prefix else ''}{qname.localname} "
            f"(line {root.sourceline})",
        )
    return _read_document(root)


def event_from_xml_element(element: etree._Element) -> tuple[dict[str, Any], dict[str, str]]:
    """One XML event element (``<ObjectEvent>``, ...) as a JSON-LD event.

    Returns the event and the prefix -> namespace map its extension member names need,
    including prefixes that the EPCIS context itself defines (with their JSON-LD IRI,
    e.g. ``cbvmda`` -> ``urn:epcglobal:cbv:mda:``).
    """
    names = _Prefixes()
    if isinstance(element.tag, str) and element.tag.startswith(_EPCIS_PREFIX):
        element = _unqualified(element)
    event = _read_event(element, names)
    return event, names.namespaces()


# =========================================================================== JSON-LD -> XML


class _Bad(Exception):
    """A JSON value that cannot be written. ``path`` is relative to where it was raised;
    callers prepend their member name or index on the way out (no cost when all is well)."""

    def __init__(
        self, message: str, *where: str | int, code: str = "delivery.epcis.malformed"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = [str(w) for w in where]

    def at(self, *where: str | int) -> _Bad:
        self.path[:0] = [str(w) for w in where]
        return self


def _unsupported(message: str, *where: str | int) -> _Bad:
    return _Bad(message, *where, code="delivery.epcis.unsupported")


def _pointer(path: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


_TAKEN_XML_PREFIXES: Final = frozenset({"epcis", "epcisq", "sbdh", "xml", "xmlns"})


class _Names:
    """Member names -> XML names (Clark notation) under a JSON-LD context's prefixes."""

    __slots__ = ("nsmap", "prefixes", "tags")

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes
        self.tags: dict[str, str] = {}
        # what an element may declare: prefixes that are NCNames and not taken here
        self.nsmap = {
            p: ns
            for p, ns in prefixes.items()
            if p not in _TAKEN_XML_PREFIXES and ns != _XML_NS and _PREFIX_RE.fullmatch(p)
        }

    def child(self, context: Any) -> _Names:
        extra = _context_prefixes(context)
        return _Names({**self.prefixes, **extra}) if extra else self

    def tag(self, key: str) -> str:
        tag = self.tags.get(key)
        if tag is None:
            prefix, colon, local = key.partition(":")
            if not colon:
                tag = key
            elif prefix == "xml":
                tag = f"{{{_XML_NS}}}{local}"
            elif prefix in self.prefixes and not local.startswith("//"):
                tag = f"{{{self.prefixes[prefix]}}}{local}"
            elif local.startswith("//") or prefix == "urn":  # an absolute IRI as the name
                cut = max(key.rfind("#"), key.rfind("/"), key.rfind(":")) + 1
                tag = f"{{{key[:cut]}}}{key[cut:]}"
            else:
                raise _Bad(f"the prefix {prefix!r} of {key!r} is not declared in @context")
            self.tags[key] = tag
        return tag


def _context_prefixes(context: Any) -> dict[str, str]:
    """Prefix -> IRI definitions of a JSON-LD @context (URLs, keywords, terms with a colon
    and the EPCIS context's own prefixes are skipped)."""
    out: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if not isinstance(item, Mapping):
            continue
        for term, value in item.items():
            if term.startswith("@") or ":" in term or term in _STANDARD_PREFIXES:
                continue
            if isinstance(value, str):
                out[term] = value
            elif isinstance(value, Mapping) and isinstance(value.get("@id"), str):
                out[term] = value["@id"]
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _str(value: Any, *where: str | int) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected a string, not {_json_type(value)}", *where)
    return value


def _list(value: Any, *where: str | int) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(f"expected an array, not {_json_type(value)}", *where)
    return value


def _object(value: Any, *where: str | int) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Bad(f"expected an object, not {_json_type(value)}", *where)
    return value


def _only(obj: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    for key in obj:
        if key not in allowed:
            raise _Bad(f"{key!r} is not a member of {what}", key)


def _number_text(value: Any, *where: str | int, decimal: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"expected a number, not {_json_type(value)}", *where)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise _Bad("expected a finite number", *where)
    text = repr(value)
    if decimal and ("e" in text or "E" in text):  # xsd:decimal has no exponent
        return format(Decimal(text), "f")
    return text


def _scalar_text(value: Any, *where: str | int) -> str:
    """The XML text of an extension value: strings as they are, true/false, numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value, *where, decimal=False)
    raise _Bad(f"{_json_type(value)} has no XML form here", *where)


def _write_member(parent: etree._Element, key: str, value: Any, names: _Names, depth: int) -> None:
    """An extension member as one element, or one per item of an array."""
    try:
        if key.startswith("@"):
            raise _unsupported(f"the JSON-LD keyword {key!r} has no XML form")
        tag = names.tag(key)
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, list):
                    raise _unsupported("an array inside an array has no XML form", i)
                try:
                    _write_extension(parent, tag, item, names, depth)
                except _Bad as exc:
                    raise exc.at(i) from None
        else:
            _write_extension(parent, tag, value, names, depth)
    except _Bad as exc:
        raise exc.at(key) from None
    except ValueError as exc:  # lxml: a name or a character XML cannot carry
        raise _Bad(f"not representable in XML: {exc}", key) from None


def _write_extension(
    parent: etree._Element, tag: str, value: Any, names: _Names, depth: int
) -> None:
    el = etree.SubElement(parent, tag)
    if not isinstance(value, Mapping):
        el.text = _scalar_text(value)
    elif depth >= _MAX_DEPTH:
        raise _Bad(f"extensions nest deeper than {_MAX_DEPTH} levels")
    elif _TEXT in value:  # text with attributes
        for key, item in value.items():
            if key == _TEXT:
                el.text = _str(item, key)
            else:
                try:
                    el.set(names.tag(key), _scalar_text(item))
                except _Bad as exc:
                    raise exc.at(key) from None
    else:
        for key, item in value.items():
            _write_member(el, key, item, names, depth + 1)


def _write_members(
    parent: etree._Element, obj: Mapping[str, Any], known: frozenset[str], names: _Names
) -> None:
    """The extension members of ``obj`` (those not in ``known``) as elements."""
    for key, value in obj.items():
        if key in known:
            continue
        if ":" not in key:
            raise _Bad(f"{key!r} is not a field here, nor a prefixed extension member", key)
        _write_member(parent, key, value, names, 1)


# Writers of the event fields: (event element, field name, JSON value, names).
_Writer = Callable[[etree._Element, str, Any, _Names], None]


def _w_text(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    etree.SubElement(parent, name).text = _str(value)


def _vocab_writer(vocab: _Vocab) -> _Writer:
    table = vocab.to_xml

    def write(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
        text = _str(value)
        etree.SubElement(parent, name).text = table.get(text, text)

    return write


def _w_certification(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    if isinstance(value, list):
        if len(value) != 1:
            raise _unsupported("the XML binding has room for one certificationInfo value")
        value = _str(value[0], 0)
    etree.SubElement(parent, name).text = _str(value)


def _w_epcs(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    el = etree.SubElement(parent, name)
    for i, epc in enumerate(_list(value)):
        etree.SubElement(el, "epc").text = _str(epc, i)


_QUANTITY_KEYS: Final = frozenset({"epcClass", "quantity", "uom"})


def _w_quantities(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    el = etree.SubElement(parent, name)
    for i, item in enumerate(_list(value)):
        try:
            item = _object(item)
            _only(item, _QUANTITY_KEYS, "a quantity element")
            qe = etree.SubElement(el, "quantityElement")
            etree.SubElement(qe, "epcClass").text = _str(item.get("epcClass"), "epcClass")
            if "quantity" in item:
                text = _number_text(item["quantity"], "quantity", decimal=True)
                etree.SubElement(qe, "quantity").text = text
            if "uom" in item:
                etree.SubElement(qe, "uom").text = _str(item["uom"], "uom")
        except _Bad as exc:
            raise exc.at(i) from None


_ID_ONLY: Final = frozenset({"id"})


def _w_location(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    obj = _object(value)
    el = etree.SubElement(parent, name)
    etree.SubElement(el, "id").text = _str(obj.get("id"), "id")
    _write_members(el, obj, _ID_ONLY, names)


def _typed_list_writer(item_tag: str, vocab: _Vocab) -> _Writer:
    table = vocab.to_xml
    allowed = frozenset({"type", item_tag})

    def write(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
        el = etree.SubElement(parent, name)
        for i, item in enumerate(_list(value)):
            try:
                item = _object(item)
                _only(item, allowed, f"a {item_tag} entry")
                entry = etree.SubElement(el, item_tag)
                entry.text = _str(item.get(item_tag), item_tag)
                if "type" in item:
                    kind = _str(item["type"], "type")
                    entry.set("type", table.get(kind, kind))
            except _Bad as exc:
                raise exc.at(i) from None

    return write


def _w_sensor_attributes(el: etree._Element, obj: Mapping[str, Any], names: _Names) -> None:
    for key, value in obj.items():
        vocab = _SENSOR_VOCABS.get(key)
        if vocab is not None:
            text = _str(value, key)
            el.set(key, vocab.to_xml.get(text, text))
        elif key in _SENSOR_NUMBERS:
            el.set(key, _number_text(value, key, decimal=False))
        elif key == "booleanValue":
            if not isinstance(value, bool):
                raise _Bad(f"expected a boolean, not {_json_type(value)}", key)
            el.set(key, "true" if value else "false")
        elif ":" in key:
            try:
                el.set(names.tag(key), _scalar_text(value))
            except _Bad as exc:
                raise exc.at(key) from None
        else:
            el.set(key, _str(value, key))


_SENSOR_ELEMENT_KEYS: Final = frozenset({"sensorMetadata", "sensorReport"})


def _w_sensor_elements(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    el = etree.SubElement(parent, name)
    for i, item in enumerate(_list(value)):
        try:
            item = _object(item)
            se = etree.SubElement(el, "sensorElement")
            if "sensorMetadata" in item:
                metadata = _object(item["sensorMetadata"], "sensorMetadata")
                try:
                    _w_sensor_attributes(etree.SubElement(se, "sensorMetadata"), metadata, names)
                except _Bad as exc:
                    raise exc.at("sensorMetadata") from None
            for j, report in enumerate(_list(item.get("sensorReport"), "sensorReport")):
                report = _object(report, "sensorReport", j)
                try:
                    _w_sensor_attributes(etree.SubElement(se, "sensorReport"), report, names)
                except _Bad as exc:
                    raise exc.at("sensorReport", j) from None
            _write_members(se, item, _SENSOR_ELEMENT_KEYS, names)
        except _Bad as exc:
            raise exc.at(i) from None


_SET_UNSET: Final = frozenset({"set", "unset"})


def _w_persistent_disposition(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    obj = _object(value)
    _only(obj, _SET_UNSET, "persistentDisposition")
    el = etree.SubElement(parent, name)
    for key in ("unset", "set"):  # the XSD's order
        for i, item in enumerate(_list(obj.get(key, []), key)):
            text = _str(item, key, i)
            etree.SubElement(el, key).text = _DISPOSITION.to_xml.get(text, text)


_ERROR_DECLARATION_KEYS: Final = frozenset({"declarationTime", "reason", "correctiveEventIDs"})


def _w_error_declaration(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    obj = _object(value)
    el = etree.SubElement(parent, name)
    if "declarationTime" in obj:
        text = _str(obj["declarationTime"], "declarationTime")
        etree.SubElement(el, "declarationTime").text = text
    if "reason" in obj:
        text = _str(obj["reason"], "reason")
        etree.SubElement(el, "reason").text = _ERROR_REASON.to_xml.get(text, text)
    if "correctiveEventIDs" in obj:
        ids = etree.SubElement(el, "correctiveEventIDs")
        for i, item in enumerate(_list(obj["correctiveEventIDs"], "correctiveEventIDs")):
            etree.SubElement(ids, "correctiveEventID").text = _str(item, "correctiveEventIDs", i)
    _write_members(el, obj, _ERROR_DECLARATION_KEYS, names)


def _w_ilmd(parent: etree._Element, name: str, value: Any, names: _Names) -> None:
    el = etree.SubElement(parent, name)
    for key, item in _object(value).items():
        _write_member(el, key, item, names, 1)


_WRITERS: Final[Mapping[str, _Writer]] = {
    "eventTime": _w_text,
    "recordTime": _w_text,
    "eventTimeZoneOffset": _w_text,
    "eventID": _w_text,
    "certificationInfo": _w_certification,
    "parentID": _w_text,
    "action": _w_text,
    "transformationID": _w_text,
    "errorDeclaration": _w_error_declaration,
    "epcList": _w_epcs,
    "childEPCs": _w_epcs,
    "inputEPCList": _w_epcs,
    "outputEPCList": _w_epcs,
    "quantityList": _w_quantities,
    "childQuantityList": _w_quantities,
    "inputQuantityList": _w_quantities,
    "outputQuantityList": _w_quantities,
    "bizStep": _vocab_writer(_BIZSTEP),
    "disposition": _vocab_writer(_DISPOSITION),
    "readPoint": _w_location,
    "bizLocation": _w_location,
    "bizTransactionList": _typed_list_writer("bizTransaction", _BTT),
    "sourceList": _typed_list_writer("source", _SDT),
    "destinationList": _typed_list_writer("destination", _SDT),
    "sensorElementList": _w_sensor_elements,
    "persistentDisposition": _w_persistent_disposition,
    "ilmd": _w_ilmd,
}
_EVENT_KNOWN: Final[Mapping[str, frozenset[str]]] = {
    name: fields | {"type", "@context"} for name, fields in _EVENT_FIELDS.items()
}
_STANDARD_NSMAP: Final[Mapping[str, str]] = {
    p: ns for p, ns in _STANDARD_PREFIXES.items() if p != "epcis"
}


def _write_event(parent: etree._Element | None, value: Any, names: _Names) -> etree._Element:
    event = _object(value)
    etype = event.get("type")
    order = _EVENT_ORDER.get(etype) if isinstance(etype, str) else None
    if order is None:
        message = f"the event type {etype!r} has no XML binding (only {', '.join(EVENT_TYPES)})"
        if isinstance(etype, str):
            raise _unsupported(message, "type")
        raise _Bad(message, "type")
    assert isinstance(etype, str)
    nsmap: dict[str, str] | None = None
    if "@context" in event:  # declared on the event element, as the JSON-LD has it
        local = names.child(event["@context"])
        nsmap = {p: ns for p, ns in local.nsmap.items() if names.nsmap.get(p) != ns}
        names = local
    if parent is None:
        el = etree.Element(etype, nsmap={**names.nsmap, **_STANDARD_NSMAP})
    else:
        el = etree.SubElement(parent, etype, nsmap=nsmap or None)
    for field in order:
        if field in event:
            try:
                _WRITERS[field](el, field, event[field], names)
            except _Bad as exc:
                raise exc.at(field) from None
            except ValueError as exc:  # lxml: a character XML cannot carry
                raise _Bad(f"not representable in XML: {exc}", field) from None
    _write_members(el, event, _EVENT_KNOWN[etype], names)
    return el


def _error(exc: _Bad, *where: str | int) -> EpcisError:
    exc.at(*where)
    return EpcisError(
        exc.code,
        exc.message,
        hint="the EPCIS 2.0 XML binding (XSD EPCglobal-epcis-2_0.xsd) has no form for this",
        location=_pointer(exc.path),
    )


def event_to_xml_element(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> etree._Element:
    """One JSON-LD event as an XML event element (unqualified, as in ``EventList``).

    ``namespaces`` maps the prefixes of the event's extension member names to their
    namespaces (e.g. :func:`event_from_xml_element`'s map, or the document's
    ``@context`` prefixes); an ``@context`` on the event adds to it. The EPCIS context's
    own prefixes (``cbvmda``, ``gs1``, ...) always have their standard meaning.
    Raises :class:`EpcisError` located by a JSON Pointer relative to the event.
    """
    try:
        el = _write_event(None, event, _Names({**namespaces, **_STANDARD_PREFIXES}))
    except _Bad as exc:
        raise _error(exc) from None
    etree.cleanup_namespaces(el)
    return el


_SBDH_MEMBERS: Final = ("sender", "receiver", "instanceIdentifier")
_MASTER_DATA_ONLY: Final = frozenset({"epcisMasterData"})


def _write_header(root: etree._Element, document: Mapping[str, Any], names: _Names) -> None:
    sbdh_values = {k: _str(document[k], k) for k in _SBDH_MEMBERS if k in document}
    header = document.get("epcisHeader")
    if not sbdh_values and header is None:
        return
    el = etree.SubElement(root, "EPCISHeader")
    if sbdh_values:  # the SBDH's required parts, with what the JSON binding carries
        s = f"{{{SBDH_NS}}}"
        sbdh = etree.SubElement(el, _SBDH_TAG, nsmap={"sbdh": SBDH_NS})
        etree.SubElement(sbdh, f"{s}HeaderVersion").text = "1.0"
        for key, tag in (("sender", "Sender"), ("receiver", "Receiver")):
            partner = etree.SubElement(sbdh, f"{s}{tag}")
            etree.SubElement(partner, f"{s}Identifier").text = sbdh_values.get(key, "")
        ident = etree.SubElement(sbdh, f"{s}DocumentIdentification")
        etree.SubElement(ident, f"{s}Standard").text = "EPCglobal"
        etree.SubElement(ident, f"{s}TypeVersion").text = "2.0"
        instance = sbdh_values.get("instanceIdentifier", "")
        etree.SubElement(ident, f"{s}InstanceIdentifier").text = instance
        etree.SubElement(ident, f"{s}Type").text = "Events"
        created = etree.SubElement(ident, f"{s}CreationDateAndTime")
        created.text = str(document.get("creationDate"))
    if header is not None:
        try:
            header = _object(header)
            for key in header:
                if key not in _MASTER_DATA_ONLY:
                    raise _unsupported(f"{key!r} has no XML form in the EPCIS header", key)
            if "epcisMasterData" in header:
                master = _object(header["epcisMasterData"], "epcisMasterData")
                md = etree.SubElement(etree.SubElement(el, "extension"), "EPCISMasterData")
                vocabularies = master.get("vocabularyList", [])
                try:
                    _write_vocabularies(md, vocabularies, names)
                except _Bad as exc:
                    raise exc.at("epcisMasterData", "vocabularyList") from None
        except _Bad as exc:
            raise exc.at("epcisHeader") from None


def _write_vocabularies(parent: etree._Element, value: Any, names: _Names) -> None:
    vocabulary_list = etree.SubElement(parent, "VocabularyList")
    for i, item in enumerate(_list(value)):
        try:
            vocabulary = _object(item)
            voc = etree.SubElement(vocabulary_list, "Vocabulary")
            voc.set("type", _str(vocabulary.get("type"), "type"))
            if "vocabularyElementList" in vocabulary:
                elements = _list(vocabulary["vocabularyElementList"], "vocabularyElementList")
                vel_list = etree.SubElement(voc, "VocabularyElementList")
                for j, element in enumerate(elements):
                    try:
                        _write_vocabulary_element(vel_list, element, names)
                    except _Bad as exc:
                        raise exc.at("vocabularyElementList", j) from None
        except _Bad as exc:
            raise exc.at(i) from None


def _write_vocabulary_element(parent: etree._Element, value: Any, names: _Names) -> None:
    obj = _object(value)
    vel = etree.SubElement(parent, "VocabularyElement", id=_str(obj.get("id"), "id"))
    for i, item in enumerate(_list(obj.get("attributes", []), "attributes")):
        attribute = _object(item, "attributes", i)
        attr = etree.SubElement(vel, "attribute", id=_str(attribute.get("id"), "attributes", i))
        content = attribute.get("attribute", "")
        try:
            if isinstance(content, Mapping):
                for key, member in content.items():
                    _write_member(attr, key, member, names, 1)
            else:
                attr.text = _scalar_text(content)
        except _Bad as exc:
            raise exc.at("attributes", i, "attribute") from None
    if "children" in obj:
        children = etree.SubElement(vel, "children")
        for i, child in enumerate(_list(obj["children"], "children")):
            etree.SubElement(children, "id").text = _str(child, "children", i)


def _write_event_list(parent: etree._Element, events: Any, names: _Names) -> None:
    event_list = etree.SubElement(parent, "EventList")
    for i, event in enumerate(_list(events, "eventList")):
        try:
            _write_event(event_list, event, names)
        except _Bad as exc:
            raise exc.at("eventList", i) from None


_EVENT_LIST_ONLY: Final = frozenset({"eventList"})
_QUERY_RESULTS_KEYS: Final = frozenset({"queryName", "subscriptionID", "resultsBody"})


def _write_query_body(body: etree._Element, value: Mapping[str, Any], names: _Names) -> None:
    for key in value:
        if key != "queryResults":
            raise _unsupported(f"{key!r} has no XML form in a query document's body", key)
    try:
        results = _object(value.get("queryResults"))
        el = etree.SubElement(body, _QUERY_RESULTS_TAG)
        etree.SubElement(el, "queryName").text = _str(results.get("queryName"), "queryName")
        if "subscriptionID" in results:
            text = _str(results["subscriptionID"], "subscriptionID")
            etree.SubElement(el, "subscriptionID").text = text
        results_body = _object(results.get("resultsBody"), "resultsBody")
        rb = etree.SubElement(el, "resultsBody")
        try:
            if "vocabularyList" in results_body and "eventList" not in results_body:
                _write_vocabularies(rb, results_body["vocabularyList"], names)
            else:
                _only(results_body, _EVENT_LIST_ONLY, "resultsBody")
                _write_event_list(rb, results_body.get("eventList", []), names)
        except _Bad as exc:
            raise exc.at("resultsBody") from None
        _write_members(el, results, _QUERY_RESULTS_KEYS, names)
    except _Bad as exc:
        raise exc.at("queryResults") from None


def jsonld_to_xml(document: Mapping[str, Any]) -> bytes:
    """An EPCIS 2.0 JSON-LD document (``EPCISDocument`` or ``EPCISQueryDocument``) as
    EPCIS 2.0 XML: UTF-8 bytes with an XML declaration.

    The XML is valid against the official XSD whenever the document is valid against
    the official JSON Schema and has an XML form (this module's docstring says what is
    dropped or refused). Extension members whose prefix the ``@context`` declares become
    elements in that namespace, declared on the root (or on the event, for an event's
    own ``@context``); members named by an absolute IRI are split at its last ``#``,
    ``/`` or ``:``. ``sender``/``receiver``/``instanceIdentifier`` are written in an SBDH
    header (its other required parts filled in: HeaderVersion 1.0, Standard EPCglobal,
    TypeVersion 2.0, Type Events, CreationDateAndTime = creationDate).

    Raises :class:`EpcisError` ``delivery.epcis.not-epcis`` (not an EPCIS document),
    ``delivery.epcis.malformed`` (a value of the wrong JSON type, an undeclared prefix,
    an unknown member, text XML cannot carry) or ``delivery.epcis.unsupported``, located
    by a JSON Pointer.
    """
    if not isinstance(document, Mapping):
        raise EpcisError(
            "delivery.epcis.not-epcis",
            f"expected a JSON object, not {_json_type(document)}",
            hint="give an EPCIS 2.0 JSON-LD document",
        )
    dtype = document.get("type")
    if dtype not in ("EPCISDocument", "EPCISQueryDocument"):
        raise EpcisError(
            "delivery.epcis.not-epcis",
            f"the document type is {dtype!r}, not EPCISDocument or EPCISQueryDocument",
            hint="give an EPCIS 2.0 JSON-LD document",
            location="/type",
        )
    names = _Names({**_STANDARD_PREFIXES, **_context_prefixes(document.get("@context"))})
    nsmap = {**_STANDARD_NSMAP, **names.nsmap, "epcis": EPCIS_NS}
    try:
        if dtype == "EPCISQueryDocument":
            root = etree.Element(_QUERY_DOC_TAG, nsmap={**nsmap, "epcisq": EPCIS_QUERY_NS})
        else:
            root = etree.Element(_DOC_TAG, nsmap=nsmap)
        for key in ("schemaVersion", "creationDate"):
            if key not in document:
                raise _Bad(f"{key} is missing (the XML binding requires it)", key)
            root.set(key, _str(document[key], key))
        _write_header(root, document, names)
        body_value = _object(document.get("epcisBody"), "epcisBody")
        body = etree.SubElement(root, "EPCISBody")
        try:
            if dtype == "EPCISQueryDocument":
                _write_query_body(body, body_value, names)
            else:
                _write_event_list(body, body_value.get("eventList", []), names)
                _write_members(body, body_value, _EVENT_LIST_ONLY, names)
        except _Bad as exc:
            raise exc.at("epcisBody") from None
        _write_members(root, document, _DOCUMENT_MEMBERS, names)
    except _Bad as exc:
        raise _error(exc) from None
    except ValueError as exc:  # lxml, outside any event: a character XML cannot carry
        raise _error(_Bad(f"not representable in XML: {exc}")) from None
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
