//! The enumerations of DOMAIN.md §1 and spec/LEDGER.md: each value has a stable code (API, database),
//! a Chinese label (UI, ledger) and an English label.

/// An enumeration whose values have a code and labels in both languages.
pub trait Labeled: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn zh(self) -> &'static str;
    fn en(self) -> &'static str;
    /// The label in a locale (`zh-CN` or `en`).
    fn label(self, locale: &str) -> &'static str {
        if locale.starts_with("en") { self.en() } else { self.zh() }
    }
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
    /// Accept the code or the Chinese label (what the ledger and forms send).
    fn parse(s: &str) -> Option<Self> {
        let s = crate::normalize_width(s);
        Self::ALL.iter().copied().find(|v| v.code() == s || v.zh() == s)
    }
    /// The list of accepted Chinese labels, for error messages.
    fn accepted_zh() -> String {
        Self::ALL.iter().map(|v| v.zh()).collect::<Vec<_>>().join("、")
    }
}

/// The label of an optional value, or nothing.
pub trait OptLabel {
    fn label_or_empty(&self, locale: &str) -> &'static str;
}

impl<T: Labeled> OptLabel for Option<T> {
    fn label_or_empty(&self, locale: &str) -> &'static str {
        self.map(|v| v.label(locale)).unwrap_or("")
    }
}

macro_rules! labeled {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl Labeled for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            fn zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            fn en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
        }
    };
}

labeled!(
    /// 学校类型 (DOMAIN §1).
    InstitutionKind {
        Kindergarten = "kindergarten", "幼儿园", "Kindergarten";
        Primary = "primary", "小学", "Primary school";
        TeachingPoint = "teaching_point", "教学点", "Teaching point";
        Junior = "junior", "初级中学", "Junior middle school";
        NineYear = "nine_year", "九年一贯制学校", "Nine-year school";
        Senior = "senior", "高级中学", "Senior middle school";
        CompleteMiddle = "complete_middle", "完全中学", "Complete middle school";
        TwelveYear = "twelve_year", "十二年一贯制学校", "Twelve-year school";
        Vocational = "vocational", "中等职业学校", "Vocational school";
        Special = "special", "特殊教育学校", "Special education school";
        Training = "training", "校外培训机构", "Training institution";
        Other = "other", "其他教育机构", "Other institution";
    }
);

/// The stages an institution teaches (DOMAIN §1); two institutions are of the same type when
/// their stage sets intersect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Preschool,
    Primary,
    Junior,
    Senior,
    Vocational,
    Special,
    Training,
    Other,
}

impl InstitutionKind {
    pub fn stages(self) -> &'static [Stage] {
        use InstitutionKind::*;
        match self {
            Kindergarten => &[Stage::Preschool],
            Primary | TeachingPoint => &[Stage::Primary],
            Junior => &[Stage::Junior],
            NineYear => &[Stage::Primary, Stage::Junior],
            Senior => &[Stage::Senior],
            CompleteMiddle => &[Stage::Junior, Stage::Senior],
            TwelveYear => &[Stage::Primary, Stage::Junior, Stage::Senior],
            Vocational => &[Stage::Vocational],
            Special => &[Stage::Special],
            Training => &[Stage::Training],
            Other => &[Stage::Other],
        }
    }

    /// 相同学校 (DOMAIN §1): the stage sets intersect.
    pub fn same_type(self, other: InstitutionKind) -> bool {
        self.stages().iter().any(|s| other.stages().contains(s))
    }
}

labeled!(
    /// 办学性质.
    Ownership {
        Public = "public", "公办", "Public";
        Private = "private", "民办", "Private";
    }
);

labeled!(
    /// 状态 of an institution.
    InstitutionStatus {
        Planned = "planned", "筹建", "Planned";
        Operating = "operating", "在办", "Operating";
        Closed = "closed", "撤并", "Closed";
    }
);

labeled!(
    /// 级别 of a region.
    RegionLevel {
        Province = "province", "省", "Province";
        City = "city", "市", "City";
        County = "county", "县", "County";
        Town = "town", "乡镇", "Town/street";
    }
);

