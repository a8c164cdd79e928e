//! Each email we send, rendered from Fluent in the member's language: a
//! subject and paragraphs, turned into a plain-text part and an HTML part with
//! the same words (the HTML escapes everything it is given).

use crate::assistant::words;
use crate::domain::{Locale, Member, Product, Promotion, Redemption, RejectionReason};
use crate::i18n::messages as m;
use crate::i18n::{Localizer, Msg};

use super::{EmailKind, OutgoingEmail};

/// What a claim's emails talk about.
pub struct Claim<'a> {
    pub redemption: &'a Redemption,
    pub promotion: &'a Promotion,
    pub product: &'a Product,
    pub member: &'a Member,
}

impl Claim<'_> {
    fn locale(&self) -> Locale {
        self.member.locale
    }

    fn id(&self) -> i64 {
        self.redemption.id
    }

    fn promotion_name(&self) -> String {
        self.promotion.name.get(self.locale()).to_owned()
    }

    fn reward(&self) -> Msg {
        words::reward(self.promotion.reward_for(&self.product.category), self.locale())
    }
}

/// The member, product and promotion of a claim, read from the database.
#[derive(Debug, Clone)]
pub struct ClaimFacts {
    pub member: Member,
    pub product: Product,
    pub promotion: Promotion,
}

impl ClaimFacts {
    pub async fn load(
        tx: &mut crate::store::Tx,
        rec: &crate::store::RedemptionRecord,
    ) -> Result<Self, crate::store::StoreError> {
        let id = rec.redemption.id;
        let missing =
            |what: &str| crate::store::StoreError::Conflict(format!("redemption {id}: its {what} is missing"));
        let member = tx.member(rec.member_id).await?.ok_or_else(|| missing("member"))?;
        let product = tx
            .products_of_member(rec.member_id)
            .await?
            .into_iter()
            .find(|p| p.id == rec.product_id)
            .ok_or_else(|| missing("product"))?
            .product;
        let promotion = tx
            .promotion(rec.redemption.promotion_id.as_str())
            .await?
            .ok_or_else(|| missing("promotion"))?;
        Ok(Self {
            member,
            product,
            promotion,
        })
    }

    /// What the claim's invoice should show, for the pre-check.
    pub fn expected_invoice(&self) -> crate::domain::invoice::Expected<'_> {
        crate::domain::invoice::Expected {
            model: &self.product.model,
            serial: Some(self.product.serial.as_str()),
            store: Some(&self.product.store),
            period: (self.promotion.starts_on, self.promotion.ends_on),
        }
    }

    pub fn claim<'a>(&'a self, redemption: &'a Redemption) -> Claim<'a> {
        Claim {
            redemption,
            promotion: &self.promotion,
            product: &self.product,
            member: &self.member,
        }
    }
}

/// A subject and paragraphs, before rendering.
struct Draft {
    kind: EmailKind,
    subject: Msg,
    paragraphs: Vec<Msg>,
}

/// The rejection: what was wrong, exactly what to fix, and how to send it.
pub fn rejection(
    claim: &Claim,
    reason: RejectionReason,
    note: Option<&str>,
    message_id: &str,
    reply_to: &str,
) -> OutgoingEmail {
    let id = claim.id();
    let mut paragraphs = vec![
        Msg::new(m::EMAIL_REJECTION_INTRO)
            .arg("id", id)
            .arg("promotion", claim.promotion_name())
            .arg("model", claim.product.model.clone())
            .arg("serial", claim.product.serial.to_string()),
        Msg::new(m::EMAIL_REJECTION_REASON).arg("reason", Msg::new(words::reason(reason))),
    ];
    if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
        paragraphs.push(Msg::new(m::EMAIL_REJECTION_NOTE).arg("note", note.trim().to_owned()));
    }
    paragraphs.push(Msg::new(m::EMAIL_REJECTION_HOW).arg("id", id));
    paragraphs.push(Msg::new(m::EMAIL_REJECTION_DEADLINE).arg("deadline", words::date(claim.promotion.claim_deadline)));
    let draft = Draft {
        kind: EmailKind::Rejection,
        subject: Msg::new(m::EMAIL_REJECTION_SUBJECT)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
        paragraphs,
    };
    let mut email = render(draft, claim.member, message_id);
    email.reply_to = Some(reply_to.to_owned());
    email
}

