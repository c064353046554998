-- Stances of each article's current tagging, with the article's week, link and outlet.
CREATE OR REPLACE VIEW current_stances AS
SELECT s.article_id, s.actor_id, s.option_id, s.stance, s.score, s.evidence,
       ta.week, ta.published_at, ta.url, ta.title, ta.source_name, ta.lang
FROM stances s
JOIN tagged_articles ta ON ta.article_id = s.article_id AND ta.tagger_version = s.tagger_version;
COMMENT ON VIEW current_stances IS 'Stance triples (actor, option, support|oppose) of each article''s current tagging, with evidence sentence, ISO week, url and outlet; copies excluded.';

-- Per ISO week x actor x option: how many articles report the actor supporting and opposing the option.
CREATE OR REPLACE VIEW weekly_actor_stance AS
SELECT week, actor_id, option_id,
       count(*) FILTER (WHERE stance = 'support') AS support,
       count(*) FILTER (WHERE stance = 'oppose') AS oppose,
       count(*) FILTER (WHERE stance = 'support') - count(*) FILTER (WHERE stance = 'oppose') AS net,
       -- net / articles, from -1 (only opposes) to +1 (only supports)
       round((count(*) FILTER (WHERE stance = 'support') - count(*) FILTER (WHERE stance = 'oppose')) / count(*), 3)
           AS position
FROM current_stances
GROUP BY ALL;
COMMENT ON VIEW weekly_actor_stance IS 'Per ISO week x actor x option: articles reporting support and oppose, net = support - oppose, position = net / articles (-1..+1).';

-- An actor's position on an option that differs from its previous recorded one (in publication order),
-- with both evidence sentences and links.
CREATE OR REPLACE VIEW stance_changes AS
WITH ordered AS (
    SELECT actor_id, option_id, stance, evidence, url, title, week, published_at,
           lag(stance) OVER w AS prev_stance, lag(evidence) OVER w AS prev_evidence, lag(url) OVER w AS prev_url,
           lag(title) OVER w AS prev_title, lag(week) OVER w AS prev_week, lag(published_at) OVER w AS prev_published_at
    FROM current_stances
    WINDOW w AS (PARTITION BY actor_id, option_id ORDER BY published_at, article_id)
)
SELECT actor_id, option_id, week, published_at, prev_stance, stance,
       prev_evidence, evidence, prev_url, url, prev_title, title, prev_week, prev_published_at
FROM ordered
WHERE prev_stance IS NOT NULL AND prev_stance <> stance;
COMMENT ON VIEW stance_changes IS 'Changes of position: an actor whose stance on an option differs from its previous recorded one, with both evidence sentences, links and weeks.';
