"""PURE: summarize audit records into estimated-vs-billed drift per model and day.

Input is the dicts that ``JsonlSink`` writes (``AuditRecord.to_dict()``), one per response.
For every (model, UTC day) the summary sums estimated and billed input tokens and takes the mean
of each record's relative delta ``(estimated - billed) / billed``; a group whose mean leaves
``+-threshold_pct`` (1 % by default) is flagged as drift: the token rules or the framing
overhead no longer match what OpenAI bills. Records without both numbers (errors, streams cut
short) are counted as skipped, never guessed; records whose estimate was a range (an image of
unknown size, an approximated part: ``estimated_input_lower`` below ``estimated_input_upper``)
are counted as ``inexact`` and kept out of the drift, since their delta says nothing about the
rules. A point estimate whose only doubt is an image rule no bill verifies yet is judged: its
drift is what verifies (or refutes) the rule. Spend (``cost.total`` in USD)
is summed per model and day over every record that has one.

Rendering helpers turn a summary into a PNG chart (needs the ``[chart]`` extra, imported lazily)
or a self-contained HTML page; they return bytes/text and never touch files.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from ._batch import json_object_line
from ._exceptions import MissingExtraError
from ._usage import is_count

__all__ = [
    "DEFAULT_THRESHOLD_PCT",
    "DriftPoint",
    "DriftRow",
    "DriftSummary",
    "LogProblem",
    "SpendRow",
    "drift_point",
    "is_inexact",
    "parse_log_line",
    "render_drift_html",
    "render_drift_png",
    "summarize_drift",
]

DEFAULT_THRESHOLD_PCT: Final = 1.0
"""Mean relative delta (in percent) beyond which a model-day is flagged."""

# Field names of ``AuditRecord.to_dict()`` this module reads (first present wins).
_MODEL_KEYS: Final = ("model_requested", "model", "model_served")
_TIME_KEYS: Final = ("time", "timestamp", "created")
_ESTIMATED_KEY: Final = "estimated_input_tokens"
_BILLED_KEY: Final = "billed_input_tokens"


@dataclass(frozen=True, slots=True)
class LogProblem:
    """A log line that is not an audit record."""

    line_no: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line_no}: {self.reason}"


@dataclass(frozen=True, slots=True)
class DriftPoint:
    """What one audit record contributes: model, UTC day, estimated and billed input tokens."""

    model: str
    day: str
    """``YYYY-MM-DD`` in UTC."""
    estimated: int
    billed: int


@dataclass(frozen=True, slots=True)
class DriftRow:
    """Estimated vs billed input tokens of one model on one UTC day."""

    model: str
    day: str
    records: int
    estimated_input_tokens: int
    billed_input_tokens: int
    mean_delta_pct: float
    """Mean over records of ``100 * (estimated - billed) / billed``."""
    flagged: bool
    """True when ``mean_delta_pct`` is outside ``+-threshold_pct``."""

    @property
    def delta_tokens(self) -> int:
        """Summed ``estimated - billed`` input tokens."""
        return self.estimated_input_tokens - self.billed_input_tokens


@dataclass(frozen=True, slots=True)
class SpendRow:
    """USD spent on one model on one UTC day (every record, exact estimate or not)."""

    model: str
    day: str
    records: int
    """Records of this model-day, priced or not."""
    usd: float
    """Sum of the priced records' ``cost.total``."""
    unpriced: int
    """Records without a cost (no usage, no published price, odd usage)."""


@dataclass(frozen=True, slots=True)
class DriftSummary:
    """Drift rows sorted by model then day, plus what could not be used."""

    rows: tuple[DriftRow, ...]
    threshold_pct: float
    skipped: int = 0
    """Records without both an estimated and a billed input token count (or billed 0)."""
    problems: tuple[LogProblem, ...] = ()
    problem_count: int = 0
    inexact: int = 0
    """Records left out of the drift because their estimate was not exact."""
    spend: tuple[SpendRow, ...] = ()
    """USD per model and day, sorted like ``rows``."""

    @property
    def flagged(self) -> tuple[DriftRow, ...]:
        """Rows outside the threshold."""
        return tuple(r for r in self.rows if r.flagged)

    @property
    def models(self) -> tuple[str, ...]:
        """Models present, sorted."""
        return tuple(sorted({r.model for r in self.rows}))


