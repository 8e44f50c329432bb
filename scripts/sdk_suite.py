"""Run the openai SDK's own offline test suite with our clients in place of its own.

Drop-in means identical: this downloads the source distribution of the *installed* ``openai``
version from PyPI, installs its test dependencies (from PyPI) in a virtualenv of its own next to
it, and runs its offline tests three times: as is, then with ``openai.OpenAI``,
``AsyncOpenAI``, ``AzureOpenAI`` and ``AsyncAzureOpenAI`` replaced by ``VisionOpenAI`` & co.
(``OPENAI_VISION_EXT_PREFLIGHT=off``, then the default). It prints the tests that newly fail
with our clients, grouped by cause, and exits 1 when any is not by design (see
``BY_DESIGN``) or when the download or the set-up fails: never a silent skip.

    python scripts/sdk_suite.py            # the fast subset (client, streaming, response, lib/)
    python scripts/sdk_suite.py --full     # every offline test (tests/api_resources needs a mock
                                           # server and is not offline)

Only PyPI is contacted (``pip download`` and ``pip install``); the tests themselves run offline.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAST = (
    "tests/test_client.py",
    "tests/test_legacy_response.py",
    "tests/test_module_client.py",
    "tests/test_response.py",
    "tests/test_streaming.py",
    "tests/lib",
)
"""The fast subset CI runs: the client, streaming, response and ``lib/`` (helpers) tests."""

OFFLINE_EXCLUDES = ("tests/api_resources", "tests/lib/live")
"""Not offline: ``api_resources`` needs the SDK's mock server, ``lib/live`` a real key."""

SKIPPED_DEV_DEPS = re.compile(r"^(ty|ruff|pandas-stubs|types-)", re.IGNORECASE)
"""Linters and stubs from the SDK's ``dev`` group: not needed to run its tests."""

TEST_TIMEOUT_S = 300
"""Per-test limit (pytest-timeout): the slowest SDK test takes seconds; a test past this hangs."""

SDK_EXTRAS = "aiohttp,datalib,realtime"
"""The SDK's extras its tests import (``voice_helpers`` needs the PortAudio C library: its
tests then fail the same way as is and with our clients)."""

BY_DESIGN = (
    "module-level client: the SDK's module client (``openai.api_key = ...``) is built from its "
    "own class, so any subclass in its place fails its identity checks",
    "preflight refused a non-image or a file part with no usable source (NOT_AN_IMAGE codes): "
    "the test sends them on purpose; the default preflight refuses them before sending",
)
"""The two causes of new failures that are by design; anything else is a regression."""

