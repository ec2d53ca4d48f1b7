-- Ids of partners' posts deleted here: a Create arriving after its Delete (deliveries
-- are not ordered) must not bring the post back.
CREATE TABLE ap_tombstones (
  ap_id      text PRIMARY KEY,
  deleted_at timestamptz NOT NULL DEFAULT now()
);
