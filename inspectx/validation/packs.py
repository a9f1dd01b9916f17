"""Rule packs (validation layer 4): destination-market requirements as data.

A rule pack (``"schema": "inspectx.rulepack/1"``, JSON Schema
``inspectx/schemas/inspectx-rulepack.schema.json``) states what a market requires of
certificates for some product classes: each rule is a CertLogic expression
(:mod:`inspectx.validation.certlogic`) with an id, a version, a description in one or
more languages, the certificate fields it reads, a validity window and the legal
source it comes from. Evaluated against a certificate at a time, every rule is

* ``PASSED`` -- the logic gave ``true``;
* ``FAILED`` -- the logic gave ``false``;
* ``OPEN`` -- the logic gave ``null`` (the certificate lacks what the rule needs to
  decide), or raised a CertLogic error (noted), or no product has an HS/CN code
  while the pack or rule is limited to product classes;
* ``NOT_APPLICABLE`` -- the evaluation date is outside the rule's validity window,
  or no product's HS/CN code starts with one of the pack's (or the rule's)
  product classes.

The facts
---------

CertLogic evaluates against :func:`facts` ``(cert, at)``, a JSON-like value (``dict``,
``list``, ``str``, ``int``, ``bool``, ``None`` and :class:`~decimal.Decimal` for
measured values; a Decimal compares exactly with a number literal)::

    {
      "certificate": {...},        # the certificate's own inspectx JSON data
                                   # (decimals are strings there, as on the wire)
      "at": "2026-05-01T00:00:00+00:00",   # the evaluation time, RFC 3339
      "issuedAt": "2026-03-18T14:05:00+01:00",
      "hsCodes": ["950300"],       # every HS/CN/TARIC/HTS code of every product,
                                   # dots and spaces removed, in document order, once
      "results": [                 # one entry per (test, result), in document order
        {
          "pointer": "/tests/10/results/0",   # JSON Pointer of the result
          "testId": "S1-Pb",
          "category": "III",       # the test's category code value, or null
          "methodStandard": "EN 71-3:2019+A1:2021",
          "parameterName": "Lead", # the result's own parameter name, else the test's
          "parameterCode": "7439-92-1",  # the test's parameter code value (a CAS
                                   # number) unless the result names its own
                                   # parameter; else null
          "parameterCodeList": "CAS",
          "productSeqs": [1],      # the test's productRefs; all products if it has none
          "sampleIds": ["S1"],
          "value": Decimal("2.9"), # or null (qualitative result)
          "qualifier": null,       # "lt", "le", "eq", "ge", "gt" or null
          "unit": "NA",            # UN/ECE Rec 20 code or null
          "code": null,            # "detected", "not-detected", "present", "absent"
          "lod": null, "loq": null, "uncertainty": null,   # Decimals, result's unit
          "outcome": "pass",       # the test's outcome
          "mgPerKg": Decimal("2.9"),    # value converted exactly to mg/kg when the
          "ugPerKg": Decimal("2900"),   #   unit is a mass fraction (mg/kg, µg/kg,
                                        #   %, ppm, ppb), else null
          "mgPerL": null,               # value converted exactly to mg/L (µg/L)
          "ugPerL": null                #   for mass concentrations, else null
        }
      ],
      "parameters": {              # results grouped by key_of(parameterCode)
        "7439-92-1": {
          "name": "Lead", "count": 2,
          "pointers": ["/tests/10/results/0", "/tests/29/results/0"],
          "mgPerKg": {"atLeast": Decimal, "atMost": Decimal or null, "bounded": bool},
          "ugPerKg": {...}, "mgPerL": {...}, "ugPerL": {...}
        }
      },
      "parameterNames": {...},     # the same, by key_of(parameterName.casefold()):
                                   # "lead", "chromium-vi", "organic-tin"
      "categories": {              # the same two groupings per key_of(test category)
        "III": {"parameters": {...}, "parameterNames": {...}}
      },
      "open": null                 # always null: {"var": "open"} makes a rule OPEN
    }

``atLeast``/``atMost`` bound the **highest** true value among a group's results,
taking qualifiers into account: ``"2.9"`` is exactly 2.9, ``"< 5"`` is at most 5,
``"> 100"`` at least 100 (no upper bound), a *not detected* result with a LOD is at
most the LOD, and any other result (qualitative, or in a unit of another dimension)
has no upper bound. ``bounded`` is false when some result has none; ``atMost`` is then
null. A maximum limit ``L`` is therefore written (``G`` the group's path)::

    {"if": [{"var": "G"},                                     # no result: nothing to exceed
      {"if": [{">": [{"var": "G.mgPerKg.atLeast"}, L]}, false,   # certainly above: FAILED
        {"if": [{"var": "G.mgPerKg.bounded"},
          {"<=": [{"var": "G.mgPerKg.atMost"}, L]},          # certainly at most L: PASSED
          {"var": "open"}]}]},                               # cannot tell: OPEN
      true]}

A limit may be a decimal literal (``0.053``): packs are loaded with non-integer
numbers as exact Decimals, and inspectx's CertLogic compares Decimals exactly (an
inspectx extension; plain CertLogic has integers only). Grouping keys are made by
:func:`key_of` so that ``var`` can reach them (``var`` paths allow letters, digits,
``_`` and ``-`` between dots); ``reduce`` over ``results`` reaches everything.
Limits are compared with the reported value (simple acceptance, ILAC-G8), without
measurement uncertainty.

Packs are loaded, schema-checked and their logic validated once per process
(:func:`load_pack`, :func:`shipped_packs`); evaluating a pack is deterministic.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from inspectx.errors import InspectxError
from inspectx.formats.certificate import certificate_from_data, certificate_to_data
from inspectx.formats.safejson import load_json
from inspectx.model import Certificate, Qualifier, QualitativeResult, Result, Test
from inspectx.validation.certlogic import CertLogicError, evaluate, validate_expression
from inspectx.validation.units import UNITS, convert

__all__ = [
    "PACK_SCHEMA",
    "Example",
    "ExampleCheck",
    "ExampleResult",
    "Limit",
    "PackReport",
    "Rule",
    "RulePack",
    "RulePackError",
    "RuleResult",
    "RuleStatus",
    "Source",
    "describe_pack",
    "evaluate_pack",
    "facts",
    "key_of",
    "load_pack",
    "pack_from_bytes",
    "shipped_pack_ids",
    "shipped_packs",
    "test_pack",
]

PACK_SCHEMA: Final = "inspectx.rulepack/1"
SCHEMA_FILE: Final = "inspectx-rulepack.schema.json"

# Classification systems whose codes are tariff codes starting with the HS digits.
_TARIFF_SYSTEMS: Final = frozenset({"HS", "CN", "TARIC", "HTS", "HTSUS"})
# Rec 20 codes of mass fractions (the "ratio" dimension without the bare number C62,
# which fixtures use for pH and CFU/g) and of mass concentrations.
_MASS_FRACTION: Final = frozenset({"NA", "J33", "59", "61", "P1"})
_MASS_CONCENTRATION: Final = frozenset({"GL", "M1", "H29", "KMQ"})
_VIEWS: Final = (
    ("mgPerKg", _MASS_FRACTION, "NA"),
    ("ugPerKg", _MASS_FRACTION, "J33"),
    ("mgPerL", _MASS_CONCENTRATION, "M1"),
    ("ugPerL", _MASS_CONCENTRATION, "H29"),
)
_ZERO: Final = Decimal(0)
_NOT_KEY: Final = re.compile(r"[^\w-]+")


class RulePackError(InspectxError):
    """A rule pack cannot be used: not found (``rules.pack-not-found``) or invalid
    (``rules.pack-invalid``, located by a JSON Pointer into the pack file)."""


class RuleStatus(enum.StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    OPEN = "OPEN"
    NOT_APPLICABLE = "NOT_APPLICABLE"


# --- the pack ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A legal source a rule comes from."""

    id: str
    title: str
    jurisdiction: str
    reference: str
    uri: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Limit:
    """The limit a rule enforces, as the legal text states it (for people)."""

    parameter: str
    comparator: str
    value: Decimal
    unit: str
    code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str
    version: str
    description: Mapping[str, str]
    affected_fields: tuple[str, ...]
    valid_from: date
    source: Source
    logic: Any
    valid_until: date | None = None
    product_classes: tuple[str, ...] = ()
    limit: Limit | None = None

    @property
    def description_en(self) -> str:
        return self.description["en"]

    def applies_on(self, day: date) -> bool:
        """Whether ``day`` is inside the rule's validity window (both ends inclusive)."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """An embedded example: a certificate, a time, and the status of every rule."""

    name: str
    at: datetime
    certificate: Mapping[str, Any]  # inspectx JSON data
    expected: Mapping[str, RuleStatus]
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RulePack:
    """A loaded, validated rule pack. Load with :func:`load_pack`; never mutate.

    Compared and hashed by identity: each pack is loaded once per process.
    """

    id: str
    version: str
    market: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    product_classes: tuple[str, ...]
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...]
    examples: tuple[Example, ...]
    origin: str  # "shipped" or the file path
    sha256: str  # of the pack file's bytes
    notes: Mapping[str, str] | None = None

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


# --- loading ----------------------------------------------------------------------


def _invalid(
    source: str, message: str, location: str | None = None, hint: str = ""
) -> RulePackError:
    return RulePackError(
        "rules.pack-invalid",
        f"{source}: {message}",
        hint=hint or "fix the pack file; its JSON Schema is " + SCHEMA_FILE,
        location=location,
    )


@cache
def _pack_validator() -> Any:
    import jsonschema_rs

    text = (resources.files("inspectx") / "schemas" / SCHEMA_FILE).read_text("utf-8")
    return jsonschema_rs.validator_for(json.loads(text))


def _pointer(path: Iterable[object]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


def _date(value: str, source: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid(source, f"{value!r} is not a calendar date", where) from None


def _datetime(value: str, source: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(source, f"{value!r} is not a date-time", where) from None


def pack_from_bytes(data: bytes, *, source: str = "<pack>", origin: str | None = None) -> RulePack:
    """Parse and check a rule pack file's bytes; raise :class:`RulePackError` if it is bad.

    Checks, in order: strict JSON (:func:`inspectx.formats.load_json`), the pack JSON
    Schema, unique source, rule and example ids, every rule's source exists, validity
    windows are real dates in order, a rule's product classes lie within the pack's,
    every logic expression is valid CertLogic, and every example gives an expected
    status for exactly the pack's rules. ``source`` names the pack in messages. Example
    certificates are checked by :func:`test_pack`.
    """
    try:
        plain = load_json(data)
    except InspectxError as exc:
        raise _invalid(source, exc.message, exc.location, exc.hint) from None
    validator = _pack_validator()
    if not validator.is_valid(plain):
        errors = sorted(
            validator.iter_errors(plain), key=lambda e: (_pointer(e.instance_path), e.message)
        )
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise _invalid(source, first.message + more, _pointer(first.instance_path))
    # the same document again, with non-integer numbers as exact Decimals for the logic
    doc: dict[str, Any] = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    sources = _sources(doc["sources"], source)
    rules: list[Rule] = []
    for i, r in enumerate(doc["rules"]):
        if any(r["id"] == other.id for other in rules):
            raise _invalid(source, f"duplicate rule id {r['id']!r}", f"/rules/{i}/id")
        rules.append(_rule(r, f"/rules/{i}", sources, doc["productClasses"], source))
    return RulePack(
        id=doc["id"],
        version=doc["version"],
        market=doc["market"],
        title=dict(doc["title"]),
        description=dict(doc["description"]),
        notes=dict(doc["notes"]) if "notes" in doc else None,
        product_classes=tuple(doc["productClasses"]),
        sources=tuple(sources.values()),
        rules=tuple(rules),
        examples=_examples(plain["examples"], [r.id for r in rules], source),
        origin=origin or source,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _sources(items: list[dict[str, Any]], source: str) -> dict[str, Source]:
    out: dict[str, Source] = {}
    for i, s in enumerate(items):
        if s["id"] in out:
            raise _invalid(source, f"duplicate source id {s['id']!r}", f"/sources/{i}/id")
        out[s["id"]] = Source(
            id=s["id"],
            title=s["title"],
            jurisdiction=s["jurisdiction"],
            reference=s["reference"],
            uri=s["uri"],
        )
    return out


def _rule(
    r: dict[str, Any],
    where: str,
    sources: Mapping[str, Source],
    pack_classes: Sequence[str],
    source: str,
) -> Rule:
    if r["source"] not in sources:
        raise _invalid(
            source,
            f"rule {r['id']!r} cites source {r['source']!r}, which the pack does not list",
            f"{where}/source",
        )
    valid_from = _date(r["validFrom"], source, f"{where}/validFrom")
    valid_until = (
        _date(r["validUntil"], source, f"{where}/validUntil") if "validUntil" in r else None
    )
    if valid_until is not None and valid_until < valid_from:
        raise _invalid(source, "validUntil is before validFrom", f"{where}/validUntil")
    classes = tuple(r.get("productClasses", ()))
    outside = [c for c in classes if pack_classes and not _class_match(pack_classes, [c])]
    if outside:
        raise _invalid(
            source,
            f"rule {r['id']!r}: product class {outside[0]} is outside the pack's "
            f"({', '.join(pack_classes)}), so the rule could never apply",
            f"{where}/productClasses",
        )
    problems = validate_expression(r["logic"])
    if problems:
        raise _invalid(
            source,
            f"rule {r['id']!r}: the logic is not valid CertLogic: " + "; ".join(problems),
            f"{where}/logic",
            "see the CertLogic specification and the facts in inspectx.validation.packs",
        )
    lim = r.get("limit")
    return Rule(
        id=r["id"],
        version=r["version"],
        description=dict(r["description"]),
        affected_fields=tuple(r["affectedFields"]),
        valid_from=valid_from,
        valid_until=valid_until,
        product_classes=classes,
        source=sources[r["source"]],
        limit=Limit(
            parameter=lim["parameter"],
            code=lim.get("code"),
            comparator=lim["comparator"],
            value=Decimal(lim["value"]),
            unit=lim["unit"],
        )
        if lim
        else None,
        logic=r["logic"],
    )


def _examples(items: list[dict[str, Any]], rule_ids: list[str], source: str) -> tuple[Example, ...]:
    out: list[Example] = []
    for i, e in enumerate(items):
        where = f"/examples/{i}"
        if any(e["name"] == other.name for other in out):
            raise _invalid(source, f"duplicate example name {e['name']!r}", f"{where}/name")
        unknown = [k for k in e["expected"] if k not in rule_ids]
        if unknown:
            raise _invalid(
                source,
                f"example {e['name']!r} expects a status for unknown rule {unknown[0]!r}",
                f"{where}/expected/{unknown[0]}",
            )
        missing = [k for k in rule_ids if k not in e["expected"]]
        if missing:
            raise _invalid(
                source,
                f"example {e['name']!r} gives no expected status for rule {missing[0]!r}",
                f"{where}/expected",
            )
        out.append(
            Example(
                name=e["name"],
                description=e.get("description"),
                at=_datetime(e["at"], source, f"{where}/at"),
                certificate=e["certificate"],
                expected={k: RuleStatus(e["expected"][k]) for k in rule_ids},
            )
        )
    return tuple(out)


def _packs_dir() -> Any:
    return resources.files("inspectx") / "packs"


@cache
def shipped_pack_ids() -> tuple[str, ...]:
    """The ids of the packs shipped with inspectx, sorted."""
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in _packs_dir().iterdir()
            if entry.name.endswith(".json")
        )
    )


@cache
def _shipped(pack_id: str) -> RulePack:
    data = (_packs_dir() / f"{pack_id}.json").read_bytes()
    pack = pack_from_bytes(data, source=f"shipped pack {pack_id}", origin="shipped")
    if pack.id != pack_id:
        raise _invalid(f"shipped pack {pack_id}", f"the file declares id {pack.id!r}", "/id")
    return pack


@lru_cache(maxsize=64)
def _from_file(path: str, mtime_ns: int, size: int) -> RulePack:
    del mtime_ns, size  # in the cache key only: an edited file is loaded again
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RulePackError(
            "rules.pack-not-found",
            f"cannot read rule pack {path}: {exc.strerror}",
            hint="give a shipped pack id (inspectx rules list) or a pack file",
        ) from None
    return pack_from_bytes(data, source=path, origin=path)


def load_pack(id_or_path: str | os.PathLike[str]) -> RulePack:
    """A shipped pack by id (``"eu-toys-en71-3"``) or a pack file by path (an id wins over
    a file of the same name in the working directory).

    Loaded and checked once per process (a file is loaded again if it changed).
    Raises :class:`RulePackError`: ``rules.pack-not-found`` or ``rules.pack-invalid``.
    """
    if isinstance(id_or_path, str) and id_or_path in shipped_pack_ids():
        return _shipped(id_or_path)
    path = Path(id_or_path)
    try:
        st = path.stat()
    except OSError:
        raise RulePackError(
            "rules.pack-not-found",
            f"no shipped rule pack and no file named {os.fspath(id_or_path)!r}",
            hint="shipped packs: " + ", ".join(shipped_pack_ids()),
        ) from None
    return _from_file(str(path.resolve()), st.st_mtime_ns, st.st_size)


def shipped_packs() -> tuple[RulePack, ...]:
    """Every pack shipped with inspectx, sorted by id (each loaded once per process)."""
    return tuple(_shipped(pack_id) for pack_id in shipped_pack_ids())


# --- facts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bounds:
    low: Decimal  # the true value is at least this
    high: Decimal | None  # and at most this (None: no upper bound known)


def _to(value: Decimal | None, unit: str | None, units: frozenset[str], target: str) -> Any:
    if value is None or unit is None or unit not in units or unit not in UNITS:
        return None
    converted, exact = convert(value, unit, target)
    return converted if exact else None


def _bounds(r: Result, units: frozenset[str], target: str) -> _Bounds:
    value = _to(r.value, r.unit, units, target)
    if value is not None:
        if r.qualifier in (None, Qualifier.EQ):
            return _Bounds(value, value)
        if r.qualifier in (Qualifier.LT, Qualifier.LE):
            return _Bounds(_ZERO, value)
        return _Bounds(value, None)  # > or >=: a lower bound only
    if r.code in (QualitativeResult.NOT_DETECTED, QualitativeResult.ABSENT):
        lod = _to(r.lod, r.unit, units, target)
        if lod is not None:
            return _Bounds(_ZERO, lod)
    return _Bounds(_ZERO, None)


def _tariff_codes(cert: Certificate) -> list[str]:
    codes: list[str] = []
    for p in cert.products:
        for c in p.classifications:
            code = c.code.replace(".", "").replace(" ", "")
            if c.system.upper() in _TARIFF_SYSTEMS and code.isdigit() and code not in codes:
                codes.append(code)
    return codes


def _rfc3339(t: datetime) -> str:
    return t.isoformat(timespec="microseconds" if t.microsecond else "seconds")


def _entry(
    cert: Certificate, i: int, t: Test, j: int, r: Result
) -> tuple[dict[str, Any], dict[str, _Bounds]]:
    code = t.parameter.code if r.parameter is None else None
    entry: dict[str, Any] = {
        "pointer": f"/tests/{i}/results/{j}",
        "testId": t.id,
        "category": t.category.value if t.category else None,
        "methodStandard": t.method.standard,
        "parameterName": r.parameter if r.parameter is not None else t.parameter.name,
        "parameterCode": code.value if code else None,
        "parameterCodeList": code.list_id if code else None,
        "productSeqs": list(t.product_refs) or [p.seq for p in cert.products],
        "sampleIds": list(t.sample_refs),
        "value": r.value,
        "qualifier": r.qualifier.value if r.qualifier else None,
        "unit": r.unit,
        "code": r.code.value if r.code else None,
        "lod": r.lod,
        "loq": r.loq,
        "uncertainty": r.uncertainty.value if r.uncertainty else None,
        "outcome": t.outcome.value,
    }
    for key, units, target in _VIEWS:
        entry[key] = _to(r.value, r.unit, units, target)
    return entry, {key: _bounds(r, units, target) for key, units, target in _VIEWS}


def _summaries(
    items: Sequence[tuple[dict[str, Any], dict[str, _Bounds]]],
    key: Callable[[dict[str, Any]], str | None],
) -> dict[str, Any]:
    groups: dict[str, list[tuple[dict[str, Any], dict[str, _Bounds]]]] = {}
    for item in items:
        k = key(item[0])
        if k is not None:
            groups.setdefault(k, []).append(item)
    out: dict[str, Any] = {}
    for k, members in groups.items():
        summary: dict[str, Any] = {
            "name": members[0][0]["parameterName"],
            "count": len(members),
            "pointers": [e["pointer"] for e, _ in members],
        }
        for view, _, _ in _VIEWS:
            bounds = [b[view] for _, b in members]
            highs = [b.high for b in bounds]
            bounded = all(h is not None for h in highs)
            summary[view] = {
                "atLeast": max(b.low for b in bounds),
                "atMost": max(h for h in highs if h is not None) if bounded else None,
                "bounded": bounded,
            }
        out[k] = summary
    return out


def key_of(text: str | None) -> str | None:
    """The key a code, category or (casefolded) name has in the facts' groupings: runs of
    characters other than letters, digits, ``_`` and ``-`` become one ``-`` (so that
    ``{"var": ...}`` can reach it); ``None`` for nothing left."""
    if text is None:
        return None
    return _NOT_KEY.sub("-", text).strip("-") or None


def _groupings(items: Sequence[tuple[dict[str, Any], dict[str, _Bounds]]]) -> dict[str, Any]:
    return {
        "parameters": _summaries(items, lambda e: key_of(e["parameterCode"])),
        "parameterNames": _summaries(items, lambda e: key_of(str(e["parameterName"]).casefold())),
    }


def facts(cert: Certificate, at: datetime) -> dict[str, Any]:
    """The data rule logic is evaluated against (its shape is in the module docstring).

    ``at`` must be timezone-aware. Deterministic: the same certificate and time give
    equal facts.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the evaluation time must be timezone-aware")
    items = [
        _entry(cert, i, t, j, r) for i, t in enumerate(cert.tests) for j, r in enumerate(t.results)
    ]
    categories: dict[str, list[tuple[dict[str, Any], dict[str, _Bounds]]]] = {}
    for item in items:
        category = key_of(item[0]["category"])
        if category is not None:
            categories.setdefault(category, []).append(item)
    return {
        "certificate": certificate_to_data(cert),
        "at": _rfc3339(at),
        "issuedAt": _rfc3339(cert.issued_at),
        "hsCodes": _tariff_codes(cert),
        "results": [e for e, _ in items],
        **_groupings(items),
        "categories": {k: _groupings(v) for k, v in categories.items()},
        "open": None,
    }


