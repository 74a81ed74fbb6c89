// The legal officers' panel. A placeholder until the panel itself is written: console.js
// imports renderLegal(root, api, t) and shows the tab to legal officers.

export async function renderLegal(root, api, t) {
  const note = document.createElement("p");
  note.textContent = t("panel.unavailable");
  root.replaceChildren(note);
}
