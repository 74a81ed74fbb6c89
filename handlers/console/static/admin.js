// The admins' panel: the /stats figures over 7 days, 30 days or all time, with a chart of
// reports and decisions per day (inline SVG built here, no library, with the same figures as
// a table for screen readers), and the roles and grants as /roles lists them.
//
// Built with DOM calls only (textContent, never innerHTML), no inline styles or scripts.

import { addStyles, el, formatTime, language, panelStrings, svg } from "./panels.js";

const STRINGS = {
  en: {
    title: "Team figures",
    window: "Period",
    "window.7d": "Last 7 days",
    "window.30d": "Last 30 days",
    "window.all": "All time",
    loading: "Loading figures…",
    failed_load: "The figures could not be loaded: {message}",
    failed_roles: "The roles could not be loaded: {message}",
    figures: "Figures",
    reports: "Reports",
    reporters: "Different reporters",
    targets: "Different targets",
    cases: "Cases opened",
    decisions: "Decisions",
    approved: "Approved",
    rejected: "Rejected",
    approval_rate: "Approval rate",
    median: "Median time to decision",
    p90: "90% decided within",
    pending_now: "Pending now",
    oldest: "Oldest pending",
    oldest_value: "case #{id} ({label}), waiting {age}",
    violators_new: "New confirmed violators",
    violators_total: "Confirmed violators in all",
    legal: "Legal requests received / rejected / disclosed / open",
    chart: "Reports and decisions per day",
    chart_summary: "Reports: {reports}, decisions: {decisions}, days: {days}; the busiest day: {max}.",
    day: "Day",
    by_category: "By category",
    category: "Category",
    pending: "Pending",
    total: "Total",
    moderators: "Decisions by moderator",
    moderator: "Moderator",
    top_targets: "Most reported targets",
    target: "Target (canonical key)",
    none: "None in this period.",
    roles: "Roles and grants",
    person: "Person",
    role: "Role",
    source: "Held by",
    granted_by: "Proposed by",
    granted_at: "When",
    confirmed_by: "Confirmed by",
    "role.admin": "admin",
    "role.moderator": "moderator",
    "role.legal": "legal officer",
    "source.settings": "the settings",
    "source.granted": "a grant",
    "source.unsealed": "an unsealed grant (does not count for legal steps)",
    "source.proposed": "a proposal waiting for a second admin (until {until})",
    no_roles: "Nobody holds a role.",
    "unit.s": "{n} s",
    "unit.min": "{n} min",
    "unit.h": "{n} h",
    "unit.d": { one: "{n} day", other: "{n} days" },
  },
  ru: {
    title: "Показатели команды",
    window: "Период",
    "window.7d": "Последние 7 дней",
    "window.30d": "Последние 30 дней",
    "window.all": "За всё время",
    loading: "Загружаю показатели…",
    failed_load: "Не удалось загрузить показатели: {message}",
    failed_roles: "Не удалось загрузить роли: {message}",
    figures: "Показатели",
    reports: "Жалобы",
    reporters: "Разных авторов жалоб",
    targets: "Разных объектов",
    cases: "Открыто дел",
    decisions: "Решения",
    approved: "Одобрено",
    rejected: "Отклонено",
    approval_rate: "Доля одобрений",
    median: "Медиана времени до решения",
    p90: "90% решены за",
    pending_now: "Ждут решения сейчас",
    oldest: "Самое давнее",
    oldest_value: "дело №{id} ({label}), ждёт {age}",
    violators_new: "Новых подтверждённых нарушителей",
    violators_total: "Подтверждённых нарушителей всего",
    legal: "Юридические запросы: получено / отклонено / раскрыто / открыто",
    chart: "Жалобы и решения по дням",
    chart_summary: "Жалоб: {reports}, решений: {decisions}, дней: {days}; больше всего за день: {max}.",
    day: "День",
    by_category: "По категориям",
    category: "Категория",
    pending: "Ждут",
    total: "Всего",
    moderators: "Решения по модераторам",
    moderator: "Модератор",
    top_targets: "Объекты с наибольшим числом жалоб",
    target: "Объект (канонический ключ)",
    none: "За этот период ничего нет.",
    roles: "Роли и назначения",
    person: "Кто",
    role: "Роль",
    source: "Основание",
    granted_by: "Предложил",
    granted_at: "Когда",
    confirmed_by: "Подтвердил",
    "role.admin": "администратор",
    "role.moderator": "модератор",
    "role.legal": "юрист",
    "source.settings": "настройки",
    "source.granted": "назначение",
    "source.unsealed": "назначение без печати (не считается для юридических шагов)",
    "source.proposed": "предложение ждёт второго администратора (до {until})",
    no_roles: "Ни у кого нет роли.",
    "unit.s": "{n} с",
    "unit.min": "{n} мин",
    "unit.h": "{n} ч",
    "unit.d": { one: "{n} день", few: "{n} дня", many: "{n} дней", other: "{n} дня" },
  },
};

