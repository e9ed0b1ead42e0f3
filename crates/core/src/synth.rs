//! Generated registries: the demo county (金乡县, deterministic for a seed and a date) and
//! synthetic regions of any size for benchmarks. Both produce plain records; the store saves them.
use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate};

use crate::id_number::check_char;
use crate::labels::*;
use crate::registry::*;
use crate::rng::Rng;
use crate::{IdNumber, InstitutionCode, OrgCode, Phone, RegionCode};

/// Everything a generator produces, in the order the store must save it.
#[derive(Debug, Default, Clone)]
pub struct Dataset {
    pub regions: Vec<Region>,
    pub institutions: Vec<Institution>,
    pub persons: Vec<Person>,
    pub staff: Vec<Staff>,
    pub orgs: Vec<PartyOrg>,
    pub coverages: Vec<Coverage>,
    pub members: Vec<Member>,
    pub instructors: Vec<Instructor>,
    /// Schools' figures per school year (the ledger's 学校业务指标 sheet).
    pub indicators: Vec<crate::school::SchoolIndicators>,
}

impl Dataset {
    pub fn append(&mut self, mut other: Dataset) {
        self.regions.append(&mut other.regions);
        self.institutions.append(&mut other.institutions);
        self.persons.append(&mut other.persons);
        self.staff.append(&mut other.staff);
        self.orgs.append(&mut other.orgs);
        self.coverages.append(&mut other.coverages);
        self.members.append(&mut other.members);
        self.instructors.append(&mut other.instructors);
        self.indicators.append(&mut other.indicators);
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋",
    "郑", "谢", "韩", "唐", "冯", "于", "董", "程", "曹", "袁", "邓", "许", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁",
    "魏", "薛", "叶", "闫", "潘", "杜", "夏", "田", "任", "姜", "范", "方", "石", "姚", "孔", "孟", "司", "颜", "鲁", "曲", "郝", "岳",
    "甄", "侯", "邵", "毛",
];
const MALE_GIVEN: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊",
    "帆", "帅", "旭", "宁", "龙", "林", "阳", "建", "国", "志", "文", "庆", "成", "东", "海", "峰", "振", "广",
];
const FEMALE_GIVEN: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "颖", "倩", "洁", "琳", "晶", "萍", "红", "梅", "莉",
    "悦", "欣", "佳", "璐", "楠", "蕾", "薇", "媛", "岚", "秀", "英", "华", "凤", "青", "云", "月", "冉", "爽",
];

/// Makes people with plausible names, unique valid ID numbers and phones.
pub struct PersonMaker {
    rng: Rng,
    used: HashSet<String>,
    area: String,
}

impl PersonMaker {
    pub fn new(seed: u64, area: &str) -> Self {
        PersonMaker { rng: Rng::new(seed), used: HashSet::new(), area: area.to_string() }
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// A person born between the given ages on `today`.
    pub fn person(&mut self, today: NaiveDate, min_age: i64, max_age: i64) -> Person {
        let male = self.rng.chance(0.42);
        let surname = *self.rng.pick(SURNAMES);
        let given_list = if male { MALE_GIVEN } else { FEMALE_GIVEN };
        let mut name = surname.to_string();
        name.push_str(self.rng.pick::<&str>(given_list));
        if self.rng.chance(0.6) {
            name.push_str(self.rng.pick::<&str>(given_list));
        }
        let id = loop {
            let age_days = self.rng.range(min_age * 365 + 1, max_age * 365 + 300);
            let birth = today - Duration::days(age_days);
            let mut seq = self.rng.range(0, 999) as u32;
            if (seq % 2 == 1) != male {
                seq = (seq + 1) % 1000;
            }
            let first17 = format!("{}{}{seq:03}", self.area, birth.format("%Y%m%d"));
            let full = format!("{first17}{}", check_char(&first17));
            if self.used.insert(full.clone()) {
                break IdNumber::parse_on(&full, today).expect("generated numbers are valid");
            }
        };
        let prefixes = [
            "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182", "187", "188", "130", "131", "132", "155",
            "156", "186", "133", "153", "180", "189", "177",
        ];
        let phone = format!("{}{:08}", self.rng.pick(&prefixes), self.rng.range(0, 100_000_000));
        Person {
            id_number: id,
            name,
            gender: if male { Gender::Male } else { Gender::Female },
            phone: Some(Phone::parse(&phone).expect("generated phones are valid")),
        }
    }
}

/// The 13 towns and streets of 金乡县 with approximate centres.
pub const JINXIANG_TOWNS: &[(&str, &str, f64, f64)] = &[
    ("370828001", "金乡街道", 35.070, 116.310),
    ("370828002", "高河街道", 35.045, 116.282),
    ("370828003", "王丕街道", 35.102, 116.262),
    ("370828004", "鱼山街道", 35.080, 116.352),
    ("370828101", "胡集镇", 35.165, 116.221),
    ("370828102", "司马镇", 34.998, 116.392),
    ("370828103", "鸡黍镇", 35.131, 116.408),
    ("370828104", "羊山镇", 34.972, 116.262),
    ("370828105", "卜集镇", 35.172, 116.332),
    ("370828106", "化雨镇", 34.948, 116.352),
    ("370828107", "兴隆镇", 35.021, 116.198),
    ("370828108", "马庙镇", 35.108, 116.458),
    ("370828109", "霄云镇", 34.986, 116.462),
];

const VILLAGES: &[&str] = &[
    "前王", "后李", "张庄", "刘楼", "陈集", "杨店", "赵堂", "黄庄", "周庙", "吴村", "徐集", "孙楼", "胡庄", "朱洼", "高庄", "林寨", "何楼",
    "郭村", "马集", "罗屯", "梁庄", "宋楼", "郑集", "谢庄", "韩楼", "唐庙", "冯集", "于庄", "董楼", "程庄", "曹集", "袁楼", "邓庄", "许集",
    "沈楼", "曾庄", "彭集", "吕楼", "苏庄", "卢集", "蒋楼", "蔡庄",
];

/// How many staff, and what share are members, for one institution profile.
struct Profile {
    staff: i64,
    member_share: f64,
}

struct Builder {
    today: NaiveDate,
    people: PersonMaker,
    data: Dataset,
    next_code: u32,
    county: String,
}

/// Options for one generated institution.
#[derive(Clone, Copy)]
struct Plan {
    kind: InstitutionKind,
    ownership: Ownership,
    status: InstitutionStatus,
    staff: i64,
    /// Exactly this many full members (and `probationary` probationary ones), or a share.
    full: Option<i64>,
    share: f64,
    probationary: i64,
    /// Whether the leadership team includes a member.
    leader_member: bool,
    record_leadership: bool,
    located: bool,
}

impl Plan {
    fn new(kind: InstitutionKind, ownership: Ownership, p: Profile) -> Self {
        Plan {
            kind,
            ownership,
            status: InstitutionStatus::Operating,
            staff: p.staff,
            full: None,
            share: p.member_share,
            probationary: 0,
            leader_member: true,
            record_leadership: true,
            located: true,
        }
    }
    fn full(mut self, n: i64) -> Self {
        self.full = Some(n);
        self
    }
    fn probationary(mut self, n: i64) -> Self {
        self.probationary = n;
        self
    }
    fn leader_member(mut self, b: bool) -> Self {
        self.leader_member = b;
        self
    }
    fn no_leadership(mut self) -> Self {
        self.record_leadership = false;
        self
    }
    fn status(mut self, s: InstitutionStatus) -> Self {
        self.status = s;
        self
    }
    fn unlocated(mut self) -> Self {
        self.located = false;
        self
    }
}

/// Members made for one institution, waiting for an organization.
struct Made {
    code: InstitutionCode,
    /// (index into data.members) for this institution's members.
    members: Vec<usize>,
}

const PENDING_ORG: &str = "PENDING";

impl Builder {
    fn new(seed: u64, today: NaiveDate, county: &str) -> Self {
        Builder { today, people: PersonMaker::new(seed, county), data: Dataset::default(), next_code: 1, county: county.to_string() }
    }

