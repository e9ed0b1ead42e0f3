//! 换届选举 (DOMAIN R1.4–R1.7): the election that starts an organization's next term and fills its
//! posts. The meeting is valid when more than four fifths of the members with a vote attend, and a
//! candidate is elected with yes votes from more than half of those present (《中国共产党基层组织
//! 选举工作条例》); R1.4 decides which posts a branch has; probationary members have no right to be
//! elected; R1.5 (a secretary's year of Party standing) and R1.6 (term length) are checked.
use chrono::NaiveDate;
use serde::Serialize;

use crate::Invalid;
use crate::labels::{Labeled, OrgKind, PartyPost};

/// The posts an election fills (the committee's); group leaders and affairs workers are appointed.
pub const ELECTED_POSTS: [PartyPost; 6] = [
    PartyPost::Secretary,
    PartyPost::DeputySecretary,
    PartyPost::OrganizationCommissioner,
    PartyPost::PropagandaCommissioner,
    PartyPost::DisciplineCommissioner,
    PartyPost::CommitteeMember,
];

pub fn is_elected_post(p: PartyPost) -> bool {
    ELECTED_POSTS.contains(&p)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Elected {
    pub member_id: i64,
    pub post: PartyPost,
    pub votes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Election {
    pub held_on: NaiveDate,
    /// Members with a vote due to attend, and present.
    pub due: i64,
    pub present: i64,
    pub term_years: i32,
    pub results: Vec<Elected>,
    pub note: String,
}

/// A member as the check needs to know them.
#[derive(Debug, Clone)]
pub struct Eligible {
    pub member_id: i64,
    pub name: String,
    pub full_on: Option<NaiveDate>,
}

/// A remark kept with the record (not a refusal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remark {
    pub rule: &'static str,
    pub zh: String,
    pub en: String,
}

fn refuse(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Invalid {
    Invalid::new(code, zh, en)
}

/// Check an election of an organization of `kind` with `full_members` full members; the
/// candidates are looked up in `eligible` (the organization's members). Returns remarks to keep.
pub fn check(e: &Election, kind: OrgKind, full_members: usize, eligible: &[Eligible], today: NaiveDate) -> Result<Vec<Remark>, Invalid> {
    if e.held_on > today {
        return Err(refuse(
            "future",
            format!("选举日期 {} 晚于今天：只能记录已举行的选举", e.held_on),
            "the election date is in the future",
        ));
    }
    if e.due <= 0 || e.present < 0 || e.present > e.due {
        return Err(refuse(
            "attendance",
            format!("人数不合理：应到 {}、实到 {}（须 0 ≤ 实到 ≤ 应到，应到 > 0）", e.due, e.present),
            "attendance does not add up (0 ≤ present ≤ due, due > 0)",
        ));
    }
    // More than four fifths present, or the election is void.
    if e.present * 5 <= e.due * 4 {
        return Err(refuse(
            "quorum",
            format!(
                "到会有选举权的党员 {} 人，未超过应到 {} 人的五分之四，选举无效（《中国共产党基层组织选举工作条例》），请另行召开党员大会",
                e.present, e.due
            ),
            format!("{} present of {} is not more than four fifths: the election is void", e.present, e.due),
        ));
    }
    if !(3..=5).contains(&e.term_years) {
        return Err(refuse(
            "term_years",
            format!("任期 {} 年无效：党支部、党总支每届 3 年，基层党委 5 年（R1.6）", e.term_years),
            "a term is 3 to 5 years (R1.6)",
        ));
    }
    let secretaries = e.results.iter().filter(|r| r.post == PartyPost::Secretary).count();
    if secretaries != 1 {
        return Err(refuse(
            "secretary",
            format!("须选出一名书记，现为 {secretaries} 名（R1.4）"),
            "exactly one secretary is elected (R1.4)",
        ));
    }
    let mut seen = Vec::new();
    let mut remarks = Vec::new();
    for r in &e.results {
        if !is_elected_post(r.post) {
            return Err(refuse(
                "post",
                format!("{}不由选举产生，请在党员信息中任命", r.post.zh()),
                format!("{} is appointed, not elected", r.post.en()),
            ));
        }
        if seen.contains(&r.member_id) {
            return Err(refuse("duplicate", "同一名党员只能当选一个职务", "one post per member"));
        }
        seen.push(r.member_id);
        let Some(m) = eligible.iter().find(|m| m.member_id == r.member_id) else {
            return Err(refuse(
                "member",
                format!("党员（编号 {}）不是本组织的党员", r.member_id),
                "the member is not in this organization",
            ));
        };
        match m.full_on {
            Some(f) if f <= e.held_on => {}
            _ => {
                return Err(refuse(
                    "probationary",
                    format!("{} 在 {} 时是预备党员：预备党员没有被选举权", m.name, e.held_on),
                    format!("{} was a probationary member: no right to be elected", m.name),
                ));
            }
        }
        if r.votes < 0 || r.votes > e.present {
            return Err(refuse(
                "votes",
                format!("{} 的得票 {} 不合理（0–{}）", m.name, r.votes, e.present),
                "votes are 0 to those present",
            ));
        }
        if r.votes * 2 <= e.present {
            return Err(refuse(
                "majority",
                format!("{} 得赞成票 {}，未超过实到会有选举权人数 {} 的半数，不能当选", m.name, r.votes, e.present),
                format!("{} has {} votes of {} present: not more than half, not elected", m.name, r.votes, e.present),
            ));
        }
        // R1.5: a secretary normally has a year of Party standing.
        if r.post == PartyPost::Secretary
            && let Some(f) = m.full_on
            && crate::development::one_year_after(f) > e.held_on
        {
            remarks.push(Remark {
                rule: "R1.5",
                zh: format!("书记 {} 转正于 {f}，党龄不足一年（R1.5：一般应具有一年以上党龄）", m.name),
                en: format!("the secretary {} has less than a year of Party standing (R1.5)", m.name),
            });
        }
    }
    // R1.4: a branch with fewer than 7 full members elects a secretary (and a deputy if needed),
    // no committee; 7 or more: a committee of 3–5, normally no more than 7.
    let branch = matches!(kind, OrgKind::Branch | OrgKind::JointBranch | OrgKind::TemporaryBranch);
    let committee = e.results.len();
    if branch && full_members < 7 {
        if let Some(r) = e.results.iter().find(|r| !matches!(r.post, PartyPost::Secretary | PartyPost::DeputySecretary)) {
            return Err(refuse(
                "no_committee",
                format!("正式党员 {full_members} 人，不足 7 人，不设支部委员会，只选书记（必要时一名副书记），不选{}（R1.4）", r.post.zh()),
                format!("{full_members} full members: no committee, a secretary and perhaps a deputy only (R1.4)"),
            ));
        }
        if e.results.iter().filter(|r| r.post == PartyPost::DeputySecretary).count() > 1 {
            return Err(refuse("no_committee", "不设支部委员会的，最多一名副书记（R1.4）", "at most one deputy (R1.4)"));
        }
    } else if !(3..=7).contains(&committee) {
        return Err(refuse(
            "committee_size",
            format!("委员会由 3–5 人组成、一般不超过 7 人（R1.4），现选出 {committee} 人"),
            format!("a committee has 3–5 members, normally no more than 7 (R1.4); {committee} elected"),
        ));
    }
    Ok(remarks)
}

/// The form or API's election, as text; `results` are (member id, post, votes).
#[derive(Debug, Clone, Default)]
pub struct ElectionInput {
    pub held_on: String,
    pub due: String,
    pub present: String,
    pub term_years: String,
    pub note: String,
    pub results: Vec<(String, String, String)>,
}

impl ElectionInput {
    pub fn parse(&self, kind: OrgKind) -> Result<Election, Vec<crate::registry::FieldError>> {
        use crate::registry::{Checker, FieldError};
        let mut c = Checker::default();
        let held_on = c.required_date("held_on", "选举日期", &self.held_on);
        let count = |c: &mut Checker, f: &'static str, label: &str, v: &str| {
            if v.trim().is_empty() {
                c.errors.push(FieldError::new(f, "required", format!("请填写{label}"), format!("{f} is required")));
                None
            } else {
                c.optional_count(f, label, v)
            }
        };
        let due = count(&mut c, "due", "应到人数", &self.due);
        let present = count(&mut c, "present", "实到人数", &self.present);
        let term_years = if self.term_years.trim().is_empty() {
            Some(kind.default_term_years())
        } else {
            c.optional_count("term_years", "任期（年）", &self.term_years).map(|y| y as i32)
        };
        let mut results = Vec::new();
        for (m, p, v) in &self.results {
            if p.trim().is_empty() {
                continue;
            }
            let Ok(member_id) = m.trim().parse::<i64>() else {
                c.errors.push(FieldError::new("results", "member", format!("党员编号“{m}”无效"), "member is a member id"));
                continue;
            };
            let Some(post) = PartyPost::parse(p) else {
                c.errors.push(FieldError::new(
                    "results",
                    "post",
                    format!("职务“{p}”无效，可选：书记、副书记、组织委员、宣传委员、纪检委员、委员"),
                    "post is not a committee post",
                ));
                continue;
            };
            match crate::normalize_width(v).parse::<i64>() {
                Ok(votes) => results.push(Elected { member_id, post, votes }),
                Err(_) => c.errors.push(FieldError::new("results", "votes", format!("得票“{v}”应为整数"), "votes is a whole number")),
            }
        }
        let note = self.note.trim().to_string();
        let e = match (held_on, due, present, term_years) {
            (Some(held_on), Some(due), Some(present), Some(term_years)) => {
                Some(Election { held_on, due, present, term_years, results, note })
            }
            _ => None,
        };
        c.finish(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn people(n: i64) -> Vec<Eligible> {
        (1..=n).map(|i| Eligible { member_id: i, name: format!("党员{i}"), full_on: Some(d("2010-07-01")) }).collect()
    }

    fn election(present: i64, posts: &[(i64, PartyPost)]) -> Election {
        Election {
            held_on: d("2026-06-01"),
            due: 20,
            present,
            term_years: 3,
            results: posts.iter().map(|(m, p)| Elected { member_id: *m, post: *p, votes: present }).collect(),
            note: String::new(),
        }
    }

    use PartyPost::*;

    #[test]
    fn four_fifths_present_and_a_majority() {
        let today = d("2026-11-27");
        let ok = [(1, Secretary), (2, OrganizationCommissioner), (3, PropagandaCommissioner)];
        // 16 of 20 is exactly four fifths: not more, void.
        assert_eq!(check(&election(16, &ok), OrgKind::Branch, 20, &people(20), today).unwrap_err().code, "quorum");
        assert!(check(&election(17, &ok), OrgKind::Branch, 20, &people(20), today).is_ok());
        let mut e = election(18, &ok);
        e.results[1].votes = 9;
        assert_eq!(check(&e, OrgKind::Branch, 20, &people(20), today).unwrap_err().code, "majority");
        e.results[1].votes = 10;
        assert!(check(&e, OrgKind::Branch, 20, &people(20), today).is_ok());
    }

    #[test]
    fn posts_follow_r1_4() {
        let today = d("2026-11-27");
        // Fewer than 7 full members: a secretary and a deputy, no committee.
        assert!(check(&election(18, &[(1, Secretary), (2, DeputySecretary)]), OrgKind::Branch, 6, &people(6), today).is_ok());
        let e = election(18, &[(1, Secretary), (2, OrganizationCommissioner)]);
        assert_eq!(check(&e, OrgKind::Branch, 6, &people(6), today).unwrap_err().code, "no_committee");
        // 7 or more: a committee of 3–7.
        assert_eq!(check(&election(18, &[(1, Secretary)]), OrgKind::Branch, 9, &people(9), today).unwrap_err().code, "committee_size");
        let eight: Vec<(i64, PartyPost)> = (1..=8).map(|i| (i, if i == 1 { Secretary } else { CommitteeMember })).collect();
        assert_eq!(check(&election(18, &eight), OrgKind::Branch, 20, &people(20), today).unwrap_err().code, "committee_size");
        assert_eq!(
            check(
                &election(18, &[(2, CommitteeMember), (3, CommitteeMember), (4, CommitteeMember)]),
                OrgKind::Branch,
                9,
                &people(9),
                today
            )
            .unwrap_err()
            .code,
            "secretary"
        );
    }

    #[test]
    fn who_may_be_elected() {
        let today = d("2026-11-27");
        let mut ps = people(9);
        ps[1].full_on = None;
        let e = election(18, &[(1, Secretary), (2, OrganizationCommissioner), (3, PropagandaCommissioner)]);
        assert_eq!(check(&e, OrgKind::Branch, 9, &ps, today).unwrap_err().code, "probationary");
        // A secretary with less than a year of standing is a remark (R1.5), not a refusal.
        let mut ps = people(9);
        ps[0].full_on = Some(d("2025-12-01"));
        let remarks = check(
            &election(18, &[(1, Secretary), (2, OrganizationCommissioner), (3, PropagandaCommissioner)]),
            OrgKind::Branch,
            9,
            &ps,
            today,
        )
        .unwrap();
        assert_eq!(remarks[0].rule, "R1.5");
        let mut future = election(18, &[(1, Secretary)]);
        future.held_on = d("2026-11-28");
        assert_eq!(check(&future, OrgKind::Branch, 3, &people(3), today).unwrap_err().code, "future");
    }
}
