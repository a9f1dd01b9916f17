"""Rule packs (validation layer 4): loading, facts, evaluation, shipped packs and fixtures."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from inspectx.formats import certificate_from_data
from inspectx.model import Certificate
from inspectx.validation import read_certificate
from inspectx.validation.packs import (
    RulePack,
    RulePackError,
    RuleStatus,
    describe_pack,
    evaluate_pack,
    facts,
    key_of,
    load_pack,
    pack_from_bytes,
    shipped_pack_ids,
    shipped_packs,
    test_pack,
)
from inspectx.validation.units import convert
from tests.conftest import FIXTURES

PACK_FIXTURES = FIXTURES / "packs"
EXPECTED: dict[str, dict[str, dict[str, str]]] = json.loads(
    (PACK_FIXTURES / "EXPECTED.json").read_text("utf-8")
)
SHIPPED = ("eu-food-contaminants-2023-915", "eu-toys-en71-3", "us-cpsia-lead")
AT = datetime(2026, 4, 1, tzinfo=UTC)
PB = "7439-92-1"


def _data(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACK_FIXTURES / path).read_text("utf-8"))
    return data


def _cert(data: dict[str, Any]) -> Certificate:
    return certificate_from_data(data)


def _status(pack_id: str, data: dict[str, Any], rule_id: str, at: datetime = AT) -> RuleStatus:
    report = evaluate_pack(load_pack(pack_id), _cert(data), at=at)
    return next(r.status for r in report.results if r.rule_id == rule_id)


def _test(data: dict[str, Any], test_id: str) -> dict[str, Any]:
    return next(t for t in data["tests"] if t["id"] == test_id)


# --- shipped packs ------------------------------------------------------------------------


def test_the_three_packs_are_shipped() -> None:
    assert shipped_pack_ids() == SHIPPED
    assert [p.id for p in shipped_packs()] == list(SHIPPED)


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_shipped_pack_examples_pass(pack_id: str) -> None:
    pack = load_pack(pack_id)
    results = test_pack(pack)
    assert len(results) == len(pack.examples) >= 2
    failures = [
        (
            r.name,
            r.error,
            [(c.rule_id, c.expected, c.actual, c.note) for c in r.checks if not c.passed],
        )
        for r in results
        if not r.passed
    ]
    assert not failures
    # one example meets the pack, one breaks something
    statuses = [set(c.actual for c in r.checks) for r in results]
    assert any(
        s <= {RuleStatus.PASSED, RuleStatus.NOT_APPLICABLE} and RuleStatus.PASSED in s
        for s in statuses
    )
    assert any(RuleStatus.FAILED in s for s in statuses)


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_shipped_pack_metadata(pack_id: str) -> None:
    pack = load_pack(pack_id)
    assert pack.origin == "shipped"
    assert pack.market in ("EU", "US")
    assert "en" in pack.title and "en" in pack.description
    cited = {r.source.id for r in pack.rules}
    assert cited == {s.id for s in pack.sources}, "every source is cited, every citation listed"
    for s in pack.sources:
        assert s.uri.startswith(("http://data.europa.eu/eli/", "https://"))


def _literals(expr: Any) -> Iterator[Any]:
    if isinstance(expr, dict):
        for v in expr.values():
            yield from _literals(v)
    elif isinstance(expr, list):
        for v in expr:
            yield from _literals(v)
    elif isinstance(expr, int | Decimal) and not isinstance(expr, bool):
        yield expr


def _views(expr: Any) -> set[str]:
    text = json.dumps(expr, default=str)
    return {v for v in ("mgPerKg", "ugPerKg", "mgPerL", "ugPerL") if f".{v}." in text}


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_stated_limits_are_the_limits_in_the_logic(pack_id: str) -> None:
    unit_of_view = {"mgPerKg": "NA", "ugPerKg": "J33"}
    for rule in load_pack(pack_id).rules:
        if rule.limit is None:
            continue
        (literal,) = set(_literals(rule.logic))
        (view,) = _views(rule.logic)
        in_view, exact = convert(rule.limit.value, rule.limit.unit, unit_of_view[view])
        assert exact and Decimal(literal) == in_view, rule.id
        if rule.limit.code:
            assert rule.limit.code in json.dumps(rule.logic, default=str), rule.id


def test_toy_limits() -> None:
    """Directive 2009/48/EC, Annex II, Part III, point 13, category III, as amended."""
    pack = load_pack("eu-toys-en71-3")
    limits = {r.id: str(r.limit.value) for r in pack.rules if r.limit}
    assert limits["lead-cat-iii"] == "23"
    assert limits["cadmium-cat-iii"] == "17"
    assert limits["chromium-vi-cat-iii"] == "0.053"
    assert limits["nickel-cat-iii"] == "930"
    assert limits["aluminium-cat-iii"] == "28130"
    assert len(limits) == 19
    assert pack.rule("lead-cat-iii").valid_from.isoformat() == "2018-10-28"
    assert pack.rule("chromium-vi-cat-iii").valid_from.isoformat() == "2019-11-18"


def test_describe_pack_is_json_ready() -> None:
    for pack in shipped_packs():
        described = describe_pack(pack)
        text = json.dumps(described, ensure_ascii=False)
        assert described["id"] == pack.id
        assert len(described["rules"]) == len(pack.rules)
        assert '"logic"' in text and '"sources"' in text
    toys = describe_pack(load_pack("eu-toys-en71-3"))
    cr6 = next(r for r in toys["rules"] if r["id"] == "chromium-vi-cat-iii")
    assert cr6["limit"] == {
        "parameter": "Chromium (VI)",
        "code": "18540-29-9",
        "comparator": "le",
        "value": "0.053",
        "unit": "NA",
        "unitSymbol": "mg/kg",
    }
    assert "2018/725" in cr6["source"]["reference"]


def test_packs_are_loaded_once() -> None:
    assert load_pack("eu-toys-en71-3") is load_pack("eu-toys-en71-3")
    assert load_pack("eu-toys-en71-3") is shipped_packs()[1]


# --- the fixtures -------------------------------------------------------------------------


def test_every_fixture_is_listed() -> None:
    on_disk = {str(p.relative_to(PACK_FIXTURES)) for p in PACK_FIXTURES.glob("*/*.json")}
    assert on_disk == set(EXPECTED)
    for pack_id in SHIPPED:
        rules = [r.id for r in load_pack(pack_id).rules]
        assert f"{pack_id}/pass.json" in EXPECTED
        for rule in rules:
            statuses = EXPECTED[f"{pack_id}/violates-{rule}.json"][pack_id]
            assert [r for r, s in statuses.items() if s == "FAILED"] == [rule]
            assert set(statuses) == set(rules)
        assert set(EXPECTED[f"{pack_id}/pass.json"][pack_id].values()) <= {
            "PASSED",
            "NOT_APPLICABLE",
        }


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_fixture_gives_the_expected_statuses(path: str) -> None:
    cert = read_certificate((PACK_FIXTURES / path).read_bytes()).certificate
    for pack_id, expected in EXPECTED[path].items():
        report = evaluate_pack(load_pack(pack_id), cert, at=cert.issued_at)
        assert {r.rule_id: r.status.value for r in report.results} == expected, pack_id


def _script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, PACK_FIXTURES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fixtures_are_what_build_py_writes() -> None:
    build = _script("build")
    files, expected = build.expected()
    assert expected == EXPECTED
    for path, doc in files.items():
        data = build._json_bytes(build.with_id(doc, path))
        assert (PACK_FIXTURES / path).read_bytes() == data, path


def test_shipped_packs_are_what_make_packs_py_writes() -> None:
    make_packs = _script("make_packs")
    for pack in make_packs.packs():
        shipped = FIXTURES.parent / "inspectx" / "packs" / f"{pack['id']}.json"
        assert shipped.read_bytes() == make_packs.pack_bytes(pack), pack["id"]


# --- facts and unit conversion ---------------------------------------------------------------


def test_facts_shape() -> None:
    data = _data("eu-toys-en71-3/pass.json")
    f = facts(_cert(data), AT)
    assert set(f) == {
        "certificate",
        "at",
        "issuedAt",
        "hsCodes",
        "results",
        "parameters",
        "parameterNames",
        "categories",
        "open",
    }
    assert f["certificate"] == data
    assert f["at"] == "2026-04-01T00:00:00+00:00"
    assert f["issuedAt"] == data["issuedAt"]
    assert f["hsCodes"] == ["950300"]
    assert f["open"] is None
    pb = next(r for r in f["results"] if r["testId"] == "S1-Pb")
    assert pb["pointer"] == f"/tests/{data['tests'].index(_test(data, 'S1-Pb'))}/results/0"
    assert pb["parameterCode"] == PB and pb["parameterCodeList"] == "CAS"
    assert pb["parameterName"] == "Lead" and pb["category"] == "III"
    assert pb["productSeqs"] == [1] and pb["sampleIds"] == ["S1"]
    assert pb["value"] == Decimal("2.9") and pb["unit"] == "NA" and pb["qualifier"] is None
    assert pb["mgPerKg"] == Decimal("2.9") and pb["ugPerKg"] == Decimal(2900)
    assert pb["mgPerL"] is None and pb["outcome"] == "pass"
    group = f["categories"]["III"]["parameters"][PB]
    assert group == f["parameters"][PB]
    assert group["count"] == 1 and group["name"] == "Lead"
    assert group["mgPerKg"] == {
        "atLeast": Decimal("2.9"),
        "atMost": Decimal("2.9"),
        "bounded": True,
    }
    assert "organic-tin" in f["parameterNames"] and "chromium-vi" in f["parameterNames"]
    assert f == facts(_cert(data), AT), "deterministic"


def test_facts_bounds_follow_qualifiers() -> None:
    data = _data("eu-food-contaminants-2023-915/pass.json")
    afb1 = facts(_cert(data), AT)["parameters"]["1162-65-8"]  # three results "< 0.10" µg/kg
    assert afb1["count"] == 3
    assert afb1["ugPerKg"] == {"atLeast": 0, "atMost": Decimal("0.10"), "bounded": True}
    assert afb1["mgPerKg"]["atMost"] == Decimal("0.0001")
    ota = _test(data, "SL2-OTA")
    ota["results"] = [{"value": "3.1", "qualifier": "gt", "unit": "J33"}]
    _test(data, "SL3-OTA")["results"] = [{"code": "not-detected", "unit": "J33", "lod": "0.10"}]
    summary = facts(_cert(data), AT)["parameters"]["303-47-9"]["ugPerKg"]
    # SL1 0.42; SL2 > 3.1 has no upper bound; SL3 not detected is below its LOD
    assert summary == {"atLeast": Decimal("3.1"), "atMost": None, "bounded": False}


def test_facts_need_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        facts(_cert(_data("eu-toys-en71-3/pass.json")), datetime(2026, 4, 1))


def test_key_of() -> None:
    assert key_of("Chromium (VI)".casefold()) == "chromium-vi"
    assert key_of("7439-92-1") == PB
    assert key_of("surface coating / paint") == "surface-coating-paint"
    assert key_of(" () ") is None


@pytest.mark.parametrize(
    ("value", "unit", "status"),
    [
        ("24600", "J33", RuleStatus.FAILED),  # 24.6 mg/kg > 23
        ("23000", "J33", RuleStatus.PASSED),  # exactly 23 mg/kg
        ("23001", "J33", RuleStatus.FAILED),
        ("0.0023", "P1", RuleStatus.PASSED),  # 23 mg/kg as a percentage
        ("23.0001", "59", RuleStatus.FAILED),  # ppm
    ],
)
def test_results_in_other_units_compare_exactly(value: str, unit: str, status: RuleStatus) -> None:
    data = _data("eu-toys-en71-3/pass.json")
    _test(data, "S1-Pb")["results"] = [{"value": value, "unit": unit}]
    assert _status("eu-toys-en71-3", data, "lead-cat-iii") is status


def test_micrograms_against_a_milligram_limit_in_food() -> None:
    data = _data("eu-food-contaminants-2023-915/pass.json")
    _test(data, "SL1-Pb")["results"] = [{"value": "200", "unit": "J33"}]  # 0.20 mg/kg
    at = datetime(2026, 10, 1, tzinfo=UTC)
    assert _status("eu-food-contaminants-2023-915", data, "lead-cereal-grains", at) == "PASSED"
    _test(data, "SL1-Pb")["results"] = [{"value": "200.1", "unit": "J33"}]
    assert _status("eu-food-contaminants-2023-915", data, "lead-cereal-grains", at) == "FAILED"


def test_a_lower_bound_above_the_limit_fails_even_with_unknowns() -> None:
    data = _data("eu-toys-en71-3/pass.json")
    _test(data, "S1-Pb")["results"] = [
        {"code": "detected"},
        {"value": "30", "qualifier": "gt", "unit": "NA"},
    ]
    assert _status("eu-toys-en71-3", data, "lead-cat-iii") is RuleStatus.FAILED


# --- NOT_APPLICABLE and OPEN ------------------------------------------------------------------


def test_not_applicable_by_product_class() -> None:
    wheat = _cert(_data("eu-food-contaminants-2023-915/pass.json"))
    report = evaluate_pack(load_pack("eu-toys-en71-3"), wheat, at=AT)
    assert {r.status for r in report.results} == {RuleStatus.NOT_APPLICABLE}
    assert "9503" in (report.results[0].note or "")
    assert report.status == "passed"
    # a rule's own, narrower classes: durum-wheat rules do not apply to common wheat
    food = evaluate_pack(load_pack("eu-food-contaminants-2023-915"), wheat, at=wheat.issued_at)
    durum = next(r for r in food.results if r.rule_id == "deoxynivalenol-durum-wheat-oats")
    assert durum.status is RuleStatus.NOT_APPLICABLE and "100119" in (durum.note or "")


def test_not_applicable_by_validity_window() -> None:
    data = _data("eu-toys-en71-3/violates-chromium-vi-cat-iii.json")
    rule = "chromium-vi-cat-iii"  # applies from 2019-11-18
    assert _status("eu-toys-en71-3", data, rule) is RuleStatus.FAILED
    eve = datetime(2019, 11, 17, 23, 59, 59, tzinfo=UTC)
    assert _status("eu-toys-en71-3", data, rule, eve) is RuleStatus.NOT_APPLICABLE
    assert _status("eu-toys-en71-3", data, rule, eve + timedelta(seconds=1)) is RuleStatus.FAILED
    # the window is judged on the UTC date: 00:30 in Berlin is still the 17th in UTC
    berlin = datetime(2019, 11, 18, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert _status("eu-toys-en71-3", data, rule, berlin) is RuleStatus.NOT_APPLICABLE
    report = evaluate_pack(load_pack("eu-toys-en71-3"), _cert(data), at=eve)
    note = next(r.note for r in report.results if r.rule_id == rule)
    assert note == "the rule applies from 2019-11-18"


def test_validity_window_end_is_inclusive() -> None:
    data = _data(
        "eu-food-contaminants-2023-915/violates-deoxynivalenol-unprocessed-cereals-1250.json"
    )
    rule = "deoxynivalenol-unprocessed-cereals-1250"  # until 2024-06-30
    last = datetime(2024, 6, 30, 23, 59, tzinfo=UTC)
    assert _status("eu-food-contaminants-2023-915", data, rule, last) is RuleStatus.FAILED
    after = last + timedelta(minutes=1)
    assert _status("eu-food-contaminants-2023-915", data, rule, after) is RuleStatus.NOT_APPLICABLE


def test_open_when_a_result_cannot_be_compared() -> None:
    data = _data("eu-toys-en71-3/pass.json")
    t = _test(data, "S1-Pb")
    t["results"] = [{"code": "detected"}]
    t["outcome"] = "inconclusive"
    assert _status("eu-toys-en71-3", data, "lead-cat-iii") is RuleStatus.OPEN
    assert _status("eu-toys-en71-3", data, "lead-tested") is RuleStatus.PASSED
    t["results"] = [{"value": "2.9", "unit": "C62"}]  # not a mass fraction
    assert _status("eu-toys-en71-3", data, "lead-cat-iii") is RuleStatus.OPEN
    del t["results"]  # a lead test without results
    assert _status("eu-toys-en71-3", data, "lead-cat-iii") is RuleStatus.PASSED
    assert _status("eu-toys-en71-3", data, "lead-tested") is RuleStatus.FAILED


def test_open_without_hs_codes() -> None:
    data = _data("us-cpsia-lead/pass.json")
    del data["products"][0]["classifications"]
    report = evaluate_pack(load_pack("us-cpsia-lead"), _cert(data), at=AT)
    current = [
        r for r in report.results if r.rule_id in ("lead-substrate-100ppm", "lead-paint-90ppm")
    ]
    assert {r.status for r in current} == {RuleStatus.OPEN}
    assert "HS/CN code" in (current[0].note or "")
    assert report.status == "indeterminate"


def test_failed_when_a_required_test_is_missing() -> None:
    data = _data("us-cpsia-lead/violates-lead-substrate-tested.json")
    report = evaluate_pack(load_pack("us-cpsia-lead"), _cert(data), at=AT)
    assert report.status == "failed"
    assert report.counts() == {"PASSED": 2, "FAILED": 1, "OPEN": 0, "NOT_APPLICABLE": 2}
    as_dict = report.as_dict()
    assert as_dict["status"] == "failed" and as_dict["at"] == "2026-04-01T00:00:00+00:00"
    failed = next(r for r in as_dict["rules"] if r["status"] == "FAILED")
    assert failed["id"] == "lead-substrate-tested" and failed["sourceUri"].startswith("https://")


# --- custom packs: errors and edge cases ------------------------------------------------------


def _pack(**changes: Any) -> dict[str, Any]:
    pack: dict[str, Any] = {
        "schema": "inspectx.rulepack/1",
        "id": "test-pack",
        "version": "0.1.0",
        "market": "DE",
        "title": {"en": "Test pack"},
        "description": {"en": "For tests."},
        "productClasses": ["9503"],
        "sources": [
            {
                "id": "src",
                "title": "A source",
                "jurisdiction": "EU",
                "reference": "Directive 2009/48/EC, Annex II",
                "uri": "http://data.europa.eu/eli/dir/2009/48/oj",
            }
        ],
        "rules": [
            {
                "id": "pb-present",
                "version": "1.0.0",
                "description": {"en": "Lead was tested."},
                "affectedFields": ["/tests/parameter/code"],
                "validFrom": "2020-01-01",
                "source": "src",
                "logic": {"if": [{"var": f"parameters.{PB}"}, True, False]},
            }
        ],
        "examples": [],
    }
    pack.update(changes)
    return pack


def _load(pack: dict[str, Any]) -> RulePack:
    return pack_from_bytes(json.dumps(pack).encode(), source="test-pack.json")


def _refused(pack: dict[str, Any] | bytes) -> RulePackError:
    data = pack if isinstance(pack, bytes) else json.dumps(pack).encode()
    with pytest.raises(RulePackError) as info:
        pack_from_bytes(data, source="test-pack.json")
    assert info.value.code == "rules.pack-invalid"
    assert info.value.message.startswith("test-pack.json: ")
    return info.value


def test_a_minimal_pack_loads() -> None:
    pack = _load(_pack())
    assert pack.id == "test-pack" and pack.rules[0].source.id == "src"
    assert pack.sha256 and pack.examples == ()


def test_bad_logic_is_refused() -> None:
    pack = _pack()
    pack["rules"][0]["logic"] = {"or": [True, False]}
    err = _refused(pack)
    assert err.location == "/rules/0/logic"
    assert "not valid CertLogic" in err.message and "or" in err.message
    pack["rules"][0]["logic"] = {"<": [{"var": "a b"}, 1]}  # not a valid var path
    assert _refused(pack).location == "/rules/0/logic"


def test_duplicate_rule_id_is_refused() -> None:
    pack = _pack()
    pack["rules"].append(copy.deepcopy(pack["rules"][0]))
    err = _refused(pack)
    assert err.location == "/rules/1/id" and "duplicate rule id" in err.message


def test_unknown_source_is_refused() -> None:
    pack = _pack()
    pack["rules"][0]["source"] = "nowhere"
    err = _refused(pack)
    assert err.location == "/rules/0/source" and "nowhere" in err.message


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"market": "Europe"}, "/market"),
        ({"schema": "inspectx.rulepack/2"}, "/schema"),
        ({"title": {"de": "Nur Deutsch"}}, "/title"),
        ({"productClasses": ["95.03"]}, "/productClasses/0"),
        ({"rules": []}, "/rules"),
        ({"extra": 1}, "/"),
    ],
)
def test_schema_violations_are_refused(change: dict[str, Any], location: str) -> None:
    assert _refused(_pack(**change)).location == location


def test_schema_violation_inside_a_rule_is_located() -> None:
    pack = _pack()
    del pack["rules"][0]["validFrom"]
    assert _refused(pack).location == "/rules/0"
    pack = _pack()
    pack["rules"][0]["validFrom"] = "2020-02-30"
    assert _refused(pack).location == "/rules/0/validFrom"
    pack["rules"][0]["validFrom"] = "2020-02-01"
    pack["rules"][0]["validUntil"] = "2020-01-31"
    assert _refused(pack).location == "/rules/0/validUntil"


def test_malformed_json_is_refused() -> None:
    assert _refused(b'{"schema": ').code == "rules.pack-invalid"
    assert "duplicate" in _refused(b'{"id": "a", "id": "b"}').message


def test_rule_classes_outside_the_pack_are_refused() -> None:
    pack = _pack()
    pack["rules"][0]["productClasses"] = ["1001"]
    err = _refused(pack)
    assert err.location == "/rules/0/productClasses" and "never apply" in err.message


def test_examples_must_cover_exactly_the_rules() -> None:
    cert = _data("eu-toys-en71-3/pass.json")
    example = {"name": "e", "at": "2026-01-01T00:00:00Z", "certificate": cert, "expected": {}}
    assert "no expected status" in _refused(_pack(examples=[example])).message
    example["expected"] = {"pb-present": "PASSED", "other": "PASSED"}
    assert _refused(_pack(examples=[example])).location == "/examples/0/expected/other"
    example["expected"] = {"pb-present": "MAYBE"}
    assert _refused(_pack(examples=[example])).location == "/examples/0/expected/pb-present"


def test_test_pack_reports_mismatches_and_bad_certificates() -> None:
    cert = _data("eu-toys-en71-3/pass.json")
    broken = copy.deepcopy(cert)
    del broken["issuer"]
    examples = [
        {"name": "right", "at": "2026-01-01T00:00:00Z", "certificate": cert,
         "expected": {"pb-present": "PASSED"}},
        {"name": "wrong", "at": "2026-01-01T00:00:00Z", "certificate": cert,
         "expected": {"pb-present": "FAILED"}},
        {"name": "too early", "at": "2019-12-31T23:00:00-01:00", "certificate": cert,
         "expected": {"pb-present": "NOT_APPLICABLE"}},
        {"name": "broken", "at": "2026-01-01T00:00:00Z", "certificate": broken,
         "expected": {"pb-present": "PASSED"}},
    ]  # fmt: skip
    results = test_pack(_load(_pack(examples=examples)))
    assert [r.passed for r in results] == [True, False, False, False]
    wrong = results[1].checks[0]
    assert (wrong.expected, wrong.actual) == (RuleStatus.FAILED, RuleStatus.PASSED)
    assert results[2].checks[0].actual is RuleStatus.PASSED  # 2020-01-01T00:00Z
    assert results[3].error and "schema.required" in results[3].error
    assert results[1].as_dict()["rules"][0] == {
        "id": "pb-present",
        "expected": "FAILED",
        "actual": "PASSED",
        "passed": False,
    }


def test_evaluation_errors_and_non_booleans_are_open() -> None:
    cert = _cert(_data("eu-toys-en71-3/pass.json"))
    pack = _pack()
    pack["rules"][0]["logic"] = {"<": [{"var": "issuedAt"}, 5]}  # a string is not a number
    pack["rules"].append(
        dict(pack["rules"][0], id="count", logic={"var": f"parameters.{PB}.count"})
    )
    report = evaluate_pack(_load(pack), cert, at=AT)
    error, number = report.results
    assert error.status is RuleStatus.OPEN and "rules.logic-error" in (error.note or "")
    assert number.status is RuleStatus.OPEN and "pack defect" in (number.note or "")


def test_decimal_literals_compare_exactly() -> None:
    pack = _pack()
    pack["rules"][0]["logic"] = {"<=": [{"var": f"parameters.{PB}.mgPerKg.atMost"}, 2.9]}
    text = json.dumps(pack).replace("2.9", "2.90")
    loaded = pack_from_bytes(text.encode(), source="x")
    assert loaded.rules[0].logic["<="][1] == Decimal("2.90")
    report = evaluate_pack(loaded, _cert(_data("eu-toys-en71-3/pass.json")), at=AT)
    assert report.results[0].status is RuleStatus.PASSED  # 2.9 <= 2.90 exactly


def test_load_pack_from_a_file_and_reload_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "my-pack.json"
    path.write_text(json.dumps(_pack()), "utf-8")
    first = load_pack(path)
    assert load_pack(str(path)) is first and first.origin == str(path.resolve())
    path.write_text(json.dumps(_pack(version="0.2.0")) + "\n", "utf-8")
    assert load_pack(path).version == "0.2.0"


def test_unknown_pack_is_not_found() -> None:
    with pytest.raises(RulePackError) as info:
        load_pack("no-such-pack")
    assert info.value.code == "rules.pack-not-found"
    assert "eu-toys-en71-3" in info.value.hint