/// The guide's "request sent successfully … 7–14 working days", after a resubmission.
pub fn resubmission_received(claim: &Claim, message_id: &str, in_reply_to: Option<&str>) -> OutgoingEmail {
    let id = claim.id();
    let draft = Draft {
        kind: EmailKind::ResubmissionReceived,
        subject: Msg::new(m::EMAIL_RESUBMITTED_SUBJECT)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
        paragraphs: vec![
            Msg::new(m::EMAIL_RESUBMITTED_BODY)
                .arg("id", id)
                .arg("promotion", claim.promotion_name()),
            Msg::new(m::EMAIL_SPAM_HINT),
        ],
    };
    let mut email = render(draft, claim.member, message_id);
    email.in_reply_to = in_reply_to.map(str::to_owned);
    email
}

/// Approval: the reward, and when it comes.
pub fn approved(claim: &Claim, message_id: &str) -> OutgoingEmail {
    let id = claim.id();
    let when = match claim.promotion.reward_for(&claim.product.category) {
        Some(crate::domain::Reward::PhysicalGift { .. }) => Msg::new(m::EMAIL_APPROVED_GIFT),
        _ => Msg::new(m::EMAIL_APPROVED_DIGITAL).arg("end", words::date(claim.promotion.ends_on)),
    };
    let draft = Draft {
        kind: EmailKind::Approved,
        subject: Msg::new(m::EMAIL_APPROVED_SUBJECT)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
        paragraphs: vec![
            Msg::new(m::EMAIL_APPROVED_BODY)
                .arg("id", id)
                .arg("promotion", claim.promotion_name())
                .arg("model", claim.product.model.clone())
                .arg("serial", claim.product.serial.to_string())
                .arg("reward", claim.reward()),
            when,
            Msg::new(m::EMAIL_SPAM_HINT),
        ],
    };
    render(draft, claim.member, message_id)
}

/// The reward went out.
pub fn reward_sent(claim: &Claim, message_id: &str) -> OutgoingEmail {
    let id = claim.id();
    let draft = Draft {
        kind: EmailKind::RewardSent,
        subject: Msg::new(m::EMAIL_REWARD_SENT_SUBJECT)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
        paragraphs: vec![
            Msg::new(m::EMAIL_REWARD_SENT_BODY)
                .arg("id", id)
                .arg("promotion", claim.promotion_name())
                .arg("reward", claim.reward()),
            Msg::new(m::EMAIL_REWARD_SENT_CHECK),
        ],
    };
    render(draft, claim.member, message_id)
}

/// Why each file of a reply could not be used (or that it had none), and how to send it again.
pub fn reply_unusable(
    claim: &Claim,
    problems: &[crate::mail::inbound::RejectedFile],
    message_id: &str,
    in_reply_to: Option<&str>,
    reply_to: Option<&str>,
) -> OutgoingEmail {
    let id = claim.id();
    let mut paragraphs = vec![
        Msg::new(m::EMAIL_UNUSABLE_INTRO)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
    ];
    if problems.is_empty() {
        paragraphs.push(Msg::new(m::EMAIL_UNUSABLE_NO_FILES));
    }
    for p in problems {
        paragraphs.push(
            Msg::new(m::EMAIL_UNUSABLE_FILE)
                .arg("filename", p.filename.clone())
                .arg("problem", Msg::new(file_problem(p.reason))),
        );
    }
    paragraphs.push(Msg::new(m::EMAIL_UNUSABLE_HOW).arg("id", id));
    let draft = Draft {
        kind: EmailKind::ReplyUnusable,
        subject: Msg::new(m::EMAIL_UNUSABLE_SUBJECT)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
        paragraphs,
    };
    let mut email = render(draft, claim.member, message_id);
    email.in_reply_to = in_reply_to.map(str::to_owned);
    email.reply_to = reply_to.map(str::to_owned);
    email
}

/// What the invoice pre-check found in a reply's files, before they go to
/// review: the customer replies with another file, or KIRIM to send them as they are.
pub fn precheck_findings(
    claim: &Claim,
    problems: &[crate::domain::invoice::Problem],
    expected: &crate::domain::invoice::Expected,
    message_id: &str,
    in_reply_to: Option<&str>,
    reply_to: Option<&str>,
) -> OutgoingEmail {
    let id = claim.id();
    let mut paragraphs = vec![
        Msg::new(m::EMAIL_PRECHECK_INTRO)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
    ];
    for p in problems {
        let problem = crate::assistant::words::precheck_problem(p, expected);
        paragraphs.push(Msg::new(m::EMAIL_PRECHECK_PROBLEM).arg("problem", problem));
    }
    paragraphs.push(Msg::new(m::EMAIL_PRECHECK_HOW).arg("id", id));
    let draft = Draft {
        // A reply we did not (yet) use: the same kind, and loop guard, as "unusable".
        kind: EmailKind::ReplyUnusable,
        subject: Msg::new(m::EMAIL_PRECHECK_SUBJECT)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
        paragraphs,
    };
    let mut email = render(draft, claim.member, message_id);
    email.in_reply_to = in_reply_to.map(str::to_owned);
    email.reply_to = reply_to.map(str::to_owned);
    email
}

