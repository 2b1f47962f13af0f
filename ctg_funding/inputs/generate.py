"""Synthetic multi-territory datasets for national-scale runs and tests (`ctg generate`).

The mix follows a national order of magnitude per 60,000 structures: about 14,000 EAJE, 33,000 ALSH, 3,000 RPE,
1,500 LAEP, 5,500 coordination posts, and the rest lump sums (séjours, BAFA/BAFD, ludothèques), micro-crèches
PAJE and MAM. Some structures are closed during the years, lie outside every territory, lack a signatory's
support or their prestation de service; some posts are never converted. Same seed, same files.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import shutil
import tempfile
from pathlib import Path

import yaml

from ..errors import InputError, Problem
from ..i18n import _

# type, share of the structures, units (low, high, decimals), N-1 CEJ amount per unit in cents (low, high)
MIX: list[tuple[str, float, tuple[float, float, int], tuple[int, int]]] = [
    ("EAJE", 0.200, (10, 60, 0), (150_000, 300_000)),
    ("CRECHE_FAMILIALE", 0.033, (10, 40, 0), (100_000, 200_000)),
    ("ALSH_PERI", 0.250, (2_000, 60_000, 0), (40, 200)),
    ("ALSH_EXTRA", 0.200, (1_000, 30_000, 0), (40, 200)),
    ("ACCUEIL_JEUNES", 0.100, (500, 10_000, 0), (40, 200)),
    ("RPE", 0.050, (0.5, 3, 2), (500_000, 1_500_000)),
    ("LAEP", 0.025, (100, 800, 0), (500, 3_000)),
    ("COORDINATION", 0.092, (0.2, 2, 2), (1_000_000, 4_000_000)),
    ("SEJOURS", 0.015, (1, 1, 0), (100_000, 1_500_000)),
    ("BAFA_BAFD", 0.010, (1, 1, 0), (50_000, 500_000)),
    ("LUDOTHEQUE", 0.005, (1, 1, 0), (100_000, 800_000)),
    ("MICRO_CRECHE_PAJE", 0.012, (10, 12, 0), (0, 0)),
    ("MAM", 0.008, (4, 16, 0), (0, 0)),
]
COMMUNES_PER_TERRITORY = 8
OUTSIDE_COMMUNES = 20


def _units(rng: random.Random, low: float, high: float, places: int) -> str:
    if places == 0:
        return str(rng.randint(int(low), int(high)))
    value = rng.randint(int(low * 10**places), int(high * 10**places))
    return f"{value // 10**places}.{value % 10**places:0{places}d}"


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _territories(rng: random.Random, territories: int) -> tuple[list[list[object]], list[list[object]],
                                                                  list[list[str]], list[str]]:
    """The CTGs (territories.csv rows), the collectivités, each territory's communes and the outside communes."""
    collectivites: list[list[object]] = []
    territory_rows: list[list[object]] = []
    communes_of: list[list[str]] = []
    for t in range(territories):
        tid = f"CTG-{t:04d}"
        start = dt.date(rng.choice([2021, 2021, 2022]), 1, 1)
        end = dt.date(start.year + 4, 12, 31)
        communes = [f"C{t:04d}-{j:02d}" for j in range(COMMUNES_PER_TERRITORY)]
        communes_of.append(communes)
        for j, cid in enumerate(communes):
            signs = j == 0 or rng.random() > 0.05
            collectivites.append([cid, f"Commune {cid}", "commune", str(signs).lower(),
                                  str(rng.random() < 0.1).lower(), rng.randint(1, 3)])
        collectivites.append([f"ASSO-{t:04d}", f"Association {tid}", "association", "false", "false", ""])
        # One CTG in three gives its renewal in the dataset (the others rely on the scenario's ctg.renewed_until).
        renewal = dt.date(end.year + 3, 12, 31).isoformat() if t % 3 == 1 else ""
        territory_rows.append([tid, f"CTG {tid}", f"Caf {t % 101:03d}", start.isoformat(), end.isoformat(),
                               end.year, ";".join(communes), renewal])
    outside = [f"OUT-{j:02d}" for j in range(OUTSIDE_COMMUNES)]
    for cid in outside:
        collectivites.append([cid, f"Commune {cid}", "commune", "true", "false", 2])
    return territory_rows, collectivites, communes_of, outside


