-- `duka products reembed` works across tenants: it reads only ids, through a definer function.
CREATE OR REPLACE FUNCTION products_not_embedded_with(model text, max_rows integer)
    RETURNS TABLE (business_id uuid, product_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT business_id, id FROM products
          WHERE active AND embedding_model IS DISTINCT FROM model
          ORDER BY business_id, id LIMIT max_rows $$;

REVOKE ALL ON FUNCTION products_not_embedded_with(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION products_not_embedded_with(text, integer) TO duka_app;
