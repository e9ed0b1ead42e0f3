//! Codes that can only be built valid: 机构代码, 组织代码, 区划代码, 手机号.
use serde::{Serialize, Serializer};

use crate::{Invalid, normalize_width};

fn code_chars_ok(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == '-')
}

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// 机构代码: the 10-digit 学校标识码 where one exists, else the county's own code: 4–32 of `0-9 A-Z -`
/// (spec/LEDGER.md, sheet 学校). Lower-case letters are upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstitutionCode(String);
string_value!(InstitutionCode);

impl InstitutionCode {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = normalize_width(input).to_ascii_uppercase();
        let n = s.chars().count();
        if !(4..=32).contains(&n) || !code_chars_ok(&s) {
            return Err(Invalid::new(
                "institution_code",
                format!("机构代码“{}”无效：应为4–32位，只含数字、大写字母和“-”", s),
                format!("institution code \"{s}\" is invalid: 4–32 of 0-9, A-Z and -"),
            ));
        }
        Ok(InstitutionCode(s))
    }
}

/// 组织代码: 2–32 of `0-9 A-Z -` (spec/LEDGER.md, sheet 党组织).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode(String);
string_value!(OrgCode);

impl OrgCode {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = normalize_width(input).to_ascii_uppercase();
        let n = s.chars().count();
        if !(2..=32).contains(&n) || !code_chars_ok(&s) {
            return Err(Invalid::new(
                "org_code",
                format!("组织代码“{}”无效：应为2–32位，只含数字、大写字母和“-”", s),
                format!("organization code \"{s}\" is invalid: 2–32 of 0-9, A-Z and -"),
            ));
        }
        Ok(OrgCode(s))
    }
}

/// 区划代码 (GB/T 2260): 6 digits for a province, city or county; 9 for a town or street.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);
string_value!(RegionCode);

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = normalize_width(input);
        if !(s.len() == 6 || s.len() == 9) || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(Invalid::new(
                "region_code",
                format!("区划代码“{s}”无效：省市县为6位数字，乡镇街道为9位数字"),
                format!("region code \"{s}\" is invalid: 6 digits (province/city/county) or 9 (town/street)"),
            ));
        }
        Ok(RegionCode(s))
    }

    /// The county a code belongs to: its first 6 digits.
    pub fn county(&self) -> &str {
        &self.0[..6]
    }
}

/// 手机号: 11 digits starting with 1. Spaces, hyphens and a leading +86 are removed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);
string_value!(Phone);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let mut s: String = normalize_width(input).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if let Some(rest) = s.strip_prefix("+86") {
            s = rest.to_string();
        }
        if s.len() != 11 || !s.starts_with('1') || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(Invalid::new(
                "phone",
                "手机号无效：应为以1开头的11位数字".to_string(),
                "the phone number is invalid: 11 digits starting with 1".to_string(),
            ));
        }
        Ok(Phone(s))
    }

    /// R7.4: `138****1234`.
    pub fn masked(&self) -> String {
        crate::mask::mask_phone(&self.0)
    }
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn institution_codes() {
        assert_eq!(InstitutionCode::parse(" 3708280101 ").unwrap().as_str(), "3708280101");
        assert_eq!(InstitutionCode::parse("jx-px-01").unwrap().as_str(), "JX-PX-01");
        assert!(InstitutionCode::parse("ABC").is_err());
        assert!(InstitutionCode::parse(&"A".repeat(33)).is_err());
        assert!(InstitutionCode::parse("ABCD").is_ok());
        assert!(InstitutionCode::parse(&"A".repeat(32)).is_ok());
        assert_eq!(InstitutionCode::parse("37_0828").unwrap_err().code, "institution_code");
    }

    #[test]
    fn org_codes() {
        assert!(OrgCode::parse("JX").is_ok());
        assert!(OrgCode::parse("J").is_err());
        assert!(OrgCode::parse("JX ZB").is_err());
    }

    #[test]
    fn region_codes() {
        assert_eq!(RegionCode::parse("370828101").unwrap().county(), "370828");
        assert!(RegionCode::parse("3708281").is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("+86 138-1234-1234").unwrap().as_str(), "13812341234");
        assert_eq!(Phone::parse("１３８１２３４１２３４").unwrap().as_str(), "13812341234");
        assert!(Phone::parse("23812341234").is_err());
        assert!(Phone::parse("1381234123").is_err());
        assert_eq!(format!("{:?}", Phone::parse("13812341234").unwrap()), "Phone(138****1234)");
    }

    proptest::proptest! {
        #[test]
        fn valid_codes_round_trip(s in "[0-9A-Z-]{4,32}") {
            let c = InstitutionCode::parse(&s).unwrap();
            let cs = c.as_str().to_string(); proptest::prop_assert_eq!(cs, s.clone());
            let lower = s.to_ascii_lowercase();
            let ls = InstitutionCode::parse(&lower).unwrap().as_str().to_string(); proptest::prop_assert_eq!(ls, s.clone());
        }

        #[test]
        fn code_parsers_never_panic(s in "\\PC{0,40}") {
            let _ = InstitutionCode::parse(&s);
            let _ = OrgCode::parse(&s);
            let _ = RegionCode::parse(&s);
            let _ = Phone::parse(&s);
        }

        #[test]
        fn any_valid_phone_parses(p in "1[0-9]{10}") {
            let ps = Phone::parse(&p).unwrap().as_str().to_string(); proptest::prop_assert_eq!(ps, p.clone());
        }
    }
}
