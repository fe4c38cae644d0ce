//! The policies entries are booked and paid under, read from and written to the
//! `settlements` tables: commission rules, payment fees, vendor cycles
//! and taxpayer kinds, the shop-wide settings and the public holidays.

use crate::domain::calendar::{Cycle, CyclePolicy, Holidays};
use crate::domain::commission::{CommissionRule, RateBp, Scope};
use crate::error::{SettlementsError, SettlementsResult};
use chrono::{DateTime, NaiveDate, Utc};
use platform::db::pg;
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn rate(bp: i32) -> SettlementsResult<RateBp> {
    RateBp::new(bp).ok_or_else(|| {
        SettlementsError::Db(DbErr::Type(format!("stored rate {bp} bp is not a rate")))
    })
}

/// The shop-wide settings.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// Days after 구매확정 by which a payable must be paid.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 365>")]
    #[schema(minimum = 1, maximum = 365)]
    pub legal_deadline_days: i32,
    /// Share of what is owed to hold apart, basis points (5000 = 50%).
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 10_000>")]
    #[schema(minimum = 0, maximum = 10_000)]
    pub hold_apart_bp: i32,
    pub default_cycle: Cycle,
    /// Business days between a payable's confirmation and its payment, 0 to 60.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 60>")]
    #[schema(minimum = 0, maximum = 60)]
    pub default_lag_business_days: i32,
    pub operator_name: String,
    pub operator_business_number: String,
}

pub async fn settings(db: &impl ConnectionTrait) -> SettlementsResult<Settings> {
    let r = db
        .query_one_raw(pg(
            "SELECT legal_deadline_days, hold_apart_bp, default_cycle, default_lag_business_days, \
             operator_name, operator_business_number \
             FROM settlements.settings",
            [],
        ))
        .await?
        .ok_or(SettlementsError::NotFound("settings"))?;
    let cycle: serde_json::Value = r.try_get("", "default_cycle")?;
    Ok(Settings {
        legal_deadline_days: r.try_get("", "legal_deadline_days")?,
        hold_apart_bp: r.try_get("", "hold_apart_bp")?,
        default_cycle: serde_json::from_value(cycle).unwrap_or(Cycle::Daily),
        default_lag_business_days: r.try_get("", "default_lag_business_days")?,
        operator_name: r.try_get("", "operator_name")?,
        operator_business_number: r.try_get("", "operator_business_number")?,
    })
}

