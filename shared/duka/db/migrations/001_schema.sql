-- Core schema from the design document: businesses, customers, conversations, messages,
-- products, orders, order_items, agent_memories. Every tenant table carries business_id.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS businesses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    phone text,
    whatsapp_number text NOT NULL UNIQUE,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    phone text NOT NULL,
    name text,
    profile jsonb NOT NULL DEFAULT '{}'::jsonb,
    order_count integer NOT NULL DEFAULT 0,
    lifetime_value numeric(12, 2) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_id, phone)
);

CREATE TABLE IF NOT EXISTS conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    customer_name text,
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'handed_over', 'closed')),
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_customer_message_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_id, customer_phone)
);

CREATE TABLE IF NOT EXISTS messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('customer', 'agent', 'owner', 'system')),
    content text NOT NULL DEFAULT '',
    attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- Twilio MessageSid of an inbound message, or of an outbound one once sent.
    external_id text,
    -- Inbound: the reply that covered it (NULL while unanswered).
    answered_by uuid REFERENCES messages(id),
    -- Outbound: the send intent is stored before sending (idempotency), then its outcome.
    delivery_status text CHECK (delivery_status IN ('pending', 'sent', 'failed')),
    delivery_error text,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_id, external_id)
);
CREATE INDEX IF NOT EXISTS messages_conversation_idx ON messages (conversation_id, created_at);
CREATE INDEX IF NOT EXISTS messages_unanswered_idx ON messages (conversation_id)
    WHERE role = 'customer' AND answered_by IS NULL;
CREATE INDEX IF NOT EXISTS messages_unanswered_age_idx ON messages (created_at)
    WHERE role = 'customer' AND answered_by IS NULL;
CREATE INDEX IF NOT EXISTS messages_pending_delivery_idx ON messages (conversation_id)
    WHERE delivery_status = 'pending';

CREATE TABLE IF NOT EXISTS products (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    sku text NOT NULL,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    price numeric(12, 2) NOT NULL CHECK (price >= 0),
    currency text NOT NULL DEFAULT 'KES',
    stock integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    category text NOT NULL DEFAULT '',
    attrs jsonb NOT NULL DEFAULT '{}'::jsonb,
    images text[] NOT NULL DEFAULT '{}',
    embedding vector,
    embedding_model text,
    content_hash text,
    -- What keyword search matches; rebuilt by embed_product with the embedding.
    search_text text NOT NULL DEFAULT '',
    indexed_at timestamptz,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_id, sku)
);
CREATE INDEX IF NOT EXISTS products_search_trgm_idx ON products USING gin (search_text gin_trgm_ops);

CREATE TABLE IF NOT EXISTS orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
    customer_phone text NOT NULL,
    items jsonb NOT NULL DEFAULT '[]'::jsonb,
    amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
    currency text NOT NULL DEFAULT 'KES',
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'paid', 'failed', 'cancelled', 'expired')),
    fulfillment_status text NOT NULL DEFAULT 'pending'
        CHECK (fulfillment_status IN ('pending', 'shipped', 'delivered')),
    mpesa_reference text,
    checkout_request_id text,
    transaction_id text,
    delivery_info jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_business_created_idx ON orders (business_id, created_at DESC);

CREATE TABLE IF NOT EXISTS order_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    order_id uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id uuid REFERENCES products(id) ON DELETE SET NULL,
    sku text NOT NULL,
    name text NOT NULL,
    size text,
    color text,
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(12, 2) NOT NULL,
    line_total numeric(12, 2) NOT NULL
);

CREATE TABLE IF NOT EXISTS agent_memories (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations(id) ON DELETE CASCADE,
    customer_phone text,
    summary text NOT NULL,
    embedding vector,
    embedding_model text,
    created_at timestamptz NOT NULL DEFAULT now()
);
