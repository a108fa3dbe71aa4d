-- requires: kafka
-- Kafka is now consumed by Livehouse itself (ingest/kafka-consumer.ts, in the same consumer group,
-- so it continues from the offsets the engine committed): every message goes through the same
-- validation as HTTP ingestion and is stored exactly once. The Kafka engine tables and their views
-- from 010_create_kafka_ingestion.sql would consume the same messages a second time: dropped.
DROP VIEW IF EXISTS mv_trades_from_kafka_trades;
DROP VIEW IF EXISTS mv_dead_letters_from_kafka_trades;
DROP TABLE IF EXISTS kafka_trades;
DROP NAMED COLLECTION IF EXISTS kafka_trades_source;
DROP VIEW IF EXISTS mv_orders_from_kafka_orders;
DROP VIEW IF EXISTS mv_dead_letters_from_kafka_orders;
DROP TABLE IF EXISTS kafka_orders;
DROP NAMED COLLECTION IF EXISTS kafka_orders_source;
DROP VIEW IF EXISTS mv_web_events_from_kafka_web_events;
DROP VIEW IF EXISTS mv_dead_letters_from_kafka_web_events;
DROP TABLE IF EXISTS kafka_web_events;
DROP NAMED COLLECTION IF EXISTS kafka_web_events_source;
