"""Input limits, passed explicitly to every parser (never a global)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Caps applied before and during parsing of untrusted input.

    The defaults admit any realistic certificate (a 200-line certificate is
    about 200 KB) with a wide margin, and reject hostile inputs in well under a
    second.
    """

    max_bytes: int = 20 * 1024 * 1024
    max_depth: int = 64
    max_elements: int = 500_000
    max_attributes: int = 64  # per element
    max_findings: int = 100  # per document: a broken document need not list each defect


DEFAULT_LIMITS = Limits()
