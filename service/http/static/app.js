// bulletguard review page: sends the form to POST /v1/rewrite and shows what comes back.
//
// Everything shown comes from the user or a model, so it is untrusted: the page only ever builds DOM
// nodes and sets textContent / attributes, never HTML strings.
//
// The guard's offsets (violation and warning start/end) count Unicode code points (Python string
// indices), not UTF-16 units, so bullet text is split with Array.from before slicing.
"use strict";

(function () {
  const API_KEY_STORAGE = "bulletguard.apiKey";
  const REWRITE_URL = "v1/rewrite"; // relative: works behind a path prefix too
  const KNOWN_KINDS = ["metric", "tool", "ownership", "scope", "outcome", "redacted", "source"];
  const FIELD_LABELS = {
    notes: "Work notes",
    evidence: "Evidence",
    redact: "Keep out",
    job_description: "Job posting",
    options: "Options",
    max_bullets: "Most bullets",
  };
  const FIELD_IDS = {
    notes: "notes",
    evidence: "evidence",
    redact: "redact",
    job_description: "job-description",
    max_bullets: "max-bullets",
  };

  let form, submitButton, formStatus, results, resultsHeading, errorBox, copyStatus, placeholder, body;
  let uid = 0;
  let busy = false;

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (name === "text") node.textContent = String(value);
        else if (name === "className") node.className = value;
        else node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children || []) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function nextId(prefix) {
    uid += 1;
    return prefix + "-" + uid;
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function isArray(value) {
    return Array.isArray(value);
  }

  // ---------------------------------------------------------------------------------------------
  // API key: kept in sessionStorage only (gone when the tab closes), sent as X-API-Key when set.

  function loadApiKey() {
    try {
      return window.sessionStorage.getItem(API_KEY_STORAGE) || "";
    } catch (_) {
      return "";
    }
  }

  function saveApiKey(value) {
    try {
      if (value) window.sessionStorage.setItem(API_KEY_STORAGE, value);
      else window.sessionStorage.removeItem(API_KEY_STORAGE);
    } catch (_) {
      // storage unavailable (privacy mode): the key still works for this page view
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading the form

  class InputError extends Error {
    constructor(fieldId, message) {
      super(message);
      this.fieldId = fieldId;
    }
  }

  function parseEvidence(text) {
    const items = [];
    text.split(/\r?\n/).forEach(function (line, index) {
      if (!line.trim()) return;
      const colon = line.indexOf(":");
      const id = colon >= 0 ? line.slice(0, colon).trim() : "";
      const itemText = colon >= 0 ? line.slice(colon + 1).trim() : "";
      if (!id || !itemText) {
        throw new InputError(
          "evidence",
          "Evidence line " + (index + 1) + " needs an id and a text, written as “id: text”.",
        );
      }
      items.push({ id: id, text: itemText });
    });
    return items;
  }

  function readForm() {
    const payload = { notes: $("notes").value };
    const evidence = parseEvidence($("evidence").value);
    if (evidence.length) payload.evidence = evidence;
    const redact = $("redact")
      .value.split(",")
      .map(function (term) {
        return term.trim();
      })
      .filter(Boolean);
    if (redact.length) payload.redact = redact;
    const maxRaw = $("max-bullets").value.trim();
    if (maxRaw) {
      const max = Number(maxRaw);
      if (!Number.isInteger(max)) throw new InputError("max-bullets", "Most bullets must be a whole number.");
      payload.options = { max_bullets: max };
    }
    // Sent only when given, so the page also works with a service that does not know the field.
    const posting = $("job-description").value;
    if (posting.trim()) payload.job_description = posting;
    return payload;
  }

  // ---------------------------------------------------------------------------------------------
  // State: busy, errors, results

  function setBusy(on) {
    busy = on;
    submitButton.disabled = on;
    submitButton.textContent = on ? "Writing bullets…" : "Write bullets";
    form.setAttribute("aria-busy", on ? "true" : "false");
    results.setAttribute("aria-busy", on ? "true" : "false");
    formStatus.textContent = on ? "Writing bullets. This can take a little while." : formStatus.textContent;
  }

  function clearInvalid() {
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  function markInvalid(fieldId) {
    const field = fieldId && $(fieldId);
    if (field) field.setAttribute("aria-invalid", "true");
  }

  function clearError() {
    errorBox.replaceChildren();
    errorBox.classList.remove("shown");
  }

  function showError(title, detail, items, extra) {
    const children = [el("h3", { text: title })];
    if (detail) children.push(el("p", { text: detail }));
    if (items && items.length) {
      children.push(
        el(
          "ul",
          null,
          items.map(function (item) {
            if (!item.fieldId) return el("li", { text: item.text });
            return el("li", null, [el("a", { href: "#" + item.fieldId, text: item.text })]);
          }),
        ),
      );
    }
    if (extra) children.push(el("p", { className: "muted", text: extra }));
    errorBox.replaceChildren(...children);
    errorBox.classList.add("shown");
    errorBox.focus();
  }

  function describeLoc(loc) {
    // ["body", "evidence", 1, "id"] -> { text: "Evidence item 2, id", fieldId: "evidence" }
    const parts = isArray(loc) ? loc.slice(loc[0] === "body" ? 1 : 0) : [];
    let fieldId = null;
    const words = [];
    parts.forEach(function (part) {
      if (typeof part === "number") {
        words.push("item " + (part + 1));
        return;
      }
      const key = String(part);
      if (!fieldId && FIELD_IDS[key]) fieldId = FIELD_IDS[key];
      words.push(FIELD_LABELS[key] || key);
    });
    return { text: words.join(", ") || "Request", fieldId: fieldId };
  }

  function showProblem(status, problem, headers) {
    clearInvalid();
    const title = (problem && typeof problem.title === "string" && problem.title) || "Request failed";
    const detail = problem && typeof problem.detail === "string" ? problem.detail : "";
    const items = [];
    if (problem && isArray(problem.errors)) {
      for (const error of problem.errors) {
        if (!error || typeof error !== "object") continue;
        const where = describeLoc(error.loc);
        const msg = String(error.msg || "invalid").replace(/^Value error, /, "");
        items.push({ text: where.text + ": " + msg, fieldId: where.fieldId });
        markInvalid(where.fieldId);
      }
    }
    if (status === 401) markInvalid("api-key");
    const notes = ["HTTP " + status];
    const retryAfter = headers && headers.get("Retry-After");
    if (retryAfter) notes.push("retry after " + retryAfter + " s");
    if (problem && typeof problem.request_id === "string") notes.push("request id " + problem.request_id);
    showError(title, detail, items, notes.join(" · "));
    formStatus.textContent = "The request failed: " + title + ".";
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering

  function codePoints(text) {
    return Array.from(String(text));
  }

  function validSpan(item, length) {
    return (
      item &&
      Number.isInteger(item.start) &&
      Number.isInteger(item.end) &&
      item.start >= 0 &&
      item.end > item.start &&
      item.end <= length
    );
  }

  function kindClass(kind) {
    return KNOWN_KINDS.indexOf(kind) >= 0 ? kind : "other";
  }

  // A tooltip opens to the right of its mark; near the right edge of the window it opens to the left.
  function keepTipOnScreen(wrap, tip) {
    wrap.classList.remove("tip-flip");
    const box = tip.getBoundingClientRect();
    if (box.width && box.right > document.documentElement.clientWidth - 8) wrap.classList.add("tip-flip");
  }

  // Bullet text with every violation's span in a <mark>: overlapping spans share one mark that
  // carries all their kinds and reasons. Each mark is focusable and has a tooltip (shown on hover
  // and focus) that is also its accessible description.
  function highlightedText(text, violations) {
    const chars = codePoints(text);
    const spans = (violations || [])
      .filter(function (v) {
        return validSpan(v, chars.length);
      })
      .slice()
      .sort(function (a, b) {
        return a.start - b.start || b.end - a.end;
      });
    const groups = [];
    for (const v of spans) {
      const last = groups[groups.length - 1];
      if (last && v.start < last.end) {
        last.end = Math.max(last.end, v.end);
        last.items.push(v);
      } else {
        groups.push({ start: v.start, end: v.end, items: [v] });
      }
    }
    const paragraph = el("p", { className: "bullet-text" });
    let pos = 0;
    for (const group of groups) {
      if (group.start > pos) paragraph.append(chars.slice(pos, group.start).join(""));
      const tipId = nextId("reason");
      const reasons = group.items.map(function (v) {
        return String(v.message || v.kind);
      });
      const mark = el("mark", {
        className: ["violation"].concat(
          group.items.map(function (v) {
            return kindClass(v.kind);
          }),
        ).join(" "),
        tabindex: "0",
        title: reasons.join(" "),
        "aria-describedby": tipId,
        text: chars.slice(group.start, group.end).join(""),
      });
      const tip = el(
        "span",
        { className: "tooltip", id: tipId, role: "tooltip" },
        group.items.map(function (v) {
          return el("span", { className: "tip-line" }, [
            el("span", { className: "tip-kind", text: String(v.kind) + ": " }),
            String(v.message || ""),
          ]);
        }),
      );
      const wrap = el("span", { className: "mark-wrap" }, [mark, tip]);
      mark.addEventListener("keydown", function (event) {
        if (event.key === "Escape") wrap.classList.add("tip-dismissed");
      });
      mark.addEventListener("focus", function () {
        keepTipOnScreen(wrap, tip);
      });
      wrap.addEventListener("mouseenter", function () {
        keepTipOnScreen(wrap, tip);
      });
      mark.addEventListener("blur", function () {
        wrap.classList.remove("tip-dismissed");
      });
      wrap.addEventListener("mouseleave", function () {
        wrap.classList.remove("tip-dismissed");
      });
      paragraph.append(wrap);
      pos = group.end;
    }
    if (pos < chars.length) paragraph.append(chars.slice(pos).join(""));
    return paragraph;
  }

  function violationList(violations) {
    return el(
      "ul",
      { className: "violations" },
      violations.map(function (v) {
        const kind = String(v.kind || "");
        const spanText =
          kind === "source" && !(v.end > v.start)
            ? "cites “" + String(v.text || "") + "”"
            : "“" + String(v.text || "") + "”";
        return el("li", null, [
          el("span", { className: "chip " + kindClass(kind), text: kind }),
          " ",
          el("span", { className: "span-text", text: spanText }),
          " ",
          String(v.message || ""),
          v.hint ? el("span", { className: "hint" }, [el("strong", { text: "Try: " }), String(v.hint)]) : null,
        ]);
      }),
    );
  }

  function warningBlock(warnings) {
    if (!isArray(warnings)) return null;
    if (!warnings.length) return null; // said in the bullet's meta line instead
    const headingId = nextId("warnings");
    return el("div", { className: "warnings", role: "group", "aria-labelledby": headingId }, [
      el("h4", { id: headingId, text: "Reviewer notes (" + warnings.length + ")" }),
      el(
        "ul",
        null,
        warnings.map(function (w) {
          return el("li", { className: "warning" }, [
            el("span", { className: "chip warn", text: String(w.code || "warning") }),
            " ",
            w.text ? el("span", { className: "span-text", text: "“" + String(w.text) + "”" }) : null,
            w.text ? " " : null,
            String(w.message || ""),
            w.fix ? el("span", { className: "hint" }, [el("strong", { text: "Proof that fixes it: " }), String(w.fix)]) : null,
          ]);
        }),
      ),
    ]);
  }

  function metaLine(bullet) {
    const parts = [];
    if (bullet.proof_area) parts.push("proves " + bullet.proof_area);
    if (isArray(bullet.sources) && bullet.sources.length) parts.push("from " + bullet.sources.join(", "));
    if (isArray(bullet.warnings) && !bullet.warnings.length) parts.push("no reviewer notes");
    return parts.length ? el("p", { className: "bullet-meta", text: parts.join(" · ") }) : null;
  }

  function acceptedSection(bullets) {
    const headingId = nextId("accepted");
    const section = el("section", { className: "group accepted-group", "aria-labelledby": headingId }, [
      el("h3", { id: headingId, text: "Accepted bullets (" + bullets.length + ")" }),
    ]);
    if (!bullets.length) {
      section.append(
        el("p", {
          className: "muted",
          text: "No bullet survived the guard. Nothing was made up in its place: see why below.",
        }),
      );
      return section;
    }
    const list = el("ol", { className: "bullets" });
    bullets.forEach(function (bullet, index) {
      const textId = nextId("bullet");
      const text = String(bullet.text || "");
      const copy = el("button", {
        type: "button",
        className: "copy",
        "aria-describedby": textId,
        text: "Copy",
      });
      copy.addEventListener("click", function () {
        copyToClipboard(text, copy, "bullet " + (index + 1));
      });
      list.append(
        el("li", { className: "bullet accepted" }, [
          el("div", { className: "bullet-main" }, [
            el("p", { className: "bullet-text", id: textId, text: text }),
            metaLine(bullet),
            el("div", { className: "bullet-actions" }, [copy]),
          ]),
          warningBlock(bullet.warnings),
        ]),
      );
    });
    section.append(list);
    if (bullets.length > 1) {
      const all = el("button", { type: "button", className: "copy copy-all", text: "Copy all accepted bullets" });
      all.addEventListener("click", function () {
        const lines = bullets.map(function (b) {
          return "- " + String(b.text || "");
        });
        copyToClipboard(lines.join("\n"), all, "all accepted bullets");
      });
      section.append(all);
    }
    return section;
  }

  function refusedSection(rejected) {
    const headingId = nextId("refused");
    const list = el("ol", { className: "bullets" });
    rejected.forEach(function (bullet, index) {
      const violations = isArray(bullet.violations) ? bullet.violations : [];
      list.append(
        el("li", { className: "bullet refused" }, [
          el("div", { className: "bullet-main" }, [
            highlightedText(String(bullet.text || ""), violations),
            metaLine(bullet),
            violationList(violations),
          ]),
          warningBlock(bullet.warnings),
        ]),
      );
    });
    return el("section", { className: "group refused-group", "aria-labelledby": headingId }, [
      el("h3", { id: headingId, text: "Refused bullets (" + rejected.length + ")" }),
      el("p", {
        className: "help",
        text:
          "Not safe to use as written: the highlighted words claim something your input does not back. " +
          "Hover, tap or tab to a highlight for the reason.",
      }),
      list,
    ]);
  }

  function questionsSection(questions) {
    const headingId = nextId("questions");
    const section = el("section", { className: "group questions-group", "aria-labelledby": headingId }, [
      el("h3", { id: headingId, text: "Questions that would make your bullets stronger" }),
    ]);
    if (!questions.length) {
      section.append(el("p", { className: "muted", text: "None: your notes already answer what a reviewer would ask." }));
      return section;
    }
    section.append(
      el(
        "ul",
        { className: "questions" },
        questions.map(function (q) {
          return el("li", { className: "question" }, [
            el("span", { className: "chip area", text: String(q.proof_area || "") }),
            " ",
            el("span", { className: "question-text", text: String(q.question || "") }),
            q.why ? el("span", { className: "why", text: String(q.why) }) : null,
          ]);
        }),
      ),
    );
    return section;
  }

  function matchSection(match) {
    const headingId = nextId("match");
    const supported = isArray(match.supported) ? match.supported : [];
    const gaps = isArray(match.gaps) ? match.gaps : [];
    const section = el("section", { className: "group match-group", "aria-labelledby": headingId }, [
      el("h3", { id: headingId, text: "Job posting match" }),
    ]);
    section.append(el("h4", { text: "Backed by your notes (" + supported.length + ")" }));
    if (supported.length) {
      section.append(
        el(
          "ul",
          { className: "terms supported" },
          supported.map(function (s) {
            const term = String(s.term || "");
            const input = String(s.input_term || "");
            return el("li", null, [
              el("span", { className: "term", text: term }),
              input && input !== term ? " (your notes: “" + input + "”)" : null,
              s.kind ? el("span", { className: "term-kind", text: " " + String(s.kind) }) : null,
            ]);
          }),
        ),
      );
    } else {
      section.append(el("p", { className: "muted", text: "None of the posting's terms." }));
    }
    section.append(el("h4", { text: "Gaps: in the posting, not in your notes (" + gaps.length + ")" }));
    if (gaps.length) {
      section.append(
        el("p", { className: "help", text: "These were not added to any bullet. Add them only if they are true." }),
      );
      section.append(
        el(
          "ul",
          { className: "terms gaps" },
          gaps.map(function (g) {
            return el("li", null, [
              el("span", { className: "term", text: String(g.term || "") }),
              g.kind ? el("span", { className: "term-kind", text: " " + String(g.kind) }) : null,
            ]);
          }),
        ),
      );
    } else {
      section.append(el("p", { className: "muted", text: "None." }));
    }
    return section;
  }

  function render(data) {
    const bullets = isArray(data.bullets) ? data.bullets : [];
    const rejected = isArray(data.rejected) ? data.rejected : [];
    const main = el("div", { className: "results-main" });
    const aside = el("div", { className: "results-aside" });

    const facts = [plural(bullets.length, "bullet accepted", "bullets accepted"), plural(rejected.length, "refused", "refused")];
    const meta = [];
    if (data.model) meta.push("model " + data.model);
    if (Number.isInteger(data.attempts)) meta.push(plural(data.attempts, "attempt", "attempts"));
    if (data.prompt_version) meta.push("prompt " + data.prompt_version);
    if (data.request_id) meta.push("request id " + data.request_id);
    main.append(el("p", { className: "summary", text: facts.join(", ") + "." }));
    if (meta.length) main.append(el("p", { className: "muted small", text: meta.join(" · ") }));

    main.append(acceptedSection(bullets));
    if (rejected.length) main.append(refusedSection(rejected));
    if (!bullets.length && isArray(data.reply_errors) && data.reply_errors.length) {
      main.append(
        el("section", { className: "group" }, [
          el("h3", { text: "Why the model's last reply was unusable" }),
          el(
            "ul",
            null,
            data.reply_errors.map(function (e) {
              return el("li", { text: String(e) });
            }),
          ),
        ]),
      );
    }
    if (isArray(data.questions)) aside.append(questionsSection(data.questions));
    if (data.match && typeof data.match === "object") aside.append(matchSection(data.match));

    body.replaceChildren(main);
    if (aside.childElementCount) body.append(aside);
    body.classList.toggle("has-aside", aside.childElementCount > 0);
    placeholder.hidden = true;
    formStatus.textContent =
      "Done: " + plural(bullets.length, "bullet", "bullets") + " accepted, " + rejected.length + " refused.";
  }

  // ---------------------------------------------------------------------------------------------
  // Clipboard: the async API where the page is a secure context, else a hidden textarea + execCommand.

  function legacyCopy(text) {
    const area = el("textarea", { readonly: true, className: "offscreen", "aria-hidden": "true", tabindex: "-1" });
    area.value = text;
    document.body.append(area);
    const active = document.activeElement;
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (_) {
      ok = false;
    }
    area.remove();
    if (active && typeof active.focus === "function") active.focus();
    return ok;
  }

  async function copyToClipboard(text, button, what) {
    let ok = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch (_) {
        ok = false;
      }
    }
    if (!ok) ok = legacyCopy(text);
    const label = button.textContent.startsWith("Copy all") ? "Copy all accepted bullets" : "Copy";
    button.textContent = ok ? "Copied" : "Copy failed";
    copyStatus.textContent = ok
      ? "Copied " + what + " to the clipboard."
      : "Could not copy " + what + ": select the text and copy it by hand.";
    window.setTimeout(function () {
      button.textContent = label;
    }, 2000);
  }

  // ---------------------------------------------------------------------------------------------
  // Submitting

  async function readJson(response) {
    const type = response.headers.get("Content-Type") || "";
    if (!/json/i.test(type)) return null;
    try {
      return await response.json();
    } catch (_) {
      return null;
    }
  }

  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    clearError();
    clearInvalid();
    copyStatus.textContent = "";

    let payload;
    try {
      payload = readForm();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      markInvalid(error.fieldId);
      showError("Check your input", error.message, [], null);
      formStatus.textContent = "Check your input.";
      return;
    }

    const headers = { "Content-Type": "application/json", Accept: "application/json, application/problem+json" };
    const apiKey = $("api-key").value.trim();
    if (apiKey) headers["X-API-Key"] = apiKey;

    body.replaceChildren();
    placeholder.hidden = false;
    setBusy(true);
    let response;
    try {
      response = await fetch(REWRITE_URL, {
        method: "POST",
        headers: headers,
        body: JSON.stringify(payload),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (_) {
      setBusy(false);
      showError("Could not reach the service", "Check that bulletguard is running, then try again.", [], null);
      formStatus.textContent = "The request failed.";
      return;
    }
    const data = await readJson(response);
    setBusy(false);
    if (!response.ok) {
      showProblem(response.status, data, response.headers);
      return;
    }
    if (!data || typeof data !== "object") {
      showError("Unexpected answer", "The service answered without a readable result.", [], "HTTP " + response.status);
      return;
    }
    render(data);
    resultsHeading.focus();
  }

  function init() {
    form = $("rewrite-form");
    submitButton = $("submit");
    formStatus = $("form-status");
    results = $("results");
    resultsHeading = $("results-heading");
    errorBox = $("error");
    copyStatus = $("copy-status");
    placeholder = $("placeholder");
    body = $("results-body");

    const keyField = $("api-key");
    keyField.value = loadApiKey();
    keyField.addEventListener("input", function () {
      saveApiKey(keyField.value.trim());
    });
    form.addEventListener("submit", submit);
    form.addEventListener("keydown", function (event) {
      // Ctrl+Enter (Cmd+Enter on a Mac) submits from any field, textareas included
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("input", function (event) {
      if (event.target && event.target.removeAttribute) event.target.removeAttribute("aria-invalid");
    });
    document.documentElement.classList.add("js");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
