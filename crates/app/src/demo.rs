//! The demo county and synthetic regions.
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Utc;
use hongzhu_core::labels::PartyPost;
use hongzhu_core::synth;
use hongzhu_store::{NewUser, PeopleFilter, Role, Scope, Store};

/// A demo account and its generated password.
pub struct Account {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub display_name: String,
}

/// Make a fresh demo database at `path` (any file there is replaced) and its accounts.
pub async fn make_demo(db_file: &Path, seed: u64) -> Result<(Store, Vec<Account>)> {
    for suffix in ["", "-wal", "-shm"] {
        let f = format!("{}{suffix}", db_file.display());
        if Path::new(&f).exists() {
            std::fs::remove_file(&f).with_context(|| format!("无法删除旧的演示数据库 / cannot remove {f}"))?;
        }
    }
    let url = format!("sqlite://{}", db_file.display());
    let store = Store::open(&url).await.with_context(|| format!("cannot open {url}"))?;
    let data = synth::demo_county(seed, Utc::now().date_naive());
    store.load_dataset(&data, "demo", &mut |_: &str, _: u64, _: u64| {}).await?;
    // A year of organizational life: activities, attendance, monthly themes, observation events.
    let local_today = hongzhu_core::life::to_local(Utc::now()).date();
    let life = hongzhu_core::synth_life::demo_life(&data, seed, local_today);
    store.load_life("370828", &life, &hongzhu_core::synth_life::demo_guides(local_today), "demo").await?;
    // Development records (DOMAIN §3): every applicant, activist, candidate and probationary member.
    let records = hongzhu_core::synth_dev::records_for(&data, seed, local_today);
    store.load_development(&records, "demo").await?;
    for kind in ["党员志愿服务", "党建带团建队建活动", "红色研学", "师德师风专题学习"] {
        store.add_activity_kind("370828", kind, "demo").await?;
    }
    demo_transfers(&store, local_today).await?;
    demo_dues(&store, local_today, seed).await?;
    demo_elections(&store, local_today).await?;
    demo_school(&store, &data, local_today, seed).await?;
    demo_campaigns(&store, &data, local_today, seed).await?;
    demo_commitments(&store, local_today, seed).await?;
    demo_children(&store, local_today, seed).await?;
    demo_service(&store, local_today, seed).await?;
    demo_schoolwork(&store, local_today, seed).await?;
    let accounts = demo_accounts(&store).await?;
    // Audit snapshots a year, half a year and a quarter back and today, so the coverage page has
    // a trend to show.
    let today = Utc::now().date_naive();
    for days in [365, 182, 91, 0] {
        let as_of = today - chrono::Duration::days(days);
        let registry = store.load_registry("370828").await?;
        let result = hongzhu_core::coverage::audit(&registry, as_of, "370828", &Default::default());
        store.save_snapshot(&result, "demo").await?;
    }
    Ok((store, accounts))
}

/// One demo account with a fresh random password (SECURITY S1: nothing shipped).
async fn add_account(
    store: &Store,
    out: &mut Vec<Account>,
    username: &str,
    role: Role,
    name: &str,
    org_id: Option<i64>,
    person_id: Option<i64>,
) -> Result<()> {
    let password = hongzhu_web::auth::generate_password();
    let region_code = (!hongzhu_web::security::is_system_role(role)).then(|| "370828".to_string());
    store
        .create_user(
            &NewUser {
                username: username.into(),
                password_hash: hongzhu_web::auth::hash_password(&password),
                display_name: name.into(),
                role,
                region_code,
                org_id,
                person_id,
            },
            "demo",
        )
        .await?;
    out.push(Account { username: username.into(), password, role, display_name: name.into() });
    Ok(())
}

/// The demo's accounts, one or more per role.
async fn demo_accounts(store: &Store) -> Result<Vec<Account>> {
    let mut out = Vec::new();
    add_account(store, &mut out, "county", Role::CountyAdmin, "县教育工委组织办", None, None).await?;
    // A second county-level account: unmasked exports need another administrator's approval (S14).
    add_account(store, &mut out, "fushuji", Role::CountyAdmin, "县教育工委副书记", None, None).await?;
    // S8: designated for left-behind children's records (R6.2); `county` sees counts only.
    let fushuji = store.user_by_username("fushuji").await?.context("demo account fushuji")?;
    store
        .change_user(
            fushuji.id,
            &hongzhu_store::UserChange { can_children: Some(true), ..Default::default() },
            &hongzhu_store::AuditEntry {
                actor: hongzhu_store::Actor::cli("demo"),
                event: "user_change",
                object: "user fushuji".into(),
                outcome: hongzhu_store::Outcome::Success,
                detail: "designated for left-behind children's records".into(),
            },
        )
        .await?;
    // The secretary of 金乡县第一中学's Party committee.
    let org_id = store.org_id("JX-YZ-DW").await?.context("demo organization JX-YZ-DW")?;
    let members =
        store.members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-DW".into()), page: 1, page_size: 50, ..Default::default() }).await?;
    let secretary = members.items.iter().find(|m| m.party_post == Some(PartyPost::Secretary)).context("demo secretary")?;
    add_account(store, &mut out, "yizhong", Role::Secretary, &secretary.person.name, Some(org_id), Some(secretary.person.person_id))
        .await?;
    // A member teacher of the same school.
    let branch =
        store.members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 20, ..Default::default() }).await?;
    let teacher = branch.items.iter().find(|m| m.party_post.is_none()).context("demo member")?;
    add_account(store, &mut out, "dangyuan", Role::Member, &teacher.person.name, None, Some(teacher.person.person_id)).await?;
    // S7 三权分立: the system, security and audit administrators, each its own account. They set
    // up a second factor at their first sign-in (S5).
    add_account(store, &mut out, "sysadmin", Role::SystemAdmin, "信息中心系统管理员", None, None).await?;
    add_account(store, &mut out, "secadmin", Role::SecurityAdmin, "安全保密管理员", None, None).await?;
    add_account(store, &mut out, "auditor", Role::AuditAdmin, "安全审计员", None, None).await?;
    Ok(out)
}

