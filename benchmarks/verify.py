"""End-to-end verify benchmark: parse, schema, rules, proof and trust, per document.

Measured in one run, round-robin, single process, on the 20-item certificate of
``benchmarks/convert.py`` signed with Ed25519 by a lab listed in a trust list built
for it (status accredited, scope covering its methods and HS codes):

- inspectx verify + trust: ``verify_admissible(json_bytes, trust=snapshot)``, all eight
  steps (format, schema, rules, proof integrity, signer identity, status and scope at
  signing time, document validity, trust freshness);
- inspectx verify without trust: the same work minus steps 5-8
  (``read_certificate`` + ``check_rules`` + ``verify_certificate_proof`` with the key);
- floor: orjson parse + jsonschema-rs + canonical bytes + two hashes + one raw
  Ed25519 verification (as in ``benchmarks/sign_verify.py``);
- naive: stdlib ``json`` + Python ``jsonschema`` + ``rfc8785`` + ``cryptography``.

Target (issue 5): the trust steps cost <= 10 % of the verify without them.
Usage: ``python benchmarks/verify.py [--repeats N] [--target S] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from convert import machine, make_certificate  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from sign_verify import floor_and_naive  # noqa: E402
from validate import measure  # noqa: E402

from inspectx.proofs.certificate import sign_certificate, verify_certificate_proof  # noqa: E402
from inspectx.proofs.multibase import did_key_verification_method  # noqa: E402
from inspectx.trust import TrustSnapshot, load_trust_list, sign_trust_list  # noqa: E402
from inspectx.trust.lists import key_entry  # noqa: E402
from inspectx.trust.verify import verify_admissible  # noqa: E402
from inspectx.validation import read_certificate, render  # noqa: E402
from inspectx.validation.rules import check_rules  # noqa: E402

TARGET_TRUST_SHARE = 0.10
SIGNED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
AT = datetime(2026, 11, 20, tzinfo=UTC)


def _trust_for(cert: Any, lab: ed25519.Ed25519PrivateKey) -> TrustSnapshot:
    operator = ed25519.Ed25519PrivateKey.generate()
    hs = sorted({c.code[:4] for p in cert.products for c in p.classifications})
    methods = sorted({t.method.standard for t in cert.tests})
    document = {
        "type": "InspectxTrustList",
        "id": "urn:inspectx:trust-list:bench",
        "operator": {"name": "bench registry"},
        "sequenceNumber": 1,
        "issuedAt": "2026-11-01T00:00:00Z",
        "nextUpdate": "2030-01-01T00:00:00Z",
        "entities": [
            {
                "id": cert.issuer.id,
                "name": cert.issuer.name,
                "country": "NL",
                "roles": ["testing-lab"],
                "services": [
                    {
                        "type": "testing-17025",
                        "keys": [key_entry(None, lab.public_key(), None)],
                        "scope": {"hsPrefixes": hs, "methods": methods},
                        "statusHistory": [
                            {"status": "accredited", "since": "2024-01-01T00:00:00Z"}
                        ],
                    }
                ],
            }
        ],
    }
    signed = sign_trust_list(document, private_key=operator, created=SIGNED_AT)
    trust = load_trust_list(
        json.dumps(signed).encode(),
        operator_keys={did_key_verification_method(operator.public_key()): operator.public_key()},
    )
    return TrustSnapshot(trust_list=trust, source="bench", fetched_at=None, origin="file")


def build_ops() -> dict[str, Callable[[], Any]]:
    lab = ed25519.Ed25519PrivateKey.generate()
    public = lab.public_key()
    method = did_key_verification_method(public)
    cert = read_certificate(render(make_certificate(20, 4), "json")).certificate
    signed = render(
        sign_certificate(cert, private_key=lab, verification_method=method, created=SIGNED_AT),
        "json",
    )
    snapshot = _trust_for(cert, lab)

    def with_trust() -> Any:
        report = verify_admissible(signed, trust=snapshot, at=AT)
        if report.verdict.value != "VALID":
            raise AssertionError(report.failing())
        return report

    def without_trust() -> Any:
        # what verify_admissible does before steps 5-8: read, bind the model (the report
        # carries it), rules on the JSON read, the proofs
        loaded = read_certificate(signed)
        assert loaded.certificate is not None
        if any(f.severity.value == "error" for f in check_rules(loaded.json_data)):
            raise AssertionError("rules fail")
        return [verify_certificate_proof(loaded, i, public) for i in range(len(cert.proofs) or 1)]

    floor, naive = floor_and_naive(signed, public, "ed25519")

    # gates: everything accepts the signed document, and the trust path refuses it tampered
    for fn in (with_trust, without_trust, floor, naive):
        fn()
    tampered = signed.replace(b"Moisture", b"Moisturf", 1)
    assert tampered != signed
    assert verify_admissible(tampered, trust=snapshot, at=AT).verdict.value == "INVALID"
    return {
        "inspectx verify + trust": with_trust,
        "inspectx verify, no trust": without_trust,
        "floor": floor,
        "naive": naive,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.0, help="seconds per repeat")
    parser.add_argument("--quick", action="store_true", help="smoke mode (figures not meaningful)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.target = 1, 0.05
    info = machine()
    print("inspectx end-to-end verify benchmark (Ed25519, 20 items x 4 results, trust list)")
    print(f"machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores")
    print(f"method: {args.repeats} repeats of ~{args.target} s, round-robin; median [min-max]\n")
    rates = measure(build_ops(), args.repeats, args.target)
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, r in rates.items():
        print(f"{name:<28}{medians[name]:>10.1f} docs/s  [{min(r):.1f}-{max(r):.1f}]")
    with_trust = 1 / medians["inspectx verify + trust"]
    without = 1 / medians["inspectx verify, no trust"]
    share = (with_trust - without) / without
    paired = [
        (1 / a - 1 / b) / (1 / b)
        for a, b in zip(
            rates["inspectx verify + trust"], rates["inspectx verify, no trust"], strict=True
        )
    ]
    verdict = "PASS" if share <= TARGET_TRUST_SHARE else "ABOVE"
    print(
        f"\ntrust steps cost {share * 100:+.1f} % of the verify without them "
        f"(paired {min(paired) * 100:+.1f} to {max(paired) * 100:+.1f} %; "
        f"target <= {TARGET_TRUST_SHARE * 100:.0f} %: {verdict})"
    )
    print(
        f"verify + trust / floor {medians['inspectx verify + trust'] / medians['floor']:.2f}x; "
        f"/ naive {medians['inspectx verify + trust'] / medians['naive']:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
