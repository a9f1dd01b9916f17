"""CertLogic: the JsonLogic subset of the EU Digital COVID Certificate business rules.

:func:`evaluate` runs a CertLogic expression against JSON-like data;
:func:`validate_expression` (and :func:`expression_issues`, which also says
where) checks an expression statically. Both follow the CertLogic
specification as pinned down by its official test suites (``testSuite/`` and
``validation-testSuite/`` of ehn-dcc-development/eu-dcc-business-rules).

Operations
----------
``{"var": "a.0.b"}``
    Data access by a dotted path; integer fragments index arrays; ``""`` is the
    whole data. Anything missing or not drillable yields ``null`` (``None``).
``{"if": [guard, then, else]}``
    Exactly three operands; only the chosen branch is evaluated.
``{"and": [a, b, ...]}``
    At least two operands, evaluated lazily: the first falsy value, else the
    last value.
``{"!": [a]}``
    ``True`` when ``a`` is falsy.
``{"===": [a, b]}``
    Strict equality without type coercion (``1`` and ``"1"`` differ, so do
    ``1`` and ``true``). Defined on ``null``, booleans, integers and strings;
    an array, object or date-time operand is an evaluation error.
``{"in": [a, array]}``
    Membership by ``===``; the right-hand side must evaluate to an array.
``{"+": [a, b]}``
    Integer addition; both operands must be integers.
``{"<": [a, b]}``, ``>``, ``<=``, ``>=``
    Two operands, or three for "between" (``a < b < c``). Operands must all be
    integers, or all date-times.
``{"after": [a, b]}``, ``before``, ``not-after``, ``not-before``
    Date-time comparisons (two or three operands); operands must be date-times,
    i.e. results of ``plusTime`` or ``dccDateOfBirth`` (a string is not one).
``{"plusTime": [operand, amount, unit]}``
    Parses ``operand`` (a string) as a date-time and adds the integer literal
    ``amount`` of ``unit`` (``"year"``, ``"month"``, ``"day"`` or ``"hour"``).
``{"reduce": [operand, lambda, initial]}``
    Folds the array ``operand`` with ``lambda`` evaluated on the data
    ``{"accumulator": ..., "current": ...}`` (the lambda does not see the outer
    data); a ``null`` operand yields ``initial``.
``{"extractFromUVCI": [operand, index]}``
    The ``index``-th fragment of a UVCI (optional ``URN:UVCI:`` prefix removed,
    split on ``/``, ``#`` and ``:``), or ``null`` when the operand is ``null``
    or the index is out of range.
``{"dccDateOfBirth": [operand]}``
    A DCC date of birth (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) as a
    date-time; partial dates are completed to their last day.

Anything else (``!==``, ``or``, ``map``, ``var`` with a default, ...) is not
CertLogic and is rejected. A ``null`` literal is not a valid expression
(data may contain ``null``).

Truthiness
----------
Falsy: ``false``, ``null``, ``0``, ``""``, ``[]`` and ``{}`` (also a zero
:class:`~decimal.Decimal`); everything else is truthy, including ``"0"``,
``[0]`` and every date-time.

Date-times
----------
A date-time string is ``YYYY-MM-DDThh:mm[:ss[.fraction]][offset]`` with offset
``Z``, ``±hh:mm``, ``±hhmm`` or ``±hh``; without an offset it is UTC. A date
``YYYY-MM-DD`` is midnight UTC; partial dates ``YYYY-MM`` and ``YYYY`` mean the
last day of that month or year (this is how the suites treat DCC dates of
birth). Fractions finer than a microsecond are truncated. Date-time values are
returned as timezone-aware :class:`datetime.datetime` in UTC.
``plusTime`` adds hours and days as exact durations, and months and years on
the calendar in UTC; when the target day does not exist the result is the last
day of the target month (29 February plus one year is 28 February, 31 January
plus one month is 28 or 29 February). The suites do not pin this case down;
this is ``java.time``'s rule.

Numbers
-------
CertLogic only has integers. A JSON number written with a fraction or an
exponent that is nevertheless an integer (``42.0``) counts as that integer;
any other ``float`` is rejected in an expression and is an evaluation error
where a number is compared, because binary floating point cannot compare
exactly.

inspectx extension (beyond CertLogic)
-------------------------------------
The comparisons ``<``, ``>``, ``<=``, ``>=`` and ``===`` also accept
:class:`decimal.Decimal` operands (load JSON with ``parse_float=Decimal``) and
compare them exactly; an ``int`` and a ``Decimal`` compare numerically
(``Decimal("0.050") === Decimal("0.05")`` and ``Decimal("2.0") === 2`` are
true). A string that looks like a number is never converted: ``"0.05"`` is not
equal to ``Decimal("0.05")``, and ordering a string is an evaluation error.
Finite ``Decimal`` literals are accepted in expressions for the same reason.
Non-finite decimals (NaN, infinities) are rejected.

Errors and limits
-----------------
Every failure is a :class:`CertLogicError`: code ``rules.logic-invalid`` for an
ill-formed expression (found statically, before anything is evaluated, so a
malformed branch that would not be taken is still rejected), and
``rules.logic-error`` for a well-formed expression that cannot be evaluated on
the given data (e.g. ``plusTime`` of an empty string, ``in`` on a non-array).
``location`` is the JSON Pointer of the offending node in the expression.
Expressions nested deeper than :data:`MAX_DEPTH` levels are rejected; nothing
is ever passed to Python's ``eval``.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final

from inspectx.errors import InspectxError

__all__ = [
    "LOGIC_ERROR",
    "LOGIC_INVALID",
    "MAX_DEPTH",
    "OPERATORS",
    "CertLogicError",
    "ExpressionIssue",
    "evaluate",
    "expression_issues",
    "is_truthy",
    "validate_expression",
]

LOGIC_INVALID: Final = "rules.logic-invalid"
LOGIC_ERROR: Final = "rules.logic-error"
MAX_DEPTH: Final = 64
"""Deepest nesting of arrays and operations an expression may have (the root is level 0)."""

_MAX_SAFE_INTEGER: Final = 2**53 - 1
_TIME_UNITS: Final = ("year", "month", "day", "hour")
_COMPARISONS: Final = frozenset({"<", ">", "<=", ">="})
_DATE_COMPARISONS: Final = {"after": ">", "before": "<", "not-after": "<=", "not-before": ">="}
_UVCI_PREFIX: Final = "URN:UVCI:"

# operator -> (fewest operands, most operands)
_ARITY: Final[dict[str, tuple[int, int | None]]] = {
    "if": (3, 3),
    "and": (2, None),
    "!": (1, 1),
    "===": (2, 2),
    "in": (2, 2),
    "+": (2, 2),
    **{op: (2, 3) for op in sorted(_COMPARISONS)},
    **{op: (2, 3) for op in _DATE_COMPARISONS},
    "plusTime": (3, 3),
    "reduce": (3, 3),
    "extractFromUVCI": (2, 2),
    "dccDateOfBirth": (1, 1),
}
OPERATORS: Final = frozenset({"var", *_ARITY})
"""Every operator CertLogic defines (and inspectx evaluates)."""

_PATH = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_INDEX = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", re.ASCII)
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.ASCII,
)
_UVCI_SEPARATORS = re.compile(r"[/#:]")

# an operation's implementation: (operand expressions, data, JSON Pointer, depth) -> value
_Handler = Callable[[list[Any], Any, str, int], Any]


class CertLogicError(InspectxError):
    """A CertLogic expression is ill-formed (``rules.logic-invalid``) or fails to evaluate
    (``rules.logic-error``); ``location`` is the JSON Pointer of the node in the expression."""


@dataclass(frozen=True, slots=True)
class ExpressionIssue:
    """One problem found by static validation."""

    expr: Any
    """The offending (sub-)expression."""
    message: str
    """What is wrong, worded as in the CertLogic validation test suite where it has a case."""
    location: str
    """JSON Pointer of ``expr`` inside the validated expression (``""`` for the root)."""


# --------------------------------------------------------------------------- helpers


def _pointer(parent: str, token: str | int) -> str:
    text = str(token).replace("~", "~0").replace("/", "~1")
    return f"{parent}/{text}"


def _show(value: Any) -> str:
    """A short, always-formattable description of ``value`` for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else "a very large integer"
    if isinstance(value, float | Decimal):
        text = str(value)
        return text if len(text) <= 40 else f"a {type(value).__name__}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a Python {type(value).__name__}"


