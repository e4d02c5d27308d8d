//! A self-contained HTML report: one page, every image embedded as a base64
//! `data:` URI (no file next to it, no network), sections of text, snapshots,
//! tables and per-step timings. All text is HTML-escaped.
//!
//! ```
//! use medvox_view::report::{Report, Table};
//! let mut r = Report::new("Run <1>");
//! let s = r.section("Results");
//! s.text("Otsu's threshold & components.");
//! let mut t = Table::new("Labels", ["label", "voxels"]);
//! t.push_row([1.into(), 1234u64.into()]);
//! s.table(t);
//! s.timings(&[("otsu".to_string(), 0.012)]);
//! let html = r.to_html();
//! assert!(html.contains("Run &lt;1&gt;") && html.contains("1234"));
//! ```

use std::fmt::Write as _;

use base64::Engine as _;
use medvox_core::{AnyVolume, Executor};
use serde::de::{MapAccess, Visitor};
use serde::Deserialize;

use crate::error::{Result, ViewError};
use crate::image::RgbImage;
use crate::plot::{histogram_plot, Histogram, HistogramPlot};
use crate::slices::{render, SnapshotOptions};

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape(s: &str) -> String {
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

/// One table cell: text (left-aligned) or a number (right-aligned).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, shown as is (escaped).
    Text(String),
    /// An integer.
    Int(i128),
    /// A real number, shown with about 6 significant digits.
    Float(f64),
}

impl Cell {
    fn render(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(x) => fmt_float(*x),
        }
    }
}

/// About 6 significant digits, no trailing zeros; integers without a fraction.
pub fn fmt_float(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == x.round() && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let mag = x.abs().log10().floor() as i64;
    if !(-4..15).contains(&mag) {
        return format!("{x:.5e}");
    }
    let decimals = (5 - mag).clamp(0, 10) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

macro_rules! cell_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Cell {
            fn from(v: $t) -> Cell {
                Cell::Int(v as i128)
            }
        }
    )*};
}
cell_from_int!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl From<f64> for Cell {
    fn from(v: f64) -> Cell {
        Cell::Float(v)
    }
}
impl From<f32> for Cell {
    fn from(v: f32) -> Cell {
        Cell::Float(v as f64)
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(v.to_string())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(v)
    }
}

/// A table: a caption, column names and rows of cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Caption above the table (may be empty).
    pub caption: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows (shorter rows are padded with empty cells).
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new<S: Into<String>>(caption: &str, header: impl IntoIterator<Item = S>) -> Table {
        Table {
            caption: caption.to_string(),
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends one row.
    pub fn push_row(&mut self, row: impl IntoIterator<Item = Cell>) -> &mut Self {
        self.rows.push(row.into_iter().collect());
        self
    }

    /// A table from records that serialise as JSON objects (e.g. a typed op
    /// report or `medvox_segment::LabelStats`): one row per record, one column
    /// per field in the order the fields are serialised (the union over all
    /// records). Numbers stay numbers, arrays of numbers become `a, b, c`.
    pub fn from_records<T: serde::Serialize>(caption: &str, records: &[T]) -> Result<Table> {
        let mut table = Table::new::<String>(caption, []);
        let mut parsed = Vec::with_capacity(records.len());
        for r in records {
            let json = serde_json::to_string(r).map_err(|e| ViewError::Table(e.to_string()))?;
            let row: OrderedRow =
                serde_json::from_str(&json).map_err(|e| ViewError::Table(e.to_string()))?;
            for (k, _) in &row.0 {
                if !table.header.contains(k) {
                    table.header.push(k.clone());
                }
            }
            parsed.push(row);
        }
        for row in parsed {
            let cells = table
                .header
                .iter()
                .map(|h| {
                    row.0
                        .iter()
                        .find(|(k, _)| k == h)
                        .map_or(Cell::Text(String::new()), |(_, v)| json_cell(v))
                })
                .collect();
            table.rows.push(cells);
        }
        Ok(table)
    }
}

fn json_cell(v: &serde_json::Value) -> Cell {
    use serde_json::Value;
    match v {
        Value::Null => Cell::Text(String::new()),
        Value::Bool(b) => Cell::Text(b.to_string()),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Cell::Int(i as i128),
            (_, Some(u), _) => Cell::Int(u as i128),
            (_, _, Some(f)) => Cell::Float(f),
            _ => Cell::Text(n.to_string()),
        },
        Value::String(s) => Cell::Text(s.clone()),
        Value::Array(a) => Cell::Text(
            a.iter()
                .map(|x| json_cell(x).render())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Object(_) => Cell::Text(v.to_string()),
    }
}

/// A JSON object with its keys in document order.
struct OrderedRow(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for OrderedRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedRow;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a record that serialises as a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<OrderedRow, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, serde_json::Value>()? {
                    v.push((k, x));
                }
                Ok(OrderedRow(v))
            }
        }
        d.deserialize_map(V)
    }
}

