-- requires: kafka
-- Kafka ingestion: one Kafka engine table per stream, a materialized view moving its
-- rows into the raw table (so the rollup views fire exactly as on a direct INSERT),
-- and one moving messages ClickHouse could not parse into dead_letters.
-- Applied only when KAFKA_BROKERS is set; {{…}} are substituted by the migrator.
--
-- Settings, chosen for sub-second freshness at 200k+ rows/s on two cores:
-- kafka_flush_interval_ms = 200    the default 7.5 s flush is far too slow for live charts;
--                                  200 ms keeps event → rollup under a second with room to spare.
-- kafka_poll_timeout_ms = 50       a short poll so a quiet topic does not hold a block open.
-- kafka_consumer_reschedule_ms = 100  an idle consumer is back within 100 ms, not 500.
-- kafka_max_block_size = 262144    a block is written at this size or at the flush interval,
--                                  whichever is first: big inserts under load, small when quiet.
-- kafka_num_consumers = 1          one consumer per partition is the ceiling; on two cores one
--                                  consumer per table is enough (raise with partitions, see docs/operations.md).
-- kafka_thread_per_consumer = 1    each consumer flushes on its own thread, so the three streams
--                                  do not wait on each other.
-- kafka_handle_error_mode = 'stream'  a bad message becomes a row with _error set instead of
--                                  stopping the consumer; the second view keeps it in dead_letters.
-- kafka.session_timeout_ms = 6000, kafka.heartbeat_interval_ms = 1000 (librdkafka, through a
--                                  named collection, the only per-table way to pass them): a consumer
--                                  that died without leaving the group (a killed or restarted
--                                  process) is evicted after 6 s; librdkafka's default 45 s kept
--                                  a restarted ClickHouse from consuming for ~40 s.

CREATE NAMED COLLECTION IF NOT EXISTS kafka_trades_source AS
    kafka_broker_list = '{{KAFKA_BROKERS}}', kafka_topic_list = '{{KAFKA_TOPIC_TRADES}}',
    kafka_group_name = '{{KAFKA_GROUP}}', kafka_format = 'JSONEachRow',
    `kafka.session_timeout_ms` = '6000', `kafka.heartbeat_interval_ms` = '1000';

CREATE TABLE IF NOT EXISTS kafka_trades
(
    id String, ts DateTime64(3, 'UTC'), symbol String, price Decimal(18, 8), qty Decimal(18, 8),
    side Enum8('buy' = 1, 'sell' = 2), venue String
)
ENGINE = Kafka(kafka_trades_source)
SETTINGS kafka_flush_interval_ms = 200, kafka_poll_timeout_ms = 50, kafka_consumer_reschedule_ms = 100,
    kafka_max_block_size = 262144, kafka_num_consumers = 1, kafka_thread_per_consumer = 1,
    kafka_handle_error_mode = 'stream';

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_trades_from_kafka_trades TO trades AS
SELECT id, ts, symbol, price, qty, side, venue, now64(3) AS received_at
FROM kafka_trades WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_dead_letters_from_kafka_trades TO dead_letters AS
SELECT 'trades' AS stream, _raw_message AS raw, 'KAFKA_PARSE_ERROR' AS error_code, _error AS error_message,
    'kafka' AS source, now64(3) AS received_at
FROM kafka_trades WHERE length(_error) > 0;

CREATE NAMED COLLECTION IF NOT EXISTS kafka_orders_source AS
    kafka_broker_list = '{{KAFKA_BROKERS}}', kafka_topic_list = '{{KAFKA_TOPIC_ORDERS}}',
    kafka_group_name = '{{KAFKA_GROUP}}', kafka_format = 'JSONEachRow',
    `kafka.session_timeout_ms` = '6000', `kafka.heartbeat_interval_ms` = '1000';

CREATE TABLE IF NOT EXISTS kafka_orders
(
    order_id String, ts DateTime64(3, 'UTC'), shop_id String, customer_id String, product_id String,
    category String, quantity UInt32, unit_price Decimal(18, 4), unit_cost Nullable(Decimal(18, 4)),
    currency FixedString(3), status Enum8('completed' = 1, 'pending' = 2, 'cancelled' = 3, 'refunded' = 4),
    country String
)
ENGINE = Kafka(kafka_orders_source)
SETTINGS kafka_flush_interval_ms = 200, kafka_poll_timeout_ms = 50, kafka_consumer_reschedule_ms = 100,
    kafka_max_block_size = 262144, kafka_num_consumers = 1, kafka_thread_per_consumer = 1,
    kafka_handle_error_mode = 'stream';

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_orders_from_kafka_orders TO orders AS
SELECT order_id, ts, shop_id, customer_id, product_id, category, quantity, unit_price, unit_cost,
    currency, status, country, now64(3) AS received_at
FROM kafka_orders WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_dead_letters_from_kafka_orders TO dead_letters AS
SELECT 'orders' AS stream, _raw_message AS raw, 'KAFKA_PARSE_ERROR' AS error_code, _error AS error_message,
    'kafka' AS source, now64(3) AS received_at
FROM kafka_orders WHERE length(_error) > 0;

CREATE NAMED COLLECTION IF NOT EXISTS kafka_web_events_source AS
    kafka_broker_list = '{{KAFKA_BROKERS}}', kafka_topic_list = '{{KAFKA_TOPIC_WEB_EVENTS}}',
    kafka_group_name = '{{KAFKA_GROUP}}', kafka_format = 'JSONEachRow',
    `kafka.session_timeout_ms` = '6000', `kafka.heartbeat_interval_ms` = '1000';

CREATE TABLE IF NOT EXISTS kafka_web_events
(
    ts DateTime64(3, 'UTC'), session_id String, shop_id String,
    type Enum8('view' = 1, 'add_to_cart' = 2, 'checkout' = 3, 'purchase' = 4),
    customer_id String, product_id String
)
ENGINE = Kafka(kafka_web_events_source)
SETTINGS kafka_flush_interval_ms = 200, kafka_poll_timeout_ms = 50, kafka_consumer_reschedule_ms = 100,
    kafka_max_block_size = 262144, kafka_num_consumers = 1, kafka_thread_per_consumer = 1,
    kafka_handle_error_mode = 'stream';

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_web_events_from_kafka_web_events TO web_events AS
SELECT ts, session_id, shop_id, type, customer_id, product_id, now64(3) AS received_at
FROM kafka_web_events WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_dead_letters_from_kafka_web_events TO dead_letters AS
SELECT 'web_events' AS stream, _raw_message AS raw, 'KAFKA_PARSE_ERROR' AS error_code, _error AS error_message,
    'kafka' AS source, now64(3) AS received_at
FROM kafka_web_events WHERE length(_error) > 0;
