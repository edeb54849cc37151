-- Reference solution of lab 2.2: trigrams make ILIKE '%…%' indexable.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
