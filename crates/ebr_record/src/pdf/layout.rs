//! A small layout engine on printpdf: A4 pages, wrapped paragraphs, tables
//! that break across pages repeating their header row, struck-through text,
//! and a header and footer on every page.

use printpdf::{
    Color, Line, LinePoint, Mm, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem,
    TextMatrix,
};

use super::fonts::Fonts;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const LEFT: f32 = 15.0;
const RIGHT: f32 = PAGE_W - 15.0;
const TOP: f32 = PAGE_H - 24.0;
const BOTTOM: f32 = 20.0;
const PT_PER_MM: f32 = 2.834_646;

/// The text width available on a page, in mm.
pub const WIDTH: f32 = RIGHT - LEFT;

/// One table cell.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// The text (wrapped to the column).
    pub text: String,
    /// Struck through (a corrected value: still readable).
    pub strike: bool,
    /// Bold.
    pub bold: bool,
}

impl Cell {
    /// A plain cell.
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }
    /// A struck-through cell.
    pub fn struck(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            strike: true,
            bold: false,
        }
    }
}

/// The document being laid out.
pub struct Layout<'f> {
    fonts: &'f Fonts,
    /// The pages' drawing operations.
    pub pages: Vec<Vec<Op>>,
    y: f32,
}

fn black() -> Color {
    Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None))
}

impl<'f> Layout<'f> {
    /// An empty document with one page.
    pub fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn push(&mut self, ops: Vec<Op>) {
        match self.pages.last_mut() {
            Some(page) => page.extend(ops),
            None => self.pages.push(ops),
        }
    }

    /// Starts a new page.
    pub fn page_break(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM {
            self.page_break();
            return true;
        }
        false
    }

    /// Draws `text` at (x, baseline y) in mm on the current page.
    #[allow(clippy::too_many_arguments)]
    pub fn text_at(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: &str,
        strike: bool,
        color: Color,
    ) {
        let ops = self.text_ops(x, y, size, bold, text, strike, color);
        self.push(ops);
    }

    /// The operations that draw `text` at (x, baseline y) in mm, switching to
    /// the fallback font per character where needed; struck through when asked.
    #[allow(clippy::too_many_arguments)]
    fn text_ops(
        &self,
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: &str,
        strike: bool,
        color: Color,
    ) -> Vec<Op> {
        let fonts = self.fonts;
        let mut cursor = x;
        let mut run = String::new();
        let mut run_face: Option<&printpdf::FontId> = None;
        let mut run_x = x;
        let mut out: Vec<Op> = Vec::new();
        let flush =
            |out: &mut Vec<Op>, run: &mut String, face: Option<&printpdf::FontId>, at: f32| {
                if let (Some(id), false) = (face, run.is_empty()) {
                    out.extend([
                        Op::SetFillColor { col: color.clone() },
                        Op::SetFont {
                            font: PdfFontHandle::External(id.clone()),
                            size: Pt(size),
                        },
                        Op::SetTextMatrix {
                            matrix: TextMatrix::Translate(pt(at), pt(y)),
                        },
                        Op::ShowText {
                            items: vec![TextItem::Text(std::mem::take(run))],
                        },
                    ]);
                }
            };
        for c in text.chars() {
            let face = fonts.for_char(c, bold);
            if run_face.is_some_and(|f| *f != face.id) {
                flush(&mut out, &mut run, run_face, run_x);
                run_x = cursor;
            }
            if run.is_empty() {
                run_x = cursor;
            }
            run_face = Some(&face.id);
            run.push(c);
            cursor += face.advance(c, size) / PT_PER_MM;
        }
        flush(&mut out, &mut run, run_face, run_x);
        if strike && cursor > x {
            let mid = y + size * 0.3 / PT_PER_MM;
            out.extend(line(x, mid, cursor, mid, 0.6));
        }
        out
    }

