"""Every public image entry point over Pillow's own test images: typed errors, bounded time/memory.

Pillow's source distribution ships ``Tests/images``: about a thousand real malformed and exotic
files (fuzzer crashers, truncated files, odd modes, EPS/PSD/TGA/ICO/DDS/FLI/JPEG 2000/...);
pillow-heif's ships ``tests/images``: 75 HEIC/HEIF/AVIF files (corrupted, truncated, 10-bit,
rotated, multi-image). This downloads the sdists of the *installed* versions from PyPI
(``pip download``) and runs each file, and the first half of each, through ``inspect_image``,
``image_part`` (plain, ``optimize=True``, and ``animated="first_frame"``), ``prepare_image``,
``preflight`` and ``estimate_request`` on a request holding the file as a data URL, a
``VisionOpenAI`` client (its preflight runs; the request goes to a closed loopback port), and
the CLI's ``estimate`` and ``validate --decode``.

Each file runs in one of ``--jobs`` worker processes; a call that does not return within
``--kill`` seconds kills its worker (reported as a hang, the worker is replaced). Reported:

- ``untyped``: an exception that is not the package's ``OpenAIVisionExtError`` (for the client:
  a swallowed one, logged as "no report for this request"; for the CLI: exit code 70);
- ``slow``: a call over ``--hang`` seconds (default 5), or killed;
- ``memory``: a peak resident set over ``--mem`` MB (default 256) above the worker's baseline.

Exit status: 0 clean, 1 any finding (``--allow-slow`` reports slow calls without failing: a
loaded CI box times noisily), 2 the download or set-up failed (never a silent skip).

    python scripts/image_corpus.py                    # download, run, report
    python scripts/image_corpus.py --corpus DIR       # a directory of files instead (no download)
    python scripts/image_corpus.py --json out.jsonl   # also every call's outcome, one per line
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import queue
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o"
SDISTS: tuple[tuple[str, str, str], ...] = (
    ("pillow", "PIL", "Tests/images/"),
    ("pillow-heif", "pillow_heif", "tests/images/"),
)
"""(distribution, module, where its sdist keeps its test images); pillow-heif only if installed."""

INTERNAL_EXIT = 70
"""The CLI's exit code for an untyped exception (``ExitCode.INTERNAL``)."""
USAGE_EXIT = 2
"""The CLI's exit code for a usage error: the command lines here are fixed, so never expected."""


@dataclass
class Outcome:
    """One (file, entry point) call, as a worker reports it."""

    file: str
    entry: str
    outcome: str
    typed: bool
    seconds: float
    peak_mb: float

    def findings(self, hang: float, mem: float) -> list[str]:
        found = []
        if not self.typed:
            found.append("untyped")
        if self.seconds > hang:
            found.append("slow")
        if self.peak_mb > mem:
            found.append("memory")
        return found


# --- the worker: runs in a subprocess, one file path per stdin line ------------------------


