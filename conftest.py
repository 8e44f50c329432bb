"""Doctest set-up for ``--doctest-modules``.

Public classes and functions say ``__module__ == "openai_vision_ext"`` (see ``_publish`` in the
package), so doctest collects their examples from the package root, whose namespace holds only
public names. Each such example also sees the globals of the private module that defines it,
as it did before, so examples may use that module's helpers.

File examples also see ``make_pdf`` and ``make_docx`` (``tests/unit/_pdfs.py``, the one minimal
PDF and OOXML writer: the package itself never writes documents).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

import openai_vision_ext

_ROOT = openai_vision_ext.__name__


def _load_pdfs() -> Any:
    path = Path(__file__).resolve().parent / "tests" / "unit" / "_pdfs.py"
    spec = importlib.util.spec_from_file_location("_pdfs_for_doctests", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PDFS = _load_pdfs()


@pytest.fixture(autouse=True)
def _doctest_globals(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> None:
    names = openai_vision_ext.__all__
    doctest_namespace.update({name: getattr(openai_vision_ext, name) for name in names})
    doctest_namespace["make_pdf"] = _PDFS.make_pdf
    doctest_namespace["make_docx"] = _PDFS.make_docx
    dtest = getattr(request.node, "dtest", None)
    if dtest is None:
        return
    home = _defining_globals(dtest.name)
    if home is not None:
        dtest.globs.update({k: v for k, v in home.items() if k not in dtest.globs})


def _defining_globals(test_name: str) -> dict[str, Any] | None:
    """The globals of the private module defining the public object a doctest belongs to."""
    parts = test_name.split(".")
    if parts[0] != _ROOT or len(parts) < 2:
        return None
    name = parts[2] if parts[1] == "__test__" and len(parts) > 2 else parts[1]
    if name not in openai_vision_ext.__all__:
        return None
    obj = getattr(openai_vision_ext, name)
    candidates = [obj] if not isinstance(obj, type) else list(vars(obj).values())
    for value in candidates:
        func = getattr(value, "fget", None) or getattr(value, "__func__", None) or value
        module = getattr(func, "__globals__", {}).get("__name__", "")
        if module.startswith(f"{_ROOT}._"):
            return dict(vars(sys.modules[module]))
    return None