/// The claim's current status, answering a reply about a claim that is not waiting for a fix.
pub fn status_answer(claim: &Claim, status: Vec<Msg>, message_id: &str, in_reply_to: Option<&str>) -> OutgoingEmail {
    let id = claim.id();
    let mut paragraphs = vec![
        Msg::new(m::EMAIL_STATUS_INTRO)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
    ];
    paragraphs.extend(status);
    let draft = Draft {
        kind: EmailKind::StatusAnswer,
        subject: Msg::new(m::EMAIL_STATUS_SUBJECT)
            .arg("id", id)
            .arg("promotion", claim.promotion_name()),
        paragraphs,
    };
    let mut email = render(draft, claim.member, message_id);
    email.in_reply_to = in_reply_to.map(str::to_owned);
    email
}

/// The words for why a file could not be used (emails and chat).
pub fn file_problem(p: crate::mail::inbound::FileProblem) -> crate::i18n::MsgDef {
    use crate::mail::inbound::FileProblem;
    match p {
        FileProblem::Executable => m::FILE_PROBLEM_EXECUTABLE,
        FileProblem::Archive => m::FILE_PROBLEM_ARCHIVE,
        FileProblem::UnsupportedType => m::FILE_PROBLEM_UNSUPPORTED_TYPE,
        FileProblem::NameDoesNotMatchContent => m::FILE_PROBLEM_NAME_DOES_NOT_MATCH_CONTENT,
        FileProblem::Empty => m::FILE_PROBLEM_EMPTY,
        FileProblem::TooLarge => m::FILE_PROBLEM_TOO_LARGE,
        FileProblem::TooManyFiles => m::FILE_PROBLEM_TOO_MANY_FILES,
        FileProblem::NestedTooDeep => m::FILE_PROBLEM_NESTED_TOO_DEEP,
        FileProblem::Unreadable => m::FILE_PROBLEM_UNREADABLE,
        FileProblem::ImageTooLarge => m::FILE_PROBLEM_IMAGE_TOO_LARGE,
    }
}

/// A one-time code to link a chat account to this member.
pub fn link_code(
    member: &Member,
    code: &str,
    channel: impl Into<crate::i18n::Arg>,
    minutes: i64,
    message_id: &str,
) -> OutgoingEmail {
    let draft = Draft {
        kind: EmailKind::LinkCode,
        subject: Msg::new(m::EMAIL_LINK_SUBJECT).arg("code", code.to_owned()),
        paragraphs: vec![
            Msg::new(m::EMAIL_LINK_BODY)
                .arg("code", code.to_owned())
                .arg("channel", channel)
                .arg("minutes", minutes),
            Msg::new(m::EMAIL_LINK_IGNORE),
        ],
    };
    render(draft, member, message_id)
}

fn render(draft: Draft, member: &Member, message_id: &str) -> OutgoingEmail {
    let l10n = Localizer::builtin();
    let locale = member.locale;
    let say = |msg: &Msg| l10n.render(locale, msg);
    let greeting = say(&Msg::new(m::EMAIL_GREETING).arg("name", member.name.clone()));
    let paragraphs: Vec<String> = draft.paragraphs.iter().map(say).collect();
    let signature = say(&Msg::new(m::EMAIL_SIGNATURE));
    let automated = say(&Msg::new(m::EMAIL_AUTOMATED));

    let mut text = format!("{greeting}\n\n");
    for p in &paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
    }
    text.push_str(&format!("{signature}\n\n-- \n{automated}\n"));

    let para = |p: &str| format!("<p>{}</p>\n", escape(p).replace('\n', "<br>\n"));
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head><meta charset=\"utf-8\"></head>\n\
         <body style=\"font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.5; color: #222;\">\n",
        locale.as_str()
    );
    html.push_str(&para(&greeting));
    for p in &paragraphs {
        html.push_str(&para(p));
    }
    html.push_str(&para(&signature));
    html.push_str(&format!(
        "<p style=\"color: #777; font-size: 12px;\">{}</p>\n</body>\n</html>\n",
        escape(&automated)
    ));

    OutgoingEmail {
        kind: draft.kind,
        to: member.email.as_str().to_owned(),
        to_name: Some(member.name.clone()),
        locale,
        subject: say(&draft.subject),
        text,
        html,
        message_id: message_id.to_owned(),
        reply_to: None,
        in_reply_to: None,
    }
}

/// HTML-escapes text (element content and attribute values alike).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
