//! One error type for pages and the API: HTML for people, JSON `{code, message, field}` for the API.
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hongzhu_core::registry::FieldError;
use hongzhu_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    LoginRequired,
    Unauthorized,
    BadCredentials,
    Forbidden,
    Csrf,
    NotFound,
    /// Input that failed checks, per field.
    Invalid(Vec<FieldError>),
    BadRequest(String),
    /// S24: stale write.
    Stale(i64),
    PreconditionRequired,
    Conflict(&'static str),
    UnknownReference(&'static str, String),
    Internal(String),
    /// S11: the audit trail could not record the operation, so it was not done.
    AuditUnavailable,
    /// S4: type the password again first; the page to return to.
    ReauthRequired(String),
    /// A request body that is not what the endpoint reads (malformed JSON): 400.
    Malformed(String),
    /// A request body over the limit: 413.
    TooLarge,
    /// S14: an unmasked export needs an approved request.
    ApprovalRequired,
    /// The session still owes a step ("second_factor", "enrol_second_factor", "password_change").
    StagePending(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Stale { current } => AppError::Stale(current),
            StoreError::Conflict { field } => AppError::Conflict(field),
            StoreError::UnknownReference { field, value } => AppError::UnknownReference(field, value),
            StoreError::Refused(e) => AppError::Invalid(vec![e]),
            StoreError::AuditUnavailable(reason) => {
                tracing::error!(%reason, "audit trail unavailable");
                AppError::AuditUnavailable
            }
            other => {
                tracing::error!(error = %other, "store error");
                AppError::Internal(other.to_string())
            }
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::LoginRequired | AppError::Unauthorized | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) | AppError::BadRequest(_) | AppError::UnknownReference(..) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Stale(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::AuditUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::ReauthRequired(_) => StatusCode::FORBIDDEN,
            AppError::ApprovalRequired => StatusCode::FORBIDDEN,
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::StagePending(_) => StatusCode::UNAUTHORIZED,
        }
    }

    /// The API's body: a stable code, a Chinese message, and the field when there is one.
    pub fn json_body(&self) -> serde_json::Value {
        let (code, message, field): (&str, String, Option<&str>) = match self {
            AppError::LoginRequired | AppError::Unauthorized => ("unauthorized", "请先登录（POST /api/v1/session）".into(), None),
            AppError::BadCredentials => ("bad_credentials", "用户名或密码不正确".into(), None),
            AppError::Forbidden => ("forbidden", "您的角色不能进行此操作".into(), None),
            AppError::Csrf => ("csrf", "缺少或错误的 X-CSRF-Token，或请求来源（Origin）不是本系统".into(), None),
            AppError::NotFound => ("not_found", "资源不存在，或不在您的权限范围内".into(), None),
            AppError::Invalid(errs) => {
                let first = errs.first();
                let body = json!({
                    "code": first.map(|e| e.code).unwrap_or("invalid"),
                    "message": first.map(|e| e.message_zh.clone()).unwrap_or_default(),
                    "field": first.map(|e| e.field),
                    "errors": errs.iter().map(|e| json!({"code": e.code, "message": e.message_zh, "message_en": e.message_en, "field": e.field})).collect::<Vec<_>>(),
                });
                return body;
            }
            AppError::BadRequest(m) => ("bad_request", m.clone(), None),
            AppError::Stale(v) => ("stale", format!("该记录已被他人修改（当前版本 {v}），请重新读取后再修改"), None),
            AppError::PreconditionRequired => ("if_match_required", "修改需要 If-Match 请求头，值为读取时的版本（ETag）".into(), None),
            AppError::Conflict(f) => ("duplicate", format!("{}已存在", field_zh(f)), Some(f)),
            AppError::UnknownReference(f, v) => ("unknown_reference", format!("{}“{}”不存在", field_zh(f), v), Some(f)),
            AppError::Internal(_) => ("internal", "服务器内部错误".into(), None),
            AppError::AuditUnavailable => {
                ("audit_unavailable", "审计日志暂时无法写入，操作未执行（SECURITY S11），请稍后重试或联系系统管理员".into(), None)
            }
            AppError::ReauthRequired(_) => {
                ("reauth_required", "此操作需要重新验证身份：请先 POST /api/v1/session/reauth 提交密码（SECURITY S4）".into(), None)
            }
            AppError::Malformed(m) => ("malformed", m.clone(), None),
            AppError::TooLarge => ("too_large", "请求体过大（JSON 不超过 2 MB；上传文件另有上限）".into(), None),
            AppError::ApprovalRequired => (
                "approval_required",
                "不脱敏导出须经另一位管理员审批：先 POST /api/v1/export-requests 申请，批准后带 request=编号 导出（SECURITY S14）".into(),
                None,
            ),
            AppError::StagePending(s) => (
                "login_incomplete",
                match s.as_str() {
                    "second_factor" => "登录尚未完成：请先输入两步验证码（POST /api/v1/session/second-factor）".into(),
                    "enrol_second_factor" => "管理员账户须先设置两步验证（在网页“账户安全”中设置）".into(),
                    _ => "密码已过期或为临时密码：请先在网页“账户安全”中修改密码".into(),
                },
                None,
            ),
        };
        json!({"code": code, "message": message, "field": field})
    }

    pub fn api(self) -> ApiError {
        ApiError(self)
    }
}

