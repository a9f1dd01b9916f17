"""Regression tests for the defects a review found in the batch machinery (issue 8).

Each test is named for what broke; every one is bounded in time and uses small inputs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from inspectx.batch import engine
from tests.conftest import FIXTURES, ROOT, json_bytes, minimal_certificate_data

CERTIFICATES = FIXTURES / "certificates"


def _certificate(i: int) -> bytes:
    return json_bytes(
        minimal_certificate_data(
            id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}", number={"value": f"R-{i}"}
        )
    )


def _corpus(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"c{i:04d}.json").write_bytes(_certificate(i))
    return folder


def _inspectx(*args: str) -> list[str]:
    return [sys.executable, "-m", "inspectx", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".inspectx-*.tmp")]


# --- 1. inspectx as process 1 (containers) ---------------------------------------------------


def test_a_worker_is_orphaned_only_when_its_own_parent_is_gone() -> None:
    # the worker's parent is this process: not orphaned, whatever its process id (even 1)
    assert not engine._orphaned(os.getppid())
    assert engine._orphaned(os.getppid() + 1)


def _can_unshare() -> str | None:
    if not shutil.which("unshare"):
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True, timeout=30
    )
    if probe.returncode != 0:
        return "this user may not make a PID namespace: " + probe.stderr.decode(errors="replace")
    return None


def test_a_parallel_batch_works_when_inspectx_is_process_1() -> None:
    reason = _can_unshare()
    if reason:
        pytest.skip(reason)
    run = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc",
         *_inspectx("validate", str(CERTIFICATES), "--format", "jsonl", "-j", "2")],
        capture_output=True, env=_env(), timeout=120,
    )  # fmt: skip
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines, run.stderr
    assert "internal.error" not in run.stdout.decode()
    assert run.returncode in (0, 3), run.stderr  # whatever the fixtures' findings, no 70
    assert lines[-1]["summary"]["total"] == len(list(CERTIFICATES.glob("*.*")))


# --- 2. a worker that dies in a batch that then completes ------------------------------------


class _StagingCrasher:
    """Stages ``x`` in a temporary file under ``stage_dir`` (as convert does), logging each
    run; input 0 stages its file, waits for the other worker to finish the inputs after
    it, then kills its worker process."""

    def __init__(self, stage_dir: Path, log: Path) -> None:
        self.stage_dir = str(stage_dir)
        self.owner = os.getpid()
        self.log = str(log)

    def __call__(self, x: int) -> str:
        from inspectx._io import stage_output

        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{x}\n".encode())
        os.close(fd)
        staged = stage_output(self.stage_dir, str(x).encode(), owner=self.owner)
        if x == 0:
            time.sleep(1.0)  # the other worker finishes inputs 1..7 meanwhile
            os.kill(os.getpid(), signal.SIGKILL)
        return staged

    def crashed(self, x: int) -> str:
        return ""


def test_a_worker_crash_reruns_no_finished_input_and_leaves_no_temporaries(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    log = tmp_path / "runs.log"
    work = _StagingCrasher(out, log)
    seen = []
    for x, staged in engine.run_ordered(work, range(12), jobs=2, chunk_size=1, window=8):
        seen.append(x)
        if staged:  # the caller puts each staged output in place before the next
            os.replace(staged, out / f"{x}.txt")
    assert seen == list(range(12))
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{x}.txt" for x in range(1, 12))
    runs = [int(line) for line in log.read_text().split()]
    assert [runs.count(x) for x in range(1, 8)] == [1] * 7  # done before the crash: kept
    assert _temporaries(out) == []


_DOCUMENTS = 2000  # seconds of work: the batch is still running when the test acts


def _running_convert_batch(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, list[str]]:
    """A parallel convert batch under way (some outputs written), and its workers' pids."""
    source = _corpus(tmp_path / "in", _DOCUMENTS)
    out = tmp_path / "out"
    process = subprocess.Popen(
        _inspectx("convert", str(source), "--output-dir", str(out), "-j", "2", "--format", "jsonl"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (out.is_dir() and len(os.listdir(out)) >= 60):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            _stdout, stderr = process.communicate()
            pytest.fail(f"the batch did not get under way: {stderr.decode(errors='replace')}")
        time.sleep(0.01)
    workers = subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, timeout=10
    ).stdout.split()
    assert workers, "the batch ended before its workers could be seen"
    return process, out, workers


def test_a_worker_killed_during_a_convert_batch_leaves_no_temporaries(tmp_path: Path) -> None:
    process, out, children = _running_convert_batch(tmp_path)
    try:
        os.kill(int(children[0]), signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    summary = json.loads(stdout.splitlines()[-1])["summary"]
    assert summary["total"] == _DOCUMENTS, stderr
    outputs = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(outputs) == summary["converted"]
    assert _temporaries(out) == []


# --- 3. SIGTERM and SIGHUP stop a batch as cleanly as Ctrl-C ---------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_during_a_batch_raises_terminated_and_restores_the_handler(jobs: int) -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def consume() -> None:
        for x, _ in engine.run_ordered(abs, range(100), jobs=jobs):
            seen.append(x)
            if x == 10:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises here

    with pytest.raises(engine.Terminated) as caught:
        consume()
    assert isinstance(caught.value, KeyboardInterrupt)  # the same clean-up path as Ctrl-C
    assert caught.value.exit_code == 128 + signal.SIGTERM
    assert seen[-1] == 10
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_signal_ignored_before_the_batch_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        for x, _ in engine.run_ordered(abs, range(5), jobs=1):
            if x == 2:
                os.kill(os.getpid(), signal.SIGHUP)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def _signal_during_convert(tmp_path: Path, signum: int) -> tuple[int, Path, bytes, list[str]]:
    process, out, children = _running_convert_batch(tmp_path)
    try:
        process.send_signal(signum)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    time.sleep(0.2)
    alive = [c for c in children if _running(int(c))]
    return process.returncode, out, stderr, alive


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_during_a_batch_leaves_no_temporaries(tmp_path: Path, name: str) -> None:
    returncode, out, stderr, alive = _signal_during_convert(tmp_path, getattr(signal, name))
    assert returncode > 0, stderr  # stopped through the clean-up, not killed by the signal
    assert _temporaries(out) == []
    assert alive == []


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_during_a_batch_exits_128_plus_the_signal(
    tmp_path: Path, name: str
) -> None:
    signum = getattr(signal, name)
    returncode, _out, stderr, _alive = _signal_during_convert(tmp_path, signum)
    assert returncode == 128 + signum, stderr


# --- 4. ZIP limits ---------------------------------------------------------------------------


def _zip_errors(archive: Path, **limits: int) -> list[tuple[str, str | None]]:
    from inspectx.batch.inputs import ArchiveLimits, iter_inputs

    items = iter_inputs([str(archive)], max_bytes=10 * 1024 * 1024, limits=ArchiveLimits(**limits))
    return [(item.member or "", item.error[0] if item.error else None) for item in items]


def test_a_zip_member_under_1_mib_that_expands_hugely_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.json", _certificate(1))
        zf.writestr("spaces.json", b" " * (512 * 1024))  # ~1000 times
        zf.writestr("noise.bin", os.urandom(64 * 1024))  # keeps the archive's ratio low
    assert _zip_errors(archive) == [("a.json", None), ("spaces.json", "input.archive-bomb")]


def test_a_zip_of_many_members_that_expand_together_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(200):  # each under the per-member floor, 12 MiB together
            zf.writestr(f"m{i:03d}.json", b" " * (60 * 1024))
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: opened.append(a))
    assert _zip_errors(archive) == [("", "input.archive-bomb")]
    assert opened == []


def test_the_default_total_of_a_zip_is_at_most_1_gib() -> None:
    from inspectx.batch.inputs import ArchiveLimits

    assert ArchiveLimits().max_total_bytes <= 1024**3


def _many_entries(path: Path, n: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"e{i:03d}.json", b"{}")
    return path


def _refuse_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile parsed the central directory")

    monkeypatch.setattr(zipfile, "ZipFile", parse)


def _set_end_record_count(path: Path, count: int) -> None:
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<2H", count, count)
    path.write_bytes(bytes(data))


def test_a_zip_with_too_many_entries_is_refused_before_zipfile_parses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _many_entries(tmp_path / "many.zip", 30)
    liar = _many_entries(tmp_path / "liar.zip", 30)
    _set_end_record_count(liar, 1)  # the count recorded says 1: the directory holds 30
    _refuse_parsing(monkeypatch)
    assert _zip_errors(archive, max_members=10) == [("", "input.archive-too-many")]
    assert _zip_errors(liar, max_members=10) == [("", "input.archive-too-many")]


def test_a_zip64_entry_count_is_read_before_zipfile_parses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 5)  # zipfile writes ZIP64 end records
    archive = _many_entries(tmp_path / "z64.zip", 30)
    _set_end_record_count(archive, 0xFFFF)  # as for 65,535 entries or more: see ZIP64
    monkeypatch.undo()
    assert len(_zip_errors(archive, max_members=100)) == 30  # a good ZIP64 archive reads
    _refuse_parsing(monkeypatch)
    assert _zip_errors(archive, max_members=10) == [("", "input.archive-too-many")]


