"""PURE: function tools and response formats as the model reads them.

The API does not bill a tool's JSON: it renders function tools as a TypeScript-like
``functions`` namespace inside the system (or developer) message, and a ``json_schema``
response format as a ``# Response Formats`` section. OpenAI published this renderer for its
open-weight models (openai/harmony); the rules here follow it where real bills agree
(``benchmarks/calibrate.py`` checks them) and name the dialect that differs.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "CUSTOM_TOOL",
    "TOOL_DIALECTS",
    "CustomToolRule",
    "ToolDialect",
    "custom_tool_function",
    "custom_tool_grammar",
    "forced_function",
    "parallel_call_text",
    "parallel_results_text",
    "render_functions",
    "render_response_format",
]


@dataclass(frozen=True, slots=True)
class ToolDialect:
    """How one generation of models renders function tools and replayed tool turns (a dated
    data row)."""

    name: str
    schema_comments: bool
    """``title`` and object-level ``description`` keywords become ``//`` comments (the
    property's own description is rendered in every dialect)."""
    split_description: bool
    """Each line of a multi-line function description is its own ``//`` comment."""
    forced_choice: int | None
    """Tokens a forced ``tool_choice`` (one named function) adds besides the name's tokens:
    the reply is primed as a call to that function. ``None``: forcing adds nothing to the
    prompt (it constrains decoding instead)."""
    none_choice: int
    """Tokens ``tool_choice="none"`` adds (the prompt says tools may not be called)."""
    nested_comments: bool
    """A nested object's properties carry their comments (else only the function's own
    properties do)."""
    nested_indent: int
    """Spaces each level of object nesting indents a nested object's properties by."""
    generic_arrays: bool
    """An array of objects is ``Array<`` the object ``>`` (else the object then ``[]``)."""
    source: str
    as_of: date
    channel_header: int = 0
    """Tokens a channel header adds to every replayed assistant message, tool call and tool
    result (harmony's ``<|channel|>final`` / ``<|channel|>commentary``); 0: no channels."""
    call_constraint: int = 0
    """Tokens a replayed tool call's ``<|constrain|>json`` adds (harmony); 0: none."""
    ascii_results: bool = True
    """Whether the JSON list of a parallel call's results escapes non-ASCII text
    (``\\u00b0``, Python's ``json.dumps`` default; see ``parallel_results_text``)."""


TOOL_DIALECTS: Mapping[str, ToolDialect] = {
    "2023": ToolDialect(
        "2023",
        schema_comments=False,
        split_description=True,
        forced_choice=4,
        none_choice=1,
        nested_comments=False,
        nested_indent=2,
        generic_arrays=False,
        source=(
            "gpt-4 (0613) Chat bills in real-usage/tools_and_formats.jsonl (mirascope, 6 "
            "bills 2025-09, exact without titles or object descriptions; a $defs array of "
            "objects, 2025-09, exact with the $ref expanded and the definition's property "
            "descriptions left out); the renderer hmarr/openai-chat-tokens reverse-engineered "
            "in 2023 for this snapshot generation, its test bills on gpt-3.5-turbo (0613): a "
            "nested object's properties indented 2 spaces a level, an array of objects as the "
            "object then [] (68 and 106 tokens), a forced function 4 + its name's tokens, "
            "tool_choice none 1"
        ),
        as_of=date(2025, 9, 11),
    ),
    "2024": ToolDialect(
        "2024",
        schema_comments=True,
        split_description=False,
        forced_choice=7,
        none_choice=1,
        nested_comments=True,
        nested_indent=0,
        generic_arrays=True,
        source=(
            "real-usage/tools_and_formats.jsonl: property titles (magentic gpt-4o 2024-11, "
            "openinference gpt-3.5-turbo 2024-08 and 2026-02, crewAI gpt-4-0125-preview), "
            "object descriptions and titles (mirascope, openinference gpt-4o/-mini 2025-2026), "
            "forced tool_choice = 7 + the name's tokens (6 bills, 2024-08 to 2024-11); "
            "tool_choice none = 1 (gpt-4.1-nano 2026-01, as hmarr/openai-chat-tokens found)"
        ),
        as_of=date(2026, 4, 8),
    ),
    "2025": ToolDialect(
        "2025",
        schema_comments=True,
        split_description=False,
        forced_choice=None,
        none_choice=0,
        nested_comments=True,
        nested_indent=0,
        generic_arrays=True,
        source=(
            "real-usage/tools_and_formats.jsonl: gpt-5-mini forcing a function (mirascope, "
            "Chat and Responses, 2025-12) bills what the same request costs unforced, "
            "gpt-5-nano with tool_choice none (Responses 2026-06/08) too; "
            "otherwise as the 2024 dialect (gpt-5-nano, gpt-5.4 bills 2026); replayed turns "
            "in openai/harmony's format (docs/format.md): an assistant message carries "
            "<|channel|>final (+2), a call <|channel|>commentary and <|constrain|>json (+4), "
            "a result <|channel|>commentary (+2): gpt-5-nano Responses round trips "
            "(ruby_llm 2026-08, 3 bills) and user/assistant/user PDF turns (2026-01 to "
            "2026-08, 4 bills) bill exactly that much above the channel-less rendering"
        ),
        as_of=date(2026, 8, 19),
        channel_header=2,
        call_constraint=2,
        ascii_results=False,
    ),
}
"""Tool rendering per model generation; ``ModelRule.tool_dialect`` picks the row."""


