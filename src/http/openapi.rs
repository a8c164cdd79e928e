//! `/openapi.json`: the OpenAPI 3.1 description of every route in
//! [`super::ROUTES`], written by hand. Its paths come from that list and its
//! closed value sets (reason codes, statuses, email kinds, campaign statuses,
//! channels, error codes) from the
//! Rust enums, so the document cannot drift from what is served.

use axum::Json;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::{BODY_LIMIT, IMPORT_BODY_LIMIT, Operation, ROUTES};
use crate::broadcast::{CampaignStatus, RecipientKind};
use crate::domain::{Channel, EventKind, Locale, PurchaseChannel, RejectionReason, Status};
use crate::jobs::JobStatus;
use crate::mail::EmailKind;
use crate::store::AttachmentSource;

pub async fn openapi() -> Json<Value> {
    Json(document())
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths.entry(route.path).or_insert_with(|| json!({}));
        let mut op = operation(route.operation);
        op["operationId"] = json!(route.operation.id());
        op["security"] = if route.is_admin() {
            json!([{"bearerAuth": []}])
        } else {
            json!([])
        };
        if route.is_admin() {
            let responses = &mut op["responses"];
            responses["401"] = json!({"$ref": "#/components/responses/Unauthorized"});
            responses["404"] = match responses.get("404") {
                Some(own) => own.clone(),
                None => json!({"$ref": "#/components/responses/NotFound"}),
            };
            responses["500"] = json!({"$ref": "#/components/responses/Internal"});
        }
        item[route.verb.as_str()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "redeemdesk",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Support desk for MSI Indonesia's promotion redemptions: health, metrics, and the \
                admin API (docs/admin-api.md). Admin routes need `Authorization: Bearer <http.admin_token>`; \
                without a configured token every /api/v1 route answers 404 `disabled`.",
        },
        "tags": [
            {"name": "operations", "description": "Probes, metrics and this document; no token."},
            {"name": "admin", "description": "Staff operations; bearer token required."},
        ],
        "paths": paths,
        "components": components(),
    })
}

fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn ok(description: &str, body: Value) -> Value {
    json!({"description": description, "content": json_content(body)})
}

fn error(description: &str) -> Value {
    ok(description, schema("Error"))
}

fn id_parameter() -> Value {
    json!({
        "name": "id", "in": "path", "required": true,
        "description": "The redemption id.",
        "schema": {"type": "integer", "format": "int64"},
    })
}

fn campaign_id_parameter() -> Value {
    json!({
        "name": "id", "in": "path", "required": true,
        "description": "The campaign id.",
        "schema": {"type": "integer", "format": "int64", "minimum": 1},
    })
}

/// A body that may be left out (`{}` then).
fn optional_body(name: &str) -> Value {
    json!({
        "required": false,
        "description": format!("Optional; at most {BODY_LIMIT} bytes; unknown fields are refused."),
        "content": json_content(schema(name)),
    })
}

fn body(name: &str, limit: usize) -> Value {
    json!({
        "required": true,
        "description": format!("At most {limit} bytes; unknown fields are refused."),
        "content": json_content(schema(name)),
    })
}

