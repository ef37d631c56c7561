// New customer: progressive enhancement only. Without this file the form is a plain POST and the identity check
// runs on the server when Save is clicked. With it: the identity check runs while typing (phones, emails, name,
// postal code), Default Email marks Email 1 as required, and Save cannot be clicked twice. The postal autofill
// comes from edit.js (the same code as Customer Information).
(() => {
  "use strict";
  const form = document.getElementById("customer-form");
  if (!form || !form.dataset.checkUrl) return;

  const KEYS = ["home_phone", "work_phone", "cell_phone", "fax", "email1", "email2", "first_name", "last_name",
    "postal_code", "country"];
  const live = document.getElementById("identity-live");
  const field = (name) => form.elements.namedItem(name);
  let timer = null;
  let lastSignature = null;
  let serial = 0;

  function signature(data) {
    return KEYS.map((key) => String(data.get(key) || "").trim()).join("\u0001");
  }

  async function check() {
    const data = new FormData(form);
    for (const name of ["confirmed", "create_anyway"]) data.delete(name);
    const sig = signature(data);
    if (sig === lastSignature) return;
    lastSignature = sig;
    const mine = ++serial;
    try {
      const response = await fetch(form.dataset.checkUrl, {
        method: "POST",
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
        body: data,
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const answer = await response.json();
      // A slower answer to an older check never replaces a newer one; the server's own list (with "Create
      // anyway") stays until a key field changes.
      if (mine === serial && live) live.innerHTML = answer.html;
    } catch (error) {
      lastSignature = null; // try again on the next change; Save still runs the check on the server
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 350);
  }

  form.addEventListener("change", (event) => {
    if (KEYS.includes(event.target.name)) schedule();
  });
  form.addEventListener("focusout", (event) => {
    if (KEYS.includes(event.target.name)) schedule();
  });

  // --- Default Email: Email 1 is required to save ---------------------------------------------------------------
  const defaultEmail = field("default_email");
  const requiredBadge = document.getElementById("email1-required");
  if (defaultEmail && requiredBadge) {
    const sync = () => {
      requiredBadge.hidden = !defaultEmail.checked;
      const email1 = field("email1");
      if (email1) email1.setAttribute("aria-required", defaultEmail.checked ? "true" : "false");
    };
    defaultEmail.addEventListener("change", sync);
    sync();
  }

  // --- Save once: the form's token already makes a second POST harmless; this spares the round trip ---------
  form.addEventListener("submit", (event) => {
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    const clicked = event.submitter;
    for (const button of form.querySelectorAll("button[type=submit]")) {
      // The button that was clicked still sends its name/value (e.g. create_anyway): disable the others now and
      // it right after the submission started.
      if (button !== clicked) button.disabled = true;
    }
    if (clicked) window.setTimeout(() => { clicked.disabled = true; }, 0);
  });
  // Back/forward cache: a page restored after leaving is usable again.
  window.addEventListener("pageshow", () => {
    delete form.dataset.submitting;
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
  });
})();