def _integral_float(value: float) -> int | None:
    """``value`` as an int when it is a JSON integer written with a fraction or exponent."""
    if math.isfinite(value) and value.is_integer() and abs(value) <= _MAX_SAFE_INTEGER:
        return int(value)
    return None


def _number(value: Any) -> int | Decimal | None:
    """``value`` as an exact number (int, finite Decimal, integral float), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return _integral_float(value)
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_truthy(value: Any) -> bool:
    """CertLogic truthiness of an evaluated value.

    Returns ``False`` for ``false``, ``null``, ``0`` (and zero as a float or
    :class:`~decimal.Decimal`, and NaN), ``""``, an empty array and an empty
    object; ``True`` for everything else, including every date-time.

    Raises :class:`CertLogicError` (``rules.logic-error``) for a value that is
    not JSON-like (e.g. a Python ``set``).
    """
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int):
        return value != 0
    if isinstance(value, Decimal):
        return not (value.is_nan() or value.is_zero())  # NaN is falsy, as in JavaScript
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, str | list | Mapping):
        return len(value) > 0
    if isinstance(value, datetime):
        return True
    raise CertLogicError(
        LOGIC_ERROR,
        f"{_show(value)} is not a JSON value, so it has no truthiness",
        hint="pass data as parsed JSON (dict, list, str, int, bool, None, Decimal)",
    )


# --------------------------------------------------------------------------- validation


def expression_issues(expression: Any) -> list[ExpressionIssue]:
    """Statically validate ``expression`` and say where each problem is.

    Returns every problem found (in document order, an operation's own problem
    before those of its operands), or an empty list when ``expression`` is a
    well-formed CertLogic expression. Never raises for any input; parts nested
    deeper than :data:`MAX_DEPTH` are reported, not descended into.
    """
    issues: list[ExpressionIssue] = []
    _check(expression, "", 0, issues)
    return issues


def validate_expression(expression: Any) -> list[str]:
    """Statically validate ``expression`` as the CertLogic validation test suite expects.

    Returns the messages of :func:`expression_issues` (empty when the
    expression is valid). Never raises.
    """
    return [issue.message for issue in expression_issues(expression)]


def _check(expr: Any, where: str, depth: int, out: list[ExpressionIssue]) -> None:
    def issue(message: str) -> None:
        out.append(ExpressionIssue(expr, message, where))

    if depth > MAX_DEPTH:
        issue(f"expression nested deeper than {MAX_DEPTH} levels")
        return
    if expr is None:
        issue("invalid CertLogic expression")
    elif isinstance(expr, bool | int | str):
        return
    elif isinstance(expr, float):
        if math.isfinite(expr) and expr.is_integer():
            if _integral_float(expr) is None:
                issue(f"{_show(expr)} is beyond the exactly representable integers (2^53-1)")
        else:
            issue(f"{_show(expr)} is a non-integer number")
    elif isinstance(expr, Decimal):
        if not expr.is_finite():
            issue(f"{_show(expr)} is not a finite number")
    elif isinstance(expr, list):
        for index, item in enumerate(expr):
            _check(item, _pointer(where, index), depth + 1, out)
    elif isinstance(expr, dict):
        _check_operation(expr, where, depth, out)
    else:
        issue(f"invalid CertLogic expression: {_show(expr)} is not a JSON value")


def _check_operation(
    expr: dict[Any, Any], where: str, depth: int, out: list[ExpressionIssue]
) -> None:
    def issue(message: str) -> None:
        out.append(ExpressionIssue(expr, message, where))

    if len(expr) != 1:
        issue(f"expression object must have exactly one key, but it has {len(expr)}")
        return
    ((operator, values),) = expr.items()
    if operator == "var":
        if not isinstance(values, str):
            issue('not of the form { "var": "<path>" }')
        elif values != "" and not _PATH.fullmatch(values):
            issue(f"data access path doesn't have a valid format: {values}")
        return
    if not isinstance(values, list):
        issue('operation not of the form { "<operator>": [ <values...> ] }')
        return
    if not isinstance(operator, str) or operator not in _ARITY:
        issue(f"unrecognised operator: {_show(operator)}")
        return
    fewest, most = _ARITY[operator]
    count = len(values)
    if most is None and count < fewest:
        issue(
            f'the "{operator}" operation must have at least {fewest} operands, but it has {count}'
        )
    elif most is not None and not fewest <= count <= most:
        expected = f"exactly {fewest}" if fewest == most else f"{fewest} or {most}"
        noun = "operand" if most == 1 else "operands"
        issue(f'the "{operator}" operation must have {expected} {noun}, but it has {count}')
    literal_positions: set[int] = set()
    if operator == "plusTime":
        literal_positions = {1, 2}
        if count > 1 and not _is_int(values[1]):
            issue(f'the amount (2nd operand) of "plusTime" must be an integer: {_show(values[1])}')
        if count > 2 and values[2] not in _TIME_UNITS:
            units = ", ".join(f'"{unit}"' for unit in _TIME_UNITS)
            issue(
                f'the unit (3rd operand) of "plusTime" must be one of {units}: {_show(values[2])}'
            )
    elif operator == "extractFromUVCI":
        literal_positions = {1}
        if count > 1 and not _is_int(values[1]):
            issue(
                f'the index (2nd operand) of "extractFromUVCI" must be an integer: '
                f"{_show(values[1])}"
            )
    for index, value in enumerate(values):
        if index not in literal_positions:
            _check(value, _pointer(_pointer(where, operator), index), depth + 1, out)


# --------------------------------------------------------------------------- evaluation


def evaluate(expression: Any, data: Any) -> Any:
    """Evaluate the CertLogic ``expression`` on ``data`` (parsed JSON).

    Returns the value of the expression: a JSON-like value taken from the
    expression or the data, a ``bool`` or ``int`` computed by an operation, or
    a timezone-aware UTC :class:`~datetime.datetime` from ``plusTime`` or
    ``dccDateOfBirth``.

    Raises :class:`CertLogicError` with code ``rules.logic-invalid`` when the
    expression is ill-formed (checked in full before evaluating, see
    :func:`expression_issues`), and with code ``rules.logic-error`` when an
    operation cannot be applied to the values it gets. Never raises anything
    else.
    """
    issues = expression_issues(expression)
    if issues:
        first = issues[0]
        more = f" (and {len(issues) - 1} more problem(s))" if len(issues) > 1 else ""
        raise CertLogicError(
            LOGIC_INVALID,
            f"{first.message}{more}",
            hint="fix the expression; validate_expression lists every problem",
            location=first.location or None,
        )
    return _eval(expression, data, "", 0)


def _fail(message: str, where: str, hint: str = "") -> CertLogicError:
    return CertLogicError(LOGIC_ERROR, message, hint=hint, location=where or None)


def _eval(expr: Any, data: Any, where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:  # unreachable after validation; kept as a hard guard
        raise CertLogicError(
            LOGIC_INVALID, f"expression nested deeper than {MAX_DEPTH} levels", location=where
        )
    if isinstance(expr, list):
        return [_eval(item, data, _pointer(where, i), depth + 1) for i, item in enumerate(expr)]
    if isinstance(expr, dict):
        ((operator, values),) = expr.items()
        if operator == "var":
            return _var(data, values)
        handler = _HANDLERS.get(operator)
        if handler is None or not isinstance(values, list):  # pragma: no cover - validated
            raise CertLogicError(
                LOGIC_INVALID, f"unrecognised operator: {_show(operator)}", location=where or None
            )
        return handler(values, data, where, depth)
    if isinstance(expr, float):
        return _integral_float(expr)
    return expr


def _operand(values: list[Any], index: int, data: Any, where: str, depth: int, op: str) -> Any:
    return _eval(values[index], data, _pointer(_pointer(where, op), index), depth + 1)


def _var(data: Any, path: str) -> Any:
    if path == "":
        return data
    current = data
    for fragment in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(fragment)
        elif isinstance(current, list):
            if not _INDEX.fullmatch(fragment):
                return None
            position = int(fragment)
            current = current[position] if position < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


def _op_if(values: list[Any], data: Any, where: str, depth: int) -> Any:
    guard = _operand(values, 0, data, where, depth, "if")
    return _operand(values, 1 if is_truthy(guard) else 2, data, where, depth, "if")


def _op_and(values: list[Any], data: Any, where: str, depth: int) -> Any:
    result: Any = None
    for index in range(len(values)):
        result = _operand(values, index, data, where, depth, "and")
        if not is_truthy(result):
            return result
    return result


def _op_not(values: list[Any], data: Any, where: str, depth: int) -> Any:
    return not is_truthy(_operand(values, 0, data, where, depth, "!"))


_Scalar = None | bool | int | str | Decimal


def _scalar(value: Any, operator: str, where: str) -> _Scalar:
    """``value`` as a value ``===`` is defined on, or raise."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
    elif isinstance(value, float):
        as_int = _integral_float(value)
        if as_int is not None:
            return as_int
        raise _fail(
            f'"{operator}" cannot compare the floating-point number {_show(value)} exactly',
            where,
            hint="parse JSON with parse_float=decimal.Decimal",
        )
    raise _fail(
        f'"{operator}" is only defined on null, booleans, integers, decimals and strings, '
        f"not on {_show(value)}",
        where,
        hint="compare date-times with after/before/not-after/not-before",
    )


