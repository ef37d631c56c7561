// Customer Information: progressive enhancement only. Without this file every action is a plain
// form POST (or a confirm page for the remove X); with it, the postal lookup fills the address,
// and Verified Info and the remove X work without a full reload.
(() => {
  "use strict";
  const form = document.getElementById("customer-form");
  if (!form) return;

  const csrfToken = () => form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const statusBox = document.getElementById("edit-status");
  const field = (name) => form.elements.namedItem(name);
  const jsonHeaders = { Accept: "application/json", "X-Requested-With": "fetch" };

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
    close.setAttribute("aria-label", "Close");
    holder.appendChild(close);
    form.parentNode.insertBefore(holder, form);
  }

  function replaceHistory(html) {
    const panel = document.getElementById("history-panel");
    if (panel && typeof html === "string") panel.innerHTML = html;
  }

  // --- Postal/Zip lookup on leaving the field -------------------------------------------------------
  const postal = form.querySelector("[data-postal-lookup]");
  const postalStatus = document.getElementById("postal-status");
  let lastLookup = null;

  async function postalLookup() {
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
      if (postalStatus) postalStatus.textContent = "The postal lookup is not available right now; fill the address by hand.";
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
    if (postalStatus) postalStatus.textContent = `Filled from postal data: ${place}.`;
  }

  if (postal) {
    postal.addEventListener("change", postalLookup);
    postal.addEventListener("blur", postalLookup);
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
  if (verifyForm) {
    verifyForm.addEventListener("submit", async (event) => {
      event.preventDefault();
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
        if (button) button.title = `Last verified ${data.verified_at_display}`;
        replaceHistory(data.history_html);
        announce("Verified Info stamped.");
      } catch (error) {
        announce(`Verified Info was not stamped: ${error.message}`, "danger");
      } finally {
        if (button) button.disabled = false;
      }
    });
  }

  // --- Remove (X) beside a phone or email --------------------------------------------------------------
  form.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-remove]");
    if (!link) return;
    event.preventDefault();
    const label = link.dataset.label;
    const question =
      `Remove ${label} ${link.dataset.display} permanently?\n\n` +
      "It is cleared now, recorded in the history, never re-added by the DMS pull, and a remove request goes to the DMS.";
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
      announce(`${label} was not removed: ${error.message}`, "danger");
      return;
    }
    for (const name of data.cleared) {
      const input = field(name);
      if (input) input.value = "";
    }
    field("version").value = data.version;
    field("original").value = data.original;
    link.remove();
    replaceHistory(data.history_html);
    const removed = document.getElementById("removed-values");
    if (removed && typeof data.removed_html === "string") removed.outerHTML = data.removed_html;
    announce(data.message);
  });
})();