labeled!(
    /// 政治面貌 (DOMAIN §1).
    PoliticalStatus {
        Member = "member", "中共党员", "CPC member";
        Probationary = "probationary", "中共预备党员", "Probationary CPC member";
        League = "league", "共青团员", "Youth League member";
        DemocraticParty = "democratic_party", "民主党派", "Democratic party";
        Masses = "masses", "群众", "No affiliation";
    }
);

impl PoliticalStatus {
    pub fn is_party_member(self) -> bool {
        matches!(self, PoliticalStatus::Member | PoliticalStatus::Probationary)
    }
}

labeled!(
    /// 发展阶段 of a non-member (DOMAIN §1, §3).
    DevelopmentStage {
        Applicant = "applicant", "入党申请人", "Applicant";
        Activist = "activist", "入党积极分子", "Activist";
        Candidate = "candidate", "发展对象", "Candidate";
    }
);

labeled!(
    /// 岗位.
    Post {
        Teacher = "teacher", "教师", "Teacher";
        Management = "management", "管理", "Management";
        Support = "support", "工勤", "Support staff";
        Other = "other", "其他", "Other";
    }
);

labeled!(
    /// 领导职务: a non-empty role puts the person in the leadership team (领导班子).
    LeadershipRole {
        Secretary = "secretary", "书记", "Party secretary";
        DeputySecretary = "deputy_secretary", "副书记", "Deputy secretary";
        Principal = "principal", "校长", "Principal";
        VicePrincipal = "vice_principal", "副校长", "Vice principal";
        KindergartenHead = "kindergarten_head", "园长", "Kindergarten head";
        KindergartenDeputy = "kindergarten_deputy", "副园长", "Deputy kindergarten head";
        ExecutivePrincipal = "executive_principal", "执行校长", "Executive principal";
        BoardChair = "board_chair", "董事长", "Board chair";
        CouncilChair = "council_chair", "理事长", "Council chair";
        Head = "head", "负责人", "Person in charge";
    }
);

labeled!(
    /// 组织类别 (DOMAIN §2).
    OrgKind {
        Committee = "committee", "党委", "Party committee";
        GeneralBranch = "general_branch", "党总支", "General branch";
        Branch = "branch", "党支部", "Branch";
        JointBranch = "joint_branch", "联合党支部", "Joint branch";
        TemporaryBranch = "temporary_branch", "临时党支部", "Temporary branch";
    }
);

impl OrgKind {
    /// R1.6: 党支部 and 党总支 serve 3 years, 基层党委 5.
    pub fn default_term_years(self) -> i32 {
        match self {
            OrgKind::Committee => 5,
            _ => 3,
        }
    }
}

labeled!(
    /// 状态 of an organization.
    OrgStatus {
        Active = "active", "正常", "Active";
        Dissolved = "dissolved", "撤销", "Dissolved";
    }
);

labeled!(
    /// 覆盖方式 (DOMAIN §1).
    CoverageMode {
        Own = "own", "单独组建", "Own organization";
        Joint = "joint", "联合组建", "Joint organization";
        Attached = "attached", "挂靠", "Attached";
    }
);

impl CoverageMode {
    /// Which covering organization is a school's own when several cover it: its own first, then a
    /// joint branch, then the one it is attached to (R1.1, R1.2). Lower is preferred.
    pub fn preference(self) -> u8 {
        match self {
            CoverageMode::Own => 0,
            CoverageMode::Joint => 1,
            CoverageMode::Attached => 2,
        }
    }
}

labeled!(
    /// 党员类别.
    MemberCategory {
        Full = "full", "正式党员", "Full member";
        Probationary = "probationary", "预备党员", "Probationary member";
    }
);

labeled!(
    /// 党内职务.
    PartyPost {
        Secretary = "secretary", "书记", "Secretary";
        DeputySecretary = "deputy_secretary", "副书记", "Deputy secretary";
        OrganizationCommissioner = "organization", "组织委员", "Organization commissioner";
        PropagandaCommissioner = "propaganda", "宣传委员", "Propaganda commissioner";
        DisciplineCommissioner = "discipline", "纪检委员", "Discipline commissioner";
        CommitteeMember = "committee_member", "委员", "Committee member";
        GroupLeader = "group_leader", "党小组长", "Group leader";
        AffairsWorker = "affairs_worker", "党务工作者", "Party-affairs worker";
    }
);

