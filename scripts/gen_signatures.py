"""Write the signatures type checkers see for our clients, from the installed SDK.

At runtime ``VisionOpenAI.__init__``, ``copy`` and ``with_options`` (and the async and Azure
twins) take the SDK's arguments plus ours and show the installed SDK's signature plus our
options (``_client._install_signatures``). Type checkers do not run that code, so this script
writes the same signatures into ``openai_vision_ext/_client.py`` as ``if TYPE_CHECKING:``
blocks between ``# <signatures ...>`` markers: every parameter of the SDK method (its overloads
too) with its annotation as the SDK writes it and its default, our options inserted where the
runtime puts them (``_client._merged_parameters``), and the imports those annotations need.

    python scripts/gen_signatures.py           # rewrite the blocks from the installed SDK
    python scripts/gen_signatures.py --check   # exit 1 if they differ from it (CI, tests)

Run it after upgrading ``openai``; tests/integration/test_client_static_signatures.py fails
until the blocks match the installed SDK again.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import inspect
import re
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "openai_vision_ext" / "_client.py"
GENERATOR = "scripts/gen_signatures.py"
INDENT = "    "

sys.path.insert(0, str(ROOT))  # this checkout's package, not an installed one

from openai import NotGiven  # noqa: E402

from openai_vision_ext import _client  # noqa: E402

CLIENTS = [getattr(_client, name) for name in _client.__all__]
"""The four clients: ``VisionOpenAI`` and its async and Azure twins."""
OURS: dict[str, Callable[..., Any]] = {
    "__init__": _client._VisionClientMixin.__init__,
    "copy": _client._VisionClientMixin._vision_copy,
}
"""Our implementation of each SDK method: its keyword-only parameters are our options."""

Import = tuple[str, str]
"""``(module, name)`` for ``from module import name``; ``(module, "")`` for ``import module``."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    current = TARGET.read_text()
    wanted = render(current)
    if wanted == current:
        print(f"{TARGET.relative_to(ROOT)}: signatures match the installed SDK")
        return 0
    if args.check:
        print(f"{TARGET.relative_to(ROOT)}: stale signatures: run python {GENERATOR}")
        return 1
    TARGET.write_text(wanted)
    print(f"{TARGET.relative_to(ROOT)}: signatures rewritten from the installed SDK")
    return 0


def render(source: str) -> str:
    """``source`` (the text of ``_client.py``) with every generated block rewritten."""
    imports: set[Import] = set()
    for cls in CLIENTS:
        body, needed = class_block(cls)
        imports |= needed
        source = _replace_block(source, cls.__name__, body, INDENT)
    return _replace_block(source, "imports", import_block(imports), "")


def class_block(cls: type) -> tuple[list[str], set[Import]]:
    """The ``if TYPE_CHECKING:`` block for ``cls``, and the imports its annotations need."""
    sdk = _client._stand_in_for(cls)
    if sdk.with_options is not sdk.copy:  # type: ignore[attr-defined]
        raise SystemExit(f"{sdk.__name__}.with_options is no longer copy: teach {GENERATOR}")
    lines = ["if TYPE_CHECKING:  # the runtime signatures: _install_signatures"]
    imports: set[Import] = set()
    for name, own in OURS.items():
        method = getattr(sdk, name)
        variants = [*typing.get_overloads(method), method]
        for variant in variants:
            lines.append("")
            if len(variants) > 1 and variant is not method:
                lines.append(f"{INDENT}@overload")
                imports.add(("typing", "overload"))
            lines += [INDENT + line for line in _def(name, variant, own)]
            imports |= _imports_for(variant)
    lines += ["", f"{INDENT}with_options = copy"]
    return lines, imports


def _def(name: str, sdk_method: Callable[..., Any], own: Callable[..., Any]) -> list[str]:
    """One ``def`` with the merged parameters, one per line, and ``...`` as body."""
    params = _client._merged_parameters(sdk_method, own)
    out, star = [f"def {name}("], False
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append(f"{INDENT}*,")
        star = star or p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)
        out.append(f"{INDENT}{_param(p)},")
        if p.kind is p.POSITIONAL_ONLY and _next_kind(params, p) is not p.POSITIONAL_ONLY:
            out.append(f"{INDENT}/,")
    returns = inspect.signature(sdk_method).return_annotation
    out.append(f") -> {_annotation(returns)}: ...")
    return out


def _next_kind(params: list[inspect.Parameter], p: inspect.Parameter) -> object:
    later = params[params.index(p) + 1 :]
    return later[0].kind if later else None


def _param(p: inspect.Parameter) -> str:
    prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
    text = prefix + p.name
    if p.annotation is not p.empty:
        text += f": {_annotation(p.annotation)}"
    if p.default is not p.empty:
        text += f" = {_default(p)}"
    return text


