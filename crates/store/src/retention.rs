//! Retention (SECURITY S15): what a user deletes stays, with its history, until its category's
//! retention ends; then `hongzhu purge` removes it for good, with its history and what hangs on it.
//!
//! Categories: deleted registry records (staff posts, members with their attendance, reviews and
//! study records, instructors, coverage links, rectification tasks, development records), deleted activities with their
//! rosters, hosts and files, deleted files, monthly themes and activity kinds; left-behind children's
//! records closed or deleted, with their pairings and visits; persons no record
//! refers to any more; decided export requests. Institutions, organizations and regions are the
//! county's register that history points at: they are kept.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_query::{Cond, Expr, ExprTrait, Query, SelectStatement};

use crate::Result;
use crate::db::{Store, Tx};
use crate::trail::{Actor, AuditEntry, Outcome};

/// What was (or, in a dry run, would be) removed, per table.
pub type Purged = BTreeMap<&'static str, u64>;

fn deleted_before(table: &'static str, cutoff: DateTime<Utc>) -> SelectStatement {
    Query::select().column("id").from(table).and_where(Expr::col("deleted_at").lt(cutoff)).to_owned()
}

async fn delete_where(tx: &mut Tx, out: &mut Purged, table: &'static str, cond: Cond) -> Result<()> {
    let n = tx.exec(Query::delete().from_table(table).cond_where(cond)).await?;
    *out.entry(table).or_default() += n;
    Ok(())
}

/// The history of the rows of `table` that `ids` selects (S15). An import's one row for the many
/// rows it created (a range of ids, migration 0018) stays: it holds no record's content, and
/// [`Store::history`] does not show it for a row that later takes a purged id.
async fn delete_history(tx: &mut Tx, table: &'static str, ids: SelectStatement) -> Result<()> {
    tx.exec(
        Query::delete()
            .from_table("change_log")
            .and_where(Expr::col("table_name").eq(table))
            .and_where(Expr::col("record_id").in_subquery(ids)),
    )
    .await?;
    Ok(())
}

