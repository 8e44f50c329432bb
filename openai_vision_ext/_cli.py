"""The ``openai-vision-ext`` command line (also ``python -m openai_vision_ext``): parsing and
printing only; every number comes from the library's pure functions.

Commands: ``estimate``, ``validate``, ``batch``, ``audit summarize``, ``calibrate``. Each takes
``--json`` for scripts. Heavy modules (Pillow, tiktoken, rich, matplotlib) are imported inside
the command that needs them, so ``--help`` starts fast.

Exit codes (``ExitCode``):

===  ====================================================================================
0    success, nothing to report
1    problems found and listed: missing or unreadable images, preflight violations, bad batch
     or log lines, drift beyond the threshold, missed calibration targets; everything else
     was still processed
2    usage error: unknown option or model, bad ``--detail``, missing argument
3    an input file (batch file, log, request body, observations, price file) cannot be read,
     or an output file cannot be written
4    an optional extra is missing (``--png``/``--html`` charts need ``[chart]``)
70   internal error (a bug: please report it; ``OPENAI_VISION_EXT_DEBUG=1`` shows the traceback)
130  interrupted (Ctrl-C)
===  ====================================================================================

Errors are one line on stderr: ``error: <what is wrong and what to do>``.
"""

from __future__ import annotations

import enum
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, NoReturn

import click

from ._exceptions import MissingExtraError, OpenAIVisionExtError, UnknownModelError
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console
    from rich.table import Table

    from ._batch import BatchSummary
    from ._drift import DriftSummary
    from ._prices import PriceTable, Tier
    from ._types import Api, ImageInfo

__all__ = ["ExitCode", "cli", "main"]


class ExitCode(enum.IntEnum):
    """Documented process exit codes."""

    OK = 0
    PROBLEMS = 1
    USAGE = 2
    UNREADABLE_INPUT = 3
    MISSING_EXTRA = 4
    INTERNAL = 70
    INTERRUPTED = 130


DETAIL_CHOICES: Final = ("low", "high", "auto", "original")
"""Same values as ``_types.DETAILS`` (kept literal so ``--help`` does not import the SDK)."""
API_CHOICES: Final = ("responses", "chat.completions")
IMAGE_SUFFIXES: Final = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".webp", ".gif"}
    | {".heic", ".heif", ".avif", ".bmp", ".tif", ".tiff", ".svg"}
)
"""Files picked up in a directory (a named file is always inspected; HEIC, BMP... are then
listed as unsupported, which is what the API would say)."""
PIPE_WIDTH: Final = 160
"""Table width when output is not a terminal (``COLUMNS`` overrides)."""
READ_CHUNK: Final = 64
"""Files per chunk (and per thread-pool task) when reading headers."""
AUTO_JOBS: Final = 8
"""Header-reading threads once reads are found to wait on the disk (``--jobs`` unset)."""
IO_WAIT_RATIO: Final = 2.0
"""A chunk whose wall time exceeds this many times its CPU time was waiting on I/O."""
PROGRESS_MIN_ITEMS: Final = 200
"""Fewer images than this never show a progress bar."""


class CliError(OpenAIVisionExtError):
    """A command failure reported as one ``error:`` line with ``code`` (never leaves ``main``)."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


class _Group(click.Group):
    """A click group whose errors are one ``error: ...`` line and an ``ExitCode``."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        code = _run(lambda: super(_Group, self).main(args, prog_name, complete_var, False, **extra))
        if standalone_mode:
            sys.exit(code)
        return code


_NO_ARGS_IS_HELP: Final[type[Exception] | tuple[()]] = getattr(
    click.exceptions, "NoArgsIsHelpError", ()
)
"""click >= 8.2 raises this for a bare group (``openai-vision-ext``, ``... audit``)."""


