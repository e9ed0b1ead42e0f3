//! Test fixtures: a fresh database per test (a temporary SQLite file, or a new PostgreSQL
//! database), the demo county in it, accounts with known passwords, and a real server on a free port.
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use hongzhu_core::labels::PartyPost;
use hongzhu_store::{NewUser, PeopleFilter, Role, Scope, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub const PASSWORD: &str = "Test-Passw0rd";

/// A database for one test. PostgreSQL databases are dropped when it goes.
pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
    pg_admin: Option<(String, String)>,
}

pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("hongzhu-it-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_admin.take() {
            // Best effort, on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                        let _ =
                            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&pool).await;
                    }
                });
            })
            .join();
        }
    }
}

/// The PostgreSQL server for tests, when configured.
pub fn pg_url() -> Option<String> {
    std::env::var("HONGZHU_TEST_PG").ok().filter(|s| !s.is_empty())
}

impl TestDb {
    /// None when the backend is PostgreSQL and HONGZHU_TEST_PG is not set.
    pub async fn new(db: Db) -> Option<TestDb> {
        match db {
            Db::Sqlite => {
                let dir = TempDir::new();
                let url = format!("sqlite://{}", dir.0.join("hongzhu.db").display());
                Some(TestDb { url, _dir: Some(dir), pg_admin: None })
            }
            Db::Postgres => {
                let admin = pg_url()?;
                let name = format!("hongzhu_it_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
                let pool = sqlx::PgPool::connect(&admin).await.expect("HONGZHU_TEST_PG reachable");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&pool).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.unwrap();
                pool.close().await;
                let base = match admin.rfind('/') {
                    Some(i) if admin[..i].contains("://") && i > admin.find("://").unwrap() + 2 => &admin[..i],
                    _ => admin.as_str(),
                };
                let url = format!("{base}/{name}");
                Some(TestDb { url, _dir: None, pg_admin: Some((admin, name)) })
            }
        }
    }
}

/// Run a test body on SQLite, and on PostgreSQL when configured.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::support::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::support::pg_url().is_none() {
                    eprintln!("HONGZHU_TEST_PG is not set: PostgreSQL case not run");
                    return;
                }
                super::$body($crate::support::Db::Postgres).await;
            }
        }
    };
}

/// A store holding the demo county, and its ids for the accounts.
pub struct Demo {
    pub _db: TestDb,
    pub store: Store,
}

pub async fn demo(db: Db) -> Demo {
    let db = TestDb::new(db).await.expect("database");
    // Keys as the command line finds them (HONGZHU_KEY_FILE in scripts/test), so the tests'
    // commands and stores share them.
    let store = Store::open(&db.url).await.expect("open (with PostgreSQL, set HONGZHU_KEY_FILE as scripts/test does)");
    let data = hongzhu_core::synth::demo_county(370828, Utc::now().date_naive());
    store.load_dataset(&data, "test", &mut |_: &str, _: u64, _: u64| {}).await.expect("load demo");
    Demo { _db: db, store }
}

/// A running server over the demo county with three accounts: `county` (county administrator),
/// `yizhong` (secretary of 金乡县第一中学's committee) and `dangyuan` (a member), all with PASSWORD.
pub struct App {
    pub base: String,
    pub demo: Demo,
    pub member_person: i64,
}

pub async fn app(db: Db) -> App {
    app_with(db, hongzhu_web::security::Settings::default()).await
}

/// [`app`] with the given security settings; also makes the three administrators of S7
/// (`sysadmin`, `secadmin`, `auditor`, all with PASSWORD).
pub async fn app_with(db: Db, settings: hongzhu_web::security::Settings) -> App {
    let demo = demo(db).await;
    let store = demo.store.clone();
    let hash = hongzhu_web::auth::hash_password(PASSWORD);
    store
        .create_user(
            &NewUser {
                username: "county".into(),
                password_hash: hash.clone(),
                display_name: "县教育工委组织办".into(),
                role: Role::CountyAdmin,
                region_code: Some("370828".into()),
                org_id: None,
                person_id: None,
            },
            "test",
        )
        .await
        .unwrap();
    let org = store.org_id("JX-YZ-DW").await.unwrap().unwrap();
    let sec = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-DW".into()), page: 1, page_size: 10, ..Default::default() })
        .await
        .unwrap();
    let sec = sec.items.iter().find(|m| m.party_post == Some(PartyPost::Secretary)).unwrap();
    store
        .create_user(
            &NewUser {
                username: "yizhong".into(),
                password_hash: hash.clone(),
                display_name: sec.person.name.clone(),
                role: Role::Secretary,
                region_code: Some("370828".into()),
                org_id: Some(org),
                person_id: Some(sec.person.person_id),
            },
            "test",
        )
        .await
        .unwrap();
    let m = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 20, ..Default::default() })
        .await
        .unwrap();
    let m = m.items.iter().find(|m| m.party_post.is_none()).unwrap();
    store
        .create_user(
            &NewUser {
                username: "dangyuan".into(),
                password_hash: hash,
                display_name: m.person.name.clone(),
                role: Role::Member,
                region_code: Some("370828".into()),
                org_id: None,
                person_id: Some(m.person.person_id),
            },
            "test",
        )
        .await
        .unwrap();
    for (username, role) in
        [("sysadmin", Role::SystemAdmin), ("secadmin", Role::SecurityAdmin), ("auditor", Role::AuditAdmin), ("county2", Role::CountyAdmin)]
    {
        store
            .create_user(
                &NewUser {
                    username: username.into(),
                    password_hash: hongzhu_web::auth::hash_password(PASSWORD),
                    display_name: username.into(),
                    role,
                    region_code: (role == Role::CountyAdmin).then(|| "370828".to_string()),
                    org_id: None,
                    person_id: None,
                },
                "test",
            )
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut state = hongzhu_web::AppState::new(store.clone(), false);
    state.security = settings;
    let router = hongzhu_web::router(state);
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    App { base: format!("http://{addr}"), demo, member_person: m.person.person_id }
}