def _same(left: _Scalar, right: _Scalar) -> bool:
    if left is None or right is None:
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    return left == right  # int and Decimal: exact numeric equality


def _op_equal(values: list[Any], data: Any, where: str, depth: int) -> Any:
    left = _scalar(_operand(values, 0, data, where, depth, "==="), "===", where)
    right = _scalar(_operand(values, 1, data, where, depth, "==="), "===", where)
    return _same(left, right)


def _op_in(values: list[Any], data: Any, where: str, depth: int) -> Any:
    needle = _scalar(_operand(values, 0, data, where, depth, "in"), "in", where)
    haystack = _operand(values, 1, data, where, depth, "in")
    if not isinstance(haystack, list):
        raise _fail(
            f'the right-hand side of an "in" operation must be an array, not {_show(haystack)}',
            where,
            hint='guard the operation, e.g. {"if": [{"var": "y"}, {"in": [...]}, false]}',
        )
    # an array, object or date-time element can never be === to a scalar needle
    return any(
        _same(needle, _scalar(item, "in", where))
        for item in haystack
        if not isinstance(item, list | Mapping | datetime)
    )


def _op_plus(values: list[Any], data: Any, where: str, depth: int) -> Any:
    operands = [_operand(values, i, data, where, depth, "+") for i in range(2)]
    numbers: list[int] = []
    for value in operands:
        number = _number(value)
        if not isinstance(number, int):
            raise _fail(f'the operands of "+" must be integers, not {_show(value)}', where)
        numbers.append(number)
    return numbers[0] + numbers[1]


