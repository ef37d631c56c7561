// Customer Profile: the merged-files switcher is a <details> element (works without JS); this only closes
// it on Escape or a click elsewhere, like a menu.
(() => {
  const openSwitchers = () => document.querySelectorAll("details.dm-switcher[open]");
  document.addEventListener("click", (event) => {
    openSwitchers().forEach((el) => {
      if (!el.contains(event.target)) el.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    openSwitchers().forEach((el) => {
      el.removeAttribute("open");
      el.querySelector("summary")?.focus();
    });
  });
})();
