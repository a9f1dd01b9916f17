"""Business rules (layer 3): what a certificate must satisfy beyond its schema.

Every rule has a stable code, a severity, a location (a JSON Pointer into the
certificate; the pipeline maps it to an XPath with a line for XML input) and a
hint. The full table is ``RULES`` below and ``docs/rules.md``.

The rules read the certificate's JSON data (``certificate_data``): what the
schema accepted and the model layer vetted, so every value the model would hold
is there, in its JSON form. Reading it directly spares validation the cost of
building the model, which it would use for nothing else. ``check_rules(data)``
runs the consistency rules; ``check_profile(data, "iso17025")`` adds the
ISO/IEC 17025:2017 §7.8 report-content lint. Both also take a
:class:`~inspectx.model.Certificate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from inspectx.formats._bind import parse_datetime, unbind
from inspectx.formats.certificate import certificate_to_data
from inspectx.model import Certificate, Test
from inspectx.validation.report import Finding, Severity
from inspectx.validation.units import UNITS, convert

__all__ = ["PROFILES", "RULES", "RuleInfo", "check_profile", "check_rules", "expected_outcome"]

#: a certificate's JSON data (``certificate_to_data``, or schema-valid input)
Data = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    code: str
    severity: Severity
    title: str
    hint: str


def _r(code: str, severity: Severity, title: str, hint: str) -> RuleInfo:
    return RuleInfo(code, severity, title, hint)


E, W = Severity.ERROR, Severity.WARNING
RULES: dict[str, RuleInfo] = {
    r.code: r
    for r in (
        _r(
            "rule.ref-unresolved",
            E,
            "a productRefs, sampleRefs or accreditationRef names nothing in the certificate",
            "refer to a product seq, sample id or accreditation id that the certificate defines",
        ),
        _r(
            "rule.duplicate-id",
            E,
            "two products share a seq, or two samples, tests, "
            "accreditations or requirements share an id",
            "give every item its own identifier",
        ),
        _r(
            "rule.date-order",
            E,
            "dates out of order: sampling ≤ receipt ≤ testing ≤ issue ≤ end of validity",
            "check the dates and their time-zone offsets",
        ),
        _r(
            "rule.accreditation-not-valid",
            E,
            "the lab's accreditation was not valid when the test was performed",
            "cite an accreditation valid at the test date",
        ),
        _r(
            "rule.outcome-contradicts-limit",
            E,
            "a test's outcome contradicts its results, limits, qualifiers and decision rule",
            "correct the outcome or the result",
        ),
        _r(
            "rule.outcome-undetermined",
            W,
            "the results cannot decide the outcome against the "
            "limit (a '<' value above the limit, or a result inside the guard band)",
            "state the outcome as inconclusive, or report a value that decides it",
        ),
        _r(
            "rule.conclusion-contradicts-tests",
            E,
            "the overall conclusion disagrees with the test outcomes",
            "a certificate with a failed test cannot conclude pass",
        ),
        _r(
            "rule.unit-unknown",
            W,
            "a unit code that is not in inspectx's table of UN/ECE Rec 20 codes",
            "use a Rec 20 code such as NA (mg/kg), J33 (µg/kg), P1 (%)",
        ),
        _r(
            "rule.unit-incommensurable",
            E,
            "a result's unit cannot be compared with its limit's unit",
            "report the result in a unit of the same kind as the limit",
        ),
        _r(
            "rule.country-unknown",
            E,
            "a country code that is not an ISO 3166-1 alpha-2 code",
            "use the two-letter ISO 3166-1 code, e.g. DE, CN, US",
        ),
        _r(
            "rule.hs-code-shape",
            E,
            "a tariff classification code of the wrong shape (HS: 2, "
            "4 or 6 digits; CN: 8; HTS and TARIC: 10)",
            "write the code's digits, dots allowed",
        ),
        _r(
            "rule.replaced-not-referenced",
            E,
            "the certificate replaces another that it does not list in its references",
            "add a reference to the replaced certificate",
        ),
        _r(
            "rule.status-not-current",
            W,
            "the certificate itself says it was replaced or revoked",
            "ask the issuer for the current certificate",
        ),
    )
}

_PROFILE_RULES: dict[str, RuleInfo] = {
    r.code: r
    for r in (
        _r("iso17025.title-missing", E, "§7.8.2.1 a): no title", "add a title"),
        _r(
            "iso17025.lab-address-missing",
            E,
            "§7.8.2.1 b): no laboratory address",
            "give the issuer's address",
        ),
        _r(
            "iso17025.customer-missing",
            E,
            "§7.8.2.1 d): no customer (applicant)",
            "name the applicant",
        ),
        _r(
            "iso17025.receipt-date-missing",
            E,
            "§7.8.2.1 g): no date of receipt of the test items",
            "give each sample's receivedAt",
        ),
        _r(
            "iso17025.performance-date-missing",
            E,
            "§7.8.2.1 h): no date of performance of a test",
            "give each test's performedFrom",
        ),
        _r(
            "iso17025.sampling-plan-missing",
            E,
            "§7.8.2.1 j) and §7.8.5: a sample the lab took has no sampling plan",
            "name the sampling plan or method",
        ),
        _r(
            "iso17025.statement-missing",
            E,
            "§7.8.2.1 k): no statements (e.g. that results relate only to the items tested)",
            "add the report's statements",
        ),
        _r(
            "iso17025.result-unit-missing",
            E,
            "§7.8.2.1 l): a numeric result without a unit",
            "give every numeric result its unit",
        ),
        _r(
            "iso17025.signatory-missing",
            E,
            "§7.8.2.1 n): nobody authorised the report",
            "list the signatories",
        ),
        _r(
            "iso17025.decision-rule-missing",
            E,
            "§7.8.6.1: a statement of conformity without its decision rule",
            "state the decision rule of each test with criteria",
        ),
    )
}
PROFILES = ("iso17025",)
RULES_AND_PROFILES = {**RULES, **_PROFILE_RULES}


def _finding(code: str, message: str, location: str) -> Finding:
    info = RULES_AND_PROFILES[code]
    return Finding(
        code=code,
        severity=info.severity,
        layer=f"profile:{code.split('.')[0]}" if code in _PROFILE_RULES else "rules",
        message=message,
        hint=info.hint,
        location=location,
    )


def _data(cert: Certificate | Data) -> Data:
    return certificate_to_data(cert) if isinstance(cert, Certificate) else cert


def check_rules(cert: Certificate | Data) -> list[Finding]:
    """Every consistency-rule finding for a certificate (a model, or its JSON data
    as vetted by the model layer), in document order."""
    doc = _data(cert)
    findings: list[Finding] = []
    findings += _references_and_ids(doc)
    findings += _dates(doc)
    findings += _outcomes(doc)
    findings += _codes(doc)
    findings += _replacement(doc)
    return findings


def check_profile(cert: Certificate | Data, profile: str) -> list[Finding]:
    """Findings of a report-content profile (``"iso17025"``)."""
    if profile != "iso17025":
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return list(_iso17025(_data(cert)))


def _items(node: Data | None, name: str) -> Sequence[Any]:
    """A repeated member; absent is empty. (Loops over every test write this out:
    the call would cost them a tenth of their time.)"""
    return () if node is None else node.get(name) or ()


# --- references and identifiers ----------------------------------------------------------


def _references_and_ids(doc: Data) -> Iterator[Finding]:
    products, samples, tests = doc["products"], _items(doc, "samples"), doc["tests"]
    seqs = [p["seq"] for p in products]
    sample_ids = [s["id"] for s in samples]
    accreditation_ids = [a["id"] for a in _items(doc, "accreditations") if a.get("id")]
    yield from _duplicates(seqs, "/products/{}/seq", "product seq")
    yield from _duplicates(sample_ids, "/samples/{}/id", "sample id")
    yield from _duplicates([t["id"] for t in tests], "/tests/{}/id", "test id")
    yield from _duplicates(accreditation_ids, "/accreditations/{}/id", "accreditation id")
    known_seqs, known_samples = set(seqs), set(sample_ids)
    for i, sample in enumerate(samples):
        for j, ref in enumerate(_items(sample, "productRefs")):
            if ref not in known_seqs:
                yield _finding(
                    "rule.ref-unresolved",
                    f"sample {sample['id']} refers to product {ref}, which is not in the "
                    "certificate",
                    f"/samples/{i}/productRefs/{j}",
                )
    for i, test in enumerate(tests):
        # every test refers: the usual case (all known) is settled by one set operation
        product_refs, sample_refs = test.get("productRefs"), test.get("sampleRefs")
        if product_refs and known_seqs.issuperset(product_refs):
            product_refs = None
        if sample_refs and known_samples.issuperset(sample_refs):
            sample_refs = None
        for j, ref in enumerate(product_refs or ()):
            if ref not in known_seqs:
                yield _finding(
                    "rule.ref-unresolved",
                    f"test {test['id']} refers to product {ref}, which is not in the certificate",
                    f"/tests/{i}/productRefs/{j}",
                )
        for j, sample_ref in enumerate(sample_refs or ()):
            if sample_ref not in known_samples:
                yield _finding(
                    "rule.ref-unresolved",
                    f"test {test['id']} refers to sample {sample_ref!r}, which is not in the "
                    "certificate",
                    f"/tests/{i}/sampleRefs/{j}",
                )
        lab = test.get("lab")
        ref_acc = lab.get("accreditationRef") if lab else None
        if ref_acc is not None and ref_acc not in accreditation_ids:
            yield _finding(
                "rule.ref-unresolved",
                f"test {test['id']} cites accreditation {ref_acc!r}, which is not in the "
                "certificate",
                f"/tests/{i}/lab/accreditationRef",
            )
        criteria = test.get("criteria")
        if criteria and len(criteria) > 1:
            requirement_ids = [c["id"] for c in criteria if c.get("id")]
            yield from _duplicates(
                requirement_ids,
                f"/tests/{i}/criteria/{{}}/id",
                f"requirement id in test {test['id']}",
            )


def _duplicates(values: Sequence[object], pointer: str, what: str) -> Iterator[Finding]:
    if len(set(values)) == len(values):
        return  # the usual case, decided in C
    seen: set[object] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield _finding(
                "rule.duplicate-id",
                f"{what} {value!r} appears more than once",
                pointer.format(index),
            )
        seen.add(value)


# --- dates -------------------------------------------------------------------------------


def _times() -> Callable[[str | None], datetime | None]:
    """A parser of the document's (vetted) date-times, each text parsed once."""
    seen: dict[str, datetime] = {}

    def at(text: str | None) -> datetime | None:
        if text is None:
            return None
        when = seen.get(text)
        if when is None:
            when = seen[text] = parse_datetime(text)
        return when

    return at