def _ordered(values: list[Any], operator: str) -> bool:
    test: Callable[[Any, Any], bool] = {
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }[operator]
    return all(test(values[i], values[i + 1]) for i in range(len(values) - 1))


def _op_compare(operator: str) -> _Handler:
    def handler(values: list[Any], data: Any, where: str, depth: int) -> Any:
        operands = [_operand(values, i, data, where, depth, operator) for i in range(len(values))]
        if all(isinstance(value, datetime) for value in operands):
            return _ordered([_aware(value, operator, where) for value in operands], operator)
        numbers: list[int | Decimal] = []
        for value in operands:
            if isinstance(value, float) and _integral_float(value) is None:
                _scalar(value, operator, where)  # raises: floats do not compare exactly
            number = _number(value)
            if number is None:
                raise _fail(
                    f'the operands of "{operator}" must all be integers (or decimals), '
                    f"or all date-times; got {_show(value)}",
                    where,
                    hint="a string is never converted to a number or a date-time",
                )
            numbers.append(number)
        return _ordered(numbers, operator)

    return handler


def _aware(value: datetime, operator: str, where: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise _fail(f'"{operator}" cannot compare a date-time without a time zone', where)
    return value


def _op_date_compare(operator: str) -> _Handler:
    def handler(values: list[Any], data: Any, where: str, depth: int) -> Any:
        operands = [_operand(values, i, data, where, depth, operator) for i in range(len(values))]
        for value in operands:
            if not isinstance(value, datetime):
                raise _fail(
                    f'all operands of "{operator}" must be date-times, but one is {_show(value)}',
                    where,
                    hint='make date-times with plusTime: {"plusTime": [{"var": "d"}, 0, "day"]}',
                )
        aware = [_aware(value, operator, where) for value in operands]
        return _ordered(aware, _DATE_COMPARISONS[operator])

    return handler


def _date_end(year: int, month: int | None, day: int | None) -> datetime:
    """Midnight UTC of a (partial) date, completed to its last day; raises ValueError."""
    if month is None:
        month, day = 12, 31
    elif day is None:
        if not 1 <= month <= 12:
            raise ValueError("month out of range")
        day = calendar.monthrange(year, month)[1]
    return datetime(year, month, day, tzinfo=UTC)


def _parse_date_time(text: str) -> datetime | None:
    """A CertLogic date-time string as an aware UTC datetime, or None if it is not one."""
    try:
        match = _PARTIAL_DATE.fullmatch(text)
        if match:
            year, month, day = match.groups()
            return _date_end(int(year), int(month) if month else None, int(day) if day else None)
        match = _DATE_TIME.fullmatch(text)
        if not match:
            return None
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        zone = UTC
        if offset and offset not in "Zz":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + int(digits[2:] or "0")
            if int(digits[2:] or "0") > 59:
                return None
            zone = timezone(sign * timedelta(minutes=minutes))
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or "0"),
            micro,
            tzinfo=zone,
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _plus(moment: datetime, amount: int, unit: str) -> datetime:
    """``moment`` plus ``amount`` ``unit``s; raises ValueError or OverflowError out of range."""
    if unit == "hour":
        return moment + timedelta(hours=amount)
    if unit == "day":
        return moment + timedelta(days=amount)
    months = amount * (12 if unit == "year" else 1)
    total = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise ValueError("year out of range")
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _op_plus_time(values: list[Any], data: Any, where: str, depth: int) -> Any:
    operand = _operand(values, 0, data, where, depth, "plusTime")
    amount, unit = values[1], values[2]
    if not isinstance(operand, str):
        raise _fail(
            f'the operand of "plusTime" must be a date-time string, not {_show(operand)}',
            where,
            hint="guard optional values, e.g. with and",
        )
    moment = _parse_date_time(operand)
    if moment is None:
        raise _fail(
            f'the operand of "plusTime" is not a date or date-time: {_show(operand)}',
            where,
            hint="use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm]",
        )
    try:
        return _plus(moment, amount, unit)
    except (ValueError, OverflowError):
        raise _fail('"plusTime" leaves the supported range of years (1-9999)', where) from None