# --- evaluation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleResult:
    """One rule evaluated against one certificate."""

    rule_id: str
    rule_version: str
    status: RuleStatus
    description_en: str
    affected_fields: tuple[str, ...]
    source: str  # the citation ("Regulation (EU) 2023/915, Annex I, entry 1.4 ...")
    source_id: str
    source_uri: str
    note: str | None = None  # why OPEN or NOT_APPLICABLE

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.rule_id,
            "version": self.rule_version,
            "status": self.status.value,
            "description": self.description_en,
            "affectedFields": list(self.affected_fields),
            "source": self.source,
            "sourceUri": self.source_uri,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PackReport:
    """A rule pack evaluated against one certificate at one time."""

    pack_id: str
    pack_version: str
    market: str
    at: datetime
    results: tuple[RuleResult, ...]

    @property
    def status(self) -> str:
        """``failed`` if a rule FAILED, else ``indeterminate`` if one is OPEN, else
        ``passed`` (also when no rule applies)."""
        statuses = {r.status for r in self.results}
        if RuleStatus.FAILED in statuses:
            return "failed"
        if RuleStatus.OPEN in statuses:
            return "indeterminate"
        return "passed"

    def counts(self) -> dict[str, int]:
        return {s.value: sum(r.status is s for r in self.results) for s in RuleStatus}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.pack_id,
            "version": self.pack_version,
            "market": self.market,
            "at": _rfc3339(self.at),
            "status": self.status,
            "counts": self.counts(),
            "rules": [r.as_dict() for r in self.results],
        }


