"""CertLogic: the official EU DCC suites (interop), each operator, the Decimal extension, limits."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspectx.errors import InspectxError
from inspectx.validation.certlogic import (
    MAX_DEPTH,
    OPERATORS,
    CertLogicError,
    evaluate,
    expression_issues,
    is_truthy,
    validate_expression,
)
from tests.conftest import SHARED_REFERENCE

CERTLOGIC = Path("eu-dcc") / "certlogic"
SUITE_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --------------------------------------------------------------------------- official suites


def _same_json(left: Any, right: Any) -> bool:
    """JSON equality without Python's coercions (``True != 1``, ``[] != {}``)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, list) or isinstance(right, list):
        return (
            isinstance(left, list)
            and isinstance(right, list)
            and len(left) == len(right)
            and all(_same_json(a, b) for a, b in zip(left, right, strict=True))
        )
    if isinstance(left, dict) or isinstance(right, dict):
        return (
            isinstance(left, dict)
            and isinstance(right, dict)
            and left.keys() == right.keys()
            and all(_same_json(left[k], right[k]) for k in left)
        )
    if left is None or right is None:
        return left is right
    if isinstance(left, str) or isinstance(right, str):
        return type(left) is type(right) and left == right
    return bool(left == right)


# what inspectx does where the official suite skips (the suite files give no reason)
SKIP_NOTES = {
    "ins-with-nulls.json": "these expect false where the right-hand side of in is null; "
    "inspectx raises rules.logic-error there, as in needs an array",
    "patched-reduce.json": "these expect a reduce whose lambda also sees the outer data; "
    "inspectx implements CertLogic reduce, whose lambda sees only accumulator and current",
}


def _directive_skip(file: str, levels: list[tuple[str, dict[str, Any]]]) -> str | None:
    for level, node in levels:
        if node.get("directive") == "skip":
            note = SKIP_NOTES.get(file)
            return f'the official suite marks this {level} with directive "skip"' + (
                f" ({note})" if note else ""
            )
    return None


def _has_only(levels: list[tuple[str, dict[str, Any]]]) -> bool:
    return any(node.get("directive") == "only" for _, node in levels)


def _select(
    entries: list[tuple[str, list[tuple[str, dict[str, Any]]], tuple[Any, ...]]],
) -> list[Any]:
    """pytest params honouring ``skip`` and ``only`` (if any entry is ``only``, run only those)."""
    any_only = any(_has_only(levels) for _, levels, _ in entries)
    params = []
    for test_id, levels, values in entries:
        reason = _directive_skip(test_id.split("::", 1)[0], levels)
        if reason is None and any_only and not _has_only(levels):
            reason = 'another part of the official suite has directive "only"'
        marks = [pytest.mark.interop] + ([pytest.mark.skip(reason=reason)] if reason else [])
        params.append(pytest.param(*values, id=test_id, marks=marks))
    return params


def _suite_files(folder: str) -> list[Path]:
    directory = SHARED_REFERENCE / CERTLOGIC / folder
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _evaluation_params() -> list[Any]:
    """One param per assertion of ``testSuite/*.json``; empty where the reference is absent."""
    entries = []
    for path in _suite_files("testSuite"):
        suite = json.loads(path.read_text("utf-8"))
        names = [case["name"] for case in suite["cases"]]
        for number, case in enumerate(suite["cases"]):
            name = case["name"] if names.count(case["name"]) == 1 else f"{case['name']} #{number}"
            for index, assertion in enumerate(case["assertions"]):
                levels = [("suite", suite), ("case", case), ("assertion", assertion)]
                expression = assertion.get("certLogicExpression", case.get("certLogicExpression"))
                values = (expression, assertion["data"], assertion["expected"])
                entries.append((f"{path.name}::{name}::{index}", levels, values))
    return _select(entries)


def _validation_params() -> list[Any]:
    """One param per case of ``validation-testSuite/*.json``; empty where it is absent."""
    entries = []
    for path in _suite_files("validation-testSuite"):
        suite = json.loads(path.read_text("utf-8"))
        for number, case in enumerate(suite["cases"]):
            name = case.get("name", f"case {number}")
            levels = [("suite", suite), ("case", case)]
            values = (case["certLogicExpression"], case["issues"])
            entries.append((f"{path.name}::{name}::{number}", levels, values))
    return _select(entries)


@pytest.mark.interop
def test_official_certlogic_suites_are_present(shared_reference: Path) -> None:
    folder = shared_reference / CERTLOGIC
    for sub in ("testSuite", "validation-testSuite"):
        files = sorted((folder / sub).glob("*.json"))
        assert files, f"no CertLogic suites in {folder / sub}"
        for path in files:
            suite = json.loads(path.read_text("utf-8"))
            assert isinstance(suite["name"], str) and isinstance(suite["cases"], list), path.name
    assert _evaluation_params() and _validation_params()


