"""The arguments of the commands that bring a city's own data (issue 9):
``import``, ``export``, ``imports`` and ``clear-city``. Only argparse here,
so that ``python app.py --help`` stays quick; ``cli.imports`` runs them.
"""

from __future__ import annotations

DATA_KINDS = ("towns", "communities", "grids", "cadres", "pairings")


def add_data_commands(commands) -> None:
    """Add the four commands to ``commands`` (an argparse subparsers object)."""
    imp = commands.add_parser(
        "import",
        help="bring a city's own boundaries (GeoJSON, zipped Shapefile, GeoPackage), "
        "cadre rosters and pairings (CSV, Excel): check, then write all or nothing",
    )
    imp.add_argument("kind", choices=DATA_KINDS)
    imp.add_argument("file")
    imp.add_argument("--crs", help="the file's CRS when it has none, e.g. EPSG:4549")
    offset = imp.add_mutually_exclusive_group()
    offset.add_argument(
        "--gcj02",
        action="store_true",
        default=None,
        help="traced from a Chinese web map: undo the GCJ-02 offset",
    )
    offset.add_argument(
        "--not-gcj02",
        "--wgs84",
        dest="gcj02",
        action="store_false",
        help="true WGS84/CGCS2000 coordinates: do not undo GCJ-02, even when "
        "the file fits the city better with it undone",
    )
    imp.add_argument(
        "--map",
        action="append",
        metavar="FIELD=COLUMN",
        help="which column holds a field: code, name, parent_code, population, households "
        "(boundaries); name, phone, role, department, town, grid, skills (cadres)",
    )
    imp.add_argument("--layer", help="the GeoPackage layer, or the Excel sheet")
    imp.add_argument("--dry-run", action="store_true", help="only check; write nothing")
    imp.add_argument(
        "--problems",
        metavar="FILE.csv",
        help="write every problem found to this .csv or .xlsx file (the terminal "
        "lists the first 20)",
    )
    imp.add_argument(
        "--accept-repairs",
        action="store_true",
        help="write shapes that the check repaired (listed by --dry-run)",
    )
    exp = commands.add_parser(
        "export",
        help="write a layer or table back to a file (.geojson, .gpkg, .zip Shapefile; .csv, .xlsx)",
    )
    exp.add_argument("kind", choices=DATA_KINDS)
    exp.add_argument("file")
    exp.add_argument("--crs", help="reproject, e.g. EPSG:4549 (GeoPackage and Shapefile)")
    log = commands.add_parser("imports", help="list the imports applied, or undo one")
    log_actions = log.add_subparsers(dest="action")
    log_actions.add_parser("list", help="the imports, newest first (the default)")
    log_actions.add_parser("undo", help="put back what an import replaced").add_argument(
        "id", type=int
    )
    clear = commands.add_parser(
        "clear-city",
        help="delete the demo city before importing a real one (the demo is not made again)",
    )
    clear.add_argument(
        "--yes", action="store_true", help="yes, delete every town, grid, cadre and incident"
    )
