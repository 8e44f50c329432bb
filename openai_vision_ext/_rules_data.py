"""DATA: image token rules per model, one dated row each, with where the numbers come from.

Rows are looked up by exact name, then with a dated snapshot suffix removed
(``gpt-4o-2024-08-06`` -> ``gpt-4o``), then by the longest ``-``-bounded prefix
(``gpt-4o-mini-search-preview`` -> ``gpt-4o-mini``). Real billed usage
(``real-usage/observations.jsonl``, checked by ``benchmarks/calibrate.py``) overrides the guide
wherever they disagree; the ``source`` of each row says which one a number rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Literal, TypeAlias

__all__ = [
    "RULES",
    "RULE_PERIODS",
    "TEXT_RULES",
    "Family",
    "ModelRule",
    "PatchLimit",
    "SizedDetail",
    "TextRule",
]

Family: TypeAlias = Literal["tile", "patch"]
SizedDetail: TypeAlias = Literal["low", "high", "original"]
"""The details that have their own sizing; ``auto`` maps to one of them per rule."""


@dataclass(frozen=True, slots=True)
class PatchLimit:
    """How large an image may be at one detail for a patch model."""

    max_patches: int | None
    """At most this many 32 px patches; larger images are shrunk to fit (the guide's patch
    budget). ``None``: no budget at this detail (the size is kept, see ``reject_over_patches``)."""
    max_side: int | None = None
    """Longest side in pixels after resizing (the image is first fit inside a square of this
    side, keeping its aspect), when the detail has one."""


@dataclass(frozen=True, slots=True)
class ModelRule:
    """How one model (family of model ids) turns an image into input tokens."""

    name: str
    """Row key: a model id or the prefix it covers, e.g. ``gpt-4o``."""
    family: Family
    """``tile``: base + per-tile (512 px tiles). ``patch``: 32 px patches x multiplier."""
    source: str
    """Where the numbers come from (guide version, billed usage, ...)."""
    as_of: date
    """Date the source was read or the bills were recorded."""
    base_tokens: int = 0
    """Tile family: tokens for every image (all of ``low``)."""
    tile_tokens: int = 0
    """Tile family: tokens per 512 px tile at ``high``."""
    multiplier: Fraction = Fraction(1)
    """Patch family: tokens = round_up_or_down(patches x multiplier) + ``image_overhead``."""
    rounding: Literal["ceil", "floor"] = "ceil"
    """Patch family: how ``patches x multiplier`` is rounded to whole tokens."""
    image_overhead: int = 0
    """Tokens added per image on top of the tile or patch tokens (negative: fewer)."""
    patch_limits: tuple[tuple[SizedDetail, PatchLimit], ...] = ()
    """Patch family: the limit per detail; a detail not listed uses ``high``'s."""
    auto: SizedDetail = "high"
    """What ``detail="auto"`` bills as."""
    reject_over_patches: int | None = None
    """The API rejects (HTTP 400, instead of shrinking) an image that still needs more patches
    than this after sizing (guide V5+: 30,000). Preflight reports it as a violation."""
    unsupported: tuple[SizedDetail, ...] = ()
    """Details the model does not accept (guide V6: ``original`` on gpt-5.2 and gpt-4.1-mini):
    preflight reports them as a violation."""
    encoding: Literal["o200k_base", "cl100k_base"] = "o200k_base"
    """Tokenizer for the model's text."""
    reasoning: bool = False
    """Reasoning model (o-series, gpt-5 family): the Responses API frames its input differently."""
    chat_tool_preamble: int = 0
    """Tokens a Chat Completions request with function tools adds on this model besides the
    rendered namespace (the gpt-5 family: 81; o-series and gpt-4 family: 0)."""
    tool_dialect: str = "2024"
    """How this model renders function tools (a row of ``_render.TOOL_DIALECTS``)."""
    tools_joining: tuple[tuple[str, int], ...] = ()
    """Per role of the message function tools join (``system``, ``developer``): the
    tokens they add on this model (besides the blank line before them) instead of the API's
    ``Framing.tools_in_system``."""
    notes: tuple[str, ...] = field(default=())
    """Open questions about this row (unverified details, assumptions)."""
    since: str = ""
    """ISO date from which the row describes the API (``""``: from the start). A model whose
    rule changed has a row per period: a bill is estimated with the row in force on its date
    (``get_model_rule(model, as_of=...)``), a request without a date with the newest."""

    @property
    def verified(self) -> bool:
        """Real bills back this row: its ``source`` cites the billed-usage file; else its
        numbers are the guide's, unverified.

        >>> RULES["gpt-4o"].verified, RULES["o3"].verified
        (True, False)
        """
        return _BILLS in self.source

    def patch_limit(self, detail: SizedDetail) -> PatchLimit:
        """The patch limit at ``detail`` (``high``'s when the detail has none of its own)."""
        limits = dict(self.patch_limits)
        return limits.get(detail) or limits["high"]

    @property
    def details(self) -> tuple[SizedDetail, ...]:
        """The details this model accepts (``auto`` maps to one of them, see ``auto``)."""
        return tuple(d for d in ("low", "high", "original") if d not in self.unsupported)