/// A JSON body that could not be read: too large (413) or not the JSON expected (400), saying
/// what is expected.
pub fn json_rejection(e: axum::extract::rejection::JsonRejection, expected: &str) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::Malformed(format!("请求体应为 JSON {expected}：{}", e.body_text()))
    }
}

pub fn field_zh(f: &str) -> &'static str {
    match f {
        "code" => "代码",
        "username" => "用户名",
        "id_number" => "身份证号",
        "town" => "乡镇街道",
        "parent" => "上级",
        "region" => "区划",
        "institution" => "学校",
        "work_institution" => "工作单位",
        "org" => "党组织",
        _ => "该项",
    }
}

/// Pages: login redirects, friendly HTML error pages.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::LoginRequired => Redirect::to("/login").into_response(),
            AppError::StagePending(stage) => Redirect::to(crate::auth::stage_page(&stage)).into_response(),
            AppError::ReauthRequired(next) => {
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                Redirect::to(&format!("/account/reauth?next={next}")).into_response()
            }
            other => {
                let status = other.status();
                let (title, text) = match (&other, status) {
                    (AppError::ApprovalRequired, _) => (
                        "需要审批 · Approval needed",
                        "导出完整身份证号和手机号须经另一位管理员审批。请在“数据导入导出”页面提交申请，批准后从申请记录中下载。<br>An export with full ID and phone numbers needs another administrator's approval: ask on the data page, then download from your request.",
                    ),
                    _ => match status {
                        StatusCode::NOT_FOUND => (
                            "页面不存在 · Page not found",
                            "您访问的页面不存在，或您没有查看它的权限。<br>The page does not exist, or you may not see it.",
                        ),
                        StatusCode::SERVICE_UNAVAILABLE => (
                            "暂时无法操作 · Not done",
                            "审计日志暂时无法写入，为保证每项操作都有记录，本次操作没有执行。请稍后重试或联系系统管理员。<br>The audit trail cannot be written, so the operation was not done. Try again later or call the system administrator.",
                        ),
                        StatusCode::FORBIDDEN => (
                            "无权操作 · Not allowed",
                            "您的角色不能进行此操作，或表单已过期，请刷新页面后重试。<br>Your role may not do this, or the form expired: reload and try again.",
                        ),
                        _ => (
                            "出错了 · Something went wrong",
                            "服务器处理请求时出错，请稍后重试。<br>The server could not handle the request; try again later.",
                        ),
                    },
                };
                let body = format!(
                    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body class=\"plain\"><main class=\"error-page\"><div class=\"error-code\">{}</div><h1>{title}</h1><p>{text}</p><p><a class=\"btn btn-primary\" href=\"/\">返回首页 · Home</a></p></main></body></html>",
                    status.as_u16()
                );
                (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
            }
        }
    }
}

/// The API's form of an error.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0.status(), axum::Json(self.0.json_body())).into_response()
    }
}
