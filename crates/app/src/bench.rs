//! `hongzhu bench …`: figures, printed, never asserted. Each bench uses the built binary and the
//! real server over loopback.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// 演示县启动时间、学校列表页响应时间和内存 / demo start-up, institutions-page latency and memory
    Web {
        /// 请求次数 / number of requests to the institutions page
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// 台账导入：读取（calamine）、检查、写入各自的耗时和峰值内存；导入到 --database / ledger import of FILE into --database:
    /// read (calamine), validate and write times and peak memory
    Ledger { file: std::path::PathBuf },
    /// 三个全覆盖核查引擎在不同规模下的耗时；--database 有数据时再测整个核查 / the audit engine at several sizes, and
    /// the whole audit from --database when it holds data
    Audit {
        /// 学校数，逗号分隔 / sizes in institutions, comma-separated
        #[arg(long, default_value = "2000,20000,200000", value_delimiter = ',')]
        sizes: Vec<u32>,
    },
    /// 组织生活落实情况报表（R3.1–R3.3）在一个县、一个市、全省三个范围的耗时；数据来自
    /// `generate --life-years` / the compliance report for a county, a city and the whole database, from `--database`
    /// (fill it with `hongzhu generate --institutions 20000 --life-years 4`)
    Life {
        /// 年度，默认今年 / the year, default this year
        #[arg(long)]
        year: Option<i32>,
    },
    /// 党内统计年报（截至上年 12 月 31 日）在整个 --database 上的耗时 / the year-end statistics over the whole
    /// --database (fill it with `hongzhu generate --institutions 30000` for about 250,000 members)
    Stats,
    /// 登录（argon2id）耗时与审计日志写入耗时（S1、S9）；默认用临时 SQLite，--database 为 PostgreSQL 时也测它 /
    /// sign-in time with argon2id, and the audit trail's append time (a temporary SQLite file; also --database when it is
    /// PostgreSQL)
    Security {
        /// 登录次数 / sign-ins to time
        #[arg(long, default_value_t = 30)]
        logins: usize,
        /// 审计写入次数 / audit appends to time
        #[arg(long, default_value_t = 2000)]
        appends: usize,
    },
}

pub async fn run(cmd: BenchCommand, database: &str) -> Result<()> {
    match cmd {
        BenchCommand::Web { requests } => web(requests).await,
        BenchCommand::Audit { sizes } => audit(&sizes, database).await,
        BenchCommand::Ledger { file } => ledger(&file, database).await,
        BenchCommand::Life { year } => life(year, database).await,
        BenchCommand::Security { logins, appends } => security(logins, appends, database).await,
        BenchCommand::Stats => stats(database).await,
    }
}

fn summary(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (percentile(v, 0.5), percentile(v, 0.95))
}

