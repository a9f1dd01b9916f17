"""`inspectx rules list|show|test` and `inspectx validate --rules`: pack verdicts reach the
report and the exit code (FAILED -> INVALID, 1; OPEN -> INDETERMINATE, 3)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from inspectx.validation.packs import shipped_pack_ids
from tests.conftest import FIXTURES, run_cli

PACKS = FIXTURES / "packs"


def _report_validator() -> Any:
    schema = json.loads(
        (resources.files("inspectx") / "schemas" / "inspectx-report.schema.json").read_text("utf-8")
    )
    return jsonschema.Draft202012Validator(schema)


def test_rules_list_names_every_shipped_pack() -> None:
    result = run_cli("rules", "list", "--format", "json")
    assert result.returncode == 0
    ids = [p["id"] for p in json.loads(result.stdout)["packs"]]
    assert ids == list(shipped_pack_ids())
    assert len(ids) >= 3


@pytest.mark.parametrize("pack", shipped_pack_ids())
def test_every_shipped_pack_passes_its_own_examples(pack: str) -> None:
    result = run_cli("rules", "test", pack)
    assert result.returncode == 0, result.stdout
    assert b"examples pass" in result.stdout


@pytest.mark.parametrize("pack", shipped_pack_ids())
def test_rules_show_cites_sources(pack: str) -> None:
    shown = json.loads(run_cli("rules", "show", pack, "--format", "json").stdout)
    assert shown["sources"] and all(
        s["uri"].startswith(("https://", "http://")) for s in shown["sources"]
    )
    assert all(r["source"]["reference"] for r in shown["rules"])


def test_rules_test_fails_a_pack_whose_example_is_wrong(tmp_path: Path) -> None:
    pack = json.loads(
        (resources.files("inspectx") / "packs" / "eu-toys-en71-3.json").read_text("utf-8")
    )
    example = pack["examples"][0]
    rule_id = next(iter(example["expected"]))
    example["expected"][rule_id] = (
        "FAILED" if example["expected"][rule_id] != "FAILED" else "PASSED"
    )
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(pack))
    result = run_cli("rules", "test", str(path))
    assert result.returncode == 1
    assert f"{rule_id}: expected".encode() in result.stdout


def test_an_invalid_pack_is_refused_with_its_code(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"schema": "inspectx.rulepack/1", "id": "x"}')
    for args in (
        ["rules", "test", str(path)],
        ["validate", str(FIXTURES / "certificates" / "toys-en71-3.json"), "--rules", str(path)],
    ):
        result = run_cli(*args)
        assert result.returncode == 4
        assert b"rules.pack-invalid" in result.stderr
    missing = run_cli("rules", "show", "no-such-pack")
    assert missing.returncode == 4 and b"rules.pack-not-found" in missing.stderr


def test_validate_with_a_pack_failed_passed_and_open() -> None:
    validator = _report_validator()
    failing = run_cli(
        "validate",
        str(FIXTURES / "certificates" / "toys-en71-3.json"),
        "--rules",
        "eu-toys-en71-3",
        "--format",
        "json",
    )
    report = json.loads(failing.stdout)
    validator.validate(report)
    assert failing.returncode == 1
    pack = report["documents"][0]["packs"][0]
    assert pack["status"] == "failed"
    assert {r["id"] for r in pack["rules"] if r["status"] == "FAILED"} == {"chromium-vi-cat-iii"}

    passing = run_cli(
        "validate",
        str(PACKS / "eu-toys-en71-3" / "pass.json"),
        "--rules",
        "eu-toys-en71-3",
        "--format",
        "json",
    )
    validator.validate(json.loads(passing.stdout))
    assert passing.returncode == 0


def test_a_pack_rule_that_cannot_decide_makes_the_verdict_indeterminate(tmp_path: Path) -> None:
    data = json.loads((PACKS / "eu-toys-en71-3" / "pass.json").read_text("utf-8"))
    lead = next(
        t for t in data["tests"] if t["parameter"].get("code", {}).get("value") == "7439-92-1"
    )
    lead["results"] = [{"code": "detected"}]  # qualitative: cannot be compared with 23 mg/kg
    path = tmp_path / "open.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    result = run_cli("validate", str(path), "--rules", "eu-toys-en71-3", "--format", "jsonl")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    validator = _report_validator()
    for line in lines:
        validator.validate(line)
    assert lines[0]["verdict"] == "INDETERMINATE"
    assert result.returncode == 3 == lines[-1]["exitCode"]
    text = run_cli("validate", str(path), "--rules", "eu-toys-en71-3")
    assert text.stdout.startswith(b"? INDETERMINATE")
    assert b"lead-cat-iii: OPEN" in text.stdout
