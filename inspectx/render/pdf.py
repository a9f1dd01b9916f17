"""The same page as a PDF (extra ``inspectx[pdf]``: fpdf2, pure Python).

fpdf2 lays the page out itself (no HTML engine), so this module draws the
content of :func:`~inspectx.render.render_html` in the same order: heading and
QR code, the verdict banner (or the "not verified" notice), the summary with
every failing test, the numbered checks and the trust basis, the document,
parties, products and every test (failures shaded), the conclusion, the
signatories and signatures, and the footer on every page. Labels come from the
same catalogues; values pass through the same :func:`~inspectx.render.html.display`.

A PDF embeds its font: a TrueType font that covers every character of the page
is needed (DejaVu Sans covers Latin, Greek and Cyrillic; Chinese needs a CJK
font such as Droid Sans Fallback or Noto Sans CJK). ``font`` names one; else a
few usual system paths are tried. The output is deterministic: fixed creation
date (the certificate's issue time) and file identifier derived from the content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspectx.model import Certificate
from inspectx.render._base import RenderError
from inspectx.render.html import (
    TOOL,
    display,
    explain_key,
    identifier_text,
    limit_text,
    measure_text,
    parties,
    prepare,
    result_text,
)
from inspectx.render.verification import Verification
from inspectx.trust.verify import VerificationReport

__all__ = ["FONT_CANDIDATES", "render_pdf"]

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arialuni.ttf",
)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_COLOURS = {
    "VALID": ((30, 107, 52), (231, 244, 234)),
    "INVALID": ((179, 38, 30), (253, 236, 234)),
    "INDETERMINATE": ((138, 90, 0), (255, 244, 214)),
    "ERROR": ((138, 90, 0), (255, 244, 214)),
    None: ((26, 29, 33), (238, 242, 247)),
}
_FAIL_FILL = (253, 236, 234)


def _covered(path: str, text: str) -> bool:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    cmap = TTFont(path, lazy=True).getBestCmap()
    return all(ord(c) in cmap for c in text if not c.isspace())


def _pick_font(font: str | None, text: str) -> str:
    candidates = [font] if font else [p for p in FONT_CANDIDATES if Path(p).is_file()]
    for path in candidates:
        if path and Path(path).is_file() and _covered(path, text):
            return path
    missing = sorted(
        {c for c in text if not c.isspace()} - set(text.encode("ascii", "ignore").decode())
    )
    raise RenderError(
        "render.pdf-font-missing",
        "no font covers every character of the page"
        + (f" (tried {font})" if font else f" (tried {len(candidates)} system fonts)"),
        hint="give a TrueType font that covers them with --pdf-font "
        "(for Chinese e.g. Debian's fonts-droid-fallback), or render HTML"
        + (f"; e.g. {''.join(missing[:8])}" if missing else ""),
    )


def render_pdf(
    certificate: Certificate | None,
    *,
    data_sha256: str,
    verification: Verification | VerificationReport | None = None,
    lang: str = "en",
    verification_url: str | None = None,
    font: str | None = None,
    tool: str = TOOL,
) -> bytes:
    """The page as PDF bytes (A4). Arguments as for :func:`~inspectx.render.render_html`,
    plus ``font`` (a TrueType file). Raises :class:`RenderError` as it does, and
    ``render.pdf-unavailable`` (fpdf2 is not installed), ``render.pdf-font-missing`` or
    ``render.pdf-layout`` (a value too long to lay out, such as a table row taller than a page)."""
    try:
        from fpdf import FPDF
    except ImportError:
        raise RenderError(
            "render.pdf-unavailable",
            "PDF output needs fpdf2, which is not installed",
            hint="pip install 'inspectx[pdf]', or render HTML and print it",
        ) from None
    from fpdf.errors import FPDFException

    certificate, verification, cat, qr = prepare(
        certificate, data_sha256, verification, lang, verification_url
    )
    lines = _Lines()
    _content(lines, certificate, verification, cat, data_sha256, qr.payload, tool)
    font_path = _pick_font(font, lines.all_text())

    def m(key: str, **fields: Any) -> str:
        return cat.get(key, **{k: display(v) for k, v in fields.items()})

    footer_text = f"{m('page.rendered-by', tool=tool)} · SHA-256 {data_sha256}"

    class _Page(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("body", size=7)
            self.set_text_color(91, 100, 112)
            self.cell(0, 4, f"{footer_text} · {self.page_no()}/{{nb}}", align="C")

    pdf = _Page(format="A4", unit="mm")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("body", fname=font_path)
    pdf.set_creation_date(certificate.issued_at if certificate else _EPOCH)
    pdf.set_lang(cat.html_lang)
    pdf.set_title(lines.title)
    pdf.set_creator(tool)
    pdf.add_page()
    _draw_qr(pdf, qr.payload)
    try:
        lines.draw(pdf, _COLOURS)
    except (ValueError, FPDFException) as exc:  # a table row taller than a page, and the like
        raise RenderError(
            "render.pdf-layout",
            f"the page could not be laid out as a PDF: {exc}",
            hint="render HTML (--to html) and print it from a browser",
        ) from None
    pdf.file_id = lambda: _file_id(data_sha256, lang, qr.payload)  # type: ignore[method-assign]
    return bytes(pdf.output())


def _file_id(sha256: str, lang: str, payload: str) -> str:
    digest = hashlib.md5(f"{sha256}|{lang}|{payload}".encode(), usedforsecurity=False).hexdigest()
    return f"<{digest.upper()}><{digest.upper()}>"


def _draw_qr(pdf: Any, payload: str) -> None:
    import segno

    code = segno.make_qr(payload, error="m", boost_error=False)
    size = 30.0
    x0, y0 = pdf.w - pdf.r_margin - size, pdf.t_margin
    matrix = list(code.matrix_iter(scale=1, border=4))
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, bits in enumerate(matrix):
        for col, dark in enumerate(bits):
            if dark:
                pdf.rect(x0 + col * module, y0 + row * module, module, module, style="F")
    pdf.set_font("body", size=5)
    pdf.set_xy(x0 - 2, y0 + size + 1)
    pdf.multi_cell(size + 4, 2.2, payload, align="C")
    pdf.set_xy(pdf.l_margin, pdf.t_margin)


class _Lines:
    """The page as a list of drawing steps, built once, so the font can be chosen
    for exactly the text that will be drawn."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Any]] = []
        self.title = ""

    def add(self, kind: str, value: Any) -> None:
        self.steps.append((kind, value))

    def all_text(self) -> str:
        out: list[str] = []
        for _kind, value in self.steps:
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, tuple):
                out.extend(str(v) for v in value if isinstance(v, str))
                for v in value:
                    if isinstance(v, list):
                        out.extend(
                            str(c) for row in v for c in (row[0] if isinstance(row, tuple) else row)
                        )
        return "\n".join(out)

    def draw(self, pdf: Any, colours: dict[Any, Any]) -> None:
        text_width = pdf.w - pdf.l_margin - pdf.r_margin
        for kind, value in self.steps:
            if kind == "h1":
                pdf.set_font("body", size=15)
                pdf.set_text_color(26, 29, 33)
                pdf.multi_cell(text_width - 36, 7, value, new_x="LMARGIN", new_y="NEXT")
            elif kind == "p":
                pdf.set_font("body", size=9)
                pdf.set_text_color(26, 29, 33)
                pdf.multi_cell(
                    text_width - (36 if pdf.page_no() == 1 and pdf.get_y() < 48 else 0),
                    4.5,
                    value,
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            elif kind == "small":
                pdf.set_font("body", size=7)
                pdf.set_text_color(91, 100, 112)
                pdf.multi_cell(
                    text_width - (36 if pdf.page_no() == 1 and pdf.get_y() < 48 else 0),
                    3.5,
                    value,
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            elif kind == "h2":
                pdf.ln(3)
                pdf.set_font("body", size=11)
                pdf.set_text_color(26, 29, 33)
                pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
                pdf.set_draw_color(26, 29, 33)
                pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
                pdf.ln(1.5)
            elif kind == "banner":
                verdict, title, explain, detail = value
                ink, fill = colours[verdict]
                pdf.set_y(max(pdf.get_y(), 12 + 30 + 8) + 2)
                pdf.set_fill_color(*fill)
                pdf.set_draw_color(*ink)
                pdf.set_text_color(*ink)
                pdf.set_font("body", size=14)
                pdf.multi_cell(
                    0,
                    8,
                    title,
                    border="LTR",
                    fill=True,
                    new_x="LMARGIN",
                    new_y="NEXT",
                    padding=(1, 3, 0, 3),
                )
                pdf.set_font("body", size=9)
                pdf.multi_cell(
                    0,
                    5,
                    explain + (f"\n{detail}" if detail else ""),
                    border="LBR",
                    fill=True,
                    new_x="LMARGIN",
                    new_y="NEXT",
                    padding=(0, 3, 1, 3),
                )
                pdf.set_text_color(26, 29, 33)
                pdf.ln(2)
            elif kind == "fields":
                pdf.set_font("body", size=8)
                with pdf.table(
                    col_widths=(30, 70),
                    first_row_as_headings=False,
                    borders_layout="HORIZONTAL_LINES",
                    line_height=4,
                ) as table:
                    for label, text in value:
                        row = table.row()
                        row.cell(label)
                        row.cell(text)
                pdf.ln(1)
            elif kind == "table":
                widths, header, rows = value
                pdf.set_font("body", size=7.5)
                from fpdf.fonts import FontFace

                heading = FontFace(emphasis="", fill_color=(243, 245, 247))
                with pdf.table(
                    col_widths=widths,
                    borders_layout="HORIZONTAL_LINES",
                    line_height=3.6,
                    repeat_headings=1,
                    headings_style=heading,
                ) as table:
                    head = table.row()
                    for h in header:
                        head.cell(h)
                    for cells, failed in rows:
                        style = None
                        if failed:
                            style = FontFace(fill_color=_FAIL_FILL, color=(179, 38, 30))
                        row = table.row(style=style)
                        for c in cells:
                            row.cell(c)
                pdf.ln(1)


def _content(
    lines: _Lines,
    cert: Certificate | None,
    v: Verification | None,
    cat: Any,
    sha256: str,
    payload: str,
    tool: str,
) -> None:
    def m(key: str, **fields: Any) -> str:
        text: str = cat.get(key, **{k: display(val) for k, val in fields.items()})
        return text

    none = m("page.none")

    def join(values: Sequence[Any], sep: str = "\n") -> str:
        return sep.join(display(x) for x in values if x is not None and display(x)) or none

    lines.add("small", m("page.subtitle"))
    if cert is not None:
        doc_type = m("doctype." + cert.document_type.value)
        lines.title = m("page.title", type=doc_type, number=cert.number.value)
        lines.add("h1", f"{doc_type} {display(cert.number.value)}")
        if cert.title:
            lines.add("p", display(cert.title[0].value))
        lines.add(
            "p",
            f"{m('summary.issuer')}: {display(cert.issuer.name)} · "
            f"{m('field.issued-at')} {display(cert.issued_at)} · "
            f"{m('field.status')}: {m('status.' + cert.status.value)}",
        )
    else:
        lines.title = m("section.verification")
        lines.add("h1", lines.title)
    lines.add("small", f"{m('field.sha256')}: {sha256}")
    if v is not None:
        detail = m("verdict.at", at=v.at)
        if v.trust_list_id:
            detail += f" · {m('basis.list')} {display(v.trust_list_id)} #{v.trust_sequence}"
        word = m("verdict." + v.verdict.value)
        title = word if word == v.verdict.value else f"{word}  {v.verdict.value}"
        lines.add("banner", (v.verdict.value, title, m(explain_key(v)), detail))
    else:
        lines.add("banner", (None, m("notice.unverified.title"), m("notice.unverified.text"), ""))
    if cert is not None:
        failing = [(i, t) for i, t in enumerate(cert.tests, 1) if t.outcome.value == "fail"]
        lines.add("h2", m("section.summary"))
        lines.add(
            "fields",
            [
                (m("summary.conclusion"), m("outcome." + cert.conclusion.outcome.value)),
                (m("summary.products"), str(len(cert.products))),
                (m("summary.tests"), str(len(cert.tests))),
                (m("summary.failed"), str(len(failing))),
            ],
        )
        if failing:
            lines.add(
                "table",
                (
                    (8, 30, 30, 32),
                    ("#", m("test.parameter"), m("test.result"), m("test.limit")),
                    [
                        (
                            (
                                str(i),
                                display(t.parameter.name),
                                join([result_text(r, cat) for r in t.results]),
                                join([limit_text(c) for c in t.criteria]),
                            ),
                            True,
                        )
                        for i, t in failing
                    ],
                ),
            )
    if v is not None:
        lines.add("h2", m("section.verification"))
        rows = []
        for c in v.checks:
            detail = " ".join(display(x) for x in (c.code, c.message, c.location) if x)
            if c.hint and c.status.value in ("failed", "indeterminate"):
                detail += f"\n{m('check.hint')}: {display(c.hint)}"
            rows.append(
                (
                    (
                        str(c.step),
                        m(f"step.{c.step}"),
                        m("check-status." + c.status.value),
                        detail or none,
                    ),
                    c.status.value in ("failed", "indeterminate"),
                )
            )
        lines.add(
            "table",
            (
                (8, 30, 14, 48),
                (m("check.step"), m("check.name"), m("check.status"), m("check.detail")),
                rows,
            ),
        )
        basis = [(m("basis.time"), display(v.at))]
        if v.trust_list_id:
            basis += [
                (m("basis.list"), display(v.trust_list_id)),
                (m("basis.sequence"), display(v.trust_sequence)),
                (m("basis.source"), display(v.trust_source) or none),
                (m("basis.origin"), display(v.trust_origin)),
                (m("basis.fetched"), display(v.trust_fetched_at) or m("basis.not-fetched")),
            ]
        else:
            basis.append((m("basis.keys"), join(v.keys)))
        basis.append((m("signature.verified-signers"), join(v.signers)))
        lines.add("fields", basis)
    if cert is None:
        lines.add("small", m("page.authoritative"))
        return
    lines.add("h2", m("section.document"))
    lines.add(
        "fields",
        [
            (m("field.number"), display(cert.number.value)),
            (m("field.id"), display(cert.id)),
            (m("field.type"), m("doctype." + cert.document_type.value)),
            (m("field.status"), m("status." + cert.status.value)),
            (m("field.title"), join([t.value for t in cert.title])),
            (m("field.issued-at"), display(cert.issued_at)),
            (m("field.valid-until"), display(cert.valid_until) or none),
            (m("field.sha256"), sha256),
            (m("field.qr-payload"), payload),
        ],
    )
    lines.add("h2", m("section.parties"))
    party_rows = []
    for roles, p in parties(cert, cat):
        address = none
        if p.address is not None:
            a = p.address
            address = join(
                [
                    *a.lines,
                    " ".join(display(x) for x in (a.postcode, a.city) if x),
                    a.subdivision,
                    a.country_code,
                ]
            )
        party_rows.append(
            (
                (
                    join(roles),
                    display(p.name),
                    join([identifier_text(i) for i in p.identifiers]),
                    address,
                ),
                False,
            )
        )
    lines.add(
        "table",
        (
            (22, 30, 24, 34),
            (m("party.role"), m("party.name"), m("party.identifiers"), m("party.address")),
            party_rows,
        ),
    )
    lines.add("h2", m("section.products"))
    lines.add(
        "table",
        (
            (6, 34, 20, 24, 16),
            (
                m("product.seq"),
                m("product.name"),
                m("product.batch"),
                m("product.identifiers"),
                m("product.quantity"),
            ),
            [
                (
                    (
                        str(p.seq),
                        display(p.name),
                        display(p.batch) or none,
                        join([identifier_text(i) for i in p.identifiers]),
                        join(
                            [
                                measure_text(q)
                                for q in (p.quantity, p.net_weight, p.gross_weight)
                                if q
                            ]
                        ),
                    ),
                    False,
                )
                for p in cert.products
            ],
        ),
    )
    lines.add("h2", m("section.tests"))
    lines.add(
        "table",
        (
            (6, 22, 26, 18, 20, 12),
            (
                m("test.index"),
                m("test.parameter"),
                m("test.method"),
                m("test.result"),
                m("test.limit"),
                m("test.outcome"),
            ),
            [
                (
                    (
                        str(i),
                        display(t.parameter.name),
                        display(t.method.standard),
                        join([result_text(r, cat) for r in t.results]),
                        join([limit_text(c) for c in t.criteria]),
                        m("outcome." + t.outcome.value),
                    ),
                    t.outcome.value == "fail",
                )
                for i, t in enumerate(cert.tests, 1)
            ],
        ),
    )
    lines.add("h2", m("section.conclusion"))
    lines.add(
        "fields",
        [
            (m("conclusion.outcome"), m("outcome." + cert.conclusion.outcome.value)),
            (m("conclusion.statement"), join([t.value for t in cert.conclusion.statement])),
            (m("section.statements"), join([t.value for t in cert.statements])),
        ],
    )
    if cert.signatories:
        lines.add("h2", m("section.signatories"))
        lines.add(
            "table",
            (
                (30, 30, 25, 15),
                (
                    m("signatory.name"),
                    m("signatory.role"),
                    m("signatory.signed"),
                    m("signatory.place"),
                ),
                [
                    (
                        (
                            display(s.name),
                            display(s.role) or none,
                            display(s.signed_at) or none,
                            display(s.place) or none,
                        ),
                        False,
                    )
                    for s in cert.signatories
                ],
            ),
        )
    if cert.proofs:
        lines.add("h2", m("section.signatures"))
        if v is None:
            lines.add("small", m("signature.unverified-note"))
        lines.add(
            "table",
            (
                (20, 60, 20),
                (m("signature.suite"), m("signature.method"), m("signature.created")),
                [
                    (
                        (
                            display(p.cryptosuite),
                            display(p.verification_method),
                            display(p.created) or none,
                        ),
                        False,
                    )
                    for p in cert.proofs
                ],
            ),
        )
    lines.add("small", m("page.authoritative"))
