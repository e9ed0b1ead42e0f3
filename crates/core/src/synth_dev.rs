//! Development records for a synthetic region (DOMAIN §3): every applicant, activist and
//! candidate on the staff gets the steps their stage implies, and every probationary member the
//! steps that admitted them (the branch meeting on their admission date), so the demo shows each
//! stage, its deadlines and a few that are late. Every generated step passes
//! `development::check` (tested).
use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

use crate::development::{StepRecord, add_months, one_year_after};
use crate::labels::{DevelopmentStage, MemberCategory, OrgKind};
use crate::rng::Rng;
use crate::synth::Dataset;

/// One person's generated record. Contacts and introducers are named by ID number (the store
/// resolves them to member records), the approver by organization code.
#[derive(Debug, Clone)]
pub struct GenRecord {
    pub id_number: String,
    pub institution: String,
    pub steps: Vec<StepRecord>,
    /// ID numbers of the people in each step, parallel to `steps`.
    pub people: Vec<Vec<String>>,
}

/// Records for the dataset's non-members in development and its probationary members.
pub fn records_for(data: &Dataset, seed: u64, today: NaiveDate) -> Vec<GenRecord> {
    let mut rng = Rng::new(seed ^ 0x5eed_d3e1);
    let committee = data.orgs.iter().find(|o| o.kind == OrgKind::Committee && o.parent.is_none()).map(|o| o.code.to_string());
    let Some(committee) = committee else { return Vec::new() };
    // The organization of each institution (its own first), and each organization's full members.
    let mut org_of: HashMap<String, (u8, String)> = HashMap::new();
    for c in &data.coverages {
        let rank = c.mode.preference();
        let e = org_of.entry(c.institution.to_string()).or_insert((rank, c.org.to_string()));
        if rank < e.0 {
            *e = (rank, c.org.to_string());
        }
    }
    // A school's 党委 draws on its branches' members too (one level down; the county's own
    // committee at the top is nobody's covering organization).
    let parent: HashMap<String, String> =
        data.orgs.iter().filter_map(|o| o.parent.as_ref().map(|p| (o.code.to_string(), p.to_string()))).collect();
    let mut full_of: HashMap<String, Vec<(String, NaiveDate)>> = HashMap::new();
    for m in &data.members {
        if m.category == MemberCategory::Full
            && let Some(f) = m.full_on
        {
            let org = m.org.to_string();
            let entry = (m.id_number.as_str().to_string(), f);
            if let Some(p) = parent.get(&org).filter(|p| **p != committee) {
                full_of.entry(p.clone()).or_default().push(entry.clone());
            }
            full_of.entry(org).or_default().push(entry);
        }
    }
    let admitted: HashMap<String, NaiveDate> = data
        .members
        .iter()
        .filter(|m| m.category == MemberCategory::Probationary)
        .map(|m| (m.id_number.as_str().to_string(), m.admitted_on))
        .collect();
    let birth: HashMap<String, NaiveDate> =
        data.persons.iter().map(|p| (p.id_number.as_str().to_string(), p.id_number.birth_date())).collect();
    let mut out = Vec::new();
    for s in &data.staff {
        let id = s.id_number.as_str().to_string();
        let target = match (s.development_stage, admitted.get(&id)) {
            (Some(DevelopmentStage::Applicant), _) => Target::Last(if rng.chance(0.25) { 1 } else { 2 }),
            (Some(DevelopmentStage::Activist), _) => Target::Last(rng.range(3, 7) as u8),
            (Some(DevelopmentStage::Candidate), _) => Target::Last(rng.range(7, 17) as u8),
            (None, Some(a)) => Target::Admitted(*a),
            _ => continue,
        };
        let Some((_, org)) = org_of.get(&s.institution.to_string()) else { continue };
        let full = full_of.get(org).map(Vec::as_slice).unwrap_or(&[]);
        let Some(born) = birth.get(&id) else { continue };
        if let Some(r) = one(&mut rng, &id, s.institution.as_str(), target, full, &committee, *born, today) {
            out.push(r);
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Target {
    /// Non-members: stop after this step.
    Last(u8),
    /// A probationary member admitted (branch meeting, step 15) on this day.
    Admitted(NaiveDate),
}

#[allow(clippy::too_many_arguments)]
fn one(
    rng: &mut Rng,
    id: &str,
    institution: &str,
    target: Target,
    full: &[(String, NaiveDate)],
    committee: &str,
    born: NaiveDate,
    today: NaiveDate,
) -> Option<GenRecord> {
    // Offsets in days from the application; the activist year (R2.4) and probation (R2.10) are
    // computed from dates once the schedule is anchored.
    let talk = if rng.chance(0.06) { rng.range(35, 50) } else { rng.range(10, 28) };
    let activist = talk + rng.range(60, 150);
    let mut gaps: Vec<(u8, i64)> = vec![(1, 0), (2, talk), (3, activist), (4, activist + 7), (5, activist + 12), (6, activist + 170)];
    let candidate = activist + 366 + rng.range(0, 60);
    let mut at = candidate;
    for (n, g) in [(7u8, 0i64), (8, 7), (9, 10), (10, 20), (11, 15), (12, 20), (13, 10), (14, 7), (15, 20), (16, 10)] {
        at += g;
        gaps.push((n, at));
    }
    let meeting = at - 10;
    // Anchor: a probationary member's meeting on their admission day; a non-member's last step
    // some days or weeks ago.
    let (anchor, last) = match target {
        Target::Admitted(a) => (a - Duration::days(meeting), 22u8),
        // An activist under review has been one for half a year to two years: some are past
        // the year that lets them become candidates (R2.4).
        Target::Last(6) => (today - Duration::days(activist + rng.range(200, 700)), 6),
        // Most applications are answered within the month (R2.2); a few are late.
        Target::Last(1) => (today - Duration::days(if rng.chance(0.15) { rng.range(32, 60) } else { rng.range(2, 28) }), 1),
        Target::Last(n) => {
            let off = gaps.iter().find(|g| g.0 == n).map(|g| g.1).unwrap_or(0);
            (today - Duration::days(rng.range(3, 90) + off), n)
        }
    };
    let mut steps: Vec<StepRecord> = Vec::new();
    let mut people: Vec<Vec<String>> = Vec::new();
    let adult = crate::term::term_end(born, 18);
    if anchor < adult {
        return None;
    }
    for (n, off) in gaps.iter().copied().filter(|g| g.0 <= last.min(16)) {
        let on = anchor + Duration::days(off);
        let mut r = StepRecord::on(n, on);
        let mut who = Vec::new();
        match n {
            5 | 9 => {
                let want = if n == 5 { 1 + usize::from(rng.chance(0.5)) } else { 2 };
                let eligible: Vec<&(String, NaiveDate)> = full.iter().filter(|(p, f)| *f <= on && p != id).collect();
                if eligible.len() < want {
                    return None;
                }
                let start = rng.range(0, eligible.len() as i64) as usize;
                for k in 0..want {
                    who.push(eligible[(start + k) % eligible.len()].0.clone());
                }
            }
            10 => r.passed = Some(true),
            11 => {
                if rng.chance(0.5) {
                    r.days = Some(3.0)
                } else {
                    r.hours = Some(24.0 + rng.range(0, 9) as f64)
                }
            }
            13 => r.approver = Some((committee.to_string(), OrgKind::Committee)),
            15 => vote(rng, &mut r, full.len() as i64),
            _ => {}
        }
        if n == 6 && last == 6 {
            // Reviews every six months while still an activist.
            let mut d = on;
            while d <= today - Duration::days(1) {
                let mut review = StepRecord::on(6, d);
                review.note = "半年考察：表现良好".into();
                steps.push(review);
                people.push(Vec::new());
                d = add_months(d, 6);
            }
            continue;
        }
        steps.push(r);
        people.push(who);
        if n == 6 {
            // The second half-yearly review (R2.3) before the year as activist is up.
            let mut second = StepRecord::on(6, anchor + Duration::days(activist + 340));
            second.note = "半年考察：表现良好".into();
            steps.push(second);
            people.push(Vec::new());
        }
    }
    if let Target::Admitted(a) = target {
        // Approval within three months (R2.9), then probation's steps as far as today.
        let approval = (a + Duration::days(rng.range(20, 80))).min(today);
        let mut r = StepRecord::on(17, approval);
        r.approver = Some((committee.to_string(), OrgKind::Committee));
        let mut later = vec![r];
        let end = one_year_after(a);
        for (n, d) in [
            (18u8, approval + Duration::days(10)),
            (19, approval + Duration::days(15)),
            (20, approval + Duration::days(20)),
            (21, approval + Duration::days(100)),
            (22, end - Duration::days(20)),
        ] {
            later.push(StepRecord::on(n, d));
        }
        for r in later.into_iter().filter(|r| r.on <= today) {
            steps.push(r);
            people.push(Vec::new());
        }
    }
    // A step dated in the future (a late anchor) is not recorded yet.
    while steps.last().is_some_and(|s| s.on > today) {
        steps.pop();
        people.pop();
    }
    if steps.is_empty() {
        return None;
    }
    Some(GenRecord { id_number: id.to_string(), institution: institution.to_string(), steps, people })
}

fn vote(rng: &mut Rng, r: &mut StepRecord, full: i64) {
    let due = full.max(1);
    let absent = rng.range(0, (due / 5) + 1);
    let present = due - absent;
    r.due = Some(due);
    r.present = Some(present);
    r.yes = Some(present);
    r.notice = Some((r.on - Duration::days(12), r.on - Duration::days(3)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::development::{Context, PersonFact, check};

    /// Every generated step passes the rules, against the history before it.
    #[test]
    fn demo_records_obey_the_rules() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let data = crate::synth::demo_county(7, today);
        let recs = records_for(&data, 7, today);
        assert!(recs.len() > 50, "{}", recs.len());
        let birth: HashMap<String, NaiveDate> =
            data.persons.iter().map(|p| (p.id_number.as_str().to_string(), p.id_number.birth_date())).collect();
        let full: HashMap<String, Option<NaiveDate>> = data.members.iter().map(|m| (m.id_number.as_str().to_string(), m.full_on)).collect();
        let mut last_steps = std::collections::BTreeSet::new();
        for rec in &recs {
            for (i, (step, who)) in rec.steps.iter().zip(&rec.people).enumerate() {
                let facts: Vec<PersonFact> = who
                    .iter()
                    .enumerate()
                    .map(|(k, p)| PersonFact { member_id: k as i64 + 1, name: p.clone(), full_on: full[p] })
                    .collect();
                let mut s = step.clone();
                s.people = (1..=who.len() as i64).collect();
                let ctx =
                    Context { today, birth_date: birth[&rec.id_number], history: &rec.steps[..i], people: &facts, notice_working_days: 5 };
                check(&ctx, &s).unwrap_or_else(|e| panic!("{} step {}: {}", rec.id_number, step.step, e.message_zh));
            }
            last_steps.insert(rec.steps.last().unwrap().step);
        }
        // Every stage is shown: applicants, activists, candidates, and probationary members.
        for n in [1u8, 2, 6, 11, 16, 20] {
            assert!(last_steps.iter().any(|s| *s >= n && *s <= n + 2), "no record ending near step {n}: {last_steps:?}");
        }
    }
}
