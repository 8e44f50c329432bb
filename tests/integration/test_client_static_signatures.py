"""What type checkers see: the ``if TYPE_CHECKING:`` signatures in ``_client.py`` hold every
parameter of the installed SDK's ``__init__`` (each overload) and ``copy()``, with the same
kind, default and annotation, plus our options where the runtime puts them. Written by
``scripts/gen_signatures.py``; when the SDK changes, these fail until it is rerun.
(tests/typing/check_client_signatures.py proves mypy and pyright use them.)"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _private import VisionClientMixin, merged_parameters, stand_in_for
from openai import NotGiven

from openai_vision_ext import (
    AsyncVisionAzureOpenAI,
    AsyncVisionOpenAI,
    VisionAzureOpenAI,
    VisionOpenAI,
)

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = (VisionOpenAI, AsyncVisionOpenAI, VisionAzureOpenAI, AsyncVisionAzureOpenAI)
OWN: dict[str, Callable[..., Any]] = {
    "__init__": VisionClientMixin.__init__,
    "copy": VisionClientMixin._vision_copy,
}
CLIENT_MODULE = sys.modules[merged_parameters.__module__]  # _client.py
SOURCE_FILE = Path(str(CLIENT_MODULE.__file__))
NAMESPACE = vars(CLIENT_MODULE)


def _static_defs(cls: type) -> dict[str, list[ast.FunctionDef]]:
    """The functions of ``cls``'s ``if TYPE_CHECKING:`` block, by name, in order."""
    tree = ast.parse(SOURCE_FILE.read_text())
    (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__]
    (block,) = [
        n
        for n in node.body
        if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING"
    ]
    defs: dict[str, list[ast.FunctionDef]] = {}
    for item in block.body:
        if isinstance(item, ast.FunctionDef):
            defs.setdefault(item.name, []).append(item)
    return defs


def _static_parameters(func: ast.FunctionDef) -> list[tuple[str, str, object, object]]:
    """(name, kind, default, annotation) per parameter of a parsed ``def``."""
    a = func.args
    kinds = [
        *((p, "POSITIONAL_ONLY") for p in a.posonlyargs),
        *((p, "POSITIONAL_OR_KEYWORD") for p in a.args),
        *((p, "VAR_POSITIONAL") for p in [a.vararg] if p),
        *((p, "KEYWORD_ONLY") for p in a.kwonlyargs),
        *((p, "VAR_KEYWORD") for p in [a.kwarg] if p),
    ]
    positional_defaults = [None] * (len(a.posonlyargs) + len(a.args) - len(a.defaults))
    defaults = dict(
        zip(
            [p.arg for p in [*a.posonlyargs, *a.args]],
            [*positional_defaults, *a.defaults],
            strict=True,
        )
    )
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)})
    return [
        (p.arg, kind, _value(defaults.get(p.arg)), p.annotation and _union(p.annotation))
        for p, kind in kinds
    ]


def _expected_parameters(sdk_method: Any, own: Any) -> list[tuple[str, str, object, object]]:
    return [
        (
            p.name,
            p.kind.name,
            inspect.Parameter.empty if p.default is p.empty else _comparable(p.default),
            None if p.annotation is p.empty else _union(ast.parse(p.annotation, mode="eval").body),
        )
        for p in merged_parameters(sdk_method, own)
    ]


def _value(node: ast.expr | None) -> object:
    if node is None:
        return inspect.Parameter.empty
    return _comparable(eval(ast.unparse(node), NAMESPACE))  # names: the module's own


def _comparable(value: object) -> object:
    return NotGiven if isinstance(value, NotGiven) else value


def _union(node: ast.expr) -> frozenset[str]:
    """An annotation as a set of union members (their order means nothing to a checker)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(node.left) | _union(node.right)
    return frozenset({ast.dump(node)})


@pytest.mark.parametrize("ours", CLIENTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", ["__init__", "copy"])
def test_static_signatures_equal_the_installed_sdks_plus_ours(ours: type, method: str) -> None:
    sdk_method = getattr(stand_in_for(ours), method)
    variants = [*typing.get_overloads(sdk_method), sdk_method]
    static = _static_defs(ours)[method]
    assert len(static) == len(variants), "run python scripts/gen_signatures.py"
    for variant, func in zip(variants, static, strict=True):
        assert _static_parameters(func) == _expected_parameters(variant, OWN[method]), (
            f"{ours.__name__}.{method} differs from the installed SDK's: "
            "run python scripts/gen_signatures.py"
        )
        is_overload = any(ast.unparse(d) == "overload" for d in func.decorator_list)
        assert is_overload == (variant is not sdk_method)


@pytest.mark.parametrize("ours", CLIENTS, ids=lambda c: c.__name__)
def test_static_with_options_is_copy_as_in_the_sdk(ours: type) -> None:
    sdk = stand_in_for(ours)
    assert sdk.with_options is sdk.copy  # type: ignore[attr-defined]
    assert "with_options = copy" in SOURCE_FILE.read_text().split(f"class {ours.__name__}(")[1]


def test_our_options_are_all_in_the_static_signatures() -> None:
    """An option added to the mixin (the one home) shows in every static signature."""
    for cls in CLIENTS:
        for method, own in OWN.items():
            ours = {
                p.name
                for p in inspect.signature(own).parameters.values()
                if p.kind is p.KEYWORD_ONLY
            }
            for func in _static_defs(cls)[method]:
                assert ours <= {p.arg for p in func.args.kwonlyargs}, (cls, method)


def test_the_generator_finds_nothing_to_change() -> None:
    """``scripts/gen_signatures.py --check``: the file is what the script writes today."""
    script = ROOT / "scripts" / "gen_signatures.py"
    spec = importlib.util.spec_from_file_location("gen_signatures", script)
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    text = SOURCE_FILE.read_text()
    assert generator.render(text) == text, "run python scripts/gen_signatures.py"
