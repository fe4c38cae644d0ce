//! The quotation as a document to print or file (견적서): Korean, one section per vendor
//! with its seller identity (공급자) and the organisation as recipient (공급받는자), the
//! lines, shipping, totals and validity. As HTML (printable, no script) and as XLSX.

use super::{PartStatus, QuotationView};
use ammonia::clean_text;
use chrono::{DateTime, Utc};

/// `12345` → `12,345`.
fn won(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn opt_won(n: Option<i64>) -> String {
    n.map(won).unwrap_or_else(|| "-".into())
}

fn status_ko(s: PartStatus) -> &'static str {
    match s {
        PartStatus::Requested => "회신 대기",
        PartStatus::Answered => "회신 완료",
        PartStatus::Declined => "견적 불가",
    }
}

/// The Seoul calendar day of an instant, as the document prints a date: a quotation
/// requested at 01:00 in Seoul is dated that day, not the UTC day before.
fn seoul_day(at: DateTime<Utc>) -> String {
    promotions::seoul::day(at).format("%Y-%m-%d").to_string()
}

/// An instant as Seoul wall-clock time, labelled: the buyer reads a validity in the hours
/// of their own office.
fn seoul_time(at: DateTime<Utc>) -> String {
    promotions::seoul::show(at)
        .format("%Y-%m-%d %H:%M KST")
        .to_string()
}

/// The printable HTML document; `recipient` is the organisation's name.
pub fn html(q: &QuotationView, recipient: &str) -> String {
    let mut h = String::new();
    h.push_str("<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\">");
    h.push_str(&format!("<title>견적서 {}</title>", clean_text(&q.number)));
    h.push_str(
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%;margin:1em 0}\
         th,td{border:1px solid #444;padding:4px 8px}td.n{text-align:right}@media print{section{page-break-inside:avoid}}</style>",
    );
    h.push_str("</head><body>");
    h.push_str(&format!(
        "<h1>견 적 서</h1><p>견적번호 {} · 요청일 {} · 납품 희망일 {}</p>",
        clean_text(&q.number),
        seoul_day(q.created_at),
        q.delivery_date
    ));
    h.push_str(&format!(
        "<p>공급받는자: <strong>{}</strong> 귀하 · 납품 장소: {} {}</p>",
        clean_text(recipient),
        clean_text(&q.address.road_address),
        clean_text(&q.address.detail)
    ));
    if !q.notes.is_empty() {
        h.push_str(&format!("<p>요청 사항: {}</p>", clean_text(&q.notes)));
    }
    for part in &q.parts {
        h.push_str("<section>");
        match &part.seller {
            Some(s) => h.push_str(&format!(
                "<h2>공급자: {}</h2><p>대표자 {} · 사업자등록번호 {} · {} · {} · {}</p>",
                clean_text(&s.trade_name),
                clean_text(&s.representative),
                clean_text(&s.business_number),
                clean_text(&s.address),
                clean_text(&s.cs_phone),
                clean_text(&s.cs_email)
            )),
            None => h.push_str("<h2>공급자: (정보 없음)</h2>"),
        }
        h.push_str(&format!("<p>상태: {}", status_ko(part.status)));
        if let Some(v) = part.valid_until {
            h.push_str(&format!(" · 유효기간 {}까지", seoul_time(v)));
        }
        h.push_str("</p><table><thead><tr><th>품명</th><th>규격</th><th>수량</th><th>단가</th><th>금액</th><th>과세</th></tr></thead><tbody>");
        for l in &part.lines {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                clean_text(&l.title),
                clean_text(&l.variant_name),
                l.quantity,
                opt_won(l.quoted_unit_price),
                opt_won(l.amount),
                if l.taxable { "과세" } else { "면세" }
            ));
        }
        h.push_str(&format!(
            "</tbody></table><p>물품 소계 {}원 · 배송비 {}원 · 공급자 합계 {}원</p>",
            opt_won(part.items_total),
            opt_won(part.shipping_fee),
            opt_won(part.total)
        ));
        if !part.vendor_notes.is_empty() {
            h.push_str(&format!("<p>비고: {}</p>", clean_text(&part.vendor_notes)));
        }
        h.push_str("</section>");
    }
    h.push_str(&format!(
        "<h2>합계</h2><p>물품 {}원 · 배송비 {}원 · <strong>총액 {}원</strong> (부가세 포함)</p>",
        won(q.totals.items_total),
        won(q.totals.shipping_total),
        won(q.totals.grand_total)
    ));
    if let Some(v) = q.valid_until {
        h.push_str(&format!(
            "<p>이 견적은 {}까지 유효합니다.</p>",
            seoul_time(v)
        ));
    }
    h.push_str("</body></html>");
    h
}