    /// Draws a thin black frame with its top-left corner at (x, top), in mm.
    pub fn frame(&mut self, x: f32, top: f32, w: f32, h: f32) {
        self.push(vec![
            Op::SetOutlineColor { col: black() },
            Op::SetOutlineThickness { pt: Pt(0.5) },
            rect(x, top, w, h, false),
        ]);
    }

    /// Fills black squares of `size` mm at the given (column, row) cells of
    /// a grid whose top-left corner is (x, top): a 2D barcode's modules as
    /// vector rectangles, sharp at any print resolution.
    pub fn squares(&mut self, x: f32, top: f32, size: f32, cells: &[(usize, usize)]) {
        let mut ops = vec![Op::SetFillColor { col: black() }];
        for (c, r) in cells {
            let mut square = Rect::from_xywh(
                Mm(x + *c as f32 * size).into(),
                Mm(top - (*r as f32 + 1.0) * size).into(),
                Mm(size).into(),
                Mm(size).into(),
            );
            square.mode = Some(PaintMode::Fill);
            ops.push(Op::DrawRectangle { rectangle: square });
        }
        self.push(ops);
    }

    /// Wraps `text` to lines no wider than `width` mm (on word boundaries,
    /// breaking inside words and between CJK characters when needed).
    pub fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let max = width * PT_PER_MM;
        let w = |c: char| self.fonts.for_char(c, bold).advance(c, size);
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let (mut line, mut line_w) = (String::new(), 0.0_f32);
            for word in paragraph.split_inclusive(' ') {
                let word_w: f32 = word.trim_end().chars().map(w).sum();
                if line_w + word_w <= max {
                    line.push_str(word);
                    line_w += word.chars().map(w).sum::<f32>();
                    continue;
                }
                if !line.trim().is_empty() {
                    lines.push(line.trim_end().to_string());
                    line.clear();
                    line_w = 0.0;
                }
                for c in word.chars() {
                    let cw = w(c);
                    if line_w + cw > max && !line.is_empty() && c != ' ' {
                        lines.push(line.trim_end().to_string());
                        line.clear();
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
            lines.push(line.trim_end().to_string());
        }
        lines
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str, size: f32) {
        let h = size / PT_PER_MM * 1.8;
        self.ensure(h + 10.0);
        self.y -= h * 0.8;
        let y = self.y;
        self.text_at(LEFT, y, size, true, text, false, black());
        self.y -= h * 0.4;
    }

    /// A wrapped paragraph.
    pub fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        let line_h = size / PT_PER_MM * 1.35;
        for l in self.wrap(text, size, bold, WIDTH) {
            self.ensure(line_h);
            self.y -= line_h;
            let y = self.y;
            self.text_at(LEFT, y, size, bold, &l, false, black());
        }
        self.y -= line_h * 0.3;
    }

    /// Label: value lines.
    pub fn fields(&mut self, pairs: &[(&str, String)]) {
        let rows: Vec<Vec<Cell>> = pairs
            .iter()
            .map(|(k, v)| {
                vec![
                    Cell {
                        text: (*k).into(),
                        bold: true,
                        strike: false,
                    },
                    Cell::new(v.clone()),
                ]
            })
            .collect();
        self.table(&[("", 48.0), ("", WIDTH - 48.0)], &rows, false);
    }

    /// A table with a header row, or `empty` as a note when there are no rows.
    pub fn table_or(&mut self, columns: &[(&str, f32)], rows: &[Vec<Cell>], empty: &str) {
        if rows.is_empty() {
            self.paragraph(empty, 8.0, false);
        } else {
            self.table(columns, rows, true);
        }
    }

    /// A table; rows wrap in their columns, break across pages, and the
    /// header row is repeated on every page the table continues on.
    pub fn table(&mut self, columns: &[(&str, f32)], rows: &[Vec<Cell>], header: bool) {
        self.table_sized(columns, rows, header, 7.5);
    }