def _before(later: datetime | None, earlier: datetime | None) -> bool:
    """Whether both times are known and ``later`` comes first (messages are built
    only then: this runs for every test and sample)."""
    return later is not None and earlier is not None and later < earlier


def _dates(doc: Data) -> Iterator[Finding]:
    at = _times()  # parses only what a comparison needs: most documents date few things
    samples = _items(doc, "samples")
    for i, s in enumerate(samples):
        taken, received = s.get("takenAt"), s.get("receivedAt")
        if taken is not None and received is not None and _before(at(received), at(taken)):
            yield _finding(
                "rule.date-order",
                f"sample {s['id']} was received before it was taken",
                f"/samples/{i}/receivedAt",
            )
    samples_by_id: dict[str, Data] | None = None
    accreditations = {a["id"]: a for a in _items(doc, "accreditations") if a.get("id")}
    issued_at = at(doc["issuedAt"])
    for i, t in enumerate(doc["tests"]):
        performed_from, performed_to = t.get("performedFrom"), t.get("performedTo")
        if performed_from is None and performed_to is None:
            continue  # nothing to put in order
        first, last = at(performed_from), at(performed_to)
        start = first or last
        for ref in _items(t, "sampleRefs"):
            if samples_by_id is None:
                samples_by_id = {s["id"]: s for s in samples}
            sample = samples_by_id.get(ref)
            if sample is None:
                continue
            for name, what in (("takenAt", "taken"), ("receivedAt", "received")):
                if _before(start, at(sample.get(name))):
                    yield _finding(
                        "rule.date-order",
                        f"test {t['id']} started before sample {sample['id']} was {what}",
                        f"/tests/{i}/performedFrom",
                    )
        if _before(last, first):
            yield _finding(
                "rule.date-order",
                f"test {t['id']} ends before it starts",
                f"/tests/{i}/performedTo",
            )
        if _before(issued_at, last or first):
            yield _finding(
                "rule.date-order",
                f"the certificate was issued before test {t['id']} was performed",
                "/issuedAt",
            )
        lab = t.get("lab")
        acc = accreditations.get(lab.get("accreditationRef")) if lab else None
        if acc is not None and start is not None:
            day = start.date()
            valid_from, valid_until = acc.get("validFrom"), acc.get("validUntil")
            if (valid_from and day < date.fromisoformat(valid_from)) or (
                valid_until and day > date.fromisoformat(valid_until)
            ):
                yield _finding(
                    "rule.accreditation-not-valid",
                    f"test {t['id']} was performed on {day}, outside accreditation {acc['id']}'s "
                    f"validity ({valid_from or '…'} to {valid_until or '…'})",
                    f"/tests/{i}/lab/accreditationRef",
                )
    valid_until = at(doc.get("validUntil"))
    if _before(valid_until, at(doc.get("validFrom"))):
        yield _finding(
            "rule.date-order", "the certificate's validity ends before it starts", "/validUntil"
        )
    if _before(valid_until, issued_at):
        yield _finding(
            "rule.date-order", "the certificate's validity ends before its issue", "/validUntil"
        )


