"""PURE: check the estimator against real billed usage and summarise the residuals.

Callers pass the parsed JSON records of ``real-usage/observations.jsonl`` (or
``text_only_responses.jsonl``); nothing here reads files. Each record's ``request_skeleton``
(the real request body, base64 elided) goes through ``estimate_with_infos`` with an
``ImageInfo`` built from the recorded width/height, so the real code path (roles, system
messages, content lists, tools, multi-turn items) is what gets checked.

Requests are *excluded* from the headline numbers, never silently and never by id: each
``Outcome`` carries a reason that starts with the label of one of ``EXCLUSION_RULES``, and
``render_markdown`` prints every rule with its count (and how many of the excluded requests
would have been exact anyway) and lists every excluded request.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias, cast

from ._dataurl import is_data_url
from ._dated import bill_day
from ._error_bands import ERROR_BANDS, BandKey
from ._estimate import RequestEstimate, estimate_with_infos
from ._exceptions import UnknownModelError
from ._files import FileInfo
from ._rules import get_model_rule, text_rule
from ._rules_data import ModelRule
from ._types import Api, ImageFormat, ImageInfo
from ._walk import iter_image_refs

__all__ = [
    "EXACT_TARGET",
    "SHAPES",
    "SHAPE_MIN_ROWS",
    "Shape",
    "ShapeRow",
    "EXCLUSION_RULES",
    "ImageCheck",
    "Observation",
    "Outcome",
    "SummaryRow",
    "BandSpread",
    "Coverage",
    "bound_coverage",
    "check_images",
    "evaluate",
    "evaluate_all",
    "exclusion_rule",
    "failed_targets",
    "mark_drift",
    "measured_bands",
    "observation_from_record",
    "render_markdown",
    "shape_table",
    "shapes_of",
    "summarize",
]

EXACT_TARGET = 0.97
"""Share of counted requests of every shape (with at least ``SHAPE_MIN_ROWS``) whose estimate
must equal the bill."""

Shape: TypeAlias = Literal[
    "simple", "multi-message", "tools", "formats", "reasoning replays", "URL images"
]
SHAPES: tuple[Shape, ...] = (
    "simple",
    "multi-message",
    "tools",
    "formats",
    "reasoning replays",
    "URL images",
)
"""Request shapes the calibration reports on; a request belongs to every shape it has, and to
``simple`` when it has none of the others."""
SHAPE_MIN_ROWS = 10
"""Shapes with fewer counted requests are reported but carry no target."""

Subset: TypeAlias = Literal["all", "simple", "tools", "multi-turn"]
_SUBSETS: tuple[Subset, ...] = ("all", "simple", "tools", "multi-turn")
_FORMATS: Mapping[str, ImageFormat] = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp", "GIF": "gif"}

_NO_RULE = "no image token rule"
_MISMATCH = "recorded images do not match the request"
_SIZE_UNKNOWN = "image size unknown"
_FLAG = "sanity flag"
_SERVER = "server-side content"
_DRIFT = "billing drift"

EXCLUSION_RULES: tuple[tuple[str, str], ...] = (
    (_NO_RULE, "neither the requested nor the served model has an image token rule"),
    (_MISMATCH, "the record's image list does not match the image parts of its request"),
    (
        _SIZE_UNKNOWN,
        "an image passed by URL whose size was never recorded: it cannot be known offline",
    ),
    (_FLAG, "the data set flags the record (round-input-tokens: a bill that may be hand-edited)"),
    (
        _SERVER,
        "hosted tools ran inside the response, or the input replays a hosted tool call "
        "(web_search_call, ...), or earlier turns live on the server (previous_response_id, "
        "conversation): the bill includes input the request does not show",
    ),
    (
        _DRIFT,
        "identical requests (same dedupe_key) were billed different counts: the group's most "
        "common bill (ties: the most recent) is kept, requests billed otherwise are excluded",
    ),
)
"""Why a request can be left out of the headline numbers: ``(label, rule)``, checked in this
order; an excluded request's reason starts with the label."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One real request and what OpenAI billed for its input."""

    id: str
    api: Api
    model: str
    """Model as requested (for Azure, the deployment name)."""
    response_model: str | None
    """Model the response named (``gpt-4o-2024-08-06``), used when ``model`` has no rule."""
    date: str | None
    """UTC day the bill was made (``YYYY-MM-DD``, see ``bill_day``), if known."""
    simple: bool
    """Single turn, no tools, every image's size known."""
    flags: tuple[str, ...]
    """Sanity flags of the record (e.g. ``round-input-tokens``: a hand-edited count)."""
    billed: int
    """Billed input tokens (``input_tokens`` or ``prompt_tokens``)."""
    request: Mapping[str, Any]
    images: tuple[ImageInfo | None, ...]
    """Per image, in request order; ``None`` when the size was not recorded."""
    dedupe_key: str | None = None
    """Requests with the same key differ only in things that do not change tokens."""
    multi_turn: bool = False
    """The input replays earlier turns (assistant messages, tool calls and outputs)."""
    server_side: bool = False
    """Hosted tools ran inside the response, or earlier turns are server-side state."""

    @property
    def has_tools(self) -> bool:
        """True when the request defines tools."""
        return bool(self.request.get("tools"))