def _op_reduce(values: list[Any], data: Any, where: str, depth: int) -> Any:
    operand = _operand(values, 0, data, where, depth, "reduce")
    if operand is None:
        return _operand(values, 2, data, where, depth, "reduce")
    if not isinstance(operand, list):
        raise _fail(
            f'the operand of "reduce" must be an array or null, not {_show(operand)}', where
        )
    accumulator = _operand(values, 2, data, where, depth, "reduce")
    for current in operand:
        accumulator = _operand(
            values, 1, {"accumulator": accumulator, "current": current}, where, depth, "reduce"
        )
    return accumulator


def _op_extract_from_uvci(values: list[Any], data: Any, where: str, depth: int) -> Any:
    operand = _operand(values, 0, data, where, depth, "extractFromUVCI")
    index = values[1]
    if operand is None:
        return None
    if not isinstance(operand, str):
        raise _fail(
            f'the operand of "extractFromUVCI" must be a string or null, not {_show(operand)}',
            where,
        )
    text = operand.removeprefix(_UVCI_PREFIX)
    fragments = _UVCI_SEPARATORS.split(text)
    return fragments[index] if 0 <= index < len(fragments) else None


def _op_dcc_date_of_birth(values: list[Any], data: Any, where: str, depth: int) -> Any:
    operand = _operand(values, 0, data, where, depth, "dccDateOfBirth")
    if not isinstance(operand, str):
        raise _fail(
            f'the operand of "dccDateOfBirth" must be a string, not {_show(operand)}', where
        )
    match = _PARTIAL_DATE.fullmatch(operand)
    try:
        if match:
            year, month, day = match.groups()
            return _date_end(int(year), int(month) if month else None, int(day) if day else None)
    except ValueError:
        pass
    raise _fail(
        f'"dccDateOfBirth" needs a date of birth YYYY-MM-DD, YYYY-MM or YYYY, not {_show(operand)}',
        where,
        hint="an empty date of birth must be guarded, e.g. with and",
    )


_HANDLERS: Final[dict[str, _Handler]] = {
    "if": _op_if,
    "and": _op_and,
    "!": _op_not,
    "===": _op_equal,
    "in": _op_in,
    "+": _op_plus,
    **{op: _op_compare(op) for op in sorted(_COMPARISONS)},
    **{op: _op_date_compare(op) for op in _DATE_COMPARISONS},
    "plusTime": _op_plus_time,
    "reduce": _op_reduce,
    "extractFromUVCI": _op_extract_from_uvci,
    "dccDateOfBirth": _op_dcc_date_of_birth,
}
