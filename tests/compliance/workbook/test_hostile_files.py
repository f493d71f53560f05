"""Files that are not a usable xlsx: each is refused with one clear error, fast and small.

Every file is built here by hand (zipfile/openpyxl/bytes). Each read runs in a forked
child so that wall time and the memory the read itself adds can be measured.
"""
from __future__ import annotations

import io
import multiprocessing as mp
import os
import posixpath
import resource
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from compliance.workbook.package import OLE_MAGIC, Limits
from compliance.workbook.reader import read_workbook

from .helpers import rewrite_zip, sample_data, sheet_member, write

MAX_SECONDS = 5.0
MAX_EXTRA_BYTES = 300 * 1024 * 1024


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _measure_child(conn: Any, source: Any, kw: dict[str, Any]) -> None:
    before = _rss()
    t0 = time.perf_counter()
    data = read_workbook(source, **kw)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    conn.send((data, seconds, peak - before))
    conn.close()


def measured_read(source: bytes | Path, **kw: Any) -> tuple[Any, float, int]:
    """(WorkbookData, seconds, bytes the read added at its peak), read in a fresh child."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measure_child, args=(send, source, kw))
    proc.start()
    send.close()
    assert recv.poll(60), "the read did not finish"
    result = recv.recv()
    proc.join(10)
    return result


def refused(source: bytes | Path, code: str, *, contains: str, **kw: Any) -> Any:
    data, seconds, extra = measured_read(source, **kw)
    assert len(data.problems) == 1, data.problems
    p = data.problems[0]
    assert (p.code, p.severity) == (code, "error"), p
    assert contains in p.message, p.message
    assert p.fix
    assert data.schools == [] and data.district is None
    assert seconds < MAX_SECONDS, seconds
    assert extra < MAX_EXTRA_BYTES, extra
    return p


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write(tmp_path_factory.mktemp("v") / "valid.xlsx").read_bytes()


# --- wrong formats ------------------------------------------------------------------


def _cfb(stream_names: list[str]) -> bytes:
    """A minimal OLE compound file: header plus one directory sector naming the streams."""
    header = bytearray(512)
    header[0:8] = OLE_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 48, 0)  # first directory sector
    directory = bytearray()
    for name in ["Root Entry", *stream_names]:
        entry = bytearray(128)
        raw = name.encode("utf-16-le") + b"\0\0"
        entry[0 : len(raw)] = raw
        struct.pack_into("<H", entry, 64, len(raw))
        entry[66] = 5 if name == "Root Entry" else 2
        directory += entry
    directory += bytes(512 - len(directory) % 512)
    return bytes(header) + bytes(directory)


def test_empty_file() -> None:
    refused(b"", "DATA-01", contains="empty")


def test_oversized_upload(tmp_path: Path) -> None:
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(21 * 1024 * 1024)  # just over the default 20 MB
    refused(big, "DATA-02", contains="upload limit is 20.0 MB")


def test_legacy_xls() -> None:
    refused(_cfb(["Workbook", "\x05SummaryInformation"]), "DATA-03", contains="Excel 97-2003")


def test_password_protected_xlsx() -> None:
    refused(_cfb(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]), "DATA-04", contains="password-protected")


def test_xlsm_by_content_type(valid: bytes) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
        return data

    blob = rewrite_zip(valid, change, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0fake vba"})
    refused(blob, "DATA-05", contains="macro-enabled")


def test_xlsm_by_extension(valid: bytes, tmp_path: Path) -> None:
    path = tmp_path / "district.xlsm"
    path.write_bytes(valid)
    refused(path, "DATA-05", contains="named .xlsm")


def test_xlsb() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Override PartName="/xl/workbook.bin"'
                   ' ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>')
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
        z.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    refused(buf.getvalue(), "DATA-06", contains=".xlsb")


def test_ods() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content'
                                  ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest/>')
    refused(buf.getvalue(), "DATA-07", contains=".ods")


def test_csv_renamed() -> None:
    p = refused(b"school_id,school_name,enrollment_total\n0101,Adams,150\n", "DATA-08", contains="CSV")
    assert "Open the CSV in Excel" in p.fix


def test_pdf_renamed() -> None:
    refused(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", "DATA-08", contains="PDF")


def test_zip_that_is_not_a_workbook() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hello")
    refused(buf.getvalue(), "DATA-08", contains="no [Content_Types].xml")


# --- damaged ------------------------------------------------------------------------


def test_truncated_zip(valid: bytes) -> None:
    refused(valid[: len(valid) // 2], "DATA-09", contains="damaged or incomplete")


def test_corrupt_entry(valid: bytes) -> None:
    # Flip bytes inside the compressed Schools sheet: the directory is fine, the data is not.
    member = sheet_member(valid, "Schools")
    with zipfile.ZipFile(io.BytesIO(valid)) as z:
        info = z.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    blob = bytearray(valid)
    for i in range(start + 10, start + min(info.compress_size - 2, 200)):
        blob[i] ^= 0x5A
    refused(bytes(blob), "DATA-09", contains="damaged")


# --- bombs and oversized structure ---------------------------------------------------


def _stream_zip(valid: bytes, member: str, chunks: Callable[[], Any]) -> bytes:
    """The valid workbook with ``member`` replaced by streamed (huge, compressible) content."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(valid)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            if info.filename == member:
                continue
            zout.writestr(info.filename, zin.read(info.filename))
        with zout.open(member, "w", force_zip64=True) as fh:
            for chunk in chunks():
                fh.write(chunk)
    return out.getvalue()


SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = b"</sheetData></worksheet>"


def test_bomb_huge_row_count(valid: bytes) -> None:
    member = sheet_member(valid, "Schools")

    def chunks():
        yield SHEET_HEAD
        for block in range(0, 2_000_000, 100_000):
            yield b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r)
                           for r in range(block + 1, block + 100_001))
        yield SHEET_TAIL

    blob = _stream_zip(valid, member, chunks)
    assert len(blob) < 20 * 1024 * 1024
    # Whichever limit trips first, the answer is one clear error about the size.
    p = refused(blob, "DATA-13", contains="2,000,000 rows")
    assert p.sheet == "Schools"


def test_bomb_huge_shared_strings(valid: bytes) -> None:
    def chunks():
        yield b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        block = b"<si><t>" + b"A" * 1000 + b"</t></si>"
        for _ in range(150_000):  # ~150 MB unpacked
            yield block
        yield b"</sst>"

    refused(_stream_zip(valid, "xl/sharedStrings.xml", chunks), "DATA-10", contains="xl/sharedStrings.xml")


def test_bomb_one_huge_cell(valid: bytes) -> None:
    member = sheet_member(valid, "Schools")

    def chunks():
        yield SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
        for _ in range(80):
            yield b"x" * (1024 * 1024)
        yield b"</t></is></c></row>" + SHEET_TAIL

    refused(_stream_zip(valid, member, chunks), "DATA-10", contains="compressed")


def test_total_uncompressed_limit(valid: bytes) -> None:
    # Every part is small and barely compressible; only their declared total is over the limit.
    total = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(valid)).infolist())
    p = refused(valid, "DATA-10", contains="unpacks to", limits=Limits(max_uncompressed_bytes=total - 1))
    assert "at most" in p.message


def test_too_many_entries(valid: bytes) -> None:
    extra = {f"xl/media/image{i}.png": b"x" for i in range(1001)}
    refused(rewrite_zip(valid, lambda n, d: d, extra=extra), "DATA-10", contains="1030 parts; at most 1000")


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, b"".join(b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode())
                                                          for _ in range(10)))
               for i in range(1, 10))
    + b"]>\n"
)


def test_billion_laughs_in_shared_strings(valid: bytes) -> None:
    sst = BILLION_LAUGHS + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>'
    blob = rewrite_zip(valid, lambda n, d: d, extra={"xl/sharedStrings.xml": sst})
    refused(blob, "DATA-11", contains="xl/sharedStrings.xml")


