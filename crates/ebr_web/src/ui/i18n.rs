//! The message catalogues: one TOML file per language (`locales/en.toml`,
//! `locales/zh.toml`), compiled into the binary. Every word a page shows,
//! error messages included, comes from here; a unit test keeps the two
//! catalogues' keys identical.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A language ebr has pages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Every language, in the order the language menu offers them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The code stored per person and used in `lang` attributes (`en`, `zh`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language's own name for itself (shown in the language menu).
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// The language for a stored or requested code; `None` when ebr has no
    /// pages in it.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The preferred language of an `Accept-Language` header (highest
    /// quality first, the first listed among equals); English when none of
    /// the listed languages has pages.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(u16, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let weight = (quality.clamp(0.0, 1.0) * 1000.0) as u16;
            if let Some(lang) = Lang::parse(tag) {
                if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                    best = Some((weight, lang));
                }
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// One language's messages, flattened to dotted keys (`login.title`).
#[derive(Debug)]
pub struct Catalog {
    messages: BTreeMap<String, String>,
}

const EN: &str = include_str!("../../locales/en.toml");
const ZH: &str = include_str!("../../locales/zh.toml");

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            other => {
                out.insert(full, other.to_string());
            }
        }
    }
}

fn parse(source: &str) -> Catalog {
    let mut messages = BTreeMap::new();
    // The catalogues are compiled in and checked by the unit tests below; a
    // broken file would show keys instead of words, never fail a request.
    if let Ok(table) = source.parse::<toml::Table>() {
        flatten("", &table, &mut messages);
    }
    Catalog { messages }
}

/// The catalogue of `lang`.
pub fn catalog(lang: Lang) -> &'static Catalog {
    static CATALOGS: OnceLock<[Catalog; 2]> = OnceLock::new();
    let [en, zh] = CATALOGS.get_or_init(|| [parse(EN), parse(ZH)]);
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

impl Catalog {
    /// The message for `key`; the key itself when the catalogue lacks it
    /// (the unit tests make sure no page asks for a missing key).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.messages.get(key).map_or(key, String::as_str)
    }

    /// The message for `key`, if the catalogue has it.
    pub fn lookup(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }

    /// Whether the catalogue has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.messages.contains_key(key)
    }

    /// Every key.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.messages.keys()
    }

    /// The messages the browser script needs (`error.*` and `js.*`), as a
    /// JSON object safe to place inside a `<script type="application/json">`.
    pub fn client_json(&self) -> String {
        let subset: BTreeMap<&String, &String> = self
            .messages
            .iter()
            .filter(|(k, _)| k.starts_with("error.") || k.starts_with("js."))
            .collect();
        serde_json::to_string(&subset)
            .unwrap_or_else(|_| "{}".into())
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_parse_and_have_the_same_keys() {
        let en = EN.parse::<toml::Table>();
        let zh = ZH.parse::<toml::Table>();
        assert!(en.is_ok(), "locales/en.toml: {en:?}");
        assert!(zh.is_ok(), "locales/zh.toml: {zh:?}");
        let en: Vec<_> = catalog(Lang::En).keys().collect();
        let zh: Vec<_> = catalog(Lang::Zh).keys().collect();
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        assert!(only_en.is_empty(), "keys missing from zh.toml: {only_en:?}");
        assert!(only_zh.is_empty(), "keys missing from en.toml: {only_zh:?}");
        assert!(en.len() > 100);
    }

    #[test]
    fn every_key_a_template_or_the_code_uses_exists() {
        let mut sources: Vec<(String, String)> = Vec::new();
        for dir in ["templates", "src/ui", "src/ui/pages", "assets"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                if entry.path().ends_with("i18n.rs") {
                    continue; // this test names the markers themselves
                }
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    sources.push((entry.path().display().to_string(), text));
                }
            }
        }
        let mut missing = Vec::new();
        for (file, text) in &sources {
            for marker in [
                ".t(\"", ".tr(\"", ".tf(\"", ".tf1(\"", ".tf2(\"", " m('", "(m('",
            ] {
                let close = if marker.ends_with('\'') { '\'' } else { '"' };
                for piece in text.split(marker).skip(1) {
                    let key: String = piece.chars().take_while(|c| *c != close).collect();
                    if key.contains('{') || key.ends_with('.') || key.is_empty() {
                        continue;
                    }
                    if !catalog(Lang::En).has(&key) {
                        missing.push(format!("{file}: {key}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogues: {missing:?}"
        );
    }

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(
            Lang::from_accept_language(Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Lang::Zh
        );
        assert_eq!(
            Lang::from_accept_language(Some("de-DE,en;q=0.5,zh;q=0.4")),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::En);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("en;q=0.2, zh-Hans")),
            Lang::Zh
        );
    }

    #[test]
    fn client_messages_cannot_close_the_script_element() {
        let json = catalog(Lang::En).client_json();
        assert!(!json.contains('<'));
        assert!(json.contains("error."));
    }
}
