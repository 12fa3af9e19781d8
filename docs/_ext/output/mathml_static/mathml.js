// A display formula wider than the page scrolls sideways inside its own box
// (mathml.css). A box that scrolls must take the keyboard's focus, or keyboard
// users cannot scroll it (WCAG 2.1.1; axe's scrollable-region-focusable): each
// box that scrolls becomes a tab stop, as the theme does for code blocks, and
// stops being one when the window grows wide enough to show it whole.
(() => {
  const update = () => {
    for (const box of document.querySelectorAll("div.math")) {
      if (box.scrollWidth > box.clientWidth) {
        box.tabIndex = 0;
      } else {
        box.removeAttribute("tabindex");
      }
    }
  };
  let pending = null;
  const later = () => {
    clearTimeout(pending);
    pending = setTimeout(update, 200);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.addEventListener("resize", later);
})();
