//! The HTML pages: login, lists, details, forms with errors at the field, stale edits, masking,
//! headers, 404, language.
use crate::on_both;
use crate::support::{self, Db};

async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn login_lists_and_details(db: Db) {
    let app = support::app(db).await;
    let anon = support::client();
    let r = anon.get(format!("{}/institutions", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 303, "the login page first");
    assert_eq!(r.headers()["location"], "/login");
    let r = anon.post(format!("{}/login", app.base)).form(&[("username", "county"), ("password", "nope")]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("用户名或密码不正确"));

    let c = support::page_login(&app, "county").await;
    let (s, home) = get(&c, format!("{}/", app.base)).await;
    assert_eq!(s, 200);
    assert!(home.contains("工作概览") && home.contains("金乡县"));
    let (_, list) = get(&c, format!("{}/institutions?q=%E5%8D%9C%E9%9B%86", app.base)).await;
    assert!(list.contains("卜集镇中心小学"), "search by name");
    assert!(!list.contains("鸡黍镇中心小学"));
    let (_, filtered) = get(&c, format!("{}/institutions?ownership=private&kind=training&page_size=50", app.base)).await;
    assert!(filtered.contains("培训学校") && !filtered.contains("中心小学"));
    assert!(filtered.contains("共 26 条"), "13 towns × 2 training institutions");
    let (_, sorted) = get(&c, format!("{}/institutions?sort=students&desc=1", app.base)).await;
    assert!(sorted.contains("aria-sort=\"descending\""));
    let (s, detail) = get(&c, format!("{}/institutions/3708280001", app.base)).await;
    assert_eq!(s, 200);
    assert!(detail.contains("金乡县第一中学") && detail.contains("领导班子") && detail.contains("中共金乡县第一中学委员会"));
    let (_, tree) = get(&c, format!("{}/orgs", app.base)).await;
    assert!(tree.contains("中共金乡县委教育工作委员会") && tree.contains("pad-2"));
    assert!(tree.contains("已到期"), "胡集镇's expired term is flagged");
    let (s, org) = get(&c, format!("{}/orgs/JX-YZ-DW", app.base)).await;
    assert_eq!(s, 200);
    assert!(org.contains("下级组织") && org.contains("JX-YZ-DW"));
    let (_, staff) = get(&c, format!("{}/staff?institution=3708280001", app.base)).await;
    assert!(staff.contains("共 300 条"));
    let (_, members) = get(&c, format!("{}/members?category=probationary", app.base)).await;
    assert!(members.contains("预备党员"));
    // Language.
    let r = c.get(format!("{}/lang/en", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lang=en"));
    let en = c.get(format!("{}/institutions", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(en.contains("Schools") && en.contains("Search"));
}
on_both!(pages_read, login_lists_and_details);

async fn forms_show_errors_at_the_field(db: Db) {
    let app = support::app(db).await;
    let c = support::page_login(&app, "county").await;
    let (_, form) = get(&c, format!("{}/institutions/new", app.base)).await;
    let csrf = support::csrf_in(&form);
    let r = c
        .post(format!("{}/institutions/new", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", "12"),
            ("name", "新学校"),
            ("kind", "primary"),
            ("ownership", "public"),
            ("town", "370828103"),
            ("latitude", "35.1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("机构代码“12”无效"), "the code's error");
    assert!(html.contains("经度和纬度要么都填"), "the coordinate pair's error");
    assert!(html.contains("value=\"新学校\""), "the input is kept");
    // Without the token: refused.
    let r = c.post(format!("{}/institutions/new", app.base)).form(&[("code", "3708289100")]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // A valid one goes through and lands on its page.
    let r = c
        .post(format!("{}/institutions/new", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", "3708289100"),
            ("name", "金乡县新城小学"),
            ("kind", "primary"),
            ("ownership", "public"),
            ("town", "370828001"),
            ("status", "planned"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/institutions/3708289100");
    // Two people edit the same record: the second is told, and keeps their input.
    let (_, edit) = get(&c, format!("{}/institutions/3708289100/edit", app.base)).await;
    assert!(edit.contains("name=\"_version\" value=\"1\""));
    let fields = |name: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("_version", "1".to_string()),
            ("name", name.to_string()),
            ("kind", "primary".into()),
            ("ownership", "public".into()),
            ("town", "370828001".into()),
            ("status", "planned".into()),
        ]
    };
    let r = c.post(format!("{}/institutions/3708289100/edit", app.base)).form(&fields("金乡县新城第一小学")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = c.post(format!("{}/institutions/3708289100/edit", app.base)).form(&fields("另一个人的修改")).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("该记录已被他人修改"), "stale edit message");
    assert!(html.contains("value=\"另一个人的修改\""));
    let (_, page) = get(&c, format!("{}/institutions/3708289100", app.base)).await;
    assert!(page.contains("金乡县新城第一小学") && page.contains("update"), "history shows the change");

    // Staff: a bad ID number is explained under its field.
    let (_, form) = get(&c, format!("{}/staff/new", app.base)).await;
    let r = c
        .post(format!("{}/staff/new", app.base))
        .form(&[
            ("_csrf", support::csrf_in(&form).as_str()),
            ("id_number", "370828199001011238"),
            ("name", "张三"),
            ("institution", "3708280001"),
            ("political_status", "masses"),
            ("phone", "12345"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("身份证号校验位错误") && html.contains("手机号无效"));
}
on_both!(pages_forms, forms_show_errors_at_the_field);

/// S12: no unmasked 11- or 18-digit number in any page a user without the unmask permission sees.
#[tokio::test]
async fn pages_never_show_full_numbers() {
    let app = support::app(Db::Sqlite).await;
    let c = support::page_login(&app, "county").await;
    let mut urls = vec![
        "/".to_string(),
        "/staff".into(),
        "/staff?page=7&page_size=100".into(),
        "/members?page_size=100".into(),
        "/members?page=3&page_size=100".into(),
        "/orgs".into(),
        "/orgs/JX-YZ-ZB1".into(),
        "/institutions/3708280001".into(),
        "/m".into(),
    ];
    let staff: serde_json::Value = support::api_login(&app, "county")
        .await
        .0
        .get(format!("{}/api/v1/staff?page_size=30", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for s in staff["items"].as_array().unwrap() {
        urls.push(format!("/staff/{}", s["id"]));
        urls.push(format!("/staff/{}/edit", s["id"]));
    }
    for m in 1..=20 {
        urls.push(format!("/members/{m}"));
        urls.push(format!("/members/{m}/edit"));
    }
    let mut checked = 0;
    for u in &urls {
        let r = c.get(format!("{}{u}", app.base)).send().await.unwrap();
        if r.status() != 200 {
            continue;
        }
        let html = r.text().await.unwrap();
        let csrf = if html.contains("name=\"_csrf\"") { support::csrf_in(&html) } else { String::new() };
        let text = if csrf.is_empty() { html.clone() } else { html.replace(&csrf, "") };
        let runs = support::digit_runs(&text, 11);
        assert!(runs.is_empty(), "{u} shows {runs:?}");
        checked += 1;
    }
    assert!(checked > 60, "checked {checked} pages");
}

#[tokio::test]
async fn headers_404_and_logout() {
    let app = support::app(Db::Sqlite).await;
    let c = support::page_login(&app, "county").await;
    let r = c.get(format!("{}/staff", app.base)).send().await.unwrap();
    let h = r.headers();
    assert!(h["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    assert!(!h["content-security-policy"].to_str().unwrap().contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-frame-options"], "DENY");
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script>") && !body.contains(" style=\""), "no inline script or style");
    let r = c.get(format!("{}/no/such/page", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("页面不存在"));
    let r = c.get(format!("{}/institutions/NOPE-0000", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let css = c.get(format!("{}/assets/app.css", app.base)).send().await.unwrap();
    let etag = css.headers()["etag"].to_str().unwrap().to_string();
    let again = c.get(format!("{}/assets/app.css", app.base)).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    let (_, home) = get(&c, format!("{}/", app.base)).await;
    let csrf = support::csrf_in(&home);
    let r = c.post(format!("{}/logout", app.base)).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = c.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 303, "the session is gone");
}

/// A member lands on their phone page and cannot open the county's pages' data.
#[tokio::test]
async fn members_get_the_phone_page() {
    let app = support::app(Db::Sqlite).await;
    let c = support::client();
    let r = c.post(format!("{}/login", app.base)).form(&[("username", "dangyuan"), ("password", support::PASSWORD)]).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/m");
    let (s, me) = get(&c, format!("{}/m", app.base)).await;
    assert_eq!(s, 200);
    assert!(me.contains("我的党员信息") && me.contains("金乡县第一中学"));
    let (_, list) = get(&c, format!("{}/institutions", app.base)).await;
    assert!(list.contains("共 1 条"));
    assert_eq!(c.get(format!("{}/institutions/new", app.base)).send().await.unwrap().status(), 403);
    assert_eq!(c.get(format!("{}/institutions/3708280002", app.base)).send().await.unwrap().status(), 404);
}

/// R4.2, R4.3: the dues calculator gives the amount and the rule at the brackets' edges, and
/// says what is wrong with a base it cannot read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dues_calculator() {
    let app = support::app(Db::Sqlite).await;
    let c = support::page_login(&app, "yizhong").await;
    for (base, amount, rate) in [("3000.00", "15.00", "0.5%"), ("3000.01", "30.00", "1%"), ("10000.01", "200.00", "2%")] {
        let page = c.get(format!("{}/dues?category=in_service&base={base}", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("<strong>{amount}</strong>")) && page.contains(rate) && page.contains("R4.2"), "{base}");
    }
    let page = c.get(format!("{}/dues?category=student", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<strong>0.20</strong>") && page.contains("R4.3"));
    let r = c.get(format!("{}/dues?category=in_service&base=3000.001", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("最多两位小数"));
}

/// 双培养: the county sees every school's young and backbone non-members by stage, schools
/// without members first; a secretary sees their own school only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dual_training_pipeline() {
    let app = support::app(Db::Sqlite).await;
    let today = chrono::Utc::now().date_naive();
    let rows = app
        .demo
        .store
        .dual_training(&hongzhu_store::Scope::All, chrono::Datelike::with_year(&today, chrono::Datelike::year(&today) - 36).unwrap())
        .await
        .unwrap();
    assert!(rows.iter().any(|r| r.members == 0), "the demo has schools without members");
    assert!(rows.iter().map(|r| r.applicants + r.activists + r.candidates).sum::<i64>() > 0, "and a pipeline");
    let c = support::page_login(&app, "county").await;
    let page = c.get(format!("{}/development", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("无党员") && page.contains("发展对象"));
    let first_no_members = page.find("无党员</span>").unwrap();
    let first_school = page.find("href=\"/institutions/").unwrap();
    assert!(
        first_no_members > first_school && page[first_school..first_no_members].matches("href=\"/institutions/").count() == 1,
        "schools without members come first"
    );
    let s = support::page_login(&app, "yizhong").await;
    let own = s.get(format!("{}/development", app.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(own.matches("href=\"/institutions/").count(), 1, "the secretary's own school");
}
