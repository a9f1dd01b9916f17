"""Sign and verify benchmark: Data Integrity on a 20-item certificate, per algorithm.

Measured in one run, round-robin, single process, on the certificate of
``benchmarks/convert.py`` signed once per key:

- inspectx sign: ``read_certificate`` + ``sign_certificate`` + ``render`` (JSON in, JSON out);
- inspectx verify: ``verify_certificate(json_bytes)`` (strict parse, JSON Schema, the
  leaves the model would refuse, canonical JSON, hashes, signature); the result builds
  its model on first use, so "verify + model" also reads ``.certificate``;
- floor: ``orjson`` parse + ``jsonschema-rs`` + canonical bytes (``orjson`` with sorted keys:
  equal to RFC 8785 for this document, asserted) + the two SHA hashes + one raw
  signature verification;
- naive: stdlib ``json`` + Python ``jsonschema`` + ``rfc8785`` + ``cryptography``.

Targets (issue 4): verify >= 0.5 x the floor and >= 10 x the naive pipeline.

XML signatures (``--xml-algorithms``, default ``rsa3072,p256``), on the XML rendering of
the same certificate signed once by ``sign_xml``:

- inspectx XMLDSig verify: ``verify_xml(signed, certificate=cert)`` (hardened parse, the
  profile checks, signxml, the covers-the-document check, XSD, model from the signed data);
- bare signxml: ``XMLVerifier().verify(signed, x509_cert=cert)`` on the same bytes (no
  profile, no schema, no model).

Target (issue 4): inspectx >= 0.8 x bare signxml.
Usage: ``python benchmarks/sign_verify.py [--repeats N] [--target S] [--quick]``.
"""

from __future__ import annotations

import argparse
import hashlib
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

import jsonschema  # noqa: E402
import jsonschema_rs  # noqa: E402
import orjson  # noqa: E402
import rfc8785  # noqa: E402
from convert import machine, make_certificate  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402
from validate import measure  # noqa: E402

from inspectx.proofs.certificate import sign_certificate, verify_certificate  # noqa: E402
from inspectx.proofs.multibase import did_key_verification_method, multibase_decode  # noqa: E402
from inspectx.validation import read_certificate, render  # noqa: E402
from inspectx.validation.schema import load_json_schema  # noqa: E402

TARGET_FLOOR, TARGET_NAIVE, TARGET_SIGNXML = 0.5, 10.0, 0.8
CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _raw_verify(key: Any, signature: bytes, message: bytes, digest: Any) -> None:
    if isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, message)
        return
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    half = len(signature) // 2
    der = encode_dss_signature(
        int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    )
    key.verify(der, message, ec.ECDSA(digest))


