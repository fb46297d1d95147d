//! Fonts for batch records: DejaVu Sans (Latin, Greek, symbols such as µ ± ≤ °
//! × ⁶) with WenQuanYi Micro Hei for every character DejaVu lacks (Chinese).
//! Both are embedded, subset, so text extracts as Unicode.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use printpdf::{FontId, ParsedFont, PdfDocument};

/// Where fonts are looked for, after `EBR_FONT_DIR`.
const SEARCH: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
];

/// One font: its parsed tables (for measuring, with a per-character cache)
/// and its id in the document.
pub struct Face {
    face: ttf_parser::Face<'static>,
    /// The font's id in the PDF document.
    pub id: FontId,
    units_per_em: f32,
    /// Advance per BMP character, filled on first use (`u32::MAX`: not
    /// looked up yet; `NONE`: no glyph).
    bmp: RefCell<Vec<u32>>,
    other: RefCell<HashMap<char, Option<u16>>>,
}

const UNSEEN: u32 = u32::MAX;
const NONE: u32 = u32::MAX - 1;

impl Face {
    fn lookup(&self, c: char) -> Option<u16> {
        self.face
            .glyph_index(c)
            .map(|g| self.face.glyph_hor_advance(g).unwrap_or(0))
    }

    fn units(&self, c: char) -> Option<u16> {
        let code = c as usize;
        if code < 0x1_0000 {
            let cached = self.bmp.borrow().get(code).copied().unwrap_or(UNSEEN);
            let value = if cached == UNSEEN {
                let found = self.lookup(c).map_or(NONE, u32::from);
                if let Some(slot) = self.bmp.borrow_mut().get_mut(code) {
                    *slot = found;
                }
                found
            } else {
                cached
            };
            return if value == NONE {
                None
            } else {
                u16::try_from(value).ok()
            };
        }
        if let Some(hit) = self.other.borrow().get(&c) {
            return *hit;
        }
        let units = self.lookup(c);
        self.other.borrow_mut().insert(c, units);
        units
    }

    /// Whether the font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.units(c).is_some()
    }

    /// The advance of `c` in points at `size`.
    pub fn advance(&self, c: char, size: f32) -> f32 {
        f32::from(self.units(c).unwrap_or(0)) / self.units_per_em * size
    }
}

/// The fonts of one document.
pub struct Fonts {
    /// Body text.
    pub regular: Face,
    /// Headings and labels.
    pub bold: Face,
    /// Fallback for CJK.
    pub cjk: Face,
}

fn find(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("EBR_FONT_DIR")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    dirs.extend(SEARCH.iter().map(PathBuf::from));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.exists())
}

fn load(doc: &mut PdfDocument, path: &Path, index: u32) -> Result<Face, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read font {}: {e}", path.display()))?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let face = ttf_parser::Face::parse(bytes, index)
        .map_err(|e| format!("cannot parse font {}: {e}", path.display()))?;
    let units_per_em = f32::from(face.units_per_em());
    let mut warnings = Vec::new();
    let parsed = ParsedFont::from_bytes(bytes, index as usize, &mut warnings)
        .ok_or_else(|| format!("printpdf cannot use font {}", path.display()))?;
    let id = doc.add_font(&parsed);
    Ok(Face {
        face,
        id,
        units_per_em,
        bmp: RefCell::new(vec![UNSEEN; 0x1_0000]),
        other: RefCell::new(HashMap::new()),
    })
}

impl Fonts {
    /// Loads the fonts into `doc`, or says which package to install.
    pub fn load(doc: &mut PdfDocument) -> Result<Fonts, String> {
        let missing = |f: &str, pkg: &str| {
            format!("font {f} not found: install the Debian package {pkg} (`make` does), or set EBR_FONT_DIR to a folder that holds it")
        };
        let regular =
            find("DejaVuSans.ttf").ok_or_else(|| missing("DejaVuSans.ttf", "fonts-dejavu-core"))?;
        let bold = find("DejaVuSans-Bold.ttf")
            .ok_or_else(|| missing("DejaVuSans-Bold.ttf", "fonts-dejavu-core"))?;
        let cjk = find("wqy-microhei.ttc")
            .ok_or_else(|| missing("wqy-microhei.ttc", "fonts-wqy-microhei"))?;
        Ok(Fonts {
            regular: load(doc, &regular, 0)?,
            bold: load(doc, &bold, 0)?,
            cjk: load(doc, &cjk, 0)?,
        })
    }

    /// The face that draws `c`: the requested one, or the CJK fallback.
    pub fn for_char(&self, c: char, bold: bool) -> &Face {
        let primary = if bold { &self.bold } else { &self.regular };
        if primary.covers(c) || !self.cjk.covers(c) {
            primary
        } else {
            &self.cjk
        }
    }

    /// The width of `text` in points.
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        text.chars()
            .map(|c| self.for_char(c, bold).advance(c, size))
            .sum()
    }
}
