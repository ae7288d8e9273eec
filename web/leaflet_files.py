"""Leaflet's own files for a page outside Dash, taken from dash-leaflet: no network.

The residents' report page (resident/, its small map, from memory:
``leaflet_in_memory``) and the folium benchmark (bench/folium_map.py, from a
folder: ``leaflet_assets``) serve Leaflet's leaflet.js, leaflet.css and
images/ as Leaflet's npm package lays them out. They came from the npm registry; dash-leaflet already ships Leaflet,
so they are taken from its webpack bundle (``dash_leaflet/dash_leaflet.js``)
instead: the benchmark and its test run where no registry can be reached (a
command centre's intranet), and the folium page draws with the very Leaflet
our own maps draw with. In that bundle Leaflet is:

- one module that builds the library into its argument and ends by setting
  ``window.L``: called with an empty object, it is leaflet.js;
- its stylesheet, as css-loader's template literal, with ``${name}`` where
  leaflet.css says ``url(images/…)``;
- those pictures, each a module exporting a ``data:image/png;base64`` URL.

Should a dash-leaflet release bundle another Leaflet, or build its bundle
otherwise, ``leaflet_assets`` says so (RuntimeError) rather than write a
broken page.
"""

from __future__ import annotations

import base64
import importlib.metadata
import importlib.util
import re
import shutil
import struct
import tempfile
from functools import lru_cache
from pathlib import Path

LEAFLET_VERSION = "1.9.4"  # the Leaflet that dash-leaflet bundles; the benchmark reports it
DEFAULT_CACHE = Path.home() / ".cache" / "grid-command"
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "images/layers.png")
# Leaflet's pictures, known by their size in pixels (width, height).
IMAGES = {
    (26, 26): "layers.png",
    (52, 52): "layers-2x.png",
    (25, 41): "marker-icon.png",
    (50, 82): "marker-icon-2x.png",
    (41, 41): "marker-shadow.png",
}
HEADER = (
    "/* @preserve\n * Leaflet {version}, a JS library for interactive maps. https://leafletjs.com\n"
    " * (c) 2010-2023 Vladimir Agafonkin, (c) 2010-2011 CloudMade; BSD 2-Clause licence\n"
    " * Taken from the bundle of dash-leaflet {dash_leaflet} by web/leaflet_files.py.\n */\n"
)
STYLES_START = "`/* required styles */"  # the first line of leaflet.css
_LIBRARY = re.compile(r'!function\((\w+)\)\{"use strict";')
_PICTURE = re.compile(r'(\d+):\w+=>\{"use strict";\w+\.exports="data:image/png;base64,([^"]+)"\}')
_URL_OF_MODULE = re.compile(r"(\w+)=new URL\(\w+\((\d+)\),\w+\.b\)")
_STRING_OF_URL = re.compile(r"(\w+)=\w+\(\)\((\w+)\)")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "`": "`", "$": "$", '"': '"', "'": "'"}


def leaflet_assets(cache_dir: Path | None = None) -> Path:
    """A directory holding Leaflet's leaflet.js, leaflet.css and images/.

    Written once from dash-leaflet's bundle into
    ``cache_dir/leaflet-<LEAFLET_VERSION>`` (cache_dir defaults to
    ~/.cache/grid-command); later calls reuse that directory. Raises
    RuntimeError when the bundle holds another Leaflet or cannot be read.
    """
    target = (cache_dir or DEFAULT_CACHE) / f"leaflet-{LEAFLET_VERSION}"
    if _has_leaflet(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".leaflet-") as tmp:
        staged = write_leaflet(_bundle().read_text(encoding="utf-8"), Path(tmp) / "dist")
        if not _has_leaflet(target):  # another process may have won the race
            shutil.rmtree(target, ignore_errors=True)
            staged.rename(target)
    return target


def leaflet_contents(bundle: str) -> dict[str, bytes]:
    """leaflet.js, leaflet.css and images/… (by their paths) from dash-leaflet's ``bundle`` text."""
    script, version = _library(bundle)
    if version != LEAFLET_VERSION:
        raise RuntimeError(
            f"dash-leaflet bundles Leaflet {version}, not {LEAFLET_VERSION}: "
            "set LEAFLET_VERSION in web/leaflet_files.py (the benchmark reports it)"
        )
    pictures = _pictures(bundle)
    files = {f"images/{name}": data for name, data in pictures.values()}
    names = {module: name for module, (name, _) in pictures.items()}
    files["leaflet.css"] = _stylesheet(bundle, names).encode()
    header = HEADER.format(version=version, dash_leaflet=importlib.metadata.version("dash-leaflet"))
    files["leaflet.js"] = f"{header}{script}({{}});\n".encode()
    missing = [name for name in LEAFLET_FILES if name not in files]
    if missing:
        raise RuntimeError(f"the bundle gave no {', '.join(missing)}")
    return files


