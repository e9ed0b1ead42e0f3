//! The integration scorecard (issue: campaigns and statistics, part 4): per school, Party-work
//! figures next to the school's own, combined into one score for the county's ranking.
//!
//! How they combine (documented in docs/, configurable with `HONGZHU_SCORECARD_WEIGHTS`): each
//! criterion is a share between 0 and 1; the score is the weighted mean over the criteria that
//! apply to the school (a school without senior classes has no admission rate: its other weights
//! count for more), times 100, one decimal.
//!
//! Party work: `coverage` — the three checks of 三个全覆盖 passed, of 3; `life` — the covering
//! organization's organizational life this year, met of due (R3.1–R3.3); `honors` — honors held,
//! three or more counting in full.
//! The school's work: `classes` — classes that are neither large nor oversized (R6.1), of all;
//! `admission` — senior schools' undergraduate admissions, of those who sat; `reported` — the
//! year's figures reported at all.
use crate::Invalid;

/// The criteria, in the order of `Weights` and `Shares`.
pub const CRITERIA: [(&str, &str, &str); 6] = [
    ("coverage", "三个全覆盖", "coverage"),
    ("life", "组织生活落实", "organizational life"),
    ("honors", "党建荣誉", "honors"),
    ("classes", "班额达标", "class sizes"),
    ("admission", "升学", "admissions"),
    ("reported", "业务数据填报", "figures reported"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Weights(pub [f64; 6]);

impl Default for Weights {
    fn default() -> Self {
        Weights([20.0, 20.0, 10.0, 20.0, 15.0, 15.0])
    }
}

impl Weights {
    /// `coverage=20,life=20,honors=10,classes=20,admission=15,reported=15`; names left out keep
    /// their default; every weight ≥ 0 and not all 0.
    pub fn parse(s: &str) -> Result<Weights, Invalid> {
        let mut w = Weights::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                Invalid::new("weights", format!("“{part}”应写作 名称=权重，如 coverage=20"), "write name=weight, e.g. coverage=20")
            })?;
            let i = CRITERIA.iter().position(|c| c.0 == k.trim()).ok_or_else(|| {
                Invalid::new(
                    "weights",
                    format!("没有“{}”这一项，可用：{}", k.trim(), CRITERIA.iter().map(|c| c.0).collect::<Vec<_>>().join("、")),
                    "unknown criterion",
                )
            })?;
            let x: f64 = v.trim().parse().ok().filter(|x: &f64| x.is_finite() && *x >= 0.0).ok_or_else(|| {
                Invalid::new("weights", format!("“{}”的权重“{}”应为不小于 0 的数", k.trim(), v.trim()), "a weight is a number ≥ 0")
            })?;
            w.0[i] = x;
        }
        if w.0.iter().sum::<f64>() <= 0.0 {
            return Err(Invalid::new("weights", "权重不能全为 0", "the weights cannot all be 0"));
        }
        Ok(w)
    }
}

/// Each criterion's share (0–1), or `None` where it does not apply.
pub type Shares = [Option<f64>; 6];

/// The weighted mean of the shares that apply, × 100, one decimal; `None` when none applies.
pub fn score(shares: &Shares, w: &Weights) -> Option<f64> {
    let (mut sum, mut weight) = (0.0, 0.0);
    for (s, wt) in shares.iter().zip(w.0) {
        if let Some(s) = s {
            sum += s.clamp(0.0, 1.0) * wt;
            weight += wt;
        }
    }
    (weight > 0.0).then(|| crate::campaign::round1(sum / weight * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_over_what_applies() {
        let w = Weights::default();
        assert_eq!(score(&[Some(1.0); 6], &w), Some(100.0));
        // No admission rate: the other 85 points of weight carry the score.
        let s = [Some(1.0), Some(0.5), Some(0.0), Some(1.0), None, Some(1.0)];
        assert_eq!(score(&s, &w), Some(((20.0 + 10.0 + 20.0 + 15.0) / 85.0 * 1000.0_f64).round() / 10.0));
        assert_eq!(score(&[None; 6], &w), None);
    }

    #[test]
    fn weights_are_configured_by_name() {
        let w = Weights::parse("coverage=40, honors=0").unwrap();
        assert_eq!(w.0[0], 40.0);
        assert_eq!(w.0[2], 0.0);
        assert_eq!(w.0[1], 20.0);
        assert!(Weights::parse("coverage=-1").is_err());
        assert!(Weights::parse("colour=5").unwrap_err().message_zh.contains("可用"));
        assert!(Weights::parse("coverage=0,life=0,honors=0,classes=0,admission=0,reported=0").is_err());
    }
}
