//! Which redemption a reply is about, strongest evidence first: a reply token
//! we issued (in any recipient address), our Message-ID in In-Reply-To or
//! References, the `[RDM-<id>]` subject tag but only from that claim's member,
//! and last the sender's address when that member has exactly one rejected
//! claim. A token or Message-ID we never issued (or that expired) matches
//! nothing, nor does one spent by a resubmission or a decision (handles redeem
//! once); a valid token from another sender still matches, and says so.

use serde::Serialize;

use super::{InboundMail, MatchedBy};
use crate::domain::{MemberId, RedemptionId, Status, Timestamp};
use crate::store::{StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    pub redemption_id: RedemptionId,
    pub member_id: MemberId,
    pub matched_by: MatchedBy,
    /// The handle was valid but the sender is not the member's address.
    pub sender_mismatch: bool,
}

async fn member_address(tx: &mut Tx, member: MemberId) -> Result<Option<String>, StoreError> {
    Ok(tx.member(member).await?.map(|m| m.email.lookup_key()))
}

/// Finds the redemption `mail` is about, if any.
pub async fn find(tx: &mut Tx, mail: &InboundMail, now: Timestamp) -> Result<Option<Match>, StoreError> {
    let sender = mail.from.clone().unwrap_or_default();
    let found = |redemption_id, member_id, matched_by, owner: Option<String>| Match {
        redemption_id,
        member_id,
        matched_by,
        sender_mismatch: owner.as_deref() != Some(sender.as_str()),
    };
    for token in &mail.tokens {
        if let Some((redemption, member, _, expires_at)) = tx.reply_handle(token).await?
            && expires_at > now
        {
            let owner = member_address(tx, member).await?;
            return Ok(Some(found(redemption, member, MatchedBy::Token, owner)));
        }
    }
    for parent in &mail.parent_ids {
        if let Some((_, redemption, member, expires_at)) = tx.reply_handle_by_message_id(parent).await?
            && expires_at > now
        {
            let owner = member_address(tx, member).await?;
            return Ok(Some(found(redemption, member, MatchedBy::InReplyTo, owner)));
        }
    }
    if sender.is_empty() {
        return Ok(None);
    }
    if let Some(id) = mail.subject_tag
        && let Some(rec) = tx.redemption(id).await?
        && member_address(tx, rec.member_id).await?.as_deref() == Some(sender.as_str())
    {
        return Ok(Some(found(
            id,
            rec.member_id,
            MatchedBy::SubjectTag,
            Some(sender.clone()),
        )));
    }
    if let Some(member) = tx.member_by_email(&sender).await? {
        let rejected: Vec<_> = tx
            .redemptions_of_member(member.id)
            .await?
            .into_iter()
            .filter(|r| r.redemption.status() == Status::Rejected)
            .collect();
        if let [only] = rejected.as_slice() {
            return Ok(Some(found(
                only.redemption.id,
                member.id,
                MatchedBy::Sender,
                Some(sender.clone()),
            )));
        }
    }
    Ok(None)
}
