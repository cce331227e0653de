/* Stanceline's "Add an event" form: enters one event through POST /api/events.
 *
 * Without this script the form stays hidden and a note says how to append through the API.
 * Rules it keeps (as app.js does):
 *  - text from the service or the user reaches the DOM only through textContent / value;
 *  - the write token lives in sessionStorage (this tab only), is sent as a bearer header and
 *    never as a cookie, so there is nothing for a cross-site request to ride on;
 *  - the service decides: what the form checks as you type (the date's span, the quote in its
 *    document) is a preview of what the service checks again on append.
 * The event appears on the page through the page's live updates (app.js, /api/live).
 */
"use strict";

(function () {
  const form = document.getElementById("entry-form");
  if (!form) return;
  const note = document.getElementById("entry-nojs");
  if (note) note.hidden = true;
  form.hidden = false;

  const TOKEN_KEY = "stanceline.token";
  const $ = (id) => document.getElementById(id);
  const fields = {
    type: $("entry-type"), actor: $("entry-actor"), topic: $("entry-topic"),
    speaker: $("entry-speaker"), stance: $("entry-stance"), summary: $("entry-summary"),
    date: $("entry-date"), relative: $("entry-relative"), document: $("entry-document"),
    url: $("entry-url"), quote: $("entry-quote"), token: $("entry-token"),
  };
  const conditions = $("entry-conditions");
  const preview = $("entry-preview");
  const status = $("entry-status");
  const dateOut = $("entry-date-resolved");
  const quoteOut = $("entry-quote-check");

  const directory = { actors: new Map(), actorIds: new Map(), topics: new Map(), topicIds: new Map() };
  let documents = null;  // Map id -> metadata once /api/documents answered; null: not offered
  const documentText = new Map();
  let resolvedDate = null;
  let eventId = newId();

  // ---- helpers ---------------------------------------------------------------------------
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  const fold = (s) => String(s || "").normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
  // The same normalisation the service applies before looking for a quote in its document.
  const QUOTE_MARKS = { "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u00a0": " " };
  const normaliseQuote = (s) => String(s || "").normalize("NFKC")
    .replace(/[\u2018\u2019\u201a\u201b\u2032`\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2010-\u2015\u2212\u00a0]/g, (c) => QUOTE_MARKS[c])
    .replace(/\s+/g, " ").trim().toLowerCase();
  function debounce(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }
  function option(list, value, label) {
    const node = document.createElement("option");
    node.value = value;
    if (label) node.label = label;
    node.textContent = label || value;
    list.appendChild(node);
  }
  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    return response.json();
  }
  function setOut(node, state, text) {
    node.dataset.state = state;
    node.textContent = text;
  }

  // ---- the directory (autocomplete) --------------------------------------------------------
  async function loadDirectory() {
    const [actors, topics, docs] = await Promise.all([
      getJSON("/api/actors").catch(() => null), getJSON("/api/topics").catch(() => null),
      form.dataset.documents === "yes" ? getJSON("/api/documents").catch(() => null) : null]);
    if (actors && Array.isArray(actors.actors)) {
      const list = $("entry-actors");
      for (const a of actors.actors) {
        directory.actorIds.set(a.actor, a);
        for (const key of [a.actor, a.name, ...(a.aliases || [])]) {
          if (!directory.actors.has(fold(key))) directory.actors.set(fold(key), a.actor);
        }
        option(list, a.actor, a.name + " (" + a.kind + ")");
      }
    }
    if (topics && Array.isArray(topics.topics)) {
      const list = $("entry-topics");
      for (const t of topics.topics) {
        directory.topicIds.set(t.topic, t);
        directory.topics.set(fold(t.topic), t.topic);
        if (t.title) directory.topics.set(fold(t.title), t.topic);
        option(list, t.topic, t.title);
      }
    }
    if (docs && Array.isArray(docs.documents)) {
      documents = new Map();
      const list = $("entry-documents");
      for (const d of docs.documents) {
        documents.set(d.document, d);
        option(list, d.document, d.title);
      }
    }
    form.dataset.directory = "loaded";
    describeRefs();
    checkQuote();
    update();
  }
  function actorId(value) {
    const v = value.trim();
    if (!v || directory.actorIds.has(v)) return v;
    return directory.actors.get(fold(v)) || v;
  }
  function topicId(value) {
    const v = value.trim();
    if (!v || directory.topicIds.has(v)) return v;
    return directory.topics.get(fold(v)) || v;
  }
  function describeRefs() {
    const hint = (path, text) => {
      const node = form.querySelector('[data-hint-for="' + path + '"]');
      if (node) node.textContent = text;
    };
    for (const [input, path, empty] of [[fields.actor, "data.actor", "An id or a name from the directory"],
      [fields.speaker, "data.speaker", "A person who spoke for the actor"]]) {
      const v = input.value.trim();
      const id = actorId(v);
      const entry = directory.actorIds.get(id);
      hint(path, !v ? empty : entry ? "→ " + id + ": " + entry.name + " (" + entry.kind + ")"
        : directory.actorIds.size ? "Not in the directory: register it first" : empty);
    }
    const t = fields.topic.value.trim();
    const tid = topicId(t);
    const topic = directory.topicIds.get(tid);
    hint("data.topic", !t ? "A topic id or title" : topic ? "→ " + tid + ": " + topic.title
      : directory.topicIds.size ? "Not a defined topic" : "A topic id or title");
  }

  // ---- conditions ------------------------------------------------------------------------
  function addCondition(on, text) {
    const li = document.createElement("li");
    const onInput = document.createElement("input");
    onInput.type = "text";
    onInput.setAttribute("list", "entry-topics");
    onInput.placeholder = "on: a topic, e.g. us-backstop";
    onInput.setAttribute("aria-label", "Condition: the topic it depends on");
    onInput.className = "condition-on";
    onInput.value = on || "";
    const textInput = document.createElement("input");
    textInput.type = "text";
    textInput.placeholder = "the words of the source, e.g. a US backstop";
    textInput.setAttribute("aria-label", "Condition: the words of the source");
    textInput.className = "condition-text";
    textInput.value = text || "";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => { li.remove(); renumber(); update(); });
    const error = document.createElement("p");
    error.className = "field-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    li.append(onInput, textInput, remove, error);
    conditions.appendChild(li);
    renumber();
    return li;
  }
  function renumber() {
    Array.from(conditions.children).forEach((li, i) => {
      const base = "data.conditions." + i;
      li.dataset.path = base;
      li.querySelector(".condition-on").dataset.path = base + ".on";
      li.querySelector(".condition-text").dataset.path = base + ".text";
      li.querySelector(".field-error").dataset.errorFor = base;
    });
  }
  $("entry-add-condition").addEventListener("click", () => {
    const li = addCondition();
    li.querySelector("input").focus();
    update();
  });

  // ---- what will be stored ---------------------------------------------------------------
  function sourceKind() {
    const checked = form.querySelector('input[name="entry-source-kind"]:checked');
    return checked ? checked.value : "document";
  }
  function build() {
    const type = fields.type.value;
    const data = { actor: actorId(fields.actor.value) };
    const topic = topicId(fields.topic.value);
    if (topic) data.topic = topic;
    if (type === "stance.declared") {
      data.stance = fields.stance.value;
      const conds = Array.from(conditions.children).map((li) => ({
        on: topicId(li.querySelector(".condition-on").value),
        text: li.querySelector(".condition-text").value.trim(),
      })).filter((c) => c.on || c.text);
      if (conds.length) data.conditions = conds;
    }
    const speaker = actorId(fields.speaker.value);
    if (speaker) data.speaker = speaker;
    const summary = fields.summary.value.trim();
    if (summary) data.summary = summary;
    const event = { id: eventId, type, data };
    const when = fields.date.value.trim();
    if (when) {
      // EDTF as written is `occurred`; words are `occurred_text`, resolved by the service.
      if (resolvedDate && resolvedDate.text === when && resolvedDate.is_edtf) event.occurred = when;
      else event.occurred_text = when;
    }
    if (fields.relative.value) event.relative_to = fields.relative.value;
    const source = {};
    if (sourceKind() === "url") {
      const url = fields.url.value.trim();
      if (url) source.url = url;
    } else {
      const doc = fields.document.value.trim();
      if (doc) source.document = doc;
    }
    const quote = fields.quote.value.trim();
    if (quote) source.quote = quote;
    if (Object.keys(source).length) event.source = source;
    return { events: [event] };
  }
  function update() {
    const type = fields.type.value;
    for (const node of form.querySelectorAll("[data-for-type]")) node.hidden = node.dataset.forType !== type;
    const kind = sourceKind();
    for (const node of form.querySelectorAll("[data-for-source]")) node.hidden = node.dataset.forSource !== kind;
    preview.textContent = JSON.stringify(build(), null, 2);
  }

  // ---- the date, resolved as you type ----------------------------------------------------
  let dateSeq = 0;
  const resolveDate = debounce(async () => {
    const text = fields.date.value.trim();
    const seq = ++dateSeq;
    if (!text) {
      resolvedDate = null;
      setOut(dateOut, "idle", "Words or ISO; the span it resolves to shows here");
      update();
      return;
    }
    const params = new URLSearchParams({ text });
    if (fields.relative.value) params.set("relative_to", fields.relative.value);
    let response, body;
    try {
      response = await fetch("/api/dates?" + params.toString(), { headers: { Accept: "application/json" } });
      body = await response.json();
    } catch (err) {
      if (seq === dateSeq) setOut(dateOut, "error", "Could not reach the service to resolve the date");
      return;
    }
    if (seq !== dateSeq) return;  // an older answer arriving late
    if (response.ok) {
      resolvedDate = body;
      const span = body.open ? "on or before " + body.end : body.start === body.end ? body.start : body.start + " to " + body.end;
      setOut(dateOut, "ok", span + " (" + body.precision + (body.open ? ", open start " : ", ") + body.edtf + ")");
      clearError("occurred");
    } else {
      resolvedDate = null;
      setOut(dateOut, "error", body && body.detail ? body.detail : "not understood");
    }
    update();
  }, 200);

  // ---- the quote, checked against its document as you type -------------------------------
  let quoteSeq = 0;
  const checkQuote = debounce(async () => {
    const seq = ++quoteSeq;
    const quote = fields.quote.value.trim();
    if (sourceKind() === "url") {
      setOut(quoteOut, "idle", "A quote from a URL is kept as given (only registered documents are checked)");
      return;
    }
    const doc = fields.document.value.trim();
    if (!quote || !doc) { setOut(quoteOut, "idle", "The words as the source has them"); return; }
    if (documents === null) {
      setOut(quoteOut, "idle", "The service checks the quote against its document when you append");
      return;
    }
    const meta = documents.get(doc);
    if (!meta) { setOut(quoteOut, "bad", "“" + doc + "” is not a registered document"); return; }
    let text = documentText.get(doc);
    if (text === undefined) {
      const body = await getJSON("/api/documents/" + encodeURIComponent(doc)).catch(() => null);
      text = body && typeof body.text === "string" ? body.text : null;
      documentText.set(doc, text);
    }
    if (seq !== quoteSeq) return;
    if (text === null) { setOut(quoteOut, "idle", "The service checks the quote when you append"); return; }
    if (normaliseQuote(text).includes(normaliseQuote(quote))) {
      setOut(quoteOut, "ok", "Found in “" + (meta.title || doc) + "”");
      clearError("source.quote");
    } else {
      setOut(quoteOut, "bad", "Not found in “" + (meta.title || doc) + "”: the service will refuse it");
    }
  }, 200);

  // ---- errors beside their fields --------------------------------------------------------
  function errorNode(path) {
    return Array.from(form.querySelectorAll("[data-error-for]")).find((n) => n.dataset.errorFor === path) || null;
  }
  function inputsOf(path) {
    return Array.from(form.querySelectorAll("[data-path]")).filter((n) => n.dataset.path === path || n.dataset.path.startsWith(path + "."));
  }
  function clearError(path) {
    const node = errorNode(path);
    if (node) { node.hidden = true; node.textContent = ""; }
    for (const input of inputsOf(path)) input.removeAttribute("aria-invalid");
  }
  function clearErrors() {
    for (const node of form.querySelectorAll("[data-error-for]")) { node.hidden = true; node.textContent = ""; }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }
  function fieldPath(path, message) {
    let p = String(path || "").replace(/^body\./, "").replace(/^events\.0(\.|$)/, "");
    if (p === "occurred_text") p = "occurred";
    if (p === "" || p === "events") {
      if (/`occurred`|occurred_text/.test(message)) return "occurred";
      if (/`source`/.test(message)) return "source.quote";
      return "";
    }
    if (p === "source" || p === "source.document" || p === "source.url") {
      return sourceKind() === "url" ? "source.url" : "source.document";
    }
    return p;
  }
  function showError(path, message) {
    let p = path;
    while (p) {
      const node = errorNode(p);
      if (node && !node.parentElement.closest("[hidden]")) {
        // Placed beside a containing field: say which part of it (`text` of a condition).
        const said = p === path ? message : path.slice(p.length + 1) + ": " + message;
        node.textContent = node.textContent ? node.textContent + "; " + said : said;
        node.hidden = false;
        for (const input of inputsOf(p)) input.setAttribute("aria-invalid", "true");
        return true;
      }
      p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "";
    }
    return false;
  }
  function setStatus(state, text, link) {
    status.dataset.state = state;
    status.textContent = text;
    if (link) {
      status.append(" ");
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      status.appendChild(a);
    }
  }

  // ---- submit ----------------------------------------------------------------------------
  async function submit(event) {
    event.preventDefault();
    clearErrors();
    const body = build();
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const token = fields.token.value.trim();
    if (token) headers.Authorization = "Bearer " + token;
    setStatus("busy", "Appending…");
    $("entry-submit").disabled = true;
    let response, answer;
    try {
      response = await fetch("/api/events", { method: "POST", headers, body: JSON.stringify(body), credentials: "omit" });
      answer = await response.json().catch(() => ({}));
    } catch (err) {
      setStatus("error", "Could not reach the service: nothing was appended.");
      return;
    } finally {
      $("entry-submit").disabled = false;
    }
    if (response.status === 201) {
      const done = (answer.appended || [])[0] || {};
      setStatus("ok", "Appended at position " + done.position + " (" + done.stream + ", version " + done.version + ").",
        { href: "?event=" + encodeURIComponent(done.id || eventId) + "#details", text: "Show it" });
      form.dataset.appended = done.id || eventId;
      eventId = newId();
      fields.summary.value = "";
      fields.quote.value = "";
      setOut(quoteOut, "idle", "The words as the source has them");
      update();
      return;
    }
    const detail = answer.detail || ("HTTP " + response.status);
    if (response.status === 401) {
      showError("token", detail);
      setStatus("error", "Refused: this service needs a write token.");
      return;
    }
    let placed = 0;
    for (const e of answer.errors || []) {
      if (showError(fieldPath(e.path, e.message || ""), e.message || detail)) placed += 1;
    }
    const left = (answer.errors || []).length - placed;
    if (!placed) {
      setStatus("error", "Refused (" + response.status + "): " + detail);
    } else {
      setStatus("error", "Refused: see the " + (placed === 1 ? "field" : placed + " fields") + " marked above"
        + (left > 0 ? " (and: " + detail + ")" : "") + ". Nothing was appended.");
    }
    const first = form.querySelector('.field-error:not([hidden])');
    if (first) {
      const input = first.parentElement.querySelector("[data-path]");
      if (input) input.focus();
    }
  }

  // ---- wiring ----------------------------------------------------------------------------
  try {
    fields.token.value = window.sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (err) { /* storage blocked: the token is simply not remembered */ }
  fields.token.addEventListener("input", () => {
    try {
      const v = fields.token.value.trim();
      if (v) window.sessionStorage.setItem(TOKEN_KEY, v);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (err) { /* ignore */ }
    clearError("token");
  });
  form.addEventListener("input", (e) => {
    const path = e.target && e.target.dataset ? e.target.dataset.path : null;
    if (path) clearError(path);
    describeRefs();
    update();
  });
  form.addEventListener("change", () => { update(); checkQuote(); });
  fields.date.addEventListener("input", resolveDate);
  fields.relative.addEventListener("change", resolveDate);
  fields.quote.addEventListener("input", checkQuote);
  fields.document.addEventListener("input", checkQuote);
  form.addEventListener("submit", submit);
  form.addEventListener("reset", () => {
    setTimeout(() => {
      conditions.replaceChildren();
      eventId = newId();
      resolvedDate = null;
      clearErrors();
      setOut(dateOut, "idle", "Words or ISO; the span it resolves to shows here");
      setOut(quoteOut, "idle", "The words as the source has them");
      setStatus("", "");
      try { fields.token.value = window.sessionStorage.getItem(TOKEN_KEY) || ""; } catch (err) { /* ignore */ }
      describeRefs();
      update();
    }, 0);
  });
  fields.stance.addEventListener("change", () => {
    if (fields.stance.value === "conditional" && !conditions.children.length) addCondition();
    update();
  });
  update();
  loadDirectory();
})();
