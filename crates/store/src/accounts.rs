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
    /// S7 三权分立: runs the system (settings in effect, backups); no business data.
    SystemAdmin,
    /// S7: the only one who creates accounts and grants roles; no business data.
    SecurityAdmin,
    /// S7: reads the audit trail, nothing else.
    AuditAdmin,
}

/// Every role, in the order forms list them.
pub const ROLES: [Role; 6] = [Role::CountyAdmin, Role::Secretary, Role::Member, Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin];

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::CountyAdmin => "county_admin",
            Role::Secretary => "secretary",
            Role::Member => "member",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }
    pub fn from_code(s: &str) -> Option<Role> {
        Some(match s {
            "county_admin" => Role::CountyAdmin,
            "secretary" => Role::Secretary,
            "member" => Role::Member,
            "system_admin" => Role::SystemAdmin,
            "security_admin" => Role::SecurityAdmin,
            "audit_admin" => Role::AuditAdmin,
            _ => return None,
        })
    }
    pub fn zh(self) -> &'static str {
        match self {
            Role::CountyAdmin => "县级管理员",
            Role::Secretary => "党组织书记",
            Role::Member => "党员",
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Role::CountyAdmin => "County administrator",
            Role::Secretary => "Party secretary",
            Role::Member => "Member",
            Role::SystemAdmin => "System administrator",
            Role::SecurityAdmin => "Security administrator",
            Role::AuditAdmin => "Audit administrator",
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
    /// S2.
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    /// S1: when the password was last set (None: never since the account was made).
    pub password_changed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// S5: the sealed TOTP secret, when a second factor is set up.
    #[serde(skip)]
    pub totp_sealed: Option<String>,
    /// S8: may show ID and phone numbers in full (granted by the security administrator).
    pub can_unmask: bool,
    /// S8: designated county staff who may see left-behind children's records (R6.2).
    pub can_children: bool,
}

impl User {
    pub fn has_second_factor(&self) -> bool {
        self.totp_sealed.is_some()
    }
    /// S1: when the password was set, for its age.
    pub fn password_set_at(&self) -> DateTime<Utc> {
        self.password_changed_at.unwrap_or(self.created_at)
    }
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
    /// "full", or a step still owed before the session counts: "second_factor" (enter the
    /// code), "enrol_second_factor" (S5: an administrator sets one up), "password_change" (S1).
    pub stage: String,
    /// S4: the last time the user typed their password again in this session.
    pub reauth_at: Option<DateTime<Utc>>,
}

const USER_COLS: [&str; 17] = [
    "id",
    "username",
    "password_hash",
    "display_name",
    "role",
    "region_code",
    "org_id",
    "person_id",
    "disabled",
    "version",
    "failed_logins",
    "locked_until",
    "password_changed_at",
    "created_at",
    "totp_sealed",
    "can_unmask",
    "can_children",
];

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
        failed_logins: r.int("failed_logins")?,
        locked_until: r.time_opt("locked_until")?,
        password_changed_at: r.time_opt("password_changed_at")?,
        created_at: r.time("created_at")?,
        totp_sealed: r.text_opt("totp_sealed")?,
        can_unmask: r.boolean("can_unmask")?,
        can_children: r.boolean("can_children")?,
    })
}

const SESSION_COLS: [&str; 8] = ["id", "user_id", "csrf_token", "created_at", "last_seen_at", "expires_at", "stage", "reauth_at"];

impl Store {
    pub async fn create_user(&self, u: &NewUser, actor: &str) -> Result<User> {
        self.insert_user(u, actor, None).await
    }

    /// Create an account and its audit event in one transaction (S9, S11).
    /// `temporary`: the password was made for the user, who must change it at the first login (S1).
    pub async fn create_user_audited(&self, u: &NewUser, audit: &crate::trail::AuditEntry, temporary: bool) -> Result<User> {
        self.insert_user(u, &audit.actor.username, Some((audit, temporary))).await
    }

