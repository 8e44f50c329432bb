"""Finding image parts in requests: order, locations, nesting, and input that must not crash."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from _private import is_light, iter_image_refs, walk_module
from hypothesis import given, settings
from hypothesis import strategies as st

from openai_vision_ext import InvalidRequestError

PNG_URL = "data:image/png;base64,iVBORw0KGgo="


def _img(url: str = "https://example.com/a.png", detail: str = "low") -> dict[str, Any]:
    return {"type": "input_image", "image_url": url, "detail": detail}


def test_responses_images_are_found_in_request_order_with_locations() -> None:
    """Images in messages, in tool outputs and at the top level come out in order."""
    request = {
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "hi"}, _img(detail="low")]},
            {"type": "function_call_output", "call_id": "c1", "output": [_img(detail="high")]},
            _img(detail="auto"),
        ]
    }
    refs = list(iter_image_refs("responses", request))
    assert [(r.index, r.location, r.detail) for r in refs] == [
        (0, "input[0].content[1]", "low"),
        (1, "input[1].output[0]", "high"),
        (2, "input[2]", "auto"),
    ]


def test_chat_image_url_parts_and_legacy_string_form() -> None:
    """Chat ``image_url`` parts are found, with the object and the bare-string form."""
    request = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "high"}},
                    {"type": "image_url", "image_url": "https://example.com/b.jpg"},
                ],
            },
        ]
    }
    refs = list(iter_image_refs("chat.completions", request))
    assert [(r.location, r.url, r.detail) for r in refs] == [
        ("messages[1].content[0]", PNG_URL, "high"),
        ("messages[1].content[1]", "https://example.com/b.jpg", None),
    ]


def test_file_id_parts_are_images_without_url() -> None:
    """An uploaded file is an image with a ``file_id`` and no URL."""
    request = {"input": [{"type": "input_image", "file_id": "file-1", "detail": "auto"}]}
    (ref,) = iter_image_refs("responses", request)
    assert (ref.url, ref.file_id) == (None, "file-1")


def test_string_input_has_no_images() -> None:
    """``input="text"`` is a request without images."""
    assert list(iter_image_refs("responses", {"input": "describe a cat"})) == []


def test_the_walk_never_mutates_the_request() -> None:
    """The request is byte-for-byte the same after the walk."""
    request = {"input": [{"role": "user", "content": [_img(PNG_URL), _img()]}]}
    before = copy.deepcopy(request)
    list(iter_image_refs("responses", request))
    assert request == before


def test_the_same_part_twice_is_two_images() -> None:
    """Reusing one part dict (the same picture twice) is not mistaken for a cycle."""
    part = _img()
    request = {"input": [{"role": "user", "content": [part, part]}]}
    assert [r.index for r in iter_image_refs("responses", request)] == [0, 1]


def test_a_request_that_contains_itself_is_a_typed_error_not_a_hang() -> None:
    """A cyclic structure raises ``InvalidRequestError`` naming where."""
    content: list[Any] = [_img()]
    content.append(content)
    request = {"input": [{"role": "user", "content": content}]}
    with pytest.raises(InvalidRequestError, match=r"input\[0\]\.content\[1\]"):
        list(iter_image_refs("responses", request))


def test_very_deep_nesting_does_not_overflow_the_stack() -> None:
    """10,000 nested lists are walked without RecursionError."""
    node: Any = _img()
    for _ in range(10_000):
        node = [node]
    refs = list(iter_image_refs("responses", {"input": [node]}))
    assert len(refs) == 1
    assert refs[0].location.count("[0]") == 10_001


def test_input_of_the_wrong_type_is_a_typed_error() -> None:
    """``input=42`` is an ``InvalidRequestError`` that names the key."""
    with pytest.raises(InvalidRequestError, match="input must be"):
        list(iter_image_refs("responses", {"input": 42}))


def test_repr_never_shows_image_bytes() -> None:
    """A ref's repr (which ends up in logs) shows a data URL's length, not its payload."""
    (ref,) = iter_image_refs("responses", {"input": [_img(PNG_URL)]})
    assert "iVBORw0KGgo" not in repr(ref)
    assert "<12 chars>" in repr(ref)


def test_computer_screenshots_in_tool_outputs_are_images() -> None:
    """A ``computer_call_output`` screenshot is found (and so preflighted and counted)."""
    request = {
        "input": [
            {
                "type": "computer_call_output",
                "call_id": "c1",
                "output": {"type": "computer_screenshot", "image_url": PNG_URL},
            }
        ]
    }
    (ref,) = iter_image_refs("responses", request)
    assert (ref.location, ref.url, ref.detail) == ("input[0].output", PNG_URL, None)


class _CountedList(list[Any]):
    """A list that counts the items read from it (what ``list.extend`` copies)."""

    read = 0

    def __iter__(self) -> Any:
        for item in super().__iter__():
            _CountedList.read += 1
            yield item


@pytest.mark.parametrize("wrap", [lambda x: x, lambda x: {"k": x}, lambda x: [[x]]])
def test_is_light_refuses_a_huge_list_without_reading_it(wrap: Any) -> None:
    """A list longer than the node limit is refused by its length: none of its million items is
    read (the work is bounded by the limit, not the request's size)."""
    _CountedList.read = 0
    huge = _CountedList(["x"] * 1_000_000)
    assert not is_light({"input": wrap(huge)}, max_chars=4096, max_nodes=512)
    assert _CountedList.read == 0


def test_is_light_counts_waiting_items_against_the_limit() -> None:
    """Lists that each fit but together pass the limit are refused before the last is copied,
    and a request within both limits still passes."""
    _CountedList.read = 0
    parts = [_CountedList(["x"] * 200) for _ in range(3)]
    assert not is_light({"input": parts}, max_chars=10_000, max_nodes=512)
    assert _CountedList.read <= 512
    assert is_light({"input": parts[:2]}, max_chars=10_000, max_nodes=512)


_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3))
_TYPES = st.sampled_from(["input_text", "input_image", "image_url", "input_file", "file", "x"])
_PART = st.one_of(
    _LEAF,
    st.fixed_dictionaries({"type": _TYPES}, optional={"image_url": _LEAF, "detail": _LEAF}),
    st.dictionaries(st.text(max_size=2), _LEAF, max_size=3),
)
_ITEM = st.one_of(
    st.fixed_dictionaries(
        {"role": _LEAF, "content": st.one_of(_LEAF, st.lists(_PART, max_size=4))},
        optional={"type": _TYPES, "output": st.lists(_PART, max_size=2)},
    ),
    _PART,
    st.lists(_PART, max_size=2),  # not the usual shape: the full walk answers
)


