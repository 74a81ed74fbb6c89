// Telegram's theme and viewport for the console page: themeParams become --tg-* CSS
// variables (console.css falls back to its own light and dark colours without them), with
// hint and link colours moved toward the text colour where they would read below WCAG AA
// (4.5:1) on the background; the stable viewport height becomes the layout's height.

const THEME = {
  bg_color: "--tg-bg",
  text_color: "--tg-text",
  hint_color: "--tg-hint",
  link_color: "--tg-link",
  button_color: "--tg-button",
  button_text_color: "--tg-button-text",
  secondary_bg_color: "--tg-secondary-bg",
};

function parseColor(value) {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || "").trim());
  if (!match) return null;
  let hex = match[1];
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join("");
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function toHex(rgb) {
  return `#${rgb.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`;
}

function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `colour` moved toward `toward` until it reads at `ratio` against `bg` (WCAG AA text). */
function readable(colour, bg, toward, ratio = 4.5) {
  for (let step = 0; step <= 10; step += 1) {
    const f = step / 10;
    const mixed = colour.map((v, i) => v + (toward[i] - v) * f);
    if (contrast(mixed, bg) >= ratio) return mixed;
  }
  return toward;
}

export function applyTheme(tg) {
  const params = tg?.themeParams || {};
  const style = document.documentElement.style;
  const colours = {};
  for (const [name, variable] of Object.entries(THEME)) {
    const rgb = parseColor(params[name]);
    if (rgb) {
      colours[name] = rgb;
      style.setProperty(variable, toHex(rgb));
    } else {
      style.removeProperty(variable);
    }
  }
  const bg = colours.bg_color;
  const dark = bg ? luminance(bg) < 0.35 : tg?.colorScheme === "dark";
  document.documentElement.dataset.scheme = tg?.colorScheme || (dark ? "dark" : "light");
  if (bg) {
    const text = colours.text_color || (dark ? [255, 255, 255] : [0, 0, 0]);
    // Telegram's hint grey is often below 4.5:1; nudge it (and links) toward the text colour.
    for (const name of ["hint_color", "link_color"]) {
      if (colours[name] && contrast(colours[name], bg) < 4.5) {
        style.setProperty(THEME[name], toHex(readable(colours[name], bg, text)));
      }
    }
    const danger = dark ? [255, 138, 128] : [179, 38, 30];
    style.setProperty("--tg-danger", toHex(readable(danger, bg, text)));
    const ok = dark ? [139, 212, 154] : [30, 107, 47];
    style.setProperty("--tg-ok", toHex(readable(ok, bg, text)));
  }
}

export function applyViewport(tg) {
  const height = Number(tg?.viewportStableHeight);
  if (height > 0) {
    document.documentElement.style.setProperty("--tg-viewport-stable-height", `${height}px`);
  }
}