@dataclass(frozen=True, slots=True)
class Outcome:
    """The estimate of one observation, or why it is not counted."""

    observation: Observation
    estimate: RequestEstimate | None
    model_used: str
    """The model name the estimate used (``response_model`` when ``model`` has no rule)."""
    excluded: str | None
    """Why this request is left out of the headline numbers; ``None`` when counted."""

    @property
    def residual(self) -> int | None:
        """Billed minus estimated input tokens (positive: we under-estimated)."""
        if self.estimate is None:
            return None
        return self.observation.billed - self.estimate.input_tokens


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """Exactness of one (api, model, subset) group of counted requests."""

    api: str
    model: str
    subset: Subset
    n: int
    exact: int
    mean_residual: float
    max_abs_residual: int
    distinct: int = 0
    """Distinct requests among the ``n`` (same ``dedupe_key``: one request recorded again)."""

    @property
    def exact_share(self) -> float:
        """``exact / n``."""
        return self.exact / self.n if self.n else 0.0


@dataclass(frozen=True, slots=True)
class ShapeRow:
    """Exactness of one request shape over every counted request that has it."""

    shape: Shape
    requests: int
    """Requests of this shape, counted or not."""
    counted: int
    exact: int
    within_2pct: int
    """Counted requests whose estimate is within 2% of the bill."""

    @property
    def exact_share(self) -> float:
        """``exact / counted``."""
        return self.exact / self.counted if self.counted else 0.0

    @property
    def has_target(self) -> bool:
        """True when enough requests are counted for the exactness target to apply."""
        return self.counted >= SHAPE_MIN_ROWS


@dataclass(frozen=True, slots=True)
class ImageCheck:
    """One image configuration (rule + sizes + detail) seen in one or more requests."""

    rule: str
    sizes: tuple[tuple[int, int, str], ...]
    """``(width, height, billed detail)`` of each image of the request."""
    estimate: int
    """Our image tokens for the configuration."""
    implied: tuple[int, ...]
    """Billed input minus our text estimate, one per request: the image tokens as billed."""
    typical: int
    """The most common implied value (ties: the one closest to ``estimate``)."""
    units_match: bool
    """The typical bill has the same number of tiles / patches as our estimate."""

    @property
    def token_exact(self) -> bool:
        """The typical bill equals our estimate to the token."""
        return self.typical == self.estimate


