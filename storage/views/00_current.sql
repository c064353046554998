-- The latest tagging of each article: trends read tags through this, so a re-tag replaces old tags.
-- Reads the is_current marker that storage.writes.write_tags maintains (migration 0003), not a window.
CREATE OR REPLACE VIEW current_taggings AS
SELECT article_id, tagger_version, taxonomy_version, lang, tagged_at
FROM taggings
WHERE is_current;
COMMENT ON VIEW current_taggings IS
'One row per tagged article: its current tagging (the latest written; taggings.is_current). Older tagger versions stay in taggings but are not current.';

-- Articles with their ISO week (e.g. 2026-W47) and the language the tagger settled on.
CREATE OR REPLACE VIEW tagged_articles AS
SELECT a.id AS article_id, a.url, a.title, a.source_url, s.name AS source_name,
       a.published_at,
       a.week,
       coalesce(t.lang, a.lang) AS lang,
       t.tagger_version, t.taxonomy_version, a.date_missing
FROM articles a
JOIN current_taggings t ON t.article_id = a.id
LEFT JOIN sources s ON s.url = a.source_url
-- Trends count stories, not copies: a syndicated copy points to its canonical article.
WHERE a.duplicate_of IS NULL;
COMMENT ON VIEW tagged_articles IS
'Tagged stories (copies, i.e. articles with duplicate_of set, excluded) with ISO week (UTC, e.g. 2026-W47), outlet, language and current tagger version. Join stored tags on (article_id, tagger_version) to follow the current tagging.';

CREATE OR REPLACE VIEW current_option_tags AS
SELECT o.article_id, o.option_id, o.score, ta.week, ta.lang, ta.source_name, ta.published_at, ta.source_url
FROM option_tags o
JOIN tagged_articles ta ON ta.article_id = o.article_id AND ta.tagger_version = o.tagger_version;
COMMENT ON VIEW current_option_tags IS
'Option tags of the current tagging of each story (copies excluded), with week, language and outlet.';

CREATE OR REPLACE VIEW current_actor_mentions AS
SELECT m.article_id, m.actor_id, m.mentions, m.evidence_options, ta.week
FROM actor_mentions m
JOIN tagged_articles ta ON ta.article_id = m.article_id AND ta.tagger_version = m.tagger_version;
COMMENT ON VIEW current_actor_mentions IS
'Actor mentions of the current tagging of each story (copies excluded), with week. evidence_options: options whose evidence sentences name the actor.';
