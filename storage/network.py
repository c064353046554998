"""Discourse networks from the stored stances, for Gephi, visone or any tool that reads GraphML or CSV.

As in the Discourse Network Analyzer (Leifeld), each stance is a statement actor × concept (option) ×
agree/disagree, read from the `current_stances` view, so the networks follow each article's current tagging:

- two-mode: actor — option, with `support` and `oppose` counts (articles), `weight` = both, `net` = support − oppose;
- congruence (one-mode): two actors are linked when both support, or both oppose, the same option; `weight` is
  the number of (option, stance) pairs they share, `options` lists them;
- conflict (one-mode, kept apart): one supports an option the other opposes; same weight and `options`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import duckdb
import networkx as nx


@dataclass(frozen=True)
class StanceCount:
    actor_id: str
    option_id: str
    support: int
    oppose: int


def stance_counts(con: duckdb.DuckDBPyConnection, from_week: str | None = None,
                  to_week: str | None = None) -> list[StanceCount]:
    """Articles per actor × option × stance in [from_week, to_week] (ISO weeks, both ends included)."""
    rows = con.execute(
        """
        SELECT actor_id, option_id,
               count(*) FILTER (WHERE stance = 'support'), count(*) FILTER (WHERE stance = 'oppose')
        FROM current_stances
        WHERE (? IS NULL OR week >= ?) AND (? IS NULL OR week <= ?)
        GROUP BY ALL ORDER BY actor_id, option_id
        """,
        [from_week, from_week, to_week, to_week],
    ).fetchall()
    return [StanceCount(*r) for r in rows]


def two_mode(counts: list[StanceCount]) -> nx.Graph:
    g = nx.Graph(name="actor x option stances")
    for c in counts:
        g.add_node(c.actor_id, mode="actor", bipartite=0)
        g.add_node(c.option_id, mode="option", bipartite=1)
        g.add_edge(c.actor_id, c.option_id, support=c.support, oppose=c.oppose, weight=c.support + c.oppose,
                   net=c.support - c.oppose)
    return g


def one_mode(counts: list[StanceCount]) -> tuple[nx.Graph, nx.Graph]:
    """(congruence, conflict) actor × actor networks."""
    backers: dict[tuple[str, str], set[str]] = defaultdict(set)  # (option, stance) -> actors
    actors = sorted({c.actor_id for c in counts})
    for c in counts:
        if c.support:
            backers[(c.option_id, "support")].add(c.actor_id)
        if c.oppose:
            backers[(c.option_id, "oppose")].add(c.actor_id)
    agree: dict[tuple[str, str], list[str]] = defaultdict(list)
    clash: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (option, stance), who in sorted(backers.items()):
        for a, b in combinations(sorted(who), 2):
            agree[(a, b)].append(f"{option}:{stance}")
        if stance == "support":
            for a in who:
                for b in backers.get((option, "oppose"), set()) - {a}:
                    clash[tuple(sorted((a, b)))].append(option)  # type: ignore[index]
    graphs = []
    for name, edges in (("congruence", agree), ("conflict", clash)):
        g = nx.Graph(name=f"actor {name}")
        g.add_nodes_from(actors)
        for (a, b), opts in sorted(edges.items()):
            g.add_edge(a, b, weight=len(opts), options=",".join(sorted(opts)))
        graphs.append(g)
    return graphs[0], graphs[1]


def write_networks(counts: list[StanceCount], out_dir: Path, fmt: str = "graphml") -> list[Path]:
    """Write actor_option, congruence and conflict as GraphML files or CSV edge lists; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    congruence, conflict = one_mode(counts)
    written = []
    for name, g in (("actor_option", two_mode(counts)), ("congruence", congruence), ("conflict", conflict)):
        path = out_dir / f"{name}.{fmt}"
        if fmt == "graphml":
            nx.write_graphml(g, path)
        else:
            attrs = sorted({k for _, _, d in g.edges(data=True) for k in d})
            with path.open("w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["source", "target", *attrs])
                # Two-mode edges read actor -> option; one-mode edges in id order.
                edges = [(b, a, d) if g.nodes[a].get("mode") == "option" else (a, b, d) for a, b, d in g.edges(data=True)]
                for a, b, d in sorted(edges, key=lambda e: (e[0], e[1])):
                    w.writerow([a, b, *(d.get(k, "") for k in attrs)])
        written.append(path)
    return written