_GUIDE_2025 = "OpenAI 'Images and vision' guide, 2025 versions"
_GUIDE_2026 = "OpenAI 'Images and vision' guide, Sept-Nov 2026 copies ('model sizing behavior')"
_BILLED = "billed usage in real-usage"
_BILLS = f"{_BILLED}/observations.jsonl"
_NOT_BILLED = "no billed image in real-usage yet: guide numbers, unverified"

_D2025 = date(2025, 6, 1)
_D2026 = date(2026, 11, 1)

_V6 = "OpenAI 'Images and vision' guide V6 (Nov 2026), 'model sizing behavior' table"
_Limits: TypeAlias = tuple[tuple[SizedDetail, PatchLimit], ...]

_PATCH_1536: _Limits = (("high", PatchLimit(1536, max_side=2048)),)
"""Deprecated 1,536-patch models (last documented in V3): 2048 px and 1,536 patches."""
_PATCH_6144: _Limits = (("high", PatchLimit(6144, max_side=2048)),)
"""gpt-5.2 (V4-V6) and, since V4, gpt-4.1-mini: 2048 px and 6,144 patches at every detail."""
_PATCH_GPT54: _Limits = (
    ("low", PatchLimit(6144, max_side=2048)),
    ("high", PatchLimit(2500, max_side=2048)),
    ("original", PatchLimit(10_000, max_side=6000)),
)
"""gpt-5.4 family (V6): low 2048 px and 6,144 patches (can cost more than high)."""
_PATCH_GPT55: _Limits = (
    ("low", PatchLimit(None, max_side=512)),
    ("high", PatchLimit(2500, max_side=2048)),
    ("original", PatchLimit(10_000, max_side=6000)),
)
"""gpt-5.5 (V6): low fits 512x512; high as gpt-5.4; original 6000 px and 10,000 patches."""
_PATCH_GPT56: _Limits = (
    ("low", PatchLimit(None, max_side=512)),
    ("high", PatchLimit(2500, max_side=2048)),
    ("original", PatchLimit(None, max_side=65_535)),
)
"""gpt-5.6 family (V6): low 512x512, high 2048 px and 2,500 patches, original keeps the size."""
_PATCH_GPT6_ASTRA: _Limits = (
    ("low", PatchLimit(None, max_side=512)),
    ("high", PatchLimit(2500, max_side=65_535)),
    ("original", PatchLimit(None, max_side=65_535)),
)
"""gpt-6-astra (V6): high keeps up to 65,535 px a side within 2,500 patches."""
_REJECT_V5 = 30_000
"""Guide V5+: an image above 30,000 patches after sizing is rejected (HTTP 400)."""