def _run(invoke: Callable[[], object]) -> int:
    try:
        rv = invoke()
    except _NO_ARGS_IS_HELP as exc:  # the group's help, as click prints it: not an "error:"
        click.echo(exc.format_message(), err=True)  # type: ignore[attr-defined]
        return int(ExitCode.USAGE)
    except click.UsageError as exc:
        return _report_error(exc.format_message(), ExitCode.USAGE)
    except click.ClickException as exc:
        return _report_error(exc.format_message(), exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        return _report_error("interrupted", ExitCode.INTERRUPTED)
    except CliError as exc:
        return _report_error(str(exc), exc.code)
    except UnknownModelError as exc:
        return _report_error(str(exc), ExitCode.USAGE)
    except MissingExtraError as exc:
        return _report_error(str(exc), ExitCode.MISSING_EXTRA)
    except OpenAIVisionExtError as exc:
        return _report_error(" ".join(str(exc).split()), ExitCode.PROBLEMS)
    except BrokenPipeError:
        sys.stderr.close()  # output piped into `head`: nothing left to say
        return int(ExitCode.OK)
    except Exception as exc:
        if os.environ.get("OPENAI_VISION_EXT_DEBUG"):
            raise
        return _report_error(
            f"internal error ({type(exc).__name__}: {exc}); please report it with the command line",
            ExitCode.INTERNAL,
        )
    return rv if isinstance(rv, int) else int(ExitCode.OK)


def _report_error(message: str, code: int) -> int:
    click.echo(f"error: {message}", err=True)
    return int(code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="openai-vision-ext")
def cli() -> None:
    """Check, estimate and audit images sent to OpenAI models, offline.

    \b
    Exit codes: 0 ok, 1 problems listed, 2 usage error (e.g. unknown model),
    3 unreadable input file, 4 missing optional extra, 70 internal error,
    130 interrupted.
    """


def main() -> NoReturn:
    """Console-script entry point: run the command line and exit with its ``ExitCode``."""
    cli.main(prog_name=_prog_name())
    raise AssertionError("unreachable: click exits")  # pragma: no cover


def _prog_name() -> str:
    argv0 = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "python -m openai_vision_ext" if argv0 == "__main__.py" else "openai-vision-ext"


# --- shared options and helpers --------------------------------------------------------------

_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
_model_option = click.option("--model", "-m", required=True, help="Model name, e.g. gpt-4o.")
_detail_option = click.option(
    "--detail",
    "-d",
    type=click.Choice(DETAIL_CHOICES),
    default="auto",
    show_default=True,
    help="Image detail sent with every image.",
)
_api_option = click.option(
    "--api",
    type=click.Choice(API_CHOICES),
    default="responses",
    show_default=True,
    help="API the requests go to.",
)
_jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Header-reading threads [default: 1, or 8 once reads wait on the disk].",
)
_prices_option = click.option(
    "--prices",
    "prices_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON price file laid over the shipped table.",
)


def _console(*, stderr: bool = False) -> Console:
    """A rich console; output to a pipe or file gets a wide page, so tables are not cut."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=stderr, highlight=False, width=PIPE_WIDTH)
    return console


def _table(title: str, *, text: Sequence[str], numbers: Sequence[str] = ()) -> Table:
    """A table with left-aligned text columns (folded when narrow) and right-aligned numbers
    (never squeezed below their header)."""
    from rich.table import Table
    from rich.text import Text

    # min_width: a title longer than the columns stays on one line instead of wrapping.
    table = Table(title=title, title_justify="left", min_width=Text.from_markup(title).cell_len)
    for name in text:
        table.add_column(name, overflow="fold")
    for name in numbers:
        table.add_column(name, justify="right", min_width=len(name), no_wrap=True)
    return table


def _emit_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _check_model(model: str) -> str:
    """The rule name for ``model``; ``UnknownModelError`` becomes exit code 2 in ``_run``."""
    from ._rules import get_model_rule

    return get_model_rule(model).name


def _price_table(path: Path | None) -> PriceTable:
    from ._prices import DEFAULT_PRICES, load_prices

    if path is None:
        return DEFAULT_PRICES
    try:
        return load_prices(path)
    except OSError as exc:
        raise CliError(
            f"cannot read price file {path}: {exc.strerror or exc}", ExitCode.UNREADABLE_INPUT
        ) from None


def _input_usd(table: PriceTable, model: str, tokens: int, *, tier: Tier) -> float | None:
    cost = table.cost(model, input_tokens=tokens, output_tokens=0, tier=tier)
    return None if cost is None else cost.input_usd


def _usd(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.2f}" if value >= 1 else f"${value:.6f}"


@contextmanager
def _open_input(path: Path, what: str) -> Iterator[IO[bytes]]:
    """Open an input file for binary reading; failure is exit code 3 with one line."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise CliError(
            f"cannot read {what} {path}: {exc.strerror or exc}", ExitCode.UNREADABLE_INPUT
        ) from None
    with handle:
        yield handle