def _annotation(annotation: object) -> str:
    if annotation is None or annotation is inspect.Signature.empty:
        return "None"
    if not isinstance(annotation, str):  # the SDK's modules postpone annotations: strings
        raise SystemExit(f"annotation {annotation!r} is not a string: teach {GENERATOR}")
    members = _union_members(ast.parse(annotation, mode="eval").body)
    members.sort(key=lambda m: isinstance(m, ast.Constant) and m.value is None)  # ruff RUF036
    return " | ".join(ast.unparse(m) for m in members)


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def _default(p: inspect.Parameter) -> str:
    """The default as source: a literal, or ``not_given`` for the SDK's sentinel."""
    value = p.default
    if isinstance(value, NotGiven):
        return "not_given"
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    if isinstance(value, dict | list | tuple | set) and not value:
        return repr(value)
    raise SystemExit(f"default of {p.name} ({value!r}) has no literal form: teach {GENERATOR}")


# --- imports --------------------------------------------------------------------------------


def _imports_for(sdk_method: Callable[..., Any]) -> set[Import]:
    """An import for every name in the SDK method's annotations that ``_client`` lacks."""
    home = sys.modules[sdk_method.__module__]
    ours = vars(_client)
    needed = set()
    for name in sorted(_annotation_names(sdk_method)):
        if name not in vars(home) and name in vars(builtins):
            continue
        obj = vars(home)[name]
        if _same(ours.get(name), obj):
            continue
        if name in ours:
            raise SystemExit(f"{name} means something else in _client.py than in {home.__name__}")
        needed.add(_import_of(name, obj, home))
    return needed


def _annotation_names(func: Callable[..., Any]) -> Iterator[str]:
    for annotation in func.__annotations__.values():
        for node in ast.walk(ast.parse(annotation, mode="eval")):
            if isinstance(node, ast.Name):
                yield node.id


def _same(ours: object, theirs: object) -> bool:
    """The same type to a checker: one object, or ``typing.X`` and its ``collections.abc.X``."""
    return ours is not None and (
        ours is theirs or typing.get_origin(theirs) is ours or typing.get_origin(ours) is theirs
    )


def _import_of(name: str, obj: object, home: ModuleType) -> Import:
    """A module itself, else a module that defines or exports ``name`` (mypy --strict takes no
    implicit re-export); ``typing``'s aliases of ``collections.abc`` come from there (ruff)."""
    if isinstance(obj, ModuleType):
        if obj.__name__ != name:
            raise SystemExit(f"{name} is module {obj.__name__} renamed: teach {GENERATOR}")
        return (name, "")
    origin = typing.get_origin(obj)
    if getattr(origin, "__module__", "") == "collections.abc" and origin.__name__ == name:
        return ("collections.abc", name)
    package = home.__name__.partition(".")[0]
    candidates = {home, sys.modules.get(str(getattr(obj, "__module__", "")))}
    candidates |= {m for n, m in list(sys.modules.items()) if n.startswith(f"{package}.")}
    candidates.discard(None)
    ordered = sorted(
        candidates, key=lambda m: (m.__name__.count("._"), len(m.__name__), m.__name__)
    )
    for module in ordered:  # public modules first
        if vars(module).get(name) is obj and _exports(module, name):
            return (module.__name__, name)
    raise SystemExit(f"no module of {package} exports {name}: teach {GENERATOR}")


def _exports(module: ModuleType, name: str) -> bool:
    if name in getattr(module, "__all__", ()):
        return True
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return False
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == name:
                return True
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        elif isinstance(node, ast.ImportFrom | ast.Import) and any(
            alias.asname == name == alias.name.rpartition(".")[2] for alias in node.names
        ):
            return True
    return False


def import_block(imports: set[Import]) -> list[str]:
    """The imports as ruff's isort writes them: the standard library, then the rest; in each,
    ``import m`` before ``from m import a, b``."""
    std = {i for i in imports if i[0].partition(".")[0] in sys.stdlib_module_names}
    sections = [_section(std), _section(imports - std)]
    lines = ["if TYPE_CHECKING:  # the types the generated signatures name"]
    for section in filter(None, sections):
        lines += ([""] if len(lines) > 1 else []) + [INDENT + line for line in section]
    return lines


def _section(imports: set[Import]) -> list[str]:
    names: dict[str, list[str]] = {}
    for module, name in imports:
        names.setdefault(module, []).append(name)
    plain = sorted((m for m, n in names.items() if "" in n), key=str.lower)
    lines = [f"import {module}" for module in plain]
    for module in sorted(names, key=str.lower):
        wanted = sorted((n for n in names[module] if n), key=_isort_name)
        if wanted:
            lines.append(f"from {module} import {', '.join(wanted)}")
    return lines


def _isort_name(name: str) -> tuple[int, str]:
    """ruff's ``order-by-type``: CONSTANTS, then Classes, then the rest."""
    bare = name.lstrip("_")
    kind = 0 if bare.isupper() and len(bare) > 1 else 1 if bare[:1].isupper() else 2
    return (kind, name)


# --- markers --------------------------------------------------------------------------------


def _replace_block(source: str, label: str, body: list[str], indent: str) -> str:
    begin = f"{indent}# <signatures {label}: generated by {GENERATOR}; do not edit>\n"
    end = f"{indent}# </signatures {label}>\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    found = pattern.findall(source)
    if len(found) != 1:
        raise SystemExit(f"_client.py needs one pair of markers for {label}: {begin.strip()}")
    text = "".join(f"{indent}{line}\n" if line else "\n" for line in body)
    return pattern.sub(lambda _: begin + text + end, source)


if __name__ == "__main__":
    raise SystemExit(main())
