"""Every fixture, run through the real CLI, gives the outcome fixtures/MANIFEST records."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, run_cli


def _manifest() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in (FIXTURES / "MANIFEST").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        path, expect, code, note = ([*line.split("\t"), ""])[:4]
        rows.append((path, expect, code, note))
    return rows


ROWS = _manifest()


def test_manifest_lists_every_fixture_file() -> None:
    listed = {row[0] for row in ROWS}
    on_disk = {
        str(p.relative_to(FIXTURES))
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.parent != FIXTURES
    }
    assert listed == on_disk
    assert sum(1 for r in ROWS if r[1] == "valid") >= 12
    assert sum(1 for r in ROWS if r[1] == "invalid") >= 14


def test_whole_manifest_through_the_cli() -> None:
    paths = [str(FIXTURES / row[0]) for row in ROWS]
    result = run_cli("validate", *paths, "--format", "json")
    report = json.loads(result.stdout)
    by_source = {doc["source"]: doc for doc in report["documents"]}
    for path, expect, code, _note in ROWS:
        doc = by_source[str(FIXTURES / path)]
        assert doc["verdict"] == expect.upper(), path
        if expect == "invalid":
            assert doc["findings"][0]["code"] == code, path
    assert result.returncode == 1  # the manifest holds invalid files
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("row", [r for r in ROWS if r[1] == "invalid"], ids=lambda r: r[0])
def test_invalid_fixture_is_not_converted(row: tuple[str, str, str, str], tmp_path: object) -> None:
    path, _expect, code, _note = row
    out = f"{tmp_path}/out"
    result = run_cli("convert", str(FIXTURES / path), "-o", out)
    assert result.returncode == 1
    assert code.encode() in result.stderr and b"Traceback" not in result.stderr
    import os

    assert not os.path.exists(out)


@pytest.mark.parametrize("row", [r for r in ROWS if r[1] == "valid"], ids=lambda r: r[0])
def test_valid_fixture_converts_to_its_twin(row: tuple[str, str, str, str]) -> None:
    path = FIXTURES / row[0]
    twin = path.with_suffix(".xml" if path.suffix == ".json" else ".json")
    result = run_cli("convert", str(path))
    assert result.returncode == 0
    assert result.stdout == twin.read_bytes()
