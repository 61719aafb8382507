// Keeps a search's page up to date while its targets answer (Server-Sent Events).
// Without JavaScript the page still works: reload it to see how far the search has got.
"use strict";

(function () {
  const results = document.getElementById("results");
  if (!results || results.dataset.finished === "yes" || !window.EventSource) {
    return;
  }
  const clusters = document.getElementById("clusters");

  function ticked() {
    const boxes = clusters.querySelectorAll("input[name=cluster]:checked");
    return new Set(Array.from(boxes, (box) => box.value));
  }

  function showClusters(html) {
    const keep = ticked();
    clusters.innerHTML = html;
    for (const box of clusters.querySelectorAll("input[name=cluster]")) {
      box.checked = keep.has(box.value);
    }
  }

  const source = new EventSource(results.dataset.events);
  source.addEventListener("update", (event) => {
    const update = JSON.parse(event.data);
    document.getElementById("progress").innerHTML = update.progress;
    document.getElementById("status").innerHTML = update.status;
    showClusters(update.clusters);
    if (update.finished) {
      results.dataset.finished = "yes";
      source.close();
    }
  });
  source.addEventListener("error", () => {
    if (results.dataset.finished === "yes") {
      source.close();
    }
  });
})();
