//! Terms of office (DOMAIN R1.6, R1.7; spec/COVERAGE.md *Term*).
use chrono::{Datelike, NaiveDate};

/// R1.6: a term ends on its start plus its years, same month and day; 29 February → 28 February.
pub fn term_end(start: NaiveDate, years: i32) -> NaiveDate {
    let y = start.year() + years;
    NaiveDate::from_ymd_opt(y, start.month(), start.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, start.month(), 28))
        .expect("28th exists in every month")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermState {
    Current,
    /// R1.7: ends within 6 months of the date (setting).
    Expiring,
    /// The end is before the date.
    Expired,
}

/// Expired when the end is before `on`; expiring when the end is on or after `on` and no later
/// than `remind_months` months after it (R1.7, default 6).
pub fn term_state(end: NaiveDate, on: NaiveDate, remind_months: u32) -> TermState {
    if end < on {
        return TermState::Expired;
    }
    let limit = on.checked_add_months(chrono::Months::new(remind_months)).unwrap_or(NaiveDate::MAX);
    if end <= limit { TermState::Expiring } else { TermState::Current }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn end_is_same_day_years_later() {
        assert_eq!(term_end(d(2023, 11, 20), 3), d(2026, 11, 20));
        assert_eq!(term_end(d(2024, 2, 29), 3), d(2027, 2, 28));
        assert_eq!(term_end(d(2024, 2, 29), 4), d(2028, 2, 29));
    }

    #[test]
    fn expiry_on_the_day_itself_is_not_expired() {
        let end = d(2026, 11, 26);
        assert_eq!(term_state(end, d(2026, 11, 26), 6), TermState::Expiring);
        assert_eq!(term_state(end, d(2026, 11, 27), 6), TermState::Expired);
        assert_eq!(term_state(end, d(2026, 5, 26), 6), TermState::Expiring);
        assert_eq!(term_state(end, d(2026, 5, 25), 6), TermState::Current);
    }
}
