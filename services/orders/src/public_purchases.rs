//! The public-purchase disclosure (공공구매 공시), public and without login: per public
//! institution and half-year, what it bought through the shop, how much of it from local
//! SMEs, the share, and its rank.
//!
//! - *Bought*: the lines of its paid orders (paid in the period, Asia/Seoul calendar; not
//!   cancelled), at what was charged for them, less what was refunded. Shipping is not a
//!   product bought and is left out.
//! - *From local SMEs*: the part sold by vendors the catalog counts as local SMEs
//!   ([`catalog::vendors::local_smes`]: approved by the shop, which verified their business
//!   registration and Incheon address, and still addressed in Incheon).
//! - *Share*: in basis points (1/100 of a percent), rounded down; no floats.
//! - *Rank*: by share, then by amount from local SMEs; institutions equal in both share a
//!   rank (1, 2, 2, 4).
//!
//! The institution is the one recorded on the order when it was bought, with its kind as
//! it was then (`orders.organisation_kind`).

use crate::error::{OrdersError, OrdersResult};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// 1 (January–June) or 2 (July–December).
    #[param(minimum = 1, maximum = 2)]
    pub half: u8,
}

impl Period {
    /// The first day of the half and of the next one, in Korea.
    fn days(self) -> OrdersResult<(NaiveDate, NaiveDate)> {
        // The field named is the one that is wrong, as on every other 422.
        let bad = |field: &str, message: &str| {
            OrdersError::Invalid(vec![platform::error::FieldError::new(
                field,
                "out_of_range",
                message,
            )])
        };
        if !(2000..=2100).contains(&self.year) {
            return Err(bad("year", "year 2000 to 2100"));
        }
        let (from, to) = match self.half {
            1 => ((self.year, 1), (self.year, 7)),
            2 => ((self.year, 7), (self.year + 1, 1)),
            _ => return Err(bad("half", "half 1 or 2")),
        };
        let day = |(y, m): (i32, u32)| {
            NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| bad("year", "year 2000 to 2100"))
        };
        Ok((day(from)?, day(to)?))
    }
}

/// Midnight of `day` in Korea (UTC+9, no daylight saving).
fn seoul_midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN)) - chrono::Duration::hours(9)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstitutionPurchases {
    pub rank: u32,
    pub organisation_id: Uuid,
    pub name: String,
    /// Won bought through the shop in the period.
    pub total: i64,
    /// Won of it from local SMEs.
    pub local_sme: i64,
    /// `local_sme / total` in basis points (10,000 = 100%), rounded down.
    pub share_bp: i64,
    /// The same as a percentage with two decimals, e.g. "62.50".
    pub share_percent: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPurchases {
    pub year: i32,
    pub half: u8,
    /// First day of the period (Asia/Seoul).
    pub from: NaiveDate,
    /// First day after it.
    pub until: NaiveDate,
    /// What "local SME" means here.
    pub local_sme_definition: &'static str,
    pub institutions: Vec<InstitutionPurchases>,
}

const DEFINITION: &str = "지역 중소기업: 직구몰이 사업자등록과 인천 소재지를 확인해 승인한 판매자로, 지금도 인천에 주소를 둔 곳";

/// Basis points of `part / whole`, rounded down (0 for an empty whole).
pub fn share_bp(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    ((i128::from(part) * 10_000) / i128::from(whole)) as i64
}

/// Competition ranks ("1224") of rows already sorted best first, equal keys sharing one.
fn ranks<K: PartialEq>(keys: &[K]) -> Vec<u32> {
    let mut out = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let rank = if i > 0 && keys[i - 1] == *k {
            out[i - 1]
        } else {
            i as u32 + 1
        };
        out.push(rank);
    }
    out
}

pub async fn disclosure(
    db: &impl ConnectionTrait,
    period: Period,
) -> OrdersResult<PublicPurchases> {
    let (from, until) = period.days()?;
    #[derive(FromQueryResult)]
    struct Row {
        organisation_id: Uuid,
        vendor_id: Uuid,
        amount: i64,
    }
    let rows = Row::find_by_statement(pg(
        "SELECT o.organisation_id, l.vendor_id, sum(l.final_amount - l.refunded_amount)::bigint AS amount \
         FROM orders.orders o JOIN orders.order_lines l ON l.order_id = o.id \
         WHERE o.organisation_kind = 'public_institution' AND o.status IN ('paid', 'completed') \
             AND o.paid_at >= $1 AND o.paid_at < $2 \
         GROUP BY o.organisation_id, l.vendor_id",
        [seoul_midnight(from).into(), seoul_midnight(until).into()],
    ))
    .all(db)
    .await?;
    let mut vendors: Vec<Uuid> = rows.iter().map(|r| r.vendor_id).collect();
    vendors.sort_unstable();
    vendors.dedup();
    let local = catalog::vendors::local_smes(db, &vendors).await?;
    let mut per_org: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for r in &rows {
        let e = per_org.entry(r.organisation_id).or_default();
        e.0 += r.amount;
        if local.contains(&r.vendor_id) {
            e.1 += r.amount;
        }
    }
    let ids: Vec<Uuid> = per_org.keys().copied().collect();
    let names = platform::organisations::service::names(db, &ids).await?;
    let mut list: Vec<InstitutionPurchases> = per_org
        .into_iter()
        .map(|(id, (total, local_sme))| {
            let bp = share_bp(local_sme, total);
            InstitutionPurchases {
                rank: 0,
                organisation_id: id,
                name: names.get(&id).cloned().unwrap_or_default(),
                total,
                local_sme,
                share_bp: bp,
                share_percent: format!("{}.{:02}", bp / 100, bp % 100),
            }
        })
        .collect();
    list.sort_by(|a, b| {
        (b.share_bp, b.local_sme)
            .cmp(&(a.share_bp, a.local_sme))
            .then_with(|| a.name.cmp(&b.name))
    });
    let keys: Vec<(i64, i64)> = list.iter().map(|i| (i.share_bp, i.local_sme)).collect();
    for (i, rank) in list.iter_mut().zip(ranks(&keys)) {
        i.rank = rank;
    }
    Ok(PublicPurchases {
        year: period.year,
        half: period.half,
        from,
        until,
        local_sme_definition: DEFINITION,
        institutions: list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_down_in_basis_points() {
        assert_eq!(share_bp(1, 3), 3333);
        assert_eq!(share_bp(2, 3), 6666);
        assert_eq!(share_bp(5, 5), 10_000);
        assert_eq!(share_bp(0, 0), 0);
        assert_eq!(share_bp(i64::MAX / 2, i64::MAX / 2), 10_000);
    }

    #[test]
    fn equal_keys_share_a_rank() {
        assert_eq!(ranks(&[9, 7, 7, 3]), [1, 2, 2, 4]);
        assert_eq!(ranks::<i32>(&[]), Vec::<u32>::new());
    }

    #[test]
    fn halves_are_korean_calendar_halves() {
        let p = Period {
            year: 2026,
            half: 2,
        };
        let (from, until) = p.days().unwrap_or_default();
        assert_eq!(from.to_string(), "2026-07-01");
        assert_eq!(until.to_string(), "2027-01-01");
        assert_eq!(
            seoul_midnight(from).to_rfc3339(),
            "2026-06-30T15:00:00+00:00"
        );
        assert!(
            Period {
                year: 2026,
                half: 3
            }
            .days()
            .is_err()
        );
    }
}