labeled!(
    /// 党建指导员 状态.
    InstructorStatus {
        Active = "active", "在岗", "Active";
        Left = "left", "离任", "Left";
    }
);

labeled!(
    /// 性别.
    Gender {
        Male = "male", "男", "Male";
        Female = "female", "女", "Female";
    }
);

labeled!(
    /// 活动类型 of organizational life (DOMAIN §4). `Other` carries a name from the county's list.
    ActivityKind {
        BranchAssembly = "branch_assembly", "支部党员大会", "Branch general meeting";
        CommitteeMeeting = "committee_meeting", "支委会", "Branch committee meeting";
        GroupMeeting = "group_meeting", "党小组会", "Party group meeting";
        Lecture = "lecture", "党课", "Party lecture";
        ThemeDay = "theme_day", "主题党日", "Theme Party day";
        LifeMeeting = "life_meeting", "组织生活会", "Organizational life meeting";
        Review = "review", "民主评议党员大会", "Democratic review meeting";
        Talk = "talk", "谈心谈话", "Heart-to-heart talk";
        Observation = "observation", "观摩活动", "Observation event";
        Other = "other", "其他", "Other";
    }
);

impl ActivityKind {
    /// 学时 (R3.4) an attended activity counts by default; the record may say otherwise.
    pub fn default_hours(self) -> f64 {
        match self {
            ActivityKind::Lecture | ActivityKind::ThemeDay | ActivityKind::LifeMeeting | ActivityKind::Review => 2.0,
            ActivityKind::Observation => 3.0,
            ActivityKind::BranchAssembly | ActivityKind::GroupMeeting => 1.0,
            ActivityKind::CommitteeMeeting | ActivityKind::Talk | ActivityKind::Other => 0.0,
        }
    }
    /// Who is due to attend: the committee meets without the other members (R1.4, R3.1).
    pub fn committee_only(self) -> bool {
        matches!(self, ActivityKind::CommitteeMeeting)
    }
}

labeled!(
    /// Where an activity's record stands: planned, then held and written up (draft), submitted to
    /// the higher organization, and accepted or returned with a reason.
    ActivityStatus {
        Planned = "planned", "计划", "Planned";
        Draft = "draft", "待提交", "Held, record not submitted";
        Submitted = "submitted", "待审核", "Submitted";
        Accepted = "accepted", "已审核", "Accepted";
        Returned = "returned", "已退回", "Returned";
    }
);

impl ActivityStatus {
    /// Everything but a plan is an activity that took place.
    pub fn held(self) -> bool {
        self != ActivityStatus::Planned
    }
}

labeled!(
    /// 出勤 of one member due to attend.
    AttendState {
        Due = "due", "未签到", "Not checked in";
        Present = "present", "出席", "Present";
        Leave = "leave", "请假", "On leave";
        Absent = "absent", "缺席", "Absent";
    }
);

labeled!(
    /// 民主评议 grades (R3.3).
    Grade {
        Excellent = "excellent", "优秀", "Excellent";
        Qualified = "qualified", "合格", "Qualified";
        Basic = "basic", "基本合格", "Basically qualified";
        Unqualified = "unqualified", "不合格", "Unqualified";
    }
);

labeled!(
    /// 转接类型.
    TransferKind {
        Within = "within", "系统内转接", "Within the system";
        Out = "out", "转出系统外", "To outside the system";
        In = "in", "从系统外转入", "From outside the system";
    }
);

labeled!(
    /// 转接状态.
    TransferStatus {
        Pending = "pending", "待接收", "Awaiting acceptance";
        Accepted = "accepted", "已接收", "Accepted";
        Returned = "returned", "已退回", "Returned";
        Completed = "completed", "已办结", "Completed";
        Cancelled = "cancelled", "已撤销", "Cancelled";
    }
);

impl TransferStatus {
    pub fn is_open(self) -> bool {
        self == TransferStatus::Pending
    }
}

