-- Storefront funnel per shop, minute and product: event counts per step and distinct
-- sessions. Events without a product (cart-wide checkout, landing views) have product_id ''.
-- Steps are counted as reached, not in order; a strict ordered funnel reads web_events.
CREATE TABLE IF NOT EXISTS funnel_1m
(
    shop_id              LowCardinality(String),
    bucket               DateTime('UTC'),
    product_id           String,
    views                SimpleAggregateFunction(sum, UInt64),
    add_to_cart          SimpleAggregateFunction(sum, UInt64),
    checkout             SimpleAggregateFunction(sum, UInt64),
    purchase             SimpleAggregateFunction(sum, UInt64),
    sessions             AggregateFunction(uniqExact, String),
    -- Sessions reaching each step: conversion by sessions, exact across products and buckets.
    view_sessions        AggregateFunction(uniqExact, String),
    add_to_cart_sessions AggregateFunction(uniqExact, String),
    checkout_sessions    AggregateFunction(uniqExact, String),
    purchase_sessions    AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (shop_id, bucket, product_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_funnel_1m_from_web_events TO funnel_1m AS
SELECT
    shop_id,
    toStartOfMinute(ts) AS bucket,
    product_id,
    countIf(type = 'view') AS views,
    countIf(type = 'add_to_cart') AS add_to_cart,
    countIf(type = 'checkout') AS checkout,
    countIf(type = 'purchase') AS purchase,
    uniqExactState(session_id) AS sessions,
    -- -StateIf (not -IfState) keeps the plain AggregateFunction(uniqExact, String) state type.
    uniqExactStateIf(session_id, type = 'view') AS view_sessions,
    uniqExactStateIf(session_id, type = 'add_to_cart') AS add_to_cart_sessions,
    uniqExactStateIf(session_id, type = 'checkout') AS checkout_sessions,
    uniqExactStateIf(session_id, type = 'purchase') AS purchase_sessions
FROM web_events
GROUP BY shop_id, bucket, product_id;