@dataclass(frozen=True, slots=True)
class CustomToolRule:
    """How a ``custom`` (free-form input) tool is counted (a dated data row).

    No published renderer covers custom tools (openai/harmony renders JSON-schema functions
    only), so the rule is stated from bills: the tool joins the ``functions`` namespace as a
    function without parameters (harmony's ``type name = () => any;``), its grammar's
    ``definition`` is read as text with the common indentation and the surrounding blank lines
    removed, and each custom tool adds ``per_tool`` tokens besides (its undocumented
    instructions)."""

    per_tool: int
    verified_syntaxes: tuple[str, ...]
    """Grammar syntaxes whose tools bills back; any other custom tool (``regex``, a ``text``
    format, no format) is counted the same way but unverified."""
    source: str
    as_of: date


CUSTOM_TOOL = CustomToolRule(
    per_tool=59,
    verified_syntaxes=("lark",),
    source=(
        "real-usage/tools_and_formats.jsonl: one lark-grammar custom tool (dd-trace-py "
        "math_exp) on gpt-5, Chat 2025-08-20 (241) and Responses 2025-08-21 (159): both bills "
        "agree once the definition is dedented (54 tokens; 56 and 66 as sent, so it is not "
        "read verbatim), Chat adding the gpt-5 tool preamble as function tools do; 59 is "
        "what remains (one tool: per tool or per request is not known)"
    ),
    as_of=date(2025, 8, 21),
)
"""The custom tool rule (``_estimate`` counts a ``custom`` tool with it)."""


