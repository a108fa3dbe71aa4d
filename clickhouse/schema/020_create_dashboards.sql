-- Saved dashboards of the UI, one row per version: ReplacingMergeTree keeps the highest
-- version per (owner, id) and FINAL drops a dashboard whose latest version is deleted.
-- widgets is the JSON array validated by api/dashboards/schema.ts.
CREATE TABLE IF NOT EXISTS dashboards
(
    owner      String,
    id         UUID,
    name       String,
    widgets    String,
    version    UInt64,
    deleted    UInt8,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (owner, id);
