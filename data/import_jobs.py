"""Files and progress of the imports started at /admin/data (issue 9).

An upload is saved in a job folder under the system's temporary directory,
named by a random token, so that the next step (a changed column mapping,
"import") can read it again on whichever server worker answers. The import
itself runs in a thread of one worker and writes its progress to
``state.json`` in the folder (replaced atomically), which the page polls on
any worker. Folders older than ``MAX_AGE_S`` are removed as new ones come.

This works for the workers of one machine, which is how Grid Command is
served; several machines would need a shared folder here.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from domain.errors import InvalidInput

ROOT = Path(tempfile.gettempdir()) / "gridcommand-imports"
MAX_AGE_S = 24 * 3600
_JOB = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def new_job(filename: str, content: bytes, root: Path | None = None) -> str:
    """Save an uploaded file in a new job folder; returns the job's token."""
    root = root or ROOT
    _sweep(root)
    job = secrets.token_urlsafe(18)
    folder = root / job
    folder.mkdir(parents=True, mode=0o700)
    name = _SAFE_NAME.sub("_", Path(filename or "upload").name)[:120] or "upload"
    (folder / name).write_bytes(content)
    write_state(job, {"state": "uploaded", "file": name}, root)
    return job


def job_file(job: str, root: Path | None = None) -> Path:
    """The uploaded file of ``job``."""
    state = read_state(job, root)
    path = _folder(job, root) / state["file"]
    if not path.exists():
        raise InvalidInput(
            "the uploaded file is gone: upload it again", zh="上传的文件已失效，请重新上传"
        )
    return path


def read_state(job: str, root: Path | None = None) -> dict:
    """The job's state: uploaded, running (with done and total), done (with
    counts) or failed (with the message)."""
    try:
        return json.loads((_folder(job, root) / "state.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(
            "no such upload: it expired or was cancelled; upload the file again",
            zh="上传已失效或已取消，请重新上传",
        ) from None


def write_state(job: str, state: dict, root: Path | None = None) -> None:
    """Replace the job's state at once (readers never see half a file)."""
    folder = _folder(job, root)
    previous = {}
    if (folder / "state.json").exists():
        previous = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({**previous, **state, "at": time.time()}, out, ensure_ascii=False)
    os.replace(temporary, folder / "state.json")


def remove_job(job: str, root: Path | None = None) -> None:
    """Cancel: delete the upload and its state."""
    shutil.rmtree(_folder(job, root), ignore_errors=True)


def _folder(job: str, root: Path | None) -> Path:
    if not isinstance(job, str) or not _JOB.match(job):
        raise InvalidInput("not an upload of this server", zh="无效的上传编号")
    return (root or ROOT) / job


def _sweep(root: Path) -> None:
    """Remove job folders untouched for a day."""
    if not root.exists():
        return
    cutoff = time.time() - MAX_AGE_S
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
