"""The workers of one server build each wall picture once between them
(dashboard.view_share): the first builds it and leaves it in their shared
directory, the others wait for it and read it."""

from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from dashboard import map_view, view_cache
from dashboard.view_share import ViewShare, current_share, share_views

REPORT = dict(channel="app", category="garbage", description="垃圾", lon=120.001, lat=36.001)
REPORT |= dict(grid_code="A-1", town_code="370281001", priority=3)


@pytest.fixture
def shared(tmp_path, monkeypatch):
    """This process shares its pictures in ``tmp_path``; its own cache starts empty."""
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    monkeypatch.setattr(map_view, "_STEADY", {})
    directory = tmp_path / "views"
    directory.mkdir()
    share_views(directory)
    yield directory
    share_views(None)


def _count_builds(monkeypatch) -> list:
    builds = []
    real = map_view.command_view

    def counted(*args, **kwargs):
        builds.append(os.getpid())
        return real(*args, **kwargs)

    monkeypatch.setattr(map_view, "command_view", counted)
    return builds


def test_a_second_worker_reads_the_picture_the_first_built(city_store, shared, monkeypatch):
    builds = _count_builds(monkeypatch)
    first = view_cache.shared_view(city_store, lang="zh", screen=None)
    assert len(builds) == 1
    # Another worker: its own (empty) cache, the same directory.
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    again = view_cache.shared_view(city_store, lang="zh", screen=None)
    assert len(builds) == 1  # read, not built
    assert again is not first and again.digests == first.digests
    assert again.change_seq == first.change_seq
    assert again.layers == first.layers
    # What a worker read serves its screens' point edits as its own build would.
    digest = again.digests["incidents"]
    assert view_cache.shown_layer("incidents", digest) is again.layers["incidents"]

    # The feed moves: a new picture, built once more.
    city_store.add_incident({**REPORT, "public_id": "S1"}, actor="test")
    moved = view_cache.shared_view(city_store, lang="zh", screen=None)
    assert len(builds) == 2 and moved.change_seq > first.change_seq
    assert moved.digests["incidents"] != first.digests["incidents"]


def test_a_damaged_picture_is_built_again(city_store, shared, monkeypatch):
    builds = _count_builds(monkeypatch)
    view_cache.shared_view(city_store, lang="zh", screen=None)
    for path in shared.glob("*.pickle"):
        path.write_bytes(b"not a picture")
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    view = view_cache.shared_view(city_store, lang="zh", screen=None)
    assert len(builds) == 2 and view.layers["grids"]


def _ask(url: str, directory: str, queue) -> None:
    """A worker process: open the store, ask for the picture, report whether it built."""
    from data.store import Store

    builds = []
    real = map_view.command_view

    def counted(*args, **kwargs):
        builds.append(1)
        return real(*args, **kwargs)

    map_view.command_view = counted
    view_cache._CACHE.clear()
    share_views(directory)
    store = Store.open(url)
    try:
        view = view_cache.shared_view(store, lang="zh", screen=None)
        queue.put((len(builds), view.change_seq, view.digests))
    finally:
        store.close()


def test_workers_asking_at_once_build_the_picture_once(sqlite_url, tmp_path):
    from data.store import Store
    from tests.tiny_city import tiny_city

    store = Store.open(sqlite_url)
    store.load_city(tiny_city())
    store.close()
    directory = tmp_path / "views"
    directory.mkdir()
    context = mp.get_context("spawn")  # fresh workers, as gunicorn's are to each other
    queue = context.Queue()
    workers = [
        context.Process(target=_ask, args=(sqlite_url, str(directory), queue)) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    answers = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(built for built, _, _ in answers) == [0, 0, 1]
    assert len({(seq, tuple(sorted(d.items()))) for _, seq, d in answers}) == 1


def test_no_directory_no_sharing(tmp_path):
    share_views(None)
    assert current_share() is None
    share = ViewShare(tmp_path)
    assert share.get(("k",)) is None
    share.put(("k",), {"a": 1}, 5.0)
    assert share.get(("k",)) == ({"a": 1}, 5.0)
    assert share.get(("other",)) is None


def test_the_panels_travel_with_the_picture(city_store, shared, monkeypatch):
    from dashboard.pages import command_map

    built = []
    real = command_map.wall_panels
    monkeypatch.setattr(
        command_map, "wall_panels", lambda v, lang: built.append(1) or real(v, lang)
    )
    prepare = command_map.panels_of("zh")
    first = view_cache.shared_view(city_store, lang="zh", screen=None, prepare=prepare)
    assert len(built) == 1
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())  # another worker
    again = view_cache.shared_view(city_store, lang="zh", screen=None, prepare=prepare)
    _, digests = command_map.shared_panels(again, "zh")
    assert len(built) == 1  # read with the picture, not built again
    assert digests == command_map.shared_panels(first, "zh")[1]


def test_screens_asking_at_once_compute_a_shared_value_once():
    import threading
    import time

    view = map_view.CommandView(layers={}, situation=None, ranking=None, change_seq=1)
    made = []

    def make():
        made.append(1)
        time.sleep(0.05)  # long enough for every screen to ask meanwhile
        return object()

    values = []
    threads = [
        threading.Thread(
            target=lambda: values.append(view_cache.memo(view, ("panels", "zh"), make))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len({id(v) for v in values}) == 1