    /// A table in a given font size.
    pub fn table_sized(
        &mut self,
        columns: &[(&str, f32)],
        rows: &[Vec<Cell>],
        header: bool,
        size: f32,
    ) {
        let line_h = size / PT_PER_MM * 1.3;
        let pad = 1.2;
        let draw_header = |me: &mut Self| {
            if !header {
                return;
            }
            let h = line_h + 2.0 * pad;
            me.ensure(h + line_h);
            let top = me.y;
            let mut x = LEFT;
            let mut ops = Vec::new();
            for (_, w) in columns {
                ops.push(Op::SetFillColor {
                    col: Color::Rgb(Rgb::new(0.88, 0.88, 0.88, None)),
                });
                ops.push(rect(x, top, *w, h, true));
                x += w;
            }
            me.push(ops);
            let mut x = LEFT;
            for (title, w) in columns {
                me.text_at(
                    x + pad,
                    top - pad - line_h * 0.78,
                    size,
                    true,
                    title,
                    false,
                    black(),
                );
                x += w;
            }
            me.y -= h;
        };
        draw_header(self);
        let total_w: f32 = columns.iter().map(|(_, w)| w).sum();
        for row in rows {
            let wrapped: Vec<Vec<String>> = row
                .iter()
                .zip(columns)
                .map(|(cell, (_, w))| self.wrap(&cell.text, size, cell.bold, w - 2.0 * pad))
                .collect();
            let total = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut done = 0;
            while done < total {
                let room = ((self.y - BOTTOM - 2.0 * pad) / line_h).floor() as usize;
                if room == 0
                    || (done == 0
                        && total <= ((TOP - BOTTOM - 2.0 * pad) / line_h) as usize
                        && room < total)
                {
                    self.page_break();
                    draw_header(self);
                    continue;
                }
                let take = room.min(total - done);
                let h = take as f32 * line_h + 2.0 * pad;
                let top = self.y;
                let grey = Color::Rgb(Rgb::new(0.6, 0.6, 0.6, None));
                let mut ops = vec![
                    Op::SetOutlineColor { col: grey },
                    Op::SetOutlineThickness { pt: Pt(0.4) },
                ];
                ops.push(segment(LEFT, top - h, LEFT + total_w, top - h));
                let mut x = LEFT;
                ops.push(segment(x, top, x, top - h));
                for (_, w) in columns {
                    x += w;
                    ops.push(segment(x, top, x, top - h));
                }
                if done == 0 {
                    ops.push(segment(LEFT, top, LEFT + total_w, top));
                }
                self.push(ops);
                let mut x = LEFT;
                for ((cell, lines), (_, w)) in row.iter().zip(&wrapped).zip(columns) {
                    for (i, l) in lines.iter().skip(done).take(take).enumerate() {
                        let y = top - pad - line_h * (i as f32 + 0.78);
                        self.text_at(x + pad, y, size, cell.bold, l, cell.strike, black());
                    }
                    x += w;
                }
                self.y -= h;
                done += take;
            }
        }
        self.y -= 2.0;
    }

    /// Draws the header and footer on every page, now that the page count is known.
    pub fn finish(
        mut self,
        left_header: &str,
        not_released: bool,
        footer_left: &str,
        footer_mid: &str,
    ) -> Vec<Vec<Op>> {
        let total = self.pages.len();
        let red = Color::Rgb(Rgb::new(0.75, 0.0, 0.0, None));
        std::mem::take(&mut self.pages)
            .into_iter()
            .enumerate()
            .map(|(i, mut page)| {
                page.extend(self.text_ops(
                    LEFT,
                    PAGE_H - 12.0,
                    8.5,
                    true,
                    left_header,
                    false,
                    black(),
                ));
                if not_released {
                    let label = "NOT RELEASED";
                    let w = self.fonts.width(label, 12.0, true) / PT_PER_MM;
                    page.extend(self.text_ops(
                        RIGHT - w,
                        PAGE_H - 12.5,
                        12.0,
                        true,
                        label,
                        false,
                        red.clone(),
                    ));
                }
                let footer = format!("Page {} of {total}", i + 1);
                let w = self.fonts.width(&footer, 8.0, false) / PT_PER_MM;
                page.extend(self.text_ops(RIGHT - w, 10.0, 8.0, false, &footer, false, black()));
                page.extend(self.text_ops(LEFT, 10.0, 7.0, false, footer_left, false, black()));
                page.extend(self.text_ops(LEFT, 6.5, 6.5, false, footer_mid, false, black()));
                page.extend(line(LEFT, PAGE_H - 14.5, RIGHT, PAGE_H - 14.5, 0.5));
                page.extend(line(LEFT, 13.5, RIGHT, 13.5, 0.5));
                assemble(page)
            })
            .collect()
    }
}

