// Call Select: progressive enhancement only. Without this file each row's "Log" link opens the contact log
// form, which posts and comes back to this list. With it, the form opens under the row and posts in place, so
// the coordinator stays in the list; a wrong number offers the remove (X) of that number right there.
(() => {
  "use strict";
  const table = document.getElementById("call-select-results");
  const template = document.getElementById("contact-log-row-template");
  const status = document.getElementById("call-select-status");
  const jsonHeaders = { Accept: "application/json", "X-Requested-With": "fetch" };
  // The texts come from the page in the person's language (contacts.views.call_select._js_texts, json_script).
  const textsNode = document.getElementById("call-select-texts");
  const texts = textsNode ? JSON.parse(textsNode.textContent) : {};
  const labels = texts.labels || {};
  // texts[key] with its %(name)s placeholders filled in.
  const text = (key, values = {}) =>
    (texts[key] || "").replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));

  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
  if (!table || !template) return;

  const announce = (message) => {
    if (status) status.textContent = message;
  };
  const columns = () => table.querySelectorAll("thead th").length;

  function syncCallBack(form) {
    const holder = form.querySelector("[data-call-back-field]");
    const callBack = form.elements.namedItem("result").value === "call_back";
    holder.hidden = !callBack;
    if (!callBack) holder.querySelector("input").value = "";
  }

  function notice(row, className, text) {
    const tr = document.createElement("tr");
    tr.className = `dm-log-notice ${className}`;
    const td = document.createElement("td");
    td.colSpan = columns();
    td.className = "small";
    td.textContent = text;
    tr.appendChild(td);
    row.after(tr);
    return td;
  }

  function openForm(row) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("dm-log-row")) {
      next.querySelector("select").focus();
      return;
    }
    const fragment = template.content.cloneNode(true);
    const formRow = fragment.querySelector("tr");
    const form = formRow.querySelector("form");
    form.action = row.dataset.logUrl;
    form.elements.namedItem("vehicle").value = row.dataset.vehicle || "";
    if (row.dataset.phone) {
      const option = new Option(row.dataset.phoneLabel || row.dataset.phone, row.dataset.phone, true, true);
      form.elements.namedItem("phone").add(option);
    }
    formRow.querySelector("td").colSpan = columns();
    form.setAttribute("aria-label", text("logWith", { name: row.dataset.name || text("theCustomer") }));
    syncCallBack(form);
    form.addEventListener("change", (event) => {
      if (event.target.name === "result") syncCallBack(form);
    });
    form.querySelector("[data-log-cancel]").addEventListener("click", () => {
      formRow.remove();
      row.querySelector("[data-log-open]").focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(row, formRow, form);
    });
    row.after(formRow);
    form.elements.namedItem("result").focus();
  }

  async function submit(row, formRow, form) {
    const errors = form.querySelector("[data-log-errors]");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    errors.textContent = "";
    let response;
    let data;
    try {
      response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: jsonHeaders, credentials: "same-origin" });
      data = await response.json();
    } catch (error) {
      button.disabled = false;
      errors.textContent = text("notSavedNow");
      errors.className = "col-12 small text-danger";
      return;
    }
    if (!response.ok || !data.ok) {
      button.disabled = false;
      const messages = Object.entries(data.errors || {}).map(
        ([name, list]) =>
          name === "__all__" ? list.join(" ") : text("fieldError", { field: labels[name] || name, errors: list.join(" ") }),
      );
      errors.textContent = messages.join(" ") || text("notSaved");
      errors.className = "col-12 small text-danger";
      return;
    }
    const csrf = form.elements.namedItem("csrfmiddlewaretoken").value;
    formRow.remove();
    row.classList.add("dm-logged");
    row.dataset.logged = data.result;
    const actions = row.querySelector(".dm-row-actions");
    const done = document.createElement("span");
    done.className = "badge text-bg-success dm-logged-badge";
    done.textContent = text("logged", { result: data.result_label });
    actions.prepend(done);
    row.querySelector("[data-log-open]").remove();
    announce(data.message);
    const shown = notice(row, "table-success", data.message);
    if (data.remove) offerRemove(shown, data.remove, csrf);
  }

  function offerRemove(cell, remove, csrf) {
    const box = document.createElement("span");
    box.className = "ms-2 dm-remove-offer";
    box.append(`${text("removeOffer", { label: remove.label, number: remove.display })} `);
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "btn btn-sm btn-danger ms-1";
    yes.textContent = text("removeButton", { number: remove.display });
    const no = document.createElement("button");
    no.type = "button";
    no.className = "btn btn-sm btn-outline-secondary ms-1";
    no.textContent = text("keep");
    box.append(yes, no);
    cell.append(box);
    no.addEventListener("click", () => box.remove());
    yes.addEventListener("click", async () => {
      yes.disabled = no.disabled = true;
      const body = new FormData();
      body.append("csrfmiddlewaretoken", csrf);
      body.append("value", remove.value);
      let data = {};
      try {
        const response = await fetch(remove.action, { method: "POST", body, headers: jsonHeaders, credentials: "same-origin" });
        data = await response.json();
      } catch (error) {
        data = { ok: false, message: text("notRemovedNow") };
      }
      box.textContent = data.message || (data.ok ? text("removed") : text("notRemoved"));
      box.className = `ms-2 ${data.ok ? "text-success" : "text-danger"}`;
      announce(box.textContent);
    });
  }

  table.addEventListener("click", (event) => {
    const link = event.target.closest("[data-log-open]");
    if (!link) return;
    event.preventDefault();
    openForm(link.closest("tr"));
  });
})();
