-- W3C trace ids (32 hex digits): of the request an api_usage row records, and of the request
-- that queued an email (sent on as the message's traceparent header). NULL for older rows.
ALTER TABLE api_usage ADD COLUMN trace_id TEXT;
ALTER TABLE emails ADD COLUMN trace_id TEXT;
