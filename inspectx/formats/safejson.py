"""The one strict JSON loader (I-JSON, RFC 7493) used by every entry point."""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple, NoReturn

import orjson

from inspectx.errors import InputError, LimitExceeded
from inspectx.formats.limits import DEFAULT_LIMITS, Limits

__all__ = ["LeanJson", "load_json", "load_json_lean"]

_MAX_SAFE_INT = 2**53 - 1
_UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


# In orjson's compact output the characters XML cannot carry are these escapes
# and the raw noncharacters U+FFFE and U+FFFF (it writes every other character
# raw); an escaped backslash before b, f or u is a harmless false alarm.
_NOT_XML_IN_ORJSON = re.compile(rb"\\[bfu]")
_ESCAPED_COLON = re.compile(rb"\\u003[aA]")


class LeanJson(NamedTuple):
    """What :func:`load_json_lean` parsed, and whether its strings are XML-safe."""

    value: Any
    xml_safe: bool


def load_json_lean(data: bytes, limits: Limits = DEFAULT_LIMITS) -> LeanJson | None:
    """Parse with orjson where that is provably as strict as :func:`load_json`.

    Returns None where it cannot vouch; the caller then uses :func:`load_json`,
    which says what is wrong and where. orjson itself refuses a BOM, anything but
    UTF-8, bad syntax, NaN and Infinity, overflowing numbers, lone surrogates and
    control characters in strings. Duplicate member names it would silently
    merge, so they are ruled out by counting: each ``name: value`` pair holds a
    colon, colons inside strings come through verbatim unless written
    ``\\u003a``, and a merge drops at least one pair, so the compact
    re-serialisation has as many colons as the input only if nothing was
    dropped.

    **Not checked**: nesting beyond ``limits.max_depth`` (orjson stops at 1024)
    and integers beyond ±(2^53−1). Use this only where a closed schema bounds
    both, as the certificate schema does, and validate before trusting the value.
    """
    if len(data) > limits.max_bytes:
        return None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    compact = orjson.dumps(value)
    if compact.count(b":") != data.count(b":"):
        return None
    if b"\\" in data and _ESCAPED_COLON.search(data):
        return None
    return LeanJson(value, _xml_safe(compact))


def _xml_safe(compact: bytes) -> bool:
    """No character XML cannot carry in orjson's output (two substring scans, usually:
    U+FFFE and U+FFFF are found through the prefix they share with a few other
    characters, U+FFFD among them, which are rarer still)."""
    if b"\\" in compact and _NOT_XML_IN_ORJSON.search(compact):
        return False
    return b"\xef\xbf" not in compact or (
        b"\xef\xbf\xbe" not in compact and b"\xef\xbf\xbf" not in compact
    )


class _Reject(Exception):
    def __init__(self, code: str, message: str, hint: str) -> None:
        self.args = (code, message, hint)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Reject(
                    "format.json.duplicate-key",
                    f"duplicate member name {k!r}",
                    "each member name may appear once per object (RFC 8259 §4, I-JSON)",
                )
            seen.add(k)
    return out


def _constant(name: str) -> NoReturn:
    raise _Reject(
        "format.json.non-finite-number",
        f"{name} is not a JSON number",
        "NaN and Infinity are not JSON; measured values are decimal strings",
    )


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 16 or abs(value := int(text)) > _MAX_SAFE_INT:
        raise _Reject(
            "format.json.integer-out-of-range",
            f"integer {text[:24]}{'…' if len(text) > 24 else ''} is beyond ±(2^53−1)",
            "large numbers (weights, serials) must be written as strings",
        )
    return value


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        _constant(text)
    return value


def _location_of(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def _too_deep(limits: Limits, path: str) -> LimitExceeded:
    return LimitExceeded(
        "format.json.too-deep",
        f"nesting deeper than {limits.max_depth} levels",
        hint="no inspectx document nests this deep; the input is malformed or hostile",
        location=path or "/",
    )


def _check_depth(value: Any, limits: Limits) -> None:
    # iterative, over containers only: this runs on every document
    limit = limits.max_depth
    stack = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth >= limit:
            raise _too_deep(limits, "")
        depth += 1
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is dict or kind is list:
                push((child, depth))


def _check_strings(node: Any, path: str) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}/{k.replace('~', '~0').replace('/', '~1')}"
            _check_string(k, p)
            _check_strings(v, p)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_strings(v, f"{path}/{i}")
    elif isinstance(node, str):
        _check_string(node, path)


def _check_string(s: str, path: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            "format.json.lone-surrogate",
            "a string contains an unpaired UTF-16 surrogate escape",
            hint="\\uD800–\\uDFFF escapes must come in valid pairs (I-JSON §2.1)",
            location=path or "/",
        ) from None


def load_json(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse untrusted JSON bytes strictly.

    Returns the parsed value (dicts, lists, str, int, float, bool, None).
    Raises :class:`InputError` (or :class:`LimitExceeded`) with a stable code for:
    input over ``limits.max_bytes``; anything but UTF-8 (one leading UTF-8 BOM
    is tolerated); invalid syntax; duplicate member names; NaN/Infinity or
    overflowing numbers; integers beyond ±(2^53−1); lone surrogates; nesting
    deeper than ``limits.max_depth``. Has no side effects.
    """
    if len(data) > limits.max_bytes:
        raise LimitExceeded(
            "format.too-large",
            f"input is {len(data)} bytes, over the limit of {limits.max_bytes}",
            hint="raise the limit (--max-bytes) only if the document is genuine",
        )
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and (data[0] == 0 or data[1] == 0)):
        raise InputError(
            "format.encoding-not-utf8",
            "input is UTF-16 or UTF-32, not UTF-8",
            hint="re-encode the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "format.encoding-not-utf8",
            f"input is not valid UTF-8 (byte {exc.start})",
            hint="re-encode the file as UTF-8",
            location=f"byte {exc.start}",
        ) from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_constant=_constant,
            parse_int=_int,
            parse_float=_float,
        )
    except _Reject as exc:
        code, message, hint = exc.args
        raise InputError(code, message, hint=hint) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            "format.json.syntax",
            f"not well-formed JSON: {exc.msg}",
            hint="check the file is complete JSON (a truncated download looks like this)",
            location=_location_of(text, exc.pos),
        ) from None
    except RecursionError:
        raise LimitExceeded(
            "format.json.too-deep",
            f"nesting deeper than {limits.max_depth} levels",
            hint="no inspectx document nests this deep; the input is malformed or hostile",
        ) from None
    if type(value) in (dict, list):
        _check_depth(value, limits)
        if _SURROGATE_ESCAPE.search(text):  # only escapes can make lone surrogates
            _check_strings(value, "")
    elif isinstance(value, str) and _SURROGATE_ESCAPE.search(text):
        _check_string(value, "/")
    return value
