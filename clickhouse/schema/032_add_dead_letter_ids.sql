-- Dead letters get an id, so an admin can list them page by page and replay one
-- (POST /api/v1/dead-letters/replay). The id is a hash of the letter, so rows written before
-- this column existed get the same id on every read; new rows store it on insert.
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS id String
    DEFAULT lower(hex(sipHash128(stream, raw, error_code, error_message, source, received_at)));

-- One row per dead letter replayed and stored: a second replay of the same id is refused
-- (already_replayed), so a replayed line is never counted twice. Kept as long as dead letters.
CREATE TABLE IF NOT EXISTS dead_letter_replays
(
    id          String,
    stream      LowCardinality(String),
    -- 'as_stored' (replayed by id after a schema fix) or 'corrected' (sent again, fixed)
    how         LowCardinality(String),
    replayed_by String,
    replayed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY id
TTL toDateTime(replayed_at) + INTERVAL 31 DAY;