# --- 5. a folder that cannot be listed ---------------------------------------------------------


def test_an_unreadable_sub_folder_is_an_input_with_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspectx._io import expand_inputs

    (tmp_path / "a.json").write_bytes(b"{}")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.json").write_bytes(b"{}")
    (tmp_path / "z.json").write_bytes(b"{}")
    scandir = os.scandir

    def refusing(path: str) -> object:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    items = list(expand_inputs([str(tmp_path)]))
    assert [(i.relative, i.error[0] if i.error else None) for i in items] == [
        ("a.json", None), (os.path.join("locked", ""), "input.unreadable"), ("z.json", None)
    ]  # fmt: skip
    assert items[1].path == str(tmp_path / "locked")


def _setpriv_nobody() -> list[str] | None:
    if not shutil.which("setpriv"):
        return None
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*command, sys.executable, "-c", "import inspectx"],
                           capture_output=True, env=_env(), cwd=ROOT, timeout=30)  # fmt: skip
    return command if probe.returncode == 0 else None


def test_an_unreadable_sub_folder_fails_the_batch_with_exit_4(tmp_path: Path) -> None:
    import tempfile

    nobody = _setpriv_nobody() if os.geteuid() == 0 else []
    if nobody is None:
        pytest.skip("cannot run as another user (setpriv, as root) to be denied a folder")
    base = Path(tempfile.mkdtemp(prefix="inspectx-unreadable-"))
    try:
        base.chmod(0o755)
        source = _corpus(base / "in", 2)
        (source / "locked").mkdir()
        (source / "locked" / "c.json").write_bytes(_certificate(9))
        (source / "locked").chmod(0)
        run = subprocess.run(
            [*nobody, *_inspectx("validate", str(source), "--format", "jsonl")],
            capture_output=True, env=_env(), cwd=ROOT, timeout=120,
        )  # fmt: skip
    finally:
        (base / "in" / "locked").chmod(0o755)
        shutil.rmtree(base)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 4, run.stderr
    locked = [line for line in lines if line.get("source") == str(source / "locked")]
    assert len(locked) == 1 and "input.unreadable" in json.dumps(locked[0])
    assert lines[-1]["summary"]["total"] == 3