@pytest.mark.parametrize(("expression", "data", "expected"), _evaluation_params())
def test_official_evaluation_suite(
    shared_reference: Path, expression: Any, data: Any, expected: Any
) -> None:
    assert expression_issues(expression) == [], "every suite expression is valid CertLogic"
    result = evaluate(expression, data)
    assert _same_json(result, expected), f"got {result!r}, expected {expected!r}"


@pytest.mark.parametrize(("expression", "issues"), _validation_params())
def test_official_validation_suite(
    shared_reference: Path, expression: Any, issues: list[dict[str, Any]]
) -> None:
    found = expression_issues(expression)
    assert [(i.expr, i.message) for i in found] == [(i["expr"], i["message"]) for i in issues]
    assert validate_expression(expression) == [i["message"] for i in issues]
    if issues:
        with pytest.raises(CertLogicError) as info:
            evaluate(expression, {})
        assert info.value.code == "rules.logic-invalid"
        assert issues[0]["message"] in info.value.message


# --------------------------------------------------------------------------- each operator


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


V0_V1 = [{"var": "0"}, {"var": "1"}]

OPERATOR_CASES: list[tuple[str, Any, Any, Any]] = [
    # var
    ("var-whole", {"var": ""}, [1, 2], [1, 2]),
    ("var-key", {"var": "a"}, {"a": 0}, 0),
    ("var-nested", {"var": "a.1.b"}, {"a": [{}, {"b": "x"}]}, "x"),
    ("var-missing", {"var": "a.b"}, {"a": {}}, None),
    ("var-index-out-of-range", {"var": "5"}, [1], None),
    ("var-index-on-object-key", {"var": "0"}, {"0": "zero"}, "zero"),
    ("var-leading-zero-is-no-index", {"var": "01"}, [1, 2], None),
    ("var-key-on-array", {"var": "length"}, [1, 2], None),
    ("var-into-string", {"var": "a.0"}, {"a": "text"}, None),
    ("var-into-number", {"var": "a.b"}, {"a": 5}, None),
    ("var-through-null", {"var": "a.b"}, {"a": None}, None),
    (
        "var-hyphen-key",
        {"var": "external.valueSets.covid-19"},
        {"external": {"valueSets": {"covid-19": [1]}}},
        [1],
    ),
    ("var-unicode-key", {"var": "检测.值"}, {"检测": {"值": 3}}, 3),
    # if
    ("if-then", {"if": [True, "T", "F"]}, None, "T"),
    ("if-else", {"if": [{"var": "x"}, "T", "F"]}, {"x": {}}, "F"),
    ("if-lazy", {"if": [True, 1, {"plusTime": ["bad", 1, "day"]}]}, None, 1),
    # and
    ("and-last", {"and": [1, "a", [0]]}, None, [0]),
    ("and-first-falsy", {"and": [1, 0, {"plusTime": ["bad", 1, "day"]}]}, None, 0),
    # !
    ("not-object", {"!": [{"var": ""}]}, {"a": 1}, False),
    ("not-empty-object", {"!": [{"var": ""}]}, {}, True),
    # ===
    ("eq-int", {"===": [2, 2]}, None, True),
    ("eq-int-vs-bool", {"===": [1, True]}, None, False),
    ("eq-zero-vs-false", {"===": [0, False]}, None, False),
    ("eq-null-null", {"===": V0_V1}, [None, None], True),
    ("eq-null-vs-empty", {"===": V0_V1}, [None, ""], False),
    ("eq-str", {"===": ["a", "a"]}, None, True),
    ("eq-integral-float-data", {"===": [{"var": "0"}, 42]}, [42.0], True),
    # in
    ("in-found", {"in": [2, [1, 2]]}, None, True),
    ("in-no-coercion", {"in": ["1", [1, 2]]}, None, False),
    ("in-bool-vs-int", {"in": [True, [1]]}, None, False),
    ("in-skips-containers", {"in": ["a", {"var": ""}]}, [["a"], {"a": 1}, "a"], True),
    ("in-containers-never-equal", {"in": ["a", {"var": ""}]}, [["a"], {"a": 1}], False),
    ("in-null-needle", {"in": [{"var": "x"}, [1]]}, {}, False),
    # +
    ("plus", {"+": [40, 2]}, None, 42),
    ("plus-negative", {"+": [{"var": "0"}, -3]}, [1], -2),
    # comparisons
    ("lt", {"<": [1, 2]}, None, True),
    ("gt", {">": [1, 2]}, None, False),
    ("le-equal", {"<=": [2, 2]}, None, True),
    ("ge-equal", {">=": [2, 2]}, None, True),
    ("ge-between", {">=": [3, 2, 1]}, None, True),
    ("gt-between-fails", {">": [3, 2, 2]}, None, False),
    (
        "lt-date-times",
        {"<": [{"plusTime": ["2021-01-01", 0, "day"]}, {"plusTime": ["2021-01-02", 0, "day"]}]},
        None,
        True,
    ),
    # date-time comparisons
    (
        "after",
        {"after": [{"plusTime": ["2021-01-02", 0, "day"]}, {"plusTime": ["2021-01-01", 1, "day"]}]},
        None,
        False,
    ),
    (
        "not-before",
        {
            "not-before": [
                {"plusTime": ["2021-01-02", 0, "day"]},
                {"plusTime": ["2021-01-01", 1, "day"]},
            ]
        },
        None,
        True,
    ),
    (
        "before-3",
        {
            "before": [
                {"plusTime": ["2021", 0, "day"]},
                {"plusTime": ["2022-01-01", 0, "day"]},
                {"plusTime": ["2022-01-01", 1, "hour"]},
            ]
        },
        None,
        True,
    ),
    (
        "not-after-3",
        {
            "not-after": [
                {"plusTime": ["2021-01-01", 0, "day"]},
                {"plusTime": ["2021-01-01T02:00:00+02:00", 0, "day"]},
                {"plusTime": ["2021-01-01", 0, "day"]},
            ]
        },
        None,
        True,
    ),
    # plusTime
    (
        "plusTime-hour",
        {"plusTime": ["2021-06-01T00:00:00Z", 25, "hour"]},
        None,
        _dt("2021-06-02T01:00:00+00:00"),
    ),
    (
        "plusTime-day-negative",
        {"plusTime": ["2021-03-01", -1, "day"]},
        None,
        _dt("2021-02-28T00:00:00+00:00"),
    ),
    (
        "plusTime-month",
        {"plusTime": ["2021-01-15T10:00:00Z", 1, "month"]},
        None,
        _dt("2021-02-15T10:00:00+00:00"),
    ),
    (
        "plusTime-month-clamps",
        {"plusTime": ["2021-01-31", 1, "month"]},
        None,
        _dt("2021-02-28T00:00:00+00:00"),
    ),
    (
        "plusTime-month-back-over-year",
        {"plusTime": ["2021-01-31", -2, "month"]},
        None,
        _dt("2020-11-30T00:00:00+00:00"),
    ),
    (
        "plusTime-leap-day-year",
        {"plusTime": ["2020-02-29", 1, "year"]},
        None,
        _dt("2021-02-28T00:00:00+00:00"),
    ),
    (
        "plusTime-leap-day-4-years",
        {"plusTime": ["2020-02-29", 4, "year"]},
        None,
        _dt("2024-02-29T00:00:00+00:00"),
    ),
    (
        "plusTime-offset-to-utc",
        {"plusTime": ["2021-06-01T01:30:00+02:00", 0, "hour"]},
        None,
        _dt("2021-05-31T23:30:00+00:00"),
    ),
    (
        "plusTime-month-in-utc",
        {"plusTime": ["2021-02-01T01:00:00+02:00", 1, "month"]},
        None,
        _dt("2021-02-28T23:00:00+00:00"),
    ),
    (
        "plusTime-compact-offset",
        {"plusTime": ["2021-06-01T00:00:00-0530", 0, "day"]},
        None,
        _dt("2021-06-01T05:30:00+00:00"),
    ),
    (
        "plusTime-hour-offset",
        {"plusTime": ["2021-06-01T00:00:00+01", 0, "day"]},
        None,
        _dt("2021-05-31T23:00:00+00:00"),
    ),
    (
        "plusTime-naive-is-utc",
        {"plusTime": ["2021-06-01T12:00:00", 0, "day"]},
        None,
        _dt("2021-06-01T12:00:00+00:00"),
    ),
    (
        "plusTime-no-seconds",
        {"plusTime": ["2021-06-01T12:00Z", 0, "day"]},
        None,
        _dt("2021-06-01T12:00:00+00:00"),
    ),
    (
        "plusTime-fraction",
        {"plusTime": ["2021-06-01T12:00:00.123456789Z", 0, "day"]},
        None,
        _dt("2021-06-01T12:00:00.123456+00:00"),
    ),
    (
        "plusTime-year-month",
        {"plusTime": ["2020-02", 0, "day"]},
        None,
        _dt("2020-02-29T00:00:00+00:00"),
    ),
    ("plusTime-year", {"plusTime": ["2020", 0, "day"]}, None, _dt("2020-12-31T00:00:00+00:00")),
    # reduce
    (
        "reduce-sum",
        {"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 5]},
        {"xs": [1, 2]},
        8,
    ),
    (
        "reduce-empty",
        {"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, 1]}, 7]},
        {"xs": []},
        7,
    ),
    ("reduce-null", {"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, 1]}, 7]}, {}, 7),
    (
        "reduce-lambda-sees-only-its-scope",
        {"reduce": [{"var": "xs"}, {"var": "z"}, 0]},
        {"xs": [1], "z": 9},
        None,
    ),
    (
        "reduce-count",
        {
            "reduce": [
                {"var": ""},
                {"+": [{"var": "accumulator"}, {"if": [{"===": [{"var": "current"}, "a"]}, 1, 0]}]},
                0,
            ]
        },
        ["a", "b", "a"],
        2,
    ),
    # extractFromUVCI
    ("uvci-country", {"extractFromUVCI": [{"var": ""}, 1]}, "URN:UVCI:01:DE:ABC#X", "DE"),
    ("uvci-lowercase-prefix-kept", {"extractFromUVCI": [{"var": ""}, 0]}, "urn:uvci:01:DE", "urn"),
    ("uvci-big-index", {"extractFromUVCI": [{"var": ""}, 10**30]}, "01:DE", None),
    # dccDateOfBirth
    ("dob-full", {"dccDateOfBirth": ["1979-04-14"]}, None, _dt("1979-04-14T00:00:00+00:00")),
    ("dob-month", {"dccDateOfBirth": ["1901-02"]}, None, _dt("1901-02-28T00:00:00+00:00")),
    ("dob-year", {"dccDateOfBirth": ["1950"]}, None, _dt("1950-12-31T00:00:00+00:00")),
    # literals
    ("array-literal", [1, {"var": "a"}, [True, "x"]], {"a": "b"}, [1, "b", [True, "x"]]),
    ("integral-float-literal", 42.0, None, 42),
]


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [pytest.param(e, d, x, id=i) for i, e, d, x in OPERATOR_CASES],
)
def test_operator(expression: Any, data: Any, expected: Any) -> None:
    assert validate_expression(expression) == []
    result = evaluate(expression, data)
    if isinstance(expected, datetime):
        assert isinstance(result, datetime) and result.tzinfo is UTC and result == expected
    else:
        assert _same_json(result, expected), f"got {result!r}"


EVALUATION_ERRORS: list[tuple[str, Any, Any, str]] = [
    ("in-on-null", {"in": ["a", {"var": "y"}]}, {}, "must be an array"),
    ("in-on-string", {"in": ["a", "abc"]}, None, "must be an array"),
    ("in-object-needle", {"in": [{"var": ""}, [1]]}, {"a": 1}, "only defined on"),
    ("eq-array", {"===": [[1], [1]]}, None, "only defined on"),
    (
        "eq-date-time",
        {"===": [{"plusTime": ["2021", 0, "day"]}, "2021-12-31"]},
        None,
        "only defined on",
    ),
    ("eq-float", {"===": [{"var": "0"}, 0]}, [0.5], "floating-point"),
    ("plus-string", {"+": ["1", 2]}, None, "integers"),
    ("plus-null", {"+": [{"var": "x"}, 2]}, {}, "integers"),
    ("plus-bool", {"+": [True, 2]}, None, "integers"),
    ("lt-string", {"<": ["a", "b"]}, None, "integers"),
    ("lt-null", {"<": [{"var": "x"}, 1]}, {}, "integers"),
    ("lt-bool", {"<": [False, 1]}, None, "integers"),
    ("lt-mixed-date-and-int", {"<": [{"plusTime": ["2021", 0, "day"]}, 1]}, None, "integers"),
    ("lt-float", {"<": [{"var": "0"}, 1]}, [0.5], "floating-point"),
    ("after-strings", {"after": ["2021-01-02", "2021-01-01"]}, None, "must be date-times"),
    ("after-int", {"after": [{"plusTime": ["2021", 0, "day"]}, 1]}, None, "must be date-times"),
    ("plusTime-empty", {"plusTime": [{"var": "d"}, 0, "day"]}, {"d": ""}, "not a date"),
    ("plusTime-null", {"plusTime": [{"var": "d"}, 0, "day"]}, {}, "must be a date-time string"),
    ("plusTime-bad-month", {"plusTime": ["2021-13-01", 0, "day"]}, None, "not a date"),
    ("plusTime-bad-partial-month", {"plusTime": ["2021-00", 0, "day"]}, None, "not a date"),
    ("plusTime-30-february", {"plusTime": ["2021-02-30", 0, "day"]}, None, "not a date"),
    ("plusTime-year-zero", {"plusTime": ["0000", 0, "day"]}, None, "not a date"),
    (
        "plusTime-bad-offset",
        {"plusTime": ["2021-01-01T00:00:00+01:99", 0, "day"]},
        None,
        "not a date",
    ),
    ("plusTime-24-hours", {"plusTime": ["2021-01-01T24:00:00Z", 0, "day"]}, None, "not a date"),
    ("plusTime-space", {"plusTime": ["2021-01-01 00:00:00Z", 0, "day"]}, None, "not a date"),
    ("plusTime-overflow-years", {"plusTime": ["9999-01-01", 1, "year"]}, None, "range"),
    ("plusTime-overflow-hours", {"plusTime": ["2021-01-01", 10**30, "hour"]}, None, "range"),
    ("plusTime-overflow-days", {"plusTime": ["0001-01-01", -1, "day"]}, None, "range"),
    ("reduce-on-object", {"reduce": [{"var": ""}, 0, 0]}, {"a": 1}, "array or null"),
    ("uvci-int", {"extractFromUVCI": [{"var": ""}, 0]}, 5, "string or null"),
    ("dob-empty", {"dccDateOfBirth": [{"var": ""}]}, "", "date of birth"),
    ("dob-null", {"dccDateOfBirth": [{"var": ""}]}, None, "must be a string"),
    ("dob-date-time", {"dccDateOfBirth": ["1979-04-14T00:00:00Z"]}, None, "date of birth"),
    ("dob-bad-day", {"dccDateOfBirth": ["1979-02-30"]}, None, "date of birth"),
    ("truthiness-of-non-json", {"if": [{"var": ""}, 1, 2]}, {1, 2}, "not a JSON value"),
]


@pytest.mark.parametrize(
    ("expression", "data", "fragment"),
    [pytest.param(e, d, f, id=i) for i, e, d, f in EVALUATION_ERRORS],
)
def test_evaluation_error(expression: Any, data: Any, fragment: str) -> None:
    assert validate_expression(expression) == [], "the expression itself is well-formed"
    with pytest.raises(CertLogicError) as info:
        evaluate(expression, data)
    assert info.value.code == "rules.logic-error"
    assert fragment in info.value.message
    assert isinstance(info.value, InspectxError)


def test_evaluation_error_names_the_failing_node() -> None:
    expression = {"and": [True, {"after": [{"plusTime": [{"var": "d"}, 0, "day"]}, 1]}]}
    with pytest.raises(CertLogicError) as info:
        evaluate(expression, {"d": "not a date"})
    assert info.value.location == "/and/1/after/0"
    assert info.value.hint
    assert info.value.as_dict()["code"] == "rules.logic-error"
    assert str(info.value).startswith("rules.logic-error: ")


# --------------------------------------------------------------------------- truthiness

TRUTHINESS: list[tuple[Any, bool]] = [
    (None, False),
    (False, False),
    (True, True),
    (0, False),
    (1, True),
    (-1, True),
    (0.0, False),
    (0.5, True),
    (float("nan"), False),
    (Decimal("0.000"), False),
    (Decimal("-0"), False),
    (Decimal("0.001"), True),
    ("", False),
    ("0", True),
    ("false", True),
    (" ", True),
    ([], False),
    ([0], True),
    ([[]], True),
    ({}, False),
    ({"a": None}, True),
    (datetime(2021, 1, 1, tzinfo=UTC), True),
]


@pytest.mark.parametrize(("value", "truthy"), TRUTHINESS, ids=[repr(v) for v, _ in TRUTHINESS])
def test_truthiness_table(value: Any, truthy: bool) -> None:
    assert is_truthy(value) is truthy
    assert evaluate({"if": [{"var": ""}, "T", "F"]}, value) == ("T" if truthy else "F")
    assert evaluate({"!": [{"var": ""}]}, value) is (not truthy)
    result = evaluate({"and": [{"var": "0"}, "last"]}, [value])
    assert result == "last" if truthy else result is value


# --------------------------------------------------------------------------- Decimal extension

LIMIT = {"<=": [{"var": "v"}, {"var": "limit"}]}


def test_decimal_comparison_is_exact() -> None:
    data = {"v": Decimal("0.050"), "limit": Decimal("0.05")}
    assert evaluate(LIMIT, data) is True
    assert evaluate({"<": [{"var": "v"}, {"var": "limit"}]}, data) is False
    assert evaluate({">=": [{"var": "v"}, {"var": "limit"}]}, data) is True
    assert evaluate({"===": [{"var": "v"}, {"var": "limit"}]}, data) is True
    over = {"v": Decimal("0.0500000000000000000000001"), "limit": Decimal("0.05")}
    assert evaluate(LIMIT, over) is False
    assert evaluate({"===": [{"var": "v"}, {"var": "limit"}]}, over) is False


def test_decimal_and_int_compare_numerically() -> None:
    assert evaluate({"<": [{"var": "v"}, 1]}, {"v": Decimal("0.999")}) is True
    assert evaluate({"===": [{"var": "v"}, 2]}, {"v": Decimal("2.000")}) is True
    assert evaluate({"<=": [0, {"var": "v"}, 1]}, {"v": Decimal("1.0")}) is True
    assert evaluate({"in": [{"var": "v"}, [1, 2]]}, {"v": Decimal("2.0")}) is True


def test_decimal_literals_are_accepted_as_an_extension() -> None:
    expression = {"<=": [{"var": "v"}, Decimal("0.05")]}
    assert validate_expression(expression) == []
    assert evaluate(expression, {"v": Decimal("0.049")}) is True
    assert evaluate(Decimal("1.5"), None) == Decimal("1.5")


def test_decimal_strings_are_not_converted() -> None:
    data = {"v": "0.05", "limit": Decimal("0.05")}
    assert evaluate({"===": [{"var": "v"}, {"var": "limit"}]}, data) is False
    assert evaluate({"in": [{"var": "v"}, [{"var": "limit"}]]}, data) is False
    with pytest.raises(CertLogicError) as info:
        evaluate(LIMIT, data)
    assert info.value.code == "rules.logic-error"
    assert "never converted" in info.value.hint


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_non_finite_decimals_are_rejected(bad: Decimal) -> None:
    assert validate_expression({"<": [bad, 1]}) != []
    with pytest.raises(CertLogicError) as info:
        evaluate({"<": [{"var": "v"}, 1]}, {"v": bad})
    assert info.value.code == "rules.logic-error"
    with pytest.raises(CertLogicError):
        evaluate({"===": [{"var": "v"}, 1]}, {"v": bad})
    assert is_truthy(bad) is (not bad.is_nan())


def test_binary_floats_are_not_compared() -> None:
    with pytest.raises(CertLogicError) as info:
        evaluate(LIMIT, {"v": 0.05, "limit": Decimal("0.05")})
    assert "parse_float" in info.value.hint


# --------------------------------------------------------------------------- ill-formed


INVALID: list[tuple[str, Any, str, str]] = [
    ("unknown-operator", {"or": [True, False]}, 'unrecognised operator: "or"', ""),
    ("strict-not-equal", {"!==": [1, 2]}, 'unrecognised operator: "!=="', ""),
    ("loose-equal", {"==": [1, 2]}, 'unrecognised operator: "=="', ""),
    ("non-string-key", {1: [1]}, "unrecognised operator: 1", ""),
    ("nested-unknown", {"and": [True, {"map": []}]}, 'unrecognised operator: "map"', "/and/1"),
    ("in-array-literal", [1, {"foo": [1]}], 'unrecognised operator: "foo"', "/1"),
    (
        "if-2",
        {"if": [True, 1]},
        'the "if" operation must have exactly 3 operands, but it has 2',
        "",
    ),
    ("if-4", {"if": [True, 1, 2, 3]}, "exactly 3 operands, but it has 4", ""),
    (
        "and-1",
        {"and": [True]},
        'the "and" operation must have at least 2 operands, but it has 1',
        "",
    ),
    ("not-0", {"!": []}, 'the "!" operation must have exactly 1 operand, but it has 0', ""),
    ("not-2", {"!": [1, 2]}, "exactly 1 operand, but it has 2", ""),
    ("eq-3", {"===": [1, 1, 1]}, "exactly 2 operands, but it has 3", ""),
    ("in-1", {"in": [1]}, "exactly 2 operands, but it has 1", ""),
    ("plus-3", {"+": [1, 2, 3]}, "exactly 2 operands, but it has 3", ""),
    ("lt-1", {"<": [1]}, 'the "<" operation must have 2 or 3 operands, but it has 1', ""),
    ("le-4", {"<=": [1, 2, 3, 4]}, "2 or 3 operands, but it has 4", ""),
    ("after-1", {"after": [1]}, "2 or 3 operands, but it has 1", ""),
    ("plusTime-2", {"plusTime": ["2021", 1]}, "exactly 3 operands, but it has 2", ""),
    ("plusTime-amount", {"plusTime": ["2021", "1", "day"]}, "must be an integer", ""),
    ("plusTime-amount-expr", {"plusTime": ["2021", {"var": "n"}, "day"]}, "must be an integer", ""),
    ("plusTime-amount-bool", {"plusTime": ["2021", True, "day"]}, "must be an integer", ""),
    ("plusTime-unit", {"plusTime": ["2021", 1, "week"]}, "must be one of", ""),
    ("reduce-2", {"reduce": [[], 0]}, "exactly 3 operands, but it has 2", ""),
    ("uvci-index", {"extractFromUVCI": ["01:DE", "1"]}, "must be an integer", ""),
    ("dob-2", {"dccDateOfBirth": ["1990", "1991"]}, "exactly 1 operand, but it has 2", ""),
    ("var-default", {"var": ["a", 1]}, 'not of the form { "var": "<path>" }', ""),
    ("var-empty-fragment", {"var": "a..b"}, "data access path doesn't have a valid format", ""),
    ("var-leading-dot", {"var": ".a"}, "data access path doesn't have a valid format", ""),
    ("var-space", {"var": "a b"}, "data access path doesn't have a valid format", ""),
    ("null-operand", {"===": [{"var": "x"}, None]}, "invalid CertLogic expression", "/===/1"),
    ("float-operand", {"<": [1, 2.5]}, "2.5 is a non-integer number", "/</1"),
    ("float-nan", {"<": [1, float("nan")]}, "nan is a non-integer number", "/</1"),
    ("float-huge", {"<": [1, 1e300]}, "beyond the exactly representable integers", "/</1"),
    ("non-json", {"in": [1, (1, 2)]}, "not a JSON value", "/in/1"),
    ("two-keys", {"var": "a", "if": []}, "exactly one key, but it has 2", ""),
    ("slash-in-pointer", {"and": [True, {"a/b~": []}]}, "unrecognised", "/and/1"),
]


@pytest.mark.parametrize(
    ("expression", "message", "location"),
    [pytest.param(e, m, loc, id=i) for i, e, m, loc in INVALID],
)
def test_ill_formed_expressions_are_rejected(expression: Any, message: str, location: str) -> None:
    issues = expression_issues(expression)
    assert issues and message in issues[0].message
    assert issues[0].location == location
    with pytest.raises(CertLogicError) as info:
        evaluate(expression, {"a": 1})
    assert info.value.code == "rules.logic-invalid"
    assert message in info.value.message
    assert info.value.location == (location or None)


def test_every_issue_is_listed_with_a_json_pointer() -> None:
    expression = {"and": [{"foo": []}, {"if": [1]}, {"var": "x."}, {"a~/b": []}]}
    issues = expression_issues(expression)
    assert [i.location for i in issues] == ["/and/0", "/and/1", "/and/2", "/and/3"]
    assert issues[3].message == 'unrecognised operator: "a~/b"'
    with pytest.raises(CertLogicError) as info:
        evaluate(expression, {})
    assert "3 more problem(s)" in info.value.message


def test_a_branch_that_is_not_taken_is_still_checked() -> None:
    with pytest.raises(CertLogicError) as info:
        evaluate({"if": [True, 1, {"nope": []}]}, {})
    assert info.value.code == "rules.logic-invalid"
    assert info.value.location == "/if/2"


def _nested_not(levels: int) -> Any:
    expression: Any = True
    for _ in range(levels):
        expression = {"!": [expression]}
    return expression


def test_recursion_bound() -> None:
    # the innermost literal of n nested "!" sits at depth n; MAX_DEPTH is allowed
    assert evaluate(_nested_not(MAX_DEPTH), None) is True  # MAX_DEPTH is even
    too_deep = _nested_not(MAX_DEPTH + 1)
    assert any("deeper than" in m for m in validate_expression(too_deep))
    with pytest.raises(CertLogicError) as info:
        evaluate(too_deep, None)
    assert info.value.code == "rules.logic-invalid"
    assert f"deeper than {MAX_DEPTH}" in info.value.message


def test_very_deep_and_cyclic_expressions_are_rejected_without_recursion_error() -> None:
    deep: Any = 1
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(CertLogicError):
        evaluate(deep, None)
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(CertLogicError):
        evaluate(cyclic, None)
    loop: dict[str, Any] = {"!": []}
    loop["!"].append(loop)
    assert validate_expression(loop)


def test_operator_set_is_exactly_certlogic() -> None:
    assert frozenset(
        {
            "var", "if", "and", "!", "===", "in", "+", "<", ">", "<=", ">=", "after", "before",
            "not-after", "not-before", "plusTime", "reduce", "extractFromUVCI", "dccDateOfBirth",
        }
    ) == OPERATORS  # fmt: skip


def test_evaluation_does_not_mutate_its_inputs() -> None:
    expression = {"reduce": [{"var": "xs"}, [{"var": "accumulator"}, {"var": "current"}], []]}
    data = {"xs": [{"a": 1}, [2]]}
    before = (copy.deepcopy(expression), copy.deepcopy(data))
    result = evaluate(expression, data)
    assert result == [[[], {"a": 1}], [2]]
    assert (expression, data) == before


# --------------------------------------------------------------------------- properties

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(),
    st.text(max_size=4),
    st.sampled_from(["", "0", "2021-05-01", "2004", "2021-05-01T10:00:00+02:00", "01:DE:1#2"]),
)
json_values = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "0", "current"]), inner, max_size=3)
    ),
    max_leaves=12,
)