PLUGIN = '''
"""Loaded with ``-p``: puts our clients where the SDK's tests import theirs from."""
import importlib
import sys

import openai_vision_ext as ovx

SWAP = {
    "OpenAI": ovx.VisionOpenAI,
    "AsyncOpenAI": ovx.AsyncVisionOpenAI,
    "AzureOpenAI": ovx.VisionAzureOpenAI,
    "AsyncAzureOpenAI": ovx.AsyncVisionAzureOpenAI,
}
for name in ("openai", "openai._client", "openai.lib.azure"):
    importlib.import_module(name)
    module = sys.modules[name]  # the module itself (attributes may be lazy proxies)
    for attr, ours in SWAP.items():
        if attr in module.__dict__:
            setattr(module, attr, ours)
'''


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # passed | failed | skipped
    message: str
    log: str = ""
    """What the test logged (our preflight refusals are logged with their violation codes)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every offline test, not the subset")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=ROOT / ".sdk-suite",
        help="where the sdist, its virtualenv and the reports go (reused between runs)",
    )
    parser.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers per run")
    parser.add_argument(
        "--concurrent", action="store_true", help="run the three pytest runs at the same time"
    )
    parser.add_argument(
        "--tests", nargs="*", help="SDK test paths to run instead of the subset (for debugging)"
    )
    args = parser.parse_args(argv)

    version = importlib.metadata.version("openai")
    work = args.workdir.resolve() / f"openai-{version}"
    work.mkdir(parents=True, exist_ok=True)
    src = _sdist(version, work)
    python = _venv(version, src, work)
    plugin_dir = work / "plugin"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "ovx_substitute.py").write_text(PLUGIN)

    paths = list(args.tests or (["tests"] if args.full else FAST))
    runs = {
        "sdk": {},
        "ours, preflight off": {"OPENAI_VISION_EXT_PREFLIGHT": "off", "_plugin": "1"},
        "ours, default preflight": {"OPENAI_VISION_EXT_PREFLIGHT": "", "_plugin": "1"},
    }
    results: dict[str, dict[str, Outcome]] = {}
    started: list[_Run] = []
    for label, env in runs.items():
        started.append(_start(python, src, work, plugin_dir, paths, env, args.workers, label))
        if not args.concurrent:
            results[label] = _finish(started.pop())
    for run in started:
        results[run.label] = _finish(run)

    scope = "full offline suite" if args.full else "fast subset"
    print(f"\nopenai {version} sdist, {scope}: {', '.join(paths)}")
    baseline = results["sdk"]
    unexpected = 0
    for label in list(runs)[1:]:
        new = {
            test: outcome
            for test, outcome in results[label].items()
            if outcome.status == "failed" and baseline.get(test, Outcome("", "")).status != "failed"
        }
        fixed = [
            t
            for t, o in baseline.items()
            if o.status == "failed" and results[label].get(t, o).status == "passed"
        ]
        print(f"\n== {label}: {len(new)} newly failing, {len(fixed)} newly passing")
        groups: dict[tuple[str, bool], list[str]] = defaultdict(list)
        for test, outcome in sorted(new.items()):
            groups[_cause(outcome)].append(test)
        for (cause, by_design), tests in sorted(groups.items(), key=lambda item: -len(item[1])):
            unexpected += 0 if by_design else len(tests)
            shown = 10 if by_design else 50
            print(f"  [{'by design' if by_design else 'UNEXPECTED'}] {len(tests)} x {cause}")
            for test in tests[:shown]:
                print(f"      {test}")
            if len(tests) > shown:
                print(f"      ... and {len(tests) - shown} more")
    print(f"\nunexpected new failures: {unexpected}")
    return 1 if unexpected else 0


def _sdist(version: str, work: Path) -> Path:
    """The SDK's source tree for ``version``, downloaded once from PyPI."""
    src = work / f"openai-{version}"
    if (src / "tests").is_dir():
        return src
    download = work / "download"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            str(download),
            f"openai=={version}",
        ],
        what=f"download the openai {version} sdist from PyPI",
    )
    archives = sorted(download.glob(f"openai-{version}.tar.gz"))
    if not archives:
        _fail(f"pip download left no openai-{version}.tar.gz in {download}")
    with tarfile.open(archives[0]) as archive:
        archive.extractall(work, filter="data")
    if not (src / "tests").is_dir():
        _fail(f"the sdist has no tests/ folder at {src}")
    return src


def _venv(version: str, src: Path, work: Path) -> Path:
    """A virtualenv with this project, ``openai==version`` and the SDK's test dependencies."""
    project = tomllib.loads((src / "pyproject.toml").read_text())
    dev = [d for d in project["dependency-groups"]["dev"] if not SKIPPED_DEV_DEPS.match(d)]
    wanted = [str(ROOT), f"openai[{SDK_EXTRAS}]=={version}", *dev, "pytest-timeout"]
    stamp = hashlib.sha256(json.dumps(wanted).encode()).hexdigest()[:16]
    venv = work / "venv"
    python = venv / "bin" / "python"
    marker = venv / f".installed-{stamp}"
    if not marker.exists():
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], what="create the test virtualenv")
        _run(
            [str(python), "-m", "pip", "install", "--quiet", *wanted],
            what="install this project and the SDK's test dependencies from PyPI",
        )
        marker.touch()
    else:  # this project may have changed since: reinstall it alone
        _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--force-reinstall",
                str(ROOT),
            ],
            what="reinstall this project",
        )
    return python


@dataclass(slots=True)
class _Run:
    label: str
    process: subprocess.Popen[bytes]
    report: Path
    log: Path
    started: float


