"""CSV exports streamed row by row. A cell a spreadsheet would read as a formula (=, +, -,
@, or a tab or carriage return first) is prefixed with a quote, so a tipster or analyst
cannot plant one. Only Django is imported here: every app's exports use it."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet set to a ";" list separator (most of Europe) splits "a;=CMD()" into two
# cells, the second a formula: a formula start after a separator is neutralised as well.
FORMULA_AFTER_SEPARATOR = re.compile(r"([;,]\s*)(?=[=+\-@\t\r])")


@dataclass(frozen=True)
class Export:
    filename: str
    row_count: int
    lines: Iterator[str]


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = FORMULA_AFTER_SEPARATOR.sub(r"\1'", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:64] or "export"


def csv_response(export: Export) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response
