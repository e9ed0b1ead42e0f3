//! A year of organizational life for a generated registry: every organization's 主题党日, 三会一课
//! and yearly meetings with their attendance, a few organizations falling behind, a few members
//! drifting away (R3.5), the county's monthly themes and its observation events. Deterministic.
use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};

use crate::IdNumber;
use crate::codes::OrgCode;
use crate::labels::{ActivityKind, ActivityStatus, AttendState, MemberCategory};
use crate::life::{Activity, COMMITTEE_FULL_MEMBERS, GROUPS_MEMBERS, from_local, is_affairs_cadre, is_committee};
use crate::rng::Rng;
use crate::synth::Dataset;

/// One generated activity with its attendance.
#[derive(Debug, Clone)]
pub struct GenActivity {
    pub activity: Activity,
    pub status: ActivityStatus,
    pub return_reason: Option<String>,
    /// Organizations invited besides the host (observation events).
    pub invited: Vec<OrgCode>,
    /// Schools hosting an observation event.
    pub hosts: Vec<crate::codes::InstitutionCode>,
    /// Who was due, and how it went: state, leave reason, checked in on a phone.
    pub attendance: Vec<(IdNumber, AttendState, Option<String>, bool)>,
}

/// The county's monthly theme for 主题党日.
#[derive(Debug, Clone)]
pub struct GenGuide {
    pub month: NaiveDate,
    pub topic: String,
    pub materials: String,
}

const THEMES: &[(&str, &str)] = &[
    ("学习贯彻党的二十届四中全会精神", "《中共中央关于制定国民经济和社会发展第十五个五年规划的建议》原文；县委教育工委学习提纲"),
    ("重温入党誓词，坚定理想信念", "《中国共产党章程》；入党誓词"),
    ("弘扬教育家精神，争做“四有”好老师", "习近平总书记关于教育的重要论述摘编"),
    ("学雷锋志愿服务进社区", "社区服务项目清单；志愿服务记录表"),
    ("关爱留守儿童，党员结对帮扶", "结对帮扶台账；家访记录要求"),
    ("党纪学习教育：学条例、守党纪", "《中国共产党纪律处分条例》"),
    ("庆祝建党105周年，讲好支部故事", "支部书记讲党课参考提纲"),
    ("红色研学：走进羊山革命烈士陵园", "羊山战役史料；研学安全预案"),
    ("开学第一课：立德树人再出发", "新学期师德承诺书"),
    ("清廉学校建设：算好廉政账", "警示教育案例汇编"),
    ("宪法宣传周：学宪法讲宪法", "宪法文本；法治教育课例"),
    ("年终总结，对照检查", "组织生活会方案；对照检查材料模板"),
];

const PLACES: &[&str] = &["党员活动室", "会议室", "多功能厅", "党建活动室"];

fn names(data: &Dataset) -> HashMap<&str, &str> {
    data.persons.iter().map(|p| (p.id_number.as_str(), p.name.as_str())).collect()
}

/// Months of generated life before `today`'s month.
const MONTHS_BACK: u32 = 18;

/// The monthly themes from 18 months back to next month.
pub fn demo_guides(today: NaiveDate) -> Vec<GenGuide> {
    guides_for(today, MONTHS_BACK)
}

/// The monthly themes from `months_back` months back to next month.
pub fn guides_for(today: NaiveDate, months_back: u32) -> Vec<GenGuide> {
    let this_month = today.with_day(1).expect("day 1");
    (0..months_back + 2)
        .map(|i| {
            let month = this_month
                .checked_sub_months(chrono::Months::new(months_back))
                .expect("in range")
                .checked_add_months(chrono::Months::new(i))
                .expect("in range");
            let (topic, materials) = THEMES[(month.month() as usize + 11) % THEMES.len()];
            GenGuide { month, topic: topic.into(), materials: materials.into() }
        })
        .collect()
}

/// A year and a half of activities (the 18 months before `today`'s month, that month, and plans
/// for the rest of it and the next) for every organization with members of its own.
pub fn demo_life(data: &Dataset, seed: u64, today: NaiveDate) -> Vec<GenActivity> {
    life_for(data, seed, today, MONTHS_BACK)
}