def _class_match(prefixes: Sequence[str], codes: Sequence[str]) -> bool:
    return any(code.startswith(p) for p in prefixes for code in codes)


def _status_of(rule: Rule, data: Mapping[str, Any]) -> tuple[RuleStatus, str | None]:
    try:
        value = evaluate(rule.logic, data)
    except CertLogicError as exc:
        return RuleStatus.OPEN, f"the logic could not be evaluated ({exc.code}: {exc.message})"
    if value is True:
        return RuleStatus.PASSED, None
    if value is False:
        return RuleStatus.FAILED, None
    if value is None:
        return RuleStatus.OPEN, "the certificate lacks what the rule needs to decide"
    return RuleStatus.OPEN, f"the logic gave {value!r}, not true, false or null (a pack defect)"


def evaluate_pack(
    pack: RulePack,
    cert: Certificate,
    *,
    at: datetime,
    data: Mapping[str, Any] | None = None,
) -> PackReport:
    """Evaluate every rule of ``pack`` against ``cert`` at ``at`` (timezone-aware).

    A rule's validity window is compared with the UTC calendar date of ``at``.
    ``data`` may pass :func:`facts` ``(cert, at)`` already computed (to evaluate
    several packs on one certificate). Deterministic; never raises for a certificate.
    """
    if data is None:
        data = facts(cert, at)
    day = at.astimezone(UTC).date()
    codes: Sequence[str] = data["hsCodes"]
    out: list[RuleResult] = []
    for rule in pack.rules:
        status, note = _applicability(pack, rule, day, codes)
        if status is None:
            status, note = _status_of(rule, data)
        out.append(
            RuleResult(
                rule_id=rule.id,
                rule_version=rule.version,
                status=status,
                description_en=rule.description_en,
                affected_fields=rule.affected_fields,
                source=rule.source.reference,
                source_id=rule.source.id,
                source_uri=rule.source.uri,
                note=note,
            )
        )
    return PackReport(
        pack_id=pack.id, pack_version=pack.version, market=pack.market, at=at, results=tuple(out)
    )


