//! A claim for a promotion's reward and the only moves it may make:
//!
//! ```text
//! under_review ──reject──► rejected ──resubmit──► under_review
//!      └──approve──► approved ──reward_sent──► reward_sent
//! ```
//!
//! Every move is a method that either refuses with a typed error or returns the
//! event to record, so history and status can never disagree.

use std::fmt;

use super::promotion::PromotionId;
use super::reason::RejectionReason;
use super::serial::SerialNumber;
use super::time::Timestamp;

pub type RedemptionId = i64;
pub type AttachmentId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    UnderReview,
    Rejected,
    Approved,
    RewardSent,
}

impl Status {
    pub const ALL: [Status; 4] = [Self::UnderReview, Self::Rejected, Self::Approved, Self::RewardSent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnderReview => "under_review",
            Self::Rejected => "rejected",
            Self::Approved => "approved",
            Self::RewardSent => "reward_sent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s.trim())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change. Stored as `customer`, `system`, `import` or `staff:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    Customer,
    Staff(String),
    System,
    Import,
}

impl Actor {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(Actor::Customer),
            "system" => Some(Actor::System),
            "import" => Some(Actor::Import),
            other => other
                .strip_prefix("staff:")
                .filter(|n| !n.trim().is_empty())
                .map(|n| Actor::Staff(n.to_owned())),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Customer => f.write_str("customer"),
            Actor::Staff(name) => write!(f, "staff:{name}"),
            Actor::System => f.write_str("system"),
            Actor::Import => f.write_str("import"),
        }
    }
}

/// What happened to a redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Submitted,
    Rejected {
        reason: RejectionReason,
        note: Option<String>,
    },
    Resubmitted {
        attachment_ids: Vec<AttachmentId>,
    },
    Approved {
        note: Option<String>,
    },
    RewardSent {
        note: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Submitted,
    Rejected,
    Resubmitted,
    Approved,
    RewardSent,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        Self::Submitted,
        Self::Rejected,
        Self::Resubmitted,
        Self::Approved,
        Self::RewardSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Rejected => "rejected",
            Self::Resubmitted => "resubmitted",
            Self::Approved => "approved",
            Self::RewardSent => "reward_sent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The move as a verb, for error messages.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Submitted => "submit",
            Self::Rejected => "reject",
            Self::Resubmitted => "resubmit",
            Self::Approved => "approve",
            Self::RewardSent => "mark the reward sent for",
        }
    }
}