# --- 6. an output folder inside an input folder ---------------------------------------------


def test_enumeration_skips_an_excluded_folder_even_one_made_during_the_walk(
    tmp_path: Path,
) -> None:
    from inspectx._io import expand_inputs

    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "d.json").write_bytes(b"{}")
    out = tmp_path / "b" / "out"  # made after the walk started
    names = []
    for item in expand_inputs([str(tmp_path)], exclude_dirs=[str(out)]):
        names.append(item.relative)
        out.mkdir(exist_ok=True)
        (out / "d.xml").write_bytes(b"<x/>")
        (out / "e.json").write_bytes(b"{}")
    assert names == [os.path.join("a", "d.json"), os.path.join("b", "d.json")]


def test_an_output_folder_inside_the_input_folder_is_not_read_back(tmp_path: Path) -> None:
    reports = []
    for jobs in ("1", "2"):
        source = _corpus(tmp_path / f"in{jobs}", 40)
        out = source / "zz"
        out.mkdir()  # there already (say, from an earlier run): listed with the inputs
        run = subprocess.run(
            _inspectx("convert", str(source), "--to", "xml", "--output-dir", str(out),
                      "-j", jobs, "--format", "jsonl"),
            capture_output=True, env=_env(), timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        summary = json.loads(run.stdout.splitlines()[-1])["summary"]
        assert summary["total"] == 40
        assert sorted(p.name for p in out.rglob("*")) == [f"c{i:04d}.xml" for i in range(40)]
        reports.append(run.stdout.replace(str(source).encode(), b"IN"))
    assert reports[0] == reports[1]


# --- 7. delivery verify: folders, archives, JSON Lines, --format jsonl ----------------------

DELIVERY = FIXTURES / "delivery"


def _delivery_verify(*args: str) -> subprocess.CompletedProcess[bytes]:
    expected = json.loads((DELIVERY / "EXPECTED.json").read_text("utf-8"))
    return subprocess.run(
        _inspectx("delivery", "verify", *args,
                  "--certificate", str(DELIVERY / expected["certificate"]),
                  "--trust", str(DELIVERY / expected["trustList"]),
                  "--operator-key", str(DELIVERY / expected["operatorKey"]),
                  "--order", f"{expected['platform']}:{expected['order']}",
                  "--delivery-code", expected["deliveryCode"], "--at", expected["at"]),
        capture_output=True, env=_env(), timeout=120,
    )  # fmt: skip


def test_delivery_verify_takes_a_folder_and_reports_jsonl(tmp_path: Path) -> None:
    bundle = (DELIVERY / "delivery-proof.jsonld").read_bytes()
    folder = tmp_path / "proofs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonld").write_bytes(bundle)
    (folder / "sub" / "b.jsonld").write_bytes(bundle)
    (folder / "broken.json").write_bytes(b"{")
    run = _delivery_verify(str(folder), "--format", "jsonl", "-j", "2")
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line.get("source") for line in lines[:-1]] == [
        str(folder / "a.jsonld"), str(folder / "broken.json"), str(folder / "sub" / "b.jsonld")
    ]  # fmt: skip
    assert [line.get("verdict") for line in lines[:-1]] == ["VALID", "INVALID", "VALID"]
    assert lines[-1]["summary"] == {"total": 3, "valid": 2, "invalid": 1, "indeterminate": 0,
                                    "error": 0}  # fmt: skip
    assert lines[-1]["exitCode"] == run.returncode == 1