# --- outcomes ----------------------------------------------------------------------------

Verdict = Literal["pass", "fail", "undetermined"]
_ZERO = Decimal(0)


def _bounds(qualifier: str | None, value: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """(lowest, highest) possible true value given the qualifier; None is unbounded."""
    if qualifier == "lt" or qualifier == "le":
        return None, value
    if qualifier == "gt" or qualifier == "ge":
        return value, None
    return value, value


def _judge(
    low: Decimal | None,
    high: Decimal | None,
    comparator: str,
    limit: Decimal,
    upper: Decimal | None,
    band: Decimal,
) -> Verdict:
    if comparator == "le" or comparator == "lt":
        strict = comparator == "lt"
        if high is not None and (high < limit - band if strict else high <= limit - band):
            return "pass"
        if low is not None and (low >= limit + band if strict else low > limit + band):
            return "fail"
        return "undetermined"
    if comparator == "ge" or comparator == "gt":
        strict = comparator == "gt"
        if low is not None and (low > limit + band if strict else low >= limit + band):
            return "pass"
        if high is not None and (high <= limit - band if strict else high < limit - band):
            return "fail"
        return "undetermined"
    if comparator == "between" and upper is not None:
        if low is not None and high is not None and low >= limit + band and high <= upper - band:
            return "pass"
        if (high is not None and high < limit - band) or (low is not None and low > upper + band):
            return "fail"
        return "undetermined"
    if low is not None and low == high:  # eq
        return "pass" if low == limit else "fail"
    return "undetermined"


def _in_unit(value: Decimal, unit: str | None, target: str | None) -> Decimal | None:
    """``value`` converted to ``target``; None when the units cannot be compared."""
    if unit == target or unit is None or target is None:
        return value
    if unit in UNITS and target in UNITS and UNITS[unit].dimension == UNITS[target].dimension:
        return convert(value, unit, target)[0]
    return None


def expected_outcome(
    test: Test | Mapping[str, Any],
) -> tuple[Verdict | None, list[tuple[str, str]]]:
    """The outcome a test's results and criteria imply (``test`` a model
    :class:`~inspectx.model.Test` or its JSON form, a member of a certificate's
    ``tests``), and unit problems found.

    Returns (None, …) when there is nothing numeric to judge. The problems are
    (code, message) pairs for incommensurable units.
    """
    if isinstance(test, Test):
        test = unbind(test)
    problems: list[tuple[str, str]] = []
    return _expected(test, problems), problems


def _expected(test: Mapping[str, Any], problems: list[tuple[str, str]]) -> Verdict | None:
    """:func:`expected_outcome`, its problems added to ``problems``. This runs for every
    test: it allocates nothing in the usual case (same unit, no qualifier, no guard band,
    no upper limit)."""
    results, criteria = test.get("results"), test.get("criteria")
    if not results or not criteria:
        return None
    judged = failed = undetermined = False
    rule = test.get("decisionRule")
    guard = rule is not None and rule["type"] == "guard-band"
    for result in results:
        raw = result.get("value")
        if raw is None:
            continue
        measured, unit = Decimal(raw), result.get("unit")
        for req in criteria:
            limit = req["limit"]
            limit_unit = limit["unit"]
            value = measured if unit == limit_unit else _in_unit(measured, unit, limit_unit)
            if value is None:
                if unit in UNITS and limit_unit in UNITS:
                    problems.append(
                        (
                            "rule.unit-incommensurable",
                            f"result in {unit} ({UNITS[unit].dimension}) against a "
                            f"limit in {limit_unit} ({UNITS[limit_unit].dimension})",
                        )
                    )
                continue
            band = _ZERO
            if rule is not None and guard:
                if rule.get("guardBand") is not None:
                    band = Decimal(rule["guardBand"])
                elif result.get("uncertainty") is not None:
                    spread = Decimal(result["uncertainty"]["value"])
                    band = _in_unit(spread, unit, limit_unit) or band
            upper = req.get("upperLimit")
            upper_value = None if upper is None else _measure_in(upper, limit_unit)
            qualifier = result.get("qualifier")
            low: Decimal | None
            high: Decimal | None
            if qualifier is None:
                low = high = value
            else:
                low, high = _bounds(qualifier, value)
            limit_value = Decimal(limit["value"])
            verdict = _judge(low, high, req["comparator"], limit_value, upper_value, band)
            judged = True
            if verdict == "fail":
                failed = True
            elif verdict == "undetermined":
                undetermined = True
    if not judged:
        return None
    return "fail" if failed else "undetermined" if undetermined else "pass"


def _measure_in(measure: Mapping[str, Any] | None, unit: str) -> Decimal | None:
    if measure is None:
        return None
    return _in_unit(Decimal(measure["value"]), measure["unit"], unit)


def _outcomes(doc: Data) -> Iterator[Finding]:
    stated_outcomes = set()
    problems: list[tuple[str, str]] = []
    for i, test in enumerate(doc["tests"]):
        stated = test["outcome"]
        stated_outcomes.add(stated)
        expected = _expected(test, problems)
        if problems:
            for code, message in problems:
                yield _finding(code, f"test {test['id']}: {message}", f"/tests/{i}/results")
            problems.clear()
        if expected is None or stated not in ("pass", "fail"):
            continue
        if expected == "undetermined":
            yield _finding(
                "rule.outcome-undetermined",
                f"test {test['id']} states {stated}, but its results do not decide it "
                "against the limit",
                f"/tests/{i}/outcome",
            )
        elif expected != stated:
            yield _finding(
                "rule.outcome-contradicts-limit",
                f"test {test['id']} states {stated}, but its results against its limits "
                f"give {expected}",
                f"/tests/{i}/outcome",
            )
    conclusion = doc["conclusion"]["outcome"]
    if "fail" in stated_outcomes and conclusion != "fail":
        yield _finding(
            "rule.conclusion-contradicts-tests",
            f"the conclusion is {conclusion}, but a test failed",
            "/conclusion/outcome",
        )
    elif conclusion == "fail" and not stated_outcomes & {"fail", "inconclusive"}:
        yield _finding(
            "rule.conclusion-contradicts-tests",
            "the conclusion is fail, but no test failed",
            "/conclusion/outcome",
        )
    elif conclusion == "pass" and "inconclusive" in stated_outcomes:
        yield _finding(
            "rule.conclusion-contradicts-tests",
            "the conclusion is pass, but a test is inconclusive",
            "/conclusion/outcome",
        )


# --- codes -------------------------------------------------------------------------------

_HS_DIGITS = {"HS": {2, 4, 6}, "CN": {8}, "HTS": {10}, "HTSUS": {10}, "TARIC": {10}}
_HS_CODE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def _unknown_countries(doc: Data, known: Container[str]) -> list[tuple[str, str]]:
    """Country codes not ``known``, and where (located only when found)."""
    found: list[tuple[str, str]] = []

    def party(p: Data | None, at: str) -> None:
        address = None if p is None else p.get("address")
        if address is not None and address["countryCode"] not in known:
            found.append((address["countryCode"], f"{at}/address/countryCode"))

    party(doc["issuer"], "/issuer")
    party(doc.get("applicant"), "/applicant")
    for i, a in enumerate(_items(doc, "accreditations")):
        party(a["body"], f"/accreditations/{i}/body")
    c = doc.get("consignment")
    if c is not None:
        party(c.get("consignor"), "/consignment/consignor")
        party(c.get("consignee"), "/consignment/consignee")
        for name in ("exportCountry", "importCountry"):
            if c.get(name) and c[name] not in known:
                found.append((c[name], f"/consignment/{name}"))
    for i, p in enumerate(doc["products"]):
        origin = p.get("originCountry")
        if origin and origin not in known:
            found.append((origin, f"/products/{i}/originCountry"))
        if p.get("manufacturer") is not None:
            party(p["manufacturer"], f"/products/{i}/manufacturer")
    for i, s in enumerate(_items(doc, "samples")):
        if s.get("takenBy") is not None:
            party(s["takenBy"], f"/samples/{i}/takenBy")
    for i, t in enumerate(doc["tests"]):
        for j, req in enumerate(t.get("criteria") or ()):
            market = req.get("market")
            # the EU is a market, not a country
            if market and market != "EU" and market not in known:
                found.append((market, f"/tests/{i}/criteria/{j}/market"))
    return found


def _unknown_units(doc: Data) -> Iterator[tuple[str, str]]:
    """Units not in the Rec 20 table, and where (located only when found)."""
    for i, p in enumerate(doc["products"]):
        for name in ("quantity", "netWeight", "grossWeight"):
            m = p.get(name)
            if m is not None and m["unit"] not in UNITS:
                yield m["unit"], f"/products/{i}/{name}/unit"
    for i, s in enumerate(_items(doc, "samples")):
        size = s.get("size")
        if size is not None and size["unit"] not in UNITS:
            yield size["unit"], f"/samples/{i}/size/unit"
    for i, t in enumerate(doc["tests"]):
        for j, r in enumerate(t.get("results") or ()):
            unit = r.get("unit")
            if unit is not None and unit not in UNITS:
                yield unit, f"/tests/{i}/results/{j}/unit"
        for j, req in enumerate(t.get("criteria") or ()):
            if req["limit"]["unit"] not in UNITS:
                yield req["limit"]["unit"], f"/tests/{i}/criteria/{j}/limit/unit"
            upper = req.get("upperLimit")
            if upper is not None and upper["unit"] not in UNITS:
                yield upper["unit"], f"/tests/{i}/criteria/{j}/upperLimit/unit"


def _codes(doc: Data) -> Iterator[Finding]:
    from iso3166 import countries_by_alpha2

    for code, at in _unknown_countries(doc, countries_by_alpha2):
        yield _finding("rule.country-unknown", f"{code!r} is not an ISO 3166-1 code", at)
    for unit, at in _unknown_units(doc):
        yield _finding("rule.unit-unknown", f"unit {unit!r} is not in inspectx's Rec 20 table", at)
    for i, p in enumerate(doc["products"]):
        for j, c in enumerate(_items(p, "classifications")):
            system, code = c["system"], c["code"]
            lengths = _HS_DIGITS.get(system.upper())
            digits = code.replace(".", "")
            if lengths is not None and (not _HS_CODE.match(code) or len(digits) not in lengths):
                allowed = " or ".join(str(n) for n in sorted(lengths))
                yield _finding(
                    "rule.hs-code-shape",
                    f"{system} code {code!r} should have {allowed} digits",
                    f"/products/{i}/classifications/{j}/code",
                )


def _replacement(doc: Data) -> Iterator[Finding]:
    replaces = doc.get("replaces")
    if replaces is not None and not any(
        replaces in (r.get("uri"), r.get("id")) for r in _items(doc, "references")
    ):
        yield _finding(
            "rule.replaced-not-referenced",
            f"the certificate replaces {replaces} but does not list it in its references",
            "/replaces",
        )
    status = doc.get("status", "issued")
    if status in ("replaced", "revoked"):
        yield _finding(
            "rule.status-not-current",
            f"the certificate's own status is {status}",
            "/status",
        )


# --- ISO/IEC 17025 §7.8 profile ------------------------------------------------------------


def _iso17025(doc: Data) -> Iterator[Finding]:
    if not doc.get("title"):
        yield _finding("iso17025.title-missing", "the report has no title", "/title")
    issuer = doc["issuer"]
    address = issuer.get("address")
    if address is None or not (address.get("lines") or address.get("city")):
        yield _finding(
            "iso17025.lab-address-missing", "the issuer has no postal address", "/issuer/address"
        )
    if doc.get("applicant") is None:
        yield _finding("iso17025.customer-missing", "no applicant is named", "/applicant")
    if not doc.get("statements"):
        yield _finding("iso17025.statement-missing", "the report has no statements", "/statements")
    if not doc.get("signatories"):
        yield _finding(
            "iso17025.signatory-missing", "no signatory authorised the report", "/signatories"
        )
    issuer_name = issuer["name"]
    for i, s in enumerate(_items(doc, "samples")):
        if s.get("receivedAt") is None:
            yield _finding(
                "iso17025.receipt-date-missing",
                f"sample {s['id']} has no date of receipt",
                f"/samples/{i}",
            )
        taken_by = s.get("takenBy")
        if taken_by is not None and taken_by["name"] == issuer_name and s.get("plan") is None:
            yield _finding(
                "iso17025.sampling-plan-missing",
                f"the lab took sample {s['id']} without a plan",
                f"/samples/{i}",
            )
    for i, t in enumerate(doc["tests"]):
        if t.get("performedFrom") is None and t.get("performedTo") is None:
            yield _finding(
                "iso17025.performance-date-missing",
                f"test {t['id']} has no date of performance",
                f"/tests/{i}",
            )
        for j, r in enumerate(_items(t, "results")):
            if r.get("value") is not None and r.get("unit") is None:
                yield _finding(
                    "iso17025.result-unit-missing",
                    f"a result of test {t['id']} has no unit",
                    f"/tests/{i}/results/{j}",
                )
        if t.get("criteria") and t.get("decisionRule") is None:
            yield _finding(
                "iso17025.decision-rule-missing",
                f"test {t['id']} states conformity without a decision rule",
                f"/tests/{i}",
            )