def observation_from_record(record: Mapping[str, Any]) -> Observation:
    """Parse one JSON record of ``observations.jsonl`` or ``text_only_responses.jsonl``.

    >>> obs = observation_from_record({"id": "x", "api": "responses", "model": "gpt-4o",
    ...     "usage": {"input_tokens": 9}, "request_skeleton": {"input": "Say hello"}})
    >>> obs.billed, obs.images
    (9, ())
    """
    usage = record["usage"]
    billed = usage.get("input_tokens", usage.get("prompt_tokens"))
    return Observation(
        id=str(record["id"]),
        api=cast(Api, record["api"]),
        model=str(record["model"]),
        response_model=record.get("response_model"),
        date=bill_day(record.get("response_created"), record.get("source_commit_date")),
        simple=bool(record.get("simple", False)),
        flags=tuple(record.get("sanity_flags") or ()),
        billed=int(billed),
        request=_restore_payloads(record["request_skeleton"]),
        images=tuple(_image_info(image) for image in record.get("images") or ()),
        dedupe_key=record.get("dedupe_key"),
        multi_turn=bool(record.get("multi_turn", False)),
        server_side=bool(
            record.get("server_side_tool_calls")
            or record.get("server_state")
            or _replays_hosted_calls(record["request_skeleton"])
        ),
    )


_HOSTED_CALLS = frozenset(
    {
        "web_search_call",
        "file_search_call",
        "computer_call",
        "code_interpreter_call",
        "image_generation_call",
        "mcp_call",
        "mcp_list_tools",
    }
)


def _replays_hosted_calls(request: Mapping[str, Any]) -> bool:
    """The input replays a hosted tool call item (its results are re-read server-side)."""
    items = request.get("input")
    return isinstance(items, list) and any(
        isinstance(i, Mapping) and i.get("type") in _HOSTED_CALLS for i in items
    )


_ELIDED = re.compile(r"^<encrypted_content (\d+) chars omitted>$")


