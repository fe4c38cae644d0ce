//! Images a vendor uploads for a product. The files (one re-encoded JPEG per size the
//! storefront serves) live in the object store under `products/{product_id}/{id}/`; a row
//! says where they are served from and in which order the vendor wants them.

crate::sql::sql_migration!(
    up: [
        "CREATE TABLE catalog.product_images (
            id uuid PRIMARY KEY,
            product_id uuid NOT NULL REFERENCES catalog.products (id) ON DELETE CASCADE,
            position integer NOT NULL CHECK (position >= 0),
            -- The upright size of the largest copy stored (the others keep its aspect).
            width integer NOT NULL CHECK (width > 0),
            height integer NOT NULL CHECK (height > 0),
            -- Where the files are served from when they were stored (`/media`, a CDN).
            base_url text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )",
        "CREATE INDEX product_images_by_product ON catalog.product_images (product_id, position, id)",
    ],
    down: ["DROP TABLE catalog.product_images"],
);