/// Everything about one operation except its id and security.
fn operation(op: Operation) -> Value {
    match op {
        Operation::Healthz => json!({
            "tags": ["operations"],
            "summary": "Liveness: the process answers and reaches its database.",
            "responses": {
                "200": ok("Alive.", schema("Health")),
                "503": ok("The database is unreachable.", schema("Health")),
            },
        }),
        Operation::Readyz => json!({
            "tags": ["operations"],
            "summary": "Readiness: the database and every configured chat channel are up.",
            "responses": {
                "200": ok("Ready for traffic.", schema("Readiness")),
                "503": ok("A check failed; `checks` says which.", schema("Readiness")),
            },
        }),
        Operation::Metrics => json!({
            "tags": ["operations"],
            "summary": "Prometheus metrics, computed from the database at scrape time (docs/operations.md).",
            "responses": {
                "200": {
                    "description": "Prometheus text exposition format 0.0.4.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "503": {
                    "description": "The database did not answer.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
            },
        }),
        Operation::OpenApi => json!({
            "tags": ["operations"],
            "summary": "This document.",
            "responses": {"200": ok("The OpenAPI document.", json!({"type": "object"}))},
        }),
        Operation::FindRedemptions => json!({
            "tags": ["admin"],
            "summary": "The staff view of a serial: product, owner and redemptions (as `status SERIAL --json`).",
            "parameters": [{
                "name": "serial", "in": "query", "required": true,
                "description": "The serial as printed or typed (spaces, dashes, case and 0/O 1/I/l look-alikes are forgiven).",
                "schema": {"type": "string"},
            }],
            "responses": {
                "200": ok("The product and its redemptions.", schema("StatusView")),
                "400": error("`serial` is missing or not a serial (`invalid`), or matches several products (`ambiguous_serial`)."),
                "404": error("No product has this serial (`not_found`), or the admin API is off (`disabled`)."),
            },
        }),
        Operation::ShowRedemption => json!({
            "tags": ["admin"],
            "summary": "One redemption in full (as `review show ID --json`).",
            "parameters": [id_parameter()],
            "responses": {
                "200": ok("The redemption.", schema("Redemption")),
                "400": error("`id` is not a number."),
                "404": error("No redemption with this id (`not_found`), or the admin API is off (`disabled`)."),
            },
        }),
        Operation::ListQueue => json!({
            "tags": ["admin"],
            "summary": "Claims waiting for review, oldest first, with their age and lease.",
            "parameters": [{
                "name": "limit", "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 1, "maximum": super::admin::MAX_QUEUE_LIMIT,
                           "default": super::admin::DEFAULT_QUEUE_LIMIT},
            }],
            "responses": {
                "200": ok("The queue.", json!({"type": "array", "items": schema("QueueEntry")})),
                "400": error("`limit` is out of range."),
            },
        }),
        Operation::ClaimQueueEntry => json!({
            "tags": ["admin"],
            "summary": "Claim a queued redemption for a while (a lease), so no other reviewer decides it.",
            "description": "Claiming again as the same reviewer extends the lease.",
            "parameters": [id_parameter()],
            "requestBody": body("ReviewerRequest", BODY_LIMIT),
            "responses": {
                "200": ok("The lease.", schema("Lease")),
                "400": error("Bad body; `field` names what to fix."),
                "404": error("No redemption with this id, or the admin API is off."),
                "409": error("Another reviewer holds it (`leased`, with `reviewer` and `until`), or it is not under review (`not_queued`)."),
                "413": error("Body too large."),
            },
        }),
        Operation::ReleaseQueueEntry => json!({
            "tags": ["admin"],
            "summary": "Give a claimed redemption back to the queue.",
            "parameters": [id_parameter()],
            "requestBody": body("ReviewerRequest", BODY_LIMIT),
            "responses": {
                "200": ok("Released.", schema("Released")),
                "400": error("Bad body; `field` names what to fix."),
                "404": error("No redemption with this id, or the admin API is off."),
                "409": error("This reviewer holds no lease on it (`not_held`)."),
                "413": error("Body too large."),
            },
        }),
        Operation::DecideRedemption => json!({
            "tags": ["admin"],
            "summary": "Approve or reject a redemption under review; the member's email goes into the outbox in the same transaction.",
            "parameters": [id_parameter()],
            "requestBody": body("DecisionRequest", BODY_LIMIT),
            "responses": {
                "200": ok("The redemption after the decision.", schema("Redemption")),
                "400": error("Bad body or unknown reason code; `field` names what to fix."),
                "404": error("No redemption with this id, or the admin API is off."),
                "409": error("Another reviewer holds it (`leased`), the decision does not apply to its status (`invalid_transition`, `not_queued`), or someone decided first (`conflict`)."),
                "413": error("Body too large."),
            },
        }),
        Operation::Import => json!({
            "tags": ["admin"],
            "summary": "Import promotions, members, products and redemptions (as `redeemdesk import FILE.json`): all or nothing, idempotent.",
            "requestBody": {
                "required": true,
                "description": format!("The import document of docs/import.md; at most {IMPORT_BODY_LIMIT} bytes."),
                "content": json_content(schema("ImportDocument")),
            },
            "responses": {
                "200": ok("What was written and what was already there.", schema("ImportReport")),
                "400": error("Not JSON (`invalid_json`), or a record is invalid (`invalid_import`, with `record` and `field`)."),
                "413": error("Body too large."),
            },
        }),
        Operation::ListCampaigns => json!({
            "tags": ["admin"],
            "summary": "Broadcast campaigns, newest first.",
            "parameters": [
                {"name": "promotion_id", "in": "query", "required": false,
                 "description": "Only campaigns for this promotion.", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "required": false,
                 "schema": {"type": "integer", "minimum": 1, "maximum": super::campaigns::MAX_LIST_LIMIT,
                            "default": super::campaigns::DEFAULT_LIST_LIMIT}},
            ],
            "responses": {
                "200": ok("The campaigns.", json!({"type": "array", "items": schema("Campaign")})),
                "400": error("`limit` is out of range, or an unknown parameter (`invalid`, `field`)."),
            },
        }),
        Operation::CreateCampaign => json!({
            "tags": ["admin"],
            "summary": "Prepare a broadcast for a promotion: the announcement in both languages and the audience it reaches. Nothing is sent until it is confirmed.",
            "requestBody": body("CampaignRequest", BODY_LIMIT),
            "responses": {
                "201": ok("The draft, its audience and its texts.", schema("CampaignDraft")),
                "400": error("Bad body: `field` names what to fix (`promotion_id`, `regions`, `categories` — an unknown category lists the known ones —, `by`, or an unknown field)."),
                "413": error("Body too large."),
                "422": error("The promotion does not exist (`unknown_promotion`) or its claims have closed (`promotion_ended`); `field` is `promotion_id`."),
            },
        }),
        Operation::ShowCampaign => json!({
            "tags": ["admin"],
            "summary": "One campaign and the progress of its sending.",
            "parameters": [campaign_id_parameter()],
            "responses": {
                "200": ok("The campaign.", schema("CampaignDetail")),
                "400": error("`id` is not a campaign id."),
                "404": error("No campaign with this id (`not_found`), or the admin API is off (`disabled`)."),
            },
        }),
        Operation::ConfirmCampaign => json!({
            "tags": ["admin"],
            "summary": "Confirm a draft: one recipient per subscriber its filters select now (and a post in each announcement channel); `serve` sends it.",
            "parameters": [campaign_id_parameter()],
            "requestBody": optional_body("ByRequest"),
            "responses": {
                "200": ok("Confirmed.", schema("CampaignConfirmed")),
                "400": error("Bad body or id; `field` names what to fix."),
                "404": error("No campaign with this id, or the admin API is off."),
                "409": error("The campaign is not a draft (`invalid_transition`): confirmed already, cancelled or done."),
                "413": error("Body too large."),
            },
        }),
        Operation::CancelCampaign => json!({
            "tags": ["admin"],
            "summary": "Cancel a draft or a campaign being sent: nothing more is sent (messages in flight finish).",
            "parameters": [campaign_id_parameter()],
            "requestBody": optional_body("ByRequest"),
            "responses": {
                "200": ok("The campaign afterwards.", schema("CampaignDetail")),
                "400": error("Bad body or id; `field` names what to fix."),
                "404": error("No campaign with this id, or the admin API is off."),
                "409": error("The campaign is done or cancelled already (`invalid_transition`)."),
                "413": error("Body too large."),
            },
        }),
    }
}