def test_delivery_verify_takes_zip_and_json_lines_archives(tmp_path: Path) -> None:
    bundle = (DELIVERY / "delivery-proof.jsonld").read_bytes()
    archive = tmp_path / "proofs.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("p/one.jsonld", bundle)
        zf.writestr("readme.txt", "not a proof")
    lines_file = tmp_path / "proofs.jsonl"
    lines_file.write_bytes(json.dumps(json.loads(bundle)).encode() + b"\n")
    run = _delivery_verify(str(archive), str(lines_file), "--format", "jsonl")
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(line.get("source"), line.get("verdict")) for line in lines[:-1]] == [
        (f"{archive}!/p/one.jsonld", "VALID"), (f"{lines_file}:1", "VALID")
    ]  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_workers_stage_without_fsync_and_the_commit_fsyncs_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moving the fsync from the workers to the commit must not let a rename come first
    from inspectx._io import InputFile, commit_output
    from inspectx.batch.jobs import _stage

    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1]
    )
    staged = _stage(InputFile(path="a.json", relative="a.json"), b"doc", str(tmp_path), None)
    assert calls == []  # the worker wrote, did not wait for the disk
    commit_output(staged, str(tmp_path / "a.xml"), sync=True)
    assert calls == ["fsync", "replace"]
    assert (tmp_path / "a.xml").read_bytes() == b"doc"


def test_a_full_disk_at_the_commit_fsync_stops_the_batch_with_nothing_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from inspectx._io import NoSpace, commit_output, stage_output

    staged = stage_output(str(tmp_path), b"doc", sync=False)

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(NoSpace):
        commit_output(staged, str(tmp_path / "out.xml"), sync=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # neither output nor staged file
    from inspectx._io import InputFile
    from inspectx.cli import _failed

    outcome = _failed(InputFile(path="a.json", relative="a.json"), NoSpace("output.unwritable",
                      "full", hint="free space"))  # fmt: skip
    assert outcome.disk_full  # the batch stops at it, as at a full disk in a worker


class _Square:
    def __call__(self, x: int) -> int:
        return x * x

    def crashed(self, x: int) -> int:
        return -x


def test_a_pool_that_refuses_work_after_a_worker_died_does_not_end_the_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a worker killed while the parent was filling the window: submit() raised
    # BrokenProcessPool outside the recovery, and the batch ended with an internal error
    from concurrent.futures.process import BrokenProcessPool

    real_pool = engine._pool
    refusals = [5]  # the sixth chunk sent to the first pool is refused

    def refusing_pool(jobs: int, work: object) -> object:
        pool = real_pool(jobs, work)  # type: ignore[arg-type]
        submit = pool.submit

        def maybe_refuse(fn: object, chunk: list[int]) -> object:
            if refusals and refusals[0] == 0:
                refusals.clear()
                raise BrokenProcessPool("a child process terminated abruptly")
            if refusals:
                refusals[0] -= 1
            return submit(fn, chunk)

        pool.submit = maybe_refuse
        return pool

    monkeypatch.setattr(engine, "_pool", refusing_pool)
    results = list(engine.run_ordered(_Square(), range(40), jobs=2, chunk_size=2))
    assert results == [(x, x * x) for x in range(40)]
    assert not refusals  # the refusal happened
