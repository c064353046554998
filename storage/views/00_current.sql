-- The latest tagging of each article: trends read tags through this, so a re-tag replaces old tags.
CREATE OR REPLACE VIEW current_taggings AS
SELECT article_id, tagger_version, taxonomy_version, lang, tagged_at
FROM (
    SELECT *, row_number() OVER (PARTITION BY article_id ORDER BY tagged_at DESC, tagger_version DESC) AS rn
    FROM taggings
) WHERE rn = 1;

-- Articles with their ISO week (e.g. 2026-W47) and the language the tagger settled on.
CREATE OR REPLACE VIEW tagged_articles AS
SELECT a.id AS article_id, a.url, a.title, a.source_url, s.name AS source_name,
       a.published_at,
       strftime(a.published_at AT TIME ZONE 'UTC', '%G-W%V') AS week,
       coalesce(t.lang, a.lang) AS lang,
       t.tagger_version, t.taxonomy_version
FROM articles a
JOIN current_taggings t ON t.article_id = a.id
LEFT JOIN sources s ON s.url = a.source_url
-- Trends count stories, not copies: a syndicated copy points to its canonical article.
WHERE a.duplicate_of IS NULL;

CREATE OR REPLACE VIEW current_option_tags AS
SELECT o.article_id, o.option_id, o.score, ta.week, ta.lang, ta.source_name, ta.published_at
FROM option_tags o
JOIN tagged_articles ta ON ta.article_id = o.article_id AND ta.tagger_version = o.tagger_version;

CREATE OR REPLACE VIEW current_actor_mentions AS
SELECT m.article_id, m.actor_id, m.mentions, m.evidence_options, ta.week
FROM actor_mentions m
JOIN tagged_articles ta ON ta.article_id = m.article_id AND ta.tagger_version = m.tagger_version;