_paths = st.sampled_from(["", "a", "b", "0", "1", "a.b", "a.0", "b.a.1", "x.", "a..b", "current"])
_operator_names = st.sampled_from(sorted(OPERATORS | {"or", "!==", "map", "all"}))


def _expressions() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        _json_leaf,
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(places=3, allow_nan=False, allow_infinity=False),
        st.builds(lambda p: {"var": p}, _paths),
        st.builds(lambda v: {"var": v}, st.one_of(st.none(), st.integers())),
    )

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(inner, max_size=3),
            st.builds(lambda op, args: {op: args}, _operator_names, st.lists(inner, max_size=4)),
            st.builds(lambda op, arg: {op: arg}, _operator_names, inner),
            st.builds(
                lambda d, n, u: {"plusTime": [d, n, u]},
                inner,
                st.integers(-400, 400) | st.just(10**20),
                st.sampled_from(["year", "month", "day", "hour", "week"]),
            ),
            st.builds(lambda d, n: {"extractFromUVCI": [d, n]}, inner, st.integers(-1, 6)),
            st.builds(lambda a, b: {"a": a, "b": b}, inner, inner),
        )

    return st.recursive(leaves, extend, max_leaves=25)


_ARITIES = {
    "if": (3, 3), "and": (2, 4), "!": (1, 1), "===": (2, 2), "in": (2, 2), "+": (2, 2),
    "<": (2, 3), ">": (2, 3), "<=": (2, 3), ">=": (2, 3), "after": (2, 3), "before": (2, 3),
    "not-after": (2, 3), "not-before": (2, 3), "reduce": (3, 3), "dccDateOfBirth": (1, 1),
}  # fmt: skip


