"""English texts (the fallback for every language we do not have)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "start.greeting": (
        "👋 Hello, {name}!\n\n"
        "I help keep Telegram search safe. If a search showed you a channel, group, bot, user "
        "or post with illegal content, or a search term that is itself illegal, you can report "
        "it to our moderators here. Every report is reviewed, and your identity is never shown "
        "to the people you report.\n\n"
        "Send /help to see what I can do."
    ),
    "help.private": (
        "<b>What I can do</b>\n\n"
        "/report — report an unsafe search result or an illegal search term\n"
        "/myreports — your recent reports and their status\n"
        "/notify on|off — whether I tell you the outcome of your reports\n"
        "/cancel — stop the report you are writing\n"
        "/appeal — contest a decision on a channel, group, bot, user or post\n"
        "/start — what this bot is for\n"
        "/help — this list\n\n"
        "<b>Quick ways to report</b>\n"
        "• Send me the link (t.me/…) or @username of what you found, or forward a message "
        "from it.\n"
        "• Or in one message: <code>/report &lt;link or @username&gt; &lt;category&gt; "
        "&lt;what you searched for&gt;</code>\n"
        "  Use <code>term</code> instead of a link when the search term itself is illegal.\n\n"
        "<b>Categories</b> (short names for the one-message form)\n{categories}\n\n"
        "Reports are reviewed by the platform's trust-and-safety moderators. Your identity is "
        "never shown to them or to the people you report. Personal data is only ever "
        "disclosed to authorities through a valid court order and a legal review."
    ),
    "help.group": ("I review reports in private. Open a chat with me: @{bot_username}"),
    "error.generic": (
        "⚠️ Something went wrong on our side. Nothing you sent was lost. "
        "Please try again in a minute."
    ),
    "error.storage_full": (
        "⚠️ I could not save that: our storage is full at the moment, so nothing of what you "
        "just sent or pressed was kept. Please try again later."
    ),
    "command.description.start": "What this bot is for",
    "command.description.report": "Report an unsafe search result",
    "command.description.myreports": "Your reports and their status",
    "command.description.notify": "Outcome notifications on or off",
    "command.description.cancel": "Stop the report you are writing",
    "command.description.appeal": "Appeal a decision",
    "command.description.queue": "Pending cases by priority",
    "command.description.reject": "Reply to a case: reject with a reason",
    "command.description.escalate": "Reply to a case: hand it to admins and legal",
    "command.description.help": "What I can do",
    "command.unknown": "I don't know that command. Send /help to see what I can do.",
    # --- buttons ---------------------------------------------------------------------------
    "button.report": "🚩 Report",
    "button.cancel": "✖️ Cancel",
    "button.search_term": "The search term itself is illegal",
    "button.skip": "Skip",
    "button.submit": "✅ Submit",
    "button.edit": "✏️ Edit",
    "button.edit_query": "Search words",
    "button.edit_result": "Result",
    "button.edit_category": "Category",
    "button.edit_comment": "Comment",
    "button.back": "⬅️ Back",
    "button.open_private": "Open a private chat",
    "button.continue": "▶️ Continue",
    "button.cancel_report": "✖️ Cancel report",
    # --- the guided report -----------------------------------------------------------------
    "report.ask.query": (
        "🔎 <b>What did you search for?</b>\nSend the words you typed into the search."
    ),
    "report.ask.result": (
        "🚩 <b>Which result was unsafe?</b>\nSend its link (t.me/…), its @username, or "
        "forward a message from it.\nIf the search words themselves are illegal, tap the "
        "button below."
    ),
    "report.ask.category": "📂 <b>What is wrong with it?</b> Tap a category.{categories}",
    "report.ask.comment": (
        "💬 <b>Anything the moderators should know?</b>\nSend a short comment (up to "
        "{comment_max} characters), or tap Skip."
    ),
    "report.ask.edit": "✏️ <b>What do you want to change?</b>",
    "report.summary": (
        "📋 <b>Please check your report</b>\n\n"
        "<b>Searched for:</b> {query}\n"
        "<b>Result:</b> {target}\n"
        "<b>Category:</b> {category}\n"
        "<b>Comment:</b> {comment}"
    ),
    "report.summary.submit": "Tap Submit to send it to the moderators.",
    "report.summary.private_link": (
        "⚠️ This link points into a private chat. Moderators can open it only if they are "
        "members of that chat, so they may not see what you saw: please describe it in your "
        "comment (✏️ Edit → Comment)."
    ),
    "report.summary.private_link_forward": (
        "If you can forward the post itself to me (✏️ Edit → Result), they will also see the "
        "chat's name."
    ),
    "report.summary.none": "—",
    "report.receipt": (
        "✅ <b>Report #{report_id} received.</b>\nThank you. Moderators will review it; "
        "I will tell you the outcome (turn this off with /notify off). See your reports "
        "with /myreports."
    ),
    "report.already_under_review": (
        "ℹ️ You already reported this (report #{report_id}) and it is still under review, "
        "so I did not file it again. Thank you for your patience."
    ),
    "report.already_reviewed": (
        "ℹ️ You already reported this (report #{report_id}) and moderators have reviewed it "
        "since, so I did not file it again. See the outcome with /myreports."
    ),
    "report.standing.hidden": (
        "This target is already confirmed as violating and hidden from search; your report "
        "is added to its case."
    ),
    "report.standing.reviewed": (
        "Moderators reviewed this target recently and found no violation. Your report is kept, "
        "and the target goes back to review if more people report it."
    ),
    "report.cancelled": "Report cancelled. Nothing was sent. Send /report to start again.",
    "report.nothing_to_cancel": "There is no report in progress. Send /report to start one.",
    "report.nothing_to_skip": "There is nothing to skip right now. Send /report to start a report.",
    "report.blocked": (
        "Sorry, you cannot file reports. If you think this is a mistake, please contact the "
        "platform's support."
    ),
    "report.limit_hour": (
        "You have sent {limit} reports in the last hour, the most we accept. You can report "
        "again from {retry_at}. Thank you for helping."
    ),
    "report.limit_day": (
        "You have sent {limit} reports in the last 24 hours, the most we accept. You can "
        "report again from {retry_at}. Thank you for helping."
    ),
    "button.unknown": "This button is not one of mine, or it is out of date. Nothing was done.",
    "report.button_stale": (
        "This button belongs to a report that is finished or expired. Send /report to start "
        "a new one."
    ),
    "report.button_step_done": (
        "That question is already answered; please answer the latest message."
    ),
    "report.timed_out": (
        "⌛ Your report was not finished within {minutes} minutes, so I discarded it. "
        "Nothing was sent. Send /report to start again."
    ),
    "report.group_redirect": (
        "Reports are made in a private chat with me, so nobody else sees them. Tap the "
        "button to start."
    ),
    "report.outside.hint": (
        "To report an unsafe search result, send /report, or just send me its link or "
        "@username, or forward a message from it."
    ),
    "report.outside.retry": "Send /report to start a report step by step.",
    # --- an open report put on hold (another command, or a message that answers nothing) -
    "report.held.title": "📝 <b>You have a report that is not sent yet.</b>",
    "report.held.query": "Searched for: {query}",
    "report.held.result": "Result: {target}",
    "report.held.category": "Category: {category}",
    "report.held.step": "It stopped at step {number} of {total}: {step}.",
    "report.held.choice": (
        "It is on hold, so nothing you send is added to it. Tap Continue to pick up where you "
        "left off, or Cancel report to discard it."
    ),
    "report.held.media": "I can't use {what} at this step.",
    "report.held.text": "This step is answered with a button, so I did not use that message.",
    "report.held.report": (
        "You already have a report open: finish or cancel it before you start another."
    ),
    "report.step.query": "what you searched for",
    "report.step.result": "which result was unsafe",
    "report.step.category": "what is wrong with it",
    "report.step.comment": "a comment for the moderators",
    "report.step.confirm": "check and submit",
    "report.step.edit": "choose what to change",
    "report.notice.expired": (
        "⌛ Your previous report was not finished in time and was discarded."
    ),
    "report.notice.result_noted": "Got it: {target}. I'll use that as the unsafe result.",
    "report.notice.started_with_result": "Let's report {target}.",
    "report.problem.query_empty": "I need the words you searched for, as text.",
    "report.problem.query_too_long": (
        "That is too long for a search query ({query_max} characters at most). Please send "
        "only the words you typed into the search."
    ),
    "report.problem.result_empty": (
        "That message is empty. Send a link (t.me/…), an @username, or forward a message "
        "from the result."
    ),
    "report.problem.result_not_telegram": (
        "That is not a Telegram link or @username. Send a link like t.me/name, an "
        "@username, or forward a message from the result."
    ),
    "report.problem.result_bad_username": (
        "That is not a valid Telegram username: usernames have 4-32 letters, digits or _, "
        "and start with a letter. Please check it and send it again."
    ),
    "report.problem.result_phone_link": (
        "That is a link to a phone number, which I can't accept. Please send the account's "
        "@username or forward a message from it instead."
    ),
    "report.problem.result_unsupported_link": (
        "That Telegram link does not point to a channel, group, bot, user or post. Send the "
        "link of the result itself, or its @username."
    ),
    "report.problem.result_hidden_user": (
        "This person hides their account in forwarded messages, so I can't tell who it is. "
        "Please send their @username or a link instead."
    ),
    "report.problem.result_private_unknown": (
        "I can't identify that private chat. Please send its invite link (t.me/+…) or the "
        "@username or link of the result."
    ),
    "report.problem.result_too_long": (
        "That message is too long to be a link. Send just the link or @username."
    ),
    "report.problem.comment_empty": "The comment is empty. Send some text, or tap Skip.",
    "report.problem.comment_too_long": (
        "That comment is too long ({comment_max} characters at most). Please shorten it, or "
        "tap Skip."
    ),
    "report.problem.skip_not_here": "Only the comment can be skipped; please answer the question.",
    "report.one_message.target": "",
    "report.one_message.category": "The category is missing.",
    "report.one_message.unknown_category": "I don't know the category “{given}”.",
    "report.one_message.query": "The search words are missing.",
    "report.one_message.query_too_long": "The search words are too long (256 characters at most).",
    "report.one_message.usage": (
        "To report in one message, send:\n<code>/report &lt;link or @username&gt; "
        "&lt;category&gt; &lt;what you searched for&gt;</code>\nfor example "
        "<code>/report @example_channel drugs buy pills</code>, or <code>/report term drugs "
        "&lt;search words&gt;</code> when the search words themselves are illegal.\n"
        "Or just send /report and I'll ask step by step.\n\n<b>Categories</b>\n{categories}"
    ),
    # --- what people send instead of text -----------------------------------------------
    "media.sticker": "a sticker",
    "media.photo": "a photo",
    "media.video": "a video",
    "media.animation": "a GIF",
    "media.voice": "a voice message",
    "media.video_note": "a video message",
    "media.audio": "an audio file",
    "media.document": "a file",
    "media.contact": "a contact",
    "media.location": "a location",
    "media.venue": "a venue",
    "media.poll": "a poll",
    "media.dice": "a dice",
    "media.story": "a story",
    "media.game": "a game",
    "media.forward": "a forwarded message",
    "media.other": "that kind of message",
    # --- targets -----------------------------------------------------------------------
    "kind.channel": "channel",
    "kind.group": "group",
    "kind.bot": "bot",
    "kind.user": "user",
    "kind.public": "account",
    "target.named": "{kind} {name}",
    "target.title": "“{title}”",
    "target.by_id": "{kind} with id {chat_id}",
    "target.private": "private chat (id {chat_id})",
    "target.post": "post {post_id} in {chat}",
    "target.post_private": "post {post_id} in a private chat (id {chat_id})",
    "target.post_by_id": "post {post_id} in the chat with id {chat_id}",
    "target.term": "search term “{term}”",
    "target.invite": "private chat (invite link)",
    # --- categories (short names are the keys) -----------------------------------------
    "category.drugs": "Illegal drugs",
    "category.csam": "Child sexual abuse material",
    "category.terrorism": "Terrorism or violent extremism",
    "category.scam": "Scam or fraud",
    "category.weapons": "Weapons",
    "category.violence": "Violence or gore",
    "category.doxxing": "Personal data / doxxing",
    "category.illegal_goods": "Other illegal goods or services",
    "category.other": "Other",
    "category.list_line": "<code>{short_name}</code> — {label}",
    # --- /myreports and /notify ------------------------------------------------------------
    "myreports.empty": "You have not filed any reports yet. Send /report to file one.",
    "myreports.title": "<b>Your recent reports</b> ({count})",
    "myreports.line": "#{report_id} · {date} · {target} · {category} · <b>{status}</b>",
    "myreports.footer": "\nI'll tell you when a pending report is decided (/notify off to stop).",
    "status.pending": "pending",
    "status.approved": "approved",
    "status.rejected": "rejected",
    "notify.on": "🔔 I will tell you the outcome of your reports.",
    "notify.off": "🔕 I will not tell you the outcome of your reports.",
    "notify.usage": "Send /notify on or /notify off to change this.",
    # --- the review chat (moderators) --------------------------------------------------------
    "review.case.title": "🚩 <b>Case #{case_id}</b> · {status}",
    "review.case.target": "<b>Target:</b> {target}{resolved}",
    "review.case.resolved": " · id <code>{chat_id}</code>",
    "review.case.private_link": (
        "🔒 <i>A link into a private chat: it opens only for members of that chat, so the "
        "reporters' comments may be all there is to go on.</i>"
    ),
    "review.case.category": "<b>Category:</b> {category}",
    "review.case.counts": "<b>Reports:</b> {reports} · <b>reporters:</b> {reporters}",
    "review.case.queries": "<b>Searched for:</b> {queries}",
    "review.case.comments": "<b>Comments:</b>\n{comments}",
    "review.case.times": "<b>First report:</b> {first} · <b>last:</b> {last}",
    "review.case.choose_category": (
        "👇 <b>Approve as which category?</b> The reported one is marked ✓. Tapping a "
        "category decides the case; ⬅️ Back keeps it pending."
    ),
    "review.case.choose_reason": (
        "👇 <b>Reject for which reason?</b> Tapping a reason decides the case; ⬅️ Back keeps it "
        "pending."
    ),
    "review.decided.approved": (
        "✅ <b>Approved</b> by {who} at {when} · {category} · hidden from search"
    ),
    "review.decided.rejected": "❌ <b>Rejected</b> by {who} at {when} · {reason}",
    "review.status.pending": "pending",
    "review.status.approved": "approved",
    "review.status.rejected": "rejected",
    "review.button.approve": "✅ Approve",
    "review.button.reject": "❌ Reject",
    "review.button.back": "⬅️ Back",
    "review.button.undo": "↩️ Undo (until {until})",
    "review.reason.not_violation": "Not a violation",
    "review.reason.insufficient": "Insufficient evidence",
    "review.reason.duplicate": "Duplicate",
    "review.reason.false_report": "False or abusive report",
    "review.reason.other": "Other",
    "review.alert.not_moderator": "Only moderators can review this.",
    "review.alert.already": "Already {decision} by {who} at {when}.",
    "review.alert.stale": "This button is no longer valid; the case message shows its state.",
    "review.alert.undo_expired": "The undo window has passed.",
    "review.alert.undo_not_yours": "Only the moderator who decided, or an admin, can undo.",
    "review.alert.undone": "Undone: the case is pending again.",
    "review.alert.not_decided": "This case is not decided.",
    "review.alert.saving": "Saving your decision; the case message will show the outcome.",
    "review.case.escalated": "⚠️ <b>Escalated</b> to admins and legal officers by {who} at {when}",
    "review.case.escalation_note": "<b>Escalation note:</b> {note}",
    "review.case.note": "• {who}: {note}",
    "review.case.notes": "<b>Moderators' notes</b> ({count}):\n{notes}",
    "review.case.provisional": (
        "🔒 <b>Hidden from search provisionally</b> since {when}: trusted reporters agree. "
        "A reject lifts it."
    ),
    "review.case.provisional_lifted": "🔓 Provisional hiding lifted by the reject.",
    "review.button.escalate": "⚠️ Escalate",
    "review.button.post": "📤 #{case_id}",
    "review.alert.escalated": (
        "This case is escalated: only an admin or a legal officer can decide it now."
    ),
    "review.alert.escalated_hint": (
        "Escalated to admins and legal officers. To add a note, reply to the case message "
        "with /escalate and your note."
    ),
    "review.alert.other_hint": (
        "Rejected as “other”. To explain, reply to the case message with /reject and your "
        "explanation (possible while Undo is shown)."
    ),
    "review.alert.posting": "Case #{case_id} goes to the review chat next.",
    "review.case.copy_above": (
        "📌 <b>Live post.</b> An earlier copy from {when} may be above (sent just before a "
        "restart): its buttons act here, and pressing one removes it."
    ),
    "review.case.copy_retired": (
        "↪️ Extra copy of case #{case_id}, no longer used. The live post: {link}"
    ),
    "review.case.copy_below": "further down this chat",
    "review.alert.copy": (
        "That was an extra copy of case #{case_id} (sent twice around a restart); it is being "
        "removed. Your press counts on the live post below."
    ),
    "review.alert.busy": (
        "Telegram's message limit for this chat is used up for the moment; try again in "
        "{seconds} s."
    ),
    "review.newer_case": (
        "Case #{case_id} cannot go back to pending: the target has a newer open case. Decide "
        "that one instead."
    ),
    "review.digest": Plural(
        one=(
            "📥 <b>Backlog: {count} case</b> is waiting to be posted. Telegram lets me post "
            "about {per_minute} a minute here, so cases come highest priority first. Send "
            "/queue to see the queue in priority order and post any case now."
        ),
        other=(
            "📥 <b>Backlog: {count} cases</b> are waiting to be posted. Telegram lets me post "
            "about {per_minute} a minute here, so they come highest priority first. Send /queue "
            "to see them in priority order and post any one now."
        ),
    ),
    "review.digest_cleared": "✅ The backlog is cleared: every pending case is in this chat.",
    "console.open": "🖥 Open the console",
    "review.digest_severe": Plural(
        one=(
            "⏰ <b>{count} severe case waiting longer than {minutes} min</b> (#{case_id}, "
            "since {since}). Send /queue to see it by priority."
        ),
        other=(
            "⏰ <b>{count} severe cases waiting longer than {minutes} min</b> (the oldest, "
            "#{case_id}, since {since}). Send /queue to see them by priority."
        ),
    ),
    "review.queue.title": (
        "<b>Review queue</b> by priority · pending {pending}, not yet posted {unposted}, "
        "escalated {escalated} (/queue escalated)"
    ),
    "review.queue.title_escalated": (
        "<b>Escalated cases</b> by priority · {escalated} waiting for an admin or a legal officer"
    ),
    "review.queue.entry": (
        "{position}. #{case_id} · {category} · {reporters} · {target} · {where}"
    ),
    "review.queue.posted": "posted {link}",
    "review.count.reporters": Plural(one="{count} reporter", other="{count} reporters"),
    "review.queue.unposted": "not posted yet",
    "review.queue.empty": "🎉 No pending cases. The queue is empty.",
    "review.queue.empty_escalated": "No escalated cases are waiting.",
    "review.queue.escalated_only": "Only admins and legal officers can see the escalated queue.",
    "review.queue.not_moderator": "Only moderators can see the review queue.",
    "review.queue.usage": (
        "Send /queue for the review queue or /queue escalated for escalated cases."
    ),
    "review.reject.usage": (
        "Reply to a case message with /reject and your explanation to reject it as “other”."
    ),
    "review.escalate.usage": (
        "Reply to a case message with /escalate and an optional note to escalate it."
    ),
    "review.refused.decided": "This case is already decided, so that does not apply any more.",
    "review.refused.not_yours": (
        "Only the moderator who rejected the case, or an admin, can explain it."
    ),
    "review.refused.empty": "The text is empty; write something after the command.",
    "review.refused.too_long": "That is too long: keep notes under 500 characters.",
    "review.refused.posted": "That case is already in the review chat.",
    # --- appeals --------------------------------------------------------------------------
    "appeal.usage": (
        "To appeal a decision, send /appeal, the link or @username of the channel, group, bot, "
        "user or post, and why the decision is wrong, e.g.\n"
        "<code>/appeal @example_channel We removed the posts that were reported.</code>"
    ),
    "appeal.bad_target": (
        "I can't read “{given}” as a link or @username. Send /appeal, then the t.me link or "
        "@username, then your statement."
    ),
    "appeal.statement_short": (
        "Please explain why the decision is wrong: at least {minimum} characters after the link."
    ),
    "appeal.statement_long": "Your statement is too long: keep it under {maximum} characters.",
    "appeal.filed": (
        "⚖️ <b>Appeal #{appeal_id} received.</b> A moderator who did not make the original "
        "decision will look at it, and I will tell you the outcome."
    ),
    "appeal.pending": (
        "ℹ️ You already appealed this decision (appeal #{appeal_id}); it is waiting for a "
        "moderator. I will tell you the outcome."
    ),
    "appeal.nothing.unknown": (
        "There is no decision on that target to appeal. Check the link or @username."
    ),
    "appeal.nothing.under_review": (
        "That target is under review right now, so there is no decision to appeal yet."
    ),
    "appeal.limit": "You can file at most {limit} appeals a day. Please try again tomorrow.",
    "appeal.case.title": "⚖️ <b>Appeal #{appeal_id}</b> against case #{case_id} · {status}",
    "appeal.case.original": "<b>Decision appealed:</b> {decision} at {when}",
    "appeal.case.statement": "<b>Statement:</b> {statement}",
    "appeal.case.filed": "<b>Filed:</b> {when}",
    "appeal.case.other_moderator": (
        "<i>A moderator other than the one who made the decision must decide this.</i>"
    ),
    "appeal.decided.upheld": "✅ <b>Upheld</b> by {who} at {when}: the decision stands.",
    "appeal.decided.overturned": (
        "↩️ <b>Overturned</b> by {who} at {when}: case #{case_id} is back for review and its "
        "effects are reversed."
    ),
    "appeal.status.pending": "pending",
    "appeal.status.upheld": "upheld",
    "appeal.status.overturned": "overturned",
    "appeal.button.uphold": "✅ Uphold",
    "appeal.button.overturn": "↩️ Overturn",
    "appeal.alert.same_moderator": (
        "You made the original decision, so another moderator must decide this appeal."
    ),
    "appeal.refused.same_moderator": (
        "The moderator who made the original decision cannot decide its appeal."
    ),
    "appeal.refused.decision_changed": (
        "The decision was changed after this appeal was filed, so it cannot be overturned; "
        "uphold it to close the appeal."
    ),
    "appeal.refused.newer_case": (
        "The target has a newer open case, so the old decision cannot go back to review. "
        "Decide the newer case instead."
    ),
    "appeal.refused.not_allowed": "Only moderators can decide appeals.",
    "notify.appeal.upheld": (
        "⚖️ Your appeal #{appeal_id} was reviewed by another moderator: the decision stands."
    ),
    "notify.appeal.overturned": (
        "⚖️ Your appeal #{appeal_id} was accepted: the decision is reversed and the case goes "
        "back to review."
    ),
    # --- outcomes for reporters -----------------------------------------------------------
    "notify.outcome.approved": (
        "✅ Your report #{report_id} on {target}: the moderators confirmed a violation "
        "({category}). Now hidden from search: {target}. Thank you for reporting."
    ),
    "notify.outcome.rejected": (
        "ℹ️ Your report #{report_id} on {target} was reviewed. The moderators found no "
        "violation they can act on this time. Thank you for reporting."
    ),
    "notify.outcome.target_gone": "what you reported",
    "notify.severe_wait": Plural(
        one=(
            "⏰ <b>Severe cases are waiting too long.</b> {count} pending case of a severe "
            "category has waited longer than {minutes} min for review: case #{case_id}, "
            "waiting since {since}. Send /queue in the review chat to see it. You are told "
            "once until none waits too long; the review chat's digest shows the count."
        ),
        other=(
            "⏰ <b>Severe cases are waiting too long.</b> {count} pending cases of a severe "
            "category have waited longer than {minutes} min for review; the oldest is case "
            "#{case_id}, waiting since {since}. Send /queue in the review chat to see them. You "
            "are told once until none waits too long; the review chat's digest shows the count."
        ),
    ),
}
