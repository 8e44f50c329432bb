"""PURE: image token math (tile and patch families) and whole-request input estimates.

``estimate_with_infos`` is the core: it walks a Responses or Chat Completions request, prices
every image from its already-known size (``ImageInfo``), tokenises every text field offline,
and adds the per-request and per-message framing fitted to real bills
(``benchmarks/calibrate.py`` re-checks the fit). ``estimate_request`` inspects ``data:`` URL
images itself and calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ._dated import in_force
from ._error_bands import ERROR_BANDS, BandKey
from ._exceptions import InvalidRequestError, UnknownModelError
from ._image.images import is_data_url
from ._preflight import resolve_api
from ._prices import DEFAULT_PRICES, Cost, PriceTable, tier_for_service_tier
from ._records import maker
from ._redact import safe
from ._render import (
    CUSTOM_TOOL,
    PARALLEL_RECIPIENT,
    TOOL_DIALECTS,
    ToolDialect,
    custom_tool_function,
    custom_tool_grammar,
    forced_function,
    parallel_call_text,
    parallel_results_text,
    render_functions,
    render_response_format,
)
from ._rules import (
    get_model_rule,
    image_token_range,
    image_tokens,
    resize_for_rule,
    sized_detail,
    sizing_for_rule,
    text_rule,
)
from ._rules_data import ModelRule, SizedDetail, TextRule
from ._types import Api, Detail, ImageInfo
from ._usage import ABSURD_TOKENS, is_count
from ._walk import (
    FileRef,
    ImageRef,
    RequestParts,
    item_field_path,
    iter_file_refs,
    iter_image_refs,
    list_of,
    request_root,
    walk_request,
)

if TYPE_CHECKING:
    from ._file_rules import FileEstimate
    from ._files import FileInfo
    from ._text import EncodingName

__all__ = [
    "BUILTIN_TOOLS",
    "FRAMING",
    "REASONING_REPLAY",
    "BuiltinTool",
    "Framing",
    "ReasoningReplay",
    "ImageEstimate",
    "RequestEstimate",
    "estimate_image_tokens",
    "estimate_request",
    "estimate_with_infos",
    "render_functions",
    "render_response_format",
    "target_size",
]


@dataclass(frozen=True, slots=True)
class ImageEstimate:
    """The estimate for one image of a request."""

    index: int
    """0-based position among the request's images."""
    location: str
    """Path in the request, e.g. ``input[0].content[1]``."""
    source: Literal["data_url", "url", "file_id"]
    """How the image was given."""
    detail: str
    """``detail`` as sent (``auto`` when absent)."""
    width: int | None
    height: int | None
    mime: str | None
    n_bytes: int | None
    sha256: str | None
    tokens: int | None
    """Estimated input tokens for this image; ``None`` when its size is unknown (URL, file id)."""
    billed_detail: str | None = None
    """The detail the image is billed at (``auto`` resolved by the model's rule)."""
    original_width: int | None = None
    """Width of the image before ``image_part(..., optimize=True)``/``prepare_image`` changed it
    (as stored, before EXIF rotation); ``None`` when it was sent as given (or prepared in
    another process, or too long ago to be remembered). ``width``/``height``/``n_bytes``/
    ``mime`` above always describe what is sent."""
    original_height: int | None = None
    """Height before preparation; ``None`` as for ``original_width``."""
    original_n_bytes: int | None = None
    """Encoded size before preparation; ``None`` also for a prepared in-memory PIL image."""
    original_mime: str | None = None
    """MIME type before preparation (e.g. ``image/heif`` for a converted HEIC)."""
    prepared_actions: tuple[str, ...] = ()
    """What preparation did, in order (``resized``, ``converted``, ``oriented``,
    ``stripped_metadata``, ...); empty when the image was sent as given."""


@dataclass(frozen=True, slots=True)
class RequestEstimate:
    """Estimated input tokens of a whole request."""

    api: Api
    model: str
    """Model as requested."""
    rule: str
    """Name of the image rule row used (e.g. ``gpt-4o``)."""
    images: tuple[ImageEstimate, ...]
    image_tokens: int
    """Sum of known per-image estimates."""
    text_tokens: int
    """Text tokens plus per-request/per-message framing."""
    input_tokens: int
    """``image_tokens + text_tokens``: the whole billed input as estimated."""
    complete: bool
    """False when some image's tokens are unknown (then ``input_tokens`` is a lower bound)."""
    notes: tuple[str, ...] = ()
    """Caveats, e.g. tools or response formats whose framing is approximate."""
    exact: bool = True
    """True only when ``input_tokens`` is the bill as far as real bills show: every image's size
    is known, its image rule is verified by bills (``rule_verified``), and no part (tools,
    response format, replayed reasoning, unknown item types, server-side state, unverified
    file rows) is approximated or left out."""
    lower: int = 0
    """Least the input can be billed: the estimate plus, per image of unknown size, the fewest
    tokens its detail can cost on this model, plus the low end of each approximated rule's
    error band (``error_bands``), never below 0. Equals ``input_tokens`` when the estimate is
    exact."""
    upper: int | None = None
    """Most the input can be billed: the estimate plus, per image of unknown size, the most its
    detail can cost on this model, plus the high end of each approximated rule's error band;
    ``None`` when unbounded (a stored ``prompt``, ``previous_response_id`` or ``conversation``,
    hosted tool results, or a part counted by a rule with no measured band, see ``notes``)."""
    cost: Cost | None = None
    """Estimated USD: input at ``input_tokens`` and, when the request sets a maximum
    (``max_output_tokens``, ``max_completion_tokens``, ``max_tokens``), output at that maximum
    (an upper bound; 0 without one); priced at the request's ``service_tier`` (standard when
    unset). ``None`` when the model or tier has no published price."""
    cost_upper_usd: float | None = None
    """Most the request can cost: ``upper`` input tokens plus the maximum output; ``None``
    without ``upper``, a price, or an output maximum."""
    files: tuple[FileEstimate, ...] = ()
    """Each file part (``input_file``/``file``): kind, sha256, bytes, pages, text and page
    tokens, with its own ``lower``/``upper`` (included in the request's); never its content or
    name."""
    file_tokens: int = 0
    """Sum of the files' central estimates (included in ``input_tokens``)."""
    rule_verified: bool = True
    """Real bills back the image rule ``rule``; when not, its numbers are the guide's and a
    request with images is not ``exact`` (``lower``/``upper`` then assume the guide is right,
    since no bill measures how far it is off)."""
    error_bands: tuple[BandKey, ...] = ()
    """The approximated text rules applied, each key of ``ERROR_BANDS`` once however often the
    request uses it: a band is measured as the whole residual of every bill using its rule, so
    it is folded into ``lower``/``upper`` once per request."""


# --------------------------------------------------------------------------------------------
# Framing: fitted on real bills (real-usage/observations.jsonl, text_only_responses.jsonl).


