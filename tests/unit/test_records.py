"""Frozen records built per request through ``_records.maker`` are the classes' own instances:
same equality, hash, repr, pickling, fields and immutability as through ``__init__``."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest
from _private import BilledUsage, check_request, maker

from openai_vision_ext import (
    DEFAULT_PRICES,
    Cost,
    ImageEstimate,
    PreflightOutcome,
    RequestEstimate,
    VisionReport,
    estimate_request,
)
from openai_vision_ext.testing import make_report


def _instances() -> list[Any]:
    """One real instance of each record type a client builds per request."""
    part = {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"}
    request = {"input": [{"role": "user", "content": [part]}], "max_output_tokens": 10}
    estimate = estimate_request(model="gpt-4o", **request)
    cost = DEFAULT_PRICES.cost("gpt-4o", input_tokens=1_000, cached_tokens=200, output_tokens=9)
    return [
        estimate,
        estimate.images[0],
        cost,
        BilledUsage(1_000, 200, 9, 0, service_tier="default"),
        check_request("responses", "gpt-4o", request),
        make_report(),
    ]


@pytest.mark.parametrize("record", _instances(), ids=lambda r: type(r).__name__)
def test_a_made_record_is_the_class_own_instance(record: Any) -> None:
    cls = type(record)
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    made, built = maker(cls)(**values), cls(**values)
    assert type(made) is cls
    assert made == built
    assert repr(made) == repr(built)
    assert dataclasses.asdict(made) == dataclasses.asdict(built)
    assert pickle.loads(pickle.dumps(made)) == built
    assert dataclasses.replace(made) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, dataclasses.fields(record)[0].name, None)
    try:
        expected_hash = hash(built)
    except TypeError:  # a field holds a list or mapping: neither is hashable
        with pytest.raises(TypeError):
            hash(made)
    else:
        assert hash(made) == expected_hash


def test_the_types_built_per_request_are_covered() -> None:
    covered = {type(r) for r in _instances()}
    assert covered == {
        RequestEstimate,
        ImageEstimate,
        Cost,
        BilledUsage,
        PreflightOutcome,
        VisionReport,
    }


def test_defaults_and_default_factories_apply_per_call() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Row:
        name: str
        tags: list[str] = dataclasses.field(default_factory=list)
        size: int = 3

    make = maker(Row)
    first, second = make("a"), make("b", size=4)
    assert (first, second) == (Row("a"), Row("b", size=4))
    assert first.tags is not second.tags
    with pytest.raises(TypeError):
        make()  # a required field stays required
    with pytest.raises(TypeError):
        make("a", colour="red")  # an unknown field is refused as by __init__


def test_classes_that_validate_or_are_not_slotted_are_refused() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError(self.n)

    @dataclasses.dataclass(frozen=True)
    class Plain:
        n: int

    for cls in (Checked, Plain, int):
        with pytest.raises(TypeError, match="maker"):
            maker(cls)
