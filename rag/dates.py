"""Find dates stated in text and normalise them to YYYY-MM-DD.

A regular expression finds candidates that carry a day, a month and a year (a bare year or
"on October 29" is too vague to cite); dateparser turns each into a date.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DATE_PATTERN = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # June 10, 2024
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"  # 10 June 2024
    r"|\d{4}-\d{2}-\d{2})\b",  # 2024-06-10
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def normalise_date(text: str) -> str | None:
    """'June 10, 2024' -> '2024-06-10'; epoch milliseconds and ISO strings too; None if not a date."""
    text = str(text).strip()
    if not text:
        return None
    if text.isdigit() and len(text) >= 10:  # epoch seconds or milliseconds, as JSON exports hold them
        stamp = int(text) / (1000 if len(text) > 11 else 1)
        return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date().isoformat()
    import dateparser  # slow to import; only needed when a date is found

    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={"STRICT_PARSING": True, "PARSERS": ["timestamp", "custom-formats", "absolute-time"]},
    )
    return parsed.date().isoformat() if parsed else None


def find_date(text: str) -> str | None:
    """The first full date stated in text, normalised; None when it states none."""
    for match in DATE_PATTERN.finditer(text):
        date = normalise_date(match.group(0))
        if date:
            return date
    return None


def is_dateline(text: str) -> bool:
    """True for a short line that is a date or ends with one: 'December 29, 2025', 'Anton Sokolin June 10, 2024'."""
    text = text.rstrip()
    # A sentence that ends with a date ("It closes on November 2, 2024.") keeps its full stop. The
    # cheap tests go first: this runs on every line of every document.
    if not text[-1:].isdigit() or len(text.split()) > 10:
        return False
    match = DATE_PATTERN.search(text)
    return bool(match) and match.end() == len(text) and bool(find_date(text))
