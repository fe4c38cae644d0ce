//! The remote-area (도서산간) surcharge table and its exemptions, as quotes use them. Every
//! quote needs them and the shop changes them rarely (data in the catalog's tables), so
//! they are read once and kept for [`REFRESH`]: an edit reaches quotes within minutes.

use crate::error::{OrdersError, OrdersResult};
use catalog::purchasable::{self, RemoteAreaExemptionRow};
use platform::money::Won;
use promotions::pricing::{RemoteAreaExemption, RemoteAreaRange, RemoteAreaTable};
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How long a read table is used before it is read again.
pub const REFRESH: Duration = Duration::from_secs(300);

#[derive(Default)]
pub struct RemoteAreas {
    cached: RwLock<Option<(Instant, Arc<RemoteAreaTable>)>>,
}

impl RemoteAreas {
    /// The table, read again once it is older than [`REFRESH`]. One request reads it;
    /// the others that find it stale meanwhile wait for that read instead of repeating it.
    pub async fn table(&self, db: &impl ConnectionTrait) -> OrdersResult<Arc<RemoteAreaTable>> {
        if let Some(table) = fresh(&*self.cached.read().await) {
            return Ok(table);
        }
        let mut cached = self.cached.write().await;
        if let Some(table) = fresh(&cached) {
            return Ok(table);
        }
        let table = Arc::new(load(db).await?);
        *cached = Some((Instant::now(), table.clone()));
        Ok(table)
    }
}

fn fresh(cached: &Option<(Instant, Arc<RemoteAreaTable>)>) -> Option<Arc<RemoteAreaTable>> {
    cached
        .as_ref()
        .filter(|(read_at, _)| read_at.elapsed() < REFRESH)
        .map(|(_, table)| table.clone())
}

async fn load(db: &impl ConnectionTrait) -> OrdersResult<RemoteAreaTable> {
    let ranges = purchasable::remote_areas(db)
        .await?
        .into_iter()
        .map(|r| RemoteAreaRange {
            region: r.region,
            from: r.from_code.max(0) as u32,
            to: r.to_code.max(0) as u32,
            surcharge: Won(r.surcharge),
        })
        .collect();
    let exemptions = purchasable::remote_area_exemptions(db)
        .await?
        .into_iter()
        .filter_map(exemption)
        .collect();
    RemoteAreaTable::new(ranges, exemptions).map_err(|e| OrdersError::RemoteAreas(e.to_string()))
}

/// A stored exemption: by building number when it has one, else by road name, else the
/// whole postal code. A row whose postal code is not 5 digits names no address and is
/// skipped (with a warning) rather than failing every quote.
fn exemption(row: RemoteAreaExemptionRow) -> Option<RemoteAreaExemption> {
    let postal = (row.postal_code.len() == 5)
        .then(|| row.postal_code.parse::<u32>().ok())
        .flatten();
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let found = match (row.building_no.as_deref().map(digits), row.road_name) {
        (Some(b), _) if !b.is_empty() => Some(RemoteAreaExemption::BuildingNo { building_no: b }),
        (_, Some(road)) if !road.trim().is_empty() => Some(RemoteAreaExemption::RoadName {
            road: road.trim().to_owned(),
            postal_code: postal,
        }),
        _ => postal.map(|postal_code| RemoteAreaExemption::PostalCode { postal_code }),
    };
    if found.is_none() {
        tracing::warn!(postal_code = %row.postal_code, "remote-area exemption names no address; skipped");
    }
    found
}
