"""The command line: conversions, batches, safe outputs, reports and exit codes (DESIGN §6, §10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspectx.cli import main
from tests.conftest import json_bytes, minimal_certificate_data, run_cli

# what --help and --version must not import: start-up speed matters to brokers (batch
# machinery included: multiprocessing, concurrent.futures, zipfile)
HEAVY = ("lxml", "cryptography", "jsonschema", "jsonschema_rs", "orjson", "signxml",
         "requests", "rfc8785", "multiprocessing", "concurrent", "zipfile")  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["convert", "--help"],
        ["validate", "--help"],
        ["inspect", "--help"],
        ["rules", "--help"],
        ["keygen", "--help"],
        ["sign", "--help"],
        ["verify", "--help"],
    ],
    ids=lambda a: " ".join(a),
)
def test_help_and_version_do_not_import_heavy_modules(args: list[str]) -> None:
    probe = (
        "import sys\n"
        "from inspectx.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_help_opens_with_examples_and_documents_exit_codes() -> None:
    result = run_cli("--help")
    out = result.stdout.decode()
    assert result.returncode == 0
    assert out.index("Examples:") < out.index("Options:")
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "70 "):
        assert f"\n    {code}" in out
    assert "Exit codes:" in run_cli("convert", "--help").stdout.decode()


def test_convert_json_to_xml_on_stdout_and_back(cert_json: Path) -> None:
    to_xml = run_cli("convert", str(cert_json))
    assert to_xml.returncode == 0, to_xml.stderr
    assert to_xml.stdout.startswith(b"<?xml")
    back = run_cli("convert", "-", "--to", "json", input=to_xml.stdout)
    assert back.returncode == 0
    assert back.stdout == cert_json.read_bytes()


def test_convert_to_output_file(cert_json: Path) -> None:
    out = cert_json.with_name("out.xml")
    result = run_cli("convert", str(cert_json), "-o", str(out))
    assert result.returncode == 0
    assert out.read_bytes().startswith(b"<?xml")
    assert result.stdout == b""


def test_convert_refuses_to_overwrite_its_input(cert_json: Path) -> None:
    before = cert_json.read_bytes()
    for extra in ([], ["--force"]):
        result = run_cli("convert", str(cert_json), "-o", str(cert_json), *extra)
        assert result.returncode == 4
        assert b"output.is-input" in result.stderr
        assert cert_json.read_bytes() == before


def test_convert_refuses_to_overwrite_its_input_through_a_symlink(cert_json: Path) -> None:
    before = cert_json.read_bytes()
    link = cert_json.with_name("link.json")
    link.symlink_to(cert_json)
    result = run_cli("convert", str(cert_json), "-o", str(link), "--force")
    assert result.returncode == 4 and b"output.is-input" in result.stderr
    assert cert_json.read_bytes() == before and link.is_symlink()
    # and the other way round: the input named through the link
    result = run_cli("convert", str(link), "-o", str(cert_json), "--force")
    assert result.returncode == 4 and cert_json.read_bytes() == before


def test_convert_refuses_to_overwrite_its_input_through_a_hard_link(cert_json: Path) -> None:
    before = cert_json.read_bytes()
    hard = cert_json.with_name("hard.json")
    os.link(cert_json, hard)
    result = run_cli("convert", str(cert_json), "-o", str(hard), "--force")
    assert result.returncode == 4 and cert_json.read_bytes() == before


def test_existing_output_needs_force(cert_json: Path) -> None:
    out = cert_json.with_name("out.xml")
    out.write_bytes(b"keep me")
    result = run_cli("convert", str(cert_json), "-o", str(out))
    assert result.returncode == 4 and b"output.exists" in result.stderr
    assert out.read_bytes() == b"keep me"
    result = run_cli("convert", str(cert_json), "-o", str(out), "--force")
    assert result.returncode == 0 and out.read_bytes().startswith(b"<?xml")


def test_force_replaces_a_symlinked_output_without_writing_through_it(cert_json: Path) -> None:
    victim = cert_json.with_name("victim.txt")
    victim.write_bytes(b"do not touch")
    out = cert_json.with_name("out.xml")
    out.symlink_to(victim)
    result = run_cli("convert", str(cert_json), "-o", str(out), "--force")
    assert result.returncode == 0
    assert victim.read_bytes() == b"do not touch"
    assert not out.is_symlink() and out.read_bytes().startswith(b"<?xml")


def test_batch_converts_a_directory_and_reports_bad_files(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "a.json").write_bytes(json_bytes(minimal_certificate_data()))
    (src / "sub" / "b.json").write_bytes(json_bytes(minimal_certificate_data(status="revoked")))
    (src / "bad.json").write_bytes(b'{"id": 1, "id": 2}')
    (src / "ignored.txt").write_text("not a document")
    out = tmp_path / "out"
    result = run_cli("convert", str(src), "--to", "xml", "--output-dir", str(out))
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "format.json.duplicate-key" in stderr and "2 converted, 1 failed" in stderr
    produced = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert produced == ["a.xml", "sub/b.xml"]


def test_batch_results_do_not_depend_on_batching(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"c{i}.json").write_bytes(json_bytes(minimal_certificate_data(id=f"urn:x:{i}")))
    run_cli("convert", str(src), "--output-dir", str(tmp_path / "batch"))
    for i in range(3):
        single = run_cli("convert", str(src / f"c{i}.json"))
        assert (tmp_path / "batch" / f"c{i}.xml").read_bytes() == single.stdout


def test_several_inputs_need_output_dir(cert_json: Path) -> None:
    result = run_cli("convert", str(cert_json), str(cert_json))
    assert result.returncode == 2 and b"--output-dir" in result.stderr


def test_usage_errors_exit_2(cert_json: Path) -> None:
    assert run_cli("convert", str(cert_json), "--to", "pdf").returncode == 2
    assert run_cli("convert").returncode == 2
    assert run_cli("no-such-command").returncode == 2


def test_unreadable_input_exits_4(tmp_path: Path) -> None:
    result = run_cli("convert", str(tmp_path / "missing.json"))
    assert result.returncode == 4 and b"input.unreadable" in result.stderr
    result = run_cli("validate", "/dev/zero")
    assert result.returncode == 4 and b"not a regular file" in result.stdout


def test_internal_error_exits_70_with_one_line_and_no_traceback(
    cert_json: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspectx.validation.interchange

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(inspectx.validation.interchange, "interchange", broken)
    result = CliRunner().invoke(main, ["convert", str(cert_json)])
    assert result.exit_code == 70
    assert "internal error" in result.output and "Traceback" not in result.output
    debug = CliRunner().invoke(main, ["--debug", "convert", str(cert_json)])
    assert isinstance(debug.exception, RuntimeError)


def test_validate_text_json_and_jsonl(tmp_path: Path, cert_json: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(json_bytes(minimal_certificate_data(status="lost")))
    text = run_cli("validate", str(cert_json), str(bad))
    assert text.returncode == 1
    lines = text.stdout.decode().splitlines()
    assert lines[0].startswith("✔ VALID") and lines[1].startswith("✖ INVALID")
    assert any("schema.enum at /status" in line for line in lines)
    assert "\x1b[" not in text.stdout.decode(), "no colour when stdout is not a terminal"

    as_json = run_cli("validate", str(cert_json), str(bad), "--format", "json")
    report = json.loads(as_json.stdout)
    assert report["schema"] == "inspectx.report/1" and report["exitCode"] == 1
    assert [d["verdict"] for d in report["documents"]] == ["VALID", "INVALID"]
    assert report["summary"] == {
        "total": 2,
        "valid": 1,
        "invalid": 1,
        "indeterminate": 0,
        "error": 0,
    }

    as_jsonl = run_cli("validate", str(cert_json), str(bad), "--format", "jsonl")
    records = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert len(records) == 3 and records[-1]["summary"]["invalid"] == 1
    assert records[1]["findings"][0]["code"] == "schema.enum"


def test_validate_xml_findings_are_located_by_xpath_and_line(tmp_path: Path) -> None:
    xml = run_cli("convert", "-", input=json_bytes(minimal_certificate_data())).stdout
    bad = tmp_path / "bad.xml"
    bad.write_bytes(xml.replace(b"<outcome>pass</outcome>", b"<outcome>ok</outcome>", 1))
    report = json.loads(run_cli("validate", str(bad), "--format", "json").stdout)
    finding = report["documents"][0]["findings"][0]
    assert finding["code"] == "schema.enum"
    assert finding["location"].startswith("/certificate/tests[1]/outcome (line ")


def test_file_names_with_newlines_stay_on_one_line(tmp_path: Path) -> None:
    odd = tmp_path / "a\nb.json"
    odd.write_bytes(b"{}")
    text = run_cli("validate", str(odd))
    assert "a\\nb.json" in text.stdout.decode().splitlines()[0]
    jsonl = run_cli("validate", str(odd), "--format", "jsonl")
    assert json.loads(jsonl.stdout.splitlines()[0])["source"] == str(odd)


def test_non_ascii_output_under_the_c_locale(cert_json: Path) -> None:
    result = run_cli("inspect", str(cert_json), env={"LANG": "C", "LC_ALL": "C"})
    assert result.returncode == 0
    assert "检测中心" in result.stdout.decode("utf-8")


def test_inspect_says_what_the_document_is(cert_json: Path) -> None:
    result = run_cli("inspect", str(cert_json))
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "inspectx JSON certificate" in out and "a test report (issued)" in out
    assert "1: 1 pass" in out and "not signed" in out
    data = json.loads(run_cli("inspect", str(cert_json), "--format", "json").stdout)
    assert data["valid"] and data["tests"] == {"total": 1, "pass": 1}


def test_inspect_invalid_document_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_bytes(b"[1, 2]")
    result = run_cli("inspect", str(bad))
    assert result.returncode == 1 and b"not a valid inspectx certificate" in result.stdout


def test_closed_stdout_gives_no_traceback(cert_json: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspectx", "convert", str(cert_json)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.wait(timeout=60)
    assert b"Traceback" not in stderr
    assert proc.returncode in (0, 4)


def test_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspectx import _io
    from inspectx.errors import OutputError

    target = tmp_path / "out.xml"

    def no_space(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.os, "replace", no_space)
    with pytest.raises(OutputError) as info:
        _io.write_atomic(str(target), b"data")
    assert info.value.code == "output.unwritable"
    assert list(tmp_path.iterdir()) == []


def test_output_dir_names_follow_the_detected_format_not_the_file_name(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "misnamed.xml").write_bytes(json_bytes(minimal_certificate_data()))  # JSON inside
    out = tmp_path / "out"
    result = run_cli("convert", str(src), "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    written = out / "misnamed.xml"
    assert written.read_bytes().startswith(b"<?xml")
