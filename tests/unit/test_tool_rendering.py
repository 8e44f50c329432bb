"""Function tools as the model reads them, and what tool_choice and round trips add."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from _helpers import data_url, png
from _private import (
    CUSTOM_TOOL,
    TOOL_DIALECTS,
    TOOLS_JOIN,
    estimate_with_infos,
    forced_function,
    parallel_call_text,
    render_functions,
)

from openai_vision_ext import count_tokens, estimate_request

_BOOK = {
    "name": "book",
    "description": "Save a book.\nUse it once.",
    "parameters": {
        "type": "object",
        "title": "Book",
        "description": "A book.",
        "properties": {
            "title": {"type": "string", "title": "Title"},
            "author": {"$ref": "#/$defs/Author"},
            "shelves": {"type": "array", "items": {"$ref": "#/$defs/Shelf"}},
            "rating": {"type": "integer", "title": "Rating", "description": "1 to 5", "default": 3},
            "unit": {"type": "string", "enum": ["a", "b"], "default": "a"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["title", "author"],
        "$defs": {
            "Author": {
                "type": "object",
                "description": "Who wrote it.",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            },
            "Shelf": {
                "type": "object",
                "description": "Where it stands.",
                "properties": {"room": {"type": "string"}},
            },
        },
    },
}


def test_2024_dialect_renders_titles_descriptions_refs_arrays_and_defaults() -> None:
    """Titles and object descriptions are comments (a blank comment line between a title and
    a description), ``$ref`` expands into ``$defs``, a nested object is not indented, an
    array of objects is ``Array<...>``, defaults trail as comments."""
    text = render_functions([_BOOK], "2024")
    assert text.splitlines()[6:] == [
        "// Save a book.",
        "Use it once.",
        "type book = (_: // Book",
        "//",
        "// A book.",
        "{",
        "// Title",
        "title: string,",
        "// Who wrote it.",
        "author: {",
        "name: string,",
        "},",
        "shelves?: Array<",
        "// Where it stands.",
        "{",
        "room?: string,",
        "}",
        ">,",
        "// Rating",
        "//",
        "// 1 to 5",
        "rating?: number, // default: 3",
        'unit?: "a" | "b", // default: a',
        "note?: string | null,",
        "}) => any;",
        "",
        "} // namespace functions",
    ]


def test_2023_dialect_is_the_plain_namespace() -> None:
    """gpt-4 (0613) reads neither titles nor object descriptions; only the function's own
    properties carry comments, a nested object's properties are indented 2 spaces a level and
    an array of objects is the object then ``[]``; a multi-line function description is one
    comment per line."""
    text = render_functions([_BOOK], "2023")
    assert text.splitlines()[6:] == [
        "// Save a book.",
        "// Use it once.",
        "type book = (_: {",
        "title: string,",
        "// Who wrote it.",
        "author: {",
        "  name: string,",
        "},",
        "shelves?: {",
        "  room?: string,",
        "}[],",
        "// 1 to 5",
        "rating?: number, // default: 3",
        'unit?: "a" | "b", // default: a',
        "note?: string | null,",
        "}) => any;",
        "",
        "} // namespace functions",
    ]


_RECIPE = {
    "name": "get_recipe",
    "parameters": {
        "type": "object",
        "required": ["ingredients", "instructions", "time_to_cook"],
        "properties": {
            "ingredients": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "unit", "amount"],
                    "properties": {
                        "name": {"type": "string"},
                        "unit": {
                            "enum": ["grams", "ml", "cups", "pieces", "teaspoons"],
                            "type": "string",
                        },
                        "amount": {"type": "number"},
                    },
                },
            },
            "instructions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Steps to prepare the recipe (no numbering)",
            },
            "time_to_cook": {
                "type": "number",
                "description": "Total time to prepare the recipe in minutes",
            },
        },
    },
}
_NESTED = {
    "name": "bing_bong",
    "description": "Do a bing bong",
    "parameters": {
        "type": "object",
        "properties": {
            "foo": {
                "type": "object",
                "properties": {
                    "bar": {"type": "string", "enum": ["a", "b", "c"]},
                    "baz": {"type": "boolean"},
                },
            }
        },
    },
}


@pytest.mark.parametrize(("function", "billed"), [(_NESTED, 68), (_RECIPE, 106)])
def test_2023_dialect_matches_hmarrs_nested_bills(function: dict[str, Any], billed: int) -> None:
    """hmarr/openai-chat-tokens' test bills (gpt-3.5-turbo 0613, 2023; one user message
    "hello", the function passed as ``functions``): a nested object and an array of objects.
    The 2024 dialect's unindented ``Array<...>`` renders them 2 and 1 tokens shorter."""
    request = {"messages": [{"role": "user", "content": "hello"}], "functions": [function]}
    assert estimate_request(model="gpt-4", **request).input_tokens == billed
    old = count_tokens(render_functions([function], "2024"), encoding="cl100k_base")
    new = count_tokens(render_functions([function], "2023"), encoding="cl100k_base")
    assert new - old == {68: 2, 106: 1}[billed]


def test_a_recursive_ref_is_not_expanded_forever() -> None:
    node = {
        "name": "tree",
        "parameters": {
            "type": "object",
            "properties": {"root": {"$ref": "#/$defs/Node"}},
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {"child": {"$ref": "#/$defs/Node"}},
                }
            },
        },
    }
    assert "root?: {\nchild?: any,\n}," in render_functions([node])


def test_a_function_without_properties_takes_no_argument() -> None:
    assert "type ping = () => any;" in render_functions(
        [{"name": "ping", "parameters": {"type": "object", "properties": {}}}]
    )


