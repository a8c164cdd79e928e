//! Every message the code may show, with its variables. Add a message here and
//! in both `locales/*/main.ftl` files; the locale tests keep the three in step.

use super::MsgDef;

macro_rules! messages {
    ($($name:ident = $id:literal [$($arg:literal),* $(,)?];)*) => {
        $(pub const $name: MsgDef = MsgDef { id: $id, args: &[$($arg),*] };)*
        /// All of them, for the locale tests.
        pub const ALL: &[MsgDef] = &[$($name),*];
    };
}

messages! {
    GREETING = "greeting" [];
    MENU_PROMPT = "menu-prompt" [];
    HELP = "help" [];
    THANKS_REPLY = "thanks-reply" [];
    FALLBACK = "fallback" [];
    UNKNOWN_COMMAND = "unknown-command" ["command"];
    ERROR_INTERNAL = "error-internal" [];
    ATTACHMENT_RECEIVED = "attachment-received" [];
    ATTACHMENT_TOO_LARGE = "attachment-too-large" ["mb"];

    BTN_FAQ = "btn-faq" [];
    BTN_STATUS = "btn-status" [];
    BTN_PROMOS = "btn-promos" [];
    BTN_AGENT = "btn-agent" [];
    BTN_LANG = "btn-lang" [];
    BTN_LANG_ID = "btn-lang-id" [];
    BTN_LANG_EN = "btn-lang-en" [];
    BTN_SUBSCRIBE = "btn-subscribe" [];
    BTN_UNSUBSCRIBE = "btn-unsubscribe" [];
    BTN_MENU = "btn-menu" [];

    FAQ_MENU = "faq-menu" [];
    TOPIC_ACCOUNT_SIGNUP = "topic-account-signup" [];
    TOPIC_PRODUCT_REGISTER = "topic-product-register" [];
    TOPIC_PRODUCT_SERIAL = "topic-product-serial" [];
    TOPIC_INVOICE_REQUIREMENTS = "topic-invoice-requirements" [];
    TOPIC_REDEEM_HOW = "topic-redeem-how" [];
    TOPIC_REDEEM_STATUS_HOWTO = "topic-redeem-status-howto" [];
    TOPIC_REDEEM_FAILED = "topic-redeem-failed" [];
    TOPIC_PROMO_NOT_LISTED = "topic-promo-not-listed" [];
    TOPIC_PROCESSING_TIME = "topic-processing-time" [];
    TOPIC_REWARD_DELIVERY = "topic-reward-delivery" [];
    TOPIC_EMAIL_NOT_RECEIVED = "topic-email-not-received" [];
    FAQ_ACCOUNT_SIGNUP = "faq-account-signup" [];
    FAQ_PRODUCT_REGISTER = "faq-product-register" [];
    FAQ_PRODUCT_SERIAL = "faq-product-serial" [];
    FAQ_INVOICE_REQUIREMENTS = "faq-invoice-requirements" [];
    FAQ_REDEEM_HOW = "faq-redeem-how" [];
    FAQ_REDEEM_STATUS_HOWTO = "faq-redeem-status-howto" [];
    FAQ_REDEEM_FAILED = "faq-redeem-failed" [];
    FAQ_PROMO_NOT_LISTED = "faq-promo-not-listed" [];
    FAQ_PROCESSING_TIME = "faq-processing-time" [];
    FAQ_REWARD_DELIVERY = "faq-reward-delivery" [];
    FAQ_EMAIL_NOT_RECEIVED = "faq-email-not-received" [];

    PROMOS_HEADER = "promos-header" [];
    PROMOS_NONE = "promos-none" [];
    PROMO_ITEM = "promo-item" ["name", "start", "end", "categories", "rewards"];
    REWARD_DIGITAL_CODE = "reward-digital-code" ["amount"];
    REWARD_PHYSICAL_GIFT = "reward-physical-gift" ["gift"];
    REWARD_FOR_CATEGORY = "reward-for-category" ["category", "reward"];
    REWARD_UNSPECIFIED = "reward-unspecified" [];

    DATE = "date" ["day", "month", "year"];
    MONTH_1 = "month-1" [];
    MONTH_2 = "month-2" [];
    MONTH_3 = "month-3" [];
    MONTH_4 = "month-4" [];
    MONTH_5 = "month-5" [];
    MONTH_6 = "month-6" [];
    MONTH_7 = "month-7" [];
    MONTH_8 = "month-8" [];
    MONTH_9 = "month-9" [];
    MONTH_10 = "month-10" [];
    MONTH_11 = "month-11" [];
    MONTH_12 = "month-12" [];

    STATUS_ASK_SERIAL = "status-ask-serial" [];
    STATUS_ASK_CHK = "status-ask-chk" ["serial"];
    STATUS_BAD_SERIAL = "status-bad-serial" [];
    STATUS_BAD_CHK = "status-bad-chk" [];
    STATUS_NO_MATCH = "status-no-match" [];
    STATUS_RATE_LIMITED = "status-rate-limited" ["minutes"];
    CHAT_SLOW_DOWN = "chat-slow-down" [];
    STATUS_PRODUCT = "status-product" ["model", "serial"];
    STATUS_NO_REDEMPTIONS = "status-no-redemptions" [];
    STATUS_UNDER_REVIEW = "status-under-review" ["id", "promotion", "date"];
    STATUS_REJECTED = "status-rejected" ["id", "promotion", "date", "reason"];
    STATUS_REJECTED_NEXT = "status-rejected-next" [];
    STATUS_APPROVED_DIGITAL = "status-approved-digital" ["id", "promotion", "reward", "end"];
    STATUS_APPROVED_GIFT = "status-approved-gift" ["id", "promotion", "reward"];
    STATUS_REWARD_SENT = "status-reward-sent" ["id", "promotion", "reward"];

    REASON_INVOICE_MISSING_PRODUCT_NAME = "reason-invoice-missing-product-name" [];
    REASON_INVOICE_UNREADABLE = "reason-invoice-unreadable" [];
    REASON_INVOICE_OUTSIDE_PERIOD = "reason-invoice-outside-period" [];
    REASON_INVOICE_MISSING_STORE_OR_NUMBER = "reason-invoice-missing-store-or-number" [];
    REASON_SERIAL_PHOTO_MISSING = "reason-serial-photo-missing" [];
    REASON_SERIAL_PHOTO_PACKAGING = "reason-serial-photo-packaging" [];
    REASON_SERIAL_CHK_MISMATCH = "reason-serial-chk-mismatch" [];
    REASON_MODEL_NOT_ELIGIBLE = "reason-model-not-eligible" [];
    REASON_REGION_NOT_ELIGIBLE = "reason-region-not-eligible" [];
    REASON_STORE_NOT_PARTNER = "reason-store-not-partner" [];
    REASON_DUPLICATE_CLAIM = "reason-duplicate-claim" [];

    CHANNEL_TELEGRAM = "channel-telegram" [];
    CHANNEL_DISCORD = "channel-discord" [];
    CHANNEL_CONSOLE = "channel-console" [];
    CMD_LINK = "cmd-link" [];
    CMD_VERIFY = "cmd-verify" [];

    PRIVATE_ONLY = "private-only" [];
    PRIVATE_ONLY_DISCORD = "private-only-discord" [];

    DC_MENU = "dc-menu" [];
    DC_MENU_DESC = "dc-menu-desc" [];
    DC_FAQ = "dc-faq" [];
    DC_FAQ_DESC = "dc-faq-desc" [];
    DC_STATUS = "dc-status" [];
    DC_STATUS_DESC = "dc-status-desc" [];
    DC_LANG = "dc-lang" [];
    DC_LANG_DESC = "dc-lang-desc" [];
    DC_PROMOS = "dc-promos" [];
    DC_PROMOS_DESC = "dc-promos-desc" [];
    DC_SUBSCRIBE = "dc-subscribe" [];
    DC_SUBSCRIBE_DESC = "dc-subscribe-desc" [];
    DC_UNSUBSCRIBE = "dc-unsubscribe" [];
    DC_UNSUBSCRIBE_DESC = "dc-unsubscribe-desc" [];
    DC_AGENT = "dc-agent" [];
    DC_AGENT_DESC = "dc-agent-desc" [];
    DC_LINK = "dc-link" [];
    DC_LINK_DESC = "dc-link-desc" [];
    DC_VERIFY = "dc-verify" [];
    DC_VERIFY_DESC = "dc-verify-desc" [];
    DC_OPT_SERIAL = "dc-opt-serial" [];
    DC_OPT_SERIAL_DESC = "dc-opt-serial-desc" [];
    DC_OPT_CHK = "dc-opt-chk" [];
    DC_OPT_CHK_DESC = "dc-opt-chk-desc" [];
    DC_OPT_LANGUAGE = "dc-opt-language" [];
    DC_OPT_LANGUAGE_DESC = "dc-opt-language-desc" [];
    DC_OPT_MESSAGE = "dc-opt-message" [];
    DC_OPT_MESSAGE_DESC = "dc-opt-message-desc" [];
    DC_OPT_EMAIL = "dc-opt-email" [];
    DC_OPT_EMAIL_DESC = "dc-opt-email-desc" [];
    DC_OPT_CODE = "dc-opt-code" [];
    DC_OPT_CODE_DESC = "dc-opt-code-desc" [];
    DC_TOPIC_PLACEHOLDER = "dc-topic-placeholder" [];
    LINK_ASK_EMAIL = "link-ask-email" [];
    LINK_BAD_EMAIL = "link-bad-email" [];
    LINK_CODE_SENT = "link-code-sent" ["email", "minutes"];
    VERIFY_ASK_CODE = "verify-ask-code" [];
    VERIFY_NO_CODE = "verify-no-code" [];
    VERIFY_WRONG = "verify-wrong" ["left"];
    VERIFY_LOCKED = "verify-locked" [];
    VERIFY_EXPIRED = "verify-expired" [];
    LINK_DONE = "link-done" ["email", "products"];

    EMAIL_GREETING = "email-greeting" ["name"];
    EMAIL_SIGNATURE = "email-signature" [];
    EMAIL_AUTOMATED = "email-automated" [];
    EMAIL_REJECTION_SUBJECT = "email-rejection-subject" ["id", "promotion"];
    EMAIL_REJECTION_INTRO = "email-rejection-intro" ["id", "promotion", "model", "serial"];
    EMAIL_REJECTION_REASON = "email-rejection-reason" ["reason"];
    EMAIL_REJECTION_NOTE = "email-rejection-note" ["note"];
    EMAIL_REJECTION_HOW = "email-rejection-how" ["id"];
    EMAIL_REJECTION_DEADLINE = "email-rejection-deadline" ["deadline"];
    EMAIL_RESUBMITTED_SUBJECT = "email-resubmitted-subject" ["id", "promotion"];
    EMAIL_RESUBMITTED_BODY = "email-resubmitted-body" ["id", "promotion"];
    EMAIL_SPAM_HINT = "email-spam-hint" [];
    EMAIL_APPROVED_SUBJECT = "email-approved-subject" ["id", "promotion"];
    EMAIL_APPROVED_BODY = "email-approved-body" ["id", "promotion", "model", "serial", "reward"];
    EMAIL_APPROVED_DIGITAL = "email-approved-digital" ["end"];
    EMAIL_APPROVED_GIFT = "email-approved-gift" [];
    EMAIL_REWARD_SENT_SUBJECT = "email-reward-sent-subject" ["id", "promotion"];
    EMAIL_REWARD_SENT_BODY = "email-reward-sent-body" ["id", "promotion", "reward"];
    EMAIL_REWARD_SENT_CHECK = "email-reward-sent-check" [];
    EMAIL_UNUSABLE_SUBJECT = "email-unusable-subject" ["id", "promotion"];
    EMAIL_UNUSABLE_INTRO = "email-unusable-intro" ["id", "promotion"];
    EMAIL_UNUSABLE_NO_FILES = "email-unusable-no-files" [];
    EMAIL_UNUSABLE_FILE = "email-unusable-file" ["filename", "problem"];
    EMAIL_UNUSABLE_HOW = "email-unusable-how" ["id"];
    EMAIL_PRECHECK_SUBJECT = "email-precheck-subject" ["id", "promotion"];
    EMAIL_PRECHECK_INTRO = "email-precheck-intro" ["id", "promotion"];
    EMAIL_PRECHECK_PROBLEM = "email-precheck-problem" ["problem"];
    EMAIL_PRECHECK_HOW = "email-precheck-how" ["id"];
    FILE_PROBLEM_EXECUTABLE = "file-problem-executable" [];
    FILE_PROBLEM_ARCHIVE = "file-problem-archive" [];
    FILE_PROBLEM_UNSUPPORTED_TYPE = "file-problem-unsupported-type" [];
    FILE_PROBLEM_NAME_DOES_NOT_MATCH_CONTENT = "file-problem-name-does-not-match-content" [];
    FILE_PROBLEM_EMPTY = "file-problem-empty" [];
    FILE_PROBLEM_TOO_LARGE = "file-problem-too-large" [];
    FILE_PROBLEM_TOO_MANY_FILES = "file-problem-too-many-files" [];
    FILE_PROBLEM_NESTED_TOO_DEEP = "file-problem-nested-too-deep" [];
    FILE_PROBLEM_UNREADABLE = "file-problem-unreadable" [];
    FILE_PROBLEM_IMAGE_TOO_LARGE = "file-problem-image-too-large" [];
    EMAIL_LINK_SUBJECT = "email-link-subject" ["code"];
    EMAIL_LINK_BODY = "email-link-body" ["code", "channel", "minutes"];
    EMAIL_LINK_IGNORE = "email-link-ignore" [];
    EMAIL_STATUS_SUBJECT = "email-status-subject" ["id", "promotion"];
    EMAIL_STATUS_INTRO = "email-status-intro" ["id", "promotion"];
    CHAT_MAIL_RESUBMITTED = "chat-mail-resubmitted" ["id", "promotion"];
    CHAT_DECISION_APPROVED = "chat-decision-approved" ["id", "promotion"];
    CHAT_DECISION_REJECTED = "chat-decision-rejected" ["id", "promotion", "reason"];
    STATUS_REUPLOAD_HINT = "status-reupload-hint" ["id"];
    REUPLOAD_RECEIVED = "reupload-received" ["id", "promotion"];
    REUPLOAD_UNUSABLE = "reupload-unusable" ["id", "problem"];
    REUPLOAD_PRECHECK = "reupload-precheck" ["id"];
    REUPLOAD_PRECHECK_CHOICE = "reupload-precheck-choice" [];
    REUPLOAD_SEND_ANOTHER = "reupload-send-another" ["id"];
    BTN_SUBMIT_AS_IS = "btn-submit-as-is" [];
    BTN_SEND_ANOTHER = "btn-send-another" [];
    PRECHECK_MODEL_MISSING = "precheck-model-missing" ["model"];
    PRECHECK_DATE_OUTSIDE = "precheck-date-outside" ["date", "from", "to"];

    ELIGIBILITY_HEADER = "eligibility-header" ["model"];
    ELIGIBILITY_ELIGIBLE = "eligibility-eligible" ["promotion", "reward"];
    ELIGIBILITY_NOT = "eligibility-not" ["promotion"];
    INELIG_CATEGORY = "inelig-category" ["category"];
    INELIG_PERIOD = "inelig-period" ["purchased", "start", "end"];
    INELIG_REGION = "inelig-region" ["region"];
    INELIG_STORE = "inelig-store" ["store", "region"];
    INELIG_DEADLINE = "inelig-deadline" ["deadline"];

    LANG_ASK = "lang-ask" [];
    LANG_SWITCHED = "lang-switched" [];

    SUBSCRIBE_DONE = "subscribe-done" [];
    SUBSCRIBE_ALREADY = "subscribe-already" [];
    UNSUBSCRIBE_DONE = "unsubscribe-done" [];
    UNSUBSCRIBE_ALREADY = "unsubscribe-already" [];

    AGENT_REQUESTED = "agent-requested" ["ticket"];
    AGENT_AFTER_FALLBACKS = "agent-after-fallbacks" ["ticket"];
    AGENT_WAIT_OPEN = "agent-wait-open" ["minutes"];
    AGENT_WAIT_CLOSED = "agent-wait-closed" ["opens", "closes", "date", "time"];
    AGENT_ALREADY_OPEN = "agent-already-open" ["ticket"];
    AGENT_FORWARDED = "agent-forwarded" ["ticket"];
    CHAT_AGENT_REPLY = "chat-agent-reply" ["agent", "text"];
    CHAT_ESCALATION_CLOSED = "chat-escalation-closed" ["ticket"];

    BROADCAST_ANNOUNCEMENT = "broadcast-announcement" ["name", "description", "start", "end", "deadline", "categories", "rewards"];

    CMD_START = "cmd-start" [];
    CMD_FAQ = "cmd-faq" [];
    CMD_STATUS = "cmd-status" [];
    CMD_PROMOS = "cmd-promos" [];
    CMD_LANG = "cmd-lang" [];
    CMD_SUBSCRIBE = "cmd-subscribe" [];
    CMD_UNSUBSCRIBE = "cmd-unsubscribe" [];
    CMD_AGENT = "cmd-agent" [];
    CMD_HELP = "cmd-help" [];
}

/// The chat commands with their menu descriptions, in menu order.
pub const COMMANDS: [(&str, MsgDef); 11] = [
    ("start", CMD_START),
    ("faq", CMD_FAQ),
    ("status", CMD_STATUS),
    ("promos", CMD_PROMOS),
    ("lang", CMD_LANG),
    ("subscribe", CMD_SUBSCRIBE),
    ("unsubscribe", CMD_UNSUBSCRIBE),
    ("agent", CMD_AGENT),
    ("link", CMD_LINK),
    ("verify", CMD_VERIFY),
    ("help", CMD_HELP),
];

/// The month's name message, 1–12.
pub fn month(n: u32) -> MsgDef {
    const MONTHS: [MsgDef; 12] = [
        MONTH_1, MONTH_2, MONTH_3, MONTH_4, MONTH_5, MONTH_6, MONTH_7, MONTH_8, MONTH_9, MONTH_10, MONTH_11, MONTH_12,
    ];
    MONTHS[(n.clamp(1, 12) - 1) as usize]
}
