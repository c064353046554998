-- Weekly count and share of tagged articles that discuss each option; every option appears every week.
CREATE OR REPLACE VIEW weekly_option_share AS
WITH weeks AS (
    SELECT week, count(*) AS total_articles FROM tagged_articles GROUP BY week
), options AS (
    SELECT DISTINCT option_id FROM option_tags
), counts AS (
    SELECT week, option_id, count(*) AS articles FROM current_option_tags GROUP BY week, option_id
)
SELECT w.week, o.option_id,
       coalesce(c.articles, 0) AS articles,
       w.total_articles,
       round(coalesce(c.articles, 0) / w.total_articles, 4) AS share
FROM weeks w CROSS JOIN options o
LEFT JOIN counts c ON c.week = w.week AND c.option_id = o.option_id;

-- Weekly actor x option: articles tagged with the option that name the actor,
-- and how many of those name the actor inside the option's evidence.
CREATE OR REPLACE VIEW weekly_actor_option AS
SELECT o.week, o.option_id, m.actor_id,
       count(*) AS articles,
       count(*) FILTER (WHERE list_contains(m.evidence_options, o.option_id)) AS in_evidence,
       sum(m.mentions) AS mentions
FROM current_option_tags o
JOIN current_actor_mentions m ON m.article_id = o.article_id
GROUP BY ALL;

-- Weekly option counts per source and per language.
CREATE OR REPLACE VIEW weekly_source_option AS
SELECT week, source_name, lang, option_id, count(*) AS articles
FROM current_option_tags
GROUP BY ALL;

-- Per feed: the latest state plus 7-day fetch totals.
CREATE OR REPLACE VIEW feed_health AS
SELECT s.name, s.url, s.last_fetch_at, s.last_success_at, s.consecutive_failures, s.last_error,
       s.last_items, s.last_latency_ms,
       (SELECT count(*) FROM articles a WHERE a.source_url = s.url) AS articles,
       (SELECT count(*) FROM rejections r WHERE r.source_url = s.url) AS rejected
FROM sources s;
