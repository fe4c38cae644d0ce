//! The report's charts as SVG (plotters, SVG backend only: the browser draws the text, so
//! Korean labels need no font in the binary): monthly net sales by channel, the share of
//! net sales by district, and each campaign's sales during it against before it.

use crate::error::{ReportsError, ReportsResult};
use crate::performance::{CampaignEffect, Dimension, PerformanceReport};
use plotters::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// Net sales per month, a line per channel (from a report by month and channel).
    ChannelMonthly,
    /// Share of net sales per district (from a report by district).
    DistrictShare,
    /// Each campaign's net sales during it and as long before it.
    CampaignEffect,
}

impl Chart {
    /// The grouping the chart is drawn from.
    pub fn by(self) -> Vec<Dimension> {
        match self {
            Chart::ChannelMonthly => vec![Dimension::Month, Dimension::Channel],
            Chart::DistrictShare => vec![Dimension::District],
            Chart::CampaignEffect => Vec::new(),
        }
    }

    pub fn title_ko(self) -> &'static str {
        match self {
            Chart::ChannelMonthly => "채널별 월 순매출",
            Chart::DistrictShare => "구·군별 순매출 비중",
            Chart::CampaignEffect => "기획전 효과 (기간 중 vs 직전 같은 기간)",
        }
    }
}

const SIZE: (u32, u32) = (720, 360);
const FONT: &str = "sans-serif";

fn err<E: std::fmt::Display>(e: E) -> ReportsError {
    ReportsError::Render(e.to_string())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// An SVG of [`SIZE`] on white with `chart`'s caption: `draw` builds its coordinates on
/// the builder given (label areas `x_area` and `y_area` wide) and draws.
fn render(
    chart: Chart,
    (x_area, y_area): (u32, u32),
    draw: impl FnOnce(&mut ChartBuilder<'_, '_, SVGBackend<'_>>) -> ReportsResult<()>,
) -> ReportsResult<String> {
    let mut out = String::new();
    {
        let root: Area = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(chart.title_ko(), (FONT, 20))
            .margin(12)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area);
        draw(&mut builder)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// The series' legend, boxed on white.
fn legend<'a, CT: plotters::coord::CoordTranslate>(
    ch: &mut ChartContext<'a, SVGBackend<'a>, CT>,
) -> ReportsResult<()> {
    ch.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// The chart of `r` (a report grouped as [`Chart::by`] says).
pub fn svg(chart: Chart, r: &PerformanceReport) -> ReportsResult<String> {
    match chart {
        Chart::ChannelMonthly => channel_monthly(r),
        Chart::DistrictShare => district_share(r),
        Chart::CampaignEffect => campaign_effect(&r.campaigns),
    }
}

/// Millions of won for an axis (the figures themselves stay exact in the tables).
fn in_10k(won: i64) -> f64 {
    won as f64 / 10_000.0
}

fn channel_monthly(r: &PerformanceReport) -> ReportsResult<String> {
    let mut months: Vec<String> = Vec::new();
    let mut series: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in &r.rows {
        let (Some(m), Some(c)) = (row.keys.first(), row.keys.get(1)) else {
            continue;
        };
        if !months.contains(&m.value) {
            months.push(m.value.clone());
        }
        *series
            .entry(c.label.clone())
            .or_default()
            .entry(m.value.clone())
            .or_default() += row.figures.current.net;
    }
    months.sort();
    let max = series
        .values()
        .flat_map(|s| s.values())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    render(Chart::ChannelMonthly, (30, 70), |b| {
        let n = months.len().max(1);
        let mut ch = b
            .build_cartesian_2d(0..n, 0f64..in_10k(max) * 1.1)
            .map_err(err)?;
        let labels = months.clone();
        ch.configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .y_desc("만원")
            .draw()
            .map_err(err)?;
        for (i, (channel, by_month)) in series.iter().enumerate() {
            let colour = Palette99::pick(i).to_rgba();
            let points: Vec<(usize, f64)> = months
                .iter()
                .enumerate()
                .map(|(x, m)| (x, in_10k(by_month.get(m).copied().unwrap_or(0))))
                .collect();
            ch.draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(err)?
                .label(channel.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        legend(&mut ch)
    })
}

fn district_share(r: &PerformanceReport) -> ReportsResult<String> {
    let total: i64 = r
        .rows
        .iter()
        .map(|x| x.figures.current.net.max(0))
        .sum::<i64>()
        .max(1);
    let bars: Vec<(String, i64)> = r
        .rows
        .iter()
        .map(|x| {
            let label = x.keys.first().map(|k| k.label.clone()).unwrap_or_default();
            // Share in basis points of the total, computed in integers.
            (label, x.figures.current.net.max(0) * 10_000 / total)
        })
        .collect();
    render(Chart::DistrictShare, (30, 80), |b| {
        let n = bars.len().max(1);
        let mut ch = b.build_cartesian_2d(0f64..100f64, 0..n).map_err(err)?;
        let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
        ch.configure_mesh()
            .y_labels(n)
            .y_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .x_desc("%")
            .draw()
            .map_err(err)?;
        ch.draw_series(bars.iter().enumerate().map(|(i, (_, bp))| {
            Rectangle::new(
                [(0.0, i), (*bp as f64 / 100.0, i + 1)],
                BLUE.mix(0.6).filled(),
            )
        }))
        .map_err(err)?;
        Ok(())
    })
}

fn campaign_effect(effects: &[CampaignEffect]) -> ReportsResult<String> {
    let max = effects
        .iter()
        .map(|e| e.net_during.max(e.net_before))
        .max()
        .unwrap_or(0)
        .max(1);
    render(Chart::CampaignEffect, (40, 70), |b| {
        let n = effects.len().max(1);
        let mut ch = b
            .build_cartesian_2d(0f64..n as f64, 0f64..in_10k(max) * 1.1)
            .map_err(err)?;
        let labels: Vec<String> = effects.iter().map(|e| e.title.clone()).collect();
        ch.configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| labels.get(x.floor() as usize).cloned().unwrap_or_default())
            .y_desc("만원")
            .draw()
            .map_err(err)?;
        ch.draw_series(effects.iter().enumerate().map(|(i, e)| {
            let x = i as f64;
            Rectangle::new(
                [(x + 0.1, 0.0), (x + 0.45, in_10k(e.net_before))],
                RGBColor(160, 160, 160).filled(),
            )
        }))
        .map_err(err)?
        .label("직전 같은 기간")
        .legend(|(x, y)| {
            Rectangle::new(
                [(x, y - 5), (x + 12, y + 5)],
                RGBColor(160, 160, 160).filled(),
            )
        });
        ch.draw_series(effects.iter().enumerate().map(|(i, e)| {
            let x = i as f64;
            Rectangle::new(
                [(x + 0.5, 0.0), (x + 0.85, in_10k(e.net_during))],
                BLUE.mix(0.7).filled(),
            )
        }))
        .map_err(err)?
        .label("기획전 기간")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], BLUE.mix(0.7).filled()));
        legend(&mut ch)
    })
}
