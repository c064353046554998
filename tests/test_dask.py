"""Past one machine: the tag flow on a local Dask cluster (DaskTaskRunner, a worker process) gives the same tags
as the default thread runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.ingest import ingest_flow
from flows.tag import on_runner, tag_flow
from models.settings import SAMPLE_SOURCES, Settings
from tests.conftest import rows, write_sources

pytestmark = pytest.mark.slow
pytest.importorskip("prefect_dask", reason="the dask extra is not installed: pip install -e '.[dask]'")

TAGS = """SELECT t.article_id, t.tagger_version,
                 (SELECT list(option_id ORDER BY option_id) FROM option_tags o
                  WHERE o.article_id = t.article_id AND o.tagger_version = t.tagger_version),
                 (SELECT list(actor_id || ':' || mentions ORDER BY actor_id) FROM actor_mentions m
                  WHERE m.article_id = t.article_id AND m.tagger_version = t.tagger_version)
          FROM taggings t ORDER BY 1"""


def test_dask_runner_tags_like_the_thread_runner(tmp_path: Path) -> None:
    # Three of the sample feeds (en, uk, de): enough for several batches, small enough to tag twice.
    feeds = [(n, (SAMPLE_SOURCES.parent / f).as_uri()) for n, f in
             [("Kyiv Wire", "kyiv-wire.xml"), ("Ukr News", "ukr-news.xml"), ("Berliner Bote", "berlin-bote.xml")]]
    threads = Settings(db=tmp_path / "threads.duckdb", sources=write_sources(tmp_path / "s.toml", feeds),
                       tag_batch=24, lock_wait_s=30)
    ingest_flow(threads)
    shutil.copy(threads.db, tmp_path / "dask.duckdb")
    dask = threads.model_copy(update={"db": tmp_path / "dask.duckdb", "task_runner": "dask", "dask_workers": 1})

    by_threads = on_runner(tag_flow, threads)(threads)
    by_dask = on_runner(tag_flow, dask)(dask)
    assert by_dask.tagged == by_threads.tagged > 24  # several batches went to the cluster
    assert by_dask.with_options == by_threads.with_options
    assert rows(dask.db, TAGS) == rows(threads.db, TAGS)
    scores = "SELECT article_id, option_id, round(score, 4) FROM option_tags ORDER BY 1, 2"
    assert rows(dask.db, scores) == rows(threads.db, scores)
