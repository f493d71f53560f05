"""Checks on the file as a zip package, before any spreadsheet parser sees it.

Everything here is bounded: sizes come from the zip directory and are verified
while decompressing (zipfile stops at the declared size and checks the CRC), XML
prologs are scanned up to the root element, and sheets are only decompressed once the
directory says they are within the limits. Each refusal is a :class:`Rejected`
carrying one clear :class:`DataProblem`.
"""
from __future__ import annotations

import codecs
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from defusedxml import ElementTree as SafeET

from compliance.rules.model import DataProblem

from .problem_codes import DATA_CODES

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The prolog of an XML part is read in chunks of this size (the first, smaller, tells what the part is).
_PROLOG_CHUNK = 64 * 1024
_FIRST_CHUNK = 4096
# Entries smaller than this cannot hurt, whatever their compression ratio.
_RATIO_MIN_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of the reader; the Django side builds one from settings."""

    max_upload_bytes: int = 20 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_entry_uncompressed_bytes: int = 100 * 1024 * 1024
    max_compression_ratio: int = 100
    max_entries: int = 1000
    max_school_rows: int = 20000
    max_columns: int = 100

    @classmethod
    def from_settings(cls, settings: object) -> Limits:
        """Build from an object with WORKBOOK_* attributes (django.conf.settings)."""
        d = cls()

        def get(name: str, default: int) -> int:
            return int(getattr(settings, name, default))

        return cls(
            max_upload_bytes=get("WORKBOOK_MAX_UPLOAD_BYTES", d.max_upload_bytes),
            max_uncompressed_bytes=get("WORKBOOK_MAX_UNCOMPRESSED_BYTES", d.max_uncompressed_bytes),
            max_entry_uncompressed_bytes=get(
                "WORKBOOK_MAX_ENTRY_UNCOMPRESSED_BYTES",
                min(d.max_entry_uncompressed_bytes, get("WORKBOOK_MAX_UNCOMPRESSED_BYTES", d.max_uncompressed_bytes)),
            ),
            max_compression_ratio=get("WORKBOOK_MAX_COMPRESSION_RATIO", d.max_compression_ratio),
            max_entries=get("WORKBOOK_MAX_ENTRIES", d.max_entries),
            max_school_rows=get("WORKBOOK_MAX_SCHOOL_ROWS", d.max_school_rows),
            max_columns=get("WORKBOOK_MAX_COLUMNS", d.max_columns),
        )


class Rejected(Exception):
    """The file cannot be read at all; ``problem`` says why."""

    def __init__(self, problem: DataProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def file_problem(code: str, message: str, *, sheet: str | None = None, row: int | None = None,
                 column: str | None = None, value: object = None, fix: str | None = None) -> DataProblem:
    dc = DATA_CODES[code]
    return DataProblem(code, dc.severity, sheet, row, column, value, message, fix or dc.fix)


def reject(code: str, message: str, **kw: object) -> Rejected:
    return Rejected(file_problem(code, message, **kw))  # type: ignore[arg-type]


@dataclass(slots=True)
class SheetScan:
    """What the raw XML of one worksheet tells us that calamine does not.

    calamine reports a formula cell without a cached value, and a cell holding an Excel
    error, as an empty cell. Only blank cells can be either, so the XML is searched for
    them lazily, the first time a blank cell is met."""

    xml: bytes = b""
    prefixed: bool = False
    _scanned: bool = False
    # (excel_row, 0-based column) of formula cells without a cached value / error cells.
    _uncached: set[tuple[int, int]] = field(default_factory=set)
    _errors: dict[tuple[int, int], str] = field(default_factory=dict)

    def _ensure(self) -> None:
        if not self._scanned:
            self._scanned = True
            data = self.xml
            # Every formula has a closing </f> (shared-formula children point at one that does).
            if data.find(b"</f>") != -1 or (self.prefixed and data.find(b":f>") != -1) or data.find(b't="e"') != -1:
                _scan_formulas(data, self)
            self.xml = b""

    @property
    def uncached(self) -> set[tuple[int, int]]:
        self._ensure()
        return self._uncached

    @property
    def errors(self) -> dict[tuple[int, int], str]:
        self._ensure()
        return self._errors


@dataclass(slots=True)
class Package:
    """The opened zip, past every zip-level check, and where each sheet's XML is in it."""

    zf: zipfile.ZipFile
    sheet_paths: dict[str, str]  # sheet name as in the workbook -> zip entry
    blob: bytes = b""


