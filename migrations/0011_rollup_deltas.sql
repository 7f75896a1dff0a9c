-- Rollup deltas (issue 14/15): every history write appends its batch's rollup deltas here, in the same
-- transaction as its rows, instead of upserting `inference_log_rollups`. An append takes no row lock,
-- so concurrent writers never wait on each other for a hot (minute, use case, model) rollup row; the
-- upsert moves to compaction (`HistoricalLogProcessor`, every few seconds and before retention), which
-- deletes deltas and merges them into the rollups in one statement. Readers sum rollups and deltas,
-- so stats are exact at every moment. Same columns as `inference_log_rollups`, without a key.
-- @if partitioning
CREATE TABLE inference_log_rollup_deltas (LIKE inference_log_rollups);
-- @end
