// What the legal and admin panels share: building elements without innerHTML, their strings
// in the page's language (en or ru, from <html lang>), times in the reader's locale, and their
// own stylesheet (a file of this folder: the page's CSP allows no inline style).

/** The page's language: "ru" or "en" (the page sets <html lang> from the session). */
export function language() {
  const lang = (document.documentElement.lang || "en").toLowerCase();
  return lang.startsWith("ru") ? "ru" : "en";
}

/** A translator over a panel's own strings ({en: {...}, ru: {...}}): the page's language,
 * then English, then the page's own `t`, then the key itself. A string about a number of
 * things is an object of plural forms ({one, few, many, other}: CLDR's, as Intl picks them
 * for `vars.count`), never a hedge like "day(s)". */
export function panelStrings(strings, t) {
  return (key, vars = {}) => {
    const lang = language();
    let own = (strings[lang] || {})[key];
    if (own === undefined) own = strings.en[key];
    if (own !== null && typeof own === "object") {
      const form = new Intl.PluralRules(own === strings.en[key] ? "en" : lang).select(vars.count ?? 0);
      own = own[form] ?? own.other;
    }
    const text = own ?? (typeof t === "function" ? t(key, vars) : key);
    return String(text).replace(/\{(\w+)\}/g, (match, name) =>
      name in vars ? String(vars[name]) : match,
    );
  };
}

/** An element with properties (`text` sets textContent; other keys are properties when the
 * element has them, attributes otherwise) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = value;
    else if (key in node && !key.includes("-")) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** An SVG element with attributes. */
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

/** A time the server sent (ISO 8601) in the reader's language, to the minute, in UTC as the
 * chat's texts are. */
export function formatTime(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return (
    when.toLocaleString(language(), {
      timeZone: "UTC",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    }) + " UTC"
  );
}

/** The panels' stylesheet, added once. */
export function addStyles() {
  if (document.getElementById("panels-css")) return;
  const link = document.createElement("link");
  link.id = "panels-css";
  link.rel = "stylesheet";
  link.href = new URL("./panels.css", import.meta.url).href;
  document.head.append(link);
}