enum Item {
    Text(String),
    Image {
        caption: String,
        png: Vec<u8>,
        width: u32,
        height: u32,
    },
    Table(Table),
    Timings(Vec<(String, f64)>),
}

/// One section of a [`Report`]: a heading and its items in order.
pub struct Section {
    title: String,
    items: Vec<Item>,
}

impl Section {
    /// A paragraph of text.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.items.push(Item::Text(s.to_string()));
        self
    }

    /// An image, embedded as a PNG.
    pub fn image(&mut self, caption: &str, img: &RgbImage) -> Result<&mut Self> {
        let png = img.to_png()?;
        Ok(self.png(caption, png, img.width, img.height))
    }

    /// An already encoded PNG of `width × height` pixels.
    pub fn png(&mut self, caption: &str, png: Vec<u8>, width: u32, height: u32) -> &mut Self {
        self.items.push(Item::Image {
            caption: caption.to_string(),
            png,
            width,
            height,
        });
        self
    }

    /// A table.
    pub fn table(&mut self, t: Table) -> &mut Self {
        self.items.push(Item::Table(t));
        self
    }

    /// Per-step wall-clock times in seconds, with each step's share of the total.
    pub fn timings(&mut self, steps: &[(String, f64)]) -> &mut Self {
        self.items.push(Item::Timings(steps.to_vec()));
        self
    }
}

/// A one-page HTML report (see the module docs).
pub struct Report {
    title: String,
    sections: Vec<Section>,
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\
figure{margin:1em 0}figcaption{color:#555;font-size:.9em}img{max-width:100%;height:auto;image-rendering:pixelated}\
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}caption{text-align:left;font-weight:600;padding:.3em 0}\
th,td{border:1px solid #ddd;padding:.25em .6em}th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.bar{background:#4a6fb4;height:.8em;min-width:1px}";

impl Report {
    /// An empty report.
    pub fn new(title: &str) -> Report {
        Report {
            title: title.to_string(),
            sections: Vec::new(),
        }
    }

    /// Appends a section and returns it for filling.
    pub fn section(&mut self, title: &str) -> &mut Section {
        self.sections.push(Section {
            title: title.to_string(),
            items: Vec::new(),
        });
        self.sections.last_mut().expect("just pushed")
    }

    /// The whole page.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        let t = escape(&self.title);
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{t}</h1>\n"
        );
        for s in &self.sections {
            let _ = writeln!(h, "<section>\n<h2>{}</h2>", escape(&s.title));
            for item in &s.items {
                write_item(&mut h, item);
            }
            h.push_str("</section>\n");
        }
        h.push_str("</body>\n</html>\n");
        h
    }
}

