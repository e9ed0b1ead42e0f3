//! The coverage audit (三个全覆盖) and its planner, exactly as spec/COVERAGE.md fixes them.
//! A pure function of the registry as of a date: the same data gives the same findings,
//! proposals and order. Nearest same-type lookups use R-trees, one per teaching stage, so nothing
//! is quadratic in the number of institutions.
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rstar::{AABB, PointDistance, RTree, RTreeObject};
use serde::Serialize;

use crate::labels::*;
use crate::registry::*;
use crate::synth::Dataset;
use crate::term::{TermState, term_state};

/// The settings the audit reads (spec/COVERAGE.md, DOMAIN.md *setting* marks).
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Planner: attach within this distance (default 15 km).
    pub attach_radius_km: f64,
    /// R1.2: at most this many institutions in a proposed joint branch (default 5).
    pub joint_max_institutions: usize,
    /// A young teacher is aged at most this on the audit date (default 35).
    pub young_age: i32,
    /// R1.7: remind this many months before a term ends (default 6).
    pub remind_months: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings { attach_radius_km: 15.0, joint_max_institutions: 5, young_age: 35, remind_months: 6 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Members,
    Leadership,
    Organization,
}

impl Check {
    pub const ALL: [Check; 3] = [Check::Members, Check::Leadership, Check::Organization];
    pub fn code(self) -> &'static str {
        match self {
            Check::Members => "members",
            Check::Leadership => "leadership",
            Check::Organization => "organization",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Check::Members => "党员全覆盖",
            Check::Leadership => "班子党员全覆盖",
            Check::Organization => "党组织全覆盖",
        }
    }
    /// A short label for chart legends.
    pub fn short(self, en: bool) -> &'static str {
        match (self, en) {
            (Check::Members, false) => "党员全覆盖",
            (Check::Leadership, false) => "班子党员全覆盖",
            (Check::Organization, false) => "党组织全覆盖",
            (Check::Members, true) => "Members",
            (Check::Leadership, true) => "Leadership",
            (Check::Organization, true) => "Organization",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Check::Members => "Members in every school",
            Check::Leadership => "A member in every leadership team",
            Check::Organization => "A sound organization for every institution",
        }
    }
}

/// Gap codes (spec/COVERAGE.md). Their order is the code's alphabetical order, the order the
/// spec sorts findings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    NoMembers,
    NoMembersPrivate,
    LeadershipMissing,
    LeadershipNoMember,
    NoInstructor,
    Uncovered,
    UncoveredSmall,
    OwnBranchTooSmall,
    JointTooSmall,
    NoSecretary,
    TermExpired,
    PlannedWithoutOrg,
}

impl Gap {
    pub const ALL: [Gap; 12] = [
        Gap::NoMembers,
        Gap::NoMembersPrivate,
        Gap::LeadershipMissing,
        Gap::LeadershipNoMember,
        Gap::NoInstructor,
        Gap::Uncovered,
        Gap::UncoveredSmall,
        Gap::OwnBranchTooSmall,
        Gap::JointTooSmall,
        Gap::NoSecretary,
        Gap::TermExpired,
        Gap::PlannedWithoutOrg,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Gap::NoMembers => "no_members",
            Gap::NoMembersPrivate => "no_members_private",
            Gap::LeadershipMissing => "leadership_missing",
            Gap::LeadershipNoMember => "leadership_no_member",
            Gap::NoInstructor => "no_instructor",
            Gap::Uncovered => "uncovered",
            Gap::UncoveredSmall => "uncovered_small",
            Gap::OwnBranchTooSmall => "own_branch_too_small",
            Gap::JointTooSmall => "joint_too_small",
            Gap::NoSecretary => "no_secretary",
            Gap::TermExpired => "term_expired",
            Gap::PlannedWithoutOrg => "planned_without_org",
        }
    }

    pub fn from_code(s: &str) -> Option<Gap> {
        Gap::ALL.into_iter().find(|g| g.code() == s)
    }

    /// The rule behind the gap (DOMAIN ids; `seed` for the report's own requirement).
    pub fn rule(self) -> &'static str {
        match self {
            Gap::NoMembers | Gap::LeadershipMissing | Gap::LeadershipNoMember => "seed",
            Gap::NoMembersPrivate | Gap::NoInstructor => "R1.9",
            Gap::Uncovered => "R1.1",
            Gap::UncoveredSmall | Gap::OwnBranchTooSmall | Gap::JointTooSmall => "R1.2",
            Gap::NoSecretary => "R1.4",
            Gap::TermExpired => "R1.6",
            Gap::PlannedWithoutOrg => "R1.10",
        }
    }

    /// The gap in words, as a user reads it, naming its rule.
    pub fn zh(self) -> &'static str {
        match self {
            Gap::NoMembers => "学校没有党员（三个全覆盖：每所学校都有党员）",
            Gap::NoMembersPrivate => "民办学校没有党员（R1.9：无党员的民办学校由教育工委选派党建指导员）",
            Gap::LeadershipMissing => "未登记领导班子（三个全覆盖：班子中有党员干部）",
            Gap::LeadershipNoMember => "领导班子中没有党员（三个全覆盖：班子中有党员干部）",
            Gap::NoInstructor => "民办学校无党员且未选派党建指导员（R1.9）",
            Gap::Uncovered => "有3名以上正式党员但未建立党组织（R1.1：应单独建立党支部）",
            Gap::UncoveredSmall => "正式党员不足3名且未纳入任何党组织（R1.2：联合组建或就近挂靠）",
            Gap::OwnBranchTooSmall => "单独建立的党支部正式党员不足3名（R1.2：应联合组建或就近挂靠）",
            Gap::JointTooSmall => "联合党支部正式党员合计不足3名（R1.2）",
            Gap::NoSecretary => "党组织没有书记（R1.4：党支部应设书记）",
            Gap::TermExpired => "党组织任期已届满未换届（R1.6：党支部、党总支每届3年，党委5年）",
            Gap::PlannedWithoutOrg => "筹建学校未同步谋划党组织（R1.10）",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Gap::NoMembers => "No Party members at the school (seed: members in every school)",
            Gap::NoMembersPrivate => "A private school without members (R1.9: an instructor is assigned)",
            Gap::LeadershipMissing => "No leadership team recorded (seed: a member cadre in every team)",
            Gap::LeadershipNoMember => "No member in the leadership team (seed)",
            Gap::NoInstructor => "A private school with no members and no instructor (R1.9)",
            Gap::Uncovered => "3 or more full members but no organization (R1.1: set up a branch)",
            Gap::UncoveredSmall => "Fewer than 3 full members and no organization (R1.2: join or attach)",
            Gap::OwnBranchTooSmall => "An own branch with fewer than 3 full members (R1.2)",
            Gap::JointTooSmall => "A joint branch with fewer than 3 full members in all (R1.2)",
            Gap::NoSecretary => "The organization has no secretary (R1.4)",
            Gap::TermExpired => "The organization's term has ended without an election (R1.6)",
            Gap::PlannedWithoutOrg => "A planned school without its organization planned (R1.10)",
        }
    }
}

impl PartialOrd for Gap {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Gap {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.code().cmp(other.code())
    }
}

/// A person named in a remedy, with the ID number masked (R7.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRef {
    pub name: String,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemedyKind {
    DevelopMembers,
    AssignInstructor,
    RecordLeadership,
    AppointMemberCadre,
    EstablishBranch,
    Attach,
    JoinJoint,
    ElectSecretary,
    HoldElection,
    PlanOrg,
    Unresolved,
}

