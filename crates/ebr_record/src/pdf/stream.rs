//! Page content streams written directly from the layout's operations.
//!
//! printpdf turns each operation into lopdf objects and formats them, which
//! took more than half of a large record's rendering time. Here printpdf
//! still embeds and subsets the fonts (from one page that shows every
//! character the record uses), and the codes it chose for each character are
//! read back from that page; every real page is then written as PDF content
//! syntax in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use printpdf::{Color, Op, PaintMode, PdfFontHandle, Pt, TextItem, TextMatrix};

/// Every character each font draws, by the font's resource name.
pub type CharsByFont = BTreeMap<String, BTreeSet<char>>;

/// The code (2 bytes, Identity-H) printpdf gave each character, by font.
pub type CodesByFont = BTreeMap<String, BTreeMap<char, Vec<u8>>>;

fn font_name(handle: &PdfFontHandle) -> Option<&str> {
    match handle {
        PdfFontHandle::External(id) => Some(id.0.as_str()),
        PdfFontHandle::Builtin(_) => None,
    }
}

/// The characters each font draws on `pages`.
pub fn chars_by_font(pages: &[Vec<Op>]) -> CharsByFont {
    let mut out = CharsByFont::new();
    let mut current: Option<String> = None;
    for op in pages.iter().flatten() {
        match op {
            Op::SetFont { font, .. } => current = font_name(font).map(str::to_string),
            Op::ShowText { items } => {
                if let Some(font) = &current {
                    let set = out.entry(font.clone()).or_default();
                    for item in items {
                        if let TextItem::Text(s) = item {
                            set.extend(s.chars());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// One page showing every character once per font, in `chars` order: what
/// printpdf embeds and subsets the fonts from.
pub fn sample_page(chars: &CharsByFont) -> Vec<Op> {
    let mut ops = vec![Op::StartTextSection];
    for (font, set) in chars {
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(printpdf::FontId(font.clone())),
            size: Pt(10.0),
        });
        for c in set {
            ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(0.0), Pt(0.0)),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(c.to_string())],
            });
        }
    }
    ops.push(Op::EndTextSection);
    ops
}

/// Reads back, from the serialized sample page, the font resource name and
/// the code printpdf wrote for each character.
pub fn codes_from_sample(
    content: &[u8],
    chars: &CharsByFont,
) -> Result<(CodesByFont, BTreeMap<String, String>), String> {
    let decoded = lopdf::content::Content::decode(content)
        .map_err(|e| format!("cannot read the font sample page: {e}"))?;
    let mut fonts = chars.iter();
    let mut current: Option<(&String, std::collections::btree_set::Iter<'_, char>, String)> = None;
    let mut codes = CodesByFont::new();
    let mut names = BTreeMap::new();
    for op in decoded.operations {
        match op.operator.as_str() {
            "Tf" => {
                let (font, set) = fonts.next().ok_or("the font sample has an extra font")?;
                let name = op
                    .operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .ok_or("the font sample's Tf has no name")?;
                names.insert(font.clone(), name.clone());
                current = Some((font, set.iter(), name));
            }
            "Tj" | "TJ" => {
                let (font, iter, _) = current.as_mut().ok_or("text before a font")?;
                let c = *iter.next().ok_or("the font sample has an extra glyph")?;
                let bytes = match op.operands.first() {
                    Some(lopdf::Object::String(b, _)) => b.clone(),
                    Some(lopdf::Object::Array(items)) => items
                        .iter()
                        .find_map(|i| match i {
                            lopdf::Object::String(b, _) => Some(b.clone()),
                            _ => None,
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                codes.entry((*font).clone()).or_default().insert(c, bytes);
            }
            _ => {}
        }
    }
    Ok((codes, names))
}

/// A number as PDF writes it: at most `decimals` decimals, no trailing zeros.
fn num(out: &mut Vec<u8>, v: f32, decimals: u32) {
    let scale = 10i64.pow(decimals);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let scaled = (f64::from(v) * scale as f64).round() as i64;
    let (sign, abs) = if scaled < 0 {
        ("-", -scaled)
    } else {
        ("", scaled)
    };
    let (int, mut frac) = (abs / scale, abs % scale);
    let _ = write!(out, "{sign}{int}");
    if frac != 0 {
        let mut digits = decimals;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{frac:0width$}", width = digits as usize);
    }
}

fn colour(out: &mut Vec<u8>, col: &Color, operator: &str) {
    if let Color::Rgb(rgb) = col {
        for v in [rgb.r, rgb.g, rgb.b] {
            num(out, v, 3);
            out.push(b' ');
        }
        out.extend_from_slice(operator.as_bytes());
        out.push(b'\n');
    }
}

/// The content stream of one page.
pub fn encode_page(ops: &[Op], codes: &CodesByFont, names: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(ops.len() * 24);
    let mut font: Option<&String> = None;
    for op in ops {
        match op {
            Op::StartTextSection => out.extend_from_slice(b"BT\n"),
            Op::EndTextSection => out.extend_from_slice(b"ET\n"),
            Op::SetFillColor { col } => colour(&mut out, col, "rg"),
            Op::SetOutlineColor { col } => colour(&mut out, col, "RG"),
            Op::SetOutlineThickness { pt } => {
                num(&mut out, pt.0, 2);
                out.extend_from_slice(b" w\n");
            }
            Op::SetFont { font: handle, size } => {
                let Some(ours) = font_name(handle) else {
                    continue;
                };
                let Some((key, name)) = names.get_key_value(ours) else {
                    continue;
                };
                font = Some(key);
                let _ = write!(out, "/{name} ");
                num(&mut out, size.0, 2);
                out.extend_from_slice(b" Tf\n");
            }
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(x, y),
            } => {
                out.extend_from_slice(b"1 0 0 1 ");
                num(&mut out, x.0, 2);
                out.push(b' ');
                num(&mut out, y.0, 2);
                out.extend_from_slice(b" Tm\n");
            }
            Op::ShowText { items } => {
                let Some(map) = font.and_then(|f| codes.get(f)) else {
                    continue;
                };
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push(b'<');
                for item in items {
                    if let TextItem::Text(s) = item {
                        for c in s.chars() {
                            if let Some(code) = map.get(&c) {
                                for b in code {
                                    out.push(HEX[usize::from(b >> 4)]);
                                    out.push(HEX[usize::from(b & 0x0F)]);
                                }
                            }
                        }
                    }
                }
                out.extend_from_slice(b"> Tj\n");
            }
            Op::DrawLine { line } => {
                for (i, p) in line.points.iter().enumerate() {
                    num(&mut out, p.p.x.0, 2);
                    out.push(b' ');
                    num(&mut out, p.p.y.0, 2);
                    out.extend_from_slice(if i == 0 { b" m\n" } else { b" l\n" });
                }
                out.extend_from_slice(if line.is_closed { b"h S\n" } else { b"S\n" });
            }
            Op::DrawRectangle { rectangle } => {
                for v in [rectangle.x, rectangle.y, rectangle.width, rectangle.height] {
                    num(&mut out, v.0, 2);
                    out.push(b' ');
                }
                out.extend_from_slice(match rectangle.mode {
                    Some(PaintMode::Fill) => b"re f\n",
                    Some(PaintMode::FillStroke) => b"re B\n",
                    _ => b"re S\n",
                });
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact() {
        let mut out = Vec::new();
        for v in [0.0, 12.0, 12.5, -3.25, 0.333, 841.89] {
            num(&mut out, v, 2);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 12 12.5 -3.25 0.33 841.89 "
        );
    }
}
