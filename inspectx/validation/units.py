"""UN/ECE Recommendation 20 unit codes used in inspection reports, and exact conversion.

Only the codes that inspection reports actually use are listed (mass fractions,
concentrations, masses, volumes, lengths, times, counts, temperature). Each has a
dimension and a factor to that dimension's reference unit, as an exact decimal
string, so that converting ``mg/kg`` to ``µg/kg`` is exact and ``0.050 mg/kg``
compares correctly with a limit of ``50 µg/kg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, Inexact, localcontext

__all__ = ["UNITS", "Unit", "convert", "is_commensurable"]


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    symbol: str
    dimension: str
    factor: Decimal  # value in this unit x factor = value in the dimension's reference unit


def _u(code: str, name: str, symbol: str, dimension: str, factor: str) -> Unit:
    return Unit(code, name, symbol, dimension, Decimal(factor))


# Reference units: ratio (1, i.e. kg/kg), g/L, g, L, m, s, count (1), °C.
UNITS: dict[str, Unit] = {
    u.code: u
    for u in (
        _u("C62", "one", "1", "ratio", "1"),
        _u("P1", "percent", "%", "ratio", "0.01"),
        _u("59", "part per million", "ppm", "ratio", "0.000001"),
        _u("61", "part per billion", "ppb", "ratio", "0.000000001"),
        _u("NA", "milligram per kilogram", "mg/kg", "ratio", "0.000001"),
        _u("J33", "microgram per kilogram", "µg/kg", "ratio", "0.000000001"),
        _u("GL", "gram per litre", "g/L", "mass-concentration", "1"),
        _u("M1", "milligram per litre", "mg/L", "mass-concentration", "0.001"),
        _u("H29", "microgram per litre", "µg/L", "mass-concentration", "0.000001"),
        _u("KMQ", "kilogram per cubic metre", "kg/m³", "mass-concentration", "1"),
        _u("TNE", "tonne", "t", "mass", "1000000"),
        _u("KGM", "kilogram", "kg", "mass", "1000"),
        _u("GRM", "gram", "g", "mass", "1"),
        _u("MGM", "milligram", "mg", "mass", "0.001"),
        _u("MC", "microgram", "µg", "mass", "0.000001"),
        _u("MTQ", "cubic metre", "m³", "volume", "1000"),
        _u("LTR", "litre", "L", "volume", "1"),
        _u("MLT", "millilitre", "mL", "volume", "0.001"),
        _u("MTR", "metre", "m", "length", "1"),
        _u("CMT", "centimetre", "cm", "length", "0.01"),
        _u("MMT", "millimetre", "mm", "length", "0.001"),
        _u("DAY", "day", "d", "time", "86400"),
        _u("HUR", "hour", "h", "time", "3600"),
        _u("MIN", "minute", "min", "time", "60"),
        _u("SEC", "second", "s", "time", "1"),
        _u("H87", "piece", "pce", "count", "1"),
        _u("CEL", "degree Celsius", "°C", "temperature", "1"),
    )
}


def is_commensurable(a: str, b: str) -> bool:
    """Whether two known unit codes measure the same dimension."""
    return a in UNITS and b in UNITS and UNITS[a].dimension == UNITS[b].dimension


def convert(value: Decimal, from_unit: str, to_unit: str) -> tuple[Decimal, bool]:
    """``value`` in ``from_unit`` expressed in ``to_unit``, and whether that is exact.

    Both codes must be known and commensurable (raises ``KeyError`` or
    ``ValueError`` otherwise). Conversions between decimal multiples (mg/kg to
    µg/kg, % to mg/kg) are always exact; a conversion such as seconds to
    minutes may not be, and the flag says so.
    """
    source, target = UNITS[from_unit], UNITS[to_unit]
    if source.dimension != target.dimension:
        raise ValueError(f"{from_unit} ({source.dimension}) and {to_unit} ({target.dimension})")
    if source is target:
        return value, True
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.traps[Inexact] = False
        ctx.clear_flags()
        result = value * source.factor / target.factor
        exact = not ctx.flags[Inexact]
    return result, exact
