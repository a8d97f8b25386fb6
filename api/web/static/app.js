// Progressive enhancement only: every page works without this file.
// A print button is shown only when a script can open the print dialog.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