_LOW_UNVERIFIED = "detail='low' has no billed example: estimated with the high limit"
_GPT41_MINI_1536 = (
    "budget 1,536 rests on 2025 bills (2400x1800 billed 1452 x 1.62 + framing; 4000x1474 billed "
    "1536 x 1.62 + framing); in force until guide V4 (Sept 2026) gave 6,144 (the next row)"
)
_GPT41_MINI_V4 = "2026-09-01"
"""Guide V4 (the first copy read is of Sept 2026; the day of the change is not known) lists
gpt-4.1-mini with gpt-5.2: 2048 px and 6,144 patches at every detail."""
_GPT41_MINI_6144 = (
    f"{_V6} (gpt-4.1-mini with gpt-5.2: 2048 px and 6,144 patches at every detail, since guide "
    "V4, Sept 2026; original not supported); multiplier 1.62, floor and +2 per image as the "
    "2025 bills of the row before (assumed unchanged)"
)
_GPT41_MINI_NO_BILL = (
    "no bill since guide V4 (Sept 2026): budget 6,144 is the guide's, unverified; the 2025 bills "
    "fit 1,536 (the row before)"
)
_NO_BILL_V6 = f"{_NOT_BILLED} (guide V6 decides)"


def _tile(
    name: str,
    base: int,
    tile: int,
    source: str,
    as_of: date,
    *notes: str,
    reasoning: bool = False,
    encoding: Literal["o200k_base", "cl100k_base"] = "o200k_base",
    image_overhead: int = 0,
    chat_tool_preamble: int = 0,
    tool_dialect: str = "2024",
    tools_joining: tuple[tuple[str, int], ...] = (),
) -> ModelRule:
    return ModelRule(
        name=name,
        family="tile",
        image_overhead=image_overhead,
        chat_tool_preamble=chat_tool_preamble,
        tool_dialect=tool_dialect,
        tools_joining=tools_joining,
        source=source,
        as_of=as_of,
        base_tokens=base,
        tile_tokens=tile,
        reasoning=reasoning,
        encoding=encoding,
        notes=notes,
    )


def _patch(
    name: str,
    multiplier: str,
    source: str,
    as_of: date,
    *notes: str,
    limits: tuple[tuple[SizedDetail, PatchLimit], ...] = _PATCH_1536,
    auto: SizedDetail = "high",
    reject_over: int | None = None,
    unsupported: tuple[SizedDetail, ...] = (),
    reasoning: bool = True,
    chat_tool_preamble: int = 0,
    tool_dialect: str = "2024",
    tools_joining: tuple[tuple[str, int], ...] = (),
    rounding: Literal["ceil", "floor"] = "ceil",
    image_overhead: int = 0,
    since: str = "",
) -> ModelRule:
    return ModelRule(
        name=name,
        family="patch",
        since=since,
        source=source,
        as_of=as_of,
        multiplier=Fraction(multiplier),
        rounding=rounding,
        image_overhead=image_overhead,
        patch_limits=limits,
        auto=auto,
        reject_over_patches=reject_over,
        unsupported=unsupported,
        reasoning=reasoning,
        chat_tool_preamble=chat_tool_preamble,
        tool_dialect=tool_dialect,
        tools_joining=tools_joining,
        notes=notes,
    )


_GPT41_SMALL = (
    f"{_GUIDE_2025} (multiplier); {_BILLS} (floor and +2 per image: 640x480 on gpt-4.1-mini "
    "bills 488 = 300 x 1.62 + 2; 128x128 on gpt-4.1-nano bills 41 = floor(16 x 2.46) + 2)"
)
_CL100K = "tiktoken's model table maps gpt-4-* (non-4o) to cl100k_base"