@pytest.mark.parametrize(
    ("choice", "name"),
    [
        ({"type": "function", "function": {"name": "f"}}, "f"),
        ({"type": "function", "name": "g"}, "g"),
        ("required", None),
        ("auto", None),
        ({"type": "allowed_tools"}, None),
        (None, None),
    ],
)
def test_forced_function(choice: object, name: str | None) -> None:
    assert forced_function(choice) == name


def _chat(model: str, **extra: Any) -> int:
    tools = [{"type": "function", "function": {"name": "lookup_weather_forecast"}}]
    return estimate_request(
        model=model, messages=[{"role": "user", "content": "Hi"}], tools=tools, **extra
    ).input_tokens


def test_a_forced_function_primes_the_reply_with_its_name() -> None:
    """Forcing a function adds the dialect's constant plus its name's tokens (gpt-4o); the
    gpt-5 family's dialect adds nothing (forcing constrains decoding there)."""
    forced = {"type": "function", "function": {"name": "lookup_weather_forecast"}}
    name = count_tokens("lookup_weather_forecast")
    gpt4o = TOOL_DIALECTS["2024"].forced_choice
    assert gpt4o is not None
    assert _chat("gpt-4o", tool_choice=forced) == _chat("gpt-4o") + gpt4o + name
    assert _chat("gpt-4o", tool_choice="required") == _chat("gpt-4o")
    assert TOOL_DIALECTS["2025"].forced_choice is None
    assert _chat("gpt-5-mini", tool_choice=forced) == _chat("gpt-5-mini")


def _round_trip(name: str, api: str) -> int:
    if api == "chat.completions":
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": name, "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "Sunny"},
        ]
        return estimate_request(model="gpt-4o", messages=messages).input_tokens
    items: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": "c1", "name": name, "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "Sunny"},
    ]
    return estimate_request(model="gpt-4o", input=items).input_tokens


@pytest.mark.parametrize("api", ["chat.completions", "responses"])
def test_a_round_trip_bills_the_function_name_twice(api: str) -> None:
    """The call is a message to ``functions.NAME`` and the result a message from it: a longer
    name costs twice its extra tokens (issue 13's held-out round trips)."""
    short, long = "f", "lookup_weather_forecast_for_city"
    extra = count_tokens(long) - count_tokens(short)
    assert _round_trip(long, api) - _round_trip(short, api) == 2 * extra


_WEATHER = {
    "name": "weather",
    "description": "Gets current weather for a location",
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": {"type": "string", "description": "Latitude (e.g., 52.5200)"},
            "longitude": {"type": "string", "description": "Longitude (e.g., 13.4050)"},
        },
        "required": ["latitude", "longitude"],
    },
}
_BEST_LANGUAGE = {
    "name": "best_language_to_learn",
    "description": "Gets the best language to learn",
    "parameters": {"type": "object", "properties": {}, "required": []},
}
_CONTENT_RETURNING = {
    "name": "content_returning",
    "description": "Returns a Content object with text and attachments",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "Query to process"}},
        "required": ["query"],
    },
}
_STRICT = {"additionalProperties": False, "strict": True}  # ruby_llm's gpt-5 schemas add these
_ASKED = {
    "weather": (
        "What's the weather in Berlin? (52.5200, 13.4050)",
        '{"latitude":"52.5200","longitude":"13.4050"}',
        "Current weather at 52.5200, 13.4050: 15°C, Wind: 10 km/h",
    ),
    "best_language_to_learn": ("What's the best language to learn?", "{}", "Ruby"),
    "content_returning": (
        "Process this query: test data",
        '{"query":"test data"}',
        "Processed: test data",
    ),
}


def _ruby_llm_round_trip(spec: dict[str, Any], strict: bool) -> tuple[dict[str, Any], ...]:
    """ruby_llm's Chat request before and after one call of ``spec`` (its public cassettes)."""
    parameters = {**spec["parameters"], **(_STRICT if strict else {})}
    tools = [{"type": "function", "function": {**spec, "parameters": parameters}}]
    question, arguments, result = _ASKED[spec["name"]]
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": spec["name"], "arguments": arguments},
    }
    first = [{"role": "user", "content": question}]
    turns = [
        *first,
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": result},
    ]
    return {"messages": first, "tools": tools}, {"messages": turns, "tools": tools}


