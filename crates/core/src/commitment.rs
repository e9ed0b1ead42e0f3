//! 亮身份、亮承诺、亮本领 (issue: 党建+, part 1): each member's yearly commitments under the three
//! dimensions (三个向我看齐) and their own skill, reviewed at mid-year and at year-end.
use chrono::{Datelike, NaiveDate};

use crate::Invalid;

/// Which review: mid-year (from 1 June) or year-end (from 1 November).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Mid,
    End,
}

impl Review {
    pub fn parse(s: &str) -> Option<Review> {
        match s.trim() {
            "mid" | "年中" => Some(Review::Mid),
            "end" | "年终" => Some(Review::End),
            _ => None,
        }
    }
    /// The first day the review may be made for a year's commitments.
    pub fn opens(self, year: i32) -> NaiveDate {
        let (m, d) = match self {
            Review::Mid => (6, 1),
            Review::End => (11, 1),
        };
        NaiveDate::from_ymd_opt(year, m, d).expect("valid")
    }
}

/// A commitment's text: 4 to 300 characters.
pub fn check_content(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let n = t.chars().count();
    if !(4..=300).contains(&n) {
        return Err(Invalid::new(
            "content",
            format!("承诺内容应为 4–300 个字，现为 {n} 个字"),
            format!("a commitment is 4 to 300 characters; this is {n}"),
        ));
    }
    Ok(t.to_string())
}

/// A review of a year's commitments is made once its time has come: mid-year from 1 June,
/// year-end from 1 November; never for a year still to come.
pub fn check_review(r: Review, year: i32, today: NaiveDate) -> Result<(), Invalid> {
    if year > today.year() || today < r.opens(year) {
        let what = if r == Review::Mid { "年中评价" } else { "年终评价" };
        return Err(Invalid::new(
            "review",
            format!("{year}年承诺的{what}自 {} 起进行", r.opens(year)),
            format!("the review opens on {}", r.opens(year)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_and_review_times() {
        assert!(check_content(" 认真备课 ").is_ok());
        assert_eq!(check_content("好").unwrap_err().code, "content");
        assert_eq!(check_content(&"字".repeat(301)).unwrap_err().code, "content");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_review(Review::Mid, 2026, d("2026-05-31")).is_err());
        assert!(check_review(Review::Mid, 2026, d("2026-06-01")).is_ok());
        assert!(check_review(Review::End, 2026, d("2026-10-31")).is_err());
        assert!(check_review(Review::End, 2025, d("2026-01-10")).is_ok());
        assert!(check_review(Review::End, 2027, d("2026-12-31")).is_err());
    }
}