_GPT4O_SYSTEM_TOOLS = (
    "function tools joining a system message bill 2 fewer than joining a developer message "
    "(real-usage/tools_and_formats.jsonl: 6 gpt-4o/-mini Chat bills with a system message, "
    "mirascope 2025-09, openinference 2025-12 to 2026-05; 4 gpt-4o-mini bills with a developer "
    "message, openinference 2025-09/10); gpt-4.1, gpt-4, gpt-3.5 rows show no such difference"
)
_GPT4O_TOOLS_JOINING = (("system", -1),)
_GPT5_TOOL_PREAMBLE = 81
_GPT5_TOOL_DIALECT = "2025"
_GPT5_TOOLS_JOINING = (("system", 2), ("developer", 3))
"""gpt-5 family: tools joining a system message add 2 besides the blank line before them
(free after final punctuation: the message is tokenized as one text), 1 fewer than opening a
message of their own: 12 Chat bills exact (gpt-5-nano 2026-02, whose system message ends in a
word; gpt-5-mini 2025-12 to 2026-01, ending in "."; 8 of them Azure or flagged); joining a
developer message adds 3 (one gpt-5-mini Responses bill, 2025-12)."""
"""gpt-5 family on Chat Completions: a request with function tools bills 81 tokens beyond the
rendered namespace (gpt-5-nano 2026-01/02, gpt-5.4 2026-03, gpt-5-mini 2025-12 bills in
real-usage/tools_and_formats.jsonl); o3-mini and the gpt-4 family add none; Responses adds none."""

