//! The API's OpenAPI 3.1 description, and a browsable page made from it on the server (no
//! script, nothing loaded from outside).
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

fn list_params(extra: &[(&str, &str)]) -> Value {
    let mut params = vec![
        json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "页码，从1开始"}),
        json!({"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}, "description": "每页条数，默认20"}),
        json!({"name": "q", "in": "query", "schema": {"type": "string"}, "description": "名称/代码；人员为姓名或完整身份证号"}),
    ];
    for (name, desc) in extra {
        params.push(json!({"name": name, "in": "query", "schema": {"type": "string"}, "description": desc}));
    }
    Value::Array(params)
}

fn error_response(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn item_ops(tag: &str, key: &str, key_desc: &str, schema: &str, input: &str) -> Value {
    json!({
        "get": {"tags": [tag], "summary": format!("读取一条（{key_desc}）；ETag 为版本"), "parameters": [{"name": key, "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "记录", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}, "404": error_response("不存在或不在权限范围内")}},
        "put": {"tags": [tag], "summary": "修改；需 If-Match（读取时的 ETag）与 X-CSRF-Token", "parameters": [
                {"name": key, "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "If-Match", "in": "header", "required": true, "schema": {"type": "string"}, "description": "读取时的 ETag，如 \"3\""},
                {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{input}")}}}},
            "responses": {"200": {"description": "修改后的记录"}, "412": error_response("记录已被他人修改（版本过期）"), "422": error_response("输入有误，field 指出哪一项"), "428": error_response("缺少 If-Match"), "403": error_response("无权或缺少 CSRF 令牌")}}
    })
}

fn collection_ops(tag: &str, extra: &[(&str, &str)], schema: &str, input: &str) -> Value {
    json!({
        "get": {"tags": [tag], "summary": "列表：筛选与分页", "parameters": list_params(extra),
            "responses": {"200": {"description": "{items, total, page, page_size}", "content": {"application/json": {"schema": {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{schema}")}}, "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"}}}}}}, "401": error_response("未登录")}},
        "post": {"tags": [tag], "summary": "新增；需 X-CSRF-Token", "parameters": [{"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{input}")}}}},
            "responses": {"201": {"description": "新记录"}, "409": error_response("代码或身份证号已存在"), "422": error_response("输入有误"), "403": error_response("无权或缺少 CSRF 令牌")}}
    })
}

fn strings(fields: &[(&str, &str)]) -> Value {
    let props: serde_json::Map<String, Value> =
        fields.iter().map(|(k, d)| (k.to_string(), json!({"type": "string", "description": d}))).collect();
    json!({"type": "object", "properties": props})
}

/// The OpenAPI document.
pub fn spec() -> Value {
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/api/v1/session".into(),
        json!({
            "post": {"tags": ["会话"], "summary": "登录：设置会话 Cookie，返回 csrf_token", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": {"description": "{\"csrf_token\": \"…\"}"}, "401": error_response("用户名或密码不正确"), "403": error_response("账户已锁定（S2）"), "429": error_response("此地址登录失败过多（S2）")}},
            "delete": {"tags": ["会话"], "summary": "退出登录；需 X-CSRF-Token", "responses": {"204": {"description": "已退出"}}}
        }),
    );
    paths.insert(
        "/api/v1/session/second-factor".into(),
        json!({"post": {"tags": ["会话"], "summary": "两步验证（S5）：登录返回 stage 为 second_factor 时，提交验证器上的 6 位验证码；需 X-CSRF-Token",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}}}},
            "responses": {"200": {"description": "{\"stage\": \"full\"}"}, "401": error_response("验证码不正确")}}}),
    );
    paths.insert(
        "/api/v1/session/reauth".into(),
        json!({"post": {"tags": ["会话"], "summary": "重新验证身份（S4）：批量导出、查看完整信息、变更角色前再次提交密码；需 X-CSRF-Token",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}}}}},
            "responses": {"200": {"description": "{\"reauthenticated\": true, \"valid_minutes\": 10}"}, "401": error_response("密码不正确")}}}),
    );
    paths.insert(
        "/api/v1/openapi.json".into(),
        json!({"get": {"tags": ["文档"], "summary": "本文档", "responses": {"200": {"description": "OpenAPI 3.1"}}}}),
    );
    paths.insert("/api/v1/regions".into(), json!({"get": {"tags": ["区划"], "summary": "可见的行政区划", "responses": {"200": {"description": "{items, total, page, page_size}"}}}}));
    paths.insert(
        "/api/v1/institutions".into(),
        collection_ops(
            "学校",
            &[
                ("town", "乡镇街道9位代码"),
                ("kind", "类型代码"),
                ("ownership", "public/private"),
                ("status", "planned/operating/closed"),
                ("sort", "code/name/kind/town/students"),
                ("desc", "true 为降序"),
            ],
            "Institution",
            "InstitutionInput",
        ),
    );
    paths.insert("/api/v1/institutions/{code}".into(), item_ops("学校", "code", "机构代码", "Institution", "InstitutionInput"));
    paths.insert("/api/v1/orgs".into(), collection_ops("党组织", &[("kind", "组织类别代码")], "Org", "OrgInput"));
    paths.insert("/api/v1/orgs/{code}".into(), item_ops("党组织", "code", "组织代码", "Org", "OrgInput"));
    paths.insert(
        "/api/v1/staff".into(),
        collection_ops("教职工", &[("institution", "机构代码"), ("political_status", "政治面貌代码")], "Staff", "StaffInput"),
    );
    paths.insert("/api/v1/staff/{id}".into(), item_ops("教职工", "id", "编号", "Staff", "StaffInput"));
    paths.insert(
        "/api/v1/members".into(),
        collection_ops(
            "党员",
            &[("org", "组织代码"), ("institution", "工作单位机构代码"), ("category", "full/probationary")],
            "Member",
            "MemberInput",
        ),
    );
    paths.insert(
        "/api/v1/coverage".into(),
        json!({"get": {"tags": ["覆盖情况"], "summary": "三个全覆盖核查（spec/COVERAGE.md 的 JSON）：比率、问题与整改建议、预警",
            "parameters": [
                {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "核查日期，默认今天"},
                {"name": "region", "in": "query", "schema": {"type": "string"}, "description": "区划代码，默认本人管辖区划"}],
            "responses": {"200": {"description": "{as_of, region, institutions, rates, findings, warnings}"}, "422": error_response("日期无效、早于所有数据，或区划不存在；field 指出哪一项"), "404": error_response("区划不在权限范围内")}}}),
    );
    paths.insert(
        "/api/v1/imports".into(),
        json!({"post": {"tags": ["台账"], "summary": "导入台账（multipart：file，dry_run，partial）；返回 {ok, counts, problems}；需 X-CSRF-Token",
            "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}, "dry_run": {"type": "boolean"}, "partial": {"type": "boolean"}}}}}},
            "responses": {"200": {"description": "导入（或试导入）的报告"}, "422": error_response("有错误，未写入")}}}),
    );
    paths.insert(
        "/api/v1/export-requests".into(),
        json!({
            "get": {"tags": ["台账"], "summary": "不脱敏导出的申请（本区划）：编号、区划、用途、申请人、状态 pending/approved/refused/used（S14）", "responses": {"200": {"description": "{items}"}}},
            "post": {"tags": ["台账"], "summary": "申请不脱敏导出；须由另一位管理员审批；需 X-CSRF-Token",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {"region": {"type": "string"}, "reason": {"type": "string", "description": "用途，4–200 字"}}}}}},
                "responses": {"201": {"description": "申请"}, "422": error_response("未写明用途")}}
        }),
    );
    paths.insert(
        "/api/v1/export-requests/{id}".into(),
        json!({"post": {"tags": ["台账"], "summary": "审批不脱敏导出申请（不能审批自己的）；批准须近期重新验证身份；需 X-CSRF-Token",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["action"], "properties": {"action": {"type": "string", "enum": ["approve", "refuse"]}, "note": {"type": "string"}}}}}},
            "responses": {"200": {"description": "申请"}, "422": error_response("自己的申请或已处理")}}}),
    );
    paths.insert(
        "/api/v1/exports".into(),
        json!({"get": {"tags": ["台账"], "summary": "导出区划的台账工作簿（默认脱敏；full=1 为完整号码，须带已批准申请的 request=编号，S14）",
            "parameters": [{"name": "region", "in": "query", "schema": {"type": "string"}}, {"name": "full", "in": "query", "schema": {"type": "string", "enum": ["1"]}}, {"name": "request", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "xlsx"}}}}),
    );
    paths.insert("/api/v1/members/{id}".into(), item_ops("党员", "id", "编号", "Member", "MemberInput"));
    life_paths(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "红烛 Hongzhu API", "version": env!("CARGO_PKG_VERSION"),
            "description": "教育系统党建工作平台接口。先 POST /api/v1/session 登录，之后的修改请求带 X-CSRF-Token。身份证号和手机号在响应中脱敏。错误为 {code, message, field}。"},
        "paths": paths,
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string", "description": "稳定的错误代码"}, "message": {"type": "string", "description": "中文说明"}, "field": {"type": ["string", "null"], "description": "出错的字段"}}},
            "Institution": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"}, "ownership": {"type": "string"}, "status": {"type": "string"}, "town": {"type": "string"}, "town_name": {"type": "string"}, "parent": {"type": ["string", "null"]}, "longitude": {"type": ["number", "null"]}, "latitude": {"type": ["number", "null"]}, "students": {"type": ["integer", "null"]}, "classes": {"type": ["integer", "null"]}, "version": {"type": "integer"}}},
            "InstitutionInput": strings(&[("code", "机构代码，4–32位"), ("name", "名称"), ("kind", "类型：代码或中文"), ("ownership", "公办/民办"), ("status", "筹建/在办/撤并，默认在办"), ("town", "乡镇街道9位代码"), ("parent", "上级学校机构代码"), ("longitude", "经度"), ("latitude", "纬度"), ("students", "在校生数"), ("classes", "班级数")]),
            "Org": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"}, "parent": {"type": ["string", "null"]}, "region": {"type": "string"}, "term_start": {"type": ["string", "null"]}, "term_end": {"type": ["string", "null"]}, "member_count": {"type": "integer"}, "version": {"type": "integer"}}},
            "OrgInput": strings(&[("code", "组织代码"), ("name", "组织名称"), ("kind", "党委/党总支/党支部/联合党支部/临时党支部"), ("parent", "上级组织代码"), ("region", "县6位区划代码"), ("founded_on", "成立日期"), ("term_start", "本届任期开始"), ("term_years", "任期年限"), ("status", "正常/撤销")]),
            "Staff": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "id_number": {"type": "string", "description": "脱敏"}, "phone": {"type": ["string", "null"], "description": "脱敏"}, "institution": {"type": "string"}, "political_status": {"type": "string"}, "version": {"type": "integer"}}},
            "StaffInput": strings(&[("id_number", "身份证号"), ("name", "姓名"), ("gender", "男/女"), ("phone", "手机号"), ("institution", "机构代码"), ("post", "岗位"), ("leadership_role", "领导职务"), ("political_status", "政治面貌"), ("development_stage", "发展阶段"), ("backbone", "是/否"), ("head_teacher", "是/否"), ("mental_health", "是/否"), ("work_start", "参加工作日期")]),
            "Member": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "id_number": {"type": "string", "description": "脱敏"}, "category": {"type": "string"}, "admitted_on": {"type": "string"}, "full_on": {"type": ["string", "null"]}, "org": {"type": "string"}, "version": {"type": "integer"}}},
            "Activity": {"type": "object", "properties": {"id": {"type": "integer"}, "org": {"type": "string"}, "org_name": {"type": "string"}, "kind": {"type": "string", "description": "branch_assembly/committee_meeting/group_meeting/lecture/theme_day/life_meeting/review/talk/observation/other"}, "topic": {"type": "string"}, "starts_at": {"type": "string", "format": "date-time"}, "status": {"type": "string", "description": "planned/draft/submitted/accepted/returned"}, "return_reason": {"type": ["string", "null"]}, "hours": {"type": "number"}, "version": {"type": "integer"}}},
            "ActivityInput": strings(&[("org", "党组织代码"), ("kind", "活动类型：代码或中文"), ("kind_name", "类型为“其他”时的名称"), ("topic", "主题"), ("date", "日期 2026-11-26"), ("time", "时间 15:30（北京时间）"), ("minutes", "时长（分钟，10–600）"), ("place", "地点"), ("host", "主持人（已开展时必填）"), ("recorder", "记录人（已开展时必填）"), ("lecturer", "授课人（党课必填）"), ("content", "主要内容（已开展时必填）"), ("decisions", "决定事项"), ("hours", "计入学时，默认按类型"), ("held", "1：已开展；空：计划")]),
            "MemberInput": strings(&[("id_number", "身份证号（须已有人员记录）"), ("category", "正式党员/预备党员"), ("admitted_on", "入党日期"), ("full_on", "转正日期"), ("org", "所在组织代码"), ("work_institution", "工作单位机构代码"), ("party_post", "党内职务"), ("education", "学历：研究生/大学本科/大学专科/中专/高中/初中及以下，可不填")]),
        }}
    })
}

