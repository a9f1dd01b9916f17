"""The field table is the one source of truth: it covers the model, and the
published schemas are exactly what it generates."""

from __future__ import annotations

import dataclasses
from importlib import resources

import pytest

from inspectx import model
from inspectx.formats._table import RECORDS, Kind
from inspectx.formats.schemagen import generate
from tests.conftest import ROOT


def _model_classes() -> list[type]:
    return [
        obj
        for name in model.__all__
        if dataclasses.is_dataclass(obj := getattr(model, name)) and isinstance(obj, type)
    ]


@pytest.mark.parametrize("cls", _model_classes(), ids=lambda c: c.__name__)
def test_table_covers_every_model_field_and_nothing_else(cls: type) -> None:
    assert cls in RECORDS, f"{cls.__name__} has no entry in the field table"
    table_attrs = [f.attr for f in RECORDS[cls].fields]
    model_attrs = [f.name for f in dataclasses.fields(cls)]
    assert sorted(table_attrs) == sorted(model_attrs)
    assert len(set(f.name for f in RECORDS[cls].fields)) == len(table_attrs)


@pytest.mark.parametrize("cls", _model_classes(), ids=lambda c: c.__name__)
def test_model_classes_are_frozen_slotted_keyword_only(cls: type) -> None:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert "__slots__" in cls.__dict__
    assert all(f.kw_only for f in dataclasses.fields(cls))


def test_every_model_class_is_reachable_from_certificate() -> None:
    seen: set[type] = set()
    todo = [model.Certificate]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo += [f.target for f in RECORDS[cls].fields if f.kind is Kind.RECORD and f.target]
    assert seen == set(_model_classes())


@pytest.mark.parametrize("name", sorted(generate()))
def test_published_schemas_are_generated_from_the_table(name: str) -> None:
    generated = generate()[name]
    packaged = (resources.files("inspectx") / "schemas" / name).read_text("utf-8")
    assert packaged == generated, "regenerate with: python -m inspectx.formats.schemagen"
    assert (ROOT / "schemas" / name).read_text("utf-8") == generated
