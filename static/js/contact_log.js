// Contact log forms (profile, Contact History, Log page): progressive enhancement only. The call-back date
// matters only for the result "Call back", so it is shown with that result (without this file it is always shown).
(() => {
  "use strict";
  function sync(form) {
    const result = form.elements.namedItem("result");
    const holder = form.querySelector("[data-call-back-field]");
    if (!result || !holder) return;
    const callBack = result.value === "call_back";
    holder.hidden = !callBack;
    const input = holder.querySelector("input");
    if (input && !callBack) input.value = "";
  }
  document.querySelectorAll("form[data-contact-log]").forEach((form) => {
    sync(form);
    form.addEventListener("change", (event) => {
      if (event.target.name === "result") sync(form);
    });
  });
})();
