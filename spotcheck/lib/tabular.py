"""Read a table from .csv (UTF-8 with or without BOM, or GB18030) or .xlsx.

A declarative column spec (``Column``) names each column by its English key
and its Chinese header; ``read_rows`` checks the header and yields each data
row as ``{key: text}`` with its row number (row 1 is the header). Every
problem is a ``RowError`` with a row, a column and a Chinese-and-English reason.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

CHUNK = 1 << 20


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class TableError(Exception):
    """The file as a whole cannot be read (encoding, format, header)."""

    def __init__(self, errors: Sequence[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    required: bool = False
    parse: Callable[[str], Any] | None = None  # raises ValueError with a message
    default: Any = None


def _file_error(message: str) -> TableError:
    return TableError([RowError(1, "file", message)])


def is_xlsx(head: bytes, name: str) -> bool:
    return name.lower().endswith(".xlsx") or head.startswith(b"PK\x03\x04")


def detect_encoding(stream: IO[bytes]) -> str:
    """Return 'utf-8-sig' or 'gb18030' for a CSV byte stream; rewind it.

    The whole file is decoded incrementally (constant memory): a file that is
    valid UTF-8 is UTF-8; otherwise it must decode as GB18030 (a superset of GBK).
    """
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(CHUNK):
                if b"\x00" in chunk:
                    raise _file_error("文件含有二进制内容，不是CSV或XLSX / the file holds binary data, not CSV or XLSX")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise _file_error("无法识别文件编码（应为UTF-8或GB18030） / unrecognised encoding (use UTF-8 or GB18030)")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(stream: IO[bytes]) -> tuple[Iterator[list[str]], int]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _file_error(f"无法读取XLSX文件 / cannot read the XLSX file: {exc}") from None
    sheet = book.worksheets[0]
    total = max(0, (sheet.max_row or 1) - 1)

    def rows() -> Iterator[list[str]]:
        try:
            for values in sheet.iter_rows(values_only=True):
                yield [_cell_text(v) for v in values]
        finally:
            book.close()

    return rows(), total


def _count_lines(stream: IO[bytes]) -> int:
    stream.seek(0)
    count = 0
    while chunk := stream.read(CHUNK):
        count += chunk.count(b"\n")
    stream.seek(0)
    return count


def _csv_rows(stream: IO[bytes]) -> tuple[Iterator[list[str]], int]:
    encoding = detect_encoding(stream)
    total = max(0, _count_lines(stream) - 1)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        sample = text.read(8192)
        text.seek(0)
    except UnicodeDecodeError:  # pragma: no cover - detect_encoding checked it
        raise _file_error("无法识别文件编码 / unrecognised encoding") from None
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","

    def rows() -> Iterator[list[str]]:
        try:
            for values in csv.reader(text, delimiter=delimiter):
                yield [v.strip() for v in values]
        except csv.Error as exc:
            raise _file_error(f"CSV格式错误 / malformed CSV: {exc}") from None
        finally:
            text.detach()

    return rows(), total


def open_table(stream: IO[bytes], name: str) -> tuple[Iterator[list[str]], int]:
    """Return the raw rows of a file and an estimate of its data rows (for progress)."""
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise _file_error("文件为空 / the file is empty")
    if is_xlsx(head, name):
        return _xlsx_rows(stream)
    return _csv_rows(stream)


def header_map(header: Sequence[str], columns: Sequence[Column]) -> list[Column | None]:
    """Match each header cell to a column; refuse unknown, repeated and missing columns."""
    by_name: dict[str, Column] = {}
    for known in columns:
        by_name[known.key.lower()] = known
        by_name[known.zh] = known
    errors = []
    mapped: list[Column | None] = []
    seen: set[str] = set()
    for cell in header:
        name = cell.strip().lstrip("\ufeff")
        column: Column | None = by_name.get(name) or by_name.get(name.lower())
        if not name:
            mapped.append(None)
            continue
        if column is None:
            errors.append(RowError(1, name, "未知的列 / unknown column"))
        elif column.key in seen:
            errors.append(RowError(1, name, "列重复 / repeated column"))
        else:
            seen.add(column.key)
        mapped.append(column)
    for known in columns:
        if known.required and known.key not in seen:
            errors.append(RowError(1, known.key, f"缺少必填列“{known.zh}” / missing required column"))
    if errors:
        raise TableError(errors)
    return mapped


def read_rows(
    stream: IO[bytes], name: str, columns: Sequence[Column]
) -> tuple[Iterator[tuple[int, dict[str, Any], list[RowError]]], int]:
    """Return (rows, estimated total): each row is (number, values by key, errors).

    Values are parsed by each column's ``parse``; an empty optional cell takes
    the default; an empty required cell is an error. Blank lines are skipped.
    """
    raw, total = open_table(stream, name)
    try:
        header = next(raw)
    except StopIteration:
        raise _file_error("文件为空 / the file is empty") from None
    mapped = header_map(header, columns)
    present = [c for c in mapped if c is not None]
    absent = [c for c in columns if c not in present]

    def rows() -> Iterator[tuple[int, dict[str, Any], list[RowError]]]:
        number = 1
        for values in raw:
            number += 1
            if not any(values):
                continue
            errors: list[RowError] = []
            out: dict[str, Any] = {c.key: c.default for c in absent}
            if len(values) > len(mapped) and any(values[len(mapped):]):
                errors.append(RowError(number, "row", "单元格多于表头列数 / more cells than header columns"))
            for index, column in enumerate(mapped):
                if column is None:
                    continue
                text = values[index] if index < len(values) else ""
                if text == "":
                    if column.required:
                        errors.append(RowError(number, column.key, "必填项为空 / required value is empty"))
                    out[column.key] = column.default
                    continue
                if column.parse is None:
                    out[column.key] = text
                    continue
                try:
                    out[column.key] = column.parse(text)
                except ValueError as exc:
                    errors.append(RowError(number, column.key, str(exc)))
            yield number, out, errors

    return rows(), total


# --- Cell parsers: each raises ValueError with a Chinese-and-English reason -----------

YES = {"是", "yes", "true", "1", "y"}
NO = {"否", "no", "false", "0", "n"}


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"无法识别的是/否值“{text}” / unrecognised yes/no value {text!r}")


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()[:10] if "T" in text else text.strip())
    except ValueError:
        raise ValueError(f"日期无效“{text}”（应为YYYY-MM-DD） / invalid date {text!r} (use YYYY-MM-DD)") from None


def parse_count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"应为非负整数“{text}” / not a whole number {text!r}") from None
    if value < 0:
        raise ValueError(f"不能为负数“{text}” / must not be negative: {text}")
    return value


def choice(options: dict[str, str], what: str) -> Callable[[str], str]:
    """Return a parser accepting a code or its Chinese label (``options``: code → label)."""
    lookup = {code.lower(): code for code in options}
    lookup.update({label: code for code, label in options.items()})

    def parse(text: str) -> str:
        value = text.strip()
        code = lookup.get(value) or lookup.get(value.lower())
        if code is None:
            allowed = "、".join(f"{c}（{label}）" for c, label in options.items())
            raise ValueError(f"未知的{what}“{text}”，应为：{allowed} / unknown value {text!r}")
        return code

    return parse
