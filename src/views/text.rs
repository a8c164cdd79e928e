//! Plain-text renderings of the views for the terminal. These are staff-facing
//! CLI output, not customer text, so they are not localized.

use std::fmt::Write;

use super::{RedemptionView, StatusView};

pub fn status(v: &StatusView) -> String {
    let mut out = String::new();
    let p = &v.product;
    let _ = writeln!(out, "{} — {} ({}), CHK {}", p.serial, p.model, p.category, p.chk);
    let _ = writeln!(
        out,
        "  bought {} at {} ({}), region {}",
        p.purchased_on, p.store, p.channel, p.region
    );
    if let Some(m) = &v.member {
        let _ = writeln!(out, "  member {} {} <{}>, language {}", m.id, m.name, m.email, m.locale);
    }
    if v.redemptions.is_empty() {
        let _ = writeln!(out, "  no redemptions");
    }
    for r in &v.redemptions {
        out.push_str(&redemption(r));
    }
    out
}

/// One claim for the staff channel: the product it is for (without the CHK,
/// the customer's proof of ownership, nor contact details), then the claim
/// without its email log (which names the member's address).
pub fn staff_card(product: Option<&super::ProductView>, r: &RedemptionView) -> String {
    let mut out = String::new();
    if let Some(p) = product {
        let _ = writeln!(out, "{} — {} ({})", p.serial, p.model, p.category);
        let _ = writeln!(
            out,
            "  bought {} at {} ({}), region {}",
            p.purchased_on, p.store, p.channel, p.region
        );
    }
    out.push_str(&claim(r, false));
    out
}

pub fn redemption(r: &RedemptionView) -> String {
    claim(r, true)
}

fn claim(r: &RedemptionView, with_emails: bool) -> String {
    let mut out = String::new();
    let name = r.promotion_name.as_deref().unwrap_or(&r.promotion_id);
    let _ = writeln!(out, "  [RDM-{}] {} — {}", r.id, name, r.status);
    if let Some(reason) = r.reason {
        let _ = writeln!(
            out,
            "    reason: {reason}{}",
            r.note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default()
        );
    }
    for e in &r.history {
        let mut line = format!("    {} {} by {}", e.at, e.kind, e.actor);
        if let Some(reason) = e.reason {
            let _ = write!(line, " ({reason})");
        }
        if !e.attachment_ids.is_empty() {
            let _ = write!(line, " attachments {:?}", e.attachment_ids);
        }
        if let Some(note) = &e.note {
            let _ = write!(line, ": {note}");
        }
        let _ = writeln!(out, "{line}");
    }
    for a in &r.attachments {
        let _ = writeln!(
            out,
            "    attachment {} {} ({}, {} bytes)",
            a.id, a.filename, a.content_type, a.bytes
        );
        if let Some(f) = &a.findings {
            out.push_str(&findings(f));
        }
    }
    let signals = &r.fraud_signals;
    let others = |ids: &[i64]| ids.iter().map(|i| format!("RDM-{i}")).collect::<Vec<_>>().join(", ");
    if !signals.same_file_other_member.is_empty() {
        let _ = writeln!(
            out,
            "    ⚠ the same file is on another member's claim: {}",
            others(&signals.same_file_other_member)
        );
    }
    if !signals.same_invoice_number_other_member.is_empty() {
        let _ = writeln!(
            out,
            "    ⚠ the same invoice number is on another member's claim: {}",
            others(&signals.same_invoice_number_other_member)
        );
    }
    if !signals.same_serial_in_promotion.is_empty() {
        let _ = writeln!(
            out,
            "    ⚠ the same serial is claimed again in this promotion: {}",
            others(&signals.same_serial_in_promotion)
        );
    }
    for e in r.emails.iter().filter(|_| with_emails) {
        let _ = writeln!(
            out,
            "    email {} to {} {}: {}{}",
            e.kind.as_str(),
            e.to,
            e.queued_at.to_rfc3339(),
            e.delivery.as_str(),
            e.last_error.as_deref().map(|x| format!(" ({x})")).unwrap_or_default()
        );
    }
    out
}

/// The pre-check's reading of one file, under it.
fn findings(f: &crate::precheck::InvoiceFindings) -> String {
    let mut out = String::new();
    if let Some(why) = &f.unread {
        let _ = writeln!(out, "      pre-check: not read ({why})");
        return out;
    }
    let from = match f.text_from {
        Some(crate::precheck::TextSource::PdfText) => "PDF text",
        _ => "OCR",
    };
    let or_none = |v: &Option<String>| v.as_deref().map_or("✗ not found".to_owned(), |t| format!("\"{t}\""));
    let _ = writeln!(
        out,
        "      pre-check ({from}{}): model {}{}",
        if f.legible { "" } else { ", little text read" },
        or_none(&f.model_name),
        f.model_match.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
    );
    let date = match (f.purchase_date, f.in_period) {
        (Some(d), Some(true)) => format!("{d} (in period)"),
        (Some(d), _) => format!("{d} ⚠ outside the period"),
        (None, _) => "✗ not found".into(),
    };
    let _ = writeln!(out, "        date {date}; invoice no. {}", or_none(&f.invoice_number));
    let store = match (&f.store, f.store_is_members) {
        (Some(s), Some(true)) => format!("\"{s}\" (the member's)"),
        (Some(s), _) => format!("\"{s}\" ⚠ not the member's store"),
        (None, _) => "✗ not found".into(),
    };
    let _ = writeln!(
        out,
        "        store {store}{}",
        f.serial
            .as_deref()
            .map(|s| format!("; serial \"{s}\""))
            .unwrap_or_default()
    );
    out
}

pub fn queue(items: &[super::QueueItemView]) -> String {
    if items.is_empty() {
        return "the review queue is empty\n".into();
    }
    let mut out = String::new();
    for item in items {
        let r = &item.redemption;
        let name = r.promotion_name.as_deref().unwrap_or(&r.promotion_id);
        let mut flags = Vec::new();
        if item.resubmission {
            flags.push("resubmitted".to_owned());
        }
        if item.overdue {
            flags.push("OVERDUE".to_owned());
        }
        if let Some(lease) = &item.lease {
            flags.push(format!(
                "claimed by {} until {}",
                lease.reviewer,
                lease.until.to_rfc3339()
            ));
        }
        let _ = writeln!(
            out,
            "RDM-{:<6} {:<16} {:<24} queued {} ({} working days){}",
            r.id,
            r.serial,
            name,
            r.queued_at,
            item.age_working_days,
            if flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", flags.join(", "))
            }
        );
    }
    out
}
