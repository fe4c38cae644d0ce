//! The report as one printable page in Korean: the figures, the tables and the charts
//! inline (SVG), with its own small stylesheet; nothing is loaded from elsewhere.

use crate::exports::percent;
use crate::performance::{Compared, PerformanceReport};
use std::fmt::Write;

/// Text made safe inside HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whole won with thousands separators: 1234567 → "1,234,567".
pub fn won(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0 { format!("-{out}") } else { out }
}

fn growth(bp: Option<i64>) -> String {
    bp.map_or("—".into(), |b| format!("{}%", percent(b)))
}

fn figure_cells(c: &Compared) -> String {
    format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        won(c.current.net),
        won(c.previous_year.net),
        won(c.previous_period.net),
        growth(c.net_growth_vs_previous_year_bp),
        growth(c.net_growth_vs_previous_period_bp),
        won(c.current.units),
        won(c.current.vendor_discount + c.current.platform_discount),
        won(c.current.refunds),
    )
}

const FIGURE_HEADERS: &str = "<th>순매출(원)</th><th>전년 동기</th><th>전기</th><th>전년비</th><th>전기비</th>\
    <th>수량</th><th>할인</th><th>환불</th>";

const STYLE: &str = "body{font-family:'Noto Sans KR','Malgun Gothic',sans-serif;margin:24px;color:#222}\
    h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}\
    table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #ccc;padding:4px 6px}\
    td{text-align:right}td.k{text-align:left}th{background:#f2f4f7}.notes{font-size:12px;color:#555}\
    figure{margin:16px 0;page-break-inside:avoid}@media print{body{margin:0}}";

/// The page: `tables` are the report grouped each way, `charts` the SVGs to show.
pub fn html(
    summary: &PerformanceReport,
    tables: &[PerformanceReport],
    charts: &[String],
) -> String {
    let t = &summary.totals;
    let b = &summary.buyers;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>실적 보고서 {period}</title>\
         <style>{STYLE}</style></head><body><h1>인천직구 구매실적 보고서</h1>\
         <p>기간: {period} · 비교: 전년 동기 {py}, 전기 {pp}</p>\
         <h2>요약</h2><table><tr>{FIGURE_HEADERS}</tr><tr>{cells}</tr></table>\
         <table style=\"margin-top:8px\"><tr><th>구매자</th><th>신규</th><th>재구매</th><th>판매자별 주문</th><th>객단가(원)</th>\
         <th>정가 매출</th><th>판매자 부담 할인</th><th>플랫폼 부담 할인</th></tr>\
         <tr><td>{buyers}</td><td>{new}</td><td>{ret}</td><td>{vo}</td><td>{aov}</td><td>{gross}</td><td>{vd}</td><td>{pd}</td></tr></table>",
        period = esc(&summary.period.label()),
        py = esc(&summary.previous_year.label()),
        pp = esc(&summary.previous_period.label()),
        cells = figure_cells(t),
        buyers = won(b.buyers),
        new = won(b.new_buyers),
        ret = won(b.returning_buyers),
        vo = won(b.vendor_orders),
        aov = won(b.average_order_value),
        gross = won(t.current.gross),
        vd = won(t.current.vendor_discount),
        pd = won(t.current.platform_discount),
    );
    for svg in charts {
        // Our own plotters output: the labels in it are escaped by the SVG backend.
        let _ = write!(h, "<figure>{svg}</figure>");
    }
    for g in tables.iter().filter(|g| !g.by.is_empty()) {
        let heads: String =
            g.by.iter()
                .map(|d| format!("<th>{}</th>", d.label_ko()))
                .collect();
        let names: Vec<&str> = g.by.iter().map(|d| d.label_ko()).collect();
        let _ = write!(
            h,
            "<h2>{}별</h2><table><tr>{heads}{FIGURE_HEADERS}</tr>",
            names.join("·")
        );
        for r in &g.rows {
            let keys: String = r
                .keys
                .iter()
                .map(|k| format!("<td class=\"k\">{}</td>", esc(&k.label)))
                .collect();
            let _ = write!(h, "<tr>{keys}{}</tr>", figure_cells(&r.figures));
        }
        let pad = "<td></td>".repeat(g.by.len().saturating_sub(1));
        let _ = write!(
            h,
            "<tr><th>합계</th>{pad}{}</tr></table>",
            figure_cells(&g.totals)
        );
    }
    if !summary.top_products.is_empty() {
        let _ = write!(
            h,
            "<h2>상위 상품</h2><table><tr><th>상품</th><th>판매자</th><th>수량</th><th>순매출(원)</th></tr>"
        );
        for p in &summary.top_products {
            let _ = write!(
                h,
                "<tr><td class=\"k\">{}</td><td class=\"k\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.title),
                esc(&p.vendor_name),
                won(p.units),
                won(p.net)
            );
        }
        h.push_str("</table>");
    }
    if !summary.campaigns.is_empty() {
        let _ = write!(
            h,
            "<h2>기획전 효과</h2><table><tr><th>기획전</th><th>기간</th><th>기간 중 순매출</th><th>직전 같은 기간</th><th>증감</th></tr>"
        );
        for c in &summary.campaigns {
            let _ = write!(
                h,
                "<tr><td class=\"k\">{}</td><td class=\"k\">{} ~ {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.title),
                c.during_from,
                c.during_to,
                won(c.net_during),
                won(c.net_before),
                growth(c.growth_bp)
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        "<h2>구·군 개편 대응표 (2026-07-01)</h2><table><tr><th>이전</th><th>이후</th><th>범위</th></tr>"
    );
    for s in &summary.district_mapping {
        let _ = write!(
            h,
            "<tr><td class=\"k\">{}</td><td class=\"k\">{}</td><td class=\"k\">{}</td></tr>",
            esc(&s.old),
            esc(&s.new),
            esc(&s.part)
        );
    }
    h.push_str("</table><div class=\"notes\"><h2>참고</h2><ul>");
    for n in &summary.notes {
        let _ = write!(h, "<li>{}</li>", esc(n));
    }
    h.push_str("</ul></div></body></html>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn won_groups_thousands_and_text_is_escaped() {
        assert_eq!(won(1_234_567), "1,234,567");
        assert_eq!(won(-1_000), "-1,000");
        assert_eq!(won(999), "999");
        assert_eq!(esc("<b>\"&'"), "&lt;b&gt;&quot;&amp;&#39;");
    }
}