def _ruby_llm_responses_round_trip(spec: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The same on Responses (gpt-4.1-nano, 2025-08-25, in the same cassettes)."""
    tools = [{"type": "function", **spec}]
    question, arguments, result = _ASKED[spec["name"]]
    first = [{"type": "message", "role": "user", "content": question}]
    call = {"type": "function_call", "call_id": "c1", "name": spec["name"], "arguments": arguments}
    output = {"type": "function_call_output", "call_id": "c1", "output": result}
    return {"input": first, "tools": tools}, {"input": [*first, call, output], "tools": tools}


@pytest.mark.parametrize(
    ("api", "model", "spec", "billed"),
    [
        # crmne/ruby_llm spec/fixtures/vcr_cassettes/chat_function_calling_openai_<model>_...
        ("chat.completions", "gpt-4.1-nano", _WEATHER, (88, 143)),  # can_use_tools, 2025-08/09
        ("chat.completions", "gpt-4.1-nano", _BEST_LANGUAGE, (48, 73)),  # ..._without_parameters
        ("chat.completions", "gpt-5-nano", _WEATHER, (169, 230)),  # can_use_tools, 2026-01-16
        ("chat.completions", "gpt-5-nano", _BEST_LANGUAGE, (129, 160)),  # 2026-01-12
        ("responses", "gpt-4.1-nano", _WEATHER, (82, 135)),  # can_use_tools, 2025-08-25
        ("responses", "gpt-4.1-nano", _BEST_LANGUAGE, (42, 65)),  # ..._without_parameters
    ],
)
def test_real_round_trips_are_estimated_to_the_bill(
    api: str, model: str, spec: dict[str, Any], billed: tuple[int, int]
) -> None:
    """Public bills of a text round trip and of the turn before it (1- and 5-token function
    names): a call is a message to ``functions.NAME``, its result a message from it; on Chat
    the two are one token under two full messages on both model generations, on Responses
    (non-reasoning) three; both turns equal their bills."""
    if api == "responses":
        requests = _ruby_llm_responses_round_trip(spec)
    else:
        requests = _ruby_llm_round_trip(spec, strict=model.startswith("gpt-5"))
    estimates = [estimate_request(api=api, model=model, **r).input_tokens for r in requests]
    assert tuple(estimates) == billed


def _weather_turn(key: str, lat: str, lon: str) -> list[dict[str, Any]]:
    args = f'{{"latitude":"{lat}","longitude":"{lon}"}}'
    call = {"id": key, "type": "function", "function": {"name": "weather", "arguments": args}}
    result = f"Current weather at {lat}, {lon}: 15°C, Wind: 10 km/h"
    return [
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": key, "content": result},
    ]


@pytest.mark.parametrize(
    ("model", "answer", "billed"),
    [
        # ruby_llm's can_use_tools_in_multi-turn_conversations cassettes (public)
        (
            "gpt-4.1-nano",  # 2025-08-20
            "The current weather in Berlin is 15°C with a wind speed of 10 km/h.",
            (88, 143, 188, 243),
        ),
        (
            "gpt-5-nano",  # 2026-01-16
            "Berlin (52.5200, 13.4050): 15°C, wind 10 km/h.\n\nWould you like a short forecast or "
            "more details (humidity, precipitation chance)?",
            (169, 230, 296, 357),
        ),
    ],
)
def test_real_multi_turn_tool_conversations_are_estimated_to_the_bill(
    model: str, answer: str, billed: tuple[int, ...]
) -> None:
    """Four requests of one conversation (a call and its result, the assistant's answer, a
    second question, a second call and result): each estimate equals its bill, with harmony's
    channels on gpt-5-nano."""
    first = [{"role": "user", "content": "What's the weather in Berlin? (52.5200, 13.4050)"}]
    second = [{"role": "user", "content": "What's the weather in Paris? (48.8575, 2.3514)"}]
    turns = [
        first,
        [*first, *_weather_turn("a", "52.5200", "13.4050")],
        [
            *first,
            *_weather_turn("a", "52.5200", "13.4050"),
            {"role": "assistant", "content": answer},
            *second,
        ],
    ]
    turns.append([*turns[2], *_weather_turn("b", "48.8575", "2.3514")])
    spec = {
        **_WEATHER,
        "parameters": {**_WEATHER["parameters"], **(_STRICT if model == "gpt-5-nano" else {})},
    }
    tools = [{"type": "function", "function": spec}]
    estimates = [estimate_request(model=model, messages=m, tools=tools).input_tokens for m in turns]
    assert tuple(estimates) == billed


_STUFF = '{"foo": "bar", "baz": 1.5}'
_HELLO = {"role": "user", "content": "hello world"}


@pytest.mark.parametrize(
    ("messages", "billed"),
    [
        ([_HELLO, {"role": "function", "name": "do_stuff", "content": "{}"}], 15),
        ([_HELLO, {"role": "function", "name": "do_stuff", "content": _STUFF}], 28),
        (
            [
                {
                    "role": "function",
                    "name": "dance_the_tango",
                    "content": '{"a": { "b" : { "c": false}}}',
                }
            ],
            24,
        ),
        (
            [
                {
                    "role": "assistant",
                    "content": "",
                    "function_call": {"name": "do_stuff", "arguments": _STUFF},
                }
            ],
            26,
        ),
        (
            [
                {
                    "role": "assistant",
                    "content": None,
                    "function_call": {
                        "name": "do_stuff",
                        "arguments": '{"foo":"bar", "baz":\n\n 1.5}',
                    },
                }
            ],
            25,
        ),
    ],
)
def test_deprecated_function_messages_match_hmarrs_bills(
    messages: list[dict[str, Any]], billed: int
) -> None:
    """hmarr/openai-chat-tokens' gpt-3.5-turbo bills (2023): a ``function`` message is authored
    by the function's name (3 + name + content); an assistant ``function_call`` is a call like
    a tool call, with no empty assistant message beside it (it was 4 above)."""
    est = estimate_request(model="gpt-3.5-turbo", messages=messages)
    assert est.input_tokens == billed
    assert not est.exact


def test_a_deprecated_function_message_has_no_upper_bound() -> None:
    """No shared bill measures the ``function`` message rendering (fitted on hmarr's 2023
    counts, which a public port lists one higher): it borrows no band, so no upper bound; the
    lower bound keeps the count it was fitted on."""
    message = {"role": "function", "name": "dance_the_tango", "content": "yes"}
    est = estimate_request(model="gpt-3.5-turbo", messages=[message])
    assert est.upper is None
    assert est.error_bands == ()
    assert est.lower == est.input_tokens
    assert any("deprecated function message" in note for note in est.notes)


def test_the_image_requests_function_bills_its_rule_in_a_text_round_trip() -> None:
    """The content_returning round trip whose Chat image requests miss, with a text output on
    Responses (ruby_llm's gpt-4.1-nano cassette, 2025-08-25: a Ruby object's inspect string),
    bills its rule exactly: the function's name and arguments are not what the image rows miss."""
    first, after = _ruby_llm_responses_round_trip(_CONTENT_RETURNING)
    after["input"][-1]["output"] = "#<RubyLLM::Content:0x0000000112cfc2c8>"
    estimates = [estimate_request(model="gpt-4.1-nano", **r).input_tokens for r in (first, after)]
    assert estimates == [52, 95]


def test_an_image_in_a_chat_tool_message_is_estimated_with_its_own_band() -> None:
    """A tool message holding an image (which Chat documents as text-only) widens the bounds by
    the image_in_tool_output band; ruby_llm's real request (gpt-4.1-nano, billed 111, a
    128x128 PNG) lies within them; the same result as text alone does not use the band."""
    _, request = _ruby_llm_round_trip(_CONTENT_RETURNING, strict=False)
    text = {"type": "text", "text": "Processed: test data"}
    image = {"type": "image_url", "image_url": {"url": data_url(png((128, 128)))}}
    *turns, result = request["messages"]

    def estimate(*parts: dict[str, Any]) -> Any:
        messages = [*turns, {**result, "content": list(parts)}]
        return estimate_request(model="gpt-4.1-nano", messages=messages, tools=request["tools"])

    est, plain = estimate(text, image), estimate(text)
    assert "image_in_tool_output" in est.error_bands
    assert "image_in_tool_output" not in plain.error_bands
    assert est.input_tokens == plain.input_tokens + 41  # the image at its own rule
    assert not est.exact
    assert any("image inside a tool result" in note for note in est.notes)
    assert est.upper is not None
    assert est.lower <= 111 <= est.upper


def test_a_round_trip_is_never_called_exact() -> None:
    est = estimate_request(
        model="gpt-4o",
        input=[
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
        ],
    )
    assert not est.exact
    assert any("tool calls" in note for note in est.notes)


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def test_hostile_schemas_render_in_bounded_time_and_size() -> None:
    """Nesting past 32 levels renders as ``any``; ``$ref``s that double at every level stop
    expanding after 1,000 expansions; non-JSON defaults and enum values are shown as text."""
    deep = render_functions([{"name": "f", "parameters": _nested(5000)}])
    assert deep.count("a?:") == 33  # the top level plus 32 nested
    assert "a?: any," in deep
    doubling: dict[str, Any] = {
        f"D{i}": {
            "type": "object",
            "properties": {"x": {"$ref": f"#/$defs/D{i + 1}"}, "y": {"$ref": f"#/$defs/D{i + 1}"}},
        }
        for i in range(40)
    }
    wide = render_functions(
        [
            {
                "name": "f",
                "parameters": {
                    "type": "object",
                    "properties": {"r": {"$ref": "#/$defs/D0"}},
                    "$defs": doubling,
                },
            }
        ]
    )
    assert wide.count("{") < 2100
    odd = {"type": "string", "default": date(2020, 1, 1), "enum": [date(2020, 1, 1)]}
    assert '"2020-01-01"' in render_functions(
        [{"name": "f", "parameters": {"type": "object", "properties": {"d": odd}}}]
    )


def test_a_deeply_nested_response_format_is_estimated() -> None:
    est = estimate_request(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Hi"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": _nested(5000)},
        },
    )
    assert not est.exact
    assert est.input_tokens < 1000


