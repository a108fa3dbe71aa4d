-- Fired alerts, one row each, append-only: the history API, SSE resumption (Last-Event-ID)
-- and the WebSocket alerts channel's snapshots read it. seq orders delivery: microseconds
-- since the epoch when the gateway recorded the alert, strictly increasing per gateway.
-- value is what fired the rule; at is the time of the row it was read from.
CREATE TABLE IF NOT EXISTS alerts
(
    owner      String,
    seq        UInt64,
    id         UUID,
    rule_id    UUID,
    rule_name  String,
    channel    LowCardinality(String),
    params     String,
    entity     String,
    condition  String,
    value      Float64,
    at         DateTime64(3, 'UTC'),
    fired_at   DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(fired_at)
ORDER BY (owner, seq)
TTL toDateTime(fired_at) + INTERVAL 90 DAY;
