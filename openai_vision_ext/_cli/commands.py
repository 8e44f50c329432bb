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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, NoReturn

import click

from .._exceptions import MissingExtraError, OpenAIVisionExtError, UnknownModelError
from .._version import __version__
from . import scan
from .files import document_problems, estimate_documents, print_documents, split_documents

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console
    from rich.table import Table

    from .._batch import BatchSummary
    from .._budget import Advice, Fit
    from .._drift import DriftSummary
    from .._prices import PriceTable
    from .._types import ImageInfo

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
PIPE_WIDTH: Final = 160
"""Table width when output is not a terminal (``COLUMNS`` overrides)."""
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


def _esc(text: object) -> str:
    """User text (file names, models, messages) made literal for rich: ``[bold]x.gif`` and the
    install hint's ``[heic]`` print as written, never as markup."""
    from rich.markup import escape

    return escape(str(text))


def _emit_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _check_model(model: str) -> str:
    """The rule name for ``model``; ``UnknownModelError`` becomes exit code 2 in ``_run``."""
    from .._rules import get_model_rule

    return get_model_rule(model).name


def _price_table(path: Path | None) -> PriceTable:
    from .._prices import DEFAULT_PRICES, load_prices

    if path is None:
        return DEFAULT_PRICES
    try:
        return load_prices(path)
    except OSError as exc:
        raise CliError(
            f"cannot read price file {path}: {exc.strerror or exc}", ExitCode.UNREADABLE_INPUT
        ) from None


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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--model", "-m", help="Model name, e.g. gpt-4o (optional with --compare).")
@_detail_option
@_api_option
@_prices_option
@click.option("--rows", default=40, show_default=True, help="Image rows in the table (0: all).")
@click.option(
    "--max-tokens",
    type=click.IntRange(min=0),
    help="Fit each image to at most N image tokens: print the detail and size chosen.",
)
@click.option(
    "--max-usd", type=click.FloatRange(min=0), help="Fit each image to at most this input USD."
)
@click.option(
    "--fit",
    "fit_all",
    is_flag=True,
    help="Fit each image (to --max-tokens/--max-usd if given, else to what the server keeps).",
)
@click.option(
    "--min-side", type=click.IntRange(min=1), help="Fitting and --compare: keep the short side."
)
@click.option(
    "--prefer",
    type=click.Choice(("size", "detail")),
    default="size",
    show_default=True,
    help="Fitting: give up detail (size) or pixels (detail) first.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Fitting: write the fitted images to this folder (decodes and resizes each once).",
)
@click.option(
    "--compare",
    help="Comma-separated models (e.g. gpt-4o,gpt-4.1-mini,gpt-5.4): the advice table per image.",
)
@_jobs_option
@_json_option
def estimate(
    paths: tuple[Path, ...],
    model: str | None,
    detail: str,
    api: str,
    prices_path: Path | None,
    rows: int,
    max_tokens: int | None,
    max_usd: float | None,
    fit_all: bool,
    min_side: int | None,
    prefer: str,
    out_dir: Path | None,
    compare: str | None,
    jobs: int | None,
    as_json: bool,
) -> int:
    """Estimate image input tokens and USD for image files and directories.

    Reads only image headers (in parallel), never decodes pixels. Counts image tokens only:
    text and per-request framing add a few tokens per request. Images OpenAI would refuse
    (unsupported format, animated, over 20 MB) are listed as problems; the rest are estimated.

    With --max-tokens/--max-usd (or --fit) each image is fitted: the detail and the largest
    size whose estimate fits, per image (--out writes them). --compare prints tokens and USD
    per model and detail for each image, with the cheapest option keeping --min-side.

    \b
    Examples:
      openai-vision-ext estimate photos/ --model gpt-4.1-mini --detail high
      openai-vision-ext estimate photos/ -m gpt-4o --max-tokens 500 --out small/
      openai-vision-ext estimate shot.png --compare gpt-4o,gpt-4.1-mini,gpt-5.4
    """
    fitting = fit_all or max_tokens is not None or max_usd is not None
    models = _compare_models(compare)
    if model is None and (fitting or not models):
        raise click.UsageError("Missing option '--model' / '-m' (optional only with --compare).")
    if out_dir is not None and not fitting:
        raise click.UsageError("--out writes fitted images: add --max-tokens, --max-usd or --fit.")
    table = _price_table(prices_path)
    documents, paths = split_documents(paths)  # PDFs and Office files: see _file_cli
    doc_rows = (
        estimate_documents(documents, model=model, api=api, detail=detail)  # type: ignore[arg-type]
        if model is not None
        else []
    )
    files, missing = scan.collect_paths(paths)
    with _progress(len(files), "reading headers", enabled=len(files) >= PROGRESS_MIN_ITEMS) as adv:
        infos = scan.read_headers(files, jobs=jobs, advance=adv)
    if model is None:
        return _compare_only(files, infos, missing, models, min_side, table, rows, as_json)
    rule = _check_model(model)
    verified = _rule_verified(model)
    image_rows = scan.estimate_rows(files, infos, missing, scan.Pricer(table, model, detail))
    totals = scan.estimate_totals(image_rows, table, model)
    spec = _FitSpec(model, detail, max_tokens, max_usd, min_side, prefer) if fitting else None
    fits = _fit_rows(image_rows, spec, table) if spec is not None else []
    written = _write_fitted(fits, spec, out_dir) if spec is not None and out_dir else []
    advice = _advice_rows(image_rows, models, min_side, table)
    if as_json:
        _emit_json(
            {
                "model": model,
                "rule": rule,
                "rule_verified": verified,
                "detail": detail,
                "api": api,
                "images": [r.to_json() for r in image_rows],
                "totals": totals,
                **({"fits": [f.to_json() for f in fits]} if spec is not None else {}),
                **({"written": [str(p) for p in written]} if out_dir is not None else {}),
                **({"advice": [_advice_json(p, a) for p, a in advice]} if models else {}),
                "files": [r.to_json() for r in doc_rows],
            }
        )
    else:
        if image_rows or not doc_rows:
            _print_estimate(image_rows, totals, model=model, detail=detail, max_rows=rows)
            if not verified:
                _console().print(
                    f"[yellow]rule {_esc(rule)} is unverified: no billed image backs it (guide "
                    "numbers); see `models`[/]"
                )
        if doc_rows:
            print_documents(doc_rows, click.echo)
        if spec is not None:
            _print_fits(fits, spec, written, out_dir, max_rows=rows)
        _print_advice(advice, max_rows=rows)
    problems = (
        totals["problems"]
        or any(f.problem for f in fits)
        or any(r.problem is not None for r in doc_rows)
    )
    return ExitCode.PROBLEMS if problems else ExitCode.OK


