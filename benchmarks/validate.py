"""Validate benchmark: inspectx parse + schema + rules beside the floor and the naive pipeline.

Measured in one run, single process, on the 20-line-item certificate of
``benchmarks/convert.py`` (80 tests):

- inspectx: ``validate_bytes(json_bytes)`` — strict I-JSON parse, JSON Schema
  (jsonschema-rs), model binding and every business rule of layer 3;
- floor: ``orjson.loads`` + ``jsonschema_rs`` ``is_valid`` — the unavoidable
  primitives, no rules, no strictness;
- naive: stdlib ``json.loads`` + the Python ``jsonschema`` validator (what the
  obvious libraries give), no rules.

Targets (issue 3): inspectx >= 0.5 x the floor and >= 20 x the naive pipeline.
Usage: ``python benchmarks/validate.py [--repeats N] [--target S] [--quick] [--json-out F]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jsonschema  # noqa: E402
import jsonschema_rs  # noqa: E402
import orjson  # noqa: E402
from convert import machine, make_certificate  # noqa: E402

from inspectx.validation import render, validate_bytes  # noqa: E402
from inspectx.validation.schema import default_validators, load_json_schema  # noqa: E402

TARGET_FLOOR, TARGET_NAIVE = 0.5, 20.0


def build_ops() -> tuple[dict[str, Callable[[], Any]], int]:
    data = render(make_certificate(20, 4), "json")
    schema = load_json_schema()
    rs = jsonschema_rs.validator_for(schema)  # compiled once, as inspectx does
    reference = jsonschema.Draft202012Validator(schema)
    validators = default_validators()

    def inspectx_validate() -> Any:
        report = validate_bytes(data, validators=validators)
        if report.verdict.value != "VALID":
            raise AssertionError(report.findings)
        return report

    def floor() -> Any:
        if not rs.is_valid(orjson.loads(data)):
            raise AssertionError("floor rejects the document")

    def naive() -> Any:
        if not reference.is_valid(json.loads(data)):
            raise AssertionError("naive pipeline rejects the document")

    ops = {"inspectx validate": inspectx_validate, "floor": floor, "naive": naive}
    for fn in ops.values():  # correctness gate: every pipeline accepts the document
        fn()
    broken = data.replace(b'"outcome": "pass"', b'"outcome": "maybe"', 1)
    assert validate_bytes(broken).verdict.value == "INVALID"
    assert not rs.is_valid(orjson.loads(broken))
    assert not reference.is_valid(json.loads(broken))
    return ops, len(data)


def _rate(fn: Callable[[], Any], loops: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return loops / (time.perf_counter() - start)


def measure(
    ops: dict[str, Callable[[], Any]], repeats: int, target: float
) -> dict[str, list[float]]:
    loops = {}
    for name, fn in ops.items():
        n, elapsed = 1, 0.0
        while elapsed < target / 4:
            start = time.perf_counter()
            for _ in range(n):
                fn()
            elapsed = time.perf_counter() - start
            n *= 2
        loops[name] = max(1, int(n / 2 * target / max(elapsed, 1e-9)))
    rates: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(repeats):  # round-robin, so a slow phase of the host hits all alike
        for name, fn in ops.items():
            rates[name].append(_rate(fn, loops[name]))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.0, help="seconds per repeat")
    parser.add_argument("--quick", action="store_true", help="smoke mode (figures not meaningful)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.target = 1, 0.05
    ops, size = build_ops()
    rates = measure(ops, args.repeats, args.target)
    medians = {name: statistics.median(r) for name, r in rates.items()}
    info = machine()
    print("inspectx validate benchmark")
    python = sys.version.split()[0]
    print(f"machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores; Python {python}")
    print(f"document: 20 line items x 4 results, inspectx JSON {size:,} bytes")
    print(f"method: {args.repeats} repeats of ~{args.target} s, round-robin; median [min-max]\n")
    print(f"{'pipeline':<22}{'docs/s':>10}  [min-max]")
    for name, r in rates.items():
        print(f"{name:<22}{medians[name]:>10.1f}  [{min(r):.1f}-{max(r):.1f}]")
    vs_floor = medians["inspectx validate"] / medians["floor"]
    vs_naive = medians["inspectx validate"] / medians["naive"]
    print()
    print(
        f"inspectx / floor   {vs_floor:6.2f}x   target >= {TARGET_FLOOR}x   "
        f"{'PASS' if vs_floor >= TARGET_FLOOR else 'BELOW'}"
    )
    print(
        f"inspectx / naive   {vs_naive:6.2f}x   target >= {TARGET_NAIVE}x   "
        f"{'PASS' if vs_naive >= TARGET_NAIVE else 'BELOW'}"
    )
    if args.json_out:
        args.json_out.write_text(
            json.dumps(
                {
                    "rates": rates,
                    "medians": medians,
                    "vsFloor": vs_floor,
                    "vsNaive": vs_naive,
                    "machine": info,
                    "bytes": size,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
