"""Run crafted inputs through every public entry point; print peak memory and time as JSON.

Usage: ``python tests/unit/_bomb_runner.py FILE [FILE ...]`` (run from the repository root so
that the package imported is this checkout's). One JSON line per (file, entry point)::

    {"file": ..., "entry": ..., "outcome": "ok" | "<ErrorClass>", "typed": true,
     "peak_mb": 12.3, "seconds": 0.05}

``peak_mb`` is the peak resident set size above the baseline taken just before the call
(Linux: the peak is reset through ``/proc/self/clear_refs`` before each call). ``typed`` is
false when the error is not one of the package's own.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())

import openai
from PIL import Image  # noqa: F401  (imported before the baseline)

import openai_vision_ext as ove

MODEL = "gpt-4o"


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


@contextlib.contextmanager
def _server(files: dict[str, bytes]) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path.lstrip("/"), b"")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def entries(path: str, base_url: str) -> dict[str, Callable[[], object]]:
    """Every public entry point that reads an image, on the file at ``path``."""
    data = Path(path).read_bytes()
    name = Path(path).name
    local = ove.FetchOptions(allow_networks=("127.0.0.0/8",))
    data_url = "data:image/png;base64," + __import__("base64").b64encode(data).decode()
    content = [{"type": "input_image", "image_url": data_url, "detail": "auto"}]
    request = {"role": "user", "content": content}

    def client_call() -> object:
        client = ove.VisionOpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
        try:
            return client.with_options(max_retries=0).responses.create(model=MODEL, input=[request])
        except openai.APIConnectionError:
            return None  # the preflight ran; nothing listens on port 9

    return {
        "inspect_image": lambda: ove.inspect_image(path),
        "image_part": lambda: ove.image_part(path),
        "image_part_optimize": lambda: ove.image_part(path, optimize=True, model=MODEL),
        "image_part_first_frame": lambda: ove.image_part(
            path, optimize=True, model=MODEL, animated="first_frame"
        ),
        "prepare_image": lambda: ove.prepare_image(data),
        "prepare_image_no_model": lambda: ove.prepare_image(data, animated="first_frame"),
        "fetch": lambda: ove.prepare_image(
            base_url + name, fetch=True, model=MODEL, fetch_options=local
        ),
        "preflight": lambda: ove.preflight(model=MODEL, input=[request]),
        "client": client_call,
    }


def main(paths: list[str]) -> None:
    with _server({Path(p).name: Path(p).read_bytes() for p in paths}) as base_url:
        for path in paths:
            for entry, call in entries(path, base_url).items():
                _reset_peak()
                baseline = _status("VmRSS")
                start = time.perf_counter()
                try:
                    call()
                    outcome, typed = "ok", True
                except ove.OpenAIVisionExtError as exc:
                    outcome, typed = type(exc).__name__, True
                except Exception as exc:  # reported, not raised: the caller asserts
                    outcome, typed = f"{type(exc).__name__}: {str(exc)[:100]}", False
                seconds = time.perf_counter() - start
                peak = _status("VmHWM") - baseline
                line = {
                    "file": Path(path).name,
                    "entry": entry,
                    "outcome": outcome,
                    "typed": typed,
                    "peak_mb": round(peak / 2**20, 1),
                    "seconds": round(seconds, 3),
                }
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
