"""Findings and per-document reports: what validation found, for people and machines."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from inspectx.model import Certificate

__all__ = ["DocumentReport", "Finding", "PackOutcome", "RuleOutcome", "Severity", "Verdict"]


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
class RuleOutcome:
    """One rule of a rule pack, evaluated: PASSED, FAILED, OPEN or NOT_APPLICABLE."""

    rule_id: str
    version: str
    status: str
    description: str
    affected_fields: tuple[str, ...] = ()
    source: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.rule_id,
            "version": self.version,
            "status": self.status,
            "description": self.description,
            "affectedFields": list(self.affected_fields),
        }
        if self.source:
            out["source"] = self.source
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PackOutcome:
    """A destination-market rule pack evaluated against one certificate."""

    pack_id: str
    version: str
    market: str
    rules: tuple[RuleOutcome, ...]

    @property
    def status(self) -> str:
        """failed if any rule FAILED, else indeterminate if any is OPEN, else passed."""
        statuses = {r.status for r in self.rules}
        if "FAILED" in statuses:
            return "failed"
        if "OPEN" in statuses:
            return "indeterminate"
        return "passed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.pack_id,
            "version": self.version,
            "market": self.market,
            "status": self.status,
            "rules": [r.as_dict() for r in self.rules],
        }


_LAYERS = ("format", "schema", "model", "rules")


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentReport:
    """The result of validating one document.

    ``layers`` lists the layers that ran, in order (a layer after a failed one
    does not run and is reported as skipped). ``certificate_data`` is the
    certificate's JSON data once the model layer passed (shared, not to be
    modified); :attr:`certificate` is the model, bound from it on first use.
    """

    source: str
    format: str | None
    sha256: str | None
    findings: tuple[Finding, ...]
    certificate_data: Any = field(default=None, repr=False, compare=False)
    layers: tuple[str, ...] = ("format", "schema", "model")
    packs: tuple[PackOutcome, ...] = ()
    _model: Certificate | None = field(default=None, repr=False, compare=False)

    @property
    def certificate(self) -> Certificate | None:
        """The model of the certificate; None where the model layer did not pass.
        Bound on first use where validation did not need it: the model layer
        checked every value it will hold, so this cannot fail."""
        if self.certificate_data is None:
            return None
        model = self._model
        if model is None:
            from inspectx.formats.certificate import certificate_from_valid_data

            model = certificate_from_valid_data(self.certificate_data)
            object.__setattr__(self, "_model", model)  # a cache: fixed by certificate_data
        return model

    @property
    def verdict(self) -> Verdict:
        if any(f.severity is Severity.ERROR for f in self.findings):
            return Verdict.INVALID
        statuses = {p.status for p in self.packs}
        if "failed" in statuses:
            return Verdict.INVALID
        if "indeterminate" in statuses:
            return Verdict.INDETERMINATE
        return Verdict.VALID

    def checks(self) -> list[dict[str, str]]:
        """Each layer and pack as a check: passed, failed, indeterminate or skipped."""
        out = []
        failed_before = False
        for layer in (*_LAYERS, *(p for p in self.layers if p not in _LAYERS)):
            if layer not in self.layers or failed_before:
                out.append({"id": layer, "status": "skipped"})
                continue
            errors = [f for f in self.findings if f.layer == layer and f.severity is Severity.ERROR]
            out.append({"id": layer, "status": "failed" if errors else "passed"})
            failed_before = failed_before or (bool(errors) and layer != "rules")
        out += [{"id": f"pack:{p.pack_id}", "status": p.status} for p in self.packs]
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "verdict": self.verdict.value}
        if self.format:
            out["format"] = self.format
        if self.sha256:
            out["sha256"] = self.sha256
        data = self.certificate_data
        if data is not None:
            out["document"] = {
                "id": data["id"],
                "number": data["number"]["value"],
                "type": data["documentType"],
                "issuer": data["issuer"]["name"],
            }
        out["checks"] = self.checks()
        out["findings"] = [f.as_dict() for f in self.findings]
        if self.packs:
            out["packs"] = [p.as_dict() for p in self.packs]
        return out