# ----------------------------------------------------------------------------------------


def sniff(blob: bytes, filename: str | None, limits: Limits) -> None:
    """Refuse what is plainly not an xlsx from its first bytes and size."""
    if not blob:
        raise reject("DATA-01", "The file is empty (0 bytes).")
    if len(blob) > limits.max_upload_bytes:
        raise reject(
            "DATA-02",
            f"The file is {_mb(len(blob))}; the upload limit is {_mb(limits.max_upload_bytes)}.",
        )
    if blob.startswith(OLE_MAGIC):
        # Both legacy .xls and password-protected .xlsx are OLE compound files; an
        # encrypted OOXML package keeps its payload in a stream named EncryptedPackage.
        if "EncryptedPackage".encode("utf-16-le") in blob or "EncryptionInfo".encode("utf-16-le") in blob:
            raise reject("DATA-04", "The workbook is password-protected, so it cannot be read.")
        raise reject("DATA-03", "The file is an Excel 97-2003 workbook (.xls), not an .xlsx workbook.")
    if blob.startswith(b"%PDF"):
        raise reject("DATA-08", "The file is a PDF document, not an Excel workbook.")
    if not blob.startswith(b"PK"):
        if _looks_like_text(blob[:4096]):
            raise reject(
                "DATA-08",
                "The file is plain text (CSV or similar) renamed to .xlsx, not an Excel workbook.",
                fix="Open the CSV in Excel, copy the data into the template, and save as Excel Workbook (.xlsx).",
            )
        raise reject("DATA-08", "The file is not an Excel workbook (it is not an .xlsx package).")


def open_package(blob: bytes, filename: str | None, limits: Limits) -> Package:
    """Run every zip-level check and return the opened package."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(blob))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise reject("DATA-09",
                     f"The file is damaged or incomplete: it is not a readable zip package ({exc}).") from None

    if len(infos) > limits.max_entries:
        raise reject("DATA-10", f"The file holds {len(infos)} parts; at most {limits.max_entries} are allowed.")
    names = {i.filename for i in infos}

    if "mimetype" in names:
        mimetype = _read_bounded(zf, "mimetype", 256)
        if b"opendocument" in mimetype:
            raise reject("DATA-07", "The file is an OpenDocument spreadsheet (.ods), not an Excel workbook (.xlsx).")
    if any(i.flag_bits & 0x1 for i in infos):
        raise reject("DATA-04", "The workbook is password-protected (its parts are encrypted), so it cannot be read.")
    _check_sizes(infos, limits)
    if "[Content_Types].xml" not in names:
        raise reject("DATA-08", "The file is a zip archive but not an Excel workbook (it has no [Content_Types].xml).")
    # Entity declarations are never needed in a spreadsheet; refuse them before any XML parser runs,
    # in every part that is XML by its content, whatever its name. Pictures are left alone: an SVG
    # logo often carries a DOCTYPE, and no parser here reads pictures (worksheets are checked whole
    # in scan_sheet, whatever their content type).
    _check_prolog(zf, zf.getinfo("[Content_Types].xml"))
    pictures = _picture_parts(zf, names)
    for info in infos:
        if info.filename != "[Content_Types].xml" and info.filename not in pictures:
            _check_prolog(zf, info)
    _check_kind(zf, names, filename)
    return Package(zf, _sheet_paths(zf, names), blob)


def _check_sizes(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Each part's and the whole package's unpacked size, and each large part's compression ratio."""
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_entry_uncompressed_bytes:
            raise reject(
                "DATA-10",
                f"The part {info.filename} unpacks to {_mb(info.file_size)}; "
                f"at most {_mb(limits.max_entry_uncompressed_bytes)} is allowed per part.",
            )
        ratio_bound = limits.max_compression_ratio * max(info.compress_size, 1)
        if info.file_size >= _RATIO_MIN_BYTES and info.file_size > ratio_bound:
            raise reject(
                "DATA-10",
                f"The part {info.filename} is compressed {info.file_size // max(info.compress_size, 1)} to 1; "
                f"at most {limits.max_compression_ratio} to 1 is allowed.",
            )
    if total > limits.max_uncompressed_bytes:
        raise reject(
            "DATA-10",
            f"The file unpacks to {_mb(total)}; at most {_mb(limits.max_uncompressed_bytes)} is allowed.",
        )