def test_billion_laughs_in_sheet(valid: bytes) -> None:
    member = sheet_member(valid, "Schools")

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
        return BILLION_LAUGHS + body.replace(b"<v>0101</v>", b"<v>&lol9;</v>")

    refused(rewrite_zip(valid, change), "DATA-11", contains=member)


def test_sheet_16384_columns_wide(tmp_path: Path) -> None:
    path = write(tmp_path / "wide.xlsx", sample_data())
    wb = openpyxl.load_workbook(path)
    ws = wb["Schools"]
    for r in range(1, 50):
        ws.cell(r, 16384, "x")
    wb.save(path)
    refused(path, "DATA-12", contains="columns up to XFD")


def test_wide_sheet_with_lying_dimension(valid: bytes, tmp_path: Path) -> None:
    member = sheet_member(valid, "Schools")

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        import re
        data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', data)
        return data.replace(b"</row>", b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>', 1)

    refused(rewrite_zip(valid, change), "DATA-12", contains="XFD")


def test_row_of_cells_without_references(valid: bytes) -> None:
    # Cells may omit r="A1"; calamine then lays them out one after another, so 200,000 bare
    # cells in one row make a sheet as wide as one with a cell in column XFD.
    member = sheet_member(valid, "Schools")

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        # Varied values, so the part stays under the compression-ratio limit and this check is reached.
        cells = b"".join(b"<c><v>%d</v></c>" % (i * 7919 % 100_003) for i in range(200_000))
        return data.replace(b"</row>", cells + b"</row>", 1)

    refused(rewrite_zip(valid, change), "DATA-12", contains="a row of 200,")


def test_too_many_rows_exact_limit(tmp_path: Path) -> None:
    from .helpers import school

    d = sample_data(proposed=False, lottery=False)
    d.budget = []
    d.schools = [school(f"{i:04d}", f"School {i}") for i in range(6)]
    path = write(tmp_path / "six.xlsx", d)
    p = refused(path, "DATA-13", contains="6 rows of data; at most 5", limits=Limits(max_school_rows=5))
    assert p.sheet == "Schools"
    # At the limit exactly, the file reads.
    assert read_workbook(path, limits=Limits(max_school_rows=6)).schools[5].school_id == "0005"


def test_too_many_rows_caught_before_parsing(valid: bytes) -> None:
    member = sheet_member(valid, "Schools")

    def chunks():
        yield SHEET_HEAD
        yield b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r * 7919 % 100003)
                       for r in range(1, 30_001))
        yield SHEET_TAIL

    p = refused(_stream_zip(valid, member, chunks), "DATA-13", contains="30,000 rows",
                limits=Limits(max_school_rows=1000))
    assert p.sheet == "Schools"


# --- entity declarations wherever an XML part puts them ------------------------------------

ENTITIES = b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
LONG_COMMENT = b"<!--" + b"p" * 70_000 + b"-->"  # longer than any fixed window at the start of a part


def _declares(name: str) -> tuple[Any, ...]:
    return ("DATA-11", "error", None, None, None, None,
            f"The part {name} declares XML entities (a DOCTYPE), which is not allowed in a workbook.")


def _problem(p: Any) -> tuple[Any, ...]:
    return (p.code, p.severity, p.sheet, p.row, p.column, p.value, p.message)


def test_doctype_after_a_long_comment_in_the_prolog(valid: bytes) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name != "xl/styles.xml":
            return data
        decl, sep, body = data.partition(b"?>") if data.startswith(b"<?xml") else (b"", b"", data)
        return decl + sep + b"\n" + LONG_COMMENT + b"<?pi x?>" + ENTITIES + body

    p = refused(rewrite_zip(valid, change), "DATA-11", contains="xl/styles.xml")
    assert _problem(p) == _declares("xl/styles.xml")


def test_long_comment_and_instructions_before_the_root_are_fine(valid: bytes) -> None:
    def change(name: str, data: bytes) -> bytes:
        return LONG_COMMENT + b"\n<?pi ?>" + data if name == "xl/styles.xml" else data

    data, _, _ = measured_read(rewrite_zip(valid, change))
    assert data.problems == [] and data.schools == sample_data().schools