/// S1 and S9's figures: a sign-in over HTTP (argon2id verify, session, audit row) and one audit
/// append (HMAC chain, own transaction with SQLite's synchronous=FULL).
async fn security(logins: usize, appends: usize, database: &str) -> Result<()> {
    use hongzhu_store::{Actor, AuditEntry, NewUser, Outcome, Role, Store};
    println!("hongzhu bench security (2 cores)");
    let dir = std::env::temp_dir().join(format!("hongzhu-bench-sec-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let store = Store::open(&url).await?;
    let password = "Bench-Passw0rd";
    let hash = hongzhu_web::auth::hash_password(password);
    let mut argon = Vec::new();
    for _ in 0..logins {
        let t = Instant::now();
        assert!(hongzhu_web::auth::verify_password(password, &hash));
        argon.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (m, p) = summary(&mut argon);
    println!("  argon2id verify alone: median {m:.1} ms, p95 {p:.1} ms");
    store
        .create_user(
            &NewUser {
                username: "bench".into(),
                password_hash: hash,
                display_name: "bench".into(),
                role: Role::CountyAdmin,
                region_code: None,
                org_id: None,
                person_id: None,
            },
            "bench",
        )
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let app = hongzhu_web::router(hongzhu_web::AppState::new(store.clone(), false));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
    });
    let mut login = Vec::new();
    for _ in 0..logins {
        let t = Instant::now();
        let (status, _, _) = http(&addr, "POST", "/login", None, Some(&format!("username=bench&password={password}"))).await?;
        login.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 303 {
            bail!("sign-in answered {status}");
        }
    }
    let (m, p) = summary(&mut login);
    println!("  sign-in over HTTP (POST /login: argon2id, new session, audit row): median {m:.1} ms, p95 {p:.1} ms   (target < 300 ms)");
    let entry = AuditEntry {
        actor: Actor {
            user_id: Some(1),
            username: "bench".into(),
            role: "county_admin".into(),
            source: "127.0.0.1".into(),
            request_id: "bench".into(),
        },
        event: "view_sensitive",
        object: "member 1".into(),
        outcome: Outcome::Success,
        detail: String::new(),
    };
    let mut stores = vec![("SQLite (temporary file, synchronous=FULL)".to_string(), store.clone())];
    if database.starts_with("postgres") {
        stores.push((Store::open(database).await?.url_redacted(), Store::open(database).await?));
    }
    for (name, s) in stores {
        let mut times = Vec::with_capacity(appends);
        for _ in 0..appends {
            let t = Instant::now();
            s.audit(&entry).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (m, p) = summary(&mut times);
        println!("  audit append on {name}: median {m:.3} ms, p95 {p:.3} ms over {appends}   (target: adds < 1 ms median to a request)");
        let t = Instant::now();
        let v = s.audit_verify().await?;
        println!("    verify {} rows: {:.2} s, {}", v.rows, t.elapsed().as_secs_f64(), if v.ok() { "intact" } else { "PROBLEMS" });
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The county-of-counties compliance report: facts from the database, the check of every
/// organization, and the roll-up by county, at three scopes.
/// The year-end statistics (issue: statistics) over everything in the database: read the
/// history, then count; best of three.
async fn stats(database: &str) -> Result<()> {
    let store = hongzhu_store::Store::open(database).await?;
    let today = hongzhu_core::life::to_local(chrono::Utc::now()).date();
    let as_of = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today) - 1, 12, 31).context("date")?;
    let (mut read, mut count, mut members) = (f64::MAX, f64::MAX, 0);
    for _ in 0..3 {
        let t = Instant::now();
        let (m, o, c) = store.stats_facts(&hongzhu_store::Scope::All).await?;
        read = read.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let y = hongzhu_core::stats::year_end(&m, &o, &c, as_of);
        count = count.min(t.elapsed().as_secs_f64());
        members = y.members;
    }
    println!("hongzhu bench stats ({}; 2 cores)", store.url_redacted());
    println!(
        "  year-end statistics as of {as_of}: {members} members; reading the history {read:.2} s, counting {:.3} s, together {:.2} s   (target < 5 s at 250,000 members)",
        count,
        read + count
    );
    Ok(())
}

async fn life(year: Option<i32>, database: &str) -> Result<()> {
    use std::collections::BTreeMap;
    let store = hongzhu_store::Store::open(database).await?;
    let today = hongzhu_core::life::to_local(chrono::Utc::now()).date();
    let year = year.unwrap_or(chrono::Datelike::year(&today));
    let regions = store.regions(&hongzhu_store::Scope::All).await?;
    let county = regions
        .iter()
        .find(|r| r.record.level == hongzhu_core::labels::RegionLevel::County)
        .context("the database has no county: run hongzhu generate --life-years first")?;
    let city = county.record.parent.as_ref().map(|p| p.to_string());
    let mut scopes = vec![(format!("county {}", county.record.code), hongzhu_store::Scope::Region(county.record.code.to_string()))];
    if let Some(c) = city {
        scopes.push((format!("city {c}"), hongzhu_store::Scope::Region(c)));
    }
    scopes.push(("everything".to_string(), hongzhu_store::Scope::All));
    println!("hongzhu bench life ({}, year {year}; 2 cores)", store.url_redacted());
    for (label, scope) in scopes {
        let mut best = f64::MAX;
        let mut shape = (0usize, 0usize, 0usize, 0.0f64);
        for _ in 0..3 {
            let t = Instant::now();
            let (facts, held, names) = store.life_facts(&scope, year).await?;
            let as_of = if year < chrono::Datelike::year(&today) {
                chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).context("year")?
            } else {
                today
            };
            let all = hongzhu_core::life::compliance(&facts, &held, year, as_of);
            // The report: due and held per county.
            let mut by_county: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
            for c in &all {
                let county = names.get(c.org.as_str()).map(|n| n.2.as_str()).unwrap_or("");
                let e = by_county.entry(county).or_default();
                e.0 += c.due();
                e.1 += c.met();
            }
            best = best.min(t.elapsed().as_secs_f64());
            let (due, met) = by_county.values().fold((0u32, 0u32), |a, v| (a.0 + v.0, a.1 + v.1));
            shape = (facts.len(), held.len(), by_county.len(), if due == 0 { 1.0 } else { f64::from(met) / f64::from(due) });
        }
        println!(
            "  {label:<18} {:>6} organizations, {:>9} activities in {year}, {:>4} counties: report {:>7.3} s (best of 3), completion {:.1}%   (target < 10 s for the whole province on PostgreSQL)",
            shape.0,
            shape.1,
            shape.2,
            best,
            shape.3 * 100.0
        );
    }
    Ok(())
}

/// One ledger import, step by step, against calamine alone reading the same file (the floor).
async fn ledger(file: &std::path::Path, database: &str) -> Result<()> {
    use calamine::Reader;
    let bytes = std::fs::read(file)?;
    println!("hongzhu bench ledger {} ({:.1} MB)", file.display(), bytes.len() as f64 / 1e6);
    // The floor: calamine reading every sheet into ranges, nothing else. The better of two runs:
    // one run on this kind of machine varies by up to a quarter, and the ratio is to the floor.
    let mut runs = Vec::new();
    let mut cells = 0usize;
    for _ in 0..2 {
        let t = Instant::now();
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.clone()))?;
        cells = 0;
        for name in wb.sheet_names() {
            cells += wb.worksheet_range(&name)?.used_cells().count();
        }
        runs.push(t.elapsed().as_secs_f64());
    }
    let floor = runs.iter().copied().fold(f64::MAX, f64::min);
    println!("  calamine alone: {floor:.2} s, the better of {:.2} and {:.2} s ({cells} cells)", runs[0], runs[1]);
    let store = hongzhu_store::Store::open(database).await?;
    let t = Instant::now();
    // The upload limit (50 MB by default) is raised to the file's size for the measurement.
    let limits = hongzhu_ledger::read::Limits { max_bytes: bytes.len().max(50 << 20), max_uncompressed: 4 << 30, ..Default::default() };
    let sheets = hongzhu_ledger::read::read(bytes, &limits).map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let existing = store.load_registry("").await?;
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let v = hongzhu_ledger::validate::validate(&sheets, &existing, chrono::Utc::now().date_naive());
    let validate_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let counts = store.merge_dataset(&v.data, &existing, "bench", false).await?;
    let write_s = t.elapsed().as_secs_f64();
    let total = read_s + load_s + validate_s + write_s;
    let (_, hwm) = rss_kib(std::process::id());
    let staff = counts.get("教职工").copied().unwrap_or_default();
    println!(
        "  read {read_s:.2} s · load existing {load_s:.2} s · validate {validate_s:.2} s · write {write_s:.2} s = {total:.2} s ({:.1}× calamine alone; target ≤ 2×)",
        total / floor
    );
    println!(
        "  staff rows: {} created, {} updated, {} unchanged; errors: {}",
        staff.created,
        staff.updated,
        staff.unchanged,
        v.problems.iter().filter(|p| p.severity == hongzhu_ledger::validate::Severity::Error).count()
    );
    println!("  peak memory {:.0} MB (target < 2,048 MB)", hwm as f64 / 1024.0);
    Ok(())
}