    async fn insert_user(&self, u: &NewUser, actor: &str, audit: Option<(&crate::trail::AuditEntry, bool)>) -> Result<User> {
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
        if let Some((a, temporary)) = audit {
            if temporary {
                tx.exec(Query::update().table("users").value("password_changed_at", temporary_mark()).and_where(Expr::col("id").eq(id)))
                    .await?;
            }
            self.audit_in(&mut tx, a).await?;
        }
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
        tx.exec(Query::insert().into_table("sessions").columns(SESSION_COLS).values_panic([
            s.id_hash.clone().into(),
            s.user_id.into(),
            s.csrf_token.clone().into(),
            s.created_at.into(),
            s.last_seen_at.into(),
            s.expires_at.into(),
            s.stage.clone().into(),
            s.reauth_at.into(),
        ]))
        .await?;
        tx.commit().await
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(Query::select().columns(SESSION_COLS).from("sessions").and_where(Expr::col("id").eq(id_hash)), |r| {
                Ok(SessionRow {
                    id_hash: r.text("id")?,
                    user_id: r.int("user_id")?,
                    csrf_token: r.text("csrf_token")?,
                    created_at: r.time("created_at")?,
                    last_seen_at: r.time("last_seen_at")?,
                    expires_at: r.time("expires_at")?,
                    stage: r.text("stage")?,
                    reauth_at: r.time_opt("reauth_at")?,
                })
            })
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

    /// S2: count a failed login; at `max` the account locks until `lock_until` (and the count
    /// starts again). Returns whether this failure locked it.
    pub async fn record_login_failure(&self, user_id: i64, max: i64, lock_until: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.write().await?;
        tx.exec(
            Query::update().table("users").value("failed_logins", Expr::col("failed_logins").add(1)).and_where(Expr::col("id").eq(user_id)),
        )
        .await?;
        let n = tx
            .one(Query::select().column("failed_logins").from("users").and_where(Expr::col("id").eq(user_id)), |r| r.int("failed_logins"))
            .await?;
        let locked = n >= max;
        if locked {
            tx.exec(
                Query::update()
                    .table("users")
                    .value("failed_logins", 0)
                    .value("locked_until", lock_until)
                    .and_where(Expr::col("id").eq(user_id)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(locked)
    }

    /// After a good login, or the security administrator's unlock.
    pub async fn clear_login_failures(&self, user_id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        tx.exec(
            Query::update()
                .table("users")
                .value("failed_logins", 0)
                .value("locked_until", Option::<DateTime<Utc>>::None)
                .and_where(Expr::col("id").eq(user_id)),
        )
        .await?;
        tx.commit().await
    }

    /// Change an account and write the audit event in the same transaction (S9, S11): the change
    /// and its record commit together or not at all. Sessions of the account end when its
    /// password, role or scope changes, or it is disabled.
    pub async fn change_user(&self, user_id: i64, change: &UserChange, audit: &crate::trail::AuditEntry) -> Result<User> {
        let before = self.user_by_id(user_id).await?.ok_or(StoreError::NotFound)?;
        let mut tx = self.write().await?;
        let t = now();
        let mut q = Query::update();
        q.table("users").value("updated_at", t).value("version", Expr::col("version").add(1)).and_where(Expr::col("id").eq(user_id));
        let mut ends_sessions = false;
        if let Some(h) = &change.password_hash {
            q.value("password_hash", h.clone())
                .value("password_changed_at", if change.password_is_temporary { temporary_mark() } else { t });
            ends_sessions = true;
        }
        if let Some((role, region, org, person)) = &change.role {
            q.value("role", role.code()).value("region_code", region.clone()).value("org_id", *org).value("person_id", *person);
            // S8: only county staff are designated for children's records; another role loses it.
            if *role != Role::CountyAdmin && change.can_children.is_none() {
                q.value("can_children", false);
            }
            ends_sessions = true;
        }
        if let Some(d) = change.disabled {
            q.value("disabled", d);
            ends_sessions |= d;
        }
        if let Some(name) = &change.display_name {
            q.value("display_name", name.clone());
        }
        if let Some(totp) = &change.totp_sealed {
            q.value("totp_sealed", totp.clone());
        }
        if let Some(v) = change.can_unmask {
            q.value("can_unmask", v);
        }
        if let Some(v) = change.can_children {
            q.value("can_children", v);
        }
        if change.unlock {
            q.value("failed_logins", 0).value("locked_until", Option::<DateTime<Utc>>::None);
        }
        tx.exec(&q).await?;
        if ends_sessions {
            let mut del = Query::delete();
            del.from_table("sessions").and_where(Expr::col("user_id").eq(user_id));
            if let Some(keep) = &change.keep_session {
                del.and_where(Expr::col("id").ne(keep.clone()));
            }
            tx.exec(&del).await?;
        }
        let after_role = change.role.as_ref().map(|r| r.0.code()).unwrap_or(before.role.code());
        log_change(
            &mut tx,
            "users",
            user_id,
            "update",
            &audit.actor.username,
            Some(serde_json::json!({"role": before.role.code(), "region": before.region_code, "org_id": before.org_id, "disabled": before.disabled})),
            Some(serde_json::json!({"role": after_role, "password_changed": change.password_hash.is_some(), "disabled": change.disabled.unwrap_or(before.disabled), "unlocked": change.unlock, "second_factor": change.totp_sealed.as_ref().map(|t| t.is_some())})),
        )
        .await?;
        self.audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.user_by_id(user_id).await?.ok_or(StoreError::NotFound)
    }

    /// Mark a session's owed step done, or record a re-authentication (S4, S5).
    pub async fn update_session(&self, id_hash: &str, stage: Option<&str>, reauth_at: Option<DateTime<Utc>>) -> Result<()> {
        let mut tx = self.write().await?;
        let mut q = Query::update();
        q.table("sessions").and_where(Expr::col("id").eq(id_hash));
        if let Some(s) = stage {
            q.value("stage", s);
        }
        if let Some(t) = reauth_at {
            q.value("reauth_at", t);
        }
        tx.exec(&q).await?;
        tx.commit().await
    }
}

/// A temporary password is recorded as set at the epoch: older than any policy allows (S1).
fn temporary_mark() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// A role with its scope: (role, region code, organization id, person id).
pub type RoleScope = (Role, Option<String>, Option<i64>, Option<i64>);

/// What a change to an account sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub password_hash: Option<String>,
    /// A password set by the security administrator must be changed at the next login (S1).
    pub password_is_temporary: bool,
    pub role: Option<RoleScope>,
    pub disabled: Option<bool>,
    pub display_name: Option<String>,
    /// `Some(None)` removes the second factor.
    pub totp_sealed: Option<Option<String>>,
    pub unlock: bool,
    /// S8: grant or take back the permission to show numbers in full.
    pub can_unmask: Option<bool>,
    /// S8: grant or take back the permission to see left-behind children's records.
    pub can_children: Option<bool>,
    /// The session to keep when the others end (the user's own, on a password change).
    pub keep_session: Option<String>,
}
