/* Stanceline's timeline page: progressive enhancement of a page that works without it.
 *
 * The server renders everything (timeline, matrix, claims, list); this script adds zoom and
 * pan, in-page selection, a date slider that re-projects the matrix, and live updates over
 * Server-Sent Events. Rules it keeps:
 *  - data from the log reaches the DOM only through textContent and setAttribute;
 *  - every piece of view state is mirrored into the URL (history.replaceState), so a copied
 *    URL reopens the same view on the server;
 *  - x positions follow the same formula and tick rules as stanceline/web/chart.py.
 */
"use strict";

(function () {
  const bootNode = document.getElementById("boot-data");
  if (!bootNode) return;
  const boot = JSON.parse(bootNode.textContent);
  document.documentElement.classList.add("js");

  const SVGNS = "http://www.w3.org/2000/svg";
  const DAY_MS = 86400000;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const STANCES = ["supports", "opposes", "conditional", "undecided"];
  const SYMBOLS = {
    "stance.declared": "stance", "claim.made": "claim", "statement.made": "statement",
    "meeting.held": "meeting", "meeting.scheduled": "meeting", "agreement.signed": "agreement",
    "event.retracted": "retraction",
  };
  const REGISTRY = ["actor.registered", "topic.defined"];
  const LANE = 20;
  const BOTTOM = 10;
  const MAX_VIEW = 366 * 200;

  // ---- small helpers -------------------------------------------------------------------
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const dayNumber = (iso) => Math.floor(Date.parse(iso + "T00:00:00Z") / DAY_MS);
  const isoOf = (n) => new Date(n * DAY_MS).toISOString().slice(0, 10);
  const human = (n) => {
    const d = new Date(n * DAY_MS);
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  };
  const nameOf = (id) => (id && boot.names[id]) || id || "";
  const topicOf = (id) => (id && boot.topics[id]) || id || "";
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const svgEl = (tag, attrs) => {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  };
  const fmt = (n) => (Math.round(n * 100) / 100).toString();
  const number = (v) => Number(v).toLocaleString("en-GB", { maximumFractionDigits: 1 });

  // ---- URL state -----------------------------------------------------------------------
  function setParams(changes) {
    const url = new URL(window.location.href);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined || value === "") url.searchParams.delete(key);
      else url.searchParams.set(key, String(value));
    }
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  function queryWith(changes) {
    const url = new URL(window.location.href);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined || value === "") url.searchParams.delete(key);
      else url.searchParams.set(key, String(value));
    }
    return url.search || "?";
  }
  function syncHidden(name, value) {
    // Keep the filter form's hidden fields in step, so applying a filter keeps the view.
    const form = document.getElementById("view-form");
    if (!form) return;
    let input = form.querySelector('input[type="hidden"][name="' + name + '"]');
    if (!value) { if (input) input.remove(); return; }
    if (!input) { input = el("input", { type: "hidden", name: name }); form.appendChild(input); }
    input.value = value;
  }

  // ---- event text (the same words as web/view.py) ---------------------------------------
  function headline(env) {
    const d = env.data || {};
    const title = String(d.title || "").trim();
    const summary = String(d.summary || "").trim();
    if (title) return title;
    if (summary) return summary;
    const actor = nameOf(d.actor);
    if (env.type === "stance.declared") return actor + ": " + d.stance + " on " + topicOf(d.topic);
    if (env.type === "event.retracted") return "Retraction of event " + d.target;
    if (env.type === "actor.registered") return "Actor registered: " + d.name;
    if (env.type === "topic.defined") return "Topic defined: " + d.title;
    return ((boot.types[env.type] || env.type) + " by " + actor).trim();
  }
  function resolvedText(env) {
    if (!env.occurred_start || !env.occurred_end) return null;
    const a = dayNumber(env.occurred_start), b = dayNumber(env.occurred_end);
    return a === b ? human(a) : human(a) + " – " + human(b);
  }
  function claimText(d) {
    const amount = d.value !== null && d.value !== undefined ? number(d.value)
      : [d.low, d.high].filter((v) => v !== null && v !== undefined).map(number).join("–");
    return [d.qualifier, amount, d.unit].filter(Boolean).join(" ");
  }

  // ---- the timeline --------------------------------------------------------------------
  const svg = document.getElementById("timeline-svg");
  const viewport = document.getElementById("timeline-viewport");
  const tl = svg ? {
    mode: svg.dataset.mode,
    x0: Number(svg.dataset.x0),
    right: Number(svg.dataset.right),
    width: 1000,
    x1: 1000 - Number(svg.dataset.right),
    height: Number(svg.dataset.height),
    view: [Number(svg.dataset.viewStart), Number(svg.dataset.viewEnd)],
    data: [Number(svg.dataset.dataStart), Number(svg.dataset.dataEnd)],
    asOf: Number(svg.dataset.asOf),
    marks: [],
  } : null;

  function scanMarks() {
    tl.marks = $$("#timeline-marks > a").map((a) => ({
      a: a, start: Number(a.dataset.start), end: Number(a.dataset.end),
      rect: a.querySelector("rect"), use: a.querySelector("use"),
      strike: a.querySelector("line.strike"), block: a.classList.contains("block"),
    }));
    tl.marks.sort((m, n) => m.start - n.start);
  }
  const x = (day) => tl.x0 + (day - tl.view[0]) * (tl.x1 - tl.x0) / (tl.view[1] - tl.view[0]);

  function monthDay(y, m) { return Math.floor(Date.UTC(y, m, 1) / DAY_MS); }
  function addMonths(y, m, k) { const t = y * 12 + m + k; return [Math.floor(t / 12), t % 12]; }
  function ticks(start, end) {
    const span = end - start;
    const first = new Date(start * DAY_MS);
    const out = [];
    if (span > 540) {
      const years = span / 365.25;
      const step = years <= 14 ? 1 : years <= 28 ? 2 : years <= 70 ? 5 : 10;
      const quarterly = years <= 6;
      let y = first.getUTCFullYear(), m = quarterly ? first.getUTCMonth() : 0;
      while (monthDay(y, m) <= end) {
        const n = monthDay(y, m);
        if (m === 0 && y % step === 0) out.push({ day: n, label: String(y), major: true });
        else if (quarterly && (m === 3 || m === 6 || m === 9)) out.push({ day: n, label: "", major: false });
        [y, m] = addMonths(y, m, quarterly ? 1 : 12);
      }
    } else if (span > 75) {
      const every = span <= 400 ? 1 : 2;
      let y = first.getUTCFullYear(), m = first.getUTCMonth();
      while (monthDay(y, m) <= end) {
        const n = monthDay(y, m);
        if (m % every === 0) {
          const label = m === 0 || out.length === 0 ? MONTHS[m] + " " + y : MONTHS[m];
          out.push({ day: n, label: label, major: m === 0 });
        }
        [y, m] = addMonths(y, m, 1);
      }
    } else {
      const every = span <= 16 ? 1 : 7;
      for (let n = start; n <= end; n++) {
        const d = new Date(n * DAY_MS);
        const date = d.getUTCDate();
        if (date === 1) out.push({ day: n, label: MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear(), major: true });
        else if (every === 1 || date === 8 || date === 15 || date === 22) out.push({ day: n, label: String(date), major: false });
      }
    }
    return out.filter((t) => t.day >= start && t.day <= end);
  }

  const GUTTER = tl ? tl.x0 : 200;
  function fitLabels() {
    // Lane labels must end inside the gutter: shorten the topic, then the actor, to fit.
    const room = tl.x0 - 14;
    for (const label of $$(".lane-label", svg)) {
      if (!label.dataset.full) label.dataset.full = JSON.stringify($$("tspan", label).map((t) => t.textContent).concat([label.textContent]));
      const parts = JSON.parse(label.dataset.full);
      const spans = $$("tspan", label);
      if (spans.length) spans.forEach((t, i) => { t.textContent = parts[i]; });
      else label.textContent = parts[parts.length - 1];
      const target = spans.length ? spans.slice().reverse() : [label];
      for (const node of target) {
        let text = node.textContent;
        while (label.getComputedTextLength() > room && text.length > 4) {
          text = text.slice(0, -2);
          node.textContent = text.replace(/[\s·…]+$/, "") + "…";
        }
      }
    }
  }
  function measure() {
    const width = Math.max(280, Math.round(svg.getBoundingClientRect().width || 1000));
    if (width === tl.width && svg.getAttribute("height") === String(tl.height)) return;
    const gutter = width < 640 ? Math.round(Math.max(120, width * 0.4)) : GUTTER;
    const regutter = gutter !== tl.x0;
    tl.x0 = gutter;
    tl.width = width;
    tl.x1 = width - tl.right;
    if (regutter || !svg.dataset.fitted) {
      $$(".lane-label", svg).forEach((t) => t.setAttribute("x", String(gutter - 10)));
      const clipRect = document.getElementById("plot-clip-rect");
      clipRect.setAttribute("x", String(gutter));
      svg.dataset.fitted = "1";
      fitLabels();
    }
    svg.setAttribute("viewBox", "0 0 " + width + " " + tl.height);
    svg.setAttribute("height", String(tl.height));
    $$(".lane-bg", svg).forEach((r) => r.setAttribute("width", String(width)));
    const clip = document.getElementById("plot-clip-rect");
    clip.setAttribute("width", fmt(tl.x1 - tl.x0));
    clip.setAttribute("x", fmt(tl.x0));
    clip.setAttribute("height", String(tl.height));
  }

  function draw() {
    if (!tl) return;
    measure();
    for (const m of tl.marks) {
      if (m.rect) {
        const left = x(m.start);
        const width = m.block ? Math.max(2, x(m.end) - left - 0.5) : Math.max(3, x(m.end) - left);
        m.rect.setAttribute("x", fmt(left));
        m.rect.setAttribute("width", fmt(width));
        if (m.use) m.use.setAttribute("x", fmt(left + width / 2));
        if (m.strike) { m.strike.setAttribute("x1", fmt(left - 2)); m.strike.setAttribute("x2", fmt(left + width + 2)); }
      } else if (m.use) {
        const cx = x(m.start + 0.5);
        m.use.setAttribute("x", fmt(cx));
        if (m.strike) { m.strike.setAttribute("x1", fmt(cx - 7)); m.strike.setAttribute("x2", fmt(cx + 7)); }
      }
    }
    const grid = document.getElementById("timeline-grid");
    while (grid.firstChild) grid.removeChild(grid.firstChild);
    let lastLabel = -Infinity;
    for (const t of ticks(tl.view[0], tl.view[1])) {
      const tx = x(t.day);
      grid.appendChild(svgEl("line", { class: "tick" + (t.major ? " major" : ""), x1: fmt(tx), x2: fmt(tx), y1: 22, y2: tl.height - 6 }));
      // Only labels that fit after the previous one (the rule of chart.thinned).
      if (t.label && tx + 3 >= lastLabel + 6 && tx + 3 + 6.6 * t.label.length <= tl.width) {
        lastLabel = tx + 3 + 6.6 * t.label.length;
        const label = svgEl("text", { class: "tick-label" + (t.major ? " major" : ""), x: fmt(tx + 3), y: 16 });
        label.textContent = t.label;
        grid.appendChild(label);
      }
    }
    const asOf = document.getElementById("timeline-as-of");
    const inView = tl.view[0] <= tl.asOf && tl.asOf < tl.view[1];
    asOf.setAttribute("visibility", inView ? "visible" : "hidden");
    const ax = x(tl.asOf + 1);
    const line = asOf.querySelector("line");
    line.setAttribute("x1", fmt(ax)); line.setAttribute("x2", fmt(ax));
    line.setAttribute("y2", String(tl.height - 4));
    const label = asOf.querySelector("text");
    label.setAttribute("x", fmt(ax + 4)); label.setAttribute("y", String(tl.height - 8));
    label.textContent = "as of " + human(tl.asOf);
    const range = document.getElementById("view-range");
    if (range) range.textContent = human(tl.view[0]) + " – " + human(tl.view[1] - 1);
  }

  function setView(start, end) {
    let width = Math.max(2, Math.round(end - start));
    if (width > MAX_VIEW) width = MAX_VIEW;
    const first = Math.round(start);
    tl.view = [first, first + width];
    draw();
    const span = isoOf(tl.view[0]) + ".." + isoOf(tl.view[1] - 1);
    setParams({ span: span });
    syncHidden("span", span);
  }
  function focusDay() {
    // The presets centre on the selected event when it is in view, else on the window's centre.
    const selected = tl.marks.find((m) => m.a.classList.contains("selected"));
    const [s, e] = tl.view;
    const focus = selected ? selected.start : null;
    return focus !== null && focus >= s && focus < e ? focus : Math.floor((s + e) / 2);
  }
  function zoom(action) {
    const [s, e] = tl.view;
    const w = e - s;
    const c = focusDay();
    const mid = Math.floor((s + e) / 2);
    switch (action) {
      case "year": setView(c - 183, c + 183); break;
      case "month": setView(c - 15, c + 16); break;
      case "fit": setView(tl.data[0], tl.data[1]); break;
      case "in": setView(mid - Math.floor(w / 4), mid + Math.floor(w / 4)); break;
      case "out": setView(mid - w, mid + w); break;
      case "earlier": setView(s - Math.floor(w / 2), e - Math.floor(w / 2)); break;
      case "later": setView(s + Math.floor(w / 2), e + Math.floor(w / 2)); break;
      default: break;
    }
  }
  function pan(fraction) {
    const [s, e] = tl.view;
    const shift = Math.round((e - s) * fraction) || (fraction > 0 ? 1 : -1);
    setView(s + shift, e + shift);
  }
  function step(direction) {
    const marks = tl.marks.filter((m) => !m.block);
    if (!marks.length) return;
    const current = marks.findIndex((m) => m.a.classList.contains("selected"));
    let next;
    if (current === -1) {
      next = direction > 0 ? marks.findIndex((m) => m.start >= tl.view[0]) : marks.length - 1;
      if (next === -1) next = 0;
    } else {
      next = Math.min(marks.length - 1, Math.max(0, current + direction));
    }
    const m = marks[next];
    if (m.start < tl.view[0] || m.start >= tl.view[1]) {
      const w = tl.view[1] - tl.view[0];
      setView(m.start - Math.floor(w / 2), m.start + Math.ceil(w / 2));
    }
    select(m.a.dataset.id, {});
  }

  function setupTimeline() {
    if (!tl) return;
    scanMarks();
    draw();
    let frame = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(draw);
    });
    $$("[data-zoom]").forEach((link) => {
      link.setAttribute("role", "button");
      link.addEventListener("click", (ev) => { ev.preventDefault(); zoom(link.dataset.zoom); });
      link.addEventListener("keydown", (ev) => {
        if (ev.key === " ") { ev.preventDefault(); zoom(link.dataset.zoom); }
      });
    });
    viewport.addEventListener("keydown", (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const keys = {
        ArrowLeft: () => pan(-0.2), ArrowRight: () => pan(0.2),
        "+": () => zoom("in"), "=": () => zoom("in"), "-": () => zoom("out"), "_": () => zoom("out"),
        "0": () => zoom("fit"), f: () => zoom("fit"), y: () => zoom("year"), m: () => zoom("month"),
        "[": () => step(-1), "]": () => step(1),
        Home: () => setView(tl.data[0], tl.data[0] + (tl.view[1] - tl.view[0])),
        End: () => setView(tl.data[1] - (tl.view[1] - tl.view[0]), tl.data[1]),
      };
      const action = keys[ev.key];
      if (action) { ev.preventDefault(); action(); }
    });
    // Drag to pan; a drag never counts as a click on the mark it started on.
    let drag = null;
    svg.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, view: tl.view.slice(), moved: false, id: ev.pointerId };
    });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      if (!drag.moved && Math.abs(dx) < 4) return;
      if (!drag.moved) { drag.moved = true; svg.setPointerCapture(drag.id); svg.classList.add("dragging"); }
      const scale = svg.getBoundingClientRect().width / tl.width;
      const days = (dx / scale) * (drag.view[1] - drag.view[0]) / (tl.x1 - tl.x0);
      tl.view = [Math.round(drag.view[0] - days), Math.round(drag.view[1] - days)];
      draw();
    });
    const endDrag = () => {
      if (drag && drag.moved) {
        svg.classList.remove("dragging");
        setView(tl.view[0], tl.view[1]);
        const swallow = (ev) => { ev.preventDefault(); ev.stopPropagation(); };
        svg.addEventListener("click", swallow, { capture: true, once: true });
        setTimeout(() => svg.removeEventListener("click", swallow, { capture: true }), 0);
      }
      drag = null;
    };
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    svg.addEventListener("click", (ev) => {
      const mark = ev.target.closest("a.mark");
      if (!mark) return;
      ev.preventDefault();
      select(mark.dataset.id, {});
    });
  }

  function markFuture() {
    if (!tl) return;
    for (const m of tl.marks) if (!m.block) m.a.classList.toggle("future", m.start > tl.asOf);
    $$("a.claim").forEach((a) => a.classList.toggle("future", Number(a.dataset.start) > tl.asOf));
  }

  // ---- selection and the details panel --------------------------------------------------
  const details = document.getElementById("details");
  let selecting = 0;
  function slot(name) { return details.querySelector('[data-slot="' + name + '"]'); }
  function fill(name, text) { const node = slot(name); if (node) node.textContent = text === null || text === undefined || text === "" ? "—" : String(text); }

  function fillDetails(env) {
    const d = env.data || {};
    const source = env.source || {};
    slot("empty").hidden = true;
    slot("body").hidden = false;
    slot("type").textContent = boot.types[env.type] || env.type;
    const badge = slot("stance");
    badge.hidden = !d.stance;
    badge.textContent = d.stance || "";
    badge.setAttribute("class", "badge k-" + (d.stance || "none"));
    slot("disputed-flag").hidden = !env.disputed;
    slot("title").textContent = headline(env);
    const summary = String(d.summary || "").trim();
    slot("summary-row").hidden = !summary || summary === headline(env);
    fill("summary", summary);
    fill("actor", nameOf(d.actor));
    fill("topic", d.topic ? topicOf(d.topic) : "");
    const conditions = (d.conditions || []).map((c) => (c && typeof c === "object" ? c.text : c)).filter(Boolean);
    slot("conditions-row").hidden = !conditions.length;
    fill("conditions", conditions.join("; "));
    fill("speaker", nameOf(d.speaker));
    fill("written", env.occurred_text || env.occurred);
    const resolved = resolvedText(env);
    fill("resolved", resolved ? resolved + " (" + env.precision + ", " + env.occurred_start + " to " + env.occurred_end + ")" : null);
    fill("document", [source.document, source.publisher].filter(Boolean).join(", "));
    fill("disputed", env.disputed ? "Yes: " + (env.note || "no note") : "No");
    fill("note", env.note);
    slot("quote").textContent = source.quote || "";
    fill("verified", source.verified ? "verified against the registered document" : "not verified (no registered document holds it)");
    fill("recorded-by", env.recorded_by);
    const passage = env.passage;
    slot("passage-row").hidden = !passage;
    const para = slot("passage");
    para.replaceChildren();
    if (passage) {
      slot("passage-title").textContent = passage.title;
      const mark = document.createElement("mark");
      mark.textContent = passage.quote;
      para.append(document.createTextNode(passage.before), mark, document.createTextNode(passage.after));
    }
    slot("anchor").setAttribute("href", "#event-" + env.id);
    slot("json").setAttribute("href", "/api/events/" + encodeURIComponent(env.id));
  }

  async function select(id, options) {
    const ticket = ++selecting;
    $$(".selected", svg || document).forEach((n) => n.classList.remove("selected"));
    $$("article.is-selected").forEach((n) => n.classList.remove("is-selected"));
    $$('#timeline-marks a[data-id="' + CSS.escape(id) + '"]').forEach((n) => n.classList.add("selected"));
    const article = document.getElementById("event-" + id);
    if (article) article.classList.add("is-selected");
    setParams({ event: id });
    syncHidden("event", id);
    try {
      const response = await fetch("/api/events/" + encodeURIComponent(id), { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const env = await response.json();
      if (ticket !== selecting) return;
      fillDetails(env);
    } catch (err) {
      if (ticket !== selecting) return;
      slot("empty").hidden = false;
      slot("body").hidden = true;
      slot("empty").textContent = "That event could not be loaded (" + err.message + ").";
    }
    reveal(options.reveal);
  }

  // The card opens beside the mark: sticky in its column on wide screens, a sheet over the
  // bottom of the screen on narrow ones, and floating at the side when the column is out of
  // view (a row of the list was chosen); never somewhere the reader has to scroll to.
  function reveal(focus) {
    details.classList.remove("floating");
    details.classList.add("open");
    const close = details.querySelector("[data-close]");
    if (close) close.hidden = false;
    if (window.matchMedia("(min-width: 1150px)").matches) {
      const r = details.getBoundingClientRect();
      if (r.bottom < 0 || r.top > window.innerHeight) details.classList.add("floating");
    }
    if (focus) details.focus({ preventScroll: true });
  }
  function closeDetails() {
    details.classList.remove("open", "floating");
    const close = details.querySelector("[data-close]");
    if (close) close.hidden = true;
  }

  function setupSelection() {
    if (!details.querySelector('[data-slot="body"]').hidden) details.classList.add("open");
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeDetails(); });
    document.addEventListener("click", (ev) => {
      if (ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      if (ev.target.closest("[data-close]")) { ev.preventDefault(); closeDetails(); return; }
      const opener = ev.target.closest("[data-open]");
      if (opener) {
        const target = document.getElementById(opener.dataset.open);
        if (target) { ev.preventDefault(); target.open = true; target.scrollIntoView({ block: "nearest" }); }
        return;
      }
      const link = ev.target.closest("a[data-select]");
      if (!link) return;
      ev.preventDefault();
      select(link.dataset.select, { reveal: true });
    });
  }

  // ---- the as-of date, the slider and the matrix ------------------------------------------
  const asOfInput = document.getElementById("as_of");
  const slider = document.getElementById("as_of_slider");
  const matrix = document.getElementById("matrix");
  let matrixTicket = 0;
  let asOfTimer = 0;

  function cellTitle(ans) {
    let title = ans.since ? ans.stance + " since " + ans.since : ans.stance;
    if (ans.possible && ans.possible.length) title += "; may already be " + ans.possible.join(" or ") + " (a dated span overlaps the date)";
    if (ans.conditions && ans.conditions.length) title += "; conditions: " + ans.conditions.join("; ");
    return title;
  }
  function updateCell(td, ans, asOfIso) {
    const evidence = (ans.evidence || []).find((e) => e.counts === "certain") || (ans.evidence || [])[0] || null;
    td.setAttribute("data-stance", ans.stance);
    td.setAttribute("data-certain", ans.certain ? "true" : "false");
    td.setAttribute("data-evidence", evidence ? evidence.id : "");
    td.setAttribute("title", cellTitle(ans));
    const link = td.querySelector("a.cell");
    if (evidence) {
      link.setAttribute("href", queryWith({ event: evidence.id }) + "#details");
      link.setAttribute("data-select", evidence.id);
    } else {
      const q = new URLSearchParams({ actor: td.dataset.actor, topic: td.dataset.topic, as_of: asOfIso });
      link.setAttribute("href", "/api/stances?" + q.toString());
      link.removeAttribute("data-select");
    }
    link.querySelector(".cell-text").textContent = ans.stance + (ans.certain ? "" : "?");
    let note = link.querySelector(".cell-note");
    if (!ans.certain && ans.possible && ans.possible.length) {
      if (!note) { note = el("span", { class: "cell-note" }); link.appendChild(note); }
      note.textContent = "may be " + ans.possible.join(" or ");
    } else if (note) {
      note.remove();
    }
  }
  function addRow(actor) {
    const columns = $$("thead th[data-topic]", matrix).map((th) => th.dataset.topic);
    let body = $('tbody[data-group="live"]', matrix);
    if (!body) {
      body = el("tbody", { "data-group": "live" });
      const head = el("tr", { class: "group-row" });
      head.appendChild(el("th", { scope: "rowgroup", colspan: String(columns.length + 1) }, "New since this page loaded"));
      body.appendChild(head);
      matrix.appendChild(body);
    }
    const row = el("tr", { "data-actor": actor });
    row.appendChild(el("th", { scope: "row" }, nameOf(actor)));
    for (const topic of columns) {
      const td = el("td", { "data-actor": actor, "data-topic": topic, "data-stance": "unknown", "data-certain": "true" });
      const link = el("a", { class: "cell", href: "#" });
      link.appendChild(el("span", { class: "cell-text" }, "unknown"));
      td.appendChild(link);
      row.appendChild(td);
    }
    body.appendChild(row);
  }
  async function refreshMatrix() {
    if (!matrix) return;
    const asOfIso = isoOf(tl ? tl.asOf : dayNumber(asOfInput.value));
    if (matrix.dataset.windowed === "true") {
      // Too many pairs to answer in one request: the server renders the window instead.
      window.location.assign(queryWith({ as_of: asOfIso }) + "#matrix-section");
      return;
    }
    const ticket = ++matrixTicket;
    const q = new URLSearchParams({ as_of: asOfIso });
    if (boot.known_at) q.set("known_at", boot.known_at);
    if (boot.reported_by) q.set("reported_by", boot.reported_by);
    if (boot.filters.actor) q.set("actor", boot.filters.actor);
    if (boot.filters.topic) q.set("topic", boot.filters.topic);
    matrix.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/api/stances?" + q.toString(), { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const body = await response.json();
      if (ticket !== matrixTicket) return;
      const answers = new Map(body.stances.map((s) => [s.actor + "\u0000" + s.topic, s]));
      for (const s of body.stances) {
        if (!matrix.querySelector('tr[data-actor="' + CSS.escape(s.actor) + '"]')) addRow(s.actor);
      }
      const unknown = { stance: "unknown", certain: true, possible: [], evidence: [], since: null, conditions: [] };
      $$("td[data-actor]", matrix).forEach((td) => {
        updateCell(td, answers.get(td.dataset.actor + "\u0000" + td.dataset.topic) || unknown, body.as_of);
      });
      matrix.setAttribute("data-as-of", body.as_of);
      const label = document.getElementById("matrix-date");
      if (label) { label.textContent = human(dayNumber(body.as_of)); label.setAttribute("datetime", body.as_of); }
    } catch (err) {
      setStatus("error", "The matrix could not be updated (" + err.message + ").");
    } finally {
      if (ticket === matrixTicket) matrix.removeAttribute("aria-busy");
    }
  }
  function followAsOf(asOfIso) {
    // The matrix's CSV link downloads what the matrix shows: as of the date just chosen.
    $$("a[data-follows-as-of]").forEach((link) => {
      const url = new URL(link.getAttribute("href"), window.location.href);
      url.searchParams.set("as_of", asOfIso);
      link.setAttribute("href", url.pathname + url.search);
    });
  }
  function applyAsOf(day, immediate) {
    if (tl) tl.asOf = day;
    setParams({ as_of: isoOf(day) });
    followAsOf(isoOf(day));
    if (tl) draw();
    markFuture();
    clearTimeout(asOfTimer);
    if (immediate) refreshMatrix();
    // A windowed matrix reloads the page: wait until the slider is let go.
    else if (!matrix || matrix.dataset.windowed !== "true") asOfTimer = setTimeout(refreshMatrix, 180);
  }
  function setupDates() {
    if (!asOfInput) return;
    const field = document.getElementById("slider-field");
    if (field && slider) field.hidden = false;
    const start = slider ? dayNumber(slider.dataset.start) : 0;
    asOfInput.addEventListener("change", () => {
      if (!asOfInput.value) return;
      const day = dayNumber(asOfInput.value);
      if (Number.isNaN(day)) return;
      if (slider) { slider.value = String(day - start); slider.setAttribute("aria-valuetext", human(day)); }
      applyAsOf(day, true);
    });
    if (slider) {
      slider.addEventListener("input", () => {
        const day = start + Number(slider.value);
        asOfInput.value = isoOf(day);
        slider.setAttribute("aria-valuetext", human(day));
        applyAsOf(day, false);
      });
      slider.addEventListener("change", () => applyAsOf(start + Number(slider.value), true));
    }
    // A changed filter needs the server (the list and timeline are rendered there).
    const form = document.getElementById("view-form");
    ["actor", "topic", "type"].forEach((id) => {
      const select = document.getElementById(id);
      if (select) select.addEventListener("change", () => form.requestSubmit());
    });
  }

  // ---- live updates --------------------------------------------------------------------
  const status = document.getElementById("live-status");
  let unseen = 0;
  function setStatus(state, text) {
    if (!status) return;
    status.setAttribute("data-state", state);
    status.textContent = text;
  }
  function matches(env) {
    const d = env.data || {};
    const f = boot.filters;
    if (f.type && env.type !== f.type) return false;
    if (!f.type && REGISTRY.includes(env.type)) return false;
    if (f.topic && d.topic !== f.topic) return false;
    if (f.actor) {
      const named = [d.actor, d.speaker, d.represents].concat(d.participants || [], d.signatories || [], d.members || []);
      if (!named.includes(f.actor)) return false;
    }
    return true;
  }

  function buildRow(env) {
    const d = env.data || {};
    const symbol = SYMBOLS[env.type] || "other";
    const row = el("tr", {
      id: "event-" + env.id, class: "event is-new" + (env.disputed ? " is-disputed" : ""),
      "data-id": env.id, "data-position": String(env.position), "data-type": env.type,
      "data-actor": d.actor || "", "data-topic": d.topic || "", "data-stance": d.stance || "",
      "data-start": env.occurred_start ? String(dayNumber(env.occurred_start)) : "",
      "data-end": env.occurred_end ? String(dayNumber(env.occurred_end) + 1) : "",
    });
    const date = el("td", { class: "col-date" });
    date.appendChild(el("time", { datetime: env.occurred_start || "" }, env.occurred_text || env.occurred || "undated"));
    row.appendChild(date);
    row.appendChild(el("td", { class: "col-actor" }, nameOf(d.actor) || "—"));
    row.appendChild(el("td", { class: "col-topic" }, d.topic ? topicOf(d.topic) : "—"));
    const stance = el("td", { class: "col-stance" });
    if (d.stance) stance.appendChild(el("span", { class: "badge k-" + d.stance }, d.stance));
    else {
      const type = el("span", { class: "type-label" });
      const glyph = svgEl("svg", { class: "glyph t-" + symbol, viewBox: "-8 -8 16 16", width: 14, height: 14, "aria-hidden": "true", focusable: "false" });
      glyph.appendChild(svgEl("use", { href: "#sym-" + symbol }));
      type.appendChild(glyph);
      type.appendChild(document.createTextNode(boot.types[env.type] || env.type));
      stance.appendChild(type);
    }
    if (env.disputed) { stance.appendChild(document.createTextNode(" ")); stance.appendChild(el("span", { class: "flag flag-disputed" }, "disputed")); }
    stance.appendChild(document.createTextNode(" "));
    stance.appendChild(el("span", { class: "flag flag-new" }, "new"));
    row.appendChild(stance);
    const summary = el("td", { class: "col-summary" });
    summary.appendChild(el("a", { class: "select-link", "data-select": env.id, href: queryWith({ event: env.id }) + "#details" }, headline(env)));
    row.appendChild(summary);
    return row;
  }
  function addListRow(env) {
    const list = document.getElementById("event-list");
    if (!list || document.getElementById("event-" + env.id)) return;
    const empty = document.getElementById("no-events");
    if (empty) empty.remove();
    const article = buildRow(env);
    const start = env.occurred_start ? dayNumber(env.occurred_start) : -Infinity;
    const articles = $$("tr.event", list);
    if (tl && tl.mode === "buckets") {
      // The list pages through the log in order: a new event belongs on the last page only.
      if (!document.getElementById("more-events")) list.appendChild(article);
      return;
    }
    // Newest first by the date it happened, as the server orders the list.
    const before = articles.find((a) => {
      const s = a.dataset.start === "" ? -Infinity : Number(a.dataset.start);
      return s < start || (s === start && Number(a.dataset.position) < env.position);
    });
    list.insertBefore(article, before || null);
  }
  function addLane(key, actor, topic) {
    const lanes = $(".lanes", svg);
    const y = tl.height - BOTTOM + LANE / 2;
    const group = svgEl("g", { class: "lane first", "data-lane": actor, "data-key": key, "data-topic": topic, "data-y": y });
    group.appendChild(svgEl("rect", { class: "lane-bg", x: 0, y: y - 10, width: tl.width, height: 20 }));
    const label = svgEl("text", { class: "lane-label", x: tl.x0 - 10, y: y + 4, "text-anchor": "end" });
    let name = actor ? nameOf(actor) : "Meetings & agreements";
    if (topic) name += " · " + topic.replace(/-/g, " ");
    label.textContent = name.length > 27 ? name.slice(0, 26) + "…" : name;
    group.appendChild(label);
    lanes.appendChild(group);
    fitLabels();
    tl.height += LANE;
    svg.setAttribute("data-height", String(tl.height));
    return group;
  }
  function addMark(env) {
    if (!tl || tl.mode !== "events" || !env.occurred_start || !env.occurred_end) return;
    if (REGISTRY.includes(env.type)) return;
    if ($('#timeline-marks a[data-id="' + CSS.escape(env.id) + '"]')) return;
    const d = env.data || {};
    const actor = d.actor || "";
    const topic = actor && !boot.filters.topic ? (d.topic || "") : "";
    const key = topic ? actor + "|" + topic : actor;
    const lane = $('.lane[data-key="' + CSS.escape(key) + '"]', svg) || addLane(key, actor, topic);
    const y = Number(lane.getAttribute("data-y"));
    const start = dayNumber(env.occurred_start);
    const end = dayNumber(env.occurred_end) + 1;
    const symbol = SYMBOLS[env.type] || "other";
    const kind = env.type === "stance.declared" && d.stance ? d.stance : "neutral";
    const classes = ["mark", "k-" + kind, "t-" + symbol, "is-new"];
    if (env.disputed) classes.push("disputed");
    if (end - start > 1) classes.push("is-range");
    if (start > tl.asOf) classes.push("future");
    const a = svgEl("a", {
      class: classes.join(" "), href: queryWith({ event: env.id }) + "#details",
      "data-id": env.id, "data-start": start, "data-end": end, "data-lane": key, "data-topic": d.topic || "",
      "data-type": env.type, "data-stance": d.stance || "", tabindex: "-1",
    });
    const title = svgEl("title", {});
    title.textContent = headline(env);
    a.appendChild(title);
    if (end - start > 1) {
      a.appendChild(svgEl("rect", { x: 0, y: y - 5, width: 3, height: 10, rx: 3 }));
      if (symbol !== "stance") a.appendChild(svgEl("use", { href: "#sym-" + symbol, class: "range-glyph", x: 0, y: y }));
    } else {
      a.appendChild(svgEl("use", { href: "#sym-" + symbol, x: 0, y: y }));
    }
    document.getElementById("timeline-marks").appendChild(a);
    scanMarks();
    draw();
  }
  function strikeMark(targetId, byId) {
    // A retracted or superseded event is never drawn as a live mark: grey, struck through.
    const mark = document.querySelector('#timeline-marks a.mark[data-id="' + CSS.escape(targetId) + '"]');
    if (!mark || mark.classList.contains("voided")) return;
    Array.from(mark.classList).filter((c) => c.indexOf("k-") === 0).forEach((c) => mark.classList.remove(c));
    mark.classList.add("voided", "k-voided");
    const title = mark.querySelector("title");
    if (title) title.textContent = "Retracted (by event " + byId + "): " + title.textContent;
    const shape = mark.querySelector("rect") || mark.querySelector("use");
    if (!shape) return;
    const box = shape.getBBox();
    const ranged = shape.tagName === "rect";
    const mid = box.y + box.height / 2;
    const line = svgEl("line", { class: "strike", x1: box.x - 2, x2: box.x + box.width + 2,
      y1: ranged ? mid : box.y + box.height, y2: ranged ? mid : box.y });
    mark.appendChild(line);
    const entry = tl && tl.marks.find((m) => m.a === mark);
    if (entry) { entry.strike = line; draw(); }
  }
  function markRetracted(targetId, byId) {
    strikeMark(targetId, byId || "");
    const article = document.getElementById("event-" + targetId);
    if (article && !article.classList.contains("is-voided")) {
      article.classList.add("is-voided");
      const cell = article.querySelector(".col-stance");
      if (cell) { cell.appendChild(document.createTextNode(" ")); cell.appendChild(el("span", { class: "flag flag-voided" }, "retracted")); }
    }
  }
  let claimsTimer = 0;
  async function refreshClaims() {
    // The chart's layout is the server's (chart.claims_chart): ask for this view again and
    // take its claims section, already escaped there; nothing from the event becomes markup.
    const body = document.getElementById("claims-body");
    if (!body) return;
    try {
      const response = await fetch(window.location.pathname + window.location.search, { headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("claims-body");
      if (!fresh) return;
      body.replaceWith(document.importNode(fresh, true));
      markFuture();
    } catch (err) {
      setStatus("error", "The claims chart could not be updated (" + err.message + ").");
    }
  }
  function onAppended(env) {
    boot.head = Math.max(boot.head, env.position);
    const count = document.getElementById("log-count");
    if (count) count.textContent = boot.head.toLocaleString("en-GB");
    if (boot.known_at) {
      // This view is the log as it stood at a past time: new events are not part of it.
      unseen += 1;
      setStatus("paused", unseen + " new event" + (unseen === 1 ? "" : "s") + " recorded since; not shown because this view is “known at” a past time.");
      return;
    }
    if (env.type === "stance.declared" || env.type === "event.retracted" || env.supersedes) {
      clearTimeout(asOfTimer);
      asOfTimer = setTimeout(refreshMatrix, 150);
    }
    if (env.type === "claim.made" || env.type === "event.retracted" || env.supersedes) {
      clearTimeout(claimsTimer);
      claimsTimer = setTimeout(refreshClaims, 250);
    }
    if (env.type === "event.retracted" && env.data && env.data.target) markRetracted(env.data.target, env.id);
    if (env.supersedes) markRetracted(env.supersedes, env.id);
    if (!matches(env)) return;
    addListRow(env);
    addMark(env);
    setStatus("live", "Live · new: " + headline(env));
  }
  function connect() {
    if (!("EventSource" in window)) return;
    setStatus("connecting", "Connecting to live updates…");
    const source = new EventSource("/api/live?after=" + encodeURIComponent(String(boot.head)));
    source.addEventListener("open", () => setStatus("live", "Live: new events appear as they are recorded."));
    source.addEventListener("error", () => setStatus("reconnecting", "Live updates interrupted; reconnecting…"));
    source.addEventListener("appended", (message) => {
      let env;
      try { env = JSON.parse(message.data); } catch (err) { return; }
      onAppended(env);
    });
    window.addEventListener("pagehide", () => source.close());
  }

  setupTimeline();
  setupSelection();
  setupDates();
  markFuture();
  connect();
})();
