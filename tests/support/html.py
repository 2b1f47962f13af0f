"""Reading ctg's HTML pages in tests: their ids, links, resources and text (html.parser), whether they fetch
anything, and the pixels of a browser's screenshot (PNG decoded with zlib alone)."""

import re
import zlib
from html.parser import HTMLParser

from click.testing import CliRunner

from ctg_funding.cli import main


def ctg(*args: str) -> str:
    """Run a ctg command that must succeed; its output."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


class Page(HTMLParser):
    """What a test needs of a page: ids, links, resource attributes, tags, and the text."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)
            elif name == "href":
                self.hrefs.append(value)
            elif name in ("src", "srcset", "data", "action", "formaction", "poster"):
                self.sources.append(value)

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self) -> str:
        """The text, runs of ASCII white space as one space (no-break spaces of numbers kept)."""
        return re.sub(r"[ \t\r\n]+", " ", " ".join(self.text))


def assert_self_contained(html: str, page: Page) -> None:
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    assert not page.sources, page.sources  # no src= at all: nothing is fetched
    assert "url(" not in html and "@import" not in html
    for href in page.hrefs:
        assert "://" not in href and not href.startswith("//"), href  # only #anchors and relative links


def png_rows(png: bytes, most: int | None = None) -> tuple[int, int, list[bytes]]:
    """Width, height and the first `most` unfiltered rows (all by default) of an 8-bit RGB or RGBA PNG (what
    Chromium writes)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        length, kind = int.from_bytes(png[pos:pos + 4], "big"), png[pos + 4:pos + 8]
        chunk = png[pos + 8:pos + 8 + length]
        header, idat = (chunk, idat) if kind == b"IHDR" else (header, idat + chunk if kind == b"IDAT" else idat)
        pos += 12 + length
    width, height, depth, colour = (int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big"),
                                    header[8], header[9])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prior = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(min(height, most or height)):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prior[i], prior[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prior = line
    return width, height, rows


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c
