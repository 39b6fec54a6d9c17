// bulletguard review page. Two modes, chosen with the "What to do" radio buttons and kept in the URL hash
// (#write, #check): "Write bullets" sends the form to POST /v1/rewrite; "Check my bullets" sends the pasted
// bullets to POST /v1/verify. Either way the page shows what comes back, and a refused bullet's suggestion
// as a word-level diff with a "Use this" button. Nothing is sent until the user presses the button.
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
  const VERIFY_URL = "v1/verify";
  const KNOWN_KINDS = ["metric", "tool", "ownership", "scope", "outcome", "redacted", "source"];
  const EDIT_KINDS = KNOWN_KINDS.concat(["polish"]);
  // the CLI's rule (service/cli parse_bullets): one bullet per line, a leading "- ", "* " or "• " dropped
  const BULLET_MARKER = /^[-*•](?:\s+|$)/;
  const MODES = {
    write: {
      button: "Write bullets",
      busy: "Writing bullets…",
      status: "Writing bullets. This can take a little while.",
      placeholder: "Bullets appear here once you submit your notes.",
    },
    check: {
      button: "Check bullets",
      busy: "Checking bullets…",
      status: "Checking your bullets.",
      placeholder: "Verdicts appear here once you check your bullets.",
    },
  };
  const FIELD_LABELS = {
    notes: "Work notes",
    evidence: "Evidence",
    redact: "Keep out",
    job_description: "Job posting",
    bullets: "Your bullets",
    options: "Options",
    max_bullets: "Most bullets",
  };
  const FIELD_IDS = {
    notes: "notes",
    evidence: "evidence",
    redact: "redact",
    job_description: "job-description",
    max_bullets: "max-bullets",
    bullets: "bullets",
  };

  let form, submitButton, formStatus, results, resultsHeading, errorBox, copyStatus, placeholder, body;
  let uid = 0;
  let busy = false;
  let mode = "write";
  // what each mode's results panel showed, kept while the other mode is on screen
  const shown = { write: null, check: null };

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

  function bulletOfLine(line) {
    return line.trim().replace(BULLET_MARKER, "").trim();
  }

  // The bullets box: one bullet per non-blank line, each with the index of its line (for "Use this").
  function readBullets(text) {
    const out = [];
    text.split("\n").forEach(function (line, index) {
      const bullet = bulletOfLine(line);
      if (bullet) out.push({ text: bullet, line: index });
    });
    return out;
  }

  // The request body for the current mode; in check mode also the bullets as sent, with their lines.
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
    if (mode === "check") {
      const sent = readBullets($("bullets").value);
      if (!sent.length) throw new InputError("bullets", "Paste at least one bullet to check, one per line.");
      payload.bullets = sent.map(function (b) {
        return b.text;
      });
      return { payload: payload, sent: sent };
    }
    const maxRaw = $("max-bullets").value.trim();
    if (maxRaw) {
      const max = Number(maxRaw);
      if (!Number.isInteger(max)) throw new InputError("max-bullets", "Most bullets must be a whole number.");
      payload.options = { max_bullets: max };
    }
    // Sent only when given, so the page also works with a service that does not know the field.
    const posting = $("job-description").value;
    if (posting.trim()) payload.job_description = posting;
    return { payload: payload, sent: null };
  }

  // ---------------------------------------------------------------------------------------------
  // State: busy, errors, results

  function setBusy(on) {
    busy = on;
    submitButton.disabled = on;
    submitButton.textContent = on ? MODES[mode].busy : MODES[mode].button;
    for (const radio of form.querySelectorAll('input[name="mode"]')) radio.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    results.setAttribute("aria-busy", on ? "true" : "false");
    formStatus.textContent = on ? MODES[mode].status : formStatus.textContent;
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

  // ---------------------------------------------------------------------------------------------
  // Suggestions: the repair of a refused bullet (or the polish of an accepted one) as a word-level diff.

  // Words, runs of space, and single other characters: joined again they give the text back.
  const DIFF_TOKEN = /\s+|[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*|\S/gu;

  function diffTokens(text) {
    return text.match(DIFF_TOKEN) || [];
  }

  // One edit as pieces: the words it leaves as they were at either end (the API's edits are whole
  // words with their trailing space, so "worker to Kafka." -> "worker." keeps "worker" and "."), then
  // what it removes and what it adds.
  function editPieces(removed, added, kind) {
    const a = diffTokens(removed);
    const b = diffTokens(added);
    let head = 0;
    while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
    let tail = 0;
    while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) {
      tail += 1;
    }
    const pieces = [];
    const before = a.slice(0, head).join("");
    const del = a.slice(head, a.length - tail).join("");
    const ins = b.slice(head, b.length - tail).join("");
    const after = a.slice(a.length - tail).join("");
    if (before) pieces.push({ type: "same", text: before });
    if (del) pieces.push({ type: "del", text: del, kind: kind });
    if (ins) pieces.push({ type: "ins", text: ins, kind: kind });
    if (after) pieces.push({ type: "same", text: after });
    return pieces;
  }

  // The bullet cut into unchanged, removed and added pieces by the response's edits (start/end count
  // code points). null when the edits do not turn the bullet into the suggestion: then only the
  // suggestion is shown.
  function diffPieces(text, edits, suggestion) {
    if (!isArray(edits)) return null;
    const chars = codePoints(text);
    const sorted = edits.slice().sort(function (a, b) {
      return (a && b && a.start - b.start) || 0;
    });
    const pieces = [];
    let pos = 0;
    for (const edit of sorted) {
      if (
        !edit ||
        !Number.isInteger(edit.start) ||
        !Number.isInteger(edit.end) ||
        edit.start < pos ||
        edit.end < edit.start ||
        edit.end > chars.length ||
        typeof edit.replacement !== "string"
      ) {
        return null;
      }
      if (edit.start > pos) pieces.push({ type: "same", text: chars.slice(pos, edit.start).join("") });
      const kind = EDIT_KINDS.indexOf(edit.kind) >= 0 ? edit.kind : "other";
      pieces.push(...editPieces(chars.slice(edit.start, edit.end).join(""), edit.replacement, kind));
      pos = edit.end;
    }
    if (pos < chars.length) pieces.push({ type: "same", text: chars.slice(pos).join("") });
    const result = pieces
      .filter(function (piece) {
        return piece.type !== "del";
      })
      .map(function (piece) {
        return piece.text;
      })
      .join("");
    return result === suggestion ? pieces : null;
  }

  // <del>/<ins> are not announced by most screen readers: each carries a visually hidden "removed:" or
  // "added:" before its words. The class names the violation kind the edit mends (or polish).
  function diffParagraph(pieces) {
    const paragraph = el("p", { className: "suggestion-diff" });
    for (const piece of pieces) {
      if (piece.type === "same") {
        paragraph.append(piece.text);
        continue;
      }
      paragraph.append(
        el(piece.type, { className: "edit " + piece.kind }, [
          el("span", { className: "visually-hidden", text: piece.type === "del" ? "removed: " : "added: " }),
          el("span", { className: "edit-text", text: piece.text }),
        ]),
      );
    }
    return paragraph;
  }

  // A suggestion with its diff and a "Use this" button. ``onUse`` applies it and says whether it could;
  // after that the button says "Used" and does nothing more (it keeps the focus).
  function suggestionBlock(text, suggestion, edits, options, onUse) {
    const labelId = nextId("suggestion");
    const textId = nextId("suggestion-text");
    const pieces = diffPieces(text, edits, suggestion);
    const use = el("button", { type: "button", className: "use", "aria-describedby": textId }, [
      el("span", { className: "use-label", text: "Use this" }),
      el("span", { className: "visually-hidden", text: " " + options.target }),
    ]);
    use.addEventListener("click", function () {
      if (use.getAttribute("aria-disabled") === "true") return;
      if (!onUse()) return;
      use.setAttribute("aria-disabled", "true");
      use.firstChild.textContent = "Used";
    });
    return el("div", { className: "suggestion", role: "group", "aria-labelledby": labelId }, [
      el("p", { className: "suggestion-label", id: labelId }, [
        el("strong", { text: options.polish ? "Suggested polish" : "Suggested fix" }),
        options.polish ? " (the same claims, written as bullets are)" : " (only what your input backs)",
      ]),
      pieces ? diffParagraph(pieces) : null,
      el("p", { className: "suggestion-text" }, [
        pieces ? el("span", { className: "muted", text: "Reads: " }) : null,
        el("span", { className: "suggestion-clean", id: textId, text: suggestion }),
      ]),
      el("div", { className: "bullet-actions" }, [use]),
    ]);
  }

  // For a refused bullet whose response says it has no suggestion (null, not absent).
  function noSuggestion(bullet) {
    if (!bullet || !("suggestion" in bullet) || bullet.suggestion !== null) return null;
    return el("p", {
      className: "no-suggestion muted",
      text:
        "No true version of this bullet can be made from your input: drop the highlighted claims, or add " +
        "them to your notes if they are true.",
    });
  }

  function originLine(bullet) {
    let chip, note;
    if (bullet.origin === "you") {
      chip = "repaired by you";
      note = "The suggestion for refused bullet " + bullet.fromRefused + ", which you chose to use.";
    } else if (bullet.origin === "repaired") {
      chip = "repaired";
      note = bullet.original ? "The model wrote “" + String(bullet.original) + "”, which was refused." : "";
    } else if (bullet.origin === "fallback") {
      chip = "from your notes";
      note = "The model gave nothing usable; this is a sentence of your notes.";
    } else {
      return null;
    }
    return el("p", { className: "bullet-origin" }, [el("span", { className: "chip origin", text: chip }), " ", note]);
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
            originLine(bullet),
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

  function refusedSection(rejected, accept) {
    const headingId = nextId("refused");
    const list = el("ol", { className: "bullets" });
    rejected.forEach(function (bullet, index) {
      const violations = isArray(bullet.violations) ? bullet.violations : [];
      const text = String(bullet.text || "");
      const suggestion = typeof bullet.suggestion === "string" && bullet.suggestion ? bullet.suggestion : null;
      list.append(
        el("li", { className: "bullet refused" }, [
          el("div", { className: "bullet-main" }, [
            highlightedText(text, violations),
            metaLine(bullet),
            violationList(violations),
            suggestion
              ? suggestionBlock(text, suggestion, bullet.edits, { target: "for refused bullet " + (index + 1) }, function () {
                  return accept(bullet, suggestion, index);
                })
              : noSuggestion(bullet),
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

    // the accepted list grows when a refused bullet's suggestion is used: it is drawn again each time
    const accepted = bullets.slice();
    const acceptedSlot = el("div", { className: "accepted-slot" }, [acceptedSection(accepted)]);
    main.append(acceptedSlot);
    if (rejected.length) {
      main.append(
        refusedSection(rejected, function (bullet, suggestion, index) {
          const same = accepted.findIndex(function (b) {
            return String(b.text || "") === suggestion;
          });
          if (same >= 0) {
            announce("The suggestion for refused bullet " + (index + 1) + " is accepted bullet " + (same + 1) + " already.");
            return true;
          }
          accepted.push({
            text: suggestion,
            sources: isArray(bullet.sources) ? bullet.sources : [],
            proof_area: bullet.proof_area,
            origin: "you",
            fromRefused: index + 1,
          });
          acceptedSlot.replaceChildren(acceptedSection(accepted));
          announce(
            "Added the suggestion for refused bullet " + (index + 1) + " to the accepted bullets, as bullet " +
              accepted.length + ".",
          );
          return true;
        }),
      );
    }
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

    showResults(main, aside);
    formStatus.textContent =
      "Done: " + plural(bullets.length, "bullet", "bullets") + " accepted, " + rejected.length + " refused.";
  }

  function showResults(main, aside) {
    body.replaceChildren(main);
    const hasAside = Boolean(aside && aside.childElementCount);
    if (hasAside) body.append(aside);
    body.classList.toggle("has-aside", hasAside);
    placeholder.hidden = true;
  }

  // Said by the page's live region (the one that says "Copied …").
  function announce(text) {
    copyStatus.textContent = text;
  }

  // ---------------------------------------------------------------------------------------------
  // Check mode: the verdict of each pasted bullet, in the order pasted.

  // The bullet's line in the bullets box replaced by its suggestion, the line's list marker kept. Found
  // at the line it was read from, else wherever the box still has it; false when it is gone (edited).
  function replaceBulletLine(entry, bullet, suggestion) {
    const area = $("bullets");
    const lines = area.value.split("\n");
    let at = -1;
    if (entry && entry.line < lines.length && bulletOfLine(lines[entry.line]) === bullet) at = entry.line;
    if (at < 0) {
      at = lines.findIndex(function (line) {
        return bulletOfLine(line) === bullet;
      });
    }
    if (at < 0) return false;
    const line = lines[at];
    const pos = line.indexOf(bullet);
    lines[at] = line.slice(0, pos) + suggestion + line.slice(pos + bullet.length);
    area.value = lines.join("\n");
    return true;
  }

  function checkedItem(result, index, entry) {
    const accepted = result.verdict === "accepted";
    const text = String(result.bullet || "");
    const violations = isArray(result.violations) ? result.violations : [];
    const suggestion = typeof result.suggestion === "string" && result.suggestion ? result.suggestion : null;
    const name = "bullet " + (index + 1);
    let fix = null;
    if (suggestion) {
      fix = suggestionBlock(text, suggestion, result.edits, { polish: accepted, target: "for " + name }, function () {
        if (!replaceBulletLine(entry, text, suggestion)) {
          announce("Bullet " + (index + 1) + " is no longer in the bullets box as it was checked: nothing replaced.");
          return false;
        }
        announce("Replaced bullet " + (index + 1) + " in the bullets box with the suggestion.");
        return true;
      });
    } else if (!accepted) {
      fix = noSuggestion(result);
    }
    return el("li", { className: "bullet " + (accepted ? "accepted" : "refused") }, [
      el("div", { className: "bullet-main" }, [
        el("p", { className: "verdict-line" }, [
          el("span", { className: "chip verdict " + (accepted ? "ok" : "bad"), text: accepted ? "Accepted" : "Refused" }),
          " " + name,
        ]),
        highlightedText(text, violations),
        violations.length ? violationList(violations) : null,
        fix,
      ]),
      warningBlock(result.warnings),
    ]);
  }

  function renderCheck(data, sent) {
    const checked = isArray(data.results) ? data.results.filter(Boolean) : [];
    const nAccepted = checked.filter(function (r) {
      return r.verdict === "accepted";
    }).length;
    const nRefused = checked.length - nAccepted;
    const headingId = nextId("checked");
    const list = el("ol", { className: "bullets" });
    checked.forEach(function (result, index) {
      list.append(checkedItem(result, index, sent ? sent[index] : null));
    });
    const main = el("div", { className: "results-main" }, [
      el("p", {
        className: "summary",
        text: plural(checked.length, "bullet", "bullets") + " checked: " + nAccepted + " accepted, " + nRefused + " refused.",
      }),
      el("section", { className: "group checked-group", "aria-labelledby": headingId }, [
        el("h3", { id: headingId, text: "Verdicts (" + checked.length + ")" }),
        nRefused
          ? el("p", {
              className: "help",
              text:
                "A refused bullet claims something your input does not back: the highlighted words. Hover, tap " +
                "or tab to a highlight for the reason.",
            })
          : null,
        list,
      ]),
    ]);
    showResults(main, null);
    formStatus.textContent = "Done: " + nAccepted + " accepted, " + nRefused + " refused.";
  }

  // ---------------------------------------------------------------------------------------------
  // Modes: "write" (POST /v1/rewrite) and "check" (POST /v1/verify), kept in the URL hash.

  function modeOfHash() {
    const name = window.location.hash.replace(/^#/, "");
    return Object.prototype.hasOwnProperty.call(MODES, name) ? name : null;
  }

  // Each mode keeps its own results on screen: switching puts the other mode's back.
  function setMode(next, writeHash) {
    if (!Object.prototype.hasOwnProperty.call(MODES, next) || busy) return;
    if (next !== mode) {
      shown[mode] = {
        nodes: Array.from(body.childNodes),
        aside: body.classList.contains("has-aside"),
        done: placeholder.hidden,
        status: formStatus.textContent,
      };
      mode = next;
      const saved = shown[mode];
      body.replaceChildren(...(saved ? saved.nodes : []));
      body.classList.toggle("has-aside", Boolean(saved && saved.aside));
      placeholder.hidden = Boolean(saved && saved.done);
      formStatus.textContent = saved ? saved.status : "";
      clearError();
      clearInvalid();
    }
    $("mode-" + mode).checked = true;
    for (const node of form.querySelectorAll("[data-mode]")) node.hidden = node.getAttribute("data-mode") !== mode;
    submitButton.textContent = MODES[mode].button;
    placeholder.textContent = MODES[mode].placeholder;
    if (writeHash && window.location.hash !== "#" + mode) {
      window.history.replaceState(window.history.state, "", "#" + mode);
    }
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

    let request;
    try {
      request = readForm();
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
    setBusy(true); // also locks the mode until the answer is in
    let response;
    try {
      response = await fetch(mode === "check" ? VERIFY_URL : REWRITE_URL, {
        method: "POST",
        headers: headers,
        body: JSON.stringify(request.payload),
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
    if (mode === "check") renderCheck(data, request.sent);
    else render(data);
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
    for (const radio of form.querySelectorAll('input[name="mode"]')) {
      radio.addEventListener("change", function () {
        if (radio.checked) setMode(radio.value, true);
      });
    }
    // a link to #check or #write (or the address bar) switches the mode; other fragments (#notes) do not
    window.addEventListener("hashchange", function () {
      const linked = modeOfHash();
      if (linked) setMode(linked, false);
    });
    setMode(modeOfHash() || "write", false);
    document.documentElement.classList.add("js");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
