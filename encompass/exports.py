"""Downloads as CSV and XLSX, with spreadsheet formula injection neutralised.

A cell that starts with = + - @, a tab or a carriage return can run as a formula when the file
is opened in Excel; such text is prefixed with an apostrophe so it stays text.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def _cells(rows: list[dict], columns: list[str]):
    for row in rows:
        yield [neutralise(row.get(c)) for c in columns]


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for cells in _cells(rows, columns):
        writer.writerow(["" if v is None else v.isoformat(sep=" ") if isinstance(v, datetime)
                         else v.isoformat() if isinstance(v, date) else v for v in cells])
    return buffer.getvalue().encode("utf-8-sig")  # Excel reads UTF-8 only with the BOM


def to_xlsx(sheets: dict[str, tuple[list[dict], list[str]]]) -> bytes:
    """One workbook, a sheet per (rows, columns)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (rows, columns) in sheets.items():
        ws = book.create_sheet(title[:31])
        ws.append(columns)
        for cells in _cells(rows, columns):
            ws.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
