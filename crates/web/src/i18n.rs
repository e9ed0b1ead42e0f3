//! The UI's words in zh-CN (default) and English. A locale is chosen per request from the
//! `lang` cookie; templates ask `t.t("key")`.

/// (key, 中文, English)
const MESSAGES: &[(&str, &str, &str)] = &[
    ("product", "红烛 · 教育系统党建工作平台", "Hongzhu · School Party-building platform"),
    ("product_short", "红烛", "Hongzhu"),
    ("menu_home", "首页", "Home"),
    ("menu_coverage", "覆盖情况", "Coverage"),
    ("menu_org_admin", "组织管理", "Organization"),
    ("menu_orgs", "党组织", "Party organizations"),
    ("menu_institutions", "学校", "Schools"),
    ("menu_staff", "教职工", "Staff"),
    ("menu_members", "党员", "Members"),
    ("menu_life", "组织生活", "Organizational life"),
    ("menu_activities", "活动记录", "Activities"),
    ("menu_calendar", "活动日历", "Calendar"),
    ("menu_compliance", "落实情况", "Compliance"),
    ("menu_absent", "未参加组织生活", "Absent members"),
    ("menu_observation", "观摩活动", "Observation events"),
    ("menu_evaluations", "民主评议", "Democratic review"),
    ("menu_guides", "月度主题", "Monthly themes"),
    ("menu_development", "党员发展", "Member development"),
    ("menu_dues", "党费", "Dues"),
    ("menu_plus", "党建+", "Party-building+"),
    ("menu_campaigns", "创建评比", "Campaigns"),
    ("menu_reports", "统计报表", "Reports"),
    ("menu_data", "数据导入导出", "Import / export"),
    ("menu_system", "系统管理", "System"),
    ("menu_api_docs", "接口文档", "API docs"),
    ("menu_me", "我的信息", "My record"),
    ("soon", "建设中", "coming"),
    ("logout", "退出登录", "Log out"),
    ("change_password", "修改密码", "Change password"),
    ("switch_lang", "English", "中文"),
    ("login", "登录", "Log in"),
    ("username", "用户名", "User name"),
    ("password", "密码", "Password"),
    ("login_failed", "用户名或密码不正确", "Wrong user name or password"),
    ("search", "查询", "Search"),
    ("reset", "重置", "Reset"),
    ("new", "新增", "New"),
    ("import", "导入", "Import"),
    ("export", "导出", "Export"),
    ("print", "打印", "Print"),
    ("view", "查看", "View"),
    ("edit", "编辑", "Edit"),
    ("save", "保存", "Save"),
    ("cancel", "取消", "Cancel"),
    ("actions", "操作", "Actions"),
    ("all", "全部", "All"),
    ("total_prefix", "共", "Total"),
    ("total_suffix", "条", "rows"),
    ("per_page", "条/页", "per page"),
    ("go_page", "跳至", "Go to"),
    ("page_word", "页", "page"),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    ("keyword", "名称/代码", "Name / code"),
    ("name_or_id", "姓名/身份证号", "Name / ID number"),
    ("code", "机构代码", "Code"),
    ("name", "名称", "Name"),
    ("kind", "类型", "Kind"),
    ("ownership", "办学性质", "Ownership"),
    ("status", "状态", "Status"),
    ("town", "乡镇街道", "Town / street"),
    ("parent_school", "上级学校", "Parent school"),
    ("longitude", "经度", "Longitude"),
    ("latitude", "纬度", "Latitude"),
    ("students", "在校生数", "Students"),
    ("classes", "班级数", "Classes"),
    ("staff_count", "教职工", "Staff"),
    ("member_count", "党员", "Members"),
    ("full_members", "正式党员", "Full members"),
    ("leadership", "领导班子", "Leadership"),
    ("covering_orgs", "覆盖党组织", "Covering organizations"),
    ("teaching_points", "下属教学点", "Teaching points"),
    ("instructors", "党建指导员", "Party-building instructors"),
    ("history", "变更记录", "Change history"),
    ("basic_info", "基本信息", "Basic facts"),
    ("org_code", "组织代码", "Organization code"),
    ("org_name", "组织名称", "Organization name"),
    ("org_kind", "组织类别", "Kind"),
    ("parent_org", "上级组织", "Parent organization"),
    ("region", "所属区划", "Region"),
    ("founded_on", "成立日期", "Founded"),
    ("term_start", "本届任期开始", "Term started"),
    ("term_years", "任期年限", "Term (years)"),
    ("term_end", "任期届满", "Term ends"),
    ("term_expired", "已到期", "expired"),
    ("term_expiring", "即将到期", "expiring"),
    ("sub_orgs", "下级组织", "Sub-organizations"),
    ("covered_institutions", "覆盖学校", "Covered schools"),
    ("coverage_mode", "覆盖方式", "Mode"),
    ("org_tree", "组织架构", "Organization tree"),
    ("person_name", "姓名", "Name"),
    ("gender", "性别", "Gender"),
    ("id_number", "身份证号", "ID number"),
    ("phone", "手机号", "Phone"),
    ("birth_date", "出生日期", "Born"),
    ("institution", "所在学校", "School"),
    ("post", "岗位", "Post"),
    ("leadership_role", "领导职务", "Leadership role"),
    ("political_status", "政治面貌", "Political status"),
    ("development_stage", "发展阶段", "Development stage"),
    ("backbone", "骨干教师", "Backbone teacher"),
    ("head_teacher", "班主任", "Head teacher"),
    ("mental_health", "心理健康教师", "Mental-health teacher"),
    ("work_start", "参加工作日期", "Started work"),
    ("category", "党员类别", "Category"),
    ("admitted_on", "入党日期", "Admitted"),
    ("full_on", "转正日期", "Full member since"),
    ("org", "所在党组织", "Organization"),
    ("work_institution", "工作单位", "Works at"),
    ("party_post", "党内职务", "Party post"),
    ("yes", "是", "Yes"),
    ("no", "否", "No"),
    ("home_title", "工作概览", "Overview"),
    ("institutions_total", "学校和教育机构", "Schools and institutions"),
    ("operating", "在办", "operating"),
    ("orgs_total", "党组织", "Party organizations"),
    ("staff_total", "教职工", "Staff"),
    ("members_total", "党员", "Members"),
    ("of_which_full", "其中正式党员", "of whom full members"),
    (
        "empty_institutions",
        "没有符合条件的学校。请调整查询条件，或点击“新增”登记学校。",
        "No schools match. Change the search, or click New to add one.",
    ),
    ("empty_people", "没有符合条件的人员。请调整查询条件。", "Nobody matches. Change the search."),
    ("empty_list", "暂无记录。", "Nothing recorded yet."),
    (
        "history_created_as_now",
        "（随台账导入创建：创建时的内容即当前内容；此后若有修改，见第一次修改的“修改前”）",
        "(created by a ledger import with the content shown now; if changed since, see the first change's 'before')",
    ),
    ("required_mark", "必填", "required"),
    ("form_errors", "表单中有需要修改的内容，请查看各项下方的提示。", "Some fields need changing: see the notes under them."),
    (
        "stale",
        "保存失败：该记录已被他人修改（当前版本 {v}）。请重新打开后再编辑，您的输入已保留在下方。",
        "Not saved: someone else changed this record (now version {v}). Reopen it to edit; your input is kept below.",
    ),
    ("saved", "已保存。", "Saved."),
    ("not_found_title", "页面不存在", "Page not found"),
    ("not_found_text", "您访问的页面不存在，或您没有查看它的权限。", "The page does not exist, or you may not see it."),
    ("back_home", "返回首页", "Back to home"),
    ("forbidden_title", "无权操作", "Not allowed"),
    ("forbidden_text", "您的角色不能进行此操作。", "Your role may not do this."),
    ("error_title", "出错了", "Something went wrong"),
    (
        "error_text",
        "服务器处理请求时出错，请稍后重试。如果问题持续，请联系系统管理员。",
        "The server could not handle the request. Try again later; if it persists, tell the administrator.",
    ),
    ("masked_note", "身份证号和手机号已按规定脱敏显示。", "ID and phone numbers are masked."),
    ("me_title", "我的党员信息", "My member record"),
    ("new_institution", "新增学校", "New school"),
    ("edit_institution", "编辑学校", "Edit school"),
    ("new_org", "新增党组织", "New organization"),
    ("edit_org", "编辑党组织", "Edit organization"),
    ("new_staff", "新增教职工", "New staff"),
    ("edit_staff", "编辑教职工", "Edit staff"),
    ("edit_member", "编辑党员信息", "Edit member"),
    ("new_member", "新增党员", "New member"),
    ("choose", "请选择", "Choose"),
    ("version", "版本", "Version"),
    ("updated_at", "更新时间", "Updated"),
    ("action", "操作", "Action"),
    ("actor", "操作人", "By"),
    ("at", "时间", "When"),
    ("before", "修改前", "Before"),
    ("after", "修改后", "After"),
    ("leaders_only", "仅领导班子", "Leadership only"),
    ("members_in_org", "本组织党员", "Members of this organization"),
    ("members_here", "在本校工作的党员", "Members working here"),
    ("staff_here", "教职工名单", "Staff"),
    ("no_org_warning", "该学校尚无覆盖党组织。", "No organization covers this school."),
    ("menu_toggle", "菜单", "Menu"),
    ("role", "角色", "Role"),
    ("sending", "提交中…", "Sending…"),
    ("view_all", "查看全部", "View all"),
    ("menu_audit", "核查结果", "Audit"),
    ("menu_tasks", "整改任务", "Rectification"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Zh,
    En,
}

impl Locale {
    pub fn from_cookie(v: Option<&str>) -> Locale {
        match v {
            Some("en") => Locale::En,
            _ => Locale::Zh,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Locale::Zh => "zh-CN",
            Locale::En => "en",
        }
    }
    pub fn other(self) -> &'static str {
        match self {
            Locale::Zh => "en",
            Locale::En => "zh",
        }
    }
}

/// A translator handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Locale);

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match MESSAGES.iter().find(|m| m.0 == key) {
            Some((_, zh, en)) => match self.0 {
                Locale::Zh => zh,
                Locale::En => en,
            },
            None => "??",
        }
    }
    pub fn lang(&self) -> &'static str {
        self.0.code()
    }
    pub fn is_en(&self) -> bool {
        self.0 == Locale::En
    }
    pub fn yes_no(&self, b: &bool) -> &'static str {
        if *b { self.t("yes") } else { self.t("no") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_present() {
        for (i, a) in MESSAGES.iter().enumerate() {
            assert!(!a.1.is_empty() && !a.2.is_empty(), "{}", a.0);
            assert!(MESSAGES[i + 1..].iter().all(|b| b.0 != a.0), "duplicate {}", a.0);
        }
    }

    #[test]
    fn templates_use_only_known_keys() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(MESSAGES.iter().any(|m| m.0 == key), "unknown key {key}");
            }
        }
    }
}
