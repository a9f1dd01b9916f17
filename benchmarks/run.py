#!/usr/bin/env python3
"""Run every benchmark and write the generated section of ``docs/benchmarks.md``.

Run from the repository root, on an otherwise idle machine::

    /work/venv/bin/python benchmarks/run.py            # everything (~15 min on 2 cores)
    /work/venv/bin/python benchmarks/run.py --quick    # smoke mode (figures not meaningful;
                                                       # docs/benchmarks.md left alone)
    /work/venv/bin/python benchmarks/run.py --no-write # print the section only

What it measures, all in the same run:

1. **The pipeline benchmarks** (``convert.py``, ``validate.py``, ``sign_verify.py``,
   ``verify.py``, ``delivery.py``): each is run as it is, in its own process (each one
   measures inspectx, its floor and its naive pipeline round-robin, single process,
   pinned where it pins); their reports are kept whole and their ``docs/s`` lines
   collected into one table.
2. **Batches through the command line** (``inspectx convert|validate|sign|verify``)
   over ``--docs`` copies (default 2,000) of the 20-item certificate of
   ``benchmarks/convert.py`` (each with its own id), with ``--jobs 1`` and
   ``--jobs 2``: wall-clock docs/s (process start included), median of ``--repeats``
   runs taken round-robin, and the speed-up. Target: ``--jobs 2`` at least 1.7 times
   ``--jobs 1`` on two cores. The fixed cost of a command (start-up, compiling the
   validators, starting the workers: about 0.3 s) is in the figures, which is why the
   batches are long.
3. **Memory as the batch grows**: ``validate`` and ``convert`` with ``--jobs 2`` over
   1,000 and 10,000 documents; the peak of the summed resident memory of the command
   and its workers (sampled from ``/proc`` every 20 ms) and the peak of the largest
   single process (``wait4``). Target: 10,000 documents within 10 % of 1,000.
4. **Start-up**: ``inspectx --version`` and ``inspectx --help`` against
   ``python -c 'import click'`` (median of 21 runs each, byte code compiled
   beforehand into a temporary cache, as an installed package has it). Target:
   ``--version`` within 1.5 times ``import click``.

The generated section lies between ``<!-- run.py:begin -->`` and ``<!-- run.py:end -->``
in ``docs/benchmarks.md`` (added at the end if absent); the hand-written text around it
is left alone.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- run.py:begin -->", "<!-- run.py:end -->"
PIPELINES = ("convert.py", "validate.py", "sign_verify.py", "verify.py", "delivery.py")
# "name   123.4 docs/s  [min-max]" (the unit is left out by some scripts: docs/s then)
RATE_LINE = re.compile(
    r"^\s*(?P<name>\S.*?)\s{2,}(?P<rate>[\d,]+(?:\.\d+)?)"
    r"(?:\s+(?P<unit>docs|events)/s)?\s+\["
)
RATIO_LINE = re.compile(r"\d\.\d+x\b")


# --- helpers ------------------------------------------------------------------------------


def _env(pycache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache  # byte code as installed, outside the checkout
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("NO_COLOR", None)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "inspectx", *args]


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    seconds: float
    peak_tree_rss: int  # bytes, summed over the process and its children
    peak_process_rss: int  # bytes, the largest single process
    returncode: int


def _tree_rss(pid: int) -> int:
    """Resident memory of ``pid`` and every descendant (from /proc), in bytes."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
            for task in Path(f"/proc/{current}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return total


def _measure(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run ``cmd`` (output discarded), timing it and sampling its memory."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(process.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    errors = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0,):
        sys.stderr.write(errors.decode(errors="replace")[-2000:])
    children = 0
    with contextlib.suppress(Exception):
        import resource

        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return Run(seconds=seconds, peak_tree_rss=peak,
               peak_process_rss=max(usage.ru_maxrss * 1024, 0) or children,
               returncode=process.returncode)  # fmt: skip


def _machine() -> str:
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, {platform.system()}"


# --- 1. the pipeline benchmarks ------------------------------------------------------------


def pipelines(quick: bool, env: dict[str, str]) -> list[dict[str, Any]]:
    found = []
    for script in PIPELINES:
        cmd = [sys.executable, str(REPO / "benchmarks" / script)] + (["--quick"] if quick else [])
        print(f"  {script} ...", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                              check=False)  # fmt: skip
        lines = done.stdout.splitlines()
        rates = [
            (m["name"].strip(), float(m["rate"].replace(",", "")), m["unit"] or "docs")
            for m in map(RATE_LINE.match, lines)
            if m
        ]
        ratios = [line.strip() for line in lines if RATIO_LINE.search(line)]
        found.append({"script": script, "returncode": done.returncode, "rates": rates,
                      "ratios": ratios,
                      "output": done.stdout.rstrip() or done.stderr.rstrip()})  # fmt: skip
    return found


# --- 2 and 3. batches through the command line ----------------------------------------------


def _corpus(folder: Path, n: int) -> None:
    """``n`` copies of the benchmark certificate, each with its own id and number."""
    spec = importlib.util.spec_from_file_location(
        "_bench_convert", REPO / "benchmarks" / "convert.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_bench_convert"] = module
    spec.loader.exec_module(module)
    from inspectx.validation import render

    cert = module.make_certificate()
    data = render(cert, "json")
    old_id, old_number = cert.id.encode(), cert.number.value.encode()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        new_id = old_id[:-12] + f"{i:012d}".encode()
        body = data.replace(old_id, new_id).replace(old_number, old_number + f"-{i}".encode())
        (sub / f"cert-{i:06d}.json").write_bytes(body)


def _key(folder: Path, env: dict[str, str]) -> tuple[Path, Path]:
    key, cert = folder / "lab.key", folder / "lab.crt"
    keygen = _cli("keygen", "--out-key", str(key), "--subject", "CN=Bench Lab,C=NL",
                  "--out-cert", str(cert))  # fmt: skip
    subprocess.run(keygen, env=env, check=True, capture_output=True)
    return key, cert


def batches(work: Path, n: int, repeats: int, env: dict[str, str]) -> dict[str, Any]:
    corpus = work / "corpus"
    _corpus(corpus, n)
    key, cert = _key(work, env)
    signed = work / "signed"
    subprocess.run(_cli("sign", str(corpus), "--key", str(key), "--output-dir", str(signed),
                        "--jobs", "2"), env=env, check=True, capture_output=True)  # fmt: skip
    out = work / "out"
    commands = {
        "convert (JSON → XML)": _cli("convert", str(corpus), "--to", "xml",
                                     "--output-dir", str(out), "-q"),
        "validate": _cli("validate", str(corpus), "--format", "jsonl"),
        "sign (Ed25519)": _cli("sign", str(corpus), "--key", str(key), "--output-dir", str(out)),
        "verify (--key-file)": _cli("verify", str(signed), "--key-file", str(cert),
                                    "--format", "jsonl"),
    }  # fmt: skip
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(repeats):
        for name, command in commands.items():
            for jobs in (1, 2):
                shutil.rmtree(out, ignore_errors=True)
                run = _measure([*command, "--jobs", str(jobs)], env, work)
                times.setdefault((name, jobs), []).append(run.seconds)
    results = {}
    for name in commands:
        one = n / statistics.median(times[(name, 1)])
        two = n / statistics.median(times[(name, 2)])
        results[name] = {"jobs1": one, "jobs2": two, "speedup": two / one}
    shutil.rmtree(work / "out", ignore_errors=True)
    return results


def memory(work: Path, sizes: Sequence[int], env: dict[str, str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for n in sizes:
        corpus = work / f"corpus-{n}"
        _corpus(corpus, n)
        for name, cmd in (
            ("validate", _cli("validate", str(corpus), "--format", "jsonl", "--jobs", "2")),
            ("convert", _cli("convert", str(corpus), "--to", "xml", "--output-dir",
                             str(work / "mem-out"), "-q", "--jobs", "2")),
        ):  # fmt: skip
            shutil.rmtree(work / "mem-out", ignore_errors=True)
            run = _measure(cmd, env, work)
            results[f"{name} {n}"] = {"n": n, "seconds": run.seconds, "tree": run.peak_tree_rss,
                                      "process": run.peak_process_rss}  # fmt: skip
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(work / "mem-out", ignore_errors=True)
    return results


# --- 4. start-up ---------------------------------------------------------------------------


def start_up(env: dict[str, str], runs: int) -> dict[str, float]:
    commands = {
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "inspectx --version": _cli("--version"),
        "inspectx --help": _cli("--help"),
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for cmd in commands.values():  # compile the byte code, warm the page cache
        subprocess.run(cmd, env=env, check=True, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            started = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


# --- the report ----------------------------------------------------------------------------


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def section(facts: dict[str, Any]) -> str:
    lines = [BEGIN, "", "## Figures from `benchmarks/run.py`", ""]
    mode = " --quick" if facts["quick"] else ""
    lines += [f"Generated by `python benchmarks/run.py{mode}` on {facts['date']}; "
              f"machine: {facts['machine']}. Do not edit by hand.", ""]  # fmt: skip
    if facts["quick"]:
        lines += ["**Smoke mode (`--quick`): the figures below are not meaningful.**", ""]
    batch = facts["batches"]
    lines += [f"### Batches through the command line ({facts['docs']:,} documents, median of "
              f"{facts['repeats']} runs)", "",
              "| pipeline | `--jobs 1` docs/s | `--jobs 2` docs/s | speed-up (target ≥ 1.7) |",
              "|---|---:|---:|---:|"]  # fmt: skip
    for name, r in batch.items():
        ok = "✔" if r["speedup"] >= 1.7 else "✖"
        lines.append(f"| {name} | {r['jobs1']:,.0f} | {r['jobs2']:,.0f} | "
                     f"{r['speedup']:.2f} {ok} |")  # fmt: skip
    lines += ["", "Wall clock of the whole command (start-up, reading, writing outputs with "
              "fsync), over the 20-item certificate of `benchmarks/convert.py`.", ""]  # fmt: skip
    mem = facts["memory"]
    lines += ["### Memory as the batch grows (`--jobs 2`)", "",
              "| command | documents | seconds | peak RSS, all processes | peak RSS, largest "
              "process |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, r in mem.items():
        lines.append(f"| {name.split()[0]} | {r['n']:,} | {r['seconds']:.1f} | "
                     f"{_mib(r['tree'])} | {_mib(r['process'])} |")  # fmt: skip
    sizes = sorted({r["n"] for r in mem.values()})
    if len(sizes) == 2:
        for command in ("validate", "convert"):
            small, large = mem[f"{command} {sizes[0]}"], mem[f"{command} {sizes[1]}"]
            growth = large["tree"] / small["tree"] - 1 if small["tree"] else 0.0
            ok = "✔" if growth <= 0.10 else "✖"
            lines.append("")
            lines.append(f"{command}: {sizes[1]:,} documents take {growth:+.1%} of the peak "
                         f"memory of {sizes[0]:,} (target ≤ +10 %) {ok}")  # fmt: skip
    start = facts["start_up"]
    click_time = start["python -c 'import click'"]
    lines += ["", "### Start-up (median of {} runs)".format(facts["start_runs"]), "",
              "| command | ms | × `import click` |", "|---|---:|---:|"]  # fmt: skip
    for name, seconds in start.items():
        lines.append(f"| `{name}` | {seconds * 1000:.1f} | {seconds / click_time:.2f} |")
    ratio = start["inspectx --version"] / click_time
    lines += ["", f"`inspectx --version` / `import click` = {ratio:.2f} (target ≤ 1.5) "
              f"{'✔' if ratio <= 1.5 else '✖'}", ""]  # fmt: skip
    lines += ["### Pipeline benchmarks (single process, each against its floor)", "",
              "| benchmark | measurement | rate |", "|---|---|---:|"]  # fmt: skip
    for p in facts["pipelines"]:
        status = "" if p["returncode"] == 0 else f" (exit {p['returncode']})"
        for name, rate, unit in p["rates"]:
            lines.append(f"| `{p['script']}`{status} | {name} | {rate:,.1f} {unit}/s |")
    lines.append("")
    for p in facts["pipelines"]:
        if p["ratios"]:
            lines.append(f"`{p['script']}` ratios:")
            lines.append("")
            lines += [f"- {ratio}" for ratio in p["ratios"]]
            lines.append("")
    for p in facts["pipelines"]:
        lines += [f"<details><summary><code>benchmarks/{p['script']}</code> report</summary>", "",
                  "```text", p["output"], "```", "", "</details>", ""]  # fmt: skip
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str) -> None:
    current = path.read_text("utf-8") if path.exists() else ""
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        updated = head + text.rstrip("\n") + tail
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(updated, "utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode (figures not meaningful)")
    parser.add_argument("--docs", type=int, default=2000, help="documents per batch (2000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per batch figure (3)")
    parser.add_argument("--memory-sizes", default="1000,10000", help="batch sizes for memory")
    parser.add_argument("--start-runs", type=int, default=21)
    parser.add_argument("--skip-pipelines", action="store_true", help="only the batch figures")
    parser.add_argument("--output", type=Path, help="file to update (default docs/benchmarks.md)")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    parser.add_argument("--json-out", type=Path, help="also write every figure as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.docs, args.repeats, args.memory_sizes, args.start_runs = 40, 1, "40,80", 3
    sizes = [int(s) for s in args.memory_sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="inspectx-bench-") as tmp:
        work = Path(tmp)
        env = _env(str(work / "pycache"))
        facts: dict[str, Any] = {
            "quick": args.quick, "machine": _machine(), "docs": args.docs,
            "repeats": args.repeats, "start_runs": args.start_runs,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }  # fmt: skip
        print("start-up ...", file=sys.stderr, flush=True)
        facts["start_up"] = start_up(env, args.start_runs)
        print("batches ...", file=sys.stderr, flush=True)
        facts["batches"] = batches(work / "batch", args.docs, args.repeats, env)
        shutil.rmtree(work / "batch", ignore_errors=True)
        print("memory ...", file=sys.stderr, flush=True)
        facts["memory"] = memory(work / "memory", sizes, env)
        print("pipeline benchmarks ...", file=sys.stderr, flush=True)
        facts["pipelines"] = [] if args.skip_pipelines else pipelines(args.quick, env)
    text = section(facts)
    print(text)
    if args.json_out:
        args.json_out.write_text(json.dumps(facts, indent=2, default=str), "utf-8")
    if not args.no_write and (args.output or not args.quick):
        write_section(args.output or DOC, text)
    failed = [p["script"] for p in facts["pipelines"] if p["returncode"] != 0]
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
