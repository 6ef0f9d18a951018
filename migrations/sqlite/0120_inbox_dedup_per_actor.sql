-- Received activities are deduplicated per signing actor: an activity id claimed by one
-- actor must not suppress the same id delivered later by another (its real owner).
DROP INDEX inbox_activities_uri;
CREATE UNIQUE INDEX inbox_activities_actor_uri ON inbox_activities (account_id, activity_uri);
