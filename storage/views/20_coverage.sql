-- Coverage per week: which feeds were live, failing or silent, and option shares normalised over the feeds
-- live in both weeks compared, so a share does not jump only because a feed went down or was added.

-- Per ISO week x feed, from the feed's first week with an article or a fetch on. A week of a feed is
--   live     it has articles (stories or copies) published that week, or a fetch that week succeeded;
--   failing  a fetch that week failed (see ok_fetches / failed_fetches for how many);
--   silent   it has no article that week although it had articles in at least 3 of the previous 4 weeks.
-- Weeks are the trend_weeks (zero-filled between the first and last article) plus any week with a fetch.
CREATE OR REPLACE VIEW weekly_feed_health AS
WITH arts AS (
    SELECT week, source_url,
           count(*) AS all_articles,
           count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,
           count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies,
           count(*) FILTER (WHERE duplicate_of IS NULL AND date_missing) AS date_missing
    FROM articles GROUP BY week, source_url
), tagged AS (
    SELECT week, source_url, count(*) AS n FROM tagged_articles GROUP BY week, source_url
), fet AS (
    SELECT strftime(fetched_at AT TIME ZONE 'UTC', '%G-W%V') AS week, source_url,
           any_value(date_trunc('week', fetched_at AT TIME ZONE 'UTC'))::DATE AS week_start,
           count(*) AS fetches, count(*) FILTER (WHERE error IS NOT NULL) AS failed
    FROM fetches GROUP BY ALL
), weeks AS (
    SELECT week, week_start FROM trend_weeks
    UNION
    SELECT week, week_start FROM fet
), first_seen AS (
    SELECT source_url, min(week) AS first_week
    FROM (SELECT week, source_url FROM arts UNION ALL SELECT week, source_url FROM fet)
    GROUP BY source_url
), grid AS (
    SELECT w.week, w.week_start, f.source_url,
           coalesce(x.all_articles, 0) AS all_articles, coalesce(x.articles, 0) AS articles,
           coalesce(x.copies, 0) AS copies, coalesce(x.date_missing, 0) AS date_missing,
           coalesce(t.n, 0) AS tagged,
           coalesce(fe.fetches, 0) AS fetches, coalesce(fe.failed, 0) AS failed_fetches
    FROM weeks w
    JOIN first_seen f ON w.week >= f.first_week
    LEFT JOIN arts x ON x.week = w.week AND x.source_url = f.source_url
    LEFT JOIN tagged t ON t.week = w.week AND t.source_url = f.source_url
    LEFT JOIN fet fe ON fe.week = w.week AND fe.source_url = f.source_url
)
SELECT g.week, g.source_url, s.name AS source_name,
       g.articles, g.copies, g.date_missing, g.tagged,
       g.fetches, g.fetches - g.failed_fetches AS ok_fetches, g.failed_fetches,
       g.all_articles > 0 OR g.fetches > g.failed_fetches AS live,
       g.failed_fetches > 0 AS failing,
       g.all_articles = 0 AND coalesce(sum((g.all_articles > 0)::INTEGER) OVER (
           PARTITION BY g.source_url ORDER BY g.week_start
           RANGE BETWEEN INTERVAL 28 DAY PRECEDING AND INTERVAL 1 DAY PRECEDING), 0) >= 3 AS silent
FROM grid g
LEFT JOIN sources s ON s.url = g.source_url;
COMMENT ON VIEW weekly_feed_health IS
'Per ISO week x feed (from its first week with an article or fetch): articles = stories published that week (copies excluded), copies, date_missing = stories whose feed gave no date, tagged = tagged stories, fetches / ok_fetches / failed_fetches made that week. live = the feed had articles (stories or copies) that week or a successful fetch; failing = at least one fetch that week failed; silent = no article that week although it had articles in at least 3 of the previous 4 weeks.';

CREATE OR REPLACE VIEW weekly_coverage AS
SELECT week,
       count(*) AS sources,
       count(*) FILTER (WHERE live) AS sources_live,
       count(*) FILTER (WHERE failing) AS sources_failing,
       count(*) FILTER (WHERE silent) AS sources_silent,
       sum(articles) AS articles,
       sum(copies) AS copies,
       sum(date_missing) AS date_missing,
       sum(tagged) AS tagged,
       sum(fetches) AS fetches,
       sum(failed_fetches) AS failed_fetches
