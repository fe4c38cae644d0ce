//! Demo data: a live campaign of Incheon's farm and sea specialties with sections and
//! 10–20% campaign prices on existing products, an upcoming Seollal gift-set campaign, a
//! time deal and three coupons. Idempotent: what exists (by slug or code) is left alone.

use crate::audit::Actor;
use crate::campaigns::{self, MembershipRule, NewCampaign, NewSection};
use crate::coupons::{self, CouponKindInput, NewCoupon, ScopeInput};
use crate::deals::{self, NewTimeDeal};
use crate::error::PromotionsResult;
use crate::prices::{self, NewCampaignPrice, PriceKind};
use crate::scheduler;
use crate::seoul;
use crate::store::{coupon, time_deal};
use catalog::listing::ProductMatch;
use chrono::{DateTime, Duration, Utc};
use platform::AppState;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

const LIVE_SLUG: &str = "incheon-local-specialties";
const UPCOMING_SLUG: &str = "seollal-gift-sets";
const CATEGORY_SLUGS: [&str; 4] = ["kimchi", "seafood", "jeotgal", "ginseng"];

struct Pick {
    title: String,
    category_id: Uuid,
    products: Vec<Uuid>,
}

/// Active products per demo category (the category and its descendants), most popular
/// first.
async fn picks(db: &impl ConnectionTrait) -> PromotionsResult<Vec<Pick>> {
    let mut out = Vec::new();
    for slug in CATEGORY_SLUGS {
        let Some((root_id, root_name)) = catalog::listing::category_by_slug(db, slug).await? else {
            continue;
        };
        let products = catalog::listing::active_products_matching(
            db,
            &[ProductMatch::Category(root_id)],
            Some(4),
        )
        .await?;
        if !products.is_empty() {
            out.push(Pick {
                title: root_name,
                category_id: root_id,
                products,
            });
        }
    }
    if out.is_empty() {
        // No demo categories: take the shop's most popular products (every product is in
        // some category), the section named after the first one's.
        let every: Vec<ProductMatch> = catalog::listing::category_ids(db)
            .await?
            .into_iter()
            .map(ProductMatch::Category)
            .collect();
        let best = catalog::listing::active_products_matching(db, &every, Some(8)).await?;
        let first = catalog::listing::active_product_facts(db, &best[..best.len().min(1)]).await?;
        // A product's categories start with its own.
        if let Some(&category_id) = first.first().and_then(|f| f.categories.first()) {
            out.push(Pick {
                title: "베스트".into(),
                category_id,
                products: best,
            });
        }
    }
    Ok(out)
}

/// A section of the demo campaign `campaign_id`.
async fn section(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    title: String,
    position: i32,
    product_ids: Vec<Uuid>,
) -> PromotionsResult<()> {
    let new = NewSection {
        title,
        position,
        product_ids,
    };
    campaigns::add_section(db, Actor::SYSTEM, campaign_id, new).await?;
    Ok(())
}

/// A demo campaign price: `percent` off the product.
async fn percent_off(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    product_id: Uuid,
    percent: i64,
) -> PromotionsResult<()> {
    let new = NewCampaignPrice {
        product_id,
        variant_id: None,
        kind: PriceKind::Percent,
        value: percent,
        floor: 0,
    };
    prices::add(db, Actor::SYSTEM, campaign_id, new, None).await?;
    Ok(())
}

/// Seeds the demo campaign `slug` unless it exists: `new` describes it from the instant and
/// the picks, and `fill` adds its sections and prices in the same transaction, before it is
/// scheduled. The instant, when it seeded the campaign.
async fn demo_campaign(
    state: &AppState,
    slug: &str,
    new: impl FnOnce(DateTime<Utc>, &[Pick]) -> NewCampaign,
    fill: impl AsyncFnOnce(&DatabaseTransaction, Uuid, &[Pick]) -> PromotionsResult<()>,
) -> PromotionsResult<Option<DateTime<Utc>>> {
    if campaigns::by_slug(&state.db, slug).await?.is_some() {
        return Ok(None);
    }
    let now = Utc::now();
    let picks = picks(&state.db).await?;
    let txn = state.db.begin().await?;
    let c = campaigns::create(&txn, Actor::SYSTEM, new(now, &picks)).await?;
    fill(&txn, c.id, &picks).await?;
    campaigns::schedule(&txn, Actor::SYSTEM, c.id, now).await?;
    txn.commit().await?;
    Ok(Some(now))
}

