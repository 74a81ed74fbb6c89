// The admins' panel. A placeholder until the panel itself is written: console.js imports
// renderAdmin(root, api, t) and shows the tab to admins.

export async function renderAdmin(root, api, t) {
  const note = document.createElement("p");
  note.textContent = t("panel.unavailable");
  root.replaceChildren(note);
}
