// The record editor checks the text as it is typed: a pause in typing posts it to the
// validate endpoint (JSON, CSRF token in the X-CSRF-Token header) and the answer marks the
// lines with problems, lists them and redraws the field view. Everything from the server is
// put in as text, never as HTML. Without JavaScript the Validate button does the same
// through a form post.
"use strict";

(function () {
  const form = document.getElementById("editor");
  const text = document.getElementById("text");
  if (!form || !text || !window.fetch) {
    return;
  }
  const gutter = document.getElementById("gutter");
  const summary = document.getElementById("summary");
  const problems = document.getElementById("problems");
  const fields = document.querySelector("#fields tbody");
  const flavour = document.getElementById("flavour");
  const DELAY = 400;
  let timer = null;
  let sent = 0;
  let shown = 0;

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined) {
      node.textContent = content;
    }
    return node;
  }

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
  }

  function byLine(list) {
    const lines = new Map();
    for (const problem of list) {
      if (problem.line !== null) {
        const known = lines.get(problem.line) || [];
        known.push(problem);
        lines.set(problem.line, known);
      }
    }
    return lines;
  }

  function drawGutter(lines) {
    const count = text.value.split("\n").length;
    gutter.replaceChildren();
    for (let number = 1; number <= count; number += 1) {
      const marks = lines.get(number) || [];
      const severe = marks.some((p) => p.severity === "error");
      const span = element("span", severe ? "error" : marks.length ? "warning" : "", String(number));
      if (marks.length) {
        span.title = marks.map((p) => p.message).join("\n");
      }
      gutter.append(span, "\n");
    }
    gutter.scrollTop = text.scrollTop;
  }

  function drawSummary(answer) {
    let sentence = "No problems found.";
    if (!answer.readable) {
      sentence = "The text cannot be read as a record.";
    } else if (answer.errors) {
      sentence = `${plural(answer.errors, "error")} stop a save`;
      sentence += answer.warnings ? `; ${plural(answer.warnings, "warning")}.` : ".";
    } else if (answer.warnings) {
      sentence = `${plural(answer.warnings, "warning")}; the record can be saved.`;
    }
    summary.textContent = sentence;
    summary.className = `summary ${answer.errors ? "blocked" : "clean"}`;
  }

  function drawProblems(list) {
    problems.replaceChildren();
    for (const problem of list) {
      const item = element("li", problem.severity);
      item.dataset.line = problem.line === null ? "" : String(problem.line);
      const where = problem.line === null ? problem.where : `line ${problem.line}, ${problem.where}`;
      item.append(
        element("span", "where", where), " ",
        element("span", "severity", problem.severity), " ",
        element("span", "message", problem.message),
      );
      problems.append(item);
    }
  }

  function drawFields(rows, lines) {
    fields.replaceChildren();
    for (const row of rows) {
      const tr = element("tr");
      tr.dataset.line = String(row.line);
      const cells = element("td", "subfields");
      if (row.data) {
        cells.append(element("span", "data", row.data));
      }
      for (const [code, value] of row.subfields) {
        const span = element("span", "subfield");
        span.append(element("b", "", `$${code}`), value);
        cells.append(span, " ");
      }
      const messages = element("td", "messages");
      for (const problem of lines.get(row.line) || []) {
        messages.append(element("span", problem.severity, problem.message), " ");
      }
      tr.append(
        element("td", "line", String(row.line)),
        element("td", "tag", row.tag),
        element("td", "name", row.name),
        element("td", "ind", row.indicators),
        cells,
        messages,
      );
      fields.append(tr);
    }
  }

  function show(answer) {
    const lines = byLine(answer.problems);
    if (flavour && answer.readable) {
      flavour.textContent = answer.flavour;
    }
    drawGutter(lines);
    drawSummary(answer);
    drawProblems(answer.problems);
    drawFields(answer.fields, lines);
  }

  async function validate() {
    sent += 1;
    const mine = sent;
    let response;
    try {
      response = await fetch(form.dataset.validate, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRF-Token": form.dataset.csrf,
          Accept: "application/json",
        },
        body: JSON.stringify({ text: text.value }),
      });
    } catch (error) {
      summary.textContent = "Could not reach the server to check the text.";
      return;
    }
    if (!response.ok) {
      summary.textContent = `The check failed (HTTP ${response.status}): reload the page.`;
      return;
    }
    const answer = await response.json();
    if (mine > shown) {
      // An older answer arriving late must not overwrite a newer one.
      shown = mine;
      show(answer);
    }
  }

  function goToLine(line) {
    const lines = text.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
    text.focus();
    text.setSelectionRange(start, start + (lines[line - 1] || "").length);
  }

  text.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(validate, DELAY);
  });
  text.addEventListener("scroll", () => {
    gutter.scrollTop = text.scrollTop;
  });
  problems.addEventListener("click", (event) => {
    const item = event.target.closest("li[data-line]");
    if (item && item.dataset.line) {
      goToLine(Number(item.dataset.line));
    }
  });
  fields.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-line]");
    if (row) {
      goToLine(Number(row.dataset.line));
    }
  });
  form.dataset.live = "yes";
})();
