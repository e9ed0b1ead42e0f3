//! 创建评比 (issue: campaigns, part 1): a campaign's indicator system — the "五个好" (班子好、队伍好、
//! 机制好、业绩好、群众反映好) by default, each with sub-indicators, points and what evidence counts —
//! the checks on it (points add up to 100) and on scores (within an indicator's range), and how
//! the reviewers' scores combine: each reviewer scores independently; an indicator's score is the
//! mean of the reviewers'; the total is the sum; the ranking is by total, then by name.
use serde::Serialize;

use crate::Invalid;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub code: String,
    pub group: String,
    pub name: String,
    /// The most points it gives; together the indicators give 100.
    pub max: f64,
    /// What evidence counts.
    pub evidence: String,
}

fn ind(code: &str, group: &str, name: &str, max: f64, evidence: &str) -> Indicator {
    Indicator { code: code.into(), group: group.into(), name: name.into(), max, evidence: evidence.into() }
}

/// The default template: the "五个好", two sub-indicators each, 10 points each.
pub fn five_goods() -> Vec<Indicator> {
    vec![
        ind("1.1", "班子好", "领导班子中有党员，党组织书记、校长配备符合要求", 10.0, "三个全覆盖核查：班子党员全覆盖"),
        ind("1.2", "班子好", "党组织书记抓党建述职评议良好", 10.0, "述职评议记录"),
        ind("2.1", "队伍好", "党员队伍结构合理，发挥先锋模范作用", 10.0, "党员名册、党员先锋岗"),
        ind("2.2", "队伍好", "在青年教师、骨干教师中发展党员", 10.0, "发展党员台账、双培养"),
        ind("3.1", "机制好", "三会一课、主题党日按时开展", 10.0, "组织生活落实情况"),
        ind("3.2", "机制好", "党组织领导的校长负责制等制度健全", 10.0, "制度文件"),
        ind("4.1", "业绩好", "教育教学质量稳步提高", 10.0, "学校业务指标"),
        ind("4.2", "业绩好", "获得党建荣誉、形成特色品牌", 10.0, "荣誉登记"),
        ind("5.1", "群众反映好", "师生、家长满意度高", 10.0, "满意度调查"),
        ind("5.2", "群众反映好", "社会评价好，无重大负面事件", 10.0, "有关部门意见"),
    ]
}

/// The most indicators a system may have: a standard a reviewer can score on one page (the
/// provincial standards have a few dozen); it also bounds the one statement that stores them.
pub const MAX_INDICATORS: usize = 200;

/// The indicators' points add up to 100; each gives more than 0; codes differ; 200 at most.
pub fn check_indicators(list: &[Indicator]) -> Result<(), Invalid> {
    if list.is_empty() {
        return Err(Invalid::new("indicators", "指标体系为空：至少需要一项指标", "the indicator system is empty"));
    }
    if list.len() > MAX_INDICATORS {
        return Err(Invalid::new(
            "indicators",
            format!("指标体系有 {} 项指标，最多 {MAX_INDICATORS} 项，请合并", list.len()),
            format!("the system has {} indicators; at most {MAX_INDICATORS}", list.len()),
        ));
    }
    if let Some(i) = list.iter().find(|i| !(i.max > 0.0 && i.max.is_finite())) {
        return Err(Invalid::new(
            "max",
            format!("指标 {} 的分值 {} 无效：应大于 0", i.code, i.max),
            "an indicator gives more than 0 points",
        ));
    }
    let mut codes: Vec<&str> = list.iter().map(|i| i.code.as_str()).collect();
    codes.sort_unstable();
    if codes.windows(2).any(|w| w[0] == w[1]) {
        return Err(Invalid::new("code", "指标编号重复", "indicator codes repeat"));
    }
    let sum: f64 = list.iter().map(|i| i.max).sum();
    if (sum - 100.0).abs() > 1e-9 {
        return Err(Invalid::new(
            "max",
            format!("各项指标分值合计 {sum} 分，应为 100 分，请调整"),
            format!("the points add up to {sum}, not 100"),
        ));
    }
    Ok(())
}

/// A score for an indicator: 0 to its points, at most one decimal.
pub fn check_score(i: &Indicator, score: f64) -> Result<(), Invalid> {
    let tenths = score * 10.0;
    if !score.is_finite() || score < 0.0 || score > i.max || (tenths - tenths.round()).abs() > 1e-6 {
        return Err(Invalid::new(
            "score",
            format!("指标 {}“{}”的得分 {score} 无效：应为 0–{} 分，最多一位小数", i.code, i.name, i.max),
            format!("the score {score} for {} is outside 0–{} (one decimal at most)", i.code, i.max),
        ));
    }
    Ok(())
}

/// One entry's result: the mean of the reviewers' scores per indicator, and the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combined {
    pub reviewers: usize,
    pub per_indicator: Vec<Option<f64>>,
    pub total: f64,
}

/// Combine the reviewers' scores (`scores[r][i]`: reviewer r, indicator i; `None` not scored).
/// An indicator nobody scored counts 0 and shows as missing.
pub fn combine(indicators: &[Indicator], scores: &[Vec<Option<f64>>]) -> Combined {
    let per_indicator: Vec<Option<f64>> = (0..indicators.len())
        .map(|i| {
            let given: Vec<f64> = scores.iter().filter_map(|r| r.get(i).copied().flatten()).collect();
            (!given.is_empty()).then(|| round1(given.iter().sum::<f64>() / given.len() as f64))
        })
        .collect();
    let total = round1(per_indicator.iter().flatten().sum());
    Combined { reviewers: scores.len(), per_indicator, total }
}

/// Half up to one decimal.
pub fn round1(x: f64) -> f64 {
    (x * 10.0 + 1e-9).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_template_adds_up() {
        let t = five_goods();
        assert!(check_indicators(&t).is_ok());
        assert_eq!(t.iter().map(|i| i.group.as_str()).collect::<std::collections::BTreeSet<_>>().len(), 5);
        let mut bad = t.clone();
        bad[0].max = 15.0;
        assert!(check_indicators(&bad).unwrap_err().message_zh.contains("105"));
        bad[0].max = 0.0;
        assert_eq!(check_indicators(&bad).unwrap_err().code, "max");
        // 200 indicators of half a point each pass; one more is refused, with the count.
        let many = |n: usize| -> Vec<Indicator> {
            (0..n).map(|k| Indicator { code: format!("{k}"), max: 100.0 / n as f64, ..t[0].clone() }).collect()
        };
        assert!(check_indicators(&many(200)).is_ok());
        let e = check_indicators(&many(201)).unwrap_err();
        assert_eq!(e.code, "indicators");
        assert!(e.message_zh.contains("201") && e.message_zh.contains("最多 200"), "{}", e.message_zh);
    }

    #[test]
    fn scores_stay_in_range() {
        let i = &five_goods()[0];
        assert!(check_score(i, 0.0).is_ok() && check_score(i, 10.0).is_ok() && check_score(i, 7.5).is_ok());
        assert!(check_score(i, 10.5).is_err() && check_score(i, -1.0).is_err() && check_score(i, 7.25).is_err());
    }

    #[test]
    fn reviewers_combine_by_mean() {
        let t = five_goods();
        let r1 = vec![Some(9.0); 10];
        let mut r2 = vec![Some(8.0); 10];
        r2[9] = None;
        let c = combine(&t, &[r1, r2]);
        assert_eq!(c.per_indicator[0], Some(8.5));
        assert_eq!(c.per_indicator[9], Some(9.0), "only one reviewer scored it");
        assert_eq!(c.total, 85.5);
    }
}
