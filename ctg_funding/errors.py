"""Errors meant for people: each problem names where it is (file, row, column) and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .i18n import _


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in an input file. `row` is the row number a spreadsheet shows (header = row 1)."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column:
            # A spreadsheet (CSV file, workbook sheet) has columns; YAML files and folders have keys.
            spreadsheet = "[" in self.file or self.file.lower().endswith((".csv", ".xlsx"))
            where.append((_("column {name}") if spreadsheet else _("key {name}")).format(name=self.column))
        return _("{where}: {message}").format(where=", ".join(where), message=self.message)

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class InputError(Exception):
    """Bad input: the CLI prints every problem and exits with code 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.row or 0, p.column or "", p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def input_error(file: str, message: str, row: int | None = None, column: str | None = None) -> InputError:
    return InputError([Problem(file, row, column, message)])


def validation_problems(exc: Any, file: str, *, row: int | None = None, prefix: str = "",
                        name_of: Callable[[tuple], str | None] | None = None) -> list[Problem]:
    """Every error of a pydantic ValidationError as a Problem of `file`: the one mapping from validation errors to
    the file/key/row messages users get. `name_of` turns an error location into the key shown (default: the
    location joined with dots, after `prefix`)."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if name_of is not None:
            key = name_of(loc)
        else:
            key = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".") or None
            if prefix:
                key = f"{prefix}.{key}" if key else prefix
        if err["type"] in _PLAIN:
            message = _(_PLAIN[err["type"]])
        elif err["type"] == "value_error" and "error" in err.get("ctx", {}):
            message = str(err["ctx"]["error"])  # our own validator's words, without pydantic's "Value error, "
        else:
            message = err["msg"]
        if err["type"] in _SHOW_VALUE and "input" in err:
            message += _(", got {value!r}").format(value=err["input"])
        out.append(Problem(file, row, key, message))
    return out


def N_(message: str) -> str:  # noqa: N802 - gettext's "mark for the catalogue, translate later"
    return message


# Pydantic's error types in the words a finance officer uses (the others keep pydantic's message).
_PLAIN = {
    "extra_forbidden": N_("unknown key"),
    "invalid_key": N_("a key must be a name, such as start"),
    "missing": N_("a value is required"),
    "tuple_type": N_("expected a list, such as [A, B]"),
    "list_type": N_("expected a list, such as [A, B]"),
    "dict_type": N_("expected a mapping of keys and values"),
    "model_type": N_("expected a mapping of keys and values"),
    "model_attributes_type": N_("expected a mapping of keys and values"),
    "string_type": N_("expected text"),
    "int_parsing": N_("expected a whole number"),
    "int_type": N_("expected a whole number"),
    "int_from_float": N_("expected a whole number"),
    "bool_parsing": N_("expected true or false"),
    "bool_type": N_("expected true or false"),
    "date_parsing": N_("expected a date such as 2024-07-01"),
    "date_from_datetime_parsing": N_("expected a date such as 2024-07-01"),
    "date_type": N_("expected a date such as 2024-07-01"),
    "decimal_parsing": N_("expected a number"),
    "decimal_type": N_("expected a number"),
}
_SHOW_VALUE = {"tuple_type", "list_type", "dict_type", "model_type", "string_type", "int_parsing", "int_type",
               "int_from_float", "bool_parsing", "bool_type", "date_parsing", "date_from_datetime_parsing",
               "date_type", "decimal_parsing", "decimal_type"}
