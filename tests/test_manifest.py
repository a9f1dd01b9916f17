"""Every fixture, run through the real CLI, gives the verdict and the exact set of
finding codes that fixtures/MANIFEST records; every rule has fixtures that trigger it
and fixtures that do not."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from inspectx.validation.rules import RULES_AND_PROFILES
from tests.conftest import FIXTURES, run_cli


def _manifest() -> list[tuple[str, str, set[str], str, str]]:
    rows = []
    for line in (FIXTURES / "MANIFEST").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        path, expect, codes, profile, note = line.split("\t")
        rows.append((path, expect, set() if codes == "-" else set(codes.split(",")), profile, note))
    return rows


ROWS = _manifest()
# folders that carry their own expected-outcome file
OWN_MANIFESTS = {"packs", "trust", "delivery", "sps", "untp"}


def test_manifest_lists_every_fixture_file() -> None:
    listed = {row[0] for row in ROWS}
    on_disk = {
        str(p.relative_to(FIXTURES))
        for p in FIXTURES.rglob("*")
        if p.is_file()
        and p.parent != FIXTURES
        and p.relative_to(FIXTURES).parts[0] not in OWN_MANIFESTS
    }
    assert listed == on_disk
    assert sum(1 for r in ROWS if r[0].startswith("certificates/")) >= 12
    assert sum(1 for r in ROWS if r[0].startswith("invalid/")) >= 14


def test_every_rule_has_a_fixture_that_triggers_it_and_one_that_does_not() -> None:
    triggered = set().union(*(row[2] for row in ROWS))
    assert set(RULES_AND_PROFILES) <= triggered, set(RULES_AND_PROFILES) - triggered
    clean = [row for row in ROWS if row[0].startswith("certificates/")]
    for code in RULES_AND_PROFILES:
        assert any(code not in row[2] for row in clean)


@pytest.mark.parametrize("profile", sorted({row[3] for row in ROWS}))
def test_whole_manifest_through_the_cli(profile: str) -> None:
    rows = [row for row in ROWS if row[3] == profile]
    args = ["validate", *(str(FIXTURES / row[0]) for row in rows), "--format", "json"]
    if profile != "-":
        args += ["--profile", profile]
    result = run_cli(*args)
    assert b"Traceback" not in result.stderr
    report = json.loads(result.stdout)
    by_source = {doc["source"]: doc for doc in report["documents"]}
    for path, expect, codes, _profile, _note in rows:
        doc = by_source[str(FIXTURES / path)]
        assert doc["verdict"] == expect.upper(), path
        assert {f["code"] for f in doc["findings"]} == codes, path
    worst = 1 if any(row[1] == "invalid" for row in rows) else 0
    assert result.returncode == worst


def test_rule_findings_locate_the_element_in_the_users_own_input() -> None:
    for name, pointer in (("rules/outcome-contradicts-limit", "/tests/"),):
        as_json = json.loads(
            run_cli("validate", str(FIXTURES / f"{name}.json"), "--format", "json").stdout
        )
        as_xml = json.loads(
            run_cli("validate", str(FIXTURES / f"{name}.xml"), "--format", "json").stdout
        )
        json_location = as_json["documents"][0]["findings"][0]["location"]
        xml_location = as_xml["documents"][0]["findings"][0]["location"]
        assert json_location.startswith(pointer) and json_location.endswith("/outcome")
        index = int(json_location.split("/")[2])
        assert xml_location.startswith(f"/certificate/tests[{index + 1}]/outcome (line ")
        line = int(xml_location.rsplit("line ", 1)[1].rstrip(")"))
        source_line = (FIXTURES / f"{name}.xml").read_text("utf-8").splitlines()[line - 1]
        assert source_line.strip().startswith("<outcome>")


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r[0].startswith("invalid/")], ids=lambda r: r[0]
)
def test_invalid_fixture_is_not_converted(
    row: tuple[str, str, set[str], str, str], tmp_path: Path
) -> None:
    path, _expect, codes, _profile, _note = row
    out = tmp_path / "out"
    result = run_cli("convert", str(FIXTURES / path), "-o", str(out))
    assert result.returncode == 1
    assert any(code.encode() in result.stderr for code in codes)
    assert b"Traceback" not in result.stderr
    assert not os.path.exists(out)


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r[0].startswith("certificates/")], ids=lambda r: r[0]
)
def test_valid_fixture_converts_to_its_twin(row: tuple[str, str, set[str], str, str]) -> None:
    path = FIXTURES / row[0]
    twin = path.with_suffix(".xml" if path.suffix == ".json" else ".json")
    result = run_cli("convert", str(path))
    assert result.returncode == 0
    assert result.stdout == twin.read_bytes()


_JSON_FIXTURES = sorted((FIXTURES / "rules").glob("*.json")) + sorted(
    (FIXTURES / "certificates").glob("*.json")
)


@pytest.mark.parametrize("path", _JSON_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_rules_read_the_data_received_as_they_read_the_model(path: Path) -> None:
    # validation runs the rules on the JSON as received (absent members, not defaults);
    # a library caller runs them on a model: both must find the same things
    from inspectx.formats.certificate import certificate_from_data
    from inspectx.validation.rules import check_profile, check_rules

    data = json.loads(path.read_bytes())
    cert = certificate_from_data(data)  # every fixture in these folders reaches the rules
    assert check_rules(data) == check_rules(cert)
    assert check_profile(data, "iso17025") == check_profile(cert, "iso17025")


def test_expected_outcome_takes_a_model_test_or_its_json() -> None:
    from inspectx.formats.certificate import certificate_from_data
    from inspectx.validation.rules import expected_outcome

    data = json.loads((FIXTURES / "rules" / "outcome-contradicts-limit.json").read_bytes())
    cert = certificate_from_data(data)
    judged = [expected_outcome(t) for t in cert.tests]
    assert judged == [expected_outcome(t) for t in data["tests"]]
    assert any(verdict is not None for verdict, _problems in judged)
