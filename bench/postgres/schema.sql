-- What a team would build by hand: every resource as JSONB in one table, a primary key on
-- (type, id) and a GIN index over the documents for containment (@>) queries.
CREATE UNLOGGED TABLE staging (line text);
CREATE TABLE resources (type text NOT NULL, id text NOT NULL, body jsonb NOT NULL,
                        PRIMARY KEY (type, id));
