"""PURE: find every image part in a Responses or Chat Completions request, in request order.

The walk never mutates the request. It recognises Responses ``input_image`` parts and Chat
Completions ``image_url`` parts wherever they sit (messages, content lists, tool outputs,
nested items), and records where each one was found as a readable path.

:func:`walk_request` is the one walk a request gets: it yields each :class:`Part` (position,
kind, source, detail, and the ``ImageInfo`` of an image whose bytes are in the request, or why
they cannot be read). Preflight, the estimate and the clients all consume that list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple, TypeAlias, cast

from ._exceptions import ImageError, InvalidRequestError
from ._image.images import inspect_data_url, is_data_url
from ._types import Api, ImageInfo

__all__ = [
    "FileRef",
    "ImageRef",
    "Part",
    "PartSource",
    "RequestParts",
    "iter_file_refs",
    "is_light",
    "item_field_path",
    "iter_image_refs",
    "list_of",
    "request_root",
    "walk_request",
]

_ROOT_KEY: Mapping[str, str] = {"responses": "input", "chat.completions": "messages"}


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One image part found in a request."""

    index: int
    """0-based position among the request's images, in request order."""
    location: str
    """Path to the part, e.g. ``input[0].content[1]`` or ``messages[2].content[0]``."""
    detail: object
    """The ``detail`` value as written (``None`` when absent); validated by preflight."""
    url: str | None = field(repr=False)
    """``image_url``: an http(s) URL or a ``data:`` URL, or ``None`` (kept out of ``repr``)."""
    file_id: str | None
    """``file_id`` for uploaded files, or ``None``."""
    part: Mapping[str, Any] = field(repr=False)
    """The part itself (read-only use; kept out of ``repr``: it may hold image bytes)."""

    def __repr__(self) -> str:
        return (
            f"ImageRef(index={self.index!r}, location={self.location!r}, detail={self.detail!r}, "
            f"url={_redacted(self.url)!r}, file_id={self.file_id!r})"
        )


@dataclass(frozen=True, slots=True)
class FileRef:
    """One file part found in a request: Responses ``input_file`` or Chat Completions ``file``."""

    index: int
    """0-based position among the request's files, in request order."""
    location: str
    """Path to the part, e.g. ``input[0].content[1]``."""
    detail: object
    """``detail`` as written (``None`` when absent); validated by preflight."""
    file_data: object = field(repr=False)
    """``file_data`` as written (a data URL; kept out of ``repr``), or ``None``."""
    file_id: object
    file_url: object
    filename: object = field(repr=False)
    """``filename`` as written (kept out of ``repr``: names can be private)."""
    part: Mapping[str, Any] = field(repr=False)


def iter_file_refs(api: Api, request: Mapping[str, Any]) -> Iterator[FileRef]:
    """Yield every file part of ``request`` in order (same walk as the images)."""
    key, root = request_root(api, request)
    if not isinstance(root, list | tuple):
        return
    for index, (node, path) in enumerate(_walk(root, key, _FILE_TYPES)):
        yield _as_file_ref(node, path, index)


def _as_file_ref(node: Mapping[str, Any], path: str, index: int) -> FileRef:
    """The ``FileRef`` of a part whose ``type`` is one of ``_FILE_TYPES``."""
    if node.get("type") == "input_file":
        fields: Mapping[str, Any] = node
    else:  # "file"
        inner = node.get("file")
        fields = inner if isinstance(inner, Mapping) else {}
    return FileRef(
        index=index,
        location=path,
        detail=node.get("detail", fields.get("detail")),
        file_data=fields.get("file_data"),
        file_id=fields.get("file_id"),
        file_url=fields.get("file_url"),
        filename=fields.get("filename"),
        part=node,
    )


