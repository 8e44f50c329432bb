"""Request shapes beyond plain messages: text-only models, instructions, formats, replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _helpers import data_url, png
from _private import (
    BUILTIN_TOOLS,
    REASONING_REPLAY,
    estimate_with_infos,
    recorded_file_info,
    restore_payloads,
)

from openai_vision_ext import UnknownModelError, count_tokens, estimate_request

IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4-0613", "gpt-3.5-turbo-0125", "o3-mini"])
def test_text_needs_no_image_rule(model: str) -> None:
    """Text-only requests to models without an image rule are estimated, not refused."""
    est = estimate_request(
        api="chat.completions", model=model, messages=[{"role": "user", "content": "Hi there"}]
    )
    assert est.input_tokens > count_tokens("Hi there")
    assert est.images == ()


def test_gpt4_uses_cl100k() -> None:
    """gpt-4 counts its text with cl100k_base (tiktoken's model table), not o200k_base."""
    text = "naïve café déjà vu " * 20
    a = estimate_request(api="chat.completions", model="gpt-4", messages=[_user(text)])
    b = estimate_request(api="chat.completions", model="gpt-4", messages=[_user("")])
    assert a.input_tokens - b.input_tokens == count_tokens(text, encoding="cl100k_base")


def test_images_still_need_an_image_rule() -> None:
    """An image sent to a text-only model has no rule to price it: UnknownModelError."""
    with pytest.raises(UnknownModelError):
        estimate_request(
            api="chat.completions", model="gpt-4", messages=[{"role": "user", "content": [IMAGE]}]
        )


def test_empty_instructions_are_not_billed_on_reasoning_models() -> None:
    """``instructions=""`` adds nothing on a reasoning model (no empty system message)."""
    plain = estimate_request(model="gpt-5-nano", input="Hello")
    empty = estimate_request(model="gpt-5-nano", input="Hello", instructions="")
    assert empty.input_tokens == plain.input_tokens


def test_empty_instructions_are_an_empty_system_message_on_gpt_4o() -> None:
    """On gpt-4o an empty ``instructions`` is billed as an empty system message (pydantic-ai
    bills of 2025-03-27), the same as sending that message."""
    empty = estimate_request(model="gpt-4o", input="Hello", instructions="")
    as_message = estimate_request(
        model="gpt-4o",
        input=[{"role": "system", "content": ""}, {"role": "user", "content": "Hello"}],
    )
    assert empty.input_tokens == as_message.input_tokens


def test_instructions_on_reasoning_models_cost_a_system_message() -> None:
    """Non-empty instructions cost their text plus one message's framing (no extra token on
    reasoning models), the same as a system message on Chat Completions."""
    text = "Answer in French."
    plain = estimate_request(model="gpt-5-nano", input="Hello")
    with_instructions = estimate_request(model="gpt-5-nano", input="Hello", instructions=text)
    as_message = estimate_request(
        model="gpt-5-nano",
        input=[{"role": "system", "content": text}, {"role": "user", "content": "Hello"}],
    )
    assert with_instructions.input_tokens == as_message.input_tokens
    assert with_instructions.input_tokens > plain.input_tokens + count_tokens(text)


@pytest.mark.parametrize("api", ["chat.completions", "responses"])
def test_json_object_format_adds_nothing(api: Any) -> None:
    """A ``json_object`` format is billed nothing on top of the messages (8 bills)."""
    if api == "chat.completions":
        base: dict[str, Any] = {"messages": [_user("Give JSON")]}
        fmt: dict[str, Any] = {"response_format": {"type": "json_object"}}
    else:
        base, fmt = {"input": "Give JSON"}, {"text": {"format": {"type": "json_object"}}}
    plain = estimate_request(api=api, model="gpt-4.1-nano", **base)
    assert estimate_request(api=api, model="gpt-4.1-nano", **base, **fmt).input_tokens == (
        plain.input_tokens
    )


def _reasoning(chars: int) -> dict[str, Any]:
    return {"type": "reasoning", "summary": [], "encrypted_content": "x" * chars}


CALL = {"type": "function_call", "call_id": "c1", "name": "get_file", "arguments": "{}"}
OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": "done"}


def test_reasoning_item_followed_by_a_user_message_is_dropped() -> None:
    """A replayed reasoning item of an earlier turn (a user message follows) is not billed."""
    turns = [_user("Go"), CALL, OUTPUT, _user("And now?")]
    without = estimate_request(model="gpt-5-mini", input=turns)
    with_item = estimate_request(model="gpt-5-mini", input=[turns[0], _reasoning(3000), *turns[1:]])
    assert with_item.input_tokens == without.input_tokens


def test_current_turn_reasoning_grows_with_its_payload_and_is_not_exact() -> None:
    """In the current turn its tokens grow with the encrypted payload; the estimate says it is
    approximate and its bounds cover the rule's spread."""
    short, long = (
        estimate_request(model="gpt-5-mini", input=[_user("Go"), _reasoning(n), CALL, OUTPUT])
        for n in (1000, 2000)
    )
    assert long.input_tokens > short.input_tokens
    assert not long.exact
    assert long.lower is not None
    assert long.upper is not None
    assert long.lower < long.input_tokens < long.upper


def test_reasoning_payload_is_read_as_fernet_blocks() -> None:
    """The payload's length gives the ciphertext to the 16-byte block: lengths within one block
    bill alike, the next block bills more."""
    same_block = {REASONING_REPLAY.tokens(n) for n in (972, 976)}
    assert same_block == {24}
    assert REASONING_REPLAY.tokens(996) > 24
    assert REASONING_REPLAY.tokens(0) == 0


_FILE_INPUTS = Path(__file__).parents[2].parent / "shared" / "real-usage" / "file_inputs.jsonl"


def _current_turn_replays() -> list[dict[str, Any]]:
    """pydantic-ai gpt-5-mini Responses bills whose last items are a reasoning item, a call
    and its result holding a PDF, inline or by a URL whose download was recorded (the rule's
    fit set)."""
    if not _FILE_INPUTS.is_file():
        pytest.skip(f"no real usage at {_FILE_INPUTS}")
    rows = [json.loads(line) for line in _FILE_INPUTS.read_text(encoding="utf-8").splitlines()]
    return [
        r
        for r in rows
        if r["model"] == "gpt-5-mini"
        and r["api"] == "responses"
        and [i.get("type") for i in r["request_skeleton"]["input"][1:]]
        == ["reasoning", "function_call", "function_call_output"]
        and all(f.get("bytes_known") for f in r["files"])
    ]


def test_reasoning_rule_reproduces_its_real_bills_within_its_band() -> None:
    """Each current-turn replay bill of the fit set lies within 2 of the estimate and inside
    its bounds (harmony round trip + the Fernet length rule + each PDF's file rule)."""
    rows = _current_turn_replays()
    assert len(rows) == 10
    for row in rows:
        request = restore_payloads(row["request_skeleton"])
        request = {k: v for k, v in request.items() if k != "model"}
        infos = [recorded_file_info(f) for f in row["files"]]
        est = estimate_with_infos(
            "responses", "gpt-5-mini", request, [], file_infos=infos, as_of="2026-02-09"
        )
        billed = row["usage"]["input_tokens"]
        assert abs(billed - est.input_tokens) <= 2, (row["id"], billed, est.input_tokens)
        assert est.lower <= billed <= (est.upper or 0), row["id"]
        assert not est.exact


def _round_trip(model: str, api: Any) -> int:
    """Tokens a text round trip adds to a request with one function tool."""
    tool = {"type": "function", "name": "get_file", "parameters": {"type": "object"}}
    if api == "chat.completions":
        call = {"id": "c1", "type": "function", "function": {"name": "get_file", "arguments": "{}"}}
        turns = [
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "done"},
        ]
        chat_tool = {"type": "function", "function": {k: v for k, v in tool.items() if k != "type"}}
        base = {"messages": [_user("Go")], "tools": [chat_tool]}
        longer = {"messages": [_user("Go"), *turns], "tools": [chat_tool]}
    else:
        base = {"input": [_user("Go")], "tools": [tool]}
        longer = {"input": [_user("Go"), CALL, OUTPUT], "tools": [tool]}
    one = estimate_request(api=api, model=model, **longer).input_tokens
    return one - estimate_request(api=api, model=model, **base).input_tokens


