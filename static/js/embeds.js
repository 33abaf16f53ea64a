/* Click-to-load videos (blogapp/embeds.py). A YouTube link in a post is a
 * still image stored on our side (the video's own, or our generic one) with a play
 * button: nothing of YouTube's is loaded while the page is
 * read. Pressing play replaces it with a youtube-nocookie.com frame, the one other
 * origin the Content-Security-Policy allows, and only as a frame. Without this script
 * the link opens the video on YouTube. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='https://www.youtube.com/watch?v=']") : null;
    if (!link || !link.parentNode.classList || !link.parentNode.classList.contains("video-embed")) {
      return;
    }
    var match = /[?&]v=([A-Za-z0-9_-]{11})(?:&|$)/.exec(link.getAttribute("href"));
    if (!match) {
      return;
    }
    event.preventDefault();
    var frame = document.createElement("iframe");
    frame.src = "https://www.youtube-nocookie.com/embed/" + match[1] + "?autoplay=1";
    frame.title = "YouTube";
    frame.className = "video-frame";
    frame.width = "640";
    frame.height = "360";
    frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    link.replaceWith(frame);
    frame.focus();
  });
}());