def _applicability(
    pack: RulePack, rule: Rule, day: date, codes: Sequence[str]
) -> tuple[RuleStatus | None, str | None]:
    """NOT_APPLICABLE or OPEN with the reason, or (None, None) if the rule applies."""
    if not rule.applies_on(day):
        if day < rule.valid_from:
            return RuleStatus.NOT_APPLICABLE, f"the rule applies from {rule.valid_from}"
        return RuleStatus.NOT_APPLICABLE, f"the rule applied until {rule.valid_until}"
    for level, prefixes in (("pack", pack.product_classes), ("rule", rule.product_classes)):
        if not prefixes:
            continue
        if not codes:
            return RuleStatus.OPEN, (
                "no product has an HS/CN code, so whether the "
                f"{level} applies (HS {', '.join(prefixes)}) cannot be told"
            )
        if not _class_match(prefixes, codes):
            return RuleStatus.NOT_APPLICABLE, (
                f"the {level} applies to HS {', '.join(prefixes)}; "
                f"the products are HS {', '.join(codes)}"
            )
    return None, None


# --- examples and description --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ExampleCheck:
    rule_id: str
    expected: RuleStatus
    actual: RuleStatus
    note: str | None = None

    @property
    def passed(self) -> bool:
        return self.expected is self.actual