/// Organizational life from `months_back` months before `today`'s month to plans for the next
/// (`hongzhu generate --life-years`).
pub fn life_for(data: &Dataset, seed: u64, today: NaiveDate, months_back: u32) -> Vec<GenActivity> {
    let mut rng = Rng::new(seed ^ 0x11fe);
    let names = names(data);
    let inst_names: HashMap<&str, &str> = data.institutions.iter().map(|i| (i.code.as_str(), i.name.as_str())).collect();
    let org_place: HashMap<&str, &str> =
        data.coverages.iter().filter_map(|c| inst_names.get(c.institution.as_str()).map(|n| (c.org.as_str(), *n))).collect();
    let mut by_org: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, m) in data.members.iter().enumerate() {
        by_org.entry(m.org.as_str()).or_default().push(i);
    }
    let guides = guides_for(today, months_back);
    let start_month = today.with_day(1).expect("day 1").checked_sub_months(chrono::Months::new(months_back)).expect("in range");
    // Members drifting away: their last attendance is 4 to 8 months ago.
    let mut drifting: HashMap<&str, NaiveDate> = HashMap::new();
    for m in &data.members {
        if rng.chance(0.012) {
            drifting.insert(m.id_number.as_str(), today - Duration::days(rng.range(120, 250)));
        }
    }
    let mut out = Vec::new();
    for (oi, org) in data.orgs.iter().enumerate() {
        let Some(idx) = by_org.get(org.code.as_str()) else { continue };
        let members: Vec<&crate::registry::Member> = idx.iter().map(|&i| &data.members[i]).collect();
        let full = members.iter().filter(|m| m.category == MemberCategory::Full).count() as u32;
        let name_of = |id: &IdNumber| names.get(id.as_str()).copied().unwrap_or("").to_string();
        let secretary = members.iter().find(|m| m.party_post == Some(crate::labels::PartyPost::Secretary)).map(|m| name_of(&m.id_number));
        let recorder = members
            .iter()
            .find(|m| m.party_post.is_some() && m.party_post != Some(crate::labels::PartyPost::Secretary))
            .or(members.iter().find(|m| m.party_post.is_none()))
            .map(|m| name_of(&m.id_number))
            .unwrap_or_default();
        let host = secretary.clone().unwrap_or_else(|| recorder.clone());
        let place = format!("{}{}", org_place.get(org.code.as_str()).copied().unwrap_or(""), rng.pick(PLACES));
        // About one organization in seven falls behind: it skips months and lectures.
        let behind = rng.chance(0.15);
        let fixed_day = 3 + (oi as u32 % 20);
        let has_committee =
            full >= COMMITTEE_FULL_MEMBERS || matches!(org.kind, crate::labels::OrgKind::Committee | crate::labels::OrgKind::GeneralBranch);
        let has_groups = members.len() as u32 >= GROUPS_MEMBERS;
        let mut plan: Vec<(ActivityKind, NaiveDate, String, Option<String>)> = Vec::new();
        for g in &guides {
            let m = g.month;
            if m < start_month {
                continue;
            }
            let day = |d: u32| NaiveDate::from_ymd_opt(m.year(), m.month(), d.min(28)).expect("valid");
            let skipped = behind && rng.chance(0.35);
            if !skipped && !rng.chance(0.02) {
                plan.push((ActivityKind::ThemeDay, day(fixed_day), g.topic.clone(), None));
            }
            if has_committee && !(behind && rng.chance(0.3)) {
                plan.push((
                    ActivityKind::CommitteeMeeting,
                    day(fixed_day.saturating_sub(2).max(1)),
                    format!("研究{}月份支部工作", m.month()),
                    None,
                ));
            }
            if has_groups && !(behind && rng.chance(0.4)) {
                plan.push((ActivityKind::GroupMeeting, day(fixed_day + 5), format!("党小组学习：{}", g.topic), None));
            }
            let month_in_quarter = (m.month() - 1) % 3;
            if month_in_quarter == 1 && !(behind && rng.chance(0.5)) {
                plan.push((
                    ActivityKind::BranchAssembly,
                    day(fixed_day + 2),
                    format!("{}年第{}季度支部党员大会", m.year(), (m.month() - 1) / 3 + 1),
                    None,
                ));
            }
            if month_in_quarter == 2 && !(behind && rng.chance(0.6)) {
                // The secretary gives one of the year's lectures (R3.1); others by committee members.
                let by_secretary = m.month() == 6 || m.month() == 12;
                let lecturer =
                    if by_secretary { secretary.clone() } else { Some(recorder.clone()).filter(|s| !s.is_empty()).or(secretary.clone()) };
                plan.push((ActivityKind::Lecture, day(fixed_day + 4), g.topic.clone(), lecturer));
            }
            if m.month() == 12 && !behind {
                plan.push((ActivityKind::LifeMeeting, day(20), format!("{}年度组织生活会", m.year()), None));
                plan.push((ActivityKind::Review, day(22), format!("{}年度民主评议党员", m.year()), None));
            }
            if m.month() == 11 && !behind {
                plan.push((ActivityKind::Talk, day(10), "年度谈心谈话".into(), None));
            }
        }
        for (kind, date, topic, lecturer) in plan {
            let starts = from_local(date.and_time(NaiveTime::from_hms_opt(15, 30, 0).expect("valid")));
            let held = date < today;
            let status = if !held {
                ActivityStatus::Planned
            } else if today - date < Duration::days(10) {
                if rng.chance(0.5) { ActivityStatus::Draft } else { ActivityStatus::Submitted }
            } else if today - date < Duration::days(40) && rng.chance(0.3) {
                ActivityStatus::Submitted
            } else if rng.chance(0.01) {
                ActivityStatus::Returned
            } else {
                ActivityStatus::Accepted
            };
            let due: Vec<&&crate::registry::Member> =
                members.iter().filter(|m| m.admitted_on <= date && (!kind.committee_only() || is_committee(m.party_post))).collect();
            let mut attendance = Vec::with_capacity(due.len());
            if held {
                for m in due {
                    let away = drifting.get(m.id_number.as_str()).is_some_and(|d| date > *d);
                    let (state, reason) = if away {
                        (AttendState::Absent, None)
                    } else if rng.chance(0.05) {
                        (AttendState::Leave, Some(rng.pick(&["外出培训", "病假", "送教下乡", "家中有事"]).to_string()))
                    } else if rng.chance(0.02) {
                        (AttendState::Absent, None)
                    } else {
                        (AttendState::Present, None)
                    };
                    let phone = state == AttendState::Present && rng.chance(0.6);
                    attendance.push((m.id_number.clone(), state, reason, phone));
                }
            } else {
                attendance = due.into_iter().map(|m| (m.id_number.clone(), AttendState::Due, None, false)).collect();
            }
            let content = match kind {
                ActivityKind::ThemeDay => format!("围绕“{topic}”开展主题党日：集中学习、交流研讨、重温入党誓词，并安排党员志愿服务。"),
                ActivityKind::CommitteeMeeting => "通报上月工作，研究本月党建与教育教学重点工作，部署主题党日安排。".into(),
                ActivityKind::BranchAssembly => "听取支部工作报告，通报党员发展与党费收缴情况，讨论决定支部重要事项。".into(),
                ActivityKind::Lecture => "结合学校实际讲授党课，党员交流学习体会。".into(),
                ActivityKind::LifeMeeting => "学习研讨，通报对照检查情况，开展批评和自我批评，明确整改措施。".into(),
                ActivityKind::Review => "党员个人总结，互评测评，支部综合评定等次。".into(),
                _ => "按计划开展。".into(),
            };
            let decisions = if matches!(kind, ActivityKind::CommitteeMeeting | ActivityKind::BranchAssembly) {
                "会议同意以上安排，由支部委员分工落实。".to_string()
            } else {
                String::new()
            };
            out.push(GenActivity {
                activity: Activity {
                    org: org.code.clone(),
                    kind,
                    kind_name: None,
                    topic,
                    starts_at: starts,
                    minutes: 90,
                    place: place.clone(),
                    host: host.clone(),
                    recorder: recorder.clone(),
                    lecturer,
                    content: if held { content } else { String::new() },
                    decisions: if held { decisions } else { String::new() },
                    hours: kind.default_hours(),
                    held,
                },
                status,
                return_reason: (status == ActivityStatus::Returned).then(|| "会议记录缺少讨论情况，请补充后重新提交".to_string()),
                invited: Vec::new(),
                hosts: Vec::new(),
                attendance,
            });
        }
    }
    out.extend(observation_events(data, &mut rng, today));
    out
}