def _with_role(model: str, role: str, tools: bool) -> int:
    messages = [{"role": role, "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    extra: dict[str, Any] = {"tools": [{"type": "function", "function": {"name": "f"}}]}
    return estimate_request(model=model, messages=messages, **(extra if tools else {})).input_tokens


@pytest.mark.parametrize(
    ("model", "saved"), [("gpt-4o", 2), ("gpt-4o-mini", 2), ("gpt-3.5-turbo", 2), ("gpt-4.1", 0)]
)
def test_tools_joining_a_system_message_by_model(model: str, saved: int) -> None:
    """On gpt-4o/-mini and gpt-3.5-turbo tools cost 2 fewer joining a system message than a
    developer one (no developer bill on gpt-3.5: it keeps the API's ``tools_in_system``)."""
    system = _with_role(model, "system", True) - _with_role(model, "system", False)
    developer = _with_role(model, "developer", True) - _with_role(model, "developer", False)
    assert developer - system == saved


def _tools_cost(model: str, system: tuple[str, str] | None) -> int:
    """What one function adds to a request with (or without) a ``(role, text)`` message."""
    first = [{"role": system[0], "content": system[1]}] if system else []
    messages = [*first, {"role": "user", "content": "Hi"}]
    tools = [{"type": "function", "function": {"name": "f"}}]
    with_tools = estimate_request(model=model, messages=messages, tools=tools).input_tokens
    return with_tools - estimate_request(model=model, messages=messages).input_tokens


@pytest.mark.parametrize(
    ("role", "text", "saved"),
    [("system", "Be brief.", 1), ("system", "Be brief", 0), ("developer", "Be brief.", 0)],
)
def test_tools_joining_a_message_on_the_gpt_5_family(role: str, text: str, saved: int) -> None:
    """gpt-5 family: tools joining a system message cost 1 fewer than opening their own message,
    and the blank line before them is free after final punctuation (12 gpt-5-mini/-nano Chat
    bills); joining a developer message costs what their own message does (one bill)."""
    alone = _tools_cost("gpt-5-mini", None)
    assert alone - _tools_cost("gpt-5-mini", (role, text)) == saved


_F = {"name": "f", "description": "Does f."}


def _namespace_cost(model: str, api: str, first: tuple[str, str] | None) -> int:
    """What one function adds besides its rendering, with (or without) a ``(role, text)``
    message before the user's (text ending in punctuation: the blank line before the namespace
    is free)."""
    leading = [{"role": first[0], "content": first[1]}] if first else []
    items = [*leading, {"role": "user", "content": "Hi"}]
    chat = api == "chat.completions"
    tools = [{"type": "function", "function": _F}] if chat else [{"type": "function", **_F}]
    key = "messages" if chat else "input"
    with_tools = estimate_request(model=model, tools=tools, **{key: items}).input_tokens
    rendered = count_tokens(render_functions([_F]))
    return with_tools - estimate_request(model=model, **{key: items}).input_tokens - rendered


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"])
def test_responses_bills_the_namespace_3_below_its_rendering_on_non_reasoning_models(
    model: str,
) -> None:
    """Non-reasoning models on Responses: the namespace costs 3 below its rendering whichever
    message it joins (gpt-4.1 alone and gpt-4o-mini joining a system message, 2 requests; round
    trips on gpt-4.1-mini alone and gpt-4o joining a system message); on Chat it costs 3 above
    alone, and its rule row's ``tools_joining`` says what joining a message changes."""
    firsts = [None, ("system", "Be brief."), ("developer", "Be brief.")]
    assert {_namespace_cost(model, "responses", first) for first in firsts} == {-3}
    assert _namespace_cost(model, "chat.completions", None) == 3
    assert _namespace_cost("gpt-5-mini", "responses", None) == 3


def test_a_responses_round_trip_costs_two_less_than_on_chat() -> None:
    """Besides the messages themselves, a round trip costs 2 less on Responses than on Chat
    (non-reasoning models): pydantic-ai's Responses round trips (gpt-4.1-mini, gpt-4o) and
    ruby_llm's (gpt-4.1-nano) are exact with it, as are ruby_llm's Chat round trips on the same
    model and pydantic-ai's on gpt-4.1-mini with Chat's framing."""
    alone = {api: _round_trip("f", api) for api in ("chat.completions", "responses")}
    user = {
        "chat.completions": estimate_request(
            model="gpt-4o", messages=[{"role": "user", "content": "Weather?"}]
        ).input_tokens,
        "responses": estimate_request(
            model="gpt-4o", input=[{"role": "user", "content": "Weather?"}]
        ).input_tokens,
    }
    added = {api: alone[api] - user[api] for api in alone}
    assert added["responses"] == added["chat.completions"] - 2


def _chat_tools_cost(model: str, messages: list[dict[str, Any]], as_of: str | None) -> int:
    tools = [{"type": "function", "function": _F}]
    request: dict[str, Any] = {"messages": messages}
    bare = estimate_with_infos("chat.completions", model, request, [], as_of=as_of)
    full = estimate_with_infos(
        "chat.completions", model, {**request, "tools": tools}, [], as_of=as_of
    )
    return full.input_tokens - bare.input_tokens


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4-0125-preview", "gpt-4o", "gpt-5-mini"])
@pytest.mark.parametrize(
    ("as_of", "joins"), [("2024-02-21", True), ("2024-04-16", False), (None, False)]
)
def test_tools_join_a_system_message_after_the_users_only_before_2024_04(
    model: str, as_of: str | None, joins: bool
) -> None:
    """crewAI's requests with the system message after the user's: on 2024-02-21/28 the tools
    join it as they join a leading one (InstructorToolCalling, 9 gpt-3.5-turbo-0125 and
    gpt-4-0125-preview bills, 2 below their own message); from 2024-04-16 they open their own
    message (TaskEvaluation, gpt-4 0613 and gpt-4o): a dated API rule, the same on every model;
    a request without a date gets today's."""
    user, system = {"role": "user", "content": "Hi"}, {"role": "system", "content": "Be brief."}
    alone = _chat_tools_cost(model, [user], as_of)
    leading = _chat_tools_cost(model, [system, user], as_of)
    assert leading != alone
    assert _chat_tools_cost(model, [user, system], as_of) == (leading if joins else alone)


def test_tools_join_dated_rows_are_ordered_and_start_from_the_beginning() -> None:
    """``TOOLS_JOIN`` is a dated table: its first row starts at the beginning, later rows in
    date order, and the newest (today's) joins only a system message that starts the request."""
    days = [row.since for row in TOOLS_JOIN]
    assert days[0] == ""
    assert days == sorted(days)
    assert not TOOLS_JOIN[-1].any_position


@pytest.mark.parametrize(
    ("system", "billed"), [(["Hello"], 35), (["Hello:"], 35), (["Hello:", "Hello"], 40)]
)
def test_tools_joining_a_leading_system_message_on_gpt_3_5_match_hmarrs_bills(
    system: list[str], billed: int
) -> None:
    """hmarr/openai-chat-tokens' test bills (gpt-3.5-turbo 0613, 2023): system messages, a user
    "Hi there" and one function without parameters; the namespace joins the first system
    message 2 below the API's ``tools_in_system``, as openinference's gpt-3.5-turbo bills of
    2026-02 show too."""
    messages = [{"role": "system", "content": t} for t in system]
    messages.append({"role": "user", "content": "Hi there"})
    functions = [{"name": "do_stuff", "parameters": {"type": "object", "properties": {}}}]
    est = estimate_request(model="gpt-3.5-turbo", messages=messages, functions=functions)
    assert est.input_tokens == billed


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4o", "gpt-5-nano"])
def test_the_blank_line_before_the_namespace_merges_into_final_punctuation(model: str) -> None:
    """The namespace is tokenized with the message it joins: a system message "Hello" (one
    token) and "Hello:" (two) bill the same with a function (hmarr/openai-chat-tokens, 2023:
    35 and 35), since ``":\n\n"`` is one token where "Hello" needs ``"\n\n"`` of its own."""
    tools = [{"type": "function", "function": {"name": "do_stuff"}}]
    bills = {
        text: estimate_request(
            model=model,
            messages=[{"role": "system", "content": text}, {"role": "user", "content": "Hi there"}],
            tools=tools,
        ).input_tokens
        for text in ("Hello", "Hello:")
    }
    assert bills["Hello"] == bills["Hello:"]


@pytest.mark.parametrize(("model", "added"), [("gpt-4.1-nano", 1), ("gpt-4", 1), ("gpt-5-nano", 0)])
def test_tool_choice_none_says_so(model: str, added: int) -> None:
    assert _chat(model, tool_choice="none") - _chat(model) == added


_GRAMMAR = 'start: expr\nexpr: INT (SP ADD SP INT)*\nSP: " "\nADD: "+"\n%import common.INT'


def _custom(api: str, definition: str, *, syntax: str = "lark") -> dict[str, Any]:
    spec = {"name": "math_exp", "description": "Creates valid mathematical expressions"}
    grammar = {"syntax": syntax, "definition": definition}
    if api == "chat.completions":
        fmt = {"type": "grammar", "grammar": grammar}
        return {"type": "custom", "custom": {**spec, "format": fmt}}
    return {"type": "custom", **spec, "format": {"type": "grammar", **grammar}}


def _with_tools(api: str, tools: list[dict[str, Any]], model: str = "gpt-5") -> Any:
    if api == "chat.completions":
        return estimate_request(
            model=model, messages=[{"role": "user", "content": "Add 4 and 4."}], tools=tools
        )
    return estimate_request(model=model, input="Add 4 and 4.", tools=tools)


@pytest.mark.parametrize("api", ["chat.completions", "responses"])
def test_a_custom_tool_is_a_namespace_entry_its_grammar_and_a_constant(api: str) -> None:
    """A lark custom tool costs its parameterless namespace entry, its dedented grammar and
    ``CUSTOM_TOOL.per_tool``; the grammar's indentation as sent does not count (the two
    shared bills of one tool agree only so)."""
    indented = "\n" + "\n".join("        " + line for line in _GRAMMAR.split("\n")) + "\n    "
    bare = _with_tools(api, [])
    entry = {"name": "math_exp", "description": "Creates valid mathematical expressions"}
    as_function = _with_tools(api, [{"type": "function", "function": entry}])
    if api == "responses":
        as_function = _with_tools(api, [{"type": "function", **entry}])
    flat = _with_tools(api, [_custom(api, _GRAMMAR)])
    assert _with_tools(api, [_custom(api, indented)]).input_tokens == flat.input_tokens
    grammar = count_tokens(_GRAMMAR)
    assert flat.input_tokens == as_function.input_tokens + grammar + CUSTOM_TOOL.per_tool
    assert flat.input_tokens > bare.input_tokens
    assert not flat.exact
    # Fitted on one tool's two bills: they cannot bound another grammar, so the bounds are
    # those of an unverified custom tool (the constant and the grammar below, nothing above).
    assert flat.upper is None
    assert flat.lower <= flat.input_tokens - CUSTOM_TOOL.per_tool - grammar


def test_a_custom_tool_and_functions_share_one_namespace() -> None:
    """With function tools beside it, the custom tool adds its entry to the same namespace
    (one header, one tool framing), its grammar and the constant."""
    fn = {"type": "function", "name": "ping", "description": "Pings."}
    entry = {"name": "math_exp", "description": "Creates valid mathematical expressions"}
    both = _with_tools("responses", [fn, _custom("responses", _GRAMMAR)]).input_tokens
    alone = _with_tools("responses", [fn]).input_tokens
    namespace = count_tokens(render_functions([fn, entry], "2025")) - count_tokens(
        render_functions([fn], "2025")
    )
    assert namespace > 0
    assert both - alone == namespace + count_tokens(_GRAMMAR) + CUSTOM_TOOL.per_tool


@pytest.mark.parametrize(
    "tool",
    [
        _custom("responses", "\\d+", syntax="regex"),
        {"type": "custom", "name": "free", "description": "Free text."},
        {"type": "custom", "name": "free", "format": {"type": "text"}},
    ],
)
def test_an_unverified_custom_tool_has_no_upper_bound(tool: dict[str, Any]) -> None:
    """Only lark grammars are backed by bills (one tool): any other custom tool is counted the
    same way and noted as unverified; like a lark one, its lower bound leaves the constant and
    grammar out, and the bill has no upper bound."""
    est = _with_tools("responses", [tool])
    assert not est.exact
    assert est.upper is None
    assert est.lower <= est.input_tokens - CUSTOM_TOOL.per_tool
    assert any("unverified" in note for note in est.notes)


_CALL_INPUT = "4 + 4 * 12 + 7 * 3"


def _replayed(api: str, model: str, kind: str, call_input: str) -> Any:
    """A round trip replayed: a ``function`` call (``call_input`` as its arguments) or a
    ``custom`` call (``call_input`` as its input), then the call's result."""
    if api == "chat.completions":
        spec = (
            {"function": {"name": "math_exp", "arguments": call_input}}
            if kind == "function"
            else {"custom": {"name": "math_exp", "input": call_input}}
        )
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": "Add 4 and 4."},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": kind, **spec}]},
            {"role": "tool", "tool_call_id": "c1", "content": "8"},
        ]
        return estimate_request(model=model, messages=messages)
    key, item = (
        ("arguments", "function_call") if kind == "function" else ("input", "custom_tool_call")
    )
    items: list[dict[str, Any]] = [
        {"role": "user", "content": "Add 4 and 4."},
        {"type": item, "call_id": "c1", "name": "math_exp", key: call_input},
        {"type": f"{item}_output", "call_id": "c1", "output": "8"},
    ]
    return estimate_request(model=model, input=items)


