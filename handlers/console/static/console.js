// The moderators' console: a Telegram Mini App served by the bot itself.
//
// It signs in with the init data Telegram hands the page (checked by the server, never
// trusted here), keeps the short-lived session token in sessionStorage (a reload within the
// session needs no new sign-in: Telegram hands the same init data again and the server
// refuses a replay), and works the review queue through the console API. Everything the
// server sends is shown as text (textContent), never as HTML, links or embedded media.
// No framework, no build step, no third-party resource but Telegram's own script.

import { makeT, pickLanguage } from "./console-i18n.js";
import { applyTheme, applyViewport } from "./console-theme.js";
import { renderLegal } from "./legal.js";
import { renderAdmin } from "./admin.js";

const API_ROOT = "/console/api";
const SESSION_KEY = "console.session";
const REFRESH_MS = 15000;
const BULK_MAX = 100;

const tg = window.Telegram?.WebApp ?? null;
const $ = (id) => document.getElementById(id);

/** An answer the API refused: `error` is the contract's code, `message` says what to do. */
export class ApiError extends Error {
  constructor(status, error, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.error = error;
  }
}

const state = {
  t: makeT("en"),
  language: "en",
  session: null,
  tab: null,
  rendered: new Set(),
  queue: [],
  categories: [],
  reasons: [],
  selected: new Set(),
  cursorId: null,
  caseId: null,
  caseData: null,
  viewers: [],
  busy: false,
  timer: null,
  announceTimer: null,
  lost: false,
};

const t = (key, vars) => state.t(key, vars);

// ---------------------------------------------------------------- API

