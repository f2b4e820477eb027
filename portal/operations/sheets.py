"""Tables for Italian spreadsheets: CSV that Excel opens as it is (UTF-8 with BOM, `;`, CRLF, dates
dd/mm/yyyy, no `sep=` line) and XLSX. Both are safe against formula injection: text typed by the public
that starts with = + - @ (or a tab or carriage return) is never evaluated — prefixed with an apostrophe
in CSV (OWASP), stored as a quoted string in XLSX — while a phone number such as +39 081 … stays as
it is (it holds digits and separators only, so there is no formula in it to run)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHONE = re.compile(r"^\+?\d[\d ./()]*$")
DATE_FORMAT = "%d/%m/%Y"
XLSX_DATE_FORMAT = "DD/MM/YYYY"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Value = str | int | float | date | None


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    phone_columns: frozenset[int] = frozenset()  # columns holding validated phone numbers


def safe_text(value: str, phone: bool = False) -> str:
    """The text as a spreadsheet must show it, never run it."""
    if value.startswith(FORMULA_START) and not (phone and PHONE.match(value)):
        return "'" + value
    return value


def to_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_text(h) for h in sheet.headers])
    for row in sheet.rows:
        writer.writerow([_csv_cell(value, index in sheet.phone_columns) for index, value in enumerate(row)])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: Value, phone: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")  # the Italian decimal comma
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value), phone)


def to_xlsx(sheet: Sheet) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet.title[:31] or "Foglio1"
    bold = Font(bold=True)
    for column, header in enumerate(sheet.headers, start=1):
        cell = worksheet.cell(row=1, column=column)
        _string(cell, header)
        cell.font = bold
        worksheet.column_dimensions[get_column_letter(column)].width = max(12, min(len(header) + 4, 40))
    for row_number, row in enumerate(sheet.rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = worksheet.cell(row=row_number, column=column)
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, date):
                cell.value = value
                cell.number_format = XLSX_DATE_FORMAT
            elif isinstance(value, (int, float)):
                cell.value = value
            elif value is not None:
                _string(cell, str(value))
    worksheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _string(cell, text: str) -> None:
    """Always a string cell: openpyxl would store text starting with "=" as a formula."""
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