def _start(
    python: Path,
    src: Path,
    work: Path,
    plugin_dir: Path,
    paths: list[str],
    env_changes: dict[str, str],
    workers: str,
    label: str,
) -> _Run:
    slug = re.sub(r"[^a-z]+", "-", label)
    report, log = work / f"junit-{slug}.xml", work / f"log-{slug}.txt"
    report.unlink(missing_ok=True)
    # no OPENAI_*/AZURE_* variable (no key) reaches the SDK's tests, except ours below
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    env["PYTHONPATH"] = str(plugin_dir)
    env["DEFER_PYDANTIC_BUILD"] = "false"
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    command += ["--tb=line", "-n", workers, f"--junitxml={report}", "-o", "junit_logging=log"]
    # A hang (a deadlock in our clients) fails its one test instead of stalling CI for good.
    command += ["-o", f"timeout={TEST_TIMEOUT_S}"]
    if env_changes.get("_plugin"):
        command += ["-p", "ovx_substitute"]
    for name, value in env_changes.items():
        if not name.startswith("_"):
            env[name] = value
    command += [f"--ignore={p}" for p in OFFLINE_EXCLUDES] + paths
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=src, env=env, stdout=out, stderr=out)
    return _Run(label, process, report, log, time.monotonic())


def _finish(run: _Run) -> dict[str, Outcome]:
    code = run.process.wait()
    if code not in (0, 1) or not run.report.exists():
        tail = run.log.read_text(errors="replace")[-3000:]
        _fail(f"pytest ({run.label}) exited {code} without results:\n{tail}")
    outcomes = _outcomes(run.report)
    print(f"{run.label}: {_counts(outcomes)} ({time.monotonic() - run.started:.0f} s)", flush=True)
    return outcomes


def _outcomes(report: Path) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test = f"{case.get('classname', '')}::{case.get('name', '')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            message = problem.get("message") or (problem.text or "")
            log = "\n".join(part.text or "" for part in case.iter("system-out"))
            outcomes[test] = Outcome("failed", message, log)
        elif case.find("skipped") is not None:
            outcomes.setdefault(test, Outcome("skipped", ""))
        else:
            outcomes.setdefault(test, Outcome("passed", ""))
    return outcomes


def _counts(outcomes: dict[str, Outcome]) -> str:
    tally: dict[str, int] = defaultdict(int)
    for outcome in outcomes.values():
        tally[outcome.status] += 1
    return ", ".join(f"{tally[s]} {s}" for s in ("passed", "failed", "skipped"))


NOT_AN_IMAGE = frozenset(
    {
        *("unsupported_format", "corrupt_image", "empty_image", "missing_image"),
        *("invalid_image_url", "missing_file", "invalid_file_source"),
    }
)
"""Violation codes meaning "what was sent as an image or file is not one": bytes that are no
image (the SDK's computer-use and tool-runner tests send ``data:image/png;base64,c2NyZWVu``, the
text "screen", as a fake screenshot), an ``input_image`` or ``input_file`` with no source at
all, or a placeholder or empty string where the source goes (its input-history tests send
``"fixture-image"``, ``file_id: ""`` and ``file_data: ""``)."""

_REFUSAL = re.compile(r"PreflightError: \S+ request refused before sending \(([^)]*)\)")
_MODULE_CLIENT = re.compile(r"_(Azure)?ModuleClient object")


def _cause(outcome: Outcome) -> tuple[str, bool]:
    """A short, stable label for why a test failed, and whether that cause is by design."""
    refusals = _REFUSAL.findall(outcome.log) + _REFUSAL.findall(outcome.message)
    if refusals:
        codes = sorted({item.split(" at ")[0] for r in refusals for item in r.split(", ")})
        return f"preflight refused: {', '.join(codes)}", set(codes) <= NOT_AN_IMAGE
    if _MODULE_CLIENT.search(outcome.message):
        return "module-level client: the SDK's own class, not a subclass", True
    first = outcome.message.strip().splitlines()[0] if outcome.message.strip() else "(none)"
    return re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?", "#", first)[:160], False


def _run(command: list[str], *, what: str) -> None:
    print(f"+ {what}", flush=True)
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        _fail(f"could not {what}:\n{(completed.stdout + completed.stderr)[-3000:]}")


def _fail(message: str) -> None:
    print(f"sdk_suite: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


if __name__ == "__main__":
    raise SystemExit(main())
