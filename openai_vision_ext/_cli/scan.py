"""The command line's work, apart from parsing and printing: find image files, read their
headers (in parallel when the disk is slow), price them, check them (and decode them with Pillow
on request), and run the batch, calibration and audit-log summaries over lines of input.

Nothing here parses options, prints or exits; ``commands`` does that. Heavy modules (Pillow, the
token rules, the batch and drift readers) are imported inside the functions that need them, so
``openai-vision-ext --help`` does not pay for them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .._exceptions import OpenAIVisionExtError

if TYPE_CHECKING:  # pragma: no cover
    from .._batch import BatchSummary
    from .._drift import DriftSummary
    from .._preflight import ImageLimits
    from .._prices import PriceTable, Tier
    from .._rules_data import ModelRule
    from .._types import Api, ImageInfo

__all__ = [
    "AUTO_JOBS",
    "IMAGE_SUFFIXES",
    "IO_WAIT_RATIO",
    "READ_CHUNK",
    "ImageRow",
    "Pricer",
    "Problem",
    "batch_summary",
    "collect_paths",
    "decode_problems",
    "drift_summary",
    "estimate_rows",
    "estimate_totals",
    "evaluate_observations",
    "image_problems",
    "input_usd",
    "read_headers",
    "request_problems",
    "rule_rows",
    "violation_code",
    "waits_on_io",
]

IMAGE_SUFFIXES: Final = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".webp", ".gif"}
    | {".heic", ".heif", ".avif", ".bmp", ".tif", ".tiff", ".svg"}
)
"""Files picked up in a directory (a named file is always inspected; HEIC, BMP... are then
listed as unsupported, which is what the API would say)."""

READ_CHUNK: Final = 64
"""Files per chunk (and per thread-pool task) when reading headers."""
AUTO_JOBS: Final = 8
"""Header-reading threads once reads are found to wait on the disk (``--jobs`` unset)."""
IO_WAIT_RATIO: Final = 2.0
"""A chunk whose wall time exceeds this many times its CPU time was waiting on I/O."""


def input_usd(table: PriceTable, model: str, tokens: int, *, tier: Tier) -> float | None:
    cost = table.cost(model, input_tokens=tokens, output_tokens=0, tier=tier)
    return None if cost is None else cost.input_usd


@dataclass(frozen=True, slots=True)
class ImageRow:
    path: str
    info: ImageInfo | None
    tokens: int | None
    usd: float | None
    problem: str | None

    def to_json(self) -> dict[str, object]:
        if self.info is None:
            return {"path": self.path, "error": self.problem}
        return {
            "path": self.path,
            "format": self.info.format,
            "width": self.info.width,
            "height": self.info.height,
            "n_bytes": self.info.n_bytes,
            "tokens": self.tokens,
            "usd": self.usd,
            **({"error": self.problem} if self.problem else {}),
        }


def collect_paths(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to inspect, directories recursed (image suffixes only, hidden entries skipped, sorted),
    and the arguments that do not exist.

    >>> collect_paths([Path("/no/such/file.png")])
    ([], [(PosixPath('/no/such/file.png'), 'no such file or directory')])
    """
    files: list[Path] = []
    missing: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            files.extend(_walk_dir(path))
        elif path.exists():
            files.append(path)
        else:
            missing.append((path, "no such file or directory"))
    return files, missing