impl Store {
    /// Remove what is past its retention: records deleted before `deleted_cutoff`, export
    /// requests decided before `requests_cutoff`. One transaction, with its audit row; a dry run
    /// counts and keeps everything.
    pub async fn purge_expired(
        &self,
        deleted_cutoff: DateTime<Utc>,
        requests_cutoff: DateTime<Utc>,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<Purged> {
        let mut tx = self.write().await?;
        let mut out = Purged::new();
        let members = || deleted_before("members", deleted_cutoff);
        let activities = || deleted_before("activities", deleted_cutoff);
        // What hangs on deleted members and activities goes first.
        delete_where(
            &mut tx,
            &mut out,
            "attendance",
            Cond::any().add(Expr::col("member_id").in_subquery(members())).add(Expr::col("activity_id").in_subquery(activities())),
        )
        .await?;
        delete_where(&mut tx, &mut out, "evaluations", Cond::all().add(Expr::col("member_id").in_subquery(members()))).await?;
        delete_where(&mut tx, &mut out, "study_records", Cond::all().add(Expr::col("member_id").in_subquery(members()))).await?;
        // Transfers go with the member record; the status history (names and dates only) stays.
        delete_where(&mut tx, &mut out, "transfers", Cond::all().add(Expr::col("member_id").in_subquery(members()))).await?;
        // A concern a purged member handled stays (it is the station's), without the name.
        tx.exec(
            Query::update()
                .table("concerns")
                .value("member_id", Option::<i64>::None)
                .and_where(Expr::col("member_id").in_subquery(members())),
        )
        .await?;
        for t in [
            "dues_bases",
            "dues_payments",
            "dues_reductions",
            "commitments",
            "service_records",
            "service_registrations",
            "school_activity_members",
            "teaching_team_members",
            "vanguard_posts",
        ] {
            delete_where(&mut tx, &mut out, t, Cond::all().add(Expr::col("member_id").in_subquery(members()))).await?;
        }
        // Development records (DOMAIN §3) go with the staff post they were kept for; a withdrawn
        // step goes when its retention ends.
        let staff = || deleted_before("staff", deleted_cutoff);
        delete_where(
            &mut tx,
            &mut out,
            "development_steps",
            Cond::any().add(Expr::col("staff_id").in_subquery(staff())).add(Expr::col("deleted_at").lt(deleted_cutoff)),
        )
        .await?;
        for t in ["activity_invites", "activity_hosts"] {
            delete_where(&mut tx, &mut out, t, Cond::all().add(Expr::col("activity_id").in_subquery(activities()))).await?;
        }
        delete_where(
            &mut tx,
            &mut out,
            "activity_files",
            Cond::any().add(Expr::col("activity_id").in_subquery(activities())).add(Expr::col("deleted_at").lt(deleted_cutoff)),
        )
        .await?;
        // Children's records (R6.2) closed or deleted before the cutoff, with their pairings and
        // visits; pairings of a purged member go with the member.
        let children = || {
            Query::select()
                .column("id")
                .from("children")
                .cond_where(
                    Cond::any().add(Expr::col("deleted_at").lt(deleted_cutoff)).add(Expr::col("closed_on").lt(deleted_cutoff.date_naive())),
                )
                .to_owned()
        };
        let pairings = || {
            Query::select()
                .column("id")
                .from("child_pairings")
                .cond_where(
                    Cond::any().add(Expr::col("child_id").in_subquery(children())).add(Expr::col("member_id").in_subquery(members())),
                )
                .to_owned()
        };
        delete_where(&mut tx, &mut out, "child_visits", Cond::all().add(Expr::col("pairing_id").in_subquery(pairings()))).await?;
        delete_history(&mut tx, "child_pairings", pairings()).await?;
        delete_where(&mut tx, &mut out, "child_pairings", Cond::all().add(Expr::col("id").in_subquery(pairings()))).await?;
        delete_history(&mut tx, "children", children()).await?;
        delete_where(&mut tx, &mut out, "children", Cond::all().add(Expr::col("id").in_subquery(children()))).await?;
        // The deleted records themselves, with their history.
        for t in ["activities", "members", "staff", "instructors", "coverages", "rectification_tasks", "life_guides", "activity_kinds"] {
            delete_history(&mut tx, t, deleted_before(t, deleted_cutoff)).await?;
            delete_where(&mut tx, &mut out, t, Cond::all().add(Expr::col("deleted_at").lt(deleted_cutoff))).await?;
        }
        // Persons nothing refers to any more (their numbers go with them).
        let unreferenced = |q: &mut SelectStatement| {
            for (t, c) in [
                ("staff", "person_id"),
                ("members", "person_id"),
                ("instructors", "person_id"),
                ("users", "person_id"),
                ("development_steps", "person_id"),
            ] {
                q.and_where(
                    Expr::col(("persons", "id"))
                        .not_in_subquery(Query::select().column(c).from(t).and_where(Expr::col(c).is_not_null()).to_owned()),
                );
            }
        };
        let mut orphans = Query::select().column(("persons", "id")).from("persons").to_owned();
        unreferenced(&mut orphans);
        delete_history(&mut tx, "persons", orphans.clone()).await?;
        delete_where(&mut tx, &mut out, "persons", Cond::all().add(Expr::col("id").in_subquery(orphans))).await?;
        // Export requests once decided and past their retention.
        delete_where(
            &mut tx,
            &mut out,
            "export_requests",
            Cond::all().add(Expr::col("created_at").lt(requests_cutoff)).add(Expr::col("status").ne("pending")),
        )
        .await?;
        out.retain(|_, n| *n > 0);
        if dry_run {
            drop(tx);
            return Ok(out);
        }
        let summary: Vec<String> = out.iter().map(|(t, n)| format!("{t} {n}")).collect();
        self.audit_in(
            &mut tx,
            &AuditEntry {
                actor: actor.clone(),
                event: "purge",
                object: "records past retention".into(),
                outcome: Outcome::Success,
                detail: format!(
                    "deleted before {}; requests before {}; {}",
                    deleted_cutoff.date_naive(),
                    requests_cutoff.date_naive(),
                    if summary.is_empty() { "nothing".to_string() } else { summary.join(", ") }
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
