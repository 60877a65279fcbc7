"""The coverage page's legend, charts and district table, drawn from a :class:`CoverageReport`.

Pure presentation (no session state, no caching): every function gets the report and the language and
returns HTML, an Altair chart or a table with translated column names.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from finder import i18n
from finder.coverage import CoverageReport
from ui.resources import esc

# Sequential palette, light = good coverage, dark = poor (ColorBrewer YlOrRd, 5 classes).
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
# Distance bands 0–10, 10–20, 20–30, > 30 km (ColorBrewer Purples).
BAND_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#6a51a3", "#3f007d")


def ratio_column(ratio: str, km: int) -> str:
    """The district-table column behind a map ratio."""
    return {
        "per100k": "offices_per_100k",
        "per10k_foreign": "offices_per_10k_foreign",
        "beyond": f"share_beyond_{km:g}km",
        "e2sfca": "e2sfca_per_100k",
    }[ratio]


def ratio_label(ratio: str, km: int, lang: str) -> str:
    """The ratio's name in the page language."""
    return i18n.t(f"coverage.ratio_{ratio}", lang, km=str(km))


def classes(values: pd.Series, higher_is_worse: bool) -> tuple[list[str], list[float]]:
    """A colour per value (5 equal-interval classes, dark = poor coverage) and the class edges."""
    finite = values[np.isfinite(values.astype(float))]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1e-9
    edges = [lo + (hi - lo) * i / 5 for i in range(6)]
    colours = []
    for v in values.astype(float):
        if not math.isfinite(v):
            colours.append("#cccccc")
            continue
        k = min(int((v - lo) / (hi - lo) * 5), 4)
        colours.append(PALETTE[k] if higher_is_worse else PALETTE[4 - k])
    return colours, edges


def fmt_value(value: float, ratio: str, lang: str) -> str:
    """A ratio value for tooltips and legends."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    if ratio == "beyond":
        return f"{i18n.format_number(float(value) * 100, lang, 1)} %"
    return i18n.format_number(float(value), lang, 2)


def legend_html(report: CoverageReport, *, ratio: str, km: int, show: str, lang: str) -> str:
    """A small legend of the map's fill colours (escaped HTML)."""
    if show == "distance":
        labels = ["0–10 km", "10–20 km", "20–30 km", "> 30 km"]
        items = zip(BAND_COLOURS[:4], labels, strict=True)
        title = i18n.t("coverage.legend_distance", lang)
    else:
        col = ratio_column(ratio, km)
        _, edges = classes(report.districts[col], higher_is_worse=ratio == "beyond")
        palette = PALETTE if ratio == "beyond" else PALETTE[::-1]
        labels = [
            f"{fmt_value(edges[i], ratio, lang)} – {fmt_value(edges[i + 1], ratio, lang)}" for i in range(5)
        ]
        items = zip(palette, labels, strict=True)
        title = ratio_label(ratio, km, lang)
    swatches = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:.8rem">'
        f'<span style="width:14px;height:14px;background:{c};border:1px solid #555;margin-right:.3rem">'
        f"</span>{esc(text)}</span>"
        for c, text in items
    )
    return f'<div style="font-size:.85rem"><strong>{esc(title)}</strong><br>{swatches}</div>'


