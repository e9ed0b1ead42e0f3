//! `hongzhu`: the one binary. Serves the web application, makes the demo county, migrates,
//! creates accounts, generates synthetic data and measures itself.
#![forbid(unsafe_code)]

mod audit;
mod bench;
mod demo;
mod ledger_cmd;
mod ops;

use std::io::Read;
use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hongzhu_store::{Actor, AuditEntry, NewUser, Outcome, Role, Store};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ABOUT: &str = "红烛 · 教育系统党建工作平台 — Hongzhu, the Party-building platform of a county's schools";

#[derive(Parser)]
#[command(name = "hongzhu", version, about = ABOUT, long_about = None)]
struct Cli {
    /// 数据库地址 / database URL: sqlite://FILE (default) or postgres://USER@HOST/DB
    #[arg(long, global = true, env = "HONGZHU_DATABASE", default_value = "sqlite://hongzhu.db")]
    database: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 启动服务 / serve the web application
    Serve {
        /// 监听地址 / address to listen on
        #[arg(long, env = "HONGZHU_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// 部署在 TLS 之后时开启（Secure Cookie、HSTS）/ set when served behind TLS
        #[arg(long, env = "HONGZHU_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// 生成演示县（金乡县）数据库并启动服务 / make a fresh demo county database and serve it
    Demo {
        /// 演示数据目录 / directory for the demo database (DIR/hongzhu.db)
        #[arg(long, default_value = "./hongzhu-demo")]
        data: std::path::PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// 随机种子 / seed of the generated county
        #[arg(long, default_value_t = 370828)]
        seed: u64,
        /// Make the database and print the accounts, then exit (the demo runs this in a child
        /// process, so the memory of generating does not stay with the server).
        #[arg(long, hide = true)]
        prepare_only: bool,
    },
    /// 升级数据库结构 / bring the database schema up to date
    Migrate,
    /// 账号管理 / accounts
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// 生成任意规模的模拟数据（用于性能测试）/ fill the database with a synthetic region, for benchmarks
    Generate {
        /// 学校数 / number of institutions (per institution ≈50 staff, 12.5 members, 0.75 organizations)
        #[arg(long)]
        institutions: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 同时生成若干年的组织生活（活动与出勤）/ also generate this many years of organizational life (activities and attendance)
        #[arg(long, default_value_t = 0)]
        life_years: u32,
    },
    /// 生成台账模板 / write the ledger template (spec/LEDGER.md)
    Template {
        /// 输出文件 / the .xlsx to write
        file: std::path::PathBuf,
    },
    /// 导入台账 / import a ledger workbook (.xlsx, .xls, .ods)
    Import {
        file: std::path::PathBuf,
        /// 只检查不写入 / check and count, write nothing
        #[arg(long)]
        dry_run: bool,
        /// 有错误时仍导入无误的行 / write the valid rows even when some rows have errors
        #[arg(long)]
        partial: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: ledger_cmd::ReportFormat,
        /// 出错时写出带“错误说明”列的工作簿 / write the workbook with a 错误说明 column here
        #[arg(long)]
        errors: Option<std::path::PathBuf>,
        /// 替换模式：删除该区划中文件里没有的记录（先列出，加 --yes 才执行）/ replace mode: remove the region's records
        /// missing from the file (listed first; --yes to remove)
        #[arg(long)]
        replace_region: Option<String>,
        /// 确认替换模式的删除 / confirm replace mode's removals
        #[arg(long)]
        yes: bool,
    },
    /// 导出台账 / export a region as a ledger workbook
    Export {
        file: std::path::PathBuf,
        #[arg(long)]
        region: Option<String>,
        /// 身份证号和手机号脱敏（脱敏文件不能再导入）/ mask ID and phone numbers (the file cannot be imported again)
        #[arg(long)]
        masked: bool,
    },
    /// 三个全覆盖核查 / the coverage audit (spec/COVERAGE.md)
    Audit {
        /// 核查日期，默认今天 / the date the audit is as of (default today), e.g. 2026-11-26
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// 区划代码，默认全部 / region code (default: everything)
        #[arg(long)]
        region: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: audit::Format,
        /// 输出文件 / write to this file instead of standard output
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// 保存为核查快照并更新整改任务 / store as a snapshot and mark rectification tasks
        #[arg(long)]
        save: bool,
    },
    /// 审计日志：校验防篡改链、到期清理 / the audit trail: verify its chain, purge past retention
    AuditLog {
        #[command(subcommand)]
        command: AuditLogCommand,
    },
    /// 清理超过保留期的已删除记录及其历史（S15）/ remove deleted records past their retention, with their history
    Purge {
        /// 只统计不删除 / count, remove nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// 密钥管理 / the keys kept outside the database (S13)
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// 备份数据库（SQLite 在线备份；PostgreSQL 调用 pg_dump）/ back the database up (S22)
    Backup {
        /// 备份文件（不能已存在）/ the backup file to write (must not exist)
        file: std::path::PathBuf,
    },
    /// 从备份恢复数据库（须先停止服务）/ restore the database from a backup (stop the server first)
    Restore {
        file: std::path::PathBuf,
        /// 确认覆盖当前数据库 / confirm replacing the current database
        #[arg(long)]
        yes: bool,
    },
    /// 性能测量 / measure speed and memory, printing figures
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// 更换数据密钥并重新加密身份证号、手机号和两步验证密钥（须先停止服务；可中断后重跑）/ replace the data key and re-seal
    /// every sealed value with it (stop the server first; safe to run again after an interruption)
    Rotate,
}

#[derive(Subcommand)]
enum AuditLogCommand {
    /// 校验每条记录的 HMAC 与链接 / check every row's HMAC and the chain between rows (S10)
    Verify {
        /// 上次校验记下的末条“编号:校验码”，用于发现末尾被截断 / the head "ID:MAC" noted at an earlier
        /// verify: proves no row was cut off the end since
        #[arg(long)]
        expect_head: Option<String>,
    },
    /// 删除超过保留期的记录（保留锚点，链仍可校验）/ remove rows past retention, keeping the chain verifiable (S11)
    Purge {
        /// 保留天数（至少 190）/ days to keep (at least 190; default HONGZHU_AUDIT_RETENTION_DAYS or 365)
        #[arg(long)]
        days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// 创建管理员账户 / create an administrator account
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// 角色 / role: county_admin (default), system_admin, security_admin, audit_admin (S7)
        #[arg(long, default_value = "county_admin")]
        role: String,
        /// 从标准输入读取密码 / read the password from standard input
        #[arg(long, required = true)]
        password_stdin: bool,
        /// 管辖区划代码（默认整个部署）/ region code the administrator sees (default: everything)
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
}

fn parse_date(s: &str) -> std::result::Result<chrono::NaiveDate, String> {
    hongzhu_core::registry::parse_date(s).ok_or_else(|| format!("“{s}”不是有效日期，请写作 2026-11-26 / not a date: write 2026-11-26"))
}

async fn open(url: &str) -> Result<Store> {
    Store::open(url).await.with_context(|| format!("无法打开数据库 / cannot open the database {}", hongzhu_store::redact(url)))
}

pub async fn serve(store: Store, listen: SocketAddr, secure_cookies: bool, on_ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("无法监听 / cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    on_ready(addr);
    // Expired sessions are removed every ten minutes (S3); an idle one is refused on its next use.
    let sweeper = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = sweeper.delete_expired_sessions(chrono::Utc::now()).await {
                tracing::warn!(error = %e, "could not remove expired sessions");
            }
        }
    });
    let mut state = hongzhu_web::AppState::new(store, secure_cookies);
    // SECURITY settings from HONGZHU_… variables; a bad value stops the start with its name.
    state.security = hongzhu_web::security::Settings::from_env().map_err(anyhow::Error::msg)?;
    // The check-in window either side of an activity's start (default 30 minutes).
    if let Ok(v) = std::env::var("HONGZHU_CHECKIN_WINDOW_MINUTES") {
        state.checkin_window = match v.trim().parse::<i64>() {
            Ok(m) if (5..=240).contains(&m) => m,
            _ => bail!("HONGZHU_CHECKIN_WINDOW_MINUTES=“{v}”无效：应为 5 到 240 之间的分钟数 / must be minutes from 5 to 240"),
        };
    }
    // R2.12: working days of public notice before admission and full membership (default 5).
    if let Ok(v) = std::env::var("HONGZHU_NOTICE_WORKING_DAYS") {
        state.notice_working_days = match v.trim().parse::<u32>() {
            Ok(d) if (1..=30).contains(&d) => d,
            _ => bail!("HONGZHU_NOTICE_WORKING_DAYS=“{v}”无效：应为 1 到 30 之间的工作日数 / must be working days from 1 to 30"),
        };
    }
    // R4.5: a dues base changes from the month pay changes (`month`) or is fixed for the year.
    if let Ok(v) = std::env::var("HONGZHU_DUES_BASE_CHANGE") {
        state.dues_base_rule = hongzhu_core::dues::BaseRule::parse(&v).ok_or_else(|| {
            anyhow::anyhow!("HONGZHU_DUES_BASE_CHANGE=“{v}”无效：应为 year（一年一定）或 month（自变化当月起）/ must be year or month")
        })?;
    }
    // How the integration scorecard combines its criteria (docs/README.md).
    if let Ok(v) = std::env::var("HONGZHU_SCORECARD_WEIGHTS") {
        state.scorecard_weights = hongzhu_core::scorecard::Weights::parse(&v)
            .map_err(|e| anyhow::anyhow!("HONGZHU_SCORECARD_WEIGHTS=“{v}”无效：{} / {}", e.message_zh, e.message_en))?;
    }
    // R6.3: the yearly service-hours target per member.
    if let Ok(v) = std::env::var("HONGZHU_SERVICE_HOURS_TARGET") {
        state.service_target = hongzhu_core::service::parse_target(&v).map_err(|e| anyhow::anyhow!(e))?;
    }
    let app = hongzhu_web::router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::WARN).init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("错误 / error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { listen, secure_cookies } => {
            let store = open(&cli.database).await?;
            serve(store, listen, secure_cookies, |addr| println!("红烛已启动 / Hongzhu is listening on http://{addr}")).await
        }
        Command::Demo { data, listen, seed, prepare_only } => {
            if prepare_only {
                demo::prepare(&data, seed).await
            } else {
                demo::run(&data, listen, seed).await
            }
        }
        Command::Migrate => {
            let store = open(&cli.database).await?;
            println!(
                "数据库结构已是最新（版本 {}）/ schema is at version {}",
                store.schema_version().await?,
                store.schema_version().await?
            );
            Ok(())
        }
        Command::User { command: UserCommand::CreateAdmin { username, role, password_stdin: _, region, display_name } } => {
            let role = match Role::from_code(&role) {
                Some(r @ (Role::CountyAdmin | Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin)) => r,
                _ => bail!(
                    "角色“{role}”无效：可用 county_admin、system_admin、security_admin、audit_admin / role must be one of county_admin, system_admin, security_admin, audit_admin"
                ),
            };
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("无法读取标准输入 / cannot read standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let policy = hongzhu_web::security::Settings::from_env().map_err(anyhow::Error::msg)?;
            if let Some(problem) = policy.password_problem(password) {
                bail!("{problem}");
            }
            let store = open(&cli.database).await?;
            if let Some(r) = &region
                && store.region(r).await?.is_none()
            {
                bail!("区划 {r} 不在数据库中 / region {r} is not in the database");
            }
            if store.user_by_username(&username).await?.is_some() {
                bail!("用户名 {username} 已存在 / user {username} exists");
            }
            let entry = AuditEntry {
                actor: Actor::cli("user create-admin"),
                event: "user_create",
                object: format!("user {username}"),
                outcome: Outcome::Success,
                detail: format!("role {}", role.code()),
            };
            let user = store
                .create_user_audited(
                    &NewUser {
                        username: username.clone(),
                        password_hash: hongzhu_web::auth::hash_password(password),
                        display_name: display_name.unwrap_or_else(|| username.clone()),
                        role,
                        region_code: region,
                        org_id: None,
                        person_id: None,
                    },
                    &entry,
                    false,
                )
                .await?;
            println!("已创建{} {} / created {} {}", role.zh(), user.username, role.en(), user.username);
            Ok(())
        }
        Command::Generate { institutions, seed, life_years } => demo::generate(&cli.database, institutions, seed, life_years).await,
        Command::Bench { command } => bench::run(command, &cli.database).await,
        Command::Template { file } => ledger_cmd::template(&file),
        Command::Import { file, dry_run, partial, format, errors, replace_region, yes } => {
            let store = open(&cli.database).await?;
            ledger_cmd::import(&store, &file, dry_run, partial, format, errors.as_deref(), replace_region.as_deref(), yes).await
        }
        Command::Export { file, region, masked } => {
            let store = open(&cli.database).await?;
            ledger_cmd::export(&store, region.as_deref(), &file, masked).await
        }
        Command::AuditLog { command: AuditLogCommand::Verify { expect_head } } => {
            let store = open(&cli.database).await?;
            ops::audit_verify(&store, expect_head.as_deref()).await
        }
        Command::AuditLog { command: AuditLogCommand::Purge { days } } => {
            let store = open(&cli.database).await?;
            let settings = hongzhu_web::security::Settings::from_env().map_err(anyhow::Error::msg)?;
            ops::audit_purge(&store, days.unwrap_or(settings.audit_retention_days)).await
        }
        Command::Backup { file } => ops::backup(&cli.database, &file).await,
        Command::Keys { command: KeysCommand::Rotate } => ops::rotate_keys(&cli.database).await,
        Command::Purge { dry_run } => {
            let store = open(&cli.database).await?;
            let settings = hongzhu_web::security::Settings::from_env().map_err(anyhow::Error::msg)?;
            ops::purge(&store, &settings, dry_run).await
        }
        Command::Restore { file, yes } => ops::restore(&cli.database, &file, yes).await,
        Command::Audit { as_of, region, format, output, save } => {
            let store = open(&cli.database).await?;
            audit::command(&store, region, as_of, format, output, save).await
        }
    }
}
