-- Full-text search of statuses (GET /api/v2/search, type=statuses).
-- A contentless FTS5 index keyed by the status id (its rowid): the document is the content
-- warning and the text of the status's HTML, written by `db::search::index_status` whenever a
-- status is inserted or edited. Boosts are not indexed.
CREATE VIRTUAL TABLE status_search USING fts5(
    document,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- A status's entry goes with it (on PostgreSQL a foreign key does this).
CREATE TRIGGER status_search_delete AFTER DELETE ON statuses
BEGIN
    DELETE FROM status_search WHERE rowid = old.id;
END;

-- Statuses written before this migration are indexed by a background job, in batches.
INSERT INTO jobs (id, kind, payload, priority, run_at, created_at)
SELECT 1, 'index_statuses', '{"kind":"index_statuses","after":0}', 20, 0, 0
WHERE EXISTS (SELECT 1 FROM statuses);