/// `hongzhu demo --prepare-only`: make the demo database and print its accounts, one per line
/// (`account<TAB>username<TAB>password<TAB>role<TAB>name`), for the parent process.
pub async fn prepare(dir: &Path, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 / cannot create {}", dir.display()))?;
    let (store, accounts) = make_demo(&dir.join("hongzhu.db"), seed).await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    for a in accounts {
        writeln!(out, "account\t{}\t{}\t{}\t{}", a.username, a.password, a.role.code(), a.display_name)?;
    }
    Ok(())
}

pub async fn run(dir: &Path, listen: SocketAddr, seed: u64) -> Result<()> {
    let started = Instant::now();
    // The database is made by a child process: generating a county and its year of
    // organizational life takes memory the server should not keep.
    let exe = std::env::current_exe().context("cannot find the hongzhu executable")?;
    let output = std::process::Command::new(exe)
        .arg("demo")
        .arg("--data")
        .arg(dir)
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--prepare-only")
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot start the demo preparation")?;
    if !output.status.success() {
        anyhow::bail!("演示数据库生成失败 / making the demo database failed ({})", output.status);
    }
    let accounts: Vec<Account> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 5 && f[0] == "account").then(|| Account {
                username: f[1].to_string(),
                password: f[2].to_string(),
                role: Role::from_code(f[3]).unwrap_or(Role::Member),
                display_name: f[4].to_string(),
            })
        })
        .collect();
    let url = format!("sqlite://{}", dir.join("hongzhu.db").display());
    let store = Store::open(&url).await.with_context(|| format!("cannot open {url}"))?;
    let totals = store.totals(&Scope::All).await?;
    crate::serve(store, listen, false, |addr| {
        println!("红烛演示县（金乡县）已启动 / Hongzhu demo county is ready in {:.1} s", started.elapsed().as_secs_f64());
        println!("  地址 / address: http://{addr}");
        println!(
            "  数据 / data: {} 所学校 institutions, {} 名教职工 staff, {} 名党员 members, {} 个党组织 organizations",
            totals.institutions, totals.staff, totals.members, totals.orgs
        );
        println!("  账号（本次生成的密码）/ accounts (passwords generated for this run):");
        for a in &accounts {
            println!("    {:<10} {:<16} {} · {}", a.username, a.password, a.role.zh(), a.display_name);
        }
        println!("  系统、安全、审计管理员首次登录时须用手机验证器设置两步验证 / the three administrators set up a second factor (an authenticator app) at their first sign-in");
        println!("  按 Ctrl+C 停止 / press Ctrl+C to stop");
        let _ = std::io::stdout().flush();
    })
    .await
}