async function request(method, path, body, withSession = true) {
  const url = path.startsWith("/console/")
    ? path
    : `${API_ROOT}${path.startsWith("/") ? "" : "/"}${path}`;
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (withSession && state.session) headers.Authorization = `Bearer ${state.session.token}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, "network", t("error.network"));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      (data && data.error) || `http_${response.status}`,
      (data && data.message) || t("error.server", { status: response.status }),
    );
    if (withSession && response.status === 401) sessionLost(error);
    throw error;
  }
  return data;
}

/** The wrapper the panels get: parsed JSON back, an ApiError thrown on refusal. */
export const api = {
  get: (path) => request("GET", path),
  post: (path, body) => request("POST", path, body ?? {}),
};

// ---------------------------------------------------------------- small helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmtAge(seconds) {
  if (seconds === null || seconds === undefined) return t("summary.none");
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return t("time.now");
  if (s < 3600) return t("time.min", { n: Math.floor(s / 60) });
  if (s < 86400) return t("time.hour", { n: Math.floor(s / 3600) });
  return t("time.day", { n: Math.floor(s / 86400) });
}

function fmtTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  try {
    return new Intl.DateTimeFormat(state.language, {
      dateStyle: "short",
      timeStyle: "short",
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

/** A counted phrase: `key.one`, `key.few`, `key.many` or `key.other` by the language's rules. */
function plural(key, count) {
  let rule = "other";
  try {
    rule = new Intl.PluralRules(state.language).select(Number(count));
  } catch {
    rule = Number(count) === 1 ? "one" : "other";
  }
  const wanted = `${key}.${rule}`;
  const text = t(wanted, { count });
  return text === wanted ? t(`${key}.other`, { count }) : text;
}

function labelOf(list, key) {
  return list.find((item) => item.key === key)?.label ?? key ?? "";
}

function stateLabel(status) {
  const key = `state.${status}`;
  const label = t(key);
  return label === key ? String(status ?? "") : label;
}

function kindLabel(kind) {
  const key = `kind.${kind}`;
  const label = t(key);
  return label === key ? String(kind) : label;
}

const ANNOUNCE_MS = 8000;

function announce(message) {
  const region = $("announce");
  region.textContent = "";
  window.clearTimeout(state.announceTimer);
  // A fresh text node makes screen readers repeat an identical message.
  window.requestAnimationFrame(() => {
    region.textContent = message;
    state.announceTimer = window.setTimeout(() => {
      region.textContent = "";
    }, ANNOUNCE_MS);
  });
}

function applyStaticTexts() {
  document.documentElement.lang = state.language;
  document.title = t("app.title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-label]")) {
    node.setAttribute("aria-label", t(node.dataset.tLabel));
  }
}

function setLanguage(code) {
  state.language = pickLanguage(code);
  state.t = makeT(state.language);
  applyStaticTexts();
}

// ---------------------------------------------------------------- screens

function showScreen(which) {
  $("screen-loading").hidden = which !== "loading";
  $("screen-error").hidden = which !== "error";
  const app = which === "app";
  $("tabs").hidden = !app;
  $("help-button").hidden = !app;
  if (!app) {
    for (const panel of document.querySelectorAll(".panel")) panel.hidden = true;
  }
}

function showError(code, serverMessage, { retry = false } = {}) {
  const titleKey = `error.${code}.title`;
  const textKey = `error.${code}.text`;
  const title = t(titleKey);
  const text = t(textKey);
  $("error-title").textContent = title === titleKey ? t("error.title") : title;
  // The server's message already says what was wrong and what to do, in the user's language;
  // the page's own words stand in when there is none (outside Telegram, no connection).
  const ours = text === textKey ? t("error.generic.text") : text;
  $("error-text").textContent = serverMessage || ours;
  $("error-retry").hidden = !retry;
  $("screen-error").dataset.code = code;
  showScreen("error");
  $("error-title").setAttribute("tabindex", "-1");
  $("error-title").focus();
}

function sessionLost(error) {
  if (state.lost) return;
  state.lost = true;
  sessionStorage.removeItem(SESSION_KEY);
  state.session = null;
  window.clearInterval(state.timer);
  const code = error.error === "session_expired" ? "session_expired" : "no_session";
  showError(code, error.message);
}

// ---------------------------------------------------------------- sign-in

function initDataId(initData) {
  // The init data's own signature names it; the raw string itself is not kept.
  try {
    return new URLSearchParams(initData).get("hash") || "";
  } catch {
    return "";
  }
}

function storedSession(initData) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    // Not checked against this device's clock: the server judges expiry (a stale token is
    // told "session_expired"), and the same init data could open no new session anyway.
    if (!stored || !stored.token || stored.init !== initDataId(initData)) return null;
    return stored;
  } catch {
    return null;
  }
}

async function signIn() {
  const initData = tg?.initData || "";
  const stored = storedSession(initData);
  if (stored) return stored;
  if (!initData) throw new ApiError(0, "no_telegram", "");
  const session = await request("POST", "/session", { init_data: initData }, false);
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...session, init: initDataId(initData) }));
  return session;
}

async function start() {
  setLanguage(tg?.initDataUnsafe?.user?.language_code);
  if (!tg) {
    showError("no_telegram");
    return;
  }
  applyTheme(tg);
  applyViewport(tg);
  tg.onEvent?.("themeChanged", () => applyTheme(tg));
  tg.onEvent?.("viewportChanged", () => applyViewport(tg));
  tg.ready?.();
  tg.expand?.();
  showScreen("loading");
  try {
    state.session = await signIn();
  } catch (error) {
    const code = error instanceof ApiError ? error.error : "generic";
    showError(code, error.message, { retry: code === "network" });
    return;
  }
  state.lost = false;
  setLanguage(state.session.user?.language);
  openApp();
}

// ---------------------------------------------------------------- tabs

function availableTabs() {
  const may = state.session.may || {};
  const tabs = [];
  if (may.review || may.escalated) tabs.push("review");
  if (may.legal) tabs.push("legal");
  if (may.admin) tabs.push("admin");
  return tabs;
}

function openApp() {
  const tabs = availableTabs();
  if (!tabs.length) {
    showError("not_staff");
    return;
  }
  $("who").textContent = t("user.signed_in", { name: state.session.user?.name ?? "" });
  const nav = $("tabs");
  nav.replaceChildren();
  for (const name of tabs) {
    const button = el("button", {
      type: "button",
      role: "tab",
      id: `tab-${name}`,
      "aria-controls": `panel-${name}`,
      "aria-selected": "false",
      tabindex: "-1",
      text: t(`tab.${name}`),
    });
    button.addEventListener("click", () => selectTab(name));
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = tabs[(tabs.indexOf(name) + step + tabs.length) % tabs.length];
      selectTab(next);
      $(`tab-${next}`).focus();
    });
    nav.append(button);
    $(`panel-${name}`).setAttribute("aria-labelledby", `tab-${name}`);
  }
  nav.hidden = tabs.length < 2;
  showScreen("app");
  nav.hidden = tabs.length < 2;
  $("help-button").hidden = !tabs.includes("review");
  selectTab(tabs[0]);
  window.clearInterval(state.timer);
  state.timer = window.setInterval(refresh, REFRESH_MS);
}

function selectTab(name) {
  state.tab = name;
  for (const button of $("tabs").querySelectorAll("[role=tab]")) {
    const on = button.id === `tab-${name}`;
    button.setAttribute("aria-selected", on ? "true" : "false");
    button.tabIndex = on ? 0 : -1;
  }
  for (const panel of ["review", "legal", "admin"]) $(`panel-${panel}`).hidden = panel !== name;
  $("skip-link").hidden = name !== "review";
  if (state.rendered.has(name)) return;
  state.rendered.add(name);
  if (name === "review") {
    setupReview();
  } else {
    const render = name === "legal" ? renderLegal : renderAdmin;
    const root = $(`panel-${name}`);
    Promise.resolve()
      .then(() => render(root, api, t))
      .catch((error) => {
        if (error instanceof ApiError && error.status === 401) return;
        root.replaceChildren(el("p", { role: "alert", text: error.message || t("error.server") }));
      });
  }
}

// ---------------------------------------------------------------- review: filters

const AGES = {
  "": {},
  lt1h: { max_age_minutes: 60 },
  "1to24h": { min_age_minutes: 60, max_age_minutes: 1440 },
  gt24h: { min_age_minutes: 1440 },
  gt7d: { min_age_minutes: 10080 },
};

function fillSelect(select, options, { any = true } = {}) {
  const current = select.value;
  select.replaceChildren();
  if (any) select.append(el("option", { value: "", text: t("filters.any") }));
  for (const [value, label] of options) select.append(el("option", { value, text: label }));
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

function fillFilters() {
  fillSelect(
    $("f-category"),
    state.categories.map((c) => [c.key, c.label]),
  );
  const may = state.session?.may || {};
  const states = ["pending", "escalated", "provisional"].filter(
    (s) => s !== "escalated" || may.escalated,
  );
  fillSelect(
    $("f-state"),
    states.map((s) => [s, t(`state.${s}`)]),
  );
  fillSelect(
    $("f-age"),
    Object.keys(AGES)
      .filter(Boolean)
      .map((a) => [a, t(`age.${a}`)]),
  );
  fillSelect(
    $("f-kind"),
    // The domain's TargetKind values, as the server takes them and case answers name them.
    ["channel", "group", "bot", "user", "post", "invite", "public", "search_term"].map((k) => [
      k,
      kindLabel(k),
    ]),
  );
}

function filters() {
  const chosen = {};
  if ($("f-category").value) chosen.category = $("f-category").value;
  if ($("f-state").value) chosen.state = $("f-state").value;
  if ($("f-kind").value) chosen.kind = $("f-kind").value;
  Object.assign(chosen, AGES[$("f-age").value] || {});
  return chosen;
}

// ---------------------------------------------------------------- review: queue

function setupReview() {
  fillFilters();
  $("filters").addEventListener("change", () => loadQueue());
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadQueue();
  });
  $("queue-refresh").addEventListener("click", () => loadQueue());
  $("queue-next").addEventListener("click", () => nextCase(null));
  $("bulk-all").addEventListener("click", () => {
    for (const item of state.queue) state.selected.add(item.id);
    renderQueue();
  });
  $("bulk-clear").addEventListener("click", () => {
    state.selected.clear();
    renderQueue();
  });
  $("bulk-prefix-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const prefix = $("bulk-prefix").value.trim();
    if (!prefix) return;
    for (const item of state.queue) {
      if (String(item.target?.key ?? "").startsWith(prefix)) state.selected.add(item.id);
    }
    renderQueue();
    announce(t("bulk.selected", { count: state.selected.size }));
  });
  $("bulk-approve").addEventListener("click", () => openBulk("approve"));
  $("bulk-reject").addEventListener("click", () => openBulk("reject"));
  $("bulk-dialog-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runBulk();
  });
  $("bulk-dialog-cancel").addEventListener("click", () => $("bulk-dialog").close());
  setupCase();
  // Filters stand open beside the queue on a wide screen, folded on a phone; the bulk tools
  // open once a case is selected.
  const wide = window.matchMedia("(min-width: 900px)");
  const unfold = () => {
    $("filters-box").open = wide.matches;
  };
  unfold();
  wide.addEventListener("change", unfold);
  setView("queue");
  $("case-none").textContent = t("case.none");
  loadQueue();
}

async function loadQueue() {
  const query = new URLSearchParams({ ...filters(), limit: "100" });
  let data;
  try {
    data = await api.get(`/queue?${query}`);
  } catch (error) {
    if (error.status !== 401) announce(error.message);
    return;
  }
  state.queue = data.cases || [];
  const categoriesChanged =
    JSON.stringify(state.categories) !== JSON.stringify(data.categories || []);
  state.categories = data.categories || [];
  state.reasons = data.reasons || [];
  if (categoriesChanged) {
    fillFilters();
    fillDecisionChoices();
  }
  const present = new Set(state.queue.map((c) => c.id));
  for (const id of [...state.selected]) if (!present.has(id)) state.selected.delete(id);
  renderSummary(data.summary || {});
  renderQueue();
  $("queue-updated").textContent = t("queue.updated", { time: fmtTime(new Date().toISOString()) });
}

function renderSummary(summary) {
  const figures = [
    ["summary.count", summary.count ?? 0],
    ["summary.oldest", fmtAge(summary.oldest_age_seconds)],
    ["summary.inbound", summary.inbound_per_hour ?? 0],
    ["summary.decided", summary.decided_per_hour ?? 0],
    ["summary.median", fmtAge(summary.median_handling_seconds)],
  ];
  $("summary").replaceChildren(
    ...figures.map(([key, value]) =>
      el(
        "div",
        { "data-figure": key.split(".")[1] },
        el("dt", { text: t(key) }),
        el("dd", { text: value }),
      ),
    ),
  );
}

function badge(kind) {
  return el("span", { class: `badge ${kind}`, text: t(`flag.${kind}`) });
}

function renderQueue() {
  const list = $("queue");
  const focused = document.activeElement?.closest?.("#queue li")?.dataset.id;
  const focusedCheckbox = document.activeElement?.type === "checkbox";
  list.replaceChildren();
  for (const item of state.queue) {
    const id = item.id;
    const checkbox = el("input", {
      type: "checkbox",
      id: `select-${id}`,
      "aria-label": t("queue.select", { id }),
      checked: state.selected.has(id),
    });
    checkbox.addEventListener("change", () => {
      if (checkbox.checked) state.selected.add(id);
      else state.selected.delete(id);
      updateBulkCount();
    });
    const facts = [
      plural("queue.reporters", item.reporters ?? 0),
      t("queue.age", { age: fmtAge(item.age_seconds) }),
    ];
    if (item.viewers?.length) facts.push(t("queue.viewing", { names: item.viewers.join(", ") }));
    if (item.claimed_by) facts.push(t("queue.claimed", { name: item.claimed_by }));
    const open = el(
      "button",
      { type: "button", class: "open", id: `open-${id}`, "data-id": id },
      el(
        "span",
        { class: "line1" },
        `#${id} · ${item.category_label ?? item.category ?? ""}`,
        item.overdue ? badge("overdue") : null,
        item.escalated ? badge("escalated") : null,
        item.provisional ? badge("provisional") : null,
      ),
      el(
        "span",
        { class: "line2" },
        `${kindLabel(item.target?.kind)} · `,
        item.target?.display ?? "",
      ),
      el("span", { class: "line3" }, facts.join(" · ")),
    );
    open.addEventListener("click", () => {
      setCursor(id);
      openCase(id);
    });
    const row = el("li", { "data-id": id }, checkbox, open);
    if (id === state.cursorId) row.classList.add("current");
    if (id === state.caseId) {
      row.classList.add("open-case");
      open.setAttribute("aria-current", "true");
    }
    list.append(row);
  }
  $("queue-empty").textContent = t("queue.empty");
  $("queue-empty").hidden = state.queue.length > 0;
  updateBulkCount();
  if (focused) {
    const again = focusedCheckbox ? $(`select-${focused}`) : $(`open-${focused}`);
    again?.focus({ preventScroll: true });
  }
}

