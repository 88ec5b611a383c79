// <button data-copy="ID" data-copied="Copied" hidden>: copies the value (or text) of the
// element with that id and says so on the button for two seconds. The button is hidden in
// the page and shown by this file, so without JavaScript nothing is offered that does
// nothing (the field still selects its text on focus, app.js). A static file: the
// Content-Security-Policy allows no inline script or onclick.
"use strict";

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
}

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element && event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  const source = document.getElementById(button.dataset.copy);
  if (!source) {
    return;
  }
  const text = "value" in source ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard API (a page not served over HTTPS): the older way.
    source.focus();
    if (source.select) {
      source.select();
    }
    document.execCommand("copy");
  }
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  button.textContent = button.dataset.copied || label;
  setTimeout(() => {
    button.textContent = label;
  }, 2000);
});