impl RemedyKind {
    pub fn code(self) -> &'static str {
        match self {
            RemedyKind::DevelopMembers => "develop_members",
            RemedyKind::AssignInstructor => "assign_instructor",
            RemedyKind::RecordLeadership => "record_leadership",
            RemedyKind::AppointMemberCadre => "appoint_member_cadre",
            RemedyKind::EstablishBranch => "establish_branch",
            RemedyKind::Attach => "attach",
            RemedyKind::JoinJoint => "join_joint",
            RemedyKind::ElectSecretary => "elect_secretary",
            RemedyKind::HoldElection => "hold_election",
            RemedyKind::PlanOrg => "plan_org",
            RemedyKind::Unresolved => "unresolved",
        }
    }
}

/// A remedy: its kind and the fields the spec gives it. Fields with nothing to list are omitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remedy {
    pub kind: RemedyKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<PersonRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructor: Option<PersonRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub far: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl Remedy {
    pub fn new(kind: RemedyKind) -> Self {
        Remedy {
            kind,
            candidates: None,
            instructor: None,
            org: None,
            expired_on: None,
            target: None,
            distance_km: None,
            far: None,
            group: None,
            members: None,
            reason: None,
        }
    }
    fn candidates(mut self, c: Vec<PersonRef>) -> Self {
        if !c.is_empty() {
            self.candidates = Some(c);
        }
        self
    }
    fn org(mut self, code: &str) -> Self {
        self.org = Some(code.to_string());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub institution: String,
    pub check: Check,
    pub gap: Gap,
    pub rule: &'static str,
    pub remedy: Remedy,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub org: String,
    pub code: &'static str,
    pub rule: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Counts {
    pub operating: usize,
    pub planned: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    pub members: f64,
    pub leadership: f64,
    pub organization: f64,
}

/// One operating institution's three results, for tables by town, kind and ownership.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub institution: String,
    pub passed: [bool; 3],
}

/// The audit: the spec's JSON form (`as_of`, `region`, `institutions`, `rates`, `findings`,
/// `warnings`), plus per-institution outcomes that the JSON leaves out.
#[derive(Debug, Clone, Serialize)]
pub struct AuditResult {
    pub as_of: NaiveDate,
    pub region: String,
    pub institutions: Counts,
    pub rates: Rates,
    pub findings: Vec<Finding>,
    pub warnings: Vec<Warning>,
    #[serde(skip)]
    pub outcomes: Vec<Outcome>,
}

/// `passing / operating`, rounded half up to 4 decimal places, exactly (integer arithmetic).
pub fn rate(passing: usize, operating: usize) -> f64 {
    if operating == 0 {
        return 0.0;
    }
    let (p, o) = (passing as u128, operating as u128);
    let scaled = (p * 20000 + o) / (2 * o);
    scaled as f64 / 10000.0
}

/// Great-circle distance (haversine, R = 6371.0 km).
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().min(1.0).asin()
}

/// Rounded half up to one decimal, as the spec shows distances.
pub fn round_km(d: f64) -> f64 {
    (d * 10.0 + 0.5).floor() / 10.0
}

// ------------------------------------------------------------------ spatial index

/// A point on the unit sphere: chord distance grows with great-circle distance, so the R-tree's
/// nearest is the haversine nearest.
#[derive(Debug, Clone, Copy)]
struct Site {
    xyz: [f64; 3],
    idx: usize,
}

