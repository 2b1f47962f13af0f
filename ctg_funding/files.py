"""Files, read and written safely: text read as UTF-8 (with or without BOM) or refused with its line and what to
do; every output written to a temporary file beside its target and renamed onto it only once complete, so that
a full disk, an error or Ctrl-C never leaves half a file, and the previous file stays whole until then."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import InputError, Problem
from .i18n import _


def decode(data: bytes, name: str) -> str:
    """A file's bytes as UTF-8 text (a BOM is dropped); anything else is refused with the line and a hint."""
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        raise InputError([Problem(name, line, None, _("is not a text file (it holds binary data): give a CSV or YAML "
                                                      "text file, saved as UTF-8"))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        message = _("is not UTF-8 text (byte {byte:#04x} on this line): save it as UTF-8 (in Excel: 'CSV UTF-8'; "
                    "in a text editor: encoding UTF-8)").format(byte=data[exc.start])
        raise InputError([Problem(name, line, None, message)]) from None


def read_text(path: Path, name: str | None = None) -> str:
    """A text file's content as UTF-8 (see `decode`)."""
    return decode(path.read_bytes(), name or path.name)


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` (symlinks followed) to write to; renamed onto the target when the block
    ends without error, removed otherwise."""
    final = target.resolve()
    try:
        handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, _mode_for(final))  # mkstemp makes 0600: keep the file's mode, or the usual one
        os.replace(temporary, final)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """The mode the written file gets: the replaced file's, else what the user's umask gives a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text(target: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write `text` to `target` whole or not at all."""
    write_with(target, lambda f: f.write(text), encoding=encoding)


def write_with(target: Path, write: Callable[[IO[str]], object], *, encoding: str = "utf-8",
               newline: str | None = None) -> None:
    """Open a temporary file beside `target`, let `write` fill it, flush it to disk, then rename it onto
    `target`."""
    with replacing(target) as temporary:
        with temporary.open("w", encoding=encoding, newline=newline) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
