// Customer Information: progressive enhancement only. Without this file every action is a plain
// form POST (or a confirm page for the remove X); with it, the postal lookup fills the address,
// and Verified Info and the remove X work without a full reload.
//
// No lost work. The page's other actions (set preferred, turn off/on, VIN types, associations, the X,
// Verified Info, lifts) are separate forms/links that reload or leave the page, which discards what was
// typed in the main form. The simplest robust fix is to block them while the main form differs from what
// was loaded ("Save or undo your changes first"), rather than carrying the typed edits along with every
// action: the server keeps one plain POST per action (nothing changes for no-JS users), and nothing can be
// saved half-way. "Dirty" is a comparison with a snapshot taken at load (and after an X), so undoing a
// change by hand re-enables the actions. A form re-rendered with errors (data-unsaved) holds unsaved work
// from the start. Leaving the page with unsaved edits asks first (beforeunload), except through Save.
// Enter in Postal/Zip runs the lookup instead of submitting, and Save waits for a pending lookup so the
// saved city and province are the looked-up ones.
//
// Words shown to people come from the page, in the reader's language: the data-* attributes of #edit-texts
// (customers.views.edit.edit_texts), whose `%(name)s` placeholders `text()` fills in.
(() => {
  "use strict";
  const form = document.getElementById("customer-form");
  if (!form) return;

  const csrfToken = () => form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const statusBox = document.getElementById("edit-status");
  const field = (name) => form.elements.namedItem(name);
  const jsonHeaders = { Accept: "application/json", "X-Requested-With": "fetch" };

  const texts = document.getElementById("edit-texts")?.dataset || {};
  const text = (key, values = {}) =>
    (texts[key] || "").replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));

  function announce(message, kind = "success") {
    if (statusBox) statusBox.textContent = message;
    const holder = document.createElement("div");
    holder.className = `alert alert-${kind} alert-dismissible py-2`;
    holder.setAttribute("role", kind === "danger" ? "alert" : "status");
    holder.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", text("close"));
    holder.appendChild(close);
    form.parentNode.insertBefore(holder, form);
  }

  // A message beside what caused it (the Verified Info button, a contact row's X).
  function announceAt(target, message, kind = "success") {
    if (!target) return announce(message, kind);
    if (statusBox) statusBox.textContent = message;
    target.textContent = message;
    target.classList.remove("text-success", "text-danger");
    target.classList.add(kind === "danger" ? "text-danger" : "text-success");
  }

  function replaceHistory(html) {
    const panel = document.getElementById("history-panel");
    if (panel && typeof html === "string") panel.innerHTML = html;
  }

  // --- Postal/Zip lookup on leaving the field -------------------------------------------------------
  const postal = form.querySelector("[data-postal-lookup]");
  const postalStatus = document.getElementById("postal-status");
  // The loaded code counts as looked up: leaving it unchanged does not rewrite the address.
  let lastLookup = postal ? postal.value.trim() || null : null;
  let pendingLookup = null;

  function postalLookup() {
    if (!pendingLookup) {
      pendingLookup = runPostalLookup().finally(() => {
        pendingLookup = null;
        refreshDirty();
      });
    }
    return pendingLookup;
  }

  async function runPostalLookup() {
    const code = postal.value.trim();
    if (!code || code === lastLookup) return;
    lastLookup = code;
    const url = new URL(form.dataset.postalUrl, window.location.origin);
    url.searchParams.set("code", code);
    const country = field("country");
    if (country && country.value) url.searchParams.set("country", country.value);
    let data;
    try {
      const response = await fetch(url, { headers: jsonHeaders, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      data = await response.json();
    } catch (error) {
      lastLookup = null;
      if (postalStatus) postalStatus.textContent = text("postal_unavailable");
      return;
    }
    if (data.postal_code) {
      postal.value = data.postal_code;
      lastLookup = data.postal_code;
    }
    if (!data.found) {
      if (postalStatus) postalStatus.textContent = data.message;
      return;
    }
    if (data.city) field("city").value = data.city;
    if (data.state) field("state").value = data.state;
    // County is blank for Canada: clear a stale one; otherwise fill it when known.
    if (data.country === "CA" || data.county) field("county").value = data.county || "";
    if (data.country) field("country").value = data.country;
    const place = [data.city, data.state, data.country].filter(Boolean).join(", ");
    if (postalStatus) postalStatus.textContent = text("postal_filled", { place });
  }

  if (postal) {
    postal.addEventListener("change", postalLookup);
    postal.addEventListener("blur", postalLookup);
    // Enter fills City/Province from the postal data instead of saving the new code with the old city.
    postal.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      postalLookup();
    });
  }

  // --- Unsaved edits: other actions wait, leaving asks first ----------------------------------------
  const container = form.parentNode;
  const ignored = new Set(["csrfmiddlewaretoken", "version", "original"]);
  const startedDirty = form.hasAttribute("data-unsaved");
  let dirty = false;
  let submitting = false;

  function snapshot() {
    const parts = [];
    for (const el of form.elements) {
      if (!el.name || ignored.has(el.name) || el.tagName === "BUTTON") continue;
      parts.push(`${el.name}=${el.type === "checkbox" || el.type === "radio" ? el.checked : el.value}`);
    }
    return parts.join("\n");
  }
  let loaded = snapshot();

  const blockedButtons = () =>
    [
      ...container.querySelectorAll("form:not(#customer-form) button, form:not(#customer-form) input[type=submit]"),
      document.getElementById("verify-button"),
    ].filter(Boolean);
  const blockedLinks = () =>
    container.querySelectorAll("a[data-remove], #vin-contact-types a[href], #removed-values a[href]");

  // One note per place holding a blocked action (a panel, or the Verified Info box), hidden while clean.
  const notes = new Map();
  function noteFor(control) {
    const region = control.closest("#verified-info") || control.closest("section") || control.parentElement;
    if (!notes.has(region)) {
      const note = document.createElement("p");
      note.className = "dm-dirty-note small mb-1";
      note.setAttribute("data-dirty-note", "");
      note.textContent = text("dirty_note");
      note.hidden = true;
      const heading = region.tagName === "SECTION" ? region.querySelector("h2") : null;
      if (heading) heading.after(note);
      else region.prepend(note);
      notes.set(region, note);
    }
    return notes.get(region);
  }

  function applyDirty() {
    for (const button of blockedButtons()) {
      if (dirty) {
        if (!button.disabled) {
          button.disabled = true;
          button.dataset.dirtyBlocked = "";
        }
      } else if ("dirtyBlocked" in button.dataset) {
        button.disabled = false;
        delete button.dataset.dirtyBlocked;
      }
      noteFor(button).hidden = !dirty;
    }
    for (const link of blockedLinks()) {
      link.classList.toggle("dm-blocked", dirty);
      if (dirty) {
        link.setAttribute("aria-disabled", "true");
        link.setAttribute("tabindex", "-1");
      } else {
        link.removeAttribute("aria-disabled");
        link.removeAttribute("tabindex");
      }
      noteFor(link).hidden = !dirty;
    }
  }

  function refreshDirty() {
    const now = startedDirty || snapshot() !== loaded;
    if (now === dirty) return;
    dirty = now;
    applyDirty();
  }

  // After an action that changed the form itself (the X), what is shown is what is stored.
  function markClean() {
    loaded = snapshot();
    refreshDirty();
  }

  form.addEventListener("input", refreshDirty);
  form.addEventListener("change", refreshDirty);
  // A blocked link could still be reached by keyboard history or a stale focus: refuse it while dirty.
  container.addEventListener(
    "click",
    (event) => {
      if (dirty && event.target.closest("a.dm-blocked")) event.preventDefault();
    },
    true,
  );
  window.addEventListener("beforeunload", (event) => {
    if (!dirty || submitting) return;
    event.preventDefault();
    event.returnValue = "";
  });
  form.addEventListener("submit", async (event) => {
    const code = postal ? postal.value.trim() : "";
    if (pendingLookup || (code && code !== lastLookup)) {
      // Save with the looked-up City/Province, not the old ones.
      event.preventDefault();
      await postalLookup();
      submitting = true;
      form.submit();
      return;
    }
    submitting = true;
  });
  refreshDirty();

  // --- A phone blanked by hand is not removed for good -------------------------------------------------
  for (const note of form.querySelectorAll("[data-blank-note]")) {
    const input = field(note.dataset.blankNote);
    if (!input) continue;
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    input.setAttribute("aria-describedby", [...described, note.id].join(" "));
    const sync = () => {
      note.hidden = input.value.trim() !== "";
    };
    input.addEventListener("input", sync);
    sync();
  }

  // --- Inactive Reason only matters for an inactive customer ------------------------------------------
  const status = field("status");
  const reason = field("inactive_reason");
  if (status && reason) {
    const reasonBox = reason.closest("div");
    const syncReason = () => {
      reasonBox.hidden = status.value !== "inactive" && !reason.classList.contains("is-invalid");
    };
    status.addEventListener("change", syncReason);
    syncReason();
  }

  // --- Verified Info ---------------------------------------------------------------------------------
  const verifyForm = document.getElementById("verify-form");
  const verifyStatus = document.getElementById("verify-status");
  if (verifyForm) {
    verifyForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (dirty) return;
      const button = document.getElementById("verify-button");
      if (button) button.disabled = true;
      try {
        const response = await fetch(verifyForm.action, {
          method: "POST",
          headers: jsonHeaders,
          body: new FormData(verifyForm),
          credentials: "same-origin",
        });
        const data = await response.json();
        if (!response.ok || !data.ok) throw new Error(data.message || `HTTP ${response.status}`);
        document.getElementById("last-verification").textContent = data.label;
        if (button) button.title = text("last_verified", { when: data.verified_at_display });
        replaceHistory(data.history_html);
        announceAt(verifyStatus, text("verified"));
      } catch (error) {
        announceAt(verifyStatus, text("not_verified", { error: error.message }), "danger");
      } finally {
        if (button && !dirty) button.disabled = false;
      }
    });
  }

  // --- Remove (X) beside a phone or email --------------------------------------------------------------
  form.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-remove]");
    if (!link) return;
    event.preventDefault();
    if (dirty) return;
    const label = link.dataset.label;
    const rowStatus = container.querySelector(`[data-remove-status="${link.dataset.remove}"]`);
    const question = `${text("remove_question", { label, value: link.dataset.display })}\n\n${text("remove_detail")}`;
    if (!window.confirm(question)) return;
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    body.append("value", link.dataset.value);
    let data;
    try {
      const response = await fetch(link.href, { method: "POST", headers: jsonHeaders, body, credentials: "same-origin" });
      data = await response.json();
      if (!response.ok || !data.ok) throw new Error(data.message || `HTTP ${response.status}`);
    } catch (error) {
      announceAt(rowStatus, text("not_removed", { label, error: error.message }), "danger");
      return;
    }
    for (const name of data.cleared) {
      const input = field(name);
      if (input) input.value = "";
    }
    for (const name of data.unticked || []) {
      const box = field(name);
      if (box) box.checked = false;
    }
    const blankNote = form.querySelector(`[data-blank-note="${data.field}"]`);
    if (blankNote) blankNote.remove();
    field("version").value = data.version;
    field("original").value = data.original;
    link.remove();
    replaceHistory(data.history_html);
    const removed = document.getElementById("removed-values");
    if (removed && typeof data.removed_html === "string") removed.outerHTML = data.removed_html;
    markClean();
    announceAt(rowStatus, data.message);
  });
})();
