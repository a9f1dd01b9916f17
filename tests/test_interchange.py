"""convert across every format: inspectx JSON/XML, SPS eCert XML, UNTP credentials, with the
conversion report in text and JSON, --strict and --no-extension, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspectx.formats.conversion import ConversionLoss
from inspectx.validation import read_certificate
from inspectx.validation.interchange import interchange, sniff_format
from tests.conftest import FIXTURES, run_cli

FIXTURE = FIXTURES / "certificates" / "toys-en71-3.json"
TARGETS = [("sps", "sps.xml"), ("untp-dcc", "dcc.json")]


@pytest.mark.parametrize(("target", "suffix"), TARGETS)
def test_cli_round_trip_through_a_narrower_format(target: str, suffix: str, tmp_path: Path) -> None:
    foreign, back = tmp_path / f"out.{suffix}", tmp_path / "back.json"
    there = run_cli("convert", str(FIXTURE), "--to", target, "-o", str(foreign))
    assert there.returncode == 0, there.stderr
    assert sniff_format(foreign.read_bytes()) == target
    home = run_cli("convert", str(foreign), "-o", str(back), "--format", "json")
    assert home.returncode == 0, home.stderr
    report = json.loads(home.stdout)
    assert report["conversions"][0]["from"] == target
    assert report["conversions"][0]["losses"] == []
    original = read_certificate(FIXTURE.read_bytes()).certificate
    assert read_certificate(back.read_bytes()).certificate == original


@pytest.mark.parametrize(("target", "suffix"), TARGETS)
def test_cli_reports_losses_without_the_extension(target: str, suffix: str, tmp_path: Path) -> None:
    out = tmp_path / f"out.{suffix}"
    done = run_cli(
        "convert", str(FIXTURE), "--to", target, "--no-extension", "-o", str(out),
        "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    losses = json.loads(done.stdout)["conversions"][0]["losses"]
    assert losses and all(loss["field"].startswith("/") for loss in losses)
    assert {loss["kind"] for loss in losses} <= {"flattened", "dropped"}
    text = run_cli("convert", str(FIXTURE), "--to", target, "--no-extension", "-o", "-")
    assert text.returncode == 0
    assert any(line.strip().startswith(("flattened /", "dropped /"))
               for line in text.stderr.decode().splitlines())  # fmt: skip


@pytest.mark.parametrize(("target", "suffix"), TARGETS)
def test_strict_refuses_a_lossy_conversion_and_writes_nothing(
    target: str, suffix: str, tmp_path: Path
) -> None:
    out = tmp_path / f"out.{suffix}"
    done = run_cli("convert", str(FIXTURE), "--to", target, "--no-extension", "--strict",
                   "-o", str(out))  # fmt: skip
    assert done.returncode == 1
    assert b"convert.lossy" in done.stderr
    assert not out.exists()
    with pytest.raises(ConversionLoss):
        interchange(FIXTURE.read_bytes(), target, strict=True, extension=False)  # type: ignore[arg-type]
    kept = interchange(FIXTURE.read_bytes(), target, strict=True)  # type: ignore[arg-type]
    assert kept.losses == ()


def test_inspectx_formats_are_sniffed_as_such() -> None:
    xml = FIXTURE.with_suffix(".xml")
    assert sniff_format(FIXTURE.read_bytes()) == "json"
    assert sniff_format(xml.read_bytes()) == "xml"
    assert interchange(FIXTURE.read_bytes()).target == "xml"


def test_regression_cli_detects_foreign_input_however_it_is_spelled(tmp_path: Path) -> None:
    """A long comment before the SPS root, a JSON escape in the UNTP type: the library
    detected them, the command line once did not."""
    sps = (FIXTURES / "sps" / "wheat-mycotoxins.sps.xml").read_bytes()
    head, _, rest = sps.partition(b"?>")
    padded = tmp_path / "padded.xml"
    padded.write_bytes(head + b"?>\n<!--" + b" " * 70_000 + b"-->" + rest)
    dcc = (FIXTURES / "untp" / "wheat-mycotoxins.dcc.json").read_bytes()
    escaped = tmp_path / "escaped.json"
    escaped.write_bytes(
        dcc.replace(b'"DigitalConformityCredential"', b'"\\u0044igitalConformityCredential"', 1)
    )
    assert escaped.read_bytes() != dcc
    for path in (padded, escaped):
        done = run_cli("convert", str(path), "-o", str(tmp_path / f"{path.stem}.out.json"))
        assert done.returncode == 0, done.stderr
