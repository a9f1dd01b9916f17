"""Message catalogues: every label a rendered page shows, per language.

Catalogues are JSON files in ``inspectx/render/messages/`` (``en.json``,
``zh.json``), flat maps from a key (``section.tests``) to the text. Values may
hold named fields in braces (``Verified at {at}``), filled by :meth:`Catalogue.get`.
English is the reference: every catalogue has exactly its keys (a test checks).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from inspectx.render._base import RenderError

__all__ = ["Catalogue", "available_languages", "load_catalogue"]

_LANG = re.compile(r"\A[a-z]{2,3}\Z")
_FIELD = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalogue:
    """The messages of one language (``lang`` is its file name, ``html_lang`` its BCP 47 tag)."""

    lang: str
    messages: MappingProxyType[str, str]

    @property
    def html_lang(self) -> str:
        return self.messages["meta.lang"]

    def get(self, key: str, **fields: Any) -> str:
        """The message ``key`` with its ``{name}`` fields filled from ``fields``.

        Raises :class:`KeyError` for a key the catalogue lacks (a bug: the tests
        render every page element in every language).
        """
        text = self.messages[key]
        if not fields:
            return text
        return _FIELD.sub(lambda m: str(fields[m.group(1)]), text)


def available_languages() -> tuple[str, ...]:
    """The languages with a catalogue, sorted (``("en", "zh")``)."""
    folder = resources.files("inspectx.render") / "messages"
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


@functools.lru_cache(maxsize=8)
def load_catalogue(lang: str) -> Catalogue:
    """The catalogue of ``lang``; :class:`RenderError` ``render.language-unknown`` if none."""
    if not _LANG.match(lang) or lang not in available_languages():
        raise RenderError(
            "render.language-unknown",
            f"no message catalogue for the language {lang!r}",
            hint="choose one of: " + ", ".join(available_languages()),
        )
    path = resources.files("inspectx.render") / "messages" / f"{lang}.json"
    data = json.loads(path.read_text("utf-8"))
    return Catalogue(lang=lang, messages=MappingProxyType(dict(data)))
