//! Fonts for batch records: DejaVu Sans (Latin, Greek, symbols such as µ ± ≤ °
//! × ⁶) with WenQuanYi Micro Hei for every character DejaVu lacks (Chinese).
//! Both are vendored in the repository (licences beside them), embedded and
//! subset, so text extracts as Unicode and no host font changes a byte.

use std::cell::RefCell;
use std::collections::HashMap;

use printpdf::{FontId, ParsedFont, PdfDocument, PdfFont};

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");
/// WenQuanYi Micro Hei (Apache-2.0, see `fonts/LICENSE-WenQuanYi-MicroHei.txt`).
static WQY_MICROHEI: &[u8] = include_bytes!("../../fonts/wqy-microhei.ttc");

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

/// printpdf's parse of a vendored font, made once per process (the CJK font
/// alone is 5 MB) and cloned into each document.
fn parsed(bytes: &'static [u8], name: &str) -> Result<ParsedFont, String> {
    type Cache = std::sync::Mutex<HashMap<usize, ParsedFont>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = bytes.as_ptr() as usize;
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hit);
    }
    let mut warnings = Vec::new();
    let font = ParsedFont::from_bytes(bytes, 0, &mut warnings)
        .ok_or_else(|| format!("printpdf cannot use the vendored font {name}"))?;
    if let Ok(mut c) = cache.lock() {
        c.insert(key, font.clone());
    }
    Ok(font)
}

/// Parses `bytes` and adds the font to `doc` under the fixed resource name
/// `name`, a six-letter subset tag (printpdf's own names come from a process-wide counter, which would
/// make the second document of a process differ from the first).
fn load(doc: &mut PdfDocument, bytes: &'static [u8], name: &str) -> Result<Face, String> {
    let face = ttf_parser::Face::parse(bytes, 0)
        .map_err(|e| format!("cannot parse the vendored font {name}: {e}"))?;
    let units_per_em = f32::from(face.units_per_em());
    let parsed = parsed(bytes, name)?;
    let id = FontId(name.to_string());
    doc.resources
        .fonts
        .map
        .insert(id.clone(), PdfFont::new(parsed));
    Ok(Face {
        face,
        id,
        units_per_em,
        bmp: RefCell::new(vec![UNSEEN; 0x1_0000]),
        other: RefCell::new(HashMap::new()),
    })
}

impl Fonts {
    /// Loads the vendored fonts into `doc`: the same fonts on every host, so
    /// the same record gives the same bytes everywhere.
    pub fn load(doc: &mut PdfDocument) -> Result<Fonts, String> {
        Ok(Fonts {
            regular: load(doc, DEJAVU_SANS, "EBRAAA")?,
            bold: load(doc, DEJAVU_SANS_BOLD, "EBRAAB")?,
            cjk: load(doc, WQY_MICROHEI, "EBRAAC")?,
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
