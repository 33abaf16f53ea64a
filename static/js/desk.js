/* The writer's desk around the post editor's plain text box.
 *
 * The text box stays a <textarea>: what a writer types (Khmer included) is stored as
 * typed, and every button here only writes Markdown into it. Our own file, under the
 * CSP's script-src 'self'; it talks only to our server (blogapp/desk/views.py), with
 * the form's CSRF token. Without it the toolbar, preview and count stay hidden.
 *
 * - the toolbar (role=toolbar: one Tab stop, arrow keys between buttons) and the
 *   shortcuts Ctrl+B, Ctrl+I, Ctrl+K and Ctrl+Alt+2;
 * - paste: HTML on the clipboard (Word, Google Docs, a web page) is turned into
 *   Markdown by the server and put at the cursor; images on the clipboard are uploaded;
 * - images dropped on the text box (or chosen with the Image button): the writer is
 *   asked for alt text, then the image goes to Media and its figure to the cursor;
 * - the live preview and word count, a moment after typing stops;
 * - tag suggestions for the comma-separated tags field. */
(function () {
  "use strict";
  var desk = document.getElementById("desk-write");
  var body = document.getElementById("body");
  if (!desk || !body || !window.fetch || !window.FormData || typeof body.setRangeText !== "function") {
    return;
  }
  var form = body.form;
  var toolbar = desk.querySelector(".desk-toolbar");
  var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button"));
  var status = document.getElementById("desk-status");
  var count = document.getElementById("desk-count");
  var preview = document.getElementById("desk-preview");
  var previewBody = document.getElementById("desk-preview-body");
  var fileInput = document.getElementById("desk-image-file");
  var checklist = document.getElementById("desk-checklist");
  var PREVIEW_PAUSE = 700; /* ms after the last key before the preview is asked for */

  function say(message) {
    status.textContent = message;
  }

  function token() {
    return form.elements.csrf_token.value;
  }

  function post(url, data) {
    data.append("csrf_token", token());
    return fetch(url, {method: "POST", body: data, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            throw new Error(answer.error || String(response.status));
          }
          return answer;
        });
      });
  }

  /* --- writing into the text box -------------------------------------------------- */

  function changed() {
    body.dispatchEvent(new Event("input", {bubbles: true}));
  }

  /* Replace start..end with text and select selStart..selEnd of it (offsets within it).
     execCommand keeps the browser's undo history; setRangeText is the fallback. */
  function replace(start, end, text, selStart, selEnd) {
    body.focus();
    body.setSelectionRange(start, end);
    var done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch (ignored) {
      done = false;
    }
    if (!done || body.value.slice(start, start + text.length) !== text) {
      body.setRangeText(text, start, end, "end");
      changed();
    }
    var a = selStart === undefined ? text.length : selStart;
    var b = selEnd === undefined ? a : selEnd;
    body.setSelectionRange(start + a, start + b);
  }

  function wrap(marker, placeholder) {
    var start = body.selectionStart;
    var end = body.selectionEnd;
    var chosen = body.value.slice(start, end) || placeholder;
    replace(start, end, marker + chosen + marker, marker.length, marker.length + chosen.length);
  }

  /* The whole lines the selection touches. */
  function lineRange() {
    var value = body.value;
    var start = value.lastIndexOf("\n", body.selectionStart - 1) + 1;
    var end = value.indexOf("\n", body.selectionEnd);
    if (end === -1 || (body.selectionEnd > body.selectionStart && value[body.selectionEnd - 1] === "\n")) {
      end = end === -1 ? value.length : body.selectionEnd - 1;
    }
    return [start, end];
  }

  function prefixLines(prefixFor) {
    var range = lineRange();
    var lines = body.value.slice(range[0], range[1]).split("\n");
    var result = lines.map(function (line, i) { return prefixFor(i) + line; }).join("\n");
    replace(range[0], range[1], result, 0, result.length);
  }

  function heading() {
    var range = lineRange();
    var line = body.value.slice(range[0], range[1]);
    var match = /^(#{1,6}) /.exec(line);
    /* ## -> ### -> plain text -> ##: one button for the levels an op-ed needs */
    var next = !match ? "## " : (match[1].length < 3 ? "### " : "");
    var text = next + (match ? line.slice(match[0].length) : line);
    replace(range[0], range[1], text, text.length);
  }

  function link() {
    var start = body.selectionStart;
    var end = body.selectionEnd;
    var chosen = body.value.slice(start, end);
    var looksLikeUrl = /^https?:\/\/\S+$/.test(chosen);
    var label = looksLikeUrl ? "" : (chosen || desk.getAttribute("data-link-text") || "link");
    var url = looksLikeUrl ? chosen : "https://";
    var text = "[" + label + "](" + url + ")";
    if (looksLikeUrl) {
      replace(start, end, text, 1, 1); /* cursor where the link's words go */
    } else {
      replace(start, end, text, label.length + 3, label.length + 3 + url.length);
    }
  }

  function footnote() {
    var used = body.value.match(/\[\^(\d+)\]/g) || [];
    var n = used.reduce(function (most, ref) {
      return Math.max(most, parseInt(ref.slice(2), 10));
    }, 0) + 1;
    var ref = "[^" + n + "]";
    var at = body.selectionEnd;
    replace(at, at, ref);
    var end = body.value.length;
    var lead = /\n\n$/.test(body.value) ? "" : (/\n$/.test(body.value) ? "\n" : "\n\n");
    var note = lead + ref + ": ";
    replace(end, end, note); /* the cursor waits in the note */
  }

  function insertBlock(text, start, end) {
    var before = body.value.slice(0, start);
    var after = body.value.slice(end);
    var lead = !before || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
    var trail = !after || /^\n\n/.test(after) ? "" : (/^\n/.test(after) ? "\n" : "\n\n");
    replace(start, end, lead + text + trail, (lead + text + trail).length);
  }

  /* Footnotes pasted into a text that has some already: number them after those. */
  function renumberNotes(markdown) {
    var highest = (body.value.match(/\[\^(\d+)\]/g) || []).reduce(function (most, ref) {
      return Math.max(most, parseInt(ref.slice(2), 10));
    }, 0);
    if (!highest) {
      return markdown;
    }
    return markdown.replace(/\[\^(\d+)\]/g, function (ref, n) {
      return "[^" + (parseInt(n, 10) + highest) + "]";
    });
  }

  var actions = {
    heading: heading,
    bold: function () { wrap("**", desk.getAttribute("data-bold-text") || "bold"); },
    /* * rather than _: CommonMark honours * inside a word, and Khmer has no spaces */
    italic: function () { wrap("*", desk.getAttribute("data-italic-text") || "italic"); },
    link: link,
    quote: function () { prefixLines(function () { return "> "; }); },
    bullets: function () { prefixLines(function () { return "- "; }); },
    numbers: function () { prefixLines(function (i) { return (i + 1) + ". "; }); },
    footnote: footnote,
    image: function () { fileInput.click(); },
    zwsp: function () { replace(body.selectionStart, body.selectionEnd, "\u200b"); },
    "show-breaks": function (button) {
      var on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      preview.classList.toggle("show-breaks", on);
      markBreaks();
      body.focus();
    }
  };

  /* --- the toolbar: one Tab stop, arrows move between buttons ---------------------- */
  buttons.forEach(function (button, i) {
    button.tabIndex = i === 0 ? 0 : -1;
    button.addEventListener("click", function () {
      actions[button.getAttribute("data-format")](button);
    });
  });
  toolbar.addEventListener("keydown", function (event) {
    var i = buttons.indexOf(document.activeElement);
    if (i === -1) {
      return;
    }
    var next = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1}[event.key];
    if (next === undefined) {
      return;
    }
    event.preventDefault();
    next = (next + buttons.length) % buttons.length;
    buttons[i].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  });
  toolbar.hidden = false;

  body.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.isComposing) {
      return;
    }
    var key = event.key.toLowerCase();
    var name = event.altKey ? (event.code === "Digit2" ? "heading" : null)
      : ({b: "bold", i: "italic", k: "link"})[key];
    if (name && !event.shiftKey) {
      event.preventDefault();
      actions[name]();
    }
  });

  /* --- images: dropped, pasted or chosen; alt text asked for first ----------------- */
  var dialog = document.getElementById("desk-alt-dialog");
  var altText = document.getElementById("desk-alt-text");
  var altCaption = document.getElementById("desk-alt-caption");
  var altFile = document.getElementById("desk-alt-file");
  var waiting = [];
  var asking = null;

  function askNext() {
    if (asking || !waiting.length) {
      return;
    }
    asking = waiting.shift();
    altFile.textContent = asking.file.name || "";
    altText.value = "";
    altCaption.value = "";
    dialog.showModal();
    altText.focus();
  }

  function finishAsking(upload) {
    var job = asking;
    asking = null;
    dialog.close();
    if (upload) {
      sendImage(job, altText.value.trim(), altCaption.value.trim());
    } else {
      body.focus();
    }
    askNext();
  }

  function sendImage(job, alt, caption) {
    var data = new FormData();
    data.append("file", job.file, job.file.name || "pasted-image");
    data.append("alt", alt);
    data.append("caption", caption);
    say(desk.getAttribute("data-uploading") || "Uploading the image…");
    post(desk.getAttribute("data-image-url"), data)
      .then(function (answer) {
        var at = Math.min(job.at, body.value.length);
        insertBlock(answer.snippet, at, at);
        var featured = form.elements.featured_media;
        if (featured) { /* the new image may be the post's featured image too */
          var option = document.createElement("option");
          option.value = String(answer.id);
          option.textContent = answer.name;
          featured.appendChild(option);
        }
        say(desk.getAttribute("data-uploaded") || "Image uploaded to Media and placed at the cursor.");
      })
      .catch(function (error) { say(error.message); });
  }

  function takeImages(files) {
    var images = Array.prototype.filter.call(files || [], function (file) {
      return /^image\//.test(file.type);
    });
    images.forEach(function (file) {
      waiting.push({file: file, at: body.selectionEnd});
    });
    askNext();
    return images.length > 0;
  }

  document.getElementById("desk-alt-insert").addEventListener("click", function () {
    finishAsking(true);
  });
  document.getElementById("desk-alt-cancel").addEventListener("click", function () {
    finishAsking(false);
  });
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    finishAsking(false);
  });
  altText.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault(); /* not the editor form's submit */
      finishAsking(true);
    }
  });
  fileInput.addEventListener("change", function () {
    takeImages(fileInput.files);
    fileInput.value = "";
  });
  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  });
  body.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length) {
      event.preventDefault();
      body.focus();
      takeImages(event.dataTransfer.files);
    }
  });

  /* --- paste: HTML becomes Markdown (by the server), images are uploaded ------------ */
  body.addEventListener("paste", function (event) {
    var clipboard = event.clipboardData;
    if (!clipboard) {
      return;
    }
    var html = clipboard.getData("text/html");
    if (!html && clipboard.files && clipboard.files.length) {
      if (takeImages(clipboard.files)) {
        event.preventDefault();
      }
      return;
    }
    if (!html) {
      return; /* plain text: the browser pastes it as it is */
    }
    event.preventDefault();
    var plain = clipboard.getData("text/plain");
    var start = body.selectionStart;
    var end = body.selectionEnd;
    var data = new FormData();
    data.append("html", html);
    say(desk.getAttribute("data-converting") || "Keeping the formatting…");
    post(desk.getAttribute("data-paste-url"), data)
      .then(function (answer) {
        var markdown = renumberNotes(answer.markdown);
        if (/\n\n/.test(markdown.trim()) || /^(#|>|- |\d+\. |\|)/.test(markdown)) {
          insertBlock(markdown.replace(/\n+$/, ""), start, end); /* blocks on lines of their own */
        } else {
          replace(start, end, markdown.replace(/\n+$/, ""));
        }
        say(desk.getAttribute("data-pasted") || "Pasted with its formatting, as Markdown.");
      })
      .catch(function (error) {
        replace(start, end, plain);
        say(error.message);
      });
  });

  /* --- the live preview and the count ---------------------------------------------- */
  var timer = null;
  var asked = 0;

  function markBreaks() {
    previewBody.querySelectorAll("mark.zwsp").forEach(function (mark) { mark.remove(); });
    if (!preview.classList.contains("show-breaks")) {
      return;
    }
    var walker = document.createTreeWalker(previewBody, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) {
      if (walker.currentNode.nodeValue.indexOf("\u200b") !== -1) {
        nodes.push(walker.currentNode);
      }
    }
    nodes.forEach(function (node) {
      var parts = node.nodeValue.split("\u200b");
      var fragment = document.createDocumentFragment();
      parts.forEach(function (part, i) {
        if (i > 0) {
          var mark = document.createElement("mark");
          mark.className = "zwsp";
          mark.textContent = "\u200b";
          fragment.appendChild(mark);
        }
        fragment.appendChild(document.createTextNode(part));
      });
      node.parentNode.replaceChild(fragment, node);
    });
  }

  function refresh() {
    var mine = ++asked;
    var data = new FormData();
    data.append("body", body.value);
    var formatField = form.elements.content_format;
    data.append("content_format", formatField ? formatField.value : "markdown");
    if (checklist) {
      data.append("checklist", "1");
      ["title", "excerpt", "language", "featured_media"].forEach(function (name) {
        if (form.elements[name]) {
          data.append(name, form.elements[name].value);
        }
      });
      form.querySelectorAll("input[name=categories]:checked").forEach(function (box) {
        data.append("categories", box.value);
      });
    }
    post(desk.getAttribute("data-preview-url"), data)
      .then(function (answer) {
        if (mine !== asked) {
          return; /* a newer preview is on its way */
        }
        /* The server's own rendering, through the same sanitizer as the published page. */
        previewBody.innerHTML = answer.html;
        markBreaks();
        count.textContent = answer.summary;
        showChecklist(answer.checklist || []);
        count.hidden = false;
        preview.hidden = false;
        desk.classList.add("with-preview");
      })
      .catch(function (error) { say(error.message); });
  }

  function showChecklist(warnings) {
    if (!checklist) {
      return;
    }
    var items = document.getElementById("desk-checklist-items");
    items.textContent = "";
    warnings.forEach(function (warning) {
      var item = document.createElement("li");
      item.textContent = warning;
      items.appendChild(item);
    });
    document.getElementById("desk-checklist-clear").hidden = warnings.length > 0;
    checklist.hidden = false;
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, PREVIEW_PAUSE);
  }
  body.addEventListener("input", soon);
  if (checklist) {
    ["title", "excerpt"].forEach(function (name) {
      if (form.elements[name]) {
        form.elements[name].addEventListener("input", soon);
      }
    });
    form.addEventListener("change", function (event) {
      if (event.target !== body) {
        soon();
      }
    });
  }
  if (form.elements.content_format) {
    form.elements.content_format.addEventListener("change", soon);
  }
  refresh();

  /* --- tag suggestions: the datalist offers "earlier tags, suggestion" ------------- */
  var tags = form.elements.tags;
  var list = document.getElementById("tag-suggestions");
  if (tags && list) {
    var known = Array.prototype.map.call(list.options, function (option) { return option.value; });
    tags.addEventListener("input", function () {
      var parts = tags.value.split(",");
      var typed = parts.pop().trim().toLowerCase();
      var kept = parts.map(function (p) { return p.trim(); }).filter(Boolean);
      var lead = kept.length ? kept.join(", ") + ", " : "";
      list.textContent = "";
      known.filter(function (name) {
        return name.toLowerCase().indexOf(typed) === 0 && kept.indexOf(name) === -1;
      }).slice(0, 20).forEach(function (name) {
        var option = document.createElement("option");
        option.value = lead + name;
        list.appendChild(option);
      });
    });
  }
}());
