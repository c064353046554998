"""Dedup: canonical URLs, the same story under two URLs, syndicated near-copies, and views that count stories."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from extractors.dedup import DedupIndex, signature, with_signature
from extractors.urls import article_id, canonical_url, content_hash
from flows.ingest import ingest_flow
from models.domain import Article, KnownArticle, TagResult
from models.settings import Settings
from storage.db import migrate, writing
from storage.writes import write_tags
from tests.conftest import Server, write_sources

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
STORY = (
    "Britain and France said on Monday that a coalition of European states would send instructors to western "
    "Ukraine once a ceasefire holds, to train Ukrainian brigades away from the front line, while NATO allies "
    "discussed how air patrols over the Black Sea could deter a renewed Russian offensive."
)


def _article(url: str, title: str, text: str, when: datetime = AT, source: str = "https://wire.example/rss") -> Article:
    return with_signature(Article(
        id=article_id(url), url=url, source_url=source, title=title, summary=text, published_at=when,
        fetched_at=AT, lang="en", content_hash=content_hash(title, text),
    ))


def test_canonical_url_variants_are_one_article() -> None:
    variants = [
        "http://www.example.com/news/1?utm_source=rss&utm_medium=feed",
        "https://m.example.com/news/1/#comments",
        "https://example.com/news/1?fbclid=abc",
        "HTTPS://EXAMPLE.COM/news/1",
    ]
    assert {canonical_url(v) for v in variants} == {"https://example.com/news/1"}
    assert len({article_id(v) for v in variants}) == 1


def test_same_text_under_two_urls_is_a_copy_of_the_first() -> None:
    a = _article("https://one.example/a", "Coalition to train troops", STORY)
    b = _article("https://two.example/b", "Coalition  to train TROOPS", STORY)  # case and spacing differ
    out = DedupIndex().assign([a, b])
    assert out[0].duplicate_of is None and out[1].duplicate_of == a.id


def test_syndicated_near_copy_points_to_the_canonical_and_different_story_does_not() -> None:
    canonical = _article("https://wire.example/1", "Coalition to train troops in Ukraine", STORY)
    syndicated = _article("https://paper.example/world/2", "Coalition to train troops in Ukraine - Paper",
                          STORY + " Reporting by a correspondent.")
    other = _article("https://paper.example/world/3", "Grain corridor reopens",
                     "Ships left Odesa on Tuesday as the grain corridor reopened after insurers agreed new cover "
                     "for vessels, port officials said, and exports are expected to rise through the winter.")
    assert signature(canonical.title, canonical.text) and signature(other.title, other.text)
    out = DedupIndex(threshold=0.8).assign([canonical, syndicated, other])
    assert [a.duplicate_of for a in out] == [None, canonical.id, None]


def test_a_chinese_near_copy_is_found_though_chinese_writes_no_spaces() -> None:
    story = "英国和法国周一表示，一旦停火生效，欧洲国家联盟将向乌克兰西部派遣教官，在远离前线的地方训练乌克兰旅。北约盟国讨论了黑海上空的空中巡逻。"
    canonical = _article("https://wire.example/zh/1", "联盟将训练乌克兰军队", story)
    syndicated = _article("https://paper.example/zh/2", "联盟将训练乌克兰军队", story + "记者报道。")
    other = _article("https://paper.example/zh/3", "粮食走廊重新开放", "周二船只驶离敖德萨，保险公司同意为船舶提供新的保险后，粮食走廊重新开放，港口官员表示出口预计将在整个冬季增长。")
    out = DedupIndex(threshold=0.8).assign([canonical, syndicated, other])
    assert [a.duplicate_of for a in out] == [None, canonical.id, None]


def test_known_articles_from_storage_win_and_an_article_never_copies_itself() -> None:
    stored = _article("https://wire.example/1", "Coalition to train troops in Ukraine", STORY)
    index = DedupIndex([KnownArticle(stored.id, stored.content_hash, stored.minhash)])
    again, copy = index.assign([stored, _article("https://mirror.example/x", stored.title, STORY)])
    assert again.duplicate_of is None and copy.duplicate_of == stored.id


def test_short_headlines_are_compared_by_hash_only() -> None:
    assert signature("Live updates", "") == ()
    out = DedupIndex().assign([_article("https://a.example/1", "Live updates", ""),
                               _article("https://b.example/2", "Live updates: day 2", "")])
    assert [a.duplicate_of for a in out] == [None, None]


def _rss(items: list[tuple[str, str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate><description>{x}</description></item>"
        for t, link, d, x in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f</title>{body}</channel></rss>'.encode()


@pytest.mark.slow
def test_flow_stores_copies_once_and_trend_views_count_stories(server: Server, tmp_path: Path) -> None:
    wire = _rss([("Coalition to train troops in Ukraine", "https://wire.example/1", "Mon, 02 Nov 2026 08:00:00 +0000", STORY)])
    paper = _rss([
        ("Coalition to train troops in Ukraine", "https://www.paper.example/syndicated/9?utm_source=rss",
         "Mon, 02 Nov 2026 10:00:00 +0000", STORY + " Reporting by a correspondent."),
        ("Grain corridor reopens", "https://paper.example/grain", "Mon, 02 Nov 2026 11:00:00 +0000",
         "Ships left Odesa on Tuesday as the grain corridor reopened after insurers agreed new cover."),
    ])
    feeds = [("wire", server.serve_bytes("/wire.xml", wire)), ("paper", server.serve_bytes("/paper.xml", paper))]
    s = Settings(db=tmp_path / "pw.duckdb", sources=write_sources(tmp_path / "s.toml", feeds))
    report = ingest_flow(s)
    assert report.new == 3 and sum(f.copies for f in report.feeds) == 1

    con = duckdb.connect(str(s.db))
    rows = dict(con.execute("SELECT url, duplicate_of FROM articles").fetchall())
    wire_id = article_id("https://wire.example/1")
    assert rows["https://www.paper.example/syndicated/9?utm_source=rss"] == wire_id and rows["https://wire.example/1"] is None
    # Tag all three as discussing the same option: the trend counts 2 stories, not 3 rows.
    ids = [r[0] for r in con.execute("SELECT id FROM articles").fetchall()]
    con.close()
    from models.domain import OptionTag

    with writing(s.db) as con:
        migrate(con)
        write_tags(con, [TagResult(i, "en", (OptionTag("troops_training", 0.9, ()),), (), "v-test", "t1") for i in ids], AT)
        assert con.execute("SELECT sum(total_articles) FROM weekly_option_share").fetchone()[0] == 2  # type: ignore[index]
        assert con.execute("SELECT count(*) FROM current_option_tags").fetchone()[0] == 2  # type: ignore[index]
        health = dict(con.execute("SELECT name, copies FROM feed_health").fetchall())
    assert health == {"wire": 0, "paper": 1}


@pytest.mark.parametrize("title, text", [
    ("Allies meet", STORY),
    ("Коаліція", "Британія і Франція заявили, що коаліція надішле інструкторів до західної України після припинення вогню."),
    ("同盟", "英国和法国表示 联盟 将 在 停火 后 向 乌克兰 西部 派遣 教官 以 训练 乌克兰 旅"),
])
def test_signatures_are_datasketchs_so_stored_ones_stay_comparable(title: str, text: str) -> None:
    from datasketch import MinHash

    from extractors.dedup import NUM_PERM, SCHEME, shingles

    m = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    m.update_batch(list(shingles(f"{title} {text}")))
    assert signature(title, text) == tuple(int(v) for v in m.hashvalues)