def parse_log_line(raw: bytes | str, *, line_no: int) -> Mapping[str, Any] | LogProblem | None:
    """Parse one JSONL line: the record, ``None`` if blank, or a ``LogProblem``.

    >>> parse_log_line('{"model_requested": "gpt-4o"}', line_no=1)
    {'model_requested': 'gpt-4o'}
    >>> str(parse_log_line("[1]", line_no=4))
    'line 4: expected a JSON object, got list'
    """
    obj = json_object_line(raw)
    return LogProblem(line_no, obj) if isinstance(obj, str) else obj


def drift_point(record: Mapping[str, Any]) -> DriftPoint | None:
    """The drift data of one audit record, or ``None`` if it lacks a model, time or either count.

    >>> drift_point({"time": "2026-11-02T10:00:00Z", "model_requested": "gpt-4o",
    ...              "estimated_input_tokens": 101, "billed_input_tokens": 100})
    DriftPoint(model='gpt-4o', day='2026-11-02', estimated=101, billed=100)
    """
    model = _first(record, _MODEL_KEYS, str)
    day = _utc_day(_first(record, _TIME_KEYS, (str, int, float)))
    estimated = record.get(_ESTIMATED_KEY)
    billed = record.get(_BILLED_KEY)
    if model is None or day is None or not is_count(estimated) or not is_count(billed):
        return None
    if billed == 0:
        return None
    return DriftPoint(model, day, estimated, billed)


@dataclass(slots=True)
class _Group:
    records: int = 0
    estimated: int = 0
    billed: int = 0
    rel_sum: float = 0.0


def is_inexact(record: Mapping[str, Any]) -> bool:
    """Whether a record's estimate was a range, not a point: from schema 4, its bounds differ
    (or it has no upper bound); in schema 3 (whose bounds left approximated text out),
    ``estimate_exact`` false; before (no such keys), an image whose tokens were unknown.

    >>> is_inexact({"estimate_exact": False}), is_inexact({"images": [{"estimated_tokens": None}]})
    (True, True)
    >>> is_inexact({"schema_version": 4, "estimate_exact": False, "estimated_input_lower": 9,
    ...             "estimated_input_upper": 9})  # exact but for an unverified image rule
    False
    """
    lower, upper = record.get("estimated_input_lower"), record.get("estimated_input_upper")
    version = record.get("schema_version")
    if isinstance(version, int) and version >= _BANDED_SCHEMA and _is_int(lower):
        return not _is_int(upper) or upper != lower
    exact = record.get("estimate_exact")
    if isinstance(exact, bool):
        return not exact
    images = record.get("images")
    return isinstance(images, list) and any(
        isinstance(im, Mapping) and im.get("estimated_tokens") is None for im in images
    )