def _restore_payloads(value: Any) -> Any:
    """The request with each elided ``encrypted_content`` (``<encrypted_content N chars
    omitted>``) replaced by N placeholder characters: its billed tokens depend on its length."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            match = (
                _ELIDED.match(item)
                if key == "encrypted_content" and isinstance(item, str)
                else None
            )
            out[key] = "x" * int(match.group(1)) if match else _restore_payloads(item)
        return out
    if isinstance(value, list):
        return [_restore_payloads(item) for item in value]
    return value


def _image_info(image: Mapping[str, Any]) -> ImageInfo | None:
    width, height = image.get("width"), image.get("height")
    if not isinstance(width, int) or not isinstance(height, int):
        return None
    fmt = _FORMATS.get(str(image.get("format")), "png")
    return ImageInfo(
        format=fmt,
        mime=str(image.get("mime") or f"image/{fmt}"),
        width=width,
        height=height,
        frames=1,
        animated=False,
        n_bytes=int(image.get("bytes_len") or 0),
        sha256=str(image.get("sha256") or ""),
    )


def evaluate(
    observation: Observation, file_infos: Sequence[FileInfo | None] | None = None
) -> Outcome:
    """Estimate one observation (with its files' recorded facts, if any) and decide whether
    it counts.

    >>> obs = observation_from_record({"id": "x", "api": "responses", "model": "gpt-4o",
    ...     "usage": {"input_tokens": 9}, "request_skeleton": {"input": "Say hello"}})
    >>> evaluate(obs).residual
    0
    """
    model = observation.model
    try:
        text_rule(model)  # the name only: which row applies on the bill's date comes below
    except UnknownModelError:
        if observation.response_model is None:
            return Outcome(observation, None, model, f"{_NO_RULE}: {model!r}")
        model = observation.response_model
    try:
        estimate = estimate_with_infos(
            observation.api,
            model,
            observation.request,
            observation.images,
            file_infos=file_infos,
            as_of=observation.date,
        )
    except UnknownModelError:
        return Outcome(observation, None, model, f"{_NO_RULE}: {model!r}")
    return Outcome(observation, estimate, model, _exclusion(observation, estimate))


def evaluate_all(observations: Sequence[Observation]) -> list[Outcome]:
    """``evaluate`` each observation, then ``mark_drift``."""
    return mark_drift([evaluate(obs) for obs in observations])


def mark_drift(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Exclude billing-drift outliers (the last of ``EXCLUSION_RULES``).

    A request is a drift outlier when identical requests (same ``dedupe_key``) were billed a
    different count: the typical bill of the group is the most common one (ties: the one billed
    most recently), decided from the bills alone, never from our estimate. A request billed
    otherwise is excluded with its date and count, so a rule is never bent to a one-off bill;
    the report prints the headline both with and without these requests.
    """
    typical = _typical_bills(o.observation for o in outcomes)
    marked = []
    for outcome in outcomes:
        obs = outcome.observation
        usual = typical.get(obs.dedupe_key) if obs.dedupe_key else None
        if outcome.excluded is None and usual is not None and obs.billed != usual:
            outcome = replace(
                outcome,
                excluded=f"{_DRIFT}: billed {obs.billed} on {obs.date or 'unknown date'}, "
                f"identical requests typically {usual}",
            )
        marked.append(outcome)
    return marked


def exclusion_rule(outcome: Outcome) -> str | None:
    """The label (of ``EXCLUSION_RULES``) that excluded ``outcome``; ``None`` when counted.

    >>> obs = observation_from_record({"id": "x", "api": "responses", "model": "gpt-4o",
    ...     "usage": {"input_tokens": 9}, "request_skeleton": {"input": "Say hello"},
    ...     "sanity_flags": ["round-input-tokens"]})
    >>> exclusion_rule(evaluate(obs))
    'sanity flag'
    """
    if outcome.excluded is None:
        return None
    return outcome.excluded.split(":", 1)[0]


def _typical_bills(observations: Iterable[Observation]) -> dict[str, int]:
    groups: dict[str, list[Observation]] = defaultdict(list)
    for obs in observations:
        if obs.dedupe_key:
            groups[obs.dedupe_key].append(obs)
    typical = {}
    for key, group in groups.items():
        counts = Counter(o.billed for o in group)
        latest = {o.billed: o.date or "" for o in sorted(group, key=lambda o: o.date or "")}
        typical[key] = max(counts, key=lambda bill: (counts[bill], latest[bill]))
    return typical


def _exclusion(observation: Observation, estimate: RequestEstimate) -> str | None:
    n_refs = sum(1 for _ in iter_image_refs(observation.api, observation.request))
    if n_refs != len(observation.images):
        return f"{_MISMATCH}: {len(observation.images)} recorded, {n_refs} in the request"
    if not estimate.complete:
        return f"{_SIZE_UNKNOWN}: URL image whose size was never recorded"
    if observation.flags:
        return f"{_FLAG}: {', '.join(observation.flags)}"
    if observation.server_side:
        return f"{_SERVER}: hosted tool calls or server-side state"
    return None


def shapes_of(observation: Observation) -> tuple[Shape, ...]:
    """The shapes of one request (``simple`` when it has none of the others).

    >>> obs = observation_from_record({"id": "x", "api": "responses", "model": "gpt-4o",
    ...     "usage": {"input_tokens": 9}, "request_skeleton": {"input": "Say hello"}})
    >>> shapes_of(obs)
    ('simple',)
    """
    request, api = observation.request, observation.api
    found: list[Shape] = []
    items = request.get("messages") if api == "chat.completions" else request.get("input")
    listed = [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []
    turns = [i for i in listed if i.get("role") not in ("system", "developer")]
    if observation.multi_turn or len(turns) > 1:
        found.append("multi-message")
    if request.get("tools") or request.get("functions"):
        found.append("tools")
    text = request.get("text")
    fmt = request.get("response_format") or (
        text.get("format") if isinstance(text, Mapping) else None
    )
    if isinstance(fmt, Mapping) and fmt.get("type") not in (None, "text"):
        found.append("formats")
    if any(i.get("type") == "reasoning" for i in listed):
        found.append("reasoning replays")
    if any(
        ref.url is not None and not is_data_url(ref.url) for ref in iter_image_refs(api, request)
    ):
        found.append("URL images")
    return tuple(found) or ("simple",)


def shape_table(outcomes: Iterable[Outcome]) -> list[ShapeRow]:
    """Per shape: requests, counted, exact and within 2% (every shape of ``SHAPES``)."""
    rows = []
    listed = list(outcomes)
    for shape in SHAPES:
        members = [o for o in listed if shape in shapes_of(o.observation)]
        counted = [o for o in members if o.excluded is None and o.residual is not None]
        rows.append(
            ShapeRow(
                shape=shape,
                requests=len(members),
                counted=len(counted),
                exact=sum(1 for o in counted if o.residual == 0),
                within_2pct=sum(
                    1 for o in counted if abs(o.residual or 0) <= 0.02 * o.observation.billed
                ),
            )
        )
    return rows


def summarize(outcomes: Iterable[Outcome]) -> list[SummaryRow]:
    """Per (api, model, subset) exactness of the counted outcomes, sorted.

    Subsets: ``all`` counted requests, ``simple`` (single turn, no tools), ``tools``,
    ``multi-turn`` (the input replays earlier turns).
    """
    groups: dict[tuple[str, str, Subset], list[tuple[int, str]]] = defaultdict(list)
    for outcome in outcomes:
        residual = outcome.residual
        if outcome.excluded is not None or residual is None:
            continue
        obs = outcome.observation
        for subset in _subsets_of(obs):
            groups[obs.api, obs.model, subset].append((residual, obs.dedupe_key or obs.id))
    return [
        SummaryRow(
            api=api,
            model=model,
            subset=subset,
            n=len(pairs),
            exact=sum(1 for r, _ in pairs if r == 0),
            mean_residual=statistics.fmean(r for r, _ in pairs),
            max_abs_residual=max(abs(r) for r, _ in pairs),
            distinct=len({key for _, key in pairs}),
        )
        for (api, model, subset), pairs in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1], _SUBSETS.index(kv[0][2]))
        )
    ]