# --- estimate: fitting and advice -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FitSpec:
    model: str
    detail: str
    max_tokens: int | None
    max_usd: float | None
    min_side: int | None
    prefer: str

    def describe(self) -> str:
        limits = [f"{self.max_tokens:,} tokens" if self.max_tokens is not None else ""]
        limits.append(_usd(self.max_usd) if self.max_usd is not None else "")
        budget = " and ".join(x for x in limits if x) or "what the server keeps"
        return f"{self.model} · fit to {budget} · prefer={self.prefer}" + (
            f" · short side >= {self.min_side}" if self.min_side else ""
        )


@dataclass(frozen=True, slots=True)
class _FitRow:
    path: str
    fit: Fit | None
    problem: str | None

    def to_json(self) -> dict[str, object]:
        if self.fit is None:
            return {"path": self.path, "error": self.problem}
        f = self.fit
        return {
            "path": self.path,
            "original_width": f.original_width,
            "original_height": f.original_height,
            "width": f.width,
            "height": f.height,
            "detail": f.detail,
            "tokens": f.tokens,
            "usd": f.usd,
            "reason": f.reason,
        }


def _fit_rows(
    image_rows: Sequence[scan.ImageRow], spec: _FitSpec, table: PriceTable
) -> list[_FitRow]:
    """Each estimated image fitted on its header size (no pixels read)."""
    from .._budget import fit_size
    from .._exceptions import BudgetExceededError

    details = None if spec.detail == "auto" else [spec.detail]
    out: list[_FitRow] = []
    for r in image_rows:
        if r.info is None or r.problem:
            continue
        try:
            fit = fit_size(
                r.info.width,
                r.info.height,
                model=spec.model,
                max_tokens=spec.max_tokens,
                max_usd=spec.max_usd,
                min_side=spec.min_side,
                prefer=spec.prefer,  # type: ignore[arg-type]
                details=details,  # type: ignore[arg-type]
                prices=table,
            )
        except BudgetExceededError as exc:
            out.append(_FitRow(r.path, None, " ".join(str(exc).split())))
            continue
        out.append(_FitRow(r.path, fit, None))
    return out


