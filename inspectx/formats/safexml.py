"""The one hardened XML parser used by every entry point (DESIGN §8, catalogue A)."""

from __future__ import annotations

from lxml import etree

from inspectx.errors import InputError, LimitExceeded
from inspectx.formats.limits import DEFAULT_LIMITS, Limits

__all__ = ["make_parser", "parse_xml", "peek_root_tag"]

_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def make_parser() -> etree.XMLParser:
    """A new parser that never loads DTDs, entities, or anything from the network.

    ``huge_tree`` stays off so libxml2 keeps its own caps (10 MB text nodes,
    depth 256, entity amplification). Comments and processing instructions are
    dropped: they are not data, and exclusive c14n without comments ignores
    them too. Parsers are not thread-safe; make one per thread.
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        recover=False,
        remove_blank_text=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    # libxml2 still opens an external DTD or parameter entity named in a DOCTYPE
    # despite load_dtd=False; DOCTYPEs are refused before parsing, and this
    # resolver makes sure nothing is ever read even if one slipped through.
    parser.resolvers.add(_DenyAll())
    return parser


def peek_root_tag(data: bytes) -> str | None:
    """The root element's tag (``{namespace}local``), read from the start of ``data``
    only, to choose a reader; None when the start is not readable XML (the reader
    chosen then reports why). Nothing is resolved or loaded; the document is still
    parsed in full, hardened, by the reader it is given to.
    """
    if _has_doctype(data[:65536]):
        return None  # refused by every reader; no need to look further
    peek = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    peek.resolvers.add(_DenyAll())
    try:
        for offset in range(0, len(data), 65536):
            peek.feed(data[offset : offset + 65536])
            for _, element in peek.read_events():
                return str(element.tag)  # type: ignore[union-attr]  # "start" gives elements
    except etree.XMLSyntaxError:
        return None
    return None


class _DenyAll(etree.Resolver):
    """Answers every external load (file, http, anything) with nothing."""

    def resolve(self, system_url: str, public_id: str, context: object = None) -> object:
        return self.resolve_string("", context)  # type: ignore[call-arg]


def parse_xml(
    data: bytes, limits: Limits = DEFAULT_LIMITS, parser: etree.XMLParser | None = None
) -> etree._Element:
    """Parse untrusted XML bytes and return the root element.

    Raises :class:`InputError` (or :class:`LimitExceeded`) with a stable code
    for: input over ``limits.max_bytes``; any encoding but UTF-8; any DOCTYPE
    (so no DTD, internal or external entity is ever processed); syntax errors
    (with line and column; nothing is repaired); more than
    ``limits.max_elements`` elements, ``limits.max_depth`` levels, or
    ``limits.max_attributes`` attributes on one element. Never touches the
    network or the file system; XInclude is never processed.
    """
    if len(data) > limits.max_bytes:
        raise LimitExceeded(
            "format.too-large",
            f"input is {len(data)} bytes, over the limit of {limits.max_bytes}",
            hint="raise the limit (--max-bytes) only if the document is genuine",
        )
    if data.startswith(_UTF16_32_BOMS) or data[:2] in (b"<\x00", b"\x00<"):
        raise InputError(
            "format.encoding-not-utf8",
            "input is UTF-16 or UTF-32, not UTF-8",
            hint="re-encode the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)",
        )
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.count(b"<") > 2 * limits.max_elements:  # every element needs one or two "<"
        raise LimitExceeded(
            "format.xml.too-many-elements",
            f"more than {limits.max_elements} elements",
            hint="no inspectx document is this large; the input is malformed or hostile",
        )
    if _has_doctype(data):
        raise InputError(
            "format.xml.dtd-forbidden",
            "the document has a DOCTYPE declaration",
            hint="inspectx XML never uses DTDs or entities; remove the <!DOCTYPE …> block",
            location="line 1",
        )
    try:
        root = etree.fromstring(data, parser or make_parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        code = _syntax_code(str(exc))
        if code == "format.xml.entity-forbidden" and b"<!DOCTYPE" in data:
            code = "format.xml.dtd-forbidden"
        raise InputError(
            code,
            f"not well-formed XML: {exc.msg}",
            hint="check the file is complete, well-formed UTF-8 XML",
            location=f"line {line}, column {col}",
        ) from None
    tree = root.getroottree()
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:  # type: ignore[union-attr]
        raise InputError(
            "format.xml.dtd-forbidden",
            "the document has a DOCTYPE declaration",
            hint="inspectx XML never uses DTDs or entities; remove the <!DOCTYPE …> block",
        )
    encoding = (docinfo.encoding or "UTF-8").upper()
    if encoding not in ("UTF-8", "UTF8") or (b"encoding" in head and not _declares_utf8(head)):
        raise InputError(
            "format.encoding-not-utf8",
            f"the document is encoded as {docinfo.encoding}, not UTF-8",
            hint='re-encode the file as UTF-8 and declare encoding="UTF-8"',
        )
    _check_shape(root, data, limits)
    return root


def _has_doctype(data: bytes) -> bool:
    # Anywhere, not only in what looks like the prolog: a comment or PI placed first
    # must not hide one. Text cannot contain a raw "<", so in a DOCTYPE-free document
    # the string can only sit in a comment or CDATA, which inspectx XML does not need.
    return b"<!DOCTYPE" in data


def _declares_utf8(head: bytes) -> bool:
    decl = head[: head.find(b"?>") + 2] if head.startswith(b"<?xml") else b""
    lowered = decl.lower()
    return not decl or b"encoding" not in decl or b"utf-8" in lowered or b"utf8" in lowered


def _syntax_code(message: str) -> str:
    lowered = message.lower()
    if "utf-8" in lowered or "encoding" in lowered or "char 0x" in lowered:
        return "format.encoding-not-utf8"
    if "amplification" in lowered or "entity" in lowered:
        return "format.xml.entity-forbidden"
    if "depth" in lowered:
        return "format.xml.too-deep"
    if "huge" in lowered or "too long" in lowered:
        return "format.too-large"
    if "extra content" in lowered:
        return "format.xml.extra-content"
    return "format.xml.syntax"


def _check_shape(root: etree._Element, data: bytes, limits: Limits) -> None:
    # XPath runs in C; a Python walk over the tree would cost more than the parse.
    # (Entity nodes need a DOCTYPE, which is refused before this point.) Every element
    # needs a "<" of its own: where there are few, the elements need no counting.
    count = data.count(b"<")
    if count > limits.max_elements:
        count = int(root.xpath("count(//*)"))  # type: ignore[arg-type]
    if count > limits.max_elements:
        raise LimitExceeded(
            "format.xml.too-many-elements",
            f"more than {limits.max_elements} elements",
            hint="no inspectx document is this large; the input is malformed or hostile",
        )
    if _XSI_NS.encode() in data and root.xpath(f"boolean(//@*[namespace-uri()='{_XSI_NS}'])"):
        raise InputError(
            "format.xml.xsi-forbidden",
            "the document carries xsi: attributes (schemaLocation, type, nil)",
            hint="remove them: inspectx validates only against its own bundled schema, "
            "and xsi:type could change what an element means",
        )
    # only the elements that have attributes (usually few) are looked at from Python
    with_attributes: list[etree._Element] = root.xpath("//@*/..")  # type: ignore[assignment]
    for el in with_attributes:
        if len(el.attrib) > limits.max_attributes:
            raise LimitExceeded(
                "format.xml.too-many-attributes",
                f"an element has more than {limits.max_attributes} attributes",
                hint="no inspectx element has this many attributes",
                location=f"line {el.sourceline}",
            )
    if count > limits.max_depth and root.xpath("boolean(/*" + "/*" * limits.max_depth + ")"):
        raise LimitExceeded(
            "format.xml.too-deep",
            f"nesting deeper than {limits.max_depth} levels",
            hint="no inspectx document nests this deep; the input is malformed or hostile",
        )