/// The engine on data in memory at each size, then the whole audit (load + engine) from the
/// database when it holds data.
async fn audit(sizes: &[u32], database: &str) -> Result<()> {
    use hongzhu_core::coverage::{AuditSettings, audit};
    use hongzhu_core::synth::{Dataset, synthetic_county};
    println!("hongzhu bench audit (2 cores; engine = audit and planner on data in memory)");
    let today = chrono::Utc::now().date_naive();
    for &n in sizes {
        let mut d = Dataset::default();
        let counties = n.div_ceil(200);
        for c in 0..counties {
            let k = if c + 1 == counties { n - c * 200 } else { 200 };
            d.append(synthetic_county(1, today, c, k));
        }
        let mut best = f64::MAX;
        let mut findings = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let r = audit(&d, today, "", &AuditSettings::default());
            best = best.min(t.elapsed().as_secs_f64());
            findings = r.findings.len();
        }
        println!(
            "  {:>7} institutions, {:>9} staff, {:>7} members, {:>6} organizations: engine {:>7.3} s (best of 3), {} findings   (target < 1 s at 20,000)",
            d.institutions.len(),
            d.staff.len(),
            d.members.len(),
            d.orgs.len(),
            best,
            findings
        );
    }
    let store = hongzhu_store::Store::open(database).await?;
    let totals = store.totals(&hongzhu_store::Scope::All).await?;
    if totals.institutions > 0 {
        let t = Instant::now();
        let data = store.load_registry_for_audit("").await?;
        let loaded = t.elapsed().as_secs_f64();
        let r = audit(&data, today, "", &AuditSettings::default());
        let total = t.elapsed().as_secs_f64();
        println!(
            "  whole audit from {}: {} institutions, {} staff: load {:.2} s + engine {:.2} s = {:.2} s, {} findings   (target < 10 s at 20,000 from SQLite)",
            store.url_redacted(),
            totals.institutions,
            totals.staff,
            loaded,
            total - loaded,
            total,
            r.findings.len()
        );
    } else {
        println!("  (the database is empty: fill it with `hongzhu generate --institutions 20000` to time the whole audit)");
    }
    Ok(())
}