def _walk_dir(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                yield Path(dirpath, name)


def _inspect_one(path: Path) -> ImageInfo | str:
    from .._batch import error_reason
    from .._image.sources import inspect_image

    try:
        return inspect_image(path)
    except (OpenAIVisionExtError, OSError) as exc:
        return error_reason(exc)


def read_headers(
    files: Sequence[Path],
    *,
    jobs: int | None = None,
    advance: Callable[[int], None] = lambda n: None,
) -> list[ImageInfo | str]:
    """``inspect_image`` of every file, in order; a failure is its one-line reason.

    Files are read in chunks of ``READ_CHUNK``. ``jobs=1`` reads them in this thread; ``jobs > 1``
    reads them on a pool of that many threads. ``jobs=None`` (the CLI default) adapts: chunks
    are read in this thread while the work is CPU-bound (a warm page cache, where threads only
    contend for the GIL and are slower), and the rest go to a pool of ``AUTO_JOBS`` threads as
    soon as one chunk spends most of its time waiting on the disk (cold cache, network drive:
    there the reads overlap).
    """
    chunks = [files[i : i + READ_CHUNK] for i in range(0, len(files), READ_CHUNK)]
    results: list[ImageInfo | str] = []
    done = 0  # chunks already read
    if jobs is None:
        jobs = 1
        for chunk in chunks:
            wall, cpu = time.perf_counter(), time.thread_time()
            results.extend(_inspect_chunk(chunk))
            advance(len(chunk))
            done += 1
            if waits_on_io(wall=time.perf_counter() - wall, cpu=time.thread_time() - cpu):
                jobs = AUTO_JOBS
                break
    rest = chunks[done:]
    if jobs <= 1 or len(rest) <= 1:
        for chunk in rest:
            results.extend(_inspect_chunk(chunk))
            advance(len(chunk))
        return results
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ove-header") as pool:
        for chunk, infos in zip(rest, pool.map(_inspect_chunk, rest), strict=True):
            results.extend(infos)
            advance(len(chunk))
    return results


def waits_on_io(*, wall: float, cpu: float) -> bool:
    """True when a chunk of header reads took ``IO_WAIT_RATIO`` times longer than the CPU time
    it used: the thread mostly waited on the disk, so more readers would overlap the waits.

    >>> waits_on_io(wall=0.010, cpu=0.009), waits_on_io(wall=0.050, cpu=0.009)
    (False, True)
    """
    return wall > IO_WAIT_RATIO * max(cpu, 1e-6)


def _inspect_chunk(paths: Sequence[Path]) -> list[ImageInfo | str]:
    return [_inspect_one(p) for p in paths]


class Pricer:
    """Tokens and USD per image, cached by image size (photo sets repeat a few sizes)."""

    def __init__(self, table: PriceTable, model: str, detail: str) -> None:
        from .._preflight import DEFAULT_LIMITS

        self._table, self._model, self._detail = table, model, detail
        self._max_bytes = DEFAULT_LIMITS.max_image_bytes
        self._by_size: dict[tuple[int, int], tuple[int, float | None] | str] = {}

    def row(self, path: str, info: ImageInfo | str) -> ImageRow:
        from .._batch import error_reason
        from .._image.images import check_sendable

        if isinstance(info, str):
            return ImageRow(path, None, None, None, info)
        try:
            check_sendable(info, max_bytes=self._max_bytes, label="the image")
        except OpenAIVisionExtError as exc:
            return ImageRow(path, info, None, None, error_reason(exc))
        priced = self._priced(info.width, info.height)
        if isinstance(priced, str):
            return ImageRow(path, info, None, None, priced)
        return ImageRow(path, info, priced[0], priced[1], None)

    def _priced(self, width: int, height: int) -> tuple[int, float | None] | str:
        key = (width, height)
        if key not in self._by_size:
            self._by_size[key] = self._compute(width, height)
        return self._by_size[key]

    def _compute(self, width: int, height: int) -> tuple[int, float | None] | str:
        from .._batch import error_reason
        from .._estimate import estimate_image_tokens

        try:
            tokens = estimate_image_tokens(
                width,
                height,
                model=self._model,
                detail=self._detail,  # type: ignore[arg-type]
            )
        except (OpenAIVisionExtError, ValueError) as exc:
            return error_reason(exc)
        return tokens, input_usd(self._table, self._model, tokens, tier="standard")


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "code": self.code, "message": self.message}


def violation_code(exc: BaseException) -> str:
    from .._preflight import _CODES

    return next((code for cls, code in _CODES if isinstance(exc, cls)), "invalid_image")


def image_problems(
    where: str, info: ImageInfo | str, model: str, detail: str, max_bytes: int
) -> list[Problem]:
    from .._batch import error_reason
    from .._estimate import estimate_image_tokens
    from .._image.images import check_sendable
    from .._image.sources import inspect_image

    if isinstance(info, str):  # read_headers keeps only the reason: inspect again for the code
        try:
            inspect_image(where)
        except (OpenAIVisionExtError, OSError) as exc:
            return [Problem(where, violation_code(exc), error_reason(exc))]
        return [Problem(where, "unreadable_image", info)]  # pragma: no cover (file changed)
    problems = []
    try:
        check_sendable(info, max_bytes=max_bytes, label="the image")
    except OpenAIVisionExtError as exc:
        problems.append(Problem(where, violation_code(exc), error_reason(exc)))
    try:
        estimate_image_tokens(info.width, info.height, model=model, detail=detail)  # type: ignore[arg-type]
    except (OpenAIVisionExtError, ValueError) as exc:
        problems.append(Problem(where, "not_accepted_by_model", error_reason(exc)))
    return problems


def decode_problems(path: Path) -> list[Problem]:
    """Decode the pixels as preparing would, within its decode budget (see
    ``verify_decodes``); a truncated, damaged or too large file is a problem."""
    from .._batch import error_reason
    from .._image.prepare import verify_decodes

    try:
        verify_decodes(path.read_bytes())
    except OSError as exc:
        return [Problem(str(path), "unreadable_image", " ".join(str(exc).split()))]
    except OpenAIVisionExtError as exc:
        reason = f"cannot decode the pixels: {error_reason(exc)}"
        return [Problem(str(path), violation_code(exc), reason)]
    return []


def estimate_rows(
    files: Sequence[Path],
    infos: Sequence[ImageInfo | str],
    missing: Sequence[tuple[Path, str]],
    pricer: Pricer,
) -> list[ImageRow]:
    """One row per argument that does not exist, then one per file read, in order."""
    rows = [ImageRow(str(p), None, None, None, reason) for p, reason in missing]
    rows += [pricer.row(str(path), info) for path, info in zip(files, infos, strict=True)]
    return rows


