//! The Hongzhu domain: value types, the registry, and the rules that decide things.
//! Pure: no I/O, no async. Rules cite their DOMAIN.md ids.
#![forbid(unsafe_code)]

pub mod campaign;
pub mod care;
pub mod codes;
pub mod commitment;
pub mod coverage;
pub mod development;
pub mod dues;
pub mod election;
pub mod id_number;
pub mod labels;
pub mod life;
pub mod mask;
pub mod registry;
pub mod rng;
pub mod school;
pub mod schoolwork;
pub mod scorecard;
pub mod service;
pub mod stats;
pub mod synth;
pub mod synth_dev;
pub mod synth_life;
pub mod term;
pub mod transfer;

pub use codes::{InstitutionCode, OrgCode, Phone, RegionCode};
pub use id_number::IdNumber;

/// A problem with one input value: a stable code for machines, a Chinese and an English message
/// for people. Every parser in `core` reports this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message_en}")]
pub struct Invalid {
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

impl Invalid {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Invalid { code, message_zh: zh.into(), message_en: en.into() }
    }
}

/// Normalize full-width ASCII (U+FF01..U+FF5E) and the ideographic space to half-width, trim.
/// R7.2: full-width digits and Ｘ are accepted and normalized.
pub fn normalize_width(s: &str) -> String {
    let wide = |c: char| c == '\u{3000}' || ('\u{FF01}'..='\u{FF5E}').contains(&c);
    // Most cells hold nothing full-width: one pass to look, one copy (a province's ledger has
    // millions of cells).
    let trimmed = s.trim();
    if !trimmed.chars().any(wide) {
        return trimmed.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod width_tests {
    use super::normalize_width;

    #[test]
    fn full_width_is_made_half_width_and_trimmed() {
        assert_eq!(normalize_width("  3708２８１９８０ＸＡ\u{3000}"), "3708281980XA");
        assert_eq!(normalize_width("\u{3000}金乡县\u{3000}"), "金乡县");
        assert_eq!(normalize_width("金乡\u{3000}县"), "金乡 县");
        assert_eq!(normalize_width(" plain "), "plain");
        assert_eq!(normalize_width(""), "");
        assert_eq!(normalize_width("Ａ！～"), "A!~");
    }
}