pub async fn save_settings(db: &impl ConnectionTrait, s: &Settings) -> SettlementsResult<()> {
    let mut errors = Vec::new();
    if s.legal_deadline_days < 1 {
        errors.push(platform::error::FieldError::new(
            "legal_deadline_days",
            "out_of_range",
            "at least 1",
        ));
    }
    if RateBp::new(s.hold_apart_bp).is_none() {
        errors.push(platform::error::FieldError::new(
            "hold_apart_bp",
            "out_of_range",
            "0 to 10000 basis points",
        ));
    }
    if !s.default_cycle.valid() {
        errors.push(platform::error::FieldError::new(
            "default_cycle",
            "out_of_range",
            "weekday 1–7, day 1–31",
        ));
    }
    if s.default_lag_business_days < 0 {
        errors.push(platform::error::FieldError::new(
            "default_lag_business_days",
            "out_of_range",
            "0 or more",
        ));
    }
    if !errors.is_empty() {
        return Err(SettlementsError::Invalid(errors));
    }
    db.execute_raw(pg(
        "UPDATE settlements.settings SET legal_deadline_days = $1, hold_apart_bp = $2, default_cycle = $3, \
         default_lag_business_days = $4, operator_name = $5, operator_business_number = $6, updated_at = now()",
        [
            s.legal_deadline_days.into(),
            s.hold_apart_bp.into(),
            serde_json::to_value(s.default_cycle).unwrap_or_default().into(),
            s.default_lag_business_days.into(),
            s.operator_name.clone().into(),
            s.operator_business_number.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn holidays(db: &impl ConnectionTrait) -> SettlementsResult<Holidays> {
    let rows = db
        .query_all_raw(pg("SELECT day FROM settlements.holidays", []))
        .await?;
    let days: Result<Vec<NaiveDate>, _> = rows.iter().map(|r| r.try_get("", "day")).collect();
    Ok(Holidays::new(days?))
}

/// Every commission rule (few: a default, some vendors, categories and campaigns).
pub async fn commission_rules(db: &impl ConnectionTrait) -> SettlementsResult<Vec<CommissionRule>> {
    let rows = db
        .query_all_raw(pg(
            "SELECT scope, scope_id, rate_bp, effective_from, effective_to FROM settlements.commission_rules",
            [],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let scope: String = r.try_get("", "scope")?;
            let id: Option<Uuid> = r.try_get("", "scope_id")?;
            let scope = match (scope.as_str(), id) {
                ("vendor", Some(id)) => Scope::Vendor(id),
                ("category", Some(id)) => Scope::Category(id),
                ("campaign", Some(id)) => Scope::Campaign(id),
                _ => Scope::Default,
            };
            Ok(CommissionRule {
                scope,
                rate: rate(r.try_get("", "rate_bp")?)?,
                effective_from: r.try_get("", "effective_from")?,
                effective_to: r.try_get("", "effective_to")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommissionRule {
    /// `{"scope": "default"}`, or `vendor`, `category`, `campaign` with its `id`.
    pub scope: Scope,
    /// Basis points: 300 = 3%.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 10_000>")]
    #[schema(minimum = 0, maximum = 10_000)]
    pub rate_bp: i32,
    pub effective_from: DateTime<Utc>,
    pub effective_to: Option<DateTime<Utc>>,
}

pub async fn add_commission_rule(
    db: &impl ConnectionTrait,
    rule: &NewCommissionRule,
    actor: Uuid,
) -> SettlementsResult<Uuid> {
    if RateBp::new(rule.rate_bp).is_none() {
        return Err(SettlementsError::field(
            "rate_bp",
            "out_of_range",
            "0 to 10000 basis points",
        ));
    }
    if rule
        .effective_to
        .is_some_and(|to| to <= rule.effective_from)
    {
        return Err(SettlementsError::field(
            "effective_to",
            "out_of_range",
            "after effective_from",
        ));
    }
    let (scope, id) = match rule.scope {
        Scope::Default => ("default", None),
        Scope::Vendor(id) => ("vendor", Some(id)),
        Scope::Category(id) => ("category", Some(id)),
        Scope::Campaign(id) => ("campaign", Some(id)),
    };
    let new_id = platform::ids::new_id();
    db.execute_raw(pg(
        "INSERT INTO settlements.commission_rules (id, scope, scope_id, rate_bp, effective_from, effective_to, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            new_id.into(),
            scope.into(),
            id.into(),
            rule.rate_bp.into(),
            rule.effective_from.into(),
            rule.effective_to.into(),
            actor.into(),
        ],
    ))
    .await?;
    Ok(new_id)
}

/// The fee rate of a payment method (0 for a method with no row).
pub async fn fee_rate(db: &impl ConnectionTrait, method: &str) -> SettlementsResult<RateBp> {
    let r = db
        .query_one_raw(pg(
            "SELECT rate_bp FROM settlements.payment_fees WHERE method = $1",
            [method.into()],
        ))
        .await?;
    match r {
        Some(r) => rate(r.try_get("", "rate_bp")?),
        None => Ok(RateBp::ZERO),
    }
}

pub async fn set_fee_rate(
    db: &impl ConnectionTrait,
    method: &str,
    bp: i32,
) -> SettlementsResult<()> {
    if RateBp::new(bp).is_none() {
        return Err(SettlementsError::field(
            "rate_bp",
            "out_of_range",
            "0 to 10000 basis points",
        ));
    }
    if method.is_empty() || method.len() > 32 {
        return Err(SettlementsError::field(
            "method",
            "invalid",
            "a payment method name",
        ));
    }
    db.execute_raw(pg(
        "INSERT INTO settlements.payment_fees (method, rate_bp) VALUES ($1, $2) \
         ON CONFLICT (method) DO UPDATE SET rate_bp = EXCLUDED.rate_bp, updated_at = now()",
        [method.into(), bp.into()],
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxpayerKind {
    /// 일반과세자
    General,
    /// 간이과세자
    Simplified,
    /// 면세사업자
    Exempt,
}

impl TaxpayerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaxpayerKind::General => "general",
            TaxpayerKind::Simplified => "simplified",
            TaxpayerKind::Exempt => "exempt",
        }
    }
}

/// A vendor's settlement policy as it applies (the shop defaults where it has none).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VendorPolicy {
    pub cycle: Cycle,
    /// Business days between a payable's confirmation and its payment, 0 to 60.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 60>")]
    #[schema(minimum = 0, maximum = 60)]
    pub lag_business_days: i32,
    pub taxpayer_kind: TaxpayerKind,
}

impl VendorPolicy {
    pub fn cycle_policy(&self) -> CyclePolicy {
        CyclePolicy {
            cycle: self.cycle,
            lag_business_days: u32::try_from(self.lag_business_days).unwrap_or(0),
        }
    }
}

pub async fn vendor_policy(
    db: &impl ConnectionTrait,
    settings: &Settings,
    vendor_id: Uuid,
) -> SettlementsResult<VendorPolicy> {
    let r = db
        .query_one_raw(pg(
            "SELECT cycle, lag_business_days, taxpayer_kind FROM settlements.vendor_policies WHERE vendor_id = $1",
            [vendor_id.into()],
        ))
        .await?;
    let (cycle, lag, kind) = match r {
        Some(r) => (
            r.try_get::<Option<serde_json::Value>>("", "cycle")?,
            r.try_get::<Option<i32>>("", "lag_business_days")?,
            r.try_get::<String>("", "taxpayer_kind")?,
        ),
        None => (None, None, "general".into()),
    };
    Ok(VendorPolicy {
        cycle: cycle
            .and_then(|c| serde_json::from_value(c).ok())
            .unwrap_or(settings.default_cycle),
        lag_business_days: lag.unwrap_or(settings.default_lag_business_days),
        taxpayer_kind: serde_json::from_value(serde_json::Value::String(kind))
            .unwrap_or(TaxpayerKind::General),
    })
}

pub async fn save_vendor_policy(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    p: &VendorPolicy,
) -> SettlementsResult<()> {
    if !p.cycle.valid() {
        return Err(SettlementsError::field(
            "cycle",
            "out_of_range",
            "weekday 1–7, day 1–31",
        ));
    }
    if !(0..=60).contains(&p.lag_business_days) {
        return Err(SettlementsError::field(
            "lag_business_days",
            "out_of_range",
            "0 to 60",
        ));
    }
    db.execute_raw(pg(
        "INSERT INTO settlements.vendor_policies (vendor_id, cycle, lag_business_days, taxpayer_kind) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (vendor_id) DO UPDATE SET cycle = EXCLUDED.cycle, lag_business_days = EXCLUDED.lag_business_days, \
         taxpayer_kind = EXCLUDED.taxpayer_kind, updated_at = now()",
        [
            vendor_id.into(),
            serde_json::to_value(p.cycle).unwrap_or_default().into(),
            p.lag_business_days.into(),
            p.taxpayer_kind.as_str().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// 422 unless `vendor_id` names a vendor of the catalog.
pub async fn ensure_vendor(db: &impl ConnectionTrait, vendor_id: Uuid) -> SettlementsResult<()> {
    match catalog::listing::vendor_party(db, vendor_id).await? {
        Some(_) => Ok(()),
        None => Err(SettlementsError::field(
            "vendor_id",
            "not_found",
            "no such vendor",
        )),
    }
}