def _check_kind(zf: zipfile.ZipFile, names: set[str], filename: str | None) -> None:
    """Refuse the other Excel packages (.xlsb, .xlsm), by content type, parts or name."""
    content_types = _read_bounded(zf, "[Content_Types].xml", 1024 * 1024)
    low_ct = content_types.lower()
    low_names = {n.lower() for n in names}
    # .xlsb first: its content type is "sheet.binary.macroEnabled.main" whether or not it has macros.
    if b"sheet.binary" in low_ct or "xl/workbook.bin" in low_names:
        raise reject("DATA-06", "The file is an Excel binary workbook (.xlsb); only .xlsx workbooks are accepted.")
    if b"macroenabled" in low_ct or "xl/vbaproject.bin" in low_names:
        raise reject("DATA-05", "The file is a macro-enabled workbook (.xlsm); only .xlsx workbooks are accepted.")
    ext = posixpath.splitext((filename or "").lower())[1]
    if ext == ".xlsm":
        raise reject("DATA-05", "The file is named .xlsm (macro-enabled); only .xlsx workbooks are accepted.")
    if ext == ".xlsb":
        raise reject("DATA-06", "The file is named .xlsb (binary workbook); only .xlsx workbooks are accepted.")


def scan_sheet(pkg: Package, sheet_name: str, limits: Limits) -> SheetScan:
    """Bounded checks on one worksheet's XML: width, row count, formulas without values."""
    path = pkg.sheet_paths.get(sheet_name)
    scan = SheetScan()
    if path is None:
        return scan
    data = _inflate(pkg, path)
    _check_no_doctype(data, path)
    _check_width(data, sheet_name, limits.max_columns)
    scan.xml, scan.prefixed = data, _check_row_count(data, sheet_name, limits)
    return scan


def _check_width(data: bytes, sheet_name: str, max_cols: int) -> None:
    """No cell beyond the template's width, by the declared size, the references, or the count."""
    # Declared size first: the <dimension> element sits near the top of the sheet.
    m = _DIMENSION.search(data, 0, 8192)
    if m and m.group(1):
        if _col_number(m.group(1)) > max_cols:
            raise _too_wide(sheet_name, m.group(1).decode(), max_cols)
    # Then the cells themselves (the dimension may be absent or wrong). Columns beyond Z
    # have two or more letters, which a template sheet never uses, so one fast search
    # settles it for normal files.
    if _TWO_LETTER_REF.search(data):
        for m2 in _WIDE_REF.finditer(data):
            if _col_number(m2.group(1)) > max_cols:
                raise _too_wide(sheet_name, m2.group(1).decode(), max_cols)
    # Cells may omit their r="A1" reference: calamine then places them one after another,
    # so a row of a million bare <c/> elements is as wide as XFD. Normal writers put r first,
    # so comparing two counts settles it; only a file that differs gets the per-row count.
    cells = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
    if cells > data.count(b'<c r="'):
        for row in data.split(b"<row")[1:]:
            end = row.find(b"</row>")
            row = row if end == -1 else row[:end]
            width = row.count(b"<c ") + row.count(b"<c>") + row.count(b"<c/>")
            if width > max_cols:
                raise reject(
                    "DATA-12",
                    f"The {sheet_name} sheet has a row of {width:,} cells; the template needs at most "
                    f"{max_cols} columns.",
                    sheet=sheet_name,
                )


