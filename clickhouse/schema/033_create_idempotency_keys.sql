-- First answers of POST /v1/events/{stream} requests sent with an Idempotency-Key, replayed to a
-- retry with the same key for 24 h (docs/events.md). Used when REDIS_URL is unset; with Redis the
-- answers live there and every replica shares them. scope = hash of (token subject, stream, key).
CREATE TABLE IF NOT EXISTS idempotency_keys
(
    scope       String,
    fingerprint String,
    answer      String,
    stored_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY scope
TTL toDateTime(stored_at) + INTERVAL 25 HOUR;