/// `hongzhu generate`: a synthetic region, one county of 200 institutions at a time, each in its
/// own transaction, with progress on stderr.
pub async fn generate(url: &str, institutions: u32, seed: u64, life_years: u32) -> Result<()> {
    let store = Store::open(url).await.context("cannot open the database")?;
    let started = Instant::now();
    let counties = institutions.div_ceil(200);
    let today = Utc::now().date_naive();
    let mut totals = (0usize, 0usize, 0usize, 0usize);
    let (mut activities, mut attendance) = (0usize, 0usize);
    let local_today = hongzhu_core::life::to_local(Utc::now()).date();
    for c in 0..counties {
        let n = if c + 1 == counties { institutions - c * 200 } else { 200 };
        let data = synth::synthetic_county(seed, today, c, n);
        totals.0 += data.institutions.len();
        totals.1 += data.staff.len();
        totals.2 += data.members.len();
        totals.3 += data.orgs.len();
        store.load_dataset(&data, "generate", &mut |_: &str, _: u64, _: u64| {}).await.with_context(|| format!("county {}", c + 1))?;
        if life_years > 0 {
            let county = data
                .regions
                .iter()
                .find(|r| r.level == hongzhu_core::labels::RegionLevel::County)
                .map(|r| r.code.to_string())
                .unwrap_or_default();
            let life = hongzhu_core::synth_life::life_for(&data, seed.wrapping_add(c as u64), local_today, life_years * 12);
            activities += life.len();
            attendance += life.iter().map(|a| a.attendance.len()).sum::<usize>();
            let guides = hongzhu_core::synth_life::guides_for(local_today, life_years * 12);
            store.load_life(&county, &life, &guides, "generate").await.with_context(|| format!("county {} organizational life", c + 1))?;
        }
        eprint!(
            "\r生成中 / generating: 县 county {}/{} · {} 所学校 institutions · {} 名教职工 staff · {} 次活动 activities · {:.0} s   ",
            c + 1,
            counties,
            totals.0,
            totals.1,
            activities,
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    println!(
        "完成 / done: {} institutions, {} staff, {} members, {} organizations, {} activities, {} attendance rows in {:.1} s",
        totals.0,
        totals.1,
        totals.2,
        totals.3,
        activities,
        attendance,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Transfers under way and done, and a few status changes, so the transfer pages have something
/// to show: one within the county never accepted (45 days), one accepted, one to outside waiting
/// for its receipt, one completed (the member left the roster); a floating and a lost member.
async fn demo_transfers(store: &Store, today: chrono::NaiveDate) -> Result<()> {
    use hongzhu_core::labels::{MemberStatus, TransferKind};
    use hongzhu_core::transfer::Decision;
    use hongzhu_store::transfers::NewTransfer;
    let members = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 40, ..Default::default() })
        .await?
        .items;
    let plain: Vec<i64> = members.iter().filter(|m| m.party_post.is_none()).map(|m| m.meta.id).collect();
    if plain.len() < 6 {
        return Ok(());
    }
    let days = |n: i64| today - chrono::Duration::days(n);
    let start = |kind, to: Option<&str>, outside: &str, on| NewTransfer {
        kind,
        to_org: to.map(str::to_string),
        outside: outside.to_string(),
        letter_no: String::new(),
        started_on: on,
        note: String::new(),
    };
    store.start_transfer(&Scope::All, plain[0], &start(TransferKind::Within, Some("JX-SX-ZZ"), "", days(45)), today, "demo").await?;
    let t =
        store.start_transfer(&Scope::All, plain[1], &start(TransferKind::Within, Some("JX-YZ-ZB1"), "", days(20)), today, "demo").await?;
    store.decide_transfer(&Scope::All, t.id, Decision::Accept, days(10), "", today, "demo").await?;
    store
        .start_transfer(&Scope::All, plain[2], &start(TransferKind::Out, None, "中共济宁市第一中学委员会", days(12)), today, "demo")
        .await?;
    let t = store
        .start_transfer(&Scope::All, plain[3], &start(TransferKind::Out, None, "中共嘉祥县第一中学委员会", days(90)), today, "demo")
        .await?;
    store.decide_transfer(&Scope::All, t.id, Decision::Complete, days(60), "", today, "demo").await?;
    store
        .change_member_status(&Scope::All, plain[4], MemberStatus::Floating, days(120), "赴外省支教一年，保留组织关系", today, "demo")
        .await?;
    store
        .change_member_status(&Scope::All, plain[5], MemberStatus::Lost, days(30), "连续三个月联系不上，已按规定查找", today, "demo")
        .await?;
    Ok(())
}

/// This year's dues for every member of the demo county (R4.1–R4.4): a base in January, payments
/// month by month to this month — most on time, a few unpaid, some back payments (two over the
/// 6-month limit), some by proxy — and one reduction applied, reviewed and approved.
async fn demo_dues(store: &Store, today: chrono::NaiveDate, seed: u64) -> Result<()> {
    use chrono::Datelike;
    use hongzhu_core::dues::{Base, DuesCategory, Fen};
    let year = today.year();
    let orgs: Vec<i64> = store.orgs(&Scope::All, None).await?.into_iter().map(|o| o.meta.id).collect();
    let members = store.dues_members(&orgs, year).await?;
    let mut rng = hongzhu_core::rng::Rng::new(seed ^ 0xd0e5);
    let mut bases = Vec::new();
    let mut payments = Vec::new();
    let mut over_limit = 0;
    for m in &members {
        // Teachers' fixed monthly pay: 3,000–9,500 yuan in steps of 50.
        let base = Fen(rng.range(60, 191) * 5_000);
        let b = Base { from_month: 1, category: DuesCategory::InService, base, farmer_amount: None };
        let monthly = b.monthly();
        bases.push((m.member_id, year, b));
        let first = if m.admitted_on.year() == year { m.admitted_on.month() } else { 1 };
        for month in first..=today.month() {
            let this_month = month == today.month();
            if rng.chance(if this_month { 0.45 } else { 0.03 }) {
                continue; // not paid (yet)
            }
            let late = if !this_month && month + 7 <= today.month() && over_limit < 2 && rng.chance(0.01) {
                over_limit += 1;
                7
            } else if !this_month && rng.chance(0.03) {
                rng.range(1, 3) as u32
            } else {
                0
            };
            let paid_month = (month + late).min(today.month());
            let day = if paid_month == today.month() { rng.range(1, i64::from(today.day()) + 1) as u32 } else { rng.range(5, 21) as u32 };
            let paid_on = chrono::NaiveDate::from_ymd_opt(year, paid_month, day).unwrap_or(today);
            let proxy = if rng.chance(0.03) {
                "支部组织委员代缴（本人外出学习，经支部同意）".to_string()
            } else {
                String::new()
            };
            payments.push((m.member_id, year, month, monthly, paid_on, proxy));
        }
    }
    store.load_dues(&bases, &payments, "demo").await?;
    // A reduction through its three steps (R4.4), for a member of 金乡县第二中学.
    let ez = store.org_id("JX-EZ-ZZ").await?;
    if let Some(m) = members.iter().find(|m| Some(m.org_id) == ez) {
        let from = (year, 1.max(today.month().saturating_sub(3)));
        let to = (year, 12);
        let applied = today - chrono::Duration::days(100);
        let id = store
            .apply_dues_reduction(m.org_id, m.member_id, from, to, Fen(0), "家庭遭遇重大变故，生活困难，申请免交", applied, today, "demo")
            .await?;
        use hongzhu_store::dues::ReductionStep;
        store.decide_dues_reduction(id, ReductionStep::Review, applied + chrono::Duration::days(3), None, None, today, "demo").await?;
        store
            .decide_dues_reduction(id, ReductionStep::Approve, applied + chrono::Duration::days(10), Some("JX-JYGW"), None, today, "demo")
            .await?;
    }
    Ok(())
}

/// The election that began each organization's current term, from the posts its own members hold
/// (R1.4–R1.6), where those make a valid election; the others show “no election recorded”.
async fn demo_elections(store: &Store, today: chrono::NaiveDate) -> Result<()> {
    use hongzhu_core::election::{Elected, Election, is_elected_post};
    for o in store.orgs(&Scope::All, None).await? {
        let Some(held_on) = o.record.term_start else { continue };
        let candidates = store.election_candidates(o.meta.id).await?;
        let holders: Vec<Elected> = candidates
            .iter()
            .filter(|c| c.direct)
            .filter_map(|c| c.post.filter(|p| is_elected_post(*p)).map(|p| (c.member_id, p)))
            .map(|(member_id, post)| Elected { member_id, post, votes: 0 })
            .collect();
        if holders.is_empty() {
            continue;
        }
        let due = o.full_member_count.max(holders.len() as i64);
        let present = due - due / 10;
        let results = holders.into_iter().enumerate().map(|(i, mut h)| {
            h.votes = present - (i as i64 % 3).min(present / 3);
            h
        });
        let e = Election {
            held_on,
            due,
            present,
            term_years: o.record.term_years_or_default(),
            results: results.collect(),
            note: String::new(),
        };
        match store.record_election(o.meta.id, &e, today, "demo").await {
            Ok(_) | Err(hongzhu_store::StoreError::Refused(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Honors as the seed reports them (2018: 10 city demonstration schools, 3 strong branches, 2
/// top-ten brands; more in 2019 and since) and three school years of indicators for every school,
/// large and oversized classes (R6.1) falling year by year as the seed describes.
async fn demo_school(store: &Store, data: &synth::Dataset, today: chrono::NaiveDate, seed: u64) -> Result<()> {
    use chrono::Datelike;
    use hongzhu_core::labels::{HonorKind, HonorLevel, InstitutionKind, Labeled, Ownership};
    use hongzhu_core::school::{Honor, Indicators};
    let mut rng = hongzhu_core::rng::Rng::new(seed ^ 0x5c001);
    let public: Vec<&hongzhu_core::registry::Institution> = data
        .institutions
        .iter()
        .filter(|i| i.ownership == Ownership::Public && i.kind != InstitutionKind::TeachingPoint && i.students.is_some())
        .collect();
    let orgs: Vec<&hongzhu_core::registry::PartyOrg> =
        data.orgs.iter().filter(|o| o.kind == hongzhu_core::labels::OrgKind::Branch).collect();
    let plan = [
        (2018, HonorKind::DemonstrationSchool, HonorLevel::City, 10),
        (2018, HonorKind::StrongBranch, HonorLevel::City, 3),
        (2018, HonorKind::Brand, HonorLevel::City, 2),
        (2018, HonorKind::DemonstrationSchool, HonorLevel::County, 15),
        (2019, HonorKind::DemonstrationSchool, HonorLevel::City, 12),
        (2019, HonorKind::StrongBranch, HonorLevel::City, 4),
        (2019, HonorKind::Brand, HonorLevel::City, 3),
        (2019, HonorKind::DemonstrationSchool, HonorLevel::Provincial, 1),
        (2020, HonorKind::DemonstrationSchool, HonorLevel::City, 8),
        (2021, HonorKind::AdvancedOrg, HonorLevel::County, 6),
        (today.year() - 1, HonorKind::DemonstrationSchool, HonorLevel::City, 9),
        (today.year() - 1, HonorKind::StrongBranch, HonorLevel::City, 5),
    ];
    for (year, kind, level, n) in plan {
        for k in 0..n {
            let by_org = kind == HonorKind::StrongBranch || kind == HonorKind::Brand;
            let (institution, org) = if by_org && !orgs.is_empty() {
                (None, Some(orgs[(k * 7 + year as usize) % orgs.len()].code.to_string()))
            } else {
                (Some(public[(k * 11 + year as usize * 3) % public.len()].code.to_string()), None)
            };
            let issuer = match level {
                HonorLevel::Provincial => "中共山东省委教育工委",
                HonorLevel::City => "中共济宁市委教育工委",
                _ => "中共金乡县委教育工委",
            };
            let title = format!("{}{}", level.zh(), kind.zh());
            let h = Honor { kind, title, level, year, issuer: issuer.into(), institution, org, note: String::new() };
            store.add_honor(&Scope::All, &h, "demo").await?;
        }
    }
    // School years ending in the summer: the last three.
    let last = if today.month() >= 9 { today.year() } else { today.year() - 1 };
    for i in &public {
        let students = i.students.unwrap_or(0);
        let classes = i.classes.unwrap_or(1).max(1);
        let middle = matches!(
            i.kind,
            InstitutionKind::Junior | InstitutionKind::NineYear | InstitutionKind::Senior | InstitutionKind::CompleteMiddle
        );
        let senior = matches!(i.kind, InstitutionKind::Senior | InstitutionKind::CompleteMiddle | InstitutionKind::TwelveYear);
        for (k, year) in (last - 2..=last).enumerate() {
            let drift = 1.0 + (rng.float() - 0.5) * 0.06;
            let s = ((students as f64) * drift) as i64;
            let c = classes + k as i64 * i64::from(middle);
            // Large and oversized classes in the middle schools, fewer each year (R6.1).
            let avg = s / c.max(1);
            let (large, oversized) =
                if middle && avg >= 50 { ((c / 4 - k as i64 * c / 10).max(0), (c / 10 - k as i64 * c / 20).max(0)) } else { (0, 0) };
            let large = large.min((s - oversized * 66).max(0) / 56);
            let sat = senior.then_some(s / 3);
            let ind = Indicators {
                students: s,
                classes: c,
                large_classes: large,
                oversized_classes: oversized,
                teachers: (s / if middle { 13 } else { 17 }).max(3),
                building_m2: if rng.chance(0.15) { rng.range(800, 6000) } else { 0 },
                admitted: sat.map(|n| n * rng.range(55, 80) / 100),
                candidates: sat,
                poor_supported: s * rng.range(1, 4) / 100,
                investment_yuan: rng.range(20, 400) * 10_000,
            };
            store.save_indicators(&Scope::All, i.code.as_str(), year, &ind, None, "demo").await?;
        }
    }
    Ok(())
}

/// The 2018 and 2019 city demonstration-school campaigns, published: a dozen schools each,
/// self-assessed, scored by two reviewers of the county office.
async fn demo_campaigns(store: &Store, data: &synth::Dataset, today: chrono::NaiveDate, seed: u64) -> Result<()> {
    use hongzhu_core::labels::{HonorLevel, InstitutionKind, Ownership};
    let mut rng = hongzhu_core::rng::Rng::new(seed ^ 0xca4a);
    let schools: Vec<String> = data
        .institutions
        .iter()
        .filter(|i| i.ownership == Ownership::Public && !matches!(i.kind, InstitutionKind::TeachingPoint | InstitutionKind::Kindergarten))
        .map(|i| i.code.to_string())
        .collect();
    for year in [2018, 2019] {
        let id = store
            .create_campaign(&format!("{year}年市级党建示范校创建"), year, HonorLevel::City, &hongzhu_core::campaign::five_goods(), "demo")
            .await?;
        let (_, indicators, _) = store.campaign(id, &Scope::All).await?;
        let mut entries = Vec::new();
        for k in 0..12 {
            let code = &schools[(k * 13 + year as usize) % schools.len()];
            if let Ok(e) = store.apply_to_campaign(id, &Scope::All, code, today, "demo").await {
                entries.push(e);
            }
        }
        // Each school's strength, then everyone's scores around it, in halves.
        let strength: Vec<f64> = entries.iter().map(|_| rng.range(12, 20) as f64 / 2.0).collect();
        let sheet = |rng: &mut hongzhu_core::rng::Rng, base: f64| -> Vec<(i64, f64)> {
            indicators.iter().map(|i| (i.id, (base + rng.range(-2, 2) as f64 / 2.0).clamp(0.0, i.indicator.max))).collect()
        };
        for (e, s) in entries.iter().zip(&strength) {
            let own = sheet(&mut rng, (s + 1.0).min(10.0));
            store.save_campaign_scores(*e, hongzhu_store::campaigns::SELF, &own, &[], "demo").await?;
        }
        store.advance_campaign(id, "demo").await?;
        for reviewer in ["county", "fushuji"] {
            for (e, s) in entries.iter().zip(&strength) {
                let scores = sheet(&mut rng, *s);
                store.save_campaign_scores(*e, reviewer, &scores, &[], "demo").await?;
            }
        }
        store.advance_campaign(id, "demo").await?;
    }
    Ok(())
}

/// This year's commitments of the members of a few organizations (most members, three
/// dimensions each), half of them reviewed at mid-year.
async fn demo_commitments(store: &Store, today: chrono::NaiveDate, seed: u64) -> Result<()> {
    use chrono::Datelike;
    use hongzhu_core::labels::{CommitmentDimension, ReviewGrade};
    let mut rng = hongzhu_core::rng::Rng::new(seed ^ 0xc0de);
    let texts = [
        (
            CommitmentDimension::Quality,
            ["所教班级成绩稳中有升，每学期上一节公开课", "认真备好每一节课，作业全批全改", "带好一名青年教师，共同提高"],
        ),
        (CommitmentDimension::Management, ["负责的年级常规管理零差错", "按时完成教研组各项工作并留好台账", "管好实验室安全，每周检查一次"]),
        (CommitmentDimension::Care, ["结对帮扶两名留守儿童，每月家访一次", "每周找两名学生谈心", "关注学困生，每周义务辅导一次"]),
    ];
    let year = today.year();
    // The demo member's branch first, so their phone badge and the cards have something to show.
    let mut all: Vec<hongzhu_store::OrgRow> = store.orgs(&Scope::All, None).await?.into_iter().filter(|o| o.member_count >= 5).collect();
    all.sort_by_key(|o| o.record.code.as_str() != "JX-YZ-ZB1");
    let orgs: Vec<i64> = all.iter().take(6).map(|o| o.meta.id).collect();
    let members = store.dues_members(&orgs, year).await?;
    let mut made = Vec::new();
    for m in &members {
        if !rng.chance(0.75) {
            continue;
        }
        for (d, options) in &texts {
            let text = options[rng.range(0, options.len() as i64) as usize];
            store.save_commitment(m.member_id, year, *d, text, "demo").await?;
        }
        made.push(m.member_id);
    }
    // 先锋岗、示范岗 for some of those who committed.
    let posts = [
        (hongzhu_core::labels::VanguardKind::Pioneer, "教学质量先锋岗"),
        (hongzhu_core::labels::VanguardKind::Model, "班级管理示范岗"),
        (hongzhu_core::labels::VanguardKind::Pioneer, "关爱学生先锋岗"),
        (hongzhu_core::labels::VanguardKind::Model, "教研创新示范岗"),
    ];
    for (i, id) in made.iter().step_by(5).enumerate() {
        let (kind, title) = posts[i % posts.len()];
        store.designate_vanguard(*id, year, kind, title, today, None, "demo").await?;
    }
    if today >= hongzhu_core::commitment::Review::Mid.opens(year) {
        for id in made.iter().step_by(2) {
            for c in store.commitments(hongzhu_store::commitments::Whose::Member(*id), year).await? {
                let grade = if rng.chance(0.8) { ReviewGrade::Good } else { ReviewGrade::Fair };
                store.review_commitment(c.id, hongzhu_core::commitment::Review::Mid, grade, "", None, today, "demo").await?;
            }
        }
    }
    Ok(())
}

/// Left-behind children (R6.2) at the rural primary and middle schools and a few at 金乡县第一中学
/// (15-year-olds in their first year), most paired with a member teaching there, with visits since.
/// The demo member teacher is paired with one child, so their phone page has something to show.
async fn demo_children(store: &Store, today: chrono::NaiveDate, seed: u64) -> Result<()> {
    use hongzhu_core::care::{ChildInput, check_child};
    use hongzhu_core::labels::{HelpKind, InstitutionKind};
    let mut maker = synth::PersonMaker::new(seed ^ 0xc41d, "370828");
    let schools =
        store.institutions(&Scope::All, &hongzhu_store::InstitutionFilter { page: 1, page_size: 1000, ..Default::default() }).await?.items;
    let rural: Vec<_> = schools
        .iter()
        .filter(|i| matches!(i.record.kind, InstitutionKind::Primary | InstitutionKind::Junior | InstitutionKind::NineYear))
        .take(16)
        .collect();
    let yizhong = schools.iter().find(|i| i.record.code.as_str() == "3708280001");
    let notes = [
        "父母在外地打工，和奶奶一起生活，性格内向",
        "数学基础较弱，需要课后辅导",
        "爷爷奶奶年纪大，作业无人辅导",
        "家庭经济困难，需要学习用品资助",
        "",
    ];
    let visit_notes = [
        (HelpKind::Study, "辅导数学作业，讲解分数应用题"),
        (HelpKind::Mental, "谈心，了解在校情况，鼓励多参加集体活动"),
        (HelpKind::Moral, "一起观看红色电影，讲革命先辈故事"),
        (HelpKind::Money, "送去书包和文具，了解家庭近况"),
        (HelpKind::Study, "检查暑假作业，制定阅读计划"),
        (HelpKind::Mental, "与孩子视频连线在外务工的父母"),
    ];
    let classes = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级", "高一"];
    // The demo member (made by `demo_accounts` the same way: the first branch member with no post).
    let branch =
        store.members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 20, ..Default::default() }).await?;
    let dangyuan_person = branch.items.iter().find(|m| m.party_post.is_none()).map(|m| m.person.person_id);
    let mut plan: Vec<(&hongzhu_store::InstitutionRow, i64, i64)> = rural.iter().map(|i| (*i, 3, 7)).collect();
    if let Some(y) = yizhong {
        plan.push((y, 2, 3));
    }
    for (school, lo, hi) in plan {
        let teachers = store
            .members(
                &Scope::All,
                &PeopleFilter { institution: Some(school.record.code.to_string()), page: 1, page_size: 200, ..Default::default() },
            )
            .await?
            .items;
        let senior = school.record.code.as_str() == "3708280001";
        let n = maker.rng().range(lo, hi);
        for k in 0..n {
            let (min_age, max_age) = if senior {
                (15, 15)
            } else if school.record.kind == InstitutionKind::Primary {
                (6, 11)
            } else {
                (12, 14)
            };
            let p = maker.person(today, min_age, max_age);
            let age = hongzhu_core::stats::age_on(p.id_number.birth_date(), today);
            let grade = if senior { 9 } else { (age - 6).clamp(0, 8) as usize };
            let input = ChildInput {
                name: p.name.clone(),
                gender: if p.id_number.is_male() { "男" } else { "女" }.into(),
                birth_date: p.id_number.birth_date().to_string(),
                class_name: format!("{}{}班", classes[grade], maker.rng().range(1, 4)),
                situation: if maker.rng().chance(0.8) { "both_away" } else { "one_away" }.into(),
                guardian: if maker.rng().chance(0.75) { "grandparents" } else { "relative" }.into(),
                note: maker.rng().pick(&notes).to_string(),
            };
            let Ok(child) = check_child(&input, today) else { continue };
            let id = store.add_child(school.meta.id, &child, "demo").await?;
            // Most children are paired; at 一中 the demo member takes the first.
            let teacher = if senior && k == 0 {
                teachers.iter().find(|m| Some(m.person.person_id) == dangyuan_person).or(teachers.first())
            } else if teachers.is_empty() || !maker.rng().chance(0.85) {
                None
            } else {
                Some(&teachers[maker.rng().range(0, teachers.len() as i64) as usize])
            };
            let Some(t) = teacher else { continue };
            let start = today - chrono::Duration::days(maker.rng().range(60, 330));
            let helps = [HelpKind::Study, HelpKind::Mental, if maker.rng().chance(0.3) { HelpKind::Money } else { HelpKind::Moral }];
            let pairing = store.pair_child(id, t.meta.id, start, &helps, today, "demo").await?;
            let visits = maker.rng().range(0, 7);
            let span = (today - start).num_days().max(1);
            let mut days: Vec<i64> = (0..visits).map(|_| maker.rng().range(0, span)).collect();
            days.sort_unstable();
            days.dedup();
            for d in days {
                let (help, note) = *maker.rng().pick(&visit_notes);
                store.record_visit(pairing, t.meta.id, start + chrono::Duration::days(d), help, note, today, "demo").await?;
            }
        }
    }
    Ok(())
}

/// Community service (R6.3): the members of some organizations registered at their communities
/// with this year's records (some reach the target, some not), after-school sessions, five service
/// stations and residents' concerns at every step.
async fn demo_service(store: &Store, today: chrono::NaiveDate, seed: u64) -> Result<()> {
    use chrono::Datelike;
    use hongzhu_core::labels::ServiceKind;
    use hongzhu_core::service::ConcernState;
    let mut rng = hongzhu_core::rng::Rng::new(seed ^ 0x5e4c);
    let communities = ["奎星社区", "金珠社区", "莱河社区", "文峰社区", "缗城社区", "金城社区", "西城社区", "东关社区"];
    // The demo member's branch first, so their phone page has a year to show.
    let mut orgs: Vec<hongzhu_store::OrgRow> = store.orgs(&Scope::All, None).await?.into_iter().filter(|o| o.member_count >= 5).collect();
    orgs.sort_by_key(|o| o.record.code.as_str() != "JX-YZ-ZB1");
    orgs.truncate(10);
    let jan1 = chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("valid");
    let span = (today - jan1).num_days().max(1);
    let mut stations = Vec::new();
    for (i, o) in orgs.iter().take(5).enumerate() {
        let c = communities[i];
        let name = format!("{}党员服务站（{c}）", o.record.name.trim_end_matches("委员会").trim_end_matches("支部委员会"));
        let id = store.add_station(o.meta.id, &name, c, today - chrono::Duration::days(400), "demo").await?;
        stations.push((id, o.meta.id));
    }
    let contents = [
        (ServiceKind::Community, "社区文明创建志愿服务，清理楼道小广告"),
        (ServiceKind::Community, "社区疫情防控与卫生整治志愿服务"),
        (ServiceKind::Contact, "走访社区困难家庭，了解子女上学情况"),
        (ServiceKind::Community, "社区“四点半课堂”辅导小学生作业"),
        (ServiceKind::AfterSchool, "课后服务：书法社团辅导"),
        (ServiceKind::AfterSchool, "课后服务：作业辅导与阅读指导"),
        (ServiceKind::Contact, "到社区宣讲家庭教育知识"),
    ];
    for (k, o) in orgs.iter().enumerate() {
        let members = store
            .members(&Scope::All, &PeopleFilter { org: Some(o.record.code.to_string()), page: 1, page_size: 200, ..Default::default() })
            .await?
            .items;
        for m in members {
            if !rng.chance(0.8) {
                continue;
            }
            let c = *rng.pick(&communities);
            store
                .register_service(
                    m.meta.id,
                    &format!("金乡街道{c}"),
                    jan1 + chrono::Duration::days(rng.range(0, 60).min(span)),
                    today,
                    "demo",
                )
                .await?;
            if k >= 6 {
                continue;
            }
            let n = rng.range(2, 14);
            for _ in 0..n {
                let (kind, text) = *rng.pick(&contents);
                let on = jan1 + chrono::Duration::days(rng.range(0, span));
                let hours = [1.0, 1.5, 2.0, 3.0, 4.0][rng.range(0, 5) as usize];
                let station = if kind == ServiceKind::AfterSchool { None } else { stations.iter().find(|s| s.1 == o.meta.id).map(|s| s.0) };
                // A day already full is skipped (the rule refuses it).
                let _ = store.record_service(m.meta.id, on, kind, &hours.to_string(), text, station, today, "demo").await;
            }
        }
    }
    let concerns = [
        "小区门口上下学时段车辆拥堵，孩子过马路不安全",
        "希望学校暑期开放操场供社区孩子锻炼",
        "孩子沉迷手机游戏，家长不知道怎么办",
        "社区老人想学用智能手机挂号",
        "路灯坏了一个多月，晚上孩子放学回家太黑",
        "想了解随迁子女入学需要准备哪些材料",
        "小区附近有无证校外培训班，担心安全",
        "希望学校老师给家长讲讲青春期教育",
    ];
    let notes = [
        "已联系交警中队，上下学时段安排护学岗",
        "协调学校周末开放操场，安排党员值守",
        "组织党员教师开展家庭教育讲座",
        "与社区联系，已维修",
        "整理入学材料清单发放到社区",
    ];
    for (i, text) in concerns.iter().enumerate() {
        let (station, org) = stations[i % stations.len()];
        let id = store.raise_concern(station, today - chrono::Duration::days(60 - i as i64 * 6), text, today, "demo").await?;
        let steps = i % 4;
        if steps == 0 {
            continue;
        }
        let code = store.org_code(org).await?.unwrap_or_default();
        let m = store.members(&Scope::All, &PeopleFilter { org: Some(code), page: 1, page_size: 5, ..Default::default() }).await?.items;
        let Some(m) = m.first() else { continue };
        store.step_concern(id, ConcernState::Assigned, Some(m.meta.id), "", today, "demo").await?;
        if steps >= 2 {
            store.step_concern(id, ConcernState::Handled, None, notes[i % notes.len()], today, "demo").await?;
        }
        if steps >= 3 {
            store.step_concern(id, ConcernState::Answered, None, "已电话答复群众，群众表示满意", today, "demo").await?;
        }
    }
    Ok(())
}

/// 条块结合、送教下乡、同课异构、带团建带少建: this year's safety lessons and mental-health
/// activities, three teaching teams with their trips to rural schools and same-topic sessions,
/// the League branches and Pioneer brigades of the schools with their activities.
async fn demo_schoolwork(store: &Store, today: chrono::NaiveDate, seed: u64) -> Result<()> {
    use chrono::Datelike;
    use hongzhu_core::labels::{InstitutionKind, Labeled, SchoolWorkKind, YouthForm, YouthUnitKind};
    use hongzhu_core::schoolwork::{ActivityInput, check_activity};
    let mut rng = hongzhu_core::rng::Rng::new(seed ^ 0x5c40);
    let mut maker = synth::PersonMaker::new(seed ^ 0x70a7, "370828");
    let schools =
        store.institutions(&Scope::All, &hongzhu_store::InstitutionFilter { page: 1, page_size: 1000, ..Default::default() }).await?.items;
    let jan1 = chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("valid");
    let span = (today - jan1).num_days().max(1);
    // The members teaching at each school (one light query per school).
    let mut teachers_at = std::collections::HashMap::new();
    for s in &schools {
        teachers_at.insert(s.record.code.to_string(), store.members_at_school(s.meta.id).await?);
    }
    let members_at: std::collections::HashMap<String, Vec<i64>> =
        teachers_at.iter().map(|(k, v)| (k.clone(), v.iter().map(|m| m.id).collect())).collect();
    let with_members: Vec<&hongzhu_store::InstitutionRow> =
        schools.iter().filter(|s| members_at[s.record.code.as_str()].len() >= 3).collect();
    // Dates and head counts from their own sequence (the closure holds it).
    let mut when = hongzhu_core::rng::Rng::new(seed ^ 0x5c41);
    let mut add = |kind: SchoolWorkKind, title: &str, target: &str, lessons: i64, form: &str| ActivityInput {
        kind: kind.code().into(),
        held_on: (jan1 + chrono::Duration::days(when.range(0, span))).to_string(),
        title: title.into(),
        target: target.into(),
        lessons: lessons.to_string(),
        participants: when.range(30, 400).to_string(),
        form: form.into(),
        note: String::new(),
    };
    let safety = ["防溺水安全教育", "交通安全第一课", "消防安全疏散演练讲解", "防范电信诈骗进校园", "食品安全与卫生习惯"];
    let psych = ["考前心理调适讲座", "“阳光心态”团体辅导", "学会情绪管理主题班会", "留守儿童心理健康沙龙"];
    // (school id, school code, the activity, its members, its team), recorded at the end.
    type Pending = (i64, String, ActivityInput, Vec<i64>, Option<i64>);
    let mut pending: Vec<Pending> = Vec::new();
    for (i, s) in with_members.iter().take(24).enumerate() {
        let ms = &members_at[s.record.code.as_str()];
        for k in 0..rng.range(1, 4) {
            let (kind, title) = if (i + k as usize) % 3 == 2 {
                (SchoolWorkKind::PsychActivity, psych[(i + k as usize) % psych.len()])
            } else {
                (SchoolWorkKind::SafetyLesson, safety[(i + k as usize) % safety.len()])
            };
            let who = vec![ms[rng.range(0, ms.len() as i64) as usize]];
            pending.push((s.meta.id, s.record.code.to_string(), add(kind, title, "", 1, ""), who, None));
        }
    }
    // Teaching teams of the three largest schools, each with trips to rural primary schools.
    let mut big: Vec<&&hongzhu_store::InstitutionRow> = with_members.iter().collect();
    big.sort_by_key(|s| std::cmp::Reverse(members_at[s.record.code.as_str()].len()));
    let rural: Vec<&hongzhu_store::InstitutionRow> = schools
        .iter()
        .filter(|s| matches!(s.record.kind, InstitutionKind::Primary | InstitutionKind::TeachingPoint))
        .skip(20)
        .take(14)
        .collect();
    let topics = ["《秋天的雨》", "分数的初步认识", "《背影》", "一元一次方程的应用", "光的折射", "Unit 3 My Friends", "《春》"];
    for s in big.iter().take(3) {
        // The team: members of the branch with the most teachers at the school.
        let mut by_org: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
        for m in &teachers_at[s.record.code.as_str()] {
            by_org.entry(m.org_id).or_default().push(m.id);
        }
        let Some((org_id, ids)) = by_org.into_iter().max_by_key(|(_, v)| v.len()) else { continue };
        let team: Vec<i64> = ids.into_iter().take(5).collect();
        if team.len() < 2 {
            continue;
        }
        let short = s.record.name.trim_start_matches("金乡县");
        let team_id = store.add_team(org_id, &format!("{short}党员送教小分队"), today.year(), &team, "demo").await?;
        for _ in 0..rng.range(3, 6) {
            let target = rural[rng.range(0, rural.len() as i64) as usize];
            let title = topics[rng.range(0, topics.len() as i64) as usize];
            let who = vec![team[rng.range(0, team.len() as i64) as usize]];
            pending.push((
                s.meta.id,
                s.record.code.to_string(),
                add(SchoolWorkKind::TeachingTrip, title, target.record.code.as_str(), rng.range(2, 7), ""),
                who,
                Some(team_id),
            ));
        }
        let title = topics[rng.range(0, topics.len() as i64) as usize];
        pending.push((
            s.meta.id,
            s.record.code.to_string(),
            add(SchoolWorkKind::SameTopic, title, "", 3, ""),
            team.iter().take(3).copied().collect(),
            None,
        ));
    }
    // League branches (secondary schools) and Pioneer brigades (primary and nine-year schools).
    let forms = [
        (YouthForm::Ceremony, "新团员入团仪式"),
        (YouthForm::Reading, "“红色经典”读书分享会"),
        (YouthForm::Speech, "“我和我的祖国”演讲比赛"),
        (YouthForm::Volunteer, "学雷锋志愿服务"),
        (YouthForm::Theme, "“请党放心，强国有我”主题团队日"),
    ];
    for s in with_members.iter().take(30) {
        let kinds: &[YouthUnitKind] = match s.record.kind {
            InstitutionKind::Primary => &[YouthUnitKind::PioneerBrigade],
            InstitutionKind::NineYear => &[YouthUnitKind::LeagueBranch, YouthUnitKind::PioneerBrigade],
            InstitutionKind::Junior | InstitutionKind::Senior | InstitutionKind::CompleteMiddle | InstitutionKind::Vocational => {
                &[YouthUnitKind::LeagueBranch]
            }
            _ => &[],
        };
        let guiding = match store.coverages_of_institution(s.meta.id).await?.first() {
            Some(c) => store.org_id(c.org.as_str()).await?,
            None => None,
        };
        let short = s.record.name.trim_start_matches("金乡县");
        for k in kinds {
            let (name, count) = match k {
                YouthUnitKind::LeagueBranch => (format!("共青团{short}委员会"), rng.range(40, 600)),
                YouthUnitKind::PioneerBrigade => (format!("{short}少先队大队"), rng.range(200, 1500)),
            };
            let leader = maker.person(today, 24, 35).name;
            store.save_youth_unit(s.meta.id, *k, &name, &leader, guiding, count, "demo").await?;
            let ms = &members_at[s.record.code.as_str()];
            if rng.chance(0.5) {
                let (form, title) = forms[rng.range(0, forms.len() as i64) as usize];
                let kind = if *k == YouthUnitKind::LeagueBranch { SchoolWorkKind::LeagueActivity } else { SchoolWorkKind::PioneerActivity };
                let who = vec![ms[rng.range(0, ms.len() as i64) as usize]];
                pending.push((s.meta.id, s.record.code.to_string(), add(kind, title, "", 0, form.code()), who, None));
            }
        }
    }
    for (inst, code, input, who, team) in pending {
        let a = check_activity(&input, &code, who.len(), today).map_err(|e| anyhow::anyhow!("demo activity: {}", e[0].message_zh))?;
        store.add_school_activity(inst, &a, team, &who, "demo").await?;
    }
    Ok(())
}