@contextmanager
def _progress(total: int, label: str, *, enabled: bool) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draws a transient progress bar on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (label, BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _byte_lines(handle: IO[bytes], advance: Callable[[int], None]) -> Iterator[bytes]:
    """Lines of a binary file, one at a time (never the whole file), reporting bytes read."""
    for line in handle:
        advance(len(line))
        yield line


# --- estimate ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ImageRow:
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
    from ._batch import error_reason
    from ._images import inspect_image

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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_model_option
@_detail_option
@_api_option
@_prices_option
@click.option("--rows", default=40, show_default=True, help="Image rows in the table (0: all).")
@_jobs_option
@_json_option
def estimate(
    paths: tuple[Path, ...],
    model: str,
    detail: str,
    api: str,
    prices_path: Path | None,
    rows: int,
    jobs: int | None,
    as_json: bool,
) -> int:
    """Estimate image input tokens and USD for image files and directories.

    Reads only image headers (in parallel), never decodes pixels. Counts image tokens only:
    text and per-request framing add a few tokens per request. Images OpenAI would refuse
    (unsupported format, animated, over 20 MB) are listed as problems; the rest are estimated.

    \b
    Example:
      openai-vision-ext estimate photos/ --model gpt-4.1-mini --detail high
    """
    rule = _check_model(model)
    table = _price_table(prices_path)
    files, missing = collect_paths(paths)
    with _progress(len(files), "reading headers", enabled=len(files) >= PROGRESS_MIN_ITEMS) as adv:
        infos = read_headers(files, jobs=jobs, advance=adv)
    priced = _Pricer(table, model, detail)
    image_rows = [_ImageRow(str(p), None, None, None, reason) for p, reason in missing]
    image_rows += [priced.row(str(path), info) for path, info in zip(files, infos, strict=True)]

    ok = [r for r in image_rows if r.tokens is not None]
    problems = [r for r in image_rows if r.problem is not None]
    total_tokens = sum(r.tokens for r in ok if r.tokens is not None)
    totals = {
        "images": len(ok),
        "problems": len(problems),
        "tokens": total_tokens,
        "usd": _input_usd(table, model, total_tokens, tier="standard"),
        "usd_batch": _input_usd(table, model, total_tokens, tier="batch"),
    }
    if as_json:
        _emit_json(
            {
                "model": model,
                "rule": rule,
                "detail": detail,
                "api": api,
                "images": [r.to_json() for r in image_rows],
                "totals": totals,
            }
        )
    else:
        _print_estimate(image_rows, totals, model=model, detail=detail, max_rows=rows)
    return ExitCode.PROBLEMS if problems else ExitCode.OK


class _Pricer:
    """Tokens and USD per image, cached by image size (photo sets repeat a few sizes)."""

    def __init__(self, table: PriceTable, model: str, detail: str) -> None:
        from ._preflight import DEFAULT_LIMITS

        self._table, self._model, self._detail = table, model, detail
        self._max_bytes = DEFAULT_LIMITS.max_image_bytes
        self._by_size: dict[tuple[int, int], tuple[int, float | None] | str] = {}

    def row(self, path: str, info: ImageInfo | str) -> _ImageRow:
        from ._batch import error_reason
        from ._images import check_sendable

        if isinstance(info, str):
            return _ImageRow(path, None, None, None, info)
        try:
            check_sendable(info, max_bytes=self._max_bytes, label="the image")
        except OpenAIVisionExtError as exc:
            return _ImageRow(path, info, None, None, error_reason(exc))
        priced = self._priced(info.width, info.height)
        if isinstance(priced, str):
            return _ImageRow(path, info, None, None, priced)
        return _ImageRow(path, info, priced[0], priced[1], None)

    def _priced(self, width: int, height: int) -> tuple[int, float | None] | str:
        key = (width, height)
        if key not in self._by_size:
            self._by_size[key] = self._compute(width, height)
        return self._by_size[key]

    def _compute(self, width: int, height: int) -> tuple[int, float | None] | str:
        from ._batch import error_reason
        from ._estimate import estimate_image_tokens

        try:
            tokens = estimate_image_tokens(
                width,
                height,
                model=self._model,
                detail=self._detail,  # type: ignore[arg-type]
            )
        except (OpenAIVisionExtError, ValueError) as exc:
            return error_reason(exc)
        return tokens, _input_usd(self._table, self._model, tokens, tier="standard")


def _print_estimate(
    image_rows: Sequence[_ImageRow],
    totals: Mapping[str, Any],
    *,
    model: str,
    detail: str,
    max_rows: int,
) -> None:

    console = _console()
    ok = [r for r in image_rows if r.info is not None and r.tokens is not None]
    shown = ok if max_rows <= 0 else ok[:max_rows]
    base, names = _short_paths([r.path for r in shown])
    if shown:
        title = f"[bold]{model}[/] · detail={detail}" + (f" · in {base}" if base else "")
        table = _table(title, text=("image", "format"), numbers=("size", "tokens", "USD"))
        for r, name in zip(shown, names, strict=True):
            assert r.info is not None
            table.add_row(
                name,
                r.info.format.upper(),
                f"{r.info.width}x{r.info.height}",
                f"{r.tokens or 0:,}",
                _usd(r.usd),
            )
        if len(ok) > len(shown):
            table.caption = f"{len(ok) - len(shown):,} more images not shown (--rows 0 shows all)"
        console.print(table)
    _print_problems(console, [(r.path, r.problem or "") for r in image_rows if r.problem])
    n = totals["images"]
    console.print(
        f"[bold]{n:,} image{'s' if n != 1 else ''}[/] · [bold]{totals['tokens']:,}[/] input "
        f"tokens · [bold]{_usd(totals['usd'])}[/] ({_usd(totals['usd_batch'])} with the Batch API)"
    )
    console.print("[dim]Image tokens only: text and request framing add a few tokens.[/]")


def _short_paths(paths: Sequence[str]) -> tuple[str, list[str]]:
    """A common directory (``""`` if none worth showing) and each path relative to it.

    >>> _short_paths(["/data/a/x.png", "/data/a/b/y.png"])
    ('/data/a/', ['x.png', 'b/y.png'])
    >>> _short_paths(["x.png"])
    ('', ['x.png'])
    """
    if len(paths) < 2:
        return "", list(paths)
    try:
        base = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # mixed absolute and relative paths
        return "", list(paths)
    if not base:
        return "", list(paths)
    return base.rstrip(os.sep) + os.sep, [os.path.relpath(p, base) for p in paths]


def _print_problems(console: Console, problems: Sequence[tuple[str, str]]) -> None:
    if not problems:
        return

    table = _table(f"{len(problems)} problem(s)", text=("where", "problem"))
    table.title_style = "red"
    for where, reason in problems:
        table.add_row(where, reason)
    console.print(table)


# --- validate ---------------------------------------------------------------------------------


LIMIT_PROFILE_CHOICES: Final = ("2025", "2026-04")
"""Same keys as ``_preflight.LIMIT_PROFILES`` (literal so ``--help`` stays light)."""


@dataclass(frozen=True, slots=True)
class _Problem:
    where: str
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "code": self.code, "message": self.message}


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_model_option
@_detail_option
@_api_option
@click.option(
    "--request",
    "request_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also check a whole request body (JSON: the keywords of create(...)).",
)
@click.option(
    "--limits",
    "limits_name",
    type=click.Choice(LIMIT_PROFILE_CHOICES),
    default=LIMIT_PROFILE_CHOICES[-1],
    show_default=True,
    help="Dated limit profile.",
)
@click.option(
    "--decode",
    is_flag=True,
    help="Also decode every image with Pillow: catches files cut short after their header "
    "(slower: reads all pixels).",
)
@_jobs_option
@_json_option
def validate(
    paths: tuple[Path, ...],
    model: str,
    detail: str,
    api: str,
    request_path: Path | None,
    limits_name: str,
    decode: bool,
    jobs: int | None,
    as_json: bool,
) -> int:
    """Preflight image files (and a request body) for MODEL; exit 1 listing every problem.

    Each image is checked as OpenAI would: format, animation, size limits, and that the
    model can take it at DETAIL. Only headers are read unless --decode is given. A --request
    body is checked whole (image count and bytes).
    """
    from ._preflight import LIMIT_PROFILES

    if not paths and request_path is None:
        raise click.UsageError("give image PATHS, --request FILE, or both")
    _check_model(model)
    limits = LIMIT_PROFILES[limits_name]
    files, missing = collect_paths(paths)
    problems = [_Problem(str(p), "unreadable_image", reason) for p, reason in missing]
    with _progress(len(files), "checking images", enabled=len(files) >= PROGRESS_MIN_ITEMS) as adv:
        infos = read_headers(files, jobs=jobs, advance=adv)
    for path, info in zip(files, infos, strict=True):
        found = _image_problems(str(path), info, model, detail, limits.max_image_bytes)
        if decode and not found:
            found = _decode_problems(path)
        problems += found
    if request_path is not None:
        problems += _request_problems(request_path, api, model, limits)
    checked = len(files) + len(missing) + (request_path is not None)
    if as_json:
        _emit_json(
            {
                "model": model,
                "limits": limits.name,
                "checked": checked,
                "ok": not problems,
                "problems": [p.to_json() for p in problems],
            }
        )
    else:
        _print_validation(problems, checked=checked, model=model, limits=limits.name)
    return ExitCode.PROBLEMS if problems else ExitCode.OK


