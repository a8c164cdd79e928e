//! Rendered assistant replies as Discord messages: text with Markdown escaped
//! (a customer's words echoed back can never format, link or ping), split under
//! Discord's 2,000-character limit, FAQ topics as a select menu and the other
//! buttons as button rows on the last part.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption,
};

use crate::assistant::{Rendered, RenderedButton};

/// Discord refuses longer messages; kept below with room to spare.
pub const MAX_MESSAGE: usize = 1900;
/// The select menu's id; its chosen value is the button data of a FAQ topic.
pub const TOPIC_SELECT: &str = "faq-topics";
/// Discord's limits on components.
const BUTTONS_PER_ROW: usize = 5;
const MAX_ROWS: usize = 5;
const MAX_SELECT_OPTIONS: usize = 25;
const MAX_BUTTON_LABEL: usize = 80;
const MAX_OPTION_LABEL: usize = 100;
const MAX_CUSTOM_ID: usize = 100;

/// One Discord message to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub content: String,
    pub components: Vec<CreateActionRow>,
}

/// No one is ever pinged by what the bot says: not @everyone, @here, roles,
/// users, nor the author of a message it replies to.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .replied_user(false)
}

/// Escapes a reply and splits it; the components go on the last part.
pub fn messages(reply: &Rendered, topic_placeholder: &str) -> Vec<Outgoing> {
    let escaped = escape(&reply.text);
    let parts = crate::channels::split::split(&escaped, MAX_MESSAGE, |part, cut| {
        // Never separate a backslash from the character it escapes.
        if part[..cut].ends_with('\\') { cut - 1 } else { cut }
    });
    let components = components(&reply.buttons, topic_placeholder);
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, content)| Outgoing {
            content,
            components: if i + 1 == n { components.clone() } else { Vec::new() },
        })
        .collect()
}

/// Text shown literally: Markdown and mention syntax escaped with backslashes,
/// `@everyone` / `@here` broken with a zero-width space (Discord's own
/// convention), links left intact so they stay clickable.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while !rest.is_empty() {
        match next_link(rest) {
            Some((start, end)) => {
                escape_plain(&rest[..start], &mut out);
                // A link stays clickable, but a mention hidden in it
                // (`https://x@here.test`) is broken like any other.
                out.push_str(
                    &rest[start..end]
                        .replace("@everyone", "@\u{200B}everyone")
                        .replace("@here", "@\u{200B}here"),
                );
                rest = &rest[end..];
            }
            None => {
                escape_plain(rest, &mut out);
                break;
            }
        }
    }
    out
}

/// The first `http(s)://…` link in `s`, up to whitespace or a closing angle bracket.
fn next_link(s: &str) -> Option<(usize, usize)> {
    let start = [s.find("https://"), s.find("http://")].into_iter().flatten().min()?;
    let end = s[start..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '<')
        .map_or(s.len(), |i| start + i);
    Some((start, end))
}

fn escape_plain(s: &str, out: &mut String) {
    let mut line_start = out.is_empty() || out.ends_with('\n');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '(' | ')' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            // Headings, lists and quotes only start a line.
            '#' | '-' | '+' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '@' => {
                out.push('@');
                let ahead: String = chars.clone().take(8).collect();
                if ahead.starts_with("everyone") || ahead.starts_with("here") {
                    out.push('\u{200B}');
                }
            }
            _ => out.push(c),
        }
        line_start = c == '\n' || (line_start && c == ' ');
    }
}

