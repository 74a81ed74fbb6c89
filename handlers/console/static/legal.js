// The legal officers' panel: their open requests with the analysis checklist, the votes
// (who, when), the approvals needed and the disclosure's status; approve or reject with the
// same sealed vote as /legal in the private chat. Admins see it read-only. No phone number or
// IP address ever reaches this page (the server sends a target's kind only), and a disclosure
// is only named here: it is received through /legal in the private chat.
//
// Built with DOM calls only (textContent, never innerHTML), no inline styles or scripts.

import { addStyles, el, formatTime, panelStrings } from "./panels.js";

const STRINGS = {
  en: {
    title: "Legal requests",
    loading: "Loading legal requests…",
    empty: "No open legal requests. Register one with /legal new in your chat with the bot.",
    readonly: "You are reading as an admin: only legal officers vote.",
    refresh: "Refresh",
    request: "Request #{id}",
    status: "Status",
    reference: "Reference",
    authority: "Authority",
    country: "Country",
    order: "Order",
    offence: "Offence",
    target: "Target",
    violator: "Violator",
    period: "Period",
    registered: "Registered",
    analysis: "Written analysis",
    yes: "yes",
    no: "not yet",
    overridden: "Failed checks overridden by an admin",
    checklist: "Analysis checklist",
    check: "Check",
    result: "Result",
    note: "Note",
    passed: "passed",
    failed: "failed",
    votes: "Votes (approvals: {approved} of {needed})",
    no_votes: "No votes yet.",
    officer: "Officer",
    vote: "Vote",
    when: "When",
    approve: "approve",
    reject: "reject",
    voided: "voided {at}: {reason}",
    disclosure: "Disclosure",
    disclosure_none: "not yet (approvals needed: {needed})",
    disclosure_due:
      "approved: an officer receives it by sending /legal disclose {id} to the bot in the private chat",
    disclosure_done: "made {at}; the files went to the officer in the private chat",
    your_vote: "Your vote on request #{id}",
    approve_button: "Approve request #{id}",
    reject_button: "Reject request #{id}",
    reason: "Reason for rejecting (required)",
    reason_missing: "Write why you reject the request first.",
    sending: "Sending your vote…",
    not_voting: "Votes are taken while a request is under analysis.",
    failed_load: "The legal requests could not be loaded: {message}",
  },
  ru: {
    title: "Юридические запросы",
    loading: "Загружаю юридические запросы…",
    empty: "Открытых юридических запросов нет. Зарегистрируйте запрос командой /legal new в чате с ботом.",
    readonly: "Вы смотрите как администратор: голосуют только юристы.",
    refresh: "Обновить",
    request: "Запрос #{id}",
    status: "Состояние",
    reference: "Номер документа",
    authority: "Орган",
    country: "Страна",
    order: "Документ",
    offence: "Правонарушение",
    target: "Цель",
    violator: "Нарушитель",
    period: "Период",
    registered: "Зарегистрирован",
    analysis: "Письменный анализ",
    yes: "есть",
    no: "ещё нет",
    overridden: "Непройденные проверки сняты администратором",
    checklist: "Проверки анализа",
    check: "Проверка",
    result: "Итог",
    note: "Пояснение",
    passed: "пройдена",
    failed: "не пройдена",
    votes: "Голоса (одобрено: {approved} из {needed})",
    no_votes: "Голосов пока нет.",
    officer: "Юрист",
    vote: "Голос",
    when: "Когда",
    approve: "одобрить",
    reject: "отклонить",
    voided: "аннулирован {at}: {reason}",
    disclosure: "Раскрытие",
    disclosure_none: "ещё нет (нужно одобрений: {needed})",
    disclosure_due:
      "одобрено: юрист получает его, отправив боту /legal disclose {id} в личном чате",
    disclosure_done: "сделано {at}; файлы ушли юристу в личный чат",
    your_vote: "Ваш голос по запросу #{id}",
    approve_button: "Одобрить запрос #{id}",
    reject_button: "Отклонить запрос #{id}",
    reason: "Причина отклонения (обязательно)",
    reason_missing: "Сначала напишите, почему вы отклоняете запрос.",
    sending: "Отправляю ваш голос…",
    not_voting: "Голосуют, пока запрос на анализе.",
    failed_load: "Не удалось загрузить юридические запросы: {message}",
  },
};

/** Renders the legal panel into `root`; `api.get`/`api.post` return parsed JSON or throw an
 * error carrying {error, message}; `t` is the page's translator (unused keys fall back). */
export async function renderLegal(root, api, t) {
  addStyles();
  const s = panelStrings(STRINGS, t);
  const status = el("p", { className: "outcome", role: "status", "aria-live": "polite" });
  const list = el("div", { className: "legal-list" });
  const refresh = el("button", { type: "button", text: s("refresh") });
  const heading = el("h2", { id: "legal-title", text: s("title") });
  root.replaceChildren(
    el("div", { className: "panel-head" }, heading, refresh),
    status,
    list,
  );

  async function load(message) {
    list.setAttribute("aria-busy", "true");
    status.textContent = message || s("loading");
    let data;
    try {
      data = await api.get("/console/api/legal");
    } catch (error) {
      status.textContent = s("failed_load", { message: messageOf(error) });
      list.removeAttribute("aria-busy");
      return;
    }
    status.textContent = message || "";
    list.replaceChildren(...requestsView(data, s, vote));
    list.removeAttribute("aria-busy");
  }

  async function vote(id, body, controls) {
    controls.forEach((c) => (c.disabled = true));
    status.textContent = s("sending");
    let answer;
    try {
      answer = await api.post(`/console/api/legal/${id}/vote`, body);
    } catch (error) {
      controls.forEach((c) => (c.disabled = false));
      status.textContent = messageOf(error);
      return;
    }
    await load(answer.message);
  }

  refresh.addEventListener("click", () => load());
  await load();
}

