-- insight_order_risk(shop, range_from, range_to, customer, snapshot): a 0–100 risk score for every
-- order line of one shop in [range_from, range_to) (refund events are returns, not purchases, and
-- are not scored), one customer's or everyone's (customer = ''). A parameterized view read by
-- the order_risk and customer_profile catalog queries and the live `risk` channel.
--
-- Four signals, each turned into a probability-like p in [0, 1) by a logistic curve, combined
-- as a noisy OR: score = round(100 · (1 − Π(1 − p))). A line is flagged at 80.
--   amount:   z of ln(line amount) against the customer's own earlier lines (normal–normal
--             model: their mean shrunk toward the shop's, their spread toward the shop's typical
--             within-customer spread, so a short history counts for little). p = σ(1.5 (z − 4)).
--   velocity: distinct orders of the customer in the 10 minutes up to this line, against their
--             usual pace. p = σ(2.5 (orders − expected − 3.4)): 4 orders in 10 minutes flag alone.
--   country:  a country the customer never ordered from (0.45), 0.85 when fewer than 0.2 % of
--             the shop's other customers ordered from it; a rare country on a first order 0.5.
--   quantity: z of ln(quantity) against the product's lines. p = σ(1.5 (z − 6)).
-- "Earlier" means at least an hour before the line, so a burst of anomalous orders does not
-- become its own baseline; history reaches 365 days back. Shop baselines (mean and spread of
-- amounts, within-customer spread, customers per country, per-product quantities) come from the
-- 30 days before range_to; with snapshot = 1 from the minutely snapshot of the 30 days before its
-- refresh (insights.risk_*, below) when it holds the shop: the baselines cost a scan of a
-- month of the shop's lines, the rest only the customers in range.
CREATE DATABASE IF NOT EXISTS insights ENGINE = Atomic;

-- Shop baselines of the last 30 days for every shop, refreshed every minute (see 023 for why an
-- Atomic database). The same aggregates as the live path in the view below.
CREATE MATERIALIZED VIEW IF NOT EXISTS insights.risk_baselines
REFRESH EVERY 1 MINUTE
ENGINE = MergeTree ORDER BY shop_id
AS SELECT now64(3, 'UTC') AS computed_at, shop_id,
    ifNotFinite(sum(sx) / sum(n), 0) AS mu, ifNotFinite(greatest(sum(sxx) / sum(n) - mu * mu, 0), 1) AS var,
    ifNotFinite(avgIf(v, n >= 3), var / 2) AS within_var, count() AS customers
FROM
(
    SELECT shop_id, customer_id, count() AS n, sum(x) AS sx, sum(x * x) AS sxx, varPop(x) AS v
    FROM (SELECT shop_id, customer_id, ln(greatest(quantity * toFloat64(unit_price), 0.01)) AS x FROM default.orders
          WHERE status != 'refunded' AND ts >= now64(3, 'UTC') - INTERVAL 30 DAY AND ts < now64(3, 'UTC'))
    GROUP BY shop_id, customer_id
)
GROUP BY shop_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS insights.risk_countries
REFRESH EVERY 1 MINUTE
ENGINE = MergeTree ORDER BY (shop_id, country)
AS SELECT now64(3, 'UTC') AS computed_at, shop_id, country, uniqExact(customer_id) AS customers
FROM default.orders
WHERE status != 'refunded' AND ts >= now64(3, 'UTC') - INTERVAL 30 DAY AND ts < now64(3, 'UTC')
GROUP BY shop_id, country;

CREATE MATERIALIZED VIEW IF NOT EXISTS insights.risk_products
REFRESH EVERY 1 MINUTE
ENGINE = MergeTree ORDER BY (shop_id, product_id)
AS SELECT now64(3, 'UTC') AS computed_at, shop_id, product_id, avg(ln(quantity)) AS q_mu, stddevPop(ln(quantity)) AS q_sigma, count() AS q_lines
FROM default.orders
WHERE status != 'refunded' AND quantity > 0 AND ts >= now64(3, 'UTC') - INTERVAL 30 DAY AND ts < now64(3, 'UTC')
GROUP BY shop_id, product_id;

