-- Reference solution of the final project: the indexes of labs 2.1 and 2.2,
-- `IF NOT EXISTS` because a workspace that solved those labs has them already.
CREATE INDEX IF NOT EXISTS products_category_price_idx ON products (category_id, price);
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