_ROWS: tuple[ModelRule, ...] = (
    # --- tile family -------------------------------------------------------------------------
    _tile(
        "gpt-4o",
        85,
        170,
        f"{_GUIDE_2025}; {_BILLS}; {_GPT4O_SYSTEM_TOOLS}",
        date(2026, 5, 9),
        tools_joining=_GPT4O_TOOLS_JOINING,
    ),
    _tile("chatgpt-4o-latest", 85, 170, _GUIDE_2025, _D2025, _NOT_BILLED),
    _tile(
        "gpt-4o-mini",
        2833,
        5667,
        f"{_GUIDE_2025}; {_BILLS}; {_GPT4O_SYSTEM_TOOLS}",
        date(2026, 2, 25),
        tools_joining=_GPT4O_TOOLS_JOINING,
    ),
    _tile(
        "gpt-4.1",
        85,
        170,
        f"{_BILLS} (the 2025 guide listed gpt-4.1 as a patch model; bills fit 85/170)",
        date(2026, 2, 10),
    ),
    _tile("gpt-4.5", 85, 170, _GUIDE_2025, _D2025, _NOT_BILLED),
    _tile(
        "gpt-4-turbo",
        85,
        170,
        f"{_GUIDE_2025}; {_CL100K}",
        _D2025,
        _NOT_BILLED,
        encoding="cl100k_base",
    ),
    _tile(
        "gpt-4-vision-preview",
        85,
        170,
        f"{_GUIDE_2025}; {_BILLS}; {_CL100K}",
        date(2024, 7, 17),
        encoding="cl100k_base",
    ),
    _tile(
        "gpt-4-1106-vision-preview",
        85,
        170,
        f"{_GUIDE_2025}; {_CL100K}",
        _D2025,
        _NOT_BILLED,
        encoding="cl100k_base",
    ),
    _tile("o1", 75, 150, _GUIDE_2025, _D2025, _NOT_BILLED, reasoning=True),
    _tile("o3", 75, 150, _GUIDE_2025, _D2025, _NOT_BILLED, reasoning=True),
    _tile(
        "gpt-5",
        70,
        140,
        f"{_GUIDE_2025}; {_BILLS} (-1 per image: 640x480 billed 349 = 70 + 2 x 140 - 1 on "
        "2026-01-22, and issue 13's held-out bills show the same one-token excess)",
        date(2026, 1, 22),
        reasoning=True,
        image_overhead=-1,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _tile("gpt-5-chat", 70, 140, _GUIDE_2025, _D2025, _NOT_BILLED),
    _tile(
        "gpt-5.1",
        70,
        140,
        _GUIDE_2026,
        _D2026,
        _NOT_BILLED,
        reasoning=True,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _tile("computer-use-preview", 65, 129, _GUIDE_2025, _D2025, _NOT_BILLED),
    # --- patch family ------------------------------------------------------------------------
    _patch(
        "gpt-4.1-mini",
        "1.62",
        _GPT41_SMALL,
        date(2026, 1, 23),
        _GPT41_MINI_1536,
        unsupported=("original",),
        reasoning=False,
        rounding="floor",
        image_overhead=2,
    ),
    _patch(
        "gpt-4.1-mini",
        "1.62",
        _GPT41_MINI_6144,
        _D2026,
        _GPT41_MINI_NO_BILL,
        limits=_PATCH_6144,
        unsupported=("original",),
        reasoning=False,
        rounding="floor",
        image_overhead=2,
        since=_GPT41_MINI_V4,
    ),
    _patch(
        "gpt-4.1-nano",
        "2.46",
        _GPT41_SMALL,
        date(2026, 6, 12),
        _LOW_UNVERIFIED,
        reasoning=False,
        rounding="floor",
        image_overhead=2,
    ),
    _patch("o4-mini", "1.72", f"{_GUIDE_2025}; {_BILLS}", date(2026, 2, 12), _LOW_UNVERIFIED),
    _patch("codex-mini", "1.72", f"assumed equal to o4-mini ({_GUIDE_2025})", _D2025, _NOT_BILLED),
    _patch(
        "gpt-5-mini",
        "1.2",
        f"{_BILLS}; {_GUIDE_2026} (the guide said 1.62 until July 2026)",
        date(2026, 1, 30),
        _LOW_UNVERIFIED,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _patch(
        "gpt-5-nano",
        "1.5",
        f"{_BILLS}; {_GUIDE_2026} (the guide said 2.46 until July 2026)",
        date(2026, 8, 19),
        _LOW_UNVERIFIED,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _patch(
        "gpt-5.1-mini",
        "1.2",
        "assumed equal to gpt-5-mini (the SDK lists the id as not supported)",
        _D2026,
        _NOT_BILLED,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    # Guide V6 sizing table (Nov 2026); no bills yet, so the guide decides.
    _patch(
        "gpt-5.2",
        "1.2",
        _V6,
        _D2026,
        _NO_BILL_V6,
        limits=_PATCH_6144,
        unsupported=("original",),
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _patch(
        "gpt-5.3",
        "1.2",
        f"assumed as gpt-5.4 (not in the V6 table); {_V6}",
        _D2026,
        _NO_BILL_V6,
        limits=_PATCH_GPT54,
        reject_over=_REJECT_V5,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _patch(
        "gpt-5.4",
        "1.2",
        _V6,
        _D2026,
        _NO_BILL_V6,
        limits=_PATCH_GPT54,
        reject_over=_REJECT_V5,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _patch(
        "gpt-5.5",
        "1.2",
        _V6,
        _D2026,
        _NO_BILL_V6,
        limits=_PATCH_GPT55,
        auto="original",
        reject_over=_REJECT_V5,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _patch(
        "gpt-5.6",
        "1.2",
        _V6,
        _D2026,
        _NO_BILL_V6,
        limits=_PATCH_GPT56,
        auto="original",
        reject_over=_REJECT_V5,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    _patch(
        "gpt-6-astra",
        "1.2",
        _V6,
        _D2026,
        _NO_BILL_V6,
        limits=_PATCH_GPT6_ASTRA,
        auto="original",
        reject_over=_REJECT_V5,
        chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
        tool_dialect=_GPT5_TOOL_DIALECT,
        tools_joining=_GPT5_TOOLS_JOINING,
    ),
    *(
        _patch(
            name,
            "1.2",
            f"assumed as gpt-5.6 (not in the V6 table, which lists gpt-6-astra only); {_V6}",
            _D2026,
            _NO_BILL_V6,
            limits=_PATCH_GPT56,
            auto="original",
            reject_over=_REJECT_V5,
            chat_tool_preamble=_GPT5_TOOL_PREAMBLE,
            tool_dialect=_GPT5_TOOL_DIALECT,
            tools_joining=_GPT5_TOOLS_JOINING,
        )
        for name in ("gpt-6", "gpt-6.1", "gpt-6.2")
    ),
)

RULE_PERIODS: dict[str, tuple[ModelRule, ...]] = {
    name: tuple(sorted((row for row in _ROWS if row.name == name), key=lambda row: row.since))
    for name in dict.fromkeys(row.name for row in _ROWS)
}
"""Every built-in row by name, oldest first: more than one where the rule changed on a date."""

RULES: dict[str, ModelRule] = {name: rows[-1] for name, rows in RULE_PERIODS.items()}
"""The built-in rules by row name: the row in force now (the newest of ``RULE_PERIODS``)."""


@dataclass(frozen=True, slots=True)
class TextRule:
    """A model that takes text but has no image rule: how its text is tokenised and framed."""

    name: str
    """Row key: a model id or the prefix it covers (looked up like ``RULES``)."""
    encoding: Literal["o200k_base", "cl100k_base"]
    reasoning: bool
    """Reasoning model: frames its input as the reasoning rows of ``RULES`` do."""
    source: str
    as_of: date
    chat_tool_preamble: int = 0
    """As ``ModelRule.chat_tool_preamble``."""
    tool_dialect: str = "2024"
    """As ``ModelRule.tool_dialect``."""
    tools_joining: tuple[tuple[str, int], ...] = ()
    """As ``ModelRule.tools_joining``."""

    @property
    def verified(self) -> bool:
        """Real bills back this row (its ``source`` cites them)."""
        return _BILLED in self.source


_TIKTOKEN = "tiktoken's model table (encoding_for_model)"
_GPT4_PREVIEW = (
    f"{_TIKTOKEN}; tool bills in real-usage/tools_and_formats.jsonl render schema titles "
    "(the 2024 tool dialect), unlike gpt-4 (0613)"
)
_GPT35_SYSTEM_TOOLS = (
    "function tools joining a leading system message bill 2 fewer than the API's "
    "tools_in_system, as on gpt-4o: openinference's gpt-3.5-turbo bills of 2026-02 (2 "
    "requests) and hmarr/openai-chat-tokens' three gpt-3.5-turbo (0613) test bills of 2023 "
    "with a system message (35, 35, 40)"
)
_TEXT_ROWS: tuple[TextRule, ...] = (
    TextRule(
        "gpt-3.5",
        "cl100k_base",
        False,
        f"{_TIKTOKEN}; billed usage in real-usage; {_GPT35_SYSTEM_TOOLS}",
        _D2025,
        tools_joining=(("system", -1),),
    ),
    TextRule(
        "gpt-4",
        "cl100k_base",
        False,
        f"{_TIKTOKEN}; billed usage in real-usage",
        _D2025,
        tool_dialect="2023",
    ),
    TextRule(
        "gpt-4-0125",
        "cl100k_base",
        False,
        _GPT4_PREVIEW,
        date(2026, 1, 22),
    ),
    TextRule("gpt-4-1106", "cl100k_base", False, _GPT4_PREVIEW, date(2024, 11, 16)),
    TextRule("o1-mini", "o200k_base", True, _TIKTOKEN, _D2025),
    TextRule("o1-preview", "o200k_base", True, _TIKTOKEN, _D2025),
    TextRule("o3-mini", "o200k_base", True, f"{_TIKTOKEN}; billed usage in real-usage", _D2025),
)

TEXT_RULES: dict[str, TextRule] = {row.name: row for row in _TEXT_ROWS}
"""Text-only models (no image input): text needs no image rule. Image rows win over these."""
