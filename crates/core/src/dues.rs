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
    /// The code or the Chinese label (forms and the API).
    pub fn parse(s: &str) -> Option<DuesCategory> {
        let s = crate::normalize_width(s);
        DUES_CATEGORIES.into_iter().find(|c| c.code() == s || c.zh() == s)
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

// ------------------------------------------------------------------ the ledger (R4.1–R4.5)

/// R4.5 (setting `HONGZHU_DUES_BASE_CHANGE`): when pay changes within a year, the new base counts
/// from the month of the change, or the base is fixed for the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseRule {
    FixedForYear,
    FromMonthOfChange,
}

impl BaseRule {
    pub fn parse(s: &str) -> Option<BaseRule> {
        match s.trim() {
            "year" => Some(BaseRule::FixedForYear),
            "month" => Some(BaseRule::FromMonthOfChange),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            BaseRule::FixedForYear => "year",
            BaseRule::FromMonthOfChange => "month",
        }
    }
}

/// A member's base from a month of a year on (R4.1): the category and the monthly base, and for
/// farmers the amount the branch set (0.20–1.00 yuan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub from_month: u32,
    pub category: DuesCategory,
    pub base: Fen,
    pub farmer_amount: Option<Fen>,
}

impl Base {
    pub fn monthly(&self) -> Fen {
        match (self.category, self.farmer_amount) {
            (DuesCategory::Farmer, Some(a)) => a,
            _ => monthly_dues(self.category, self.base).amount,
        }
    }
}

/// Check a base before it is kept: R4.5 decides whether a base may start after January; a
/// farmer's amount lies in 0.20–1.00 yuan (R4.3).
pub fn check_base(b: &Base, rule: BaseRule) -> Result<(), Invalid> {
    if !(1..=12).contains(&b.from_month) {
        return Err(Invalid::new("month", format!("起始月份 {} 无效：应为 1–12", b.from_month), "the month is 1–12"));
    }
    if rule == BaseRule::FixedForYear && b.from_month != 1 {
        return Err(Invalid::new(
            "base_fixed",
            "本系统按“缴费基数一年一定”执行（R4.5，设置 HONGZHU_DUES_BASE_CHANGE=year）：基数自 1 月起全年不变，年中工资变化次年调整",
            "the base is fixed for the year (R4.5, setting HONGZHU_DUES_BASE_CHANGE=year): it starts in January",
        ));
    }
    if b.category == DuesCategory::Farmer {
        let a = b.farmer_amount.unwrap_or(Fen(20));
        if a < Fen(20) || a > Fen(100) {
            return Err(Invalid::new(
                "farmer_amount",
                format!("农民党员每月交纳 0.20–1.00 元（R4.3），“{}”不在范围内", a.yuan()),
                "farmers pay 0.20–1.00 yuan a month (R4.3)",
            ));
        }
    }
    Ok(())
}

/// An approved reduction (R4.4): the monthly amount due in the months it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reduction {
    pub from: (i32, u32),
    pub to: (i32, u32),
    pub amount: Fen,
}

/// What a month of a member's ledger shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthState {
    /// Not a member yet that month (R4.4: probationary members pay from the admission month).
    NotMember,
    /// No base recorded for the month.
    NoBase,
    /// A month still to come.
    Future,
    Paid {
        amount: Fen,
        late_months: u32,
        proxy: bool,
    },
    Unpaid,
}

/// The amount due in a month: an approved reduction's, else the base in force's (R4.2–R4.5).
pub fn due_in(bases: &[Base], reductions: &[Reduction], year: i32, month: u32) -> Option<Fen> {
    if let Some(r) = reductions.iter().find(|r| r.from <= (year, month) && (year, month) <= r.to) {
        return Some(r.amount);
    }
    bases.iter().filter(|b| b.from_month <= month).max_by_key(|b| b.from_month).map(Base::monthly)
}

/// Months between the month paid for and the month it was paid in: 0 when paid in the month.
/// R4.4: back payment is normally at most 6 months; more is flagged.
pub fn months_late(year: i32, month: u32, paid_on: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    let owed = year * 12 + month as i32;
    let paid = paid_on.year() * 12 + paid_on.month() as i32;
    (paid - owed).max(0) as u32
}

pub const BACK_PAYMENT_MONTHS: u32 = 6;

#[cfg(test)]
mod ledger_tests {
    use super::*;
    use chrono::NaiveDate;

    fn base(from: u32, yuan: &str) -> Base {
        Base { from_month: from, category: DuesCategory::InService, base: Fen::parse_yuan(yuan).unwrap(), farmer_amount: None }
    }

    #[test]
    fn the_base_in_force_and_reductions() {
        let bases = [base(1, "4000"), base(7, "5200")];
        assert_eq!(due_in(&bases, &[], 2026, 6), Some(Fen(4000)));
        assert_eq!(due_in(&bases, &[], 2026, 7), Some(Fen(7800)));
        let r = [Reduction { from: (2026, 3), to: (2026, 5), amount: Fen(0) }];
        assert_eq!(due_in(&bases, &r, 2026, 4), Some(Fen(0)));
        assert_eq!(due_in(&bases, &r, 2026, 6), Some(Fen(4000)));
        assert_eq!(due_in(&[], &[], 2026, 6), None);
    }

    #[test]
    fn the_base_rule_and_farmers() {
        assert!(check_base(&base(7, "5200"), BaseRule::FromMonthOfChange).is_ok());
        assert_eq!(check_base(&base(7, "5200"), BaseRule::FixedForYear).unwrap_err().code, "base_fixed");
        let mut f = Base { from_month: 1, category: DuesCategory::Farmer, base: Fen(0), farmer_amount: Some(Fen(150)) };
        assert_eq!(check_base(&f, BaseRule::FixedForYear).unwrap_err().code, "farmer_amount");
        f.farmer_amount = Some(Fen(50));
        assert!(check_base(&f, BaseRule::FixedForYear).is_ok());
        assert_eq!(f.monthly(), Fen(50));
    }

    #[test]
    fn back_payments_count_months() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(months_late(2026, 3, d("2026-03-31")), 0);
        assert_eq!(months_late(2026, 3, d("2026-09-01")), 6);
        assert_eq!(months_late(2026, 3, d("2026-10-01")), 7);
        assert_eq!(months_late(2025, 12, d("2026-01-05")), 1);
    }
}