def _subsets_of(obs: Observation) -> Iterable[Subset]:
    yield "all"
    if obs.simple:
        yield "simple"
    if obs.has_tools:
        yield "tools"
    if obs.multi_turn:
        yield "multi-turn"


def check_images(outcomes: Iterable[Outcome]) -> list[ImageCheck]:
    """Group counted requests by image configuration and compare the typical bill's image part
    (billed input minus our text estimate) with our image estimate.

    Looking at the most common bill per configuration keeps one-off billing drift (a request
    recorded on a date when OpenAI billed a token more or less) from hiding a wrong rule, and
    comparing tiles/patches separates the image rule from one-token text framing differences.
    """
    groups: dict[tuple[str, tuple[tuple[int, int, str], ...]], list[tuple[int, int]]] = defaultdict(
        list
    )
    for outcome in outcomes:
        est = outcome.estimate
        if outcome.excluded is not None or est is None or not est.images:
            continue
        sizes = tuple((im.width or 0, im.height or 0, im.billed_detail or "") for im in est.images)
        image_part = outcome.observation.billed - est.text_tokens
        groups[est.rule, sizes].append((image_part, est.image_tokens))
    checks = []
    for (rule_name, sizes), pairs in sorted(groups.items()):
        estimate = pairs[0][1]
        implied = tuple(p[0] for p in pairs)
        typical = _typical(implied, estimate)
        rule = get_model_rule(rule_name)
        checks.append(
            ImageCheck(
                rule=rule_name,
                sizes=sizes,
                estimate=estimate,
                implied=implied,
                typical=typical,
                units_match=_units(rule, typical, len(sizes)) == _units(rule, estimate, len(sizes)),
            )
        )
    return checks


def _typical(values: Sequence[int], estimate: int) -> int:
    counts = Counter(values)
    top = max(counts.values())
    return min((v for v, c in counts.items() if c == top), key=lambda v: abs(v - estimate))


def _units(rule: ModelRule, tokens: int, n_images: int) -> int:
    """Tiles (tile rules) or patches (patch rules) a token count stands for."""
    if rule.family == "tile":
        return round((tokens - rule.base_tokens * n_images) / rule.tile_tokens)
    return round((tokens - rule.image_overhead * n_images) / rule.multiplier)