fn codes<T: Copy, const N: usize>(all: [T; N], name: fn(T) -> &'static str) -> Value {
    json!(all.map(name).to_vec())
}

fn nullable(type_name: &str) -> Value {
    json!({"type": [type_name, "null"]})
}

fn components() -> Value {
    let mut all = base_components();
    if let (Some(schemas), Value::Object(more)) = (all["schemas"].as_object_mut(), campaign_schemas()) {
        schemas.extend(more);
    }
    all
}

/// The broadcast campaigns' schemas (a `json!` of their own: one for
/// everything exceeds the macro's recursion limit).
fn campaign_schemas() -> Value {
    json!({
            "CampaignStatus": {"type": "string", "enum": codes(CampaignStatus::ALL, CampaignStatus::as_str)},
            "Campaign": {
                "type": "object",
                "required": ["id", "promotion_id", "status", "filters", "text_id", "text_en", "created_by", "created_at"],
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "promotion_id": {"type": "string"},
                    "status": schema("CampaignStatus"),
                    "filters": {
                        "type": "object",
                        "description": "Empty lists: every subscriber.",
                        "properties": {
                            "regions": {"type": "array", "items": {"type": "string"}},
                            "categories": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "text_id": {"type": "string", "description": "The announcement in Indonesian, exactly as sent."},
                    "text_en": {"type": "string", "description": "The announcement in English, exactly as sent."},
                    "created_by": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "confirmed_by": nullable("string"),
                    "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
                    "finished_at": {"type": ["string", "null"], "format": "date-time"},
                },
            },
            "Audience": {
                "type": "object",
                "required": ["total", "rows"],
                "properties": {
                    "total": {"type": "integer"},
                    "rows": {"type": "array", "items": {
                        "type": "object",
                        "required": ["channel", "kind", "locale", "region", "count"],
                        "properties": {
                            "channel": {"type": "string", "enum": codes(Channel::ALL, Channel::as_str)},
                            "kind": {"type": "string", "enum": [RecipientKind::Direct.as_str(), RecipientKind::Announcement.as_str()]},
                            "locale": {"type": "string", "enum": codes(Locale::ALL, Locale::as_str)},
                            "region": {"type": "string", "description": "The subscriber's first known region, `unknown`, or `announcement channel`."},
                            "count": {"type": "integer"},
                        },
                    }},
                },
            },
            "CampaignRequest": {
                "type": "object",
                "required": ["promotion_id"],
                "additionalProperties": false,
                "properties": {
                    "promotion_id": {"type": "string"},
                    "regions": {"type": "array", "items": {"type": "string"}, "description": "Region codes such as ID; subscribers we know no region of are left out."},
                    "categories": {"type": "array", "items": {"type": "string"}, "description": "Category codes of the catalog (AIO, PRO DT, ...)."},
                    "by": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Recorded as api:<by>."},
                },
            },
            "ByRequest": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"by": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Recorded as api:<by>."}},
            },
            "CampaignDraft": {
                "type": "object",
                "required": ["campaign", "audience", "preview"],
                "properties": {
                    "campaign": schema("Campaign"),
                    "audience": schema("Audience"),
                    "preview": {
                        "type": "object",
                        "required": ["id", "en"],
                        "properties": {"id": {"type": "string"}, "en": {"type": "string"}},
                    },
                },
            },
            "CampaignConfirmed": {
                "type": "object",
                "required": ["campaign_id", "recipients"],
                "properties": {
                    "campaign_id": {"type": "integer", "format": "int64"},
                    "recipients": {"type": "integer", "description": "Recipient rows written (subscribers and announcement posts)."},
                },
            },
            "Progress": {
                "type": "object",
                "required": ["campaign_id", "total", "sent", "failed", "blocked", "unknown", "remaining", "done"],
                "properties": {
                    "campaign_id": {"type": "integer", "format": "int64"},
                    "total": {"type": "integer"},
                    "sent": {"type": "integer"},
                    "failed": {"type": "integer"},
                    "blocked": {"type": "integer", "description": "The user blocked the bot or closed their DMs: unsubscribed."},
                    "unknown": {"type": "integer", "description": "In flight when a runner died: never sent again."},
                    "remaining": {"type": "integer", "description": "Pending or being sent."},
                    "rate": {"type": "number", "description": "Always 0 here: the rate is the runner's."},
                    "eta_secs": {"type": ["integer", "null"]},
                    "done": {"type": "boolean", "description": "Nothing remains (also true for a draft, which has no recipients yet)."},
                },
            },
            "CampaignDetail": {
                "type": "object",
                "required": ["campaign", "progress"],
                "properties": {"campaign": schema("Campaign"), "progress": schema("Progress")},
            },
    })
}

