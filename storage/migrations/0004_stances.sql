-- Stances: positions the tagger attributes to an actor on an option (support | oppose), per article and tagger
-- version, with the one sentence that shows each. Replaced with the article's other tags by write_tags.
CREATE TABLE stances (
    article_id        VARCHAR NOT NULL,
    tagger_version    VARCHAR NOT NULL,
    taxonomy_version  VARCHAR NOT NULL,
    actor_id          VARCHAR NOT NULL,
    option_id         VARCHAR NOT NULL,
    stance            VARCHAR NOT NULL CHECK (stance IN ('support', 'oppose')),
    score             DOUBLE NOT NULL,
    evidence          VARCHAR NOT NULL,
    PRIMARY KEY (article_id, tagger_version, actor_id, option_id)
);
