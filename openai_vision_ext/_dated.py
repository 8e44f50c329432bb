"""PURE: dated data rows: which row of a table is in force on a date.

Rules that OpenAI changed over time (file framing, image patch budgets) are kept as several rows,
each with the ISO date it starts (``since``; ``""``: from the start). A bill is estimated with
the row in force on its date; a request without a date (one being sent now) with the newest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

__all__ = ["Dated", "in_force"]


class Dated(Protocol):
    """A data row that starts on a date."""

    @property
    def since(self) -> str:
        """ISO date the row starts (``""``: from the start)."""
        ...


_Row = TypeVar("_Row", bound=Dated)


def in_force(rows: Iterable[_Row], as_of: str | None = None) -> _Row | None:
    """The newest row that started on or before ``as_of`` (an ISO date; ``None``: the newest
    row); ``None`` when no row had started by then.

    >>> from collections import namedtuple
    >>> Row = namedtuple("Row", "since value")
    >>> rows = [Row("", 1536), Row("2026-09-01", 6144)]
    >>> in_force(rows, "2026-01-23").value, in_force(rows, "2026-09-01").value
    (1536, 6144)
    >>> in_force(rows).value, in_force([Row("2026-01-01", 1)], "2025-12-31")
    (6144, None)
    """
    started = [row for row in rows if as_of is None or row.since <= as_of]
    return max(started, key=lambda row: row.since) if started else None