fn unit(lat: f64, lon: f64) -> [f64; 3] {
    let (la, lo) = (lat.to_radians(), lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

impl RTreeObject for Site {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for Site {
    fn distance_2(&self, p: &[f64; 3]) -> f64 {
        (0..3).map(|i| (self.xyz[i] - p[i]).powi(2)).sum()
    }
}

/// The squared chord length for a great-circle distance.
fn chord2(km: f64) -> f64 {
    let c = 2.0 * (km / (2.0 * 6371.0)).sin();
    c * c
}

const STAGES: [Stage; 8] =
    [Stage::Preschool, Stage::Primary, Stage::Junior, Stage::Senior, Stage::Vocational, Stage::Special, Stage::Training, Stage::Other];

fn stage_index(s: Stage) -> usize {
    STAGES.iter().position(|x| *x == s).expect("every stage listed")
}

/// One R-tree per stage; an institution sits in the tree of each stage it teaches.
struct StageIndex {
    trees: Vec<RTree<Site>>,
}

impl StageIndex {
    fn build(sites: impl Iterator<Item = (usize, InstitutionKind, f64, f64)>) -> Self {
        let mut per: Vec<Vec<Site>> = vec![Vec::new(); STAGES.len()];
        for (idx, kind, lat, lon) in sites {
            for s in kind.stages() {
                per[stage_index(*s)].push(Site { xyz: unit(lat, lon), idx });
            }
        }
        StageIndex { trees: per.into_iter().map(RTree::bulk_load).collect() }
    }

    /// Same-type sites within `km` of a point (deduplicated).
    fn within(&self, kind: InstitutionKind, lat: f64, lon: f64, km: f64) -> Vec<usize> {
        let p = unit(lat, lon);
        let mut out: Vec<usize> = Vec::new();
        for s in kind.stages() {
            for site in self.trees[stage_index(*s)].locate_within_distance(p, chord2(km) * (1.0 + 1e-9)) {
                out.push(site.idx);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Same-type sites in increasing distance, stopping at the first `accept`ed one whose
    /// distance cannot be beaten (ties broken by the caller's key).
    fn nearest(
        &self,
        kind: InstitutionKind,
        lat: f64,
        lon: f64,
        accept: impl Fn(usize) -> bool,
        key: impl Fn(usize) -> (f64, String),
    ) -> Option<usize> {
        let p = unit(lat, lon);
        let mut best: Option<(f64, String, usize)> = None;
        for s in kind.stages() {
            for site in self.trees[stage_index(*s)].nearest_neighbor_iter(p) {
                if !accept(site.idx) {
                    continue;
                }
                let (d, code) = key(site.idx);
                match &best {
                    Some((bd, _, _)) if d > *bd + 1e-9 => break,
                    Some((bd, bc, _)) if (d - *bd).abs() <= 1e-9 && code >= *bc => continue,
                    _ => best = Some((d, code, site.idx)),
                }
            }
        }
        best.map(|b| b.2)
    }
}

// ------------------------------------------------------------------ the audit

struct MemberFact {
    full: bool,
    org: usize,
    work: Option<usize>,
    post: Option<PartyPost>,
}

struct OrgFact {
    active: bool,
    has_secretary: bool,
    expired_on: Option<NaiveDate>,
    term_end: Option<NaiveDate>,
    full: usize,
    total: usize,
    committee_posts: usize,
    institutions_covered: usize,
}

/// Run the audit of `region` (a region code; empty for everything) as of `as_of`.
pub fn audit(d: &Dataset, as_of: NaiveDate, region: &str, settings: &AuditSettings) -> AuditResult {
    let prefix = region_prefix(region);
    let inst_index: HashMap<&str, usize> = d.institutions.iter().enumerate().map(|(i, x)| (x.code.as_str(), i)).collect();
    let org_index: HashMap<&str, usize> = d.orgs.iter().enumerate().map(|(i, x)| (x.code.as_str(), i)).collect();
    let names: HashMap<&str, &str> = d.persons.iter().map(|p| (p.id_number.as_str(), p.name.as_str())).collect();
    let person = |id: &crate::IdNumber| PersonRef { name: names.get(id.as_str()).copied().unwrap_or("").to_string(), id: id.masked() };

    // Members as of the date: admitted on or before it; full once their full date has come.
    let mut members: HashMap<&str, MemberFact> = HashMap::with_capacity(d.members.len());
    for m in &d.members {
        if m.admitted_on > as_of {
            continue;
        }
        let Some(&org) = org_index.get(m.org.as_str()) else { continue };
        let full = m.category == MemberCategory::Full && m.full_on.is_none_or(|f| f <= as_of);
        let work = m.work_institution.as_ref().and_then(|w| inst_index.get(w.as_str()).copied());
        members.insert(m.id_number.as_str(), MemberFact { full, org, work, post: m.party_post });
    }

    // Organizations.
    let mut orgs: Vec<OrgFact> = d
        .orgs
        .iter()
        .map(|o| {
            let term_end = o.term_end();
            let expired = term_end.filter(|e| term_state(*e, as_of, settings.remind_months) == TermState::Expired);
            OrgFact {
                active: o.status == OrgStatus::Active && o.founded_on.is_none_or(|f| f <= as_of),
                has_secretary: false,
                expired_on: expired,
                term_end,
                full: 0,
                total: 0,
                committee_posts: 0,
                institutions_covered: 0,
            }
        })
        .collect();
    for m in members.values() {
        let o = &mut orgs[m.org];
        o.total += 1;
        if m.full {
            o.full += 1;
        }
        match m.post {
            Some(PartyPost::Secretary) => {
                o.has_secretary = true;
                o.committee_posts += 1;
            }
            // R1.4: the committee posts.
            Some(
                PartyPost::DeputySecretary
                | PartyPost::OrganizationCommissioner
                | PartyPost::PropagandaCommissioner
                | PartyPost::DisciplineCommissioner
                | PartyPost::CommitteeMember,
            ) => o.committee_posts += 1,
            _ => {}
        }
    }

    // Coverage rows with active organizations, per institution.
    let mut covering: Vec<Vec<(usize, CoverageMode)>> = vec![Vec::new(); d.institutions.len()];
    for c in &d.coverages {
        let (Some(&i), Some(&o)) = (inst_index.get(c.institution.as_str()), org_index.get(c.org.as_str())) else { continue };
        if orgs[o].active {
            covering[i].push((o, c.mode));
            orgs[o].institutions_covered += 1;
        }
    }
    for cov in &mut covering {
        cov.sort_by(|a, b| d.orgs[a.0].code.cmp(&d.orgs[b.0].code));
    }

    // A covering organization is sound for an institution (spec *Sound organization*).
    let sound = |o: usize, mode: CoverageMode| -> bool {
        let f = &orgs[o];
        let kind = d.orgs[o].kind;
        f.active
            && f.has_secretary
            && f.expired_on.is_none()
            && !(kind == OrgKind::Branch && mode == CoverageMode::Own && f.full < 3)
            && !(kind == OrgKind::JointBranch && f.full < 3)
    };

    // Per institution: members working there, staff, instructors.
    let mut inst_full = vec![0usize; d.institutions.len()];
    let mut inst_total = vec![0usize; d.institutions.len()];
    for m in members.values() {
        if let Some(w) = m.work {
            inst_total[w] += 1;
            if m.full {
                inst_full[w] += 1;
            }
        }
    }
    let mut staff_of: Vec<Vec<&Staff>> = vec![Vec::new(); d.institutions.len()];
    for s in &d.staff {
        if let Some(&i) = inst_index.get(s.institution.as_str()) {
            staff_of[i].push(s);
        }
    }
    let mut has_instructor = vec![false; d.institutions.len()];
    let mut instructing: HashMap<&str, usize> = HashMap::new();
    for n in &d.instructors {
        if n.status != InstructorStatus::Active || n.assigned_on > as_of {
            continue;
        }
        if let Some(&i) = inst_index.get(n.institution.as_str()) {
            has_instructor[i] = true;
        }
        *instructing.entry(n.id_number.as_str()).or_default() += 1;
    }
    // R1.9: the person already instructing the fewest institutions, ties by ID number.
    let least_busy_instructor = instructing.iter().min_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0))).map(|(id, _)| *id);
    let instructor_ref =
        least_busy_instructor.map(|id| PersonRef { name: names.get(id).copied().unwrap_or("").to_string(), id: crate::mask::mask_id(id) });

    let has_sound_own: Vec<bool> = covering.iter().map(|cov| cov.iter().any(|(o, m)| *m == CoverageMode::Own && sound(*o, *m))).collect();

    let in_scope = |i: &Institution| i.town.as_str().starts_with(&prefix);
    let young = |id: &crate::IdNumber| id.age_on(as_of) <= settings.young_age;

    // seed: candidates to develop, in the spec's order.
    let develop_candidates = |i: usize| -> Vec<PersonRef> {
        let mut ranked: Vec<(u8, &str, &Staff)> = staff_of[i]
            .iter()
            .filter(|s| !s.political_status.is_party_member() && s.political_status != PoliticalStatus::DemocraticParty)
            .filter_map(|s| {
                let rank = match (s.development_stage, young(&s.id_number), s.backbone) {
                    (Some(DevelopmentStage::Candidate), _, _) => 0,
                    (Some(DevelopmentStage::Activist), _, _) => 1,
                    (Some(DevelopmentStage::Applicant), _, _) => 2,
                    (None, true, true) => 3,
                    (None, true, false) => 4,
                    (None, false, true) => 5,
                    _ => return None,
                };
                Some((rank, s.id_number.as_str(), *s))
            })
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
        ranked.dedup_by(|a, b| a.1 == b.1);
        ranked.into_iter().take(5).map(|(_, _, s)| person(&s.id_number)).collect()
    };

    let mut findings: Vec<Finding> = Vec::new();
    let mut outcomes = Vec::new();
    let mut to_plan: Vec<(usize, Gap)> = Vec::new();
    let mut counts = Counts { operating: 0, planned: 0 };
    let mut passed = [0usize; 3];

    for (i, inst) in d.institutions.iter().enumerate() {
        if !in_scope(inst) {
            continue;
        }
        let code = inst.code.as_str();
        let finding =
            |check: Check, gap: Gap, remedy: Remedy| Finding { institution: code.to_string(), check, gap, rule: gap.rule(), remedy };
        match inst.status {
            InstitutionStatus::Closed => continue,
            InstitutionStatus::Planned => {
                counts.planned += 1;
                // R1.10: a new school plans its organization with its construction.
                if covering[i].is_empty() {
                    findings.push(finding(Check::Organization, Gap::PlannedWithoutOrg, Remedy::new(RemedyKind::PlanOrg)));
                }
                continue;
            }
            InstitutionStatus::Operating => counts.operating += 1,
        }
        let private = inst.ownership == Ownership::Private;
        let n_members = inst_total[i];
        let n_full = inst_full[i];

        // Check 1: members.
        let pass_members = n_members >= 1;
        if !pass_members {
            if !private {
                findings.push(finding(
                    Check::Members,
                    Gap::NoMembers,
                    Remedy::new(RemedyKind::DevelopMembers).candidates(develop_candidates(i)),
                ));
            } else if !has_instructor[i] {
                let mut r = Remedy::new(RemedyKind::AssignInstructor);
                r.instructor = instructor_ref.clone();
                findings.push(finding(Check::Members, Gap::NoMembersPrivate, r));
            } else {
                findings.push(finding(
                    Check::Members,
                    Gap::NoMembersPrivate,
                    Remedy::new(RemedyKind::DevelopMembers).candidates(develop_candidates(i)),
                ));
            }
        }

        // Check 2: leadership.
        let leaders: Vec<&Staff> = staff_of[i].iter().copied().filter(|s| s.leadership_role.is_some()).collect();
        let pass_leadership = leaders.iter().any(|s| members.contains_key(s.id_number.as_str()));
        if leaders.is_empty() {
            findings.push(finding(Check::Leadership, Gap::LeadershipMissing, Remedy::new(RemedyKind::RecordLeadership)));
        } else if !pass_leadership {
            let mut c: Vec<(u8, &Staff)> = leaders
                .iter()
                .filter_map(|s| {
                    let rank = match s.development_stage? {
                        DevelopmentStage::Candidate => 0,
                        DevelopmentStage::Activist => 1,
                        DevelopmentStage::Applicant => 2,
                    };
                    Some((rank, *s))
                })
                .collect();
            c.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id_number.cmp(&b.1.id_number)));
            let c = c.into_iter().map(|(_, s)| person(&s.id_number)).collect();
            findings.push(finding(Check::Leadership, Gap::LeadershipNoMember, Remedy::new(RemedyKind::AppointMemberCadre).candidates(c)));
        }

        // Check 3: organization.
        let instructor_exempt = private && n_members == 0 && has_instructor[i];
        let pass_org = covering[i].iter().any(|(o, m)| sound(*o, *m)) || instructor_exempt;
        if !pass_org {
            if private && n_members == 0 && !has_instructor[i] {
                let mut r = Remedy::new(RemedyKind::AssignInstructor);
                r.instructor = instructor_ref.clone();
                findings.push(finding(Check::Organization, Gap::NoInstructor, r));
            } else if covering[i].is_empty() {
                if n_full >= 3 {
                    findings.push(finding(Check::Organization, Gap::Uncovered, Remedy::new(RemedyKind::EstablishBranch)));
                } else if n_members >= 1 {
                    to_plan.push((i, Gap::UncoveredSmall));
                }
            } else {
                let mut planned = false;
                for &(o, mode) in &covering[i] {
                    let f = &orgs[o];
                    let org = &d.orgs[o];
                    if !planned && org.kind == OrgKind::Branch && mode == CoverageMode::Own && f.full < 3 {
                        to_plan.push((i, Gap::OwnBranchTooSmall));
                        planned = true;
                    } else if !planned && org.kind == OrgKind::JointBranch && f.full < 3 {
                        to_plan.push((i, Gap::JointTooSmall));
                        planned = true;
                    }
                    if !f.has_secretary {
                        findings.push(finding(
                            Check::Organization,
                            Gap::NoSecretary,
                            Remedy::new(RemedyKind::ElectSecretary).org(org.code.as_str()),
                        ));
                    }
                    if let Some(e) = f.expired_on {
                        let mut r = Remedy::new(RemedyKind::HoldElection).org(org.code.as_str());
                        r.expired_on = Some(e);
                        findings.push(finding(Check::Organization, Gap::TermExpired, r));
                    }
                }
            }
        }
        let p = [pass_members, pass_leadership, pass_org];
        for (k, ok) in p.iter().enumerate() {
            if *ok {
                passed[k] += 1;
            }
        }
        outcomes.push(Outcome { institution: code.to_string(), passed: p });
    }

    findings.extend(plan(d, &to_plan, &inst_full, &has_sound_own, settings));
    findings.sort_by(|a, b| a.institution.cmp(&b.institution).then(a.check.cmp(&b.check)).then(a.gap.cmp(&b.gap)));
    findings.dedup();

    // Warnings, for every active organization in scope.
    let mut warnings = Vec::new();
    let county_prefix: String = prefix.chars().take(6).collect();
    for (o, org) in d.orgs.iter().enumerate() {
        let f = &orgs[o];
        if !f.active || !org.region.as_str().starts_with(&county_prefix) && !county_prefix.starts_with(org.region.as_str()) {
            continue;
        }
        if prefix.len() > 6 && !covering.iter().enumerate().any(|(i, c)| in_scope(&d.institutions[i]) && c.iter().any(|x| x.0 == o)) {
            continue;
        }
        let code = org.code.to_string();
        let w = |c: &'static str, rule: &'static str| Warning { org: code.clone(), code: c, rule, ends_on: None };
        if let Some(end) = f.term_end
            && term_state(end, as_of, settings.remind_months) == TermState::Expiring
        {
            warnings.push(Warning { ends_on: Some(end), ..w("term_expiring", "R1.7") });
        }
        if f.full >= 7 && f.committee_posts < 3 {
            warnings.push(w("committee_required", "R1.4"));
        }
        if org.kind == OrgKind::JointBranch && f.institutions_covered > settings.joint_max_institutions {
            warnings.push(w("joint_too_large", "R1.2"));
        }
        if matches!(org.kind, OrgKind::Branch | OrgKind::JointBranch) && f.total > 50 {
            warnings.push(w("consider_general_branch", "R1.3"));
        }
        if matches!(org.kind, OrgKind::Branch | OrgKind::JointBranch | OrgKind::GeneralBranch) && f.total > 100 {
            warnings.push(w("consider_committee", "R1.3"));
        }
    }
    warnings.sort_by(|a, b| a.org.cmp(&b.org).then(a.code.cmp(b.code)));

    AuditResult {
        as_of,
        region: region.to_string(),
        institutions: counts,
        rates: Rates {
            members: rate(passed[0], counts.operating),
            leadership: rate(passed[1], counts.operating),
            organization: rate(passed[2], counts.operating),
        },
        findings,
        warnings,
        outcomes,
    }
}

/// `370000` → `37`; `370828` → `370828`; `370828101` → itself; empty → empty.
fn region_prefix(code: &str) -> String {
    let mut s = code;
    while s.len() > 2 && s.len() <= 6 && s.ends_with("00") {
        s = &s[..s.len() - 2];
    }
    s.to_string()
}

/// The planner (spec/COVERAGE.md): attach, join a proposed joint branch, or say why not.
fn plan(d: &Dataset, to_plan: &[(usize, Gap)], full: &[usize], has_sound_own: &[bool], s: &AuditSettings) -> Vec<Finding> {
    let inst = &d.institutions;
    let loc = |i: usize| match (inst[i].latitude, inst[i].longitude) {
        (Some(la), Some(lo)) => Some((la, lo)),
        _ => None,
    };
    let dist = |a: usize, b: usize| -> Option<f64> {
        let (la1, lo1) = loc(a)?;
        let (la2, lo2) = loc(b)?;
        Some(haversine_km(la1, lo1, la2, lo2))
    };
    let inst_index: HashMap<&str, usize> = inst.iter().enumerate().map(|(i, x)| (x.code.as_str(), i)).collect();
    let targets = StageIndex::build(
        (0..inst.len())
            .filter(|&i| has_sound_own[i] && inst[i].status == InstitutionStatus::Operating)
            .filter_map(|i| loc(i).map(|(la, lo)| (i, inst[i].kind, la, lo))),
    );
    let mut out = Vec::new();
    let mut remedies: HashMap<usize, Remedy> = HashMap::new();
    let mut unplaced: Vec<usize> = Vec::new();

    for &(i, _) in to_plan {
        // Rule 1: a teaching point attaches to its parent's sound own organization, at any distance.
        if inst[i].kind == InstitutionKind::TeachingPoint
            && let Some(p) = inst[i].parent.as_ref().and_then(|p| inst_index.get(p.as_str()).copied())
            && has_sound_own[p]
        {
            let mut r = Remedy::new(RemedyKind::Attach);
            r.target = Some(inst[p].code.to_string());
            r.distance_km = dist(i, p).map(round_km);
            remedies.insert(i, r);
            continue;
        }
        let Some((la, lo)) = loc(i) else {
            let mut r = Remedy::new(RemedyKind::Unresolved);
            r.reason = Some("no_location");
            remedies.insert(i, r);
            continue;
        };
        // Rule 2: the nearest same-type institution with a sound own organization, within the radius.
        let near = targets.within(inst[i].kind, la, lo, s.attach_radius_km);
        let best = near
            .into_iter()
            .filter(|&t| t != i)
            .filter_map(|t| dist(i, t).filter(|x| *x <= s.attach_radius_km).map(|x| (x, inst[t].code.as_str(), t)))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        if let Some((km, _, t)) = best {
            let mut r = Remedy::new(RemedyKind::Attach);
            r.target = Some(inst[t].code.to_string());
            r.distance_km = Some(round_km(km));
            remedies.insert(i, r);
        } else {
            unplaced.push(i);
        }
    }

    // Rule 3: group what is left into proposed joint branches.
    let pool = StageIndex::build(unplaced.iter().map(|&i| {
        let (la, lo) = loc(i).expect("unplaced institutions have a location");
        (i, inst[i].kind, la, lo)
    }));
    let mut order = unplaced.clone();
    order.sort_by(|a, b| full[*b].cmp(&full[*a]).then(inst[*a].code.cmp(&inst[*b].code)));
    let mut grouped: HashSet<usize> = HashSet::new();
    let mut n_groups = 0;
    for &start in &order {
        if grouped.contains(&start) {
            continue;
        }
        let mut group = vec![start];
        let mut total = full[start];
        let (la, lo) = loc(start).expect("located");
        let mut near: Vec<(f64, &str, usize)> = pool
            .within(inst[start].kind, la, lo, s.attach_radius_km)
            .into_iter()
            .filter(|&j| j != start && !grouped.contains(&j) && inst[start].kind.same_type(inst[j].kind))
            .filter_map(|j| dist(start, j).filter(|x| *x <= s.attach_radius_km).map(|x| (x, inst[j].code.as_str(), j)))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        for (_, _, j) in near {
            if total >= 3 || group.len() >= s.joint_max_institutions {
                break;
            }
            group.push(j);
            total += full[j];
        }
        if total >= 3 {
            n_groups += 1;
            let mut codes: Vec<String> = group.iter().map(|&g| inst[g].code.to_string()).collect();
            codes.sort();
            for &g in &group {
                grouped.insert(g);
                let mut r = Remedy::new(RemedyKind::JoinJoint);
                r.group = Some(format!("G{n_groups}"));
                r.members = Some(codes.clone());
                remedies.insert(g, r);
            }
        }
    }

    // Rule 4: attach far, or say there is nowhere to attach.
    for &i in &unplaced {
        if grouped.contains(&i) {
            continue;
        }
        let (la, lo) = loc(i).expect("located");
        let key = |t: usize| (dist(i, t).unwrap_or(f64::MAX), inst[t].code.to_string());
        match targets.nearest(inst[i].kind, la, lo, |t| t != i, key) {
            Some(t) => {
                let mut r = Remedy::new(RemedyKind::Attach);
                r.target = Some(inst[t].code.to_string());
                r.distance_km = dist(i, t).map(round_km);
                r.far = Some(true);
                remedies.insert(i, r);
            }
            None => {
                let mut r = Remedy::new(RemedyKind::Unresolved);
                r.reason = Some("no_same_type_org");
                remedies.insert(i, r);
            }
        }
    }

    for &(i, gap) in to_plan {
        if let Some(r) = remedies.get(&i) {
            out.push(Finding {
                institution: inst[i].code.to_string(),
                check: Check::Organization,
                gap,
                rule: gap.rule(),
                remedy: r.clone(),
            });
        }
    }
    out
}

/// Names for the sentences: institutions and organizations by code, and which organization
/// is each institution's own.
pub struct Names<'a> {
    institutions: HashMap<&'a str, &'a Institution>,
    orgs: HashMap<&'a str, &'a PartyOrg>,
    own_org: HashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    pub fn new(d: &'a Dataset) -> Self {
        let mut own_org = HashMap::new();
        for c in &d.coverages {
            if c.mode == CoverageMode::Own {
                own_org.entry(c.institution.as_str()).or_insert(c.org.as_str());
            }
        }
        Names {
            institutions: d.institutions.iter().map(|i| (i.code.as_str(), i)).collect(),
            orgs: d.orgs.iter().map(|o| (o.code.as_str(), o)).collect(),
            own_org,
        }
    }

    pub fn institution(&self, code: &str) -> Option<&'a Institution> {
        self.institutions.get(code).copied()
    }

    pub fn institution_name(&self, code: &str) -> String {
        self.institution(code).map(|i| i.name.clone()).unwrap_or_else(|| code.to_string())
    }

    pub fn org_name(&self, code: &str) -> String {
        self.orgs.get(code).map(|o| o.name.clone()).unwrap_or_else(|| code.to_string())
    }

    /// The organization an institution has of its own, by code.
    pub fn own_org(&self, institution: &str) -> Option<&'a str> {
        self.own_org.get(institution).copied()
    }

    /// The remedy as a sentence in Chinese, naming the schools, organizations and people.
    pub fn remedy_zh(&self, institution: &str, r: &Remedy) -> String {
        let people = |c: &Option<Vec<PersonRef>>| {
            c.as_ref().map(|v| v.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join("、")).unwrap_or_default()
        };
        match r.kind {
            RemedyKind::DevelopMembers => match &r.candidates {
                Some(_) => format!("在优秀青年教师、骨干教师中发展党员，建议重点培养：{}", people(&r.candidates)),
                None => "在优秀青年教师、骨干教师中物色培养对象，发展党员；或调配党员教师".to_string(),
            },
            RemedyKind::AssignInstructor => match &r.instructor {
                Some(p) => format!("由教育工委选派党建指导员，建议选派{}（目前指导学校最少）", p.name),
                None => "由教育工委选派党建指导员（目前没有在岗指导员，需新选派）".to_string(),
            },
            RemedyKind::RecordLeadership => "登记学校领导班子成员".to_string(),
            RemedyKind::AppointMemberCadre => match &r.candidates {
                Some(_) => format!("领导班子中配备党员干部，可优先培养班子成员：{}", people(&r.candidates)),
                None => "选派或调配党员干部进入领导班子".to_string(),
            },
            RemedyKind::EstablishBranch => "正式党员已满3名，单独建立党支部".to_string(),
            RemedyKind::Attach => {
                let target = r.target.as_deref().unwrap_or("");
                let org = self.own_org(target).map(|o| self.org_name(o));
                let km = r.distance_km.map(|d| format!("{d:.1}公里")).unwrap_or_else(|| "距离未知".to_string());
                let what = match org {
                    Some(o) => format!("{}（{}，{}）", self.institution_name(target), o, km),
                    None => format!("{}（{}）", self.institution_name(target), km),
                };
                if r.far == Some(true) {
                    format!("15公里内没有可挂靠的同类学校，挂靠最近的同类学校{what}")
                } else if self.institution(institution).and_then(|i| i.parent.as_ref()).is_some_and(|p| p.as_str() == target) {
                    format!("挂靠上级学校{what}")
                } else {
                    format!("就近挂靠{what}")
                }
            }
            RemedyKind::JoinJoint => {
                let names: Vec<String> =
                    r.members.as_ref().map(|m| m.iter().map(|c| self.institution_name(c)).collect()).unwrap_or_default();
                format!("与{}组建联合党支部（方案{}）", names.join("、"), r.group.as_deref().unwrap_or(""))
            }
            RemedyKind::ElectSecretary => format!("{}选举产生书记", self.org_name(r.org.as_deref().unwrap_or(""))),
            RemedyKind::HoldElection => format!(
                "{}任期已于{}届满，及时换届选举",
                self.org_name(r.org.as_deref().unwrap_or("")),
                r.expired_on.map(|d| d.to_string()).unwrap_or_default()
            ),
            RemedyKind::PlanOrg => "与学校建设同步谋划党组织设置".to_string(),
            RemedyKind::Unresolved => match r.reason {
                Some("no_location") => "无法就近安排：学校未登记经纬度，请补充坐标后重新核查".to_string(),
                _ => "无法就近安排：没有可挂靠的同类学校党组织，请教育工委研究联合组建或调配党员".to_string(),
            },
        }
    }
}