def _well_formed_expressions() -> st.SearchStrategy[Any]:
    """Valid CertLogic (plus Decimal literals): evaluation may fail, but only on the data."""
    leaves = st.one_of(
        st.booleans(),
        st.integers(-3, 3),
        st.integers(),
        st.sampled_from(["", "a", "0", "2021-05-01", "2004", "2021-05-01T10:00:00+02:00", "1:2"]),
        st.decimals(places=2, allow_nan=False, allow_infinity=False),
        st.builds(lambda p: {"var": p}, _paths.filter(lambda p: p not in ("x.", "a..b"))),
    )

    def operation(inner: st.SearchStrategy[Any], op: str) -> st.SearchStrategy[Any]:
        low, high = _ARITIES[op]
        return st.builds(lambda args: {op: args}, st.lists(inner, min_size=low, max_size=high))

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(inner, max_size=3),
            *(operation(inner, op) for op in sorted(_ARITIES)),
            st.builds(
                lambda d, n, u: {"plusTime": [d, n, u]},
                inner,
                st.integers(-400, 400) | st.just(10**20),
                st.sampled_from(["year", "month", "day", "hour"]),
            ),
            st.builds(lambda d, n: {"extractFromUVCI": [d, n]}, inner, st.integers(-1, 6)),
        )

    return st.recursive(leaves, extend, max_leaves=25)