PartSource: TypeAlias = Literal["data_url", "url", "file_id", "none"]
"""Where a part's bytes are: in the request (``data_url``), behind a URL, an uploaded file, or
nowhere usable (``none``: no ``image_url``/``file_id`` string)."""


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a request, found once by :func:`walk_request`, with what is known of it."""

    ref: ImageRef
    """Where it is (``index``, ``location``), its ``detail`` as written, and the part itself."""
    info: ImageInfo | None
    """What the image is, when its bytes are in the request (a data URL that parsed)."""
    error: ImageError | None = None
    """Why a data URL's image could not be read (preflight reports it; estimates raise it)."""

    @property
    def kind(self) -> Literal["image"]:
        """What the part is (images today; files and tools join the walk later)."""
        return "image"

    @property
    def source(self) -> PartSource:
        """How the image is given (the one classification every consumer uses)."""
        if is_data_url(self.ref.url):
            return "data_url"
        if self.ref.url is not None:
            return "url"
        return "file_id" if self.ref.file_id is not None else "none"

    @property
    def index(self) -> int:
        return self.ref.index

    @property
    def detail(self) -> object:
        return self.ref.detail


class RequestParts(NamedTuple):
    """A request's parts from its one walk: images (inspected) and files, each in order."""

    images: tuple[Part, ...]
    files: tuple[FileRef, ...]


def walk_request(api: Api, request: Mapping[str, Any]) -> RequestParts:
    """Every image and file part of ``request``, in one traversal; each data-URL image is
    inspected once (from its first kilobytes, or from the memory of parts this package built).

    >>> part = {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"}
    >>> walked = walk_request("responses", {"input": [part]})
    >>> [(p.index, p.source, p.detail) for p in walked.images], walked.files
    ([(0, 'url', 'low')], ())
    """
    key, root = request_root(api, request)
    if root is None or isinstance(root, str):
        return RequestParts((), ())
    if not isinstance(root, list | tuple):
        raise InvalidRequestError(
            f"{key} must be a string or a list of items, not {type(root).__name__}"
        )
    images: list[Part] = []
    files: list[FileRef] = []
    for node, path in _walk(root, key, _PART_TYPES):
        if node.get("type") in _FILE_TYPES:
            files.append(_as_file_ref(node, path, len(files)))
            continue
        ref = _as_image_ref(node, path, len(images))
        info, error = None, None
        if ref.url is not None and is_data_url(ref.url):
            try:
                info = inspect_data_url(ref.url)
            except ImageError as exc:
                error = exc
        images.append(Part(ref, info, error))
    return RequestParts(tuple(images), tuple(files))


def _redacted(url: str | None) -> str | None:
    """A URL fit for logs and reprs: data URLs lose their payload.

    >>> _redacted("data:image/png;base64,iVBORw0KGgo=")
    'data:image/png;base64,<12 chars>'
    >>> _redacted("DATA:image/png;base64,iVBORw0KGgo=")
    'DATA:image/png;base64,<12 chars>'
    >>> _redacted("https://example.com/a.png")
    'https://example.com/a.png'
    """
    if url is None or not is_data_url(url):
        return url
    head, comma, payload = url.partition(",")
    return f"{head}{comma}<{len(payload)} chars>"


def request_root(api: Api, request: Mapping[str, Any]) -> tuple[str, object]:
    """Return the key holding the conversation (``input``/``messages``) and its value."""
    try:
        key = _ROOT_KEY[api]
    except KeyError:
        raise InvalidRequestError(
            f"api must be 'responses' or 'chat.completions', not {api!r}"
        ) from None
    return key, request.get(key)


def iter_image_refs(api: Api, request: Mapping[str, Any]) -> Iterator[ImageRef]:
    """Yield every image part of ``request`` in order."""
    key, root = request_root(api, request)
    if root is None or isinstance(root, str):
        return
    if not isinstance(root, list | tuple):
        raise InvalidRequestError(
            f"{key} must be a string or a list of items, not {type(root).__name__}"
        )
    for index, (node, path) in enumerate(_walk(root, key, _IMAGE_TYPES)):
        yield _as_image_ref(node, path, index)


_URL_OR_FILE_IMAGES = frozenset({"input_image", "computer_screenshot"})
"""Part types holding ``image_url``/``file_id`` directly (``computer_screenshot`` has no detail)."""
_IMAGE_TYPES = _URL_OR_FILE_IMAGES | {"image_url"}
"""Every part type ``_as_image_ref`` reads."""
_FILE_TYPES = frozenset({"input_file", "file"})
"""Every part type ``_as_file_ref`` reads."""
_PART_TYPES = _IMAGE_TYPES | _FILE_TYPES
"""Every part type ``walk_request`` finds."""

