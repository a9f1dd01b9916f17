"""Validation: format and schema layers, reports, and the read/convert pipeline."""

from __future__ import annotations

from inspectx.validation.pipeline import (
    LoadedCertificate,
    convert_bytes,
    read_certificate,
    render,
    validate_bytes,
    write_json,
    write_xml,
)
from inspectx.validation.report import DocumentReport, Finding, Severity, Verdict
from inspectx.validation.schema import SchemaValidators, default_validators

__all__ = [
    "DocumentReport",
    "Finding",
    "LoadedCertificate",
    "SchemaValidators",
    "Severity",
    "Verdict",
    "convert_bytes",
    "default_validators",
    "read_certificate",
    "render",
    "validate_bytes",
    "write_json",
    "write_xml",
]