@dataclass(frozen=True, slots=True)
class BandSpread:
    """Billed minus estimated tokens over the counted requests whose estimate used one
    approximated rule, widened to include 0 as ``ERROR_BANDS`` rows are. ``high`` is measured
    on requests with an upper bound only (an unbounded request says nothing about how far
    above the estimate this rule's part can go)."""

    key: BandKey
    bills: int
    low: int
    high: int
    alone: int
    """Of ``bills``, those whose estimate used no other band: their spread is this rule's own."""
    alone_low: int
    alone_high: int


def measured_bands(outcomes: Iterable[Outcome]) -> list[BandSpread]:
    """The measured spread of every ``ERROR_BANDS`` rule used by a counted request, over all
    requests using it and over those using it alone (what its row must contain). Pass the
    file bills' tool round trips (``_file_calibrate.round_trip_outcomes``) beside the others."""
    seen: dict[BandKey, list[tuple[int, bool, bool]]] = defaultdict(list)
    for outcome in _counted(outcomes):
        est = outcome.estimate
        assert est is not None
        residual = outcome.observation.billed - est.input_tokens
        keys = set(est.error_bands)
        for key in keys:
            seen[key].append((residual, est.upper is not None, len(keys) == 1))
    return [_spread(key, seen[key]) for key in ERROR_BANDS if key in seen]


def _spread(key: BandKey, rows: Sequence[tuple[int, bool, bool]]) -> BandSpread:
    alone = [(r, bounded) for r, bounded, solo in rows if solo]
    return BandSpread(
        key,
        len(rows),
        min(0, *(r for r, _, _ in rows)),
        max(0, 0, *(r for r, bounded, _ in rows if bounded)),
        len(alone),
        min(0, 0, *(r for r, _ in alone)),
        max(0, 0, *(r for r, bounded in alone if bounded)),
    )


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many counted bills lie within their estimate's ``lower..upper``."""

    counted: int
    inside: int
    exact_claims: int
    """Counted requests whose estimate says ``exact``."""
    exact_equal: int
    """Of those, the ones billed exactly the estimate."""
    outside: tuple[str, ...]
    """Ids of the bills outside their bounds."""


def bound_coverage(outcomes: Iterable[Outcome]) -> Coverage:
    """Check ``lower <= billed <= upper`` (``None`` upper: unbounded) on every counted request,
    and that every ``exact`` claim equals the bill."""
    counted = list(_counted(outcomes))
    outside = []
    exact = equal = 0
    for outcome in counted:
        est, billed = outcome.estimate, outcome.observation.billed
        assert est is not None
        if not (est.lower <= billed and (est.upper is None or billed <= est.upper)):
            outside.append(outcome.observation.id)
        exact += est.exact
        equal += est.exact and billed == est.input_tokens
    return Coverage(len(counted), len(counted) - len(outside), exact, equal, tuple(outside))


def _counted(outcomes: Iterable[Outcome]) -> Iterable[Outcome]:
    return (o for o in outcomes if o.excluded is None and o.estimate is not None)


def failed_targets(outcomes: Sequence[Outcome], checks: Sequence[ImageCheck]) -> list[str]:
    """The calibration targets missed (empty when all are met): every shape with at least
    ``SHAPE_MIN_ROWS`` counted requests exact on ``EXACT_TARGET`` of them, and the image part
    (tiles/patches) right for every image configuration.

    >>> failed_targets([], [])
    ['no counted requests']
    """
    failures = []
    if not any(o.excluded is None and o.estimate for o in outcomes):
        failures.append("no counted requests")
    for row in shape_table(outcomes):
        if row.has_target and row.exact_share < EXACT_TARGET:
            failures.append(
                f"exact on {row.shape} requests: {row.exact}/{row.counted} "
                f"({row.exact_share:.2%}) < {EXACT_TARGET:.0%} target"
            )
    wrong = [c for c in checks if not c.units_match]
    if wrong:
        failures.append(f"image part wrong for {len(wrong)} configuration(s)")
    return failures


# --------------------------------------------------------------------------------------------
# Markdown


