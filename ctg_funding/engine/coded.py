"""The vector evaluator's evaluations as codes: one code per structure-year, one evaluation per distinct set of
fired rules.

At national scale 600,000 structure-years fire a few dozen distinct sets of rules. `resolve` runs once per set
(`tails`); each structure-year keeps the code of its set. The allocation reads whole columns (`column`); an
`Evaluation` object is made only for a row someone asks for (`at`, or by key as a mapping, like the durable
path's dict).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .resolve import Evaluation

# The fields of Evaluation after the structure id and year, in the order of Evaluation.tail().
TAIL = ("family", "unit", "line", "eligible", "reason", "fired", "method", "cap_rule", "cap_param", "cap_reason",
        "formulas", "reason_rule", "classify_rule")


class CodedEvaluations(Mapping[str, Evaluation]):
    """Evaluations of the rows of a frame (scenario/frame.py), keyed like the durable path's: `structure_id|year`."""

    def __init__(self, frame: Any, code: np.ndarray, tails: list[tuple]) -> None:
        self.frame = frame
        self.code = code
        self.tails = tails
        self._columns: dict[str, np.ndarray] = {}

    @classmethod
    def of(cls, frame: Any, evaluations: list[Evaluation]) -> CodedEvaluations:
        """The evaluations of a frame's rows (one per row, in order) as codes: those of the durable evaluator."""
        index: dict[tuple, int] = {}
        code = np.array([index.setdefault(ev.tail(), len(index)) for ev in evaluations], dtype=np.int64)
        return cls(frame, code, list(index))

    def at(self, i: int) -> Evaluation:
        """The evaluation of row `i`."""
        return Evaluation(self.frame.structure_id[i], int(self.frame.year[i]), *self.tails[self.code[i]])

    def at_code(self, code: int) -> Evaluation:
        """The evaluation every row of `code` shares (with no structure id or year)."""
        return Evaluation("", 0, *self.tails[code])

    def column(self, name: str) -> np.ndarray:
        """One field of every row's evaluation (an object array; `eligible` as booleans)."""
        if name not in self._columns:
            k = TAIL.index(name)
            values = [tail[k] for tail in self.tails]
            if name == "eligible":
                per_code = np.array(values, dtype=bool)
            else:
                per_code = np.empty(len(values), dtype=object)
                per_code[:] = values
            self._columns[name] = per_code[self.code]
        return self._columns[name]

    def codes_where(self, test: Any) -> np.ndarray:
        """The rows whose evaluation passes `test` (a function of one Evaluation), tested once per code."""
        keep = np.array([bool(test(self.at_code(c))) for c in range(len(self.tails))], dtype=bool)
        return keep[self.code]  # no code: no row (an empty frame), and keep is empty

    def take(self, rows: np.ndarray, frame: Any | None = None) -> CodedEvaluations:
        """The evaluations of `rows` (of `frame`, the matching rows of this one's frame, when given)."""
        return CodedEvaluations(frame if frame is not None else self.frame.take(rows), self.code[rows], self.tails)

    def __getitem__(self, key: str) -> Evaluation:
        return self.at(self.frame.row_of(key))

    def __iter__(self) -> Iterator[str]:
        return iter(self.frame.ids().tolist())

    def __len__(self) -> int:
        return len(self.code)
