// Hongzhu's only script: niceties that the pages do not depend on.
// A form marked data-once disables its submit button while sending, so a double click does not
// send it twice.
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
  var button = form.querySelector("button[type=submit]");
  if (!button) return;
  if (button.getAttribute("data-busy")) { e.preventDefault(); return; }
  button.setAttribute("data-busy", "1");
  if (button.getAttribute("data-sending")) button.textContent = button.getAttribute("data-sending");
  button.setAttribute("aria-disabled", "true");
});
// The page-jump box submits when the user presses Enter (works without this too).