const WINDOWS = ["7d", "30d", "all"];

/** Renders the admin panel into `root` (see renderLegal for `api` and `t`). */
export async function renderAdmin(root, api, t) {
  addStyles();
  const s = panelStrings(STRINGS, t);
  const select = el("select", { id: "admin-window" });
  for (const w of WINDOWS) select.append(el("option", { value: w, text: s(`window.${w}`) }));
  const status = el("p", { className: "outcome", role: "status", "aria-live": "polite" });
  const figures = el("div", { className: "admin-figures" });
  const roles = el("section", { className: "admin-roles", "aria-labelledby": "admin-roles-title" });
  root.replaceChildren(
    el("h2", { id: "admin-title", text: s("title") }),
    el(
      "div",
      { className: "row" },
      el("label", { htmlFor: "admin-window" }, el("span", { text: s("window") }), select),
    ),
    status,
    figures,
    roles,
  );

  async function loadStats() {
    figures.setAttribute("aria-busy", "true");
    status.textContent = s("loading");
    try {
      const data = await api.get(`/console/api/stats?window=${encodeURIComponent(select.value)}`);
      figures.replaceChildren(...statsView(data, s));
      status.textContent = "";
    } catch (error) {
      status.textContent = s("failed_load", { message: messageOf(error) });
    }
    figures.removeAttribute("aria-busy");
  }

  async function loadRoles() {
    try {
      const data = await api.get("/console/api/roles");
      roles.replaceChildren(...rolesView(data, s));
    } catch (error) {
      roles.replaceChildren(el("p", { className: "outcome", text: s("failed_roles", { message: messageOf(error) }) }));
    }
  }

  select.addEventListener("change", () => loadStats());
  await Promise.all([loadStats(), loadRoles()]);
}

function messageOf(error) {
  return (error && (error.message || error.error)) || String(error);
}

function number(n) {
  return new Intl.NumberFormat(language()).format(n);
}

function duration(seconds, s) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 120) return s("unit.s", { n: number(seconds) });
  if (seconds < 2 * 3600) return s("unit.min", { n: number(Math.round(seconds / 60)) });
  if (seconds < 2 * 86400) return s("unit.h", { n: number(Math.round(seconds / 3600)) });
  const days = Math.round(seconds / 86400);
  return s("unit.d", { n: number(days), count: days });
}

function table(caption, headers, rows, empty, s) {
  if (!rows.length) {
    return el("section", {}, el("h3", { text: caption }), el("p", { className: "hint", text: empty || s("none") }));
  }
  const head = el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })));
  const body = el(
    "tbody",
    {},
    ...rows.map(([first, ...rest]) =>
      el("tr", {}, el("th", { scope: "row", text: first }), ...rest.map((c) => el("td", { text: c }))),
    ),
  );
  return el(
    "div",
    { className: "table-wrap" },
    el("table", {}, el("caption", { text: caption }), el("thead", {}, head), body),
  );
}

