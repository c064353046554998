-- Ingest that survives the real web: dedup, full text, per-feed politeness state, and which feed carried what.

-- Dedup: a copy points to the canonical article; the MinHash signature lets later runs compare against it.
ALTER TABLE articles ADD COLUMN duplicate_of VARCHAR;
ALTER TABLE articles ADD COLUMN minhash UINTEGER[];
-- Full text: NULL when the source does not ask for it, 'ok' when body came from the page, else why not.
ALTER TABLE articles ADD COLUMN full_text_status VARCHAR;

-- Conditional GET fallback and backoff.
ALTER TABLE sources ADD COLUMN consecutive_304 INTEGER DEFAULT 0;
ALTER TABLE sources ADD COLUMN last_200_at TIMESTAMPTZ;
ALTER TABLE sources ADD COLUMN next_fetch_after TIMESTAMPTZ;
ALTER TABLE sources ADD COLUMN last_status INTEGER;
ALTER TABLE sources ADD COLUMN last_warning VARCHAR;

ALTER TABLE fetches ADD COLUMN conditional BOOLEAN;
ALTER TABLE fetches ADD COLUMN warning VARCHAR;

-- Every feed that carried an article, so one story in two feeds is accounted for in both.
CREATE TABLE feed_items (
    source_url     VARCHAR NOT NULL,
    article_id     VARCHAR NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_url, article_id)
);
INSERT INTO feed_items SELECT source_url, id, fetched_at FROM articles;