/// Add the demo year of organizational life to an app's database.
pub async fn load_life(app: &App) {
    let today = hongzhu_core::life::to_local(Utc::now()).date();
    let data = hongzhu_core::synth::demo_county(370828, Utc::now().date_naive());
    let acts = hongzhu_core::synth_life::demo_life(&data, 370828, today);
    app.demo.store.load_life("370828", &acts, &hongzhu_core::synth_life::demo_guides(today), "test").await.expect("load life");
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Log in through the API; returns the client (holding the cookie) and the CSRF token.
pub async fn api_login(app: &App, user: &str) -> (reqwest::Client, String) {
    let c = client();
    let r = c
        .post(format!("{}/api/v1/session", app.base))
        .json(&serde_json::json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {user}");
    let body: serde_json::Value = r.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    (c, csrf)
}

/// Log in through the login form.
pub async fn page_login(app: &App, user: &str) -> reqwest::Client {
    let c = client();
    let r = c.post(format!("{}/login", app.base)).form(&[("username", user), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303, "login {user}");
    c
}

/// The CSRF token shown in a page's forms.
pub fn csrf_in(html: &str) -> String {
    let i = html.find("name=\"_csrf\" value=\"").expect("a form with a CSRF token") + "name=\"_csrf\" value=\"".len();
    html[i..i + 64].to_string()
}

/// Every run of ≥ `n` consecutive digits in a text.
pub fn digit_runs(text: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else {
            if cur.len() >= n {
                out.push(cur.clone());
            }
            cur.clear();
        }
    }
    out
}

/// The text between `start` and the next `end` in `html`.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    let j = html[i..].find(end)? + i;
    Some(&html[i..j])
}

/// Sign an administrator in: password, then setting up the second factor they must have (S5).
/// Returns the client and the TOTP secret.
pub async fn admin_login(app: &App, user: &str) -> (reqwest::Client, Vec<u8>) {
    let c = client();
    let r = c.post(format!("{}/login", app.base)).form(&[("username", user), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/second-factor", "administrators set up a second factor first");
    let html = c.get(format!("{}/account/second-factor", app.base)).send().await.unwrap().text().await.unwrap();
    let sealed = between(&html, "name=\"sealed\" value=\"", "\"").unwrap().to_string();
    let secret_text = between(&html, "<p class=\"mono center secret\">", "</p>").unwrap();
    let secret = hongzhu_web::totp::from_base32(secret_text).unwrap();
    let code = hongzhu_web::totp::code_at(&secret, Utc::now().timestamp() as u64);
    let r = c
        .post(format!("{}/account/second-factor", app.base))
        .form(&[("_csrf", csrf_in(&html).as_str()), ("sealed", sealed.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    (c, secret)
}

/// Run SQL on a test database directly, around the application (to play an attacker or an
/// operator with database access).
pub async fn raw_exec(url: &str, sql: &str) -> Result<u64, sqlx::Error> {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&pool).await.map(|r| r.rows_affected());
        pool.close().await;
        r
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&pool).await.map(|r| r.rows_affected());
        pool.close().await;
        r
    }
}

/// S14: `county` asks for an unmasked export of the demo county and `county2` approves it;
/// returns the request's id, to pass as `request=` with `full=1`.
pub async fn approved_full_export(app: &App) -> i64 {
    let (a, csrf_a) = api_login(app, "county").await;
    let r = a
        .post(format!("{}/api/v1/export-requests", app.base))
        .header("x-csrf-token", &csrf_a)
        .json(&serde_json::json!({"region": "370828", "reason": "重新导入前线下修正台账"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let (b, csrf_b) = api_login(app, "county2").await;
    let r = b
        .post(format!("{}/api/v1/export-requests/{id}", app.base))
        .header("x-csrf-token", &csrf_b)
        .json(&serde_json::json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    id
}

/// The member record of the `dangyuan` account (the demo member teacher).
pub async fn member_of(app: &App) -> hongzhu_store::MemberRow {
    app.demo
        .store
        .members(&Scope::Person(app.member_person), &PeopleFilter { page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0)
}
