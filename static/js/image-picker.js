/* The editor's image picker: "Insert at cursor" puts a media snippet (the
   figure with its caption and credit) where the cursor is in the post's text. Our own
   file, allowed by the CSP's script-src 'self'. Without it the buttons stay hidden and
   each snippet stays in its read-only box, to copy by hand. */
(function () {
  "use strict";
  var body = document.getElementById("body");
  if (!body || typeof body.setRangeText !== "function") {
    return;
  }
  var buttons = document.querySelectorAll("button.insert-image[data-snippet-for]");
  Array.prototype.forEach.call(buttons, function (button) {
    var source = document.getElementById(button.getAttribute("data-snippet-for"));
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var start = body.selectionStart;
      var end = body.selectionEnd;
      var before = body.value.slice(0, start);
      var after = body.value.slice(end);
      // A figure is a block of its own in Markdown: blank lines around it.
      var lead = !before || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
      var trail = !after || /^\n\n/.test(after) ? "" : (/^\n/.test(after) ? "\n" : "\n\n");
      body.setRangeText(lead + source.value + trail, start, end, "end");
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
