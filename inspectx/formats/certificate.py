"""inspectx JSON and inspectx XML for certificates: read, write, detect.

Both formats go through the same JSON data shape and the same field table, so
``XML -> model -> JSON`` and ``JSON -> model -> XML`` are exact inverses and the
output of each is deterministic (DESIGN §2, rules 1-6).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import orjson
from lxml import etree

from inspectx.errors import InputError, ModelError
from inspectx.formats import _tree
from inspectx.formats._bind import bind, bind_element, unbind
from inspectx.formats._table import CERTIFICATE_NS, RECORDS, ROOT_ELEMENT, Kind, Record
from inspectx.formats._xmlwriter import write_model_xml, write_xml
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safejson import load_json
from inspectx.formats.safexml import parse_xml
from inspectx.model import Certificate

__all__ = [
    "Format",
    "certificate_from_data",
    "certificate_from_element",
    "certificate_from_valid_data",
    "certificate_to_data",
    "check_certificate_root",
    "check_valid_data",
    "check_valid_element",
    "data_from_valid_element",
    "data_to_json_bytes",
    "data_to_xml_bytes",
    "detect_format",
    "dump_json",
    "dump_xml",
    "model_to_xml_bytes",
    "pointer_to_xpath",
    "read_json_data",
    "read_xml_data",
    "read_xml_root",
    "xpath_of",
]

Format = Literal["json", "xml"]


def detect_format(data: bytes) -> Format:
    """Tell inspectx JSON from XML by the first significant byte.

    Raises :class:`InputError` ``format.unknown`` for anything else, and
    ``format.encoding-not-utf8`` for UTF-16/32 input.
    """
    head = data[:64]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and 0 in head[:2]):
        raise InputError(
            "format.encoding-not-utf8",
            "input is UTF-16 or UTF-32, not UTF-8",
            hint="re-encode the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)",
        )
    stripped = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if stripped.startswith((b"{", b"[")):
        return "json"
    if stripped.startswith(b"<"):
        return "xml"
    if not stripped:
        raise InputError("format.empty", "the input is empty", hint="give a certificate file")
    raise InputError(
        "format.unknown",
        "the input is neither JSON nor XML",
        hint="inspectx reads inspectx JSON and inspectx XML certificates",
    )


def read_json_data(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Strictly parse inspectx JSON bytes into JSON data (no schema check)."""
    return load_json(data, limits)


