//! 组织关系转接 and member status (issue: member lifecycle, part 3): a member is always in
//! exactly one organization or visibly in transit — never lost. A transfer within the system
//! leaves the member in the sending organization, marked in transit, until the receiving side
//! accepts (or returns it); a transfer to outside ends with the receipt (回执) coming back; a
//! transfer from outside makes the member record. Status changes (流动党员, 失联, 停止党籍, 出党,
//! 死亡 …) are dated and kept as history. DOMAIN.md has no rule ids for these; the messages say the
//! rule in words.
use chrono::NaiveDate;

use crate::Invalid;
use crate::labels::{Labeled, MemberStatus, TransferKind, TransferStatus};

/// What a transfer decision does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The receiving organization accepts (within the system).
    Accept,
    /// The receiving organization returns it, with a reason; the member stays where they were.
    Return,
    /// The receipt from outside came back (to outside the system).
    Complete,
    /// The sending side withdraws it before anyone decided.
    Cancel,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Self> {
        match crate::normalize_width(s).as_str() {
            "accept" | "接收" => Some(Decision::Accept),
            "return" | "退回" => Some(Decision::Return),
            "complete" | "办结" => Some(Decision::Complete),
            "cancel" | "撤销" => Some(Decision::Cancel),
            _ => None,
        }
    }
    pub fn result(self) -> TransferStatus {
        match self {
            Decision::Accept => TransferStatus::Accepted,
            Decision::Return => TransferStatus::Returned,
            Decision::Complete => TransferStatus::Completed,
            Decision::Cancel => TransferStatus::Cancelled,
        }
    }
}

fn refuse(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Invalid {
    Invalid::new(code, zh, en)
}

/// A decision on a pending transfer of `kind` started on `started`, taken on `on`.
pub fn check_decision(
    kind: TransferKind,
    status: TransferStatus,
    started: NaiveDate,
    d: Decision,
    on: NaiveDate,
    today: NaiveDate,
    reason: &str,
) -> Result<(), Invalid> {
    if !status.is_open() {
        return Err(refuse(
            "closed",
            format!("该转接已{}，不能再处理", status.zh()),
            format!("the transfer is {} already", status.en().to_lowercase()),
        ));
    }
    match (kind, d) {
        (TransferKind::Within, Decision::Complete) => {
            return Err(refuse(
                "decision",
                "系统内转接由接收方“接收”或“退回”，不用“办结”",
                "a transfer within the system is accepted or returned",
            ));
        }
        (TransferKind::Out, Decision::Accept | Decision::Return) => {
            return Err(refuse(
                "decision",
                "转出系统外的，接收方不在本系统：回执寄回后点“办结”",
                "a transfer to outside is completed when the receipt comes back",
            ));
        }
        (TransferKind::In, _) => {
            return Err(refuse("decision", "从系统外转入的，登记时即已办结", "a transfer from outside is complete when recorded"));
        }
        _ => {}
    }
    if on > today {
        return Err(refuse("future", format!("日期 {on} 晚于今天"), format!("the date {on} is in the future")));
    }
    if on < started {
        return Err(refuse(
            "before_start",
            format!("日期 {on} 早于开具介绍信的日期 {started}"),
            format!("the date {on} is before the transfer began ({started})"),
        ));
    }
    if d == Decision::Return && reason.trim().chars().count() < 2 {
        return Err(refuse("reason", "退回须写明原因，以便转出方补正", "give the reason for returning it"));
    }
    Ok(())
}

/// A status change from `from` to `to` on `on`.
pub fn check_status(from: MemberStatus, to: MemberStatus, on: NaiveDate, today: NaiveDate, reason: &str) -> Result<(), Invalid> {
    if from.ends_membership() {
        return Err(refuse(
            "ended",
            format!("该党员状态为“{}”，党员关系已终止，不能再变更", from.zh()),
            format!("the membership ended ({}); no further change", from.en()),
        ));
    }
    if from == to {
        return Err(refuse("same", format!("状态已是“{}”", to.zh()), format!("the status is {} already", to.en())));
    }
    if to == MemberStatus::TransferredOut {
        return Err(refuse(
            "use_transfer",
            "转出请通过“组织关系转接”办理（开具介绍信，回执寄回后办结），不直接改状态",
            "a transfer out is made through a transfer (the letter and its receipt), not a status change",
        ));
    }
    if on > today {
        return Err(refuse("future", format!("日期 {on} 晚于今天：只能记录已发生的变化"), format!("the date {on} is in the future")));
    }
    if reason.trim().chars().count() < 2 {
        return Err(refuse("reason", "请写明变更原因或依据（如组织决定的文号）", "give the reason or the decision's reference"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn decisions_fit_the_kind_and_the_dates() {
        let today = d("2026-11-27");
        let started = d("2026-11-01");
        let ok = |k, dec, on| check_decision(k, TransferStatus::Pending, started, dec, on, today, "材料不全");
        assert!(ok(TransferKind::Within, Decision::Accept, d("2026-11-20")).is_ok());
        assert_eq!(ok(TransferKind::Within, Decision::Complete, d("2026-11-20")).unwrap_err().code, "decision");
        assert_eq!(ok(TransferKind::Out, Decision::Accept, d("2026-11-20")).unwrap_err().code, "decision");
        assert!(ok(TransferKind::Out, Decision::Complete, d("2026-11-20")).is_ok());
        assert_eq!(ok(TransferKind::Within, Decision::Accept, d("2026-10-31")).unwrap_err().code, "before_start");
        assert_eq!(ok(TransferKind::Within, Decision::Accept, d("2026-11-28")).unwrap_err().code, "future");
        let closed = check_decision(TransferKind::Within, TransferStatus::Accepted, started, Decision::Accept, today, today, "");
        assert_eq!(closed.unwrap_err().code, "closed");
        let no_reason = check_decision(TransferKind::Within, TransferStatus::Pending, started, Decision::Return, today, today, " ");
        assert_eq!(no_reason.unwrap_err().code, "reason");
    }

    #[test]
    fn status_changes() {
        let today = d("2026-11-27");
        assert!(check_status(MemberStatus::Normal, MemberStatus::Floating, today, today, "外出务工").is_ok());
        assert_eq!(check_status(MemberStatus::Deceased, MemberStatus::Normal, today, today, "更正").unwrap_err().code, "ended");
        assert_eq!(
            check_status(MemberStatus::Normal, MemberStatus::TransferredOut, today, today, "调动").unwrap_err().code,
            "use_transfer"
        );
        assert_eq!(check_status(MemberStatus::Normal, MemberStatus::Lost, d("2026-11-28"), today, "联系不上").unwrap_err().code, "future");
        assert_eq!(check_status(MemberStatus::Normal, MemberStatus::Lost, today, today, "").unwrap_err().code, "reason");
        assert!(MemberStatus::Left.ends_membership() && !MemberStatus::Suspended.ends_membership());
    }
}