def _outcome(expression: Any, data: Any) -> tuple[str, Any]:
    try:
        return "value", evaluate(expression, data)
    except CertLogicError as error:
        return error.code, (error.message, error.location)


@SUITE_SETTINGS
@given(expression=_expressions(), data=json_values)
def test_random_expressions_raise_only_certlogic_errors_and_are_deterministic(
    expression: Any, data: Any
) -> None:
    before = (copy.deepcopy(expression), copy.deepcopy(data))
    first = _outcome(expression, data)  # anything but CertLogicError fails the test
    second = _outcome(expression, data)
    assert first[0] == second[0]
    if first[0] == "value" and not isinstance(first[1], datetime):
        assert _same_json(first[1], second[1])
    else:
        assert first[1] == second[1]
    problems = validate_expression(expression)
    assert (first[0] == "rules.logic-invalid") == bool(problems)
    assert repr((expression, data)) == repr(before), "inputs are never changed"


@SUITE_SETTINGS
@given(expression=_well_formed_expressions(), data=json_values)
def test_well_formed_expressions_fail_only_on_their_data(expression: Any, data: Any) -> None:
    assert validate_expression(expression) == []
    kind, detail = _outcome(expression, data)
    assert kind in ("value", "rules.logic-error"), detail
    if kind == "rules.logic-error":
        message, location = detail
        assert message and (location is None or location.startswith("/"))


