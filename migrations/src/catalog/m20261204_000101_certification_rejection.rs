//! An admin may reject a certification a vendor submitted (a number not on the issuer's
//! register, dates that do not match), with the reason the vendor is shown. A rejected
//! certification is never verified, so it shows no badge and counts as certified nowhere
//! (storefront, search facets, 실적), which all read `verified_at` only.

crate::sql::sql_migration!(
    up: [
        "ALTER TABLE catalog.certifications
            ADD COLUMN rejected_at timestamptz,
            ADD COLUMN rejected_by uuid,
            ADD COLUMN rejection_reason text,
            ADD CONSTRAINT certifications_decided_once
                CHECK (verified_at IS NULL OR rejected_at IS NULL),
            ADD CONSTRAINT certifications_rejection_has_reason
                CHECK ((rejected_at IS NULL) = (rejection_reason IS NULL))",
    ],
    down: [
        "ALTER TABLE catalog.certifications
            DROP CONSTRAINT certifications_rejection_has_reason,
            DROP CONSTRAINT certifications_decided_once,
            DROP COLUMN rejection_reason,
            DROP COLUMN rejected_by,
            DROP COLUMN rejected_at",
    ],
);
