/* Grid Command: repairs to what Dash 4's own components tell assistive technology.
 *
 * Found by axe-core (tests/test_accessibility.py), on every page that uses them:
 * - dcc.RadioItems and dcc.Checklist render a role="listbox" of role="option"
 *   labels, each holding a real radio or checkbox: interactive controls nested
 *   in interactive roles, and a listbox with no name. The inputs already say
 *   everything, so the list becomes a named (radio)group of plain labels.
 * - dcc.Dropdown keeps its keyboard focus on an input marked aria-hidden: a
 *   screen reader lands on something it was told not to read. The input is
 *   unhidden and named like the dropdown's button.
 * - dcc.DatePickerRange labels its wrapper by ids that are "undefined", on a
 *   plain div (which may not be labelled): it becomes a group labelled by the
 *   ids that exist.
 * - dcc.Slider's thumb (role="slider") has no name: it takes the name of the
 *   nearest labelled element around it (the layout gives one).
 * - dcc.Upload's file input has no label: it is named by the words the
 *   upload area shows.

 * A file of the site, so the Content-Security-Policy needs no inline script.
 */
(function () {
  "use strict";

  function named(list) {
    if (list.hasAttribute("aria-label")) return;
    const holder = list.closest("[aria-label], [title]");
    const name = holder && (holder.getAttribute("aria-label") || holder.getAttribute("title"));
    if (name) list.setAttribute("aria-label", name);
  }

  function repair() {
    // Only these two: a dropdown's menu is a real listbox of options.
    document.querySelectorAll('.dash-radioitems[role="listbox"], .dash-checklist[role="listbox"]').forEach((list) => {
      list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
      named(list);
      list.querySelectorAll('[role="option"]').forEach((option) => {
        option.removeAttribute("role");
        option.removeAttribute("aria-selected");
      });
    });
    document.querySelectorAll(".dash-datepicker-input-wrapper[aria-labelledby]").forEach((box) => {
      const ids = box.getAttribute("aria-labelledby").split(/\s+/)
        .filter((id) => id && id !== "undefined" && document.getElementById(id));
      if (!box.hasAttribute("role")) box.setAttribute("role", "group");
      if (ids.length) box.setAttribute("aria-labelledby", ids.join(" "));
      else box.removeAttribute("aria-labelledby");
    });
    document.querySelectorAll('[role="slider"]:not([aria-label]):not([aria-labelledby])').forEach(named);
    document.querySelectorAll('input[type="file"]:not([aria-label])').forEach((input) => {
      const area = input.parentElement;
      const words = area && area.innerText && area.innerText.trim();
      if (words) input.setAttribute("aria-label", words);
    });
    document.querySelectorAll('input.dash-dropdown-focus-target[aria-hidden="true"]').forEach((input) => {
      input.removeAttribute("aria-hidden");
      const button = input.parentElement && input.parentElement.querySelector("button.dash-dropdown");
      const label = button && button.getAttribute("aria-labelledby");
      if (label) input.setAttribute("aria-labelledby", label);
    });
  }

  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; repair(); });
  }).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                        attributeFilter: ["role", "aria-hidden"]});
})();
