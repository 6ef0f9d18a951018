-- Full-text search of statuses (GET /api/v2/search, type=statuses).
-- The document is the content warning and the text of the status's HTML, as a `simple`
-- (language-neutral) tsvector, written by `db::search::index_status` whenever a status is
-- inserted or edited. Boosts are not indexed.
CREATE TABLE status_search (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    document TSVECTOR NOT NULL
);
CREATE INDEX status_search_document ON status_search USING GIN (document);

-- Statuses written before this migration are indexed by a background job, in batches.
INSERT INTO jobs (id, kind, payload, priority, run_at, created_at)
SELECT 1, 'index_statuses', '{"kind":"index_statuses","after":0}', 20, 0, 0
WHERE EXISTS (SELECT 1 FROM statuses);
