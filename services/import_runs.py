"""Imports from the /admin/data page: check an uploaded file with the user's
choices, and run the import in the background with its progress on disk.

The page's callbacks are thin: they call these with the job's token and the
choices on screen. Checking is repeated when the import starts, on the file
as uploaded, so that what is written is what was checked, whichever worker
answers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from data import import_jobs
from data.import_jobs import job_file, new_job, read_state, remove_job
from domain.errors import Conflict, GridCommandError, InvalidInput
from services.boundary_import import ImportCheck, apply_check, check_file, preview_check, refused
from services.imports import KINDS, TABLE_KINDS
from services.table_import import TableCheck, apply_table, check_table

# The uploaded file's folder, as the /data page keeps it between its steps.
__all__ = [
    "Choices",
    "check_job",
    "job_file",
    "new_job",
    "read_state",
    "remove_job",
    "start_import",
]

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.25


@dataclass(frozen=True)
class Choices:
    """What the user chose on the page."""

    kind: str
    mapping: dict[str, str]
    crs: str | None = None
    gcj02: bool | None = None  # True undo GCJ-02, False not GCJ-02, None not said
    layer: str | None = None
    accept_repairs: bool = False


def check_job(store, job: str, choices: Choices) -> tuple[ImportCheck | TableCheck, dict | None]:
    """The check of the job's file and, when it could be imported, the preview
    of what importing would change (None otherwise)."""
    path = import_jobs.job_file(job)
    if choices.kind in TABLE_KINDS:
        return check_table(
            store, choices.kind, path, mapping=choices.mapping, sheet=choices.layer
        ), None
    if choices.kind not in KINDS:
        raise InvalidInput(f"nothing imports {choices.kind!r}", zh="未知的导入类型")
    found = check_file(
        store,
        choices.kind,
        path,
        crs=choices.crs,
        gcj02=choices.gcj02,
        mapping=choices.mapping,
        layer=choices.layer,
    )
    return found, preview_check(store, found) if found.ok else None


def start_import(store, job: str, choices: Choices, *, actor: str) -> None:
    """Start importing the job's file in a background thread.

    Refused when this job already started: a second click, on any worker,
    cannot import the file twice.
    """
    folder = import_jobs.job_file(job).parent
    try:
        os.close(os.open(folder / "started", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        raise Conflict("this file is being imported already", zh="该文件正在导入") from None
    import_jobs.write_state(job, {"state": "running", "stage": "check", "done": 0, "total": 0})
    thread = threading.Thread(
        target=_run, args=(store, job, choices, actor), name=f"import-{job[:6]}", daemon=True
    )
    thread.start()


def _run(store, job: str, choices: Choices, actor: str) -> None:
    try:
        counts = _import(store, job, choices, actor)
        import_jobs.write_state(job, {"state": "done", "counts": counts})
    except GridCommandError as error:
        import_jobs.write_state(
            job, {"state": "failed", "zh": error.message("zh"), "en": error.message("en")}
        )
    except Exception:  # a crash must reach the page, not hang its progress bar
        log.exception("import %s failed", job)
        import_jobs.write_state(
            job,
            {
                "state": "failed",
                "zh": "导入失败（服务器错误），未写入任何数据",
                "en": "the import failed (server error); nothing was written",
            },
        )


def _import(store, job: str, choices: Choices, actor: str) -> dict:
    found, _ = check_job(store, job, choices)
    source = import_jobs.job_file(job).name
    if isinstance(found, TableCheck):
        return apply_table(store, found, actor=actor, source=source)
    if found.result is None:
        raise refused(found)
    if found.result.count("repaired") and not choices.accept_repairs:
        raise InvalidInput(
            "some shapes were repaired: tick 'accept repairs' to import them",
            zh="部分图形已自动修复：勾选“接受修复”后再导入",
        )
    return apply_check(store, found, actor=actor, source=source, progress=_Progress(job))


class _Progress:
    """Writes the store's progress to the job's state, a few times a second."""

    def __init__(self, job: str):
        self.job, self.last, self.stage = job, 0.0, None

    def __call__(self, done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if stage != self.stage or done >= total or now - self.last >= PROGRESS_EVERY_S:
            import_jobs.write_state(
                self.job, {"state": "running", "stage": stage, "done": done, "total": total}
            )
            self.last, self.stage = now, stage