    fn rng(&mut self) -> &mut Rng {
        self.people.rng()
    }

    fn date_years_ago(&mut self, min: i64, max: i64) -> NaiveDate {
        let days = self.rng().range(min * 365, max * 365 + 1);
        self.today - Duration::days(days)
    }

    fn institution(&mut self, name: &str, town: (&str, f64, f64), parent: Option<&InstitutionCode>, plan: Plan) -> Made {
        let code = InstitutionCode::parse(&format!("{}{:04}", self.county, self.next_code)).expect("valid");
        self.next_code += 1;
        let (town_code, lat0, lon0) = town;
        let (lat, lon) = if plan.located {
            let dlat = (self.rng().float() - 0.5) * 0.06;
            let dlon = (self.rng().float() - 0.5) * 0.07;
            (Some(((lat0 + dlat) * 1e5).round() / 1e5), Some(((lon0 + dlon) * 1e5).round() / 1e5))
        } else {
            (None, None)
        };
        let classes = match plan.kind {
            InstitutionKind::Training => None,
            InstitutionKind::TeachingPoint => Some(self.rng().range(2, 5)),
            _ => Some((plan.staff / 2).max(3) + self.rng().range(0, 4)),
        };
        let per_class = match plan.kind {
            InstitutionKind::Kindergarten => (25, 36),
            InstitutionKind::TeachingPoint => (12, 30),
            InstitutionKind::Senior | InstitutionKind::CompleteMiddle => (45, 68),
            _ => (35, 62),
        };
        let students = match (plan.status, classes) {
            (InstitutionStatus::Planned, _) => None,
            (_, Some(c)) => Some(c * self.rng().range(per_class.0, per_class.1)),
            (_, None) => Some(self.rng().range(40, 300)),
        };
        self.data.institutions.push(Institution {
            code: code.clone(),
            name: name.to_string(),
            kind: plan.kind,
            ownership: plan.ownership,
            status: plan.status,
            town: RegionCode::parse(town_code).expect("valid"),
            parent: parent.cloned(),
            longitude: lon,
            latitude: lat,
            students: if plan.status == InstitutionStatus::Planned { None } else { students },
            classes: if plan.status == InstitutionStatus::Planned { None } else { classes },
        });
        let mut made = Made { code: code.clone(), members: Vec::new() };
        if plan.staff == 0 {
            return made;
        }
        // Without a fixed count, about one member in twenty is still probationary (R2.10).
        let (full_target, probationary) = match plan.full {
            Some(full) => (full, plan.probationary),
            None => {
                let members = ((plan.staff as f64) * plan.share).round() as i64;
                let probationary = (members as f64 * 0.05).round() as i64;
                (members - probationary, probationary)
            }
        };
        let member_target = full_target + probationary;
        let kg = plan.kind == InstitutionKind::Kindergarten;
        let private = plan.ownership == Ownership::Private;
        for n in 0..plan.staff {
            let leadership = if !plan.record_leadership {
                None
            } else {
                match n {
                    0 if private => Some(if kg { LeadershipRole::KindergartenHead } else { LeadershipRole::Head }),
                    0 => Some(if kg { LeadershipRole::KindergartenHead } else { LeadershipRole::Principal }),
                    1 if private && plan.staff > 6 => Some(LeadershipRole::BoardChair),
                    1 if plan.staff > 8 => Some(if kg { LeadershipRole::KindergartenDeputy } else { LeadershipRole::VicePrincipal }),
                    2 if plan.staff > 40 => Some(LeadershipRole::VicePrincipal),
                    3 if plan.staff > 60 && !private => Some(LeadershipRole::DeputySecretary),
                    _ => None,
                }
            };
            let (min_age, max_age) = if leadership.is_some() { (36, 57) } else { (22, 59) };
            let person = self.people.person(self.today, min_age, max_age);
            let age = person.id_number.age_on(self.today) as i64;
            // Members first among leaders (when the plan wants it), then spread over the staff.
            let idx_member = (made.members.len() as i64) < member_target
                && if leadership.is_some() {
                    plan.leader_member
                } else {
                    let remaining_staff = plan.staff - n;
                    let remaining = member_target - made.members.len() as i64;
                    remaining >= remaining_staff || self.rng().chance(remaining as f64 / remaining_staff as f64)
                };
            let is_member = idx_member && (leadership.is_none() || plan.leader_member);
            let probationary = is_member && (made.members.len() as i64) >= full_target;
            let political_status = if is_member {
                if probationary { PoliticalStatus::Probationary } else { PoliticalStatus::Member }
            } else if age < 28 && self.rng().chance(0.5) {
                PoliticalStatus::League
            } else if self.rng().chance(0.04) {
                PoliticalStatus::DemocraticParty
            } else {
                PoliticalStatus::Masses
            };
            let development_stage = if is_member || political_status == PoliticalStatus::DemocraticParty {
                None
            } else {
                let r = self.rng().float();
                let young = age <= 35;
                // The head of a school without a member in its team is a 发展对象 (the audit's
                // appoint_member_cadre remedy has someone to name).
                let head_without_member = leadership.is_some() && !plan.leader_member && n == 0;
                if head_without_member || r < if young { 0.03 } else { 0.01 } {
                    Some(DevelopmentStage::Candidate)
                } else if r < if young { 0.08 } else { 0.025 } {
                    Some(DevelopmentStage::Activist)
                } else if r < if young { 0.16 } else { 0.05 } {
                    Some(DevelopmentStage::Applicant)
                } else {
                    None
                }
            };
            let work_years = (age - 22).max(0);
            let work_start = if work_years > 0 { Some(self.date_years_ago(0, work_years.min(38))) } else { None };
            let post = if leadership.is_some() {
                Post::Management
            } else if self.rng().chance(0.88) {
                Post::Teacher
            } else if self.rng().chance(0.5) {
                Post::Support
            } else {
                Post::Management
            };
            let teacher = post == Post::Teacher;
            let staff = Staff {
                id_number: person.id_number.clone(),
                institution: code.clone(),
                post: Some(post),
                leadership_role: leadership,
                political_status,
                development_stage,
                backbone: teacher && age >= 28 && self.rng().chance(0.22),
                head_teacher: teacher && plan.kind != InstitutionKind::Training && self.rng().chance(0.4),
                mental_health: teacher && self.rng().chance(0.04),
                work_start,
            };
            if is_member {
                let full_years = (age - 24).clamp(2, 35);
                let (admitted_on, full_on, category) = if probationary {
                    // Some have reached the end of probation (R2.10): the branch is due to meet.
                    let a = self.today - Duration::days(self.rng().range(30, 380));
                    (a, None, MemberCategory::Probationary)
                } else {
                    let a = self.date_years_ago(1, full_years);
                    let f = a + Duration::days(365 + self.rng().range(0, 20));
                    let f = if f > self.today { self.today - Duration::days(1) } else { f };
                    let a = if f <= a { f - Duration::days(366) } else { a };
                    (a, Some(f), MemberCategory::Full)
                };
                // 学历 by age: the young mostly graduates, some postgraduates; older members more often
                // college diplomas. Drawn from the ID number, not the generator, so the rest of the
                // county stays as it was for a seed.
                let roll =
                    i64::from(person.id_number.as_str().bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 100);
                let education = match (person.id_number.age_on(self.today), roll) {
                    (..=35, 0..=14) => Education::Postgraduate,
                    (..=35, _) => Education::Bachelor,
                    (36..=45, 0..=69) => Education::Bachelor,
                    (36..=45, _) => Education::College,
                    (_, 0..=39) => Education::Bachelor,
                    (_, 40..=84) => Education::College,
                    _ => Education::Secondary,
                };
                made.members.push(self.data.members.len());
                self.data.members.push(Member {
                    id_number: person.id_number.clone(),
                    category,
                    admitted_on,
                    full_on,
                    org: OrgCode::parse(PENDING_ORG).expect("valid"),
                    work_institution: Some(code.clone()),
                    party_post: None,
                    education: Some(education),
                });
            }
            self.data.persons.push(person);
            self.data.staff.push(staff);
        }
        made
    }

