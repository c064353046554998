-- Trends read each article's latest tagging and its ISO week on every query; store both instead of
-- recomputing them per row (a window over every tagging and a strftime per article were most of the cost).

-- Exactly one tagging per article is current: the latest written. storage.writes.write_tags keeps this in
-- the same transaction as the tags it writes.
ALTER TABLE taggings ADD COLUMN is_current BOOLEAN DEFAULT false;
UPDATE taggings SET is_current = (r.rn = 1)
FROM (
    SELECT article_id, tagger_version,
           row_number() OVER (PARTITION BY article_id ORDER BY tagged_at DESC, tagger_version DESC) AS rn
    FROM taggings
) r
WHERE taggings.article_id = r.article_id AND taggings.tagger_version = r.tagger_version;

-- ISO week of published_at in UTC, e.g. '2026-W47'; filled by storage.writes.record_batch.
ALTER TABLE articles ADD COLUMN week VARCHAR;
UPDATE articles SET week = strftime(published_at AT TIME ZONE 'UTC', '%G-W%V');

-- Rollups the trend views read, so a week's shares do not join a million articles to their taggings on
-- every read. storage.writes keeps them in the same transaction as the rows they count: record_batch the
-- per-feed ingest counts of the weeks it writes, write_tags the tag counts of the weeks it tags
-- (storage.writes.refresh_trends recomputes any weeks from the stored rows).

-- Per ISO week x feed: stories (articles with no duplicate_of), copies, stories with no feed date, and
-- fetches made that week (by fetched_at), failed ones apart.
CREATE TABLE trend_feed_weeks (
    week            VARCHAR NOT NULL,
    source_url      VARCHAR NOT NULL,
    articles        INTEGER NOT NULL,
    copies          INTEGER NOT NULL,
    date_missing    INTEGER NOT NULL,
    fetches         INTEGER NOT NULL,
    failed_fetches  INTEGER NOT NULL
);
-- Tagged stories per ISO week x feed x language (the current tagging's language), and those with each option.
CREATE TABLE trend_stories (
    week        VARCHAR NOT NULL,
    source_url  VARCHAR NOT NULL,
    lang        VARCHAR NOT NULL,
    stories     INTEGER NOT NULL
);
CREATE TABLE trend_option_stories (
    week        VARCHAR NOT NULL,
    source_url  VARCHAR NOT NULL,
    lang        VARCHAR NOT NULL,
    option_id   VARCHAR NOT NULL,
    stories     INTEGER NOT NULL
);
-- Per ISO week x option x actor: tagged stories with the option naming the actor; in_evidence: the option's
-- evidence names the actor; mentions: the actor's mentions in those stories.
CREATE TABLE trend_actor_option (
    week         VARCHAR NOT NULL,
    option_id    VARCHAR NOT NULL,
    actor_id     VARCHAR NOT NULL,
    articles     INTEGER NOT NULL,
    in_evidence  INTEGER NOT NULL,
    mentions     INTEGER NOT NULL
);

-- Backfill (the same counts storage.writes.refresh_trends computes, over every week).
INSERT INTO trend_feed_weeks
SELECT week, source_url, sum(articles), sum(copies), sum(date_missing), sum(fetches), sum(failed)
FROM (
    SELECT week, source_url,
           count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,
           count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies,
           count(*) FILTER (WHERE duplicate_of IS NULL AND date_missing) AS date_missing,
           0 AS fetches, 0 AS failed
    FROM articles GROUP BY week, source_url
    UNION ALL
    SELECT strftime(fetched_at AT TIME ZONE 'UTC', '%G-W%V'), source_url, 0, 0, 0,
           count(*), count(*) FILTER (WHERE error IS NOT NULL)
    FROM fetches GROUP BY ALL
)
GROUP BY week, source_url;

CREATE TEMP TABLE _stories AS
SELECT a.id AS article_id, t.tagger_version, a.week, a.source_url, coalesce(t.lang, a.lang) AS lang
FROM articles a JOIN taggings t ON t.article_id = a.id AND t.is_current
WHERE a.duplicate_of IS NULL;
INSERT INTO trend_stories SELECT week, source_url, lang, count(*) FROM _stories GROUP BY ALL;
INSERT INTO trend_option_stories
SELECT s.week, s.source_url, s.lang, o.option_id, count(*)
FROM _stories s JOIN option_tags o ON o.article_id = s.article_id AND o.tagger_version = s.tagger_version
GROUP BY ALL;
INSERT INTO trend_actor_option
SELECT s.week, o.option_id, m.actor_id, count(*),
       count(*) FILTER (WHERE list_contains(m.evidence_options, o.option_id)), sum(m.mentions)
FROM _stories s
JOIN option_tags o ON o.article_id = s.article_id AND o.tagger_version = s.tagger_version
JOIN actor_mentions m ON m.article_id = s.article_id AND m.tagger_version = s.tagger_version
GROUP BY ALL;
DROP TABLE _stories;