def _violation_code(exc: BaseException) -> str:
    from ._preflight import _CODES

    return next((code for cls, code in _CODES if isinstance(exc, cls)), "invalid_image")


def _image_problems(
    where: str, info: ImageInfo | str, model: str, detail: str, max_bytes: int
) -> list[_Problem]:
    from ._batch import error_reason
    from ._estimate import estimate_image_tokens
    from ._images import check_sendable, inspect_image

    if isinstance(info, str):  # read_headers keeps only the reason: inspect again for the code
        try:
            inspect_image(where)
        except (OpenAIVisionExtError, OSError) as exc:
            return [_Problem(where, _violation_code(exc), error_reason(exc))]
        return [_Problem(where, "unreadable_image", info)]  # pragma: no cover (file changed)
    problems = []
    try:
        check_sendable(info, max_bytes=max_bytes, label="the image")
    except OpenAIVisionExtError as exc:
        problems.append(_Problem(where, _violation_code(exc), error_reason(exc)))
    try:
        estimate_image_tokens(info.width, info.height, model=model, detail=detail)  # type: ignore[arg-type]
    except (OpenAIVisionExtError, ValueError) as exc:
        problems.append(_Problem(where, "not_accepted_by_model", error_reason(exc)))
    return problems


def _decode_problems(path: Path) -> list[_Problem]:
    """Decode all pixels with Pillow; a truncated or damaged file is a ``corrupt_image``."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... on bad data
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return [_Problem(str(path), "corrupt_image", f"cannot decode the pixels: {reason}")]
    return []


def _request_problems(path: Path, api: str, model: str, limits: Any) -> list[_Problem]:
    from ._preflight import check_request

    with _open_input(path, "request file") as handle:
        raw = handle.read()
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise CliError(f"{path} is not JSON ({exc})", ExitCode.UNREADABLE_INPUT) from None
    if not isinstance(body, dict):
        raise CliError(
            f"{path} must hold a JSON object (a request body)", ExitCode.UNREADABLE_INPUT
        )
    if "messages" in body and "input" not in body:
        api = "chat.completions"
    outcome = check_request(api, str(body.get("model") or model), body, limits=limits)  # type: ignore[arg-type]
    return [
        _Problem(f"{path}:{v.location}" if v.location else str(path), v.code, v.message)
        for v in outcome.violations
    ]


def _print_validation(
    problems: Sequence[_Problem], *, checked: int, model: str, limits: str
) -> None:

    console = _console()
    if not problems:
        console.print(
            f"[green]ok[/]: {checked:,} checked for {model} ({limits} limits), no problems"
        )
        return
    table = _table(
        f"{len(problems)} problem(s) for {model} ({limits} limits)",
        text=("where", "code", "problem"),
    )
    table.title_style = "red"
    for p in problems:
        table.add_row(p.where, p.code, p.message)
    console.print(table)


# --- calibrate --------------------------------------------------------------------------------


@cli.command()
@click.argument("observations", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--subset",
    type=click.Choice(("all", "simple", "tools")),
    default="all",
    show_default=True,
    help="Rows to show: all counted requests, single-turn ones, or those with tools.",
)
@click.option("--markdown", is_flag=True, help="Print the full markdown calibration report.")
@_json_option
def calibrate(observations: Path, subset: str, markdown: bool, as_json: bool) -> int:
    """Per-model residuals (billed - estimated input tokens) on real billed requests.

    OBSERVATIONS is a JSONL file of recorded requests with their billed usage (the format of
    real-usage/observations.jsonl). Exit 1 when a calibration target is missed.
    """
    from ._calibrate import check_images, failed_targets, render_markdown, summarize

    outcomes, problems = _load_observations(observations)
    checks = check_images(outcomes)
    failures = failed_targets(outcomes, checks)
    rows = [r for r in summarize(outcomes) if r.subset == subset]
    if as_json:
        from dataclasses import asdict

        _emit_json(
            {
                "subset": subset,
                "rows": [asdict(r) | {"exact_share": r.exact_share} for r in rows],
                "requests": len(outcomes),
                "excluded": sum(1 for o in outcomes if o.excluded is not None),
                "failed_targets": failures,
                "problems": [{"line_no": n, "reason": why} for n, why in problems],
            }
        )
    elif markdown:
        click.echo(render_markdown(outcomes, checks), nl=False)
    else:
        _print_calibration(rows, problems, failures, n=len(outcomes))
    return ExitCode.PROBLEMS if failures or problems else ExitCode.OK


def _load_observations(path: Path) -> tuple[list[Any], list[tuple[int, str]]]:
    from ._batch import error_reason, json_object_line
    from ._calibrate import evaluate, mark_drift, observation_from_record

    outcomes, problems = [], []
    with _open_input(path, "observations file") as handle:
        for line_no, raw in enumerate(handle, start=1):
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


def _print_calibration(
    rows: Sequence[Any], problems: Sequence[tuple[int, str]], failures: Sequence[str], *, n: int
) -> None:

    console = _console()
    table = _table(
        f"residuals = billed - estimated input tokens ({n:,} requests)",
        text=("api", "model"),
        numbers=("n", "exact", "exact %", "mean", "max |r|"),
    )
    for r in rows:
        style = "" if r.exact == r.n else "yellow"
        table.add_row(
            r.api, r.model, f"{r.n:,}", f"{r.exact:,}", f"{r.exact_share:.1%}",
            f"{r.mean_residual:+.2f}", f"{r.max_abs_residual:,}", style=style,
        )  # fmt: skip
    if rows:
        console.print(table)
    else:
        console.print("[yellow]no observations to compare[/]")
    _print_problems(console, [(f"line {n}", why) for n, why in problems])
    for failure in failures:
        console.print(f"[red]target missed:[/] {failure}")


# --- batch ------------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_prices_option
@click.option(
    "--max-problems", default=100, show_default=True, help="Bad lines to list (all are counted)."
)
@_json_option
def batch(file: Path, prices_path: Path | None, max_problems: int, as_json: bool) -> int:
    """Estimate input tokens and cost (batch prices) of a Batch API input file.

    Streams FILE line by line (constant memory); /v1/responses and /v1/chat/completions lines
    are estimated, bad lines are listed with their line number.
    """
    from ._batch import summarize_batch
    from ._estimate import estimate_request

    table = _price_table(prices_path)

    def estimate_line(api: Api, body: Mapping[str, Any]) -> Any:
        return estimate_request(api=api, **body)

    def price(model: str, tokens: int) -> float | None:
        return _input_usd(table, model, tokens, tier="batch")

    with _open_input(file, "batch file") as handle:
        size = os.fstat(handle.fileno()).st_size
        with _progress(size, "reading batch file", enabled=size > 8 << 20) as advance:
            summary = summarize_batch(
                _byte_lines(handle, advance),
                estimate=estimate_line,
                price=price,
                max_problems=max_problems,
            )
    if as_json:
        _emit_json(_batch_json(summary))
    else:
        _print_batch(summary, file)
    return ExitCode.PROBLEMS if summary.problem_count else ExitCode.OK


def _batch_json(summary: BatchSummary) -> dict[str, object]:
    from dataclasses import asdict

    return {
        "lines": summary.lines,
        "requests": summary.requests,
        "input_tokens": summary.input_tokens,
        "usd": summary.usd,
        "tier": "batch",
        "models": [asdict(m) for m in summary.models],
        "problem_count": summary.problem_count,
        "problems": [asdict(p) for p in summary.problems],
    }


def _print_batch(summary: BatchSummary, file: Path) -> None:

    console = _console()
    table = _table(
        f"{file} · batch prices",
        text=("model",),
        numbers=("requests", "images", "image tokens", "text tokens", "input tokens", "USD"),
    )
    for m in summary.models:
        table.add_row(
            m.model + (" [yellow]*[/]" if m.incomplete_requests else ""),
            f"{m.requests:,}",
            f"{m.images:,}",
            f"{m.image_tokens:,}",
            f"{m.text_tokens:,}",
            f"{m.input_tokens:,}",
            _usd(m.usd),
        )
    if len(summary.models) > 1:
        table.add_row(
            "[bold]total", f"{summary.requests:,}", "", "", "", f"{summary.input_tokens:,}",
            _usd(summary.usd),
        )  # fmt: skip
    if any(m.incomplete_requests for m in summary.models):
        table.caption = "* some images are URLs or file ids of unknown size: a lower bound"
    console.print(table)
    listed = [(f"line {p.line_no}", p.reason) for p in summary.problems]
    _print_problems(console, listed)
    if summary.problem_count > len(listed):
        console.print(f"[red]… and {summary.problem_count - len(listed):,} more bad lines[/]")


# --- audit summarize --------------------------------------------------------------------------


@cli.group()
def audit() -> None:
    """Read audit logs written by JsonlSink."""


@audit.command()
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--threshold", default=1.0, show_default=True, help="Drift flag beyond +-this mean delta (%)."
)
@click.option("--png", "png_path", type=click.Path(dir_okay=False, path_type=Path), help="Chart.")
@click.option(
    "--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), help="HTML report."
)
@click.option(
    "--model",
    "-m",
    "models",
    multiple=True,
    help="Only these models (repeatable; the requested model name).",
)
@_json_option
def summarize(
    log: Path,
    threshold: float,
    png_path: Path | None,
    html_path: Path | None,
    models: tuple[str, ...],
    as_json: bool,
) -> int:
    """Estimated vs billed input tokens per model and day, with drift flags.

    LOG is a JSONL audit log (JsonlSink), read line by line. A model-day is flagged when the
    mean of (estimated - billed) / billed leaves +-THRESHOLD percent. --png and --html need
    the [chart] extra.
    """
    from dataclasses import replace

    from ._drift import parse_log_line, render_drift_html, render_drift_png, summarize_drift

    with _open_input(log, "audit log") as handle:
        records = (
            rec
            for n, raw in enumerate(handle, start=1)
            if (rec := parse_log_line(raw, line_no=n)) is not None
        )
        summary = summarize_drift(records, threshold_pct=threshold)
    if models:
        summary = replace(summary, rows=tuple(r for r in summary.rows if r.model in models))
    png = render_drift_png(summary) if (png_path or html_path) else None
    if png_path is not None and png is not None:
        _write_output(png_path, png)
    if html_path is not None:
        _write_output(html_path, render_drift_html(summary, png=png).encode())
    if as_json:
        _emit_json(_drift_json(summary))
    else:
        _print_drift(summary, log, written=[p for p in (png_path, html_path) if p])
    bad = summary.flagged or summary.problem_count
    return ExitCode.PROBLEMS if bad else ExitCode.OK


def _write_output(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(
            f"cannot write {path}: {exc.strerror or exc}", ExitCode.UNREADABLE_INPUT
        ) from None


def _drift_json(summary: DriftSummary) -> dict[str, object]:
    from dataclasses import asdict

    return {
        "threshold_pct": summary.threshold_pct,
        "rows": [asdict(r) | {"delta_tokens": r.delta_tokens} for r in summary.rows],
        "flagged": len(summary.flagged),
        "skipped_records": summary.skipped,
        "problem_count": summary.problem_count,
        "problems": [asdict(p) for p in summary.problems],
    }


def _print_drift(summary: DriftSummary, log: Path, *, written: Sequence[Path]) -> None:

    console = _console()
    table = _table(
        f"{log} · estimated vs billed input tokens",
        text=("model", "day (UTC)"),
        numbers=("records", "estimated", "billed", "mean Δ", "drift"),
    )
    for r in summary.rows:
        flag = "[bold red]DRIFT[/]" if r.flagged else "[green]ok[/]"
        table.add_row(
            r.model,
            r.day,
            f"{r.records:,}",
            f"{r.estimated_input_tokens:,}",
            f"{r.billed_input_tokens:,}",
            f"{r.mean_delta_pct:+.2f} %",
            flag,
        )
    if summary.rows:
        console.print(table)
    else:
        console.print("[yellow]no audit records with both estimated and billed input tokens[/]")
    _print_problems(console, [(f"line {p.line_no}", p.reason) for p in summary.problems])
    console.print(
        f"{len(summary.flagged)} of {len(summary.rows)} model-days drift beyond "
        f"±{summary.threshold_pct:g} %; {summary.skipped} record(s) without both counts skipped."
    )
    for path in written:
        console.print(f"wrote {path}")
