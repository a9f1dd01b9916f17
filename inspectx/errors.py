"""The one error hierarchy of inspectx.

Every rejection carries a stable machine-readable ``code`` (documented in
``docs/error-codes.md``), a human ``message``, a ``hint`` saying what to do,
and where known a ``location``: a JSON Pointer for JSON input, an XPath with a
line number for XML input.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "InspectxError",
    "LimitExceeded",
    "ModelError",
    "OutputError",
    "SchemaInvalid",
]


class InspectxError(Exception):
    """Root of every error inspectx raises on purpose."""

    code: str
    message: str
    hint: str
    location: str | None

    def __init__(
        self, code: str, message: str, *, hint: str = "", location: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.location = location

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"{self.code}: {self.message}{where}"

    def as_dict(self) -> dict[str, str]:
        """The error as a JSON-ready mapping (absent members left out)."""
        out = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.location:
            out["location"] = self.location
        return out


class InputError(InspectxError):
    """The input bytes are not a well-formed, acceptable document (layer 1, format)."""


class LimitExceeded(InputError):
    """The input exceeds a configured size, depth or count limit."""


class SchemaInvalid(InspectxError):
    """The document does not conform to its published schema (layer 2).

    ``findings`` holds every schema violation found, not only the first.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        hint: str = "",
        location: str | None = None,
        findings: tuple[object, ...] = (),
    ) -> None:
        super().__init__(code, message, hint=hint, location=location)
        self.findings = findings


class ModelError(InspectxError):
    """A value cannot be represented in the canonical model (e.g. 30 February)."""


class OutputError(InspectxError):
    """An output could not be written safely (exists, is an input, disk full)."""