def custom_tool_function(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A ``custom`` tool (Chat nests it under ``custom``) as the function entry it renders as.

    >>> custom_tool_function({"type": "custom", "name": "f", "description": "Does f."})
    {'name': 'f', 'description': 'Does f.'}
    """
    spec = _custom_spec(tool)
    return {"name": spec.get("name"), "description": spec.get("description")}


def custom_tool_grammar(tool: Mapping[str, Any]) -> tuple[str | None, str]:
    """(syntax, definition as read) of a ``custom`` tool's grammar; ``(None, "")`` without one.

    >>> custom_tool_grammar({"type": "custom", "name": "f", "format": {"type": "grammar",
    ...     "syntax": "lark", "definition": "\\n    start: x\\n    x: \\"a\\"\\n    "}})
    ('lark', 'start: x\\nx: "a"')
    """
    fmt = _custom_spec(tool).get("format")
    if not isinstance(fmt, Mapping) or fmt.get("type") != "grammar":
        return None, ""
    grammar = fmt.get("grammar", fmt)
    if not isinstance(grammar, Mapping):
        return None, ""
    syntax, definition = grammar.get("syntax"), grammar.get("definition")
    text = textwrap.dedent(definition).strip() if isinstance(definition, str) else ""
    return (syntax if isinstance(syntax, str) else None), text


def _custom_spec(tool: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = tool.get("custom")
    return inner if isinstance(inner, Mapping) else tool


def forced_function(tool_choice: object) -> str | None:
    """The function name a ``tool_choice`` forces (Chat ``{"type": "function", "function":
    {"name": ...}}`` or Responses ``{"type": "function", "name": ...}``), else ``None``.

    >>> forced_function({"type": "function", "function": {"name": "f"}}), forced_function("auto")
    ('f', None)
    """
    if not isinstance(tool_choice, Mapping) or tool_choice.get("type") != "function":
        return None
    inner = tool_choice.get("function")
    name = (inner if isinstance(inner, Mapping) else tool_choice).get("name")
    return name if isinstance(name, str) else None


def render_functions(functions: Sequence[Mapping[str, Any]], dialect: str = "2024") -> str:
    """Function tools as the model reads them: a TypeScript-like ``functions`` namespace.

    >>> print(render_functions([{"name": "f", "description": "Does f.",
    ...     "parameters": {"type": "object", "properties": {"x": {"type": "integer",
    ...     "title": "X"}, "tags": {"type": "array", "items": {"type": "string"}}},
    ...     "required": ["x"]}}]))
    # Tools
    <BLANKLINE>
    ## functions
    <BLANKLINE>
    namespace functions {
    <BLANKLINE>
    // Does f.
    type f = (_: {
    // X
    x: number,
    tags?: string[],
    }) => any;
    <BLANKLINE>
    } // namespace functions
    """
    row = TOOL_DIALECTS[dialect]
    lines = ["# Tools", "", "## functions", "", "namespace functions {", ""]
    for spec in functions:
        description = spec.get("description")
        if isinstance(description, str) and description:
            parts = description.split("\n") if row.split_description else [description]
            lines.extend(f"// {part}" for part in parts)
        parameters = spec.get("parameters")
        name = spec.get("name")
        if isinstance(parameters, Mapping) and _properties(parameters):
            schema = _Schema(parameters, row)
            lines.append(f"type {name} = (_: {schema.object(parameters, top=True)}) => any;")
        else:
            lines.append(f"type {name} = () => any;")
        lines.append("")
    lines.append("} // namespace functions")
    return "\n".join(lines)


PARALLEL_RECIPIENT = "multi_tool_use.parallel"
"""The tool that several function calls in one Chat assistant message are replayed as."""


def parallel_call_text(calls: Sequence[tuple[str, object]]) -> str:
    """The body of the one ``multi_tool_use.parallel`` call that several function calls of one
    Chat assistant message are replayed as: compact JSON of ``tool_uses``, each call's
    ``recipient_name`` (``functions.NAME``) and its parsed ``parameters``.

    Public bills (ruby_llm, mirascope; gpt-4.1-nano, gpt-4o, gpt-4o-mini, gpt-5-nano,
    gpt-5-mini, 2025-08 to 2026-04) bill exactly this; on gpt-4.1-nano and gpt-4o the calls'
    own completions are this body plus 10 tokens (the model emits it).

    >>> parallel_call_text([("f", '{"a": 1}')])
    '{"tool_uses":[{"recipient_name":"functions.f","parameters":{"a":1}}]}'
    """
    try:
        return _tool_uses(calls, _parsed)
    except RecursionError:  # arguments nested too deep to re-serialize: kept as text
        return _tool_uses(calls, lambda arguments: arguments)


def _tool_uses(calls: Sequence[tuple[str, object]], parameters: Callable[[object], object]) -> str:
    uses = [
        {"recipient_name": f"functions.{name}", "parameters": parameters(arguments)}
        for name, arguments in calls
    ]
    return _json({"tool_uses": uses}, separators=(",", ":"), ensure_ascii=False)


def parallel_results_text(outputs: Sequence[str], *, ascii_only: bool) -> str:
    """The content of the one message from ``multi_tool_use.parallel`` that the results of a
    parallel call are replayed as: the outputs as a JSON list (``json.dumps`` spacing;
    non-ASCII escaped where the dialect's ``ascii_results`` says so).

    >>> parallel_results_text(["15°C", "Ruby"], ascii_only=True)
    '["15\\\\u00b0C", "Ruby"]'
    """
    return _json(list(outputs), ensure_ascii=ascii_only)


def _parsed(arguments: object) -> object:
    """A call's arguments as the API re-serializes them: parsed when they are JSON text."""
    if not isinstance(arguments, str):
        return arguments
    try:
        return json.loads(arguments)
    except (ValueError, RecursionError):
        return arguments


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def _json(value: object, **kwargs: Any) -> str:
    """JSON text of a value from a request (a non-JSON value, e.g. a date, as its ``str``)."""
    return json.dumps(value, default=str, **kwargs)


def _default(prop: Mapping[str, Any]) -> str:
    """A default as harmony shows it: JSON, except a string among enum values is bare."""
    value = prop["default"]
    return value if isinstance(value, str) and "enum" in prop else _json(value)


_MAX_DEPTH = 32
"""Nesting rendered in full; deeper schemas render as ``any`` (bounded time and stack)."""
_MAX_EXPANSIONS = 1000
"""``$ref`` expansions per function; beyond, a ref renders as ``any`` (a schema whose
definitions each refer to others twice would otherwise grow exponentially)."""


_SCALARS: Mapping[str, str] = {
    "string": "string",
    "number": "number",
    "integer": "number",
    "boolean": "boolean",
    "null": "null",
}


class _Schema:
    """Renders one function's parameters: resolves ``$ref`` into its ``$defs`` (a ref
    already being expanded, a cycle, stays ``any``)."""

    def __init__(self, root: Mapping[str, Any], dialect: ToolDialect) -> None:
        defs = root.get("$defs", root.get("definitions"))
        self.defs: Mapping[str, Any] = defs if isinstance(defs, Mapping) else {}
        self.comments = dialect.schema_comments
        self.dialect = dialect
        self.level = 0  # objects open around the properties being rendered
        self.expanding: list[str] = []
        self.expansions = 0
        self.depth = 0

    def object(self, schema: Mapping[str, Any], *, top: bool) -> str:
        """``{`` one line per property ``}``; the object's own title/description above it
        unless it is a property (whose comments were rendered with its key)."""
        lines = list(self._comments(schema, own=True)) if top else []
        lines.append("{")
        required = schema.get("required")
        needed = set(required) if isinstance(required, list | tuple) else set()
        margin = " " * (self.dialect.nested_indent * self.level)
        self.level += 1
        try:
            for key, raw in _properties(schema).items():
                with self._resolved(raw) as prop:
                    if self.level == 1 or self.dialect.nested_comments:
                        lines.extend(margin + c for c in self._comments(prop, own=False))
                    optional = "" if key in needed else "?"
                    line = f"{margin}{key}{optional}: {self.type(prop)},"
                    if "default" in prop:
                        line += f" // default: {_default(prop)}"
                    lines.append(line)
        finally:
            self.level -= 1
        lines.append("}")
        return "\n".join(lines)

    def type(self, prop: Mapping[str, Any]) -> str:
        """The TypeScript type of one schema (``any`` past ``_MAX_DEPTH`` levels)."""
        if self.depth >= _MAX_DEPTH:
            return "any"
        self.depth += 1
        try:
            with self._resolved(prop) as schema:
                return self._type(schema)
        finally:
            self.depth -= 1

    def _type(self, schema: Mapping[str, Any]) -> str:
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return " | ".join(_json(v) for v in enum)
        for union in ("anyOf", "oneOf"):
            variants = schema.get(union)
            if isinstance(variants, list):
                return " | ".join(self.type(v) for v in variants if isinstance(v, Mapping))
        kind = schema.get("type")
        if isinstance(kind, list):
            return " | ".join(_SCALARS.get(str(k), "any") for k in kind)
        if kind == "array":
            items = schema.get("items")
            return self._array(items) if isinstance(items, Mapping) else "any[]"
        if kind == "object" and _properties(schema):
            return self.object(schema, top=False)
        return _SCALARS.get(str(kind), "any")

    def _array(self, items: Mapping[str, Any]) -> str:
        with self._resolved(items) as item:
            if item.get("type") == "object" and _properties(item) and self.dialect.generic_arrays:
                return f"Array<\n{self.object(item, top=True)}\n>"
            return f"{self._type(item)}[]"

    def _comments(self, schema: Mapping[str, Any], *, own: bool) -> Iterator[str]:
        """A schema's title (when the dialect shows titles) and description as comments;
        a blank comment line separates the two. ``own``: an object's own keywords, shown
        only in dialects with schema comments."""
        title = schema.get("title") if self.comments else None
        description = schema.get("description") if self.comments or not own else None
        if isinstance(title, str) and title:
            yield f"// {title}"
            if isinstance(description, str) and description:
                yield "//"
        if isinstance(description, str) and description:
            yield f"// {description}"

    def _resolved(self, schema: Mapping[str, Any]) -> _Expansion:
        return _Expansion(self, schema)


class _Expansion:
    """Context manager: ``schema`` with its ``$ref`` replaced by the definition it names
    (the ref's own sibling keywords win), tracked so a recursive ref is not expanded twice."""

    def __init__(self, owner: _Schema, schema: Mapping[str, Any]) -> None:
        self.owner = owner
        self.schema = schema if isinstance(schema, Mapping) else {}
        self.name: str | None = None

    def __enter__(self) -> Mapping[str, Any]:
        ref = self.schema.get("$ref")
        if not isinstance(ref, str):
            return self.schema
        name = ref.rsplit("/", 1)[-1]
        target = self.owner.defs.get(name)
        owner = self.owner
        if (
            not isinstance(target, Mapping)
            or name in owner.expanding
            or owner.expansions >= _MAX_EXPANSIONS
        ):
            return {k: v for k, v in self.schema.items() if k != "$ref"}
        owner.expansions += 1
        self.name = name
        self.owner.expanding.append(name)
        return {**target, **{k: v for k, v in self.schema.items() if k != "$ref"}}

    def __exit__(self, *exc: object) -> None:
        if self.name is not None:
            self.owner.expanding.pop()


_SCHEMA_KEYS_NOT_RENDERED = frozenset({"required", "additionalProperties", "$schema"})
"""Schema keywords the rendered format leaves out (they steer decoding, not the prompt)."""


def render_response_format(spec: Mapping[str, Any]) -> str:
    """A ``json_schema`` response format as the model reads it: a ``# Response Formats``
    section with the format's name, then its schema as compact JSON without ``required``,
    ``additionalProperties`` and ``$schema``.

    >>> print(render_response_format({"name": "r", "schema": {"type": "object",
    ...     "properties": {"x": {"type": "string"}}, "required": ["x"],
    ...     "additionalProperties": False}}))
    # Response Formats
    <BLANKLINE>
    ## r
    <BLANKLINE>
    {"type":"object","properties":{"x":{"type":"string"}}}
    """
    lines = ["# Response Formats", "", f"## {spec.get('name', '')}", ""]
    description = spec.get("description")
    if isinstance(description, str) and description:
        lines.append(f"// {description}")
    schema = spec.get("schema")
    if isinstance(schema, Mapping):
        lines.append(_json(_without(schema, _SCHEMA_KEYS_NOT_RENDERED), separators=(",", ":")))
    return "\n".join(lines)


def _without(value: Any, keys: frozenset[str], depth: int = 0) -> Any:
    """``value`` without ``keys`` at any level; past ``_MAX_DEPTH`` levels, ``"..."`` (the API
    refuses such schemas anyway: Structured Outputs allows 10 levels)."""
    if depth >= _MAX_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        return {k: _without(v, keys, depth + 1) for k, v in value.items() if k not in keys}
    if isinstance(value, list | tuple):
        return [_without(v, keys, depth + 1) for v in value]
    return value
