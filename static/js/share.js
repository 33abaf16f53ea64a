/* "Copy link" beside the share links: copies the post's address, and says so
   in the status line a screen reader reads out. Our own file, allowed by the CSP's
   script-src 'self'. Without it (or without a clipboard) the button stays hidden or
   selects the address in the box beside it, to copy by hand. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button.share-copy-button[data-copy-from]");
  Array.prototype.forEach.call(buttons, function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    var status = button.parentNode.querySelector(".share-copy-status");
    if (!field || !status) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var selectIt = function () {
        field.focus();
        field.select();
        status.textContent = button.getAttribute("data-not-copied");
      };
      if (!navigator.clipboard || !window.isSecureContext) {
        selectIt();
        return;
      }
      navigator.clipboard.writeText(field.value).then(function () {
        status.textContent = button.getAttribute("data-copied");
      }, selectIt);
    });
  });
})();