@pytest.mark.parametrize("api", ["chat.completions", "responses"])
@pytest.mark.parametrize(("model", "dialect"), [("gpt-4o", "2024"), ("gpt-5", "2025")])
def test_a_replayed_custom_call_counts_its_input_like_a_function_calls_arguments(
    api: str, model: str, dialect: str
) -> None:
    """A custom call is a message to ``functions.NAME`` holding its free-form input, as a
    function call holds its arguments, without harmony's ``<|constrain|>json`` (the input has
    no content type); its result is a message from the function, as a function's is."""
    custom = _replayed(api, model, "custom", _CALL_INPUT)
    function = _replayed(api, model, "function", _CALL_INPUT)
    constraint = TOOL_DIALECTS[dialect].call_constraint
    assert custom.input_tokens == function.input_tokens - constraint
    empty = _replayed(api, model, "custom", "")
    assert custom.input_tokens - empty.input_tokens == count_tokens(_CALL_INPUT)


@pytest.mark.parametrize("api", ["chat.completions", "responses"])
def test_a_replayed_custom_call_is_bounded_as_unverified(api: str) -> None:
    """No bill backs a replayed custom call: never exact, no upper bound, and the lower bound
    leaves the call and its result out (at least the input's tokens and the function name's
    in both messages below the estimate)."""
    est = _replayed(api, "gpt-5", "custom", _CALL_INPUT)
    assert not est.exact
    assert est.upper is None
    assert est.lower <= est.input_tokens - count_tokens(_CALL_INPUT) - 2 * count_tokens("math_exp")
    assert any("custom tool call" in note and "unverified" in note for note in est.notes)
    function = _replayed(api, "gpt-5", "function", _CALL_INPUT)
    assert function.upper is not None  # the function round trip keeps its measured band


