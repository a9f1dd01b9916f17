"""A certificate, and what verification found, as one self-contained HTML page.

The page has no external resources and no script: inline CSS (with an A4 print
stylesheet), the QR code as inline SVG, and a Content-Security-Policy that
allows nothing but that one stylesheet (by its hash). It is rendered by a
Jinja2 template with autoescaping on; every value printed passes through one
``finalize`` function that formats dates and decimals and makes control and
bidirectional-override characters visible (``⟦U+202E⟧``), so text from a
certificate can neither inject markup nor reorder what an officer reads.
Every label comes from the language's message catalogue.

Rendering is deterministic: the same certificate, digest, verification,
language and URL give the same bytes (no clock, no random ids, stable order).
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from inspectx import __version__
from inspectx.model import Certificate, Identifier, Measure, Party, Requirement, Result, Text
from inspectx.render._base import RenderError
from inspectx.render.messages import Catalogue, load_catalogue
from inspectx.render.qr import QrCode, make_qr, qr_payload
from inspectx.render.verification import Verification
from inspectx.trust.verify import VerificationReport

__all__ = [
    "TOOL",
    "display",
    "explain_key",
    "identifier_text",
    "limit_text",
    "measure_text",
    "parties",
    "prepare",
    "render_html",
    "result_text",
    "visible",
]

TOOL = f"inspectx {__version__}"

# C0 and C1 controls (tab and newline kept), bidirectional embeddings, overrides,
# isolates and marks, the line/paragraph separators, and the characters that draw
# nothing (soft hyphen, zero-width space, word joiner and invisible operators, BOM,
# Hangul fillers, interlinear annotation, tags); the joiners U+200C/U+200D shape
# scripts and emoji, and stay
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u061c\u115f\u1160\u180e\u200b\u200e\u200f"
    "\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e007f]"
)
_SYMBOLS = {"lt": "<", "le": "≤", "eq": "=", "ge": "≥", "gt": ">"}
_MARKS = {"pass": "✔", "fail": "✖", "inconclusive": "?", "not-applicable": "–"}


def visible(text: str) -> str:
    """``text`` with every control or bidi-control character shown as ``⟦U+XXXX⟧``."""
    return _INVISIBLE.sub(lambda m: f"⟦U+{ord(m.group()):04X}⟧", text)


def _offset(value: datetime) -> str:
    delta = value.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def display(value: Any) -> str:
    """How one value reads on the page (before HTML escaping)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        pattern = "%Y-%m-%d %H:%M:%S" if value.second or value.microsecond else "%Y-%m-%d %H:%M"
        return f"{value.strftime(pattern)} {_offset(value)}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return visible(str(value.value))
    return visible(str(value))