@dataclass(frozen=True, slots=True, kw_only=True)
class ExampleResult:
    """One embedded example run: every rule's expected and actual status."""

    name: str
    at: datetime
    checks: tuple[ExampleCheck, ...]
    error: str | None = None  # the example's certificate is not a valid certificate

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "at": _rfc3339(self.at), "passed": self.passed}
        if self.error:
            out["error"] = self.error
        out["rules"] = [
            {
                "id": c.rule_id,
                "expected": c.expected.value,
                "actual": c.actual.value,
                "passed": c.passed,
                **({"note": c.note} if c.note else {}),
            }
            for c in self.checks
        ]
        return out


def test_pack(pack: RulePack) -> list[ExampleResult]:
    """Run the pack's embedded examples (``inspectx rules test PACK``).

    Each example's certificate must pass the published certificate JSON Schema and
    bind to the model; then every rule's status at the example's time is compared
    with the expected one.
    """
    from inspectx.validation.schema import default_validators

    validators = default_validators()
    out: list[ExampleResult] = []
    for ex in pack.examples:
        findings = validators.json_findings(ex.certificate)
        error: str | None = None
        if findings:
            f = findings[0]
            error = f"the example certificate is not valid: {f.code} at {f.location}: {f.message}"
        else:
            try:
                cert = certificate_from_data(ex.certificate)
            except InspectxError as exc:
                error = f"the example certificate is not valid: {exc}"
        if error is not None:
            out.append(ExampleResult(name=ex.name, at=ex.at, checks=(), error=error))
            continue
        report = evaluate_pack(pack, cert, at=ex.at)
        checks = tuple(
            ExampleCheck(
                rule_id=r.rule_id, expected=ex.expected[r.rule_id], actual=r.status, note=r.note
            )
            for r in report.results
        )
        out.append(ExampleResult(name=ex.name, at=ex.at, checks=checks))
    return out


