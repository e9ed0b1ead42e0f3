//! Party dues (党费), DOMAIN §5: the monthly amount from the base and the member's category.
//! Money is counted in fen (分), exactly; amounts are rounded half up.
use crate::Invalid;

/// An amount of money in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fen(pub i64);

impl Fen {
    /// Parse yuan as people write it: `3000`, `3000.5`, `3000.01`, `3,000.01`; never negative,
    /// at most two decimals.
    pub fn parse_yuan(text: &str) -> Result<Fen, Invalid> {
        let bad = || Invalid {
            code: "bad_amount",
            message_zh: format!("“{}”不是有效金额：请写元，最多两位小数，如 3000.01", text.trim()),
            message_en: format!("“{}” is not an amount: write yuan with at most two decimals, e.g. 3000.01", text.trim()),
        };
        let t: String = text.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
        let t = t.trim_end_matches('元');
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty()
            || whole.len() > 9
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
        Ok(Fen(whole * 100 + frac))
    }

    /// `3000.01` (always two decimals).
    pub fn yuan(&self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Who pays what kind of dues (R4.2, R4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuesCategory {
    /// 在职: a share of the monthly base by bracket (R4.2).
    InService,
    /// 离退休: a share of the pension (R4.3).
    Retired,
    /// 农民: 0.20–1.00 yuan a month.
    Farmer,
    /// 学生.
    Student,
    /// 下岗失业.
    Unemployed,
    /// 享受低保.
    Subsistence,
}

pub const DUES_CATEGORIES: [DuesCategory; 6] = [
    DuesCategory::InService,
    DuesCategory::Retired,
    DuesCategory::Farmer,
    DuesCategory::Student,
    DuesCategory::Unemployed,
    DuesCategory::Subsistence,
];

impl DuesCategory {
    pub fn code(self) -> &'static str {
        match self {
            DuesCategory::InService => "in_service",
            DuesCategory::Retired => "retired",
            DuesCategory::Farmer => "farmer",
            DuesCategory::Student => "student",
            DuesCategory::Unemployed => "unemployed",
            DuesCategory::Subsistence => "subsistence",
        }
    }
    pub fn from_code(s: &str) -> Option<DuesCategory> {
        DUES_CATEGORIES.into_iter().find(|c| c.code() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            DuesCategory::InService => "在职党员",
            DuesCategory::Retired => "离退休党员",
            DuesCategory::Farmer => "农民党员",
            DuesCategory::Student => "学生党员",
            DuesCategory::Unemployed => "下岗失业党员",
            DuesCategory::Subsistence => "享受低保的党员",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            DuesCategory::InService => "In service",
            DuesCategory::Retired => "Retired",
            DuesCategory::Farmer => "Farmer",
            DuesCategory::Student => "Student",
            DuesCategory::Unemployed => "Unemployed",
            DuesCategory::Subsistence => "On subsistence allowance",
        }
    }
    /// Whether the amount depends on a base (pay or pension).
    pub fn uses_base(self) -> bool {
        matches!(self, DuesCategory::InService | DuesCategory::Retired)
    }
}

/// A month's dues and how they were reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dues {
    /// The share of the base, in basis points (50 = 0.5 %), when there is one.
    pub rate_bp: Option<i64>,
    pub amount: Fen,
    /// For farmers the branch may set up to this much.
    pub up_to: Option<Fen>,
    pub rule: &'static str,
}

impl Dues {
    /// `0.5%`, `1%`, `1.5%`, `2%`.
    pub fn rate_text(&self) -> String {
        match self.rate_bp {
            Some(bp) if bp % 100 == 0 => format!("{}%", bp / 100),
            Some(bp) => format!("{}.{}%", bp / 100, (bp % 100) / 10),
            None => "—".into(),
        }
    }
}

/// `base × rate`, in fen, rounded half up.
fn share(base: Fen, bp: i64) -> Fen {
    Fen((base.0 * bp + 5_000) / 10_000)
}

/// R4.2 / R4.3: the monthly dues of a member of `category` whose base (monthly after-tax pay, or
/// pension) is `base`. Bracket upper bounds are inclusive.
pub fn monthly_dues(category: DuesCategory, base: Fen) -> Dues {
    match category {
        DuesCategory::InService => {
            // R4.2: ≤3000 → 0.5%; ≤5000 → 1%; ≤10000 → 1.5%; above → 2%.
            let bp = match base.0 {
                b if b <= 300_000 => 50,
                b if b <= 500_000 => 100,
                b if b <= 1_000_000 => 150,
                _ => 200,
            };
            Dues { rate_bp: Some(bp), amount: share(base, bp), up_to: None, rule: "R4.2" }
        }
        DuesCategory::Retired => {
            // R4.3: pension ≤5000 → 0.5%; above → 1%.
            let bp = if base.0 <= 500_000 { 50 } else { 100 };
            Dues { rate_bp: Some(bp), amount: share(base, bp), up_to: None, rule: "R4.3" }
        }
        // R4.3: farmers 0.20–1.00 yuan a month (the branch sets it); students, the unemployed and
        // those on subsistence allowance 0.20 yuan.
        DuesCategory::Farmer => Dues { rate_bp: None, amount: Fen(20), up_to: Some(Fen(100)), rule: "R4.3" },
        DuesCategory::Student | DuesCategory::Unemployed | DuesCategory::Subsistence => {
            Dues { rate_bp: None, amount: Fen(20), up_to: None, rule: "R4.3" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(cat: DuesCategory, yuan: &str) -> (String, String) {
        let d = monthly_dues(cat, Fen::parse_yuan(yuan).unwrap());
        (d.rate_text(), d.amount.yuan())
    }

    #[test]
    fn in_service_brackets_at_their_edges() {
        use DuesCategory::InService as S;
        assert_eq!(due(S, "2999.99"), ("0.5%".into(), "15.00".into()));
        assert_eq!(due(S, "3000.00"), ("0.5%".into(), "15.00".into()));
        assert_eq!(due(S, "3000.01"), ("1%".into(), "30.00".into()));
        assert_eq!(due(S, "5000.00"), ("1%".into(), "50.00".into()));
        assert_eq!(due(S, "5000.01"), ("1.5%".into(), "75.00".into()));
        assert_eq!(due(S, "10000.00"), ("1.5%".into(), "150.00".into()));
        assert_eq!(due(S, "10000.01"), ("2%".into(), "200.00".into()));
    }

    #[test]
    fn rounding_is_half_up_in_fen() {
        use DuesCategory::InService as S;
        // 1001.00 × 0.5% = 5.005 → 5.01; 1000.99 × 0.5% = 5.00495 → 5.00.
        assert_eq!(due(S, "1001.00").1, "5.01");
        assert_eq!(due(S, "1000.99").1, "5.00");
        // 3333.33 × 1% = 33.3333 → 33.33; 7777.70 × 1.5% = 116.6655 → 116.67.
        assert_eq!(due(S, "3333.33").1, "33.33");
        assert_eq!(due(S, "7777.70").1, "116.67");
    }

    #[test]
    fn the_other_categories() {
        assert_eq!(due(DuesCategory::Retired, "5000.00"), ("0.5%".into(), "25.00".into()));
        assert_eq!(due(DuesCategory::Retired, "5000.01"), ("1%".into(), "50.00".into()));
        for c in [DuesCategory::Student, DuesCategory::Unemployed, DuesCategory::Subsistence] {
            let d = monthly_dues(c, Fen(0));
            assert_eq!((d.amount, d.up_to, d.rule), (Fen(20), None, "R4.3"));
        }
        let f = monthly_dues(DuesCategory::Farmer, Fen(0));
        assert_eq!((f.amount.yuan(), f.up_to.map(|u| u.yuan())), ("0.20".into(), Some("1.00".into())));
    }

    #[test]
    fn amounts_parse_exactly_or_say_why() {
        assert_eq!(Fen::parse_yuan("3000").unwrap(), Fen(300_000));
        assert_eq!(Fen::parse_yuan("3,000.5").unwrap(), Fen(300_050));
        assert_eq!(Fen::parse_yuan(" 3000.01元 ").unwrap(), Fen(300_001));
        for bad in ["", "-1", "3000.001", "abc", "1e5", "3000.", ".5"] {
            let e = Fen::parse_yuan(bad);
            assert!(bad == "3000." && e.is_ok() || e.is_err(), "{bad:?}");
        }
        assert!(Fen::parse_yuan("abc").unwrap_err().message_zh.contains("最多两位小数"));
    }

    proptest::proptest! {
        #[test]
        fn dues_never_exceed_two_percent_and_grow_with_the_base(a in 0i64..5_000_000, d in 0i64..10_000) {
            let x = monthly_dues(DuesCategory::InService, Fen(a));
            let y = monthly_dues(DuesCategory::InService, Fen(a + d));
            proptest::prop_assert!(x.amount.0 * 10_000 <= a * 200 + 5_000);
            proptest::prop_assert!(y.amount >= x.amount);
        }
    }
}
