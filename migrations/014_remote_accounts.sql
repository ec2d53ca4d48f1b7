-- Accounts of people on partner instances (accounts.domain set) carry their actor id,
-- which names them on the wire: in a shared group's members collection, as the author
-- of what they post there.
ALTER TABLE accounts ADD COLUMN ap_id text;
ALTER TABLE accounts ADD CONSTRAINT accounts_ap_id_remote CHECK ((ap_id IS NULL) = (domain IS NULL));
CREATE UNIQUE INDEX accounts_ap_id ON accounts (ap_id) WHERE ap_id IS NOT NULL;