fn base_components() -> Value {
    let reasons = codes(RejectionReason::ALL, RejectionReason::code);
    let mut reasons_or_null = reasons.as_array().cloned().unwrap_or_default();
    reasons_or_null.push(Value::Null);
    json!({
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "The value of `http.admin_token` (env REDEEMDESK_HTTP__ADMIN_TOKEN).",
            },
        },
        "responses": {
            "Unauthorized": {
                "description": "No bearer token, or the wrong one (`unauthorized`).",
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer realm=\"redeemdesk\"`"}},
                "content": json_content(schema("Error")),
            },
            "NotFound": {
                "description": "Not found (`not_found`), or the admin API is off (`disabled`).",
                "content": json_content(schema("Error")),
            },
            "Internal": {
                "description": "Something failed on our side (`internal`); the server log has the details.",
                "content": json_content(schema("Error")),
            },
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string", "enum": ApiError::CODES},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The field, parameter or body part to fix."},
                    "record": {"type": "string", "description": "The import record at fault."},
                    "reviewer": {"type": "string", "description": "Who holds the lease (`leased`)."},
                    "until": {"type": "string", "format": "date-time", "description": "Until when (`leased`)."},
                },
            },
            "Health": {
                "type": "object",
                "required": ["status", "database"],
                "properties": {
                    "status": {"type": "string", "enum": ["ok", "unavailable"]},
                    "database": {"type": "string", "enum": ["ok", "unreachable"]},
                },
            },
            "Readiness": {
                "type": "object",
                "required": ["status", "checks"],
                "properties": {
                    "status": {"type": "string", "enum": ["ready", "not_ready"]},
                    "checks": {
                        "type": "object",
                        "required": ["database", "telegram", "discord", "imap"],
                        "properties": {
                            "database": {"type": "string", "enum": ["ok", "unreachable"]},
                            "telegram": {"type": "string", "enum": ["connected", "off"]},
                            "discord": {"type": "string", "enum": ["connected", "disconnected", "off"]},
                            "imap": {"type": "string", "enum": ["configured", "off"],
                                     "description": "The poller reports no connection state; never fails readiness."},
                        },
                    },
                },
            },
            "RejectionReason": {"type": "string", "enum": reasons},
            "RedemptionStatus": {"type": "string", "enum": codes(Status::ALL, Status::as_str)},
            "Reward": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"type": "string", "enum": ["digital_code", "physical_gift"]},
                    "amount_idr": {"type": "integer"},
                    "gift": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "en": {"type": "string"}},
                    },
                },
            },
            "Recipient": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"}, "address": {"type": "string"},
                    "zip_code": {"type": "string"}, "phone": {"type": "string"},
                },
            },
            "Event": {
                "type": "object",
                "required": ["at", "kind", "actor"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "kind": {"type": "string", "enum": codes(EventKind::ALL, EventKind::as_str)},
                    "actor": {"type": "string", "description": "customer, system, import or staff:<name>"},
                    "reason": {"enum": reasons_or_null},
                    "note": nullable("string"),
                    "attachment_ids": {"type": "array", "items": {"type": "integer"}},
                },
            },
            "Attachment": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"}, "filename": {"type": "string"},
                    "content_type": {"type": "string"}, "bytes": {"type": "integer"},
                    "sha256": {"type": "string"}, "width": nullable("integer"), "height": nullable("integer"),
                    "source": {"type": "string", "enum": codes(AttachmentSource::ALL, AttachmentSource::as_str)},
                    "stored": {"type": "boolean"},
                    "findings": {"oneOf": [schema("InvoiceFindings"), {"type": "null"}],
                                 "description": "What the invoice pre-check read from the file; null when it was not read."},
                },
            },
            "InvoiceFindings": {
                "type": "object",
                "required": ["model_name", "purchase_date", "in_period", "invoice_number", "store", "legible"],
                "properties": {
                    "model_name": {"type": ["string", "null"], "description": "The product's model as read (all or a distinctive part)."},
                    "purchase_date": {"type": ["string", "null"], "format": "date"},
                    "in_period": {"type": ["boolean", "null"], "description": "Whether the purchase date is in the promotion's period."},
                    "invoice_number": nullable("string"),
                    "store": {"type": ["string", "null"], "description": "The member's store as found, else the invoice's header line."},
                    "model_match": {"type": ["string", "null"], "enum": ["full", "partial", null]},
                    "purchase_date_text": {"type": ["string", "null"], "description": "The date as printed."},
                    "store_is_members": nullable("boolean"),
                    "serial": nullable("string"),
                    "text_from": {"type": ["string", "null"], "enum": ["pdf_text", "ocr", null]},
                    "legible": {"type": "boolean", "description": "Enough text, with a date or number, was read to judge the file."},
                    "unread": {"type": ["string", "null"], "description": "Why the file's text could not be read."},
                },
            },
            "FraudSignals": {
                "type": "object",
                "required": ["same_file_other_member", "same_invoice_number_other_member", "same_serial_in_promotion"],
                "properties": {
                    "same_file_other_member": {"type": "array", "items": {"type": "integer", "format": "int64"},
                        "description": "Other members' claims carrying one of this claim's files (same SHA-256)."},
                    "same_invoice_number_other_member": {"type": "array", "items": {"type": "integer", "format": "int64"},
                        "description": "Other members' claims with an invoice of the same number."},
                    "same_serial_in_promotion": {"type": "array", "items": {"type": "integer", "format": "int64"},
                        "description": "Other claims in this promotion for the same serial (look-alikes folded)."},
                },
            },
            "Email": {
                "type": "object",
                "required": ["kind", "message_id", "delivery"],
                "properties": {
                    "kind": {"type": "string", "enum": codes(EmailKind::ALL, EmailKind::as_str)},
                    "to": {"type": "string"},
                    "reply_address": nullable("string"),
                    "message_id": {"type": "string"},
                    "subject": {"type": "string"},
                    "queued_at": {"type": "string", "format": "date-time"},
                    "delivery": {"type": "string", "enum": codes(JobStatus::ALL, JobStatus::as_str),
                                 "description": "The outbox job's status; done = accepted by the SMTP server."},
                    "attempts": {"type": "integer"},
                    "last_error": nullable("string"),
                    "sent_at": {"type": ["string", "null"], "format": "date-time"},
                },
            },
            "Redemption": {
                "type": "object",
                "required": ["id", "serial", "promotion_id", "status", "submitted_at", "queued_at", "updated_at",
                             "history", "attachments", "fraud_signals", "emails"],
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "serial": {"type": "string"},
                    "promotion_id": {"type": "string"},
                    "promotion_name": nullable("string"),
                    "status": schema("RedemptionStatus"),
                    "reason": {"enum": reasons_or_null, "description": "The reason code while rejected."},
                    "note": nullable("string"),
                    "submitted_at": {"type": "string", "format": "date-time"},
                    "queued_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                    "reward": {"oneOf": [schema("Reward"), {"type": "null"}]},
                    "recipient": {"oneOf": [schema("Recipient"), {"type": "null"}]},
                    "history": {"type": "array", "items": schema("Event")},
                    "attachments": {"type": "array", "items": schema("Attachment")},
                    "fraud_signals": schema("FraudSignals"),
                    "emails": {"type": "array", "items": schema("Email")},
                },
            },
            "StatusView": {
                "type": "object",
                "required": ["query", "product", "redemptions"],
                "properties": {
                    "query": {"type": "string"},
                    "product": {
                        "type": "object",
                        "properties": {
                            "serial": {"type": "string"}, "chk": {"type": "string"},
                            "category": {"type": "string"}, "model": {"type": "string"},
                            "purchased_on": {"type": "string", "format": "date"},
                            "region": {"type": "string"}, "store": {"type": "string"},
                            "channel": {"type": "string", "enum": codes(PurchaseChannel::ALL, PurchaseChannel::as_str)},
                        },
                    },
                    "member": {"oneOf": [{
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
                            "locale": {"type": "string", "enum": codes(Locale::ALL, Locale::as_str)},
                            "region": {"type": "string"},
                        },
                    }, {"type": "null"}]},
                    "redemptions": {"type": "array", "items": schema("Redemption")},
                },
            },
            "Lease": {
                "type": "object",
                "required": ["reviewer", "until"],
                "properties": {
                    "reviewer": {"type": "string"},
                    "until": {"type": "string", "format": "date-time"},
                },
            },
            "QueueEntry": {
                "allOf": [schema("Redemption"), {
                    "type": "object",
                    "required": ["age_working_days", "overdue", "resubmission", "lease"],
                    "properties": {
                        "age_working_days": {"type": "integer", "minimum": 0},
                        "overdue": {"type": "boolean"},
                        "resubmission": {"type": "boolean", "description": "Back in the queue after a rejection."},
                        "lease": {"oneOf": [schema("Lease"), {"type": "null"}]},
                    },
                }],
            },
            "ReviewerRequest": {
                "type": "object",
                "required": ["reviewer"],
                "additionalProperties": false,
                "properties": {"reviewer": {"type": "string", "minLength": 1, "maxLength": 100}},
            },
            "Released": {
                "type": "object",
                "required": ["released"],
                "properties": {"released": {"type": "boolean", "const": true}},
            },
            "DecisionRequest": {
                "type": "object",
                "required": ["decision", "reviewer"],
                "additionalProperties": false,
                "properties": {
                    "decision": {"type": "string", "enum": ["approve", "reject"]},
                    "reason": schema("RejectionReason"),
                    "note": {"type": "string"},
                    "reviewer": {"type": "string", "minLength": 1, "maxLength": 100},
                },
                "description": "`reason` is required with `reject` and refused with `approve`.",
            },
            "ImportDocument": {
                "type": "object",
                "description": "See docs/import.md.",
                "properties": {
                    "categories": {"type": "array", "items": {"type": "object"}},
                    "promotions": {"type": "array", "items": {"type": "object"}},
                    "members": {"type": "array", "items": {"type": "object"}},
                    "products": {"type": "array", "items": {"type": "object"}},
                    "redemptions": {"type": "array", "items": {"type": "object"}},
                },
            },
            "Counts": {
                "type": "object",
                "required": ["written", "unchanged"],
                "properties": {"written": {"type": "integer"}, "unchanged": {"type": "integer"}},
            },
            "ImportReport": {
                "type": "object",
                "required": ["categories", "promotions", "members", "products", "redemptions"],
                "properties": {
                    "categories": schema("Counts"),
                    "promotions": schema("Counts"),
                    "members": schema("Counts"),
                    "products": schema("Counts"),
                    "redemptions": schema("Counts"),
                },
            },
        },
    })
}
