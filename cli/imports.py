"""The command line of bringing a city's own data (issue 9):

    python app.py import {towns,communities,grids,cadres,pairings} FILE [--dry-run] ...
    python app.py export {towns,communities,grids,cadres,pairings} FILE [--crs EPSG:…]
    python app.py imports [list | undo ID]
    python app.py clear-city --yes

Each runner takes an open store and the parsed arguments, prints for people
and returns the exit code: 0 done (or ready, for a dry run), 1 the file has
problems and nothing was written. Bad input raises ``InvalidInput``.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from domain.errors import InvalidInput

STAGES = {"write": "writing features", "incidents": "moving incidents"}


class ProgressBar:
    """A terminal progress bar with counts, fed by the store's progress calls."""

    def __init__(self, what: str, out=sys.stderr):
        self.what, self.out, self.bar, self.stage = what, out, None, None

    def __call__(self, done: int, total: int, stage: str) -> None:
        if stage != self.stage:
            self.close()
            self.bar, self.stage = None, stage
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                desc=f"{self.what}: {STAGES.get(stage, stage)}",
                unit=" rows",
                file=self.out,
                mininterval=0.2,
                ascii=not getattr(self.out, "isatty", lambda: False)(),
            )
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_import(store, args, actor: str) -> int:
    """Check FILE; unless ``--dry-run``, write it all or nothing.

    The report ends with one verdict: "ready to import" only when nothing
    would refuse the file (its checks, the store's preview, repairs not
    accepted); ``--problems FILE`` gets every problem, the terminal the first 20.
    """
    # Imported here: `imports list` and `clear-city` start without geopandas.
    from services.boundary_import import apply_check, check_file, preview_check
    from services.import_report import READY, report_lines, table_report_lines
    from services.imports import TABLE_KINDS, parse_mapping
    from services.table_import import apply_table, check_table

    mapping = parse_mapping(args.map, args.kind)
    source = Path(args.file).name
    problems_file = getattr(args, "problems", None)
    if problems_file:
        check_problems_file(problems_file)
    if args.kind in TABLE_KINDS:
        found = check_table(store, args.kind, args.file, mapping=mapping, sheet=args.layer)
        print("\n".join(table_report_lines(found)))
        _write_problems(found, problems_file)
        if found.blocking or args.dry_run:
            return 1 if found.blocking else 0
        counts = apply_table(store, found, actor=actor, source=source)
        return _applied(args.kind, counts)
    print(f"reading and checking {source}…", flush=True)
    found = check_file(
        store,
        args.kind,
        args.file,
        crs=args.crs,
        gcj02=args.gcj02,
        mapping=mapping,
        layer=args.layer,
    )
    preview = preview_check(store, found) if found.ok else None
    # A dry run foretells the same command without --dry-run.
    lines = report_lines(found, preview=preview, accept_repairs=args.accept_repairs)
    print("\n".join(lines))
    _write_problems(found, problems_file)
    if lines[-1] != READY:
        return 1
    if args.dry_run:
        return 0
    bar = ProgressBar(f"importing {args.kind}")
    try:
        counts = apply_check(store, found, actor=actor, source=source, progress=bar)
    finally:
        bar.close()
    return _applied(args.kind, counts)


def check_problems_file(path: str) -> None:
    """Refuse a --problems file that cannot be written, before any work."""
    if Path(path).suffix.lower() not in (".csv", ".xlsx"):
        raise InvalidInput(
            f"--problems writes a .csv or .xlsx file, not {Path(path).name}",
            zh="--problems 只能写入 .csv 或 .xlsx 文件",
        )


def _write_problems(found, path: str | None) -> None:
    if not path:
        return
    from data.export_files import write_table
    from services.import_report import problem_table

    table = problem_table(found)
    write_table(table, path)
    print(f"{len(table):,} problem(s) written to {path}")


def _applied(kind: str, counts: dict) -> int:
    shown = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items() if k != "import_id")
    print(f"imported {kind}: {shown}")
    if counts.get("import_id"):
        print(f"undo with: python app.py imports undo {counts['import_id']}")
    return 0


def run_export(store, args) -> int:
    from services.exports import export_kind

    written = export_kind(store, args.kind, args.file, crs=args.crs)
    print(f"exported {written:,} {args.kind} to {args.file}")
    return 0


def run_imports(store, args, actor: str) -> int:
    """List the applied imports, or undo one."""
    if args.action == "undo":
        counts = store.undo_import(args.id, actor=actor)
        shown = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items() if k != "undid")
        print(f"undid import {args.id}: {shown}")
        return 0
    listed = store.imports()
    if listed.empty:
        print("no imports yet")
    for row in listed.itertuples():
        state = f"undone {row.undone_at:%Y-%m-%d %H:%M} by {row.undone_by}" if row.undone_by else ""
        counts = ", ".join(f"{k} {v:,}" for k, v in row.counts.items())
        print(
            f"{row.id:>4}  {row.at:%Y-%m-%d %H:%M}  {row.kind:<12} {row.source}  by {row.actor}: "
            f"{counts}  {state}".rstrip()
        )
    return 0


def run_clear_city(store, args, actor: str) -> int:
    if not args.yes:
        raise InvalidInput(
            "clear-city deletes every town, grid, cadre and incident: run it with "
            "--yes when that is what you want",
            zh="清空城市会删除全部数据，确认请加 --yes",
        )
    counts = store.clear_city(actor=actor)
    print("cleared: " + ", ".join(f"{n:,} {name}" for name, n in counts.items() if n))
    print(
        "the demo city will not come back; import towns, communities, grids, pairings and "
        "cadres next"
    )
    return 0


def data_command(settings, args) -> int:
    """`python app.py import|export|imports|clear-city`: a city's own data (issue 9)."""
    from data.store import Store

    actor = f"cli:{getpass.getuser()}"
    store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
    try:
        if args.command == "import":
            args.map = args.map or []
            return run_import(store, args, actor)
        if args.command == "export":
            return run_export(store, args)
        if args.command == "imports":
            return run_imports(store, args, actor)
        return run_clear_city(store, args, actor)
    finally:
        store.close()