test_pack.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def describe_pack(pack: RulePack) -> dict[str, Any]:
    """The pack as JSON-ready data, for ``inspectx rules show PACK``."""
    out: dict[str, Any] = {
        "id": pack.id,
        "version": pack.version,
        "market": pack.market,
        "title": dict(pack.title),
        "description": dict(pack.description),
    }
    if pack.notes:
        out["notes"] = dict(pack.notes)
    out |= {
        "productClasses": list(pack.product_classes),
        "origin": pack.origin,
        "sha256": pack.sha256,
        "sources": [
            {
                "id": s.id,
                "title": s.title,
                "jurisdiction": s.jurisdiction,
                "reference": s.reference,
                "uri": s.uri,
            }
            for s in pack.sources
        ],
        "rules": [_describe_rule(r) for r in pack.rules],
        "examples": [
            {
                "name": e.name,
                "at": _rfc3339(e.at),
                **({"description": e.description} if e.description else {}),
            }
            for e in pack.examples
        ],
    }
    return out


def _describe_rule(r: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "version": r.version,
        "description": dict(r.description),
        "affectedFields": list(r.affected_fields),
        "validFrom": r.valid_from.isoformat(),
    }
    if r.valid_until is not None:
        out["validUntil"] = r.valid_until.isoformat()
    if r.product_classes:
        out["productClasses"] = list(r.product_classes)
    out["source"] = {"id": r.source.id, "reference": r.source.reference, "uri": r.source.uri}
    if r.limit is not None:
        out["limit"] = {
            "parameter": r.limit.parameter,
            **({"code": r.limit.code} if r.limit.code else {}),
            "comparator": r.limit.comparator,
            "value": str(r.limit.value),
            "unit": r.limit.unit,
            "unitSymbol": UNITS[r.limit.unit].symbol if r.limit.unit in UNITS else r.limit.unit,
        }
    out["logic"] = _jsonable(r.logic)
    return out