/// A warning in words.
pub fn warning_zh(code: &str) -> &'static str {
    match code {
        "term_expiring" => "任期将在6个月内届满，请提前准备换届（R1.7）",
        "committee_required" => "正式党员7名以上，应设立支部委员会（R1.4）",
        "joint_too_large" => "联合党支部覆盖超过5个单位（R1.2）",
        "consider_general_branch" => "党员超过50名，可考虑设立党总支（R1.3）",
        "consider_committee" => "党员超过100名，可考虑设立基层党委（R1.3）",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id_number::check_char;
    use crate::{IdNumber, InstitutionCode, OrgCode, RegionCode};

    const AS_OF: (i32, u32, u32) = (2026, 11, 26);

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A tiny registry builder for the edge cases.
    struct B {
        data: Dataset,
        seq: u32,
    }

    /// Degrees of latitude for a distance along a meridian.
    fn dlat(km: f64) -> f64 {
        km / (6371.0 * std::f64::consts::PI / 180.0)
    }

    impl B {
        fn new() -> Self {
            let mut data = Dataset::default();
            data.regions.push(Region {
                code: RegionCode::parse("370899").unwrap(),
                name: "示例县".into(),
                parent: None,
                level: RegionLevel::County,
            });
            B { data, seq: 0 }
        }
        fn inst(&mut self, code: &str, kind: InstitutionKind, ownership: Ownership, lat: Option<f64>) -> &mut Self {
            self.data.institutions.push(Institution {
                code: InstitutionCode::parse(code).unwrap(),
                name: format!("学校{code}"),
                kind,
                ownership,
                status: InstitutionStatus::Operating,
                town: RegionCode::parse("370899101").unwrap(),
                parent: None,
                longitude: lat.map(|_| 116.0),
                latitude: lat,
                students: None,
                classes: None,
            });
            self
        }
        fn person(
            &mut self,
            age: i64,
            stage: Option<DevelopmentStage>,
            backbone: bool,
            status: PoliticalStatus,
            at: &str,
            leader: bool,
        ) -> IdNumber {
            self.seq += 1;
            let birth = as_of() - chrono::Duration::days(age * 366);
            let first17 = format!("370899{}{:03}", birth.format("%Y%m%d"), self.seq);
            let id = IdNumber::parse_on(&format!("{first17}{}", check_char(&first17)), as_of()).unwrap();
            self.data.persons.push(Person { id_number: id.clone(), name: format!("人{}", self.seq), gender: Gender::Male, phone: None });
            self.data.staff.push(Staff {
                id_number: id.clone(),
                institution: InstitutionCode::parse(at).unwrap(),
                post: Some(Post::Teacher),
                leadership_role: if leader { Some(LeadershipRole::Principal) } else { None },
                political_status: status,
                development_stage: stage,
                backbone,
                head_teacher: false,
                mental_health: false,
                work_start: None,
            });
            id
        }
        fn org(&mut self, code: &str, kind: OrgKind, term_start: NaiveDate) -> &mut Self {
            self.data.orgs.push(PartyOrg {
                code: OrgCode::parse(code).unwrap(),
                name: code.into(),
                kind,
                parent: None,
                region: RegionCode::parse("370899").unwrap(),
                founded_on: None,
                term_start: Some(term_start),
                term_years: None,
                status: OrgStatus::Active,
            });
            self
        }
        fn cover(&mut self, org: &str, inst: &str, mode: CoverageMode) -> &mut Self {
            self.data.coverages.push(Coverage {
                org: OrgCode::parse(org).unwrap(),
                institution: InstitutionCode::parse(inst).unwrap(),
                mode,
            });
            self
        }
        /// `n` full members working at `inst` in `org`; the first is its secretary when asked.
        fn members(&mut self, n: usize, inst: &str, org: &str, secretary: bool, leader_first: bool) -> &mut Self {
            for k in 0..n {
                let id = self.person(40, None, false, PoliticalStatus::Member, inst, leader_first && k == 0);
                self.data.members.push(Member {
                    id_number: id,
                    category: MemberCategory::Full,
                    admitted_on: d(2010, 7, 1),
                    full_on: Some(d(2011, 7, 1)),
                    org: OrgCode::parse(org).unwrap(),
                    work_institution: Some(InstitutionCode::parse(inst).unwrap()),
                    party_post: if secretary && k == 0 { Some(PartyPost::Secretary) } else { None },
                    education: None,
                });
            }
            self
        }
        /// A sound own branch for `inst` with `n` full members.
        fn sound(&mut self, inst: &str, org: &str, n: usize) -> &mut Self {
            self.org(org, OrgKind::Branch, d(2025, 1, 1)).cover(org, inst, CoverageMode::Own).members(n, inst, org, true, true)
        }
        fn run(&self) -> AuditResult {
            audit(&self.data, as_of(), "370899", &AuditSettings::default())
        }
    }

    fn gaps(r: &AuditResult, inst: &str) -> Vec<&'static str> {
        r.findings.iter().filter(|f| f.institution == inst).map(|f| f.gap.code()).collect()
    }

    fn remedy<'a>(r: &'a AuditResult, inst: &str, gap: Gap) -> &'a Remedy {
        &r.findings
            .iter()
            .find(|f| f.institution == inst && f.gap == gap)
            .unwrap_or_else(|| panic!("{inst} {gap:?} in {:?}", r.findings))
            .remedy
    }

    #[test]
    fn rates_round_half_up_exactly() {
        assert_eq!(rate(8, 11), 0.7273);
        assert_eq!(rate(1, 3), 0.3333);
        assert_eq!(rate(2, 3), 0.6667);
        assert_eq!(rate(1, 8), 0.125);
        assert_eq!(rate(1, 16), 0.0625);
        assert_eq!(rate(1, 32), 0.0313, "0.03125 rounds up");
        assert_eq!(rate(0, 0), 0.0);
        assert_eq!(round_km(3.25), 3.3);
        assert_eq!(round_km(3.24999), 3.2);
    }

    #[test]
    fn a_public_school_without_members_gets_candidates_in_order() {
        let mut b = B::new();
        b.inst("S001", InstitutionKind::Primary, Ownership::Public, Some(35.0));
        let old_backbone = b.person(50, None, true, PoliticalStatus::Masses, "S001", true);
        let young = b.person(25, None, false, PoliticalStatus::League, "S001", false);
        let applicant = b.person(45, Some(DevelopmentStage::Applicant), false, PoliticalStatus::Masses, "S001", false);
        let young_backbone = b.person(30, None, true, PoliticalStatus::Masses, "S001", false);
        let candidate = b.person(40, Some(DevelopmentStage::Candidate), false, PoliticalStatus::Masses, "S001", false);
        let activist = b.person(33, Some(DevelopmentStage::Activist), false, PoliticalStatus::Masses, "S001", false);
        b.person(26, None, false, PoliticalStatus::DemocraticParty, "S001", false);
        b.person(50, None, false, PoliticalStatus::Masses, "S001", false);
        let r = b.run();
        let c = remedy(&r, "S001", Gap::NoMembers);
        assert_eq!(c.kind, RemedyKind::DevelopMembers);
        let ids: Vec<String> = c.candidates.as_ref().unwrap().iter().map(|p| p.id.clone()).collect();
        let want: Vec<String> = [&candidate, &activist, &applicant, &young_backbone, &young].iter().map(|i| i.masked()).collect();
        assert_eq!(ids, want, "five at most: old backbone is sixth, the democratic-party member and the others never listed");
        let _ = old_backbone;
        assert_eq!(gaps(&r, "S001"), vec!["no_members", "leadership_no_member"]);
        assert_eq!(r.rates.members, 0.0);
    }

    #[test]
    fn private_schools_and_instructors() {
        let mut b = B::new();
        b.inst("P001", InstitutionKind::Kindergarten, Ownership::Private, Some(35.0));
        b.inst("P002", InstitutionKind::Training, Ownership::Private, Some(35.0));
        b.inst("P003", InstitutionKind::Training, Ownership::Private, Some(35.0));
        b.person(30, Some(DevelopmentStage::Activist), false, PoliticalStatus::Masses, "P001", true);
        b.person(30, None, false, PoliticalStatus::Masses, "P002", true);
        let busy = b.person(45, None, false, PoliticalStatus::Member, "P003", false);
        b.data.staff.pop();
        let idle = b.person(45, None, false, PoliticalStatus::Member, "P003", false);
        b.data.staff.pop();
        for (who, at) in [(&busy, "P001"), (&busy, "P003"), (&idle, "P003")] {
            b.data.instructors.push(Instructor {
                id_number: who.clone(),
                institution: InstitutionCode::parse(at).unwrap(),
                assigned_on: d(2025, 1, 1),
                status: InstructorStatus::Active,
            });
        }
        // An assignment that starts after the audit date does not count yet.
        b.data.instructors.push(Instructor {
            id_number: busy.clone(),
            institution: InstitutionCode::parse("P002").unwrap(),
            assigned_on: d(2027, 1, 1),
            status: InstructorStatus::Active,
        });
        let r = b.run();
        // With an instructor: members still missing (develop), organization passes (R1.9).
        assert_eq!(gaps(&r, "P001"), vec!["no_members_private", "leadership_no_member"]);
        assert_eq!(remedy(&r, "P001", Gap::NoMembersPrivate).kind, RemedyKind::DevelopMembers);
        // Without one: assign the person instructing the fewest institutions.
        assert_eq!(gaps(&r, "P002"), vec!["no_members_private", "leadership_no_member", "no_instructor"]);
        let assign = remedy(&r, "P002", Gap::NoInstructor);
        assert_eq!(assign.kind, RemedyKind::AssignInstructor);
        assert_eq!(assign.instructor.as_ref().unwrap().id, idle.masked());
        assert_eq!(remedy(&r, "P002", Gap::NoMembersPrivate).instructor.as_ref().unwrap().id, idle.masked());
        let outcome = |c: &str| r.outcomes.iter().find(|o| o.institution == c).unwrap().passed;
        assert_eq!(outcome("P001"), [false, false, true]);
        assert_eq!(outcome("P002"), [false, false, false]);
    }

    #[test]
    fn nobody_to_assign_leaves_the_field_out() {
        let mut b = B::new();
        b.inst("P001", InstitutionKind::Training, Ownership::Private, Some(35.0));
        let r = b.run();
        let j = serde_json::to_value(remedy(&r, "P001", Gap::NoInstructor)).unwrap();
        assert_eq!(j, serde_json::json!({"kind": "assign_instructor"}));
        assert_eq!(gaps(&r, "P001"), vec!["no_members_private", "leadership_missing", "no_instructor"]);
    }

    #[test]
    fn organization_gaps_and_their_remedies() {
        let mut b = B::new();
        // Uncovered with 3 full members: establish a branch (R1.1).
        b.inst("U003", InstitutionKind::Junior, Ownership::Public, Some(35.0))
            .org("TOP", OrgKind::Committee, d(2025, 1, 1))
            .members(3, "U003", "TOP", false, true);
        // No secretary (R1.4) and an expired term (R1.6) on the same branch.
        b.inst("N001", InstitutionKind::Senior, Ownership::Public, Some(36.0));
        b.org("NS-ZB", OrgKind::Branch, d(2023, 11, 25)).cover("NS-ZB", "N001", CoverageMode::Own).members(4, "N001", "NS-ZB", false, true);
        let r = b.run();
        assert_eq!(gaps(&r, "U003"), vec!["uncovered"]);
        assert_eq!(remedy(&r, "U003", Gap::Uncovered).kind, RemedyKind::EstablishBranch);
        assert_eq!(gaps(&r, "N001"), vec!["no_secretary", "term_expired"]);
        let e = remedy(&r, "N001", Gap::TermExpired);
        assert_eq!((e.org.as_deref(), e.expired_on), (Some("NS-ZB"), Some(d(2026, 11, 25))));
        assert_eq!(remedy(&r, "N001", Gap::NoSecretary).org.as_deref(), Some("NS-ZB"));
    }

    #[test]
    fn term_expiry_on_the_day_itself() {
        for (start, expired) in [(d(2023, 11, 26), false), (d(2023, 11, 25), true), (d(2023, 11, 27), false)] {
            let mut b = B::new();
            b.inst("T001", InstitutionKind::Primary, Ownership::Public, Some(35.0))
                .org("T-ZB", OrgKind::Branch, start)
                .cover("T-ZB", "T001", CoverageMode::Own)
                .members(3, "T001", "T-ZB", true, true);
            let r = b.run();
            assert_eq!(gaps(&r, "T001").contains(&"term_expired"), expired, "term started {start}");
            // On the day it ends, the term is expiring (R1.7), not expired.
            if start == d(2023, 11, 26) {
                assert_eq!(
                    r.warnings,
                    vec![Warning { org: "T-ZB".into(), code: "term_expiring", rule: "R1.7", ends_on: Some(d(2026, 11, 26)) }]
                );
            }
        }
    }

    #[test]
    fn teaching_points_attach_to_their_parent_at_any_distance() {
        let mut b = B::new();
        b.inst("C001", InstitutionKind::Primary, Ownership::Public, Some(35.0)).sound("C001", "C-ZB", 5);
        b.inst("T001", InstitutionKind::TeachingPoint, Ownership::Public, Some(35.0 + dlat(40.0)));
        b.data.institutions.last_mut().unwrap().parent = Some(InstitutionCode::parse("C001").unwrap());
        b.org("TOP", OrgKind::Committee, d(2025, 1, 1)).members(1, "T001", "TOP", false, true);
        let r = b.run();
        let a = remedy(&r, "T001", Gap::UncoveredSmall);
        assert_eq!((a.kind, a.target.as_deref(), a.distance_km, a.far), (RemedyKind::Attach, Some("C001"), Some(40.0), None));
    }

    fn attach_case(km: f64) -> AuditResult {
        let mut b = B::new();
        b.inst("A001", InstitutionKind::Primary, Ownership::Public, Some(35.0)).sound("A001", "A-ZB", 5);
        b.inst("A002", InstitutionKind::Primary, Ownership::Public, Some(35.0 + dlat(km)))
            .org("TOP", OrgKind::Committee, d(2025, 1, 1))
            .members(2, "A002", "TOP", false, true);
        b.run()
    }

    #[test]
    fn radius_edges() {
        let inside = attach_case(14.99);
        let a = remedy(&inside, "A002", Gap::UncoveredSmall);
        assert_eq!((a.target.as_deref(), a.distance_km, a.far), (Some("A001"), Some(15.0), None));
        let outside = attach_case(15.01);
        let a = remedy(&outside, "A002", Gap::UncoveredSmall);
        assert_eq!((a.target.as_deref(), a.distance_km, a.far), (Some("A001"), Some(15.0), Some(true)), "beyond the radius: attach far");
    }

    #[test]
    fn only_same_type_targets_and_missing_locations() {
        let mut b = B::new();
        b.inst("K001", InstitutionKind::Kindergarten, Ownership::Public, Some(35.0)).sound("K001", "K-ZB", 5);
        b.inst("J001", InstitutionKind::CompleteMiddle, Ownership::Public, Some(35.0 + dlat(2.0))).sound("J001", "J-ZB", 5);
        b.org("TOP", OrgKind::Committee, d(2025, 1, 1));
        b.inst("J002", InstitutionKind::Junior, Ownership::Private, Some(35.0 + dlat(0.5))).members(1, "J002", "TOP", false, true);
        b.inst("P009", InstitutionKind::Primary, Ownership::Public, Some(35.0)).members(1, "P009", "TOP", false, true);
        b.inst("X001", InstitutionKind::Primary, Ownership::Public, None).members(2, "X001", "TOP", false, true);
        let r = b.run();
        let a = remedy(&r, "J002", Gap::UncoveredSmall);
        assert_eq!(
            (a.target.as_deref(), a.distance_km),
            (Some("J001"), Some(1.5)),
            "junior and complete middle share a stage; the kindergarten does not"
        );
        let p = remedy(&r, "P009", Gap::UncoveredSmall);
        assert_eq!((p.kind, p.reason), (RemedyKind::Unresolved, Some("no_same_type_org")));
        let x = remedy(&r, "X001", Gap::UncoveredSmall);
        assert_eq!((x.kind, x.reason), (RemedyKind::Unresolved, Some("no_location")));
    }

    #[test]
    fn the_planner_groups_at_least_three_full_members_and_at_most_five_institutions() {
        let mut b = B::new();
        b.org("TOP", OrgKind::Committee, d(2025, 1, 1));
        // Six schools with one full member each, 1 km apart in a line; no sound organization anywhere.
        for k in 0..6 {
            let code = format!("G00{k}");
            b.inst(&code, InstitutionKind::Primary, Ownership::Public, Some(35.0 + dlat(k as f64))).members(1, &code, "TOP", false, true);
        }
        let r = b.run();
        let groups: Vec<(String, Vec<String>)> = (0..6)
            .map(|k| {
                let rem = remedy(&r, &format!("G00{k}"), Gap::UncoveredSmall);
                (rem.group.clone().unwrap_or_default(), rem.members.clone().unwrap_or_default())
            })
            .collect();
        // Ties at one full member: by code. G000 starts, adds its nearest (G001, G002): 3 full members.
        assert_eq!(groups[0], ("G1".into(), vec!["G000".into(), "G001".into(), "G002".into()]));
        assert_eq!(groups[3], ("G2".into(), vec!["G003".into(), "G004".into(), "G005".into()]));

        // Five institutions and still fewer than three full members: dropped, then attach or unresolved.
        let mut b = B::new();
        b.org("TOP", OrgKind::Committee, d(2025, 1, 1));
        b.inst("H000", InstitutionKind::Primary, Ownership::Public, Some(35.0));
        let h000 = b.person(30, None, false, PoliticalStatus::Probationary, "H000", true);
        b.data.members.push(Member {
            id_number: h000,
            category: MemberCategory::Probationary,
            admitted_on: d(2026, 6, 1),
            full_on: None,
            org: OrgCode::parse("TOP").unwrap(),
            work_institution: Some(InstitutionCode::parse("H000").unwrap()),
            party_post: None,
            education: None,
        });
        for k in 1..6 {
            let code = format!("H00{k}");
            b.inst(&code, InstitutionKind::Primary, Ownership::Public, Some(35.0 + dlat(k as f64 * 0.5)));
            if k == 5 {
                b.members(2, &code, "TOP", false, true);
            }
        }
        // H001–H004 have no members: they are not planned (no organization gap without members),
        // so H000 (probationary only) and H005 (2 full) are the pool: 2 full members in all.
        let r = b.run();
        for c in ["H000", "H005"] {
            let rem = remedy(&r, c, Gap::UncoveredSmall);
            assert_eq!(rem.kind, RemedyKind::Unresolved, "{c}");
        }
    }

    #[test]
    fn warnings_for_organizations() {
        let mut b = B::new();
        b.inst("W001", InstitutionKind::Primary, Ownership::Public, Some(35.0)).sound("W001", "W-ZB", 51);
        b.org("W-LH", OrgKind::JointBranch, d(2025, 1, 1));
        for k in 0..6 {
            let code = format!("L00{k}");
            b.inst(&code, InstitutionKind::Primary, Ownership::Public, Some(35.5)).cover("W-LH", &code, CoverageMode::Joint).members(
                1,
                &code,
                "W-LH",
                k == 0,
                true,
            );
        }
        b.org("W-ZZ", OrgKind::GeneralBranch, d(2025, 1, 1)).members(101, "W001", "W-ZZ", true, false);
        let r = b.run();
        let codes: Vec<(&str, &str)> = r.warnings.iter().map(|w| (w.org.as_str(), w.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("W-LH", "joint_too_large"),
                ("W-ZB", "committee_required"),
                ("W-ZB", "consider_general_branch"),
                ("W-ZZ", "committee_required"),
                ("W-ZZ", "consider_committee")
            ]
        );
    }

    #[test]
    fn the_demo_county_has_findings_of_every_kind() {
        let d = crate::synth::demo_county(370828, as_of());
        let r = audit(&d, as_of(), "370828", &AuditSettings::default());
        for g in Gap::ALL {
            assert!(r.findings.iter().any(|f| f.gap == g), "{g:?} missing");
        }
        for k in
            [RemedyKind::Attach, RemedyKind::Unresolved, RemedyKind::DevelopMembers, RemedyKind::AssignInstructor, RemedyKind::HoldElection]
        {
            assert!(r.findings.iter().any(|f| f.remedy.kind == k), "{k:?} missing");
        }
        for w in ["term_expiring", "committee_required", "joint_too_large", "consider_general_branch", "consider_committee"] {
            assert!(r.warnings.iter().any(|x| x.code == w), "{w} missing");
        }
        assert_eq!(r.institutions.planned, 2);
        // Deterministic: the same data gives the same result.
        let again = audit(&d, as_of(), "370828", &AuditSettings::default());
        assert_eq!(serde_json::to_string(&r).unwrap(), serde_json::to_string(&again).unwrap());
        let sorted = r.findings.windows(2).all(|w| (&w[0].institution, w[0].check, w[0].gap) <= (&w[1].institution, w[1].check, w[1].gap));
        assert!(sorted);
    }
}