async fn live_campaign(state: &AppState) -> PromotionsResult<()> {
    let new = |now: DateTime<Utc>, picks: &[Pick]| NewCampaign {
        title: "인천 농수산 특산물 기획전".into(),
        slug: LIVE_SLUG.into(),
        theme: "인천의 맛".into(),
        description: "강화 순무김치부터 소래포구 젓갈, 강화 인삼까지 — 인천의 농어민과 \
                      소상공인이 직접 보내드립니다."
            .into(),
        banner_pc: Some("https://img.jikgu.kr/campaigns/incheon-local/pc.jpg".into()),
        banner_mobile: Some("https://img.jikgu.kr/campaigns/incheon-local/mobile.jpg".into()),
        starts_at: seoul::show(now - Duration::days(3)),
        ends_at: seoul::show(now + Duration::days(14)),
        membership: picks
            .iter()
            .map(|p| MembershipRule::Category { id: p.category_id })
            .collect(),
        vendor_share_bp: None,
    };
    let fill =
        async |txn: &DatabaseTransaction, id: Uuid, picks: &[Pick]| -> PromotionsResult<()> {
            let best: Vec<Uuid> = picks
                .iter()
                .filter_map(|p| p.products.first().copied())
                .collect();
            if !best.is_empty() {
                section(txn, id, "베스트".into(), 0, best).await?;
            }
            let mut n = 0;
            for (i, p) in picks.iter().enumerate() {
                section(txn, id, p.title.clone(), i as i32 + 1, p.products.clone()).await?;
                for product_id in &p.products {
                    // 10%, 15%, 20%, 10%, ...
                    let percent = [10, 15, 20][n % 3];
                    n += 1;
                    percent_off(txn, id, *product_id, percent).await?;
                }
            }
            Ok(())
        };
    if let Some(now) = demo_campaign(state, LIVE_SLUG, new, fill).await? {
        scheduler::run_once(state, now).await?;
    }
    Ok(())
}

async fn upcoming_campaign(state: &AppState) -> PromotionsResult<()> {
    let new = |now: DateTime<Utc>, _: &[Pick]| NewCampaign {
        title: "설 선물세트 기획전".into(),
        slug: UPCOMING_SLUG.into(),
        theme: "설 명절".into(),
        description: "고마운 분께 인천의 정성을 — 설 선물세트를 미리 만나보세요.".into(),
        banner_pc: Some("https://img.jikgu.kr/campaigns/seollal/pc.jpg".into()),
        banner_mobile: Some("https://img.jikgu.kr/campaigns/seollal/mobile.jpg".into()),
        starts_at: seoul::show(now + Duration::days(20)),
        ends_at: seoul::show(now + Duration::days(45)),
        membership: vec![MembershipRule::Tag {
            tag: "선물세트".into(),
        }],
        vendor_share_bp: None,
    };
    let fill =
        async |txn: &DatabaseTransaction, id: Uuid, picks: &[Pick]| -> PromotionsResult<()> {
            let gifts: Vec<Uuid> = picks
                .iter()
                .flat_map(|p| p.products.iter().copied())
                .take(6)
                .collect();
            if !gifts.is_empty() {
                section(txn, id, "선물세트".into(), 0, gifts.clone()).await?;
                for product_id in gifts.iter().take(3) {
                    percent_off(txn, id, *product_id, 10).await?;
                }
            }
            Ok(())
        };
    demo_campaign(state, UPCOMING_SLUG, new, fill).await?;
    Ok(())
}