@dataclass(frozen=True, slots=True)
class Framing:
    """Tokens an API adds around the text of a request (besides the text's own tokens)."""

    per_request: int
    """Added once (the primed reply)."""
    per_message: int
    """Added per message, besides its role name and content."""
    instructions: int
    """Responses ``instructions``: added besides a message's framing."""
    per_name: int
    """Added when a chat message carries ``name`` (besides the name's own tokens)."""
    per_tool_call: int
    """Added per assistant tool call / ``function_call`` item besides its message framing,
    its ``assistant to=functions.NAME`` header and its arguments."""
    per_tool_output: int
    """Added per tool message / ``function_call_output`` item besides its message framing,
    its ``functions.NAME to=assistant`` header and its output."""
    parallel_calls: bool
    """Whether several function calls in one assistant message are replayed as one
    ``multi_tool_use.parallel`` call and their results as one message from it (Chat
    Completions); else each call and result is its own message (Responses items)."""
    tools: int
    """Added once when function tools are defined (besides their rendered namespace), when they
    open a system message of their own (no system/developer message they join, see
    ``TOOLS_JOIN``)."""
    tools_in_system: int
    """The same when the request starts with a system/developer message (or instructions): the
    namespace joins that message instead of opening one (the blank line between the message's
    text and the namespace is counted apart: it merges into final punctuation)."""
    tools_by_role: bool
    """Whether the model row's ``tools_joining`` (the cost by role of the message the
    namespace joins) applies; if not, ``tools_in_system`` holds whichever message it joins."""
    empty_instructions: bool
    """Whether ``instructions=""`` is billed as an empty system message (Responses): yes on
    gpt-4o (pydantic-ai bills, 2025-03-27: +4), no on reasoning models (issue 13's held-out
    bills)."""
    response_format: int
    """Added once for a ``json_schema`` response format besides its rendering (7 on Chat
    Completions: 4 schemas, gpt-4.1-nano/-mini, gpt-4o-mini, 2025-05 to 2026-03; 1 on
    Responses: one gpt-4.1-nano bill, 2025-08)."""
    response_format_with_tools: int
    """The same when function tools are rendered too: the format's section joins the message
    their namespace opened, costing only the blank line before it (1 on Chat Completions:
    gpt-4o, pydantic-ai 2026-01 and Mirascope 2025-10/2026-01, 7 before; 1 on Responses as
    without tools: pydantic-ai gpt-4o 2026-01). Reasoning models: no bill, as without tools."""
    image_beside_instructions: int
    """Added once when a request holding an image has non-empty ``instructions`` (1 on
    reasoning models on Responses, approximate): 6 Responses bills of 3 crewAI requests on
    o4-mini (2026-01/02: 563, 649, 712, real-usage/observations.jsonl) bill what their 16 Chat
    twins do, 1 above the framing o4-mini's text (mirascope, 2 bills) and PDF requests (crewAI,
    3 bills, the same instructions) fit; gpt-5-nano/-mini Responses image bills without
    instructions (ruby_llm, mirascope) fit 0. 6 bills, 3 requests, 1 project, 1 model: whether
    other reasoning models bill the 1 is untested, as is an image without instructions on
    o4-mini."""


FRAMING: Mapping[tuple[Api, bool], Framing] = {
    ("chat.completions", False): Framing(
        per_request=3,
        per_message=3,
        instructions=0,
        per_name=1,
        per_tool_call=0,
        per_tool_output=-1,
        parallel_calls=True,
        tools=3,
        tools_in_system=1,
        tools_by_role=True,
        empty_instructions=True,
        response_format=7,
        response_format_with_tools=1,
        image_beside_instructions=0,
    ),
    ("chat.completions", True): Framing(
        per_request=3,
        per_message=3,
        instructions=0,
        per_name=1,
        per_tool_call=0,
        per_tool_output=-1,
        parallel_calls=True,
        tools=3,
        tools_in_system=1,
        tools_by_role=True,
        empty_instructions=False,
        response_format=7,
        response_format_with_tools=7,
        image_beside_instructions=0,
    ),
    ("responses", False): Framing(
        per_request=3,
        per_message=3,
        instructions=0,
        per_name=1,
        per_tool_call=0,
        per_tool_output=-3,
        parallel_calls=False,
        tools=-3,
        tools_in_system=-3,
        tools_by_role=False,
        empty_instructions=True,
        response_format=1,
        response_format_with_tools=1,
        image_beside_instructions=0,
    ),
    ("responses", True): Framing(
        per_request=2,
        per_message=3,
        instructions=0,
        per_name=1,
        per_tool_call=0,
        per_tool_output=0,
        parallel_calls=False,
        tools=3,
        tools_in_system=1,
        tools_by_role=True,
        empty_instructions=False,
        response_format=1,
        response_format_with_tools=1,
        image_beside_instructions=1,
    ),
}
"""Framing per (API, reasoning model). ``benchmarks/calibrate.py`` shows the fit's residuals.

``tools``/``tools_in_system`` rest on 60+ single-turn bills with function tools (2024-2026, 7
projects): the rendered namespace plus 3 tokens, 2 fewer when a system/developer message
exists; the gpt-5 family adds its rule row's ``chat_tool_preamble`` on Chat Completions.
Non-reasoning models on Responses bill the namespace 3 tokens below its rendering whichever
message it joins (``tools_by_role`` off): gpt-4.1 alone (dd-trace-py, 2025-05, 2 bills),
gpt-4o-mini joining a system message (openinference, 2026-04; the same request on Chat is
exact at -1), and, with the Chat round-trip framing below, pydantic-ai's round trips on
gpt-4.1-mini alone (4 bills) and gpt-4o joining a system message (2026-01, file_inputs.jsonl)
and mirascope's gpt-4o-mini one joining a developer message (Azure, 2025-11).
A tool call is rendered as a message to the function (``assistant to=functions.NAME`` +
its arguments) and its result as a message from it (``functions.NAME to=assistant`` + the
output; openai/harmony's format), so a round trip bills the function name twice;
``per_tool_call``/``per_tool_output`` adjust that per API: Chat -1 on every model (a round
trip is two full messages with both name headers less one token: 13 + 2 x the name's tokens
besides arguments and output on gpt-4.1-nano, 19 + 2 x name with harmony's channels on
gpt-5-nano; ruby_llm's public cassettes of 2025-08/09 and 2026-01, functions ``weather`` (1
token) and ``best_language_to_learn`` (5), four round trips whose first turns the rule also
bills exactly; pydantic-ai's Chat round trips with a PDF in real-usage/file_inputs.jsonl:
gpt-4.1-mini 4 of 4 exact, gpt-5-mini 4 of 8, the others +1/+3, gpt-4o -1); Responses
non-reasoning -3 (pydantic-ai's and mirascope's round trips exact; was -7, from the held-out
bills' "about 4 + 2 x name" under a namespace framing 4 to 6 tokens too high); reasoning
models on Responses 0 (an o4-mini bill, 2025-07, exact); the gpt-5 family's dialect adds
harmony's channel headers on top (``ToolDialect.channel_header``/``call_constraint``).
Several calls in one Chat assistant message are one ``multi_tool_use.parallel`` call and their
results one message (``parallel_calls``; README "What the bills settled", 12 public bills).
Estimates with calls stay marked not exact."""


@dataclass(frozen=True, slots=True)
class ToolsJoin:
    """Which system/developer message function tools join (a dated data row of the API)."""

    since: str
    """ISO day the row starts (``""``: from the start)."""
    any_position: bool
    """They join the request's first system/developer message wherever it is; else only one
    that starts the request (after a user message they open a message of their own)."""
    source: str