    /// Keep the staff sheet's 政治面貌 in step with members made probationary afterwards.
    fn mark_probationary(&mut self, ids: &[IdNumber]) {
        for s in self.data.staff.iter_mut().filter(|s| ids.contains(&s.id_number)) {
            s.political_status = PoliticalStatus::Probationary;
        }
    }

    fn org(&mut self, code: &str, name: &str, kind: OrgKind, parent: Option<&str>, term_start: NaiveDate) -> OrgCode {
        let code = OrgCode::parse(code).expect("valid org code");
        let founded = term_start - Duration::days(365 * self.rng().range(3, 20));
        self.data.orgs.push(PartyOrg {
            code: code.clone(),
            name: name.to_string(),
            kind,
            parent: parent.map(|p| OrgCode::parse(p).expect("valid")),
            region: RegionCode::parse(&self.county).expect("valid"),
            founded_on: Some(founded),
            term_start: Some(term_start),
            term_years: None,
            status: OrgStatus::Active,
        });
        code
    }

    fn recent_term(&mut self, kind: OrgKind) -> NaiveDate {
        // A term that started between 7 months and (term − 7 months) ago: current, not expiring.
        let years = kind.default_term_years() as i64;
        self.today - Duration::days(self.rng().range(215, years * 365 - 215))
    }

    fn cover(&mut self, org: &OrgCode, inst: &InstitutionCode, mode: CoverageMode) {
        self.data.coverages.push(Coverage { org: org.clone(), institution: inst.clone(), mode });
    }