_LEAVE = object()
"""Stack marker: the walk has finished the node below it (it is no longer an ancestor)."""


_Where: TypeAlias = "str | tuple[_Where, int] | tuple[_Where, object, None]"
"""Where a node sits, built lazily: the root's path, ``(parent, index)`` in a list or tuple,
or ``(parent, key, None)`` in a mapping; ``_path`` spells it out for the parts found only."""


def _walk(root: object, path: str, wanted: frozenset[str]) -> list[tuple[Mapping[str, Any], str]]:
    """Every mapping whose ``type`` is in ``wanted``, with its path, in request order (the walk
    does not look inside them). Depth-first without recursion: deep input cannot overflow the
    stack, and a cycle (a list that contains itself) is an ``InvalidRequestError``, not a hang.
    The same part used twice is fine and is found twice. Only containers are pushed; strings and
    numbers are never visited (plain types are told apart without ``isinstance``), and a path
    is spelled out only for a part found."""
    shallow = _shallow_parts(root, path, wanted)
    if shallow is not None:
        return shallow
    found: list[tuple[Mapping[str, Any], _Where]] = []
    stack: list[tuple[Any, Any]] = [(root, path)]
    ancestors: set[int] = set()
    leaves = _LEAVES
    while stack:
        node, where = stack.pop()
        if node is _LEAVE:
            ancestors.discard(where)
            continue
        kind = type(node)
        children: list[tuple[object, _Where]] = []
        if kind is dict or (kind is not list and kind is not tuple and isinstance(node, Mapping)):
            part_type = node.get("type")
            if isinstance(part_type, str) and part_type in wanted:
                found.append((node, where))
                continue
            for k, v in node.items():
                if type(v) not in leaves and isinstance(v, _CONTAINERS):
                    children.append((v, (where, k, None)))
        else:  # a list or tuple: only containers are ever pushed
            for i, v in enumerate(node):
                if type(v) not in leaves and isinstance(v, _CONTAINERS):
                    children.append((v, (where, i)))
        if not children:
            continue  # nothing below: it cannot contain itself
        key = id(node)
        if key in ancestors:
            raise InvalidRequestError(
                f"the request contains itself at {_path(where)}; pass plain data"
            )
        ancestors.add(key)
        stack.append((_LEAVE, key))
        children.reverse()
        stack.extend(children)
    return [(node, _path(where)) for node, where in found]


def _shallow_parts(
    root: object, path: str, wanted: frozenset[str]
) -> list[tuple[Mapping[str, Any], str]] | None:
    """``_walk``'s answer for the usual request, found by a plain loop over its known shape: a
    list of dicts (items, messages) whose values are plain or lists of plain values and dicts
    (content parts) whose values are plain; ``None`` for any other shape (the full walk then
    answers). Nothing in that shape can contain itself."""
    if type(root) is not list:
        return None
    leaves = _LEAVES
    found: list[tuple[Mapping[str, Any], str]] = []
    for i, item in enumerate(root):
        if type(item) is not dict:
            return None
        kind = item.get("type")
        if isinstance(kind, str) and kind in wanted:
            found.append((item, f"{path}[{i}]"))
            continue
        for key, value in item.items():
            if type(value) in leaves:
                continue
            if type(value) is not list:
                return None
            for j, part in enumerate(value):
                if type(part) in leaves:
                    continue
                if type(part) is not dict:
                    return None
                kind = part.get("type")
                if isinstance(kind, str) and kind in wanted:
                    found.append((part, f"{path}[{i}].{key}[{j}]"))
                    continue
                for leaf in part.values():
                    if type(leaf) not in leaves:
                        return None
    return found


def _path(where: _Where) -> str:
    """``where`` spelled out, e.g. ``input[0].content[1]``.

    >>> _path(((("input", 0), "content", None), 1))
    'input[0].content[1]'
    """
    steps: list[str] = []
    while type(where) is tuple:
        if len(where) == 2:
            where, index = where
            steps.append(f"[{index}]")
        else:
            where, key, _ = where
            steps.append(f".{key}")
    steps.append(cast(str, where))
    steps.reverse()
    return "".join(steps)