@lru_cache(maxsize=1)
def leaflet_in_memory() -> dict[str, bytes]:
    """Leaflet's files, read from the installed dash-leaflet once per process:
    a server writes nothing to disk for them (its home may be read-only)."""
    return leaflet_contents(_bundle().read_text(encoding="utf-8"))


def write_leaflet(bundle: str, into: Path) -> Path:
    """Write leaflet.js, leaflet.css and images/ from dash-leaflet's ``bundle`` text."""
    for name, data in leaflet_contents(bundle).items():
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        (into / name).write_bytes(data)
    return into


def _has_leaflet(directory: Path) -> bool:
    return all((directory / name).is_file() for name in LEAFLET_FILES)


def _bundle() -> Path:
    """dash-leaflet's webpack bundle, found without importing Dash."""
    spec = importlib.util.find_spec("dash_leaflet")
    if spec is None or spec.origin is None:
        raise RuntimeError("dash-leaflet is not installed: it ships the Leaflet this page uses")
    return Path(spec.origin).parent / "dash_leaflet.js"


def _library(bundle: str) -> tuple[str, str]:
    """(Leaflet's factory function, its version): the module that sets window.L."""
    ends = [m.end() for m in re.finditer(r"window\.L=(\w+)\}", bundle)]
    if len(ends) != 1:
        raise RuntimeError(f"dash-leaflet's bundle sets window.L in {len(ends)} places, not 1")
    starts = list(_LIBRARY.finditer(bundle, 0, ends[0]))
    if not starts:
        raise RuntimeError("dash-leaflet's bundle holds no module that sets window.L")
    script = bundle[starts[-1].start() : ends[0]]
    version = re.search(r'\.version="(\d+\.\d+\.\d+)"', script)
    if version is None or len(script) < 100_000:
        raise RuntimeError("the module that sets window.L in dash-leaflet's bundle is not Leaflet")
    return script, version[1]


def _pictures(bundle: str) -> dict[str, tuple[str, bytes]]:
    """module id -> (Leaflet's file name, PNG bytes), for every Leaflet picture."""
    found = {}
    for module, encoded in _PICTURE.findall(bundle):
        data = base64.b64decode(encoded)
        size = struct.unpack(">II", data[16:24])  # the PNG's IHDR: width, height
        if size in IMAGES:
            found[module] = (IMAGES[size], data)
    missing = set(IMAGES.values()) - {name for name, _ in found.values()}
    if missing:
        raise RuntimeError(f"dash-leaflet's bundle holds no {', '.join(sorted(missing))}")
    return found


def _stylesheet(bundle: str, picture_names: dict[str, str]) -> str:
    """leaflet.css from css-loader's template literal, its pictures under images/."""
    start = bundle.find(STYLES_START)
    if start < 0:
        raise RuntimeError("dash-leaflet's bundle holds no leaflet.css")
    module = bundle[bundle.rfind('=>{"use strict";', 0, start) : start]
    urls = dict(_URL_OF_MODULE.findall(module))  # variable -> picture module id
    strings = {var: urls[url] for var, url in _STRING_OF_URL.findall(module) if url in urls}
    end = start + 1
    while bundle[end] != "`":
        end += 2 if bundle[end] == "\\" else 1
    literal = bundle[start + 1 : end]

    def unescape(match: re.Match) -> str:
        if match[1] not in _ESCAPES:
            raise RuntimeError(f"leaflet.css in dash-leaflet's bundle has an escape \\{match[1]}")
        return _ESCAPES[match[1]]

    def picture(match: re.Match) -> str:
        module_id = strings.get(match[1])
        if module_id not in picture_names:
            raise RuntimeError(f"leaflet.css names ${{{match[1]}}}, not one of Leaflet's pictures")
        return f"images/{picture_names[module_id]}"

    text = re.sub(r"(?<!\\)\$\{(\w+)\}", picture, literal)
    return re.sub(r"\\(.)", unescape, text, flags=re.DOTALL)