def _write_fitted(fits: Sequence[_FitRow], spec: _FitSpec, out_dir: Path) -> list[Path]:
    """Prepare each fitted image (one decode, one resize) and write it under ``out_dir``."""
    from .._image.prepare import prepare_image

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(
            f"cannot create {out_dir}: {exc.strerror or exc}", ExitCode.UNREADABLE_INPUT
        ) from None
    written: list[Path] = []
    taken: set[str] = set()
    for row in fits:
        if row.fit is None:
            continue
        prepared = prepare_image(
            row.path,
            model=spec.model,
            detail=row.fit.detail,
            max_tokens=spec.max_tokens,
            max_usd=spec.max_usd,
            min_side=spec.min_side,
            prefer=spec.prefer,  # type: ignore[arg-type]
        )
        ext = "jpg" if prepared.mime == "image/jpeg" else (prepared.mime or "x/png").split("/")[1]
        name = _free_name(Path(row.path).stem, ext, taken)
        target = out_dir / name
        _write_output(target, prepared.data)
        written.append(target)
    return written


def _free_name(stem: str, ext: str, taken: set[str]) -> str:
    """``stem.ext``, or ``stem-2.ext``, ... when an earlier image took the name."""
    name, n = f"{stem}.{ext}", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.{ext}"
    taken.add(name)
    return name


def _print_fits(
    fits: Sequence[_FitRow],
    spec: _FitSpec,
    written: Sequence[Path],
    out_dir: Path | None,
    *,
    max_rows: int,
) -> None:
    console = _console()
    ok = [f for f in fits if f.fit is not None]
    shown = ok if max_rows <= 0 else ok[:max_rows]
    if shown:
        base, names = _short_paths([f.path for f in shown])
        title = f"[bold]{_esc(spec.describe())}[/]" + (f" · in {_esc(base)}" if base else "")
        table = _table(
            title, text=("image", "detail"), numbers=("original", "sent", "tokens", "USD")
        )
        for f, name in zip(shown, names, strict=True):
            assert f.fit is not None
            table.add_row(
                _esc(name),
                f.fit.detail,
                f"{f.fit.original_width}x{f.fit.original_height}",
                f"{f.fit.width}x{f.fit.height}",
                f"{f.fit.tokens:,}",
                _usd(f.fit.usd),
            )
        if len(ok) > len(shown):
            table.caption = f"{len(ok) - len(shown):,} more images not shown (--rows 0 shows all)"
        console.print(table)
    _print_problems(console, [(f.path, f.problem or "") for f in fits if f.problem])
    tokens = sum(f.fit.tokens for f in ok if f.fit is not None)
    console.print(f"[bold]{len(ok):,}[/] fitted · [bold]{tokens:,}[/] input tokens after fitting")
    if out_dir is not None:
        console.print(f"wrote {len(written):,} image(s) to {_esc(out_dir)}")


def _compare_models(compare: str | None) -> list[str]:
    if compare is None:
        return []
    models = [m.strip() for m in compare.split(",") if m.strip()]
    if not models:
        raise click.UsageError("--compare needs comma-separated model names")
    for m in models:
        _check_model(m)
    return models