fn write_item(h: &mut String, item: &Item) {
    match item {
        Item::Text(s) => {
            let _ = writeln!(h, "<p>{}</p>", escape(s));
        }
        Item::Image {
            caption,
            png,
            width,
            height,
        } => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(png);
            let c = escape(caption);
            let _ = writeln!(
                h,
                "<figure><img src=\"data:image/png;base64,{b64}\" width=\"{width}\" height=\"{height}\" alt=\"{c}\"><figcaption>{c}</figcaption></figure>"
            );
        }
        Item::Table(t) => write_table(h, t),
        Item::Timings(steps) => {
            let total: f64 = steps.iter().map(|s| s.1.max(0.0)).sum();
            h.push_str("<table class=\"timings\"><caption>Timings</caption>\n<tr><th>step</th><th>seconds</th><th>share</th></tr>\n");
            for (name, secs) in steps {
                let share = if total > 0.0 {
                    secs.max(0.0) / total
                } else {
                    0.0
                };
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"n\">{secs:.3}</td><td style=\"width:12em\"><div class=\"bar\" style=\"width:{:.1}%\"></div></td></tr>",
                    escape(name),
                    100.0 * share
                );
            }
            let _ = writeln!(
                h,
                "<tr><th>total</th><th class=\"n\">{total:.3}</th><th></th></tr>\n</table>"
            );
        }
    }
}