/// The county's observation events (观摩活动): every two months a school hosts, the
/// organizations of a few towns are invited, and most of their Party-affairs cadres attend.
fn observation_events(data: &Dataset, rng: &mut Rng, today: NaiveDate) -> Vec<GenActivity> {
    let Some(host_org) = data.orgs.iter().find(|o| o.parent.is_none()) else { return Vec::new() };
    let branches: Vec<&crate::registry::PartyOrg> = data.orgs.iter().filter(|o| o.parent.is_some()).collect();
    if branches.is_empty() {
        return Vec::new();
    }
    // Host schools: those with an organization of their own, in turn.
    let own: std::collections::HashSet<&str> =
        data.coverages.iter().filter(|c| c.mode == crate::labels::CoverageMode::Own).map(|c| c.institution.as_str()).collect();
    let candidates: Vec<&crate::registry::Institution> = data.institutions.iter().filter(|i| own.contains(i.code.as_str())).collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let mut cadres: HashMap<&str, Vec<&IdNumber>> = HashMap::new();
    for m in &data.members {
        if is_affairs_cadre(m.party_post) {
            cadres.entry(m.org.as_str()).or_default().push(&m.id_number);
        }
    }
    let topics = [
        "“主题党日+”现场观摩",
        "党建带团建、队建现场观摩",
        "党员示范岗创建观摩",
        "党建与教学融合观摩",
        "党员志愿服务观摩",
        "示范校创建经验交流观摩",
    ];
    let mut out = Vec::new();
    for (n, topic) in topics.iter().enumerate() {
        let date = today - Duration::days(330 - 60 * n as i64);
        let held = date < today;
        // Each event invites about half of the organizations; over the year most cadres are reached.
        let invited: Vec<OrgCode> = branches.iter().filter(|_| rng.chance(0.45)).map(|o| o.code.clone()).collect();
        let mut attendance = Vec::new();
        for org in &invited {
            for id in cadres.get(org.as_str()).into_iter().flatten() {
                let state = if !held {
                    AttendState::Due
                } else if rng.chance(0.85) {
                    AttendState::Present
                } else {
                    AttendState::Leave
                };
                let reason = (state == AttendState::Leave).then(|| "学校工作冲突".to_string());
                attendance.push(((*id).clone(), state, reason, state == AttendState::Present));
            }
        }
        out.push(GenActivity {
            activity: Activity {
                org: host_org.code.clone(),
                kind: ActivityKind::Observation,
                kind_name: None,
                topic: topic.to_string(),
                starts_at: from_local(date.and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("valid"))),
                minutes: 180,
                place: format!("{}报告厅", candidates[(n * 7) % candidates.len()].name),
                host: "县委教育工委".into(),
                recorder: "县委教育工委组织办".into(),
                lecturer: None,
                content: if held { format!("{topic}：现场参观、经验介绍、交流点评。") } else { String::new() },
                decisions: String::new(),
                hours: ActivityKind::Observation.default_hours(),
                held,
            },
            status: if held { ActivityStatus::Accepted } else { ActivityStatus::Planned },
            return_reason: None,
            invited,
            hosts: {
                let mut h = vec![candidates[(n * 7) % candidates.len()].code.clone()];
                if n % 2 == 0 && candidates.len() > 1 {
                    h.push(candidates[(n * 7 + 3) % candidates.len()].code.clone());
                }
                h.dedup();
                h
            },
            attendance,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::life::{HeldFact, OrgFacts, compliance, to_local};

    #[test]
    fn the_demo_year_has_content_and_some_organizations_behind() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let data = crate::synth::demo_county(7, today);
        let acts = demo_life(&data, 7, today);
        let rows: usize = acts.iter().map(|a| a.attendance.len()).sum();
        assert!((5_000..10_000).contains(&acts.len()), "{} activities", acts.len());
        assert!(rows > 80_000, "{rows} attendance rows");
        assert!(acts.iter().filter(|a| !a.activity.held).count() > 100, "next month is planned");
        assert!(acts.iter().all(|a| a.activity.held == a.status.held()));
        assert!(acts.iter().filter(|a| a.activity.held).all(|a| to_local(a.activity.starts_at).date() < today));
        assert!(acts.iter().any(|a| a.activity.kind == ActivityKind::Observation && !a.invited.is_empty()));
        assert!(acts.iter().filter(|a| a.activity.kind == ActivityKind::Observation).all(|a| !a.hosts.is_empty()));
        let facts: Vec<OrgFacts> = data
            .orgs
            .iter()
            .map(|o| {
                let ms: Vec<_> = data.members.iter().filter(|m| m.org == o.code).collect();
                OrgFacts {
                    code: o.code.clone(),
                    kind: o.kind,
                    founded_on: o.founded_on,
                    members: ms.len() as u32,
                    full_members: ms.iter().filter(|m| m.category == MemberCategory::Full).count() as u32,
                    secretary: None,
                }
            })
            .collect();
        let held: Vec<HeldFact> = acts
            .iter()
            .map(|a| HeldFact {
                org: a.activity.org.clone(),
                kind: a.activity.kind,
                date: to_local(a.activity.starts_at).date(),
                status: a.status,
                lecturer: a.activity.lecturer.clone(),
            })
            .collect();
        let c = compliance(&facts, &held, 2026, today);
        let with_dues: Vec<_> = c.iter().filter(|c| c.due() > 0).collect();
        assert!(with_dues.iter().filter(|c| c.rate() >= 0.999).count() > with_dues.len() / 2);
        assert!(with_dues.iter().any(|c| c.rate() < 0.8), "some organizations are behind");
        // Deterministic.
        assert_eq!(demo_life(&data, 7, today).len(), acts.len());
        assert_eq!(demo_guides(today).len(), 20);
    }
}
