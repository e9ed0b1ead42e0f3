//! Charts as SVG made on the server: a title, labelled values, a legend, and the same colour for
//! the same thing everywhere (UI.md). No script.

/// The colours of the three checks, used on every chart.
pub const CHECK_COLOURS: [&str; 3] = ["#C8161D", "#B8860B", "#1D4ED8"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn legend(series: &[(&str, &str)], x: f64, y: f64) -> String {
    let mut s = String::new();
    let mut cx = x;
    for (label, colour) in series {
        s.push_str(&format!(
            "<rect x=\"{cx:.0}\" y=\"{:.0}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\">{}</text>",
            y - 10.0,
            cx + 16.0,
            y,
            esc(label)
        ));
        cx += 30.0 + label.chars().count() as f64 * 13.0;
    }
    s
}

/// Grouped vertical bars of rates (0…1) per category, one bar per series.
pub fn rate_bars(title: &str, categories: &[String], series: &[(&str, &str, Vec<f64>)]) -> String {
    let n = categories.len().max(1) as f64;
    let group_w = 64.0;
    let (left, top, plot_h) = (44.0, 48.0, 200.0);
    let width = left + n * group_w + 20.0;
    let height = top + plot_h + 70.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\" class=\"chart\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    s.push_str(&format!("<text x=\"{left}\" y=\"18\" font-size=\"14\" font-weight=\"600\">{}</text>", esc(title)));
    let legend_items: Vec<(&str, &str)> = series.iter().map(|(l, c, _)| (*l, *c)).collect();
    s.push_str(&legend(&legend_items, left, 38.0));
    for k in 0..=4 {
        let v = k as f64 * 0.25;
        let y = top + plot_h - v * plot_h;
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{:.0}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e5e8\"/><text x=\"{:.0}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#5c6370\">{}%</text>",
            width - 10.0,
            left - 4.0,
            y + 3.0,
            k * 25
        ));
    }
    let bar_w = (group_w - 16.0) / series.len().max(1) as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = left + ci as f64 * group_w + 8.0;
        for (si, (label, colour, values)) in series.iter().enumerate() {
            let v = values.get(ci).copied().unwrap_or(0.0).clamp(0.0, 1.0);
            let h = v * plot_h;
            let x = gx + si as f64 * bar_w;
            s.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{} {} {}</title></rect>",
                top + plot_h - h,
                bar_w - 1.0,
                esc(cat),
                esc(label),
                pct(v)
            ));
        }
        let lx = gx + (group_w - 16.0) / 2.0;
        let ly = top + plot_h + 14.0;
        s.push_str(&format!(
            "<text x=\"{lx:.1}\" y=\"{ly:.1}\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-35 {lx:.1} {ly:.1})\">{}</text>",
            esc(cat)
        ));
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of counts, each labelled with its value.
pub fn count_bars(title: &str, items: &[(String, usize)], colour: &str) -> String {
    let max = items.iter().map(|i| i.1).max().unwrap_or(1).max(1) as f64;
    let (left, top, row_h, plot_w) = (150.0, 30.0, 24.0, 300.0);
    let height = top + items.len().max(1) as f64 * row_h + 10.0;
    let width = left + plot_w + 60.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\" class=\"chart\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    s.push_str(&format!("<text x=\"0\" y=\"18\" font-size=\"14\" font-weight=\"600\">{}</text>", esc(title)));
    for (i, (label, n)) in items.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let w = *n as f64 / max * plot_w;
        s.push_str(&format!(
            "<text x=\"{:.0}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{n}</text>",
            left - 6.0,
            y + 15.0,
            esc(label),
            y + 4.0,
            row_h - 8.0,
            left + w + 4.0,
            y + 15.0
        ));
    }
    s.push_str("</svg>");
    s
}

/// Lines of rates over dates.
pub fn rate_lines(title: &str, dates: &[String], series: &[(&str, &str, Vec<f64>)]) -> String {
    let (left, top, plot_w, plot_h) = (44.0, 48.0, 560.0, 180.0);
    let width = left + plot_w + 30.0;
    let height = top + plot_h + 40.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\" class=\"chart\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    s.push_str(&format!("<text x=\"{left}\" y=\"18\" font-size=\"14\" font-weight=\"600\">{}</text>", esc(title)));
    let legend_items: Vec<(&str, &str)> = series.iter().map(|(l, c, _)| (*l, *c)).collect();
    s.push_str(&legend(&legend_items, left, 38.0));
    // The y axis spans the data (to the nearest 10%), so small movements are visible.
    let all: Vec<f64> = series.iter().flat_map(|x| x.2.iter().copied()).collect();
    let lo = (all.iter().copied().fold(1.0, f64::min) * 10.0).floor() / 10.0;
    let hi = ((all.iter().copied().fold(0.0, f64::max) * 10.0).ceil() / 10.0).max(lo + 0.1);
    let y_of = |v: f64| top + plot_h - (v - lo) / (hi - lo) * plot_h;
    let steps = ((hi - lo) * 10.0).round() as i32;
    for k in 0..=steps {
        let v = lo + k as f64 * 0.1;
        let y = y_of(v);
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{:.0}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e5e8\"/><text x=\"{:.0}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#5c6370\">{:.0}%</text>",
            left + plot_w,
            left - 4.0,
            y + 3.0,
            v * 100.0
        ));
    }
    let n = dates.len();
    let x_of = |i: usize| if n <= 1 { left + plot_w / 2.0 } else { left + i as f64 * plot_w / (n - 1) as f64 };
    for (i, d) in dates.iter().enumerate() {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            x_of(i),
            top + plot_h + 18.0,
            esc(d)
        ));
    }
    for (label, colour, values) in series {
        let pts: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v))).collect();
        s.push_str(&format!("<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>", pts.join(" ")));
        for (i, v) in values.iter().enumerate() {
            s.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{colour}\"><title>{} {} {}</title></circle>",
                x_of(i),
                y_of(*v),
                esc(label),
                esc(&dates[i]),
                pct(*v)
            ));
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_and_label() {
        let s = rate_bars("覆盖率 <测试>", &["A&B".into()], &[("党员", CHECK_COLOURS[0], vec![0.5])]);
        assert!(s.contains("覆盖率 &lt;测试&gt;") && s.contains("A&amp;B") && s.contains("50.0%"));
        assert!(!s.contains("<script"));
        let l = rate_lines("趋势", &["2026-01-01".into(), "2026-06-01".into()], &[("党员", CHECK_COLOURS[0], vec![0.7, 0.8])]);
        assert_eq!(l.matches("<circle").count(), 2);
        let c = count_bars("问题", &[("小学".into(), 4), ("幼儿园".into(), 2)], "#C8161D");
        assert!(c.contains(">4<") && c.contains(">2<"));
    }
}