@pytest.mark.parametrize("api", ["responses", "chat.completions"])
def test_gpt5_round_trips_carry_harmony_channels(api: Any) -> None:
    """A call on the gpt-5 family adds ``<|channel|>commentary`` and ``<|constrain|>json`` (4),
    its result ``<|channel|>commentary`` (2): 6 more than on o4-mini, whose format has none."""
    assert _round_trip("gpt-5-nano", api) == _round_trip("o4-mini", api) + 6


@pytest.mark.parametrize("api", ["responses", "chat.completions"])
def test_gpt5_assistant_messages_carry_a_channel(api: Any) -> None:
    """A replayed assistant message adds ``<|channel|>final`` (2) on the gpt-5 family only."""
    key = "messages" if api == "chat.completions" else "input"
    turns = [_user("Hi"), {"role": "assistant", "content": "Hello"}, _user("Bye")]

    def added(model: str) -> int:
        longer = estimate_request(api=api, model=model, **{key: turns}).input_tokens
        return longer - estimate_request(api=api, model=model, **{key: turns[:1]}).input_tokens

    assert added("gpt-5-nano") == added("gpt-4.1-nano") + 2 == added("o4-mini") + 2


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


@pytest.mark.parametrize("kind", sorted(BUILTIN_TOOLS))
def test_every_builtin_tool_row_is_dated_sourced_and_honest(kind: str) -> None:
    """Each hosted tool row names its source and date; a row marked verified cites a bill, an
    unverified one leaves the estimate without an upper bound and never exact."""
    row = BUILTIN_TOOLS[kind]
    assert row.source
    assert row.as_of.year >= 2025
    assert row.verified == ("real-usage/" in row.source and "no bill" not in row.source)
    est = estimate_request(model="gpt-5.4", input="Go", tools=[{"type": kind}])
    assert not est.exact
    assert any(repr(kind) in note for note in est.notes)
    if not row.verified or row.results_billed:
        assert est.upper is None


