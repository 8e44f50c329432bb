"""PURE: dated data rows: which row of a table is in force on a date.

Rules that OpenAI changed over time (file framing, image patch budgets) are kept as several rows,
each with the ISO date it starts (``since``; ``""``: from the start). A bill is estimated with
the row in force on its date; a request without a date (one being sent now) with the newest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar

from ._exceptions import InvalidOptionError

__all__ = ["Dated", "bill_day", "in_force", "iso_day"]


class Dated(Protocol):
    """A data row that starts on a date."""

    @property
    def since(self) -> str:
        """ISO date the row starts (``""``: from the start)."""
        ...


_Row = TypeVar("_Row", bound=Dated)


def iso_day(as_of: str | date | None) -> str | None:
    """``as_of`` as the ``YYYY-MM-DD`` day rows are compared with: an ISO date or date-time
    string, a ``date`` or a ``datetime`` (an aware one is read in UTC); ``None`` stays ``None``.

    >>> iso_day("2026-09-01T00:30:00+02:00"), iso_day(date(2026, 9, 1)), iso_day("2026-09-01")
    ('2026-08-31', '2026-09-01', '2026-09-01')
    """
    if as_of is None:
        return None
    when: object = as_of
    if isinstance(as_of, str):
        try:
            when = datetime.fromisoformat(as_of.strip())
        except ValueError:
            raise InvalidOptionError(
                f"as_of must be an ISO date such as '2026-09-01' (or a datetime.date), not "
                f"{as_of[:40]!r}"
            ) from None
    if isinstance(when, datetime):
        return (when.astimezone(UTC) if when.tzinfo else when).date().isoformat()
    if isinstance(when, date):
        return when.isoformat()
    raise InvalidOptionError(
        f"as_of must be an ISO date string or a datetime.date, not {type(as_of).__name__}"
    )


def bill_day(created: object, commit_date: object) -> str | None:
    """The UTC day a recorded bill was made, which picks the rows it is estimated with: its
    response's ``created`` (unix seconds) when recorded, else the recording's commit date-time
    read in UTC (a local date can be a day off); ``None`` when neither is known. A ``created``
    no date can hold (NaN, out of range) counts as not recorded.

    >>> bill_day(1781208611, "2026-06-12T11:38:35+02:00"), bill_day(None, "2025-08-04T22:40-07:00")
    ('2026-06-11', '2025-08-05')
    >>> bill_day(1e20, "2025-08-04T22:40-07:00"), bill_day(float("nan"), None)
    ('2025-08-05', None)
    """
    if isinstance(created, int | float) and not isinstance(created, bool):
        try:
            return datetime.fromtimestamp(created, UTC).date().isoformat()
        except (OverflowError, ValueError, OSError):
            pass  # not a time: fall back to the commit date
    return iso_day(commit_date) if isinstance(commit_date, str) and commit_date else None


def in_force(rows: Iterable[_Row], as_of: str | date | None = None) -> _Row | None:
    """The newest row that started on or before ``as_of`` (an ISO date, see ``iso_day``;
    ``None``: the newest row); ``None`` when no row had started by then.

    >>> from collections import namedtuple
    >>> Row = namedtuple("Row", "since value")
    >>> rows = [Row("", 1536), Row("2026-09-01", 6144)]
    >>> in_force(rows, "2026-01-23").value, in_force(rows, "2026-09-01").value
    (1536, 6144)
    >>> in_force(rows).value, in_force([Row("2026-01-01", 1)], "2025-12-31")
    (6144, None)
    """
    day = iso_day(as_of)
    started = [row for row in rows if day is None or row.since <= day]
    return max(started, key=lambda row: row.since) if started else None
