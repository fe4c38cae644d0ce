//! A campaign's statistics: page views, unique visitors (HyperLogLog), orders, units,
//! revenue and conversion, from the counters `promotions::stats` keeps up from events.

use super::campaigns::status_label;
use crate::error::PageResult;
use crate::guard::{Ctx, MarketerSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "marketer/stats.html")]
pub struct StatsPage {
    chrome: Chrome,
    id: Uuid,
    status: &'static str,
    window: String,
    /// (label, value, element id)
    figures: Vec<(&'static str, String, &'static str)>,
}

/// Thousands separators without a unit.
fn count(n: i64) -> String {
    crate::fmt::won(n).trim_end_matches('원').to_owned()
}

pub async fn show(cx: Ctx<MarketerSession>, Path(id): Path<Uuid>) -> PageResult<StatsPage> {
    let c = promotions::campaigns::get(&cx.state.db, id).await?;
    let s = promotions::stats::read(&cx.state, id).await?;
    Ok(StatsPage {
        chrome: cx.page.chrome(&format!("{} 통계", c.title)),
        id,
        status: status_label(&c.status),
        window: format!(
            "{} (한국 시간)",
            crate::fmt::kst_window(&c.starts_at, &c.ends_at)
        ),
        figures: vec![
            ("페이지 조회", count(s.page_views), "stat-views"),
            (
                "순 방문자 (추정)",
                count(s.unique_visitors),
                "stat-visitors",
            ),
            ("주문", count(s.orders), "stat-orders"),
            ("판매 수량", count(s.units), "stat-units"),
            ("매출 (할인 후)", crate::fmt::won(s.revenue), "stat-revenue"),
            (
                "전환율",
                format!("{:.2}%", s.conversion * 100.0),
                "stat-conversion",
            ),
        ],
    })
}
