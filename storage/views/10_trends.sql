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

-- Per feed: the latest state plus 7-day fetch totals. Read it with `pledgewatch sources`, or with SQL.
--   status          ok | failing | backing off | never fetched
--   items_per_fetch average items per full (non-304) successful fetch over 7 days
--   avg_latency_ms  average over 7 days; last_latency_ms is the latest fetch
--   backoff_until   no fetch before this time (after failures, or the server's Retry-After)
CREATE OR REPLACE VIEW feed_health AS
WITH recent AS (
    SELECT source_url,
           count(*) AS fetches_7d,
           count(*) FILTER (WHERE error IS NOT NULL) AS failures_7d,
           count(*) FILTER (WHERE status = 304) AS not_modified_7d,
           avg(items) FILTER (WHERE error IS NULL AND coalesce(status, 200) <> 304) AS items_per_fetch,
           avg(latency_ms) AS avg_latency_ms,
           sum(new_items) AS new_items_7d
    FROM fetches
    WHERE fetched_at >= now() - INTERVAL 7 DAY
    GROUP BY source_url
)
SELECT s.name, s.url,
       CASE WHEN s.last_fetch_at IS NULL THEN 'never fetched'
            WHEN s.next_fetch_after > now() THEN 'backing off'
            WHEN s.consecutive_failures > 0 THEN 'failing'
            ELSE 'ok' END AS status,
       s.last_fetch_at, s.last_success_at, s.last_status, s.consecutive_failures, s.last_error, s.last_warning,
       s.last_items, round(r.items_per_fetch, 1) AS items_per_fetch,
       s.last_latency_ms, round(r.avg_latency_ms, 1) AS avg_latency_ms,
       s.next_fetch_after AS backoff_until,
       coalesce(s.consecutive_304, 0) AS consecutive_304, s.last_200_at,
       coalesce(r.fetches_7d, 0) AS fetches_7d, coalesce(r.failures_7d, 0) AS failures_7d,
       coalesce(r.new_items_7d, 0) AS new_items_7d,
       (SELECT count(*) FROM feed_items f WHERE f.source_url = s.url) AS items_seen,
       (SELECT count(*) FROM articles a WHERE a.source_url = s.url) AS articles,
       (SELECT count(*) FROM articles a WHERE a.source_url = s.url AND a.duplicate_of IS NOT NULL) AS copies,
       (SELECT count(*) FROM rejections j WHERE j.source_url = s.url) AS rejected
FROM sources s
LEFT JOIN recent r ON r.source_url = s.url;