labeled!(
    /// 党员状态.
    MemberStatus {
        Normal = "normal", "正常", "Normal";
        Floating = "floating", "流动党员", "Floating member";
        Lost = "lost", "失联党员", "Lost contact";
        Suspended = "suspended", "停止党籍", "Membership suspended";
        TransferredOut = "transferred_out", "已转出", "Transferred out";
        Left = "left", "出党", "Left the Party";
        Deceased = "deceased", "死亡", "Deceased";
    }
);

impl MemberStatus {
    /// The membership ends: the record leaves the organization's roster (its history stays).
    pub fn ends_membership(self) -> bool {
        matches!(self, MemberStatus::TransferredOut | MemberStatus::Left | MemberStatus::Deceased)
    }
}

labeled!(
    /// 荣誉级别.
    HonorLevel {
        National = "national", "国家级", "National";
        Provincial = "provincial", "省级", "Provincial";
        City = "city", "市级", "City";
        County = "county", "县级", "County";
    }
);

labeled!(
    /// 荣誉类别 (DOMAIN §1 Honor; the seed's figures count the first three).
    HonorKind {
        DemonstrationSchool = "demonstration_school", "党建示范校", "Party-building demonstration school";
        StrongBranch = "strong_branch", "过硬党支部", "Strong branch";
        Brand = "brand", "十佳党建品牌", "Top-ten Party-building brand";
        AdvancedOrg = "advanced_org", "先进基层党组织", "Advanced Party organization";
        ExcellentMember = "excellent_member", "优秀共产党员", "Outstanding member";
        ExcellentWorker = "excellent_worker", "优秀党务工作者", "Outstanding Party-affairs worker";
        Other = "other", "其他", "Other";
    }
);

labeled!(
    /// 亮承诺: the three dimensions of a member's yearly commitment (三个向我看齐) and their own skill (亮本领).
    CommitmentDimension {
        Quality = "quality", "教育质量向我看齐", "Teaching quality";
        Management = "management", "精致管理向我看齐", "Careful management";
        Care = "care", "关爱学生向我看齐", "Caring for pupils";
        Skill = "skill", "亮本领", "My skill";
    }
);

labeled!(
    /// R6.2 留守儿童: why a child counts as left behind.
    ChildSituation {
        BothAway = "both_away", "父母均外出务工", "Both parents work away";
        OneAwayOtherUnable = "one_away", "一方外出务工、另一方无监护能力", "One works away, the other cannot act as guardian";
    }
);

labeled!(
    /// 结对帮扶: the kinds of help a paired member gives.
    HelpKind {
        Moral = "moral", "思想教育", "Moral guidance";
        Mental = "mental", "心理疏导", "Emotional support";
        Study = "study", "学业帮助", "Help with studies";
        Money = "money", "经济帮扶", "Material help";
    }
);

labeled!(
    /// Who looks after a left-behind child day to day.
    Guardian {
        Grandparents = "grandparents", "祖父母或外祖父母", "Grandparents";
        Parent = "parent", "留家的父亲或母亲", "The parent at home";
        Relative = "relative", "其他亲属", "Another relative";
        Other = "other", "其他", "Other";
    }
);

labeled!(
    /// What a member's service record is (R6.3 counts community service and contact with residents).
    ServiceKind {
        Community = "community", "社区服务", "Community service";
        Contact = "contact", "联系群众", "Contact with residents";
        AfterSchool = "after_school", "课后服务", "After-school service";
    }
);

labeled!(
    /// 条块结合、送教下乡、带团建带少建: what a school-work activity is.
    SchoolWorkKind {
        SafetyLesson = "safety_lesson", "党员安全教育课", "Safety lesson by members";
        PsychActivity = "psych_activity", "心理健康活动", "Mental-health activity";
        TeachingTrip = "teaching_trip", "送教下乡", "Teaching trip to a rural school";
        SameTopic = "same_topic", "同课异构", "One topic, several designs";
        LeagueActivity = "league_activity", "团组织活动", "Youth League activity";
        PioneerActivity = "pioneer_activity", "少先队活动", "Young Pioneers activity";
    }
);