def _advice_rows(
    image_rows: Sequence[scan.ImageRow],
    models: Sequence[str],
    min_side: int | None,
    table: PriceTable,
) -> list[tuple[str, Advice]]:
    from .._budget import advise_size

    if not models:
        return []
    return [
        (
            r.path,
            advise_size(
                r.info.width, r.info.height, models=models, min_side=min_side, prices=table
            ),
        )
        for r in image_rows
        if r.info is not None and not r.problem
    ]


def _advice_json(path: str, advice: Advice) -> dict[str, object]:
    return {"path": path, **advice.as_dict()}


def _print_advice(advice: Sequence[tuple[str, Advice]], *, max_rows: int) -> None:
    if not advice:
        return
    shown = advice if max_rows <= 0 else advice[:max_rows]
    for path, a in shown:
        click.echo(f"\n{path} ({a.width}x{a.height})")
        click.echo(str(a))
    if len(advice) > len(shown):
        click.echo(f"\n{len(advice) - len(shown):,} more images not shown (--rows 0 shows all)")


def _compare_only(
    files: Sequence[Path],
    infos: Sequence[ImageInfo | str],
    missing: Sequence[tuple[Path, str]],
    models: Sequence[str],
    min_side: int | None,
    table: PriceTable,
    rows: int,
    as_json: bool,
) -> int:
    """``estimate --compare`` without ``--model``: only the advice tables (and problems)."""
    pricer = scan.Pricer(table, models[0], "auto")
    image_rows = scan.estimate_rows(files, infos, missing, pricer)
    advice = _advice_rows(image_rows, models, min_side, table)
    problems = [(r.path, r.problem) for r in image_rows if r.problem]
    if as_json:
        _emit_json(
            {
                "models": list(models),
                "advice": [_advice_json(p, a) for p, a in advice],
                "problems": [{"path": p, "error": e} for p, e in problems],
            }
        )
    else:
        _print_advice(advice, max_rows=rows)
        _print_problems(_console(), [(p, e or "") for p, e in problems])
    return ExitCode.PROBLEMS if problems else ExitCode.OK


def _rule_verified(model: str) -> bool:
    from .._rules import get_model_rule

    return get_model_rule(model).verified


