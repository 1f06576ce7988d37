"""Read a table from .csv (UTF-8 with or without BOM, or GB18030) or .xlsx.

A declarative column spec (``Column``) names each column by its English key
and its Chinese header; ``read_rows`` checks the header and yields each data
row as ``{key: text}`` with its row number (row 1 is the header). Every
problem is a ``RowError`` with a row, a column and a Chinese-and-English reason.

Hostile files are refused before they cost much (issue #12): the name's
extension and the content must agree (``check_table_file``); an .xlsx's zip
directory is judged before openpyxl opens it (its members, their decompressed
size, their compression ratio), since openpyxl holds every shared string in
memory; rows are counted as they are read, never taken from the file's own
declared dimension; a cell may not be longer than its column allows nor hold
control characters. The limits are settings (``SPOTCHECK``), read when used.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula; exports prefix such a cell with ``'`` (``escape_formula``) and every
import takes the prefix off again (``unescape_formula``), so that an exported
file imports back unchanged.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import posixpath
import re
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _

CHUNK = 1 << 20
TABLE_EXTENSIONS = (".csv", ".xlsx")
MB = 1024 * 1024

# An .xlsx is a zip of XML. A worksheet compresses 5 to 25 times; a zip bomb (millions of
# tiny shared strings) hundreds of times. Members below RATIO_FLOOR are not judged by ratio.
MAX_RATIO = 100
RATIO_FLOOR = MB
MAX_MEMBERS = 10_000
MAX_DIRECTORY_BYTES = 4 * MB  # the zip's central directory (about 100 bytes a member)
WORKBOOK = "xl/workbook.xml"
# Excel's own limit for the text of one cell; a column may allow less (``Column.max_length``).
MAX_CELL_CHARS = 32_767
# The C0 controls that XML 1.0 forbids (tab, line feed and carriage return are allowed).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_COUNT = 2_147_483_647  # the largest value every database keeps in an integer column


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
    """The file as a whole cannot be read (type, size, encoding, format, header)."""

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
    max_length: int = MAX_CELL_CHARS  # characters; the model field's max_length


def _file_error(message: str, row: int = 1) -> TableError:
    return TableError([RowError(row, "file", message)])


# --- Limits (settings) -------------------------------------------------------------------


def _setting(name: str, default: int) -> int:
    from django.conf import settings

    return int(getattr(settings, "SPOTCHECK", {}).get(name, default))


def upload_max_bytes() -> int:
    """Return the largest file an upload may be (SPOTCHECK["upload_max_mb"], default 50 MB)."""
    return _setting("upload_max_mb", 50) * MB


def max_import_rows() -> int:
    """Return the most rows one file may hold (SPOTCHECK["import_max_rows"], default 1,000,000)."""
    return _setting("import_max_rows", 1_000_000)


def max_unzipped_bytes() -> int:
    """Return the most an .xlsx may decompress to (SPOTCHECK["xlsx_max_unzipped_mb"], default 1 GB)."""
    return _setting("xlsx_max_unzipped_mb", 1024) * MB


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


# --- Formulas ----------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number, phone number or date ("-", "-5", "+86 23 6666 0000", "-1,234.5") is data:
# without a letter, a quote or an operator other than "-" there is nothing to run or to read.
_PLAIN_SIGNED = re.compile(r"[+-][0-9 .,()\-]*")


def is_formula(text: str) -> bool:
    """Return whether a spreadsheet would run ``text`` as a formula (and so must not get it bare)."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_SIGNED.fullmatch(text)


def escape_formula(text: str) -> str:
    """Return ``text`` as an export writes it: a formula gets a leading ``'``.

    The apostrophes already in front are looked through, so that ``unescape_formula``
    gives back exactly ``text``: ``'=x`` is written ``''=x``, ``'quoted`` stays as it is.
    """
    return "'" + text if is_formula(text.lstrip("'")) else text


def unescape_formula(text: str) -> str:
    """Return the value an exported (escaped) cell stood for: the inverse of ``escape_formula``."""
    return text[1:] if text.startswith("'") and is_formula(text.lstrip("'")) else text


# --- The file's type: the name's extension and the content must agree ---------------------


def _display(name: str) -> str:
    return PurePath(name or "").name or "（无名称）"


def extension(name: str) -> str:
    return PurePath((name or "").lower()).suffix