@pytest.mark.parametrize("used", [False, True])
def test_doctype_inside_the_sheet_after_a_long_comment(valid: bytes, used: bool) -> None:
    member = sheet_member(valid, "Schools")

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        data = data.replace(b"<sheetData>", LONG_COMMENT + ENTITIES + b"<sheetData>", 1)
        return data.replace(b"Adams Elementary", b"&b;", 1) if used else data

    p = refused(rewrite_zip(valid, change), "DATA-11", contains=member)
    assert _problem(p) == _declares(member)


def test_doctype_in_a_sheet_part_not_named_xml(valid: bytes) -> None:
    member = sheet_member(valid, "Schools")
    renamed = member[: -len(".xml")] + ".txt"

    def change(name: str, data: bytes) -> bytes | None:
        if name == member:
            return None
        if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            return data.replace(posixpath.basename(member).encode(), posixpath.basename(renamed).encode())
        return data

    body = zipfile.ZipFile(io.BytesIO(valid)).read(member)
    if body.startswith(b"<?xml"):
        body = body.split(b"?>", 1)[1]
    p = refused(rewrite_zip(valid, change, extra={renamed: b'<?xml version="1.0"?>' + ENTITIES + body}),
                "DATA-11", contains=renamed)
    assert _problem(p) == _declares(renamed)


def test_svg_picture_with_a_doctype_is_no_problem(valid: bytes) -> None:
    svg = (b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>')

    def change(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(b"<Default ", b'<Default Extension="svg" ContentType="image/svg+xml"/><Default ', 1)
        return data

    data, _, _ = measured_read(rewrite_zip(valid, change, extra={"xl/media/image1.svg": svg}))
    assert data.problems == [] and data.schools == sample_data().schools


def test_undeclared_entity_in_a_sheet_is_damage_without_a_traceback(
        valid: bytes, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    member = sheet_member(valid, "Schools")

    def change(name: str, data: bytes) -> bytes:
        return data.replace(b"Adams Elementary", b"&nowhere;", 1) if name == member else data

    with caplog.at_level("DEBUG"):
        data = read_workbook(rewrite_zip(valid, change))
    assert [(p.code, p.severity, p.sheet, p.row, p.column, p.value) for p in data.problems] == [
        ("DATA-09", "error", "Schools", None, None, None)]
    assert data.problems[0].message.startswith("The file is damaged: its Schools sheet cannot be read (")
    assert "nowhere" in data.problems[0].message
    assert [r for r in caplog.records if r.exc_info] == []
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64])
def test_prolog_scan_across_chunk_boundaries(size: int) -> None:
    from compliance.workbook.package import Rejected, _scan_prolog

    def chunks(text: bytes) -> Any:
        return iter([text[i : i + size] for i in range(0, len(text), size)])

    bad = b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- a -- comment ->--><?pi ??>\n<!doctype x [<!ENTITY a "b">]><x/>'
    with pytest.raises(Rejected) as exc:
        _scan_prolog(chunks(bad), "p.xml")
    assert exc.value.problem.code == "DATA-11"
    # The DOCTYPE only in text after the root element, or a part that is no XML: not the prolog's business.
    _scan_prolog(chunks(b'<?xml version="1.0"?><!----><x><!-- <!DOCTYPE x> --></x>'), "p.xml")
    _scan_prolog(chunks(b"\x89PNG <!DOCTYPE x>"), "p.png")


def test_utf16_part_with_a_doctype(valid: bytes) -> None:
    sst = ('<?xml version="1.0" encoding="UTF-16"?>' + ENTITIES.decode()
           + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>').encode("utf-16")
    p = refused(rewrite_zip(valid, lambda n, d: d, extra={"xl/sharedStrings.xml": sst}), "DATA-11",
                contains="xl/sharedStrings.xml")
    assert _problem(p) == _declares("xl/sharedStrings.xml")