fn write_table(h: &mut String, t: &Table) {
    h.push_str("<table>");
    if !t.caption.is_empty() {
        let _ = write!(h, "<caption>{}</caption>", escape(&t.caption));
    }
    h.push_str("\n<tr>");
    for c in &t.header {
        let _ = write!(h, "<th>{}</th>", escape(c));
    }
    h.push_str("</tr>\n");
    let ncol = t
        .header
        .len()
        .max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
    for row in &t.rows {
        h.push_str("<tr>");
        for i in 0..ncol {
            match row.get(i) {
                Some(c @ (Cell::Int(_) | Cell::Float(_))) => {
                    let _ = write!(h, "<td class=\"n\">{}</td>", escape(&c.render()));
                }
                Some(c) => {
                    let _ = write!(h, "<td>{}</td>", escape(&c.render()));
                }
                None => h.push_str("<td></td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

// ---------------------------------------------------------------------------
// A pipeline's page

/// One stage of a pipeline shown as orthogonal slices.
pub struct Stage<'a> {
    /// Caption.
    pub name: String,
    /// The volume shown in grey.
    pub volume: &'a AnyVolume,
    /// A label map on the same grid drawn over it.
    pub overlay: Option<&'a AnyVolume>,
    /// Display window `(centre, width)`; `None`: 0.5–99.5 percentile.
    pub window: Option<(f64, f64)>,
}

/// The intensity histogram of a pipeline's page.
pub struct HistogramSpec<'a> {
    /// Caption.
    pub name: String,
    /// The volume counted.
    pub volume: &'a AnyVolume,
    /// Number of bins over the finite min…max.
    pub bins: usize,
    /// Vertical marker lines (value, label), e.g. thresholds.
    pub markers: Vec<(f64, String)>,
}

/// What [`pipeline_report`] puts on the page, section by section.
pub struct PipelinePage<'a> {
    /// Page title.
    pub title: String,
    /// Paragraphs at the top.
    pub intro: Vec<String>,
    /// Summary tables (e.g. input description), shown with the intro.
    pub summary: Vec<Table>,
    /// The stages, each as a three-panel snapshot.
    pub stages: Vec<Stage<'a>>,
    /// The histogram section.
    pub histogram: Option<HistogramSpec<'a>>,
    /// Result tables (label statistics, op reports).
    pub tables: Vec<Table>,
    /// Per-step timings in seconds.
    pub timings: Vec<(String, f64)>,
    /// Longest panel side of the snapshots in pixels.
    pub panel_px: u32,
}

impl Default for PipelinePage<'_> {
    fn default() -> Self {
        PipelinePage {
            title: "medvox report".into(),
            intro: Vec::new(),
            summary: Vec::new(),
            stages: Vec::new(),
            histogram: None,
            tables: Vec::new(),
            timings: Vec::new(),
            panel_px: 320,
        }
    }
}

/// Renders a pipeline's page: intro and summary, a snapshot per stage, the
/// histogram, the tables and the timings, as one self-contained HTML string.
pub fn pipeline_report(page: &PipelinePage, exec: &Executor) -> Result<String> {
    let mut r = Report::new(&page.title);
    let s = r.section("Summary");
    for p in &page.intro {
        s.text(p);
    }
    for t in &page.summary {
        s.table(t.clone());
    }
    if !page.stages.is_empty() {
        let s = r.section("Stages");
        for st in &page.stages {
            let opts = SnapshotOptions {
                window: st.window,
                max_panel_px: page.panel_px,
                ..Default::default()
            };
            let img = render(st.volume, st.overlay, &opts)?;
            s.image(&st.name, &img)?;
        }
    }
    if let Some(hs) = &page.histogram {
        let h = Histogram::of(hs.volume, hs.bins, None, exec)?;
        let plot = HistogramPlot {
            title: hs.name.clone(),
            markers: hs.markers.clone(),
            ..Default::default()
        };
        let img = histogram_plot(&h, &plot)?;
        r.section("Histogram").image(&hs.name, &img)?;
    }
    if !page.tables.is_empty() {
        let s = r.section("Tables");
        for t in &page.tables {
            s.table(t.clone());
        }
    }
    if !page.timings.is_empty() {
        r.section("Timings").timings(&page.timings);
    }
    Ok(r.to_html())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Rec {
        label: i64,
        voxels: u64,
        centroid_mm: [f64; 3],
        name: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        mean: Option<f64>,
    }

    #[test]
    fn escapes_everything_it_is_given() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let mut r = Report::new("<script>alert(1)</script>");
        let s = r.section("a & b");
        s.text("<b>not bold</b>");
        let mut t = Table::new("<c>", ["<h>"]);
        t.push_row(["<cell>".into()]);
        s.table(t);
        s.timings(&[("<step>".into(), 1.0)]);
        s.image("\"caption\"", &RgbImage::new(2, 2, [1, 2, 3]))
            .unwrap();
        let html = r.to_html();
        for bad in [
            "<script>",
            "<b>",
            "<c>",
            "<h>",
            "<cell>",
            "<step>",
            "\"caption\"",
        ] {
            assert!(!html.contains(bad), "{bad} unescaped");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn images_are_embedded_pngs() {
        let img = RgbImage::new(3, 2, [10, 20, 30]);
        let mut r = Report::new("t");
        r.section("s").image("c", &img).unwrap();
        let html = r.to_html();
        let start = html.find("data:image/png;base64,").unwrap() + 22;
        let end = start + html[start..].find('"').unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(&html[start..end])
            .unwrap();
        let mut dec = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut buf = vec![0; dec.output_buffer_size().unwrap()];
        let info = dec.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(&buf[..info.buffer_size()], &img.data[..]);
        assert!(html.contains("width=\"3\" height=\"2\""));
        assert!(!html.contains("src=\"http") && !html.contains("src=\"file"));
    }

    #[test]
    fn tables_from_records_keep_field_order() {
        let recs = [
            Rec {
                label: 1,
                voxels: 10,
                centroid_mm: [1.5, -2.0, 0.25],
                name: "bone",
                mean: Some(412.123456),
            },
            Rec {
                label: 2,
                voxels: 3,
                centroid_mm: [0.0; 3],
                name: "x<y",
                mean: None,
            },
        ];
        let t = Table::from_records("stats", &recs).unwrap();
        assert_eq!(t.header, ["label", "voxels", "centroid_mm", "name", "mean"]);
        assert_eq!(t.rows[0][0], Cell::Int(1));
        assert_eq!(t.rows[0][2], Cell::Text("1.5, -2, 0.25".into()));
        assert_eq!(t.rows[1][4], Cell::Text(String::new()));
        let html = Report::new("r").section("s").table(t).items.len();
        assert_eq!(html, 1);
        assert!(Table::from_records("bad", &[1, 2]).is_err());
        assert_eq!(fmt_float(412.123456), "412.123");
        assert_eq!(fmt_float(0.001234567), "0.00123457");
        assert_eq!(fmt_float(3.0), "3");
        assert_eq!(fmt_float(1e-9), "1.00000e-9");
    }
}