def _reference_truthy(value: Any) -> bool:
    """The definition of CertLogic truthiness, spelled out independently of the module."""
    if value is None or value is False or value == "" or value == [] or value == {}:
        return False
    return not (type(value) is int and value == 0)


@SUITE_SETTINGS
@given(values=st.lists(json_values, min_size=2, max_size=4))
def test_and_and_if_agree_with_truthiness(values: list[Any]) -> None:
    operands = [{"var": str(i)} for i in range(len(values))]
    expected = next((v for v in values if not _reference_truthy(v)), values[-1])
    assert _same_json(evaluate({"and": operands}, values), expected)
    chosen = evaluate({"if": [{"var": "0"}, {"var": "1"}, "else"]}, values)
    assert _same_json(chosen, values[1] if _reference_truthy(values[0]) else "else")
    assert evaluate({"!": [{"var": "0"}]}, values) is (not _reference_truthy(values[0]))
    assert is_truthy(values[0]) is _reference_truthy(values[0])


_exact_numbers = st.one_of(
    st.integers(-(10**20), 10**20),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: abs(d.adjusted()) < 30
    ),
)


@SUITE_SETTINGS
@given(a=_exact_numbers, b=_exact_numbers, c=_exact_numbers)
def test_numeric_comparisons_are_exact(
    a: int | Decimal, b: int | Decimal, c: int | Decimal
) -> None:
    data = [a, b, c]
    fa, fb, fc = (Fraction(x) for x in data)
    ops = {"<": fa < fb, ">": fa > fb, "<=": fa <= fb, ">=": fa >= fb}
    for op, expected in ops.items():
        assert evaluate({op: [{"var": "0"}, {"var": "1"}]}, data) is expected
    assert evaluate({"<": [{"var": "0"}, {"var": "1"}, {"var": "2"}]}, data) is (fa < fb < fc)
    assert evaluate({"===": [{"var": "0"}, {"var": "1"}]}, data) is (fa == fb)


@SUITE_SETTINGS
@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    amount=st.integers(-5000, 5000),
    unit=st.sampled_from(["day", "hour"]),
)
def test_plus_time_adds_exact_durations(moment: datetime, amount: int, unit: str) -> None:
    text = moment.replace(microsecond=0).isoformat()
    result = evaluate({"plusTime": [text, amount, unit]}, None)
    assert result == moment.replace(microsecond=0) + timedelta(**{f"{unit}s": amount})
    later = {"plusTime": [text, amount + 1, unit]}
    assert evaluate({"before": [{"plusTime": [text, amount, unit]}, later]}, None) is True