fn components(buttons: &[RenderedButton], topic_placeholder: &str) -> Vec<CreateActionRow> {
    let (topics, others): (Vec<&RenderedButton>, Vec<&RenderedButton>) =
        buttons.iter().partition(|b| b.data.starts_with("faq:"));
    let mut rows = Vec::new();
    // Many topics read better as one menu than as rows of buttons.
    if topics.len() > 1 {
        let options = topics
            .iter()
            .take(MAX_SELECT_OPTIONS)
            .map(|b| CreateSelectMenuOption::new(truncate(&b.label, MAX_OPTION_LABEL), b.data.clone()))
            .collect();
        rows.push(CreateActionRow::SelectMenu(
            CreateSelectMenu::new(TOPIC_SELECT, CreateSelectMenuKind::String { options })
                .placeholder(truncate(topic_placeholder, MAX_OPTION_LABEL)),
        ));
    }
    let buttons: Vec<&RenderedButton> = if topics.len() > 1 {
        others
    } else {
        buttons.iter().collect()
    };
    for chunk in buttons
        .iter()
        .filter(|b| b.data.len() <= MAX_CUSTOM_ID)
        .collect::<Vec<_>>()
        .chunks(BUTTONS_PER_ROW)
    {
        if rows.len() == MAX_ROWS {
            break;
        }
        rows.push(CreateActionRow::Buttons(
            chunk
                .iter()
                .map(|b| {
                    CreateButton::new(b.data.clone())
                        .label(truncate(&b.label, MAX_BUTTON_LABEL))
                        .style(ButtonStyle::Secondary)
                })
                .collect(),
        ));
    }
    rows
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(text: &str, buttons: &[(&str, &str)]) -> Rendered {
        Rendered {
            text: text.into(),
            buttons: buttons
                .iter()
                .map(|(label, data)| RenderedButton {
                    label: (*label).into(),
                    data: (*data).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn markdown_and_mentions_are_shown_literally() {
        assert_eq!(escape("**bold** _it_ `code`"), r"\*\*bold\*\* \_it\_ \`code\`");
        assert_eq!(escape("# big\n- item\n> quote"), "\\# big\n\\- item\n\\> quote");
        assert_eq!(escape("a - b # c"), "a - b # c");
        assert_eq!(
            escape("hi @everyone and @here"),
            "hi @\u{200B}everyone and @\u{200B}here"
        );
        assert_eq!(escape("<@123> [x](http://evil)"), r"\<@123\> \[x\]\(http://evil)");
        assert_eq!(escape("||spoiler|| ~~s~~"), r"\|\|spoiler\|\| \~\~s\~\~");
        assert_eq!(escape("10:30 :)"), r"10:30 :\)");
    }

    #[test]
    fn links_stay_clickable() {
        assert_eq!(
            escape("see https://id.msi.com/promo_2024?a=1 now_"),
            r"see https://id.msi.com/promo_2024?a=1 now\_"
        );
    }

    #[test]
    fn mentions_inside_links_are_broken_too() {
        // Found by the `chat_text` fuzz target: a link was passed through whole,
        // `@here` and all.
        let escaped = escape("<b>hi</b> **bold** [xV(https://ex@herei</V()");
        assert!(!escaped.contains("@here"), "{escaped:?}");
        assert_eq!(escape("https://a@everyone.test/x"), "https://a@\u{200B}everyone.test/x");
        assert_eq!(escape("http://@here"), "http://@\u{200B}here");
    }

    #[test]
    fn long_text_splits_under_the_limit_without_breaking_escapes() {
        let text = "*".repeat(5000);
        let parts = messages(&rendered(&text, &[]), "");
        assert!(parts.len() >= 5);
        for p in &parts {
            assert!(p.content.chars().count() <= 2000);
            assert!(!p.content.ends_with('\\') || p.content.ends_with("\\\\"));
            assert!(p.content.starts_with('\\'), "{}", &p.content[..4]);
        }
        let stars: usize = parts.iter().map(|p| p.content.matches('*').count()).sum();
        assert_eq!(stars, 5000, "nothing lost");
    }

    #[test]
    fn topics_become_a_menu_and_the_rest_buttons_on_the_last_part() {
        let text = format!("{}\n\n{}", "a ".repeat(900), "b ".repeat(900));
        let r = rendered(
            &text,
            &[
                ("Invoice", "faq:invoice.requirements"),
                ("Serial", "faq:product.serial"),
                ("Menu", "menu"),
            ],
        );
        let parts = messages(&r, "Pick a topic");
        assert_eq!(parts.len(), 2);
        assert!(parts[0].components.is_empty());
        let json = serde_json::to_value(&parts[1].components).unwrap();
        assert_eq!(json[0]["type"], 1);
        assert_eq!(json[0]["components"][0]["type"], 3);
        assert_eq!(json[0]["components"][0]["custom_id"], TOPIC_SELECT);
        assert_eq!(json[0]["components"][0]["options"][1]["value"], "faq:product.serial");
        assert_eq!(json[1]["components"][0]["type"], 2);
        assert_eq!(json[1]["components"][0]["custom_id"], "menu");
    }

    #[test]
    fn a_single_topic_and_many_buttons_fit_discords_limits() {
        let many: Vec<(String, String)> = (0..30).map(|i| (format!("B{i}"), format!("b{i}"))).collect();
        let refs: Vec<(&str, &str)> = many.iter().map(|(l, d)| (l.as_str(), d.as_str())).collect();
        let parts = messages(&rendered("x", &refs), "");
        assert_eq!(parts[0].components.len(), MAX_ROWS);
        let one = messages(&rendered("x", &[("Invoice", "faq:invoice.requirements")]), "");
        let json = serde_json::to_value(&one[0].components).unwrap();
        assert_eq!(json[0]["components"][0]["type"], 2);
    }

    #[test]
    fn allowed_mentions_parse_nothing() {
        let json = serde_json::to_value(no_mentions()).unwrap();
        assert_eq!(json["parse"], serde_json::json!([]));
        assert_eq!(json["replied_user"], false);
    }
}
