-- Statuses area: an account boosts a status at most once. The unique index makes concurrent
-- boost requests safe without locks (the loser of the race returns the existing boost).
CREATE UNIQUE INDEX statuses_reblog_once ON statuses (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;
