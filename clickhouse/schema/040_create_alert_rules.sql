-- Alert rules (api/alerts/), one row per version: ReplacingMergeTree keeps the highest
-- version per (owner, id) and FINAL drops a rule whose latest version is deleted.
-- params, condition and notify are the JSON validated by api/alerts/schema.ts; access is the
-- roles and entitlements of the token that last saved the rule, checked again at fire time.
CREATE TABLE IF NOT EXISTS alert_rules
(
    owner         String,
    id            UUID,
    name          String,
    channel       LowCardinality(String),
    params        String,
    condition     String,
    for_s         UInt32,
    cooldown_s    UInt32,
    notify        String,
    access        String,
    muted         UInt8,
    snoozed_until DateTime64(3, 'UTC'),
    acked_at      DateTime64(3, 'UTC'),
    version       UInt64,
    deleted       UInt8,
    created_at    DateTime64(3, 'UTC'),
    updated_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (owner, id);
