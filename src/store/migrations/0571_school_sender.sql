-- The sender printed on the address labels of a school's parcels (print/labels.c): the school
-- office, where a parcel that cannot be delivered goes back to. Kept per school, because one
-- deployment serves several schools and each posts in its own name. Empty until the operator
-- sets it (PUT /api/schools/:id/sender); labels are refused while it is empty.
ALTER TABLE schools ADD COLUMN sender_name TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN sender_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN sender_address TEXT NOT NULL DEFAULT '';
