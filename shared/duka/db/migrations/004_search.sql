-- Catalogue search: facets for filters, the stored photo analysis, and vector indexes.
ALTER TABLE products ADD COLUMN IF NOT EXISTS search_tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE products ADD COLUMN IF NOT EXISTS image_analysis jsonb;

CREATE INDEX IF NOT EXISTS products_search_tags_idx ON products USING gin (search_tags);

-- Exact vector search for one tenant reads that tenant's searchable rows through this index.
CREATE INDEX IF NOT EXISTS products_tenant_model_idx ON products (business_id, embedding_model)
    WHERE active AND stock > 0;

-- An HNSW index needs a fixed dimension and the column holds several models, so there is one
-- partial expression index per model; a query uses it by repeating the cast and the predicate.
CREATE INDEX IF NOT EXISTS products_embedding_minilm_hnsw ON products
    USING hnsw ((embedding::vector(384)) vector_cosine_ops)
    WHERE embedding_model = 'all-MiniLM-L6-v2@384' AND active AND stock > 0;
CREATE INDEX IF NOT EXISTS products_embedding_gemini768_hnsw ON products
    USING hnsw ((embedding::vector(768)) vector_cosine_ops)
    WHERE embedding_model = 'gemini-embedding-001@768' AND active AND stock > 0;