function messageOf(error) {
  return (error && (error.message || error.error)) || String(error);
}

function requestsView(data, s, vote) {
  const views = [];
  if (!data.may_vote) views.push(el("p", { className: "hint", text: s("readonly") }));
  if (!data.requests.length) {
    views.push(el("p", { text: s("empty") }));
    return views;
  }
  for (const request of data.requests) views.push(requestView(request, data.may_vote, s, vote));
  return views;
}

function requestView(r, mayVote, s, vote) {
  const titleId = `legal-request-${r.id}`;
  const article = el("article", { className: "legal-request", "aria-labelledby": titleId });
  article.append(
    el("h3", { id: titleId, text: `${s("request", { id: r.id })} · ${r.status_label}` }),
    facts(r, s),
    checklist(r, s),
    votes(r, s),
    el("p", {}, el("strong", { text: `${s("disclosure")}: ` }), disclosureText(r, s)),
  );
  if (mayVote) article.append(voteForm(r, s, vote));
  return article;
}

function facts(r, s) {
  const rows = [
    ["status", r.status_label],
    ["reference", r.reference],
    ["authority", r.authority],
    ["country", r.country],
    ["order", r.order_type],
    ["offence", r.offence],
    ["target", r.target],
    ["violator", r.violator_id ? `#${r.violator_id}` : "—"],
    ["period", `${r.period.start} – ${r.period.end}`],
    ["registered", `${r.registered.by}, ${formatTime(r.registered.at)}`],
    ["analysis", r.analysis_written ? s("yes") : s("no")],
  ];
  const dl = el("dl", { className: "facts" });
  for (const [key, value] of rows) dl.append(el("dt", { text: s(key) }), el("dd", { text: value }));
  if (r.overridden) dl.append(el("dt", { text: s("overridden") }), el("dd", { text: s("yes") }));
  return dl;
}

function table(caption, headers, rows) {
  const head = el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })));
  const body = el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells)));
  return el(
    "div",
    { className: "table-wrap" },
    el("table", {}, el("caption", { text: caption }), el("thead", {}, head), body),
  );
}

function checklist(r, s) {
  return table(
    s("checklist"),
    [s("check"), s("result"), s("note")],
    r.checklist.map((c) => [
      el("th", { scope: "row", text: c.label }),
      el("td", { className: c.ok ? "ok" : "failed", text: s(c.ok ? "passed" : "failed") }),
      el("td", { text: c.note }),
    ]),
  );
}

function votes(r, s) {
  const caption = s("votes", { approved: r.approved, needed: r.needed });
  if (!r.approvals.length) {
    return el("div", {}, el("h4", { text: caption }), el("p", { className: "hint", text: s("no_votes") }));
  }
  return table(
    caption,
    [s("officer"), s("vote"), s("when"), s("note")],
    r.approvals.map((v) => [
      el("th", { scope: "row", text: v.by }),
      el("td", { text: s(v.vote) }),
      el("td", { text: formatTime(v.at) }),
      el("td", {
        text: [v.reason, v.voided && s("voided", { at: formatTime(v.voided.at), reason: v.voided.reason || "—" })]
          .filter(Boolean)
          .join(" · ") || "—",
      }),
    ]),
  );
}

function disclosureText(r, s) {
  const d = r.disclosure;
  if (!d) return s("disclosure_none", { needed: r.needed });
  if (d.status === "due") return s("disclosure_due", { id: r.id });
  return s("disclosure_done", { at: d.at ? formatTime(d.at) : "—" });
}

function voteForm(r, s, vote) {
  const legendText = s("your_vote", { id: r.id });
  if (r.status !== "under_analysis") {
    return el("p", { className: "hint", text: s("not_voting") });
  }
  const reasonId = `legal-reason-${r.id}`;
  const reason = el("textarea", { id: reasonId, rows: "2", maxLength: 1000 });
  const approve = el("button", { type: "button", className: "primary", text: s("approve_button", { id: r.id }) });
  const reject = el("button", { type: "button", text: s("reject_button", { id: r.id }) });
  const controls = [approve, reject, reason];
  const problem = el("p", { className: "outcome", role: "alert" });
  approve.addEventListener("click", () => vote(r.id, { vote: "approve" }, controls));
  reject.addEventListener("click", () => {
    const text = reason.value.trim();
    if (!text) {
      problem.textContent = s("reason_missing");
      reason.focus();
      return;
    }
    problem.textContent = "";
    vote(r.id, { vote: "reject", reason: text }, controls);
  });
  return el(
    "fieldset",
    { className: "legal-vote" },
    el("legend", { text: legendText }),
    el("label", { htmlFor: reasonId }, el("span", { text: s("reason") }), reason),
    problem,
    el("div", { className: "actions" }, approve, reject),
  );
}