function updateBulkCount() {
  if (state.selected.size) $("bulk-box").open = true;
  const count = t("bulk.selected", { count: state.selected.size });
  $("bulk-count").textContent = count;
  $("bulk-summary-count").textContent = state.selected.size ? ` (${count})` : "";
}

function setCursor(id) {
  state.cursorId = id;
  for (const row of $("queue").children) {
    row.classList.toggle("current", row.dataset.id === String(id));
  }
}

function moveCursor(step) {
  if (!state.queue.length) return;
  const ids = state.queue.map((c) => c.id);
  let index = ids.indexOf(state.cursorId);
  if (index < 0) index = step > 0 ? 0 : ids.length - 1;
  else index = Math.min(ids.length - 1, Math.max(0, index + step));
  setCursor(ids[index]);
  if (narrow()) setView("queue");
  $(`open-${ids[index]}`)?.focus();
}

// ---------------------------------------------------------------- review: one case

function narrow() {
  return !window.matchMedia("(min-width: 900px)").matches;
}

function setView(view) {
  $("panel-review").dataset.view = view;
  const back = tg?.BackButton;
  if (!back) return;
  if (view === "case" && narrow()) back.show?.();
  else back.hide?.();
}

function setupCase() {
  $("case-back").addEventListener("click", () => {
    setView("queue");
    $(`open-${state.caseId}`)?.focus();
  });
  tg?.BackButton?.onClick?.(() => {
    setView("queue");
  });
  for (const radio of document.querySelectorAll("#decide-form input[name=decision]")) {
    radio.addEventListener("change", showDecisionFields);
  }
  $("d-reason").addEventListener("change", showDecisionFields);
  $("decide-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitDecision(false);
  });
  $("d-submit-next").addEventListener("click", () => submitDecision(true));
  $("case-skip").addEventListener("click", () => nextCase(state.caseId));
  $("case-undo").addEventListener("click", undo);
  $("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    addNote();
  });
  $("help-button").addEventListener("click", showHelp);
  fillDecisionChoices();
  showDecisionFields();
}