/// One HTTP/1.1 exchange on a fresh connection: (status, headers, body).
async fn http(addr: &str, method: &str, path: &str, cookie: Option<&str>, body: Option<&str>) -> Result<(u16, String, String)> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, head.to_string(), body.to_string()))
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn web(requests: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("hongzhu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["demo", "--data"])
        .arg(&dir)
        .args(["--listen", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start hongzhu demo")?;
    let pid = child.id();
    let stdout = child.stdout.take().context("stdout")?;
    // The demo prints its accounts when it listens.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut password = None;
    let mut designated = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready_after = None;
    while Instant::now() < deadline {
        while let Ok(line) = rx.try_recv() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.first() == Some(&"county") {
                password = parts.get(1).map(|s| s.to_string());
            }
            // Designated for children's records (R6.2): the list opens every sealed record.
            if parts.first() == Some(&"fushuji") {
                designated = parts.get(1).map(|s| s.to_string());
            }
        }
        if ready_after.is_none() && matches!(http(&addr, "GET", "/healthz", None, None).await, Ok((200, _, _))) {
            ready_after = Some(started.elapsed());
        }
        if ready_after.is_some() && password.is_some() && designated.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let result = async {
        let ready = ready_after.context("the demo did not start within 60 s")?;
        let password = password.context("the demo printed no county password")?;
        let (status, head, _) = http(&addr, "POST", "/login", None, Some(&format!("username=county&password={password}"))).await?;
        if status != 303 {
            bail!("login answered {status}");
        }
        let cookie = head
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
            .and_then(|c| c.split(';').next())
            .context("no session cookie")?
            .to_string();
        let paths = ["/institutions", "/institutions?page=5", "/institutions?q=%E4%B8%AD%E5%BF%83&sort=name", "/institutions?kind=primary&page_size=50"];
        // Warm up.
        for p in paths {
            http(&addr, "GET", p, Some(&cookie), None).await?;
        }
        let mut times = Vec::with_capacity(requests);
        for i in 0..requests {
            let p = paths[i % paths.len()];
            let t = Instant::now();
            let (status, _, body) = http(&addr, "GET", p, Some(&cookie), None).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 || !body.contains("<table") {
                bail!("{p} answered {status}");
            }
        }
        times.sort_by(|a, b| a.total_cmp(b));
        // The coverage page: the first request computes the audit, later ones reuse it until the
        // data changes.
        let t = Instant::now();
        let (status, _, _) = http(&addr, "GET", "/coverage", Some(&cookie), None).await?;
        let first_coverage = t.elapsed().as_secs_f64() * 1000.0;
        if status != 200 {
            bail!("/coverage answered {status}");
        }
        let mut cov = Vec::new();
        for i in 0..(requests / 5).max(10) {
            let p = if i % 2 == 0 { "/coverage" } else { "/coverage?town=370828105" };
            let t = Instant::now();
            let (status, _, _) = http(&addr, "GET", p, Some(&cookie), None).await?;
            cov.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                bail!("{p} answered {status}");
            }
        }
        cov.sort_by(|a, b| a.total_cmp(b));
        // The county compliance page over the demo year of organizational life (R3.1–R3.3).
        let mut life = Vec::new();
        for i in 0..(requests / 5).max(10) {
            let p = if i % 2 == 0 { "/life/compliance" } else { "/life/compliance?town=370828105" };
            let t = Instant::now();
            let (status, _, body) = http(&addr, "GET", p, Some(&cookie), None).await?;
            life.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 || !body.contains("id=\"compliance\"") {
                bail!("{p} answered {status}");
            }
        }
        life.sort_by(|a, b| a.total_cmp(b));
        // The county dashboard (首页): coverage, members, life this year, indicators, attention.
        let mut dash = Vec::new();
        let t = Instant::now();
        let (status, _, _) = http(&addr, "GET", "/", Some(&cookie), None).await?;
        let first_dash = t.elapsed().as_secs_f64() * 1000.0;
        if status != 200 {
            bail!("/ answered {status}");
        }
        for _ in 0..(requests / 5).max(10) {
            let t = Instant::now();
            let (status, _, body) = http(&addr, "GET", "/", Some(&cookie), None).await?;
            dash.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 || !body.contains("id=\"dash-towns\"") {
                bail!("/ answered {status}");
            }
        }
        dash.sort_by(|a, b| a.total_cmp(b));
        // 党建+ pages (issue: each median under 50 ms).
        let designated = designated.context("the demo printed no password for fushuji")?;
        let (status, head, _) = http(&addr, "POST", "/login", None, Some(&format!("username=fushuji&password={designated}"))).await?;
        if status != 303 {
            bail!("login fushuji answered {status}");
        }
        let cookie2 = head
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
            .and_then(|c| c.split(';').next())
            .context("no session cookie")?
            .to_string();
        let plus = [
            ("/commitments/board", &cookie, "id=\"board\""),
            ("/children", &cookie, "id=\"care-counts\""),
            ("/children", &cookie2, "id=\"children\""),
            ("/service", &cookie, "id=\"service-orgs\""),
            ("/service/concerns", &cookie, "id=\"concerns\""),
            ("/school-work", &cookie, "id=\"roles\""),
            ("/teaching", &cookie, "id=\"reach\""),
            ("/youth", &cookie, "id=\"pipeline\""),
        ];
        let mut plus_times = Vec::new();
        for (p, c, marker) in plus {
            http(&addr, "GET", p, Some(c), None).await?;
            let mut ts = Vec::new();
            for _ in 0..(requests / 10).max(10) {
                let t = Instant::now();
                let (status, _, body) = http(&addr, "GET", p, Some(c), None).await?;
                ts.push(t.elapsed().as_secs_f64() * 1000.0);
                if status != 200 || !body.contains(marker) {
                    bail!("{p} answered {status} without {marker}");
                }
            }
            ts.sort_by(|a, b| a.total_cmp(b));
            let who = if std::ptr::eq(c, &cookie2) { " (designated: records opened)" } else { "" };
            plus_times.push((p, who, percentile(&ts, 0.5), percentile(&ts, 0.95), ts.len()));
        }
        let (rss, hwm) = rss_kib(pid);
        println!("hongzhu bench web");
        println!("  demo start to listening (built binary, demo database included): {:.2} s   (target < 5 s)", ready.as_secs_f64());
        println!(
            "  institutions list page, {requests} requests over loopback: median {:.2} ms, p95 {:.2} ms, max {:.2} ms   (target median < 5 ms)",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times[times.len() - 1]
        );
        println!(
            "  coverage page, {} requests: median {:.2} ms, p95 {:.2} ms; the first (computing the audit) {:.1} ms   (target median < 50 ms)",
            cov.len(),
            percentile(&cov, 0.5),
            percentile(&cov, 0.95),
            first_coverage
        );
        println!(
            "  county compliance page (demo year of organizational life), {} requests: median {:.2} ms, p95 {:.2} ms   (target median < 50 ms)",
            life.len(),
            percentile(&life, 0.5),
            percentile(&life, 0.95)
        );
        println!(
            "  county dashboard, {} requests: median {:.2} ms, p95 {:.2} ms; the first (computing the figures) {:.1} ms   (target median < 50 ms)",
            dash.len(),
            percentile(&dash, 0.5),
            percentile(&dash, 0.95),
            first_dash
        );
        for (p, who, median, p95, n) in &plus_times {
            println!("  党建+ {p}{who}, {n} requests: median {median:.2} ms, p95 {p95:.2} ms   (target median < 50 ms)");
        }
        println!("  server resident memory after the run: {:.1} MB (peak {:.1} MB)   (target < 100 MB)", rss as f64 / 1024.0, hwm as f64 / 1024.0);
        Ok(())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
