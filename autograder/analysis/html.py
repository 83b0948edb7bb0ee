"""What the analysis pages share: escaping, a sortable table, the page frame, plots as data.

Every page is one self-contained file (inline CSS, plots as ``data:`` PNGs, no request
to anything), readable offline, and opened safely whatever a student wrote: every piece
of text is HTML-escaped here, and the Content-Security-Policy lets no script run except
the one below (by its hash), which only reorders table rows.

Sortable tables are plain tables whose column headers are buttons (keyboard and screen
reader reachable, ``aria-sort`` says the order); without JavaScript the table is simply
in its first order.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th button").forEach(function (button) {
    button.addEventListener("click", function () {
      var th = button.parentElement;
      var col = Array.prototype.indexOf.call(th.parentElement.children, th);
      var up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[col];
        var v = cell.getAttribute("data-sort");
        if (v !== null && v !== "" && !isNaN(parseFloat(v))) { return [0, parseFloat(v)]; }
        return [1, cell.textContent.trim().toLowerCase()];
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x[0] !== y[0]) { return x[0] - y[0]; }
        var c = x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:78rem;margin:1.5rem auto;
padding:0 1rem;color:#111;line-height:1.45}
h1{font-size:1.6rem} h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1.05rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.92rem}
th,td{text-align:left;padding:.3rem .55rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#eef2f7} td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th button{font:inherit;font-weight:bold;background:none;border:0;padding:0;cursor:pointer;color:#111;
text-decoration:underline dotted}
th[aria-sort=ascending] button::after{content:" \\25B2"} th[aria-sort=descending] button::after{content:" \\25BC"}
.muted{color:#4d4d4d} .note{background:#f6f6f6;border-left:4px solid #666;padding:.4rem .8rem;margin:.6rem 0}
.flag{font-weight:bold} .flag::before{content:"\\2691 "}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem}
img{max-width:100%;height:auto} figure{margin:.6rem 0} figcaption{color:#4d4d4d;font-size:.88rem}
a{color:#0b5394}
"""


def e(text) -> str:
    """HTML-escaped text (``None`` is empty)."""
    return html.escape("" if text is None else str(text), quote=True)


def code_spans(text: str) -> str:
    """Escaped text with Markdown's `code` spans as <code> (for notebook headings)."""
    parts = e(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def page(title: str, body: str, *, script: bool = False, images: bool = False, css: str = "") -> str:
    """A whole HTML document around ``body`` (already HTML)."""
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'"
        + ("; img-src data:" if images else "")
        + (f"; script-src '{SCRIPT_HASH}'" if script else "")
    )
    tail = f"<script>{SORT_SCRIPT}</script>" if script else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{e(title)}</title><style>{CSS}{css}</style></head><body><main>
{body}
</main>{tail}</body></html>
"""


def table(
    head: list[str],
    rows: list[list],
    *,
    numeric: set[int] = frozenset(),
    sortable: bool = False,
    caption: str | None = None,
    empty: str = "None.",
    raw: set[int] = frozenset(),
) -> str:
    """A table of escaped cells; a cell given as ``(text, sort_key)`` sorts by its key;
    columns in ``raw`` hold HTML made by the caller (already escaped)."""
    if not rows:
        return f'<p class="muted">{e(empty)}</p>'

    def th(i: int, h: str) -> str:
        label = f'<button type="button">{e(h)}</button>' if sortable else e(h)
        return f'<th scope="col"{" class=num" if i in numeric else ""}>{label}</th>'

    def td(i: int, v) -> str:
        key = None
        if isinstance(v, tuple):
            v, key = v
        text = v if i in raw else e(v)
        attr = f' data-sort="{e(key)}"' if key is not None else ""
        return f"<td{' class=num' if i in numeric else ''}{attr}>{text}</td>"

    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    body = "".join("<tr>" + "".join(td(i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return (
        f"<table{' class=sortable' if sortable else ''}>{cap}<thead><tr>"
        + "".join(th(i, h) for i, h in enumerate(head))
        + f"</tr></thead><tbody>{body}</tbody></table>"
    )


def png(fig) -> str:
    """A matplotlib figure as a ``data:`` URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
