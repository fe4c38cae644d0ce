//! The report as files for the task force: CSV (UTF-8 with a byte-order mark, so Excel
//! opens Hangul correctly) and XLSX (a summary sheet, then one sheet per grouping, Korean
//! headers, amounts in a won format). Amounts are whole won.

use crate::cells::Measures;
use crate::error::{ReportsError, ReportsResult};
use crate::performance::{Compared, PerformanceReport, ReportRow};

/// The figures of a row, after its group columns: (header, value).
fn figure_columns(c: &Compared) -> Vec<(&'static str, Figure)> {
    let m: &Measures = &c.current;
    vec![
        ("순매출", Figure::Won(m.net)),
        ("전년 동기 순매출", Figure::Won(c.previous_year.net)),
        ("전기 순매출", Figure::Won(c.previous_period.net)),
        (
            "전년비(%)",
            Figure::Percent(c.net_growth_vs_previous_year_bp),
        ),
        (
            "전기비(%)",
            Figure::Percent(c.net_growth_vs_previous_period_bp),
        ),
        // Distinct buyers of the row: they do not add up to the total.
        ("구매자 수", Figure::Count(c.buyers.current)),
        ("주문(상품별)", Figure::Count(m.orders)),
        ("수량", Figure::Count(m.units)),
        ("정가 매출", Figure::Won(m.gross)),
        ("판매자 부담 할인", Figure::Won(m.vendor_discount)),
        ("플랫폼 부담 할인", Figure::Won(m.platform_discount)),
        ("환불", Figure::Won(m.refunds)),
        ("환불 수량", Figure::Count(m.refunded_units)),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Figure {
    Won(i64),
    Count(i64),
    /// Basis points.
    Percent(Option<i64>),
}

impl Figure {
    fn text(self) -> String {
        match self {
            Figure::Won(v) | Figure::Count(v) => v.to_string(),
            Figure::Percent(Some(bp)) => percent(bp),
            Figure::Percent(None) => String::new(),
        }
    }
}

/// Basis points as a percentage with two decimals, exactly: 1234 → "12.34".
pub fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        bp.unsigned_abs() / 100,
        bp.unsigned_abs() % 100
    )
}

fn headers(r: &PerformanceReport) -> Vec<String> {
    let mut h: Vec<String> = r.by.iter().map(|d| d.label_ko().to_owned()).collect();
    h.extend(
        figure_columns(&Compared::default())
            .into_iter()
            .map(|(n, _)| n.to_owned()),
    );
    h
}

fn row_cells(row: &ReportRow) -> (Vec<String>, Vec<Figure>) {
    (
        row.keys.iter().map(|k| k.label.clone()).collect(),
        figure_columns(&row.figures)
            .into_iter()
            .map(|(_, f)| f)
            .collect(),
    )
}

fn summary_lines(r: &PerformanceReport) -> Vec<(String, String)> {
    let t = &r.totals;
    let mut out = vec![
        ("기간".to_owned(), r.period.label()),
        ("전년 동기".to_owned(), r.previous_year.label()),
        ("전기".to_owned(), r.previous_period.label()),
    ];
    for (name, f) in figure_columns(t) {
        out.push((name.to_owned(), f.text()));
    }
    let b = &r.buyers;
    out.extend([
        ("구매자 수".to_owned(), b.buyers.to_string()),
        ("신규 구매자".to_owned(), b.new_buyers.to_string()),
        ("재구매자".to_owned(), b.returning_buyers.to_string()),
        ("판매자별 주문 수".to_owned(), b.vendor_orders.to_string()),
        ("객단가".to_owned(), b.average_order_value.to_string()),
    ]);
    out
}

