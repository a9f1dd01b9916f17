"""Specialised binding and writing functions, generated from the field table.

A generic loop over the table pays for a dispatch on every field of every
record; straight-line code per record does not (about 3x faster to unbind,
1.6x to bind). The functions are generated once, on first use, from the
table alone (no input reaches the generated source), into one namespace where
they call each other by name. Behaviour, errors included, is that of the
converters in :mod:`inspectx.formats._bind`; the property tests hold every
generated path to the reference paths.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from inspectx.errors import ModelError
from inspectx.formats import _bind as b
from inspectx.formats._table import CERTIFICATE_NS, RECORDS, XML_NS, Field, Kind, Record

__all__ = ["Compiled", "compiled"]


@dataclass(frozen=True, slots=True)
class Compiled:
    bind: dict[type, Callable[[Any, tuple[Any, ...]], Any]]
    bind_valid: dict[type, Callable[[Any], Any]]
    check_valid: dict[type, Callable[[Any], None]]
    bind_element: dict[type, Callable[[Any], Any]]
    check_element: dict[type, Callable[[Any], None]]
    data_element: dict[type, Callable[[Any], dict[str, Any]]]
    unbind: dict[type, Callable[[Any], dict[str, Any]]]
    write_xml: dict[type, Callable[[Any, list[str], str], None]]


_CACHE: list[Compiled] = []


def compiled() -> Compiled:
    """The generated functions, built on first use."""
    if not _CACHE:
        _CACHE.append(_generate())
    return _CACHE[0]


# --- helpers the generated code calls on its (rare) error paths ---------------------------


def _missing(record: str, attr: str, cls: type) -> ModelError:
    return ModelError(
        "model.missing-field",
        f"{record}.{attr} is required",
        hint=f"set {attr} when building the {cls.__name__}",
    )


def _missing_items(record: str, attr: str) -> ModelError:
    return ModelError(
        "model.missing-field",
        f"{record}.{attr} needs at least one item",
        hint=f"add at least one item to {attr}",
    )


def _not_tuple(record: str, attr: str) -> ModelError:
    return ModelError(
        "model.invalid-value",
        f"{record}.{attr} must be a tuple",
        hint=f"pass a tuple, e.g. {attr}=(item,)",
    )


def _wrong_record(sub: type, attr: str, value: Any) -> ModelError:
    return ModelError(
        "model.invalid-value",
        f"{attr} must be a {sub.__name__}, not {type(value).__name__}",
        hint=f"build {attr} with inspectx.model.{sub.__name__}",
    )


def _leaves(
    conv: Callable[[Any], Any], values: list[Any], path: tuple[Any, ...]
) -> tuple[Any, ...]:
    try:
        return tuple([conv(v) for v in values])
    except b._Bad:
        for i, v in enumerate(values):
            try:
                conv(v)
            except b._Bad as bad:
                raise b._at((*path, i), bad) from None
        raise  # pragma: no cover - the loop re-raises


def _unknown_member(data: dict[str, Any], rec: Record, path: tuple[Any, ...]) -> ModelError:
    name = next(k for k in data if rec.field(k) is None)
    return b._fail((*path, name), f"{rec.name} has no member {name!r}")


# --- generation ------------------------------------------------------------------------------


class _Source:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}

    def name_for(self, prefix: str, value: Any) -> str:
        key = f"{prefix}_{len(self.names)}"
        self.names[key] = value
        return key

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def _fn(kind: str, rec: Record) -> str:
    return f"{kind}_{rec.name}"


def _out_expr(src: _Source, f: Field, var: str) -> str:
    """An expression rendering model value ``var`` of field ``f`` as wire text, with checks."""
    out = src.name_for("out", b._leaf_out(f))
    if f.kind is Kind.STRING:
        return f"({var} if type({var}) is str and {var} and not forbidden({var}) else {out}({var}))"
    if f.kind is Kind.DECIMAL:
        return f'(format({var}, "f") if type({var}) is Decimal and {var}.is_finite() else {out}({var}))'
    if f.kind is Kind.ENUM:
        enum_name = src.name_for("enum", f.target)
        return f"({var}.value if type({var}) is {enum_name} else {out}({var}))"
    return f"{out}({var})"


def _trusted_text(src: _Source, f: Field, var: str) -> str:
    """Wire text for a value of a model that was bound from a valid document."""
    if f.kind is Kind.STRING:
        return var
    if f.kind is Kind.DECIMAL:
        return f"format({var}, 'f')"
    if f.kind is Kind.ENUM:
        return f"{var}.value"
    if f.kind is Kind.DATETIME:
        return f"format_datetime({var})"
    if f.kind is Kind.DATE:
        return f"{var}.isoformat()"
    if f.kind is Kind.INTEGER:
        return f"str({var})"
    return f"b64encode({var}).decode('ascii')"


def _gen_unbind(src: _Source, rec: Record) -> None:
    src.emit(0, f"def {_fn('unbind', rec)}(o):")
    src.emit(1, "out = {}")
    for f in rec.fields:
        src.emit(1, f"v = o.{f.attr}")
        if f.kind is Kind.RECORD:
            assert f.target is not None
            sub = RECORDS[f.target]
            cls = src.name_for("cls", f.target)
            expr = f"({_fn('unbind', sub)}(x) if type(x) is {cls} else _wrong_record({cls}, {f.attr!r}, x))"
        else:
            expr = _out_expr(src, f, "x")
        if f.repeated:
            src.emit(1, "if v is None or v == () or v == []:")
            if f.required:
                src.emit(2, f"raise _missing_items({rec.name!r}, {f.attr!r})")
            else:
                src.emit(2, "pass")
            src.emit(1, "else:")
            src.emit(2, "if type(v) is not tuple and type(v) is not list:")
            src.emit(3, f"raise _not_tuple({rec.name!r}, {f.attr!r})")
            src.emit(2, f"out[{f.name!r}] = [{expr} for x in v]")
        else:
            src.emit(1, "if v is None:")
            if f.required:
                rec_cls = src.name_for("cls", rec.cls)
                src.emit(2, f"raise _missing({rec.name!r}, {f.attr!r}, {rec_cls})")
            else:
                src.emit(2, "pass")
            src.emit(1, "else:")
            src.emit(2, "x = v")
            src.emit(2, f"out[{f.name!r}] = {expr}")
    src.emit(1, "return out")


def _construct(src: _Source, rec: Record, values: dict[str, str], indent: int) -> None:
    """Emit code that builds ``rec.cls`` from local variables, field by field.

    The instance is filled as a :func:`_twin` (plain slot stores, which CPython
    specialises) and then given its own class: a third of the cost of setting
    each slot through the frozen class's descriptors, and a fifth of the
    dataclass ``__init__``. Only sound because the model classes have no
    ``__post_init__`` (checked here).
    """
    if hasattr(rec.cls, "__post_init__"):
        raise RuntimeError(f"{rec.cls.__name__} has __post_init__: construct it with __init__")
    cls = src.name_for("cls", rec.cls)
    src.emit(indent, f"o = new({src.name_for('twin', _twin(rec.cls))})")
    for field in dataclasses.fields(rec.cls):
        default = src.name_for("default", field.default)
        src.emit(indent, f"o.{field.name} = {values.get(field.name, default)}")
    src.emit(indent, f"o.__class__ = {cls}")
    src.emit(indent, "return o")


def _twin(cls: type) -> type:
    """An unfrozen class with exactly ``cls``'s slots, so the same memory layout.

    Assigning ``__class__`` between the two is allowed only for equal layouts;
    a probe does it once here, so a model class that stops qualifying (a new
    base, a ``__dict__``) fails at code generation, not later.
    """
    twin = type(f"{cls.__name__}Fill", (), {"__slots__": cls.__slots__})  # type: ignore[attr-defined]
    probe: Any = object.__new__(twin)
    probe.__class__ = cls
    return twin


def _gen_bind(src: _Source, rec: Record) -> None:
    rec_name = src.name_for("rec", rec)
    src.emit(0, f"def {_fn('bind', rec)}(d, path):")
    src.emit(1, "if type(d) is not dict:")
    src.emit(2, f"raise _fail(path, {'expected an object for ' + rec.name!r})")
    src.emit(1, "n = 0")
    values: dict[str, str] = {}
    for i, f in enumerate(rec.fields):
        var = f"v{i}"
        values[f.attr] = var
        default = src.name_for("default", _default_of(rec.cls, f.attr))
        src.emit(1, f"{var} = d.get({f.name!r}, MISSING)")
        src.emit(1, f"if {var} is MISSING:")
        if f.required:
            message = f"{rec.name} lacks the required member {f.name!r}"
            src.emit(2, f"raise _fail(path, {message!r})")
        else:
            src.emit(2, f"{var} = {default}")
        src.emit(1, "else:")
        src.emit(2, "n += 1")
        if f.repeated:
            src.emit(2, f"if type({var}) is not list or not {var}:")
            message = repr(f.name) + " must be a non-empty array"
            src.emit(3, f"raise _fail((*path, {f.name!r}), {message!r})")
        if f.kind is Kind.RECORD:
            assert f.target is not None
            fn = _fn("bind", RECORDS[f.target])
            if f.repeated:
                src.emit(
                    2,
                    f"{var} = tuple([{fn}(x, (*path, {f.name!r}, i)) for i, x in enumerate({var})])",
                )
            else:
                src.emit(2, f"{var} = {fn}({var}, (*path, {f.name!r}))")
        else:
            conv = src.name_for("conv", b._leaf_in(f))
            if f.repeated:
                src.emit(2, f"{var} = _leaves({conv}, {var}, (*path, {f.name!r}))")
            else:
                src.emit(2, "try:")
                src.emit(3, f"{var} = {conv}({var})")
                src.emit(2, "except _Bad as bad:")
                src.emit(3, f"raise _at((*path, {f.name!r}), bad) from None")
    src.emit(1, "if n != len(d):")
    src.emit(2, f"raise _unknown_member(d, {rec_name}, path)")
    _construct(src, rec, values, 1)


# Leaf converters for data the JSON Schema accepted: its types, patterns and
# enumerations already hold, so only what the schema cannot say is left
# (calendar validity, canonical base64). Text is taken as is: the caller has
# checked the whole document for characters XML cannot carry.
def _valid_leaf(src: _Source, f: Field) -> str | None:
    """Name of the converter for a schema-valid leaf, or None for "as is"."""
    if f.kind is Kind.STRING:
        return None
    if f.kind is Kind.DECIMAL:
        return "Decimal"
    if f.kind is Kind.DATETIME:
        return src.name_for("conv", b.parse_datetime)
    if f.kind is Kind.DATE:
        return src.name_for("conv", date.fromisoformat)
    if f.kind is Kind.ENUM:
        target: type[enum.Enum] = f.target  # type: ignore[assignment]
        members = {m.value: m for m in target}
        return src.name_for("members", members.__getitem__)
    return src.name_for("conv", b._leaf_in(f))


def _gen_bind_valid(src: _Source, rec: Record) -> None:
    """Bind schema-valid JSON data: no type, presence or membership checks.

    Anything unexpected raises some exception; the caller then binds again
    with the checked function, which says what and where.
    """
    src.emit(0, f"def {_fn('bindv', rec)}(d):")
    values: dict[str, str] = {}
    for i, f in enumerate(rec.fields):
        var = values[f.attr] = f"v{i}"
        if f.kind is Kind.RECORD:
            assert f.target is not None
            conv: str | None = _fn("bindv", RECORDS[f.target])
        else:
            conv = _valid_leaf(src, f)
        if f.repeated:
            value = f"tuple([{conv}(x) for x in {var}])" if conv else f"tuple({var})"
        else:
            value = f"{conv}({var})" if conv else var
        default = _default_of(rec.cls, f.attr)
        src.emit(1, f"{var} = d[{f.name!r}]" if f.required else f"{var} = d.get({f.name!r})")
        if value == var and (f.required or default is None):
            continue
        if f.required:
            src.emit(1, f"{var} = {value}")
        elif default is None:
            src.emit(1, f"if {var} is not None:")
            src.emit(2, f"{var} = {value}")
        else:
            default_name = src.name_for("default", default)
            src.emit(1, f"{var} = {default_name} if {var} is None else {value}")
    _construct(src, rec, values, 1)


_CHECKED_KINDS = (Kind.DATE, Kind.DATETIME, Kind.BASE64)


def _needs_check(rec: Record) -> bool:
    """Whether schema-valid data of ``rec`` can hold a leaf the model refuses."""
    return any(
        f.kind in _CHECKED_KINDS or (f.kind is Kind.RECORD and _needs_check(RECORDS[f.target]))  # type: ignore[index]
        for f in rec.fields
    )


def _gen_check_valid(src: _Source, rec: Record) -> None:
    """Check schema-valid JSON data for what only binding would find (30 February,
    base64 not in canonical form) without building anything: after it passes,
    ``bindv`` cannot fail. Raises some exception otherwise, as ``bindv`` does."""
    src.emit(0, f"def {_fn('checkv', rec)}(d):")
    for i, f in enumerate(rec.fields):
        if f.kind is Kind.RECORD:
            sub = RECORDS[f.target]  # type: ignore[index]
            if not _needs_check(sub):
                continue
            conv = _fn("checkv", sub)
        elif f.kind in _CHECKED_KINDS:
            conv = _valid_leaf(src, f)  # type: ignore[assignment]
        else:
            continue
        var = f"v{i}"
        src.emit(1, f"{var} = d.get({f.name!r})")
        src.emit(1, f"if {var} is not None:")
        if f.repeated:
            src.emit(2, f"for x in {var}:")
            src.emit(3, f"{conv}(x)")
        else:
            src.emit(2, f"{conv}({var})")


def _default_of(cls: type, attr: str) -> Any:
    field = next(f for f in dataclasses.fields(cls) if f.name == attr)
    return None if field.default is dataclasses.MISSING else field.default


def _gen_bind_element(src: _Source, rec: Record) -> None:
    src.emit(0, f"def {_fn('bindx', rec)}(el):")
    values: dict[str, str] = {}
    if rec.content is not None:
        for i, f in enumerate(rec.fields):
            var = f"v{i}"
            values[f.attr] = var
            conv = src.name_for("conv", b._xml_leaf_in(f))
            if f.name == rec.content:
                src.emit(1, f"{var} = el.text")
            else:
                xml_name = f"{{{XML_NS}}}lang" if f.name == "lang" else f.name
                src.emit(1, f"{var} = el.get({xml_name!r})")
            src.emit(1, f"if {var} is not None:")
            src.emit(2, "try:")
            src.emit(3, f"{var} = {conv}({var})")
            src.emit(2, "except _Bad as bad:")
            src.emit(3, "raise _at_element(el, bad) from None")
        _construct(src, rec, values, 1)
        return
    for i, f in enumerate(rec.fields):
        values[f.attr] = f"v{i}"
        src.emit(1, f"v{i} = None")
    index = src.name_for(
        "index", {f"{{{CERTIFICATE_NS}}}{f.name}": i for i, f in enumerate(rec.fields)}
    )
    src.emit(1, "for child in el:")
    src.emit(2, f"i = {index}[child.tag]")
    for i, f in enumerate(rec.fields):
        var = f"v{i}"
        src.emit(2, f"{'if' if i == 0 else 'elif'} i == {i}:")
        if f.kind is Kind.RECORD:
            assert f.target is not None
            value = f"{_fn('bindx', RECORDS[f.target])}(child)"
        else:
            conv = src.name_for("conv", b._xml_leaf_in(f))
            src.emit(3, "try:")
            src.emit(4, f"value = {conv}(child.text)")
            src.emit(3, "except _Bad as bad:")
            src.emit(4, "raise _at_element(child, bad) from None")
            value = "value"
        if f.repeated:
            src.emit(3, f"if {var} is None:")
            src.emit(4, f"{var} = [{value}]")
            src.emit(3, "else:")
            src.emit(4, f"{var}.append({value})")
        else:
            src.emit(3, f"{var} = {value}")
    for i, f in enumerate(rec.fields):
        default = src.name_for("default", _default_of(rec.cls, f.attr))
        if f.repeated:
            src.emit(1, f"v{i} = {default} if v{i} is None else tuple(v{i})")
        elif _default_of(rec.cls, f.attr) is not None:
            src.emit(1, f"if v{i} is None:")
            src.emit(2, f"v{i} = {default}")
    _construct(src, rec, values, 1)


def _gen_check_element(src: _Source, rec: Record) -> None:
    """``checkv`` for an XSD-valid element: the XSD holds the same lexical patterns as
    the JSON Schema, so the same leaves are left to check, and after this passes
    ``bindx`` cannot fail. Raises some exception otherwise."""
    src.emit(0, f"def {_fn('checkx', rec)}(el):")
    checked = {
        i: f
        for i, f in enumerate(rec.fields)
        if f.kind in _CHECKED_KINDS or (f.kind is Kind.RECORD and _needs_check(RECORDS[f.target]))  # type: ignore[index]
    }
    if rec.content is not None:  # a typed value: its leaves are the text and attributes
        for i, f in checked.items():
            read = "el.text" if f.name == rec.content else f"el.get({f.name!r})"
            src.emit(1, f"v{i} = {read}")
            src.emit(1, f"if v{i} is not None:")
            src.emit(2, f"{src.name_for('conv', b._xml_leaf_in(f))}(v{i})")
        return
    index = src.name_for("index", {f"{{{CERTIFICATE_NS}}}{f.name}": i for i, f in checked.items()})
    src.emit(1, "for child in el:")
    src.emit(2, f"i = {index}.get(child.tag)")
    for n, (i, f) in enumerate(checked.items()):
        src.emit(2, f"{'if' if n == 0 else 'elif'} i == {i}:")
        if f.kind is Kind.RECORD:
            src.emit(3, f"{_fn('checkx', RECORDS[f.target])}(child)")  # type: ignore[index]
        else:
            src.emit(3, f"{src.name_for('conv', b._xml_leaf_in(f))}(child.text)")


def _xml_text_to_json(src: _Source, f: Field, var: str) -> str:
    """An expression for the JSON value of XSD-valid text ``var`` of leaf ``f``: what
    binding then unbinding it gives (canonical decimals and date-times), checked as
    binding checks it (raises on 30 February)."""
    if f.kind is Kind.DECIMAL:
        return f"format(Decimal({var}), 'f')"
    if f.kind is Kind.DATETIME:
        return f"format_datetime({src.name_for('conv', b.parse_datetime)}({var}))"
    if f.kind is Kind.DATE:
        return f"{src.name_for('conv', b._xml_leaf_in(f))}({var}).isoformat()"
    if f.kind is Kind.INTEGER:
        return f"int({var})"
    if f.kind is Kind.BASE64:  # canonical base64 is its own JSON form
        return f"({src.name_for('conv', b._xml_leaf_in(f))}({var}), {var})[1]"
    return var  # text and enumeration values are their JSON form


def _gen_data_element(src: _Source, rec: Record) -> None:
    """An XSD-valid element straight to the JSON data binding then unbinding it would
    give, without building the model. Raises some exception where binding would fail;
    the caller then binds, which says what and where."""
    src.emit(0, f"def {_fn('datax', rec)}(el):")
    src.emit(1, "out = {}")
    if rec.content is not None:
        for f in rec.fields:
            read = "el.text" if f.name == rec.content else (
                f"el.get({(f'{{{XML_NS}}}lang' if f.name == 'lang' else f.name)!r})"
            )  # fmt: skip
            src.emit(1, f"x = {read}")
            src.emit(1, "if x is not None:")
            src.emit(2, f"out[{f.name!r}] = {_xml_text_to_json(src, f, 'x')}")
    else:
        index = src.name_for(
            "index", {f"{{{CERTIFICATE_NS}}}{f.name}": i for i, f in enumerate(rec.fields)}
        )
        src.emit(1, "for child in el:")
        src.emit(2, f"i = {index}[child.tag]")
        for i, f in enumerate(rec.fields):
            src.emit(2, f"{'if' if i == 0 else 'elif'} i == {i}:")
            if f.kind is Kind.RECORD:
                value = f"{_fn('datax', RECORDS[f.target])}(child)"  # type: ignore[index]
            else:
                src.emit(3, "x = child.text")
                value = _xml_text_to_json(src, f, "x")
            if f.repeated:
                src.emit(3, f"out.setdefault({f.name!r}, []).append({value})")
            else:
                src.emit(3, f"out[{f.name!r}] = {value}")
    for f in rec.fields:  # what binding fills in, unbinding writes out
        default = _default_of(rec.cls, f.attr)
        if default is not None and not f.repeated:
            text = default.value if isinstance(default, enum.Enum) else default
            src.emit(1, f"if {f.name!r} not in out:")
            src.emit(2, f"out[{f.name!r}] = {text!r}")
    src.emit(1, "return out")


def _gen_write_xml(src: _Source, rec: Record) -> None:
    """Writer for a model bound from a valid document (no checks: see module doc)."""
    src.emit(0, f"def {_fn('writex', rec)}(o, out, ind):")
    src.emit(1, 'inner = ind + "  "')
    for f in rec.fields:
        src.emit(1, f"v = o.{f.attr}")
        src.emit(1, "if v is not None and v != ():")
        loop = "for x in v:" if f.repeated else "for x in (v,):"
        src.emit(2, loop)
        open_tag, self_closing, close_tag = (
            repr(f"<{f.name}"),
            repr(f"<{f.name}/>\n"),
            repr(f"</{f.name}>\n"),
        )
        if f.kind is not Kind.RECORD:
            text = _trusted_text(src, f, "x")
            src.emit(
                3, f"out.append(ind + {open_tag} + '>' + {text}.translate(TEXT) + {close_tag})"
            )
            continue
        assert f.target is not None
        sub = RECORDS[f.target]
        if sub.content is not None:
            src.emit(3, "attrs = ''")
            text_expr = "''"
            for g in sub.fields:
                if g.name == sub.content:
                    text_expr = f"{_trusted_text(src, g, 'x.' + g.attr)}.translate(TEXT)"
                    continue
                xml_name = "xml:lang" if g.name == "lang" else g.name
                src.emit(3, f"if x.{g.attr} is not None:")
                value = _trusted_text(src, g, "x." + g.attr)
                prefix, quote = repr(" " + xml_name + '="'), repr('"')
                src.emit(4, f"attrs += {prefix} + {value}.translate(ATTR) + {quote}")
            src.emit(3, f"out.append(ind + {open_tag} + attrs + '>' + {text_expr} + {close_tag})")
        else:
            src.emit(3, "mark = len(out)")
            src.emit(3, f"out.append(ind + {open_tag} + '>\\n')")
            src.emit(3, f"{_fn('writex', sub)}(x, out, inner)")
            src.emit(3, "if len(out) == mark + 1:")
            src.emit(4, f"out[mark] = ind + {self_closing}")
            src.emit(3, "else:")
            src.emit(4, f"out.append(ind + {close_tag})")


def _generate() -> Compiled:
    from inspectx.formats._xmlwriter import ATTR_ESCAPES, TEXT_ESCAPES

    src = _Source()
    for rec in RECORDS.values():
        _gen_unbind(src, rec)
        _gen_bind(src, rec)
        _gen_bind_valid(src, rec)
        if _needs_check(rec):
            _gen_check_valid(src, rec)
        _gen_bind_element(src, rec)
        if _needs_check(rec):
            _gen_check_element(src, rec)
        _gen_data_element(src, rec)
        if rec.content is None:
            _gen_write_xml(src, rec)
    namespace: dict[str, Any] = {
        **src.names,
        "Decimal": Decimal,
        "new": object.__new__,
        "forbidden": b._NOT_XML_CHAR.search,
        "MISSING": object(),
        "TEXT": TEXT_ESCAPES,
        "ATTR": ATTR_ESCAPES,
        "b64encode": base64.b64encode,
        "format_datetime": b.format_datetime,
        "_Bad": b._Bad,
        "_at": b._at,
        "_fail": b._fail,
        "_at_element": b._at_element,
        "_leaves": _leaves,
        "_missing": _missing,
        "_missing_items": _missing_items,
        "_not_tuple": _not_tuple,
        "_wrong_record": _wrong_record,
        "_unknown_member": _unknown_member,
    }
    code = compile("\n".join(src.lines), "<inspectx generated codecs>", "exec")
    exec(code, namespace)  # noqa: S102 - source generated from the static field table only
    return Compiled(
        bind={r.cls: namespace[_fn("bind", r)] for r in RECORDS.values()},
        bind_valid={r.cls: namespace[_fn("bindv", r)] for r in RECORDS.values()},
        check_valid={
            r.cls: namespace[_fn("checkv", r)] for r in RECORDS.values() if _needs_check(r)
        },
        bind_element={r.cls: namespace[_fn("bindx", r)] for r in RECORDS.values()},
        check_element={
            r.cls: namespace[_fn("checkx", r)] for r in RECORDS.values() if _needs_check(r)
        },
        data_element={r.cls: namespace[_fn("datax", r)] for r in RECORDS.values()},
        unbind={r.cls: namespace[_fn("unbind", r)] for r in RECORDS.values()},
        write_xml={
            r.cls: namespace[_fn("writex", r)] for r in RECORDS.values() if r.content is None
        },
    )