def floor_and_naive(
    signed: bytes, public: Any, algorithm: str
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The floor and the naive pipeline verifying ``signed`` (one Data Integrity proof)."""
    sha = hashlib.sha384 if algorithm == "p384" else hashlib.sha256
    digest = hashes.SHA384() if algorithm == "p384" else hashes.SHA256()
    schema = load_json_schema()
    rs = jsonschema_rs.validator_for(schema)
    reference = jsonschema.Draft202012Validator(schema)

    def floor() -> None:
        doc = orjson.loads(signed)
        if not rs.is_valid(doc):
            raise AssertionError("floor rejects the document")
        proof = doc.pop("proof")[0]
        value = proof.pop("proofValue")
        canon_doc = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        canon_proof = orjson.dumps(proof, option=orjson.OPT_SORT_KEYS)
        message = sha(canon_proof).digest() + sha(canon_doc).digest()
        _raw_verify(public, multibase_decode(value), message, digest)

    def naive() -> None:
        doc = json.loads(signed)
        if not reference.is_valid(doc):
            raise AssertionError("naive pipeline rejects the document")
        proof = doc.pop("proof")[0]
        value = proof.pop("proofValue")
        message = sha(rfc8785.dumps(proof)).digest() + sha(rfc8785.dumps(doc)).digest()
        _raw_verify(public, multibase_decode(value), message, digest)

    return floor, naive


def build_ops(algorithm: str) -> dict[str, Callable[[], Any]]:
    private: Any = {
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    }[algorithm]()
    public = private.public_key()
    method = did_key_verification_method(public)
    keys = {method: public}
    unsigned = render(make_certificate(20, 4), "json")
    cert = read_certificate(unsigned).certificate
    signed = render(
        sign_certificate(cert, private_key=private, verification_method=method, created=CREATED),
        "json",
    )

    def inspectx_sign() -> bytes:
        loaded = read_certificate(unsigned).certificate
        made = sign_certificate(
            loaded, private_key=private, verification_method=method, created=CREATED
        )
        return render(made, "json")

    def inspectx_verify() -> Any:
        return verify_certificate(signed, public_keys=keys)

    def inspectx_verify_model() -> Any:
        return verify_certificate(signed, public_keys=keys).certificate

    floor, naive = floor_and_naive(signed, public, algorithm)

    # gates: every pipeline accepts the signed document; the floor's canonical bytes are JCS
    doc = orjson.loads(signed)
    doc.pop("proof")
    assert orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) == rfc8785.dumps(doc)
    for fn in (inspectx_verify, floor, naive):
        fn()
    assert verify_certificate(inspectx_sign(), public_keys=keys)
    return {
        f"inspectx sign {algorithm}": inspectx_sign,
        f"inspectx verify {algorithm}": inspectx_verify,
        f"verify + model {algorithm}": inspectx_verify_model,
        f"floor verify {algorithm}": floor,
        f"naive verify {algorithm}": naive,
    }


def build_xml_ops(algorithm: str) -> dict[str, Callable[[], Any]]:
    from signxml.verifier import XMLVerifier

    from inspectx.proofs.keys import generate_key, self_signed_certificate
    from inspectx.proofs.xmldsig import sign_xml, verify_xml

    key = generate_key(algorithm)
    cert = self_signed_certificate(key, subject="CN=Bench Lab,C=NL", now=CREATED)
    unsigned = render(make_certificate(20, 4), "xml")
    signed = sign_xml(unsigned, private_key=key, certificate=cert)

    def inspectx_verify() -> Any:
        return verify_xml(signed, certificate=cert)

    def bare_signxml() -> Any:
        return XMLVerifier().verify(signed, x509_cert=cert)

    # gate: both accept the document and refuse it changed
    expected = read_certificate(unsigned).certificate
    assert inspectx_verify().certificate == expected
    bare_signxml()
    tampered = signed.replace(b"<value>", b"<value>1", 1)
    assert tampered != signed
    for verify_tampered in (
        lambda: verify_xml(tampered, certificate=cert),
        lambda: XMLVerifier().verify(tampered, x509_cert=cert),
    ):
        try:
            verify_tampered()
        except Exception:  # any refusal will do for the gate
            continue
        raise AssertionError("a tampered XML signature verified")
    return {
        f"inspectx xmldsig verify {algorithm}": inspectx_verify,
        f"bare signxml verify {algorithm}": bare_signxml,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.0, help="seconds per repeat")
    parser.add_argument("--quick", action="store_true", help="smoke mode (figures not meaningful)")
    parser.add_argument("--algorithms", default="ed25519,p256,p384")
    parser.add_argument("--xml-algorithms", default="rsa3072,p256")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.target = 1, 0.05
    info = machine()
    print("inspectx sign/verify benchmark (Data Integrity, 20 items x 4 results)")
    print(f"machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores")
    print(f"method: {args.repeats} repeats of ~{args.target} s, round-robin; median [min-max]\n")
    for algorithm in filter(None, args.algorithms.split(",")):
        rates = measure(build_ops(algorithm), args.repeats, args.target)
        medians = {name: statistics.median(r) for name, r in rates.items()}
        for name, r in rates.items():
            print(f"{name:<26}{medians[name]:>10.1f} docs/s  [{min(r):.1f}-{max(r):.1f}]")
        verify = medians[f"inspectx verify {algorithm}"]
        vs_floor = verify / medians[f"floor verify {algorithm}"]
        vs_naive = verify / medians[f"naive verify {algorithm}"]
        print(f"  verify / floor {vs_floor:5.2f}x (target >= {TARGET_FLOOR}x: "
              f"{'PASS' if vs_floor >= TARGET_FLOOR else 'BELOW'}); verify / naive "
              f"{vs_naive:5.2f}x (target >= {TARGET_NAIVE}x: "
              f"{'PASS' if vs_naive >= TARGET_NAIVE else 'BELOW'})")  # fmt: skip
        with_model = medians[f"verify + model {algorithm}"] / medians[f"floor verify {algorithm}"]
        print(f"  (verify, then read the whole model: {with_model:4.2f}x the floor)\n")
    for algorithm in filter(None, args.xml_algorithms.split(",")):
        rates = measure(build_xml_ops(algorithm), args.repeats, args.target)
        medians = {name: statistics.median(r) for name, r in rates.items()}
        for name, r in rates.items():
            print(f"{name:<30}{medians[name]:>10.1f} docs/s  [{min(r):.1f}-{max(r):.1f}]")
        ratio = (
            medians[f"inspectx xmldsig verify {algorithm}"]
            / medians[f"bare signxml verify {algorithm}"]
        )
        verdict = "PASS" if ratio >= TARGET_SIGNXML else "BELOW"
        print(f"  inspectx / bare signxml {ratio:5.2f}x (target >= {TARGET_SIGNXML}x: {verdict})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
