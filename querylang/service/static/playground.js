// querylang playground: the query box -> the check routes and the endpoint -> what the page shows.
//
// The page asks only its own server: /_querylang/check, /_querylang/sql/{dialect} and
// /contacts/{id}/campaign-communications. The query is sent as the query string; the characters a
// browser would percent-encode there (spaces, quotes, #, <, >, controls, non-ASCII) are encoded
// here first, so that the server's spans (offsets into what it received) map back to the text
// typed. Query, contact and dialect live in the page's URL (history.replaceState), so the URL
// is the link; the token stays in this tab (sessionStorage) and never goes into a link.
"use strict";

(() => {
  const DEBOUNCE_MS = 200;
  const byId = (id) => document.getElementById(id);
  const box = byId("query");
  const backdrop = byId("backdrop");
  const contact = byId("contact");
  const token = byId("token");
  const dialect = byId("dialect");
  let generation = 0;
  let inFlight = null;
  let timer = null;

  // ---- the text as sent, and spans back to the text as typed

  // WHATWG URL: the query percent-encode set of special schemes, plus what is not ASCII.
  const ENCODED_ASCII = new Set([" ", '"', "#", "<", ">", "'"]);

  function percentEncode(ch) {
    const code = ch.codePointAt(0);
    if (code < 0x80) return "%" + code.toString(16).toUpperCase().padStart(2, "0");
    try {
      return encodeURIComponent(ch);
    } catch (error) {
      return "%EF%BF%BD"; // a lone surrogate: what a browser sends for it (U+FFFD)
    }
  }

  function encodeForQuery(text) {
    const points = Array.from(text);
    const starts = []; // starts[i]: where code point i begins in `sent`
    const units = []; // units[i]: where code point i begins in `text` (UTF-16 units)
    let sent = "";
    let unit = 0;
    for (const ch of points) {
      starts.push(sent.length);
      units.push(unit);
      unit += ch.length;
      const code = ch.codePointAt(0);
      sent += code <= 0x20 || code >= 0x7f || ENCODED_ASCII.has(ch) ? percentEncode(ch) : ch;
    }
    starts.push(sent.length);
    units.push(unit);
    return { sent, starts, units, points };
  }

  // A span of the sent text (offsets into ASCII, so units = code points) -> code points typed.
  function typedSpan(encoded, start, end) {
    const { starts } = encoded;
    let first = 0;
    while (first + 1 < starts.length && starts[first + 1] <= start) first += 1;
    let last = first;
    while (last < starts.length - 1 && starts[last] < end) last += 1;
    return [first, Math.max(first, last)];
  }

  // ---- talking to the server

  async function getJSON(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      return { ok: false, status: 0, body: { message: `the server did not answer (${error.message})` } };
    }
    let body;
    try {
      body = await response.json();
    } catch (error) {
      if (error.name === "AbortError") throw error;
      body = { message: `the server answered ${response.status} ${response.statusText}, not JSON` };
    }
    return { ok: response.ok, status: response.status, body };
  }

  function failure(reply) {
    const message = reply.body && typeof reply.body.message === "string" ? reply.body.message : "no message";
    return reply.status ? `${reply.status} ${reply.body.name || "Error"}: ${message}` : message;
  }

  // ---- showing things

  function show(element, text, isMessage) {
    element.textContent = text;
    element.classList.toggle("message", Boolean(isMessage));
  }

  function showAll(ids, text) {
    for (const id of ids) show(byId(id), text, true);
  }

  function renderBackdrop(encoded, marks) {
    // Cut the text where any mark starts or ends; each piece takes the worst severity over it.
    const n = encoded.points.length;
    const cuts = new Set([0, n]);
    const shown = marks.map((m) => (m.start === m.end ? { ...m, end: m.start + 1 } : m));
    for (const m of shown) {
      cuts.add(m.start);
      cuts.add(Math.min(m.end, n + 1));
    }
    const points = encoded.points.concat([" "]); // room for a mark at the very end
    const order = Array.from(cuts).sort((a, b) => a - b);
    backdrop.replaceChildren();
    for (let k = 0; k + 1 < order.length; k += 1) {
      const [from, to] = [order[k], order[k + 1]];
      const text = points.slice(from, to).join("");
      const over = shown.filter((m) => m.start <= from && to <= m.end);
      if (!over.length) {
        backdrop.append(document.createTextNode(text));
        continue;
      }
      const mark = document.createElement("mark");
      mark.className = over.some((m) => m.severity === "error") ? "error" : "warning";
      mark.dataset.diagnostics = over.map((m) => m.index).join(" ");
      mark.textContent = text;
      backdrop.append(mark);
    }
    backdrop.append(document.createTextNode("\n"));
    backdrop.scrollTop = box.scrollTop;
  }

  function select(encoded, mark) {
    box.focus();
    box.setSelectionRange(encoded.units[mark.start], encoded.units[mark.end]);
  }

  function renderDiagnostics(encoded, answer) {
    const marks = answer.diagnostics.map((d, index) => {
      const known = d.start !== null && d.end !== null;
      const [start, end] = known ? typedSpan(encoded, d.start, d.end) : [0, 0];
      return { ...d, index, start, end, known };
    });
    renderBackdrop(encoded, marks.filter((m) => m.known));
    for (const severity of ["error", "warning"]) {
      const place = byId(severity === "error" ? "errors" : "warnings");
      const mine = marks.filter((m) => m.severity === severity);
      place.replaceChildren();
      if (!mine.length) {
        const none = document.createElement("p");
        none.className = "none";
        none.textContent = severity === "error" ? "No errors." : "No warnings.";
        place.append(none);
        continue;
      }
      const list = document.createElement("ul");
      list.className = "diagnostics";
      for (const m of mine) list.append(diagnosticItem(encoded, m));
      place.append(list);
    }
    if (answer.more) {
      const more = document.createElement("p");
      more.className = "help";
      more.textContent = `… and ${answer.more} more not shown.`;
      byId("errors").append(more);
    }
  }

  function diagnosticItem(encoded, m) {
    const item = document.createElement("li");
    item.className = m.severity;
    item.dataset.code = m.code;
    item.dataset.start = String(m.start);
    item.dataset.end = String(m.end);
    if (m.known) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = m.start === m.end ? `at ${m.start + 1}` : `characters ${m.start + 1}–${m.end}`;
      button.setAttribute("aria-label", `select ${button.textContent} in the query`);
      button.addEventListener("click", () => select(encoded, m));
      item.append(button);
    }
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = m.code;
    item.append(code, document.createTextNode(`: ${m.message}`));
    if (m.hint) {
      const hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = m.hint;
      item.append(hint);
    }
    return item;
  }

  function renderCheck(answer) {
    const errors = answer.diagnostics.filter((d) => d.severity === "error").length + (answer.more || 0);
    show(byId("query-status"), answer.valid ? "The query is valid." : `The query has ${errors} error(s).`, !answer.valid);
    show(byId("canonical"), answer.canonical ?? "The text cannot be read: see the errors.", answer.canonical === null);
    const id = contact.value.trim();
    const url = answer.url && (/^[0-9]+$/.test(id) ? answer.url.replace("{contact_id}", id) : answer.url);
    show(byId("url"), url ?? "The text cannot be read: see the errors.", url === null);
    show(byId("outline"), answer.outline ?? "The query has errors: there is no typed AST.", answer.outline === null);
  }

  function renderSQL(reply) {
    if (!reply.ok) {
      showAll(["sql", "params", "count-sql", "count-params"], `No SQL: ${failure(reply)}`);
      return;
    }
    const { page, total } = reply.body;
    show(byId("sql"), page.sql === null ? "-- none: $limit=0 reads no rows" : `${page.sql};`);
    show(byId("params"), JSON.stringify(page.params));
    show(byId("count-sql"), `${total.sql};`);
    show(byId("count-params"), JSON.stringify(total.params));
  }

  function cell(value) {
    const td = document.createElement("td");
    if (value === null || value === undefined) {
      td.className = "null";
      td.textContent = value === null ? "null" : "";
    } else {
      td.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
    return td;
  }

  function renderResults(reply) {
    const place = byId("results");
    place.replaceChildren();
    if (!reply.ok) {
      show(byId("total"), `No results: ${failure(reply)}`, true);
      return;
    }
    const { total, limit, skip, data } = reply.body;
    const shownRange = data.length ? `, showing ${skip + 1}–${skip + data.length}` : "";
    show(byId("total"), `total ${total}${shownRange} (limit ${limit}, skip ${skip})`);
    if (!data.length) return;
    const columns = [];
    for (const row of data) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    const table = document.createElement("table");
    const caption = document.createElement("caption");
    caption.className = "help";
    caption.textContent = `The records of contact ${contact.value.trim()} on this page`;
    const head = table.createTHead().insertRow();
    for (const name of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of data) {
      const tr = body.insertRow();
      tr.dataset.id = String(row.id);
      for (const name of columns) tr.append(cell(row[name]));
    }
    table.prepend(caption);
    place.append(table);
  }

  // ---- one round: the text -> every section

  function remember() {
    const params = new URLSearchParams();
    if (box.value) params.set("q", box.value);
    if (contact.value.trim()) params.set("contact", contact.value.trim());
    params.set("dialect", dialect.value);
    history.replaceState(null, "", `${location.pathname}?${params}`);
    sessionStorage.setItem("querylang-token", token.value);
  }

  async function update() {
    remember();
    generation += 1;
    const mine = generation;
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    const signal = inFlight.signal;
    const state = JSON.stringify([box.value, contact.value.trim(), dialect.value, token.value.trim()]);
    const encoded = encodeForQuery(box.value);
    const suffix = `?${encoded.sent}`;
    const id = contact.value.trim();
    const headers = token.value.trim() ? { Authorization: `Bearer ${token.value.trim()}` } : {};
    const asked = [
      getJSON(`/_querylang/check${suffix}`, { signal }),
      getJSON(`/_querylang/sql/${encodeURIComponent(dialect.value)}${suffix}`, { signal }),
      /^[0-9]{1,10}$/.test(id)
        ? getJSON(`/contacts/${id}/campaign-communications${suffix}`, { signal, headers })
        : Promise.resolve({ ok: false, status: 0, body: { message: "enter a contact id (digits) to see its records" } }),
    ];
    let replies;
    try {
      replies = await Promise.all(asked);
    } catch (error) {
      if (error.name === "AbortError") return; // a newer round took over
      throw error;
    }
    if (mine !== generation) return;
    const [checked, sql, found] = replies;
    if (checked.ok) {
      renderDiagnostics(encoded, checked.body);
      renderCheck(checked.body);
    } else {
      renderBackdrop(encoded, []);
      const why = checked.status ? "The server refused the query" : "The query could not be checked";
      show(byId("query-status"), `${why}: ${failure(checked)}`, true);
      for (const id of ["errors", "warnings"]) byId(id).replaceChildren();
      showAll(["canonical", "url", "outline"], failure(checked));
    }
    renderSQL(sql);
    renderResults(found);
    document.body.dataset.settled = state; // what the page now shows: tests wait for it
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(() => update().catch(reportBug), DEBOUNCE_MS);
  }

  function reportBug(error) {
    show(byId("query-status"), `The page failed: ${error && error.message ? error.message : error}`, true);
  }

  async function copyLink() {
    remember();
    const status = byId("copy-status");
    try {
      await navigator.clipboard.writeText(location.href);
      show(status, "Link copied.");
    } catch (error) {
      show(status, `Copy this link: ${location.href}`);
    }
  }

  function start() {
    const params = new URLSearchParams(location.search);
    box.value = params.get("q") ?? "";
    contact.value = params.get("contact") ?? "";
    const wanted = params.get("dialect");
    if (wanted && Array.from(dialect.options).some((o) => o.value === wanted)) dialect.value = wanted;
    token.value = sessionStorage.getItem("querylang-token") ?? "";
    box.addEventListener("input", later);
    box.addEventListener("scroll", () => {
      backdrop.scrollTop = box.scrollTop;
    });
    contact.addEventListener("input", later);
    token.addEventListener("input", later);
    dialect.addEventListener("change", () => update().catch(reportBug));
    byId("copy").addEventListener("click", () => copyLink().catch(reportBug));
    update().catch(reportBug);
  }

  start();
})();
