"""Pydantic models for what crosses the program's edges: the dataset's rows and the scenario file.

The reader parses every cell itself (so that each problem names its file, row and column) and then builds these
models from already-typed values; the models are the single definition of what a valid row holds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CollectiviteKind(StrEnum):
    COMMUNE = "commune"
    SIVU = "sivu"
    EPCI = "epci"
    CCAS = "ccas"
    ASSOCIATION = "association"
    # Managers that are neither collectivités nor associations (see docs/datasets.md).
    COMPANY = "company"
    OTHER = "other"


class PostStatus(StrEnum):
    COORDINATEUR_CEJ = "coordinateur_cej"
    CHARGE_COOPERATION = "charge_cooperation"


class Line(StrEnum):
    BONUS_TERRITOIRE = "bonus_territoire"
    PILOTAGE = "pilotage"
    BONUS_PLACES_NOUVELLES = "bonus_places_nouvelles"
    PLANCHER_ALSH = "plancher_alsh"
    BONUS_TRAJECTOIRE = "bonus_trajectoire"


# The lines paid out of a family's envelope (R1, R3, R4); the others are national money paid beside it, each
# amount rounded to the cent on its own and never taken from the envelope (R5, R8, R9).
ENVELOPE_LINES = frozenset({Line.BONUS_TERRITOIRE.value, Line.PILOTAGE.value})
OUTSIDE_ENVELOPE_LINES = frozenset({Line.BONUS_PLACES_NOUVELLES.value, Line.PLANCHER_ALSH.value,
                                    Line.BONUS_TRAJECTOIRE.value})


class Period(NamedTuple):
    """One CTG of a territory: its first and last day."""

    start: dt.date
    end: dt.date


class Territory(Frozen):
    """The CTG: who signed it, over which communes, from when to when; and the CTGs that renewed it (R7), each
    given by its last day and starting the day after the previous one's end."""

    id: str
    name: str
    caf: str
    start: dt.date
    end: dt.date
    pilotage_deadline_year: int
    communes: tuple[str, ...]
    renewals: tuple[dt.date, ...] = ()

    @property
    def periods(self) -> tuple[Period, ...]:
        """The successive CTGs: the first (start..end), then each renewal, from the day after the previous end."""
        out = [Period(self.start, self.end)]
        for end in self.renewals:
            out.append(Period(out[-1].end + dt.timedelta(days=1), end))
        return tuple(out)


class Collectivite(Frozen):
    id: str
    name: str
    kind: CollectiviteKind
    signatory: bool
    qpv_zrr: bool = False
    tranche: int | None = None


class Structure(Frozen):
    """An equipment or service of Annex 2 (or counted by Annex 1), as the dataset states it."""

    id: str
    name: str
    type: str
    commune_id: str
    manager_id: str
    supported_by: tuple[str, ...]
    ps_funded: bool
    opened: dt.date
    closed: dt.date | None = None
    units: Decimal
    post_status: PostStatus | None = None
    converted_on: dt.date | None = None
    # Other numeric columns of structures.csv (e.g. occupancy_rate), usable in weight expressions.
    extra: dict[str, Decimal] = Field(default_factory=dict)


class CejAction(Frozen):
    contract_id: str
    collectivite_id: str
    structure_id: str
    last_year: int
    amount: Decimal


class Activity(Frozen):
    structure_id: str
    year: int
    units: Decimal


class Payment(Frozen):
    year: int
    structure_id: str
    line: Line
    amount: Decimal
    note: str = ""
