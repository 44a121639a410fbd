"""Run within reach: a bar that sticks to the bottom of the window while the editors are on screen (so
Run and the line saying what will be sent never need a scroll; the element wrapping the bar is the one
made sticky, as Streamlit wraps each block in a box of its own height), Ctrl/Cmd+Enter from any editor, and
the result brought into view after a run; and each Ace editor kept drawn: Chromium scrolled an editor's
overflow-hidden box natively while typing, which Ace never undoes, so a replaced text sat above the box
(drawn empty although the editor and the request held it).

The Ace editors live in iframes, whose key presses never reach the page: the script hooks each
frame's window too (they are served from the app's own origin). Before clicking Run it blurs the
editor and waits a moment, so the text typed last is sent with the click.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

BAR_KEY = "run_bar"
RESULT_ANCHOR = "result_anchor"
RUN_ANCHOR = "run_anchor"  # where the run's stages show while it goes on
SHORTCUT_HINT = "Ctrl+Enter (⌘+Enter) runs from any editor"

_CSS = """<style>
div:has(> .st-key-%(bar)s) {position: sticky; bottom: 0; z-index: 50;}
.st-key-%(bar)s {background: %(bg)s; padding: .45rem 0 .35rem 0; border-top: 1px solid %(line)s;}
.st-key-%(anchor)s, .st-key-%(run_anchor)s {scroll-margin-top: 4.5rem;}
</style>"""

_KEYS_JS = """<script>
(function () {
  const top = window;
  function runButton() {
    return top.document.querySelector('.st-key-%(bar)s button[kind="primary"]');
  }
  function fire(e) {
    if (!((e.ctrlKey || e.metaKey) && (e.key === 'Enter' || e.keyCode === 13))) return;
    e.preventDefault();
    e.stopPropagation();
    const active = e.target && e.target.ownerDocument ? e.target.ownerDocument.activeElement : null;
    if (active && active.blur) active.blur();  // the editor sends its latest text on the way out
    setTimeout(function () {
      const b = runButton();
      if (b && !b.disabled) b.click();
    }, 300);
  }
  function repaint(win, tries) {
    // An Ace editor whose text was replaced could be drawn empty in Chromium although the editor, the
    // DOM and the request held the text. Redraw it after a blur, a change or a resize of its frame.
    try {
      const el = win.document.querySelector('.ace_editor');
      const ed = el && el.env && el.env.editor;
      if (!ed) { if (tries > 0) setTimeout(function () { repaint(win, tries - 1); }, 300); return; }
      if (ed.__sopRepaint) return;
      ed.__sopRepaint = true;
      // The cause: Chromium scrolls the editor's overflow-hidden scroller natively to bring Ace's hidden
      // textarea into view while typing; Ace scrolls by its own offset and never undoes a native scroll,
      // so its text sits above the visible box. Undo any native scroll as it happens.
      const scroller = el.querySelector('.ace_scroller');
      const unscroll = function () {
        if (scroller && (scroller.scrollTop || scroller.scrollLeft)) {
          scroller.scrollTop = 0;
          scroller.scrollLeft = 0;
        }
      };
      if (scroller) scroller.addEventListener('scroll', unscroll);
      let pending = null;
      const redraw = function () {
        clearTimeout(pending);
        pending = setTimeout(function () { unscroll(); ed.resize(true); ed.renderer.updateFull(true); }, 120);
      };
      ed.on('blur', redraw);
      ed.on('change', redraw);
      new win.ResizeObserver(redraw).observe(win.document.body);
    } catch (err) { /* not an Ace frame */ }
  }
  function hook(win) {
    try {
      if (win && !win.__sopRunKeys) {
        win.__sopRunKeys = true;
        win.addEventListener('keydown', fire, true);
        if (win !== top) repaint(win, 20);
      }
    } catch (err) { /* a frame of another origin: not an editor of ours */ }
  }
  function hookFrames() {
    top.document.querySelectorAll('iframe').forEach(function (f) {
      hook(f.contentWindow);
      if (!f.__sopLoadHook) {
        f.__sopLoadHook = true;
        f.addEventListener('load', function () { hook(f.contentWindow); });
      }
    });
  }
  hook(top);
  hookFrames();
  if (!top.__sopRunObserver) {
    top.__sopRunObserver = new MutationObserver(hookFrames);
    top.__sopRunObserver.observe(top.document.body, {childList: true, subtree: true});
  }
})();
</script>"""

_SCROLL_JS = """<script>
setTimeout(function () {
  const a = window.document.querySelector('.st-key-%(anchor)s');
  if (a) a.scrollIntoView({behavior: 'smooth', block: 'start'});
}, 150); /* run %(nonce)s */
</script>"""


def _dark() -> bool:
    theme = getattr(st.context, "theme", None)
    return getattr(theme, "type", None) == "dark"


def install() -> None:
    """The bar's style and the keyboard shortcut (idempotent: the script hooks each window once)."""
    bg, line = ("#0e1117", "rgba(250,250,250,.15)") if _dark() else ("#ffffff", "rgba(49,51,63,.15)")
    st.html(_CSS % {"bar": BAR_KEY, "anchor": RESULT_ANCHOR, "run_anchor": RUN_ANCHOR, "bg": bg, "line": line})
    st.html(_KEYS_JS % {"bar": BAR_KEY}, unsafe_allow_javascript=True)


def bar() -> DeltaGenerator:
    """The sticky container the page puts Run and its line in."""
    return st.container(key=BAR_KEY)


def anchor(key: str = RESULT_ANCHOR) -> None:
    st.container(key=key, height=1, border=False)


def bring_into_view(nonce: int, key: str = RESULT_ANCHOR) -> None:
    """Scroll an anchor to the top of the window, once (``nonce``: the run): the run's stages when Run
    was pressed from the editors at the top, then its result."""
    st.html(_SCROLL_JS % {"anchor": key, "nonce": nonce}, unsafe_allow_javascript=True)