    /// Put the institutions' members in `org` and give the organization its posts: a secretary,
    /// and a committee when R1.4 calls for one (unless told otherwise).
    fn enrol(&mut self, org: &OrgCode, made: &[&Made], posts: Posts) {
        let idx: Vec<usize> = made.iter().flat_map(|m| m.members.iter().copied()).collect();
        for &i in &idx {
            self.data.members[i].org = org.clone();
        }
        let full: Vec<usize> = idx.iter().copied().filter(|&i| self.data.members[i].category == MemberCategory::Full).collect();
        let assign: &[PartyPost] = match posts {
            Posts::None => &[],
            Posts::SecretaryOnly => &[PartyPost::Secretary],
            Posts::Normal if full.len() >= 7 => &[
                PartyPost::Secretary,
                PartyPost::OrganizationCommissioner,
                PartyPost::PropagandaCommissioner,
                PartyPost::DisciplineCommissioner,
                PartyPost::AffairsWorker,
            ],
            Posts::Normal => &[PartyPost::Secretary],
        };
        for (post, &i) in assign.iter().zip(full.iter()) {
            self.data.members[i].party_post = Some(*post);
        }
    }
}

#[derive(Clone, Copy)]
enum Posts {
    Normal,
    SecretaryOnly,
    None,
}

/// The demo county: 金乡县 (370828) with its 13 towns and streets, about 220 institutions,
/// 7,000 staff, 2,200 members and 150 organizations, with deliberate gaps of every kind in
/// spec/COVERAGE.md. The same `seed` and `today` give the same county.
pub fn demo_county(seed: u64, today: NaiveDate) -> Dataset {
    use InstitutionKind as K;
    use Ownership::{Private, Public};
    let mut b = Builder::new(seed, today, "370828");
    b.data.regions.push(Region {
        code: RegionCode::parse("370000").unwrap(),
        name: "山东省".into(),
        parent: None,
        level: RegionLevel::Province,
    });
    b.data.regions.push(Region {
        code: RegionCode::parse("370800").unwrap(),
        name: "济宁市".into(),
        parent: Some(RegionCode::parse("370000").unwrap()),
        level: RegionLevel::City,
    });
    b.data.regions.push(Region {
        code: RegionCode::parse("370828").unwrap(),
        name: "金乡县".into(),
        parent: Some(RegionCode::parse("370800").unwrap()),
        level: RegionLevel::County,
    });
    for (code, name, _, _) in JINXIANG_TOWNS {
        b.data.regions.push(Region {
            code: RegionCode::parse(code).unwrap(),
            name: (*name).into(),
            parent: Some(RegionCode::parse("370828").unwrap()),
            level: RegionLevel::Town,
        });
    }
    let town = |i: usize| (JINXIANG_TOWNS[i].0, JINXIANG_TOWNS[i].2, JINXIANG_TOWNS[i].3);
    let prof = |staff: i64, share: f64| Profile { staff, member_share: share };

    let top = "JX-JYGW";
    let t = b.today - Duration::days(700);
    b.org(top, "中共金乡县委教育工作委员会", OrgKind::Committee, None, t);

    // County-level schools.
    let yz = b.institution("金乡县第一中学", town(0), None, Plan::new(K::Senior, Public, prof(300, 0.42)));
    let t = b.recent_term(OrgKind::Committee);
    let yz_dw = b.org("JX-YZ-DW", "中共金乡县第一中学委员会", OrgKind::Committee, Some(top), t);
    b.cover(&yz_dw, &yz.code, CoverageMode::Own);
    // 一中's members sit in four branches under its committee.
    let chunks: Vec<Vec<usize>> = yz.members.chunks(yz.members.len().div_ceil(4)).map(|c| c.to_vec()).collect();
    for (i, (chunk, label)) in chunks.iter().zip(["高一年级", "高二年级", "高三年级", "机关后勤"]).enumerate() {
        let t = b.recent_term(OrgKind::Branch);
        let code = b.org(&format!("JX-YZ-ZB{}", i + 1), &format!("中共金乡县第一中学{label}党支部"), OrgKind::Branch, Some("JX-YZ-DW"), t);
        let part = Made { code: yz.code.clone(), members: chunk.clone() };
        b.enrol(&code, &[&part], Posts::Normal);
    }
    // Committee members of the 党委 itself: the first members of the first branch hold them there too;
    // the 党委 needs its own secretary.
    let secretary = yz.members[yz.members.len() - 1];
    b.data.members[secretary].org = yz_dw.clone();
    b.data.members[secretary].party_post = Some(PartyPost::Secretary);

    // 二中: members recorded directly in a 党总支 of more than 100 (R1.3: consider a committee).
    let ez = b.institution("金乡县第二中学", town(2), None, Plan::new(K::Senior, Public, prof(290, 0.45)));
    let t = b.recent_term(OrgKind::GeneralBranch);
    let ez_zz = b.org("JX-EZ-ZZ", "中共金乡县第二中学总支部委员会", OrgKind::GeneralBranch, Some(top), t);
    b.cover(&ez_zz, &ez.code, CoverageMode::Own);
    b.enrol(&ez_zz, &[&ez], Posts::Normal);

    let sx = b.institution("金乡县实验小学教育集团", town(0), None, Plan::new(K::Primary, Public, prof(230, 0.42)));
    let t = b.recent_term(OrgKind::GeneralBranch);
    let sx_zz = b.org("JX-SX-ZZ", "中共金乡县实验小学教育集团总支部委员会", OrgKind::GeneralBranch, Some(top), t);
    b.cover(&sx_zz, &sx.code, CoverageMode::Own);
    let half = sx.members.len() / 2;
    let (a, c) = sx.members.split_at(half);
    for (i, (part, label)) in [(a.to_vec(), "本部"), (c.to_vec(), "东校区")].into_iter().enumerate() {
        let t = b.recent_term(OrgKind::Branch);
        let code =
            b.org(&format!("JX-SX-ZB{}", i + 1), &format!("中共金乡县实验小学教育集团{label}党支部"), OrgKind::Branch, Some("JX-SX-ZZ"), t);
        b.enrol(&code, &[&Made { code: sx.code.clone(), members: part }], Posts::Normal);
    }
    let s = sx.members[0];
    b.data.members[s].org = sx_zz.clone();
    b.data.members[s].party_post = Some(PartyPost::Secretary);

    // 实验中学: a branch of more than 50 members (R1.3: consider a general branch).
    let syzx = b.institution("金乡县实验中学", town(3), None, Plan::new(K::Junior, Public, prof(170, 0.35)));
    let t = b.recent_term(OrgKind::Branch);
    let o = b.org("JX-SYZX-ZB", "中共金乡县实验中学支部委员会", OrgKind::Branch, Some(top), t);
    b.cover(&o, &syzx.code, CoverageMode::Own);
    b.enrol(&o, &[&syzx], Posts::Normal);

    let zz = b.institution("金乡县职业中等专业学校", town(1), None, Plan::new(K::Vocational, Public, prof(130, 0.38)));
    let t = b.recent_term(OrgKind::Branch);
    let o = b.org("JX-ZZ-ZB", "中共金乡县职业中等专业学校支部委员会", OrgKind::Branch, Some(top), t);
    b.cover(&o, &zz.code, CoverageMode::Own);
    b.enrol(&o, &[&zz], Posts::Normal);

    let tj = b.institution("金乡县特殊教育学校", town(0), None, Plan::new(K::Special, Public, prof(32, 0.3)));
    // A branch whose term expires within the reminder window (R1.7: term_expiring).
    let t = b.today - Duration::days(3 * 365 - 75);
    let o = b.org("JX-TJ-ZB", "中共金乡县特殊教育学校支部委员会", OrgKind::Branch, Some(top), t);
    b.cover(&o, &tj.code, CoverageMode::Own);
    b.enrol(&o, &[&tj], Posts::Normal);

    let yey = b.institution("金乡县实验幼儿园", town(0), None, Plan::new(K::Kindergarten, Public, prof(45, 0.25)));
    let t = b.recent_term(OrgKind::Branch);
    let yey_zb = b.org("JX-YEY-ZB", "中共金乡县实验幼儿园支部委员会", OrgKind::Branch, Some(top), t);
    b.cover(&yey_zb, &yey.code, CoverageMode::Own);
    b.enrol(&yey_zb, &[&yey], Posts::Normal);

    // A private nine-year school whose own branch has 2 full members (R1.2: own_branch_too_small).
    let yc = b.institution("金乡县育才学校", town(1), None, Plan::new(K::NineYear, Private, prof(64, 0.0)).full(2));
    let t = b.recent_term(OrgKind::Branch);
    let o = b.org("JX-YC-ZB", "中共金乡县育才学校支部委员会", OrgKind::Branch, Some(top), t);
    b.cover(&o, &yc.code, CoverageMode::Own);
    b.enrol(&o, &[&yc], Posts::Normal);

    // Two planned schools (R1.10): one planned together with its organization, one not.
    let planned = Plan::new(K::CompleteMiddle, Public, prof(0, 0.0)).status(InstitutionStatus::Planned);
    let sz = b.institution("金乡县第三中学（筹建）", town(3), None, planned);
    b.cover(&ez_zz, &sz.code, CoverageMode::Attached);
    let planned = Plan::new(K::Primary, Public, prof(0, 0.0)).status(InstitutionStatus::Planned);
    b.institution("金乡县城东小学（筹建）", town(3), None, planned);

    // Instructors (党建指导员) are county office cadres, not staff of the schools they guide.
    let mut instructor_pool = Vec::new();
    for _ in 0..8 {
        let p = b.people.person(today, 35, 55);
        instructor_pool.push(p.id_number.clone());
        b.data.persons.push(p);
    }
    let mut next_instructor = 0usize;

    for ti in 0..JINXIANG_TOWNS.len() {
        let (tcode, tname, _, _) = JINXIANG_TOWNS[ti];
        let short = &tcode[6..];
        let street = tname.ends_with("街道");
        let prefix = format!("金乡县{tname}");
        let zz_code = format!("JX-{short}-ZZ");
        let t = b.recent_term(OrgKind::GeneralBranch);
        b.org(&zz_code, &format!("中共{prefix}中心学校总支部委员会"), OrgKind::GeneralBranch, Some(top), t);
        let zz_org = OrgCode::parse(&zz_code).unwrap();

        // The town's central school office (中心学校) runs the town's schools; its own branch.
        let n0 = b.rng().range(7, 12);
        let office = b.institution(&format!("{prefix}中心学校"), town(ti), None, Plan::new(K::Other, Public, prof(n0, 0.6)));
        let t = b.recent_term(OrgKind::Branch);
        let o = b.org(&format!("JX-{short}-JG"), &format!("中共{prefix}中心学校机关支部委员会"), OrgKind::Branch, Some(&zz_code), t);
        b.cover(&o, &office.code, CoverageMode::Own);
        b.enrol(&o, &[&office], Posts::Normal);

        // Central primary school with two teaching points attached to its branch.
        let central_name = if ti == 8 { "卜集镇中心小学".to_string() } else { format!("{prefix}中心小学") };
        let n0 = b.rng().range(60, 85);
        let central = b.institution(&central_name, town(ti), None, Plan::new(K::Primary, Public, prof(n0, 0.45)));
        // 胡集镇中心小学's branch term ended days ago (R1.6: term_expired on it and its teaching points).
        let t = if ti == 4 { b.today - Duration::days(3 * 365 + 6) } else { b.recent_term(OrgKind::Branch) };
        let cz = b.org(&format!("JX-{short}-ZXXX"), &format!("中共{central_name}支部委员会"), OrgKind::Branch, Some(&zz_code), t);
        b.cover(&cz, &central.code, CoverageMode::Own);
        // 霄云镇: 7+ full members, only a secretary (R1.4: committee_required).
        let posts = if ti == 12 { Posts::SecretaryOnly } else { Posts::Normal };
        let mut central_group: Vec<Made> = vec![];
        for k in 1..=2 {
            let v = VILLAGES[(ti * 3 + k) % VILLAGES.len()];
            let tp_plan = Plan::new(K::TeachingPoint, Public, prof(b.rng().range(3, 7), 0.15));
            // 司马镇's second teaching point has no location recorded: the planner cannot place it
            // by distance, but rule 1 (its parent) still applies.
            let tp_plan = if ti == 5 && k == 2 { tp_plan.unlocated() } else { tp_plan };
            let tp = b.institution(&format!("{prefix}{v}教学点"), town(ti), Some(&central.code), tp_plan);
            b.cover(&cz, &tp.code, CoverageMode::Attached);
            central_group.push(tp);
        }
        let mut refs: Vec<&Made> = vec![&central];
        refs.extend(central_group.iter());
        b.enrol(&cz, &refs, posts);

        // Middle schools.
        let juniors = if street { 2 } else { 1 };
        for j in 0..juniors {
            let name = if j == 0 { format!("{prefix}第一初级中学") } else { format!("{prefix}第二初级中学") };
            let n0 = b.rng().range(75, 110);
            let jh = b.institution(&name, town(ti), None, Plan::new(K::Junior, Public, prof(n0, 0.48)));
            if ti == 12 && j == 0 {
                // 霄云镇第一初级中学 has members but no organization recorded (R1.1: uncovered).
                b.enrol(&zz_org, &[&jh], Posts::None);
                continue;
            }
            let t = b.recent_term(OrgKind::Branch);
            let o = b.org(&format!("JX-{short}-CZ{}", j + 1), &format!("中共{name}支部委员会"), OrgKind::Branch, Some(&zz_code), t);
            b.cover(&o, &jh.code, CoverageMode::Own);
            // 鱼山街道第二初级中学's branch has no secretary (R1.4: no_secretary).
            let posts = if ti == 3 && j == 1 { Posts::None } else { Posts::Normal };
            b.enrol(&o, &[&jh], posts);
        }

        // The town's central kindergarten.
        let kname = format!("{prefix}中心幼儿园");
        if ti == 11 {
            // 马庙镇中心幼儿园: one full member, no organization (R1.2: uncovered_small; no kindergarten
            // organization nearby).
            let k = b.institution(&kname, town(ti), None, Plan::new(K::Kindergarten, Public, prof(18, 0.0)).full(1));
            b.enrol(&zz_org, &[&k], Posts::None);
        } else {
            let n0 = b.rng().range(15, 24);
            let k = b.institution(&kname, town(ti), None, Plan::new(K::Kindergarten, Public, prof(n0, 0.2)));
            b.cover(&cz, &k.code, CoverageMode::Attached);
            b.enrol(&cz, &[&k], Posts::None);
        }

        // Village primary schools: own branches where they have ≥3 full members, joint branches
        // for the small ones (R1.1, R1.2).
        let villages = if street { 6 } else { 8 };
        let mut small: Vec<Made> = Vec::new();
        for v in 0..villages {
            let vname = format!("{prefix}{}小学", VILLAGES[(ti * 7 + v + 11) % VILLAGES.len()]);
            let size = b.rng().range(16, 30);
            let mut plan = Plan::new(K::Primary, Public, prof(size, 0.0));
            let is_small = v >= villages - 3;
            plan = if is_small { plan.full(b.rng().range(1, 3)) } else { plan.full(b.rng().range(4, 9)) };
            match (ti, v) {
                // 羊山镇: a public school with no members at all (seed: no_members), and no leader who is one.
                (7, 0) => plan = plan.full(0).leader_member(false),
                // 化雨镇: no leadership recorded.
                (9, 0) => plan = plan.no_leadership(),
                // 兴隆镇: a leadership team without a member (seed: leadership_no_member).
                (10, 0) => plan = plan.leader_member(false),
                // 卜集镇: only a probationary member (R1.2: uncovered_small).
                (8, 0) => plan = plan.full(0).probationary(1),
                _ => {}
            }
            let made = b.institution(&vname, town(ti), None, plan);
            match (ti, v) {
                (7, 0) => {}
                (8, 0) => b.enrol(&zz_org, &[&made], Posts::None),
                // 金乡街道: an own branch with only 2 full members (R1.2: own_branch_too_small).
                (0, 0) => {
                    let t = b.recent_term(OrgKind::Branch);
                    let o = b.org(&format!("JX-{short}-XX{v}"), &format!("中共{vname}支部委员会"), OrgKind::Branch, Some(&zz_code), t);
                    b.cover(&o, &made.code, CoverageMode::Own);
                    let mut demoted = Vec::new();
                    b.data.members.iter_mut().filter(|m| m.work_institution.as_ref() == Some(&made.code)).skip(2).for_each(|m| {
                        m.category = MemberCategory::Probationary;
                        m.full_on = None;
                        m.admitted_on = today - Duration::days(120);
                        demoted.push(m.id_number.clone());
                    });
                    b.mark_probationary(&demoted);
                    b.enrol(&o, &[&made], Posts::Normal);
                }
                _ if is_small => small.push(made),
                _ => {
                    let t = b.recent_term(OrgKind::Branch);
                    let o = b.org(&format!("JX-{short}-XX{v}"), &format!("中共{vname}支部委员会"), OrgKind::Branch, Some(&zz_code), t);
                    b.cover(&o, &made.code, CoverageMode::Own);
                    b.enrol(&o, &[&made], Posts::Normal);
                }
            }
        }
        // The small village schools form one joint branch per town.
        if !small.is_empty() {
            let t = b.recent_term(OrgKind::JointBranch);
            let o =
                b.org(&format!("JX-{short}-LH"), &format!("中共{prefix}农村小学联合支部委员会"), OrgKind::JointBranch, Some(&zz_code), t);
            for m in &small {
                b.cover(&o, &m.code, CoverageMode::Joint);
            }
            let refs: Vec<&Made> = small.iter().collect();
            if ti == 6 {
                // 鸡黍镇's joint branch has fewer than 3 full members in total (R1.2: joint_too_small).
                let idx: Vec<usize> = small.iter().flat_map(|m| m.members.iter().copied()).collect();
                let mut demoted = Vec::new();
                for &i in idx.iter().skip(2) {
                    b.data.members[i].category = MemberCategory::Probationary;
                    b.data.members[i].full_on = None;
                    b.data.members[i].admitted_on = today - Duration::days(200);
                    demoted.push(b.data.members[i].id_number.clone());
                }
                b.mark_probationary(&demoted);
            }
            b.enrol(&o, &refs, Posts::Normal);
            if ti == 1 {
                // 高河街道's joint branch also takes three more schools' kindergartens: six institutions
                // (R1.2: joint_too_large).
                for k in 0..3 {
                    let n0 = b.rng().range(8, 13);
                    let kg = b.institution(
                        &format!("{prefix}{}幼儿园", VILLAGES[(k * 5 + 2) % VILLAGES.len()]),
                        town(ti),
                        None,
                        Plan::new(K::Kindergarten, Public, prof(n0, 0.0)).full(1),
                    );
                    b.cover(&o, &kg.code, CoverageMode::Joint);
                    b.enrol(&o, &[&kg], Posts::None);
                }
            }
        }

        // Private kindergartens and training institutions: no members; instructors (R1.9), except
        // in 司马镇 and 霄云镇 where none is assigned yet (no_instructor).
        for p in 0..2 {
            let name = format!("{prefix}{}民办幼儿园", ["阳光", "小太阳", "童心", "启明", "蓝天", "育苗"][(ti + p) % 6]);
            let n0 = b.rng().range(6, 12);
            let k = b.institution(&name, town(ti), None, Plan::new(K::Kindergarten, Private, prof(n0, 0.0)).full(0).leader_member(false));
            let n0 = b.rng().range(4, 9);
            let train = b.institution(
                &format!("{prefix}{}培训学校", ["博学", "英才", "启航", "新思维", "书香", "智慧"][(ti + p) % 6]),
                town(ti),
                None,
                Plan::new(K::Training, Private, prof(n0, 0.0)).full(0).leader_member(false),
            );
            for inst in [&k, &train] {
                let none_here = (ti == 5 || ti == 12) && p == 1;
                if !none_here {
                    let who = instructor_pool[next_instructor % instructor_pool.len()].clone();
                    next_instructor += 1;
                    let assigned_on = b.date_years_ago(0, 3);
                    b.data.instructors.push(Instructor {
                        id_number: who,
                        institution: inst.code.clone(),
                        assigned_on,
                        status: InstructorStatus::Active,
                    });
                }
            }
        }
        if ti == 2 {
            // A private primary school with one member, attached to nothing yet, and no location
            // recorded: the planner says it cannot place it.
            let made = b.institution(
                "金乡县王丕街道明德民办小学",
                town(ti),
                None,
                Plan::new(K::Primary, Private, prof(22, 0.0)).full(1).leader_member(false).unlocated(),
            );
            b.enrol(&zz_org, &[&made], Posts::None);
        }
    }
    // Every remaining member without an organization belongs to the committee (should not happen).
    let top_code = OrgCode::parse(top).unwrap();
    for m in &mut b.data.members {
        if m.org.as_str() == PENDING_ORG {
            m.org = top_code.clone();
        }
    }
    // 教育工委's own secretary: the last full member of 实验小学 holds it.
    b.data.persons.sort_by(|a, b| a.id_number.cmp(&b.id_number));
    b.data
}

/// A synthetic region in proportion (per institution about 50 staff, 12.5 members and
/// 0.75 organizations), one county at a time so the caller can save it as it goes.
/// `county_index` numbers the counties 0…; each holds up to 200 institutions in 10 towns.
pub fn synthetic_county(seed: u64, today: NaiveDate, county_index: u32, institutions: u32) -> Dataset {
    use InstitutionKind as K;
    let city = 1 + county_index / 20;
    let county_code = format!("37{city:02}{:02}", 1 + county_index % 20);
    let mut b = Builder::new(seed.wrapping_add(county_index as u64 * 7919), today, &county_code);
    let city_code = format!("37{city:02}00");
    if county_index.is_multiple_of(20) {
        if county_index == 0 {
            b.data.regions.push(Region {
                code: RegionCode::parse("370000").unwrap(),
                name: "山东省".into(),
                parent: None,
                level: RegionLevel::Province,
            });
        }
        b.data.regions.push(Region {
            code: RegionCode::parse(&city_code).unwrap(),
            name: format!("第{city}市"),
            parent: Some(RegionCode::parse("370000").unwrap()),
            level: RegionLevel::City,
        });
    }
    b.data.regions.push(Region {
        code: RegionCode::parse(&county_code).unwrap(),
        name: format!("第{}县", county_index + 1),
        parent: Some(RegionCode::parse(&city_code).unwrap()),
        level: RegionLevel::County,
    });
    let lat0 = 34.5 + (county_index % 40) as f64 * 0.05;
    let lon0 = 115.5 + (county_index / 40) as f64 * 0.05;
    let towns: Vec<(String, f64, f64)> =
        (0..10).map(|t| (format!("{county_code}{:03}", 100 + t), lat0 + (t % 5) as f64 * 0.04, lon0 + (t / 5) as f64 * 0.05)).collect();
    for (i, (code, _, _)) in towns.iter().enumerate() {
        b.data.regions.push(Region {
            code: RegionCode::parse(code).unwrap(),
            name: format!("第{}镇", i + 1),
            parent: Some(RegionCode::parse(&county_code).unwrap()),
            level: RegionLevel::Town,
        });
    }
    let top = format!("C{county_code}-GW");
    let t = b.recent_term(OrgKind::Committee);
    b.org(&top, &format!("第{}县教育工委", county_index + 1), OrgKind::Committee, None, t);
    let kinds = [K::Primary, K::Primary, K::Primary, K::Kindergarten, K::Junior, K::TeachingPoint, K::Senior, K::Primary];
    let mut small: Vec<Made> = Vec::new();
    let mut joint_count = 0;
    for i in 0..institutions {
        let ti = (i % 10) as usize;
        let kind = kinds[(i % kinds.len() as u32) as usize];
        let staff = b.rng().range(25, 76);
        let ownership = if i % 17 == 5 { Ownership::Private } else { Ownership::Public };
        let tw = (towns[ti].0.as_str(), towns[ti].1, towns[ti].2);
        let made = b.institution(
            &format!("第{}县第{}校", county_index + 1, i + 1),
            tw,
            None,
            Plan::new(kind, ownership, Profile { staff, member_share: 0.25 }),
        );
        if i % 10 < 6 {
            let t = b.recent_term(OrgKind::Branch);
            let o = b.org(&format!("C{county_code}-{i}"), &format!("第{}校党支部", i + 1), OrgKind::Branch, Some(&top), t);
            b.cover(&o, &made.code, CoverageMode::Own);
            b.enrol(&o, &[&made], Posts::Normal);
        } else {
            small.push(made);
            if small.len() == 3 {
                joint_count += 1;
                let t = b.recent_term(OrgKind::JointBranch);
                let o = b.org(
                    &format!("C{county_code}-L{joint_count}"),
                    &format!("联合党支部{joint_count}"),
                    OrgKind::JointBranch,
                    Some(&top),
                    t,
                );
                for m in &small {
                    b.cover(&o, &m.code, CoverageMode::Joint);
                }
                let refs: Vec<&Made> = small.iter().collect();
                b.enrol(&o, &refs, Posts::Normal);
                small.clear();
            }
        }
    }
    let top_code = OrgCode::parse(&top).unwrap();
    for m in &mut b.data.members {
        if m.org.as_str() == PENDING_ORG {
            m.org = top_code.clone();
        }
    }
    let _ = today.year();
    b.data
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn demo_county_has_the_promised_shape() {
        let d = demo_county(1, today());
        assert_eq!(d.regions.iter().filter(|r| r.level == RegionLevel::Town).count(), 13);
        let n = d.institutions.len();
        assert!((200..=245).contains(&n), "institutions: {n}");
        assert!((6000..=8000).contains(&d.staff.len()), "staff: {}", d.staff.len());
        assert!((1900..=2500).contains(&d.members.len()), "members: {}", d.members.len());
        assert!((120..=180).contains(&d.orgs.len()), "orgs: {}", d.orgs.len());
        for name in ["金乡县实验小学教育集团", "金乡县第一中学", "金乡县第二中学", "卜集镇中心小学"] {
            assert!(d.institutions.iter().any(|i| i.name == name), "{name}");
        }
        assert_eq!(d.institutions.iter().filter(|i| i.status == InstitutionStatus::Planned).count(), 2);
        for k in [InstitutionKind::TeachingPoint, InstitutionKind::Kindergarten, InstitutionKind::Training, InstitutionKind::Junior] {
            assert!(d.institutions.iter().any(|i| i.kind == k));
        }
        assert!(!d.instructors.is_empty());
    }

    #[test]
    fn demo_county_is_deterministic_and_consistent() {
        let a = demo_county(7, today());
        let b = demo_county(7, today());
        assert_eq!(a.persons.len(), b.persons.len());
        assert!(a.persons.iter().zip(&b.persons).all(|(x, y)| x.id_number == y.id_number && x.name == y.name));
        let c = demo_county(8, today());
        assert!(a.persons.iter().zip(&c.persons).any(|(x, y)| x.id_number != y.id_number));

        // Every member's org exists; every staff member marked as a member has a member record.
        let orgs: HashMap<_, _> = a.orgs.iter().map(|o| (o.code.clone(), o)).collect();
        let members: HashMap<_, _> = a.members.iter().map(|m| (m.id_number.clone(), m)).collect();
        assert_eq!(members.len(), a.members.len(), "one member record per person");
        for m in &a.members {
            assert!(orgs.contains_key(&m.org), "{}", m.org);
            if let Some(f) = m.full_on {
                assert!(f > m.admitted_on);
            }
        }
        for s in &a.staff {
            assert_eq!(s.political_status.is_party_member(), members.contains_key(&s.id_number));
            if let Some(m) = members.get(&s.id_number) {
                let probationary = m.category == MemberCategory::Probationary;
                assert_eq!(s.political_status == PoliticalStatus::Probationary, probationary, "{:?}", s.id_number);
            }
        }
        for o in &a.orgs {
            if let Some(p) = &o.parent {
                assert!(orgs.contains_key(p));
            }
        }
        let ids: HashSet<_> = a.persons.iter().map(|p| &p.id_number).collect();
        assert_eq!(ids.len(), a.persons.len(), "ID numbers are unique");
    }

    #[test]
    fn synthetic_county_is_in_proportion() {
        let d = synthetic_county(1, today(), 0, 200);
        assert_eq!(d.institutions.len(), 200);
        let staff_per = d.staff.len() as f64 / 200.0;
        let members_per = d.members.len() as f64 / 200.0;
        let orgs_per = d.orgs.len() as f64 / 200.0;
        assert!((45.0..=55.0).contains(&staff_per), "{staff_per}");
        assert!((11.0..=14.0).contains(&members_per), "{members_per}");
        assert!((0.65..=0.85).contains(&orgs_per), "{orgs_per}");
    }
}