def _as_tuples(node: Any) -> Any:
    """``node`` with every list a tuple: the same request, outside the usual shape."""
    if isinstance(node, dict):
        return {k: _as_tuples(v) for k, v in node.items()}
    if isinstance(node, list):
        return tuple(_as_tuples(v) for v in node)
    return node


@settings(max_examples=300, deadline=None)
@given(items=st.lists(_ITEM, max_size=5))
def test_the_plain_loop_over_the_usual_shape_finds_what_the_full_walk_finds(
    items: list[Any],
) -> None:
    """The walk's plain loop for the usual request shape (lists of dicts of plain values) finds
    the same parts, in the same order, at the same locations, as the full walk (which answers
    for the same request with tuples instead of lists)."""

    def seen(request: dict[str, Any]) -> list[tuple[object, ...]]:
        parts = walk_module.walk_request("responses", request)
        return [(p.index, p.ref.location, p.detail, p.ref.url) for p in parts.images] + [
            (f.index, f.location, f.detail) for f in parts.files
        ]

    assert seen({"input": items}) == seen({"input": _as_tuples(items)})


def test_a_content_list_holding_its_own_item_is_still_refused() -> None:
    """The plain loop leaves anything deeper than the usual shape to the full walk, which finds
    the cycle."""
    item: dict[str, Any] = {"role": "user", "content": []}
    item["content"].append(item)
    with pytest.raises(InvalidRequestError, match="contains itself"):
        walk_module.walk_request("responses", {"input": [item]})