def check_table_file(stream: IO[bytes], name: str, size: int | None = None) -> str:
    """Return 'csv' or 'xlsx' for a table file whose name and content agree; else raise TableError.

    ``size`` (an upload's) is checked against the upload limit first, before anything is read.
    Only the start of a CSV is looked at here (the whole file is checked as it is read); an
    .xlsx's zip directory is judged whole. The stream is rewound.
    """
    shown = _display(name)
    if size is not None and size > upload_max_bytes():
        raise _file_error(_("文件“%(name)s”为%(size)sMB，超过%(limit)sMB的上限")
                          % {"name": shown, "size": _mb(size), "limit": upload_max_bytes() // MB})
    kind = extension(name)
    if kind not in TABLE_EXTENSIONS:
        raise _file_error(_("只接受 .csv 或 .xlsx 文件，“%(name)s”不是（.xls 文件请在Excel中另存为 .xlsx）")
                          % {"name": shown})
    stream.seek(0)
    head = stream.read(CHUNK)
    stream.seek(0)
    if not head:
        raise _file_error(_("文件“%(name)s”为空") % {"name": shown})
    if kind == ".xlsx":
        check_xlsx(stream, name)
        return "xlsx"
    if head.startswith(b"PK\x03\x04"):
        raise _file_error(_("文件“%(name)s”是压缩包（可能是改了扩展名的XLSX），不是CSV文件") % {"name": shown})
    if b"\x00" in head:
        raise _binary(name)
    return "csv"


def _binary(name: str) -> TableError:
    return _file_error(_("文件“%(name)s”含有二进制内容，不是CSV文件") % {"name": _display(name)})


def _not_xlsx(name: str, reason: str) -> TableError:
    return _file_error(_("文件“%(name)s”不是有效的XLSX工作簿：%(reason)s") % {"name": _display(name), "reason": reason})


def _zip_directory(stream: IO[bytes], name: str) -> tuple[int, int]:
    """Return (members, bytes) of a zip's central directory as zipfile will take them, from the
    end record (and the ZIP64 end record that zipfile reads before it, if any), without reading it."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail = min(size, 22 + 0xFFFF)
    stream.seek(size - tail)
    data = stream.read(tail)
    stream.seek(0)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < 22:
        raise _not_xlsx(name, _("不是zip压缩包"))
    members, directory = struct.unpack("<10xHL6x", data[at:at + 22])
    end = size - tail + at  # where the end record starts in the file
    if end >= 20 + 56:
        stream.seek(end - 20 - 56)
        zip64 = stream.read(56 + 20)
        stream.seek(0)
        if zip64[56:60] == b"PK\x06\x07" and zip64[:4] == b"PK\x06\x06":
            members, directory = struct.unpack("<32xQQ8x", zip64[:56])
    return members, directory


def check_xlsx(stream: IO[bytes], name: str) -> list[zipfile.ZipInfo]:
    """Judge an .xlsx from its zip directory alone; return its members or raise TableError.

    Refused: not a zip, no workbook, too many members, a compression other than deflate,
    a decompressed size above the limit, or a member that decompresses more than MAX_RATIO
    times its compressed size (a zip bomb). zipfile never decompresses more than a member's
    declared size, so judging the declared sizes bounds what openpyxl will read.
    """
    shown = _display(name)
    members, directory = _zip_directory(stream, name)
    if members > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise _not_xlsx(name, _("压缩包内文件过多（上限%(limit)s个）") % {"limit": MAX_MEMBERS})
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except Exception:  # any failure of zipfile on a hostile file is a refusal
        raise _not_xlsx(name, _("压缩包已损坏")) from None
    finally:
        stream.seek(0)
    if WORKBOOK not in {info.filename for info in infos}:
        raise _not_xlsx(name, _("压缩包中没有工作簿（%(member)s）") % {"member": WORKBOOK})
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        raise _not_xlsx(name, _("压缩方式不是XLSX所用的deflate"))
    stream.seek(0, io.SEEK_END)
    archive_size = max(stream.tell(), 1)
    stream.seek(0)
    total = sum(info.file_size for info in infos)
    limit = max_unzipped_bytes()
    if total > limit:
        raise _file_error(_("文件“%(name)s”解压后为%(size)sMB，超过解压后%(limit)sMB的上限")
                          % {"name": shown, "size": _mb(total), "limit": limit // MB})
    for info in infos:
        ratio = info.file_size / max(min(info.compress_size, archive_size), 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise _bomb(name, total, ratio)
    if total > RATIO_FLOOR and total > MAX_RATIO * archive_size:
        raise _bomb(name, total, total / archive_size)
    return infos


def _bomb(name: str, total: int, ratio: float) -> TableError:
    return _file_error(
        _("文件“%(name)s”解压后为%(size)sMB，是压缩后大小的%(ratio).0f倍，超过解压比%(limit)s倍的上限（疑似压缩炸弹）")
        % {"name": _display(name), "size": _mb(total), "ratio": ratio, "limit": MAX_RATIO})


# --- Counting rows without parsing (an estimate for progress) ----------------------------

_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SMALL_XML = MB  # workbook.xml and its relationships are a few kilobytes


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """Return the member holding the workbook's first worksheet (the one imports read), or None."""
    # ElementTree never fetches external entities, and expat (2.4 and later) refuses entity
    # expansion bombs ("limit on input amplification factor"); these two parts are small.
    try:
        if archive.getinfo(WORKBOOK).file_size > _SMALL_XML:
            return None
        workbook = ElementTree.fromstring(archive.read(WORKBOOK))  # noqa: S314
        rels_name = "xl/_rels/workbook.xml.rels"
        if archive.getinfo(rels_name).file_size > _SMALL_XML:
            return None
        targets = {rel.get("Id"): (rel.get("Type") or "", rel.get("Target") or "")
                   for rel in ElementTree.fromstring(archive.read(rels_name))}  # noqa: S314
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
        return None
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        kind, target = targets.get(sheet.get(f"{{{_RELATIONSHIP_NS}}}id"), ("", ""))
        if kind.endswith("/worksheet") and target:
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return None


def _count_xlsx_rows(stream: IO[bytes], stop: int | None) -> int:
    """Count the row elements of the first worksheet, streaming (up to ``stop``); 0 if unknown."""
    count = 0
    try:
        with zipfile.ZipFile(stream) as archive:
            member = _first_sheet(archive)
            if member is None:
                return 0
            with archive.open(member) as sheet:
                carry = b""
                while chunk := sheet.read(CHUNK):
                    data = carry + chunk
                    count += sum(1 for m in _ROW_TAG.finditer(data) if m.end() > len(carry))
                    carry = data[-64:]
                    if stop is not None and count >= stop:
                        break
    except Exception:  # a damaged file: reading it will say what is wrong
        return 0
    finally:
        stream.seek(0)
    return count


def _count_lines(stream: IO[bytes]) -> int:
    stream.seek(0)
    count = 0
    while chunk := stream.read(CHUNK):
        count += chunk.count(b"\n")
    stream.seek(0)
    return count


def count_rows(stream: IO[bytes], name: str, stop: int | None = None) -> int:
    """Estimate the data rows of a table file without parsing it (for progress).

    A CSV's line breaks are counted (bytes only: fast); an .xlsx's row elements in its first
    worksheet, decompressed as a stream, up to ``stop`` rows when given; the dimension an .xlsx
    declares is never used. 0 when the file cannot be read.
    """
    try:
        kind = check_table_file(stream, name)
    except TableError:
        return 0
    lines = _count_xlsx_rows(stream, stop) if kind == "xlsx" else _count_lines(stream)
    return max(0, lines - 1)


# --- Reading ------------------------------------------------------------------------------


def detect_encoding(stream: IO[bytes], name: str = "") -> str:
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
                    raise _binary(name)
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise _file_error(_("无法识别文件“%(name)s”的编码（应为UTF-8或GB18030）") % {"name": _display(name)})


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
    if isinstance(value, str):
        return unescape_formula(value.strip())
    return str(value).strip()


def _xlsx_rows(stream: IO[bytes], name: str) -> tuple[Iterator[list[str]], int]:
    from openpyxl import load_workbook

    total = max(0, _count_xlsx_rows(stream, None) - 1)
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        # In read-only mode openpyxl stops at the dimension the file declares (rows and columns
        # beyond it are dropped without a word); every row present is read instead.
        sheet.reset_dimensions()
    except Exception as exc:  # openpyxl raises many kinds on a damaged or hostile file
        raise _file_error(_("无法读取XLSX文件“%(name)s”：%(reason)s")
                          % {"name": _display(name), "reason": str(exc)[:200]}) from None

    def rows() -> Iterator[list[str]]:
        number = 0
        try:
            for values in sheet.iter_rows(values_only=True):
                number += 1
                yield [_cell_text(v) for v in values]
        except TableError:
            raise
        except Exception as exc:  # a damaged worksheet, found only when its rows are read
            raise _file_error(_("XLSX文件“%(name)s”第%(row)s行无法读取：%(reason)s")
                              % {"name": _display(name), "row": number + 1, "reason": str(exc)[:200]},
                              row=number + 1) from None
        finally:
            book.close()

    return rows(), total


def _csv_rows(stream: IO[bytes], name: str) -> tuple[Iterator[list[str]], int]:
    encoding = detect_encoding(stream, name)
    total = max(0, _count_lines(stream) - 1)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        header = text.readline(65536)
        text.seek(0)
    except UnicodeDecodeError:  # pragma: no cover - detect_encoding checked it
        raise _file_error(_("无法识别文件编码")) from None
    # Judged on the header alone: a data cell may hold tabs or commas of its own.
    delimiter = "\t" if header.count("\t") > header.count(",") else ","

    def rows() -> Iterator[list[str]]:
        number = 0
        try:
            for values in csv.reader(text, delimiter=delimiter):
                number += 1
                yield [unescape_formula(v.strip()) for v in values]
        except csv.Error as exc:
            raise _file_error(_("CSV格式错误：%(reason)s") % {"reason": exc}, row=number + 1) from None
        finally:
            text.detach()

    return rows(), total


def open_table(stream: IO[bytes], name: str) -> tuple[Iterator[list[str]], int]:
    """Return the raw rows of a file and an estimate of its data rows (for progress).

    The name's extension decides the format, and the content must agree with it.
    """
    if check_table_file(stream, name) == "xlsx":
        return _xlsx_rows(stream, name)
    return _csv_rows(stream, name)


def _by_name(columns: Sequence[Column]) -> dict[str, Column]:
    """Return the columns by English key (lower-cased) and by Chinese header."""
    by_name: dict[str, Column] = {}
    for known in columns:
        by_name[known.key.lower()] = known
        by_name[known.zh] = known
    return by_name


def _named(by_name: dict[str, Column], name: str) -> Column | None:
    return by_name.get(name) or by_name.get(name.lower())


def header_map(header: Sequence[str], columns: Sequence[Column]) -> list[Column | None]:
    """Match each header cell to a column; refuse unknown, repeated and missing columns."""
    by_name = _by_name(columns)
    errors = []
    mapped: list[Column | None] = []
    seen: set[str] = set()
    for cell in header:
        name = cell.strip().lstrip("\ufeff")
        column: Column | None = _named(by_name, name)
        if not name:
            mapped.append(None)
            continue
        if column is None:
            errors.append(RowError(1, name[:100], _("未知的列")))
        elif column.key in seen:
            errors.append(RowError(1, name, _("列重复")))
        else:
            seen.add(column.key)
        mapped.append(column)
    for known in columns:
        if known.required and known.key not in seen:
            errors.append(RowError(1, known.key, _("缺少必填列“%(column)s”") % {"column": known.zh}))
    if errors:
        raise TableError(errors)
    return mapped


def cell_problem(text: str, column: Column) -> str | None:
    """Return why a cell's text cannot be taken as it is (too long, control characters), or None."""
    if len(text) > column.max_length:
        return _("内容过长：%(length)s个字符，最多%(limit)s个") % {"length": len(text), "limit": column.max_length}
    control = CONTROL_CHARACTERS.search(text)
    if control:
        return _("含有控制字符（U+%(code)04X）") % {"code": ord(control.group())}
    return None


def parse_cells(number: int, cells: Iterable[tuple[Column, str]], absent: Iterable[Column],
                errors: list[RowError]) -> dict[str, Any]:
    """Return one row's values by key from its (column, text) cells; add each problem to ``errors``.

    An empty optional cell, and a column in ``absent``, takes the column's default; an empty
    required cell is an error; each cell is parsed by its column's ``parse``.
    """
    out: dict[str, Any] = {c.key: c.default for c in absent}
    for column, text in cells:
        if text == "":
            if column.required:
                errors.append(RowError(number, column.key, _("必填项为空")))
            out[column.key] = column.default
            continue
        problem = cell_problem(text, column)
        if problem is not None:
            errors.append(RowError(number, column.key, problem))
            out[column.key] = column.default
            continue
        if column.parse is None:
            out[column.key] = text
            continue
        try:
            out[column.key] = column.parse(text)
        except ValueError as exc:
            errors.append(RowError(number, column.key, str(exc)))
    return out


def read_rows(
    stream: IO[bytes], name: str, columns: Sequence[Column]
) -> tuple[Iterator[tuple[int, dict[str, Any], list[RowError]]], int]:
    """Return (rows, estimated total): each row is (number, values by key, errors).

    Values are parsed by each column's ``parse``; an empty optional cell takes
    the default; an empty required cell is an error. Blank lines are skipped.
    A file with more rows than ``max_import_rows()`` (blank ones included) is
    refused when the first row past the limit is read.
    """
    raw, total = open_table(stream, name)
    try:
        header = next(raw)
    except StopIteration:
        raise _file_error(_("文件“%(name)s”为空") % {"name": _display(name)}) from None
    mapped = header_map(header, columns)
    present = [c for c in mapped if c is not None]
    absent = [c for c in columns if c not in present]
    limit = max_import_rows()

    def rows() -> Iterator[tuple[int, dict[str, Any], list[RowError]]]:
        number = 1
        for values in raw:
            number += 1
            if number - 1 > limit:
                raise _file_error(_("文件“%(name)s”超过%(limit)s行的上限（含空行）")
                                  % {"name": _display(name), "limit": limit}, row=number)
            if not any(values):
                continue
            errors: list[RowError] = []
            if len(values) > len(mapped) and any(values[len(mapped):]):
                errors.append(RowError(number, "row", _("单元格多于表头列数")))
            cells = ((column, values[index] if index < len(values) else "")
                     for index, column in enumerate(mapped) if column is not None)
            out = parse_cells(number, cells, absent, errors)
            yield number, out, errors

    return rows(), total


def _mapping_text(value: Any) -> str | None:
    """Return a value given in a mapping (an API's JSON) as a cell's text, or None if it is no scalar."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal | dt.date):
        return _cell_text(value)
    return None


def read_mappings(
    rows: Iterable[Any], columns: Sequence[Column], first_row: int = 1
) -> Iterator[tuple[int, dict[str, Any], list[RowError]]]:
    """Yield rows given as mappings (an API's list of objects) as ``read_rows`` yields a file's.

    Each row is numbered from ``first_row``. Keys are English keys or Chinese headers, as a
    file's header; an unknown or repeated key is an error of that row, a missing required key
    an empty required cell. Values are text (numbers, dates and yes/no as JSON gives them are
    taken as their text), parsed by the same columns as a file's cells.
    """
    by_name = _by_name(columns)
    for number, row in enumerate(rows, start=first_row):
        errors: list[RowError] = []
        if not isinstance(row, Mapping):
            yield number, {}, [RowError(number, "row", _("应为一个对象（键值对）"))]
            continue
        given: dict[str, str | None] = {}  # None: a value that is no scalar (its error is added)
        for name, value in row.items():
            column = _named(by_name, str(name).strip())
            if column is None:
                errors.append(RowError(number, str(name)[:100], _("未知的字段")))
                continue
            if column.key in given:
                errors.append(RowError(number, column.key, _("字段重复")))
                continue
            text = _mapping_text(value)
            if text is None:
                errors.append(RowError(number, column.key, _("应为文本、数字或日期")))
            given[column.key] = text
        cells = ((column, given.get(column.key) or "") for column in columns
                 if given.get(column.key) is not None or (column.key not in given and column.required))
        absent = [c for c in columns
                  if (c.key not in given and not c.required) or (c.key in given and given[c.key] is None)]
        out = parse_cells(number, cells, absent, errors)
        yield number, out, errors


# --- Cell parsers: each raises ValueError with a Chinese-and-English reason -----------

YES = {"是", "yes", "true", "1", "y"}
NO = {"否", "no", "false", "0", "n"}


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(_("无法识别的是/否值“%(value)s”") % {"value": text})


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()[:10] if "T" in text else text.strip())
    except ValueError:
        raise ValueError(_("日期无效“%(value)s”（应为YYYY-MM-DD）") % {"value": text}) from None


def parse_count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(_("应为非负整数“%(value)s”") % {"value": text}) from None
    if value < 0:
        raise ValueError(_("不能为负数“%(value)s”") % {"value": text})
    if value > MAX_COUNT:
        raise ValueError(_("数值过大“%(value)s”（最大%(limit)s）") % {"value": text, "limit": MAX_COUNT})
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
            raise ValueError(_("未知的%(what)s“%(value)s”，应为：%(allowed)s") % {"what": what, "value": text, "allowed": allowed})
        return code

    return parse
