//! A real browser (Debian's chromium through chromedriver) logs in, searches institutions and
//! opens one.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::support::{self, Db};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver and a headless chromium session at a window size.
async fn browser(width: u32, height: u32) -> (Driver, fantoccini::Client, support::TempDir) {
    let port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (.ci/run installs Debian's chromium-driver)"),
    );
    let profile = support::TempDir::new();
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--window-size={width},{height}"), format!("--user-data-dir={}", profile.0.display())]
        }
    }))
    .unwrap();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    (driver, client.expect("a browser session"), profile)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_logs_in_searches_and_opens_a_school() {
    let app = support::app(Db::Sqlite).await;
    let (driver, c, _profile) = browser(1366, 900).await;
    let result = async {
        c.goto(&format!("{}/institutions", app.base)).await?;
        // Sent to the login page first.
        assert!(c.current_url().await?.path().ends_with("/login"));
        c.find(Locator::Id("username")).await?.send_keys("county").await?;
        c.find(Locator::Id("password")).await?.send_keys(support::PASSWORD).await?;
        c.find(Locator::Css("button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::Css(".cards")).await?;
        c.find(Locator::LinkText("学校")).await?.click().await?;
        c.wait().for_element(Locator::Id("institutions")).await?;
        c.find(Locator::Css("input[name=q]")).await?.send_keys("卜集镇中心小学").await?;
        c.find(Locator::Css("form.search button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::LinkText("卜集镇中心小学")).await?;
        let rows = c.find_all(Locator::Css("#institutions tbody tr")).await?;
        assert_eq!(rows.len(), 1);
        c.find(Locator::LinkText("卜集镇中心小学")).await?.click().await?;
        c.wait().for_element(Locator::Css(".header-card h1")).await?;
        let title = c.find(Locator::Css(".header-card h1")).await?.text().await?;
        assert_eq!(title, "卜集镇中心小学");
        let body = c.find(Locator::Css("main")).await?.text().await?;
        assert!(body.contains("领导班子") && body.contains("教学点"), "{body}");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = c.close().await;
    drop(driver);
    result.expect("the browser run");
}

/// A secretary plans a theme Party day starting in a few minutes; a member, on a phone-sized
/// window, opens its check-in page and checks in; the secretary sees the attendance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secretary_plans_and_a_member_checks_in_on_a_phone() {
    let app = support::app(Db::Sqlite).await;
    let (driver, c, _profile) = browser(390, 844).await;
    let login = |user: &'static str| {
        let c = c.clone();
        let base = app.base.clone();
        async move {
            c.goto(&format!("{base}/login")).await?;
            c.find(Locator::Id("username")).await?.send_keys(user).await?;
            c.find(Locator::Id("password")).await?.send_keys(support::PASSWORD).await?;
            c.find(Locator::Css("button[type=submit]")).await?.click().await?;
            Ok::<_, fantoccini::error::CmdError>(())
        }
    };
    let result = async {
        login("yizhong").await?;
        c.wait().for_element(Locator::Css(".cards")).await?;
        c.goto(&format!("{}/life/new?org=JX-YZ-ZB1", app.base)).await?;
        let start = hongzhu_core::life::to_local(chrono::Utc::now() + chrono::Duration::minutes(5));
        c.find(Locator::Id("f-topic")).await?.send_keys("手机签到演练").await?;
        let date = c.find(Locator::Id("f-date")).await?;
        date.clear().await?;
        date.send_keys(&start.date().to_string()).await?;
        let time = c.find(Locator::Id("f-time")).await?;
        time.clear().await?;
        time.send_keys(&start.format("%H:%M").to_string()).await?;
        c.find(Locator::Id("f-place")).await?.send_keys("三楼会议室").await?;
        c.find(Locator::Css("form.form button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::Css("img[src$='qr.svg']")).await?;
        let path = c.current_url().await?.path().to_string();
        let id = path.trim_start_matches("/life/").to_string();
        assert!(id.parse::<i64>().is_ok(), "{path}");
        c.find(Locator::Css("form[action='/logout'] button")).await?.click().await?;
        login("dangyuan").await?;
        c.wait().for_element(Locator::Css(".phone-main")).await?;
        c.goto(&format!("{}/m/checkin/{id}", app.base)).await?;
        c.find(Locator::Css("form[action$='/checkin/{id}'] button.btn-primary".replace("{id}", &id).as_str())).await?.click().await?;
        c.wait().for_element(Locator::Css(".big-state.ok")).await?;
        let text = c.find(Locator::Css(".phone-main")).await?.text().await?;
        assert!(text.contains("签到成功") && text.contains("您已签到"), "{text}");
        Ok::<_, fantoccini::error::CmdError>(id)
    }
    .await;
    let _ = c.close().await;
    drop(driver);
    let id = result.expect("the browser run");
    let att = app.demo.store.attendance(id.parse().unwrap()).await.unwrap();
    assert_eq!(att.iter().filter(|r| r.state == hongzhu_core::labels::AttendState::Present && r.by_phone).count(), 1);
}

/// 党建+ on a phone: a member paired with a left-behind child records a visit and a service of
/// their own in a real browser at phone width; the store holds both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_records_a_visit_and_service_on_a_phone() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let today = hongzhu_core::life::to_local(chrono::Utc::now()).date();
    let me = support::member_of(&app).await;
    let school = store.institution(&hongzhu_store::Scope::All, "3708280001").await.unwrap().unwrap().meta.id;
    let input = hongzhu_core::care::ChildInput {
        name: "孔小雨".into(),
        gender: "女".into(),
        birth_date: (today - chrono::Duration::days(365 * 15)).to_string(),
        class_name: "高一二班".into(),
        situation: "both_away".into(),
        guardian: "grandparents".into(),
        note: String::new(),
    };
    let child = store.add_child(school, &hongzhu_core::care::check_child(&input, today).unwrap(), "test").await.unwrap();
    store
        .pair_child(child, me.meta.id, today - chrono::Duration::days(20), &[hongzhu_core::labels::HelpKind::Study], today, "test")
        .await
        .unwrap();
    let (driver, c, _profile) = browser(390, 844).await;
    let result = async {
        c.goto(&format!("{}/login", app.base)).await?;
        c.find(Locator::Id("username")).await?.send_keys("dangyuan").await?;
        c.find(Locator::Id("password")).await?.send_keys(support::PASSWORD).await?;
        c.find(Locator::Css("button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::Css(".phone-main")).await?;
        // The pairing page is reached from the phone's bottom menu.
        c.find(Locator::Css(".phone-nav a[href='/m/children']")).await?.click().await?;
        c.wait().for_element(Locator::Css("form[action='/m/children/visits']")).await?;
        let page = c.find(Locator::Css(".phone-main")).await?.text().await?;
        assert!(page.contains("孔小雨"), "{page}");
        c.find(Locator::Css("form[action='/m/children/visits'] textarea[name=note]")).await?.send_keys("辅导物理作业，谈心半小时").await?;
        c.find(Locator::Css("form[action='/m/children/visits'] button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::Css(".alert")).await?;
        let msg = c.find(Locator::Css(".alert")).await?.text().await?;
        assert!(msg.contains("走访已记录"), "{msg}");
        // Service hours on the phone.
        c.find(Locator::Css(".phone-nav a[href='/m/service']")).await?.click().await?;
        c.wait().for_element(Locator::Css("form[action='/m/service/records']")).await?;
        c.find(Locator::Css("form[action='/m/service/records'] input[name=hours]")).await?.send_keys("2.5").await?;
        c.find(Locator::Css("form[action='/m/service/records'] textarea[name=content]"))
            .await?
            .send_keys("社区“四点半课堂”辅导作业")
            .await?;
        c.find(Locator::Css("form[action='/m/service/records'] button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::Css(".alert")).await?;
        let msg = c.find(Locator::Css(".alert")).await?.text().await?;
        assert!(msg.contains("服务记录已保存"), "{msg}");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = c.close().await;
    drop(driver);
    result.expect("the browser run");
    let (_, _, visits) = store.child(child, chrono::Datelike::year(&today)).await.unwrap().unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].note, "辅导物理作业，谈心半小时");
    let org = store.org_id(me.org.as_str()).await.unwrap().unwrap();
    let line =
        store.service_lines(&[org], chrono::Datelike::year(&today)).await.unwrap().into_iter().find(|l| l.member_id == me.meta.id).unwrap();
    assert_eq!(line.community_tenths, 25);
}