def read_xml_root(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    """Safely parse inspectx XML bytes and return the root element.

    Raises :class:`InputError` for malformed or hostile input, or a root that
    is not an inspectx certificate.
    """
    return check_certificate_root(parse_xml(data, limits))


def check_certificate_root(root: etree._Element) -> etree._Element:
    """``root`` if it is an inspectx certificate root, else ``format.xml.not-inspectx``."""
    if root.tag != f"{{{CERTIFICATE_NS}}}{ROOT_ELEMENT}":
        raise InputError(
            "format.xml.not-inspectx",
            f"the root element is {root.tag}, not an inspectx certificate",
            hint=f'expected <{ROOT_ELEMENT} xmlns="{CERTIFICATE_NS}">',
            location=f"/{etree.QName(root).localname} (line {root.sourceline})",
        )
    return root


def read_xml_data(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, etree._Element]:
    """Safely parse inspectx XML bytes; return its JSON data and the parsed root.

    The conversion is structural and total: schema-invalid XML yields JSON data
    that the JSON Schema rejects too. Raises as :func:`read_xml_root` does.
    """
    root = read_xml_root(data, limits)
    return _tree.element_to_data(root), root


def certificate_from_element(root: etree._Element) -> Certificate:
    """Bind an XSD-valid ``<certificate>`` element to a :class:`Certificate`.

    Raises :class:`ModelError` located by XPath for a value the model cannot hold.
    """
    cert: Certificate = bind_element(Certificate, root)
    return cert


def check_valid_element(root: etree._Element) -> None:
    """Make sure :func:`certificate_from_element` will bind the XSD-valid ``root``
    without building the model: checks only the leaves the XSD cannot judge (30
    February). Raises the :class:`ModelError` binding would raise."""
    from inspectx.formats._codegen import compiled

    try:
        compiled().check_element[Certificate](root)
    except Exception:  # the binder says what and where
        certificate_from_element(root)


def data_from_valid_element(root: etree._Element) -> dict[str, Any]:
    """The JSON data of an XSD-valid ``<certificate>`` element: what
    ``certificate_to_data(certificate_from_element(root))`` gives, without building the
    model. Raises the :class:`ModelError` binding would raise."""
    from inspectx.formats._codegen import compiled

    try:
        data: dict[str, Any] = compiled().data_element[Certificate](root)
    except Exception:  # the binder says what and where
        return certificate_to_data(certificate_from_element(root))
    return data


def certificate_from_data(data: Any) -> Certificate:
    """Bind JSON data to a :class:`Certificate`; raises :class:`ModelError`."""
    cert: Certificate = bind(Certificate, data)
    return cert


def certificate_from_valid_data(data: Any) -> Certificate:
    """Bind JSON data that the certificate schema accepted and whose strings hold
    no character XML cannot carry (see :func:`inspectx.formats.load_json_lean`).

    Skips the checks the schema already made, which halves the cost. Same result
    as :func:`certificate_from_data`, to which it falls back on anything the
    schema cannot rule out (30 February), so errors are located as there.
    """
    from inspectx.formats._codegen import compiled

    try:
        cert: Certificate = compiled().bind_valid[Certificate](data)
    except Exception:  # the checked binder says what and where
        return certificate_from_data(data)
    return cert


def check_valid_data(data: Any) -> None:
    """Make sure :func:`certificate_from_valid_data` will bind ``data`` (same
    preconditions) without building the model: checks only the leaves the schema
    cannot judge. Raises the :class:`ModelError` binding would raise."""
    from inspectx.formats._codegen import compiled

    try:
        compiled().check_valid[Certificate](data)
    except Exception:  # the checked binder says what and where
        certificate_from_data(data)


def certificate_to_data(cert: Certificate) -> dict[str, Any]:
    """JSON data for a certificate, in field-table order; raises :class:`ModelError`."""
    if not isinstance(cert, Certificate):
        raise ModelError(
            "model.invalid-value",
            f"expected a Certificate, not {type(cert).__name__}",
            hint="build it with inspectx.model.Certificate",
        )
    return unbind(cert)


def data_to_json_bytes(data: Any) -> bytes:
    """Deterministic inspectx JSON: UTF-8, two-space indent, final newline.

    The bytes are those of ``json.dumps(data, indent=2, ensure_ascii=False)``
    plus a newline; orjson writes them about twenty times faster.
    """
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


def data_to_xml_bytes(data: Any) -> bytes:
    """Deterministic inspectx XML for schema-valid JSON data: UTF-8, two-space
    indent, final newline. (For data that may be invalid, see
    :func:`inspectx.formats._tree.data_to_element`.)"""
    return write_xml(data)


def model_to_xml_bytes(cert: Certificate) -> bytes:
    """inspectx XML for a certificate bound from a schema-valid document.

    Skips the checks of :func:`certificate_to_data`; use :func:`dump_xml` or
    ``inspectx.validation.render`` for a model built by hand.
    """
    return write_model_xml(cert)


def dump_json(cert: Certificate) -> bytes:
    """A certificate as inspectx JSON bytes (no schema check; see validation.write_*)."""
    return data_to_json_bytes(certificate_to_data(cert))


def dump_xml(cert: Certificate) -> bytes:
    """A certificate as inspectx XML bytes (no schema check; see validation.write_*)."""
    return data_to_xml_bytes(certificate_to_data(cert))


@cache
def _preceding_same() -> etree.XPath:
    # counted in C: a Python loop over the siblings made many findings quadratic
    return etree.XPath("count(preceding-sibling::*[local-name() = $ln and namespace-uri() = $ns])")


def xpath_of(el: etree._Element) -> str:
    """A readable XPath for an element of an inspectx certificate, with its line.

    Repeatable fields carry their 1-based position (``/certificate/tests[2]/outcome``).
    """
    chain = [*reversed(list(el.iterancestors())), el]
    steps = [f"/{etree.QName(chain[0]).localname}"]
    rec: Record | None = RECORDS[Certificate]
    for node in chain[1:]:
        name = etree.QName(node).localname
        f = rec.field(name) if rec is not None else None
        if f is not None and f.repeated:
            qname = etree.QName(node)
            before = _preceding_same()(node, ln=qname.localname, ns=qname.namespace or "")
            position = 1 + int(before)  # type: ignore[arg-type]
            steps.append(f"/{name}[{position}]")
        else:
            steps.append(f"/{name}")
        rec = RECORDS[f.target] if f is not None and f.kind is Kind.RECORD and f.target else None
    return "".join(steps) + f" (line {el.sourceline})"


def pointer_to_xpath(root: etree._Element, pointer: str) -> str:
    """The XPath (with line number) of the element a JSON Pointer names in a certificate."""
    el = root
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if token.isdigit():
            parent = el.getparent()
            siblings = [c for c in parent if c.tag == el.tag] if parent is not None else [el]
            if int(token) < len(siblings):
                el = siblings[int(token)]
            continue
        match = el.find(f"{{{CERTIFICATE_NS}}}{token}")
        if match is None:
            break
        el = match
    return xpath_of(el)
