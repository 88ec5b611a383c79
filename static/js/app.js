// Small behaviours the pages ask for with data- attributes. The Content-Security-Policy allows
// no inline script and no on*="" handler attributes, so they live here (loaded by base.html).
// No framework: pages work without this file; it only adds conveniences.
"use strict";

// <input data-select-on-focus>: focusing the field selects its text, ready to copy
// (the new API key, shown once).
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-focus")) {
    field.select();
  }
});