CREATE VIEW IF NOT EXISTS insight_order_risk AS
WITH
    -- Constant for the query (the scalar subquery runs first): the side not used reads nothing.
    {snapshot:UInt8} = 1 AND (SELECT count() FROM insights.risk_baselines WHERE shop_id = {shop:String}) > 0 AS from_snapshot,
    lines30 AS (
        SELECT customer_id, product_id, country, quantity, ln(greatest(quantity * toFloat64(unit_price), 0.01)) AS x
        FROM orders
        WHERE NOT from_snapshot AND shop_id = {shop:String} AND status != 'refunded'
          AND ts >= {range_to:DateTime64(3, 'UTC')} - INTERVAL 30 DAY AND ts < {range_to:DateTime64(3, 'UTC')}
    ),
    shop_baseline AS (
        SELECT mu, var, within_var, customers FROM insights.risk_baselines WHERE from_snapshot AND shop_id = {shop:String}
        UNION ALL
        -- Without enough lines: a spread of 1 in ln units (amounts within a factor of e), half of it within customers.
        SELECT ifNotFinite(sum(sx) / sum(n), 0) AS mu, ifNotFinite(greatest(sum(sxx) / sum(n) - mu * mu, 0), 1) AS var,
            ifNotFinite(avgIf(v, n >= 3), var / 2) AS within_var, count() AS customers
        FROM (SELECT customer_id, count() AS n, sum(x) AS sx, sum(x * x) AS sxx, varPop(x) AS v FROM lines30 GROUP BY customer_id)
        HAVING NOT from_snapshot
    ),
    -- Customers per country: rare when its other customers are fewer than 0.2 % of the shop's (at least one).
    country_share AS (
        SELECT country, customers FROM insights.risk_countries WHERE from_snapshot AND shop_id = {shop:String}
        UNION ALL
        SELECT country, uniqExact(customer_id) AS customers FROM lines30 GROUP BY country
    ),
    product_quantity AS (
        SELECT product_id, q_mu, q_sigma, q_lines FROM insights.risk_products WHERE from_snapshot AND shop_id = {shop:String}
        UNION ALL
        SELECT product_id, avg(ln(quantity)) AS q_mu, stddevPop(ln(quantity)) AS q_sigma, count() AS q_lines
        FROM lines30 WHERE quantity > 0 GROUP BY product_id
    ),
    history AS (
        SELECT
            order_id, ts, customer_id, product_id, country, quantity, toString(currency) AS currency, toString(status) AS status,
            quantity * toFloat64(unit_price) AS amount, ln(greatest(amount, 0.01)) AS x, toUnixTimestamp64Milli(ts) AS t,
            count() OVER settled AS n_prior, sum(x) OVER settled AS sx, sum(x * x) OVER settled AS sxx,
            uniqExact(order_id) OVER settled AS orders_prior, min(t) OVER settled AS first_t,
            groupUniqArrayIf(country, country != '') OVER settled AS known_countries,
            uniqExact(order_id) OVER recent AS orders_10m
        FROM orders
        WHERE shop_id = {shop:String} AND status != 'refunded'
          AND ts >= {range_from:DateTime64(3, 'UTC')} - INTERVAL 365 DAY AND ts < {range_to:DateTime64(3, 'UTC')}
          AND customer_id IN (
              SELECT customer_id FROM orders
              WHERE shop_id = {shop:String} AND status != 'refunded'
                AND ts >= {range_from:DateTime64(3, 'UTC')} AND ts < {range_to:DateTime64(3, 'UTC')}
                AND ({customer:String} = '' OR customer_id = {customer:String}))
        WINDOW
            settled AS (PARTITION BY customer_id ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 3600000 PRECEDING),
            recent AS (PARTITION BY customer_id ORDER BY t RANGE BETWEEN 600000 PRECEDING AND CURRENT ROW)
    )
SELECT
    ts, order_id, product_id, customer_id, country, currency, status, quantity, round(amount, 2) AS amount, score, score >= 80 AS flagged,
    round(amount_z, 2) AS amount_z, orders_10m, new_country, round(quantity_z, 2) AS quantity_z,
    arrayFilter(r -> r != '', [
        if(p_amount >= 0.3, format('amount {}× usual (z {})', toString(round(exp(x - mu_eff), 1)), toString(round(amount_z, 1))), ''),
        if(p_velocity >= 0.3, format('{} orders in 10 min', toString(orders_10m)), ''),
        if(p_country >= 0.3, format('{} country {}', if(new_country, 'new', 'rare'), country), ''),
        if(p_quantity >= 0.3, format('quantity {} (z {})', toString(quantity), toString(round(quantity_z, 1))), '')
    ]) AS reasons
FROM
(
    SELECT
        h.ts AS ts, h.order_id AS order_id, h.product_id AS product_id, h.customer_id AS customer_id, h.country AS country,
        h.currency AS currency, h.status AS status, h.quantity AS quantity, h.amount AS amount, h.x AS x, h.orders_10m AS orders_10m,
        -- Normal–normal: between-customer variance tau2, within-customer variance w (the customer's own, shrunk with weight 3).
        greatest(b.var - b.within_var, 0.05) AS tau2,
        greatest(b.within_var, 0.05) AS w,
        1 / tau2 + h.n_prior / w AS precision,
        (b.mu / tau2 + h.sx / w) / precision AS mu_eff,
        (if(h.n_prior = 0, 0, greatest(h.sxx - h.sx * h.sx / h.n_prior, 0)) + 3 * w) / (h.n_prior + 3) AS w_customer,
        (h.x - mu_eff) / sqrt(w_customer + 1 / precision) AS amount_z,
        1 / (1 + exp(-1.5 * (amount_z - 4))) AS p_amount,
        h.orders_prior * 600000 / greatest(h.t - h.first_t, 7 * 86400000) AS expected_10m,
        1 / (1 + exp(-2.5 * (h.orders_10m - expected_10m - 3.4))) AS p_velocity,
        greatest(ifNull(c.customers, 0) - 1, 0) < greatest(0.002 * b.customers, 1) AS rare_country,
        h.country != '' AND h.orders_prior >= 1 AND NOT has(h.known_countries, h.country) AS new_country,
        multiIf(h.country = '', 0, new_country, if(rare_country, 0.85, 0.45), rare_country, 0.5, 0) AS p_country,
        -- A product with fewer than 20 lines: the usual 1–2 units (mean 0.3, spread 0.5 in ln units).
        (ln(greatest(h.quantity, 1)) - if(p.q_lines >= 20, p.q_mu, 0.3)) / greatest(if(p.q_lines >= 20, p.q_sigma, 0.5), 0.3) AS quantity_z,
        1 / (1 + exp(-1.5 * (quantity_z - 6))) AS p_quantity,
        toUInt8(round(100 * (1 - (1 - p_amount) * (1 - p_velocity) * (1 - p_country) * (1 - p_quantity)))) AS score
    FROM history AS h
    CROSS JOIN shop_baseline AS b
    LEFT JOIN product_quantity AS p ON p.product_id = h.product_id
    LEFT JOIN country_share AS c ON c.country = h.country
    WHERE h.ts >= {range_from:DateTime64(3, 'UTC')} AND ({customer:String} = '' OR h.customer_id = {customer:String})
);
