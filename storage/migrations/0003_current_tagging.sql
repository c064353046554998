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