_DICE = {
    "name": "dice_roll",
    "description": "Rolls a single six-sided die and returns the result",
    "parameters": {"type": "object", "properties": {}, "required": []},
}
_SECRET = {
    "name": "secret_retrieval_tool",
    "description": "A tool that requires a password to retrieve a secret.",
    "parameters": {
        "properties": {"password": {"title": "Password", "type": "string"}},
        "required": ["password"],
        "additionalProperties": False,
        "type": "object",
    },
}
_PARALLEL = {
    # crmne/ruby_llm ..._can_handle_multiple_tool_calls_in_a_single_response.yml
    "dice": (
        [_DICE],
        [
            {
                "role": "developer",
                "content": "You must call the dice_roll tool exactly 3 times "
                "when asked to roll dice 3 times.",
            },
            {"role": "user", "content": "Roll the dice 3 times"},
        ],
        [
            ("dice_roll", "{}", "{roll: 1}"),
            ("dice_roll", "{}", "{roll: 2}"),
            ("dice_roll", "{}", "{roll: 3}"),
        ],
    ),
    # crmne/ruby_llm ..._can_use_parallel_tool_calls.yml
    "two functions": (
        [_WEATHER, _BEST_LANGUAGE],
        [
            {
                "role": "user",
                "content": "What's the weather in Berlin (52.5200, 13.4050) and "
                "what's the best language to learn?",
            }
        ],
        [
            (
                "weather",
                '{"latitude":"52.5200","longitude":"13.4050"}',
                "Current weather at 52.5200, 13.4050: 15°C, Wind: 10 km/h",
            ),
            ("best_language_to_learn", "{}", "Ruby"),
        ],
    ),
    # Mirascope/mirascope python/tests/e2e/output/cassettes/test_call_with_tools/<model>/sync.yaml
    "secrets": (
        [_SECRET],
        [
            {"role": "system", "content": "Use parallel tool calling."},
            {
                "role": "user",
                "content": "Please retrieve the secrets associated with each of "
                "these passwords: mellon,radiance",
            },
        ],
        [
            ("secret_retrieval_tool", '{"password": "mellon"}', "Welcome to Moria!"),
            ("secret_retrieval_tool", '{"password": "radiance"}', "Life before Death"),
        ],
    ),
}


