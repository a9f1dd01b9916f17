"""Wire formats: safe parsers and the inspectx JSON and XML codecs.

Importing this package loads lxml; the CLI imports it only inside commands.
"""

from __future__ import annotations

from inspectx.formats.certificate import (
    Format,
    certificate_from_data,
    certificate_from_element,
    certificate_to_data,
    data_to_json_bytes,
    data_to_xml_bytes,
    detect_format,
    dump_json,
    dump_xml,
    pointer_to_xpath,
    read_json_data,
    read_xml_data,
    read_xml_root,
    xpath_of,
)
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safejson import load_json
from inspectx.formats.safexml import make_parser, parse_xml

__all__ = [
    "DEFAULT_LIMITS",
    "Format",
    "Limits",
    "certificate_from_data",
    "certificate_from_element",
    "certificate_to_data",
    "data_to_json_bytes",
    "data_to_xml_bytes",
    "detect_format",
    "dump_json",
    "dump_xml",
    "load_json",
    "make_parser",
    "parse_xml",
    "pointer_to_xpath",
    "read_json_data",
    "read_xml_data",
    "read_xml_root",
    "xpath_of",
]