/// A position in points, rounded to 0.1 pt (far below what print resolves),
/// so content streams carry short numbers.
fn pt(mm: f32) -> Pt {
    Pt((mm * PT_PER_MM * 10.0).round() / 10.0)
}

fn at(x: f32, y: f32) -> Point {
    Point { x: pt(x), y: pt(y) }
}

fn segment(x1: f32, y1: f32, x2: f32, y2: f32) -> Op {
    Op::DrawLine {
        line: Line {
            points: vec![
                LinePoint {
                    p: at(x1, y1),
                    bezier: false,
                },
                LinePoint {
                    p: at(x2, y2),
                    bezier: false,
                },
            ],
            is_closed: false,
        },
    }
}

/// Puts a page together: every graphic first (in order), then all text in
/// one text object on top, using absolute text matrices; repeated state is
/// dropped from both.
fn assemble(ops: Vec<Op>) -> Vec<Op> {
    let mut graphics = Vec::new();
    let mut text = Vec::new();
    let mut iter = ops.into_iter().peekable();
    while let Some(op) = iter.next() {
        let text_colour = matches!(op, Op::SetFillColor { .. })
            && matches!(iter.peek(), Some(Op::SetFont { .. }));
        if text_colour
            || matches!(
                op,
                Op::SetFont { .. } | Op::SetTextMatrix { .. } | Op::ShowText { .. }
            )
        {
            text.push(op);
        } else {
            graphics.push(op);
        }
    }
    let mut page = compact(graphics);
    if !text.is_empty() {
        page.push(Op::StartTextSection);
        page.extend(compact(text));
        page.push(Op::EndTextSection);
    }
    page
}

/// Drops font, colour and line-style changes that repeat the current state:
/// PDF keeps them across text objects within a page's content stream.
pub fn compact(ops: Vec<Op>) -> Vec<Op> {
    let (mut font, mut fill, mut outline, mut thickness) = (None, None, None, None);
    ops.into_iter()
        .filter(|op| match op {
            Op::SetFont { .. } => changed(&mut font, op),
            Op::SetFillColor { .. } => changed(&mut fill, op),
            Op::SetOutlineColor { .. } => changed(&mut outline, op),
            Op::SetOutlineThickness { .. } => changed(&mut thickness, op),
            _ => true,
        })
        .collect()
}

fn changed(state: &mut Option<Op>, op: &Op) -> bool {
    if state.as_ref() == Some(op) {
        return false;
    }
    *state = Some(op.clone());
    true
}

fn rect(x: f32, top: f32, w: f32, h: f32, fill: bool) -> Op {
    let mut r = Rect::from_xywh(Mm(x).into(), Mm(top - h).into(), Mm(w).into(), Mm(h).into());
    r.mode = Some(if fill {
        PaintMode::FillStroke
    } else {
        PaintMode::Stroke
    });
    Op::DrawRectangle { rectangle: r }
}

fn line(x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) -> Vec<Op> {
    vec![
        Op::SetOutlineColor { col: black() },
        Op::SetOutlineThickness { pt: Pt(thickness) },
        segment(x1, y1, x2, y2),
    ]
}
