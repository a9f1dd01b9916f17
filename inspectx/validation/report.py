"""Findings and per-document reports: what validation found, for people and machines."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from inspectx.model import Certificate

__all__ = ["DocumentReport", "Finding", "Severity", "Verdict"]


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Verdict(enum.StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"
    INDETERMINATE = "INDETERMINATE"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One thing validation found, with a stable code and where it is."""

    code: str
    severity: Severity
    message: str
    hint: str = ""
    location: str | None = None
    layer: str = "format"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "layer": self.layer,
            "message": self.message,
        }
        if self.hint:
            out["hint"] = self.hint
        if self.location:
            out["location"] = self.location
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentReport:
    """The result of validating one document."""

    source: str
    format: str | None
    sha256: str | None
    findings: tuple[Finding, ...]
    certificate: Certificate | None = None

    @property
    def verdict(self) -> Verdict:
        if any(f.severity is Severity.ERROR for f in self.findings):
            return Verdict.INVALID
        return Verdict.VALID

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "verdict": self.verdict.value}
        if self.format:
            out["format"] = self.format
        if self.sha256:
            out["sha256"] = self.sha256
        if self.certificate is not None:
            cert = self.certificate
            out["document"] = {
                "id": cert.id,
                "number": cert.number.value,
                "type": cert.document_type.value,
                "issuer": cert.issuer.name,
            }
        out["findings"] = [f.as_dict() for f in self.findings]
        return out
