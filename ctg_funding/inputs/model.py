"""Pydantic models for what crosses the program's edges: the dataset's rows and the scenario file.

The reader parses every cell itself (so that each problem names its file, row and column) and then builds these
models from already-typed values; the models are the single definition of what a valid row holds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

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


class Territory(Frozen):
    """The CTG: who signed it, over which communes, from when to when."""

    id: str
    name: str
    caf: str
    start: dt.date
    end: dt.date
    pilotage_deadline_year: int
    communes: tuple[str, ...]


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
