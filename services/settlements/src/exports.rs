//! Statement downloads with Korean headers: CSV (UTF-8 with a byte-order mark, so Excel
//! opens Hangul correctly) and XLSX. Amounts are whole won.

use crate::domain::kinds::EntryKind;
use crate::statements::StatementDetail;

const LINE_HEADERS: [&str; 9] = [
    "구분",
    "금액",
    "주문번호",
    "판매자주문ID",
    "주문상품ID",
    "요율(bp)",
    "사유",
    "발생일시",
    "지급예정일",
];

fn summary_rows(d: &StatementDetail) -> Vec<(&'static str, i64)> {
    let s = &d.summary;
    vec![
        ("이월액", s.opening_carry),
        ("판매", s.sales),
        ("환불", s.refunds),
        ("배송비", s.shipping),
        ("판매자 부담 할인", s.vendor_discounts),
        ("플랫폼 부담 할인(참고)", s.platform_discounts),
        ("수수료", s.commission),
        ("수수료 부가세", s.commission_vat),
        ("결제수수료", s.fees),
        ("조정", s.adjustments),
        ("정산 지급액", s.net_payable),
    ]
}

fn line_cells(d: &StatementDetail) -> Vec<[String; 9]> {
    d.lines
        .iter()
        .map(|l| {
            [
                EntryKind::parse(&l.kind).map_or(l.kind.clone(), |k| k.label_ko().to_owned()),
                l.amount.to_string(),
                l.order_number.clone().unwrap_or_default(),
                l.vendor_order_id.map(|v| v.to_string()).unwrap_or_default(),
                l.line_id.map(|v| v.to_string()).unwrap_or_default(),
                l.rate_bp.map(|r| r.to_string()).unwrap_or_default(),
                l.reason.clone().unwrap_or_default(),
                promotions::seoul::show(l.occurred_at)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                l.due_on.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect()
}

pub fn statement_csv(d: &StatementDetail) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let e = |e: csv::Error| e.to_string();
    w.write_record(["정산서", &d.summary.id.to_string()])
        .map_err(e)?;
    w.write_record(["정산기간 종료일", &d.summary.period_end.to_string()])
        .map_err(e)?;
    w.write_record(["지급예정일", &d.summary.due_on.to_string()])
        .map_err(e)?;
    for (label, amount) in summary_rows(d) {
        w.write_record([label, &amount.to_string()]).map_err(e)?;
    }
    w.write_record(LINE_HEADERS).map_err(e)?;
    for row in line_cells(d) {
        w.write_record(&row).map_err(e)?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

pub fn statement_xlsx(d: &StatementDetail) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::Workbook;
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("정산서").map_err(e)?;
    ws.write(0, 0, "정산서").map_err(e)?;
    ws.write(0, 1, d.summary.id.to_string()).map_err(e)?;
    ws.write(1, 0, "정산기간 종료일").map_err(e)?;
    ws.write(1, 1, d.summary.period_end.to_string())
        .map_err(e)?;
    ws.write(2, 0, "지급예정일").map_err(e)?;
    ws.write(2, 1, d.summary.due_on.to_string()).map_err(e)?;
    let mut row = 3u32;
    for (label, amount) in summary_rows(d) {
        ws.write(row, 0, label).map_err(e)?;
        ws.write(row, 1, amount).map_err(e)?;
        row += 1;
    }
    row += 1;
    for (col, h) in LINE_HEADERS.iter().enumerate() {
        ws.write(row, col as u16, *h).map_err(e)?;
    }
    for (line, cells) in d.lines.iter().zip(line_cells(d)) {
        row += 1;
        for (col, cell) in cells.iter().enumerate() {
            if col == 1 {
                ws.write(row, 1, line.amount).map_err(e)?;
            } else {
                ws.write(row, col as u16, cell.as_str()).map_err(e)?;
            }
        }
    }
    wb.save_to_buffer().map_err(e)
}