def _check_row_count(data: bytes, sheet_name: str, limits: Limits) -> bool:
    """Refuse a grossly oversized sheet; return whether its XML is namespace-prefixed."""
    # calamine allocates a dense grid up to the last row, so bound the row count and the
    # highest row number before handing it the sheet. The exact limit on data rows is
    # applied after reading; this only stops grossly oversized sheets early.
    hard_rows = 2 * limits.max_school_rows + 1000
    rows = data.count(b"<row")
    prefixed = b":worksheet" in data[:512]  # a namespace-prefixed sheet: <x:row ...>
    if prefixed:
        rows += data.count(b":row ")
    last_row = max((int(x) for x in _ROW_NUMBER.findall(data[-65536:])), default=0)
    if rows > hard_rows or last_row > hard_rows:
        raise reject(
            "DATA-13",
            f"The {sheet_name} sheet has {max(rows, last_row):,} rows; at most {limits.max_school_rows:,} "
            "rows of data are allowed.",
            sheet=sheet_name,
        )
    return prefixed


# ----------------------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="(?:[A-Z]*\d*:)?([A-Z]*)\d*"')
_TWO_LETTER_REF = re.compile(rb'r="[A-Z]{2}')
_WIDE_REF = re.compile(rb'r="([A-Z]{2,3})[0-9]')
_ROW_NUMBER = re.compile(rb'\br="[A-Z]{0,3}([0-9]+)"')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _too_wide(sheet_name: str, col: str, max_cols: int) -> Rejected:
    return reject(
        "DATA-12",
        f"The {sheet_name} sheet uses columns up to {col}; the template needs at most {max_cols} columns.",
        sheet=sheet_name,
    )


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _scan_formulas(data: bytes, scan: SheetScan) -> None:
    """Find formula cells without a cached value and cells holding an Excel error.

    calamine reports both as an empty cell, which would read as "blank"."""
    for marker in (b"<f", b't="e"'):
        pos = data.find(marker)
        while pos != -1:
            if marker == b"<f" and data[pos + 2 : pos + 3] not in (b">", b" ", b"/"):
                pos = data.find(marker, pos + 2)
                continue
            start = data.rfind(b"<c", 0, pos)
            end = data.find(b"</c>", pos)
            tag_end = data.find(b">", start)
            if start == -1 or tag_end == -1:
                break
            tag = data[start:tag_end]
            if end == -1 or data.rfind(b"/", start, tag_end + 1) == tag_end - 1:
                end = tag_end  # a self-closing <c .../>
            ref = _CELL_REF.search(tag)
            if ref is not None:
                key = (int(ref.group(2)), _col_number(ref.group(1)) - 1)
                body = data[tag_end:end]
                t = _CELL_TYPE.search(tag)
                ctype = t.group(1) if t else b"n"
                v = _VALUE.search(body)
                if ctype == b"e":
                    scan._errors[key] = (v.group(1).decode("utf-8", "replace") if v else "#ERROR")
                elif marker == b"<f" and (v is None or (v.group(1) == b"" and ctype != b"str")):
                    if ctype != b"inlineStr":
                        scan._uncached.add(key)
            pos = data.find(marker, max(pos + 2, end))


