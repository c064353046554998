-- Trend views. They count stories, not copies (tagged_articles drops duplicate_of IS NOT NULL), and read each
-- article's current tagging only. ISO week strings ('2026-W47') sort in time order.

-- Every ISO week from the first to the last week with an article, with no gaps: the time axis of the trends.
CREATE OR REPLACE VIEW trend_weeks AS
WITH bounds AS (
    SELECT date_trunc('week', min(published_at) AT TIME ZONE 'UTC') AS lo,
           date_trunc('week', max(published_at) AT TIME ZONE 'UTC') AS hi
    FROM articles
), starts AS (
    SELECT unnest(generate_series(lo, hi, INTERVAL 7 DAY)) AS ws FROM bounds WHERE lo IS NOT NULL
)
SELECT strftime(ws, '%G-W%V') AS week, ws::DATE AS week_start, strftime(ws - INTERVAL 7 DAY, '%G-W%V') AS prev_week
FROM starts;
COMMENT ON VIEW trend_weeks IS
'Every ISO week (UTC) from the first to the last week with an article, gaps included: week, week_start (Monday), prev_week.';

-- Weekly count and share of tagged stories that discuss each option; every option appears every week.
CREATE OR REPLACE VIEW weekly_option_share AS
WITH totals AS (
    SELECT week, count(*) AS n FROM tagged_articles GROUP BY week
), counts AS (
    SELECT week, option_id, count(*) AS n FROM current_option_tags GROUP BY week, option_id
), options AS (
    SELECT DISTINCT option_id FROM option_tags
)
SELECT w.week, o.option_id,
       coalesce(c.n, 0) AS articles,
       coalesce(t.n, 0) AS total_articles,
       CASE WHEN t.n > 0 THEN round(coalesce(c.n, 0) / t.n, 4) ELSE 0.0 END AS share
FROM trend_weeks w
CROSS JOIN options o
LEFT JOIN totals t ON t.week = w.week
LEFT JOIN counts c ON c.week = w.week AND c.option_id = o.option_id;
COMMENT ON VIEW weekly_option_share IS
'Per ISO week x option: articles = tagged stories with the option (copies excluded), total_articles = tagged stories that week, share = articles / total_articles (raw). Every week from the first to the last is present, a week with no stories as 0; every option every week.';

-- Per outlet (or language) and week: the share is within that outlet's (language's) tagged stories that week.
-- Rows exist for each week an outlet has tagged stories, with every option (0 when none).
CREATE OR REPLACE VIEW weekly_option_by_source AS
WITH totals AS (
    SELECT week, source_url, any_value(source_name) AS source_name, count(*) AS n
    FROM tagged_articles GROUP BY week, source_url
), counts AS (
    SELECT week, source_url, option_id, count(*) AS n FROM current_option_tags GROUP BY ALL
), options AS (
    SELECT DISTINCT option_id FROM option_tags
)
SELECT t.week, t.source_url, t.source_name, o.option_id,
       coalesce(c.n, 0) AS articles, t.n AS total_articles, round(coalesce(c.n, 0) / t.n, 4) AS share
FROM totals t
CROSS JOIN options o
LEFT JOIN counts c ON c.week = t.week AND c.source_url = t.source_url AND c.option_id = o.option_id;
COMMENT ON VIEW weekly_option_by_source IS
'Per ISO week x outlet x option: articles = the outlet''s tagged stories with the option, total_articles = the outlet''s tagged stories that week, share = articles / total_articles. Only weeks in which the outlet has tagged stories; every option in those.';

CREATE OR REPLACE VIEW weekly_option_by_lang AS
WITH totals AS (
    SELECT week, lang, count(*) AS n FROM tagged_articles GROUP BY week, lang
), counts AS (
    SELECT week, lang, option_id, count(*) AS n FROM current_option_tags GROUP BY ALL
), options AS (
    SELECT DISTINCT option_id FROM option_tags
)
SELECT t.week, t.lang, o.option_id,
       coalesce(c.n, 0) AS articles, t.n AS total_articles, round(coalesce(c.n, 0) / t.n, 4) AS share
FROM totals t
CROSS JOIN options o
LEFT JOIN counts c ON c.week = t.week AND c.lang IS NOT DISTINCT FROM t.lang AND c.option_id = o.option_id;
COMMENT ON VIEW weekly_option_by_lang IS
'Per ISO week x language x option: articles = tagged stories in that language with the option, total_articles = tagged stories in that language that week, share = articles / total_articles. Only weeks with stories in the language; every option in those.';

-- Weekly option counts per source and per language (the older, narrower form of the two views above).
CREATE OR REPLACE VIEW weekly_source_option AS
SELECT week, source_name, lang, option_id, count(*) AS articles
FROM current_option_tags
GROUP BY ALL;
COMMENT ON VIEW weekly_source_option IS
'Per ISO week x outlet name x language x option: articles = tagged stories (copies excluded). Only non-zero rows; see weekly_option_by_source and weekly_option_by_lang for shares.';

-- Weekly actor x option: articles tagged with the option that name the actor,
-- and how many of those name the actor inside the option's evidence.
CREATE OR REPLACE VIEW weekly_actor_option AS
SELECT ta.week, o.option_id, m.actor_id,
       count(*) AS articles,
       count(*) FILTER (WHERE list_contains(m.evidence_options, o.option_id)) AS in_evidence,
       sum(m.mentions) AS mentions
FROM tagged_articles ta
JOIN option_tags o ON o.article_id = ta.article_id AND o.tagger_version = ta.tagger_version
JOIN actor_mentions m ON m.article_id = ta.article_id AND m.tagger_version = ta.tagger_version
GROUP BY ALL;
COMMENT ON VIEW weekly_actor_option IS
'Per ISO week x option x actor: articles = tagged stories with the option that name the actor, in_evidence = those whose evidence for the option names the actor, mentions = total mentions of the actor in them. Only non-zero rows.';

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
COMMENT ON VIEW feed_health IS
'Per feed, now: status (ok | failing | backing off | never fetched), last fetch and success, consecutive failures, last error and warning, items per fetch and latency over 7 days, backoff_until, fetches/failures/new items over 7 days, items seen, articles, copies, rejected items. See weekly_feed_health for history.';