/// The report as CSV: the summary, the notes, then the rows under their headers.
pub fn csv(r: &PerformanceReport) -> ReportsResult<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let e = |e: csv::Error| ReportsError::Render(e.to_string());
    w.write_record(["실적 보고서"]).map_err(e)?;
    for (k, v) in summary_lines(r) {
        w.write_record([k, v]).map_err(e)?;
    }
    for n in &r.notes {
        w.write_record(["주", n.as_str()]).map_err(e)?;
    }
    if !r.by.is_empty() {
        w.write_record(headers(r)).map_err(e)?;
        for row in &r.rows {
            let (keys, figures) = row_cells(row);
            let mut rec = keys;
            rec.extend(figures.into_iter().map(Figure::text));
            w.write_record(rec).map_err(e)?;
        }
    }
    w.into_inner()
        .map_err(|e| ReportsError::Render(e.to_string()))
}

/// One figure in its XLSX cell, the same for a row and for the total under the rows: won
/// and counts as numbers in their formats, a percent as its text.
fn write_figure(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    f: Figure,
    won: &rust_xlsxwriter::Format,
    count: &rust_xlsxwriter::Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    match f {
        Figure::Won(v) => ws.write_with_format(row, col, v as f64, won)?,
        Figure::Count(v) => ws.write_with_format(row, col, v as f64, count)?,
        Figure::Percent(p) => ws.write(row, col, p.map(percent).unwrap_or_default())?,
    };
    Ok(())
}

/// The report as XLSX: a summary sheet, then one sheet per report in `groupings` (each a
/// grouping of the same period), named by its dimensions.
pub fn xlsx(
    summary: &PerformanceReport,
    groupings: &[PerformanceReport],
) -> ReportsResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| ReportsError::Render(e.to_string());
    let won = Format::new().set_num_format("₩#,##0");
    let count = Format::new().set_num_format("#,##0");
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("요약").map_err(e)?;
    ws.write_with_format(0, 0, "실적 보고서", &bold)
        .map_err(e)?;
    let mut row = 1u32;
    for (label, value) in summary_lines(summary) {
        ws.write(row, 0, label).map_err(e)?;
        match value.parse::<i64>() {
            Ok(v) => ws.write_with_format(row, 1, v as f64, &won).map_err(e)?,
            Err(_) => ws.write(row, 1, value).map_err(e)?,
        };
        row += 1;
    }
    row += 1;
    for n in &summary.notes {
        ws.write(row, 0, n.as_str()).map_err(e)?;
        row += 1;
    }
    ws.set_column_width(0, 24).map_err(e)?;
    ws.set_column_width(1, 28).map_err(e)?;
    for g in groupings.iter().filter(|g| !g.by.is_empty()) {
        let ws = wb.add_worksheet();
        let name: Vec<&str> = g.by.iter().map(|d| d.label_ko()).collect();
        ws.set_name(name.join("×").replace('·', "")).map_err(e)?;
        for (col, h) in headers(g).iter().enumerate() {
            ws.write_with_format(0, col as u16, h.as_str(), &bold)
                .map_err(e)?;
            ws.set_column_width(col as u16, 16).map_err(e)?;
        }
        for (i, r) in g.rows.iter().enumerate() {
            let row = i as u32 + 1;
            let (keys, figures) = row_cells(r);
            for (col, k) in keys.iter().enumerate() {
                ws.write(row, col as u16, k.as_str()).map_err(e)?;
            }
            for (j, f) in figures.into_iter().enumerate() {
                let col = (keys.len() + j) as u16;
                write_figure(ws, row, col, f, &won, &count).map_err(e)?;
            }
        }
        // The total under the rows, as the rows' sum.
        let total_row = g.rows.len() as u32 + 1;
        ws.write_with_format(total_row, 0, "합계", &bold)
            .map_err(e)?;
        for (j, (_, f)) in figure_columns(&g.totals).into_iter().enumerate() {
            let col = (g.by.len() + j) as u16;
            write_figure(ws, total_row, col, f, &won, &count).map_err(e)?;
        }
    }
    wb.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn basis_points_print_as_exact_percentages() {
        assert_eq!(percent(1234), "12.34");
        assert_eq!(percent(-5), "-0.05");
        assert_eq!(percent(0), "0.00");
    }
}