FROM weekly_feed_health
GROUP BY week;
COMMENT ON VIEW weekly_coverage IS
'Per ISO week: sources = feeds known by then (had an article or fetch in or before that week), sources_live / sources_failing / sources_silent as defined in weekly_feed_health (live = articles that week or a successful fetch), articles = stories (copies excluded), copies, date_missing = stories with no feed date, tagged = tagged stories, fetches, failed_fetches.';

-- Week-over-week change per option. The raw pair compares all tagged stories of each week; the norm_ pair
-- compares only stories from the feeds live in both weeks, so a feed that went down or was added does not
-- move it.
CREATE OR REPLACE VIEW weekly_option_change AS
WITH live AS (
    SELECT week, source_url FROM weekly_feed_health WHERE live
), live_count AS (
    SELECT week, count(*) AS n FROM live GROUP BY week
), common AS (
    SELECT w.week, w.prev_week, l.source_url
    FROM trend_weeks w
    JOIN live l ON l.week = w.week
    JOIN live p ON p.week = w.prev_week AND p.source_url = l.source_url
), common_count AS (
    SELECT week, count(*) AS n FROM common GROUP BY week
), sides AS (
    SELECT week, week AS at_week, source_url, true AS cur FROM common
    UNION ALL
    SELECT week, prev_week AS at_week, source_url, false AS cur FROM common
), src AS (
    SELECT week, source_url, count(*) AS n FROM tagged_articles GROUP BY week, source_url
), src_opt AS (
    SELECT week, source_url, option_id, count(*) AS n FROM current_option_tags GROUP BY week, source_url, option_id
), norm_total AS (
    SELECT x.week, sum(s.n) FILTER (WHERE x.cur) AS cur_n, sum(s.n) FILTER (WHERE NOT x.cur) AS prev_n
    FROM sides x JOIN src s ON s.week = x.at_week AND s.source_url = x.source_url
    GROUP BY x.week
), norm_opt AS (
    SELECT x.week, s.option_id, sum(s.n) FILTER (WHERE x.cur) AS cur_n, sum(s.n) FILTER (WHERE NOT x.cur) AS prev_n
    FROM sides x JOIN src_opt s ON s.week = x.at_week AND s.source_url = x.source_url
    GROUP BY x.week, s.option_id
), joined AS (
    SELECT w.week, w.prev_week, s.option_id,
           s.articles, p.articles AS prev_articles, s.share, p.share AS prev_share,
           coalesce(no.cur_n, 0) AS norm_articles, coalesce(no.prev_n, 0) AS norm_prev_articles,
           coalesce(nt.cur_n, 0) AS norm_total, coalesce(nt.prev_n, 0) AS norm_prev_total,
           coalesce(cc.n, 0) AS common_sources, coalesce(lc.n, 0) AS sources_live,
           coalesce(lp.n, 0) AS prev_sources_live
    FROM trend_weeks w
    JOIN weekly_option_share s ON s.week = w.week
    LEFT JOIN weekly_option_share p ON p.week = w.prev_week AND p.option_id = s.option_id
    LEFT JOIN norm_total nt ON nt.week = w.week
    LEFT JOIN norm_opt no ON no.week = w.week AND no.option_id = s.option_id
    LEFT JOIN common_count cc ON cc.week = w.week
    LEFT JOIN live_count lc ON lc.week = w.week
    LEFT JOIN live_count lp ON lp.week = w.prev_week
)
SELECT week, prev_week, option_id,
       articles, prev_articles, share, prev_share, round(share - prev_share, 4) AS share_change,
       norm_articles, norm_prev_articles,
       CASE WHEN norm_total > 0 THEN round(norm_articles / norm_total, 4) END AS norm_share,
       CASE WHEN norm_prev_total > 0 THEN round(norm_prev_articles / norm_prev_total, 4) END AS norm_prev_share,
       CASE WHEN norm_total > 0 AND norm_prev_total > 0
            THEN round(norm_articles / norm_total - norm_prev_articles / norm_prev_total, 4) END AS norm_share_change,
       common_sources, sources_live, prev_sources_live
FROM joined;
COMMENT ON VIEW weekly_option_change IS
'Per ISO week x option, against the week before (prev_week). Raw: articles, prev_articles, share, prev_share, share_change = share - prev_share, over all tagged stories (copies excluded); prev_* are NULL for the first week. Normalised: norm_articles, norm_prev_articles, norm_share, norm_prev_share, norm_share_change, counted only over the common_sources, the feeds live in both weeks (live = articles that week or a successful fetch), so a feed going down or being added does not move them; NULL when no common feed has tagged stories. sources_live, prev_sources_live: feeds live in each week.';