def _parallel_turns(case: str, strict: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Chat request before and after one assistant message holding several calls."""
    specs, first, calls = _PARALLEL[case]
    tools = [
        {
            "type": "function",
            "function": {**s, "parameters": {**s["parameters"], **(_STRICT if strict else {})}},
        }
        for s in specs
    ]
    message = {
        "role": "assistant",
        "tool_calls": [
            {"id": f"c{n}", "type": "function", "function": {"name": name, "arguments": args}}
            for n, (name, args, _) in enumerate(calls)
        ],
    }
    results = [
        {"role": "tool", "tool_call_id": f"c{n}", "content": result}
        for n, (_, _, result) in enumerate(calls)
    ]
    after = {"messages": [*first, message, *results], "tools": tools}
    return {"messages": first, "tools": tools}, after


@pytest.mark.parametrize(
    ("model", "case", "strict", "billed"),
    [
        ("gpt-4.1-nano", "dice", False, (68, 151)),  # 2025-08-20 (a 2025-11-03 fork: the same)
        ("gpt-5-nano", "dice", True, (152, 241)),  # 2026-01-16
        ("gpt-4.1-nano", "two functions", True, (113, 211)),  # 2025-11-29: "°" escaped
        ("gpt-5-nano", "two functions", True, (194, 294)),  # 2026-04-02: "°" as is
        ("gpt-4o", "secrets", False, (75, 149)),  # 2025-10-17 and (strict) 2026-01-15
        ("gpt-4o-mini", "secrets", False, (75, 149)),  # Azure, 2025-11-06
        ("gpt-5-mini", "secrets", False, (159, 239)),  # 2025-12-22 (Azure 2026-01-27: the same)
    ],
)
def test_several_calls_in_one_chat_message_bill_as_one_parallel_call(
    model: str, case: str, strict: bool, billed: tuple[int, int]
) -> None:
    """Public bills (ruby_llm, mirascope): the calls are one message to
    ``multi_tool_use.parallel`` and their results one message from it, a JSON list; the round
    trip costs what the bills add to the turn before it (whose own estimate is exact except for
    the dice requests' developer message, +2 on gpt-4.1-nano and +1 on gpt-5-nano)."""
    before, after = (estimate_request(model=model, **r) for r in _parallel_turns(case, strict))
    assert after.input_tokens - before.input_tokens == billed[1] - billed[0]
    if case != "dice":
        assert (before.input_tokens, after.input_tokens) == billed
    assert not after.exact
    assert after.lower <= billed[1] <= after.upper


def test_arguments_that_are_not_json_stay_a_string_in_the_parallel_call() -> None:
    """The parallel call holds each call's parsed arguments; text that is not JSON is kept as
    a JSON string (escaped), so the estimate moves by exactly the rendered bodies' tokens."""
    _, request = _parallel_turns("dice", strict=False)

    def with_arguments(arguments: str) -> int:
        message = request["messages"][2]
        calls = [
            {**c, "function": {**c["function"], "arguments": arguments}}
            for c in message["tool_calls"]
        ]
        messages = [
            *request["messages"][:2],
            {**message, "tool_calls": calls},
            *request["messages"][3:],
        ]
        return estimate_request(model="gpt-4o", **{**request, "messages": messages}).input_tokens

    def body(arguments: str) -> int:
        return count_tokens(parallel_call_text([("dice_roll", arguments)] * 3))

    assert with_arguments('not "json"') - with_arguments("{}") == body('not "json"') - body("{}")


@pytest.mark.parametrize(
    ("model", "items", "billed"),
    [
        # StrongMind/ruby_llm_community ..._can_handle_multiple_tool_calls_in_a_single_response
        # .yml (Responses, 2025-08-25): 66 before the three calls
        ("gpt-4.1-nano", "dice", 135),
        # Mirascope test_call_with_tools/openai_gpt_4o_responses/sync.yaml (2025-10, 2026-01)
        ("gpt-4o", "secrets", 136),
        # StrongMind/ruby_llm_community ..._can_use_parallel_tool_calls.yml (2025-11-04)
        ("gpt-4.1-nano", "two functions", 183),
    ],
)
def test_several_function_call_items_on_responses_are_each_a_message(
    model: str, items: str, billed: int
) -> None:
    """Responses bills several ``function_call`` items as separate messages (no parallel
    wrapper, "°" as is): the three public bills equal that rendering."""
    specs, first, calls = _PARALLEL[items]
    outputs = ["{:roll=>1}", "{:roll=>2}", "{:roll=>3}"] if items == "dice" else None
    request = {
        "input": [
            *first,
            *[
                {"type": "function_call", "call_id": f"c{n}", "name": name, "arguments": args}
                for n, (name, args, _) in enumerate(calls)
            ],
            *[
                {
                    "type": "function_call_output",
                    "call_id": f"c{n}",
                    "output": outputs[n] if outputs else result,
                }
                for n, (_, _, result) in enumerate(calls)
            ],
        ],
        "tools": [{"type": "function", **s} for s in specs],
    }
    if items == "two functions":  # ruby_llm's schemas carry these
        request["tools"] = [
            {**t, "parameters": {**t["parameters"], **_STRICT}} for t in request["tools"]
        ]
    if items == "secrets":  # mirascope sends developer messages and compact arguments here
        request["input"][0] = {"role": "developer", "content": first[0]["content"]}
        for item in request["input"][2:4]:
            item["arguments"] = item["arguments"].replace(": ", ":")
    assert estimate_request(api="responses", model=model, **request).input_tokens == billed


def _posts(*titles: tuple[str, int], page: str) -> str:
    listed = ", ".join(f'{{:title=>"{title}", :score=>{score}}}' for title, score in titles)
    return (
        f'{{:posts=>[{listed}], :next_page=>"{page}", '
        ':message=>"More posts are available using the next_page token."}'
    )


def test_quoted_results_of_parallel_calls_are_escaped_in_their_list() -> None:
    """crmne/ruby_llm spec/fixtures/vcr_cassettes/chat_function_calling_gpt-4_1-nano_can_use_
    tools_with_a_tool_completions_limit.yml (gpt-4.1-nano, 2025-04-24): two calls per turn whose
    results are Ruby hashes full of quotes; the three requests bill 116, 328 and 528, exactly the
    estimates (each call and result its own message: 27 and 24 under the round trips)."""
    looping = {
        "name": "looping_answer",
        "description": "Fetches posts from the r/RandomNames Reddit community.",
        "parameters": {"type": "object", "properties": {}, "required": []},
    }
    tools = [{"type": "function", "function": f} for f in (looping, _WEATHER)]
    pages = [
        (
            _posts(
                ("Ayanna Kutch", 828),
                ("Jaclyn Huel Ret.", 116),
                ("Vincenzo Stoltenberg Ret.", 452),
                page="t3_abc123_754",
            ),
            _posts(
                ("Sherrie Dickinson", 310),
                ("Ezra Gorczany Esq.", 897),
                ("Kathryne Lockman", 252),
                page="t3_abc123_507",
            ),
        ),
        (
            _posts(
                ("Louis Hansen", 809),
                ("Sen. Douglas Stiedemann", 640),
                ("Fr. Isaias Parker", 817),
                page="t3_abc123_679",
            ),
            _posts(
                ("Emerita Toy", 302),
                ("Thomas Effertz", 168),
                ("Shasta Hayes", 720),
                page="t3_abc123_25",
            ),
        ),
    ]
    messages: list[dict[str, Any]] = [
        {
            "role": "user",
            "content": "Fetch all of the posts from r/RandomNames. Fetch the "
            "next_page listed in the response until it responds with an empty array",
        }
    ]
    estimates = []
    for turn in range(3):
        request = {"messages": list(messages), "tools": tools, "tool_choice": "auto"}
        estimates.append(estimate_request(model="gpt-4.1-nano", **request).input_tokens)
        if turn < len(pages):
            call = {"type": "function", "function": {"name": "looping_answer", "arguments": "{}"}}
            ids = [f"t{turn}a", f"t{turn}b"]
            messages.append({"role": "assistant", "tool_calls": [{"id": i, **call} for i in ids]})
            messages += [
                {"role": "tool", "tool_call_id": i, "content": page}
                for i, page in zip(ids, pages[turn], strict=True)
            ]
    assert estimates == [116, 328, 528]
