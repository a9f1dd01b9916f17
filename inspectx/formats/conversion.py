"""What a conversion to or from another format kept, flattened or dropped.

Converting into a narrower format (UN/CEFACT SPS eCert XML, a UNTP conformity
credential) can lose structure: an uncertainty SPS has no field for, a decimal UNTP
writes as a JSON number. Adapters never lose it silently: each returns its output with
the list of :class:`Loss` entries, and a caller that wants no loss at all asks
:func:`require_lossless` to turn any entry into a typed error (``convert --strict``).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from inspectx.errors import InspectxError
from inspectx.model import Certificate

__all__ = ["ConversionLoss", "Exported", "Imported", "Loss", "LossKind", "require_lossless"]


class LossKind(enum.StrEnum):
    FLATTENED = "flattened"  # kept, but as text or a coarser value (e.g. results as text)
    DROPPED = "dropped"  # not carried at all


@dataclass(frozen=True, slots=True, kw_only=True)
class Loss:
    """One field a conversion flattened or dropped.

    ``field`` locates it in the document converted *from*: a JSON Pointer into the
    inspectx certificate for an export (``/tests/2/results/0/uncertainty``), an XPath or
    JSON Pointer into the foreign document for an import.
    """

    field: str
    kind: LossKind
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "kind": self.kind.value, "reason": self.reason}


@dataclass(frozen=True, slots=True, kw_only=True)
class Exported:
    """A certificate written in another format, and what that format could not hold."""

    data: bytes
    losses: tuple[Loss, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Imported:
    """A certificate read from another format, and what the model could not hold."""

    certificate: Certificate
    losses: tuple[Loss, ...]


_VERB = {LossKind.FLATTENED: "flatten", LossKind.DROPPED: "drop"}


class ConversionLoss(InspectxError):
    """A conversion would lose data and the caller asked for none (code ``convert.lossy``)."""


def require_lossless(losses: Sequence[Loss], target: str) -> None:
    """Raise :class:`ConversionLoss` if ``losses`` is not empty."""
    if losses:
        first = losses[0]
        more = f" (and {len(losses) - 1} more)" if len(losses) > 1 else ""
        raise ConversionLoss(
            "convert.lossy",
            f"converting to {target} would {_VERB[first.kind]} {first.field}: {first.reason}{more}",
            hint="drop --strict to convert anyway; the conversion report lists every loss",
            location=first.field,
        )
