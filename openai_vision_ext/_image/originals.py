"""What image preparation changed, remembered by the data URL built and by the sent bytes.

``image_part(..., optimize=True)`` returns only the SDK's dict (a ``data:`` URL), so by the time
the request is sent the original image is gone. The original's facts (dimensions, bytes, MIME,
what was done) are therefore remembered twice: with the very data-URL string ``image_part``
built (``images.built_original``, keyed by the string's identity: two different originals
prepared to the same bytes each keep their own), and, for ``prepare_image`` callers and copies
of the string, under the sha256 of the bytes sent. The client looks them up when it estimates
the request (``with_originals``), and the report and audit record show original beside sent.

This is process-wide mutable state, kept out of the pure core on purpose: a bounded LRU
(``MAX_ENTRIES`` entries, about 300 bytes each, never image bytes) behind a lock, so it is safe
to prepare images in threads and send them from others. An image prepared longer ago than the
last ``MAX_ENTRIES`` preparations, or in another process, simply reports no original (``None``).
No Pillow import here: the clients use this module without preparing anything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from .images import built_original

if TYPE_CHECKING:  # pragma: no cover
    from .._estimate import ImageEstimate, RequestEstimate

__all__ = ["MAX_ENTRIES", "ORIGINALS", "Original", "OriginalsCache", "with_originals"]

MAX_ENTRIES: Final = 1024
"""How many prepared images are remembered (least recently prepared or looked up go first)."""


@dataclass(frozen=True, slots=True)
class Original:
    """The input of one ``prepare_image`` call that changed the bytes (no bytes kept).

    >>> Original(width=4000, height=3000, n_bytes=2_900_000, mime="image/jpeg",
    ...          actions=("resized",)).width
    4000
    """

    width: int
    """Width as stored in the input (before EXIF rotation)."""
    height: int
    """Height as stored in the input."""
    n_bytes: int | None
    """Encoded size of the input; ``None`` for an in-memory PIL image."""
    mime: str | None
    """MIME type of the input (``image/heif``, ``image/tiff``, ...), ``None`` if unknown."""
    actions: tuple[str, ...]
    """What ``prepare_image`` did (``resized``, ``converted``, ``oriented``,
    ``stripped_metadata``, ``first_frame``, ``fetched``), in order."""


_AMBIGUOUS: Final = Original(width=0, height=0, n_bytes=None, mime=None, actions=())
"""Stored when two *different* originals were prepared to the same bytes: the sent image alone
cannot say which it came from, so it reports no original rather than the wrong one."""


class OriginalsCache:
    """A thread-safe LRU: sha256 of sent bytes -> ``Original``.

    Two different originals that prepare to the same bytes make that entry ambiguous (``get``
    returns ``None`` for it): the hash alone cannot tell them apart, so a report never shows
    another image's original. (The data URL ``image_part`` built tells them apart by its
    identity, and is looked up first: see ``with_originals``.)

    >>> cache = OriginalsCache(maxsize=2)
    >>> cache.put("a" * 64, Original(8, 6, 120, "image/png", ("resized",)))
    >>> cache.get("a" * 64).width, len(cache), cache.get("b" * 64)
    (8, 1, None)
    """

    __slots__ = ("_entries", "_lock", "maxsize")

    def __init__(self, maxsize: int = MAX_ENTRIES) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self._entries: OrderedDict[str, Original] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)  # a single read of a dict's size: atomic, no lock needed

    def put(self, sha256: str, original: Original) -> None:
        """Remember ``original`` for the image whose sent bytes hash to ``sha256``."""
        with self._lock:
            known = self._entries.get(sha256)
            if known is None:  # evict first, so an unlocked len() never sees maxsize + 1
                while len(self._entries) >= self.maxsize:
                    self._entries.popitem(last=False)
            self._entries[sha256] = original if known in (None, original) else _AMBIGUOUS
            self._entries.move_to_end(sha256)

    def get(self, sha256: str) -> Original | None:
        """The original of the sent image ``sha256``, or ``None`` (never prepared, or evicted)."""
        with self._lock:
            original = self._entries.get(sha256)
            if original is not None:
                self._entries.move_to_end(sha256)
            return None if original is _AMBIGUOUS else original

    def clear(self) -> None:
        """Forget everything (for tests)."""
        with self._lock:
            self._entries.clear()


ORIGINALS: Final = OriginalsCache()
"""The process-wide cache ``prepare_image`` fills and the clients read."""


def with_originals(
    estimate: RequestEstimate,
    cache: OriginalsCache = ORIGINALS,
    *,
    urls: Mapping[int, str | None] | None = None,
) -> RequestEstimate:
    """``estimate`` with each prepared image's original facts filled in: from the data URL
    ``image_part`` built (``urls``: each image's ``image_url`` by index), else from ``cache``
    by the sent bytes' sha256.

    Costs a dictionary lookup per image; the estimate's images already carry their sha256, so
    no image is hashed here.
    """
    if not estimate.images or (not len(cache) and not urls):
        return estimate
    found = urls or {}
    images = tuple(_with_original(im, cache, found.get(im.index)) for im in estimate.images)
    if all(new is old for new, old in zip(images, estimate.images, strict=True)):
        return estimate
    return replace(estimate, images=images)


def _with_original(image: ImageEstimate, cache: OriginalsCache, url: str | None) -> ImageEstimate:
    if image.original_width is not None:
        return image
    built, original = built_original(url)
    if not built:  # a URL we did not build (or a copy of one): by the bytes, if unambiguous
        original = cache.get(image.sha256) if image.sha256 is not None else None
    if original is None:
        return image
    return replace(
        image,
        original_width=original.width,
        original_height=original.height,
        original_n_bytes=original.n_bytes,
        original_mime=original.mime,
        prepared_actions=original.actions,
    )
