//! What the templates share: the page chrome (menu, user, breadcrumbs), pagination, form fields.
use hongzhu_core::labels::Labeled;
use hongzhu_core::registry::FieldError;
use hongzhu_store::Role;

use crate::auth::CurrentUser;
use crate::i18n::Tr;

/// The frame around every signed-in page.
pub struct Chrome {
    pub t: Tr,
    pub title: String,
    /// Which menu entry is active.
    pub nav: &'static str,
    pub user_name: String,
    pub role_label: &'static str,
    pub region_label: String,
    pub csrf: String,
    pub crumbs: Vec<(String, String)>,
    pub is_member: bool,
    /// The role code of a system, security or audit administrator (S7), else empty.
    pub admin_role: &'static str,
    pub can_edit: bool,
    pub is_admin: bool,
    pub flash: Option<String>,
    /// Seconds after which the page reloads itself (a meta refresh), for live views.
    pub refresh: Option<u32>,
}

impl Chrome {
    pub fn new(t: Tr, u: &CurrentUser, nav: &'static str, title: impl Into<String>) -> Self {
        let role_label = if t.is_en() { u.user.role.en() } else { u.user.role.zh() };
        Chrome {
            t,
            title: title.into(),
            nav,
            user_name: u.user.display_name.clone(),
            role_label,
            region_label: String::new(),
            csrf: u.csrf.clone(),
            crumbs: vec![(t.t("menu_home").to_string(), "/".to_string())],
            is_member: u.user.role == Role::Member,
            admin_role: if crate::security::is_system_role(u.user.role) { u.user.role.code() } else { "" },
            can_edit: u.can_edit(),
            is_admin: u.is_admin(),
            flash: None,
            refresh: None,
        }
    }

    pub fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Self {
        self.crumbs.push((label.into(), href.into()));
        self
    }

    pub fn region(mut self, label: impl Into<String>) -> Self {
        self.region_label = label.into();
        self
    }

    pub fn active(&self, nav: &str) -> &'static str {
        if self.nav == nav { "active" } else { "" }
    }
}

/// Percent-encode a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(*b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Links for a paged list; `base` already holds the filters as `path?k=v&`.
pub struct Pager {
    pub total: i64,
    pub page: u64,
    pub pages: u64,
    pub page_size: u64,
    pub base: String,
    pub hidden: Vec<(String, String)>,
}

impl Pager {
    pub fn new(total: i64, page: u64, page_size: u64, path: &str, filters: &[(&str, String)]) -> Self {
        let pages = Ord::max((Ord::max(total, 0) as u64).div_ceil(page_size), 1);
        let mut base = format!("{path}?");
        let mut hidden = Vec::new();
        for (k, v) in filters {
            if !v.is_empty() {
                base.push_str(&format!("{k}={}&", enc(v)));
                hidden.push((k.to_string(), v.clone()));
            }
        }
        Pager { total, page, pages, page_size, base, hidden }
    }
    pub fn href<N: std::borrow::Borrow<u64>>(&self, page: N) -> String {
        format!("{}page={}&page_size={}", self.base, page.borrow(), self.page_size)
    }
    pub fn size_href<N: std::borrow::Borrow<u64>>(&self, size: N) -> String {
        format!("{}page=1&page_size={}", self.base, size.borrow())
    }
    /// Page numbers to show around the current one (0 = a gap).
    pub fn window(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for p in 1..=self.pages {
            if p == 1 || p == self.pages || (p + 2 >= self.page && p <= self.page + 2) {
                out.push(p);
            } else if out.last() != Some(&0) {
                out.push(0);
            }
        }
        out
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }
    pub fn prev(&self) -> u64 {
        self.page.saturating_sub(1).max(1)
    }
    pub fn next(&self) -> u64 {
        (self.page + 1).min(self.pages)
    }
    pub fn sizes(&self) -> [u64; 4] {
        [10, 20, 50, 100]
    }
}

/// One `<option>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn label_options<T: Labeled>(t: Tr, current: &str) -> Vec<Opt> {
    T::ALL
        .iter()
        .map(|v| Opt {
            value: v.code().to_string(),
            label: v.label(t.lang()).to_string(),
            selected: v.code() == current || v.zh() == current,
        })
        .collect()
}

pub enum FieldKind {
    Text,
    Date,
    Number,
    Select(Vec<Opt>),
    Checkbox,
    Readonly,
}

/// One field of the shared create/edit form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub value: String,
    pub required: bool,
    pub hint: String,
    pub error: Option<String>,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: FieldKind, value: &str) -> Self {
        Field { name, label, kind, value: value.to_string(), required: false, hint: String::new(), error: None }
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = h.into();
        self
    }
    pub fn is_date(&self) -> bool {
        matches!(self.kind, FieldKind::Date)
    }
    pub fn is_number(&self) -> bool {
        matches!(self.kind, FieldKind::Number)
    }
    pub fn is_checkbox(&self) -> bool {
        matches!(self.kind, FieldKind::Checkbox)
    }
    pub fn is_readonly(&self) -> bool {
        matches!(self.kind, FieldKind::Readonly)
    }
    pub fn options(&self) -> &[Opt] {
        match &self.kind {
            FieldKind::Select(o) => o,
            _ => &[],
        }
    }
    pub fn is_select(&self) -> bool {
        matches!(self.kind, FieldKind::Select(_))
    }
    pub fn checked(&self) -> bool {
        hongzhu_core::registry::parse_yes_no(&self.value).unwrap_or(false)
    }
}

/// Put each error under its field; errors for fields not on the form are returned.
pub fn attach_errors(fields: &mut [Field], errors: &[FieldError], t: Tr) -> Vec<String> {
    let mut rest = Vec::new();
    for e in errors {
        match fields.iter_mut().find(|f| f.name == e.field) {
            Some(f) => {
                let msg = e.message(t.lang()).to_string();
                f.error = Some(match f.error.take() {
                    Some(prev) => format!("{prev}；{msg}"),
                    None => msg,
                });
            }
            None => rest.push(e.message(t.lang()).to_string()),
        }
    }
    rest
}

pub fn fmt_count<N: std::borrow::Borrow<i64>>(n: N) -> String {
    let n = *n.borrow();
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// An Excel workbook as a download: `ascii` for old clients, `name` (UTF-8) for the rest.
/// A part of a whole as a percentage with one decimal, for templates ("—" when there is no whole).
pub fn share(part: &i64, whole: &i64) -> String {
    if *whole <= 0 { "—".into() } else { format!("{:.1}%", *part as f64 * 100.0 / *whole as f64) }
}

pub fn xlsx_response(bytes: Vec<u8>, ascii: &str, name: &str) -> Result<axum::response::Response, crate::error::AppError> {
    use axum::response::IntoResponse;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", enc(name))),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_separators() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(1234), "1,234");
        assert_eq!(fmt_count(1234567), "1,234,567");
        assert_eq!(fmt_count(-1000), "-1,000");
    }

    #[test]
    fn pager_window_and_links() {
        let p = Pager::new(1000, 25, 20, "/institutions", &[("q", "中心 小学".into()), ("kind", String::new())]);
        assert_eq!(p.pages, 50);
        assert_eq!(p.window(), vec![1, 0, 23, 24, 25, 26, 27, 0, 50]);
        assert_eq!(p.href(2), "/institutions?q=%E4%B8%AD%E5%BF%83%20%E5%B0%8F%E5%AD%A6&page=2&page_size=20");
        let empty = Pager::new(0, 1, 20, "/x", &[]);
        assert_eq!(empty.pages, 1);
        assert!(!empty.has_next());
    }
}