def test_builtin_tools_are_data_rows_and_never_exact() -> None:
    """A hosted tool adds its dated definition tokens where known; results billed as input
    leave no upper bound; every such estimate says it is not exact."""
    plain = estimate_request(model="gpt-4.1", input="Draw a cat")
    drawn = estimate_request(
        model="gpt-4.1", input="Draw a cat", tools=[{"type": "image_generation"}]
    )
    searched = estimate_request(model="gpt-4.1", input="Draw a cat", tools=[{"type": "web_search"}])
    assert drawn.input_tokens > plain.input_tokens
    assert not drawn.exact
    assert any("unverified" in note for note in drawn.notes)
    assert not searched.exact
    assert searched.upper is None


_CREWAI_ROLE = (
    "You are File Analyst. Expert at analyzing various file types.\n"
    "Your personal goal is: Analyze and describe files accurately"
)
_CREWAI_TASK = "\nCurrent Task: Describe this image briefly.\n\nProvide your complete response:"


def _o4_mini_twins(image: bool) -> tuple[Any, Any]:
    """crewAI's o4-mini request (2026-02-12) on Responses and on Chat Completions."""
    url = data_url(png((640, 480)))
    responses_parts: list[dict[str, Any]] = [{"type": "input_text", "text": _CREWAI_TASK}]
    chat_parts: list[dict[str, Any]] = [{"type": "text", "text": _CREWAI_TASK}]
    if image:
        responses_parts.append({"type": "input_image", "image_url": url})
        chat_parts.append({"type": "image_url", "image_url": {"url": url}})
    responses = estimate_request(
        model="o4-mini",
        instructions=_CREWAI_ROLE,
        input=[{"role": "user", "content": responses_parts}],
    )
    chat = estimate_request(
        api="chat.completions",
        model="o4-mini",
        messages=[
            {"role": "system", "content": _CREWAI_ROLE},
            {"role": "user", "content": chat_parts},
        ],
    )
    return responses, chat


def test_o4_mini_bills_an_image_request_on_responses_as_on_chat() -> None:
    """crewAI's request billed 563 on both APIs (6 Responses, 12 Chat bills, 2026-02-12); its
    text alone frames 1 lower on Responses, as o4-mini's text and PDF bills do."""
    responses, chat = _o4_mini_twins(image=True)
    assert responses.input_tokens == chat.input_tokens == 563
    assert "reasoning_image_on_responses" in responses.error_bands
    assert not responses.exact
    assert responses.lower < 563 < (responses.upper or 0)
    text_responses, text_chat = _o4_mini_twins(image=False)
    assert text_responses.input_tokens == text_chat.input_tokens - 1


def test_gpt5_images_on_responses_keep_the_reasoning_framing() -> None:
    """The gpt-5 family's Responses image bills fit the reasoning framing as is (gpt-5-nano,
    ruby_llm 2026-06/08; gpt-5-mini, mirascope 2025-12): no extra token, still exact."""
    url = data_url(png((128, 128)))
    image = {"type": "input_image", "image_url": url}
    est = estimate_request(model="gpt-5-nano", input=[{"role": "user", "content": [image]}])
    alone = estimate_request(model="gpt-5-nano", input=[_user("")])
    assert est.input_tokens - alone.input_tokens == est.image_tokens
    assert est.exact


