-- Reference solution of lab 2.1: the filter's column first, the sort's second,
-- so a category page reads its rows from the index already in price order.
CREATE INDEX products_category_price_idx ON products (category_id, price);
