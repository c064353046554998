"""Tagger versions: which articles a re-tag covers, their tags before it, and pruning old versions' rows.

Every tagging is kept per (article, tagger version); trends read the current one. Old versions' rows stay
queryable (`SELECT … FROM option_tags WHERE tagger_version = …`) until `prune_versions` removes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from storage.reads import Untagged
from storage.writes import transaction

# Tables holding one tagging's rows, keyed by (article_id, tagger_version); dependants before `taggings`.
# `stances` exists once the stance migration is applied.
TAG_TABLES = ("option_tags", "evidence", "actor_mentions", "stances", "taggings")


def articles_to_retag(
    con: duckdb.DuckDBPyConnection, tagger_version: str, taxonomy_version: str, *,
    since: datetime | None = None, everything: bool = False,
) -> list[Untagged]:
    """Tagged articles whose current tags came from another tagger or taxonomy version (or every article).

    `since` keeps articles published at or after it. Oldest first, like a first tagging.
    """
    where = ["TRUE"] if everything else [
        "c.article_id IS NOT NULL AND (c.tagger_version <> ? OR c.taxonomy_version <> ?)"
    ]
    params: list[Any] = [] if everything else [tagger_version, taxonomy_version]
    if since is not None:
        where.append("a.published_at >= ?")
        params.append(since)
    rows = con.execute(
        f"""SELECT a.id, a.title, CASE WHEN a.body <> '' THEN a.body ELSE a.summary END, a.lang
            FROM articles a LEFT JOIN current_taggings c ON c.article_id = a.id
            WHERE {' AND '.join(where)}
            ORDER BY a.published_at, a.id""",
        params,
    ).fetchall()
    return [Untagged(*r) for r in rows]


def current_options(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, frozenset[str]]:
    """The options of each article's current tagging (an article with no tagging is absent)."""
    if not ids:
        return {}
    rows = con.execute(
        """SELECT c.article_id, list(o.option_id) FILTER (WHERE o.option_id IS NOT NULL)
           FROM current_taggings c
           LEFT JOIN option_tags o ON o.article_id = c.article_id AND o.tagger_version = c.tagger_version
           WHERE list_contains(?, c.article_id)
           GROUP BY 1""",
        [list(ids)],
    ).fetchall()
    return {i: frozenset(opts or ()) for i, opts in rows}


def tagger_versions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, datetime]]:
    """Every stored tagger version, newest first: (version, articles tagged, last tagged_at)."""
    rows = con.execute(
        "SELECT tagger_version, count(*), max(tagged_at) FROM taggings GROUP BY 1 ORDER BY 3 DESC, 1 DESC"
    ).fetchall()
    return [(v, int(n), t) for v, n, t in rows]


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()").fetchall()}


def prune_versions(con: duckdb.DuckDBPyConnection, keep: int) -> dict[str, int]:
    """Delete the rows of all but the `keep` newest tagger versions, in one transaction; rows per table.

    An article's current tagging is never deleted, whatever its version: pruning must not untag an
    article that no newer tagger has reached yet.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    kept = [v for v, _, _ in tagger_versions(con)[:keep]]
    present = _tables(con)
    deleted: dict[str, int] = {}
    with transaction(con):
        for table in TAG_TABLES:
            if table not in present:
                continue
            row = con.execute(
                f"""DELETE FROM {table} t
                    WHERE NOT list_contains(?, t.tagger_version)
                      AND NOT EXISTS (SELECT 1 FROM current_taggings c
                                      WHERE c.article_id = t.article_id AND c.tagger_version = t.tagger_version)""",
                [kept],
            ).fetchone()
            deleted[table] = int(row[0]) if row else 0
    return deleted
