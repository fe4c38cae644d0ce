//! Vendors, categories, products, variants and stock, certifications, penalties, and the
//! remote-area surcharge table (seeded from `migrations/data/remote-areas.csv`).

use crate::sql;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::Statement;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REMOTE_AREAS: &str = include_str!("../../data/remote-areas.csv");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE TABLE catalog.categories (
                    id uuid PRIMARY KEY,
                    parent_id uuid REFERENCES catalog.categories (id),
                    -- Every ancestor, root first: subtree queries are `$1 = ANY(ancestors)`.
                    ancestors uuid[] NOT NULL DEFAULT '{}',
                    slug text NOT NULL UNIQUE,
                    name text NOT NULL,
                    position int NOT NULL DEFAULT 0,
                    -- 상품정보제공고시 fields a product of this category must fill to publish.
                    notice_fields text[] NOT NULL DEFAULT '{}',
                    created_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX categories_ancestors ON catalog.categories USING gin (ancestors)",
                "CREATE TABLE catalog.vendors (
                    id uuid PRIMARY KEY,
                    owner_user_id uuid NOT NULL,
                    trade_name text NOT NULL,
                    representative text NOT NULL,
                    business_number text NOT NULL CHECK (business_number ~ '^[0-9]{10}$'),
                    mail_order_number text,
                    mail_order_exemption text,
                    postal_code text NOT NULL CHECK (postal_code ~ '^[0-9]{5}$'),
                    address text NOT NULL,
                    address_detail text NOT NULL DEFAULT '',
                    cs_phone text NOT NULL,
                    cs_email text NOT NULL,
                    bank_name text NOT NULL,
                    bank_account_number text NOT NULL,
                    bank_account_holder text NOT NULL,
                    story text NOT NULL DEFAULT '',
                    status text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
                    status_reason text,
                    shipping_base_fee bigint NOT NULL DEFAULT 3000 CHECK (shipping_base_fee >= 0),
                    shipping_free_threshold bigint CHECK (shipping_free_threshold >= 0),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    approved_at timestamptz,
                    CONSTRAINT vendors_business_number_key UNIQUE (business_number),
                    CONSTRAINT vendors_mail_order CHECK (mail_order_number IS NOT NULL OR mail_order_exemption IS NOT NULL)
                )",
                "CREATE INDEX vendors_status ON catalog.vendors (status)",
                "CREATE INDEX vendors_owner ON catalog.vendors (owner_user_id)",
                "CREATE TABLE catalog.vendor_penalties (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL REFERENCES catalog.vendors (id),
                    reason text NOT NULL,
                    strikes int NOT NULL DEFAULT 1 CHECK (strikes > 0),
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX vendor_penalties_vendor ON catalog.vendor_penalties (vendor_id)",
                "CREATE TABLE catalog.certifications (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL REFERENCES catalog.vendors (id),
                    kind text NOT NULL,
                    class text NOT NULL DEFAULT '',
                    number text NOT NULL,
                    issued_on date NOT NULL,
                    expires_on date NOT NULL CHECK (expires_on >= issued_on),
                    verified_at timestamptz,
                    verified_by uuid,
                    created_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX certifications_vendor ON catalog.certifications (vendor_id)",
                "CREATE TABLE catalog.products (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL REFERENCES catalog.vendors (id),
                    category_id uuid NOT NULL REFERENCES catalog.categories (id),
                    title text NOT NULL,
                    description_html text NOT NULL DEFAULT '',
                    images jsonb NOT NULL DEFAULT '[]',
                    tags text[] NOT NULL DEFAULT '{}',
                    origin text NOT NULL DEFAULT '',
                    notice jsonb NOT NULL DEFAULT '{}',
                    withdrawal_restricted boolean NOT NULL DEFAULT false,
                    taxable boolean NOT NULL DEFAULT true,
                    max_per_order int CHECK (max_per_order > 0),
                    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
                    -- Denormalised from the variants for sorting and price filters.
                    min_price bigint NOT NULL DEFAULT 0,
                    popularity bigint NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    published_at timestamptz
                )",
                "CREATE INDEX products_vendor ON catalog.products (vendor_id, id)",
                "CREATE INDEX products_storefront_new ON catalog.products (published_at DESC, id DESC) WHERE status = 'active'",
                "CREATE INDEX products_storefront_price ON catalog.products (min_price, id) WHERE status = 'active'",
                "CREATE INDEX products_storefront_popular ON catalog.products (popularity DESC, id DESC) WHERE status = 'active'",
                "CREATE INDEX products_category ON catalog.products (category_id) WHERE status = 'active'",
                "CREATE INDEX products_tags ON catalog.products USING gin (tags)",
                "CREATE TABLE catalog.variants (
                    id uuid PRIMARY KEY,
                    product_id uuid NOT NULL REFERENCES catalog.products (id),
                    vendor_id uuid NOT NULL REFERENCES catalog.vendors (id),
                    sku text NOT NULL,
                    name text NOT NULL,
                    options jsonb NOT NULL DEFAULT '{}',
                    price bigint NOT NULL CHECK (price > 0),
                    compare_at_price bigint CHECK (compare_at_price > 0),
                    on_hand int NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
                    reserved int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
                    position int NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    -- The last line of defence against overselling.
                    CONSTRAINT variants_stock CHECK (reserved <= on_hand),
                    CONSTRAINT variants_vendor_sku_key UNIQUE (vendor_id, sku)
                )",
                "CREATE INDEX variants_product ON catalog.variants (product_id, position)",
                "CREATE TABLE catalog.remote_areas (
                    id serial PRIMARY KEY,
                    region text NOT NULL,
                    from_code int NOT NULL,
                    to_code int NOT NULL CHECK (to_code >= from_code),
                    surcharge bigint NOT NULL CHECK (surcharge >= 0)
                )",
                // Bridge-connected islands that share a postal code with real islands must
                // not be charged (FTC, 2025-10): exemptions by road name or building number.
                "CREATE TABLE catalog.remote_area_exemptions (
                    id serial PRIMARY KEY,
                    postal_code text NOT NULL,
                    road_name text,
                    building_no text,
                    note text NOT NULL DEFAULT ''
                )",
            ],
        )
        .await?;
        let db = manager.get_connection();
        for line in REMOTE_AREAS.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("region,") {
                continue;
            }
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let [region, from, to, surcharge] = f.as_slice() else {
                return Err(DbErr::Migration(format!("bad remote-area row: {line}")));
            };
            let parse = |s: &str| {
                s.parse::<i64>()
                    .map_err(|_| DbErr::Migration(format!("bad number in remote-area row: {line}")))
            };
            db.execute_raw(Statement::from_sql_and_values(
                manager.get_database_backend(),
                "INSERT INTO catalog.remote_areas (region, from_code, to_code, surcharge) VALUES ($1, $2, $3, $4)",
                [
                    (*region).into(),
                    parse(from)?.into(),
                    parse(to)?.into(),
                    parse(surcharge)?.into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE catalog.remote_area_exemptions",
                "DROP TABLE catalog.remote_areas",
                "DROP TABLE catalog.variants",
                "DROP TABLE catalog.products",
                "DROP TABLE catalog.certifications",
                "DROP TABLE catalog.vendor_penalties",
                "DROP TABLE catalog.vendors",
                "DROP TABLE catalog.categories",
            ],
        )
        .await
    }
}