def _status(name: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    return 0  # not Linux: no memory figure


def _reset_peak() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


class _Swallowed(logging.Handler):
    """Collects the client's "no report for this request" lines: an untyped error it hid."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "no report for this request" in message:
            self.messages.append(message)


def _data_url(data: bytes) -> str:
    """The file as a data URL of the type its bytes have (PNG when unknown: a mismatch)."""
    import openai_vision_ext as ove

    try:
        mime = ove.inspect_image(data).mime
    except ove.OpenAIVisionExtError:
        mime = "image/png"
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def _entries(path: Path, swallowed: _Swallowed, vision: Any) -> dict[str, Callable[[], str | None]]:
    """Every public entry point on one file; each returns an untyped failure's text or None."""
    import openai
    from click.testing import CliRunner

    import openai_vision_ext as ove
    from openai_vision_ext._cli.commands import cli

    data = path.read_bytes()
    message = {"role": "user", "content": [{"type": "input_image", "image_url": _data_url(data)}]}

    def client() -> str | None:
        swallowed.messages.clear()
        with contextlib.suppress(openai.APIConnectionError):  # the preflight ran; port 9 is shut
            vision.responses.create(model=MODEL, input=[message])
        return swallowed.messages[0] if swallowed.messages else None

    def command(*args: str) -> Callable[[], str | None]:
        def run() -> str | None:
            result = CliRunner().invoke(cli, [*args, str(path)])
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                return f"{type(result.exception).__name__}: {result.exception}"
            if result.exit_code in (INTERNAL_EXIT, USAGE_EXIT):  # usage: this script's bug
                return " ".join(result.output.split())[-300:]
            return None

        return run

    def call(fn: Callable[[], object]) -> Callable[[], str | None]:
        def run() -> str | None:
            fn()
            return None

        return run

    return {
        "inspect_image": call(lambda: ove.inspect_image(path)),
        "image_part": call(lambda: ove.image_part(path)),
        "image_part_optimize": call(lambda: ove.image_part(path, optimize=True, model=MODEL)),
        "image_part_first_frame": call(
            lambda: ove.image_part(path, optimize=True, model=MODEL, animated="first_frame")
        ),
        "prepare_image": call(lambda: ove.prepare_image(data)),
        "preflight": call(lambda: ove.preflight(model=MODEL, input=[message])),
        "estimate_request": call(lambda: ove.estimate_request(model=MODEL, input=[message])),
        "client": client,
        "cli_estimate": command("estimate", "--json", "-m", MODEL),
        "cli_validate": command("validate", "--json", "--decode", "--model", MODEL),
    }


def _run_one(name: str, call: Callable[[], str | None], file: str) -> Outcome:
    from openai_vision_ext import OpenAIVisionExtError

    _reset_peak()
    baseline = _status("VmRSS")
    start = time.perf_counter()
    try:
        hidden = call()
        outcome, typed = ("ok", True) if hidden is None else (hidden[:300], False)
    except OpenAIVisionExtError as exc:
        outcome, typed = type(exc).__name__, True
    except Exception as exc:  # the finding itself: reported, never raised
        outcome, typed = f"{type(exc).__name__}: {str(exc)[:200]}", False
    seconds = time.perf_counter() - start
    peak = max(0, _status("VmHWM") - baseline) / 2**20
    return Outcome(file, name, outcome, typed, round(seconds, 3), round(peak, 1))


def worker() -> None:
    """Read file paths from stdin; print one JSON line per entry point, then ``{"done": path}``."""
    import warnings

    import openai_vision_ext as ove

    warnings.simplefilter("ignore")  # Pillow's own warnings on odd files are not findings
    swallowed = _Swallowed()
    logging.getLogger("openai_vision_ext").addHandler(swallowed)
    client = ove.VisionOpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1", max_retries=0)
    for line in sys.stdin:
        name, _, path = line.rstrip("\n").partition("\t")
        for entry, call in _entries(Path(path), swallowed, client).items():
            print(json.dumps(_run_one(entry, call, name).__dict__), flush=True)
        print(json.dumps({"done": name}), flush=True)


# --- the parent: download, dispatch, report -------------------------------------------------


def _sdist_images(work: Path) -> Path:
    """Download the installed versions' sdists from PyPI and extract their test images, one
    directory per distribution under the returned one."""
    import importlib.metadata
    import importlib.util

    out = work / "images"
    for dist, module, images in SDISTS:
        if importlib.util.find_spec(module) is None:
            continue
        version = importlib.metadata.version(dist)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--no-binary", ":all:", "-d", str(work / dist), f"{dist}=={version}"]
        subprocess.run(command, check=True)
        (sdist,) = (work / dist).glob("*.tar.gz")
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers() if images in m.name and m.isfile()]
            for member in members:
                member.name = member.name.split(images, 1)[1]
            tar.extractall(out / dist, members=members, filter="data")
    return out


@dataclass
class _Slot:
    """One worker process and the thread that reads its output lines."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @classmethod
    def start(cls) -> _Slot:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-test"}
        env.pop("OPENAI_VISION_EXT_DEBUG", None)
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # libtiff & co. print warnings on odd files
            text=True,
            env=env,
            cwd=tempfile.gettempdir(),  # no stray output files in the checkout
        )
        slot = cls(proc)
        threading.Thread(target=slot._pump, daemon=True).start()
        return slot

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()


def _serve(files: queue.Queue[tuple[str, Path]], kill: float, results: list[Outcome]) -> None:
    """Feed files to one worker; a call silent for ``kill`` seconds is a hang: replace it."""
    slot = _Slot.start()
    try:
        while True:
            try:
                name, path = files.get_nowait()
            except queue.Empty:
                return
            assert slot.proc.stdin is not None
            slot.proc.stdin.write(f"{name}\t{path}\n")
            slot.proc.stdin.flush()
            if not _finish_file(slot, kill, name, results):
                slot.stop()
                slot = _Slot.start()
    finally:
        slot.stop()


def _finish_file(slot: _Slot, kill: float, name: str, results: list[Outcome]) -> bool:
    """Collect one file's outcomes; False (and a hang recorded) if the worker went silent."""
    entry = "start"
    while True:
        try:
            line = slot.lines.get(timeout=kill)
        except queue.Empty:
            line = None
        if line is None:
            code = slot.proc.poll()
            why = f"no answer within {kill:.0f} s" if code is None else f"worker died ({code})"
            results.append(Outcome(name, f"after {entry}", why, False, kill, 0.0))
            return False
        message = json.loads(line)
        if "done" in message:
            return True
        results.append(Outcome(**message))
        entry = message["entry"]


