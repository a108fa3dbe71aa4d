-- Every line we could not accept, with the reason, so nothing sent to us vanishes.
-- Written by the HTTP ingestion (validation failures) and, in Kafka mode, by the
-- Kafka engine's error stream (messages ClickHouse itself could not parse).
CREATE TABLE IF NOT EXISTS dead_letters
(
    stream        LowCardinality(String),
    raw           String,
    error_code    LowCardinality(String),
    error_message String,
    source        LowCardinality(String) DEFAULT 'http',
    received_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (stream, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY;