def _print_estimate(
    image_rows: Sequence[scan.ImageRow],
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
        title = f"[bold]{_esc(model)}[/] · detail={detail}" + (
            f" · in {_esc(base)}" if base else ""
        )
        table = _table(title, text=("image", "format"), numbers=("size", "tokens", "USD"))
        for r, name in zip(shown, names, strict=True):
            assert r.info is not None
            table.add_row(
                _esc(name),
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
        table.add_row(_esc(where), _esc(reason))
    console.print(table)


# --- models -----------------------------------------------------------------------------------


@cli.command()
@_json_option
def models(as_json: bool) -> int:
    """List every image token rule: family, constants, source, date, and whether real bills
    verify it (unverified rules use the guide's numbers).
    """
    rows = scan.rule_rows()
    if as_json:
        _emit_json({"rules": rows})
        return ExitCode.OK
    console = _console()
    table = _table(
        f"{len(rows)} image token rules",
        text=("rule", "family", "constants", "auto", "as of", "bills", "source"),
    )
    for row in rows:
        table.add_row(
            _esc(row["name"]),
            str(row["family"]),
            _esc(row["constants"]),
            str(row["auto"]),
            str(row["as_of"]),
            "[green]verified[/]" if row["verified"] else "[yellow]unverified[/]",
            _esc(row["source"]),
        )
    console.print(table)
    return ExitCode.OK


# --- validate ---------------------------------------------------------------------------------


LIMIT_PROFILE_CHOICES: Final = ("2025", "2026-04")
"""Same keys as ``_preflight.LIMIT_PROFILES`` (literal so ``--help`` stays light)."""


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
    help="Also decode every image within the decode budget (a larger one is checked by its end "
    "marker): catches files cut short after their header "
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
    from .._preflight import LIMIT_PROFILES

    if not paths and request_path is None:
        raise click.UsageError("give image PATHS, --request FILE, or both")
    _check_model(model)
    limits = LIMIT_PROFILES[limits_name]
    documents, paths = split_documents(paths)  # PDFs and Office files: see _file_cli
    files, missing = scan.collect_paths(paths)
    problems = [scan.Problem(str(p), "unreadable_image", reason) for p, reason in missing]
    doc_found = document_problems(documents, model=model, api=api, detail=detail)  # type: ignore[arg-type]
    problems += [scan.Problem(path, code, message) for path, code, message in doc_found]
    with _progress(len(files), "checking images", enabled=len(files) >= PROGRESS_MIN_ITEMS) as adv:
        infos = scan.read_headers(files, jobs=jobs, advance=adv)
    for path, info in zip(files, infos, strict=True):
        found = scan.image_problems(str(path), info, model, detail, limits.max_image_bytes)
        if decode and not found:
            found = scan.decode_problems(path)
        problems += found
    if request_path is not None:
        body = _read_request(request_path)
        where = str(request_path)
        problems += scan.request_problems(body, api, model, limits, where=where)  # type: ignore[arg-type]
    checked = len(files) + len(missing) + len(documents) + (request_path is not None)
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


def _read_request(path: Path) -> dict[str, Any]:
    """The JSON object in a request file; unreadable or not an object is exit code 3."""
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
    return body


def _print_validation(
    problems: Sequence[scan.Problem], *, checked: int, model: str, limits: str
) -> None:

    console = _console()
    if not problems:
        console.print(
            f"[green]ok[/]: {checked:,} checked for {_esc(model)} ({limits} limits), no problems"
        )
        return
    table = _table(
        f"{len(problems)} problem(s) for {_esc(model)} ({limits} limits)",
        text=("where", "code", "problem"),
    )
    table.title_style = "red"
    for p in problems:
        table.add_row(_esc(p.where), _esc(p.code), _esc(p.message))
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
    from .._calibrate import check_images, failed_targets, render_markdown, summarize

    with _open_input(observations, "observations file") as handle:
        outcomes, problems = scan.evaluate_observations(handle)
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
            r.api, _esc(r.model), f"{r.n:,}", f"{r.exact:,}", f"{r.exact_share:.1%}",
            f"{r.mean_residual:+.2f}", f"{r.max_abs_residual:,}", style=style,
        )  # fmt: skip
    if rows:
        console.print(table)
    else:
        console.print("[yellow]no observations to compare[/]")
    _print_problems(console, [(f"line {n}", why) for n, why in problems])
    for failure in failures:
        console.print(f"[red]target missed:[/] {_esc(failure)}")


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
    are estimated, bad lines are listed with their line number. Lines the Batch API would
    reject the whole file for (a repeated custom_id, an endpoint or model other than the
    first line's) are listed too. USD: input cost as estimated, and the most the output can
    cost (every request's max_output_tokens / max_completion_tokens at the output price).
    """
    table = _price_table(prices_path)
    with _open_input(file, "batch file") as handle:
        size = os.fstat(handle.fileno()).st_size
        with _progress(size, "reading batch file", enabled=size > 8 << 20) as advance:
            summary = scan.batch_summary(
                _byte_lines(handle, advance), table, max_problems=max_problems
            )
    if as_json:
        _emit_json(_batch_json(summary))
    else:
        _print_batch(summary, file)
    return ExitCode.PROBLEMS if summary.problem_count or summary.conflict_count else ExitCode.OK


def _batch_json(summary: BatchSummary) -> dict[str, object]:
    from dataclasses import asdict

    return {
        "lines": summary.lines,
        "requests": summary.requests,
        "input_tokens": summary.input_tokens,
        "usd": summary.usd,
        "usd_is": "input cost (estimated); output_usd_upper per model: most the output can cost",
        "tier": "batch",
        "models": [asdict(m) for m in summary.models],
        "problem_count": summary.problem_count,
        "problems": [asdict(p) for p in summary.problems],
        "conflict_count": summary.conflict_count,
        "conflicts": [asdict(p) for p in summary.conflicts],
    }


def _print_batch(summary: BatchSummary, file: Path) -> None:

    console = _console()
    table = _table(
        f"{_esc(file)} · batch prices",
        text=("model",),
        numbers=(
            "requests",
            "images",
            "image tokens",
            "text tokens",
            "input tokens",
            "input USD",
            "output USD ≤",
        ),
    )
    for m in summary.models:
        table.add_row(
            _esc(m.model) + (" [yellow]*[/]" if m.incomplete_requests else ""),
            f"{m.requests:,}",
            f"{m.images:,}",
            f"{m.image_tokens:,}",
            f"{m.text_tokens:,}",
            f"{m.input_tokens:,}",
            _usd(m.usd),
            _usd(m.output_usd_upper),
        )
    if len(summary.models) > 1:
        uppers = [m.output_usd_upper for m in summary.models]
        total_out = None if any(u is None for u in uppers) else sum(u or 0.0 for u in uppers)
        table.add_row(
            "[bold]total", f"{summary.requests:,}", "", "", "", f"{summary.input_tokens:,}",
            _usd(summary.usd), _usd(total_out),
        )  # fmt: skip
    captions = []
    if any(m.incomplete_requests for m in summary.models):
        captions.append("* some images are URLs or file ids of unknown size: a lower bound")
    if any(m.unbounded_output_requests for m in summary.models):
        captions.append("output n/a: some requests set no max_output_tokens (no upper bound)")
    table.caption = "\n".join(captions) or None
    console.print(table)
    listed = [(f"line {p.line_no}", p.reason) for p in summary.problems]
    _print_problems(console, listed)
    if summary.problem_count > len(listed):
        console.print(f"[red]… and {summary.problem_count - len(listed):,} more bad lines[/]")
    conflicts = [(f"line {p.line_no}", p.reason) for p in summary.conflicts]
    if conflicts:
        console.print("[red]The Batch API would reject this file:[/]")
        _print_problems(console, conflicts)
    if summary.conflict_count > len(conflicts):
        console.print(f"[red]… and {summary.conflict_count - len(conflicts):,} more conflicts[/]")


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
    """Estimated vs billed input tokens per model and day, with drift flags, and spend.

    LOG is a JSONL audit log (JsonlSink), read line by line. A model-day is flagged when the
    mean of (estimated - billed) / billed leaves +-THRESHOLD percent; records whose estimate
    was not exact (an image of unknown size...) are left out of the drift. Spend (USD) sums
    every priced record per model and day. --png and --html need the [chart] extra.
    """
    from .._drift import render_drift_html, render_drift_png

    with _open_input(log, "audit log") as handle:
        summary = scan.drift_summary(handle, threshold_pct=threshold, models=models)
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
        "inexact_records": summary.inexact,
        "spend": [asdict(r) for r in summary.spend],
        "problem_count": summary.problem_count,
        "problems": [asdict(p) for p in summary.problems],
    }


def _print_drift(summary: DriftSummary, log: Path, *, written: Sequence[Path]) -> None:

    console = _console()
    table = _table(
        f"{_esc(log)} · estimated vs billed input tokens (exact estimates only)",
        text=("model", "day (UTC)"),
        numbers=("records", "estimated", "billed", "mean Δ", "drift"),
    )
    for r in summary.rows:
        flag = "[bold red]DRIFT[/]" if r.flagged else "[green]ok[/]"
        table.add_row(
            _esc(r.model),
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
    if summary.spend:
        spend = _table(
            f"{_esc(log)} · spend (USD, every record)",
            text=("model", "day (UTC)"),
            numbers=("records", "USD", "unpriced"),
        )
        for row in summary.spend:
            spend.add_row(
                _esc(row.model), row.day, f"{row.records:,}", _usd(row.usd), f"{row.unpriced:,}"
            )
        console.print(spend)
    _print_problems(console, [(f"line {p.line_no}", p.reason) for p in summary.problems])
    console.print(
        f"{len(summary.flagged)} of {len(summary.rows)} model-days drift beyond "
        f"±{summary.threshold_pct:g} %; {summary.skipped} record(s) without both counts skipped; "
        f"{summary.inexact} record(s) with an inexact estimate (e.g. URL images) left out."
    )
    for path in written:
        console.print(f"wrote {_esc(path)}")