_BOOK_SUMMARY = {
    "type": "json_schema",
    "json_schema": {
        "name": "BookSummary",
        "schema": {
            "properties": {
                "title": {"title": "Title", "type": "string"},
                "author": {"title": "Author", "type": "string"},
                "pages": {"title": "Pages", "type": "integer"},
                "publication_year": {"title": "Publication Year", "type": "integer"},
            },
            "required": ["title", "author", "pages", "publication_year"],
            "title": "BookSummary",
            "type": "object",
            "additionalProperties": False,
        },
        "strict": True,
    },
}
_GET_BOOK_INFO = {
    "type": "function",
    "function": {
        "name": "get_book_info",
        "description": "Look up book information by ISBN.",
        "parameters": {
            "properties": {"isbn": {"title": "Isbn", "type": "string"}},
            "required": ["isbn"],
            "additionalProperties": False,
            "type": "object",
        },
        "strict": True,
    },
}
_CITY_LOCATION = {
    "type": "json_schema",
    "json_schema": {
        "description": "A city and its country.",
        "name": "CityLocation",
        "schema": {
            "additionalProperties": False,
            "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
            "required": ["city", "country"],
            "type": "object",
        },
        "strict": True,
    },
}
_GET_USER_COUNTRY = {
    "type": "function",
    "function": {
        "description": "",
        "name": "get_user_country",
        "parameters": {"additionalProperties": False, "properties": {}, "type": "object"},
    },
}
_CITY_QUESTION = _user("What is the largest city in the user country?")
_CITY_ROUND_TRIP = [
    _CITY_QUESTION,
    {
        "content": None,
        "role": "assistant",
        "tool_calls": [
            {
                "function": {"arguments": "{}", "name": "get_user_country"},
                "id": "call_1",
                "type": "function",
            }
        ],
    },
    {"content": "Mexico", "role": "tool", "tool_call_id": "call_1"},
]


@pytest.mark.parametrize(
    ("messages", "tool", "fmt", "billed"),
    [
        # Mirascope/mirascope python/tests/e2e/output/cassettes/
        # test_structured_output_with_tools/strict/openai_gpt_4o_completions/sync.yaml
        # (commit 7649d24b): gpt-4o-2024-08-06, billed 140 on 2025-10-17 and on 2026-01-15
        (
            [
                _user(
                    "Please look up the book with ISBN 0-7653-1178-X and provide detailed info "
                    "and a recommendation score"
                )
            ],
            _GET_BOOK_INFO,
            _BOOK_SUMMARY,
            140,
        ),
        # pydantic/pydantic-ai tests/models/cassettes/test_openai/test_openai_native_output.yaml
        # (commit 111dda9b): gpt-4o-2024-08-06, 2026-01-30, the call (79) and its round trip (100)
        ([_CITY_QUESTION], _GET_USER_COUNTRY, _CITY_LOCATION, 79),
        (_CITY_ROUND_TRIP, _GET_USER_COUNTRY, _CITY_LOCATION, 100),
    ],
)
def test_a_json_schema_format_joins_the_tools_namespace_on_chat(
    messages: list[dict[str, Any]], tool: dict[str, Any], fmt: dict[str, Any], billed: int
) -> None:
    """With function tools the format's section joins the message their namespace opened: it
    costs its rendering plus the blank line before it (1), not the 7 of a format alone. Public
    bills of two projects; before this rule the estimates were 6 above them."""
    with_format = estimate_request(
        model="gpt-4o", messages=messages, tools=[tool], response_format=fmt
    )
    without = estimate_request(model="gpt-4o", messages=messages, tools=[tool])
    alone = estimate_request(model="gpt-4o", messages=messages, response_format=fmt)
    plain = estimate_request(model="gpt-4o", messages=messages)
    assert with_format.input_tokens == billed
    assert (with_format.input_tokens - without.input_tokens) + 6 == (
        alone.input_tokens - plain.input_tokens
    )
    assert not with_format.exact
    assert with_format.lower <= billed <= (with_format.upper or billed)


@pytest.mark.parametrize("model", ["o4-mini", "gpt-5-nano", "gpt-5-mini"])
def test_an_image_beside_instructions_adds_one_on_any_reasoning_model(model: str) -> None:
    """The +1 of o4-mini's image bills is the reasoning models' Responses framing of an image
    beside non-empty instructions, not a row of one model: the same request without the image
    differs by the image's tokens plus 1 on every reasoning model, never exact (the band says
    the other models are untested); without instructions (or with ``""``) the image adds only
    its tokens."""
    image = {"type": "input_image", "image_url": data_url(png((128, 128)))}
    for instructions, extra in (("Be brief.", 1), ("", 0), (None, 0)):
        kwargs = {} if instructions is None else {"instructions": instructions}
        est = estimate_request(model=model, input=[{"role": "user", "content": [image]}], **kwargs)
        alone = estimate_request(model=model, input=[_user("")], **kwargs)
        assert est.input_tokens - alone.input_tokens == est.image_tokens + extra
        assert ("reasoning_image_on_responses" in est.error_bands) == bool(extra)
    chat = estimate_request(
        api="chat.completions",
        model=model,
        messages=[
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": image["image_url"]}}],
            },
        ],
    )
    assert "reasoning_image_on_responses" not in chat.error_bands
