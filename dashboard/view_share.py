"""A wall's picture built once for all of a server's workers.

Every screen asks for its update the moment the change feed moves, and
gunicorn spreads those requests over its worker processes: without sharing,
each worker reads the city and builds the same picture (about 140 ms of CPU
at county scale), so with three workers on two cores the last screen waited
for three builds. ``python app.py serve`` gives its workers one private
directory (0700); the first worker to need a picture takes that picture's
lock file (``flock``), builds it and leaves it there as a pickle, and the
others, blocked on the lock meanwhile, read it (a few ms) instead of building.

The files are written by this server's own processes only, into a directory
only its user can reach, and read back by them: pickle is safe here as it is
for the intake writer's socket. A file that cannot be read (half written by a
process that was killed: files are renamed into place, so this should not
happen) is built again. Old pictures are removed as new ones come.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

KEPT = 64  # pictures kept in the directory (a few per feed position and screen kind)


class ViewShare:
    """Pictures by key in ``directory``, each with the time it was built."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def get(self, key) -> tuple[object, float] | None:
        """The picture stored for ``key`` and when it was built (``time.time()``),
        or None when no process has stored it (or it cannot be read)."""
        path = self._path(key, ".pickle")
        try:
            with open(path, "rb") as file:
                stored_key, view, built = pickle.load(file)
        except FileNotFoundError:
            return None
        except Exception:  # a damaged file is built again, not fatal
            log.warning("shared view %s could not be read; building it again", path.name)
            return None
        return (view, built) if stored_key == key else None

    def put(self, key, view, built: float) -> None:
        """Store ``view`` for ``key``, renamed into place whole."""
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump((key, view, built), file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._path(key, ".pickle"))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self._prune()

    @contextlib.contextmanager
    def building(self, key) -> Iterator[None]:
        """Hold ``key``'s lock across processes (and threads: each opens its own
        file description, and ``flock`` locks belong to those)."""
        fd = os.open(self._path(key, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _path(self, key, suffix: str) -> Path:
        name = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        return self.directory / f"{name}{suffix}"

    def _prune(self) -> None:
        """Remove all but the newest ``KEPT`` pictures and locks older than a minute."""
        try:
            entries = [(p.stat().st_mtime, p) for p in self.directory.iterdir()]
        except FileNotFoundError:
            return
        pictures = sorted((e for e in entries if e[1].suffix == ".pickle"), reverse=True)
        stale = [p for _, p in pictures[KEPT:]]
        now = time.time()
        stale += [p for m, p in entries if p.suffix == ".lock" and now - m > 60]
        for path in stale:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


_SHARE: ViewShare | None = None


def share_views(directory: str | os.PathLike | None) -> None:
    """Share the wall's pictures through ``directory`` (None: each worker builds its own)."""
    global _SHARE
    _SHARE = ViewShare(directory) if directory else None


def current_share() -> ViewShare | None:
    return _SHARE
