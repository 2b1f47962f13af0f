"""The workbook's parts are compressed at XLSX_ZIP_LEVEL (zlib level 1: faster, a larger file); what is inside is
the same as at XlsxWriter's own level, and XlsxWriter's ZipFile is given back after each workbook, even when
storing it fails."""

from __future__ import annotations

import zipfile
from decimal import Decimal

import pytest
import xlsxwriter.workbook

from ctg_funding.output import writers
from ctg_funding.output.writers import Table, write_xlsx


def table() -> Table:
    rows = [[2024, f"S{i:04d}", "EAJE", Decimal(i) / 4] for i in range(3000)]
    return Table("t", ["year", "structure_id", "type", "amount"], rows, money={"amount"}, sheet="t")


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the creation time


def test_level_1_writes_the_same_parts_as_zlib_default_in_a_larger_file(tmp_path, monkeypatch):
    assert writers.XLSX_ZIP_LEVEL == 1
    fast, default = tmp_path / "fast.xlsx", tmp_path / "default.xlsx"
    write_xlsx([table()], fast)
    monkeypatch.setattr(writers, "XLSX_ZIP_LEVEL", 6)  # zlib's default, what XlsxWriter uses on its own
    write_xlsx([table()], default)
    assert parts(fast) == parts(default)
    assert fast.stat().st_size > default.stat().st_size  # level 1 compresses less
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile


def test_the_zipfile_is_given_back_when_storing_fails(monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", broken)
    with pytest.raises(OSError, match="disk full"), writers._zip_level(1):
        assert xlsxwriter.workbook.ZipFile is not zipfile.ZipFile
        xlsxwriter.workbook.ZipFile("x.zip", "w")
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
