#!/usr/bin/env python3
"""Convert benchmark: inspectx JSON <-> XML against xmlschema's generic converter.

Run from the repository root::

    /work/venv/bin/python benchmarks/convert.py                  # the real run (about 25 s)
    /work/venv/bin/python benchmarks/convert.py --quick          # smoke mode for the test suite
    /work/venv/bin/python benchmarks/convert.py --check          # exit 1 if a ratio is below target
    /work/venv/bin/python benchmarks/convert.py --json-out convert.json

What is measured, in the same run and the same (single, pinned) process, on one
deterministic certificate (``--items`` line items, default 20, with
``--results-per-item`` lab results each, default 4):

(a) inspectx JSON -> XML: ``convert_bytes(json_bytes, "xml")`` (strict JSON
    parse, JSON Schema with jsonschema-rs, model binding, XML rendering);
(b) inspectx XML -> JSON: ``convert_bytes(xml_bytes, "json")`` (hardened lxml
    parse, XSD with lxml, model binding, JSON rendering);
(c) xmlschema XML -> JSON: hardened lxml parse, ``XMLSchema.to_dict`` (which
    validates) with ``decimal_type=str``, ``json.dumps``;
(d) xmlschema JSON -> XML: ``json.loads`` of the JSON that (c) produced (so the
    data is in xmlschema's own native shape), ``XMLSchema.encode`` (which
    validates) building lxml elements, ``lxml.etree.tostring``.

Both sides go bytes in, bytes out and both validate against the project's own
schemas; the xmlschema schema object is built once, outside the timing, from
``schemas/inspectx-certificate.xsd`` (which imports ``xml.xsd`` beside it).
Correctness gates run before any timing: inspectx output must be byte-identical
to ``render`` of the same model; xmlschema's decoded JSON must hold the
document's values; its encoded XML must pass lxml's XSD validation and read
back (through inspectx's structural reader) to the same data as the original;
and both xmlschema operations must reject an invalid document (so validation
is really on).

Method (as in the project's primitives benchmark, DESIGN §11): each operation
is warmed up, then calibrated so that one repeat lasts about ``--target``
seconds; then ``--repeats`` repeats are taken, round-robin over the four
operations so that machine noise hits all of them alike. Timing is
``time.perf_counter``; the garbage collector stays on (``gc.collect()`` runs
before each repeat). Reported: median docs/s with min-max over the repeats,
and the inspectx / xmlschema ratio of the medians per direction (with the
range of the per-repeat paired ratios). The target is a ratio of at least 8 in
both directions.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lxml import etree  # noqa: E402

from inspectx import model as m  # noqa: E402
from inspectx.errors import InspectxError  # noqa: E402
from inspectx.formats.certificate import read_xml_data  # noqa: E402
from inspectx.formats.safexml import make_parser  # noqa: E402
from inspectx.validation import convert_bytes, default_validators, render  # noqa: E402

XSD_PATH = REPO / "schemas" / "inspectx-certificate.xsd"
NS = "urn:inspectx:certificate:1"
ROOT_PATH = f"{{{NS}}}certificate"
TARGET_RATIO = 8.0

# --------------------------------------------------------------------------------------------
# the document: a certificate of analysis for a bulk wheat shipment (Odesa -> Alexandria)
# --------------------------------------------------------------------------------------------

EET = timezone(timedelta(hours=2))
CET = timezone(timedelta(hours=1))

# parameter, method, unit (UN/ECE Rec 20), comparator, limit, typical value, spread,
# decimal places reported, relative expanded uncertainty (k=2), regulation behind the limit
# (None: a contractual quality limit)
ANALYTES: tuple[tuple[Any, ...], ...] = (
    ("Moisture", "ISO 712:2009", "P1", "le", "14.5", 12.4, 1.2, 1, 0.02, None),
    (
        "Protein (N x 5.7, dry matter)",
        "ISO 20483:2013",
        "P1",
        "ge",
        "11.5",
        12.6,
        0.9,
        1,
        0.03,
        None,
    ),
    ("Test weight", "ISO 7971-3:2019", "KMQ", "ge", "760", 789.0, 15.0, 0, 0.01, None),
    ("Falling number", "ISO 3093:2009", "SEC", "ge", "250", 318.0, 40.0, 0, 0.05, None),
    ("Foreign matter", "ISO 7970:2021", "P1", "le", "2.0", 0.8, 0.4, 2, 0.10, None),
    ("Aflatoxin B1", "EN 16050:2003", "J33", "le", "2.0", 0.45, 0.3, 2, 0.20, "(EU) 2023/915"),
    (
        "Deoxynivalenol (DON)",
        "EN 15891:2010",
        "J33",
        "le",
        "1000",
        410.0,
        180.0,
        0,
        0.15,
        "(EU) 2023/915",
    ),
    ("Ochratoxin A", "EN 14132:2009", "J33", "le", "5.0", 0.9, 0.6, 2, 0.20, "(EU) 2023/915"),
    ("Lead (Pb)", "EN 14083:2003", "NA", "le", "0.20", 0.031, 0.02, 3, 0.15, "(EU) 2023/915"),
    ("Cadmium (Cd)", "EN 14083:2003", "NA", "le", "0.10", 0.024, 0.01, 3, 0.15, "(EU) 2023/915"),
    ("Glyphosate", "EN 15662:2018", "NA", "le", "10", 0.35, 0.3, 2, 0.20, "(EC) 396/2005"),
)


def _dec(x: float, places: int) -> Decimal:
    return Decimal(f"{x:.{places}f}")


def _uuid(rng: random.Random) -> str:
    return "urn:uuid:" + str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _party(
    rng: random.Random,
    *,
    name: str,
    country: str,
    city: str,
    street: str,
    postcode: str,
    eori: str,
    email: str,
    role: str,
    with_id: bool = False,
) -> m.Party:
    return m.Party(
        id=_uuid(rng) if with_id else None,
        name=name,
        identifiers=(m.Identifier(value=eori, scheme_id="EORI"),),
        roles=(m.Code(value=role, list_id="UNCL3035"),),
        address=m.Address(country_code=country, lines=(street,), city=city, postcode=postcode),
        contact=m.Contact(email=email, phone=f"+{rng.randint(10**9, 10**10 - 1)}"),
    )


def make_certificate(n_items: int = 20, results_per_item: int = 4, seed: int = 20) -> m.Certificate:
    """A deterministic certificate: ``n_items`` products (trade lines), one sample each, and
    ``results_per_item`` tests per product (one result with expanded uncertainty and one limit
    each; contaminant limits cite their EU regulation)."""
    rng = random.Random(seed)
    issued = datetime(2025, 3, 14, 16, 45, tzinfo=CET)
    lab = _party(
        rng,
        name="Rotterdam Grain Laboratory B.V.",
        country="NL",
        city="Rotterdam",
        street="Waalhaven Zuidzijde 21",
        postcode="3089JH",
        eori=f"NL{rng.randint(10**8, 10**9 - 1)}",
        email="lab@rgl.example",
        role="IB",
        with_id=True,
    )
    shipper = _party(
        rng,
        name="Black Sea Grain Export LLC",
        country="UA",
        city="Odesa",
        street="Prymorska St 6",
        postcode="65026",
        eori=f"UA{rng.randint(10**9, 10**10 - 1)}",
        email="export@bsg.example",
        role="CZ",
    )
    buyer = _party(
        rng,
        name="Nile Milling Company S.A.E.",
        country="EG",
        city="Alexandria",
        street="El Horreya Rd 114",
        postcode="21500",
        eori=f"EG{rng.randint(10**9, 10**10 - 1)}",
        email="qa@nilemill.example",
        role="CN",
    )
    commodity = "Wheat, milling quality, grade 2, in bulk"
    products, samples, tests, verdicts = [], [], [], []
    for i in range(1, n_items + 1):
        products.append(
            m.Product(
                seq=i,
                name=f"{commodity}, hold {1 + (i - 1) % 5}",
                batch=f"LOT-2025-ODS-{i:03d}",
                classifications=(m.Classification(system="HS", code="100199"),),
                quantity=m.Measure(value=_dec(rng.uniform(200, 3000), 3), unit="TNE"),
                origin_country="UA",
            )
        )
        sample_id = f"S-25-{seed:04d}-{i:03d}"
        samples.append(
            m.Sample(
                id=sample_id,
                product_refs=(i,),
                plan="ISO 24333:2009",
                taken_at=datetime(2025, 3, 1 + i % 10, 8 + i % 9, rng.randint(0, 59), tzinfo=EET),
            )
        )
        for j, spec in enumerate(rng.sample(ANALYTES, results_per_item), 1):
            name, method, unit, comp, limit, typical, spread, places, rel_u, regulation = spec
            value = _dec(max(10.0**-places, rng.gauss(typical, spread)), places)
            ok = value <= Decimal(limit) if comp == "le" else value >= Decimal(limit)
            verdicts.append(ok)
            source = (
                m.RequirementSource(type=m.SourceType.REGULATION, id=regulation, jurisdiction="EU")
                if regulation
                else None
            )
            tests.append(
                m.Test(
                    id=f"T{i:03d}-{j}",
                    product_refs=(i,),
                    sample_refs=(sample_id,),
                    parameter=m.Parameter(name=name),
                    method=m.Method(standard=method),
                    results=(
                        m.Result(
                            value=value,
                            unit=unit,
                            uncertainty=m.Uncertainty(
                                value=_dec(max(float(value) * rel_u, 10.0**-places), places),
                                k=Decimal("2"),
                            ),
                        ),
                    ),
                    criteria=(
                        m.Requirement(
                            comparator=m.Comparator(comp),
                            source=source,
                            limit=m.Measure(value=Decimal(limit), unit=unit),
                        ),
                    ),
                    outcome=m.Outcome.PASS if ok else m.Outcome.FAIL,
                )
            )
    return m.Certificate(
        id=_uuid(rng),
        number=m.Identifier(value=f"RGL-CoA-2025-{seed:05d}", scheme_id="RGL"),
        title=(m.Text(value="Certificate of analysis: wheat, milling quality", lang="en"),),
        document_type=m.DocumentType.CERTIFICATE_OF_ANALYSIS,
        issued_at=issued,
        language=("en",),
        issuer=lab,
        applicant=shipper,
        attestation=m.Attestation(
            type=m.AttestationType.TESTING,
            assessor_level=m.AssessorLevel.THIRD_PARTY,
            assessment_level=m.AssessmentLevel.ACCREDITED,
        ),
        accreditations=(
            m.Accreditation(
                id="acc-1",
                body=m.Party(name="Raad voor Accreditatie", address=m.Address(country_code="NL")),
                number=m.Identifier(value="L 123"),
                standard=m.AccreditationStandard.ISO_IEC_17025,
            ),
        ),
        consignment=m.Consignment(
            id=f"BL-ODS-{rng.randint(10000, 99999)}",
            consignor=shipper,
            consignee=buyer,
            export_country="UA",
            import_country="EG",
            transport=(
                m.Transport(
                    mode=m.Code(value="1", list_id="UNECERec19"),
                    means_id=m.Identifier(value="9321483", scheme_id="IMO"),
                ),
            ),
        ),
        products=tuple(products),
        samples=tuple(samples),
        tests=tuple(tests),
        conclusion=m.Conclusion(
            outcome=m.Outcome.PASS if all(verdicts) else m.Outcome.FAIL,
            statement=(
                m.Text(
                    value="Sampling per ISO 24333:2009; results relate only to the samples tested.",
                    lang="en",
                ),
            ),
        ),
        signatories=(
            m.Signatory(name="Dr. Anna de Vries", role="Laboratory Manager", signed_at=issued),
        ),
    )


# --------------------------------------------------------------------------------------------
# the operations and their correctness gates
# --------------------------------------------------------------------------------------------


class Gate(AssertionError):
    """A correctness gate failed: the figures would be meaningless."""


def check(ok: bool, what: str) -> None:
    if not ok:
        raise Gate(what)


def build_ops(cert: m.Certificate) -> tuple[dict[str, Callable[[], bytes]], dict[str, Any]]:
    """The four timed operations (bytes in, bytes out) and the facts about the document.

    Runs every correctness gate first; raises :class:`Gate` if one fails.
    """
    import xmlschema

    json_bytes = render(cert, "json")
    xml_bytes = render(cert, "xml")

    # -- inspectx: output must be the deterministic rendering of the same model
    check(
        convert_bytes(json_bytes, "xml") == ("json", xml_bytes),
        "inspectx JSON->XML output differs from render(cert, 'xml')",
    )
    check(
        convert_bytes(xml_bytes, "json") == ("xml", json_bytes),
        "inspectx XML->JSON output differs from render(cert, 'json')",
    )

    # -- xmlschema: schema built once, from the file so that the xml.xsd import resolves beside it
    schema = xmlschema.XMLSchema(str(XSD_PATH))
    parser = make_parser()  # the same hardened parser inspectx uses
    fromstring, tostring, dumps, loads = etree.fromstring, etree.tostring, json.dumps, json.loads
    lxml_element = etree.Element

    def xs_xml_to_json(data: bytes = xml_bytes) -> bytes:
        tree = schema.to_dict(fromstring(data, parser), decimal_type=str)
        return dumps(tree, ensure_ascii=False).encode("utf-8")

    xs_json = xs_xml_to_json()

    def xs_json_to_xml(data: bytes = xs_json) -> bytes:
        el: Any = schema.encode(loads(data), path=ROOT_PATH, etree_element_class=lxml_element)
        out: bytes = tostring(el, xml_declaration=True, encoding="UTF-8")
        return out

    xs_xml = xs_json_to_xml()

    # (c) decoded JSON holds the document's values, in xmlschema's native shape
    decoded = json.loads(xs_json)
    check(len(decoded["tests"]) == len(cert.tests), "xmlschema decode: wrong number of tests")
    check(len(decoded["products"]) == len(cert.products), "xmlschema decode: wrong product count")
    first = cert.tests[0].results[0]
    check(
        decoded["tests"][0]["results"][0]["value"] == format(first.value, "f"),
        "xmlschema decode: first result value differs",
    )
    check(
        decoded["number"] == {"@schemeId": cert.number.scheme_id, "$": cert.number.value},
        "xmlschema decode: certificate number differs",
    )
    # (d) encoded XML is XSD-valid (lxml) and carries the same data as the original XML
    encoded_root = etree.fromstring(xs_xml, make_parser())
    check(
        default_validators().xml_is_valid(encoded_root),
        "xmlschema encode: output is not valid against the XSD (lxml)",
    )
    check(
        read_xml_data(xs_xml)[0] == read_xml_data(xml_bytes)[0],
        "xmlschema encode: output does not read back to the original data",
    )
    # both xmlschema operations validate: an invalid document must be rejected
    bad_xml = xml_bytes.replace(b"<outcome>pass</outcome>", b"<outcome>maybe</outcome>", 1)
    check(bad_xml != xml_bytes, "no <outcome>pass</outcome> to break")
    check(
        _raises(lambda: xs_xml_to_json(bad_xml), xmlschema.XMLSchemaValidationError),
        "xmlschema decode accepted an invalid document (validation is off?)",
    )
    bad_json = xs_json.replace(b'"outcome": "pass"', b'"outcome": "maybe"', 1)
    check(bad_json != xs_json, 'no "outcome": "pass" to break')
    check(
        _raises(lambda: xs_json_to_xml(bad_json), xmlschema.XMLSchemaValidationError),
        "xmlschema encode accepted an invalid document (validation is off?)",
    )
    # ... and so does inspectx (sanity: the same broken documents)
    check(
        _raises(lambda: convert_bytes(bad_xml, "json"), InspectxError),
        "inspectx accepted an invalid XML document",
    )
    bad_ix_json = json_bytes.replace(b'"outcome": "pass"', b'"outcome": "maybe"', 1)
    check(
        _raises(lambda: convert_bytes(bad_ix_json, "xml"), InspectxError),
        "inspectx accepted an invalid JSON document",
    )

    ops: dict[str, Callable[[], bytes]] = {
        "inspectx JSON->XML": lambda: convert_bytes(json_bytes, "xml")[1],
        "inspectx XML->JSON": lambda: convert_bytes(xml_bytes, "json")[1],
        "xmlschema JSON->XML": xs_json_to_xml,
        "xmlschema XML->JSON": xs_xml_to_json,
    }
    compact = json.dumps(json.loads(json_bytes), separators=(",", ":"), ensure_ascii=False)
    facts = {
        "line_items": len(cert.products),
        "results_per_item": len(cert.tests) // max(1, len(cert.products)),
        "tests": len(cert.tests),
        "inspectx_json_bytes": len(json_bytes),
        "inspectx_json_compact_bytes": len(compact.encode("utf-8")),
        "inspectx_xml_bytes": len(xml_bytes),
        "xmlschema_json_bytes": len(xs_json),
        "xmlschema_xml_bytes": len(xs_xml),
        "xmlschema_version": xmlschema.__version__,
    }
    return ops, facts


def _raises(fn: Callable[[], Any], exc: type[BaseException]) -> bool:
    try:
        fn()
    except exc:
        return True
    return False


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------


def _time(fn: Callable[[], Any], loops: int) -> float:
    rep = itertools.repeat
    t0 = time.perf_counter()
    for _ in rep(None, loops):
        fn()
    return time.perf_counter() - t0


def calibrate(fn: Callable[[], Any], target: float) -> int:
    """Warm up, then the loop count that makes one repeat last about ``target`` seconds."""
    warm_until = time.perf_counter() + min(0.5, target / 4)
    fn()
    while time.perf_counter() < warm_until:
        fn()
    loops = 1
    while True:
        elapsed = _time(fn, loops)
        if elapsed >= min(0.1, target / 4) or loops >= 1 << 20:
            break
        loops *= 4
    return max(1, round(loops * target / elapsed))


def measure(
    ops: dict[str, Callable[[], Any]], repeats: int, target: float, quick: bool
) -> dict[str, dict[str, Any]]:
    if quick:
        for fn in ops.values():
            fn()  # warm-up
        loops = dict.fromkeys(ops, 2)
    else:
        loops = {name: calibrate(fn, target) for name, fn in ops.items()}
    rates: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(repeats):  # round-robin: noise hits every operation alike
        for name, fn in ops.items():
            gc.collect()
            rates[name].append(loops[name] / _time(fn, loops[name]))
    return {
        name: {
            "median": statistics.median(r),
            "min": min(r),
            "max": max(r),
            "rates": r,
            "loops": loops[name],
            "us_per_doc": 1e6 / statistics.median(r),
        }
        for name, r in rates.items()
    }


def profile(ops: dict[str, Callable[[], Any]], n: int, top: int = 20) -> None:
    """cProfile each operation over ``n`` calls; print the top functions by own and total time.

    (cProfile inflates the share of Python-level code against C calls; use it to rank the
    hot spots, and the timed run for the figures.)
    """
    import cProfile
    import pstats

    for name, fn in ops.items():
        fn()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            fn()
        prof.disable()
        print(f"\n===== {name}: {n} calls under cProfile =====")
        stats = pstats.Stats(prof, stream=sys.stdout).strip_dirs()
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for direction in ("JSON->XML", "XML->JSON"):
        ix, xs = results[f"inspectx {direction}"], results[f"xmlschema {direction}"]
        paired = [a / b for a, b in zip(ix["rates"], xs["rates"], strict=True)]
        ratio = ix["median"] / xs["median"]
        out[direction] = {
            "ratio": ratio,
            "paired_min": min(paired),
            "paired_max": max(paired),
            "target": TARGET_RATIO,
            "pass": ratio >= TARGET_RATIO,
        }
    return out


# --------------------------------------------------------------------------------------------
# machine and report
# --------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import importlib.metadata as md

    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for pkg in ("lxml", "xmlschema", "elementpath", "jsonschema-rs"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
        "versions": versions,
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _rate(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def report(
    env: dict[str, Any],
    facts: dict[str, Any],
    results: dict[str, dict[str, Any]],
    rat: dict[str, dict[str, Any]],
    args: argparse.Namespace,
) -> str:
    v = env["versions"]
    lines = [
        "inspectx convert benchmark"
        + ("  [QUICK MODE: smoke test, figures meaningless]" if args.quick else ""),
        f"machine: {env['cpu']}, {env['cores']} cores; Python {env['python']} "
        f"({env['implementation']}); lxml {v['lxml']} (libxml2 {env['libxml2']}); "
        f"xmlschema {v['xmlschema']} (elementpath {v['elementpath']}); "
        f"jsonschema-rs {v['jsonschema-rs']}",
        f"process: {env['pinned']}; load average at start {env['loadavg_start']}",
        f"document: {facts['line_items']} line items x {facts['results_per_item']} results "
        f"({facts['tests']} tests); inspectx JSON {facts['inspectx_json_bytes']:,} bytes "
        f"(compact {facts['inspectx_json_compact_bytes']:,}), inspectx XML "
        f"{facts['inspectx_xml_bytes']:,} bytes; xmlschema JSON {facts['xmlschema_json_bytes']:,} "
        f"bytes, xmlschema XML {facts['xmlschema_xml_bytes']:,} bytes",
        (
            f"method: {args.repeats} repeats of ~{args.target:g} s each (round-robin), median "
            f"[min-max] docs/s; perf_counter, gc on"
            if not args.quick
            else f"method: quick mode, {args.repeats} repeats of 2 runs per operation, "
            "no calibration"
        ),
        "",
        f"{'operation':<22} {'docs/s median':>14} {'[min-max]':>20} {'us/doc':>10} {'loops':>7}",
    ]
    for name, r in results.items():
        rng = f"[{_rate(r['min'])}-{_rate(r['max'])}]"
        lines.append(
            f"{name:<22} {_rate(r['median']):>14} {rng:>20} {r['us_per_doc']:>10,.0f} "
            f"{r['loops']:>7}"
        )
    lines += [
        "",
        f"{'ratio inspectx/xmlschema':<26} {'median':>8} {'paired range':>16} "
        f"{'target':>8}  verdict",
    ]
    for direction, q in rat.items():
        rng = f"[{q['paired_min']:.2f}-{q['paired_max']:.2f}]"
        target = ">= {:g}x".format(q["target"])
        lines.append(
            f"{direction:<26} {q['ratio']:>7.2f}x {rng:>16} {target:>8}  "
            f"{'PASS' if q['pass'] else 'BELOW'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats per operation (5)")
    ap.add_argument("--target", type=float, default=1.0, help="seconds per repeat (1.0)")
    ap.add_argument("--items", type=int, default=20, help="line items in the certificate (20)")
    ap.add_argument("--results-per-item", type=int, default=4, help="results per line item (4)")
    ap.add_argument("--seed", type=int, default=20, help="seed of the document generator (20)")
    ap.add_argument("--json-out", metavar="FILE", help="also write the figures as JSON here")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke mode: gates plus a handful of runs per operation (< 10 s)",
    )
    ap.add_argument(
        "--check", action="store_true", help=f"exit 1 when a ratio is below {TARGET_RATIO:g}x"
    )
    ap.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    ap.add_argument(
        "--profile",
        metavar="N",
        type=int,
        nargs="?",
        const=20,
        help="instead of timing, run each inspectx operation N times (20) under cProfile and "
        "print where the time goes",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats = min(args.repeats, 2)
    if args.repeats < 1 or args.target <= 0 or args.items < 1:
        ap.error("--repeats, --target and --items must be positive")
    if not 1 <= args.results_per_item <= len(ANALYTES):
        ap.error(f"--results-per-item must be between 1 and {len(ANALYTES)}")

    env = machine()
    env["loadavg_start"] = env.pop("loadavg")
    env["pinned"] = "not pinned"
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        cpu = sorted(os.sched_getaffinity(0))[-1]
        os.sched_setaffinity(0, {cpu})
        env["pinned"] = f"single process pinned to CPU {cpu}"

    cert = make_certificate(args.items, args.results_per_item, args.seed)
    try:
        ops, facts = build_ops(cert)
    except Gate as exc:
        print(f"correctness gate failed: {exc}", file=sys.stderr)
        return 2
    if args.profile:
        profile({k: v for k, v in ops.items() if k.startswith("inspectx")}, args.profile)
        return 0
    results = measure(ops, args.repeats, args.target, args.quick)
    rat = ratios(results)
    env["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(report(env, facts, results, rat, args))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "machine": env,
                    "document": facts,
                    "args": vars(args),
                    "results": results,
                    "ratios": rat,
                },
                f,
                indent=1,
            )
    if args.check and not all(q["pass"] for q in rat.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
