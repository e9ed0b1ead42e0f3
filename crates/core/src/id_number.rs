//! 身份证号 (GB 11643-1999), DOMAIN R7.1–R7.4.
use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

use crate::{Invalid, normalize_width};

/// An 18-character resident identity number that passed every check of R7.1–R7.2.
/// It can only be built through [`IdNumber::parse`] or [`IdNumber::parse_on`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

// R7.2: weights on the first 17 digits; sum mod 11 indexes the check characters.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits (R7.2).
pub fn check_char(first17: &str) -> char {
    let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn invalid(code: &'static str, zh: String, en: String) -> Invalid {
    Invalid::new(code, zh, en)
}

impl IdNumber {
    /// Parse against today's date (UTC).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::parse_on(input, chrono::Utc::now().date_naive())
    }

    /// Parse, normalizing full-width characters, spaces and a lower-case x (R7.2), upgrading an
    /// old 15-digit number (R7.3), and checking the birth date is real and not after `today` (R7.1).
    pub fn parse_on(input: &str, today: NaiveDate) -> Result<Self, Invalid> {
        let s: String = normalize_width(input).chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        if !s.is_ascii() {
            return Err(invalid(
                "id_format",
                "身份证号只能由数字和最后一位X组成".into(),
                "an ID number has digits only, and X as its last character".into(),
            ));
        }
        let s = match s.len() {
            18 => s,
            15 => {
                if !s.chars().all(|c| c.is_ascii_digit()) {
                    return Err(invalid("id_format", "15位身份证号只能由数字组成".into(), "a 15-digit ID number has digits only".into()));
                }
                // R7.3: insert "19" before the 2-digit year and compute the check character.
                let first17 = format!("{}19{}", &s[..6], &s[6..]);
                let check = check_char(&first17);
                format!("{first17}{check}")
            }
            n => {
                return Err(invalid(
                    "id_length",
                    format!("身份证号应为18位（或旧式15位），当前为{n}位"),
                    format!("an ID number has 18 characters (or 15 for old numbers), got {n}"),
                ));
            }
        };
        let (body, last) = s.split_at(17);
        if !body.chars().all(|c| c.is_ascii_digit()) || !last.chars().all(|c| c.is_ascii_digit() || c == 'X') {
            return Err(invalid(
                "id_format",
                "身份证号前17位须为数字，最后一位为数字或X".into(),
                "the first 17 characters are digits, the last a digit or X".into(),
            ));
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").map_err(|_| {
            invalid(
                "id_birth_date",
                format!("身份证号中的出生日期{}不是有效日期", &s[6..14]),
                format!("the birth date {} in the ID number is not a real date", &s[6..14]),
            )
        })?;
        if birth > today || birth.year() < 1900 {
            return Err(invalid(
                "id_birth_date",
                format!("身份证号中的出生日期{}不合理（不能晚于今天或早于1900年）", &s[6..14]),
                format!("the birth date {} in the ID number is in the future or before 1900", &s[6..14]),
            ));
        }
        let expected = check_char(body);
        if !last.starts_with(expected) {
            return Err(invalid(
                "id_checksum",
                format!("身份证号校验位错误：按前17位计算应为{expected}"),
                format!("the check character is wrong: the first 17 digits give {expected}"),
            ));
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit area code (行政区划) the number was issued under.
    pub fn area(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Digits 7–14 are YYYYMMDD, checked to be a real date when the number was parsed; read
        // as digits, not through a format string (a province's import asks a million times).
        let d = |r: std::ops::Range<usize>| self.0.as_bytes()[r].iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        NaiveDate::from_ymd_opt(d(6..10) as i32, d(10..12), d(12..14)).expect("checked at parse")
    }

    /// R7.1: an odd sequence digit is male.
    pub fn is_male(&self) -> bool {
        self.0.as_bytes()[16] % 2 == 1
    }

    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> i32 {
        let b = self.birth_date();
        let mut age = on.year() - b.year();
        if (on.month(), on.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        age
    }

    /// R7.4: `370828********123X`.
    pub fn masked(&self) -> String {
        crate::mask::mask_id(&self.0)
    }
}

impl std::fmt::Debug for IdNumber {
    // Never print a full ID number in logs or panics (SECURITY S12).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn make(first17: &str) -> String {
        format!("{first17}{}", check_char(first17))
    }

    #[test]
    fn known_valid_number() {
        // GB 11643 worked example.
        let id = IdNumber::parse_on("11010519491231002X", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert!(!id.is_male());
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
    }

    #[test]
    fn lower_case_x_and_full_width_are_normalized() {
        let id = IdNumber::parse_on(" １１０１０５１９４９１２３１００２ｘ ", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        let id = IdNumber::parse_on("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn wrong_checksum_names_expected_character() {
        let e = IdNumber::parse_on("110105194912310021", today()).unwrap_err();
        assert_eq!(e.code, "id_checksum");
        assert!(e.message_zh.contains('X'));
    }

    #[test]
    fn impossible_and_future_dates_are_refused() {
        let feb30 = make("37082819900230123");
        assert_eq!(IdNumber::parse_on(&feb30, today()).unwrap_err().code, "id_birth_date");
        let future = make("37082820261127123");
        assert_eq!(IdNumber::parse_on(&future, today()).unwrap_err().code, "id_birth_date");
        let on_day = make("37082820261126123");
        assert!(IdNumber::parse_on(&on_day, today()).is_ok());
        let leap = make("37082820000229123");
        assert!(IdNumber::parse_on(&leap, today()).is_ok());
    }

    #[test]
    fn fifteen_digit_numbers_are_upgraded() {
        // R7.3: 370828 900101 123 → 370828 19900101 123 + check
        let id = IdNumber::parse_on("370828900101123", today()).unwrap();
        assert_eq!(&id.as_str()[..17], "37082819900101123");
        assert_eq!(id.as_str().len(), 18);
        assert!(id.is_male());
    }

    #[test]
    fn lengths_and_characters() {
        assert_eq!(IdNumber::parse_on("", today()).unwrap_err().code, "id_length");
        assert_eq!(IdNumber::parse_on("3708281990010112", today()).unwrap_err().code, "id_length");
        assert_eq!(IdNumber::parse_on("37082819900101A234", today()).unwrap_err().code, "id_format");
    }

    #[test]
    fn age_counts_birthdays() {
        let id = IdNumber::parse_on(&make("37082819911126123"), today()).unwrap();
        assert_eq!(id.age_on(today()), 35);
        assert_eq!(id.age_on(today().pred_opt().unwrap()), 34);
    }

    #[test]
    fn debug_is_masked() {
        let id = IdNumber::parse_on("11010519491231002X", today()).unwrap();
        assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
    }

    proptest::proptest! {
        #[test]
        fn every_number_with_computed_check_parses(area in 110000u32..659999, days in 0i64..40000, seq in 0u32..999) {
            let birth = NaiveDate::from_ymd_opt(1910, 1, 1).unwrap() + chrono::Duration::days(days);
            let first17 = format!("{area:06}{}{seq:03}", birth.format("%Y%m%d"));
            let full = make(&first17);
            let id = IdNumber::parse_on(&full, today()).unwrap();
            proptest::prop_assert_eq!(id.as_str(), full.as_str());
            proptest::prop_assert_eq!(id.birth_date(), birth);
        }

        #[test]
        fn any_single_digit_change_is_caught(area in 110000u32..659999, days in 0i64..40000, seq in 0u32..999, pos in 0usize..17, delta in 1u32..10) {
            let birth = NaiveDate::from_ymd_opt(1910, 1, 1).unwrap() + chrono::Duration::days(days);
            let first17 = format!("{area:06}{}{seq:03}", birth.format("%Y%m%d"));
            let full = make(&first17);
            let mut chars: Vec<char> = full.chars().collect();
            let d = chars[pos].to_digit(10).unwrap();
            chars[pos] = char::from_digit((d + delta) % 10, 10).unwrap();
            let changed: String = chars.into_iter().collect();
            // A changed digit either breaks the date or the checksum: never accepted silently.
            proptest::prop_assert!(IdNumber::parse_on(&changed, today()).is_err());
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,40}") {
            let _ = IdNumber::parse_on(&s, today());
        }
    }
}
