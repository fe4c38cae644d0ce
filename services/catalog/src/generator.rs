//! A large synthetic catalog for benchmarks (`jikgu generate --products 100000`): vendors,
//! products and variants made inside Postgres with `generate_series`, so 100k products
//! take seconds rather than minutes. Titles combine real Incheon place names and products
//! so that search and filters see realistic Korean text.

use crate::domain::business_number::BusinessNumber;
use crate::error::CatalogResult;
use platform::db::pg;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait, Value};
use uuid::Uuid;

const PLACES: &[&str] = &[
    "강화",
    "옹진",
    "소래포구",
    "백령도",
    "연평도",
    "덕적도",
    "영흥도",
    "부평",
    "송도",
    "연안부두",
    "차이나타운",
    "계양",
];
const GOODS: &[&str] = &[
    "순무김치",
    "꽃게",
    "까나리액젓",
    "새우젓",
    "인삼정과",
    "홍삼정",
    "섬쌀",
    "속노랑고구마",
    "명란젓",
    "건오징어",
    "막걸리",
    "딸기잼",
    "월병",
    "왕골 바구니",
    "청자 찻잔",
    "원목 도마",
    "인삼 크림",
    "해초 비누",
    "꿀",
    "커피 원두",
];
const SIZES: &[&str] = &["500g", "1kg", "2kg", "3kg", "선물세트", "10입", "대용량"];

fn text_array(items: &[&str]) -> Value {
    Value::Array(
        sea_orm::sea_query::ArrayType::String,
        Some(Box::new(items.iter().map(|s| Value::from(*s)).collect())),
    )
}

/// Add `vendors` approved vendors and `products` active products (two variants each)
/// spread over `categories`. Returns the number of products created.
pub async fn generate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    vendors: u32,
    products: u32,
    categories: &[Uuid],
    owner_user_id: Uuid,
) -> CatalogResult<u64> {
    let txn = db.begin().await?;
    let run: u32 = (chrono::Utc::now().timestamp() % 100_000) as u32;
    let mut vendor_ids = Vec::with_capacity(vendors as usize);
    for i in 0..vendors {
        let id = platform::ids::new_id();
        let bn = BusinessNumber::from_prefix(700_000_000 + run * 1000 + i)
            .digits()
            .to_owned();
        txn.execute_raw(pg(
            "INSERT INTO catalog.vendors (id, owner_user_id, trade_name, representative, business_number, \
             mail_order_exemption, postal_code, address, cs_phone, cs_email, bank_name, bank_account_number, \
             bank_account_holder, story, status, approved_at) \
             VALUES ($1, $2, $3, '홍길동', $4, '간이과세자', '22100', '인천광역시 미추홀구 인하로 100', \
             '032-000-0000', 'cs@bench.jikgu.kr', '농협은행', '000-0000', $3, '벤치마크용 가상 판매자입니다.', \
             'approved', now()) ON CONFLICT (business_number) DO NOTHING",
            [id.into(), owner_user_id.into(), format!("인천 벤치상회 {run}-{i}").into(), bn.into()],
        ))
        .await?;
        vendor_ids.push(id);
    }
    let vendor_array = Value::Array(
        sea_orm::sea_query::ArrayType::Uuid,
        Some(Box::new(
            vendor_ids.iter().map(|v| Value::from(*v)).collect(),
        )),
    );
    let category_array = Value::Array(
        sea_orm::sea_query::ArrayType::Uuid,
        Some(Box::new(
            categories.iter().map(|v| Value::from(*v)).collect(),
        )),
    );
    // Product ids are UUIDv7-shaped: time-ordered, like the real ones.
    let res = txn
        .execute_raw(pg(
            "INSERT INTO catalog.products (id, vendor_id, category_id, title, description_html, images, tags, \
                 origin, notice, status, min_price, popularity, published_at) \
             SELECT gen_random_uuid(), \
                 ($1::uuid[])[1 + i % cardinality($1::uuid[])], \
                 ($2::uuid[])[1 + (i / 7) % cardinality($2::uuid[])], \
                 ($3::text[])[1 + i % cardinality($3::text[])] || ' ' || ($4::text[])[1 + (i / 12) % cardinality($4::text[])] \
                     || ' ' || ($5::text[])[1 + (i / 240) % cardinality($5::text[])] || ' ' || i, \
                 '<p>' || ($3::text[])[1 + i % cardinality($3::text[])] || '에서 만든 ' || ($4::text[])[1 + (i / 12) % cardinality($4::text[])] || '입니다.</p>', \
                 jsonb_build_array('https://img.jikgu.kr/bench/' || i || '.jpg'), \
                 ARRAY[($3::text[])[1 + i % cardinality($3::text[])], ($4::text[])[1 + (i / 12) % cardinality($4::text[])]], \
                 '국내산', '{}'::jsonb, 'active', \
                 1000 + (i * 7919) % 99000 / 100 * 100, (i * 104729) % 5000, \
                 now() - (i || ' seconds')::interval \
             FROM generate_series(1, $6) AS i",
            [
                vendor_array,
                category_array,
                text_array(PLACES),
                text_array(GOODS),
                text_array(SIZES),
                Value::from(products as i64),
            ],
        ))
        .await?;
    let created = res.rows_affected();
    // Two variants per new product: the base size at min_price and a larger one.
    txn.execute_raw(pg(
        "INSERT INTO catalog.variants (id, product_id, vendor_id, sku, name, options, price, on_hand, position) \
         SELECT gen_random_uuid(), p.id, p.vendor_id, 'B-' || replace(p.id::text, '-', '') || '-' || n, \
                CASE n WHEN 1 THEN '기본' ELSE '대용량' END, '{}'::jsonb, \
                p.min_price * n, CASE WHEN p.popularity % 10 = 0 THEN 0 ELSE 50 + p.popularity % 100 END, n \
         FROM catalog.products p CROSS JOIN generate_series(1, 2) AS n \
         WHERE p.vendor_id = ANY($1::uuid[])",
        [Value::Array(
            sea_orm::sea_query::ArrayType::Uuid,
            Some(Box::new(vendor_ids.iter().map(|v| Value::from(*v)).collect())),
        )],
    ))
    .await?;
    txn.commit().await?;
    db.execute_unprepared("ANALYZE catalog.products; ANALYZE catalog.variants;")
        .await?;
    Ok(created)
}