_BANDED_SCHEMA = 4
"""The audit schema from which bounds carry every approximated part's error band."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _spend_of(record: Mapping[str, Any]) -> float | None:
    cost = record.get("cost")
    total = cost.get("total") if isinstance(cost, Mapping) else None
    if isinstance(total, int | float) and not isinstance(total, bool) and 0 <= total < 1e12:
        return float(total)
    return None


@dataclass(slots=True)
class _Spend:
    records: int = 0
    usd: float = 0.0
    unpriced: int = 0


@dataclass(slots=True)
class _Fold:
    groups: dict[tuple[str, str], _Group] = field(default_factory=dict)
    spend: dict[tuple[str, str], _Spend] = field(default_factory=dict)
    inexact: int = 0
    skipped: int = 0
    problems: list[LogProblem] = field(default_factory=list)
    problem_count: int = 0


def summarize_drift(
    records: Iterable[Mapping[str, Any] | LogProblem],
    *,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    max_problems: int = 100,
) -> DriftSummary:
    """Group audit records by (model, UTC day) and flag the groups whose mean delta drifts.

    ``records`` may mix in ``LogProblem`` s (from ``parse_log_line``): they are counted and the
    first ``max_problems`` kept. Memory grows with models x days, not with records.

    >>> recs = [{"time": "2026-11-02T10:00:00Z", "model_requested": "gpt-4o",
    ...          "estimated_input_tokens": e, "billed_input_tokens": 100} for e in (103, 101)]
    >>> row = summarize_drift(recs).rows[0]
    >>> (row.records, row.mean_delta_pct, row.flagged)
    (2, 2.0, True)
    """
    fold = _Fold()
    for rec in records:
        if isinstance(rec, LogProblem):
            fold.problem_count += 1
            if len(fold.problems) < max_problems:
                fold.problems.append(rec)
            continue
        _add_spend(fold, rec)
        point = drift_point(rec)
        if point is None:
            fold.skipped += 1
            continue
        if is_inexact(rec):
            fold.inexact += 1
            continue
        group = fold.groups.setdefault((point.model, point.day), _Group())
        group.records += 1
        group.estimated += point.estimated
        group.billed += point.billed
        group.rel_sum += (point.estimated - point.billed) / point.billed
    rows = tuple(
        _row(model, day, g, threshold_pct) for (model, day), g in sorted(fold.groups.items())
    )
    spend = tuple(
        SpendRow(model, day, g.records, round(g.usd, 9), g.unpriced)
        for (model, day), g in sorted(fold.spend.items())
    )
    return DriftSummary(
        rows,
        threshold_pct,
        fold.skipped,
        tuple(fold.problems),
        fold.problem_count,
        inexact=fold.inexact,
        spend=spend,
    )


def _add_spend(fold: _Fold, record: Mapping[str, Any]) -> None:
    model = _first(record, _MODEL_KEYS, str)
    day = _utc_day(_first(record, _TIME_KEYS, (str, int, float)))
    if model is None or day is None:
        return
    group = fold.spend.setdefault((model, day), _Spend())
    group.records += 1
    usd = _spend_of(record)
    if usd is None:
        group.unpriced += 1
    else:
        group.usd += usd


def _row(model: str, day: str, g: _Group, threshold_pct: float) -> DriftRow:
    mean_pct = round(100.0 * g.rel_sum / g.records, 6)
    return DriftRow(
        model=model,
        day=day,
        records=g.records,
        estimated_input_tokens=g.estimated,
        billed_input_tokens=g.billed,
        mean_delta_pct=mean_pct,
        flagged=abs(mean_pct) > threshold_pct,
    )


def _first(record: Mapping[str, Any], keys: Iterable[str], kind: type | tuple[type, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if isinstance(value, kind) and not isinstance(value, bool) and value != "":
            return value
    return None


def _utc_day(value: str | float | None) -> str | None:
    """``YYYY-MM-DD`` in UTC from an ISO 8601 string or a Unix timestamp."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        else:
            moment = datetime.fromtimestamp(value, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return moment.astimezone(UTC).date().isoformat()


# --- rendering (no file I/O) -----------------------------------------------------------------

_FLAG_COLOR: Final = "#d62728"
_BAND_COLOR: Final = "#2ca02c"


def render_drift_png(summary: DriftSummary, *, title: str | None = None) -> bytes:
    """Draw the summary as a PNG: mean delta % per model and day over a +-threshold band (top),
    estimated vs billed input tokens per day (bottom). Needs the ``[chart]`` extra.

    >>> png = render_drift_png(summarize_drift([]))
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.ticker import StrMethodFormatter
    except ImportError:
        raise MissingExtraError("audit charts", "chart") from None

    days = sorted({r.day for r in summary.rows})
    x_of = {day: i for i, day in enumerate(days)}
    fig = Figure(figsize=(10, 6.4), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    t = summary.threshold_pct
    top.axhspan(-t, t, color=_BAND_COLOR, alpha=0.12, label=f"\u00b1{t:g} % (no drift)")
    top.axhline(0, color="#555555", linewidth=0.8)
    width = 0.8 / max(1, len(summary.models))
    for k, model in enumerate(summary.models):
        rows = [r for r in summary.rows if r.model == model]
        xs = [x_of[r.day] for r in rows]
        (line,) = top.plot(xs, [r.mean_delta_pct for r in rows], marker="o", label=model)
        flagged = [r for r in rows if r.flagged]
        top.scatter(
            [x_of[r.day] for r in flagged],
            [r.mean_delta_pct for r in flagged],
            s=140,
            facecolors="none",
            edgecolors=_FLAG_COLOR,
            linewidths=1.6,
            zorder=3,
        )
        offset = (k - (len(summary.models) - 1) / 2) * width
        bx = [x + offset for x in xs]
        bottom.bar(
            bx, [r.billed_input_tokens for r in rows], width, color=line.get_color(), alpha=0.45
        )
        bottom.scatter(
            bx, [r.estimated_input_tokens for r in rows], marker="_", s=160, color="black", zorder=3
        )
    if summary.flagged:
        top.scatter([], [], s=140, facecolors="none", edgecolors=_FLAG_COLOR, label="drift flagged")
    top.set_ylabel("mean (estimated - billed) / billed, %")
    top.set_title(title or "Estimated vs billed input tokens per model and day")
    top.legend(loc="best", fontsize="small")
    top.grid(axis="y", alpha=0.3)
    bottom.set_ylabel("input tokens per day")
    bottom.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    bottom.legend(
        handles=[
            Patch(color="grey", alpha=0.45, label="billed (bar colour = model)"),
            Line2D(
                [], [], color="black", marker="_", markersize=12, linestyle="", label="estimated"
            ),
        ],
        loc="best",
        fontsize="small",
    )
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_xticks(range(len(days)), days, rotation=30, ha="right")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def render_drift_html(summary: DriftSummary, *, png: bytes | None = None) -> str:
    """A self-contained HTML page: the chart (if ``png`` is given) and the drift table.

    >>> page = render_drift_html(summarize_drift([]))
    >>> page.startswith("<!doctype html>") and "<table>" in page
    True
    """
    esc = html.escape
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in _HTML_COLUMNS) + "</tr>"
    body = "\n".join(
        _HTML_ROW.format(
            cls=' class="drift"' if r.flagged else "",
            m=esc(r.model),
            d=esc(r.day),
            n=r.records,
            e=r.estimated_input_tokens,
            b=r.billed_input_tokens,
            p=r.mean_delta_pct,
            f="DRIFT" if r.flagged else "ok",
        )
        for r in summary.rows
    )
    chart = (
        f'<img alt="drift chart" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        if png
        else ""
    )
    notes = (
        f"<p>{summary.skipped} record(s) without both token counts skipped; "
        f"{summary.inexact} record(s) with an inexact estimate (e.g. URL images) left out of "
        f"the drift; {summary.problem_count} unreadable line(s).</p>"
    )
    return _HTML_PAGE.format(
        threshold=f"{summary.threshold_pct:g}", chart=chart, head=head, body=body, notes=notes
    )


_HTML_COLUMNS: Final = ("model", "day (UTC)", "records", "estimated", "billed", "mean delta", "")
_HTML_ROW: Final = (
    "<tr{cls}><td>{m}</td><td>{d}</td><td>{n}</td><td>{e:,}</td><td>{b:,}</td>"
    "<td>{p:+.2f} %</td><td>{f}</td></tr>"
)
_HTML_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>openai-vision-ext drift report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: .25rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }}
th:first-child, td:first-child, td:nth-child(2) {{ text-align: left; }}
tr.drift td {{ color: #b00020; font-weight: 600; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Estimated vs billed input tokens</h1>
<p>Drift: the mean relative delta of a model-day leaves &plusmn;{threshold} %.</p>
{chart}
<table>
<thead>{head}</thead>
<tbody>
{body}
</tbody>
</table>
{notes}
</body></html>
"""
