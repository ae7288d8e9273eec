"""Bringing a city's own data (issue 9), for the command line and /data: what
can be imported, which fields its columns can map to, and a first look at an
uploaded file. Boundary files (towns, communities, grids) are checked and
applied by ``services.boundary_import``, tables (cadre rosters, pairings) by
``services.table_import``; ``services.import_report`` words the findings.
Nothing is written until ``apply_check`` or ``apply_table``."""

from __future__ import annotations

from dataclasses import dataclass, field

from data.import_files import read_layer
from domain.crs_guess import CrsGuess, guess_crs
from domain.errors import InvalidInput
from domain.field_mapping import SYNONYMS, guess_mapping
from domain.pairing_table import PAIRING_SYNONYMS, guess_pairing_mapping
from domain.roster import CADRE_SYNONYMS, guess_cadre_mapping

KINDS = ("towns", "communities", "grids")
TABLE_KINDS = ("cadres", "pairings")


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields a file of ``kind`` can map columns to."""
    fields = tuple({"cadres": CADRE_SYNONYMS, "pairings": PAIRING_SYNONYMS}.get(kind, SYNONYMS))
    return fields if kind == "towns" else tuple(f for f in fields if f != "name_en")


def parse_mapping(pairs: list[str] | None, kind: str = "grids") -> dict[str, str]:
    """``field=column`` pairs from the command line."""
    out, fields = {}, fields_of(kind)
    for pair in pairs or []:
        name, sep, column = pair.partition("=")
        if not sep or name not in fields or not column:
            raise InvalidInput(
                f"--map takes field=column with a field of {', '.join(fields)}, not {pair!r}",
                zh="--map 格式应为 字段=列名",
            )
        out[name] = column
    return out


@dataclass
class Peek:
    """The first look at an uploaded file: its columns, first rows, the guess."""

    columns: list[str]
    rows: list[dict]
    mapping: dict[str, str | None]
    count: int
    crs: str | None
    guesses: list[CrsGuess] = field(default_factory=list)


def peek(kind: str, path, *, layer: str | None = None, rows: int = 10) -> Peek:
    """Columns, the first ``rows`` rows (as text) and the mapping guess of a file."""
    if kind in TABLE_KINDS:
        from data.import_tables import read_table

        frame = read_table(path, layer)
        guess = guess_cadre_mapping if kind == "cadres" else guess_pairing_mapping
        mapping, crs, guesses = guess(frame.columns), None, []
    elif kind in KINDS:
        frame = read_layer(path, layer)
        mapping = guess_mapping(frame.columns, kind=kind)
        crs = frame.crs.to_string() if frame.crs else None
        guesses = [] if frame.crs else guess_crs(tuple(frame.total_bounds))
        frame = frame.drop(columns=frame.geometry.name)
    else:
        raise InvalidInput(f"nothing imports {kind!r}", zh="未知的导入类型")
    head = frame.head(rows).astype(object)
    shown = head.where(head.notna(), "").astype(str).to_dict("records")
    return Peek([str(c) for c in frame.columns], shown, mapping, len(frame), crs, guesses)