def _structures(rng: random.Random, structures: int, territory_rows: list[list[object]],
                communes_of: list[list[str]], outside: list[str], first_year: int,
                last_year: int) -> tuple[list[list[object]], list[list[object]]]:
    """The structures (structures.csv rows) and their N-1 CEJ actions (cej.csv rows)."""
    territories = len(territory_rows)
    weights = [m[1] for m in MIX]
    structure_rows: list[list[object]] = []
    cej_rows: list[list[object]] = []
    starts = [dt.date.fromisoformat(str(r[3])) for r in territory_rows]
    for i in range(structures):
        t = i % territories
        stype, _share, (low, high, places), (c_low, c_high) = rng.choices(MIX, weights)[0]
        home = rng.choice(communes_of[t])
        commune = rng.choice(outside) if rng.random() < 0.02 else home
        manager = commune if rng.random() < 0.7 else f"ASSO-{t:04d}"
        supporters = [home] if rng.random() > 0.03 else []
        units = _units(rng, low, high, places)
        ps = "false" if rng.random() < 0.03 else "true"
        opened = dt.date(rng.choice([2015, 2019, 2020]), rng.randint(1, 12), 1)
        if rng.random() < 0.1:  # opens during the years simulated
            opened = dt.date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))
        closed = ""
        if rng.random() < 0.04:
            day = dt.date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))
            closed = day.isoformat() if day > opened else ""
        post_status = converted = ""
        if stype == "COORDINATION":
            if rng.random() < 0.6:
                post_status = "charge_cooperation"
                converted = dt.date(rng.randint(2021, last_year), rng.randint(1, 12), 1).isoformat()
            else:
                post_status = "coordinateur_cej"
        sid = f"S{i:06d}"
        structure_rows.append([sid, f"{stype} {sid}", stype, commune, manager, ";".join(supporters), ps,
                               opened.isoformat(), closed, units, post_status, converted])
        if c_high and opened.year < first_year and rng.random() < 0.75:
            cents = max(1, int(rng.randint(c_low, c_high) * float(units)))
            cej_rows.append([f"CEJ-{home}", home, sid, starts[t].year - 1, f"{cents // 100}.{cents % 100:02d}"])
    return structure_rows, cej_rows


DATASET_FILES = ("territories.csv", "collectivites.csv", "structures.csv", "cej.csv", "scenario.yaml")


def generate(out: Path, territories: int, structures: int, seed: int = 0, first_year: int = 2022,
             years: int = 10, force: bool = False) -> Path:
    """Write a valid dataset of `territories` CTGs and `structures` structures, and a scenario beside it over
    `years` years from `first_year`; return the scenario's path. A folder that already holds files is refused
    unless `force` (then the dataset's files in it are replaced and any other dataset file removed). The files
    are written in a temporary folder first and moved into `out` only once all are complete."""
    if territories < 1 or structures < 0:
        raise ValueError(_("need at least one territory and no negative number of structures"))
    if out.exists() and not out.is_dir():
        raise InputError([Problem(str(out), None, None, _("is a file: give a folder to write the dataset in"))])
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError([Problem(str(out), None, None, _("the folder is not empty: give an empty or new folder, or "
                                                          "--force to replace the dataset in it"))])
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _write_dataset(staging, territories, structures, seed, first_year, years)
        for stale in ("territory.yaml", "activity.csv", "payments.csv"):  # another dataset's files
            (out / stale).unlink(missing_ok=True)
        for name in DATASET_FILES:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out / "scenario.yaml"


def _write_dataset(out: Path, territories: int, structures: int, seed: int, first_year: int, years: int) -> None:
    rng = random.Random(seed)
    last_year = first_year + years - 1
    territory_rows, collectivites, communes_of, outside = _territories(rng, territories)
    structure_rows, cej_rows = _structures(rng, structures, territory_rows, communes_of, outside, first_year,
                                           last_year)
    _write(out / "territories.csv", ["id", "name", "caf", "start", "end", "pilotage_deadline_year", "communes",
                                     "renewals"], territory_rows)
    _write(out / "collectivites.csv", ["id", "name", "kind", "signatory", "qpv_zrr", "tranche"], collectivites)
    _write(out / "structures.csv", ["id", "name", "type", "commune_id", "manager_id", "supported_by", "ps_funded",
                                    "opened", "closed", "units", "post_status", "converted_on"], structure_rows)
    _write(out / "cej.csv", ["contract_id", "collectivite_id", "structure_id", "last_year", "amount"], cej_rows)
    scenario = {
        "name": f"Generated: {territories} territories, {structures} structures (seed {seed}), per unit",
        "dataset": ".",
        "years": [first_year, last_year],
        "parameters": {"redistribution.method": "per_unit", "ctg.renewed_until": f"{last_year}-12-31",
                       "released.destination": "caf"},
    }
    (out / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