function statsView(d, s) {
  const rate = d.decisions.approval_rate;
  const pairs = [
    ["reports", number(d.reports.total.total)],
    ["reporters", number(d.reach.reporters)],
    ["targets", number(d.reach.targets)],
    ["cases", number(d.cases.total.total)],
    ["decisions", number(d.decisions.total)],
    ["approved", number(d.decisions.approved)],
    ["rejected", number(d.decisions.rejected)],
    ["approval_rate", rate === null ? "—" : `${Math.round(rate * 100)}%`],
    ["median", duration(d.decisions.median_seconds, s)],
    ["p90", duration(d.decisions.p90_seconds, s)],
    ["pending_now", number(d.pending_now)],
    [
      "oldest",
      d.oldest_pending
        ? s("oldest_value", {
            id: d.oldest_pending.case_id,
            label: d.oldest_pending.label,
            age: duration(d.oldest_pending.age_seconds, s),
          })
        : "—",
    ],
    ["violators_new", number(d.violators.new)],
    ["violators_total", number(d.violators.total)],
    ["legal", [d.legal.received, d.legal.rejected, d.legal.disclosed, d.legal.open_now].map(number).join(" / ")],
  ];
  const dl = el("dl", { className: "summary admin-summary", "aria-label": s("figures") });
  for (const [key, value] of pairs) dl.append(el("div", {}, el("dt", { text: s(key) }), el("dd", { text: value })));
  return [
    dl,
    chart(d.series, s),
    table(
      s("by_category"),
      [s("category"), s("reports"), s("pending"), s("approved"), s("rejected")],
      d.reports.by_category.map((c) => [c.label, number(c.total), number(c.pending), number(c.approved), number(c.rejected)]),
      null,
      s,
    ),
    table(
      s("moderators"),
      [s("moderator"), s("decisions"), s("approved"), s("rejected")],
      d.moderators.map((m) => [m.name || `#${m.id}`, number(m.total), number(m.approved), number(m.rejected)]),
      null,
      s,
    ),
    table(
      s("top_targets"),
      [s("target"), s("reports"), s("reporters")],
      d.top_targets.map((x) => [x.key, number(x.reports), number(x.reporters)]),
      null,
      s,
    ),
  ];
}

/** Grouped bars per day (reports, decisions), as an SVG image with a text summary, and the
 * same figures as a table behind a disclosure for screen readers and keyboard users. */
function chart(series, s) {
  const days = series.days;
  const width = 640;
  const height = 200;
  const pad = { left: 36, right: 8, top: 10, bottom: 24 };
  const most = Math.max(1, ...series.reports, ...series.decisions);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(1, Math.min(14, slot / 2 - 1));
  const y = (v) => pad.top + plotH - (v / most) * plotH;
  const total = (xs) => xs.reduce((a, b) => a + b, 0);
  const summary = s("chart_summary", {
    reports: number(total(series.reports)),
    decisions: number(total(series.decisions)),
    days: number(days.length),
    max: number(most),
  });
  const titleId = "admin-chart-title";
  const image = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": titleId,
    class: "chart",
  });
  image.append(svg("title", { id: titleId }, `${s("chart")}. ${summary}`));
  image.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0), class: "axis" }));
  for (const tick of [0, Math.round(most / 2), most]) {
    image.append(svg("text", { x: pad.left - 4, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, number(tick)));
  }
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  days.forEach((day, i) => {
    const x = pad.left + i * slot + slot / 2;
    const r = series.reports[i];
    const dcs = series.decisions[i];
    image.append(svg("rect", { x: x - bar - 0.5, y: y(r), width: bar, height: y(0) - y(r), class: "bar-reports" }));
    image.append(svg("rect", { x: x + 0.5, y: y(dcs), width: bar, height: y(0) - y(dcs), class: "bar-decisions" }));
    if (i % labelEvery === 0) {
      image.append(svg("text", { x, y: height - 6, class: "tick", "text-anchor": "middle" }, day.slice(5)));
    }
  });
  const legend = el(
    "p",
    { className: "chart-legend", "aria-hidden": "true" },
    el("span", { className: "key key-reports" }),
    ` ${s("reports")}  `,
    el("span", { className: "key key-decisions" }),
    ` ${s("decisions")}`,
  );
  const data = table(
    s("chart"),
    [s("day"), s("reports"), s("decisions")],
    days.map((day, i) => [day, number(series.reports[i]), number(series.decisions[i])]),
    null,
    s,
  );
  return el(
    "figure",
    { className: "admin-chart" },
    image,
    legend,
    el("figcaption", { text: summary }),
    el("details", {}, el("summary", { text: s("chart") }), data),
  );
}

function person(p) {
  return p ? (p.name ? `${p.name} (${p.id})` : String(p.id)) : "—";
}

function rolesView(data, s) {
  const rows = data.roles.map((r) => [
    person(r.user),
    s(`role.${r.role}`),
    s(`source.${r.source}`, { until: formatTime(r.expires_at) }),
    person(r.granted_by),
    r.granted_at ? formatTime(r.granted_at) : "—",
    person(r.confirmed_by),
  ]);
  return [
    el("h3", { id: "admin-roles-title", text: s("roles") }),
    table(
      s("roles"),
      [s("person"), s("role"), s("source"), s("granted_by"), s("granted_at"), s("confirmed_by")],
      rows,
      s("no_roles"),
      s,
    ),
  ];
}
