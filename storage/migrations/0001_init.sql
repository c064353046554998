-- Sources and their fetch health.
CREATE TABLE sources (
    url                  VARCHAR PRIMARY KEY,
    name                 VARCHAR NOT NULL,
    lang                 VARCHAR,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    last_fetch_at        TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    last_error           VARCHAR,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_items           INTEGER,
    last_latency_ms      DOUBLE
);

-- One row per fetch attempt, so health can be read over time.
CREATE TABLE fetches (
    source_url  VARCHAR NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL,
    status      INTEGER,
    items       INTEGER NOT NULL DEFAULT 0,
    new_items   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    latency_ms  DOUBLE,
    error       VARCHAR,
    PRIMARY KEY (source_url, fetched_at)
);

-- id = hash of the canonical URL.
CREATE TABLE articles (
    id            VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,
    source_url    VARCHAR NOT NULL,
    title         VARCHAR NOT NULL,
    summary       VARCHAR NOT NULL,
    body          VARCHAR NOT NULL DEFAULT '',
    published_at  TIMESTAMPTZ NOT NULL,
    date_missing  BOOLEAN NOT NULL DEFAULT false,
    fetched_at    TIMESTAMPTZ NOT NULL,
    lang          VARCHAR,
    content_hash  VARCHAR NOT NULL
);

-- Items a feed carried that did not become articles, and why.
CREATE TABLE rejections (
    source_url  VARCHAR NOT NULL,
    item_key    VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_url, item_key)
);

-- One row per article and tagger version: the article was tagged, whatever was found.
CREATE TABLE taggings (
    article_id        VARCHAR NOT NULL,
    tagger_version    VARCHAR NOT NULL,
    taxonomy_version  VARCHAR NOT NULL,
    lang              VARCHAR NOT NULL,
    tagged_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, tagger_version)
);

CREATE TABLE option_tags (
    article_id        VARCHAR NOT NULL,
    tagger_version    VARCHAR NOT NULL,
    taxonomy_version  VARCHAR NOT NULL,
    option_id         VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    PRIMARY KEY (article_id, tagger_version, option_id)
);

CREATE TABLE evidence (
    article_id        VARCHAR NOT NULL,
    tagger_version    VARCHAR NOT NULL,
    option_id         VARCHAR NOT NULL,
    rank              INTEGER NOT NULL,
    sentence          VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    PRIMARY KEY (article_id, tagger_version, option_id, rank)
);

CREATE TABLE actor_mentions (
    article_id        VARCHAR NOT NULL,
    tagger_version    VARCHAR NOT NULL,
    taxonomy_version  VARCHAR NOT NULL,
    actor_id          VARCHAR NOT NULL,
    mentions          INTEGER NOT NULL,
    evidence_options  VARCHAR[] NOT NULL,
    PRIMARY KEY (article_id, tagger_version, actor_id)
);
