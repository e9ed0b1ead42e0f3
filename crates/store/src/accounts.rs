//! Accounts and server-side sessions (SECURITY S1, S3, S6). Passwords arrive here already hashed.
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::records::{log_change, now};
use crate::{Result, StoreError};

/// Roles scoped from the start (S6): the county administrator sees a region, a school secretary
/// their organization and the institutions it covers, a member only themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CountyAdmin,
    Secretary,
    Member,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::CountyAdmin => "county_admin",
            Role::Secretary => "secretary",
            Role::Member => "member",
        }
    }
    pub fn from_code(s: &str) -> Option<Role> {
        Some(match s {
            "county_admin" => Role::CountyAdmin,
            "secretary" => Role::Secretary,
            "member" => Role::Member,
            _ => return None,
        })
    }
    pub fn zh(self) -> &'static str {
        match self {
            Role::CountyAdmin => "县级管理员",
            Role::Secretary => "党组织书记",
            Role::Member => "党员",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Role::CountyAdmin => "County administrator",
            Role::Secretary => "Party secretary",
            Role::Member => "Member",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub org_id: Option<i64>,
    pub person_id: Option<i64>,
    pub disabled: bool,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub org_id: Option<i64>,
    pub person_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

const USER_COLS: [&str; 10] =
    ["id", "username", "password_hash", "display_name", "role", "region_code", "org_id", "person_id", "disabled", "version"];

fn user_row(r: &dyn Row) -> Result<User> {
    Ok(User {
        id: r.int("id")?,
        username: r.text("username")?,
        password_hash: r.text("password_hash")?,
        display_name: r.text("display_name")?,
        role: Role::from_code(&r.text("role")?).ok_or_else(|| StoreError::Corrupt("role".into()))?,
        region_code: r.text_opt("region_code")?,
        org_id: r.int_opt("org_id")?,
        person_id: r.int_opt("person_id")?,
        disabled: r.boolean("disabled")?,
        version: r.int("version")?,
    })
}

impl Store {
    pub async fn create_user(&self, u: &NewUser, actor: &str) -> Result<User> {
        let mut tx = self.write().await?;
        let t = now();
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("users")
                    .columns([
                        "username",
                        "password_hash",
                        "display_name",
                        "role",
                        "region_code",
                        "org_id",
                        "person_id",
                        "disabled",
                        "created_at",
                        "updated_at",
                    ])
                    .values_panic([
                        u.username.clone().into(),
                        u.password_hash.clone().into(),
                        u.display_name.clone().into(),
                        u.role.code().into(),
                        u.region_code.clone().into(),
                        u.org_id.into(),
                        u.person_id.into(),
                        false.into(),
                        t.into(),
                        t.into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        // Never the hash (S9).
        log_change(&mut tx, "users", id, "create", actor, None, Some(serde_json::json!({"username": u.username, "role": u.role.code()})))
            .await?;
        tx.commit().await?;
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .columns(USER_COLS)
                    .from("users")
                    .and_where(Expr::col("username").eq(username))
                    .and_where(Expr::col("deleted_at").is_null()),
                user_row,
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .columns(USER_COLS)
                    .from("users")
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("deleted_at").is_null()),
                user_row,
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let mut tx = self.read().await?;
        let r = tx
            .all(
                Query::select().columns(USER_COLS).from("users").and_where(Expr::col("deleted_at").is_null()).order_by("id", Order::Asc),
                user_row,
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn create_session(&self, s: &SessionRow) -> Result<()> {
        let mut tx = self.write().await?;
        tx.exec(
            Query::insert()
                .into_table("sessions")
                .columns(["id", "user_id", "csrf_token", "created_at", "last_seen_at", "expires_at"])
                .values_panic([
                    s.id_hash.clone().into(),
                    s.user_id.into(),
                    s.csrf_token.clone().into(),
                    s.created_at.into(),
                    s.last_seen_at.into(),
                    s.expires_at.into(),
                ]),
        )
        .await?;
        tx.commit().await
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .columns(["id", "user_id", "csrf_token", "created_at", "last_seen_at", "expires_at"])
                    .from("sessions")
                    .and_where(Expr::col("id").eq(id_hash)),
                |r| {
                    Ok(SessionRow {
                        id_hash: r.text("id")?,
                        user_id: r.int("user_id")?,
                        csrf_token: r.text("csrf_token")?,
                        created_at: r.time("created_at")?,
                        last_seen_at: r.time("last_seen_at")?,
                        expires_at: r.time("expires_at")?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write().await?;
        tx.exec(Query::update().table("sessions").value("last_seen_at", at).and_where(Expr::col("id").eq(id_hash))).await?;
        tx.commit().await
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        let mut tx = self.write().await?;
        tx.exec(Query::delete().from_table("sessions").and_where(Expr::col("id").eq(id_hash))).await?;
        tx.commit().await
    }

    pub async fn delete_expired_sessions(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.write().await?;
        let n = tx.exec(Query::delete().from_table("sessions").and_where(Expr::col("expires_at").lt(before))).await?;
        tx.commit().await?;
        Ok(n)
    }
}