labeled!(
    /// 带团建、带少建: a school's Youth League branch or Young Pioneers brigade.
    YouthUnitKind {
        LeagueBranch = "league_branch", "共青团团支部（团委）", "Youth League branch";
        PioneerBrigade = "pioneer_brigade", "少先队大队", "Young Pioneers brigade";
    }
);

labeled!(
    /// What a League or Pioneers activity was.
    YouthForm {
        Ceremony = "ceremony", "入团入队仪式", "Joining ceremony";
        Reading = "reading", "读书活动", "Reading";
        Speech = "speech", "演讲比赛", "Speech contest";
        Volunteer = "volunteer", "志愿服务队", "Volunteer team";
        Theme = "theme", "主题团队日", "Theme day";
    }
);

labeled!(
    /// 党员先锋岗、党员示范岗: a member's post designated by the branch for a year.
    VanguardKind {
        Pioneer = "pioneer", "党员先锋岗", "Vanguard post";
        Model = "model", "党员示范岗", "Model post";
    }
);

labeled!(
    /// 学历: a member's highest education, as 党内统计 counts it.
    Education {
        Postgraduate = "postgraduate", "研究生", "Postgraduate";
        Bachelor = "bachelor", "大学本科", "Bachelor's degree";
        College = "college", "大学专科", "College diploma";
        Secondary = "secondary", "中专", "Vocational secondary";
        HighSchool = "high_school", "高中", "Senior high school";
        JuniorOrBelow = "junior_or_below", "初中及以下", "Junior middle school or below";
    }
);

labeled!(
    /// 承诺践诺评价.
    ReviewGrade {
        Good = "good", "践诺好", "Kept well";
        Fair = "fair", "基本践诺", "Mostly kept";
        Poor = "poor", "未践诺", "Not kept";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_type_is_stage_intersection() {
        use InstitutionKind::*;
        assert!(TeachingPoint.same_type(Primary));
        assert!(NineYear.same_type(Junior));
        assert!(CompleteMiddle.same_type(Senior));
        assert!(!Kindergarten.same_type(Primary));
        assert!(!Junior.same_type(Senior));
        assert!(TwelveYear.same_type(Primary));
    }

    #[test]
    fn parse_accepts_code_and_chinese_label() {
        assert_eq!(InstitutionKind::parse("教学点"), Some(InstitutionKind::TeachingPoint));
        assert_eq!(InstitutionKind::parse("teaching_point"), Some(InstitutionKind::TeachingPoint));
        assert_eq!(InstitutionKind::parse("学校"), None);
        assert!(Ownership::accepted_zh().contains("公办、民办"));
    }

    #[test]
    fn codes_and_labels_are_unique() {
        fn check<T: Labeled + PartialEq + std::fmt::Debug>() {
            for (i, a) in T::ALL.iter().enumerate() {
                for b in &T::ALL[i + 1..] {
                    assert_ne!(a.code(), b.code());
                    assert_ne!(a.zh(), b.zh());
                }
            }
        }
        check::<InstitutionKind>();
        check::<LeadershipRole>();
        check::<PartyPost>();
        check::<TransferKind>();
        check::<TransferStatus>();
        check::<MemberStatus>();
        check::<HonorLevel>();
        check::<HonorKind>();
        check::<CommitmentDimension>();
        check::<ReviewGrade>();
        check::<ChildSituation>();
        check::<HelpKind>();
        check::<Guardian>();
        check::<ServiceKind>();
        check::<SchoolWorkKind>();
        check::<YouthUnitKind>();
        check::<YouthForm>();
        check::<VanguardKind>();
        check::<Education>();
        check::<OrgKind>();
        check::<ActivityKind>();
        check::<ActivityStatus>();
        check::<AttendState>();
        check::<Grade>();
    }

    #[test]
    fn term_years_by_kind() {
        assert_eq!(OrgKind::Committee.default_term_years(), 5);
        assert_eq!(OrgKind::Branch.default_term_years(), 3);
        assert_eq!(OrgKind::GeneralBranch.default_term_years(), 3);
    }
}