impl Change {
    pub fn kind(&self) -> EventKind {
        match self {
            Change::Submitted => EventKind::Submitted,
            Change::Rejected { .. } => EventKind::Rejected,
            Change::Resubmitted { .. } => EventKind::Resubmitted,
            Change::Approved { .. } => EventKind::Approved,
            Change::RewardSent { .. } => EventKind::RewardSent,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: Timestamp,
    pub actor: Actor,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {} a redemption that is {from}", action.verb())]
    Illegal { from: Status, action: EventKind },
    #[error("a redemption's history must start with its submission")]
    HistoryNotStartingWithSubmission,
    #[error("a resubmission needs at least one attachment")]
    NoAttachments,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub id: RedemptionId,
    pub serial: SerialNumber,
    pub promotion_id: PromotionId,
    pub submitted_at: Timestamp,
    status: Status,
    /// The latest rejection, kept after a resubmission so reviewers see what was wrong.
    last_rejection: Option<(RejectionReason, Option<String>)>,
    /// When the claim last entered the review queue: submission or resubmission.
    queued_at: Timestamp,
}

impl Redemption {
    /// A new claim: under review, queued now.
    pub fn submit(
        id: RedemptionId,
        serial: SerialNumber,
        promotion_id: PromotionId,
        at: Timestamp,
        actor: Actor,
    ) -> (Self, Event) {
        let r = Self {
            id,
            serial,
            promotion_id,
            submitted_at: at,
            status: Status::UnderReview,
            last_rejection: None,
            queued_at: at,
        };
        (
            r,
            Event {
                at,
                actor,
                change: Change::Submitted,
            },
        )
    }

    /// Rebuilds a redemption from storage, trusting the stored row.
    pub fn restore(
        id: RedemptionId,
        serial: SerialNumber,
        promotion_id: PromotionId,
        submitted_at: Timestamp,
        status: Status,
        last_rejection: Option<(RejectionReason, Option<String>)>,
        queued_at: Timestamp,
    ) -> Self {
        Self {
            id,
            serial,
            promotion_id,
            submitted_at,
            status,
            last_rejection,
            queued_at,
        }
    }

    /// Rebuilds a redemption by replaying its history through the state machine,
    /// refusing any history the machine would not have produced.
    pub fn replay(
        id: RedemptionId,
        serial: SerialNumber,
        promotion_id: PromotionId,
        history: &[Event],
    ) -> Result<Self, TransitionError> {
        let (first, rest) = history
            .split_first()
            .ok_or(TransitionError::HistoryNotStartingWithSubmission)?;
        if first.change != Change::Submitted {
            return Err(TransitionError::HistoryNotStartingWithSubmission);
        }
        let (mut r, _) = Self::submit(id, serial, promotion_id, first.at, first.actor.clone());
        for e in rest {
            r.apply(e.clone())?;
        }
        Ok(r)
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn last_rejection(&self) -> Option<&(RejectionReason, Option<String>)> {
        self.last_rejection.as_ref()
    }

    pub fn queued_at(&self) -> Timestamp {
        self.queued_at
    }

    pub fn reject(
        &mut self,
        reason: RejectionReason,
        note: Option<String>,
        actor: Actor,
        at: Timestamp,
    ) -> Result<Event, TransitionError> {
        self.apply(Event {
            at,
            actor,
            change: Change::Rejected { reason, note },
        })
    }

    pub fn resubmit(
        &mut self,
        attachment_ids: Vec<AttachmentId>,
        actor: Actor,
        at: Timestamp,
    ) -> Result<Event, TransitionError> {
        self.apply(Event {
            at,
            actor,
            change: Change::Resubmitted { attachment_ids },
        })
    }

    pub fn approve(&mut self, note: Option<String>, actor: Actor, at: Timestamp) -> Result<Event, TransitionError> {
        self.apply(Event {
            at,
            actor,
            change: Change::Approved { note },
        })
    }

    pub fn mark_reward_sent(
        &mut self,
        note: Option<String>,
        actor: Actor,
        at: Timestamp,
    ) -> Result<Event, TransitionError> {
        self.apply(Event {
            at,
            actor,
            change: Change::RewardSent { note },
        })
    }

    /// The one place the transition table lives.
    fn apply(&mut self, event: Event) -> Result<Event, TransitionError> {
        let illegal = || TransitionError::Illegal {
            from: self.status,
            action: event.change.kind(),
        };
        let next = match (&event.change, self.status) {
            (Change::Rejected { .. }, Status::UnderReview) => Status::Rejected,
            (Change::Resubmitted { attachment_ids }, Status::Rejected) => {
                if attachment_ids.is_empty() {
                    return Err(TransitionError::NoAttachments);
                }
                Status::UnderReview
            }
            (Change::Approved { .. }, Status::UnderReview) => Status::Approved,
            (Change::RewardSent { .. }, Status::Approved) => Status::RewardSent,
            _ => return Err(illegal()),
        };
        match &event.change {
            Change::Rejected { reason, note } => self.last_rejection = Some((*reason, note.clone())),
            Change::Resubmitted { .. } => self.queued_at = event.at,
            _ => {}
        }
        self.status = next;
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn fresh() -> Redemption {
        Redemption::submit(
            1042,
            SerialNumber::parse("K2305N0012345").unwrap(),
            PromotionId::parse("smart-office-2026").unwrap(),
            at("2026-04-20T03:00:00Z"),
            Actor::Customer,
        )
        .0
    }

    fn in_status(status: Status) -> Redemption {
        let mut r = fresh();
        let t = at("2026-04-21T03:00:00Z");
        let staff = || Actor::Staff("rina".into());
        match status {
            Status::UnderReview => {}
            Status::Rejected => {
                r.reject(RejectionReason::InvoiceMissingProductName, None, staff(), t)
                    .unwrap();
            }
            Status::Approved => {
                r.approve(None, staff(), t).unwrap();
            }
            Status::RewardSent => {
                r.approve(None, staff(), t).unwrap();
                r.mark_reward_sent(None, Actor::System, t).unwrap();
            }
        }
        assert_eq!(r.status(), status);
        r
    }

    type Move = fn(&mut Redemption) -> Result<Event, TransitionError>;

    fn moves() -> Vec<(EventKind, Move)> {
        fn t() -> Timestamp {
            "2026-05-01T00:00:00Z".parse().unwrap()
        }
        vec![
            (EventKind::Rejected, |r| {
                r.reject(RejectionReason::InvoiceUnreadable, None, Actor::System, t())
            }),
            (EventKind::Resubmitted, |r| r.resubmit(vec![7], Actor::Customer, t())),
            (EventKind::Approved, |r| r.approve(None, Actor::System, t())),
            (EventKind::RewardSent, |r| r.mark_reward_sent(None, Actor::System, t())),
        ]
    }

    #[test]
    fn every_transition_is_either_legal_or_refused() {
        let legal = [
            (Status::UnderReview, EventKind::Rejected, Status::Rejected),
            (Status::UnderReview, EventKind::Approved, Status::Approved),
            (Status::Rejected, EventKind::Resubmitted, Status::UnderReview),
            (Status::Approved, EventKind::RewardSent, Status::RewardSent),
        ];
        for from in Status::ALL {
            for (kind, mv) in moves() {
                let mut r = in_status(from);
                let before = r.clone();
                let result = mv(&mut r);
                match legal.iter().find(|(f, k, _)| *f == from && *k == kind) {
                    Some((_, _, to)) => {
                        let event = result.unwrap_or_else(|e| panic!("{from} --{kind:?}--> should work: {e}"));
                        assert_eq!(event.change.kind(), kind);
                        assert_eq!(r.status(), *to);
                    }
                    None => {
                        assert_eq!(result, Err(TransitionError::Illegal { from, action: kind }));
                        assert_eq!(r, before, "a refused move changes nothing");
                    }
                }
            }
        }
    }

    #[test]
    fn resubmission_needs_attachments_and_requeues() {
        let mut r = in_status(Status::Rejected);
        let t = at("2026-05-02T00:00:00Z");
        assert_eq!(
            r.resubmit(vec![], Actor::Customer, t),
            Err(TransitionError::NoAttachments)
        );
        assert_eq!(r.status(), Status::Rejected);
        let e = r.resubmit(vec![3, 4], Actor::Customer, t).unwrap();
        assert_eq!(
            e.change,
            Change::Resubmitted {
                attachment_ids: vec![3, 4]
            }
        );
        assert_eq!(r.queued_at(), t);
        assert_eq!(
            r.last_rejection().map(|(reason, _)| *reason),
            Some(RejectionReason::InvoiceMissingProductName)
        );
    }

    #[test]
    fn events_carry_actor_time_and_reason() {
        let mut r = fresh();
        let t = at("2026-04-22T08:00:00Z");
        let e = r
            .reject(
                RejectionReason::SerialPhotoPackaging,
                Some("photo shows the box".into()),
                Actor::Staff("rina".into()),
                t,
            )
            .unwrap();
        assert_eq!(e.at, t);
        assert_eq!(e.actor.to_string(), "staff:rina");
        assert_eq!(
            e.change,
            Change::Rejected {
                reason: RejectionReason::SerialPhotoPackaging,
                note: Some("photo shows the box".into())
            }
        );
    }

    #[test]
    fn replay_accepts_real_histories_and_refuses_impossible_ones() {
        let t = at("2026-04-20T03:00:00Z");
        let ev = |change| Event {
            at: t,
            actor: Actor::Import,
            change,
        };
        let ok = [
            ev(Change::Submitted),
            ev(Change::Rejected {
                reason: RejectionReason::InvoiceUnreadable,
                note: None,
            }),
            ev(Change::Resubmitted {
                attachment_ids: vec![1],
            }),
            ev(Change::Approved { note: None }),
            ev(Change::RewardSent { note: None }),
        ];
        let serial = SerialNumber::parse("K2305N0012345").unwrap();
        let promo = PromotionId::parse("smart-office-2026").unwrap();
        let r = Redemption::replay(1, serial.clone(), promo.clone(), &ok).unwrap();
        assert_eq!(r.status(), Status::RewardSent);

        let bad = [ev(Change::Submitted), ev(Change::RewardSent { note: None })];
        assert_eq!(
            Redemption::replay(1, serial.clone(), promo.clone(), &bad),
            Err(TransitionError::Illegal {
                from: Status::UnderReview,
                action: EventKind::RewardSent
            })
        );
        assert_eq!(
            Redemption::replay(1, serial, promo, &[]),
            Err(TransitionError::HistoryNotStartingWithSubmission)
        );
    }

    #[test]
    fn actors_round_trip() {
        for a in [
            Actor::Customer,
            Actor::System,
            Actor::Import,
            Actor::Staff("dewi".into()),
        ] {
            assert_eq!(Actor::parse(&a.to_string()), Some(a));
        }
        assert_eq!(Actor::parse("staff:"), None);
        assert_eq!(Actor::parse("robot"), None);
    }
}