def render_markdown(
    outcomes: Sequence[Outcome],
    checks: Sequence[ImageCheck],
    *,
    text_only: Sequence[Outcome] = (),
    band_only: Sequence[Outcome] = (),
) -> str:
    """The calibration report: headline, per-group table, image part, every miss, the exclusion
    rules with their counts, and every excluded request. ``band_only`` outcomes (the file
    bills' tool round trips) are counted in the error bands' measured spread only."""
    parts = [
        _shape_markdown(shape_table([*outcomes, *text_only])),
        _bounds_markdown([*outcomes, *text_only], band_only),
        _headline(outcomes, checks),
        _table(summarize(outcomes)),
        _image_table(checks),
        _misses(outcomes),
        _exclusion_rules(outcomes),
        _excluded(outcomes),
    ]
    if text_only:
        parts.append(
            "### Text-only Responses requests (framing check)\n\n" + _table(summarize(text_only))
        )
        parts.append(_misses(text_only, title="Text-only misses"))
    return "\n\n".join(p for p in parts if p) + "\n"


def _headline(outcomes: Sequence[Outcome], checks: Sequence[ImageCheck]) -> str:
    counted = [o for o in outcomes if o.excluded is None and o.estimate is not None]
    no_tools = [o for o in counted if not o.observation.has_tools]
    tools = [o for o in counted if o.observation.has_tools]
    multi = [o for o in counted if o.observation.multi_turn]
    drift = [o for o in outcomes if exclusion_rule(o) == _DRIFT and not o.observation.has_tools]
    units = sum(1 for c in checks if c.units_match)
    tokens = sum(1 for c in checks if c.token_exact)
    keys = {o.observation.dedupe_key or o.observation.id for o in no_tools}
    exact_keys = keys - {
        o.observation.dedupe_key or o.observation.id for o in no_tools if o.residual != 0
    }
    return "\n".join(
        [
            f"- requests: {len(outcomes)}; counted: {len(counted)}; "
            f"excluded: {len(outcomes) - len(counted)} (rules and counts below)",
            f"- **exact input tokens, requests without tools: {_share(no_tools)}** "
            f"(target {EXACT_TARGET:.0%}); {len(exact_keys)}/{len(keys)} distinct requests "
            "(same dedupe_key = one request)",
            f"- **the same with the {len(drift)} billing-drift requests counted as misses: "
            f"{_share([*no_tools, *drift])}**",
            f"- exact input tokens, requests with tools: {_share(tools)}",
            f"- exact input tokens, multi-turn requests (with or without tools): {_share(multi)}",
            f"- image part, {len(checks)} image configurations: tiles/patches match on {units}, "
            f"token-exact on {tokens}",
        ]
    )


def _shape_markdown(rows: Sequence[ShapeRow]) -> str:
    lines = [
        "### Per request shape (every file; a request counts in each shape it has)\n",
        "| shape | requests | counted | exact | exact % | within 2% | target |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        target = (
            ("met" if r.exact_share >= EXACT_TARGET else "MISSED")
            if r.has_target
            else f"n/a (< {SHAPE_MIN_ROWS})"
        )
        pct = f"{r.exact_share:.1%}" if r.counted else "n/a"
        lines.append(
            f"| {r.shape} | {r.requests} | {r.counted} | {r.exact} | {pct} | "
            f"{r.within_2pct} | {target} |"
        )
    return "\n".join(lines)