def _read_bounded(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with zf.open(name) as fh:
            return fh.read(limit)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        raise reject("DATA-09", f"The file is damaged: its part {name} cannot be unpacked ({exc}).") from None


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def _inflate(pkg: Package, name: str) -> bytes:
    """A deflated entry, inflated straight from the upload's bytes, at most its declared size.

    This skips zipfile's CRC pass (calamine reads and checks the same entry right after);
    the declared size still bounds the output, and a stream that is longer or shorter
    than declared is refused as damaged."""
    info = pkg.zf.getinfo(name)
    blob = pkg.blob
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1 or not blob:
        return _read_entry(pkg.zf, name)
    head = blob[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
    if len(head) != _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
        raise reject("DATA-09", f"The file is damaged: its part {name} cannot be found.")
    fields = _LOCAL_HEADER.unpack(head)
    start = info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]
    raw = memoryview(blob)[start : start + info.compress_size]
    try:
        d = zlib.decompressobj(-15)
        data = d.decompress(raw, info.file_size + 1)
    except zlib.error as exc:
        raise reject("DATA-09", f"The file is damaged: its part {name} cannot be unpacked ({exc}).") from None
    if len(data) != info.file_size or not d.eof:
        raise reject("DATA-09", f"The file is damaged: its part {name} does not unpack to its declared size.")
    return data


def _read_entry(zf: zipfile.ZipFile, name: str) -> bytes:
    # Sizes were checked against the directory; zipfile never returns more than the
    # declared size and verifies the CRC at the end, so a lying directory fails here.
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        raise reject("DATA-09", f"The file is damaged: its part {name} cannot be unpacked ({exc}).") from None


_DECLARATIONS = (b"DOCTYPE", b"ENTITY")


def _declares_entities(after_bang: bytes) -> bool:
    """Whether the markup after a "<!" is a DOCTYPE or an entity declaration (any case)."""
    return after_bang[:7].upper().startswith(_DECLARATIONS)


def _refuse_entities(name: str) -> Rejected:
    return reject("DATA-11", f"The part {name} declares XML entities (a DOCTYPE), which is not allowed in a workbook.")


def _part_text(fh: IO[bytes]) -> Iterator[bytes]:
    """A part's bytes in chunks, UTF-16 re-encoded as UTF-8 so that markup can be searched."""
    first = fh.read(_FIRST_CHUNK)
    if first[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding: str | None = "utf-16"
    elif first[:1] == b"\x00":
        encoding = "utf-16-be"
    elif first[1:2] == b"\x00":
        encoding = "utf-16-le"
    else:
        encoding = None
    decoder = codecs.getincrementaldecoder(encoding)("replace") if encoding else None
    chunk = first
    while chunk:
        yield decoder.decode(chunk).encode("utf-8") if decoder else chunk
        chunk = fh.read(_PROLOG_CHUNK)


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a part whose prolog declares entities.

    A DOCTYPE can only come before the root element, after an optional byte-order mark, the XML
    declaration, comments and processing instructions. The part is read in chunks up to its root
    element (or its first byte that is no markup: an image is left after its first chunk); a long
    comment is skipped chunk by chunk, so the scan is linear and bounded by the part's size, which
    was checked already."""
    try:
        with zf.open(info) as fh:
            _scan_prolog(_part_text(fh), info.filename)
    except NotImplementedError:
        return  # a compression method no reader here unpacks: no parser will read this part either
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise reject("DATA-09", f"The file is damaged: its part {info.filename} cannot be unpacked ({exc}).") from None


def _scan_prolog(chunks: Iterator[bytes], name: str) -> None:
    buf, pos = b"", 0

    def more() -> bool:
        nonlocal buf, pos
        chunk = next(chunks, b"")
        if not chunk:
            return False
        buf, pos = buf[pos:] + chunk, 0
        return True

    while len(buf) < 3 and more():
        pass
    if buf.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark
        pos = 3
    while True:
        # Whitespace between the prolog's items.
        while pos < len(buf) and buf[pos] in b" \t\r\n":
            pos += 1
        if pos == len(buf):
            if not more():
                return
            continue
        while len(buf) - pos < 9 and more():
            pass
        head = buf[pos : pos + 9]
        if head.startswith(b"<!--"):
            opener, closer = 4, b"-->"
        elif head.startswith(b"<?"):
            opener, closer = 2, b"?>"
        elif head.startswith(b"<!") and _declares_entities(head[2:]):
            raise _refuse_entities(name)
        else:
            return  # the root element (or no XML at all): the prolog is over
        # Skip to the item's end, keeping only what a closer split across chunks needs.
        start = pos + opener
        while True:
            end = buf.find(closer, start)
            if end != -1:
                pos = end + len(closer)
                break
            pos = max(start, len(buf) - len(closer) + 1)
            start = 0
            if not more():
                return  # unterminated: the parser refuses it as damaged


def _picture_parts(zf: zipfile.ZipFile, names: set[str]) -> set[str]:
    """The parts [Content_Types].xml says are pictures (image/...), by extension or by name."""
    try:
        root = SafeET.fromstring(_read_bounded(zf, "[Content_Types].xml", 1024 * 1024))
    except Rejected:
        raise
    except Exception:  # unreadable here: every part is checked
        return set()
    by_ext: dict[str, bool] = {}
    by_name: dict[str, bool] = {}
    for el in root:
        is_picture = el.get("ContentType", "").lower().startswith("image/")
        if el.tag.endswith("Default"):
            by_ext[el.get("Extension", "").lower()] = is_picture
        elif el.tag.endswith("Override"):
            by_name[el.get("PartName", "").lstrip("/")] = is_picture
    return {n for n in names
            if by_name.get(n, by_ext.get(posixpath.splitext(n)[1].lstrip(".").lower(), False))}


def _check_no_doctype(data: bytes, name: str) -> None:
    """A worksheet already in memory: no entity declaration anywhere, even misplaced inside the
    root element, where the prolog check does not look (one search; "<!" is rare in a sheet)."""
    pos = data.find(b"<!")
    while pos != -1:
        if _declares_entities(data[pos + 2 : pos + 9]):
            raise _refuse_entities(name)
        pos = data.find(b"<!", pos + 2)


# r:id of a <sheet>: Transitional (what Excel saves by default) and Strict Open XML
# ("Save As > Strict Open XML Spreadsheet"), which names the same relationships differently.
_RID_ATTRS = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)


def _sheet_paths(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Map worksheet names to their zip entries via workbook.xml and its relationships."""
    wb_path = "xl/workbook.xml"
    try:
        if "_rels/.rels" in names:
            root = SafeET.fromstring(_read_bounded(zf, "_rels/.rels", 1024 * 1024))
            for rel in root:
                if rel.get("Type", "").endswith("/officeDocument"):
                    wb_path = rel.get("Target", wb_path).lstrip("/")
        if wb_path not in names:
            raise reject("DATA-08", "The file is a zip archive but not an Excel workbook (it has no workbook part).")
        rels_path = posixpath.join(posixpath.dirname(wb_path), "_rels", posixpath.basename(wb_path) + ".rels")
        targets: dict[str, str] = {}
        if rels_path in names:
            for rel in SafeET.fromstring(_read_bounded(zf, rels_path, 4 * 1024 * 1024)):
                target = rel.get("Target", "")
                if target.startswith("/"):
                    full = target.lstrip("/")
                else:
                    full = posixpath.normpath(posixpath.join(posixpath.dirname(wb_path), target))
                targets[rel.get("Id", "")] = full
        wb_root = SafeET.fromstring(_read_bounded(zf, wb_path, 8 * 1024 * 1024))
    except Rejected:
        raise
    except Exception as exc:  # defusedxml's refusals and plain parse errors alike
        if exc.__class__.__module__.startswith("defusedxml"):
            raise reject("DATA-11",
                         "The workbook part declares XML entities, which is not allowed in a workbook.") from None
        raise reject("DATA-09", f"The file is damaged: its workbook part cannot be read ({exc}).") from None
    out: dict[str, str] = {}
    for el in wb_root.iter():
        if el.tag.endswith("}sheet") or el.tag == "sheet":
            name = el.get("name")
            rid = next((el.get(a) for a in _RID_ATTRS if el.get(a)), None) or el.get("id")
            if name and rid and targets.get(rid) in names:
                out[name] = targets[rid]
    return out


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a cut multi-byte character at the end
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return b"\x00" not in head


def _mb(n: int) -> str:
    # Exact bytes for small sizes, so that a limit and a value just above it read differently.
    return f"{n / (1024 * 1024):.1f} MB" if n >= 10 * 1024 * 1024 else f"{n:,} bytes"
