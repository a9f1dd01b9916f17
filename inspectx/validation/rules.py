"""Business rules (layer 3): what a certificate must satisfy beyond its schema.

Every rule has a stable code, a severity, a location (a JSON Pointer into the
certificate; the pipeline maps it to an XPath with a line for XML input) and a
hint. The full table is ``RULES`` below and ``docs/rules.md``.

``check_rules(cert)`` runs the consistency rules; ``check_profile(cert,
"iso17025")`` adds the ISO/IEC 17025:2017 §7.8 report-content lint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from inspectx.model import (
    Certificate,
    Comparator,
    DecisionRuleType,
    Measure,
    Outcome,
    Party,
    Qualifier,
    Requirement,
    Result,
    Test,
)
from inspectx.validation.report import Finding, Severity
from inspectx.validation.units import UNITS, convert

__all__ = ["PROFILES", "RULES", "RuleInfo", "check_profile", "check_rules", "expected_outcome"]


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


def check_rules(cert: Certificate) -> list[Finding]:
    """Every consistency-rule finding for a certificate, in document order."""
    findings: list[Finding] = []
    findings += _references_and_ids(cert)
    findings += _dates(cert)
    findings += _outcomes(cert)
    findings += _codes(cert)
    findings += _replacement(cert)
    return findings


def check_profile(cert: Certificate, profile: str) -> list[Finding]:
    """Findings of a report-content profile (``"iso17025"``)."""
    if profile != "iso17025":
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return list(_iso17025(cert))


# --- references and identifiers ----------------------------------------------------------


def _references_and_ids(cert: Certificate) -> Iterator[Finding]:
    seqs = [p.seq for p in cert.products]
    sample_ids = [s.id for s in cert.samples]
    accreditation_ids = [a.id for a in cert.accreditations if a.id]
    yield from _duplicates(seqs, "/products/{}/seq", "product seq")
    yield from _duplicates(sample_ids, "/samples/{}/id", "sample id")
    yield from _duplicates([t.id for t in cert.tests], "/tests/{}/id", "test id")
    yield from _duplicates(accreditation_ids, "/accreditations/{}/id", "accreditation id")
    known_seqs, known_samples = set(seqs), set(sample_ids)
    for i, sample in enumerate(cert.samples):
        for j, ref in enumerate(sample.product_refs):
            if ref not in known_seqs:
                yield _finding(
                    "rule.ref-unresolved",
                    f"sample {sample.id} refers to product {ref}, which is not in the certificate",
                    f"/samples/{i}/productRefs/{j}",
                )
    for i, test in enumerate(cert.tests):
        for j, ref in enumerate(test.product_refs):
            if ref not in known_seqs:
                yield _finding(
                    "rule.ref-unresolved",
                    f"test {test.id} refers to product {ref}, which is not in the certificate",
                    f"/tests/{i}/productRefs/{j}",
                )
        for j, sample_ref in enumerate(test.sample_refs):
            if sample_ref not in known_samples:
                yield _finding(
                    "rule.ref-unresolved",
                    f"test {test.id} refers to sample {sample_ref!r}, which is not in the "
                    "certificate",
                    f"/tests/{i}/sampleRefs/{j}",
                )
        ref_acc = test.lab.accreditation_ref if test.lab else None
        if ref_acc is not None and ref_acc not in accreditation_ids:
            yield _finding(
                "rule.ref-unresolved",
                f"test {test.id} cites accreditation {ref_acc!r}, which is not in the certificate",
                f"/tests/{i}/lab/accreditationRef",
            )
        requirement_ids = [c.id for c in test.criteria if c.id]
        if len(requirement_ids) > 1:
            yield from _duplicates(
                requirement_ids, f"/tests/{i}/criteria/{{}}/id", f"requirement id in test {test.id}"
            )


def _duplicates(values: Sequence[object], pointer: str, what: str) -> Iterator[Finding]:
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


def _before(later: datetime | None, earlier: datetime | None) -> bool:
    """Whether both times are known and ``later`` comes first (messages are built
    only then: this runs for every test and sample)."""
    return later is not None and earlier is not None and later < earlier


def _dates(cert: Certificate) -> Iterator[Finding]:
    samples = {s.id: s for s in cert.samples}
    for i, s in enumerate(cert.samples):
        if _before(s.received_at, s.taken_at):
            yield _finding(
                "rule.date-order",
                f"sample {s.id} was received before it was taken",
                f"/samples/{i}/receivedAt",
            )
    accreditations = {a.id: a for a in cert.accreditations if a.id}
    for i, t in enumerate(cert.tests):
        start = t.performed_from or t.performed_to
        for ref in t.sample_refs:
            sample = samples.get(ref)
            if sample is None:
                continue
            for when, what in ((sample.taken_at, "taken"), (sample.received_at, "received")):
                if _before(start, when):
                    yield _finding(
                        "rule.date-order",
                        f"test {t.id} started before sample {sample.id} was {what}",
                        f"/tests/{i}/performedFrom",
                    )
        if _before(t.performed_to, t.performed_from):
            yield _finding(
                "rule.date-order", f"test {t.id} ends before it starts", f"/tests/{i}/performedTo"
            )
        if _before(cert.issued_at, t.performed_to or t.performed_from):
            yield _finding(
                "rule.date-order",
                f"the certificate was issued before test {t.id} was performed",
                "/issuedAt",
            )
        acc = (
            accreditations.get(t.lab.accreditation_ref)
            if t.lab and t.lab.accreditation_ref
            else None
        )
        if acc is not None and start is not None:
            day = start.date()
            if (acc.valid_from and day < acc.valid_from) or (
                acc.valid_until and day > acc.valid_until
            ):
                yield _finding(
                    "rule.accreditation-not-valid",
                    f"test {t.id} was performed on {day}, outside accreditation {acc.id}'s "
                    f"validity ({acc.valid_from or '…'} to {acc.valid_until or '…'})",
                    f"/tests/{i}/lab/accreditationRef",
                )
    if _before(cert.valid_until, cert.valid_from):
        yield _finding(
            "rule.date-order", "the certificate's validity ends before it starts", "/validUntil"
        )
    if _before(cert.valid_until, cert.issued_at):
        yield _finding(
            "rule.date-order", "the certificate's validity ends before its issue", "/validUntil"
        )


# --- outcomes ----------------------------------------------------------------------------

Verdict = Literal["pass", "fail", "undetermined"]
_UPPER = {Comparator.LE, Comparator.LT}
_LOWER = {Comparator.GE, Comparator.GT}


def _bounds(result: Result, value: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """(lowest, highest) possible true value given the qualifier; None is unbounded."""
    q = result.qualifier
    if q in (Qualifier.LT, Qualifier.LE):
        return None, value
    if q in (Qualifier.GT, Qualifier.GE):
        return value, None
    return value, value


def _judge(
    low: Decimal | None,
    high: Decimal | None,
    req: Requirement,
    limit: Decimal,
    upper: Decimal | None,
    band: Decimal,
) -> Verdict:
    c = req.comparator
    if c in _UPPER:
        strict = c is Comparator.LT
        if high is not None and (high < limit - band if strict else high <= limit - band):
            return "pass"
        if low is not None and (low >= limit + band if strict else low > limit + band):
            return "fail"
        return "undetermined"
    if c in _LOWER:
        strict = c is Comparator.GT
        if low is not None and (low > limit + band if strict else low >= limit + band):
            return "pass"
        if high is not None and (high <= limit - band if strict else high < limit - band):
            return "fail"
        return "undetermined"
    if c is Comparator.BETWEEN and upper is not None:
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


def expected_outcome(test: Test) -> tuple[Verdict | None, list[tuple[str, str]]]:
    """The outcome a test's results and criteria imply, and unit problems found.

    Returns (None, …) when there is nothing numeric to judge. The problems are
    (code, message) pairs for incommensurable units.
    """
    problems: list[tuple[str, str]] = []
    verdicts: list[Verdict] = []
    guard = test.decision_rule.type is DecisionRuleType.GUARD_BAND if test.decision_rule else False
    for result in test.results:
        if result.value is None:
            continue
        for req in test.criteria:
            limit_unit = req.limit.unit
            value = _in_unit(result.value, result.unit, limit_unit)
            if value is None:
                if result.unit in UNITS and limit_unit in UNITS:
                    problems.append(
                        (
                            "rule.unit-incommensurable",
                            f"result in {result.unit} ({UNITS[result.unit].dimension}) against a "
                            f"limit in {limit_unit} ({UNITS[limit_unit].dimension})",
                        )
                    )
                continue
            band = Decimal(0)
            if guard:
                assert test.decision_rule is not None
                if test.decision_rule.guard_band is not None:
                    band = test.decision_rule.guard_band
                elif result.uncertainty is not None:
                    band = _in_unit(result.uncertainty.value, result.unit, limit_unit) or band
            upper = _measure_in(req.upper_limit, limit_unit)
            low, high = _bounds(result, value)
            verdicts.append(_judge(low, high, req, req.limit.value, upper, band))
    if not verdicts:
        return None, problems
    if "fail" in verdicts:
        return "fail", problems
    if "undetermined" in verdicts:
        return "undetermined", problems
    return "pass", problems


def _measure_in(measure: Measure | None, unit: str) -> Decimal | None:
    if measure is None:
        return None
    return _in_unit(measure.value, measure.unit, unit)


def _outcomes(cert: Certificate) -> Iterator[Finding]:
    stated_outcomes = []
    for i, test in enumerate(cert.tests):
        stated_outcomes.append(test.outcome)
        expected, problems = expected_outcome(test)
        for code, message in problems:
            yield _finding(code, f"test {test.id}: {message}", f"/tests/{i}/results")
        stated = test.outcome
        if expected is None or stated not in (Outcome.PASS, Outcome.FAIL):
            continue
        if expected == "undetermined":
            yield _finding(
                "rule.outcome-undetermined",
                f"test {test.id} states {stated.value}, but its results do not decide it "
                "against the limit",
                f"/tests/{i}/outcome",
            )
        elif expected != stated.value:
            yield _finding(
                "rule.outcome-contradicts-limit",
                f"test {test.id} states {stated.value}, but its results against its limits "
                f"give {expected}",
                f"/tests/{i}/outcome",
            )
    conclusion = cert.conclusion.outcome
    if Outcome.FAIL in stated_outcomes and conclusion is not Outcome.FAIL:
        yield _finding(
            "rule.conclusion-contradicts-tests",
            f"the conclusion is {conclusion.value}, but a test failed",
            "/conclusion/outcome",
        )
    elif (
        conclusion is Outcome.FAIL
        and Outcome.FAIL not in stated_outcomes
        and Outcome.INCONCLUSIVE not in stated_outcomes
    ):
        yield _finding(
            "rule.conclusion-contradicts-tests",
            "the conclusion is fail, but no test failed",
            "/conclusion/outcome",
        )
    elif conclusion is Outcome.PASS and Outcome.INCONCLUSIVE in stated_outcomes:
        yield _finding(
            "rule.conclusion-contradicts-tests",
            "the conclusion is pass, but a test is inconclusive",
            "/conclusion/outcome",
        )


# --- codes -------------------------------------------------------------------------------

_HS_DIGITS = {"HS": {2, 4, 6}, "CN": {8}, "HTS": {10}, "HTSUS": {10}, "TARIC": {10}}
_HS_CODE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def _countries(cert: Certificate) -> Iterator[tuple[str, str]]:
    def party(p: Party | None, at: str) -> Iterator[tuple[str, str]]:
        if p is not None and p.address is not None:
            yield p.address.country_code, f"{at}/address/countryCode"

    yield from party(cert.issuer, "/issuer")
    yield from party(cert.applicant, "/applicant")
    for i, a in enumerate(cert.accreditations):
        yield from party(a.body, f"/accreditations/{i}/body")
    if cert.consignment is not None:
        c = cert.consignment
        yield from party(c.consignor, "/consignment/consignor")
        yield from party(c.consignee, "/consignment/consignee")
        if c.export_country:
            yield c.export_country, "/consignment/exportCountry"
        if c.import_country:
            yield c.import_country, "/consignment/importCountry"
    for i, p in enumerate(cert.products):
        if p.origin_country:
            yield p.origin_country, f"/products/{i}/originCountry"
        yield from party(p.manufacturer, f"/products/{i}/manufacturer")
    for i, s in enumerate(cert.samples):
        yield from party(s.taken_by, f"/samples/{i}/takenBy")
    for i, t in enumerate(cert.tests):
        for j, req in enumerate(t.criteria):
            if req.market and req.market != "EU":  # the EU is a market, not a country
                yield req.market, f"/tests/{i}/criteria/{j}/market"


def _unknown_units(cert: Certificate) -> Iterator[tuple[str, str]]:
    """Units not in the Rec 20 table, and where (located only when found)."""
    for i, p in enumerate(cert.products):
        for name, m in (
            ("quantity", p.quantity),
            ("netWeight", p.net_weight),
            ("grossWeight", p.gross_weight),
        ):
            if m is not None and m.unit not in UNITS:
                yield m.unit, f"/products/{i}/{name}/unit"
    for i, s in enumerate(cert.samples):
        if s.size is not None and s.size.unit not in UNITS:
            yield s.size.unit, f"/samples/{i}/size/unit"
    for i, t in enumerate(cert.tests):
        for j, r in enumerate(t.results):
            if r.unit is not None and r.unit not in UNITS:
                yield r.unit, f"/tests/{i}/results/{j}/unit"
        for j, req in enumerate(t.criteria):
            if req.limit.unit not in UNITS:
                yield req.limit.unit, f"/tests/{i}/criteria/{j}/limit/unit"
            if req.upper_limit is not None and req.upper_limit.unit not in UNITS:
                yield req.upper_limit.unit, f"/tests/{i}/criteria/{j}/upperLimit/unit"


def _codes(cert: Certificate) -> Iterator[Finding]:
    from iso3166 import countries_by_alpha2

    for code, at in _countries(cert):
        if code not in countries_by_alpha2:
            yield _finding("rule.country-unknown", f"{code!r} is not an ISO 3166-1 code", at)
    for unit, at in _unknown_units(cert):
        yield _finding("rule.unit-unknown", f"unit {unit!r} is not in inspectx's Rec 20 table", at)
    for i, p in enumerate(cert.products):
        for j, c in enumerate(p.classifications):
            lengths = _HS_DIGITS.get(c.system.upper())
            digits = c.code.replace(".", "")
            if lengths is not None and (not _HS_CODE.match(c.code) or len(digits) not in lengths):
                allowed = " or ".join(str(n) for n in sorted(lengths))
                yield _finding(
                    "rule.hs-code-shape",
                    f"{c.system} code {c.code!r} should have {allowed} digits",
                    f"/products/{i}/classifications/{j}/code",
                )


def _replacement(cert: Certificate) -> Iterator[Finding]:
    if cert.replaces is not None and not any(
        cert.replaces in (r.uri, r.id) for r in cert.references
    ):
        yield _finding(
            "rule.replaced-not-referenced",
            f"the certificate replaces {cert.replaces} but does not list it in its references",
            "/replaces",
        )
    if cert.status.value in ("replaced", "revoked"):
        yield _finding(
            "rule.status-not-current",
            f"the certificate's own status is {cert.status.value}",
            "/status",
        )


# --- ISO/IEC 17025 §7.8 profile ------------------------------------------------------------


def _iso17025(cert: Certificate) -> Iterator[Finding]:
    if not cert.title:
        yield _finding("iso17025.title-missing", "the report has no title", "/title")
    if cert.issuer.address is None or not (cert.issuer.address.lines or cert.issuer.address.city):
        yield _finding(
            "iso17025.lab-address-missing", "the issuer has no postal address", "/issuer/address"
        )
    if cert.applicant is None:
        yield _finding("iso17025.customer-missing", "no applicant is named", "/applicant")
    if not cert.statements:
        yield _finding("iso17025.statement-missing", "the report has no statements", "/statements")
    if not cert.signatories:
        yield _finding(
            "iso17025.signatory-missing", "no signatory authorised the report", "/signatories"
        )
    issuer_name = cert.issuer.name
    for i, s in enumerate(cert.samples):
        if s.received_at is None:
            yield _finding(
                "iso17025.receipt-date-missing",
                f"sample {s.id} has no date of receipt",
                f"/samples/{i}",
            )
        if s.taken_by is not None and s.taken_by.name == issuer_name and s.plan is None:
            yield _finding(
                "iso17025.sampling-plan-missing",
                f"the lab took sample {s.id} without a plan",
                f"/samples/{i}",
            )
    for i, t in enumerate(cert.tests):
        if t.performed_from is None and t.performed_to is None:
            yield _finding(
                "iso17025.performance-date-missing",
                f"test {t.id} has no date of performance",
                f"/tests/{i}",
            )
        for j, r in enumerate(t.results):
            if r.value is not None and r.unit is None:
                yield _finding(
                    "iso17025.result-unit-missing",
                    f"a result of test {t.id} has no unit",
                    f"/tests/{i}/results/{j}",
                )
        if t.criteria and t.decision_rule is None:
            yield _finding(
                "iso17025.decision-rule-missing",
                f"test {t.id} states conformity without a decision rule",
                f"/tests/{i}",
            )