def _bounds_markdown(outcomes: Sequence[Outcome], band_only: Sequence[Outcome]) -> str:
    cov = bound_coverage(outcomes)
    lines = [
        "### Bounds (every file)\n",
        f"- bills within lower..upper: {cov.inside}/{cov.counted}"
        + (f" (outside: {', '.join(cov.outside)})" if cov.outside else ""),
        f"- exact claims equal to the bill: {cov.exact_equal}/{cov.exact_claims}",
        "",
        "| error band | bills | measured | used alone | measured alone | table |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for spread in measured_bands([*outcomes, *band_only]):
        row = ERROR_BANDS[spread.key]
        lines.append(
            f"| {spread.key} | {spread.bills} | {spread.low:+d}..{spread.high:+d} | "
            f"{spread.alone} | {spread.alone_low:+d}..{spread.alone_high:+d} | "
            f"{row.low:+d}..{row.high:+d} |"
        )
    return "\n".join(lines)


def _share(items: Sequence[Outcome]) -> str:
    exact = sum(1 for o in items if o.residual == 0)
    pct = f"{exact / len(items):.2%}" if items else "n/a"
    return f"{exact}/{len(items)} ({pct})"


def _exclusion_rules(outcomes: Sequence[Outcome]) -> str:
    lines = [
        "### Exclusion rules\n",
        "| rule | excluded | of them without tools | exact if counted anyway |",
        "|---|---:|---:|---:|",
    ]
    for label, text in EXCLUSION_RULES:
        hits = [o for o in outcomes if exclusion_rule(o) == label]
        priced = [o for o in hits if o.estimate is not None and o.estimate.complete]
        exact = sum(1 for o in priced if o.residual == 0)
        if_counted = f"{exact}/{len(priced)}" if priced else "n/a (not priced)" if hits else ""
        no_tools = sum(1 for o in hits if not o.observation.has_tools)
        lines.append(f"| {label}: {text} | {len(hits)} | {no_tools} | {if_counted} |")
    other = [o for o in outcomes if o.excluded is not None and exclusion_rule(o) not in _LABELS]
    if other:  # never expected: every reason starts with a rule label
        lines.append(f"| (no rule) | {len(other)} | | |")
    return "\n".join(lines)


_LABELS = frozenset(label for label, _ in EXCLUSION_RULES)


def _table(rows: Sequence[SummaryRow]) -> str:
    lines = [
        "| api | model | subset | n | distinct | exact | exact % | mean residual "
        "| max abs residual |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.api} | {r.model} | {r.subset} | {r.n} | {r.distinct} | {r.exact} | "
        f"{r.exact_share:.1%} | "
        f"{r.mean_residual:+.2f} | {r.max_abs_residual} |"
        for r in rows
    ]
    return "\n".join(lines)


def _image_table(checks: Sequence[ImageCheck]) -> str:
    lines = [
        "| rule | images (w x h, detail) | requests | estimate | typical bill | tokens | units |",
        "|---|---|---:|---:|---:|:---:|:---:|",
    ]
    for c in checks:
        sizes = ", ".join(f"{w}x{h} {d}" for w, h, d in c.sizes)
        lines.append(
            f"| {c.rule} | {sizes} | {len(c.implied)} | {c.estimate} | {c.typical} | "
            f"{'yes' if c.token_exact else 'no'} | {'yes' if c.units_match else 'no'} |"
        )
    return "### Image part (billed input minus text estimate)\n\n" + "\n".join(lines)


def _misses(outcomes: Sequence[Outcome], *, title: str = "Counted requests not exact") -> str:
    misses = [o for o in outcomes if o.excluded is None and o.residual not in (0, None)]
    if not misses:
        return ""
    lines = [f"### {title}\n", "| id | date | api | model | tools | billed | estimate | residual |"]
    lines.append("|---|---|---|---|:---:|---:|---:|---:|")
    for o in sorted(misses, key=lambda o: (o.observation.model, o.observation.date or "")):
        obs, est = o.observation, o.estimate
        assert est is not None
        lines.append(
            f"| {obs.id} | {obs.date or '?'} | {obs.api} | {obs.model} | "
            f"{'yes' if obs.has_tools else ''} | {obs.billed} | {est.input_tokens} | "
            f"{o.residual:+d} |"
        )
    return "\n".join(lines)


def _excluded(outcomes: Sequence[Outcome]) -> str:
    excluded = [o for o in outcomes if o.excluded is not None]
    if not excluded:
        return ""
    lines = ["### Excluded requests\n", "| id | date | api | model | reason | residual |"]
    lines.append("|---|---|---|---|---|---:|")
    for o in excluded:
        obs = o.observation
        residual = "n/a" if o.residual is None else f"{o.residual:+d}"
        lines.append(
            f"| {obs.id} | {obs.date or '?'} | {obs.api} | {obs.model} | {o.excluded} | "
            f"{residual} |"
        )
    return "\n".join(lines)