async fn time_deal(state: &AppState) -> PromotionsResult<()> {
    let Some(c) = campaigns::by_slug(&state.db, LIVE_SLUG).await? else {
        return Ok(());
    };
    let exists = time_deal::Entity::find()
        .filter(time_deal::Column::CampaignId.eq(c.id))
        .one(&state.db)
        .await?
        .is_some();
    if exists {
        return Ok(());
    }
    let sections = campaigns::sections(&state.db, c.id).await?;
    let Some(product_id) = sections.iter().flat_map(|s| s.product_ids.iter()).next() else {
        return Ok(());
    };
    // The product is in a live campaign's section, so a shopper may see it.
    let mut shown = catalog::listing::showcase_products(&state.db, &[*product_id]).await?;
    let Some(v) = shown
        .remove(product_id)
        .and_then(|p| p.variants.first().copied())
    else {
        return Ok(());
    };
    // 30% off, rounded down to 100 won.
    let deal_price = (v.price * 70 / 100) / 100 * 100;
    if deal_price <= 0 || deal_price >= v.price {
        return Ok(());
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    deals::create(
        &txn,
        Actor::SYSTEM,
        NewTimeDeal {
            variant_id: v.id,
            campaign_id: Some(c.id),
            deal_price,
            starts_at: seoul::show(now - Duration::hours(1)),
            ends_at: seoul::show(now + Duration::days(2)),
            quantity: 50,
            per_customer_limit: Some(2),
            vendor_share_bp: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn coupon_if_missing(state: &AppState, new: NewCoupon) -> PromotionsResult<()> {
    let code = new.code.as_deref().map(coupons::normalise_code);
    let exists = coupon::Entity::find()
        .filter(coupon::Column::Code.eq(code))
        .one(&state.db)
        .await?
        .is_some();
    if exists {
        return Ok(());
    }
    let txn = state.db.begin().await?;
    coupons::create(&txn, Actor::SYSTEM, new).await?;
    txn.commit().await?;
    Ok(())
}

async fn demo_coupons(state: &AppState) -> PromotionsResult<()> {
    let now = Utc::now();
    let starts_at = seoul::show(now - Duration::days(1));
    let ends_at = seoul::show(now + Duration::days(365));
    let base = |code: &str, name: &str, kind| NewCoupon {
        code: Some(code.into()),
        name: name.into(),
        kind,
        percent: None,
        cap: None,
        amount: None,
        min_order: 0,
        scope: ScopeInput::All,
        starts_at,
        ends_at,
        total_uses: None,
        per_customer_limit: Some(1),
        budget: None,
        vendor_share_bp: None,
    };
    coupon_if_missing(
        state,
        NewCoupon {
            amount: Some(3000),
            min_order: 20000,
            ..base(
                "WELCOME3000",
                "첫 구매 3,000원 할인",
                CouponKindInput::AmountOff,
            )
        },
    )
    .await?;
    coupon_if_missing(
        state,
        NewCoupon {
            per_customer_limit: None,
            ..base("FREESHIP", "무료배송 쿠폰", CouponKindInput::FreeShipping)
        },
    )
    .await?;
    coupon_if_missing(
        state,
        NewCoupon {
            percent: Some(10),
            cap: Some(5000),
            budget: Some(10_000_000),
            ..base(
                "JIKGU10",
                "직구 10% 할인 (최대 5,000원)",
                CouponKindInput::Percent,
            )
        },
    )
    .await?;
    Ok(())
}

/// Seed the demo promotions. Safe to run again: existing campaigns (by slug), deals and
/// coupons (by code) are left as they are.
pub async fn seed_demo(state: &AppState) -> PromotionsResult<()> {
    live_campaign(state).await?;
    upcoming_campaign(state).await?;
    time_deal(state).await?;
    demo_coupons(state).await?;
    crate::cache::invalidate(&state.redis).await;
    Ok(())
}
