"""Batches at scale (issue 8): every core, input order, bounded memory, crash-safe outputs,
archives, hostile inputs, resume, and what the command line prints (DESIGN §10, §11;
docs/security.md catalogue F)."""

from __future__ import annotations

import contextlib
import errno
import gc
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspectx.batch import iter_inputs, run_ordered
from inspectx.cli import main
from tests.conftest import json_bytes, minimal_certificate_data, run_cli

# --- helpers ------------------------------------------------------------------------------


def _certificate(i: int) -> bytes:
    return json_bytes(
        minimal_certificate_data(
            id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}", number={"value": f"R-{i}"}
        )
    )


def _corpus(folder: Path, n: int, *, bad: tuple[int, ...] = ()) -> Path:
    """``n`` small certificates in ``folder`` (some in a subfolder); those in ``bad`` broken."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        path = folder / ("sub" if i % 7 == 3 else "") / f"c{i:04d}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b'{"id": "x", "id": "y"}' if i in bad else _certificate(i))
    return folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _slow_square(x: int) -> int:
    time.sleep(random.random() / 500)
    return x * x


# --- the engine ---------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_engine_yields_every_result_in_input_order(jobs: int) -> None:
    items = list(range(200))
    results = list(run_ordered(_slow_square, iter(items), jobs=jobs, chunk_size=3))
    assert results == [(i, i * i) for i in items]


def test_engine_settles_some_inputs_without_workers_and_keeps_the_order() -> None:
    def done(x: int) -> int | None:
        return -1 if x % 5 == 0 else None

    results = list(run_ordered(_slow_square, range(60), jobs=2, done=done))
    assert results == [(i, -1 if i % 5 == 0 else i * i) for i in range(60)]


def test_engine_reads_its_inputs_lazily_with_a_bounded_window() -> None:
    pulled = 0

    def source() -> Iterator[int]:
        nonlocal pulled
        for i in range(500):
            pulled += 1
            yield i

    seen = 0
    for _item, _result in run_ordered(_slow_square, source(), jobs=2, chunk_size=4, window=4):
        seen += 1
        assert pulled - seen <= 4 * 4 + 4  # never more than the window (plus a chunk) ahead
    assert seen == 500


def _frozen_objects(_x: int) -> int:
    return gc.get_freeze_count()


def test_workers_keep_what_they_inherit_out_of_the_collector() -> None:
    # a collection that walks the inherited heap copies its pages from the parent
    gc.collect()
    outside = gc.get_freeze_count()
    frozen = [count for _x, count in run_ordered(_frozen_objects, range(4), jobs=2)]
    assert all(count > 1000 for count in frozen), frozen
    assert gc.get_freeze_count() == outside  # the caller's collector is left as it was


def _chunk_pid(_x: int) -> int:
    return os.getpid()


def test_chunks_grow_for_cheap_inputs_and_stay_single_for_slow_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inspectx.batch import engine
    from inspectx.batch.engine import _MAX_CHUNK, _ChunkSize

    cheap = _ChunkSize(None)
    assert cheap.size == 1  # nothing measured yet
    cheap.observe(0.001, 10)  # 0.1 ms an input: as many as fit the target, capped
    assert cheap.size == _MAX_CHUNK
    slow = _ChunkSize(None)
    slow.observe(0.5, 1)
    assert slow.size == 1
    medium = _ChunkSize(None)
    medium.observe(0.004, 2)  # 2 ms an input: about ten to a chunk
    assert 5 <= medium.size <= 15
    fixed = _ChunkSize(3)
    fixed.observe(0.001, 10)
    assert fixed.size == 3
    # a real batch of cheap inputs: far fewer round trips than inputs, results in order
    sent: list[int] = []
    real_pool = engine._pool

    def counting_pool(jobs: int, work: object) -> object:
        pool = real_pool(jobs, work)  # type: ignore[arg-type]
        submit = pool.submit

        def counted(fn: object, chunk: list[int]) -> object:
            sent.append(len(chunk))
            return submit(fn, chunk)

        pool.submit = counted
        return pool

    monkeypatch.setattr(engine, "_pool", counting_pool)
    items = list(range(600))
    results = list(run_ordered(_chunk_pid, iter(items), jobs=2))
    assert [x for x, _pid in results] == items
    assert sum(sent) == len(items) and len(sent) < 60 and max(sent) > 16, sent


class _Crasher:
    """Squares its input; input 13 kills the worker process that runs it."""

    def __call__(self, x: int) -> int:
        if x == 13:
            os.kill(os.getpid(), signal.SIGKILL)
        return x * x

    def crashed(self, x: int) -> int:
        return -x


def test_a_worker_that_dies_costs_only_its_input() -> None:
    results = list(run_ordered(_Crasher(), range(40), jobs=2, chunk_size=3))
    assert results == [(i, -13 if i == 13 else i * i) for i in range(40)]


# --- parallel equals sequential ---------------------------------------------------------


def test_parallel_convert_is_byte_identical_to_sequential(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in", 40, bad=(5, 17))
    runs = []
    for jobs in ("1", "2"):
        run = tmp_path / f"run{jobs}"  # the same relative output path in both runs
        run.mkdir()
        result = run_cli("convert", str(corpus), "--to", "xml", "--output-dir", "out",
                         "--jobs", jobs, "--format", "jsonl", cwd=run)  # fmt: skip
        assert result.returncode == 1, result.stderr
        runs.append((result.stdout, _tree(run / "out")))
    assert runs[0] == runs[1]
    lines = [json.loads(line) for line in runs[0][0].splitlines()]
    assert [line.get("source") for line in lines[:-1]] == [
        str(p) for p in sorted(corpus.rglob("*.json"), key=lambda p: p.relative_to(corpus).parts)
    ]
    assert lines[-1]["summary"] == {"total": 40, "converted": 38, "skipped": 0, "failed": 2}
    assert lines[-1]["exitCode"] == 1
    assert len(runs[0][1]) == 38 and "sub/c0003.xml" in runs[0][1]


@pytest.mark.parametrize("out_format", ["jsonl", "json", "text"])
def test_parallel_validate_report_is_byte_identical_to_sequential(
    tmp_path: Path, out_format: str
) -> None:
    corpus = _corpus(tmp_path / "in", 30, bad=(4,))
    outputs = [
        run_cli("validate", str(corpus), "--format", out_format, "--jobs", jobs)
        for jobs in ("1", "2")
    ]
    assert outputs[0].returncode == outputs[1].returncode == 1
    assert outputs[0].stdout == outputs[1].stdout
    if out_format == "jsonl":
        last = json.loads(outputs[0].stdout.splitlines()[-1])
        assert last["summary"] == {"total": 30, "valid": 29, "invalid": 1,
                                   "indeterminate": 0, "error": 0}  # fmt: skip


def _signing_key(folder: Path) -> tuple[Path, Path]:
    from inspectx.proofs import keys

    key = keys.generate_key("ed25519")
    key_path, pub_path = folder / "lab.key", folder / "lab.pub"
    key_path.write_bytes(keys.private_key_to_pem(key, passphrase=None))
    pub_path.write_bytes(keys.public_key_to_pem(key))
    return key_path, pub_path


def test_parallel_signing_gives_the_same_bytes_and_verifies_in_parallel(tmp_path: Path) -> None:
    from inspectx.batch.jobs import SignJob
    from inspectx.proofs import keys
    from inspectx.proofs.multibase import did_key_verification_method

    corpus = _corpus(tmp_path / "in", 24, bad=(2,))
    key_path, pub_path = _signing_key(tmp_path)
    key = keys.load_private_key(key_path.read_bytes(), passphrase=None)
    method = did_key_verification_method(key.public_key())  # type: ignore[arg-type]
    job = SignJob(private_key=key, verification_method=method,
                  created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))  # fmt: skip
    runs = [
        [(i.name, o.exit_code, o.output) for i, o in
         run_ordered(job, iter_inputs([str(corpus)], max_bytes=1 << 20), jobs=jobs)]
        for jobs in (1, 2)
    ]  # fmt: skip
    assert runs[0] == runs[1]
    assert [code for _, code, _ in runs[0]].count(1) == 1

    signed = tmp_path / "signed"
    result = run_cli("sign", str(corpus), "--key", str(key_path), "--output-dir", str(signed),
                     "--jobs", "2")  # fmt: skip
    assert result.returncode == 1 and b"23 signed, 1 failed" in result.stderr
    reports = [
        run_cli("verify", str(signed), "--key-file", str(pub_path), "--format", "jsonl",
                "--jobs", jobs)
        for jobs in ("1", "2")
    ]  # fmt: skip
    assert reports[0].returncode == 0, reports[0].stderr
    assert reports[0].stdout == reports[1].stdout
    summary = json.loads(reports[0].stdout.splitlines()[-1])["summary"]
    assert summary["valid"] == 23 and summary["total"] == 23


def test_parallel_verify_against_a_trust_list_matches_sequential() -> None:
    from tests.conftest import FIXTURES

    trust = FIXTURES / "trust"
    signed = trust / "signed"
    args = ("verify", str(signed), "--trust", str(trust / "demo.trustlist.json"),
            "--operator-key", str(trust / "keys" / "operator.pub.pem"),
            "--at", "2026-06-01T00:00:00Z", "--format", "jsonl")  # fmt: skip
    one, two = run_cli(*args, "--jobs", "1"), run_cli(*args, "--jobs", "2")
    assert one.returncode == two.returncode
    assert one.stdout == two.stdout and one.stdout.count(b"\n") >= 2


# --- archives -------------------------------------------------------------------------------


def test_zip_members_are_inputs_named_inside_their_archive(tmp_path: Path) -> None:
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.json", _certificate(1))
        zf.writestr("deep/b.json", _certificate(2))
        zf.writestr("notes.txt", "not a document")
        zf.writestr("../evil.json", _certificate(3))
        zf.writestr("/abs.json", _certificate(4))
        zf.writestr("bomb.json", b" " * (3 * 1024 * 1024))
    result = run_cli("validate", str(archive), "--format", "jsonl", "--jobs", "2")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {line.get("source"): line for line in lines[:-1]}
    names = ("a.json", "deep/b.json", "../evil.json", "abs.json", "bomb.json")
    assert list(by_name) == [f"{archive}!/{n}" for n in names]
    assert by_name[f"{archive}!/a.json"]["verdict"] == "VALID"
    assert by_name[f"{archive}!/../evil.json"]["error"]["code"] == "input.archive-unsafe-name"
    assert by_name[f"{archive}!/abs.json"]["error"]["code"] == "input.archive-unsafe-name"
    assert by_name[f"{archive}!/bomb.json"]["error"]["code"] == "input.archive-bomb"
    assert result.returncode == 4  # an input that could not be read is an operational error

    out = tmp_path / "out"
    converted = run_cli("convert", str(archive), "--to", "xml", "--output-dir", str(out))
    assert converted.returncode == 4
    assert sorted(_tree(out)) == ["upload/a.xml", "upload/deep/b.xml"]
    assert not (tmp_path / "evil.xml").exists()


def test_a_zip_member_over_the_limit_is_refused_whatever_its_header_says(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("big.json", b"[" + b"1," * 5000 + b"1]")
    result = run_cli("validate", str(archive), "--max-bytes", "1000", "--format", "jsonl")
    first = json.loads(result.stdout.splitlines()[0])
    assert first["findings"][0]["code"] == "format.too-large"


def test_json_lines_files_give_one_document_per_line(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    lines = [json.dumps(json.loads(_certificate(i))).encode() for i in range(3)]
    batch.write_bytes(lines[0] + b"\n\n" + lines[1] + b"\n{broken\n" + lines[2])
    result = run_cli("validate", str(batch), "--format", "jsonl", "--jobs", "2")
    report = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("source") for r in report[:-1]] == [f"{batch}:{n}" for n in (1, 3, 4, 5)]
    assert [r["verdict"] for r in report[:-1]] == ["VALID", "VALID", "INVALID", "VALID"]
    assert result.returncode == 1
    long_line = run_cli("validate", str(batch), "--max-bytes", "100", "--format", "jsonl")
    assert b"format.too-large" in long_line.stdout
    out = tmp_path / "out"
    run_cli("convert", str(batch), "--to", "xml", "--output-dir", str(out))
    assert sorted(_tree(out)) == ["batch/1.xml", "batch/3.xml", "batch/5.xml"]


# --- hostile and failing inputs and outputs ----------------------------------------------


@pytest.mark.parametrize("name", ["trap.json", "trap.zip", "trap.jsonl"])
def test_a_fifo_is_refused_without_hanging(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    good = tmp_path / "good.json"
    good.write_bytes(_certificate(1))
    started = time.monotonic()
    result = run_cli("validate", str(fifo), str(good), "--format", "jsonl")  # 60 s timeout
    assert time.monotonic() - started < 30
    assert result.returncode == 4
    first = json.loads(result.stdout.splitlines()[0])
    assert first["verdict"] == "ERROR" and first["error"]["code"] == "input.not-a-file"
    assert json.loads(result.stdout.splitlines()[1])["verdict"] == "VALID"


def test_a_device_is_refused(tmp_path: Path) -> None:
    result = run_cli("validate", "/dev/zero", "--format", "jsonl")
    assert result.returncode == 4 and b"input.not-a-file" in result.stdout


def test_a_full_disk_stops_the_batch_cleanly_with_nothing_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(tmp_path / "in", 6)
    out = tmp_path / "out"

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    result = CliRunner().invoke(main, ["convert", str(corpus), "--to", "xml",
                                       "--output-dir", str(out), "--jobs", "1"])  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "output.unwritable" in result.output and "No space left" in result.output
    assert "the batch stopped: the disk is full" in result.output
    assert result.output.count("output.unwritable") == 1  # stopped at the first
    assert [p for p in out.rglob("*") if p.is_file()] == []  # no partial, no temporary file


def test_a_crash_on_one_document_does_not_abort_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspectx.validation.interchange as interchange_module

    corpus = _corpus(tmp_path / "in", 5)
    real = interchange_module.interchange

    def flaky(data: bytes, *args: object, **kwargs: object) -> object:
        if b"R-2" in data:
            raise RuntimeError("simulated bug")
        return real(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(interchange_module, "interchange", flaky)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(corpus), "--to", "xml",
                                       "--output-dir", str(out), "--jobs", "1"])  # fmt: skip
    assert result.exit_code == 70
    assert "internal.error" in result.output and "Traceback" not in result.output
    assert len(_tree(out)) == 4


# --- resume and kill -9 ---------------------------------------------------------------------


def test_resume_skips_finished_outputs_and_clears_stale_temporaries(tmp_path: Path) -> None:
    from inspectx._io import temporary_name_prefix

    corpus = _corpus(tmp_path / "in", 20)
    reference, out = tmp_path / "reference", tmp_path / "out"
    assert run_cli("convert", str(corpus), "--output-dir", str(reference), "--jobs", "1",
                   "--to", "xml").returncode == 0  # fmt: skip
    assert run_cli("convert", str(corpus), "--output-dir", str(out), "--to", "xml").returncode == 0
    again = run_cli("convert", str(corpus), "--output-dir", str(out), "--to", "xml")
    assert again.returncode == 4 and b"output.exists" in again.stderr  # without --resume
    for path in sorted(out.rglob("*.xml"))[::3]:
        path.unlink()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = out / f"{temporary_name_prefix(int(dead.stdout))}abc.tmp"
    stale.write_bytes(b"<?xml half")
    resumed = run_cli("convert", str(corpus), "--output-dir", str(out), "--to", "xml",
                      "--resume", "--format", "jsonl")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout.splitlines()[-1])["summary"]
    assert summary == {"total": 20, "converted": 7, "skipped": 13, "failed": 0}
    assert not stale.exists()
    assert _tree(out) == _tree(reference)


def _assert_complete_outputs(out: Path, reference: dict[str, bytes]) -> None:
    for path in out.rglob("*"):
        if path.is_file() and not path.name.startswith(".inspectx-"):
            assert path.read_bytes() == reference[str(path.relative_to(out))], path


def test_kill_9_at_random_moments_leaves_only_complete_outputs_and_resume_finishes(
    tmp_path: Path,
) -> None:
    corpus = _corpus(tmp_path / "in", 1000)
    reference_dir, out = tmp_path / "reference", tmp_path / "out"
    assert run_cli("convert", str(corpus), "--output-dir", str(reference_dir), "--to", "xml",
                   "--jobs", "1", "-q").returncode == 0  # fmt: skip
    reference = _tree(reference_dir)
    rng = random.Random(8)
    deadline = time.monotonic() + 40
    kills = 0
    for _round in range(6):
        if time.monotonic() > deadline:
            break
        process = subprocess.Popen(
            [sys.executable, "-m", "inspectx", "convert", str(corpus), "--to", "xml",
             "--output-dir", str(out), "--jobs", "2", "--resume", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        time.sleep(rng.uniform(0.3, 1.0))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the command and its workers, at once
            kills += 1
        process.wait(timeout=30)
        _assert_complete_outputs(out, reference)
    finished = run_cli("convert", str(corpus), "--to", "xml", "--output-dir", str(out),
                       "--jobs", "2", "--resume")  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert _tree(out) == reference  # and no temporary file is left
    assert kills >= 1


def test_kill_9_while_signing_leaves_only_outputs_that_verify_and_resume_finishes(
    tmp_path: Path,
) -> None:
    corpus = _corpus(tmp_path / "in", 1000)
    key_path, pub_path = _signing_key(tmp_path)
    out = tmp_path / "signed"
    command = [sys.executable, "-m", "inspectx", "sign", str(corpus), "--key", str(key_path),
               "--output-dir", str(out), "--jobs", "2", "--resume"]  # fmt: skip
    rng = random.Random(9)
    kills = 0
    for _round in range(3):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)  # fmt: skip
        time.sleep(rng.uniform(0.3, 0.8))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        if any(p.suffix == ".json" for p in out.rglob("*")):
            check = run_cli("verify", str(out), "--key-file", str(pub_path), "--format", "jsonl")
            summary = json.loads(check.stdout.splitlines()[-1])["summary"]
            assert summary["valid"] == summary["total"], check.stdout[-2000:]
    finished = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr
    check = run_cli("verify", str(out), "--key-file", str(pub_path), "--format", "jsonl")
    assert json.loads(check.stdout.splitlines()[-1])["summary"]["valid"] == 1000
    assert not [p for p in out.rglob(".inspectx-*")]
    assert kills >= 1


# --- what a batch prints ------------------------------------------------------------------


def test_a_batch_ends_with_a_summary_and_draws_no_progress_bar_off_a_terminal(
    tmp_path: Path,
) -> None:
    corpus = _corpus(tmp_path / "in", 12, bad=(3,))
    result = run_cli("convert", str(corpus), "--to", "xml", "--output-dir", str(tmp_path / "o"))
    stderr = result.stderr.decode()
    assert "11 converted, 1 failed in " in stderr and " docs/s)" in stderr
    assert "\r" not in stderr and "\x1b" not in stderr
    checked = run_cli("validate", str(corpus))
    assert b"12 checked: 11 valid, 1 invalid" in checked.stdout
    assert b"12 documents in " in checked.stderr and b"\r" not in checked.stderr


def test_the_progress_line_is_drawn_on_a_terminal_and_wiped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inspectx import cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    monkeypatch.delenv("TERM", raising=False)
    tally = cli._Tally(show=True)
    tally.start -= 5  # a long batch
    tally.add("VALID", 0)
    assert "1 done (1 valid)" in fake.getvalue() and "docs/s" in fake.getvalue()
    tally.wipe()
    assert fake.getvalue().endswith("\r\x1b[K")


def test_usage_errors_for_resume_and_jobs(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in", 2)
    no_dir = run_cli("convert", str(corpus / "c0000.json"), "--resume")
    assert no_dir.returncode == 2 and b"--resume needs --output-dir" in no_dir.stderr
    both = run_cli("convert", str(corpus), "--output-dir", str(tmp_path / "o"), "--resume",
                   "--force")  # fmt: skip
    assert both.returncode == 2
    negative = run_cli("validate", str(corpus), "--jobs", "-1")
    assert negative.returncode == 2


def test_parallel_delivery_verification_matches_sequential(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    here = FIXTURES / "delivery"
    expected = json.loads((here / "EXPECTED.json").read_text("utf-8"))
    bundle = here / expected["bundle"]
    events = json.loads(bundle.read_bytes())
    del events["epcisBody"]["eventList"][3]
    broken = tmp_path / "broken.jsonld"
    broken.write_text(json.dumps(events))
    proofs = [str(bundle), str(broken), str(bundle), str(tmp_path / "missing.jsonld")]
    args = ("delivery", "verify", *proofs, "--certificate", str(here / expected["certificate"]),
            "--trust", str(here / expected["trustList"]),
            "--operator-key", str(here / expected["operatorKey"]), "--at", expected["at"],
            "--format", "json")  # fmt: skip
    one, two = run_cli(*args, "--jobs", "1"), run_cli(*args, "--jobs", "2")
    assert one.returncode == two.returncode == 4
    assert one.stdout == two.stdout
    verdicts = [d["verdict"] for d in json.loads(one.stdout)["documents"]]
    assert verdicts[1] == "INVALID" and verdicts[3] == "ERROR" and verdicts[0] == verdicts[2]


def test_the_benchmark_runner_measures_batches_memory_and_start_up_in_quick_mode(
    tmp_path: Path,
) -> None:
    from tests.conftest import ROOT

    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nHand-written notes.\n", "utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--skip-pipelines",
         "--output", str(doc)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    text = doc.read_text("utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written notes.\n")
    for expected in ("<!-- run.py:begin -->", "| validate |", "speed-up", "peak RSS",
                     "`inspectx --version` / `import click`", "<!-- run.py:end -->"):  # fmt: skip
        assert expected in text
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = runner
    spec.loader.exec_module(runner)
    runner.write_section(doc, "<!-- run.py:begin -->\nnew figures\n<!-- run.py:end -->\n")
    text = doc.read_text("utf-8")
    assert text.count("<!-- run.py:begin -->") == 1 and "new figures" in text  # replaced
    assert text.startswith("# Benchmarks\n\nHand-written notes.\n")


def test_workers_do_not_outlive_a_killed_command(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in", 3000)  # seconds of work: the workers are seen first
    process = subprocess.Popen(
        [sys.executable, "-m", "inspectx", "validate", str(corpus), "--jobs", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers: list[int] = []
    deadline = time.monotonic() + 20
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        with contextlib.suppress(OSError):
            workers = [int(pid) for pid in children.read_text().split()]
    process.kill()  # the command only, not its process group
    process.wait(timeout=10)
    assert workers, "the batch ended before its workers could be seen"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.05)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and b"inspectx" in Path(f"/proc/{pid}/cmdline").read_bytes()]  # fmt: skip
    for pid in alive:  # clean up before failing
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert alive == []


def test_standard_input_in_a_parallel_batch_is_read_by_the_command(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in", 3)
    result = run_cli("validate", "-", str(corpus), "--format", "jsonl", "--jobs", "2",
                     input=_certificate(99))  # fmt: skip
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["source"] == "-" and lines[0]["verdict"] == "VALID"
    assert lines[-1]["summary"]["valid"] == 4 and result.returncode == 0


def test_verify_json_lines_validate_against_the_report_schema(tmp_path: Path) -> None:
    from importlib import resources

    import jsonschema

    from tests.conftest import FIXTURES

    schema = json.loads(
        (resources.files("inspectx") / "schemas" / "inspectx-report.schema.json").read_text("utf-8")
    )
    validator = jsonschema.Draft202012Validator(schema)
    trust = FIXTURES / "trust"
    expected = json.loads((trust / "EXPECTED.json").read_text("utf-8"))
    signed = sorted(str(trust / case) for case in expected["cases"])
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    runs = [
        run_cli("verify", *signed, str(broken), str(tmp_path / "missing.json"),
                "--trust", str(trust / "demo.trustlist.json"),
                "--operator-key", str(trust / "keys" / "operator.pub.pem"),
                "--at", expected["at"], "--format", "jsonl", "--jobs", "2"),
        run_cli("verify", *signed, str(broken), "--key-file",
                str(trust / "keys" / "nordwerk.pub.pem"), "--format", "jsonl", "--jobs", "2"),
    ]  # fmt: skip
    for result in runs:
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(lines) >= 3
        for line in lines:
            errors = [e.message for e in validator.iter_errors(line)]
            assert errors == [], (line, errors)
        assert lines[-1]["exitCode"] == result.returncode


def test_a_file_size_limit_stops_a_parallel_batch_with_nothing_partial(tmp_path: Path) -> None:
    import resource

    corpus = _corpus(tmp_path / "in", 30)
    out = tmp_path / "out"

    def limited() -> None:  # in the child: writes past 300 bytes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    result = subprocess.run(
        [sys.executable, "-m", "inspectx", "convert", str(corpus), "--to", "xml",
         "--output-dir", str(out), "--jobs", "2"],
        capture_output=True, timeout=60, check=False, preexec_fn=limited,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert b"the batch stopped: the disk is full" in result.stderr
    assert b"Traceback" not in result.stderr
    assert [p for p in out.rglob("*") if p.is_file()] == []  # no partial, no temporary file


def test_ctrl_c_stops_a_parallel_batch_cleanly_and_resume_finishes(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in", 2000)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "inspectx", "convert", str(corpus), "--to", "xml",
               "--output-dir", str(out), "--jobs", "2"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(out.rglob("*.xml")):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and b"interrupted" in stderr
    assert b"Traceback" not in stderr
    assert not list(out.rglob(".inspectx-*"))  # what the workers staged is cleared
    finished = subprocess.run([*command, "--resume", "-q"], capture_output=True, timeout=120,
                              check=False)  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert len(list(out.rglob("*.xml"))) == 2000


# --- regressions: outputs named by input, claimed once (review of the batch work) ----------


def _json_and_xml_of_one_stem(folder: Path) -> Path:
    """``a.json`` and ``a.xml``: two certificates whose outputs share the stem ``a``."""
    from inspectx.formats.certificate import data_to_xml_bytes

    folder.mkdir()
    (folder / "a.json").write_bytes(_certificate(1))
    (folder / "a.xml").write_bytes(data_to_xml_bytes(json.loads(_certificate(2))))
    return folder


def test_resume_does_not_skip_an_input_because_another_inputs_output_exists(
    tmp_path: Path,
) -> None:
    corpus, out = _json_and_xml_of_one_stem(tmp_path / "in"), tmp_path / "out"
    assert run_cli("convert", str(corpus), "--output-dir", str(out), "-j2").returncode == 0
    reference = _tree(out)  # a.json -> a.xml, a.xml -> a.json
    (out / "a.json").unlink()
    resumed = run_cli("convert", str(corpus), "--output-dir", str(out), "-j2", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _tree(out) == reference


def test_resume_still_reports_the_collision_the_first_run_reported(tmp_path: Path) -> None:
    corpus, out = _json_and_xml_of_one_stem(tmp_path / "in"), tmp_path / "out"
    first = run_cli("convert", str(corpus), "--to", "json", "--output-dir", str(out))
    assert first.returncode == 4 and b"output.collision" in first.stderr
    again = run_cli("convert", str(corpus), "--to", "json", "--output-dir", str(out), "--resume")
    assert again.returncode == 4 and b"output.collision" in again.stderr


def test_sign_never_writes_two_inputs_to_one_output_even_with_force(tmp_path: Path) -> None:
    for folder, i in (("d1", 1), ("d2", 2)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.json").write_bytes(_certificate(i))
    key_path, _ = _signing_key(tmp_path)
    out = tmp_path / "out"
    result = run_cli("sign", str(tmp_path / "d1"), str(tmp_path / "d2"), "--key", str(key_path),
                     "--output-dir", str(out), "-j2", "--force")  # fmt: skip
    assert result.returncode == 4
    assert b"output.collision" in result.stderr
    assert json.loads((out / "a.json").read_bytes())["number"]["value"] == "R-1"  # the first kept


def test_sign_resume_names_each_output_by_its_own_input(tmp_path: Path) -> None:
    corpus, out = _json_and_xml_of_one_stem(tmp_path / "in"), tmp_path / "out"
    key_path, _ = _signing_key(tmp_path)
    args = ("sign", str(corpus), "--key", str(key_path), "--output-dir", str(out), "-j2")
    assert run_cli(*args).returncode == 0  # a signature keeps the format: a.json, a.xml
    kept = (out / "a.json").read_bytes()
    (out / "a.xml").unlink()
    resumed = run_cli(*args, "--resume", "--format", "jsonl")
    assert resumed.returncode == 0, resumed.stderr
    lines = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert [(e["source"].rsplit("/", 1)[-1], e.get("skipped", False)) for e in lines[:-1]] == [
        ("a.json", True),
        ("a.xml", False),
    ]
    assert (out / "a.json").read_bytes() == kept
    assert (out / "a.xml").read_bytes().lstrip().startswith(b"<")


def test_resume_does_not_skip_an_input_that_could_not_be_read(tmp_path: Path) -> None:
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("big.json", _certificate(1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "big.xml").write_bytes(b"<from-an-earlier-run/>")
    result = run_cli("convert", str(archive), "--output-dir", str(out), "--resume",
                     "--max-bytes", "100")  # fmt: skip
    assert result.returncode == 1
    assert b"format.too-large" in result.stderr


def test_verbose_text_escapes_control_and_bidi_characters_from_the_document(
    tmp_path: Path,
) -> None:
    name = "Lab31mRED ‮evil"
    path = tmp_path / "c.json"
    path.write_bytes(json_bytes(
        minimal_certificate_data(issuer={"name": name, "address": {"countryCode": "CN"}})
    ))  # fmt: skip
    result = run_cli("validate", str(path), "-v")
    assert "" not in result.stdout.decode() and "‮" not in result.stdout.decode()
    assert rb"Lab\x9b31mRED \u202eevil" in result.stdout


def test_an_input_too_large_to_verify_is_invalid_as_in_validate(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    trust = FIXTURES / "trust"
    result = run_cli("verify", str(trust / "signed" / "valid.json"), "--trust",
                     str(trust / "demo.trustlist.json"), "--operator-key",
                     str(trust / "keys" / "operator.pub.pem"), "--max-bytes", "100",
                     "--format", "json")  # fmt: skip
    assert result.returncode == 1
    [document] = json.loads(result.stdout)["documents"]
    assert document["verdict"] == "INVALID"
    assert document["checks"][0]["status"] == "failed"


def test_staging_an_output_never_sets_the_process_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the umask means setting it, which raced with the batch's writer threads
    (a folder made meanwhile would have been world-writable)."""
    from inspectx._io import stage_output

    old = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", lambda *_: pytest.fail("os.umask called"))
        public = stage_output(str(tmp_path), b"x")
        private = stage_output(str(tmp_path), b"k", private=True)
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert os.stat(public).st_mode & 0o777 == 0o640
    assert os.stat(private).st_mode & 0o777 == 0o600
