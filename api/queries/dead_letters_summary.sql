-- @description Rejected events per stream, source and error code: count, first and last seen, one sample line (operators).
-- @roles admin
-- @param from DateTime default=-24h : range start, inclusive
-- @param to DateTime default=now : range end, exclusive
-- @cache bucket=60 open_ttl=5 closed_ttl=3600 covers=range
SELECT stream, source, error_code, count() AS count, min(received_at) AS first_seen, max(received_at) AS last_seen,
    substring(any(raw), 1, 512) AS sample
FROM dead_letters
WHERE received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
GROUP BY stream, source, error_code
ORDER BY count DESC, stream, error_code
