# redeemdesk — customer-facing text (English)
# Source of facts: shared/seed/msi-redeem-instructions.txt


## General

greeting =
    Hi! 👋 I'm redeemdesk, the assistant for MSI Indonesia's promotion redemptions.
    I can answer questions about redeeming, check a redemption's status by serial number (S/N), show the promotions running now, or connect you with our support team.

menu-prompt = What can I help you with?

help =
    Here are the commands you can use:
    /start or /help — main menu
    /faq — common questions
    /status [serial] [CHK] — check a redemption
    /promos — promotions running now
    /lang id|en — change language
    /subscribe — get promotion news
    /unsubscribe — stop promotion news
    /agent — talk to a person

thanks-reply = You're welcome! 😊 If there's anything else, just ask.

fallback = Sorry, I'm not sure I understood. 🙏 You can pick a topic with /faq, or type /agent to talk to a person on our support team.

unknown-command = Sorry, { $command } isn't a command I know. Type /help to see the list of commands.

error-internal = Sorry, something went wrong on our side. Please try again in a moment. Nothing you sent was lost.

attachment-received =
    Thanks! Sorry, I can't attach files sent in this chat to a claim yet. 🙏
    If your claim was rejected and needs fixing, you can either:
    1. Reply to our rejection email with the corrected invoice attached, or
    2. Re-upload the document in MSI Member Center (https://account.msi.com/) and click "Redeem Again".

attachment-too-large =
    Sorry, this file is larger than { $mb } MB, so I can't accept it. 🙏
    Please send a smaller photo or PDF, or reply to our rejection email with the invoice attached.


## Buttons

btn-faq = ❓ FAQ
btn-status = 🔎 Check Status
btn-promos = 🎁 Current Promotions
btn-agent = 💬 Talk to a Person
btn-lang = 🌐 Language
btn-lang-id = Bahasa Indonesia
btn-lang-en = English
btn-subscribe = 🔔 Promotion News
btn-unsubscribe = 🔕 Stop Promotion News
btn-menu = 🏠 Main Menu


## FAQ topic menu

faq-menu = Choose a topic:

topic-account-signup = Sign Up / Log In
topic-product-register = Registering a Product
topic-product-serial = Serial Number (S/N) & CHK
topic-invoice-requirements = Invoice Requirements
topic-redeem-how = How to Redeem
topic-redeem-status-howto = Checking Redeem Status
topic-redeem-failed = Claim Rejected / Incomplete
topic-promo-not-listed = Promotion Not Showing
topic-processing-time = Processing Time
topic-reward-delivery = Getting Your Reward
topic-email-not-received = No Email Received


## FAQ answers

faq-account-signup =
    To sign up or log in to MSI Member Center:
    1. Go to https://account.msi.com/
    2. Already have an account? Log in with your email and password.
    3. New here? Choose Sign Up and fill in the required fields (marked *): Email, Password and Confirm Password, First Name, and Region / Location.
    4. Tick the MSI Privacy Policy agreement, solve the Captcha and submit.
    Last Name, Contact Number and the newsletter box (Subscribe Latest Information) are optional.
    Once logged in, you can register your product under My Products. Trouble logging in? Type /agent.

faq-product-register =
    How to register a product in MSI Member Center:
    1. Log in at https://account.msi.com/
    2. Open My Products and click "Register New Product".
    3. Click your product type to see where its serial number (S/N) is.
    4. Enter the Serial Number, then the 3-digit CHK code from the S/N sticker on the product.
    5. Complete the form: Product Type, Product Name, Model, Region / Location, Store Name, Purchase Date, and where you bought it (Retail store / Online retailer / Reseller).
    6. Upload the invoice showing the model name, invoice date and invoice number (.jpg/.gif/.png, max. 1600 px wide).
    7. Solve the Captcha and click Next.
    ⭐ Don't forget to upload your invoice (proof of purchase)!

faq-product-serial =
    The serial number (S/N) and the CHK code are on the S/N sticker on the product itself.
    • When registering (My Products → "Register New Product"), click your product type to see where the S/N is.
    • The CHK code is the 3 digits on the same S/N sticker.
    • Watch the difference between "0" (zero) and "O", and between "1" (one) and "l".
    • If you're asked for an S/N photo, take it of the sticker on the product itself, not the packaging or box.

faq-invoice-requirements =
    Your invoice (proof of purchase) must show:
    • The product's model name
    • The invoice date (purchase date)
    • The invoice number
    • The store you bought it from
    Upload it as .jpg, .gif or .png, resized to at most 1600 px wide. Make sure it's sharp and readable.
    The invoice date must also fall inside the promotion period.

faq-redeem-how =
    How to redeem a promotion:
    1. Make sure your product is registered under My Products, with its invoice.
    2. Log in at https://account.msi.com/ and open the Promotions page.
    3. Choose the promotion and click "Redeem".
    4. Fill in any details you're asked for and submit.
    You'll then see a confirmation that your request was submitted successfully. Every claim is checked by MSI staff, which takes 7–14 working days.
    Promotion not showing? See "Promotion Not Showing" in /faq.

faq-redeem-status-howto =
    How to check your redemption status:
    1. Log in at https://account.msi.com/
    2. Open the Promotions page and choose the "Redeem History" tab.
    3. Look at the Status column: "Redeem qualification under reviewing" means it's being checked, "Redeem Success" means it was approved. If something needs fixing, the reason is shown there.
    Or let me check it for you: type /status, or just send me your product's serial number (S/N). 😊

faq-redeem-failed =
    If your claim was rejected or you got an email saying it's incomplete, don't worry, it can be fixed:
    1. Read the reason in the email or in Promotions → "Redeem History".
    2. Log in at https://account.msi.com/, open My Products / the related promotion and re-upload the requested proof.
    3. Click "Redeem Again", fill in the recipient information if asked, and click "Redeem".
    Make sure you provide:
    • An invoice showing the purchase date, the store and the model
    • A photo of the S/N sticker on the product itself, not on the packaging
    Or simply reply to our rejection email with the corrected invoice attached.

faq-promo-not-listed =
    If no promotion shows up in your Member Center account, please check these 4 things:
    1. Your product model is eligible for the promotion.
    2. Your invoice date is inside the promotion period.
    3. The region you live in is eligible for the promotion.
    4. You bought the product from an MSI partner in your region.
    Also make sure the product is registered under My Products. Want me to check the promotions for your product? Type /status.

faq-processing-time =
    Here's how long it takes:
    • Digital codes: 7–14 working days to verify.
    • Physical gifts: 8–12 weeks to ship after your redemption is approved.
    Digital codes are sent at the end of the promotion period after MSI's confirmation. You can check the latest status in Promotions → "Redeem History", or type /status here.

faq-reward-delivery =
    Here's how your reward reaches you:
    1. When your redemption is approved, MSI sends you an approval email naming your reward.
    2. Digital codes are sent at the end of the promotion period, after MSI's confirmation.
    3. Physical gifts are shipped to the recipient address you entered, within 8–12 weeks after approval.
    You can also check the status in Member Center → Promotions → "Redeem History" ("Redeem Success" once approved).
    No email yet? Check your Spam, Junk, Trash, Deleted Items or Archive folders.

faq-email-not-received =
    If an email from MSI hasn't reached your inbox, please check your Spam, Junk, Trash, Deleted Items or Archive folders, and turn off your email filters so MSI's emails aren't filtered out (notices may come from no-reply@msi-mail.com).
    You can always check your redemption status at https://account.msi.com/ → Promotions → "Redeem History", or type /status here.
    For further questions, please contact https://account.msi.com/ or type /agent.


## Promotions

promos-header = Promotions running now:

promos-none = There's no promotion running right now. Type /subscribe to hear as soon as a new one starts.

promo-item =
    🎁 { $name }
    Period: { $start } – { $end }
    Categories: { $categories }
    Rewards: { $rewards }

reward-digital-code = Digital Code { $amount }
reward-physical-gift = { $gift } (physical gift)
reward-for-category = { $category }: { $reward }
reward-unspecified = as announced in the promotion


## Dates

date = { $day } { $month } { $year }

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December


## Status look-up flow

status-ask-serial = Sure! Please send your product's serial number (S/N). It's on the S/N sticker on the product itself: 10–25 letters and digits. Watch the difference between "0" (zero) and "O", and between "1" (one) and "l".

status-ask-chk = Thanks! Now please send the 3-digit CHK code for S/N { $serial }. You'll find it on the same sticker as the serial number. It confirms that the product is yours. 🔒

status-bad-serial = Hmm, that doesn't look like a serial number. A serial number has 10–25 letters and digits. Please check it and send it again, or type /faq to see how to find your S/N.

status-bad-chk = The CHK code must be exactly 3 digits. Please check the S/N sticker and send it again.

status-no-match = Sorry, that serial number and CHK code don't match any registered product. Please check both (watch "0"/"O" and "1"/"l") and make sure the product is registered in Member Center (My Products).

status-rate-limited = Sorry, there have been too many unsuccessful attempts. For security, please try again in { $minutes } minutes, or type /agent to ask a person.
chat-slow-down = Easy there 🙏 Messages are arriving too fast, so we will not read the next ones in this minute. Please wait a moment, then send your question again.

status-product = Status for { $model } (S/N { $serial }):

status-no-redemptions = This product has no redemption yet. To redeem, log in at https://account.msi.com/, open Promotions, choose the promotion and click "Redeem". Promotions this product qualifies for, if any, are listed below.

status-under-review = 🕒 RDM-{ $id } – { $promotion }, submitted { $date }: being reviewed by MSI staff. This takes 7–14 working days.

status-rejected = ⚠️ RDM-{ $id } – { $promotion } (submitted { $date }) hasn't been approved yet. Reason: { $reason }

status-rejected-next =
    How to fix it (either way works):
    1. Reply to our rejection email (its subject contains [RDM-…]) with the corrected file attached, or
    2. Re-upload the document in Member Center (My Products / the related promotion) and click "Redeem Again".
    Your claim then goes back to review, which takes 7–14 working days.

status-approved-digital = ✅ RDM-{ $id } – { $promotion } is approved! Reward: { $reward }. Digital codes are sent by email at the end of the promotion period ({ $end }) after MSI's confirmation. Remember to check your Spam folder too.

status-approved-gift = ✅ RDM-{ $id } – { $promotion } is approved! Reward: { $reward }. It will be shipped to the recipient address within 8–12 weeks after approval.

status-reward-sent = 🎉 The reward for RDM-{ $id } – { $promotion } ({ $reward }) has been sent! Please check your inbox, including the Spam, Junk, Trash and Archive folders.


## Rejection reasons

reason-invoice-missing-product-name = The invoice doesn't show the product name/model. Please upload an invoice that shows the product's model name.
reason-invoice-unreadable = The invoice photo is blurry or unreadable. Please re-upload a clear photo or scan of the invoice (.jpg/.gif/.png, max. 1600 px wide).
reason-invoice-outside-period = The invoice date is outside the promotion period. Please make sure you uploaded the invoice for this product, dated within the promotion period.
reason-invoice-missing-store-or-number = The invoice doesn't show the store name or the invoice number. Please upload the full invoice showing the store name, invoice number, invoice date and model.
reason-serial-photo-missing = The serial number (S/N) photo is missing. Please upload a photo of the S/N sticker on the product itself.
reason-serial-photo-packaging = The S/N photo was taken of the packaging or box. Please upload a photo of the S/N sticker on the product itself, not the packaging.
reason-serial-chk-mismatch = The serial number or CHK code doesn't match the product. Please check the S/N sticker on the product again (watch "0"/"O" and "1"/"l") and send a photo of that sticker.
reason-model-not-eligible = This product model isn't part of this promotion, so the claim can't be processed. Please check the eligible models/categories on the promotion page.
reason-region-not-eligible = Your region isn't covered by this promotion, so the claim can't be processed.
reason-store-not-partner = The store you bought from isn't an MSI partner for this promotion in your region. If you did buy from an MSI partner store, please upload an invoice that clearly shows that store's name.
reason-duplicate-claim = This product has already been claimed for the same promotion, so a second claim can't be processed. You can check the earlier claim in Promotions → "Redeem History".


## Eligibility

eligibility-header = Promotions for your { $model }:
eligibility-eligible = ✅ { $promotion }: you can redeem it in Member Center → Promotions. Reward: { $reward }
eligibility-not = ❌ { $promotion }: not eligible, because:
inelig-category = Product category { $category } isn't part of this promotion.
inelig-period = Purchase date { $purchased } is outside the promotion period ({ $start } – { $end }).
inelig-region = Region { $region } isn't covered by this promotion.
inelig-store = { $store } isn't an MSI partner store for this promotion in { $region }.
inelig-deadline = The claim deadline ({ $deadline }) has passed.


## Language

lang-ask = Which language would you like to use?
lang-switched = Sure, I'll continue in English.


## Promotion news

subscribe-done = Done! You're subscribed to MSI promotion news, and I'll let you know when a new promotion starts. To stop, type /unsubscribe anytime.
subscribe-already = You're already subscribed to promotion news. 😊 To stop, type /unsubscribe.
unsubscribe-done = Done, you're unsubscribed and won't get promotion announcements anymore. Type /subscribe if you'd like them back.
unsubscribe-already = You weren't subscribed to promotion news. Type /subscribe if you'd like to get it.


## Talk to a person

agent-requested = Got it! Your request is logged as ticket #{ $ticket }. A person from our support team will answer you here, in this chat.
agent-after-fallbacks = Sorry I couldn't help with that. 🙏 I've passed your question to our support team as ticket #{ $ticket }; a person will answer you here, in this chat.
agent-wait-open = Our agents usually answer within { $minutes } minutes. Anything you write here in the meantime goes to them too.
agent-wait-closed = Our agents work Monday to Friday, { $opens }–{ $closes } WIB, so they will answer from { $date }, { $time } WIB. Anything you write here in the meantime goes to them too.
agent-already-open = Your ticket #{ $ticket } is still open: an agent will answer you here. Anything you write goes to them; /menu brings back the assistant's menu.
agent-forwarded = ✉️ Sent to our agent (ticket #{ $ticket }).
chat-agent-reply = 💬 { $agent } (MSI customer service): { $text }
chat-escalation-closed = Ticket #{ $ticket } is now closed. Thank you! If you need a person again, just type /agent.

## Command menu descriptions (Telegram setMyCommands)
cmd-start = Main menu
cmd-faq = Frequently asked questions
cmd-status = Check a redemption: /status S/N CHK
cmd-promos = Promotions running now
cmd-lang = Change language: /lang id | en
cmd-subscribe = Get promotion news
cmd-unsubscribe = Stop promotion news
cmd-agent = Talk to a person
cmd-help = Help

## Linking a chat to a member account (by a code sent by email)

channel-telegram = Telegram
channel-discord = Discord
channel-console = command-line
cmd-link = Link your MSI member account: /link EMAIL
cmd-verify = Enter the code from the email: /verify CODE
link-ask-email = Please send the email address of your MSI Member Center account. I'll email you a code that links this chat to your account, so you can check all your claims without the CHK code.
link-bad-email = Hmm, that doesn't look like an email address. Please send it like this: /link name@example.com
link-code-sent = If { $email } belongs to an MSI Member Center account, a 6-digit code is on its way there. Please send it here like this: /verify 123456. The code is valid for { $minutes } minutes. Check the Spam folder if you can't find it.
verify-ask-code = Please send the 6-digit code from the email, like this: /verify 123456
verify-no-code = There's no code waiting for this chat. Send /link followed by your account's email address to get one.
verify-wrong = That code isn't right. You have { $left } tries left.
verify-locked = Too many wrong codes. For your security this code no longer works: send /link EMAIL to get a new one.
verify-expired = That code has expired. Send /link EMAIL to get a new one.
link-done = Done! This chat is now linked to { $email }. You can check any of your { $products } registered products with /status S/N, no CHK code needed.

## Emails. Each email is a subject and paragraphs; the HTML part is built from
## the same paragraphs. Reasons and rewards reuse the messages above.

email-greeting = Hello { $name },
email-signature =
    Best regards,
    MSI Indonesia Promotion Team
email-automated = This email was sent automatically by the MSI Indonesia promotion desk.

email-rejection-subject = [RDM-{ $id }] Your claim for { $promotion } needs a fix
email-rejection-intro = We checked your claim RDM-{ $id } for { $promotion } (product { $model }, S/N { $serial }), and unfortunately we can't approve it yet.
email-rejection-reason = Reason: { $reason }
email-rejection-note = Note from our team: { $note }
email-rejection-how =
    How to fix it (choose one):
    1. Reply to this email with the corrected invoice attached (JPG, PNG, GIF or PDF). Keep "[RDM-{ $id }]" in the subject. We will put your claim back in review automatically.
    2. Or log in to MSI Member Center (https://account.msi.com/), open Promotions → "Redeem History", re-upload the document and click "Redeem Again".
email-rejection-deadline = Please fix it before the promotion's claim deadline, { $deadline }.

email-resubmitted-subject = [RDM-{ $id }] We received your corrected documents for { $promotion }
email-resubmitted-body = Your request was sent successfully. Thank you for submitting your redemption for { $promotion } (RDM-{ $id }). The verification process takes 7–14 working days.
email-spam-hint = Our emails sometimes land in the Spam or Junk folder: please check there too, and mark us as "not spam".

email-approved-subject = [RDM-{ $id }] Your claim for { $promotion } is approved
email-approved-body = Good news! Your claim RDM-{ $id } for { $promotion } (product { $model }, S/N { $serial }) is approved. Your reward: { $reward }.
email-approved-digital = Digital codes are sent by email at the end of the promotion period ({ $end }), after MSI's final confirmation.
email-approved-gift = Physical gifts are shipped to the recipient address in your claim within 8–12 weeks after approval.

email-reward-sent-subject = [RDM-{ $id }] Your reward for { $promotion } has been sent
email-reward-sent-body = Your reward for claim RDM-{ $id } ({ $promotion }) has been sent: { $reward }.
email-reward-sent-check = If you can't find it, please check every folder of your mailbox (Spam, Junk, Trash, Archive) before contacting us.

email-unusable-subject = [RDM-{ $id }] We couldn't use your reply about { $promotion }
email-unusable-intro = Thank you for your reply about claim RDM-{ $id } ({ $promotion }). Unfortunately we couldn't use it to fix your claim, so it is still waiting for a corrected document.
email-unusable-no-files = Your reply had no attachment. Please attach the corrected invoice or the S/N photo itself.
email-unusable-file = { $filename }: { $problem }
email-unusable-how = Please reply to this email again with the file attached as a JPG, PNG, GIF, PDF or iPhone (HEIC) photo, at most 20 MB each, and keep "[RDM-{ $id }]" in the subject. You can also re-upload it in MSI Member Center (https://account.msi.com/) and click "Redeem Again".
email-precheck-subject = [RDM-{ $id }] Please check your invoice for { $promotion } before we send it to review
email-precheck-intro = Thank you for the file for claim RDM-{ $id } ({ $promotion }). Before it goes to the review team we read it, and found something reviewers usually reject an invoice for:
email-precheck-problem = • { $problem }
email-precheck-how = Sending it as it is may cost another 7–14 working days if it is rejected. Please reply to this email with the right invoice, keeping "[RDM-{ $id }]" in the subject. If you are sure the file is right, reply with the word KIRIM (or SUBMIT) and we will put it in the review queue as it is; the reviewer decides.
file-problem-executable = this is a program, not a document, so we didn't open it.
file-problem-archive = this is a compressed archive (ZIP, RAR, 7z…); please attach the photo or PDF itself.
file-problem-unsupported-type = we can't read this type of file; please send a photo (JPG, PNG) or a PDF.
file-problem-name-does-not-match-content = the file's name doesn't match what's inside (for example a photo named .pdf); please attach the original file.
file-problem-empty = the file is empty.
file-problem-too-large = the file is larger than 20 MB; please send a smaller photo or PDF.
file-problem-too-many-files = too many files in one email (at most 10); please send only the invoice and the S/N photo.
file-problem-nested-too-deep = it was inside too many forwarded emails; please attach the file directly.
file-problem-unreadable = we couldn't open this image or file; please send a clear photo (JPG, PNG) or a PDF.
file-problem-image-too-large = this picture has too many pixels for us to open; please resize it to at most 1600 px wide, as the guide says, and send it again.

email-link-subject = Your verification code: { $code }
email-link-body = Someone (hopefully you) asked to link a { $channel } chat to your MSI promotion account. Your verification code is { $code }. Send "/verify { $code }" in the chat. The code is valid for { $minutes } minutes.
email-link-ignore = If you didn't ask for this, ignore this email: nothing changes without the code.
email-status-subject = [RDM-{ $id }] Where your claim for { $promotion } stands
email-status-intro = Thank you for your email about claim RDM-{ $id } ({ $promotion }). Here is where it stands now:
chat-mail-resubmitted = We received the corrected document you emailed for claim RDM-{ $id } ({ $promotion }). It is back in the review queue; verification takes 7–14 working days.
status-reupload-hint = 📎 You can also send the corrected photo or PDF for RDM-{ $id } right here in this chat: I'll attach it to the claim and send it back to review.
reupload-received = Thank you! 📎 Your file is attached to RDM-{ $id } ({ $promotion }) and the claim is back in review. Verification takes 7–14 working days; we'll confirm by email too.
reupload-unusable = Sorry, I can't use this file for RDM-{ $id }: { $problem } Please send a clear photo (JPG, PNG) or a PDF of the corrected document.
reupload-precheck = I read the file you sent for RDM-{ $id } before passing it on, and found something reviewers usually reject an invoice for:
reupload-precheck-choice = If it is rejected, that costs another 7–14 working days. You can send another file here now, or submit this one as it is (the reviewer decides).
reupload-send-another = Okay, send the other file for RDM-{ $id } here (a clear photo or a PDF).
btn-submit-as-is = 📤 Submit as it is
btn-send-another = 📎 Send another file
precheck-model-missing = the product name ({ $model }) cannot be found on it
precheck-date-outside = the purchase date on it, { $date }, is outside the promotion period ({ $from } – { $to })

private-only = For your privacy I look up claims only in a private chat: send me a direct message and I'll check it there.
private-only-discord = For your privacy I look up claims only where no one else can see them: use /status (only you see the answer) or send me a direct message.

# Discord slash commands. Names: lower case, no spaces, at most 32 characters;
# descriptions at most 100 characters.
dc-menu = menu
dc-menu-desc = Main menu
dc-faq = faq
dc-faq-desc = Frequently asked questions
dc-status = status
dc-status-desc = Check a redemption by serial number (only you see the answer)
dc-lang = lang
dc-lang-desc = Change the language I answer in
dc-promos = promos
dc-promos-desc = Promotions running now
dc-subscribe = subscribe
dc-subscribe-desc = Get promotion news
dc-unsubscribe = unsubscribe
dc-unsubscribe-desc = Stop promotion news
dc-agent = agent
dc-agent-desc = Talk to a person from our customer service
dc-link = link
dc-link-desc = Link your MSI member account by email
dc-verify = verify
dc-verify-desc = Enter the code from the link email
dc-opt-serial = serial
dc-opt-serial-desc = The product's serial number (S/N), as on its sticker
dc-opt-chk = chk
dc-opt-chk-desc = The 3-digit CHK code printed next to the serial number
dc-opt-language = language
dc-opt-language-desc = Bahasa Indonesia or English
dc-opt-message = message
dc-opt-message-desc = What you need help with
dc-opt-email = email
dc-opt-email-desc = The email address of your MSI member account
dc-opt-code = code
dc-opt-code-desc = The code from the email
dc-topic-placeholder = Choose a topic
chat-decision-approved = 🎉 Good news: your claim RDM-{ $id } ({ $promotion }) is approved. The details are in the email we just sent you.
chat-decision-rejected = Your claim RDM-{ $id } ({ $promotion }) needs a correction: { $reason } Open it with /status and send the corrected photo or PDF right after, here in this chat, or reply to the email we sent you.


## Broadcasts (marketing announcements to subscribers)

broadcast-announcement =
    📣 New MSI promotion: { $name }
    { $description }

    Purchase period: { $start } – { $end }
    Claim by: { $deadline }
    Eligible categories: { $categories }
    Rewards: { $rewards }

    How to redeem: register your product at https://account.msi.com/ (My Products) with your invoice and a photo of the serial number, then open Promotions, choose "{ $name }" and click "Redeem". Verification takes 7–14 working days.

    You get this message because you subscribed to MSI promotion news. Send /unsubscribe to stop.