/// 组织生活 (issue: organizational life).
fn life_paths(paths: &mut serde_json::Map<String, Value>) {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let token = json!({"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}});
    paths.insert(
        "/api/v1/activities".into(),
        json!({
            "get": {"tags": ["组织生活"], "summary": "活动列表：筛选与分页，每条带出勤 turnout",
                "parameters": list_params(&[("org", "党组织代码"), ("kind", "活动类型"), ("status", "状态"), ("from", "开始日期"), ("to", "结束日期")]),
                "responses": {"200": {"description": "{items, total, page, page_size}"}, "422": error_response("日期无效")}},
            "post": {"tags": ["组织生活"], "summary": "登记活动（计划或已开展），自动生成应到名单；观摩活动另传 invited（党组织代码数组）；需 X-CSRF-Token",
                "parameters": [token.clone()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActivityInput"}}}},
                "responses": {"201": {"description": "新活动"}, "422": error_response("输入有误，如将来的活动记为已开展（held_in_future）"), "403": error_response("无权或缺少 CSRF 令牌")}}
        }),
    );
    let mut item = item_ops("组织生活", "id", "编号", "Activity", "ActivityInput");
    item["put"]["responses"]["422"] = error_response("输入有误，或记录已提交/审核不能再改（not_editable）");
    paths.insert("/api/v1/activities/{id}".into(), item);
    paths.insert(
        "/api/v1/activities/{id}/review".into(),
        json!({"post": {"tags": ["组织生活"], "summary": "审核流转：{step: submit|accept|return, reason, version}；退回须填原因；需 X-CSRF-Token",
            "parameters": [id.clone(), token.clone()],
            "responses": {"200": {"description": "流转后的活动"}, "412": error_response("版本过期"), "422": error_response("当前状态不能进行此操作，或缺少退回原因"), "403": error_response("只有上级党组织可审核")}}}),
    );
    paths.insert(
        "/api/v1/activities/{id}/attendance".into(),
        json!({"get": {"tags": ["组织生活"], "summary": "应到名单与出勤：{turnout, attendance}", "parameters": [id.clone()],
            "responses": {"200": {"description": "出勤"}, "404": error_response("不存在或不在权限范围内")}}}),
    );
    paths.insert(
        "/api/v1/activities/{id}/checkin".into(),
        json!({"post": {"tags": ["组织生活"], "summary": "本人签到（活动开始前后各30分钟内），或 {leave_reason} 请假（开始前）；需 X-CSRF-Token",
            "parameters": [id, token],
            "responses": {"200": {"description": "{state}"}, "422": error_response("不在签到时间（not_open/closed）、不在应到名单（not_on_roster）或重复签到（already）")}}}),
    );
    paths.insert(
        "/api/v1/activities/{id}/files".into(),
        json!({
            "get": {"tags": ["组织生活"], "summary": "活动的照片和材料（不含内容；下载为 /life/files/{fid}）",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "[{id, name, mime, size, created_by, created_at}]"}}},
            "post": {"tags": ["组织生活"], "summary": "上传附件（multipart：file）；按内容识别类型：JPG、PNG、PDF、.docx、.xlsx、.pptx；每个不超过 10 MB，每次活动最多 30 个；需 X-CSRF-Token",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                "responses": {"201": {"description": "附件"}, "413": error_response("超过 10 MB"), "422": error_response("类型不支持（refused_type）、空文件、数量超限或记录已提交")}}
        }),
    );
    paths.insert(
        "/api/v1/life/compliance".into(),
        json!({"get": {"tags": ["组织生活"], "summary": "三会一课、主题党日落实情况（R3.1–R3.3）：每个党组织逐类应开展/已开展、漏开期次与待办",
            "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}, "description": "年度，默认今年"}],
            "responses": {"200": {"description": "{year, as_of, orgs}"}}}}),
    );
    let year_param = json!({"name": "year", "in": "query", "schema": {"type": "integer"}, "description": "年度，默认今年"});
    let csrf_param = json!({"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}});
    paths.insert(
        "/api/v1/life/observation".into(),
        json!({"get": {"tags": ["组织生活"], "summary": "本年度观摩活动与党务干部覆盖：{events, cadres, reached, not_reached}", "parameters": [year_param.clone()],
            "responses": {"200": {"description": "党务干部全覆盖情况"}}}}),
    );
    paths.insert(
        "/api/v1/life/guides".into(),
        json!({
            "get": {"tags": ["组织生活"], "summary": "月度主题党日指导和本县的其他活动类型：{guides, other_kinds}", "responses": {"200": {"description": "主题"}}},
            "post": {"tags": ["组织生活"], "summary": "发布（或替换）某月主题：{month: 2026-12, topic, materials}；县级管理员；需 X-CSRF-Token", "parameters": [csrf_param.clone()],
                "responses": {"201": {"description": "已发布"}, "422": error_response("月份或主题无效"), "403": error_response("只有县级管理员可发布")}}
        }),
    );
    paths.insert(
        "/api/v1/life/evaluations".into(),
        json!({
            "get": {"tags": ["组织生活"], "summary": "民主评议（R3.3）：党组织某年度每名党员的等次与优秀上限", "parameters": [{"name": "org", "in": "query", "required": true, "schema": {"type": "string"}}, year_param],
                "responses": {"200": {"description": "{org, year, limit_excellent, members}"}, "404": error_response("党组织不存在或不在权限范围内")}},
            "put": {"tags": ["组织生活"], "summary": "保存等次：{org, year, grades: {党员编号: 优秀|合格|基本合格|不合格}}；优秀超过三分之一时整次不保存（excellent_limit）；需 X-CSRF-Token", "parameters": [csrf_param.clone()],
                "responses": {"200": {"description": "保存后的等次"}, "422": error_response("优秀超过上限、等次无效或党员不属于该组织")}}
        }),
    );
    paths.insert(
        "/api/v1/life/study".into(),
        json!({"post": {"tags": ["组织生活"], "summary": "登记自学、网络学习、培训学时（R3.4）：{org, member, studied_on, hours, content}；返回该党员本年度学时；需 X-CSRF-Token", "parameters": [csrf_param],
            "responses": {"201": {"description": "{member, year, hours, required}"}, "422": error_response("日期在将来、学时不在0.5–24或党员不属于该组织")}}}),
    );
    paths.insert(
        "/api/v1/development/people".into(),
        json!({"get": {"tags": ["党员发展"], "summary": "发展党员台账：入党申请人、积极分子、发展对象与预备党员，各人已完成步骤、下一步、到期与提醒（DOMAIN §3）",
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}, "description": "姓名"}, {"name": "institution", "in": "query", "schema": {"type": "string"}, "description": "学校代码或名称"},
                {"name": "stage", "in": "query", "schema": {"type": "string", "enum": ["applicant", "activist", "candidate", "probationary"]}}, {"name": "flagged", "in": "query", "schema": {"type": "string"}, "description": "1：只看有提醒的"}],
            "responses": {"200": {"description": "{items, total}"}, "403": error_response("党员账户无权查看")}}}),
    );
    paths.insert(
        "/api/v1/development/people/{id}".into(),
        json!({"get": {"tags": ["党员发展"], "summary": "一人的发展记录（按教职工编号）：25 个步骤、进度、到期与提醒", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "记录"}, "404": error_response("不存在或不在权限范围内")}}}),
    );
    paths.insert(
        "/api/v1/development/people/{id}/steps".into(),
        json!({"post": {"tags": ["党员发展"], "summary": "记录下一步：{step, on, people（党员编号数组：培养联系人、入党介绍人）, days, hours, due, present, yes, notice_from, notice_to, approver（党委代码）, outcome（full/extend）, extend_months, passed, note}；按规则检查（R2.1–R2.12），第17步自动建立预备党员记录，第24步自动转正；需 X-CSRF-Token",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, csrf_param],
            "responses": {"201": {"description": "记录的步骤"}, "400": error_response("请求体不是 JSON"), "422": error_response("不符合规则：code 与 message 说明哪条规则、应当怎样做")}}}),
    );
    paths.insert(
        "/api/v1/development/due".into(),
        json!({"get": {"tags": ["党员发展"], "summary": "到期提醒：本月到期及逾期；本季度可确定为发展对象、待审批接收、预备期满",
            "responses": {"200": {"description": "{due_this_month, may_become_candidates, awaiting_admission_approval, probation_ends}"}}}}),
    );
    paths.insert(
        "/api/v1/transfers".into(),
        json!({"get": {"tags": ["党员"], "summary": "组织关系转接：系统内转接、转出系统外、从系统外转入；待接收的在前，days 为已等待（或办理用时）天数",
            "parameters": [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "accepted", "returned", "completed", "cancelled"]}}, {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["within", "out", "in"]}}, {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "党员姓名"}],
            "responses": {"200": {"description": "{items, total}"}}}}),
    );
    paths.insert(
        "/api/v1/transfers/{id}/decision".into(),
        json!({"post": {"tags": ["党员"], "summary": "处理转接：{decision: accept|return（接收方）|complete|cancel（转出方）, on, reason}；接收后党员转入接收组织，办结（转出系统外）后党员关系终止；需 X-CSRF-Token",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "转接记录"}, "422": error_response("不是本方可作的处理、日期有误或已处理")}}}),
    );
    paths.insert(
        "/api/v1/members/{id}/transfers".into(),
        json!({"post": {"tags": ["党员"], "summary": "办理转出：{kind: within|out, to_org（系统内）, outside（系统外去向）, started_on, letter_no, note}；接收前党员仍在原组织、标“转接中”；需 X-CSRF-Token",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"201": {"description": "转接记录"}, "422": error_response("已有待接收的转接、接收组织不存在等")}}}),
    );
    paths.insert(
        "/api/v1/members/{id}/status".into(),
        json!({"post": {"tags": ["党员"], "summary": "变更党员状态：{status: normal|floating|lost|suspended|left|deceased, on, reason}；出党、死亡后移出名册，历史保留；需 X-CSRF-Token",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "{member, status, history}"}, "422": error_response("日期在将来、缺少原因或党员关系已终止")}}}),
    );
    paths.insert(
        "/api/v1/dues/ledger".into(),
        json!({"get": {"tags": ["党费"], "summary": "党组织某年的党费台账：每名党员 12 个月（已交金额、补、代、未交、未核定、免交）、应交、已交、未交月数（R4.2–R4.5）",
            "parameters": [{"name": "org", "in": "query", "schema": {"type": "string"}, "description": "党组织代码；不填为本人所在组织"}, {"name": "year", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{org, year, members, due, paid, members_with_unpaid_months, without_base}"}, "404": error_response("党组织不存在或不在权限范围内")}}}),
    );
    paths.insert(
        "/api/v1/dues/bases".into(),
        json!({"put": {"tags": ["党费"], "summary": "核定缴费基数：{org, year, bases: [{member, category, base, farmer, from_month}]}，替换这些党员该年的基数；全部有效才保存（R4.1、R4.3、R4.5）；需 X-CSRF-Token",
            "parameters": [{"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "{org, year, saved}"}, "422": error_response("金额、类别或起始月份有误")}}}),
    );
    paths.insert(
        "/api/v1/dues/payments".into(),
        json!({"post": {"tags": ["党费"], "summary": "登记交纳：{org, year, month, paid_on, payments: [{member, amount, proxy}]}；入党之月起、不重复、不晚于本季度末（R4.4）；全部有效才登记；需 X-CSRF-Token",
            "parameters": [{"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"201": {"description": "{recorded}"}, "422": error_response("已登记、尚未入党、日期在将来等")}}}),
    );
    paths.insert(
        "/api/v1/dues/report".into(),
        json!({"get": {"tags": ["党费"], "summary": "党费年度报告：各党组织党员数、应交、已交、欠交人数、补交超过 6 个月的笔数、未核定基数人数", "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{year, orgs, total}"}}}}),
    );
    paths.insert(
        "/api/v1/terms".into(),
        json!({"get": {"tags": ["党组织"], "summary": "各党组织任期：本届起始、任期年数、届满日期、状态（expired 已届满 R1.6、expiring 6个月内届满 R1.7、current、none）、最近选举日期；已届满的在前",
            "responses": {"200": {"description": "{remind_months, items}"}}}}),
    );
    paths.insert(
        "/api/v1/orgs/{code}/elections".into(),
        json!({"post": {"tags": ["党组织"], "summary": "记录换届选举：{held_on, due, present, term_years, note, results: [{member, post, votes}]}；到会超过五分之四、得票超过实到半数、R1.4 职数、预备党员无被选举权；记录后开始新一届任期并更新职务；需 X-CSRF-Token",
            "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"201": {"description": "{election, org, term_start, term_end, remarks}"}, "422": error_response("选举无效或结果不符合规定")}}}),
    );
    paths.insert(
        "/api/v1/honors".into(),
        json!({
            "get": {"tags": ["创建评比"], "summary": "荣誉：年度、级别、类别、获得者（学校或党组织）、授予单位；by_year 为各年度各类别数量", "parameters": [
                {"name": "year", "in": "query", "schema": {"type": "integer"}}, {"name": "level", "in": "query", "schema": {"type": "string", "enum": ["national", "provincial", "city", "county"]}},
                {"name": "kind", "in": "query", "schema": {"type": "string"}}, {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "获得者名称"}],
                "responses": {"200": {"description": "{items, total, by_year}"}}},
            "post": {"tags": ["创建评比"], "summary": "登记荣誉：{kind, level, year, issuer, title, institution 或 org, note}；需 X-CSRF-Token", "parameters": [{"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
                "responses": {"201": {"description": "{id}"}, "422": error_response("年度在将来、缺少获得者或获得者不在权限范围内")}}
        }),
    );
    paths.insert(
        "/api/v1/indicators".into(),
        json!({"get": {"tags": ["学校业务"], "summary": "各校某年业务指标：在校生、班级、大班额（56–65）、超大班额（≥66，R6.1）、专任教师、本科录取/参考、资助、投入、新建面积；未填报的 indicators 为 null", "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{year, schools, total}"}}}}),
    );
    paths.insert(
        "/api/v1/indicators/{code}/{year}".into(),
        json!({"put": {"tags": ["学校业务"], "summary": "填报或修改一所学校某年的指标（可用 class_sizes 逐班人数，按 R6.1 计算）；修改已有数据需 If-Match（版本）；自相矛盾的数字（班级多于学生等）拒绝；需 X-CSRF-Token",
            "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "year", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "If-Match", "in": "header", "schema": {"type": "string"}}, {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "{code, year, indicators, average_class}"}, "412": error_response("已被他人修改"), "422": error_response("数字有误或相互矛盾")}}}),
    );
    paths.insert(
        "/api/v1/stats".into(),
        json!({"get": {"tags": ["统计报表"], "summary": "党内统计年报：截至某日（默认上年 12 月 31 日）的党员总数、正式/预备、性别、年龄段、入党时间、党组织类别，以及本年变化（发展、转正、转入、转出、死亡、出党、停止党籍）；按记录历史计算",
            "parameters": [{"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}}],
            "responses": {"200": {"description": "{as_of, members, full, probationary, by_gender, by_age, by_education, by_joining, orgs, changes}"}, "422": error_response("日期无效或在将来")}}}),
    );
    paths.insert(
        "/api/v1/campaigns/{id}".into(),
        json!({"get": {"tags": ["创建评比"], "summary": "评比：指标（五个好，共 100 分）与排名（自评、评审人数、各指标评审平均分、总分）；书记只看到本校",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{campaign, indicators, ranking}"}, "404": error_response("不存在")}}}),
    );
    paths.insert(
        "/api/v1/campaigns/{id}/entries/{entry}/scores".into(),
        json!({"post": {"tags": ["创建评比"], "summary": "打分：{scores: {指标编号: 分数}}；书记为本校自评（申报阶段），县级为评审人打分（评审阶段，回避本人所在学校）；每项 0 至分值、最多一位小数；需 X-CSRF-Token",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "entry", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "{entry, saved, as}"}, "422": error_response("分数超出范围、阶段不对或给本校打分")}}}),
    );
    paths.insert(
        "/api/v1/scorecard".into(),
        json!({"get": {"tags": ["统计报表"], "summary": "党建与业务融合评价：每校三个全覆盖、组织生活落实、荣誉与班额、升学、业务数据填报各项得分率，加权综合得分与排名（权重见 weights，可由 HONGZHU_SCORECARD_WEIGHTS 设置）",
            "responses": {"200": {"description": "{school_year, weights, items}"}}}}),
    );
    paths.insert(
        "/api/v1/school-work".into(),
        json!({"get": {"tags": ["党建+"], "summary": "条块结合、送教下乡、带团建带少建：各校党员担任班主任和心理健康教师情况（roles），某年的党员安全教育课、心理健康活动、送教下乡、同课异构、团队活动（activities），团支部和少先队大队（youth_units），青年教师推优入党情况（pipeline，R2.3）",
            "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{year, roles, activities, youth_units, pipeline}"}}}}),
    );
    paths.insert(
        "/api/v1/school-work/activities".into(),
        json!({"post": {"tags": ["党建+"], "summary": "登记一次活动：{school, kind (safety_lesson|psych_activity|teaching_trip|same_topic|league_activity|pioneer_activity), held_on, title, target（送教学校代码，送教下乡必填）, team?, lessons, participants, form（团队活动形式）, note, members: [在该校任教的党员 id]}；同课异构至少 2 名党员；需 X-CSRF-Token",
            "parameters": [{"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"201": {"description": "{id}"}, "422": error_response("日期晚于今天、缺少送教学校、送教本校、同课异构不足 2 人、党员不在该校任教等")}}}),
    );
    paths.insert(
        "/api/v1/service".into(),
        json!({"get": {"tags": ["党建+"], "summary": "在职党员到社区报到服务（R6.3）：各党员报到社区、本年社区服务与联系群众时长、是否达到年度目标（target_hours，可由 HONGZHU_SERVICE_HOURS_TARGET 设置，默认 20 小时）、课后服务时长",
            "parameters": [{"name": "org", "in": "query", "schema": {"type": "string"}}, {"name": "year", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{year, target_hours, items}"}}}}),
    );
    paths.insert(
        "/api/v1/service/records".into(),
        json!({"post": {"tags": ["党建+"], "summary": "党员记录本人的一次服务：{served_on, kind (community|contact|after_school), hours (0 < h，当天合计不超过 24，最多一位小数), content, station?}；只能记录本人的；需 X-CSRF-Token",
            "parameters": [{"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
            "responses": {"201": {"description": "{id}"}, "422": error_response("时长为负、为零、当天超过 24 小时，日期晚于今天等"), "404": error_response("登录账户没有党员记录")}}}),
    );
    paths.insert(
        "/api/v1/children".into(),
        json!({"get": {"tags": ["党建+"], "summary": "关爱留守儿童（R6.2）：各校在册、已结对、本年已走访人数（counts）；学校党组织书记和经指定的县级人员另得儿童记录（items，含结对与本年走访），党员只得本人结对的儿童；其他人员 items 为 null。每次返回儿童信息均记入审计日志",
            "responses": {"200": {"description": "{year, counts, items}"}}}}),
    );
    paths.insert(
        "/api/v1/children/{id}".into(),
        json!({"get": {"tags": ["党建+"], "summary": "一名留守儿童的记录、历次结对和走访；范围外的请求返回 404 并记入审计日志",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{child, pairings, visits}"}, "404": error_response("不存在或不在本人范围内")}}}),
    );
    paths.insert(
        "/api/v1/commitments".into(),
        json!({"get": {"tags": ["党建+"], "summary": "党员承诺（亮承诺）：某年各党员在“教育质量、精致管理、关爱学生”三个向我看齐和“亮本领”下的承诺及年中、年终评价",
            "parameters": [{"name": "org", "in": "query", "schema": {"type": "string"}}, {"name": "year", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "{year, items, total}"}}}}),
    );
    paths.insert(
        "/api/v1/life/absent".into(),
        json!({"get": {"tags": ["组织生活"], "summary": "连续3个月（提醒）、6个月（上报）未参加组织生活的党员（R3.5）",
            "responses": {"200": {"description": "{records_begin, members}"}}}}),
    );
}

struct DocOp {
    method: String,
    path: String,
    summary: String,
    params: Vec<(String, String, String)>,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    title: String,
    description: String,
    ops: Vec<DocOp>,
    schemas: Vec<(String, String)>,
}

pub async fn docs_page() -> Response {
    let s = spec();
    let mut ops = Vec::new();
    if let Some(paths) = s["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                (
                                    p["name"].as_str().unwrap_or("").to_string(),
                                    p["in"].as_str().unwrap_or("").to_string(),
                                    p["description"].as_str().unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| rs.iter().map(|(k, v)| (k.clone(), v["description"].as_str().unwrap_or("").to_string())).collect())
                    .unwrap_or_default();
                ops.push(DocOp {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or("").to_string(),
                    params,
                    responses,
                });
            }
        }
    }
    let schemas = s["components"]["schemas"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), serde_json::to_string_pretty(v).unwrap_or_default())).collect())
        .unwrap_or_default();
    let page = DocsPage {
        title: s["info"]["title"].as_str().unwrap_or("").to_string(),
        description: s["info"]["description"].as_str().unwrap_or("").to_string(),
        ops,
        schemas,
    };
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => crate::error::AppError::Internal(e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_api_route_is_documented() {
        let spec = super::spec();
        for (method, path) in crate::ROUTES.iter().filter(|(_, p)| p.starts_with("/api/v1/")) {
            let op = &spec["paths"][*path][method.to_ascii_lowercase()];
            assert!(op.is_object(), "{method} {path} is not in openapi.json");
        }
    }
}