def _finalize(value: Any) -> Any:
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value
    return display(value)


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("inspectx.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@functools.lru_cache(maxsize=1)
def _stylesheet() -> tuple[str, str]:
    """The page's CSS and its CSP source expression (``sha256-...``)."""
    css = (resources.files("inspectx.render") / "templates" / "page.css").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return css, f"sha256-{digest}"


def _unit(code: str | None) -> str:
    from inspectx.validation.units import UNITS

    if not code:
        return ""
    known = UNITS.get(code)
    if known is None:
        return code
    return "" if known.symbol == "1" else known.symbol  # C62 "one": a bare count


def measure_text(m: Measure) -> str:
    unit = _unit(m.unit)
    return f"{display(m.value)} {unit}".rstrip()


def identifier_text(i: Identifier) -> str:
    """``scheme value``, e.g. ``GTIN 4260123450076``."""
    return f"{display(i.scheme_id)} {display(i.value)}".strip()


def result_text(r: Result, cat: Catalogue) -> str:
    """A result as read: qualifier, value and unit symbol (``< 2.5 mg/kg``), or its code."""
    if r.code is not None:
        return cat.get(f"qualitative.{r.code.value}")
    symbol = _SYMBOLS.get(r.qualifier.value, "") if r.qualifier else ""
    value = display(r.value) if r.value is not None else cat.get("page.none")
    return f"{symbol} {value} {_unit(r.unit)}".strip()


def limit_text(c: Requirement) -> str:
    """A requirement's limit (``≤ 0.053 mg/kg``, or ``a – b unit`` for a range)."""
    if c.comparator.value == "between" and c.upper_limit is not None:
        return f"{display(c.limit.value)} – {measure_text(c.upper_limit)}"
    return f"{_SYMBOLS.get(c.comparator.value, '')} {measure_text(c.limit)}".strip()


def parties(cert: Certificate, cat: Catalogue) -> list[tuple[list[str], Party]]:
    """Every party the certificate names, each once, with all its roles in order."""
    found: list[tuple[list[str], Party]] = []

    def add(role: str, party: Party | None) -> None:
        if party is None:
            return
        for roles, known in found:
            if known == party:
                roles.append(role)
                return
        found.append(([role], party))

    add(cat.get("role.issuer"), cert.issuer)
    add(cat.get("role.applicant"), cert.applicant)
    if cert.consignment is not None:
        add(cat.get("role.consignor"), cert.consignment.consignor)
        add(cat.get("role.consignee"), cert.consignment.consignee)
    for p in cert.products:
        add(cat.get("role.manufacturer", seq=p.seq), p.manufacturer)
    for s in cert.samples:
        add(cat.get("role.sampler", id=display(s.id)), s.taken_by)
    return found


def prepare(
    certificate: Certificate | None,
    data_sha256: str,
    verification: Verification | VerificationReport | None,
    lang: str,
    verification_url: str | None,
) -> tuple[Certificate | None, Verification | None, Catalogue, QrCode]:
    """What a page shows, checked: the certificate (the verification's own when one is
    given), the verification, the catalogue and the QR code. Raises as :func:`render_html`."""
    cat = load_catalogue(lang)
    if isinstance(verification, VerificationReport):
        verification = Verification.from_report(verification)
    if verification is not None:
        if verification.sha256 != data_sha256:
            raise RenderError(
                "render.digest-mismatch",
                "the verification report is of other bytes than the document rendered",
                hint="render the same bytes that were verified",
            )
        if certificate is None:
            certificate = verification.certificate
        elif certificate is not verification.certificate:
            raise RenderError(
                "render.certificate-mismatch",
                "the certificate given is not the one read from the verified bytes",
                hint="give the verification's own certificate (or None for it)",
            )
    if certificate is None and verification is None:
        raise RenderError(
            "render.nothing-to-render",
            "neither a certificate nor a verification was given",
            hint="give the certificate read from the document, or its verification",
        )
    payload = qr_payload(
        certificate.id if certificate else None, data_sha256, url_template=verification_url
    )
    return certificate, verification, cat, make_qr(payload)


def explain_key(verification: Verification) -> str:
    """The catalogue key explaining the verdict: a VALID against keys the operator gave
    says only what was checked (no trust list: not listed, accredited or in date)."""
    verdict = verification.verdict.value
    if verdict == "VALID" and verification.trust_list_id is None:
        return "verdict.VALID.explain-keys"
    return f"verdict.{verdict}.explain"


def render_html(
    certificate: Certificate | None,
    *,
    data_sha256: str,
    verification: Verification | VerificationReport | None = None,
    lang: str = "en",
    verification_url: str | None = None,
    tool: str = TOOL,
) -> bytes:
    """The page for ``certificate`` as UTF-8 HTML bytes.

    ``data_sha256`` is the hex SHA-256 of the document's bytes (shown, and put
    in the QR code with the certificate's id). With ``verification`` the page
    opens with its verdict and lists every numbered check, the verification time
    and the trust list (or keys) used; its digest must be ``data_sha256``.
    Without it the page says plainly that nothing was verified. With a
    verification the page shows its certificate, the model read from the
    verified bytes: ``certificate`` must be that very object, or None for it
    (None too when the document could not be read: the page then shows the
    verification alone). ``verification_url`` is a QR URL template (see
    :mod:`inspectx.render.qr`).

    Raises :class:`RenderError`: ``render.language-unknown``,
    ``render.qr-url-invalid``, ``render.qr-too-long``, ``render.digest-mismatch``
    (the verification is of other bytes), ``render.certificate-mismatch`` (the
    certificate is not the verification's), ``render.nothing-to-render``.
    """
    certificate, verification, cat, qr = prepare(
        certificate, data_sha256, verification, lang, verification_url
    )
    failing = [
        (i, t) for i, t in enumerate(certificate.tests if certificate else (), 1)
        if t.outcome.value == "fail"
    ]  # fmt: skip
    css, style_hash = _stylesheet()
    from markupsafe import Markup

    def m(key: str, **fields: Any) -> str:
        return cat.get(key, **{k: display(v) for k, v in fields.items()})

    def best_text(texts: Sequence[Text]) -> Text | None:
        lang_tag = cat.html_lang.split("-")[0]
        for t in texts:
            if t.lang and t.lang.split("-")[0].lower() == lang_tag:
                return t
        return texts[0] if texts else None

    def texts(items: Sequence[Text]) -> Markup:
        # one list item per text, tagged with its language; values escaped here
        out = []
        for t in items:
            tag = Markup('<span class="lang">{}</span>').format(display(t.lang)) if t.lang else ""
            lang_attr = Markup(' lang="{}"').format(display(t.lang)) if t.lang else ""
            out.append(Markup("<li{}>{}{}</li>").format(lang_attr, tag, display(t.value)))
        return Markup('<ul class="texts">{}</ul>').format(Markup("").join(out))

    def result(r: Result) -> str:
        return result_text(r, cat)

    page = (
        _environment()
        .get_template("certificate.html.j2")
        .render(
            cat=cat,
            m=m,
            cert=certificate,
            v=verification,
            explain=explain_key(verification) if verification else "",
            qr=qr,
            qr_is_url=verification_url is not None,
            sha256=data_sha256,
            tool=tool,
            css=Markup(css),  # noqa: S704 - the package's own stylesheet
            style_hash=style_hash,
            failing=failing,
            parties=parties(certificate, cat) if certificate else [],
            marks=_MARKS,
            best_text=best_text,
            texts=texts,
            identifier=identifier_text,
            result=result,
            limit=limit_text,
            measure=measure_text,
            qr_svg=Markup(qr.svg),  # noqa: S704 - segno's SVG: paths only, no text
        )
    )
    html: str = page
    return html.encode("utf-8")