function fillDecisionChoices() {
  fillSelect(
    $("d-category"),
    state.categories.map((c) => [c.key, c.label]),
    { any: false },
  );
  fillSelect(
    $("d-reason"),
    state.reasons.map((r) => [r.key, r.label]),
    { any: false },
  );
  if (state.caseData) $("d-category").value = state.caseData.category;
}

function chosenDecision() {
  return document.querySelector("#decide-form input[name=decision]:checked")?.value ?? "";
}

function showDecisionFields() {
  const decision = chosenDecision();
  $("d-category-row").hidden = decision !== "approve";
  $("d-reason-row").hidden = decision !== "reject";
  // A rejection carries a note only for the reason "other" (the server refuses it otherwise).
  const noted =
    decision === "escalate" || (decision === "reject" && $("d-reason").value === "other");
  $("d-note-row").hidden = !noted;
}

function chooseDecision(decision) {
  if (!state.caseData || $("decide-form").inert) return;
  const radio = $(`d-${decision}`);
  if (radio.disabled) return;
  radio.checked = true;
  showDecisionFields();
  const field = { approve: "d-category", reject: "d-reason", escalate: "d-note" }[decision];
  $(field).focus();
}

async function openCase(id) {
  let data;
  try {
    data = await api.get(`/cases/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status !== 401) announce(error.message);
    return;
  }
  showCase(data, { focus: true });
}

function showCase(data, { focus = false, reveal = true, outcome = "" } = {}) {
  const c = data.case;
  const fresh = c.id !== state.caseId;
  state.caseId = c.id;
  state.caseData = c;
  state.viewers = data.viewers || [];
  $("case-none").hidden = true;
  $("case").hidden = false;
  renderCaseHead(c);
  renderDecided(c);
  renderCaseBody(c);
  if (fresh) {
    $("decide-form").reset();
    $("note-form").reset();
    $("d-approve").checked = true;
    fillDecisionChoices();
    $("case-outcome").textContent = outcome;
    const key = String(c.target?.key ?? "");
    $("bulk-prefix").value = key.split("/")[0];
  } else if (outcome) {
    $("case-outcome").textContent = outcome;
  }
  showDecisionFields();
  setDecisionOpen(!c.decided);
  for (const row of $("queue").children) {
    const on = row.dataset.id === String(c.id);
    row.classList.toggle("open-case", on);
    row.querySelector(".open")?.toggleAttribute("aria-current", on);
  }
  if (fresh) setCursor(c.id);
  if (reveal) setView("case"); // a refresh leaves a phone on the queue if it went back there
  if (focus) {
    $("case-title").focus();
  }
}

function setDecisionOpen(open) {
  const form = $("decide-form");
  form.querySelector("fieldset").disabled = !open;
  $("d-submit").disabled = !open;
  $("d-submit-next").disabled = !open;
  form.dataset.open = open ? "true" : "false";
}

function renderCaseHead(c) {
  const title = el("h2", { id: "case-title", tabindex: "-1" }, t("case.title", { id: c.id }));
  const flags = el(
    "p",
    {},
    c.escalated ? badge("escalated") : null,
    c.provisional ? badge("provisional") : null,
  );
  const facts = el(
    "p",
    { class: "meta" },
    [
      t("case.category", { category: c.category_label ?? c.category }),
      t("case.status", { status: stateLabel(c.status) }),
      plural("queue.reporters", c.reporters ?? 0),
    ].join(" · "),
  );
  const escalation = c.escalation
    ? el(
        "p",
        { class: "meta", id: "case-escalation" },
        t("case.escalation", { by: c.escalation.by ?? "", at: fmtTime(c.escalation.at) }),
        c.escalation.note ? ` · ${c.escalation.note}` : "",
      )
    : null;
  const viewers = state.viewers.length
    ? el("p", {
        class: "viewers",
        id: "case-viewers",
        text: t("case.viewers", { names: state.viewers.join(", ") }),
      })
    : null;
  const parts = [title, facts, flags.childNodes.length ? flags : null, escalation, viewers];
  $("case-head").replaceChildren(...parts.filter(Boolean));
}

function renderDecided(c) {
  const box = $("case-decided");
  const d = c.decided;
  // The server gives undo_until only while the window is open (by its clock, not this one's).
  const canUndo = Boolean(d) && Boolean(c.undo_until);
  $("case-undo").hidden = !canUndo;
  if (!d) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const parts = [
    stateLabel(d.decision),
    d.category ? labelOf(state.categories, d.category) : "",
    d.reason ? labelOf(state.reasons, d.reason) : "",
  ]
    .filter(Boolean)
    .join(", ");
  const lines = [
    el("strong", { text: `${d.by ?? ""}: ${parts}` }),
    el("span", { class: "meta", text: ` · ${fmtTime(d.at)}` }),
    canUndo
      ? el("p", { class: "meta", text: t("case.undo_until", { time: fmtTime(c.undo_until) }) })
      : null,
    el("p", { class: "meta", text: t("decide.decided_already") }),
  ];
  box.replaceChildren(...lines.filter(Boolean));
  box.hidden = false;
}

function section(titleKey, content) {
  return el("section", {}, el("h3", { text: t(titleKey) }), content);
}

function headerCell(key) {
  return el("th", { scope: "col", text: t(key) });
}

function tableRow(cells) {
  return el("tr", {}, ...cells.map((cell) => el("td", { text: cell ?? "" })));
}

function table(columns, rows) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, ...columns.map(headerCell))),
      el("tbody", {}, ...rows.map(tableRow)),
    ),
  );
}

function renderCaseBody(c) {
  const target = c.target || {};
  const parts = [
    section(
      "case.target",
      el(
        "dl",
        { class: "target" },
        el("dt", { text: t("case.target.kind") }),
        el("dd", { text: kindLabel(target.kind) }),
        el("dt", { text: t("case.target.display") }),
        el("dd", { text: target.display ?? "" }),
        el("dt", { text: t("case.target.key") }),
        el("dd", {}, el("code", { id: "case-key", text: target.key ?? "" })),
      ),
    ),
  ];
  const reports = c.reports || [];
  parts.push(
    section(
      "case.reports",
      el(
        "ol",
        { id: "case-reports" },
        ...reports.map((r) =>
          el(
            "li",
            {},
            el("span", { class: "meta", text: `${fmtTime(r.at)} · ` }),
            `${t("case.report.query")}: `,
            el("code", { text: r.query || t("case.report.none") }),
            el("br"),
            `${t("case.report.comment")}: ${r.comment || t("case.report.none")}`,
          ),
        ),
      ),
    ),
  );
  const history = c.history || [];
  parts.push(
    section(
      "case.history",
      history.length
        ? table(
            ["col.case", "col.status", "col.decision", "col.category", "col.at"],
            history.map((h) => [
              `#${h.case_id}`,
              stateLabel(h.status),
              h.decision ? stateLabel(h.decision) : "",
              labelOf(state.categories, h.category),
              fmtTime(h.at),
            ]),
          )
        : el("p", { class: "hint", text: t("case.history.none") }),
    ),
  );
  const appeals = c.appeals || [];
  parts.push(
    section(
      "case.appeals",
      appeals.length
        ? table(
            ["col.appeal", "col.status", "col.outcome", "col.at"],
            appeals.map((a) => [
              `#${a.id}`,
              stateLabel(a.status),
              a.outcome ? stateLabel(a.outcome) : "",
              fmtTime(a.at),
            ]),
          )
        : el("p", { class: "hint", text: t("case.appeals.none") }),
    ),
  );
  const notes = c.notes || [];
  parts.push(
    section(
      "case.notes",
      notes.length
        ? el(
            "ul",
            { id: "case-notes" },
            ...notes.map((n) =>
              el(
                "li",
                {},
                el("span", { class: "meta", text: `${n.author ?? ""} · ${fmtTime(n.at)}: ` }),
                n.text ?? "",
              ),
            ),
          )
        : el("p", { class: "hint", text: t("case.notes.none") }),
    ),
  );
  const snapshots = c.snapshots || [];
  if (snapshots.length) {
    parts.push(
      section(
        "case.snapshots",
        el(
          "ul",
          {},
          ...snapshots.map((s) =>
            el(
              "li",
              {},
              typeof s === "object" && s !== null
                ? Object.entries(s)
                    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`)
                    .join(" · ")
                : String(s),
            ),
          ),
        ),
      ),
    );
  }
  const audit = c.audit || [];
  parts.push(
    section(
      "case.audit",
      audit.length
        ? table(
            ["col.at", "col.action", "col.actor"],
            audit.map((a) => [fmtTime(a.at), a.action, a.actor]),
          )
        : el("p", { class: "hint", text: t("case.audit.none") }),
    ),
  );
  $("case-body").replaceChildren(...parts);
}

async function refreshCase() {
  if (!state.caseId) return;
  try {
    const data = await api.get(`/cases/${encodeURIComponent(state.caseId)}`);
    if (data.case.id === state.caseId) showCase(data, { reveal: false });
  } catch {
    // The next refresh tries again; a lost session already shows its screen.
  }
}

function outcomeText(result) {
  if (result.message) return result.message;
  const key = `outcome.${result.outcome}`;
  const text = t(key);
  return text === key ? String(result.outcome ?? "") : text;
}

async function act(work) {
  if (state.busy) return;
  state.busy = true;
  try {
    await work();
  } catch (error) {
    if (error.status === 401) return;
    const message = error.status === 403 && !error.message ? t("error.forbidden") : error.message;
    $("case-outcome").textContent = message;
    announce(message);
  } finally {
    state.busy = false;
  }
}

function decisionBody() {
  const decision = chosenDecision();
  const note = $("d-note").value.trim();
  if (decision === "approve") return { decision, category: $("d-category").value };
  if (decision === "reject") {
    const body = { decision, reason: $("d-reason").value };
    if (note && body.reason === "other") body.note = note;
    return body;
  }
  if (decision === "escalate") return note ? { decision, note } : { decision };
  return null;
}

function submitDecision(andNext) {
  if (!state.caseData || $("decide-form").dataset.open !== "true") return;
  const body = decisionBody();
  if (!body) return;
  const id = state.caseId;
  return act(async () => {
    const result = await api.post(`/cases/${encodeURIComponent(id)}/decide`, body);
    const message = outcomeText(result);
    announce(message);
    if (result.case) {
      showCase({ case: result.case, viewers: state.viewers }, { outcome: message });
    } else {
      $("case-outcome").textContent = message;
    }
    $("case").dataset.outcome = result.outcome ?? "";
    if (andNext) {
      await serveNext(null, message);
    }
    loadQueue();
  });
}

function nextCase(skip) {
  return act(async () => {
    await serveNext(skip, "");
    loadQueue();
  });
}

async function serveNext(skip, previousOutcome) {
  const result = await api.post("/next", { skip: skip ?? null, ...filters() });
  if (result.case) {
    showCase({ case: result.case, viewers: result.viewers || [] }, { focus: true });
    $("case-outcome").textContent = previousOutcome;
  } else {
    state.caseId = null;
    state.caseData = null;
    $("case").hidden = true;
    $("case-none").hidden = false;
    setView("queue");
    const message = [previousOutcome, t("outcome.queue_empty")].filter(Boolean).join(" ");
    $("case-none").textContent = t("outcome.queue_empty");
    announce(message);
  }
}

function undo() {
  const id = state.caseId;
  return act(async () => {
    const result = await api.post(`/cases/${encodeURIComponent(id)}/undo`, {});
    const message = outcomeText(result);
    announce(message);
    $("case-outcome").textContent = message;
    await refreshCase();
    loadQueue();
  });
}

function addNote() {
  const text = $("note-text").value.trim();
  if (!text) {
    announce(t("note.empty"));
    $("note-text").focus();
    return;
  }
  const id = state.caseId;
  return act(async () => {
    const result = await api.post(`/cases/${encodeURIComponent(id)}/notes`, { text });
    $("note-text").value = "";
    if (result.case) showCase({ case: result.case, viewers: state.viewers });
    announce(t("outcome.note_added"));
  });
}

// ---------------------------------------------------------------- bulk

function openBulk(decision) {
  const ids = [...state.selected];
  if (!ids.length) {
    announce(t("bulk.none"));
    return;
  }
  if (ids.length > BULK_MAX) {
    announce(t("bulk.too_many", { count: ids.length }));
    return;
  }
  const dialog = $("bulk-dialog");
  dialog.dataset.decision = decision;
  $("bulk-dialog-title").textContent = t("bulk.confirm.title", { count: ids.length });
  $("bulk-dialog-label").textContent = t(`bulk.confirm.${decision}`, { count: ids.length });
  const choices = decision === "approve" ? state.categories : state.reasons;
  fillSelect($("bulk-dialog-choice"), choices.map((c) => [c.key, c.label]), { any: false });
  $("bulk-dialog-text").textContent = t("bulk.confirm.text");
  $("bulk-dialog-go").textContent = t("bulk.confirm.go", { count: ids.length });
  $("bulk-dialog-go").hidden = false;
  $("bulk-dialog-choice").disabled = false;
  $("bulk-dialog-cancel").textContent = t("dialog.cancel");
  $("bulk-results").hidden = true;
  $("bulk-results-list").replaceChildren();
  dialog.showModal();
  $("bulk-dialog-choice").focus();
}

async function runBulk() {
  const dialog = $("bulk-dialog");
  const decision = dialog.dataset.decision;
  const ids = [...state.selected];
  const body = { case_ids: ids, decision, confirm: true };
  body[decision === "approve" ? "category" : "reason"] = $("bulk-dialog-choice").value;
  $("bulk-dialog-go").disabled = true;
  let result;
  try {
    result = await api.post("/bulk", body);
  } catch (error) {
    if (error.status !== 401) announce(error.message);
    $("bulk-dialog-go").disabled = false;
    return;
  }
  $("bulk-dialog-go").disabled = false;
  const results = result.results || [];
  const ok = results.filter((r) => r.outcome === "decided").length;
  $("bulk-results-list").replaceChildren(
    ...results.map((r) =>
      el(
        "li",
        { class: r.outcome === "decided" ? "ok" : "fail", "data-case": r.case_id },
        `#${r.case_id}: ${r.message || r.outcome}`,
      ),
    ),
  );
  $("bulk-results").hidden = false;
  $("bulk-dialog-go").hidden = true;
  $("bulk-dialog-choice").disabled = true;
  $("bulk-dialog-cancel").textContent = t("help.close");
  $("bulk-dialog-cancel").focus();
  announce(t("bulk.done", { ok, count: results.length }));
  state.selected.clear();
  await loadQueue();
  if (state.caseId && ids.includes(state.caseId)) refreshCase();
}

// ---------------------------------------------------------------- keyboard

const SHORTCUTS = [
  ["j / ↓", "help.j"],
  ["k / ↑", "help.k"],
  ["Enter", "help.enter"],
  ["a", "help.a"],
  ["r", "help.r"],
  ["e", "help.e"],
  ["n", "help.n"],
  ["Shift + Enter", "help.submit_next"],
  ["?", "help.help"],
  ["Esc", "help.esc"],
];

function showHelp() {
  $("help-list").replaceChildren(
    ...SHORTCUTS.flatMap(([keys, key]) => [
      el(
        "dt",
        {},
        ...keys.split(" / ").flatMap((k, i) => [i ? " / " : null, el("kbd", { text: k })]),
      ),
      el("dd", { text: t(key) }),
    ]),
  );
  $("help-dialog").showModal();
}

function typingIn(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  if (target.tagName === "INPUT") {
    return !["checkbox", "radio", "button", "submit"].includes(target.type);
  }
  return false;
}

function onKey(event) {
  if (event.defaultPrevented || event.isComposing) return;
  if (!state.session || state.tab !== "review") return;
  if (document.querySelector("dialog[open]")) return;
  const target = event.target;
  const modified = event.ctrlKey || event.metaKey || event.altKey;
  if (event.key === "Enter" && event.shiftKey && !modified) {
    if (target instanceof Element && target.closest("#note-form")) {
      event.preventDefault();
      addNote();
      return;
    }
    if (typingIn(target) && !target.closest("#decide-form")) return;
    if ($("decide-form").dataset.open === "true" && state.caseData) {
      event.preventDefault();
      submitDecision(true);
    }
    return;
  }
  if (event.key === "Escape" && typingIn(target)) {
    target.blur();
    return;
  }
  if (typingIn(target) || modified) return;
  const isRadio = target instanceof HTMLInputElement && target.type === "radio";
  switch (event.key) {
    case "j":
    case "ArrowDown":
      if (isRadio && event.key === "ArrowDown") return;
      event.preventDefault();
      moveCursor(1);
      break;
    case "k":
    case "ArrowUp":
      if (isRadio && event.key === "ArrowUp") return;
      event.preventDefault();
      moveCursor(-1);
      break;
    case "Enter":
      if (target instanceof Element && target.closest("button, a, input, summary")) return;
      if (state.cursorId !== null) {
        event.preventDefault();
        openCase(state.cursorId);
      }
      break;
    case "a":
      event.preventDefault();
      chooseDecision("approve");
      break;
    case "r":
      event.preventDefault();
      chooseDecision("reject");
      break;
    case "e":
      event.preventDefault();
      chooseDecision("escalate");
      break;
    case "n":
      if (!state.caseData) return;
      event.preventDefault();
      $("note-text").focus();
      break;
    case "?":
      event.preventDefault();
      showHelp();
      break;
    default:
  }
}

// ---------------------------------------------------------------- refresh and boot

function refresh() {
  if (document.hidden || !state.session || state.lost) return;
  if (state.rendered.has("review")) {
    loadQueue();
    refreshCase();
  }
}

document.addEventListener("keydown", onKey);
document.addEventListener("visibilitychange", refresh);
$("error-retry").addEventListener("click", () => start());

start();