def _files(corpus: Path, truncated: Path | None) -> list[tuple[str, Path]]:
    """Every file under ``corpus`` by its relative name; with ``truncated``, also the first
    half of each (written there): the commonest real-world damage, a download cut short."""
    files = [(str(p.relative_to(corpus)), p) for p in sorted(corpus.rglob("*")) if p.is_file()]
    if truncated is None:
        return files
    halves = []
    for i, (name, path) in enumerate(files):
        data = path.read_bytes()
        half = truncated / f"{i}-{path.name}"
        half.write_bytes(data[: len(data) // 2])
        halves.append((f"{name} (first half)", half))
    return files + halves


def run(files: list[tuple[str, Path]], *, jobs: int, kill: float) -> list[Outcome]:
    pending: queue.Queue[tuple[str, Path]] = queue.Queue()
    for item in files:
        pending.put(item)
    results: list[Outcome] = []
    threads = [threading.Thread(target=_serve, args=(pending, kill, results)) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(results: list[Outcome], *, hang: float, mem: float, allow_slow: bool) -> int:
    files = {r.file for r in results}
    by_kind: dict[str, list[Outcome]] = {"untyped": [], "slow": [], "memory": []}
    for outcome in results:
        for kind in outcome.findings(hang, mem):
            by_kind[kind].append(outcome)
    print(f"{len(files)} files, {len(results)} calls")
    worst_time = max(results, key=lambda r: r.seconds)
    worst_mem = max(results, key=lambda r: r.peak_mb)
    print(f"slowest call: {worst_time.seconds:.2f} s ({worst_time.file}, {worst_time.entry})")
    print(f"largest peak: {worst_mem.peak_mb:.0f} MB ({worst_mem.file}, {worst_mem.entry})")
    failing = False
    for kind, found in by_kind.items():
        print(f"{kind}: {len(found)}")
        for r in found:
            print(f"  {r.file} [{r.entry}] {r.outcome} ({r.seconds:.2f} s, {r.peak_mb:.0f} MB)")
        failing |= bool(found) and not (kind == "slow" and allow_slow)
    return 1 if failing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help="a directory of files (no download)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--hang", type=float, default=5.0, help="slow call, s (default 5)")
    parser.add_argument("--kill", type=float, default=60.0, help="hung call, s (default 60)")
    parser.add_argument("--mem", type=float, default=256.0, help="peak MB (default 256)")
    parser.add_argument("--allow-slow", action="store_true", help="slow calls do not fail")
    parser.add_argument("--whole-only", action="store_true", help="skip the truncated halves")
    parser.add_argument("--json", type=Path, help="write every call's outcome here (JSONL)")
    args = parser.parse_args(argv)
    if args.worker:
        worker()
        return 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="image-corpus-") as work:
        try:
            corpus = args.corpus or _sdist_images(Path(work))
        except (OSError, subprocess.CalledProcessError, tarfile.TarError, ValueError) as exc:
            print(f"image_corpus: cannot get the test images: {exc}", file=sys.stderr)
            return 2
        halves = None if args.whole_only else Path(work) / "halves"
        if halves is not None:
            halves.mkdir()
        results = run(_files(corpus, halves), jobs=args.jobs, kill=args.kill)
    if not results:
        print("image_corpus: no files ran", file=sys.stderr)
        return 2
    if args.json:
        args.json.write_text("".join(json.dumps(r.__dict__) + "\n" for r in results))
    status = report(results, hang=args.hang, mem=args.mem, allow_slow=args.allow_slow)
    print(f"{time.perf_counter() - start:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
