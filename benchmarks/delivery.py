"""Delivery-proof verification benchmark: events/s for long custody chains, beside the floor.

The chain is the fixture story of ``fixtures/delivery`` (lab sampling, packing, export
hand-over, ..., consumer acceptance) stretched to N events by inserting carrier hops
(departing/arriving at hubs) before the last-mile hand-over; every event is signed with
Ed25519 by its actor, who is listed in the fixture trust list.

- inspectx: ``verify_delivery(bundle_bytes, ...)``, all eight steps (event hashes,
  links, signatures and roles, custody, goods and seals, times, certificate and order —
  including the certificate's own admissibility — and the acknowledgement);
- floor: ``orjson`` parse, then per event one SHA-256 over its sorted-key JSON and one
  raw Ed25519 verification of its proof (the cryptographic minimum per event).

It also runs inspectx on a chain a tenth as long, so that the events/s of both show
whether the cost grows linearly, and reports the peak memory of one verification
(tracemalloc) per event. Usage: ``python benchmarks/delivery.py [--events N]
[--repeats N] [--target S] [--quick]``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import statistics
import sys
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from convert import machine  # noqa: E402
from validate import measure  # noqa: E402

from inspectx.delivery.events import new_bundle  # noqa: E402
from inspectx.delivery.verify import verify_delivery  # noqa: E402
from inspectx.proofs.dataintegrity import verify_signature  # noqa: E402
from inspectx.proofs.keys import load_public_key  # noqa: E402
from inspectx.proofs.multibase import (  # noqa: E402
    did_key_verification_method,
    multibase_decode,
    public_key_from_did_key,
)
from inspectx.trust import TrustSnapshot, load_trust_list  # noqa: E402

HERE = REPO / "fixtures" / "delivery"
AT = datetime(2026, 11, 15, 12, tzinfo=UTC)


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location("delivery_build", HERE / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chain(n_events: int) -> bytes:
    """The fixture chain stretched to ``n_events`` by carrier hops between border arrival
    and customs release."""
    build = _builder()
    from inspectx.delivery.events import certificate_digest
    from inspectx.validation import read_certificate

    cert = read_certificate((HERE / "certificate.json").read_bytes()).certificate
    specs = build.chain_specs()
    head, tail = specs[:5], specs[5:]
    start, end = head[-1]["event_time"], tail[0]["event_time"]
    n_hops = max(0, n_events - len(specs))
    step = (end - start) / (n_hops + 1)  # hops fill the time before customs release
    hops = [
        {**head[-1], "biz_step": "departing" if i % 2 else "arriving",
         "event_time": start + step * (i + 1)}
        for i in range(n_hops)
    ]  # fmt: skip
    events = build.sign_chain(head + hops + tail, cert.id, certificate_digest(cert))
    return orjson.dumps(new_bundle(datetime(2026, 3, 22, tzinfo=UTC), events))


def _trust() -> TrustSnapshot:
    operator = load_public_key((REPO / "fixtures/trust/keys/operator.pub.pem").read_bytes())
    trust_list = load_trust_list(
        (HERE / "delivery.trustlist.json").read_bytes(),
        operator_keys={did_key_verification_method(operator): operator},  # type: ignore[arg-type]
    )
    return TrustSnapshot(trust_list=trust_list, source="bench", fetched_at=None, origin="file")


def _floor(bundle: bytes) -> Callable[[], None]:
    keys: dict[str, Any] = {}

    def floor() -> None:
        events = orjson.loads(bundle)["epcisBody"]["eventList"]
        for event in events:
            proof = {k.removeprefix("inspectx:"): v for k, v in event.pop("inspectx:proof").items()}
            hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).digest()
            method = proof["verificationMethod"]
            key = keys.get(method) or keys.setdefault(method, public_key_from_did_key(method))
            value = multibase_decode(proof.pop("proofValue"))
            document = {"type": "InspectxCustodyEvent", "eventID": event["eventID"]}
            message = (
                hashlib.sha256(orjson.dumps(proof, option=orjson.OPT_SORT_KEYS)).digest()
                + hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).digest()
            )
            verify_signature(key, value, message)

    return floor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=2.0, help="seconds per repeat")
    parser.add_argument("--quick", action="store_true", help="smoke mode (figures not meaningful)")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.repeats, args.target = 200, 1, 0.05
    info = machine()
    print(f"inspectx delivery-proof benchmark ({args.events} events, Ed25519)")
    print(f"machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores")
    print(f"method: {args.repeats} repeats of ~{args.target} s, round-robin; median [min-max]\n")
    trust = _trust()
    code = _builder().DELIVERY_CODE
    order = (_builder().PLATFORM, _builder().ORDER_ID)
    certificate = (HERE / "certificate.json").read_bytes()
    sizes = {"long": args.events, "short": max(10, args.events // 10)}
    bundles = {name: chain(n) for name, n in sizes.items()}

    def verify(name: str) -> Callable[[], None]:
        def run() -> None:
            report = verify_delivery(bundles[name], certificate=certificate, trust=trust,
                                     order=order, delivery_code=code, at=AT)  # fmt: skip
            if report.verdict.value != "VALID":
                raise AssertionError(report.failing())

        return run

    ops = {
        f"inspectx, {sizes['long']} events": verify("long"),
        f"inspectx, {sizes['short']} events": verify("short"),
        f"floor, {sizes['long']} events": _floor(bundles["long"]),
    }
    for fn in ops.values():
        fn()  # gates: every path accepts its chain
    tampered = bundles["long"].replace(b'"departing"', b'"arriving"', 1)
    bad = verify_delivery(tampered, certificate=certificate, trust=trust, order=order,
                          delivery_code=code, at=AT)  # fmt: skip
    assert bad.verdict.value == "INVALID", "a changed event must be refused"
    rates = measure(ops, args.repeats, args.target)
    per_event = {name: [r * n for r in rates[name]] for name, n in zip(
        ops, (sizes["long"], sizes["short"], sizes["long"]), strict=True)}  # fmt: skip
    medians = {name: statistics.median(r) for name, r in per_event.items()}
    for name, r in per_event.items():
        print(f"{name:<30}{medians[name]:>10.0f} events/s  [{min(r):.0f}-{max(r):.0f}]")
    long_name, short_name, floor_name = ops
    print(f"\ninspectx / floor: {medians[long_name] / medians[floor_name]:.2f}x")
    print(f"events/s, long chain / short chain: {medians[long_name] / medians[short_name]:.2f} "
          "(1.00 = linear)")  # fmt: skip
    tracemalloc.start()
    verify("long")()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory of one verification: {peak / 2**20:.1f} MiB for "
          f"{len(bundles['long']) / 2**20:.1f} MiB of bundle "
          f"({peak / sizes['long'] / 1024:.1f} KiB per event)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