TOOLS_JOIN: tuple[ToolsJoin, ...] = (
    ToolsJoin(
        "",
        True,
        "crewAI's InstructorToolCalling request, its system message after the user's, 2024-02-21 "
        "and 2024-02-28 (real-usage/tools_and_formats.jsonl: 4 gpt-3.5-turbo-0125 and 5 "
        "gpt-4-0125-preview bills, 2 below opening a message of their own)",
    ),
    ToolsJoin(
        "2024-04-16",
        False,
        "crewAI's TaskEvaluation request, its system message after the user's, bills the tools "
        "as opening their own message on gpt-4 (0613, 2024-04-16) and gpt-4o (2024-06-26; +2 and "
        "+4 joined); the change falls between 2024-02-29 and 2024-04-16 (no bill between), "
        "and model and date change together in these bills (one project)",
    ),
)
"""Where the functions namespace goes, by the request's date (a request without one: the newest
row). Model-free: every shared bill fits it as it fitted a per-model flag before."""


_FERNET_OVERHEAD = 57
"""Bytes of a Fernet token besides its ciphertext: version (1), timestamp (8), IV (16), HMAC
(32) (the Fernet specification)."""


@dataclass(frozen=True, slots=True)
class ReasoningReplay:
    """Billed tokens of a replayed ``reasoning`` item from its ``encrypted_content`` length.

    The payload is a Fernet token (``gAAAAA...``: base64url of ``_FERNET_OVERHEAD`` bytes
    around an AES-CBC ciphertext padded to whole 16-byte blocks), so its length gives the
    ciphertext's size to the block; the plaintext is a fixed envelope plus the reasoning, so
    the billed tokens are ``round((ciphertext_bytes - envelope_bytes) / bytes_per_token)``.
    The padding hides up to 15 bytes (about 3 tokens): never exact.
    """

    bytes_per_token: Fraction
    envelope_bytes: int
    source: str
    as_of: date

    def tokens(self, chars: int) -> int:
        """Estimated billed tokens for a payload of ``chars`` base64 characters.

        >>> REASONING_REPLAY.tokens(972), REASONING_REPLAY.tokens(2488)
        (24, 236)
        """
        ciphertext = (chars * 3 // 4 - _FERNET_OVERHEAD) // 16 * 16
        return max(0, round((ciphertext - self.envelope_bytes) / self.bytes_per_token))


REASONING_REPLAY = ReasoningReplay(
    bytes_per_token=Fraction(535, 100),
    envelope_bytes=545,
    source=(
        "least squares over 10 gpt-5-mini Responses bills replaying one current-turn reasoning "
        "item of 972-1292 chars (672-912 ciphertext bytes; real-usage/file_inputs.jsonl, "
        "pydantic-ai, 2026-01/02, PDFs inline or by URL), the round trip in harmony's format, "
        "each PDF alone in the tool output as its text layer (no beside_text); residuals "
        "-2..+1; a gpt-5-nano bill with a 2,488-char item (ruby_llm, 2026-07) is 3 lower"
    ),
    as_of=date(2026, 2, 9),
)
"""The dated rule for replayed reasoning items (an estimate: such requests are not exact; its
residuals are ``ERROR_BANDS["reasoning_replay"]``)."""


_new_image_estimate = maker(ImageEstimate)
_new_estimate = maker(RequestEstimate)
"""Per-request constructors of frozen records (see ``_records``)."""


@dataclass(slots=True)
class _Tally:
    """Texts and framing tokens collected while walking a request."""

    texts: list[str] = field(default_factory=list)
    framing: int = 0
    notes: list[str] = field(default_factory=list)
    exact: bool = True
    bands: list[BandKey] = field(default_factory=list)
    """The approximated rules applied, each once, in order of first use (their error bands
    widen the bounds)."""
    below: int = 0
    """Tokens counted by a rule with no measured band: the bill can be this much lower."""
    unbounded: bool = False
    """Some part can add input without a known limit (hosted tool results): no upper bound."""
    files_alone: set[str] = field(default_factory=set)
    """Paths (as the walk gives them, e.g. ``input[1].content``) of the content lists holding
    a file part and no text part: a file there does not pay its row's ``beside_text``. Keyed
    by position, not by the part object: one part object can sit in two contents."""

    def note(self, message: str, *, exact: bool = False) -> None:
        if message not in self.notes:
            self.notes.append(message)
        self.exact = self.exact and exact

    def approximate(self, message: str, band: BandKey | None) -> None:
        """A part counted by a rule not known to be exact: note it and widen the bounds by the
        rule's error band (``None``: no measured band, so no upper bound)."""
        self.note(message)
        if band is None:
            self.unbounded = True
        elif band not in self.bands:
            self.bands.append(band)


# --------------------------------------------------------------------------------------------
# Public API


def estimate_image_tokens(width: int, height: int, *, model: str, detail: Detail = "auto") -> int:
    """Input tokens one ``width`` x ``height`` image costs on ``model`` at ``detail``.

    >>> estimate_image_tokens(1024, 1024, model="gpt-4o", detail="high")
    765
    >>> estimate_image_tokens(2048, 4096, model="gpt-4o", detail="low")
    85
    """
    return image_tokens(get_model_rule(model), width, height, detail)


def target_size(width: int, height: int, *, model: str, detail: Detail = "auto") -> tuple[int, int]:
    """The size (w, h) the server resizes an image to before tokenising it, for this model's rule
    and detail; never larger than the input. Used by image preparation to send no more pixels
    than will be billed.

    >>> target_size(4000, 3000, model="gpt-4o", detail="high")
    (1024, 768)
    """
    return resize_for_rule(get_model_rule(model), width, height, detail)


def estimate_request(
    *, api: Api | None = None, model: str, prices: PriceTable | None = None, **request: Any
) -> RequestEstimate:
    """Estimate the billed input tokens of a request given as ``create(...)`` keyword arguments.

    ``data:`` URL images are inspected here; URL and ``file_id`` images have unknown size, so
    their tokens are ``None``, the estimate is ``complete=False`` and ``exact=False``, and
    ``lower``/``upper`` say how far the bill can be. ``prices`` defaults to ``DEFAULT_PRICES``.
    ``api`` is inferred when left out (``messages`` -> Chat Completions, else Responses); a
    keyword neither API takes raises ``InvalidRequestError`` (a typo is never a silent estimate).

    >>> est = estimate_request(model="gpt-4o", input="Say hello")
    >>> est.input_tokens, est.complete, est.exact, (est.lower, est.upper)
    (9, True, True, (9, 9))
    """
    if not isinstance(model, str) or not model:
        raise InvalidRequestError(
            f"model must be a model name such as 'gpt-4o', not {type(model).__name__} "
            f"{safe(repr(model)[:40])}"
        )
    body = {"model": model, **request}
    resolved = resolve_api(api, body)
    parts = walk_request(resolved, body)
    for part in parts.images:
        if part.error is not None:  # a data URL that cannot be read: no estimate for it
            raise part.error
    infos = [part.info for part in parts.images]
    return estimate_with_infos(resolved, model, body, infos, prices=prices, parts=parts)


def estimate_with_infos(
    api: Api,
    model: str,
    request: Mapping[str, Any],
    infos: Sequence[ImageInfo | None],
    *,
    prices: PriceTable | None = None,
    file_infos: Sequence[FileInfo | None] | None = None,
    as_of: str | None = None,
    parts: RequestParts | None = None,
) -> RequestEstimate:
    """Like ``estimate_request`` but with each image's ``ImageInfo`` already known (by index),
    so callers that inspected images once (preflight) do not decode them again; ``parts``
    (from ``walk_request``) saves walking the request for its images again.

    An ``ImageInfo`` given for a URL or ``file_id`` image is used too (e.g. sizes recorded
    elsewhere); ``None`` means unknown. ``as_of`` (an ISO date, e.g. a recorded bill's) picks
    the image and file rule rows in force on that date (default: the newest).

    >>> est = estimate_with_infos("chat.completions", "gpt-4o",
    ...     {"messages": [{"role": "user", "content": "Hi"}]}, [])
    >>> est.text_tokens
    8
    """
    rule = text_rule(model, as_of)  # text needs no image rule (gpt-4, gpt-3.5, o3-mini)
    refs = (
        [p.ref for p in parts.images] if parts is not None else list(iter_image_refs(api, request))
    )
    if refs and not isinstance(rule, ModelRule):
        raise UnknownModelError(model)  # images do
    images = (
        tuple(
            _image_estimate(rule, ref, infos[ref.index] if ref.index < len(infos) else None)
            for ref in refs
        )
        if refs and isinstance(rule, ModelRule)
        else ()
    )
    tally = _Tally()
    framing = FRAMING[api, rule.reasoning]
    if api == "responses":
        _tally_responses(request, tally, framing, rule, as_of)
    else:
        _tally_chat(request, tally, framing, rule, as_of)
    if images:
        _tally_image_shape(framing, request, tally)
    text_tokens = tally.framing + _count_texts(tally.texts, rule.encoding)
    # Sums only over what the walk found: a request without images or files skips them.
    unknown = [im for im in images if im.tokens is None] if images else []
    image_total = sum(im.tokens or 0 for im in images) if images else 0
    complete = not unknown
    if not complete:
        tally.note(
            "some images have unknown size (URL or file_id): input_tokens counts only the known "
            "ones; lower/upper bound the bill"
        )
    file_refs = parts.files if parts is not None else None
    files = _file_estimates(api, model, request, file_infos, as_of, file_refs, tally.files_alone)
    file_total = sum(f.tokens for f in files) if files else 0
    for f in files:
        for note in f.notes:
            tally.note(note, exact=f.exact)
    input_tokens = image_total + text_tokens + file_total
    if images and not rule.verified:
        tally.note(
            f"image rule {rule.name!r} is not verified by bills (the guide's numbers): "
            "not exact; its bounds assume the guide is right"
        )
    lower = input_tokens - tally.below
    upper: int | None = input_tokens
    if tally.bands:
        bands = [ERROR_BANDS[key] for key in tally.bands]
        lower += sum(b.low for b in bands)
        upper = input_tokens + sum(b.high for b in bands)
    if unknown and isinstance(rule, ModelRule):
        ranges = [image_token_range(rule, _sized(im)) for im in unknown]
        lower += sum(least for least, _ in ranges)
        upper = (upper or 0) + sum(m for _, m in ranges)
    if files:
        lower += sum(f.lower - f.tokens for f in files)
        if all(f.upper is not None for f in files):
            upper = (upper or 0) + sum((f.upper or 0) - f.tokens for f in files)
        else:
            upper = None
    lower = max(lower, 0)  # a token count: bands fitted on larger requests reach below zero
    if _server_side_state(request) or tally.unbounded:
        upper = None
    cost, cost_upper = _estimate_cost(api, model, request, input_tokens, upper, prices, tally)
    return _new_estimate(
        api=api,
        model=model,
        rule=rule.name,
        images=images,
        image_tokens=image_total,
        text_tokens=text_tokens,
        input_tokens=input_tokens,
        complete=complete,
        notes=tuple(tally.notes),
        exact=tally.exact and complete and all(f.exact for f in files),
        lower=lower,
        upper=upper,
        cost=cost,
        cost_upper_usd=cost_upper,
        files=files,
        file_tokens=file_total,
        rule_verified=rule.verified,
        error_bands=tuple(tally.bands),
    )


def _count_texts(texts: Sequence[str], encoding: EncodingName) -> int:
    """Tokens of ``texts``; tiktoken loads on the first count, not when this module does."""
    global _counter
    if _counter is None:
        from ._text import count_texts

        _counter = count_texts
    return _counter(texts, encoding=encoding)


_counter: Callable[..., int] | None = None


def _file_estimates(
    api: Api,
    model: str,
    request: Mapping[str, Any],
    file_infos: Sequence[FileInfo | None] | None,
    as_of: str | None,
    refs: Sequence[FileRef] | None = None,
    alone: frozenset[str] | set[str] = frozenset(),
) -> tuple[FileEstimate, ...]:
    """Estimate every file part; ``file_infos`` by index, else data URLs are inspected here.
    ``as_of`` (ISO date) picks the file rule rows of that date (default: the newest);
    ``alone``: paths of the content lists that hold no text (``_Tally.files_alone``)."""
    refs = list(refs) if refs is not None else list(iter_file_refs(api, request))
    if not refs:
        return ()
    from ._file_rules import estimate_file

    if file_infos is None:
        file_infos = [_inspect_file_ref(ref) for ref in refs]
    known = list(file_infos)
    known += [None] * (len(refs) - len(known))
    return tuple(
        estimate_file(
            api,
            model,
            ref,
            known[ref.index],
            as_of=as_of,
            beside_text=list_of(ref.location) not in alone if alone else True,
        )
        for ref in refs
    )


def _inspect_file_ref(ref: FileRef) -> FileInfo | None:
    from ._files import decode_file_data_url, inspect_file

    if not isinstance(ref.file_data, str):
        return None
    return inspect_file(decode_file_data_url(ref.file_data)[1])


# --------------------------------------------------------------------------------------------
# Bounds and cost


_MAX_OUTPUT_KEYS: Mapping[Api, tuple[str, ...]] = {
    "responses": ("max_output_tokens",),
    "chat.completions": ("max_completion_tokens", "max_tokens"),
}


def _server_side_state(request: Mapping[str, Any]) -> bool:
    """Parts billed as input whose text lives on the server (unknown size here)."""
    get = request.get
    return (
        get("prompt") is not None
        or get("previous_response_id") is not None
        or get("conversation") is not None
    )


def _sized(image: ImageEstimate) -> SizedDetail:
    return image.billed_detail if image.billed_detail is not None else "high"  # type: ignore[return-value]


def _estimate_cost(
    api: Api,
    model: str,
    request: Mapping[str, Any],
    input_tokens: int,
    upper: int | None,
    prices: PriceTable | None,
    tally: _Tally,
) -> tuple[Cost | None, float | None]:
    """(input estimate + output maximum, at the requested tier; most it can cost)."""
    table = prices or DEFAULT_PRICES
    tier, _ = tier_for_service_tier(request.get("service_tier"))
    if tier is None:
        return None, None
    max_out = next((v for k in _MAX_OUTPUT_KEYS[api] if _is_max_output(v := request.get(k))), None)
    cost = table.cost(model, input_tokens=input_tokens, output_tokens=max_out or 0, tier=tier)
    if cost is None or max_out is None or upper is None:
        return cost, None
    most = table.cost(model, input_tokens=upper, output_tokens=max_out, tier=tier)
    return cost, None if most is None else most.total_usd


def _is_max_output(value: object) -> bool:
    """An output cap a request can carry (an absurd one, past ``ABSURD_TOKENS``, is unknown)."""
    return is_count(value) and value <= ABSURD_TOKENS


def _kind(part: Mapping[str, Any]) -> str | None:
    """A content part's ``type`` when it is a string (anything else: no known type)."""
    kind = part.get("type")
    return kind if isinstance(kind, str) else None


# --------------------------------------------------------------------------------------------
# Images


def _source(ref: ImageRef) -> Literal["data_url", "url", "file_id"]:
    if is_data_url(ref.url):
        return "data_url"
    return "url" if ref.url is not None else "file_id"


def _image_estimate(rule: ModelRule, ref: ImageRef, info: ImageInfo | None) -> ImageEstimate:
    detail = ref.detail if isinstance(ref.detail, str) else "auto"
    billed = sized_detail(rule, ref.detail)
    return _new_image_estimate(
        index=ref.index,
        location=ref.location,
        source=_source(ref),
        detail=detail,
        width=info.width if info else None,
        height=info.height if info else None,
        mime=info.mime if info else None,
        n_bytes=info.n_bytes if info else None,
        sha256=info.known_sha256 if info else None,  # hashed only where a record needs it
        tokens=sizing_for_rule(rule, info.width, info.height, billed).tokens if info else None,
        billed_detail=billed,
    )


# --------------------------------------------------------------------------------------------
# Chat Completions text


def _tally_chat(
    request: Mapping[str, Any],
    tally: _Tally,
    framing: Framing,
    rule: ModelRule | TextRule,
    as_of: str | None = None,
) -> None:
    _, messages = request_root("chat.completions", request)
    tally.framing += framing.per_request
    turns = _Turns(framing, TOOL_DIALECTS[rule.tool_dialect], rule.encoding)
    for n, message in enumerate(messages) if isinstance(messages, list | tuple) else ():
        if isinstance(message, Mapping):
            _tally_chat_message(message, tally, turns, ("messages", n))
    _flush_parallel_results(tally, turns)
    tools = request.get("tools")
    functions = request.get("functions")  # deprecated predecessor of ``tools``
    rendered = False
    if tools or isinstance(functions, list | tuple):  # else no tool context is needed
        context = _ToolContext(framing, rule, _system_message(messages, as_of), chat=True)
        rendered = _tally_tools(tools, request.get("tool_choice"), tally, context)
        if rendered:
            tally.framing += rule.chat_tool_preamble
        if isinstance(functions, list | tuple):
            legacy = [
                {"type": "function", "function": f} for f in functions if isinstance(f, Mapping)
            ]
            call = request.get("function_call")
            choice = {"type": "function", "function": call} if isinstance(call, Mapping) else call
            rendered = _tally_tools(legacy, choice, tally, context) or rendered
    _tally_response_format(request.get("response_format"), tally, framing, with_tools=rendered)


@dataclass(slots=True)
class _Turns:
    """What replayed turns are rendered with: the API's framing, the model's dialect (its
    channel headers) and the function name of each call seen so far, by call id."""

    framing: Framing
    dialect: ToolDialect
    encoding: EncodingName
    names: dict[str, str] = field(default_factory=dict)
    custom: set[str] = field(default_factory=set)
    """Ids of the custom tool calls seen so far (their results are unverified too)."""
    parallel: set[str] = field(default_factory=set)
    """Ids of the calls of the last parallel call (several calls in one Chat message)."""
    outputs: list[str] = field(default_factory=list)
    """Their results collected so far: one message once the run of results ends."""

    def message(self, role: str) -> int:
        """Framing tokens of one message: an assistant message also carries a channel."""
        channel = self.dialect.channel_header if role == "assistant" else 0
        return self.framing.per_message + channel


def _tally_chat_message(message: Mapping[str, Any], tally: _Tally, turns: _Turns, at: _At) -> None:
    """One message (a ``tool`` message is the result of a call seen earlier)."""
    listed = message.get("tool_calls") or ()
    if not isinstance(listed, list | tuple):
        raise InvalidRequestError(
            f"{item_field_path(*at, 'tool_calls')} is {type(listed).__name__}, not a list of "
            "tool calls: the API would refuse the request (400); pass a list such as "
            "[{'id': ..., 'type': 'function', 'function': {...}}]"
        )
    calls = [c for c in listed if isinstance(c, Mapping)]
    content = message.get("content")
    role = str(message.get("role", ""))
    framing = turns.framing
    legacy_call = message.get("function_call")  # deprecated predecessor of ``tool_calls``
    if role == "tool" and _collect_parallel_result(message, turns):
        return
    _flush_parallel_results(tally, turns)
    if role == "tool":
        call_id = message.get("tool_call_id")
        name = turns.names.get(call_id) if isinstance(call_id, str) else message.get("name")
        _tally_result(name, content, tally, turns, (*at, "content"), call_id)
        return
    if role == "function":
        _tally_function_message(message.get("name"), content, tally, turns, (*at, "content"))
        return
    if content or not (calls or isinstance(legacy_call, Mapping)):
        tally.framing += turns.message(role)
        tally.texts.append(role)
        _tally_content(content, tally, (*at, "content"))
        name = message.get("name")
        if isinstance(name, str):
            tally.texts.append(name)
            tally.framing += framing.per_name
    if _is_parallel(calls, legacy_call, turns.framing):
        _tally_parallel_call(calls, tally, turns)
        return
    for call, function in [(c, c.get("function")) for c in calls] + [({}, legacy_call)]:
        custom = call.get("custom") if call.get("type") == "custom" else None
        if isinstance(custom, Mapping):
            _tally_custom_call(
                call.get("id"), custom.get("name"), custom.get("input"), tally, turns
            )
        elif isinstance(function, Mapping):
            name = function.get("name")
            if isinstance(call.get("id"), str) and isinstance(name, str):
                turns.names[call["id"]] = name
            _tally_tool_call(name, function.get("arguments"), tally, turns)


_PARALLEL_NOTE = (
    "several tool calls in one assistant message: replayed as one multi_tool_use.parallel "
    "call and one message of their results (12 public Chat bills, 5 models, 2025-04 to 2026-04)"
)


def _is_parallel(calls: Sequence[Mapping[str, Any]], legacy_call: object, framing: Framing) -> bool:
    """Whether an assistant message's calls are replayed as one ``multi_tool_use.parallel``
    call: two or more named function calls, on an API that renders them so."""
    if not framing.parallel_calls or len(calls) < 2 or isinstance(legacy_call, Mapping):
        return False
    functions = [c.get("function") for c in calls]
    return all(
        c.get("type", "function") == "function"
        and isinstance(f, Mapping)
        and isinstance(f.get("name"), str)
        for c, f in zip(calls, functions, strict=True)
    )


def _tally_parallel_call(calls: Sequence[Mapping[str, Any]], tally: _Tally, turns: _Turns) -> None:
    """Several function calls of one Chat message: one message to ``multi_tool_use.parallel``
    holding them all (``parallel_call_text``); their results are collected until they end."""
    named: list[tuple[str, object]] = []
    for call in calls:
        function = call["function"]
        named.append((function["name"], function.get("arguments")))
        if isinstance(call.get("id"), str):
            turns.names[call["id"]] = function["name"]
            turns.parallel.add(call["id"])
    tally.framing += turns.message("assistant") + turns.dialect.call_constraint
    tally.texts.append(f"assistant to={PARALLEL_RECIPIENT}")
    tally.texts.append(parallel_call_text(named))
    tally.approximate(_PARALLEL_NOTE, "tool_call")


def _collect_parallel_result(message: Mapping[str, Any], turns: _Turns) -> bool:
    """Keep a text result of the last parallel call for its results message."""
    call_id, content = message.get("tool_call_id"), message.get("content")
    if (
        not isinstance(call_id, str)
        or call_id not in turns.parallel
        or not isinstance(content, str)
    ):
        return False  # a result with content parts is rendered as its own message
    turns.outputs.append(content)
    return True


def _flush_parallel_results(tally: _Tally, turns: _Turns) -> None:
    """The collected results of a parallel call: one message from ``multi_tool_use.parallel``
    holding them as a JSON list (``parallel_results_text``)."""
    if turns.outputs:
        tally.framing += turns.framing.per_message + turns.dialect.channel_header
        tally.texts.append(f"{PARALLEL_RECIPIENT} to=assistant")
        tally.texts.append(
            parallel_results_text(turns.outputs, ascii_only=turns.dialect.ascii_results)
        )
        tally.approximate(_PARALLEL_NOTE, "tool_output")
    turns.outputs.clear()
    turns.parallel.clear()


def _tally_tool_call(name: object, arguments: object, tally: _Tally, turns: _Turns) -> None:
    """An assistant call: a message addressed to the function (``assistant to=functions.f``)
    holding the arguments; harmony adds a channel and ``<|constrain|>json``."""
    _tally_call_message(name, arguments, tally, turns)
    tally.framing += turns.dialect.call_constraint
    tally.approximate(
        "tool calls: rendered as messages to the function (fitted on few bills)", "tool_call"
    )


_IMAGE_IN_TOOL_RESULT = (
    "image inside a tool result: its framing is unverified (Chat documents text-only tool "
    "messages; the bills measured are in the image_in_tool_output error band)"
)


def _tally_call_message(name: object, body: object, tally: _Tally, turns: _Turns) -> None:
    """The message to the function that a call is: its header and body, no content type."""
    tally.framing += turns.message("assistant") + turns.framing.per_tool_call
    tally.texts.append(f"assistant to=functions.{name if isinstance(name, str) else ''}")
    tally.texts.extend(_strings(body))


_CUSTOM_CALL_NOTE = (
    "replayed custom tool call: its input counted as a function call's arguments without "
    "<|constrain|>json (openai/harmony renders a content type only when there is one); "
    "unverified (no bill): the lower bound leaves the call and its result out, no upper bound"
)


def _tally_custom_call(
    call_id: object, name: object, custom_input: object, tally: _Tally, turns: _Turns
) -> None:
    """A replayed custom tool call (Responses ``custom_tool_call``, Chat ``custom`` tool call):
    the message to the function a function call is, holding the free-form input."""
    if isinstance(call_id, str):
        turns.custom.add(call_id)
        if isinstance(name, str):
            turns.names[call_id] = name
    with _unverified(tally, turns.encoding, _CUSTOM_CALL_NOTE):
        _tally_call_message(name, custom_input, tally, turns)


def _tally_result(
    name: object, content: object, tally: _Tally, turns: _Turns, at: _Field, call_id: object
) -> None:
    """A call's result; the result of a custom tool call is unverified like the call."""
    if not isinstance(call_id, str) or call_id not in turns.custom:
        _tally_tool_output(name, content, tally, turns, at)
        return
    with _unverified(tally, turns.encoding, _CUSTOM_CALL_NOTE):
        _tally_tool_output(name, content, tally, turns, at)


@contextmanager
def _unverified(tally: _Tally, encoding: EncodingName, note: str) -> Iterator[None]:
    """Count a part no bill backs: what the block adds stays in the estimate, but leaves the
    lower bound (the bill may render it otherwise, or not at all) and removes the upper one."""
    framing, n_texts = tally.framing, len(tally.texts)
    yield
    added = tally.texts[n_texts:]
    tally.below += tally.framing - framing + (_count_texts(added, encoding) if added else 0)
    tally.approximate(note, None)


def _tally_tool_output(
    name: object, content: object, tally: _Tally, turns: _Turns, at: _Field
) -> None:
    """A call's result: a message from the function (``functions.f to=assistant``), on the
    commentary channel where the dialect has channels."""
    tally.framing += turns.framing.per_message + turns.dialect.channel_header
    tally.framing += turns.framing.per_tool_output
    if isinstance(name, str):
        tally.texts.append(f"functions.{name} to=assistant")
    else:
        tally.texts.append("tool")
        tally.approximate(
            "a tool result whose call is not in the request: its function name is unknown", None
        )
    _tally_content(content, tally, at)
    tally.approximate(
        "tool results: rendered as messages from the function (fitted on few bills)",
        "tool_output",
    )
    if isinstance(content, list | tuple) and any(
        isinstance(p, Mapping) and _kind(p) in _IMAGE_PART_TYPES for p in content
    ):
        tally.approximate(_IMAGE_IN_TOOL_RESULT, "image_in_tool_output")


def _tally_function_message(
    name: object, content: object, tally: _Tally, turns: _Turns, at: _Field
) -> None:
    """A deprecated ``function`` message (the result of a ``function_call``): a message whose
    author is the function's name, with no role and no recipient (hmarr/openai-chat-tokens'
    gpt-3.5-turbo bills of 2023: 3 + the name's tokens + the content's, 3 bills)."""
    tally.framing += turns.framing.per_message
    tally.texts.extend(_strings(name))
    _tally_content(content, tally, at)
    tally.approximate(_FUNCTION_MESSAGE_NOTE, None)


_FUNCTION_MESSAGE_NOTE = (
    "a deprecated function message: rendered as in hmarr/openai-chat-tokens' three "
    "gpt-3.5-turbo counts of 2023 (a public port lists each one higher); no shared bill "
    "measures it, so no upper bound"
)


# --------------------------------------------------------------------------------------------
# Responses text


def _tally_responses(
    request: Mapping[str, Any],
    tally: _Tally,
    framing: Framing,
    rule: ModelRule | TextRule,
    as_of: str | None = None,
) -> None:
    tally.framing += framing.per_request
    instructions = request.get("instructions")
    if isinstance(instructions, str) and (instructions or framing.empty_instructions):
        _tally_message("system", instructions, tally, framing)
        tally.framing += framing.instructions
    _, items = request_root("responses", request)
    if isinstance(items, str):
        _tally_message("user", items, tally, framing)
    listed = (
        [(n, i) for n, i in enumerate(items) if type(i) is dict or isinstance(i, Mapping)]
        if isinstance(items, list | tuple)
        else []
    )
    turns = _Turns(framing, TOOL_DIALECTS[rule.tool_dialect], rule.encoding)
    last_user = -1
    for n, item in listed:
        if _is_user_message(item):
            last_user = n
    for n, item in listed:
        if item.get("type") == "reasoning":
            _tally_reasoning(item, tally, current_turn=n > last_user)
        else:
            _tally_item(item, tally, turns, ("input", n))
    billed_instructions = isinstance(instructions, str) and bool(
        instructions or framing.empty_instructions
    )
    tools = request.get("tools")
    rendered = False
    if tools:  # which message the tools join is looked up only when there are tools
        joins = (
            _Joined("system", str(instructions))
            if billed_instructions
            else _system_message(items, as_of)
        )
        context = _ToolContext(framing, rule, joins, chat=False)
        rendered = _tally_tools(tools, request.get("tool_choice"), tally, context)
    text = request.get("text")
    if text is not None and isinstance(text, Mapping):
        _tally_response_format(text.get("format"), tally, framing, with_tools=rendered)
    if request.get("prompt") is not None:
        tally.note("stored prompt (prompt=...) is not counted: its text is server-side")
    if request.get("previous_response_id") is not None:
        tally.note("previous_response_id: the earlier turns are server-side and not counted")


def _tally_message(
    role: str, content: object, tally: _Tally, framing: Framing, at: _Field | None = None
) -> None:
    tally.framing += framing.per_message
    tally.texts.append(role)
    _tally_content(content, tally, at)


def _tally_item(item: Mapping[str, Any], tally: _Tally, turns: _Turns, at: _At) -> None:
    kind = item.get("type", "message")
    names = turns.names
    if kind == "message" or "role" in item:
        role = str(item.get("role", "user"))
        tally.framing += turns.message(role) - turns.framing.per_message
        _tally_message(role, item.get("content"), tally, turns.framing, (*at, "content"))
    elif kind == "function_call":
        name = item.get("name")
        if isinstance(item.get("call_id"), str) and isinstance(name, str):
            names[item["call_id"]] = name
        _tally_tool_call(name, item.get("arguments"), tally, turns)
    elif kind == "custom_tool_call":
        _tally_custom_call(item.get("call_id"), item.get("name"), item.get("input"), tally, turns)
    elif kind in ("function_call_output", "custom_tool_call_output"):
        call_id = item.get("call_id")
        output = item.get("output")
        name = names.get(call_id) if isinstance(call_id, str) else None
        _tally_result(name, output, tally, turns, (*at, "output"), call_id)
    else:
        key = "output" if item.get("output") else "content"
        _tally_content(item.get(key), tally, (*at, key))
        tally.approximate(f"input item type {kind!r} is estimated from its text only", None)


def _tally_image_shape(framing: Framing, request: Mapping[str, Any], tally: _Tally) -> None:
    """A request holding an image beside non-empty ``instructions``: the API's
    ``image_beside_instructions`` (reasoning models on Responses), approximate."""
    instructions = request.get("instructions")
    if not framing.image_beside_instructions or not (
        isinstance(instructions, str) and instructions
    ):
        return
    tally.framing += framing.image_beside_instructions
    tally.approximate(
        "an image beside instructions on a reasoning model's Responses request: framing "
        "measured on one project's requests (o4-mini, crewAI)",
        "reasoning_image_on_responses",
    )


class _Joined(NamedTuple):
    """The system or developer message function tools join."""

    role: str
    text: str


def _system_message(items: object, as_of: str | None) -> _Joined | None:
    """The system or developer message the tools join on ``as_of``'s API (``TOOLS_JOIN``): the
    first one, if it starts the request or the row in force joins any; else ``None``."""
    if not isinstance(items, list | tuple):
        return None
    row = in_force(TOOLS_JOIN, as_of) or TOOLS_JOIN[0]
    looked = items if row.any_position else items[:1]
    found = (i for i in looked if isinstance(i, Mapping) and i.get("role") in _JOINABLE)
    message = next(found, None)
    if message is None:
        return None
    content = message.get("content")
    if isinstance(content, list | tuple):
        texts = [p.get("text") if isinstance(p, Mapping) else p for p in content]
        content = "".join(t for t in texts if isinstance(t, str))
    text = content if isinstance(content, str) else ""
    return _Joined(str(message["role"]), text)


_JOINABLE = ("system", "developer")


def _is_user_message(item: Mapping[str, Any]) -> bool:
    return item.get("role") == "user" and item.get("type", "message") == "message"


def _tally_reasoning(item: Mapping[str, Any], tally: _Tally, *, current_turn: bool) -> None:
    """A replayed ``reasoning`` item: dropped by the API when a user message follows it (an
    earlier turn); in the current turn billed about linearly in its ``encrypted_content``."""
    if not current_turn:
        return
    payload = item.get("encrypted_content")
    if not isinstance(payload, str):
        tally.approximate("replayed reasoning item without encrypted_content: not counted", None)
        return
    tally.framing += REASONING_REPLAY.tokens(len(payload))
    tally.approximate(
        f"replayed reasoning item: estimated from its encrypted_content length "
        f"({REASONING_REPLAY.source})",
        "reasoning_replay",
    )


# --------------------------------------------------------------------------------------------
# Shared pieces


_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text", "refusal"})
_IMAGE_PART_TYPES = frozenset({"image_url", "input_image"})


_FILE_PART_TYPES = frozenset({"input_file", "file"})
"""Estimated per file by ``_file_rules`` (see ``RequestEstimate.files``)."""


def _is_text_part(part: object) -> bool:
    return isinstance(part, str) or (
        (type(part) is dict or isinstance(part, Mapping)) and _kind(part) in _TEXT_PART_TYPES
    )


_At = tuple[str, int]
"""Where an item sits: the request's root key and its index there (``("input", 2)``)."""
_Field = tuple[str, int, str]
"""Where a content list sits: its item's ``_At`` and the item's key (``"content"``)."""


def _tally_content(content: object, tally: _Tally, at: _Field | None = None) -> None:
    if isinstance(content, str):
        tally.texts.append(content)
        return
    if not isinstance(content, list | tuple):
        return
    if (
        at is not None
        and not any(_is_text_part(part) for part in content)
        and any(isinstance(p, Mapping) and _kind(p) in _FILE_PART_TYPES for p in content)
    ):
        tally.files_alone.add(item_field_path(*at))
    texts = tally.texts
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif type(part) is dict or isinstance(part, Mapping):
            kind = _kind(part)
            if kind in _TEXT_PART_TYPES:
                text, refusal = part.get("text"), part.get("refusal")
                if isinstance(text, str):
                    texts.append(text)
                if isinstance(refusal, str):
                    texts.append(refusal)
            elif kind not in _IMAGE_PART_TYPES and kind not in _FILE_PART_TYPES:
                tally.approximate(f"content part {kind!r} is not counted", None)


@dataclass(frozen=True, slots=True)
class _ToolContext:
    """What tool rendering needs to know about the request and the model."""

    framing: Framing
    rule: ModelRule | TextRule
    joins: _Joined | None
    """The message the tools join (Responses instructions are a system message); ``None``:
    they open a message of their own."""
    chat: bool
    """Chat Completions tools nest their spec under ``function``."""


def _tally_tools(tools: object, tool_choice: object, tally: _Tally, context: _ToolContext) -> bool:
    """Count the tool definitions; True when function tools were rendered."""
    if not isinstance(tools, list | tuple) or not tools:
        return False
    functions: list[Mapping[str, Any]] = []
    for tool in tools:
        spec = tool.get("function") if context.chat and isinstance(tool, Mapping) else tool
        if (
            isinstance(tool, Mapping)
            and tool.get("type") == "function"
            and isinstance(spec, Mapping)
        ):
            functions.append(spec)
        elif isinstance(tool, Mapping) and tool.get("type") == "custom":
            functions.append(custom_tool_function(tool))
            _tally_custom_tool(tool, tally)
        else:
            kind = tool.get("type") if isinstance(tool, Mapping) else type(tool).__name__
            _tally_builtin_tool(str(kind), tally)
    if not functions:
        return False
    dialect = TOOL_DIALECTS[context.rule.tool_dialect]
    rendered = render_functions(functions, dialect.name)
    tally.texts.append(rendered)
    tally.framing += _tools_framing(context) + _separator_tokens(context, rendered)
    if tool_choice == "none":
        tally.framing += dialect.none_choice
    forced = forced_function(tool_choice)
    if forced is not None and dialect.forced_choice is not None:  # primed as a call to it
        tally.texts.append(forced)
        tally.framing += dialect.forced_choice
    tally.approximate(
        "tool definitions: estimated from their rendered namespace (fitted on few bills)", "tools"
    )
    return True


def _tools_framing(context: _ToolContext) -> int:
    """Tokens the tool definitions add besides their rendering, by the message they join."""
    if context.joins is None:
        return context.framing.tools
    if not context.framing.tools_by_role:
        return context.framing.tools_in_system
    role = context.joins.role
    return dict(context.rule.tools_joining).get(role, context.framing.tools_in_system)


_SEPARATOR = "\n\n"
_BOUNDARY = 64
"""Characters kept each side of the separator to measure its cost: joining the texts changes
tokens only at the join (tiktoken splits text into words, punctuation runs and line breaks
before merging, and none of those reaches this far)."""


def _separator_tokens(context: _ToolContext, rendered: str) -> int:
    """Tokens the blank line between a joined message's text and the namespace adds.

    The namespace is part of that message's text (openai/harmony joins a developer message's
    sections with a blank line and tokenizes them as one text), so the blank line merges into
    a final punctuation token (``".\n\n"`` is one token) or costs one of its own. hmarr's
    2023 bills show it: a system message ``"Hello"`` and ``"Hello:"`` (1 and 2 tokens) bill the
    same with a function.
    """
    if context.joins is None:
        return 0
    left, right = context.joins.text[-_BOUNDARY:], rendered[:_BOUNDARY]
    encoding = context.rule.encoding
    joined = _count_texts([left + _SEPARATOR + right], encoding)
    return joined - _count_texts([left, right], encoding)


@dataclass(frozen=True, slots=True)
class BuiltinTool:
    """What one hosted (built-in) tool adds to the billed input when it is offered."""

    definition_tokens: int | None
    """Tokens of the tool's definition; ``None`` when no bill or document gives a number."""
    results_billed: bool
    """Its results (search hits, file chunks, screenshots) come back as billed input of the
    same request: the bill has no upper bound offline."""
    verified: bool
    """A real bill backs ``definition_tokens``."""
    source: str
    as_of: date


BUILTIN_TOOLS: Mapping[str, BuiltinTool] = {
    "web_search_preview": BuiltinTool(
        294,
        True,
        True,
        "real-usage/tools_and_formats.jsonl: gpt-4.1 Responses with no search run billed 294 "
        "over the prompt (dd-trace-py, 2025-05-09); one search adds ~10 (gpt-4.1, gpt-4o-mini)",
        date(2025, 5, 9),
    ),
    "web_search": BuiltinTool(
        None,
        True,
        False,
        "real-usage README: each search bills its results as input (gpt-4o 16.6k-17.0k, gpt-5.2 "
        "8.6k-8.7k, 2026); every bill ran a search, so the definition alone is unknown",
        date(2026, 8, 19),
    ),
    "image_generation": BuiltinTool(
        3150,
        False,
        False,
        "issue 13 (held-out bills, about 3,150); no bill in real-usage",
        date(2026, 11, 30),
    ),
    "file_search": BuiltinTool(
        None,
        True,
        False,
        "no bill in real-usage; retrieved chunks are billed input",
        date(2026, 11, 30),
    ),
    "computer_use_preview": BuiltinTool(
        None, True, False, "no bill in real-usage; screenshots are billed input", date(2026, 11, 30)
    ),
    "computer": BuiltinTool(
        None,
        True,
        False,
        "the SDK's generally available computer tool (ComputerToolParam); no bill in "
        "real-usage; screenshots are billed input",
        date(2026, 12, 1),
    ),
    "mcp": BuiltinTool(
        None,
        True,
        False,
        "no bill in real-usage; listed tools are billed input",
        date(2026, 11, 30),
    ),
    "code_interpreter": BuiltinTool(
        None, True, False, "no bill in real-usage; outputs are billed input", date(2026, 11, 30)
    ),
}
"""Hosted tools: dated rows with their source; ``verified`` is False where no bill backs them."""


def _tally_custom_tool(tool: Mapping[str, Any], tally: _Tally) -> None:
    """A ``custom`` tool besides its namespace entry: its grammar and ``CUSTOM_TOOL.per_tool``."""
    syntax, definition = custom_tool_grammar(tool)
    tally.texts.append(definition)
    tally.framing += CUSTOM_TOOL.per_tool
    if syntax in CUSTOM_TOOL.verified_syntaxes:
        tally.note(
            f"custom tool: its {syntax} grammar read as text + {CUSTOM_TOOL.per_tool}, fitted on "
            f"one tool ({CUSTOM_TOOL.source}): bounded as unverified"
        )
    else:
        tally.note(
            f"custom tool without a {'/'.join(CUSTOM_TOOL.verified_syntaxes)} grammar: counted "
            f"as one with it (unverified: {CUSTOM_TOOL.source})"
        )
    # One tool's two bills fitted the constant, so they cannot bound another tool, grammar or
    # model: the bill may lack the constant and the grammar, and nothing caps it above.
    tally.below += CUSTOM_TOOL.per_tool + _count_texts([definition], "o200k_base")
    tally.unbounded = True


def _tally_builtin_tool(kind: str, tally: _Tally) -> None:
    row = BUILTIN_TOOLS.get(kind) or BUILTIN_TOOLS.get(kind.rsplit("_20", 1)[0])
    if row is None:
        tally.approximate(f"tool type {kind!r} is not counted (no rule for it)", None)
        return
    if row.definition_tokens is not None:
        tally.framing += row.definition_tokens
    counted = (
        f"counted as {row.definition_tokens} tokens"
        if row.definition_tokens is not None
        else "its definition is not counted"
    )
    verified = "verified by a bill" if row.verified else "unverified"
    results = "; its results are billed input too" if row.results_billed else ""
    tally.note(f"built-in tool {kind!r}: {counted} ({verified}: {row.source}){results}")
    tally.unbounded = tally.unbounded or row.results_billed or row.definition_tokens is None
    if not row.verified:  # no bill measures its error: it may cost nothing to nothing more
        tally.below += row.definition_tokens or 0
        tally.unbounded = True


def _tally_response_format(
    fmt: object, tally: _Tally, framing: Framing, *, with_tools: bool
) -> None:
    if not isinstance(fmt, Mapping) or fmt.get("type") in (None, "text", "json_object"):
        return  # json_object adds nothing: 8 bills (chat and Responses, 2025-05 to 2026-08)
    spec = fmt.get("json_schema", fmt) if isinstance(fmt.get("json_schema"), Mapping) else fmt
    tally.framing += framing.response_format_with_tools if with_tools else framing.response_format
    tally.texts.append(render_response_format(spec))
    tally.approximate(
        "json_schema format: rendered as its schema JSON without required/additionalProperties "
        "(exact on the 5 schemas billed on gpt-4.1-mini/-nano, 2025; the 2 billed on "
        "gpt-4o-mini, 2026, miss by -21 and +1)",
        "json_schema",
    )


def _strings(*values: object) -> Iterator[str]:
    return (v for v in values if isinstance(v, str))
