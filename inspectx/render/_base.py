"""The error every rendering failure raises (codes ``render.*``, docs/error-codes.md)."""

from __future__ import annotations

from inspectx.errors import InspectxError

__all__ = ["RenderError"]


class RenderError(InspectxError):
    """A page could not be rendered as asked (unknown language, bad QR URL, no PDF support)."""