def estimate_totals(rows: Sequence[ImageRow], table: PriceTable, model: str) -> dict[str, Any]:
    """Images estimated, problems, total tokens and their USD at standard and batch prices."""
    ok = [r for r in rows if r.tokens is not None]
    tokens = sum(r.tokens for r in ok if r.tokens is not None)
    return {
        "images": len(ok),
        "problems": sum(1 for r in rows if r.problem is not None),
        "tokens": tokens,
        "usd": input_usd(table, model, tokens, tier="standard"),
        "usd_batch": input_usd(table, model, tokens, tier="batch"),
    }


def request_problems(
    body: Mapping[str, Any], api: Api, model: str, limits: ImageLimits, *, where: str
) -> list[Problem]:
    """Preflight problems of one request body (``create(...)`` keywords); ``messages`` without
    ``input`` means Chat Completions whatever ``api`` says."""
    from .._preflight import check_request

    if "messages" in body and "input" not in body:
        api = "chat.completions"
    outcome = check_request(api, str(body.get("model") or model), body, limits=limits)
    return [
        Problem(f"{where}:{v.location}" if v.location else where, v.code, v.message)
        for v in outcome.violations
    ]


def evaluate_observations(lines: Iterable[bytes]) -> tuple[list[Any], list[tuple[int, str]]]:
    """Calibration outcomes of a JSONL observations file's lines, and its bad lines."""
    from .._batch import error_reason, json_object_line
    from .._calibrate import evaluate, mark_drift, observation_from_record

    outcomes, problems = [], []
    for line_no, raw in enumerate(lines, start=1):
        record = json_object_line(raw)
        if record is None:
            continue
        if isinstance(record, str):
            problems.append((line_no, record))
            continue
        try:
            outcomes.append(evaluate(observation_from_record(record)))
        except (OpenAIVisionExtError, KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append((line_no, f"not an observation ({error_reason(exc)})"))
    return mark_drift(outcomes), problems


def batch_summary(lines: Iterable[bytes], table: PriceTable, *, max_problems: int) -> BatchSummary:
    """Estimate every request line of a Batch API input file, priced at batch prices."""
    from .._batch import summarize_batch
    from .._estimate import estimate_request

    def estimate_line(api: Api, body: Mapping[str, Any]) -> Any:
        return estimate_request(api=api, **body)

    def price(model: str, tokens: int) -> float | None:
        return input_usd(table, model, tokens, tier="batch")

    def output_price(model: str, tokens: int) -> float | None:
        cost = table.cost(model, input_tokens=0, output_tokens=tokens, tier="batch")
        return None if cost is None else cost.output_usd

    return summarize_batch(
        lines,
        estimate=estimate_line,
        price=price,
        output_price=output_price,
        max_problems=max_problems,
    )


def drift_summary(
    lines: Iterable[bytes], *, threshold_pct: float, models: Sequence[str] = ()
) -> DriftSummary:
    """Estimated vs billed per model and day from an audit log's lines (only ``models``, if
    any are given)."""
    from dataclasses import replace

    from .._drift import parse_log_line, summarize_drift

    records = (
        rec
        for n, raw in enumerate(lines, start=1)
        if (rec := parse_log_line(raw, line_no=n)) is not None
    )
    summary = summarize_drift(records, threshold_pct=threshold_pct)
    if models:
        summary = replace(
            summary,
            rows=tuple(r for r in summary.rows if r.model in models),
            spend=tuple(r for r in summary.spend if r.model in models),
        )
    return summary


def rule_rows() -> list[dict[str, object]]:
    """Every built-in image rule as a JSON-ready row: family, constants, source, date and
    whether bills verify it, sorted by name.

    >>> row = next(r for r in rule_rows() if r["name"] == "gpt-4o")
    >>> row["family"], row["constants"], row["verified"]
    ('tile', 'base 85, tile 170', True)
    """
    from .._rules import builtin_rules

    return [
        {
            "name": rule.name,
            "family": rule.family,
            "constants": _constants(rule),
            "auto": rule.auto,
            "source": rule.source,
            "as_of": rule.as_of.isoformat(),
            "verified": rule.verified,
            "notes": list(rule.notes),
        }
        for rule in sorted(builtin_rules().values(), key=lambda r: r.name)
    ]


def _constants(rule: ModelRule) -> str:
    if rule.family == "tile":
        return f"base {rule.base_tokens}, tile {rule.tile_tokens}"
    limits = ", ".join(
        f"{detail} {limit.max_patches}" + (f"/{limit.max_side}px" if limit.max_side else "")
        for detail, limit in rule.patch_limits
    )
    overhead = f", +{rule.image_overhead}" if rule.image_overhead else ""
    return f"x{float(rule.multiplier):g} {rule.rounding}{overhead}, patches {limits}"
