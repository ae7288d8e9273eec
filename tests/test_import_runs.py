"""Imports started from the page: the upload kept in a job folder, checked
with the user's choices, run once in the background with progress on disk."""

from __future__ import annotations

import os
import time

import geopandas as gpd
import pytest
from shapely.geometry import box

from data import import_jobs
from domain.errors import Conflict, InvalidInput
from services.import_runs import Choices, check_job, start_import


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    monkeypatch.setattr(import_jobs, "ROOT", tmp_path / "jobs")
    return tmp_path / "jobs"


def grids_bytes(tmp_path) -> bytes:
    frame = gpd.GeoDataFrame(
        {"code": ["A-1", "A-9"], "name": ["一", "九"], "parent": ["370281001001"] * 2},
        geometry=[box(120.00, 36.00, 120.01, 36.02), box(120.01, 36.00, 120.02, 36.02)],
        crs=4326,
    )
    path = tmp_path / "g.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path.read_bytes()


def wait_finished(job: str, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = import_jobs.read_state(job)
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"the import did not finish: {state}")


def test_an_upload_is_checked_then_imported_once_in_the_background(city_store, jobs, tmp_path):
    job = import_jobs.new_job("甲街道 网格.geojson", grids_bytes(tmp_path))
    assert import_jobs.job_file(job).name == "甲街道_网格.geojson"
    choices = Choices("grids", {"parent_code": "parent"})
    found, preview = check_job(city_store, job, choices)
    assert found.ok and preview["added"] == 1 and preview["removed"] == 1
    start_import(city_store, job, choices, actor="admin")
    with pytest.raises(Conflict, match="being imported already"):
        start_import(city_store, job, choices, actor="admin")
    state = wait_finished(job)
    assert state["state"] == "done" and state["counts"]["added"] == 1, state
    assert sorted(city_store.grids()["code"]) == ["A-1", "A-9", "B-1", "B-2"]
    assert len(city_store.imports()) == 1, "imported once"


def test_a_failed_import_says_why_and_writes_nothing(city_store, jobs, tmp_path):
    job = import_jobs.new_job("g.geojson", grids_bytes(tmp_path))
    seq = city_store.latest_seq()
    start_import(city_store, job, Choices("grids", {"parent_code": "name"}), actor="admin")
    state = wait_finished(job)
    assert state["state"] == "failed" and "blocking" in state["en"] and state["zh"]
    assert city_store.latest_seq() == seq


def test_job_tokens_are_checked_and_cancelled_jobs_are_gone(jobs, tmp_path):
    with pytest.raises(InvalidInput, match="not an upload"):
        import_jobs.read_state("../../etc")
    job = import_jobs.new_job("x.gpkg", b"data")
    import_jobs.remove_job(job)
    with pytest.raises(InvalidInput, match="expired or was cancelled"):
        import_jobs.read_state(job)


def test_old_uploads_are_swept_away(jobs):
    old = import_jobs.new_job("old.gpkg", b"data")
    folder = jobs / old
    os.utime(folder, (time.time() - 2 * import_jobs.MAX_AGE_S,) * 2)
    import_jobs.new_job("new.gpkg", b"data")
    assert not folder.exists()
