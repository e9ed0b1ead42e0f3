//! Honors and school indicators on both databases: the counts by year; a future year, a missing
//! holder and another school's holder refused; class sizes counted by R6.1; figures that
//! contradict each other refused with nothing written; a stale update refused (S24).
use chrono::Datelike;
use serde_json::{Value, json};

use crate::support::{self, Db};

async fn send(c: &reqwest::Client, csrf: &str, method: reqwest::Method, url: String, body: Value, if_match: Option<&str>) -> (u16, Value) {
    let mut r = c.request(method, url).header("x-csrf-token", csrf).json(&body);
    if let Some(v) = if_match {
        r = r.header("if-match", v);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn school(db: Db) {
    let app = support::app(db).await;
    let base = app.base.clone();
    let (county, csrf) = support::api_login(&app, "county").await;
    let (sec, sec_csrf) = support::api_login(&app, "yizhong").await;
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;

    // Honors: two city demonstration schools and a strong branch in 2018.
    for (kind, holder) in [
        ("demonstration_school", json!({"institution": "3708280001"})),
        ("demonstration_school", json!({"institution": "3708280002"})),
        ("strong_branch", json!({"org": "JX-YZ-ZB1"})),
    ] {
        let mut body = json!({"kind": kind, "level": "city", "year": 2018, "issuer": "中共济宁市委教育工委"});
        body.as_object_mut().unwrap().extend(holder.as_object().unwrap().clone());
        let (s, e) = send(&county, &csrf, post.clone(), format!("{base}/api/v1/honors"), body, None).await;
        assert_eq!(s, 201, "{e}");
    }
    let list: Value = county.get(format!("{base}/api/v1/honors?year=2018")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["by_year"]["2018"]["demonstration_school"], 2);
    assert_eq!(list["by_year"]["2018"]["strong_branch"], 1);
    assert!(list["items"].as_array().unwrap().iter().any(|h| h["title"] == "市级党建示范校"), "the title defaults to level and kind");
    for (body, word) in [
        (json!({"kind": "brand", "level": "city", "year": 2999, "issuer": "x", "institution": "3708280001"}), "年度"),
        (json!({"kind": "brand", "level": "city", "year": 2019, "issuer": "x"}), "学校或党组织"),
    ] {
        let (s, e) = send(&county, &csrf, post.clone(), format!("{base}/api/v1/honors"), body, None).await;
        assert_eq!(s, 422, "{e}");
        assert!(e.to_string().contains(word), "{word}: {e}");
    }
    // A secretary records their own school's honors, not another's.
    let (s, e) = send(
        &sec,
        &sec_csrf,
        post.clone(),
        format!("{base}/api/v1/honors"),
        json!({"kind": "brand", "level": "county", "year": 2019, "issuer": "x", "institution": "3708280002"}),
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("不在权限范围内"), "{e}");
    let mine: Value = sec.get(format!("{base}/api/v1/honors")).send().await.unwrap().json().await.unwrap();
    assert!(mine["items"].as_array().unwrap().iter().all(|h| h["institution"] != "3708280002"), "the secretary sees their own");

    // Indicators: class sizes counted by R6.1.
    let url = format!("{base}/api/v1/indicators/3708280001/2025");
    let (s, e) =
        send(&county, &csrf, put.clone(), url.clone(), json!({"class_sizes": "45, 55, 56, 65, 66, 70", "teachers": 30}), None).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["indicators"]["large_classes"], 2);
    assert_eq!(e["indicators"]["oversized_classes"], 2);
    assert_eq!(e["indicators"]["students"], 357);
    // Contradictions are refused and nothing changes; replacing needs the version read (S24).
    let (s, e) = send(&county, &csrf, put.clone(), url.clone(), json!({"students": 10, "classes": 12}), Some("1")).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("多于在校学生数"), "{e}");
    let (s, _) = send(&county, &csrf, put.clone(), url.clone(), json!({"students": 900, "classes": 20}), None).await;
    assert_eq!(s, 412, "an update without If-Match");
    let (s, e) = send(&county, &csrf, put.clone(), url.clone(), json!({"students": 900, "classes": 20}), Some("1")).await;
    assert_eq!(s, 200, "{e}");
    let (s, _) = send(&county, &csrf, put.clone(), url.clone(), json!({"students": 901, "classes": 20}), Some("1")).await;
    assert_eq!(s, 412, "a stale version");
    let all: Value = county.get(format!("{base}/api/v1/indicators?year=2025")).send().await.unwrap().json().await.unwrap();
    let yz = all["schools"].as_array().unwrap().iter().find(|s| s["code"] == "3708280001").unwrap();
    assert_eq!(yz["indicators"]["students"], 900);
    // The page form keeps what was typed when it refuses.
    let page = support::page_login(&app, "county").await;
    let form = page.get(format!("{base}/indicators/3708280002/2025")).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&form);
    let r = page
        .post(format!("{base}/indicators/3708280002/2025"))
        .form(&[("_csrf", token.as_str()), ("_version", ""), ("students", "500"), ("classes", "10"), ("oversized_classes", "8")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("R6.1") && html.contains("value=\"500\""), "the rule and the typed values");
    let x = page.get(format!("{base}/indicators.xlsx?year=2025")).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let sheets = hongzhu_ledger::read::read(x.bytes().await.unwrap().to_vec(), &hongzhu_ledger::read::Limits::default()).unwrap();
    let cells: Vec<String> = sheets[0].rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
    assert!(cells.iter().any(|c| c == "900") && cells.iter().any(|c| c == "未填报"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honors_and_indicators_on_sqlite() {
    school(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honors_and_indicators_on_postgres() {
    if support::pg_url().is_none() {
        eprintln!("HONGZHU_TEST_PG not set: skipped");
        return;
    }
    school(Db::Postgres).await;
}

/// The county's 首页: the coverage rates (as the coverage page computes them), the members by age
/// band adding up to the members, the towns; the big screen refreshes itself; a secretary keeps
/// the to-do home page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn county_dashboard() {
    let app = support::app(Db::Sqlite).await;
    let county = support::page_login(&app, "county").await;
    let html = county.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"dash-towns\"") && html.contains("党员年龄结构") && html.contains("需要关注"));
    let api: Value = county.get(format!("{}/api/v1/coverage", app.base)).send().await.unwrap().json().await.unwrap();
    let rate = format!("{:.1}%", api["rates"]["members"].as_f64().unwrap() * 100.0);
    assert!(html.contains(&rate), "the members rate {rate} as the audit computes it");
    let total = app.demo.store.member_profiles(&hongzhu_store::Scope::All).await.unwrap().len();
    let bars: usize = ["≤35", "36–45", "46–55", "56+"]
        .iter()
        .map(|b| {
            let i = html.find(&format!(">{b}</text>")).unwrap_or_else(|| panic!("band {b}"));
            let rest = &html[i..];
            let v = rest.split("</text>").nth(1).unwrap().rsplit('>').next().unwrap();
            v.trim().parse::<usize>().unwrap_or_else(|_| panic!("{b}: {v}"))
        })
        .sum();
    assert_eq!(bars, total, "the age bands add up to the members");
    // The education bars add up to the members too (those without one on their own line).
    let edu: usize = ["研究生", "大学本科", "大学专科", "中专", "高中", "初中及以下", "未填写"]
        .iter()
        .map(|b| {
            let i = html.find(&format!(">{b}</text>")).unwrap_or_else(|| panic!("education {b}"));
            let v = html[i..].split("</text>").nth(1).unwrap().rsplit('>').next().unwrap();
            v.trim().parse::<usize>().unwrap_or_else(|_| panic!("{b}: {v}"))
        })
        .sum();
    assert_eq!(edu, total, "the education bars add up to the members");
    assert!(html.contains("本月组织生活") && html.contains("进行中的创建评比"));
    let screen = county.get(format!("{}/?screen=1", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(screen.contains("http-equiv=\"refresh\"") && screen.contains("dashboard screen"));
    let sec = support::page_login(&app, "yizhong").await;
    let home = sec.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains("id=\"dash-towns\""), "the secretary's home is their own");
    assert!(home.contains("其他待办") && home.contains("/development/due") && home.contains("/orgs/terms"), "with their other open work");
}

/// Year-end statistics from the history: a member who dies today counts yesterday and not today,
/// and the death is among the year's changes; the day cannot be in the future.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_end_statistics_follow_the_history() {
    let app = support::app(Db::Sqlite).await;
    let (county, csrf) = support::api_login(&app, "county").await;
    let today = hongzhu_core::life::to_local(chrono::Utc::now()).date();
    let yesterday = today - chrono::Duration::days(1);
    let stats = |day: chrono::NaiveDate| {
        let c = county.clone();
        let base = app.base.clone();
        async move { c.get(format!("{base}/api/v1/stats?as_of={day}")).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let before = stats(today).await;
    let members = app
        .demo
        .store
        .members(&hongzhu_store::Scope::All, &hongzhu_store::PeopleFilter { page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(before["members"].as_i64().unwrap(), members.total, "everyone on the roll today");
    let id = members.items[0].meta.id;
    let (s, e) = send(
        &county,
        &csrf,
        reqwest::Method::POST,
        format!("{}/api/v1/members/{id}/status", app.base),
        json!({"status": "deceased", "on": today.to_string(), "reason": "病故"}),
        None,
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let after = stats(today).await;
    assert_eq!(after["members"].as_i64().unwrap(), members.total - 1);
    let died = |v: &Value| v["changes"].as_array().unwrap().iter().find(|r| r["label"] == "死亡").unwrap()["count"].as_i64().unwrap();
    assert_eq!(died(&after), died(&before) + 1);
    if yesterday.year() == today.year() {
        assert_eq!(stats(yesterday).await["members"].as_i64().unwrap(), members.total, "still a member yesterday");
    }
    let r = county.get(format!("{}/api/v1/stats?as_of={}", app.base, today + chrono::Duration::days(1))).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let page = support::page_login(&app, "county").await;
    let html = page.get(format!("{}/stats", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"stats-age\"") && html.contains("党的十八大以来"));
}

/// The integration scorecard: ranked by score; each score is the weighted mean of the shares that
/// apply (the documented rule), so it can be checked from the figures shown beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_scorecard() {
    let app = support::app(Db::Sqlite).await;
    let (county, csrf) = support::api_login(&app, "county").await;
    let year = {
        let t = hongzhu_core::life::to_local(chrono::Utc::now()).date();
        if t.month() >= 9 { t.year() } else { t.year() - 1 }
    };
    let (s, e) = send(
        &county,
        &csrf,
        reqwest::Method::PUT,
        format!("{}/api/v1/indicators/3708280001/{year}", app.base),
        json!({"class_sizes": "45, 50, 57, 66", "teachers": 10}),
        None,
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let card: Value = county.get(format!("{}/api/v1/scorecard", app.base)).send().await.unwrap().json().await.unwrap();
    let items = card["items"].as_array().unwrap();
    assert!(items.len() > 100);
    let scores: Vec<f64> = items.iter().map(|x| x["score"].as_f64().unwrap_or(-1.0)).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ranked by score");
    let weights = hongzhu_core::scorecard::Weights::default();
    for x in items.iter().take(20) {
        let shares: hongzhu_core::scorecard::Shares = std::array::from_fn(|i| x["shares"][hongzhu_core::scorecard::CRITERIA[i].0].as_f64());
        assert_eq!(hongzhu_core::scorecard::score(&shares, &weights), x["score"].as_f64(), "{x}");
    }
    let yz = items.iter().find(|x| x["institution"] == "3708280001").unwrap();
    assert_eq!(yz["shares"]["classes"], 0.5, "two of four classes within size (R6.1)");
    assert_eq!(yz["shares"]["reported"], 1.0);
    let page = support::page_login(&app, "county").await;
    let html = page.get(format!("{}/scorecard", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"scorecard\"") && html.contains("HONGZHU_SCORECARD_WEIGHTS"));
}