/// The same as a workbook: one sheet, a block per vendor, amounts as numbers shown in
/// won (`#,##0"원"`), so the sheet still adds up when the buyer edits it.
pub fn xlsx(q: &QuotationView, recipient: &str) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let money = Format::new().set_num_format("#,##0\"원\"");
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("견적서").map_err(e)?;
    ws.set_column_width(0, 28).map_err(e)?;
    ws.set_column_width(1, 40).map_err(e)?;
    ws.set_column_width(3, 14).map_err(e)?;
    ws.set_column_width(4, 16).map_err(e)?;
    let mut row = 0u32;
    let pair = |ws: &mut rust_xlsxwriter::Worksheet, row: &mut u32, k: &str, v: &str| {
        let r = ws.write(*row, 0, k).and_then(|ws| ws.write(*row, 1, v));
        *row += 1;
        r.map(|_| ())
    };
    pair(ws, &mut row, "견적서", &q.number).map_err(e)?;
    pair(ws, &mut row, "공급받는자", recipient).map_err(e)?;
    pair(ws, &mut row, "납품 희망일", &q.delivery_date.to_string()).map_err(e)?;
    pair(ws, &mut row, "요청 사항", &q.notes).map_err(e)?;
    for part in &q.parts {
        row += 1;
        if let Some(s) = &part.seller {
            pair(ws, &mut row, "공급자", &s.trade_name).map_err(e)?;
            pair(ws, &mut row, "대표자", &s.representative).map_err(e)?;
            pair(ws, &mut row, "사업자등록번호", &s.business_number).map_err(e)?;
            pair(ws, &mut row, "주소", &s.address).map_err(e)?;
            pair(ws, &mut row, "연락처", &s.cs_phone).map_err(e)?;
        }
        pair(ws, &mut row, "상태", status_ko(part.status)).map_err(e)?;
        if let Some(v) = part.valid_until {
            let until = seoul_time(v);
            pair(ws, &mut row, "유효기간", &until).map_err(e)?;
        }
        for (col, h) in ["품명", "규격", "수량", "단가", "금액"].iter().enumerate() {
            ws.write_with_format(row, col as u16, *h, &bold)
                .map_err(e)?;
        }
        row += 1;
        for l in &part.lines {
            ws.write(row, 0, l.title.as_str()).map_err(e)?;
            ws.write(row, 1, l.variant_name.as_str()).map_err(e)?;
            ws.write(row, 2, l.quantity).map_err(e)?;
            if let (Some(u), Some(a)) = (l.quoted_unit_price, l.amount) {
                ws.write_number_with_format(row, 3, u as f64, &money)
                    .map_err(e)?;
                ws.write_number_with_format(row, 4, a as f64, &money)
                    .map_err(e)?;
            }
            row += 1;
        }
        if let (Some(ship), Some(total)) = (part.shipping_fee, part.total) {
            ws.write(row, 3, "배송비").map_err(e)?;
            ws.write_number_with_format(row, 4, ship as f64, &money)
                .map_err(e)?;
            row += 1;
            ws.write(row, 3, "공급자 합계").map_err(e)?;
            ws.write_number_with_format(row, 4, total as f64, &money)
                .map_err(e)?;
            row += 1;
        }
    }
    row += 1;
    ws.write_with_format(row, 3, "총액 (부가세 포함)", &bold)
        .map_err(e)?;
    ws.write_number_with_format(row, 4, q.totals.grand_total as f64, &money)
        .map_err(e)?;
    if let Some(v) = q.valid_until {
        row += 1;
        ws.write(row, 3, "유효기간").map_err(e)?;
        ws.write(row, 4, seoul_time(v)).map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::{seoul_day, seoul_time, won};
    use chrono::{TimeZone, Utc};

    #[test]
    fn dates_and_times_are_seouls() {
        let late = Utc.with_ymd_and_hms(2026, 12, 6, 16, 0, 0).unwrap();
        assert_eq!(seoul_day(late), "2026-12-07", "01:00 the next day in Seoul");
        let before = Utc.with_ymd_and_hms(2026, 12, 6, 14, 59, 0).unwrap();
        assert_eq!(seoul_day(before), "2026-12-06");
        assert_eq!(seoul_time(before), "2026-12-06 23:59 KST");
    }

    #[test]
    fn won_has_thousands_separators() {
        assert_eq!(won(0), "0");
        assert_eq!(won(999), "999");
        assert_eq!(won(1000), "1,000");
        assert_eq!(won(1234567), "1,234,567");
        assert_eq!(won(-45000), "-45,000");
    }
}