def beyond_chart(report: CoverageReport, lang: str) -> alt.Chart:
    """Nested bars: share of residents beyond 10, 20 and 30 km, per district."""
    table = report.districts
    rows = []
    for km in (10, 20, 30):
        col = f"share_beyond_{km}km"
        if col not in table:
            continue
        for district, share in zip(table["district"], table[col], strict=True):
            rows.append({"district": district, "km": f"> {km} km", "order": km, "share": float(share)})
    data = pd.DataFrame(rows)
    order = table.sort_values("share_beyond_10km", ascending=False)["district"].tolist()
    return (
        alt.Chart(data, title=i18n.t("coverage.chart_beyond", lang))
        .mark_bar()
        .encode(
            y=alt.Y("district:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180)),
            x=alt.X(
                "share:Q", stack=None, axis=alt.Axis(format="%"), title=None, scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color(
                "km:N",
                scale=alt.Scale(
                    domain=["> 10 km", "> 20 km", "> 30 km"], range=["#fdbb84", "#e34a33", "#7f0000"]
                ),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            order=alt.Order("order:Q"),
            tooltip=["district:N", "km:N", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(height=380)
    )


def ratio_chart(report: CoverageReport, ratio: str, km: int, lang: str) -> alt.LayerChart:
    """Bars of the chosen ratio per district, with the value for Saxony as a rule."""
    col = ratio_column(ratio, km)
    table = report.districts[["district", col]].rename(columns={col: "value"})
    if ratio == "beyond":
        state = report.summary["share_beyond"].get(f"{km:g}km")
    elif ratio == "e2sfca":
        state = report.summary["e2sfca_per_100k"]
    elif ratio == "per100k":
        state = report.districts["offices"].sum() / report.districts["population"].sum() * 100_000
    else:
        state = report.districts["offices"].sum() / report.districts["foreign_population"].sum() * 10_000
    label = ratio_label(ratio, km, lang)
    fmt = "%" if ratio == "beyond" else ".2f"
    bars = (
        alt.Chart(table, title=i18n.t("coverage.chart_ratio", lang, ratio=label))
        .mark_bar(color="#3f6f9f")
        .encode(
            y=alt.Y("district:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180)),
            x=alt.X("value:Q", title=None, axis=alt.Axis(format=fmt)),
            tooltip=["district:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"value": [state or 0.0]}))
        .mark_rule(color="#000", strokeDash=[4, 3])
        .encode(x="value:Q")
    )
    return (bars + rule).properties(height=380)


def curve_chart(report: CoverageReport, lang: str) -> alt.Chart:
    """Share of residents within x km of a matching office (before/after with what-if offices)."""
    frames = [(i18n.t("coverage.after", lang) if report.baseline is not None else "", report)]
    if report.baseline is not None:
        frames.insert(0, (i18n.t("coverage.before", lang), report.baseline))
    xs = np.arange(0, 61, 1.0)
    rows = []
    for name, rep in frames:
        d = rep.points["distance"].to_numpy()
        w = rep.points["residents"].to_numpy()
        total = w.sum()
        for x in xs:
            rows.append({"km": x, "share": float(w[d <= x].sum() / total), "series": name})
    data = pd.DataFrame(rows)
    chart = (
        alt.Chart(data, title=i18n.t("coverage.chart_curve", lang))
        .mark_line()
        .encode(
            x=alt.X("km:Q", title="km"),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title=None, scale=alt.Scale(domain=[0, 1])),
            tooltip=["km:Q", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    if report.baseline is not None:
        names = [i18n.t("coverage.before", lang), i18n.t("coverage.after", lang)]
        chart = chart.encode(
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=names, range=["#888888", "#1f5fa8"]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=names, range=[[5, 4], [1, 0]]), legend=None
            ),
        )
    return chart.properties(height=260)


def district_display(report: CoverageReport, lang: str) -> pd.DataFrame:
    """The district table with the page's column names (shares in per cent)."""
    table = report.districts
    out = pd.DataFrame(
        {
            i18n.t("coverage.col_district", lang): table["district"],
            i18n.t("coverage.col_offices", lang): table["offices"],
            i18n.t("coverage.col_per100k", lang): table["offices_per_100k"].round(2),
            i18n.t("coverage.col_pop_year", lang): table["population_year"],
            i18n.t("coverage.col_per10k", lang): table["offices_per_10k_foreign"].round(2),
            i18n.t("coverage.col_foreign_year", lang): table["foreign_population_year"],
        }
    )
    for threshold in report.thresholds:
        col = f"share_beyond_{threshold:g}km"
        out[i18n.t("coverage.col_beyond", lang, km=f"{threshold:g}")] = (table[col] * 100).round(1)
    out[i18n.t("coverage.col_mean", lang)] = table["mean_distance_km"].round(1)
    out[i18n.t("coverage.col_e2sfca", lang)] = table["e2sfca_per_100k"].round(2)
    out[i18n.t("coverage.col_lang", lang)] = (table["share_languages_stated"] * 100).round(0)
    out[i18n.t("coverage.col_street", lang)] = (table["share_street_address"] * 100).round(0)
    out[i18n.t("coverage.col_oldest", lang)] = table["oldest_source_date"]
    return out