def item_field_path(root_key: str, index: int, key: str) -> str:
    """The walk's path of field ``key`` of the item at ``index`` of the root list, e.g.
    ``input[2].content`` (the form ``_walk`` gives locations in).

    >>> item_field_path("messages", 2, "content")
    'messages[2].content'
    """
    return _path(((root_key, index), key, None))


_LIST_ITEM: Final = re.compile(r"\[\d+\]\Z")


def list_of(location: str) -> str | None:
    """The path of the list holding the part at ``location``, or ``None`` when the part is
    not a list item (it is a mapping's value).

    >>> list_of("input[0].content[1]"), list_of("input[0].content[1].file")
    ('input[0].content', None)
    """
    found = _LIST_ITEM.search(location)
    return location[: found.start()] if found else None


_LEAVES: Final = frozenset({str, int, float, bool, type(None)})
"""Types of the values a request is mostly made of: never containers."""

_CONTAINERS: Final = (dict, list, Mapping, tuple)
"""What the walk descends into (``dict`` and ``list`` first: most containers are)."""


def is_light(request: Mapping[str, Any], *, max_chars: int, max_nodes: int) -> bool:
    """Whether ``request`` has no image or file part anywhere and holds at most ``max_chars``
    characters of strings (keys and values) in at most ``max_nodes`` values: then preparing it
    reads no image or file and tokenizes at most ``max_chars`` characters. Stops as soon as a
    limit is passed, or is sure to be (a container whose items would pass it is refused by its
    length, never copied), so it costs at most ``max_nodes`` steps whatever the request's size
    (a request that contains itself simply passes the limit: the full walk reports it).

    >>> is_light({"input": [{"type": "input_text", "text": "Hi"}]}, max_chars=99, max_nodes=9)
    True
    >>> part = {"type": "input_image", "image_url": "https://example.com/a.png"}
    >>> is_light({"input": [part]}, max_chars=99, max_nodes=9)
    False
    """
    stack: list[Any] = [request]
    chars = nodes = 0
    while stack:
        node = stack.pop()
        nodes += 1
        kind = type(node)
        if kind is dict or (
            kind is not list and kind is not tuple and kind is not str and isinstance(node, Mapping)
        ):
            part_type = node.get("type")
            if isinstance(part_type, str) and part_type in _PART_TYPES:
                return False
            if nodes + len(stack) + 2 * len(node) > max_nodes:
                return False  # every key and value waiting would be a node: never copied
            for key, value in node.items():  # plain strings counted here, not pushed
                if type(key) is str:
                    nodes += 1
                    chars += len(key)
                else:
                    stack.append(key)
                if type(value) is str:
                    nodes += 1
                    chars += len(value)
                else:
                    stack.append(value)
        elif kind is list or kind is tuple or isinstance(node, list | tuple):
            if nodes + len(stack) + len(node) > max_nodes:
                return False  # a long list is refused by its length, not copied
            for item in node:
                if type(item) is str:
                    nodes += 1
                    chars += len(item)
                else:
                    stack.append(item)
        elif isinstance(node, str):
            chars += len(node)
        if nodes > max_nodes or chars > max_chars:
            return False
    return True


def _as_image_ref(node: Mapping[str, Any], path: str, index: int) -> ImageRef:
    """The ``ImageRef`` of a part whose ``type`` is one of ``_IMAGE_TYPES``."""
    if node.get("type") in _URL_OR_FILE_IMAGES:
        url = node.get("image_url")
        return ImageRef(
            index=index,
            location=path,
            detail=node.get("detail"),
            url=url if isinstance(url, str) else None,
            file_id=node.get("file_id") if isinstance(node.get("file_id"), str) else None,
            part=node,
        )
    inner = node.get("image_url")  # "image_url" (Chat Completions)
    if isinstance(inner, Mapping):
        url, detail = inner.get("url"), inner.get("detail")
    else:  # legacy shorthand {"type": "image_url", "image_url": "https://..."}
        url, detail = inner, None
    return ImageRef(
        index=index,
        location=path,
        detail=detail,
        url=url if isinstance(url, str) else None,
        file_id=None,
        part=node,
    )
